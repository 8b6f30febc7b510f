#include "locus_dto.h"

#include <stdio.h>

#include "http.h"
#include "timefmt.h"

void cloud_locus_url(const cloud_app *app, const cloud_locus *l, char *out, size_t cap) {
  snprintf(out, cap, "%s/locus/api/v1/loci/%s", app->base, l->id);
}

static const char *state_name(cloud_part_state s) {
  return s == CLOUD_PART_JOINED ? "JOINED" : s == CLOUD_PART_IDLE ? "IDLE" : "LEFT";
}

static cJSON *person(const cloud_app *app, const cloud_user *u, const char *alias) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", u->id);
  /* Guests appear under the name they chose; signed-in users under their
   * account's name. */
  cJSON_AddStringToObject(o, "name", alias && u->type == CLOUD_USER_GUEST ? alias : u->name);
  cloud_json_add_str(o, "email", u->email);
  cJSON_AddStringToObject(o, "orgId", app->store.org_id);
  cJSON_AddBoolToObject(o, "isExternal", u->type == CLOUD_USER_GUEST);
  return o;
}

static cJSON *device(const char *locus_url, const cloud_participant *p) {
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "url", p->device_url ? p->device_url : "");
  cJSON_AddStringToObject(d, "deviceType", "WEB");
  cJSON_AddStringToObject(d, "state", state_name(p->state));
  if (cloud_participant_in_lobby(p)) {
    cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "intent"), "type", "WAIT");
    char url[400];
    snprintf(url, sizeof url, "%s/participant/%s/keepAlive", locus_url, p->id);
    cJSON_AddStringToObject(d, "keepAliveUrl", url);
    cJSON_AddNumberToObject(d, "keepAliveSecs", CLOUD_KEEPALIVE_SECS);
  } else {
    cJSON_AddNullToObject(d, "intent");
  }
  cloud_json_add_str(d, "correlationId", p->correlation_id);
  return d;
}

static cJSON *participant(const cloud_app *app, const cloud_locus *l, const char *locus_url,
                          const cloud_participant *p) {
  char url[400];
  snprintf(url, sizeof url, "%s/participant/%s", locus_url, p->id);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", p->id);
  cJSON_AddStringToObject(o, "url", url);
  cJSON_AddStringToObject(o, "identity", p->user->id);
  cJSON_AddStringToObject(o, "type", "USER");
  cJSON_AddStringToObject(o, "state", state_name(p->state));
  cJSON_AddItemToObject(o, "person", person(app, p->user, p->alias));
  cJSON_AddBoolToObject(o, "guest", p->user->type == CLOUD_USER_GUEST);
  cJSON_AddBoolToObject(o, "moderator", p->moderator);
  cJSON_AddBoolToObject(o, "isCreator", p->user == l->meeting->host);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "devices"), device(locus_url, p));
  if (p->csis[0] || p->csis[1]) {
    /* how a receiver names the sender of a forwarded stream (its CSRC) */
    cJSON *csis = cJSON_AddArrayToObject(cJSON_AddObjectToObject(o, "status"), "csis");
    for (int k = 0; k < 2; k++)
      cJSON_AddItemToArray(csis, cJSON_CreateNumber((double)p->csis[k]));
  }
  cJSON *ctl = cJSON_AddObjectToObject(o, "controls");
  cJSON_AddBoolToObject(cJSON_AddObjectToObject(ctl, "audio"), "muted", p->audio_muted);
  cJSON_AddBoolToObject(cJSON_AddObjectToObject(ctl, "video"), "muted", p->video_muted);
  cJSON *role = cJSON_CreateObject();
  cJSON_AddStringToObject(role, "type", "MODERATOR");
  cJSON_AddBoolToObject(role, "hasRole", p->moderator);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(ctl, "role"), "roles"), role);
  return o;
}

cJSON *cloud_locus_dto(const cloud_app *app, const cloud_locus *l, const cloud_user *viewer) {
  const cloud_meeting *m = l->meeting;
  char url[300], buf[512], t[CLOUD_TIME_SIZE];
  cloud_locus_url(app, l, url, sizeof url);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "url", url);
  cloud_time_format_ms(l->created_ms, t);
  cJSON_AddStringToObject(o, "created", t);

  cJSON *info = cJSON_AddObjectToObject(o, "info");
  cloud_meeting_sip(m, buf, sizeof buf);
  cJSON_AddStringToObject(info, "sipUri", buf);
  cJSON_AddStringToObject(info, "webExMeetingId", m->number);
  cJSON_AddStringToObject(info, "webExSite", CLOUD_SITE);
  cJSON_AddStringToObject(info, "webExMeetingName", m->title ? m->title : "");
  cJSON_AddBoolToObject(info, "isUnifiedSpaceMeeting", 1);
  cJSON_AddBoolToObject(info, "isPmr", m->kind == CLOUD_MEETING_PERSONAL_ROOM);
  cJSON_AddStringToObject(info, "owner", m->host->id);

  cJSON *host = cJSON_AddObjectToObject(o, "host");
  cJSON_AddStringToObject(host, "id", l->host->id);
  cJSON_AddStringToObject(host, "name", l->host->name);
  cJSON_AddStringToObject(host, "orgId", app->store.org_id);
  cJSON_AddBoolToObject(host, "isExternal", l->host->type == CLOUD_USER_GUEST);

  size_t joined = cloud_locus_joined(l);
  cJSON *full = cJSON_AddObjectToObject(o, "fullState");
  cJSON_AddBoolToObject(full, "active", !l->ended && joined > 0);
  cJSON_AddNumberToObject(full, "count", (double)joined);
  cJSON_AddBoolToObject(full, "locked", l->locked);
  cJSON_AddStringToObject(full, "state", l->ended ? "INACTIVE" : "ACTIVE");
  cJSON_AddStringToObject(full, "type", "MEETING");
  cloud_time_format_ms(l->last_active_ms, t);
  cJSON_AddStringToObject(full, "lastActive", t);

  cJSON_AddBoolToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "controls"), "lock"),
                        "locked", l->locked);

  cJSON *parts = cJSON_AddArrayToObject(o, "participants");
  const cloud_participant *self = NULL;
  for (size_t i = 0; i < l->participants.len; i++) {
    const cloud_participant *p = l->participants.items[i];
    cJSON_AddItemToArray(parts, participant(app, l, url, p));
    if (viewer && p->user == viewer) self = p;
  }
  if (self) cJSON_AddItemToObject(o, "self", participant(app, l, url, self));

  cJSON *seq = cJSON_AddObjectToObject(o, "sequence");
  cJSON_AddItemToArray(cJSON_AddArrayToObject(seq, "entries"),
                       cJSON_CreateNumber((double)l->sequence));
  cJSON_AddNumberToObject(seq, "rangeStart", 0);
  cJSON_AddNumberToObject(seq, "rangeEnd", 0);
  snprintf(buf, sizeof buf, "%s/sync", url);
  cJSON_AddStringToObject(o, "syncUrl", buf);
  return o;
}
