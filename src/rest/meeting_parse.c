#include "rest/meeting_parse.h"

#include <stdlib.h>
#include <string.h>

#include "rest/json.h"

usm_err usm__parse_meeting(const cJSON *o, usm_rest_meeting *m) {
  memset(m, 0, sizeof *m);
  if (!cJSON_IsObject(o)) return USM_ERR_BAD_RESPONSE;
  m->id = usm__json_str(o, "id");
  if (!m->id || !m->id[0]) return USM_ERR_BAD_RESPONSE; /* every meeting object has one */
  m->meeting_number = usm__json_str(o, "meetingNumber");
  m->title = usm__json_str(o, "title");
  m->agenda = usm__json_str(o, "agenda");
  m->password = usm__json_str(o, "password");
  m->phone_and_video_system_password = usm__json_str(o, "phoneAndVideoSystemPassword");
  m->meeting_type = usm__json_str(o, "meetingType");
  m->state = usm__json_str(o, "state");
  m->timezone = usm__json_str(o, "timezone");
  m->start = usm__json_str(o, "start");
  m->end = usm__json_str(o, "end");
  m->recurrence = usm__json_str(o, "recurrence");
  m->host_user_id = usm__json_str(o, "hostUserId");
  m->host_display_name = usm__json_str(o, "hostDisplayName");
  m->host_email = usm__json_str(o, "hostEmail");
  m->host_key = usm__json_str(o, "hostKey");
  m->site_url = usm__json_str(o, "siteUrl");
  m->web_link = usm__json_str(o, "webLink");
  m->sip_address = usm__json_str(o, "sipAddress");
  m->dial_in_ip_address = usm__json_str(o, "dialInIpAddress");
  m->room_id = usm__json_str(o, "roomId");
  m->meeting_series_id = usm__json_str(o, "meetingSeriesId");
  m->scheduled_meeting_id = usm__json_str(o, "scheduledMeetingId");
  m->scheduled_type = usm__json_str(o, "scheduledType");
  m->adhoc = usm__json_bool(o, "adhoc");
  m->enabled_join_before_host = usm__json_bool(o, "enabledJoinBeforeHost");
  m->has_registration = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "registration")) ? 1 : -1;
  return USM_OK;
}

usm_err usm__parse_invitee(const cJSON *o, usm_rest_invitee *inv) {
  memset(inv, 0, sizeof *inv);
  if (!cJSON_IsObject(o)) return USM_ERR_BAD_RESPONSE;
  inv->id = usm__json_str(o, "id");
  inv->email = usm__json_str(o, "email");
  if (!inv->id || !inv->id[0] || !inv->email) return USM_ERR_BAD_RESPONSE;
  inv->display_name = usm__json_str(o, "displayName");
  inv->meeting_id = usm__json_str(o, "meetingId");
  inv->co_host = usm__json_bool(o, "coHost");
  inv->panelist = usm__json_bool(o, "panelist");
  return USM_OK;
}

/* One generic walk over {"items": [...]} for both element types. */
static usm_err parse_items(const cJSON *root, size_t elem_size, usm_err (*parse)(const cJSON *, void *),
                           void **items, size_t *count) {
  *items = NULL;
  *count = 0;
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "items");
  if (!cJSON_IsArray(arr)) return USM_ERR_BAD_RESPONSE;
  int n = cJSON_GetArraySize(arr);
  if (n < 0 || n > USM__MAX_ITEMS) return USM_ERR_LIMIT;
  if (n == 0) return USM_OK;
  char *out = calloc((size_t)n, elem_size);
  if (!out) return USM_ERR_NO_MEMORY;
  size_t i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    usm_err err = parse(e, out + i * elem_size);
    if (err != USM_OK) {
      free(out);
      return err;
    }
    i++;
  }
  *items = out;
  *count = i;
  return USM_OK;
}

static usm_err parse_meeting_any(const cJSON *o, void *out) { return usm__parse_meeting(o, out); }
static usm_err parse_invitee_any(const cJSON *o, void *out) { return usm__parse_invitee(o, out); }

usm_err usm__parse_meeting_items(const cJSON *root, usm_rest_meeting **items, size_t *count) {
  return parse_items(root, sizeof(usm_rest_meeting), parse_meeting_any, (void **)items, count);
}

usm_err usm__parse_invitee_items(const cJSON *root, usm_rest_invitee **items, size_t *count) {
  return parse_items(root, sizeof(usm_rest_invitee), parse_invitee_any, (void **)items, count);
}
