#include "rest/meeting_parse.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rest/json.h"

/* The meeting object's fields, sorted by key for bsearch: one pass over the
 * members instead of a linear lookup per field (a list of 100 meetings
 * parsed twice as slowly as cJSON itself that way; see bench/). */
typedef enum { STR, BOOL, OBJ } kind;
static const struct field {
  const char *key;
  kind k;
  size_t off;
} fields[] = {
#define F(key, k, member) {key, k, offsetof(usm_rest_meeting, member)}
  F("adhoc", BOOL, adhoc),
  F("agenda", STR, agenda),
  F("dialInIpAddress", STR, dial_in_ip_address),
  F("enabledJoinBeforeHost", BOOL, enabled_join_before_host),
  F("end", STR, end),
  F("hostDisplayName", STR, host_display_name),
  F("hostEmail", STR, host_email),
  F("hostKey", STR, host_key),
  F("hostUserId", STR, host_user_id),
  F("id", STR, id),
  F("meetingNumber", STR, meeting_number),
  F("meetingSeriesId", STR, meeting_series_id),
  F("meetingType", STR, meeting_type),
  F("password", STR, password),
  F("phoneAndVideoSystemPassword", STR, phone_and_video_system_password),
  F("recurrence", STR, recurrence),
  F("registration", OBJ, has_registration),
  F("roomId", STR, room_id),
  F("scheduledMeetingId", STR, scheduled_meeting_id),
  F("scheduledType", STR, scheduled_type),
  F("sipAddress", STR, sip_address),
  F("siteUrl", STR, site_url),
  F("start", STR, start),
  F("state", STR, state),
  F("timezone", STR, timezone),
  F("title", STR, title),
  F("webLink", STR, web_link),
#undef F
};

static int field_cmp(const void *key, const void *f) { return strcmp(key, ((const struct field *)f)->key); }

usm_err usm__parse_meeting(const cJSON *o, usm_rest_meeting *m) {
  memset(m, 0, sizeof *m);
  m->adhoc = m->enabled_join_before_host = m->has_registration = -1;
  if (!cJSON_IsObject(o)) return USM_ERR_BAD_RESPONSE;
  const cJSON *v;
  cJSON_ArrayForEach(v, o) {
    if (!v->string) continue;
    const struct field *f = bsearch(v->string, fields, sizeof fields / sizeof fields[0], sizeof fields[0], field_cmp);
    if (!f) continue; /* fields libusm does not model */
    char *slot = (char *)m + f->off;
    /* a repeated key: the first one wins, as cJSON's own lookup does */
    if (f->k == STR && cJSON_IsString(v) && !*(const char **)slot)
      *(const char **)slot = v->valuestring;
    else if (f->k == BOOL && cJSON_IsBool(v) && *(int *)slot == -1)
      *(int *)slot = cJSON_IsTrue(v);
    else if (f->k == OBJ && cJSON_IsObject(v))
      *(int *)slot = 1;
  }
  if (!m->id || !m->id[0]) return USM_ERR_BAD_RESPONSE; /* every meeting object has one */
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
