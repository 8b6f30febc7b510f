/* The Mercury event channel, as the meeting layer sees it: one websocket per
 * client (per WDM device), kept up with pings and reconnects, delivering
 * events and telling when a resync is needed. Loop thread only. */
#ifndef USM_MERCURY_H
#define USM_MERCURY_H

#include <cjson/cJSON.h>

#include "core/client_internal.h"
#include "mercury/connection_fsm.h"

typedef enum usm__mercury_change {
  USM__MERCURY_ONLINE = 0,   /* authorized (after every (re)connect) */
  USM__MERCURY_RECONNECTING, /* lost; the next connect waits out a backoff */
  USM__MERCURY_OFFLINE       /* no reconnect; see usm__mercury_reason */
} usm__mercury_change;

typedef enum usm__mercury_reason {
  USM__MERCURY_R_NONE = 0,
  USM__MERCURY_R_REPLACED,     /* 4000: a newer connection of this device */
  USM__MERCURY_R_UNAUTHORIZED, /* 4401 and no token refresh callback */
  USM__MERCURY_R_FORBIDDEN,    /* 4403 */
  USM__MERCURY_R_BAD_REQUEST,  /* 4400 */
  USM__MERCURY_R_CLOSED,       /* a permanent close by the server */
  USM__MERCURY_R_RETRIES,      /* mercury_max_retries failed connects in a row */
  USM__MERCURY_R_INTERNAL      /* no memory, or libwebsockets refused */
} usm__mercury_reason;

typedef enum usm__mercury_resync {
  USM__MERCURY_RESYNC_CONNECTED = 0, /* events may have been missed while offline */
  USM__MERCURY_RESYNC_GAP            /* sequenceNumber was not the previous + 1 */
} usm__mercury_resync;

/* Every callback runs on the loop thread, bracketed by usm__cb_begin/end (it
 * may destroy the client). Any of them may be NULL. */
typedef struct usm__mercury_handlers {
  /* An event once online: data.eventType and data (valid during the call). */
  void (*on_event)(usm_client *c, const char *event_type, const cJSON *data, void *user);
  /* @p close_code: the close that caused it (0 if none); @p detail: text for logs. */
  void (*on_change)(usm_client *c, usm__mercury_change change, usm__mercury_reason reason,
                    int close_code, const char *detail, void *user);
  void (*on_resync)(usm_client *c, usm__mercury_resync why, void *user);
  /* A frame was dropped (USM_ERR_BAD_RESPONSE: not JSON; USM_ERR_RESPONSE_TOO_LARGE:
   * over 1 MiB, and the connection is restarted). */
  void (*on_error)(usm_client *c, usm_err err, const char *detail, void *user);
  void *user;
} usm__mercury_handlers;

/* Connect to @p ws_url (the device's webSocketUrl: wss://, or ws:// to a
 * loopback host) and keep connected until stopped or offline. Creates the
 * libwebsockets context on first use. Starting again while started replaces
 * the handlers and URL and reconnects. @return USM_OK, USM_ERR_INVALID_ARG,
 * USM_ERR_INSECURE_URL, USM_ERR_NO_MEMORY, USM_ERR_INTERNAL. */
usm_err usm__mercury_start(usm_client *c, const char *ws_url, const usm__mercury_handlers *h);
/* Close (1000 "done") and stay idle; no callback fires for it. */
void usm__mercury_stop(usm_client *c);
usm__mstate usm__mercury_state(const usm_client *c);

/* Client teardown (client.c): close everything, then free after the loop ran. */
void usm__mercury_shutdown(usm_client *c);
void usm__mercury_free(usm_client *c);

/* Tests: shorter backoff than PROTOCOL's 1 s .. 32 s. */
void usm__mercury_set_backoff(usm_client *c, long base_ms, long max_ms);

#endif
