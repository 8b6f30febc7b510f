/* JSON → typed meeting and invitee results, including hostile shapes. */
#include <stdlib.h>
#include <usm/usm.h>

#include "check.h"
#include "rest/json.h"
#include "rest/meeting_parse.h"

static const char *meeting_json =
  "{\"id\":\"870f51ff287b41be84648412901e0402\",\"meetingNumber\":\"123456789\",\"title\":\"Example "
  "Daily Meeting\",\"agenda\":\"Example Agenda\",\"password\":\"BgJep@43\",\"phoneAndVideoSystemPassword\":"
  "\"12345678\",\"meetingType\":\"meetingSeries\",\"state\":\"active\",\"timezone\":\"UTC\",\"start\":"
  "\"2019-11-01T20:00:00Z\",\"end\":\"2019-11-01T21:00:00Z\",\"hostUserId\":\"Y2lzY29\",\"hostDisplayName\":"
  "\"John Andersen\",\"hostEmail\":\"john.andersen@example.com\",\"hostKey\":\"123456\",\"siteUrl\":"
  "\"site4-example.webex.com\",\"webLink\":\"https://site4-example.webex.com/site4/j.php?MTID=md41817\","
  "\"sipAddress\":\"123456789@site4-example.webex.com\",\"dialInIpAddress\":\"192.168.100.100\","
  "\"enabledJoinBeforeHost\":false,\"adhoc\":true,\"roomId\":\"Y2lzY29zcGFyazovL3VzL1JPT00v\","
  "\"registration\":{},\"unknownFutureField\":[1,2,3]}";

static void test_meeting(void) {
  cJSON *root = usm__json_parse(meeting_json, strlen(meeting_json));
  usm_rest_meeting m;
  CHECK_INT(usm__parse_meeting(root, &m), USM_OK);
  CHECK_STR(m.id, "870f51ff287b41be84648412901e0402");
  CHECK_STR(m.meeting_number, "123456789");
  CHECK_STR(m.title, "Example Daily Meeting");
  CHECK_STR(m.password, "BgJep@43");
  CHECK_STR(m.phone_and_video_system_password, "12345678");
  CHECK_STR(m.meeting_type, "meetingSeries");
  CHECK_STR(m.state, "active");
  CHECK_STR(m.host_email, "john.andersen@example.com");
  CHECK_STR(m.host_key, "123456");
  CHECK_STR(m.web_link, "https://site4-example.webex.com/site4/j.php?MTID=md41817");
  CHECK_STR(m.sip_address, "123456789@site4-example.webex.com");
  CHECK_STR(m.room_id, "Y2lzY29zcGFyazovL3VzL1JPT00v");
  CHECK_INT(m.enabled_join_before_host, 0);
  CHECK_INT(m.adhoc, 1);
  CHECK_INT(m.has_registration, 1);
  CHECK(m.recurrence == NULL);
  CHECK(m.meeting_series_id == NULL);
  cJSON_Delete(root);

  /* wrong types read as absent, never as garbage */
  const char *odd = "{\"id\":\"x\",\"title\":5,\"adhoc\":\"yes\",\"state\":null}";
  root = usm__json_parse(odd, strlen(odd));
  CHECK_INT(usm__parse_meeting(root, &m), USM_OK);
  CHECK(m.title == NULL && m.state == NULL);
  CHECK_INT(m.adhoc, -1);
  cJSON_Delete(root);

  const char *bad[] = {"[]", "{}", "{\"id\":\"\"}", "{\"id\":7}", "\"str\"", "null"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    root = usm__json_parse(bad[i], strlen(bad[i]));
    CHECK_INT(usm__parse_meeting(root, &m), USM_ERR_BAD_RESPONSE);
    cJSON_Delete(root);
  }
  CHECK_INT(usm__parse_meeting(NULL, &m), USM_ERR_BAD_RESPONSE);
  CHECK(usm__json_parse("{\"id\":", 6) == NULL);
  CHECK(usm__json_parse(NULL, 0) == NULL);
}

static void test_lists(void) {
  const char *list = "{\"items\":[{\"id\":\"a\",\"title\":\"A\"},{\"id\":\"b\",\"title\":\"B\"}]}";
  cJSON *root = usm__json_parse(list, strlen(list));
  usm_rest_meeting *items;
  size_t n;
  CHECK_INT(usm__parse_meeting_items(root, &items, &n), USM_OK);
  CHECK_INT(n, 2);
  CHECK_STR(items[1].id, "b");
  CHECK_STR(items[0].title, "A");
  free(items);
  cJSON_Delete(root);

  const char *empty = "{\"items\":[]}";
  root = usm__json_parse(empty, strlen(empty));
  CHECK_INT(usm__parse_meeting_items(root, &items, &n), USM_OK);
  CHECK_INT(n, 0);
  CHECK(items == NULL);
  cJSON_Delete(root);

  const char *bad[] = {"{}", "{\"items\":{}}", "{\"items\":[{\"id\":\"a\"},{}]}", "{\"items\":[1]}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    root = usm__json_parse(bad[i], strlen(bad[i]));
    CHECK_INT(usm__parse_meeting_items(root, &items, &n), USM_ERR_BAD_RESPONSE);
    CHECK(items == NULL && n == 0);
    cJSON_Delete(root);
  }

  const char *inv = "{\"items\":[{\"id\":\"870f_1\",\"email\":\"a@example.com\",\"displayName\":\"A\","
                    "\"coHost\":true,\"meetingId\":\"870f\",\"panelist\":false}]}";
  root = usm__json_parse(inv, strlen(inv));
  usm_rest_invitee *invs;
  CHECK_INT(usm__parse_invitee_items(root, &invs, &n), USM_OK);
  CHECK_INT(n, 1);
  CHECK_STR(invs[0].email, "a@example.com");
  CHECK_STR(invs[0].meeting_id, "870f");
  CHECK_INT(invs[0].co_host, 1);
  CHECK_INT(invs[0].panelist, 0);
  free(invs);
  cJSON_Delete(root);

  const char *inv_bad = "{\"items\":[{\"id\":\"870f_1\"}]}"; /* no email */
  root = usm__json_parse(inv_bad, strlen(inv_bad));
  CHECK_INT(usm__parse_invitee_items(root, &invs, &n), USM_ERR_BAD_RESPONSE);
  cJSON_Delete(root);
}

int main(void) {
  test_meeting();
  test_lists();
  return check_done("test_rest_parse");
}
