/* The client handle's layout, shared by the modules of libusm. Not public. */
#ifndef USM_CLIENT_INTERNAL_H
#define USM_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <usm/client.h>
#include <uv.h>

#include "core/strbuf.h"

#define USM_CLIENT_MAGIC 0x75736d43u /* "usmC" */

struct usm_http;      /* rest/http.c */
struct usm__discovery; /* rest/discovery.c */
struct usm__device;    /* meeting/device.c */
struct usm__mercury;   /* mercury/connection.c */

typedef struct usm_post_item {
  struct usm_post_item *next;
  usm_post_fn fn;
  void *user;
} usm_post_item;

struct usm_client {
  uint32_t magic;
  /* settings (owned copies) */
  char *access_token;
  char *discovery_url;
  char *api_url;           /* NULL: the discovered hydra service (rest/discovery.h) */
  char *ca_file;
  char *user_agent;
  char **extra_headers; /* NULL-terminated */
  long connect_timeout_ms;
  long request_timeout_ms;
  unsigned max_retries;
  long max_retry_after_ms;
  size_t max_body_bytes;
  usm_log_cb log_cb;
  usm_log_level log_level;
  void *log_user;
  void *user;
  long mercury_ping_interval_ms;
  long mercury_pong_timeout_ms;
  unsigned mercury_max_retries;
  usm_token_refresh_cb token_refresh_cb;
  void *token_refresh_user;

  /* loop */
  uv_loop_t loop;
  uv_async_t wake;         /* drains the post queue */
  pthread_mutex_t post_lock;
  usm_post_item *post_head, *post_tail;
  int post_closed;         /* set under post_lock once destruction starts */
  pthread_t thread;
  int thread_running;
  int running;             /* inside usm_client_run / the thread's loop */
  int stop_requested;
  int cb_depth;            /* > 0 while a user callback runs */
  int dead;                /* destroy was called: no more callbacks */

  struct usm_http *http;
  struct usm__discovery *discovery; /* service catalog, fetched on first use */
  struct usm__device *device;       /* WDM registration, made on first use */
  struct usm__mercury *mercury;     /* event channel and its lws context, made on first use */
  struct usm__dtls_ctx *dtls;       /* DTLS certificate and SSL_CTX for media, made on first use */
  int events_state;                 /* usm_connection_state, as the meetings see it (meeting/events.c) */
  usm_err events_error;             /* why it is offline or reconnecting */
  struct usm_meeting *meetings;     /* live meeting handles, detached on destroy */
  unsigned run_refs;       /* waits without a request in flight (lobby) that keep usm_client_run going */
  uint64_t rng;            /* xorshift state for retry jitter */
  uint64_t tracking_counter;
  char session_id[33];     /* TrackingID prefix, random per client */

  usm_strbuf last_error;
};

/* Logging: printf-style; the token is scrubbed from the text defensively. */
void usm__log(usm_client *c, usm_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the detail text returned by usm_client_last_error(). */
void usm__set_error(usm_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void usm__clear_error(usm_client *c);

/* Bracket every call into application code. usm__cb_begin returns 0 when
 * the client is being destroyed and the callback must be skipped. */
int usm__cb_begin(usm_client *c);
void usm__cb_end(usm_client *c);

/* Validate a handle coming from the application. */
int usm__client_ok(const usm_client *c);

/* Free a client whose loop is not running (client.c). */
void usm__client_free(usm_client *c);
/* The wake-up handle's callback: runs posted functions (loop.c). */
void usm__loop_async_cb(uv_async_t *h);

/* 0..n-1, uniform enough for jitter. */
uint32_t usm__rand(usm_client *c, uint32_t n);

#endif
