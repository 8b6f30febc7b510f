/* Locus: join (or wait in the lobby), keep-alive, leave, end, admit,
 * lock, host transfer, mute, invite, and the DTO itself. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "locus_dto.h"
#include "permission.h"
#include "rest/json.h"

#define MAX_FIELD 2048
#define MAX_IDS 100

static void fail(cloud_resp *r, const cloud_req *q, cloud_locus_rc rc) {
  switch (rc) {
  case CLOUD_LOCUS_NOT_ACTIVE:
    cloud_resp_locus_error(r, q, 409, 2409001, "MEETING_NOT_ACTIVE");
    break;
  case CLOUD_LOCUS_LOCKED: cloud_resp_locus_error(r, q, 423, 2423005, "MEETING_IS_LOCKED"); break;
  case CLOUD_LOCUS_NOT_MODERATOR:
    cloud_resp_locus_error(r, q, 403, 2403001, "REQUESTING_PARTICIPANT_NOT_MODERATOR");
    break;
  case CLOUD_LOCUS_NOT_JOINED:
    cloud_resp_locus_error(r, q, 403, 2403002, "REQUESTING_PARTICIPANT_NOT_JOINED");
    break;
  case CLOUD_LOCUS_BAD_TARGET:
    cloud_resp_locus_error(r, q, 400, 2400001, "INVALID_TARGET_PARTICIPANT");
    break;
  case CLOUD_LOCUS_NOT_FOUND:
    cloud_resp_locus_error(r, q, 404, 2404001, "PARTICIPANT_NOT_FOUND");
    break;
  case CLOUD_LOCUS_FULL:
    cloud_resp_locus_error(r, q, 403, 2403003, "EXCEEDED_MAX_JOINED_PARTICIPANTS");
    break;
  default: cloud_resp_locus_error(r, q, 500, 2500000, "INTERNAL_ERROR"); break;
  }
}

static cloud_locus *find(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_locus *l = cloud_locus_by_id(&app->store, q->params[0]);
  if (!l) cloud_resp_locus_error(r, q, 404, 2404000, "LOCUS_NOT_FOUND");
  return l;
}

/* 200 {"locus": DTO as the caller sees it} */
static void reply(cloud_app *app, cloud_req *q, cloud_resp *r, const cloud_locus *l) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddItemToObject(root, "locus", cloud_locus_dto(app, l, q->user));
  cloud_resp_json(r, 200, root);
}

/* Runs @p rc's outcome: the DTO on success, else the error. */
static void done(cloud_app *app, cloud_req *q, cloud_resp *r, const cloud_locus *l,
                 cloud_locus_rc rc) {
  if (rc == CLOUD_LOCUS_OK)
    reply(app, q, r, l);
  else
    fail(r, q, rc);
}

static cJSON *body_or_400(cloud_req *q, cloud_resp *r) {
  cJSON *b = cloud_req_json(q);
  if (!b) cloud_resp_locus_error(r, q, 400, 2400000, "INVALID_REQUEST_BODY");
  return b;
}

/* A bounded string member: 1 ok, 0 absent, -1 wrong. */
static int field(const cJSON *o, const char *key, const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v || cJSON_IsNull(v)) return 0;
  if (!cJSON_IsString(v) || strlen(v->valuestring) > MAX_FIELD) return -1;
  *out = v->valuestring;
  return 1;
}

/* The device URL must be one the caller registered with WDM. */
static int device_ok(const cloud_app *app, const cloud_user *u, const char *url) {
  char prefix[200];
  int n = snprintf(prefix, sizeof prefix, "%s/wdm/api/v1/devices/", app->base);
  if (n < 0 || strncmp(url, prefix, (size_t)n) != 0) return 0;
  const cloud_device *d = cloud_device_by_id(&app->store, url + n);
  return d && d->user == u;
}

static void join(cloud_app *app, cloud_req *q, cloud_resp *r, cloud_locus *l, const cJSON *body) {
  cloud_join j = {0};
  const char *token = NULL;
  const cJSON *dev = cJSON_GetObjectItemCaseSensitive(body, "device");
  const cJSON *mod = cJSON_GetObjectItemCaseSensitive(body, "moderator");
  if (field(dev, "url", &j.device_url) < 1 || field(body, "correlationId", &j.correlation_id) < 0 ||
      field(body, "alias", &j.alias) < 0 || field(body, "pin", &j.pin) < 0 ||
      field(body, "permissionToken", &token) < 0 || (mod && !cJSON_IsBool(mod)) ||
      (j.alias && strlen(j.alias) > 256)) {
    cloud_resp_locus_error(r, q, 400, 2400000, "INVALID_REQUEST_BODY");
    return;
  }
  if (!device_ok(app, q->user, j.device_url)) {
    cloud_resp_locus_error(r, q, 400, 2400003, "DEVICE_NOT_REGISTERED");
    return;
  }
  if (!cloud_permission_valid(&app->store, token, q->user, l->meeting)) {
    cloud_resp_locus_error(r, q, 403, 2403007, "INVALID_PERMISSION_TOKEN");
    return;
  }
  j.moderator = cJSON_IsTrue(mod);
  cloud_participant *p;
  cloud_locus_rc rc = cloud_locus_join(l, q->user, &j, &p);
  if (rc != CLOUD_LOCUS_OK) {
    fail(r, q, rc);
    return;
  }
  cJSON *root = cJSON_CreateObject();
  cJSON_AddItemToObject(root, "locus", cloud_locus_dto(app, l, q->user));
  cJSON_AddArrayToObject(root, "mediaConnections");
  cloud_resp_json(r, 200, root);
}

/* POST {locusUrl}/participant?alternateRedirect=true */
static void join_locus(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_locus *l = find(app, q, r);
  cJSON *body = l ? body_or_400(q, r) : NULL;
  if (body) join(app, q, r, l, body);
  cJSON_Delete(body);
}

/* POST {locus}/loci/call?alternateRedirect=true with invitee.address: the
 * meeting's join link, SIP address or "wbxmn:<number>". */
static void join_call(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cJSON *body = body_or_400(q, r);
  if (!body) return;
  const char *addr = NULL;
  cloud_meeting *m = NULL;
  if (field(cJSON_GetObjectItemCaseSensitive(body, "invitee"), "address", &addr) == 1) {
    if (strncmp(addr, "wbxmn:", 6) == 0)
      m = cloud_meeting_by_number(&app->store, addr + 6);
    else if (!(m = cloud_meeting_by_link(&app->store, addr)))
      m = cloud_meeting_by_sip(&app->store, addr);
  }
  cloud_locus *l = m ? cloud_locus_for(&app->store, m) : NULL;
  if (!l)
    cloud_resp_locus_error(r, q, 404, 2404000, "LOCUS_NOT_FOUND");
  else
    join(app, q, r, l, body);
  cJSON_Delete(body);
}

/* GET {locusUrl} and GET {locusUrl}/sync: the full DTO. */
static void get_dto(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_locus *l = find(app, q, r);
  if (l) cloud_resp_json(r, 200, cloud_locus_dto(app, l, q->user));
}

/* GET {locus}/loci: the sessions the caller is in (or waiting for). */
static void list_loci(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cJSON *root = cJSON_CreateObject();
  cJSON *loci = cJSON_AddArrayToObject(root, "loci");
  cJSON *urls = cJSON_AddArrayToObject(root, "locusUrls");
  cJSON_AddArrayToObject(root, "remoteLocusClusterUrls");
  for (size_t i = 0; i < app->store.loci.len; i++) {
    const cloud_locus *l = app->store.loci.items[i];
    const cloud_participant *p = cloud_locus_participant_of(l, q->user);
    if (l->ended || !p || p->state == CLOUD_PART_LEFT) continue;
    char url[300];
    cloud_locus_url(app, l, url, sizeof url);
    cJSON_AddItemToArray(loci, cloud_locus_dto(app, l, q->user));
    cJSON_AddItemToArray(urls, cJSON_CreateString(url));
  }
  cloud_resp_json(r, 200, root);
}

/* PUT {locusUrl}/participant/{id}/leave */
static void leave(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_locus *l = find(app, q, r);
  if (l) done(app, q, r, l, cloud_locus_leave(l, q->user, q->params[1]));
}

/* GET {keepAliveUrl} */
static void keepalive(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_locus *l = find(app, q, r);
  if (!l) return;
  cloud_locus_rc rc = cloud_locus_keepalive(l, q->user, q->params[1]);
  if (rc == CLOUD_LOCUS_OK)
    cloud_resp_json(r, 200, cJSON_CreateObject());
  else
    fail(r, q, rc);
}

/* POST {locusUrl}/end */
static void end(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_locus *l = find(app, q, r);
  if (l) done(app, q, r, l, cloud_locus_end(l, q->user));
}

/* PUT {locusUrl}/controls: admit from the lobby (other controls: no-op). */
static void put_controls(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_locus *l = find(app, q, r);
  cJSON *body = l ? body_or_400(q, r) : NULL;
  if (!body) return;
  const cJSON *admit = cJSON_GetObjectItemCaseSensitive(body, "admit");
  const cJSON *ids = cJSON_GetObjectItemCaseSensitive(admit, "participantIds"), *e;
  const char *list[MAX_IDS];
  size_t n = 0;
  int bad = admit && (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) > MAX_IDS);
  const cJSON *each = bad ? NULL : ids;
  cJSON_ArrayForEach(e, each) {
    if (!cJSON_IsString(e))
      bad = 1;
    else
      list[n++] = e->valuestring;
  }
  if (bad)
    cloud_resp_locus_error(r, q, 400, 2400000, "INVALID_REQUEST_BODY");
  else
    done(app, q, r, l,
         admit      ? cloud_locus_admit(l, q->user, list, n)
         : l->ended ? CLOUD_LOCUS_NOT_ACTIVE
                    : CLOUD_LOCUS_OK);
  cJSON_Delete(body);
}

/* PATCH {locusUrl}/controls: lock or unlock (other controls: no-op). */
static void patch_controls(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_locus *l = find(app, q, r);
  cJSON *body = l ? body_or_400(q, r) : NULL;
  if (!body) return;
  const cJSON *lock = cJSON_GetObjectItemCaseSensitive(body, "lock");
  const cJSON *locked = cJSON_GetObjectItemCaseSensitive(lock, "locked");
  if (lock && !cJSON_IsBool(locked))
    cloud_resp_locus_error(r, q, 400, 2400000, "INVALID_REQUEST_BODY");
  else
    done(app, q, r, l,
         lock       ? cloud_locus_lock(l, q->user, cJSON_IsTrue(locked))
         : l->ended ? CLOUD_LOCUS_NOT_ACTIVE
                    : CLOUD_LOCUS_OK);
  cJSON_Delete(body);
}

/* {"x":{"muted":bool}}: 0/1, -1 absent, -2 malformed. */
static int muted(const cJSON *body, const char *key) {
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(body, key);
  if (!o) return -1;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "muted");
  return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -2;
}

/* PATCH {locusUrl}/participant/{id}/controls: host role or mute. */
static void participant_controls(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_locus *l = find(app, q, r);
  cJSON *body = l ? body_or_400(q, r) : NULL;
  if (!body) return;
  const cJSON *role = cJSON_GetObjectItemCaseSensitive(body, "role");
  const cJSON *mod = cJSON_GetObjectItemCaseSensitive(role, "moderator");
  int audio = muted(body, "audio"), video = muted(body, "video");
  if ((role && !cJSON_IsTrue(mod)) || audio == -2 || video == -2 ||
      (!role && audio < 0 && video < 0)) {
    /* Taking the role away is done by giving it to someone else. */
    cloud_resp_locus_error(r, q, 400, 2400000, "INVALID_REQUEST_BODY");
  } else {
    cloud_locus_rc rc = CLOUD_LOCUS_OK;
    if (role) rc = cloud_locus_set_host(l, q->user, q->params[1]);
    if (rc == CLOUD_LOCUS_OK && (audio >= 0 || video >= 0))
      rc = cloud_locus_mute(l, q->user, q->params[1], audio, video);
    done(app, q, r, l, rc);
  }
  cJSON_Delete(body);
}

/* PUT {locusUrl} {"invitees":[{"address":..}], ...}: invite by email. */
static void invite(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_locus *l = find(app, q, r);
  cJSON *body = l ? body_or_400(q, r) : NULL;
  if (!body) return;
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "invitees"), *e;
  int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
  int ok = n > 0 && n <= MAX_IDS && !cJSON_HasObjectItem(body, "actionType");
  const cJSON *each = ok ? list : NULL;
  cJSON_ArrayForEach(e, each) {
    const char *addr = NULL;
    if (field(e, "address", &addr) < 1 || !cloud_email_valid(addr)) ok = 0;
  }
  cloud_locus_rc rc = CLOUD_LOCUS_OK;
  each = ok ? list : NULL;
  cJSON_ArrayForEach(e, each) {
    if (rc == CLOUD_LOCUS_OK) rc = cloud_locus_invite(l, q->user, usm__json_str(e, "address"));
  }
  if (!ok)
    cloud_resp_locus_error(r, q, 400, 2400002, "INVALID_INVITEE_ADDRESS");
  else
    done(app, q, r, l, rc);
  cJSON_Delete(body);
}

const cloud_route cloud_locus_routes[] = {
    {CLOUD_GET, "/locus/api/v1/loci", list_loci, 0},
    {CLOUD_POST, "/locus/api/v1/loci/call", join_call, 0},
    {CLOUD_GET, "/locus/api/v1/loci/{id}", get_dto, 0},
    {CLOUD_PUT, "/locus/api/v1/loci/{id}", invite, 0},
    {CLOUD_GET, "/locus/api/v1/loci/{id}/sync", get_dto, 0},
    {CLOUD_POST, "/locus/api/v1/loci/{id}/participant", join_locus, 0},
    {CLOUD_PUT, "/locus/api/v1/loci/{id}/participant/{pid}/leave", leave, 0},
    {CLOUD_GET, "/locus/api/v1/loci/{id}/participant/{pid}/keepAlive", keepalive, 0},
    {CLOUD_PATCH, "/locus/api/v1/loci/{id}/participant/{pid}/controls", participant_controls, 0},
    {CLOUD_POST, "/locus/api/v1/loci/{id}/end", end, 0},
    {CLOUD_PUT, "/locus/api/v1/loci/{id}/controls", put_controls, 0},
    {CLOUD_PATCH, "/locus/api/v1/loci/{id}/controls", patch_controls, 0},
    {0, NULL, NULL, 0},
};
