/* A per-client resource fetched once, on first use, by whoever needs it
 * first (the service catalog, the device registration): concurrent callers
 * queue and all hear the outcome of the one fetch. A failed fetch is not
 * cached: the next caller starts a new one. Internal. */
#ifndef USM_REST_LAZY_H
#define USM_REST_LAZY_H

#include <usm/client.h>

/* Called once per waiter with the fetch's outcome (USM_OK: available). */
typedef void (*usm__ready_fn)(usm_client *c, usm_err err, const char *message, void *ctx);

typedef struct usm__waiter usm__waiter;

typedef enum usm__lazy_state { USM__LAZY_IDLE, USM__LAZY_FETCHING, USM__LAZY_READY } usm__lazy_state;

typedef struct usm__lazy {
  usm__lazy_state state;
  usm__waiter *head, *tail;
} usm__lazy;

/*
 * Queue a waiter. @p free_fn (may be NULL) releases @p ctx when the client is
 * destroyed before the waiter was called. The caller starts the fetch when
 * the state was IDLE (and sets it to FETCHING).
 * @return USM_OK or USM_ERR_NO_MEMORY; *out identifies the waiter for usm__lazy_cancel.
 */
usm_err usm__lazy_wait(usm__lazy *l, usm__ready_fn fn, void (*free_fn)(void *), void *ctx,
                       usm__waiter **out);
/* The waiter is never called and its ctx is not freed (the caller keeps it). */
void usm__lazy_cancel(usm__waiter *w);
/* Record the outcome (READY on USM_OK, else IDLE) and call every waiter in
 * order. Stops calling when the client is destroyed meanwhile; the rest are
 * released by usm__lazy_free. */
void usm__lazy_finish(usm_client *c, usm__lazy *l, usm_err err, const char *message);
/* Release every waiter without calling it (client destruction). */
void usm__lazy_free(usm__lazy *l);

#endif
