/* The HTTP engine: libcurl's multi-socket interface on the client's libuv
 * loop, with bounded bodies and bounded retries. Internal. */
#ifndef USM_REST_HTTP_H
#define USM_REST_HTTP_H

#include <usm/rest.h>

typedef struct usm_http_result {
  usm_rest_status status; /* the public view handed to application callbacks */
  size_t body_len;
  const char *link_next;  /* Link rel="next" URL, or NULL */
} usm_http_result;

/* Called once on the loop thread when the request is finished (after any
 * retries). Owns ctx from then on. Not called if the client is destroyed
 * first: then ctx_free(ctx) is called instead. */
typedef void (*usm_http_done_fn)(usm_client *c, const usm_http_result *r, void *ctx);
typedef void (*usm_http_free_fn)(void *ctx);

typedef struct usm_http_call {
  const char *method;   /* "GET", "POST", "PUT", "DELETE" */
  const char *url;      /* absolute */
  const char *body;     /* JSON text, or NULL */
  const char *password; /* sent as the "password" header, or NULL */
  int idempotent;       /* may be retried after a 500 */
  int final_423;        /* a 423 is an answer (captcha, locked meeting), never retried */
  size_t max_body;      /* 0: the client's max_body_bytes; else the smaller of the two */
  long timeout_ms;      /* 0: the client's request_timeout_ms; else this (ROAP's own timeouts) */
  const char *const *headers; /* NULL-terminated extra "Name: value" lines, or NULL */
  usm_http_done_fn done;
  usm_http_free_fn ctx_free;
  void *ctx;
} usm_http_call;

usm_err usm__http_init(usm_client *c);
/* Cancel everything without calling done; close every handle. */
void usm__http_cleanup(usm_client *c);
/* 1 while any request is in flight or waiting to be retried. */
int usm__http_busy(const usm_client *c);
/* Start a request. On error nothing was started and ctx is still the caller's. */
usm_err usm__http_start(usm_client *c, const usm_http_call *call);
/* Cancel every request started with @p ctx: done is not called, ctx_free is.
 * Safe from inside any done callback (the finishing request is no longer listed). */
void usm__http_cancel(usm_client *c, void *ctx);

#endif
