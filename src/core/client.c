/* The client handle: settings, creation and destruction. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "meeting/device.h"
#include "meeting/meeting_internal.h"
#include "media/dtls.h"
#include "mercury/mercury.h"
#include "rest/discovery.h"
#include "rest/http.h"
#include "rest/url.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_REQUEST_TIMEOUT_MS 30000L
#define DEFAULT_MAX_RETRIES 3u
#define DEFAULT_MAX_RETRY_AFTER_MS 60000L
#define DEFAULT_MAX_BODY_BYTES ((size_t)4 << 20)
#define MAX_EXTRA_HEADERS 32
#define MAX_TOKEN_BYTES 8192
#define DEFAULT_PING_INTERVAL_MS 15000L
#define DEFAULT_PONG_TIMEOUT_MS 14000L
#define DEFAULT_MERCURY_MAX_RETRIES 10u
#define MAX_MERCURY_RETRIES 1000u

/* Fields appended after 0.1 are read only when the caller's struct has them. */
#define HAS_OPT(o, f) ((o)->struct_size >= offsetof(usm_client_options, f) + sizeof((o)->f))

void usm_client_options_init(usm_client_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof *opts);
  opts->struct_size = sizeof *opts;
  opts->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
  opts->request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
  opts->max_retries = DEFAULT_MAX_RETRIES;
  opts->max_retry_after_ms = DEFAULT_MAX_RETRY_AFTER_MS;
  opts->max_body_bytes = DEFAULT_MAX_BODY_BYTES;
  opts->log_level = USM_LOG_INFO;
  opts->mercury_ping_interval_ms = DEFAULT_PING_INTERVAL_MS;
  opts->mercury_pong_timeout_ms = DEFAULT_PONG_TIMEOUT_MS;
  opts->mercury_max_retries = DEFAULT_MERCURY_MAX_RETRIES;
}

int usm__client_ok(const usm_client *c) { return c && c->magic == USM_CLIENT_MAGIC && !c->dead; }

/* A header line must be "Name: value" with no CR/LF (no request smuggling). */
static int header_ok(const char *h) {
  const char *colon = strchr(h, ':');
  if (!colon || colon == h) return 0;
  for (const char *p = h; *p; p++)
    if (*p == '\r' || *p == '\n') return 0;
  return 1;
}

/* A token goes into an HTTP header and a JSON frame: no spaces, no controls. */
static usm_err token_check(const char *t) {
  if (!t || !t[0]) return USM_ERR_INVALID_ARG;
  size_t tl = strnlen(t, MAX_TOKEN_BYTES + 1);
  if (tl > MAX_TOKEN_BYTES) return USM_ERR_LIMIT;
  for (size_t i = 0; i < tl; i++)
    if ((unsigned char)t[i] <= ' ' || t[i] == 0x7f) return USM_ERR_INVALID_ARG;
  return USM_OK;
}

static usm_err validate(const usm_client_options *o) {
  if (o->struct_size < offsetof(usm_client_options, log_user) + sizeof(void *)) return USM_ERR_INVALID_ARG;
  usm_err te = token_check(o->access_token);
  if (te != USM_OK) return te;
  if (HAS_OPT(o, mercury_max_retries) &&
      (o->mercury_ping_interval_ms <= 0 || o->mercury_pong_timeout_ms <= 0 ||
       o->mercury_max_retries > MAX_MERCURY_RETRIES))
    return USM_ERR_INVALID_ARG;
  if (o->connect_timeout_ms <= 0 || o->request_timeout_ms <= 0 || o->max_retry_after_ms < 0 ||
      o->max_body_bytes == 0 || o->max_retries > 10 || o->log_level > USM_LOG_DEBUG)
    return USM_ERR_INVALID_ARG;
  const char *urls[2] = {o->discovery_url, o->api_url};
  for (int i = 0; i < 2; i++) {
    if (!urls[i]) continue;
    usm_err e = usm__url_check(urls[i]);
    if (e != USM_OK) return e;
  }
  if (o->extra_headers) {
    size_t n = 0;
    for (; o->extra_headers[n]; n++)
      if (n >= MAX_EXTRA_HEADERS || !header_ok(o->extra_headers[n])) return USM_ERR_INVALID_ARG;
  }
  return USM_OK;
}

static char *trim_slash_dup(const char *url) {
  char *s = usm__strdup(url);
  if (s) {
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/') s[--n] = '\0';
  }
  return s;
}

static void free_settings(usm_client *c) {
  free(c->access_token);
  free(c->discovery_url);
  free(c->api_url);
  free(c->ca_file);
  free(c->user_agent);
  if (c->extra_headers)
    for (char **h = c->extra_headers; *h; h++) free(*h);
  free(c->extra_headers);
}

static int copy_settings(usm_client *c, const usm_client_options *o) {
  c->access_token = usm__strdup(o->access_token);
  c->discovery_url = trim_slash_dup(o->discovery_url ? o->discovery_url : USM_DEFAULT_DISCOVERY_URL);
  /* Unset stays unset: the REST calls then use the discovered hydra URL. */
  c->api_url = o->api_url ? trim_slash_dup(o->api_url) : NULL;
  c->ca_file = usm__strdup(o->ca_file);
  c->user_agent = usm__strdup(o->user_agent ? o->user_agent : "libusm/" USM_VERSION_STRING);
  size_t n = 0;
  while (o->extra_headers && o->extra_headers[n]) n++;
  c->extra_headers = calloc(n + 1, sizeof(char *));
  if (!c->access_token || !c->discovery_url || (o->api_url && !c->api_url) || !c->user_agent ||
      !c->extra_headers || (o->ca_file && !c->ca_file))
    return -1;
  for (size_t i = 0; i < n; i++)
    if (!(c->extra_headers[i] = usm__strdup(o->extra_headers[i]))) return -1;
  c->connect_timeout_ms = o->connect_timeout_ms;
  c->request_timeout_ms = o->request_timeout_ms;
  c->max_retries = o->max_retries;
  c->max_retry_after_ms = o->max_retry_after_ms;
  c->max_body_bytes = o->max_body_bytes;
  c->log_cb = o->log_cb;
  c->log_level = o->log_level;
  c->log_user = o->log_user;
  c->mercury_ping_interval_ms = HAS_OPT(o, mercury_ping_interval_ms) ? o->mercury_ping_interval_ms : DEFAULT_PING_INTERVAL_MS;
  c->mercury_pong_timeout_ms = HAS_OPT(o, mercury_pong_timeout_ms) ? o->mercury_pong_timeout_ms : DEFAULT_PONG_TIMEOUT_MS;
  c->mercury_max_retries = HAS_OPT(o, mercury_max_retries) ? o->mercury_max_retries : DEFAULT_MERCURY_MAX_RETRIES;
  c->token_refresh_cb = HAS_OPT(o, token_refresh_cb) ? o->token_refresh_cb : NULL;
  c->token_refresh_user = HAS_OPT(o, token_refresh_user) ? o->token_refresh_user : NULL;
  return 0;
}

static void seed(usm_client *c) {
  uint64_t s = uv_hrtime() ^ (uint64_t)(uintptr_t)c ^ ((uint64_t)uv_os_getpid() << 32);
  unsigned char rnd[16];
  if (uv_random(NULL, NULL, rnd, sizeof rnd, 0, NULL) == 0) memcpy(&s, rnd, sizeof s);
  c->rng = s ? s : 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 16; i++) {
    static const char hex[] = "0123456789ABCDEF";
    unsigned char b = rnd[i];
    c->session_id[2 * i] = hex[b >> 4];
    c->session_id[2 * i + 1] = hex[b & 15];
  }
  c->session_id[32] = '\0';
}

uint32_t usm__rand(usm_client *c, uint32_t n) {
  uint64_t x = c->rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  c->rng = x;
  return n ? (uint32_t)(x % n) : 0;
}

usm_err usm_client_create(const usm_client_options *opts, usm_client **out) {
  if (!opts || !out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm_err e = validate(opts);
  if (e != USM_OK) return e;
  /* Reference-counted by libcurl; thread-safe where curl reports THREADSAFE. */
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return USM_ERR_INTERNAL;

  usm_client *c = calloc(1, sizeof *c);
  if (!c) {
    curl_global_cleanup();
    return USM_ERR_NO_MEMORY;
  }
  usm__strbuf_init(&c->last_error, 0);
  if (copy_settings(c, opts) != 0) {
    e = USM_ERR_NO_MEMORY;
    goto fail_settings;
  }
  seed(c);
  if (uv_loop_init(&c->loop) != 0) {
    e = USM_ERR_INTERNAL;
    goto fail_settings;
  }
  c->loop.data = c;
  if (pthread_mutex_init(&c->post_lock, NULL) != 0) {
    e = USM_ERR_INTERNAL;
    goto fail_loop;
  }
  if (uv_async_init(&c->loop, &c->wake, usm__loop_async_cb) != 0) {
    e = USM_ERR_INTERNAL;
    goto fail_mutex;
  }
  c->wake.data = c;
  e = usm__http_init(c);
  if (e != USM_OK) goto fail_async;
  c->magic = USM_CLIENT_MAGIC;
  *out = c;
  return USM_OK;

fail_async:
  uv_close((uv_handle_t *)&c->wake, NULL);
  uv_run(&c->loop, UV_RUN_DEFAULT);
fail_mutex:
  pthread_mutex_destroy(&c->post_lock);
fail_loop:
  uv_loop_close(&c->loop);
fail_settings:
  free_settings(c);
  usm__strbuf_free(&c->last_error);
  free(c);
  curl_global_cleanup();
  return e;
}

/* Release everything; the loop is not running on any thread. */
void usm__client_free(usm_client *c) {
  pthread_mutex_lock(&c->post_lock);
  c->post_closed = 1;
  usm_post_item *it = c->post_head;
  c->post_head = c->post_tail = NULL;
  pthread_mutex_unlock(&c->post_lock);
  while (it) {
    usm_post_item *next = it->next;
    free(it);
    it = next;
  }
  usm__meetings_detach(c); /* meetings outlive the client as inert handles */
  usm__http_cleanup(c);    /* cancels requests without callbacks, closes handles */
  usm__device_free(c);
  usm__discovery_free(c);
  usm__mercury_shutdown(c); /* closes the websocket and starts the lws context's teardown */
  uv_close((uv_handle_t *)&c->wake, NULL);
  /* Let libuv finish closing handles (lws frees its context from its last
   * close callback); bounded because nothing new starts. */
  for (int i = 0; i < 1000 && uv_run(&c->loop, UV_RUN_NOWAIT) != 0; i++) {
  }
  usm__mercury_free(c);
  usm__dtls_ctx_free(c->dtls); /* after the media transports closed above: they hold references */
  uv_loop_close(&c->loop);
  pthread_mutex_destroy(&c->post_lock);
  free_settings(c);
  usm__strbuf_free(&c->last_error);
  c->magic = 0;
  free(c);
  curl_global_cleanup();
}

const char *usm_client_last_error(const usm_client *c) {
  if (!c || c->magic != USM_CLIENT_MAGIC) return "";
  return usm__strbuf_str(&c->last_error);
}

usm_err usm_client_set_token(usm_client *c, const char *token) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  usm_err e = token_check(token);
  if (e != USM_OK) return e;
  char *t = usm__strdup(token);
  if (!t) return USM_ERR_NO_MEMORY;
  free(c->access_token);
  c->access_token = t;
  return USM_OK;
}

void usm_client_set_user(usm_client *c, void *user) {
  if (usm__client_ok(c)) c->user = user;
}

void *usm_client_get_user(const usm_client *c) { return usm__client_ok(c) ? c->user : NULL; }
