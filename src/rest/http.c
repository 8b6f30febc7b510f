/* libcurl multi-socket on libuv: every socket curl wants watched gets a
 * uv_poll_t, curl's single timeout is a uv_timer_t, and completions are
 * collected after each socket action. Nothing here blocks. */
#include "rest/http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "core/client_internal.h"
#include "rest/http_status.h"
#include "rest/json.h"

#define MAX_HEADER_LINE 8192
#define MAX_LINK_URL 2048
#define MAX_TRACKING_ID 128

typedef struct usm_http_req usm_http_req;

typedef struct usm_http {
  usm_client *client;
  CURLM *multi;
  uv_timer_t timer;
  usm_http_req *reqs; /* every live request, for cancellation */
} usm_http;

struct usm_http_req {
  usm_http_req *next, *prev;
  usm_client *client;
  CURL *easy;
  struct curl_slist *headers;
  usm_http_call call; /* method/url/body point to the copies below */
  char *url;
  char *body;
  char method[8];
  usm_strbuf resp;
  int resp_overflow;
  char tracking_hdr[MAX_TRACKING_ID];
  char link_next[MAX_LINK_URL];
  long retry_after_ms; /* -1: none */
  unsigned retries;
  uv_timer_t retry_timer;
  char errbuf[CURL_ERROR_SIZE];
};

typedef struct sock_ctx {
  uv_poll_t poll;
  curl_socket_t fd;
  usm_http *http;
} sock_ctx;

static void check_done(usm_http *h);

/* ---- curl callbacks ---------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *userp) {
  usm_http_req *r = userp;
  size_t len = size * n;
  if (usm__strbuf_append(&r->resp, data, len) != 0) {
    r->resp_overflow = 1;
    return 0; /* makes curl fail with CURLE_WRITE_ERROR */
  }
  return len;
}

static int header_is(const char *line, size_t len, const char *name, const char **val, size_t *vlen) {
  size_t n = strlen(name);
  if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':') return 0;
  const char *v = line + n + 1;
  size_t l = len - n - 1;
  while (l && (*v == ' ' || *v == '\t')) v++, l--;
  while (l && (v[l - 1] == '\r' || v[l - 1] == '\n' || v[l - 1] == ' ')) l--;
  *val = v;
  *vlen = l;
  return 1;
}

static size_t on_header(char *line, size_t size, size_t n, void *userp) {
  usm_http_req *r = userp;
  size_t len = size * n;
  if (len > MAX_HEADER_LINE) return len; /* ignore absurd lines, bounded */
  const char *v;
  size_t vl;
  if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
    /* a new response (after 100-continue): forget the previous one's headers */
    r->tracking_hdr[0] = r->link_next[0] = '\0';
    r->retry_after_ms = -1;
  } else if (header_is(line, len, "Retry-After", &v, &vl)) {
    r->retry_after_ms = usm__parse_retry_after(v, vl, (long long)time(NULL));
  } else if (header_is(line, len, "TrackingID", &v, &vl)) {
    if (vl < sizeof r->tracking_hdr) {
      memcpy(r->tracking_hdr, v, vl);
      r->tracking_hdr[vl] = '\0';
    }
  } else if (header_is(line, len, "Link", &v, &vl)) {
    if (!usm__parse_link_next(v, vl, r->link_next, sizeof r->link_next)) r->link_next[0] = '\0';
  }
  return len;
}

static void poll_close_cb(uv_handle_t *h) { free(h->data); }

static void on_poll(uv_poll_t *p, int status, int events) {
  sock_ctx *s = p->data;
  int flags = 0;
  if (status < 0) flags = CURL_CSELECT_ERR;
  if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  int running;
  curl_multi_socket_action(s->http->multi, s->fd, flags, &running);
  check_done(s->http);
}

static int on_socket(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp) {
  (void)easy;
  usm_http *h = userp;
  sock_ctx *s = socketp;
  if (action == CURL_POLL_REMOVE) {
    if (s) {
      uv_poll_stop(&s->poll);
      uv_close((uv_handle_t *)&s->poll, poll_close_cb);
      curl_multi_assign(h->multi, fd, NULL);
    }
    return 0;
  }
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s) return -1;
    s->fd = fd;
    s->http = h;
    if (uv_poll_init_socket(&h->client->loop, &s->poll, fd) != 0) {
      free(s);
      return -1;
    }
    s->poll.data = s;
    curl_multi_assign(h->multi, fd, s);
  }
  int ev = 0;
  if (action == CURL_POLL_IN || action == CURL_POLL_INOUT) ev |= UV_READABLE;
  if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT) ev |= UV_WRITABLE;
  uv_poll_start(&s->poll, ev, on_poll);
  return 0;
}

static void on_timer(uv_timer_t *t) {
  usm_http *h = t->data;
  int running;
  curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(h);
}

static int on_timer_change(CURLM *multi, long timeout_ms, void *userp) {
  (void)multi;
  usm_http *h = userp;
  if (timeout_ms < 0)
    uv_timer_stop(&h->timer);
  else /* 0 means "as soon as possible": the next loop iteration */
    uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
  return 0;
}

/* ---- requests ------------------------------------------------------------ */

static void req_close_cb(uv_handle_t *t) {
  usm_http_req *r = t->data;
  if (r->easy) curl_easy_cleanup(r->easy);
  curl_slist_free_all(r->headers);
  usm__strbuf_free(&r->resp);
  free(r->url);
  free(r->body);
  free(r);
}

static void req_unlink(usm_http *h, usm_http_req *r) {
  if (r->prev)
    r->prev->next = r->next;
  else
    h->reqs = r->next;
  if (r->next) r->next->prev = r->prev;
  r->next = r->prev = NULL;
}

/* Unlinked, detached from the multi handle, freed once libuv closes its timer. */
static void req_free(usm_http *h, usm_http_req *r) {
  req_unlink(h, r);
  curl_multi_remove_handle(h->multi, r->easy);
  uv_close((uv_handle_t *)&r->retry_timer, req_close_cb);
}

static int add_header(usm_http_req *r, const char *name, const char *value) {
  usm_strbuf b;
  usm__strbuf_init(&b, 0);
  int rc = name ? usm__strbuf_printf(&b, "%s: %s", name, value) : usm__strbuf_printf(&b, "%s", value);
  if (rc != 0) {
    usm__strbuf_free(&b);
    return -1;
  }
  struct curl_slist *l = curl_slist_append(r->headers, b.data);
  usm__strbuf_free(&b);
  if (!l) return -1;
  r->headers = l;
  return 0;
}

static int setup_easy(usm_client *c, usm_http_req *r) {
  CURL *e = r->easy;
  char tracking[80];
  snprintf(tracking, sizeof tracking, "USM_%s_%llu", c->session_id,
           (unsigned long long)++c->tracking_counter);
  usm_strbuf auth;
  usm__strbuf_init(&auth, 0);
  int bad = usm__strbuf_printf(&auth, "Bearer %s", c->access_token) != 0 ||
            add_header(r, "Authorization", auth.data) != 0;
  usm__strbuf_free(&auth);
  if (bad || add_header(r, "Accept", "application/json") || add_header(r, "TrackingID", tracking))
    return -1;
  if (r->body && add_header(r, "Content-Type", "application/json")) return -1;
  /* "Name:" removes a header curl would add (form encoding for an empty POST) */
  if (!r->body && add_header(r, NULL, "Content-Type:")) return -1;
  if (r->call.password && add_header(r, "password", r->call.password)) return -1;
  for (char **x = c->extra_headers; *x; x++)
    if (add_header(r, NULL, *x)) return -1;
  for (const char *const *x = r->call.headers; x && *x; x++)
    if (add_header(r, NULL, *x)) return -1;

  int ok = 1;
  ok &= curl_easy_setopt(e, CURLOPT_URL, r->url) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_PRIVATE, r) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
  if (c->ca_file) ok &= curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->call.timeout_ms > 0 ? r->call.timeout_ms : c->request_timeout_ms) ==
        CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->resp.limit) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_WRITEDATA, r) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK;
  ok &= curl_easy_setopt(e, CURLOPT_HEADERDATA, r) == CURLE_OK;
  if (strcmp(r->method, "GET") != 0) {
    ok &= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method) == CURLE_OK;
    if (r->body) {
      ok &= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body) == CURLE_OK;
      ok &= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body)) == CURLE_OK;
    } else if (strcmp(r->method, "DELETE") != 0) {
      /* an empty POST/PUT/PATCH still says "Content-Length: 0" (proxies answer 411 otherwise) */
      ok &= curl_easy_setopt(e, CURLOPT_POSTFIELDS, "") == CURLE_OK;
      ok &= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0) == CURLE_OK;
    }
  }
  return ok ? 0 : -1;
}

static void reset_response(usm_http_req *r) {
  usm__strbuf_reset(&r->resp);
  r->resp_overflow = 0;
  r->tracking_hdr[0] = r->link_next[0] = '\0';
  r->retry_after_ms = -1;
  r->errbuf[0] = '\0';
}

usm_err usm__http_start(usm_client *c, const usm_http_call *call) {
  usm_http *h = c->http;
  if (!call->url || !call->method || strlen(call->method) >= sizeof((usm_http_req *)0)->method)
    return USM_ERR_INVALID_ARG;
  usm_http_req *r = calloc(1, sizeof *r);
  if (!r) return USM_ERR_NO_MEMORY;
  r->client = c;
  r->call = *call;
  strcpy(r->method, call->method);
  size_t limit = call->max_body && call->max_body < c->max_body_bytes ? call->max_body : c->max_body_bytes;
  usm__strbuf_init(&r->resp, limit);
  reset_response(r);
  r->url = usm__strdup(call->url);
  r->body = usm__strdup(call->body);
  r->easy = curl_easy_init();
  uv_timer_init(&c->loop, &r->retry_timer);
  r->retry_timer.data = r;
  /* link first so req_free can be used on every path below */
  r->next = h->reqs;
  if (h->reqs) h->reqs->prev = r;
  h->reqs = r;
  usm_err e = USM_OK;
  if (!r->url || (call->body && !r->body) || !r->easy)
    e = USM_ERR_NO_MEMORY;
  else if (setup_easy(c, r) != 0)
    e = USM_ERR_NO_MEMORY;
  else if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK)
    e = USM_ERR_INTERNAL;
  r->call.headers = NULL; /* copied into the header list; the caller's array may go */
  if (e != USM_OK) {
    r->call.ctx_free = NULL; /* ctx stays with the caller on failure */
    req_free(h, r);
    return e;
  }
  usm__log(c, USM_LOG_DEBUG, "http: %s %s", r->method, r->url);
  return USM_OK;
}

static void on_retry_timer(uv_timer_t *t) {
  usm_http_req *r = t->data;
  usm_http *h = r->client->http;
  reset_response(r);
  if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
    /* cannot happen short of memory exhaustion; report as a transport error */
    snprintf(r->errbuf, sizeof r->errbuf, "could not restart the request");
    usm_http_result res = {0};
    res.status.err = USM_ERR_INTERNAL;
    res.status.message = r->errbuf;
    res.status.retries = r->retries;
    usm_http_call call = r->call;
    req_free(h, r);
    call.done(h->client, &res, call.ctx);
  }
}

/* Decide whether to retry; 1 if a retry was scheduled. */
static int maybe_retry(usm_http *h, usm_http_req *r, long status, usm_strbuf *why) {
  usm_client *c = h->client;
  if (!usm__http_retryable(status, r->call.idempotent) || r->retries >= c->max_retries) return 0;
  if (status == 423 && r->call.final_423) return 0;
  long delay;
  if (r->retry_after_ms >= 0) {
    if (r->retry_after_ms > c->max_retry_after_ms) {
      usm__strbuf_printf(why, "Retry-After of %ld ms exceeds the limit of %ld ms; ", r->retry_after_ms,
                         c->max_retry_after_ms);
      return 0;
    }
    delay = r->retry_after_ms;
  } else {
    delay = usm__backoff_ms(r->retries + 1, (long)usm__rand(c, 250));
  }
  r->retries++;
  usm__log(c, USM_LOG_INFO, "http: %s %s answered %ld, retry %u in %ld ms", r->method, r->url, status,
           r->retries, delay);
  curl_multi_remove_handle(h->multi, r->easy);
  uv_timer_start(&r->retry_timer, on_retry_timer, (uint64_t)delay, 0);
  return 1;
}

static void finish(usm_http *h, usm_http_req *r, CURLcode code) {
  usm_client *c = h->client;
  long status = 0;
  curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
  usm_strbuf msg;
  usm__strbuf_init(&msg, 0);
  usm_http_result res = {0};
  usm__rest_error_info info = {0};
  if (code != CURLE_OK) {
    res.status.err = r->resp_overflow ? USM_ERR_RESPONSE_TOO_LARGE : usm__curl_err(code);
    if (res.status.err == USM_ERR_RESPONSE_TOO_LARGE)
      usm__strbuf_printf(&msg, "response body larger than %zu bytes", r->resp.limit);
    else
      usm__strbuf_printf(&msg, "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(code));
    status = 0;
  } else {
    res.status.err = usm__http_status_err(status);
    if (res.status.err != USM_OK) {
      if (maybe_retry(h, r, status, &msg)) {
        usm__strbuf_free(&msg);
        return;
      }
      usm__rest_error_parse(r->resp.data, r->resp.len, &info);
      usm__strbuf_printf(&msg, "HTTP %ld", status);
      if (info.message) usm__strbuf_printf(&msg, ": %s", info.message);
    }
  }
  res.status.http_status = (int)status;
  res.status.message = usm__strbuf_str(&msg);
  res.status.tracking_id = info.tracking_id ? info.tracking_id : (r->tracking_hdr[0] ? r->tracking_hdr : NULL);
  res.status.body = r->resp.len ? r->resp.data : NULL;
  res.status.retries = r->retries;
  res.body_len = r->resp.len;
  res.link_next = r->link_next[0] ? r->link_next : NULL;
  if (res.status.err != USM_OK)
    usm__log(c, USM_LOG_INFO, "http: %s %s failed: %s (%s)", r->method, r->url, usm_err_name(res.status.err),
             res.status.message);
  req_unlink(h, r);
  curl_multi_remove_handle(h->multi, r->easy);
  r->call.done(c, &res, r->call.ctx);
  usm__rest_error_info_free(&info);
  usm__strbuf_free(&msg);
  uv_close((uv_handle_t *)&r->retry_timer, req_close_cb);
}

static void check_done(usm_http *h) {
  CURLMsg *m;
  int left;
  while (!h->client->dead && (m = curl_multi_info_read(h->multi, &left))) {
    if (m->msg != CURLMSG_DONE) continue;
    usm_http_req *r = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
    if (r) finish(h, r, m->data.result);
  }
}

usm_err usm__http_init(usm_client *c) {
  usm_http *h = calloc(1, sizeof *h);
  if (!h) return USM_ERR_NO_MEMORY;
  h->client = c;
  h->multi = curl_multi_init();
  if (!h->multi) {
    free(h);
    return USM_ERR_NO_MEMORY;
  }
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
  uv_timer_init(&c->loop, &h->timer);
  h->timer.data = h;
  c->http = h;
  return USM_OK;
}

int usm__http_busy(const usm_client *c) { return c->http && c->http->reqs != NULL; }

void usm__http_cancel(usm_client *c, void *ctx) {
  usm_http *h = c->http;
  if (!h) return;
  usm_http_req *r = h->reqs;
  while (r) {
    usm_http_req *next = r->next;
    if (r->call.ctx == ctx) {
      if (r->call.ctx_free) r->call.ctx_free(r->call.ctx);
      req_free(h, r);
    }
    r = next;
  }
}

static void http_timer_close_cb(uv_handle_t *t) { free(t->data); }

void usm__http_cleanup(usm_client *c) {
  usm_http *h = c->http;
  if (!h) return;
  while (h->reqs) {
    usm_http_req *r = h->reqs;
    if (r->call.ctx_free) r->call.ctx_free(r->call.ctx);
    req_free(h, r); /* removing the easy handle makes curl drop its sockets */
  }
  curl_multi_cleanup(h->multi);
  uv_timer_stop(&h->timer);
  uv_close((uv_handle_t *)&h->timer, http_timer_close_cb);
  c->http = NULL;
}
