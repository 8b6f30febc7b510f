/* While the user waits in the lobby: the keep-alive Locus expects
 * (PROTOCOL.md §3.3). Seeing the admission is locus_watch.c's job. */
#include <stdlib.h>

#include "core/client_internal.h"
#include "meeting/meeting_internal.h"

struct usm__lobby {
  usm_meeting *m;
  uv_timer_t keepalive;
  int keepalive_busy;
  char *keepalive_url;
};

static void on_closed(uv_handle_t *h) {
  struct usm__lobby *l = h->data;
  free(l->keepalive_url);
  free(l);
}

static void on_keepalive(usm_meeting *m, usm__mreq *q, const usm_http_result *r) {
  (void)q;
  if (!m->lobby) return;
  m->lobby->keepalive_busy = 0;
  if (r->status.err != USM_OK) {
    /* as the official SDK: stop at the first failure (404: not waiting any more) */
    usm__log(m->client, USM_LOG_INFO, "lobby: keep-alive failed (%s); stopped", r->status.message);
    uv_timer_stop(&m->lobby->keepalive);
  }
}

static void keepalive_fire(uv_timer_t *t) {
  struct usm__lobby *l = t->data;
  usm_meeting *m = l->m;
  /* a lobby whose client is going away must not start anything */
  if (m->lobby != l || !m->client || m->client->dead || l->keepalive_busy) return;
  if (usm__mreq_send(m, "GET", l->keepalive_url, NULL, USM__MREQ_IDEMPOTENT, on_keepalive, NULL, NULL) == USM_OK)
    l->keepalive_busy = 1;
}

usm_err usm__lobby_start(usm_meeting *m) {
  if (m->lobby) return USM_OK;
  usm_client *c = m->client;
  struct usm__lobby *l = calloc(1, sizeof *l);
  if (!l) return USM_ERR_NO_MEMORY;
  l->m = m;
  uv_timer_init(&c->loop, &l->keepalive);
  l->keepalive.data = l;
  const usm__locus *lo = m->locus;
  /* (keepAliveSecs - 1) * 750 ms, skipped without a URL or at 1 s or less */
  if (lo && lo->keepalive_url && lo->keepalive_secs > 1 && (l->keepalive_url = usm__strdup(lo->keepalive_url))) {
    uint64_t every = (uint64_t)(lo->keepalive_secs - 1) * 750;
    uv_timer_start(&l->keepalive, keepalive_fire, every, every);
  }
  m->lobby = l;
  c->run_refs++; /* usm_client_run keeps going while we wait for the host */
  usm__log(c, USM_LOG_INFO, "lobby: waiting to be admitted");
  return USM_OK;
}

void usm__lobby_stop(usm_meeting *m) {
  struct usm__lobby *l = m->lobby;
  if (!l) return;
  m->lobby = NULL;
  m->client->run_refs--;
  uv_timer_stop(&l->keepalive);
  uv_close((uv_handle_t *)&l->keepalive, on_closed);
}
