#include "meeting/device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "rest/discovery.h"
#include "rest/http.h"
#include "rest/json.h"
#include "rest/url.h"

#define MAX_FIELD 2048

struct usm__device {
  usm__lazy lazy;
  usm__device_info info;
};

char *usm__device_body(void) {
  cJSON *o = cJSON_CreateObject();
  cJSON *caps = cJSON_CreateObject();
  int ok = o && caps && cJSON_AddStringToObject(o, "name", "libusm") && cJSON_AddStringToObject(o, "deviceType", "WEB") &&
           cJSON_AddStringToObject(o, "model", "libusm") && cJSON_AddStringToObject(o, "localizedModel", "libusm") &&
           cJSON_AddStringToObject(o, "systemName", "libusm") &&
           cJSON_AddStringToObject(o, "systemVersion", USM_VERSION_STRING) &&
           cJSON_AddTrueToObject(caps, "sdpSupported") && cJSON_AddTrueToObject(caps, "groupCallSupported");
  if (ok && cJSON_AddItemToObject(o, "capabilities", caps))
    caps = NULL;
  else
    ok = 0;
  char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(caps);
  cJSON_Delete(o);
  return s;
}

void usm__device_info_free(usm__device_info *d) {
  free(d->url);
  free(d->ws_url);
  free(d->user_id);
  free(d->org_id);
  memset(d, 0, sizeof *d);
}

static int take(const cJSON *o, const char *key, char **dst) {
  const char *s = usm__json_str(o, key);
  if (!s || strlen(s) > MAX_FIELD) return 0;
  return (*dst = usm__strdup(s)) ? 0 : -1;
}

usm_err usm__device_parse(const cJSON *root, usm__device_info *out) {
  memset(out, 0, sizeof *out);
  const char *url = usm__json_str(root, "url");
  if (!url || strlen(url) > MAX_FIELD || usm__url_check(url) != USM_OK) return USM_ERR_BAD_RESPONSE;
  if (take(root, "url", &out->url) || take(root, "webSocketUrl", &out->ws_url) ||
      take(root, "userId", &out->user_id) || take(root, "orgId", &out->org_id)) {
    usm__device_info_free(out);
    return USM_ERR_NO_MEMORY;
  }
  return USM_OK;
}

static void on_registered(usm_client *c, const usm_http_result *r, void *ctx) {
  (void)ctx;
  struct usm__device *d = c->device;
  usm_err e = r->status.err;
  char msg[512];
  snprintf(msg, sizeof msg, "device registration failed: %s", r->status.message);
  if (e == USM_OK) {
    cJSON *root = usm__json_parse(r->status.body, r->body_len);
    e = usm__device_parse(root, &d->info);
    cJSON_Delete(root);
    if (e == USM_ERR_BAD_RESPONSE) snprintf(msg, sizeof msg, "device registration failed: no device url in the answer");
  }
  if (e == USM_OK)
    usm__log(c, USM_LOG_INFO, "device: registered %s", d->info.url);
  else
    usm__log(c, USM_LOG_WARN, "%s", msg);
  usm__lazy_finish(c, &d->lazy, e, e == USM_OK ? "" : msg);
}

static usm_err register_device(usm_client *c, char *why, size_t cap) {
  const char *wdm = usm__service_need(c, "wdm", why, cap);
  if (!wdm) return USM_ERR_BAD_RESPONSE;
  char *body = usm__device_body();
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = !body || usm__strbuf_printf(&url, "%s/devices?includeUpstreamServices=all", wdm) ? USM_ERR_NO_MEMORY
                                                                                              : USM_OK;
  if (e == USM_OK) {
    usm_http_call call = {.method = "POST", .url = url.data, .body = body, .done = on_registered};
    e = usm__http_start(c, &call);
  }
  if (e != USM_OK && e != USM_ERR_BAD_RESPONSE) snprintf(why, cap, "device registration: %s", usm_strerror(e));
  usm__strbuf_free(&url);
  cJSON_free(body);
  return e;
}

static void on_discovered(usm_client *c, usm_err err, const char *message, void *ctx) {
  (void)ctx;
  struct usm__device *d = c->device;
  if (err != USM_OK) {
    usm__lazy_finish(c, &d->lazy, err, message);
    return;
  }
  char why[256];
  if ((err = register_device(c, why, sizeof why)) != USM_OK) usm__lazy_finish(c, &d->lazy, err, why);
}

usm_err usm__device_wait(usm_client *c, usm__ready_fn fn, void (*free_fn)(void *), void *ctx,
                         usm__waiter **w, int *ready) {
  *ready = 0;
  *w = NULL;
  if (!c->device && !(c->device = calloc(1, sizeof *c->device))) return USM_ERR_NO_MEMORY;
  struct usm__device *d = c->device;
  if (d->lazy.state == USM__LAZY_READY) {
    *ready = 1;
    return USM_OK;
  }
  if (d->lazy.state == USM__LAZY_IDLE) {
    usm__device_info_free(&d->info);
    int disc_ready;
    usm__waiter *dw;
    usm_err e = usm__discovery_wait(c, on_discovered, NULL, NULL, &dw, &disc_ready);
    char why[256];
    if (e == USM_OK && disc_ready) e = register_device(c, why, sizeof why);
    if (e != USM_OK) {
      if (e == USM_ERR_BAD_RESPONSE) usm__set_error(c, "%s", why);
      return e;
    }
    d->lazy.state = USM__LAZY_FETCHING;
  }
  return usm__lazy_wait(&d->lazy, fn, free_fn, ctx, w);
}

const usm__device_info *usm__device(const usm_client *c) {
  const struct usm__device *d = c->device;
  return d && d->lazy.state == USM__LAZY_READY ? &d->info : NULL;
}

void usm__device_free(usm_client *c) {
  struct usm__device *d = c->device;
  if (!d) return;
  usm__lazy_free(&d->lazy);
  usm__device_info_free(&d->info);
  free(d);
  c->device = NULL;
}
