/* People, meeting preferences (licenses, sites) and guest tokens. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "hydra_ids.h"
#include "timefmt.h"

#define GUEST_TOKEN_TTL_S 86400
#define MAX_GUEST_FIELD 256
#define MAX_LOOKUP_IDS 85

/* The REST "person" object. */
static cJSON *person_json(const cloud_app *app, const cloud_user *u) {
  char id[CLOUD_HYDRA_SIZE], org[CLOUD_HYDRA_SIZE];
  cloud_hydra_encode("PEOPLE", u->id, id);
  cloud_hydra_encode("ORGANIZATION", app->store.org_id, org);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", id);
  cJSON *emails = cJSON_AddArrayToObject(o, "emails");
  if (u->email) cJSON_AddItemToArray(emails, cJSON_CreateString(u->email));
  cJSON_AddStringToObject(o, "displayName", u->name);
  cJSON_AddStringToObject(o, "orgId", org);
  static const char *const types[] = {"person", "bot", "appuser"};
  cJSON_AddStringToObject(o, "type", types[u->type]);
  cJSON *licenses = cJSON_AddArrayToObject(o, "licenses");
  if (u->licensed) {
    char uuid[CLOUD_UUID_SIZE], lic[CLOUD_HYDRA_SIZE];
    cloud_uuid_from("license", "meetings", uuid);
    cloud_hydra_encode("LICENSE", uuid, lic);
    cJSON_AddItemToArray(licenses, cJSON_CreateString(lic));
  }
  return o;
}

/* GET /v1/people/me */
static void people_me(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_resp_json(r, 200, person_json(app, q->user));
}

/* GET /v1/people/{personId} */
static void people_get(cloud_app *app, cloud_req *q, cloud_resp *r) {
  char uuid[CLOUD_UUID_SIZE];
  cloud_user *u = cloud_hydra_decode("PEOPLE", q->params[0], uuid) == 0
                      ? cloud_user_by_id(&app->store, uuid)
                      : NULL;
  if (!u) {
    cloud_resp_error(r, q, 404, "The requested resource could not be found.", "Person not found.");
    return;
  }
  cloud_resp_json(r, 200, person_json(app, u));
}

/* GET /v1/people?email=... or ?id=a,b,c (the lookup the official SDK uses). */
static void people_list(cloud_app *app, cloud_req *q, cloud_resp *r) {
  const char *email = cloud_req_arg(q, "email"), *ids = cloud_req_arg(q, "id");
  if (!email == !ids) {
    cloud_resp_error(r, q, 400, "The input parameters contain invalid items.",
                     "Exactly one of email or id is required.");
    return;
  }
  cJSON *root = cJSON_CreateObject();
  cJSON *items = cJSON_AddArrayToObject(root, "items");
  if (email) {
    cloud_user *u = cloud_user_by_email(&app->store, email);
    if (u) cJSON_AddItemToArray(items, person_json(app, u));
    cloud_resp_json(r, 200, root);
    return;
  }
  cJSON *missing = cJSON_CreateArray();
  char one[512];
  size_t count = 0;
  for (const char *p = ids; *p && count < MAX_LOOKUP_IDS; count++) {
    size_t n = strcspn(p, ",");
    snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one ? n : sizeof one - 1), p);
    char uuid[CLOUD_UUID_SIZE];
    cloud_user *u =
        cloud_hydra_decode("PEOPLE", one, uuid) == 0 ? cloud_user_by_id(&app->store, uuid) : NULL;
    cJSON_AddItemToArray(u ? items : missing, u ? person_json(app, u) : cJSON_CreateString(one));
    p += n + (p[n] == ',');
  }
  if (cJSON_GetArraySize(missing) > 0)
    cJSON_AddItemToObject(root, "notFoundIds", missing);
  else
    cJSON_Delete(missing);
  cloud_resp_json(r, 200, root);
}

/* GET /v1/meetingPreferences/sites (and /v1/meetingPreferences, which the
 * official SDK reads for the preferred site): a site for licensed people. */
static void sites(cloud_app *app, cloud_req *q, cloud_resp *r) {
  (void)app;
  cJSON *root = cJSON_CreateObject();
  cJSON *list = cJSON_AddArrayToObject(root, "sites");
  if (q->user->type == CLOUD_USER_PERSON && q->user->licensed) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "siteUrl", CLOUD_SITE);
    cJSON_AddBoolToObject(s, "default", 1);
    cJSON_AddItemToArray(list, s);
  }
  cloud_resp_json(r, 200, root);
}

static const char *guest_field(const cJSON *body, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
  if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > MAX_GUEST_FIELD)
    return NULL;
  return v->valuestring;
}

/* POST /v1/guests/token: a Service App mints a guest's access token. */
static void guest_token(cloud_app *app, cloud_req *q, cloud_resp *r) {
  if (q->user->type != CLOUD_USER_SERVICE_APP) {
    cloud_resp_error(r, q, 403, "Only a Service App may create guest tokens.", NULL);
    return;
  }
  cJSON *body = cloud_req_json(q);
  const char *subject = guest_field(body, "subject"), *name = guest_field(body, "displayName");
  if (!subject || !name) {
    cJSON_Delete(body);
    cloud_resp_error(r, q, 400, "The input parameters contain invalid items.",
                     "subject and displayName are required strings of at most 256 characters.");
    return;
  }
  cloud_user *g = cloud_guest_get(&app->store, q->user, subject, name);
  cJSON_Delete(body);
  char token[80] = "usm-guest-";
  cloud_hex_id(token + strlen(token), 32);
  if (!g || cloud_token_add(&app->store, g, token, cloud_now_ms() / 1000 + GUEST_TOKEN_TTL_S)) {
    cloud_resp_error(r, q, 500, "Cannot create the guest.", NULL);
    return;
  }
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "accessToken", token);
  cJSON_AddNumberToObject(root, "expiresIn", GUEST_TOKEN_TTL_S);
  cloud_resp_json(r, 200, root);
}

const cloud_route cloud_people_routes[] = {
    {CLOUD_GET, "/v1/people/me", people_me, 0},
    {CLOUD_GET, "/v1/people/{personId}", people_get, 0},
    {CLOUD_GET, "/v1/people", people_list, 0},
    {CLOUD_GET, "/v1/meetingPreferences", sites, 0},
    {CLOUD_GET, "/v1/meetingPreferences/sites", sites, 0},
    {CLOUD_POST, "/v1/guests/token", guest_token, 0},
    {0, NULL, NULL, 0},
};
