/* JSON → typed results for /meetings and /meetingInvitees (fuzzed). */
#ifndef USM_REST_MEETING_PARSE_H
#define USM_REST_MEETING_PARSE_H

#include <cjson/cJSON.h>
#include <usm/rest.h>

/* Strings point into @p o, which must outlive the result. */
usm_err usm__parse_meeting(const cJSON *o, usm_rest_meeting *m);
usm_err usm__parse_invitee(const cJSON *o, usm_rest_invitee *inv);

/* {"items": [...]} → array (free with free()); at most USM__MAX_ITEMS. */
#define USM__MAX_ITEMS 10000
usm_err usm__parse_meeting_items(const cJSON *root, usm_rest_meeting **items, size_t *count);
usm_err usm__parse_invitee_items(const cJSON *root, usm_rest_invitee **items, size_t *count);

#endif
