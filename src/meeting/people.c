/* usm_client_capabilities: GET {hydra}/people/me, then (for people, not
 * guests) GET {hydra}/meetingPreferences/sites. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <usm/meeting.h>

#include "core/client_internal.h"
#include "rest/discovery.h"
#include "rest/http.h"
#include "rest/json.h"
#include "rest/lazy.h"

typedef struct caps_op {
  usm_capabilities_cb cb;
  void *user;
  cJSON *me; /* the people/me answer, kept for the second request */
} caps_op;

static void op_free(void *p) {
  caps_op *o = p;
  cJSON_Delete(o->me);
  free(o);
}

static void deliver(usm_client *c, caps_op *o, usm_err err, const char *msg, const usm_capabilities *caps) {
  if (err != USM_OK)
    usm__set_error(c, "capabilities: %s", msg && msg[0] ? msg : usm_strerror(err));
  else
    usm__clear_error(c);
  if (usm__cb_begin(c)) {
    o->cb(c, err, err == USM_OK ? caps : NULL, o->user);
    usm__cb_end(c);
  }
  op_free(o);
}

static const char *str(const cJSON *o, const char *key) {
  const char *s = usm__json_str(o, key);
  return s && strlen(s) <= 4096 ? s : NULL;
}

static void fill_person(const cJSON *me, usm_capabilities *caps) {
  memset(caps, 0, sizeof *caps);
  caps->display_name = str(me, "displayName");
  const cJSON *emails = cJSON_GetObjectItemCaseSensitive(me, "emails");
  const cJSON *first = cJSON_IsArray(emails) ? cJSON_GetArrayItem(emails, 0) : NULL;
  caps->email = cJSON_IsString(first) && strlen(first->valuestring) <= 4096 ? first->valuestring : NULL;
  const char *type = str(me, "type");
  caps->is_guest = type && strcmp(type, "appuser") == 0;
}

static void on_sites(usm_client *c, const usm_http_result *r, void *ctx) {
  caps_op *o = ctx;
  usm_capabilities caps;
  fill_person(o->me, &caps);
  /* 403/404: no meetings service for this user, i.e. no sites */
  if (r->status.err != USM_OK && r->status.http_status != 403 && r->status.http_status != 404) {
    deliver(c, o, r->status.err, r->status.message, NULL);
    return;
  }
  cJSON *root = r->status.err == USM_OK ? usm__json_parse(r->status.body, r->body_len) : NULL;
  const cJSON *sites = cJSON_GetObjectItemCaseSensitive(root, "sites"), *s;
  if (!cJSON_IsArray(sites)) sites = NULL;
  const char *chosen = NULL;
  int n = 0;
  cJSON_ArrayForEach(s, sites) {
    const char *url = str(s, "siteUrl");
    if (!url) continue;
    if (!chosen || usm__json_bool(s, "default") == 1) chosen = url;
    if (n++ > 1000 || usm__json_bool(s, "default") == 1) break;
  }
  caps.site_url = chosen;
  const char *type = str(o->me, "type");
  caps.can_create_meetings = type && strcmp(type, "person") == 0 && chosen != NULL;
  deliver(c, o, USM_OK, "", &caps);
  cJSON_Delete(root);
}

static usm_err get(usm_client *c, caps_op *o, const char *path, usm_http_done_fn done) {
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = usm__strbuf_printf(&url, "%s/%s", usm__api_base(c), path) ? USM_ERR_NO_MEMORY : USM_OK;
  if (e == USM_OK) {
    usm_http_call call = {.method = "GET", .url = url.data, .idempotent = 1, .done = done, .ctx_free = op_free, .ctx = o};
    e = usm__http_start(c, &call);
  }
  usm__strbuf_free(&url);
  return e;
}

static void on_me(usm_client *c, const usm_http_result *r, void *ctx) {
  caps_op *o = ctx;
  if (r->status.err != USM_OK) {
    deliver(c, o, r->status.err, r->status.message, NULL);
    return;
  }
  o->me = usm__json_parse(r->status.body, r->body_len);
  if (!cJSON_IsObject(o->me)) {
    deliver(c, o, USM_ERR_BAD_RESPONSE, "people/me is not a JSON object", NULL);
    return;
  }
  usm_capabilities caps;
  fill_person(o->me, &caps);
  if (caps.is_guest) { /* guests host nothing: no need to ask for sites */
    deliver(c, o, USM_OK, "", &caps);
    return;
  }
  usm_err e = get(c, o, "meetingPreferences/sites", on_sites);
  if (e != USM_OK) deliver(c, o, e, usm_strerror(e), NULL);
}

static void on_discovered(usm_client *c, usm_err err, const char *message, void *ctx) {
  caps_op *o = ctx;
  if (err == USM_OK && !usm__api_base(c)) {
    err = USM_ERR_BAD_RESPONSE;
    message = "service discovery: the catalog has no usable \"hydra\" URL";
  }
  if (err == USM_OK) err = get(c, o, "people/me", on_me);
  if (err != USM_OK) deliver(c, o, err, message && message[0] ? message : usm_strerror(err), NULL);
}

usm_err usm_client_capabilities(usm_client *c, usm_capabilities_cb cb, void *user) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  usm__clear_error(c);
  if (!cb) {
    usm__set_error(c, "invalid argument: callback is required");
    return USM_ERR_INVALID_ARG;
  }
  caps_op *o = calloc(1, sizeof *o);
  if (!o) return USM_ERR_NO_MEMORY;
  o->cb = cb;
  o->user = user;
  usm_err e;
  if (usm__api_base(c)) {
    e = get(c, o, "people/me", on_me);
  } else {
    int ready;
    usm__waiter *w;
    e = usm__discovery_wait(c, on_discovered, op_free, o, &w, &ready);
    if (e == USM_OK && ready) {
      usm__set_error(c, "service discovery: the catalog has no usable \"hydra\" URL");
      e = USM_ERR_BAD_RESPONSE;
    }
  }
  if (e != USM_OK) free(o);
  return e;
}
