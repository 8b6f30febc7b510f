#include "rest/lazy.h"

#include <stdlib.h>

#include "core/client_internal.h"

struct usm__waiter {
  usm__waiter *next;
  usm__ready_fn fn;
  void (*free_fn)(void *);
  void *ctx;
  int cancelled; /* kept in the list until the fetch ends: nobody else frees it */
};

usm_err usm__lazy_wait(usm__lazy *l, usm__ready_fn fn, void (*free_fn)(void *), void *ctx,
                       usm__waiter **out) {
  usm__waiter *w = calloc(1, sizeof *w);
  if (!w) return USM_ERR_NO_MEMORY;
  w->fn = fn;
  w->free_fn = free_fn;
  w->ctx = ctx;
  if (l->tail)
    l->tail->next = w;
  else
    l->head = w;
  l->tail = w;
  if (out) *out = w;
  return USM_OK;
}

void usm__lazy_cancel(usm__waiter *w) {
  if (w) w->cancelled = 1;
}

void usm__lazy_finish(usm_client *c, usm__lazy *l, usm_err err, const char *message) {
  l->state = err == USM_OK ? USM__LAZY_READY : USM__LAZY_IDLE;
  /* Take the current waiters: one that queues anew (after a failure, to
   * retry) belongs to the next fetch, not to this outcome. */
  usm__waiter *w = l->head;
  l->head = l->tail = NULL;
  while (w) {
    usm__waiter *next = w->next;
    if (!w->cancelled) w->fn(c, err, message, w->ctx);
    free(w);
    w = next;
    if (c->dead && w) {
      /* Put the rest back for usm__lazy_free to release. */
      usm__waiter *last = w;
      while (last->next) last = last->next;
      last->next = l->head;
      if (!l->head) l->tail = last;
      l->head = w;
      return;
    }
  }
}

void usm__lazy_free(usm__lazy *l) {
  usm__waiter *w = l->head;
  l->head = l->tail = NULL;
  while (w) {
    usm__waiter *next = w->next;
    if (!w->cancelled && w->free_fn) w->free_fn(w->ctx);
    free(w);
    w = next;
  }
}
