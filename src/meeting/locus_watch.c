/* Until Mercury delivers Locus events (issue 4), a meeting in the lobby or
 * in the meeting fetches its DTO now and then, so the lobby sees the
 * admission and everyone sees the roster, host and lock change. The
 * polling lives only here, so the event channel can replace it. */
#include <stdlib.h>

#include "core/client_internal.h"
#include "meeting/meeting_internal.h"
#include "rest/json.h"

#define LOBBY_POLL_MS 2000  /* waiting people want to know at once */
#define JOINED_POLL_MS 3000 /* roster changes: a little slower, many more clients */

struct usm__watch {
  usm_meeting *m;
  uv_timer_t timer;
  int busy;
};

static void on_closed(uv_handle_t *h) { free(h->data); }

static uint64_t interval(const usm_meeting *m) {
  return m->state == USM_MEETING_IN_LOBBY ? LOBBY_POLL_MS : JOINED_POLL_MS;
}

static void fire(uv_timer_t *t);

static void on_dto(usm_meeting *m, usm__mreq *q, const usm_http_result *r) {
  (void)q;
  if (!m->watch) return;
  m->watch->busy = 0;
  if (r->status.err == USM_OK) {
    cJSON *root = usm__json_parse(r->status.body, r->body_len);
    usm_err e;
    int alive = usm__meeting_apply_dto(m, usm__locus_of(root), &e);
    cJSON_Delete(root);
    if (!alive) return; /* destroyed from an event callback */
  } else {
    usm__log(m->client, USM_LOG_INFO, "watch: locus fetch failed (%s)", r->status.message);
  }
  if (m->watch) uv_timer_start(&m->watch->timer, fire, interval(m), 0);
}

static void fire(uv_timer_t *t) {
  struct usm__watch *w = t->data;
  usm_meeting *m = w->m;
  if (m->watch != w || !m->client || m->client->dead || !m->locus_url || w->busy) return;
  if (usm__mreq_send(m, "GET", m->locus_url, NULL, USM__MREQ_LOCUS | USM__MREQ_IDEMPOTENT, on_dto, NULL, NULL) ==
      USM_OK)
    w->busy = 1;
  else
    uv_timer_start(t, fire, interval(m), 0); /* out of memory now; try again later */
}

static void stop(usm_meeting *m) {
  struct usm__watch *w = m->watch;
  if (!w) return;
  m->watch = NULL;
  uv_timer_stop(&w->timer);
  uv_close((uv_handle_t *)&w->timer, on_closed);
}

void usm__watch_update(usm_meeting *m) {
  int wanted = m->state == USM_MEETING_IN_LOBBY || m->state == USM_MEETING_JOINED;
  if (!wanted) {
    stop(m);
    return;
  }
  if (!m->watch) {
    struct usm__watch *w = calloc(1, sizeof *w);
    if (!w) {
      usm__log(m->client, USM_LOG_WARN, "watch: out of memory; the roster will not follow");
      return;
    }
    w->m = m;
    uv_timer_init(&m->client->loop, &w->timer);
    w->timer.data = w;
    m->watch = w;
  }
  /* (re)arm with the interval of the new state, unless a fetch is under way */
  if (!m->watch->busy) uv_timer_start(&m->watch->timer, fire, interval(m), 0);
}

void usm__watch_stop(usm_meeting *m) { stop(m); }
