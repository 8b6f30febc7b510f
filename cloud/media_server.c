/* The media server: UDP sockets on 127.0.0.1 in a bounded port range (one
 * per participant media connection, BUNDLE and rtcp-mux as Linus does), the
 * RFC 7983 demultiplexing of what arrives, and the housekeeping timer
 * (RTCP reports, consent expiry, connections of participants who left). */
#include "media_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "locus_model.h"
#include "media/packet_demux.h"
#include "media_internal.h"

uint64_t cloud_media_now_us(void) { return uv_hrtime() / 1000u; }
uint64_t cloud_media_now_ms(void) { return uv_hrtime() / 1000000u; }

uint32_t cloud_media_rand32(void) {
  uint32_t v = 0;
  while (v == 0) cloud_random(&v, sizeof v);
  return v;
}

static char *dup_or_null(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* ---- housekeeping ---- */

/* Whether participant @p p is still joined to a live locus. */
static int still_joined(const cloud_media *m, const cloud_media_part *p) {
  const cloud_locus *l = cloud_locus_by_id(&m->app->store, p->locus_id);
  if (!l || l->ended) return 0;
  const cloud_participant *cp = cloud_locus_participant(l, p->part_id);
  return cp && cp->state == CLOUD_PART_JOINED;
}

static void sweep(cloud_media *m) {
  for (size_t i = m->parts.len; i-- > 0;) {
    cloud_media_part *p = m->parts.items[i];
    if (!still_joined(m, p)) cloud_media_part_close(p);
  }
}

static void on_tick(uv_timer_t *t) {
  cloud_media *m = t->data;
  sweep(m);
  uint64_t now = cloud_media_now_ms();
  for (size_t i = 0; i < m->parts.len; i++) {
    cloud_media_part *p = m->parts.items[i];
    /* ice-lite does no checks itself: the client's checks on the selected
     * pair are its consent (RFC 7675); without them for 30 s it is gone */
    if (p->ice == CLOUD_ICE_CONNECTED && now - p->last_consent_ms > CLOUD_MEDIA_CONSENT_MS) {
      p->ice = CLOUD_ICE_DISCONNECTED;
      p->have_selected = 0;
    }
    if (p->ice == CLOUD_ICE_CONNECTED && p->srtp_out) {
      cloud_media_rtcp_tick(p);
      if (m->ticks % CLOUD_MEDIA_REMB_EVERY == 0) cloud_media_remb_tick(p);
    }
  }
  m->ticks++;
}

void cloud_media_locus_changed(cloud_media *m, const struct cloud_locus *l) {
  if (!m || m->stopped) return;
  for (size_t i = m->parts.len; i-- > 0;) {
    cloud_media_part *p = m->parts.items[i];
    if (strcmp(p->locus_id, l->id) == 0 && !still_joined(m, p)) cloud_media_part_close(p);
  }
}

/* ---- the server ---- */

cloud_media *cloud_media_create(uv_loop_t *loop, struct cloud_app *app, const cloud_media_options *o,
                                char *err, size_t errlen) {
  if (o->port_lo < 1 || o->port_hi > 65535 || o->port_lo > o->port_hi) {
    snprintf(err, errlen, "bad media port range");
    return NULL;
  }
  cloud_media *m = calloc(1, sizeof *m);
  if (!m) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  m->loop = loop;
  m->app = app;
  m->port_lo = o->port_lo;
  m->port_hi = o->port_hi;
  m->next_port = o->port_lo;
  m->turn_url = dup_or_null(o->turn_url);
  m->turn_user = dup_or_null(o->turn_user);
  m->turn_password = dup_or_null(o->turn_password);
  char why[256] = "";
  if ((o->turn_url && (!m->turn_url || !m->turn_user || !m->turn_password)) ||
      usm__dtls_ctx_create(&m->dtls_ctx, why, sizeof why) != USM_OK) {
    snprintf(err, errlen, "cannot create the DTLS context: %s", why);
    free(m->turn_url);
    free(m->turn_user);
    free(m->turn_password);
    usm__dtls_ctx_free(m->dtls_ctx);
    free(m);
    return NULL;
  }
  uv_timer_init(loop, &m->tick);
  m->tick.data = m;
  uv_timer_start(&m->tick, on_tick, CLOUD_MEDIA_TICK_MS, CLOUD_MEDIA_TICK_MS);
  return m;
}

static void tick_closed(uv_handle_t *h) {
  cloud_media *m = h->data;
  m->closing_handles--;
}

void cloud_media_stop(cloud_media *m) {
  if (!m || m->stopped) return;
  m->stopped = 1;
  while (m->parts.len) cloud_media_part_close(m->parts.items[m->parts.len - 1]);
  m->closing_handles++;
  uv_close((uv_handle_t *)&m->tick, tick_closed);
}

static void part_free(cloud_media_part *p) {
  cloud_media_outs_forget(p);
  cloud_media_bot_free(p->bot);
  usm__dtls_destroy(p->dtls);
  usm__srtp_session_destroy(p->srtp_in);
  usm__srtp_session_destroy(p->srtp_out);
  free(p->last_sdp);
  free(p->offer_sdp);
  free(p);
}

void cloud_media_free(cloud_media *m) {
  if (!m) return;
  /* Normally empty: every handle closed while the loop ran after stop. */
  for (size_t i = 0; i < m->parts.len; i++) part_free(m->parts.items[i]);
  for (size_t i = 0; i < m->dying.len; i++) part_free(m->dying.items[i]);
  cloud_vec_free(&m->parts);
  cloud_vec_free(&m->dying);
  usm__dtls_ctx_free(m->dtls_ctx);
  free(m->turn_url);
  free(m->turn_user);
  free(m->turn_password);
  free(m);
}

/* ---- one connection ---- */

cloud_media_part *cloud_media_find(cloud_media *m, const char *part_id) {
  for (size_t i = 0; m && i < m->parts.len; i++) {
    cloud_media_part *p = m->parts.items[i];
    if (strcmp(p->part_id, part_id) == 0) return p;
  }
  return NULL;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  cloud_media_part *p = h->data;
  buf->base = (char *)p->srv->rx;
  buf->len = sizeof p->srv->rx;
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags) {
  cloud_media_part *p = h->data;
  if (nread <= 0 || !addr || addr->sa_family != AF_INET || (flags & UV_UDP_PARTIAL) ||
      p->handles_open < 4)
    return;
  const struct sockaddr_in *from = (const struct sockaddr_in *)addr;
  const uint8_t *data = (const uint8_t *)buf->base;
  size_t len = (size_t)nread;
  switch (usm__packet_classify(data, len)) {
  case USM__PKT_STUN: cloud_media_ice_on_stun(p, data, len, from); break;
  case USM__PKT_DTLS:
    if (cloud_media_ice_trusted(p, from)) cloud_media_part_dtls_feed(p, data, len);
    break;
  case USM__PKT_RTP:
  case USM__PKT_RTCP:
    if (!cloud_media_ice_trusted(p, from) || !p->srtp_in || len > CLOUD_MEDIA_MAX_DATAGRAM) {
      p->dropped++;
      break;
    }
    cloud_impair_push(&p->impair[CLOUD_DIR_UP], data, len);
    break;
  default: p->dropped++; break;
  }
}

static void down_deliver(void *user, uint8_t *data, size_t len) {
  cloud_media_send_raw(user, data, len);
}

/* Binds @p p's socket to the next free port of the range. */
static int bind_port(cloud_media *m, cloud_media_part *p) {
  int span = m->port_hi - m->port_lo + 1;
  for (int tries = 0; tries < span; tries++) {
    int port = m->next_port;
    m->next_port = port >= m->port_hi ? m->port_lo : port + 1;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", port, &a);
    if (uv_udp_bind(&p->sock, (const struct sockaddr *)&a, 0) == 0) {
      p->port = port;
      return 0;
    }
  }
  return -1;
}

static void handle_closed(uv_handle_t *h) {
  cloud_media_part *p = h->data;
  if (--p->handles_open > 0) return;
  cloud_vec_remove(&p->srv->dying, p);
  part_free(p);
}

static int csi_taken(const cloud_media *m, const char *locus_id, uint32_t v) {
  for (size_t i = 0; i < m->parts.len; i++) {
    const cloud_media_part *p = m->parts.items[i];
    if (strcmp(p->locus_id, locus_id) == 0 && (p->csi[0] == v || p->csi[1] == v)) return 1;
  }
  return 0;
}

void cloud_media_new_csis(cloud_media *m, const char *locus_id, uint32_t csi[2]) {
  do csi[0] = cloud_media_rand32();
  while (csi_taken(m, locus_id, csi[0]));
  do csi[1] = cloud_media_rand32();
  while (csi[1] == csi[0] || csi_taken(m, locus_id, csi[1]));
}

size_t cloud_media_bots_in(const cloud_media *m, const char *locus_id) {
  size_t n = 0;
  for (size_t i = 0; m && i < m->parts.len; i++) {
    const cloud_media_part *p = m->parts.items[i];
    n += p->bot && strcmp(p->locus_id, locus_id) == 0;
  }
  return n;
}

/* A connection with its ids, within the limits; no handles yet. */
static cloud_media_part *part_alloc(cloud_media *m, const char *locus_id, const char *part_id,
                                    struct cloud_user *user, char *err, size_t errlen) {
  size_t in_locus = 0;
  for (size_t i = 0; i < m->parts.len; i++)
    in_locus += strcmp(((cloud_media_part *)m->parts.items[i])->locus_id, locus_id) == 0;
  if (m->stopped || m->parts.len >= CLOUD_MEDIA_MAX_PARTS || in_locus >= CLOUD_MEDIA_MAX_PER_LOCUS) {
    snprintf(err, errlen, "too many media connections");
    return NULL;
  }
  cloud_media_part *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  p->srv = m;
  snprintf(p->locus_id, sizeof p->locus_id, "%s", locus_id);
  snprintf(p->part_id, sizeof p->part_id, "%s", part_id);
  cloud_uuid(p->media_id);
  p->user = user;
  p->our_ssrc = cloud_media_rand32();
  cloud_random(&p->session_id, sizeof p->session_id);
  p->session_id &= 0x7fffffffffffffffull; /* o= sess-id fits a signed 64-bit number */
  cloud_media_new_csis(m, locus_id, p->csi);
  if (cloud_vec_push(&m->parts, p) != 0) {
    free(p);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  return p;
}

cloud_media_part *cloud_media_part_new_bot(cloud_media *m, const char *locus_id, const char *part_id,
                                           const uint32_t csi[2], char *err, size_t errlen) {
  cloud_media_part *p = part_alloc(m, locus_id, part_id, NULL, err, errlen);
  if (p) {
    p->csi[0] = csi[0];
    p->csi[1] = csi[1];
  }
  return p;
}

cloud_media_part *cloud_media_part_new(cloud_media *m, const char *locus_id, const char *part_id,
                                       struct cloud_user *user, char *err, size_t errlen) {
  cloud_media_part *p = part_alloc(m, locus_id, part_id, user, err, errlen);
  if (!p) return NULL;
  cloud_media_part_new_ice(p);
  uv_udp_init(m->loop, &p->sock);
  uv_timer_init(m->loop, &p->dtls_timer);
  cloud_impair_init(&p->impair[CLOUD_DIR_UP], m->loop, cloud_media_forward_in, p);
  cloud_impair_init(&p->impair[CLOUD_DIR_DOWN], m->loop, down_deliver, p);
  p->sock.data = p->dtls_timer.data = p;
  p->handles_open = 4;
  if (bind_port(m, p) != 0 || uv_udp_recv_start(&p->sock, on_alloc, on_recv) != 0) {
    snprintf(err, errlen, "no free UDP port in %d-%d", m->port_lo, m->port_hi);
    cloud_media_part_close(p);
    return NULL;
  }
  return p;
}

void cloud_media_part_close(cloud_media_part *p) {
  cloud_media *m = p->srv;
  if (!cloud_vec_remove(&m->parts, p)) return; /* closing already */
  if (cloud_vec_push(&m->dying, p) != 0) {
    /* Cannot track it: leak rather than free under open handles. */
    fprintf(stderr, "usm-cloud: media: out of memory while closing\n");
  }
  if (p->bot) {
    cloud_media_bot_close(p, handle_closed);
    return;
  }
  if (p->dtls && usm__dtls_get_state(p->dtls) == USM__DTLS_CONNECTED) usm__dtls_shutdown(p->dtls);
  p->have_selected = p->have_valid = 0;
  uv_udp_recv_stop(&p->sock);
  uv_close((uv_handle_t *)&p->sock, handle_closed);
  uv_close((uv_handle_t *)&p->dtls_timer, handle_closed);
  cloud_impair_close(&p->impair[CLOUD_DIR_UP], handle_closed);
  cloud_impair_close(&p->impair[CLOUD_DIR_DOWN], handle_closed);
}

void cloud_media_send_raw(cloud_media_part *p, const uint8_t *data, size_t len) {
  const struct sockaddr_in *to = p->have_selected ? &p->selected : p->have_valid ? &p->valid : NULL;
  if (!to || p->handles_open < 4 || uv_is_closing((uv_handle_t *)&p->sock)) return;
  uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
  /* Loopback: a full socket buffer drops the datagram, as a network would. */
  (void)uv_udp_try_send(&p->sock, &b, 1, (const struct sockaddr *)to);
}

void cloud_media_send(cloud_media_part *p, const uint8_t *data, size_t len) {
  cloud_impair_push(&p->impair[CLOUD_DIR_DOWN], data, len);
}
