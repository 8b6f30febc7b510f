#include "meeting_json.h"

#include <stdio.h>

#include "http.h"
#include "hydra_ids.h"
#include "timefmt.h"

static void add_telephony(cJSON *o, const cloud_meeting *m) {
  cJSON *t = cJSON_AddObjectToObject(o, "telephony");
  cJSON_AddStringToObject(t, "accessCode", m->number);
  cJSON *numbers = cJSON_AddArrayToObject(t, "callInNumbers");
  cJSON *n = cJSON_CreateObject();
  cJSON_AddStringToObject(n, "label", "Local cloud call-in (not dialable)");
  cJSON_AddStringToObject(n, "callInNumber", "+15550100");
  cJSON_AddStringToObject(n, "tollType", "toll");
  cJSON_AddItemToArray(numbers, n);
  cJSON_AddArrayToObject(t, "links");
}

cJSON *cloud_meeting_json(const cloud_meeting *m, int list_form) {
  char buf[512], t[CLOUD_TIME_SIZE];
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", m->id);
  if (list_form) cJSON_AddStringToObject(o, "meetingSeriesId", m->id);
  cJSON_AddStringToObject(o, "meetingNumber", m->number);
  cJSON_AddStringToObject(o, "title", m->title ? m->title : "");
  cloud_json_add_str(o, "agenda", m->agenda);
  cJSON_AddStringToObject(o, "password", m->password ? m->password : "");
  cJSON_AddStringToObject(o, "phoneAndVideoSystemPassword", m->video_password);
  /* An ad hoc meeting is a single live instance, not a series. */
  int adhoc = m->kind == CLOUD_MEETING_ADHOC;
  cJSON_AddStringToObject(o, "meetingType", adhoc ? "meeting" : "meetingSeries");
  cJSON_AddStringToObject(o, "state", cloud_meeting_state(m));
  if (list_form) cJSON_AddBoolToObject(o, "isModified", 0);
  cJSON_AddStringToObject(o, "timezone", m->timezone ? m->timezone : "UTC");
  cloud_time_format(m->start, t);
  cJSON_AddStringToObject(o, "start", t);
  cloud_time_format(m->end, t);
  cJSON_AddStringToObject(o, "end", t);
  cloud_json_add_str(o, "recurrence", m->recurrence);
  cloud_hydra_encode("PEOPLE", m->host->id, buf);
  cJSON_AddStringToObject(o, "hostUserId", buf);
  cJSON_AddStringToObject(o, "hostDisplayName", m->host->name);
  cJSON_AddStringToObject(o, "hostEmail", m->host->email ? m->host->email : "");
  cJSON_AddStringToObject(o, "hostKey", m->host_key);
  cJSON_AddStringToObject(o, "siteUrl", CLOUD_SITE);
  cloud_meeting_link(m, buf, sizeof buf);
  cJSON_AddStringToObject(o, "webLink", buf);
  cloud_meeting_sip(m, buf, sizeof buf);
  cJSON_AddStringToObject(o, "sipAddress", buf);
  cJSON_AddStringToObject(o, "dialInIpAddress", "127.0.0.1");
  if (m->space) {
    cloud_hydra_encode("ROOM", m->space->id, buf);
    cJSON_AddStringToObject(o, "roomId", buf);
  }
  if (adhoc) cJSON_AddBoolToObject(o, "adhoc", 1);
  cJSON_AddStringToObject(o, "scheduledType", "meeting");
  const cJSON *opt;
  cJSON_ArrayForEach(opt, m->options)
      cJSON_AddItemToObject(o, opt->string, cJSON_Duplicate(opt, 1));
  add_telephony(o, m);
  if (!cJSON_HasObjectItem(o, "enabledBreakoutSessions"))
    cJSON_AddBoolToObject(o, "enabledBreakoutSessions", 0);
  return o;
}

cJSON *cloud_invitee_json(const cloud_meeting *m, const cloud_invitee *inv) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", inv->id);
  cJSON_AddStringToObject(o, "email", inv->email);
  cJSON_AddStringToObject(o, "displayName", inv->display_name);
  cJSON_AddBoolToObject(o, "coHost", inv->co_host);
  cJSON_AddStringToObject(o, "meetingId", m->id);
  cJSON_AddBoolToObject(o, "panelist", inv->panelist);
  return o;
}
