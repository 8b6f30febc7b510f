/* Keeping a meeting's locus fresh besides Mercury's events:
 *  - a sync (PROTOCOL.md §3.5 doLocusSync) after every (re)connect, on a
 *    sequence gap, and when deltas cannot be merged: GET syncUrl (empty:
 *    up to date; else a delta, or here a full DTO), else GET locusUrl;
 *  - the out-of-order timer: deltas held for 10..15 s mean a sync;
 *  - polling while the event channel is not online (2 s in the lobby, 3 s
 *    in the meeting), so the lobby still sees the admission and the roster
 *    still converges when Mercury is down or refused. */
#include <stdlib.h>

#include "core/client_internal.h"
#include "meeting/meeting_internal.h"
#include "rest/json.h"

#define LOBBY_POLL_MS 2000  /* waiting people want to know at once */
#define JOINED_POLL_MS 3000 /* roster changes: a little slower, many more clients */
#define OOO_WAIT_MS 10000   /* official: 10 s plus up to 5 s of jitter */
#define OOO_JITTER_MS 5000

struct usm__watch {
  usm_meeting *m;
  uv_timer_t poll; /* while the event channel is down */
  uv_timer_t hold; /* deltas held: sync when they do not resolve */
  int busy;        /* a fetch is in flight */
  int again;       /* a sync was asked for meanwhile */
  int closing;     /* handles left to close before the struct is freed */
};

static int active(const usm_meeting *m) {
  return m->state == USM_MEETING_JOINING || m->state == USM_MEETING_IN_LOBBY || m->state == USM_MEETING_JOINED;
}

static int polling_wanted(const usm_meeting *m) {
  return (m->state == USM_MEETING_IN_LOBBY || m->state == USM_MEETING_JOINED) && !usm__events_online(m->client);
}

static uint64_t interval(const usm_meeting *m) {
  return m->state == USM_MEETING_IN_LOBBY ? LOBBY_POLL_MS : JOINED_POLL_MS;
}

static void on_closed(uv_handle_t *h) {
  struct usm__watch *w = h->data;
  if (--w->closing == 0) free(w);
}

static void stop(usm_meeting *m) {
  struct usm__watch *w = m->watch;
  if (!w) return;
  m->watch = NULL;
  w->closing = 2;
  uv_close((uv_handle_t *)&w->poll, on_closed);
  uv_close((uv_handle_t *)&w->hold, on_closed);
}

static void fire_poll(uv_timer_t *t);

/* After a fetch: another sync if one was asked for, else the next poll. */
static void next(usm_meeting *m) {
  struct usm__watch *w = m->watch;
  if (!w || w->busy) return;
  if (w->again) {
    w->again = 0;
    usm__watch_sync(m);
    return;
  }
  if (polling_wanted(m))
    uv_timer_start(&w->poll, fire_poll, interval(m), 0);
  else
    uv_timer_stop(&w->poll);
}

static int fetch(usm_meeting *m, const char *url, usm__mreq_fn done) {
  if (usm__mreq_send(m, "GET", url, NULL, USM__MREQ_LOCUS | USM__MREQ_IDEMPOTENT, done, NULL, NULL) != USM_OK)
    return 0;
  m->watch->busy = 1;
  return 1;
}

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
  next(m);
}

static int full_sync(usm_meeting *m) { return m->locus_url && fetch(m, m->locus_url, on_dto); }

/* The syncUrl's answer: nothing new, a delta, or a full DTO. */
static void on_sync(usm_meeting *m, usm__mreq *q, const usm_http_result *r) {
  (void)q;
  if (!m->watch) return;
  m->watch->busy = 0;
  cJSON *root = r->status.err == USM_OK && r->body_len ? usm__json_parse(r->status.body, r->body_len) : NULL;
  if (r->status.err == USM_OK && r->body_len == 0) {
    next(m); /* up to date */
    return;
  }
  const cJSON *dto = usm__locus_of(root);
  int alive = 1;
  if (!cJSON_IsObject(dto)) {
    usm__log(m->client, USM_LOG_INFO, "watch: sync failed; fetching the full locus");
    cJSON_Delete(root);
    if (!full_sync(m)) next(m);
    return;
  }
  if (cJSON_GetObjectItemCaseSensitive(dto, "baseSequence")) {
    /* a delta that still does not merge asks for a sync: make it a full one */
    m->watch->again = 0;
    cJSON *delta = dto == root ? root : cJSON_DetachItemViaPointer(root, (cJSON *)dto);
    if (dto == root) root = NULL;
    m->watch->busy = 1; /* syncs asked for while merging wait */
    alive = usm__meeting_apply_delta(m, delta);
    if (alive && m->watch) {
      m->watch->busy = 0;
      if (m->watch->again) {
        m->watch->again = 0;
        if (full_sync(m)) {
          cJSON_Delete(root);
          return;
        }
      }
    }
  } else {
    usm_err e;
    alive = usm__meeting_apply_dto(m, dto, &e);
  }
  cJSON_Delete(root);
  if (alive) next(m);
}

void usm__watch_sync(usm_meeting *m);

static struct usm__watch *ensure(usm_meeting *m) {
  if (m->watch) return m->watch;
  if (!active(m)) return NULL;
  struct usm__watch *w = calloc(1, sizeof *w);
  if (!w) {
    usm__log(m->client, USM_LOG_WARN, "watch: out of memory; the roster will not follow");
    return NULL;
  }
  w->m = m;
  uv_timer_init(&m->client->loop, &w->poll);
  uv_timer_init(&m->client->loop, &w->hold);
  w->poll.data = w->hold.data = w;
  m->watch = w;
  return w;
}

static void fire_poll(uv_timer_t *t) {
  struct usm__watch *w = t->data;
  usm_meeting *m = w->m;
  if (m->watch != w || !m->client || m->client->dead || w->busy) return;
  if (!full_sync(m)) uv_timer_start(t, fire_poll, interval(m), 0); /* out of memory now; try later */
}

static void fire_hold(uv_timer_t *t) {
  struct usm__watch *w = t->data;
  usm_meeting *m = w->m;
  if (m->watch != w || !m->client || m->client->dead) return;
  usm__log(m->client, USM_LOG_INFO, "watch: held deltas did not resolve; syncing");
  usm__ooo_clear(&m->ooo);
  usm__watch_sync(m);
}

void usm__watch_sync(usm_meeting *m) {
  if (!m->client || m->client->dead) return;
  struct usm__watch *w = ensure(m);
  if (!w) return;
  if (w->busy) {
    w->again = 1;
    return;
  }
  uv_timer_stop(&w->poll);
  const char *sync_url = m->locus ? m->locus->sync_url : NULL;
  if (sync_url && fetch(m, sync_url, on_sync)) return;
  if (!full_sync(m)) next(m);
}

void usm__watch_hold(usm_meeting *m, int held) {
  struct usm__watch *w = held ? ensure(m) : m->watch;
  if (!w) return;
  if (!held)
    uv_timer_stop(&w->hold);
  else if (!uv_is_active((uv_handle_t *)&w->hold))
    uv_timer_start(&w->hold, fire_hold, OOO_WAIT_MS + usm__rand(m->client, OOO_JITTER_MS), 0);
}

void usm__watch_update(usm_meeting *m) {
  if (!active(m)) {
    stop(m);
    return;
  }
  if (!polling_wanted(m)) {
    if (m->watch) uv_timer_stop(&m->watch->poll);
    return;
  }
  struct usm__watch *w = ensure(m);
  /* (re)arm with the interval of the new state, unless a fetch is under way */
  if (w && !w->busy) uv_timer_start(&w->poll, fire_poll, interval(m), 0);
}

void usm__watch_stop(usm_meeting *m) { stop(m); }
