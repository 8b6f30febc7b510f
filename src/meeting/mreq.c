/* A meeting's HTTP requests: tracked so destroy can cancel them, with
 * Locus's body redirects (errorCode 2000002) followed at most 5 times, and
 * Locus error bodies mapped to libusm's meeting errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "meeting/meeting_internal.h"
#include "rest/json.h"
#include "rest/url.h"

#define MAX_LOCUS_REDIRECTS 5 /* the official SDK's maxLocusRedirects */
#define LOCUS_REDIRECT 2000002L

/* The official SDK's INTENT_TO_JOIN codes: locked, or a PIN / moderator flag is needed. */
static const long intent_codes[] = {2423005, 2423006, 2423016, 2423017, 2423018};

/* Locus redirects instead of answering 3xx when asked to (we never follow 3xx). */
static const char *const locus_headers[] = {"cisco-no-http-redirect: true", NULL};

static void unlink_req(usm__mreq *q) {
  usm_meeting *m = q->m;
  if (q->prev)
    q->prev->next = q->next;
  else if (m->reqs == q)
    m->reqs = q->next;
  if (q->next) q->next->prev = q->prev;
  q->next = q->prev = NULL;
}

static void req_free(usm__mreq *q) {
  free(q->url);
  free(q->body);
  free(q);
}

/* The HTTP layer drops a cancelled request's context through this. */
static void on_cancel(void *ctx) {
  usm__mreq *q = ctx;
  unlink_req(q);
  req_free(q);
}

static void on_http(usm_client *c, const usm_http_result *r, void *ctx);

static usm_err start(usm_client *c, usm__mreq *q) {
  usm_http_call call = {
    .method = q->method,
    .url = q->url,
    .body = q->body,
    .idempotent = (q->flags & USM__MREQ_IDEMPOTENT) != 0,
    .final_423 = (q->flags & USM__MREQ_FINAL_423) != 0,
    .timeout_ms = q->timeout_ms,
    .headers = (q->flags & USM__MREQ_LOCUS) ? locus_headers : NULL,
    .done = on_http,
    .ctx_free = on_cancel,
    .ctx = q,
  };
  return usm__http_start(c, &call);
}

/* Where a Locus redirect answer points, or NULL. A request with a query
 * keeps its own query on the new path, as the official SDK does. */
static char *redirect_target(const usm__mreq *q, const usm_http_result *r) {
  if (!(q->flags & USM__MREQ_LOCUS) || r->status.err == USM_OK || !r->status.body) return NULL;
  cJSON *root = usm__json_parse(r->status.body, r->body_len);
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "errorCode");
  const char *loc = usm__json_str(root, "location");
  char *target = NULL;
  if (cJSON_IsNumber(code) && (long)code->valuedouble == LOCUS_REDIRECT && loc && strlen(loc) < 4096 &&
      usm__url_check(loc) == USM_OK) {
    const char *our_q = strchr(q->url, '?');
    size_t keep = our_q ? strcspn(loc, "?") : strlen(loc);
    usm_strbuf b;
    usm__strbuf_init(&b, 0);
    if (usm__strbuf_append(&b, loc, keep) == 0 && (!our_q || usm__strbuf_printf(&b, "%s", our_q) == 0))
      target = b.data;
    else
      usm__strbuf_free(&b);
  }
  cJSON_Delete(root);
  return target;
}

static void on_http(usm_client *c, const usm_http_result *r, void *ctx) {
  usm__mreq *q = ctx;
  char *target = q->redirects < MAX_LOCUS_REDIRECTS ? redirect_target(q, r) : NULL;
  if (target) {
    usm__log(c, USM_LOG_INFO, "locus: redirected to %s", target);
    free(q->url);
    q->url = target;
    q->redirects++;
    usm_err e = start(c, q);
    if (e == USM_OK) return;
    usm_http_result fail = {0};
    fail.status.err = e;
    fail.status.message = "could not follow a Locus redirect";
    unlink_req(q);
    q->on_done(q->m, q, &fail);
    req_free(q);
    return;
  }
  unlink_req(q);
  q->on_done(q->m, q, r);
  req_free(q);
}

usm_err usm__mreq_send(usm_meeting *m, const char *method, const char *url, const char *body, unsigned flags,
                       usm__mreq_fn on_done, usm_meeting_done_cb cb, void *user) {
  return usm__mreq_send_timed(m, method, url, body, flags, 0, on_done, cb, user);
}

usm_err usm__mreq_send_timed(usm_meeting *m, const char *method, const char *url, const char *body, unsigned flags,
                             long timeout_ms, usm__mreq_fn on_done, usm_meeting_done_cb cb, void *user) {
  if (strlen(method) >= sizeof(((usm__mreq *)0)->method)) return USM_ERR_INVALID_ARG;
  usm__mreq *q = calloc(1, sizeof *q);
  if (!q) return USM_ERR_NO_MEMORY;
  q->m = m;
  q->on_done = on_done;
  q->cb = cb;
  q->user = user;
  q->flags = flags;
  q->timeout_ms = timeout_ms;
  strcpy(q->method, method);
  q->url = usm__strdup(url);
  q->body = usm__strdup(body);
  usm_err e = !q->url || (body && !q->body) ? USM_ERR_NO_MEMORY : start(m->client, q);
  if (e != USM_OK) {
    req_free(q);
    return e;
  }
  q->next = m->reqs;
  if (m->reqs) m->reqs->prev = q;
  m->reqs = q;
  return USM_OK;
}

void usm__mreq_cancel_all(usm_meeting *m) {
  while (m->reqs) {
    usm__mreq *q = m->reqs;
    usm__http_cancel(m->client, q); /* on_cancel unlinks and frees it */
    if (m->reqs == q) on_cancel(q);  /* not in flight after all: never loop */
  }
}

long usm__locus_error_code(const usm_http_result *r) {
  if (r->status.err == USM_OK || !r->status.body) return 0;
  cJSON *root = usm__json_parse(r->status.body, r->body_len);
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "errorCode");
  long v = cJSON_IsNumber(code) && code->valuedouble > 0 && code->valuedouble < 1e9 ? (long)code->valuedouble : 0;
  cJSON_Delete(root);
  return v;
}

/* Failures of our own side or the transport keep their code: they say more. */
static int transport_err(usm_err e) {
  return e == USM_ERR_NETWORK || e == USM_ERR_TLS || e == USM_ERR_TIMEOUT || e == USM_ERR_NO_MEMORY ||
         e == USM_ERR_INTERNAL || e == USM_ERR_RESPONSE_TOO_LARGE || e == USM_ERR_INVALID_ARG;
}

usm_err usm__locus_err(const usm_http_result *r, int join) {
  long code = usm__locus_error_code(r);
  for (size_t i = 0; i < sizeof intent_codes / sizeof intent_codes[0]; i++)
    if (code == intent_codes[i]) return USM_ERR_MEETING_LOCKED;
  if (code == 2403001) return USM_ERR_NOT_HOST;
  if (code == 2409001) return USM_ERR_MEETING_NOT_ACTIVE;
  if (transport_err(r->status.err)) return r->status.err;
  return join ? USM_ERR_JOIN_FAILED : r->status.err;
}

void usm__http_detail(const usm_http_result *r, char *buf, size_t cap) {
  long code = usm__locus_error_code(r);
  int n = snprintf(buf, cap, "%s", r->status.message && r->status.message[0] ? r->status.message
                                                                             : usm_strerror(r->status.err));
  if (n < 0 || (size_t)n >= cap) return;
  if (code) n += snprintf(buf + n, cap - (size_t)n, " (errorCode %ld)", code);
  if (n > 0 && (size_t)n < cap && r->status.tracking_id)
    snprintf(buf + n, cap - (size_t)n, " trackingId=%s", r->status.tracking_id);
}
