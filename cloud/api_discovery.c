/* Service discovery (U2C catalog) and device registration (WDM). */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "timefmt.h"

static const struct {
  const char *name;
  const char *path;
} SERVICES[] = {
    {"hydra", "/v1"},           {"wdm", "/wdm/api/v1"},
    {"locus", "/locus/api/v1"}, {"webex-appapi-service", "/wbxappapi/v1"},
    {"u2c", "/u2c/api/v1"},
};

/* GET /u2c/api/v1/catalog?format=hostmap */
static void catalog(cloud_app *app, cloud_req *q, cloud_resp *r) {
  (void)q;
  cJSON *root = cJSON_CreateObject();
  cJSON *links = cJSON_AddObjectToObject(root, "serviceLinks");
  cJSON *hosts = cJSON_AddObjectToObject(root, "hostCatalog");
  cJSON *entries = cJSON_AddArrayToObject(hosts, app->host);
  for (size_t i = 0; i < sizeof SERVICES / sizeof SERVICES[0]; i++) {
    char url[160], id[96];
    snprintf(url, sizeof url, "%s%s", app->base, SERVICES[i].path);
    snprintf(id, sizeof id, "urn:TEAM:local_a:%s", SERVICES[i].name);
    cJSON_AddStringToObject(links, SERVICES[i].name, url);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "host", app->host);
    cJSON_AddNumberToObject(e, "ttl", -1);
    cJSON_AddNumberToObject(e, "priority", 5);
    cJSON_AddStringToObject(e, "id", id);
    cJSON_AddItemToArray(entries, e);
  }
  cloud_resp_json(r, 200, root);
}

/* The device as WDM describes it, echoing what the client said it is. */
static void device_reply(cloud_app *app, cloud_device *d, cJSON *body, cloud_resp *r) {
  char url[200], ws[200], now[CLOUD_TIME_SIZE];
  snprintf(url, sizeof url, "%s/wdm/api/v1/devices/%s", app->base, d->id);
  snprintf(ws, sizeof ws, "wss://%s/mercury/%s", app->host, d->id);
  cloud_time_format_ms(cloud_now_ms(), now);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "url", url);
  cJSON_AddStringToObject(root, "webSocketUrl", ws);
  cJSON_AddStringToObject(root, "userId", d->user->id);
  cJSON_AddStringToObject(root, "orgId", app->store.org_id);
  static const char *const echoed[] = {"deviceType",     "name",       "model",
                                       "localizedModel", "systemName", "systemVersion"};
  for (size_t i = 0; i < sizeof echoed / sizeof echoed[0]; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, echoed[i]);
    if (cJSON_IsString(v) && strlen(v->valuestring) <= 256)
      cJSON_AddStringToObject(root, echoed[i], v->valuestring);
  }
  if (!cJSON_HasObjectItem(root, "deviceType")) cJSON_AddStringToObject(root, "deviceType", "WEB");
  const cJSON *caps = cJSON_GetObjectItemCaseSensitive(body, "capabilities");
  if (cJSON_IsObject(caps)) cJSON_AddItemToObject(root, "capabilities", cJSON_Duplicate(caps, 1));
  cJSON_AddStringToObject(root, "creationTime", now);
  cJSON_AddStringToObject(root, "modificationTime", now);
  cJSON_Delete(body);
  cloud_resp_json(r, 200, root);
}

/* POST /wdm/api/v1/devices?includeUpstreamServices=... */
static void register_device(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cJSON *body = cloud_req_json(q);
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "deviceType");
  if (!cJSON_IsString(type) || !type->valuestring[0] || strlen(type->valuestring) > 64) {
    cJSON_Delete(body);
    cloud_resp_error(r, q, 400, "The input parameters contain invalid items.",
                     "The body must be a JSON object with a deviceType.");
    return;
  }
  cloud_device *d = cloud_device_add(&app->store, q->user);
  if (!d) {
    cJSON_Delete(body);
    cloud_resp_error(r, q, 500, "Cannot register the device.", NULL);
    return;
  }
  device_reply(app, d, body, r);
}

/* PUT /wdm/api/v1/devices/{id}: the refresh of a registration. */
static void refresh_device(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_device *d = cloud_device_by_id(&app->store, q->params[0]);
  cJSON *body = cloud_req_json(q);
  if (!d || d->user != q->user) {
    cJSON_Delete(body);
    cloud_resp_error(r, q, 404, "Device not found.", NULL);
    return;
  }
  if (!body) {
    cloud_resp_error(r, q, 400, "The request body must be a JSON object.", NULL);
    return;
  }
  device_reply(app, d, body, r);
}

/* DELETE /wdm/api/v1/devices/{id} */
static void unregister_device(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_device *d = cloud_device_by_id(&app->store, q->params[0]);
  if (!d || d->user != q->user) {
    cloud_resp_error(r, q, 404, "Device not found.", NULL);
    return;
  }
  cloud_device_remove(&app->store, d);
  cloud_resp_empty(r, 204);
}

const cloud_route cloud_discovery_routes[] = {
    {CLOUD_GET, "/u2c/api/v1/catalog", catalog, 0},
    {CLOUD_POST, "/wdm/api/v1/devices", register_device, 0},
    {CLOUD_PUT, "/wdm/api/v1/devices/{id}", refresh_device, 0},
    {CLOUD_DELETE, "/wdm/api/v1/devices/{id}", unregister_device, 0},
    {0, NULL, NULL, 0},
};
