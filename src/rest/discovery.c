#include "rest/discovery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "rest/http.h"
#include "rest/json.h"
#include "rest/url.h"

struct usm__discovery {
  usm__lazy lazy;
  usm__catalog catalog;
};

void usm__catalog_free(usm__catalog *cat) {
  for (size_t i = 0; i < cat->count; i++) {
    free(cat->items[i].name);
    free(cat->items[i].url);
  }
  free(cat->items);
  cat->items = NULL;
  cat->count = 0;
}

usm_err usm__catalog_parse(const cJSON *root, usm__catalog *out) {
  memset(out, 0, sizeof *out);
  const cJSON *links = cJSON_GetObjectItemCaseSensitive(root, "serviceLinks");
  if (!cJSON_IsObject(links)) return USM_ERR_BAD_RESPONSE;
  size_t n = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, links) n++;
  if (n > USM__CATALOG_MAX_SERVICES) n = USM__CATALOG_MAX_SERVICES;
  out->items = calloc(n ? n : 1, sizeof *out->items);
  if (!out->items) return USM_ERR_NO_MEMORY;
  cJSON_ArrayForEach(it, links) {
    if (out->count == n) break;
    const char *name = it->string, *url = cJSON_IsString(it) ? it->valuestring : NULL;
    if (!name || !url || !name[0] || strlen(name) > USM__SERVICE_NAME_MAX ||
        strlen(url) > USM__SERVICE_URL_MAX || usm__url_check(url) != USM_OK)
      continue;
    if (usm__catalog_url(out, name)) continue; /* first one wins */
    usm__service *s = &out->items[out->count];
    s->name = usm__strdup(name);
    s->url = usm__strdup(url);
    if (!s->name || !s->url) {
      free(s->name);
      free(s->url);
      usm__catalog_free(out);
      return USM_ERR_NO_MEMORY;
    }
    size_t l = strlen(s->url);
    while (l > 0 && s->url[l - 1] == '/') s->url[--l] = '\0';
    out->count++;
  }
  return USM_OK;
}

const char *usm__catalog_url(const usm__catalog *cat, const char *name) {
  for (size_t i = 0; i < cat->count; i++)
    if (strcmp(cat->items[i].name, name) == 0) return cat->items[i].url;
  return NULL;
}

const char *usm__service_url(const usm_client *c, const char *name) {
  const struct usm__discovery *d = c->discovery;
  if (!d || d->lazy.state != USM__LAZY_READY) return NULL;
  return usm__catalog_url(&d->catalog, name);
}

const char *usm__api_base(const usm_client *c) {
  return c->api_url ? c->api_url : usm__service_url(c, "hydra");
}

const char *usm__service_need(const usm_client *c, const char *name, char *why, size_t cap) {
  const char *url = usm__service_url(c, name);
  if (!url) snprintf(why, cap, "service discovery: the catalog has no usable \"%s\" URL", name);
  return url;
}

static void on_catalog(usm_client *c, const usm_http_result *r, void *ctx) {
  (void)ctx;
  struct usm__discovery *d = c->discovery;
  usm_err e = r->status.err;
  char msg[512];
  snprintf(msg, sizeof msg, "service discovery failed: %s", r->status.message);
  if (e == USM_OK) {
    cJSON *root = usm__json_parse(r->status.body, r->body_len);
    e = root ? usm__catalog_parse(root, &d->catalog) : USM_ERR_BAD_RESPONSE;
    cJSON_Delete(root);
    if (e == USM_ERR_BAD_RESPONSE)
      snprintf(msg, sizeof msg, "service discovery failed: the catalog is not a hostmap (no serviceLinks)");
    else if (e == USM_OK)
      usm__log(c, USM_LOG_INFO, "discovery: %zu services", d->catalog.count);
  }
  if (e != USM_OK) usm__log(c, USM_LOG_WARN, "%s", msg);
  usm__lazy_finish(c, &d->lazy, e, e == USM_OK ? "" : msg);
}

static usm_err start_fetch(usm_client *c) {
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = usm__strbuf_printf(&url, "%s/catalog?format=hostmap", c->discovery_url) ? USM_ERR_NO_MEMORY : USM_OK;
  if (e == USM_OK) {
    usm_http_call call = {
      .method = "GET",
      .url = url.data,
      .idempotent = 1,
      .max_body = USM__CATALOG_MAX_BYTES,
      .done = on_catalog,
    };
    e = usm__http_start(c, &call);
  }
  usm__strbuf_free(&url);
  return e;
}

usm_err usm__discovery_wait(usm_client *c, usm__ready_fn fn, void (*free_fn)(void *), void *ctx,
                            usm__waiter **w, int *ready) {
  *ready = 0;
  *w = NULL;
  if (!c->discovery && !(c->discovery = calloc(1, sizeof *c->discovery))) return USM_ERR_NO_MEMORY;
  struct usm__discovery *d = c->discovery;
  if (d->lazy.state == USM__LAZY_READY) {
    *ready = 1;
    return USM_OK;
  }
  if (d->lazy.state == USM__LAZY_IDLE) {
    usm__catalog_free(&d->catalog);
    usm_err e = start_fetch(c);
    if (e != USM_OK) return e;
    d->lazy.state = USM__LAZY_FETCHING;
  }
  return usm__lazy_wait(&d->lazy, fn, free_fn, ctx, w);
}

void usm__discovery_free(usm_client *c) {
  struct usm__discovery *d = c->discovery;
  if (!d) return;
  usm__lazy_free(&d->lazy);
  usm__catalog_free(&d->catalog);
  free(d);
  c->discovery = NULL;
}
