/* Meetings and invitees as the /v1 REST API returns them. */
#ifndef USM_CLOUD_MEETING_JSON_H
#define USM_CLOUD_MEETING_JSON_H

#include <cjson/cJSON.h>

#include "meeting_store.h"

/* The spec's MeetingSeriesObject; with @p list_form also the members of
 * MeetingObjectForListMeeting (list and update responses). */
cJSON *cloud_meeting_json(const cloud_meeting *m, int list_form);
/* The spec's GetInviteeObject. */
cJSON *cloud_invitee_json(const cloud_meeting *m, const cloud_invitee *inv);

#endif
