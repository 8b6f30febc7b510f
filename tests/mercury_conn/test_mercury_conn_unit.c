/* Unit tests for the Mercury connection's pure parts: the transition table,
 * the close-code table (PROTOCOL.md §6.3) and the frames. */
#include <cjson/cJSON.h>
#include <string.h>

#include "check.h"
#include "core/client_internal.h"
#include "mercury/connection_close.h"
#include "mercury/connection_fsm.h"
#include "mercury/frames.h"

static void test_fsm(void) {
  CHECK_INT(usm__mfsm_next(USM__MS_IDLE, USM__ME_START), USM__MS_CONNECTING);
  CHECK_INT(usm__mfsm_next(USM__MS_CONNECTING, USM__ME_OPENED), USM__MS_AUTHORIZING);
  CHECK_INT(usm__mfsm_next(USM__MS_AUTHORIZING, USM__ME_AUTHORIZED), USM__MS_ONLINE);
  CHECK_INT(usm__mfsm_next(USM__MS_ONLINE, USM__ME_LOST), USM__MS_RECONNECTING);
  CHECK_INT(usm__mfsm_next(USM__MS_RECONNECTING, USM__ME_RETRY), USM__MS_CONNECTING);
  CHECK_INT(usm__mfsm_next(USM__MS_ONLINE, USM__ME_FATAL), USM__MS_OFFLINE);
  CHECK_INT(usm__mfsm_next(USM__MS_AUTHORIZING, USM__ME_GIVE_UP), USM__MS_OFFLINE);
  CHECK_INT(usm__mfsm_next(USM__MS_OFFLINE, USM__ME_START), USM__MS_CONNECTING);
  /* Never online without authorization, never two connects at once. */
  CHECK_INT(usm__mfsm_next(USM__MS_CONNECTING, USM__ME_AUTHORIZED), -1);
  CHECK_INT(usm__mfsm_next(USM__MS_CONNECTING, USM__ME_START), -1);
  CHECK_INT(usm__mfsm_next(USM__MS_ONLINE, USM__ME_START), -1);
  CHECK_INT(usm__mfsm_next(USM__MS_RECONNECTING, USM__ME_LOST), -1);
  CHECK_INT(usm__mfsm_next(USM__MS_ONLINE, USM__ME_RETRY), -1);
  CHECK_INT(usm__mfsm_next(USM__MS_OFFLINE, USM__ME_RETRY), -1);
  CHECK_INT(usm__mfsm_next(USM__MS_COUNT, USM__ME_START), -1);
  CHECK_INT(usm__mfsm_next(USM__MS_IDLE, USM__ME_COUNT), -1);
  /* STOP goes idle from everywhere. */
  for (int s = 0; s < USM__MS_COUNT; s++) CHECK_INT(usm__mfsm_next((usm__mstate)s, USM__ME_STOP), USM__MS_IDLE);
  /* Every state is reachable and has a name. */
  for (int s = 0; s < USM__MS_COUNT; s++) CHECK(strcmp(usm__mstate_name((usm__mstate)s), "?") != 0);
  for (int e = 0; e < USM__ME_COUNT; e++) CHECK(strcmp(usm__mevent_name((usm__mevent)e), "?") != 0);
}

static void test_close_codes(void) {
  CHECK_INT(usm__mclose_classify(4000, "replaced", 1), USM__MCLOSE_REPLACED);
  CHECK_INT(usm__mclose_classify(4000, "", 0), USM__MCLOSE_REPLACED);
  CHECK_INT(usm__mclose_classify(1005, "replaced", 1), USM__MCLOSE_REPLACED);
  CHECK_INT(usm__mclose_classify(4401, "unauthorized", 0), USM__MCLOSE_REFRESH_TOKEN);
  CHECK_INT(usm__mclose_classify(4401, "", 1), USM__MCLOSE_REFRESH_TOKEN);
  CHECK_INT(usm__mclose_classify(4400, "", 0), USM__MCLOSE_BAD_REQUEST);
  CHECK_INT(usm__mclose_classify(4403, "", 0), USM__MCLOSE_FORBIDDEN);
  CHECK_INT(usm__mclose_classify(4403, "", 1), USM__MCLOSE_FORBIDDEN);
  const int transient[] = {1001, 1005, 1006, 1011};
  for (unsigned i = 0; i < 4; i++) CHECK_INT(usm__mclose_classify(transient[i], "", 1), USM__MCLOSE_RECONNECT);
  const char *reasons[] = {"idle", "done (forced)", "pong not received", "pong mismatch", "Pong Not Received"};
  for (unsigned i = 0; i < 5; i++) {
    CHECK_INT(usm__mclose_classify(1000, reasons[i], 1), USM__MCLOSE_RECONNECT);
    CHECK_INT(usm__mclose_classify(1050, reasons[i], 1), USM__MCLOSE_RECONNECT);
  }
  CHECK_INT(usm__mclose_classify(1000, "Done", 1), USM__MCLOSE_PERMANENT);
  CHECK_INT(usm__mclose_classify(1000, NULL, 1), USM__MCLOSE_PERMANENT);
  CHECK_INT(usm__mclose_classify(1003, "", 1), USM__MCLOSE_PERMANENT);
  CHECK_INT(usm__mclose_classify(4999, "", 1), USM__MCLOSE_PERMANENT);
  CHECK_INT(usm__mclose_classify(1005, "authentication failed", 0), USM__MCLOSE_PERMANENT);
  /* Before authorization anything else is a connection error: retry. */
  CHECK_INT(usm__mclose_classify(1000, "Done", 0), USM__MCLOSE_RECONNECT);
  CHECK_INT(usm__mclose_classify(1003, "", 0), USM__MCLOSE_RECONNECT);
}

static void test_frames(void) {
  usm__mframe f;
  const char *ev = "{\"id\":\"a1\",\"data\":{\"eventType\":\"locus.difference\",\"x\":1},\"sequenceNumber\":7}";
  CHECK_INT(usm__mframe_parse(ev, strlen(ev), &f), 0);
  CHECK_STR(f.id, "a1");
  CHECK(f.type == NULL);
  CHECK_STR(f.event_type, "locus.difference");
  CHECK_INT(f.has_seq, 1);
  CHECK_INT(f.seq, 7);
  CHECK(!usm__mframe_is_auth_reply(&f));
  usm__mframe_free(&f);

  const char *bs = "{\"id\":\"b\",\"data\":{\"eventType\":\"mercury.buffer_state\"},\"sequenceNumber\":1}";
  CHECK_INT(usm__mframe_parse(bs, strlen(bs), &f), 0);
  CHECK(usm__mframe_is_auth_reply(&f));
  usm__mframe_free(&f);
  const char *rs = "{\"data\":{\"eventType\":\"mercury.registration_status\"}}";
  CHECK_INT(usm__mframe_parse(rs, strlen(rs), &f), 0);
  CHECK(usm__mframe_is_auth_reply(&f));
  usm__mframe_free(&f);
  /* A typed frame never authorizes, even with the event type. */
  const char *typed = "{\"type\":\"x\",\"data\":{\"eventType\":\"mercury.buffer_state\"}}";
  CHECK_INT(usm__mframe_parse(typed, strlen(typed), &f), 0);
  CHECK(!usm__mframe_is_auth_reply(&f));
  usm__mframe_free(&f);

  /* Odd sequence numbers are ignored, not trusted. */
  const char *odd[] = {"{\"sequenceNumber\":1.5}", "{\"sequenceNumber\":-1}", "{\"sequenceNumber\":\"3\"}",
                       "{\"sequenceNumber\":1e300}", "{\"id\":5,\"data\":[1]}"};
  for (unsigned i = 0; i < 5; i++) {
    CHECK_INT(usm__mframe_parse(odd[i], strlen(odd[i]), &f), 0);
    CHECK_INT(f.has_seq, 0);
    CHECK(f.id == NULL && f.data == NULL);
    usm__mframe_free(&f);
  }
  const char *bad[] = {"", "not json", "[1,2]", "\"s\"", "{\"a\":", "}{"};
  for (unsigned i = 0; i < 6; i++) CHECK_INT(usm__mframe_parse(bad[i], strlen(bad[i]), &f), -1);

  char *a = usm__mframe_authorization("id-1", "tok\"en", "trk");
  cJSON *o = cJSON_Parse(a);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "type")), "authorization");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "token")), "Bearer tok\"en");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "trackingId")), "trk");
  cJSON_Delete(o);
  free(a);
  char *p = usm__mframe_ping("p1");
  CHECK_STR(p, "{\"id\":\"p1\",\"type\":\"ping\"}");
  free(p);
  char *k = usm__mframe_ack("m1");
  CHECK_STR(k, "{\"messageId\":\"m1\",\"type\":\"ack\"}");
  free(k);
}

static void test_options_and_token(void) {
  usm_client_options o;
  usm_client_options_init(&o);
  CHECK_INT(o.mercury_ping_interval_ms, 15000);
  CHECK_INT(o.mercury_pong_timeout_ms, 14000);
  CHECK_INT(o.mercury_max_retries, 10);
  CHECK(o.token_refresh_cb == NULL);
  o.access_token = "tok";
  usm_client *c = NULL;
  o.mercury_ping_interval_ms = 0;
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INVALID_ARG);
  o.mercury_ping_interval_ms = 100;
  o.mercury_pong_timeout_ms = -1;
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INVALID_ARG);
  o.mercury_pong_timeout_ms = 100;
  o.mercury_max_retries = 1001;
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INVALID_ARG);
  /* An application built against the 0.1 struct: the new fields are not read. */
  o.struct_size = offsetof(usm_client_options, mercury_ping_interval_ms);
  o.mercury_ping_interval_ms = -5;
  CHECK_INT(usm_client_create(&o, &c), USM_OK);
  CHECK_INT(c->mercury_ping_interval_ms, 15000);
  CHECK_INT(c->mercury_pong_timeout_ms, 14000);
  CHECK_INT(c->mercury_max_retries, 10);
  CHECK(c->token_refresh_cb == NULL);

  CHECK_INT(usm_client_set_token(NULL, "x"), USM_ERR_INVALID_HANDLE);
  CHECK_INT(usm_client_set_token(c, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_client_set_token(c, ""), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_client_set_token(c, "a b"), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_client_set_token(c, "a\nb"), USM_ERR_INVALID_ARG);
  char big[9000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  CHECK_INT(usm_client_set_token(c, big), USM_ERR_LIMIT);
  CHECK_STR(c->access_token, "tok");
  CHECK_INT(usm_client_set_token(c, "fresh"), USM_OK);
  CHECK_STR(c->access_token, "fresh");
  usm_client_destroy(c);
}

int main(void) {
  test_options_and_token();
  test_fsm();
  test_close_codes();
  test_frames();
  return check_done("test_mercury_conn_unit");
}
