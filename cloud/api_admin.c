/* The admin API (plain HTTP, 127.0.0.1 only, never part of the public
 * API): faults, reset, a state summary for tests, and adding users. */
#include <stdio.h>

#include "app.h"
#include "config.h"
#include "hydra_ids.h"
#include "locus_dto.h"
#include "locus_model.h"

static const char *const KIND[] = {"scheduled", "personalRoom", "adhoc"};
static const char *const TYPE[] = {"person", "serviceApp", "guest"};
static const char *const PART[] = {"IDLE", "JOINED", "LEFT"};

static void bad_request(cloud_req *q, cloud_resp *r, const char *why) {
  cloud_resp_error(r, q, 400, "The input parameters contain invalid items.", why);
}

/* POST /admin/faults */
static void faults(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cJSON *body = cloud_req_json(q);
  char err[200];
  if (!body)
    bad_request(q, r, "The body must be a JSON object ({} clears every fault).");
  else if (cloud_faults_set(&app->faults, body, err, sizeof err) != 0)
    bad_request(q, r, err);
  else
    cloud_resp_json(r, 200, cloud_faults_json(&app->faults));
  cJSON_Delete(body);
}

/* POST /admin/reset */
static void reset(cloud_app *app, cloud_req *q, cloud_resp *r) {
  (void)q;
  cloud_store_reset(&app->store);
  cloud_resp_json(r, 200, cJSON_CreateObject());
}

/* Everything a test needs to know about a meeting, secrets included: the
 * admin listener is for tests on this machine only. */
static cJSON *meeting_summary(const cloud_meeting *m) {
  char buf[512];
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", m->id);
  cJSON_AddStringToObject(o, "kind", KIND[m->kind]);
  cJSON_AddStringToObject(o, "meetingNumber", m->number);
  cJSON_AddStringToObject(o, "title", m->title ? m->title : "");
  cJSON_AddStringToObject(o, "hostEmail", m->host->email ? m->host->email : "");
  cJSON_AddStringToObject(o, "state", cloud_meeting_state(m));
  cJSON_AddStringToObject(o, "password", m->password ? m->password : "");
  cJSON_AddStringToObject(o, "hostKey", m->host_key);
  cloud_meeting_sip(m, buf, sizeof buf);
  cJSON_AddStringToObject(o, "sipAddress", buf);
  cloud_meeting_link(m, buf, sizeof buf);
  cJSON_AddStringToObject(o, "webLink", buf);
  cJSON_AddNumberToObject(o, "invitees", (double)m->invitees.len);
  if (m->locus) cJSON_AddStringToObject(o, "locusId", m->locus->id);
  return o;
}

static cJSON *locus_summary(const cloud_app *app, const cloud_locus *l) {
  char url[300];
  cloud_locus_url(app, l, url, sizeof url);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", l->id);
  cJSON_AddStringToObject(o, "url", url);
  cJSON_AddStringToObject(o, "meetingId", l->meeting->id);
  cJSON_AddStringToObject(o, "state", l->ended ? "INACTIVE" : "ACTIVE");
  cJSON_AddBoolToObject(o, "locked", l->locked);
  cJSON_AddNumberToObject(o, "sequence", (double)l->sequence);
  cJSON_AddStringToObject(o, "hostId", l->host->id);
  cJSON *parts = cJSON_AddArrayToObject(o, "participants");
  for (size_t i = 0; i < l->participants.len; i++) {
    const cloud_participant *p = l->participants.items[i];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "id", p->id);
    cJSON_AddStringToObject(e, "userId", p->user->id);
    cJSON_AddStringToObject(e, "name", p->user->name);
    cJSON_AddStringToObject(e, "state", PART[p->state]);
    cJSON_AddBoolToObject(e, "inLobby", cloud_participant_in_lobby(p));
    cJSON_AddBoolToObject(e, "moderator", p->moderator);
    if (p->alias) cJSON_AddStringToObject(e, "alias", p->alias);
    if (p->bot) cJSON_AddBoolToObject(e, "bot", 1);
    if (p->csis[0] || p->csis[1]) {
      cJSON *csis = cJSON_AddArrayToObject(e, "csis");
      for (int k = 0; k < 2; k++)
        cJSON_AddItemToArray(csis, cJSON_CreateNumber((double)p->csis[k]));
    }
    cJSON_AddItemToArray(parts, e);
  }
  return o;
}

static cJSON *user_summary(const cloud_user *u) {
  char id[CLOUD_HYDRA_SIZE];
  cloud_hydra_encode("PEOPLE", u->id, id);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", u->id);
  cJSON_AddStringToObject(o, "personId", id);
  if (u->email) cJSON_AddStringToObject(o, "email", u->email);
  cJSON_AddStringToObject(o, "name", u->name);
  cJSON_AddStringToObject(o, "type", TYPE[u->type]);
  cJSON_AddBoolToObject(o, "licensed", u->licensed);
  if (u->pmr) cJSON_AddStringToObject(o, "personalRoomId", u->pmr->id);
  return o;
}

/* GET /admin/state */
static void state(cloud_app *app, cloud_req *q, cloud_resp *r) {
  (void)q;
  const cloud_store *s = &app->store;
  cJSON *root = cJSON_CreateObject();
  cJSON *users = cJSON_AddArrayToObject(root, "users");
  for (size_t i = 0; i < s->users.len; i++)
    cJSON_AddItemToArray(users, user_summary(s->users.items[i]));
  cJSON *spaces = cJSON_AddArrayToObject(root, "spaces");
  for (size_t i = 0; i < s->spaces.len; i++) {
    const cloud_space *sp = s->spaces.items[i];
    char id[CLOUD_HYDRA_SIZE];
    cloud_hydra_encode("ROOM", sp->id, id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", sp->id);
    cJSON_AddStringToObject(o, "roomId", id);
    cJSON_AddStringToObject(o, "title", sp->title);
    cJSON_AddItemToArray(spaces, o);
  }
  cJSON *meetings = cJSON_AddArrayToObject(root, "meetings");
  for (size_t i = 0; i < s->meetings.len; i++)
    cJSON_AddItemToArray(meetings, meeting_summary(s->meetings.items[i]));
  cJSON *loci = cJSON_AddArrayToObject(root, "loci");
  for (size_t i = 0; i < s->loci.len; i++)
    cJSON_AddItemToArray(loci, locus_summary(app, s->loci.items[i]));
  cJSON_AddNumberToObject(root, "pendingCaptchas", (double)s->captchas.len);
  cJSON_AddNumberToObject(root, "devices", (double)s->devices.len);
  cJSON_AddItemToObject(root, "faults", cloud_faults_json(&app->faults));
  cloud_resp_json(r, 200, root);
}

/* POST /admin/users */
static void add_user(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cJSON *body = cloud_req_json(q);
  char err[300] = "The body must be a JSON object.";
  cloud_user *u = body ? cloud_config_add_user(&app->store, body, err, sizeof err) : NULL;
  if (u)
    cloud_resp_json(r, 200, user_summary(u));
  else
    bad_request(q, r, err);
  cJSON_Delete(body);
}

const cloud_route cloud_admin_routes[] = {
    {CLOUD_POST, "/admin/faults", faults, 0},
    {CLOUD_POST, "/admin/reset", reset, 0},
    {CLOUD_GET, "/admin/state", state, 0},
    {CLOUD_POST, "/admin/users", add_user, 0},
    {0, NULL, NULL, 0},
};
