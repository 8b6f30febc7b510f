/* The SFU: each participant's SRTP is decrypted, and its audio and video RTP
 * goes to every other participant of the same locus, re-encrypted with the
 * receiver's session. A receiver sees one stable SSRC per sender and media
 * kind (sequence numbers and timestamps stay continuous when the sender's
 * SSRC changes); payload types are mapped to the receiver's; header
 * extensions are dropped (the answer negotiates none). RTCP ends here: an SR
 * gets an RR back, forwarded streams get our SRs, PLI / FIR / NACK go to the
 * sender with the SSRCs (and NACKed sequence numbers) mapped back (to a
 * bot: its keyframe and retransmission logic). A receiver's NACK is answered
 * first from what the SFU sent it (a per receiver video history, like a real
 * SFU's packet cache): the sender's retransmission of a packet the SFU already
 * got would fail our SRTP replay check. Only what is not held is relayed. Like a translator naming its
 * contributing source (RFC 3550 §7.1), each forwarded packet carries one
 * CSRC: the sender's CSI for that kind (status.csis in the Locus DTO). Every
 * second each sender gets a REMB with its uplink's budget. */
#include <string.h>
#include <time.h>

#include "media/rtcp.h"
#include "media/rtp.h"
#include "media_internal.h"

#define CNAME "linus"

static uint64_t ntp_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000u;
  return ((uint64_t)(ts.tv_sec + 2208988800u) << 32) | frac;
}

/* ---- RTCP out ---- */

/* Protects and sends one compound (buf has room for the SRTCP trailer). */
static void send_rtcp(cloud_media_part *to, uint8_t *buf, size_t len, size_t cap) {
  size_t out = 0;
  if (!to->srtp_out || usm__srtp_protect_rtcp(to->srtp_out, buf, len, cap, &out) != USM_OK) return;
  to->rtcp_out++;
  cloud_media_send(to, buf, out);
}

/* Appends an SDES CNAME chunk for @p ssrc. */
static size_t add_sdes(uint32_t ssrc, uint8_t *buf, size_t at, size_t cap) {
  usm__rtcp_sdes_chunk c = {ssrc, CNAME, sizeof CNAME - 1};
  size_t n = 0;
  return usm__rtcp_build_sdes(&c, 1, buf + at, cap - at, &n) == USM_OK ? at + n : at;
}

/* An RR about every stream @p p sends us (with @p always, even with no
 * block: the answer to an SR). */
static void send_rr(cloud_media_part *p, int always) {
  usm__rtcp_report_block rb[CLOUD_MEDIA_MAX_IN];
  size_t n = 0;
  uint64_t now = cloud_media_now_us();
  for (size_t i = 0; i < CLOUD_MEDIA_MAX_IN; i++) {
    cloud_in_stream *s = &p->in[i];
    if (!s->used || !s->rx.started) continue;
    usm__rtp_rx_report rep;
    usm__rtp_rx_report_take(&s->rx, &rep);
    rb[n] = (usm__rtcp_report_block){.ssrc = s->ssrc,
                                     .fraction_lost = rep.fraction_lost,
                                     .cumulative_lost = rep.cumulative_lost,
                                     .ext_highest_seq = rep.ext_highest_seq,
                                     .jitter = rep.jitter,
                                     .lsr = s->lsr,
                                     .dlsr = s->lsr ? (uint32_t)((now - s->lsr_at_us) * 65536 / 1000000)
                                                    : 0};
    n++;
  }
  if (!n && !always) return;
  uint8_t buf[CLOUD_MEDIA_BUF];
  size_t cap = CLOUD_MEDIA_MAX_DATAGRAM - USM__SRTP_MAX_TRAILER, len = 0;
  if (usm__rtcp_build_rr(p->our_ssrc, rb, n, buf, cap, &len) != USM_OK) return;
  len = add_sdes(p->our_ssrc, buf, len, cap);
  send_rtcp(p, buf, len, sizeof buf);
}

void cloud_media_rtcp_tick(cloud_media_part *p) {
  uint64_t now = cloud_media_now_us();
  for (size_t i = 0; i < CLOUD_MEDIA_MAX_OUT; i++) {
    cloud_out_stream *o = &p->out[i];
    if (!o->used || !o->started) continue;
    usm__rtcp_sender_info si = {ntp_now(),
                                o->last_ts + (uint32_t)((now - o->last_us) * o->clock / 1000000u),
                                o->packets, o->octets};
    uint8_t buf[256];
    size_t len = 0, cap = sizeof buf - USM__SRTP_MAX_TRAILER;
    if (usm__rtcp_build_sr(o->ssrc, &si, NULL, 0, buf, cap, &len) != USM_OK) continue;
    len = add_sdes(o->ssrc, buf, len, cap);
    send_rtcp(p, buf, len, sizeof buf);
  }
  send_rr(p, 0);
}

/* ---- feedback towards the sender ---- */

static cloud_out_stream *out_by_ssrc(cloud_media_part *p, uint32_t ssrc) {
  for (size_t i = 0; i < CLOUD_MEDIA_MAX_OUT; i++)
    if (p->out[i].used && p->out[i].ssrc == ssrc) return &p->out[i];
  return NULL;
}

/* The sender of @p p's stream @p o, or NULL (gone, or nothing to send with). */
static cloud_media_part *sender_of_out(cloud_media_part *p, cloud_out_stream *o) {
  cloud_media_part *s = o ? cloud_media_find(p->srv, o->from) : NULL;
  if (!s || strcmp(s->locus_id, p->locus_id) != 0 || (!s->srtp_out && !s->bot)) return NULL;
  return s;
}

/* The sender behind SSRC @p ssrc as @p p sees it, and its stream. */
static cloud_media_part *sender_of(cloud_media_part *p, uint32_t ssrc, cloud_out_stream **os) {
  *os = out_by_ssrc(p, ssrc);
  return sender_of_out(p, *os);
}

/* Sends an empty RR + the feedback packet built into fb[0..fb_len). */
static void send_fb(cloud_media_part *to, const uint8_t *fb, size_t fb_len) {
  uint8_t buf[CLOUD_MEDIA_BUF];
  size_t len = 0, cap = CLOUD_MEDIA_MAX_DATAGRAM - USM__SRTP_MAX_TRAILER;
  if (usm__rtcp_build_rr(to->our_ssrc, NULL, 0, buf, cap, &len) != USM_OK || len + fb_len > cap) return;
  memcpy(buf + len, fb, fb_len);
  send_rtcp(to, buf, len + fb_len, sizeof buf);
}

static void relay_fb(cloud_media_part *p, const usm__rtcp_fb *fb) {
  cloud_out_stream *o = NULL;
  uint8_t out[CLOUD_MEDIA_BUF];
  size_t len = 0;
  if (fb->pt == USM__RTCP_PSFB && fb->fmt == USM__RTCP_FB_FIR) {
    /* FIR names its targets in the FCI; the media SSRC is 0 */
    usm__rtcp_fir_entry e;
    size_t n = 0;
    if (usm__rtcp_fir_count(fb, &n) != USM_OK) return;
    for (size_t i = 0; i < n; i++) {
      cloud_media_part *s;
      if (usm__rtcp_fir_get(fb, i, &e) != USM_OK || !(s = sender_of(p, e.ssrc, &o))) continue;
      if (s->bot) {
        cloud_media_bot_keyframe(s, o->kind);
        continue;
      }
      e.ssrc = o->src_ssrc;
      if (usm__rtcp_build_fir(s->our_ssrc, &e, 1, out, sizeof out, &len) == USM_OK)
        send_fb(s, out, len);
    }
    return;
  }
  cloud_media_part *s = sender_of(p, fb->media_ssrc, &o);
  if (!s) return;
  if (fb->pt == USM__RTCP_PSFB && fb->fmt == USM__RTCP_FB_PLI) {
    if (s->bot)
      cloud_media_bot_keyframe(s, o->kind);
    else if (usm__rtcp_build_pli(s->our_ssrc, o->src_ssrc, out, sizeof out, &len) == USM_OK)
      send_fb(s, out, len);
  }
}

/* Re-protects the plain packet @p pk from @p o's history and sends it to
 * @p r (through its downlink impairment, like any packet). 0 or -1. */
static int resend(cloud_media_part *r, cloud_out_stream *o, const usm__rtp_pkt *pk) {
  uint8_t buf[CLOUD_MEDIA_MAX_DATAGRAM + USM__SRTP_MAX_TRAILER];
  size_t out = 0;
  if (!r->srtp_out || pk->len > CLOUD_MEDIA_MAX_DATAGRAM) return -1;
  memcpy(buf, usm__rtp_pkt_data(pk), pk->len);
  /* the same index again: allowed on our outbound session (allow_repeat_tx);
   * refused once it is older than libsrtp's replay window */
  if (usm__srtp_protect_rtp(r->srtp_out, buf, pk->len, sizeof buf, &out) != USM_OK ||
      out > CLOUD_MEDIA_MAX_DATAGRAM)
    return -1;
  r->stats[o->kind].packets_out++;
  r->stats[o->kind].bytes_out += out;
  cloud_media_send(r, buf, out);
  return 0;
}

/* Receiver @p p's NACK: what @p o's history holds is resent from there; the
 * rest goes to the sender in its own numbering (seq - seq_off) and SSRC. */
static void on_nack(cloud_media_part *p, const usm__rtcp_fb *fb) {
  uint16_t seqs[17 * 64], again[17 * 64];
  size_t n = 0, relay = 0;
  cloud_out_stream *o = out_by_ssrc(p, fb->media_ssrc);
  if (!o || usm__rtcp_nack_seqs(fb, seqs, sizeof seqs / sizeof seqs[0], &n) != USM_OK || !n) return;
  p->nack_in += n;
  usm__rtx_nack_result res;
  uint64_t now = cloud_media_now_us();
  if (o->rtx && usm__rtx_history_on_nack(o->rtx, seqs, n, now, 0, again, sizeof again / sizeof again[0],
                                         &res) == USM_OK) {
    p->nack_throttled += res.throttled;
    for (size_t i = 0; i < res.resend; i++) {
      const usm__rtp_pkt *pk = usm__rtx_history_find(o->rtx, again[i], now);
      if (pk && resend(p, o, pk) == 0)
        p->nack_served++;
      else
        p->nack_failed++;
    }
    /* held ones were answered (or throttled); keep the others for the sender */
    for (size_t i = 0; i < n; i++)
      if (!usm__rtx_history_find(o->rtx, seqs[i], now)) seqs[relay++] = seqs[i];
  } else {
    relay = n;
  }
  cloud_media_part *s = sender_of_out(p, o);
  if (!relay || !s) return;
  p->nack_relayed += relay;
  for (size_t i = 0; i < relay; i++) seqs[i] = (uint16_t)(seqs[i] - o->seq_off);
  uint8_t out[CLOUD_MEDIA_BUF];
  size_t len = 0;
  if (s->bot)
    cloud_media_bot_nack(s, p, o->kind, seqs, relay);
  else if (usm__rtcp_build_nack(s->our_ssrc, o->src_ssrc, seqs, relay, out, sizeof out, &len) == USM_OK)
    send_fb(s, out, len);
}

static cloud_in_stream *in_stream_by_ssrc(cloud_media_part *p, uint32_t ssrc) {
  for (size_t i = 0; i < CLOUD_MEDIA_MAX_IN; i++)
    if (p->in[i].used && p->in[i].ssrc == ssrc) return &p->in[i];
  return NULL;
}

static void rtcp_in(cloud_media_part *p, uint8_t *data, size_t len) {
  size_t n = 0;
  usm_err e = usm__srtp_unprotect_rtcp(p->srtp_in, data, len, &n);
  if (e == USM_ERR_REPLAY) {
    p->replays++;
    return;
  }
  if (e != USM_OK) {
    p->srtp_auth_failures++;
    return;
  }
  p->rtcp_in++;
  usm__rtcp_iter it;
  usm__rtcp_pkt k;
  if (usm__rtcp_iter_init(&it, data, n) != USM_OK) return;
  int got_sr = 0;
  while (usm__rtcp_iter_next(&it, &k)) {
    usm__rtcp_report rep;
    usm__rtcp_fb fb;
    if (k.pt == USM__RTCP_SR && usm__rtcp_parse_report(&k, &rep) == USM_OK) {
      cloud_in_stream *s = in_stream_by_ssrc(p, rep.ssrc);
      if (s) {
        s->lsr = (uint32_t)(rep.si.ntp >> 16);
        s->lsr_at_us = cloud_media_now_us();
      }
      got_sr = 1;
    } else if ((k.pt == USM__RTCP_PSFB || k.pt == USM__RTCP_RTPFB) &&
               usm__rtcp_parse_fb(&k, &fb) == USM_OK) {
      if (fb.pt == USM__RTCP_RTPFB && fb.fmt == USM__RTCP_FB_NACK)
        on_nack(p, &fb);
      else
        relay_fb(p, &fb);
    }
    /* RR, SDES, BYE, REMB, transport-cc: terminated here */
  }
  if (got_sr) send_rr(p, 1);
}

/* ---- RTP ---- */

static int has_ssrc(const cloud_media_neg *n, uint32_t ssrc) {
  for (size_t i = 0; i < n->n_ssrcs; i++)
    if (n->ssrcs[i] == ssrc) return 1;
  return 0;
}

/* The media kind of a new stream: its a=ssrc, else its payload type (a
 * second video SSRC with the slides' payload type is the share). */
static int kind_of(const cloud_media_part *p, uint32_t ssrc, int pt) {
  for (int k = 0; k < CLOUD_MEDIA_KINDS; k++)
    if (p->neg[k].active && has_ssrc(&p->neg[k], ssrc)) return k;
  const cloud_media_neg *a = &p->neg[USM__SDP_KIND_AUDIO], *v = &p->neg[USM__SDP_KIND_VIDEO],
                        *s = &p->neg[USM__SDP_KIND_SLIDES];
  if (a->active && (pt == a->pt || pt == a->dtmf_pt)) return USM__SDP_KIND_AUDIO;
  int video_taken = 0;
  for (size_t i = 0; i < CLOUD_MEDIA_MAX_IN; i++)
    video_taken |= p->in[i].used && p->in[i].kind == USM__SDP_KIND_VIDEO && p->in[i].ssrc != ssrc;
  if (v->active && pt == v->pt && !(video_taken && s->active && pt == s->pt))
    return USM__SDP_KIND_VIDEO;
  if (s->active && pt == s->pt) return USM__SDP_KIND_SLIDES;
  return -1;
}

static cloud_in_stream *in_stream(cloud_media_part *p, uint32_t ssrc, int pt) {
  cloud_in_stream *s = in_stream_by_ssrc(p, ssrc);
  if (s) return s;
  int kind = kind_of(p, ssrc, pt);
  if (kind < 0 || !p->neg[kind].recvs) return NULL;
  cloud_in_stream *slot = &p->in[0];
  for (size_t i = 0; i < CLOUD_MEDIA_MAX_IN; i++) {
    if (!p->in[i].used) {
      slot = &p->in[i];
      break;
    }
    if (p->in[i].last_us < slot->last_us) slot = &p->in[i]; /* else the oldest goes */
  }
  memset(slot, 0, sizeof *slot);
  slot->used = 1;
  slot->ssrc = ssrc;
  slot->kind = kind;
  usm__rtp_rx_init(&slot->rx, ssrc, p->neg[kind].clock);
  return slot;
}

void cloud_media_out_forget(cloud_media_part *r, cloud_out_stream *o) {
  if (o->rtx) {
    usm__rtx_history_destroy(o->rtx);
    r->srv->rtx_histories--;
  }
  memset(o, 0, sizeof *o);
}

void cloud_media_outs_forget(cloud_media_part *r) {
  for (size_t i = 0; i < CLOUD_MEDIA_MAX_OUT; i++) cloud_media_out_forget(r, &r->out[i]);
}

/* Keeps the plain packet @p pkt just built for video out-stream @p o (its
 * history made now, within the server's budget). */
static void keep(cloud_media_part *r, cloud_out_stream *o, const usm__rtp_pkt *pkt, uint16_t seq) {
  if (o->kind == USM__SDP_KIND_AUDIO) return; /* audio is not NACKed */
  if (!o->rtx) {
    usm__rtx_history_cfg cfg = {.packets = CLOUD_MEDIA_RTX_PACKETS,
                                .max_age_ms = CLOUD_MEDIA_RTX_AGE_MS,
                                .max_packet = CLOUD_MEDIA_MAX_DATAGRAM};
    if (r->srv->rtx_histories >= CLOUD_MEDIA_MAX_RTX_HISTORIES ||
        usm__rtx_history_create(&cfg, &o->rtx) != USM_OK)
      return;
    r->srv->rtx_histories++;
  }
  /* a late packet this far behind would read as a restart and clear it all */
  if ((int16_t)(uint16_t)(seq - o->last_seq) <= -(int)CLOUD_MEDIA_RTX_PACKETS) return;
  (void)usm__rtx_history_put(o->rtx, pkt, cloud_media_now_us());
}

static cloud_out_stream *out_stream(cloud_media_part *r, const char *from, int kind) {
  cloud_out_stream *free_slot = NULL;
  for (size_t i = 0; i < CLOUD_MEDIA_MAX_OUT; i++) {
    cloud_out_stream *o = &r->out[i];
    if (o->used && o->kind == kind && strcmp(o->from, from) == 0) return o;
    if (!o->used && !free_slot) free_slot = o;
  }
  if (!free_slot) return NULL;
  uint32_t ssrc;
  int clash;
  do { /* unique among this receiver's streams */
    ssrc = cloud_media_rand32();
    clash = ssrc == r->our_ssrc;
    for (size_t i = 0; i < CLOUD_MEDIA_MAX_OUT; i++) clash |= r->out[i].used && r->out[i].ssrc == ssrc;
  } while (clash);
  memset(free_slot, 0, sizeof *free_slot);
  free_slot->used = 1;
  snprintf(free_slot->from, sizeof free_slot->from, "%s", from);
  free_slot->kind = kind;
  free_slot->ssrc = ssrc;
  return free_slot;
}

/* The receiver's payload type for the sender's @p pt, or -1. */
static int map_pt(const cloud_media_neg *sn, const cloud_media_neg *rn, int pt) {
  if (sn->dtmf_pt >= 0 && pt == sn->dtmf_pt) return rn->dtmf_pt;
  if (pt == sn->pt && sn->codec == rn->codec) return rn->pt;
  return -1;
}

static void forward_to(cloud_media_part *r, const cloud_media_part *p, int kind,
                       const usm__rtp_view *v, size_t plain_len) {
  const cloud_media_neg *rn = &r->neg[kind];
  if (!r->srtp_out || r->ice != CLOUD_ICE_CONNECTED || !rn->active || !rn->sends) return;
  int pt = map_pt(&p->neg[kind], rn, v->pt);
  cloud_out_stream *o = pt >= 0 ? out_stream(r, p->part_id, kind) : NULL;
  if (!o) return;
  if (!o->started) {
    o->started = 1;
    o->src_ssrc = v->ssrc;
    o->clock = rn->clock;
    o->last_seq = (uint16_t)(v->seq - 1);
  } else if (o->src_ssrc != v->ssrc) {
    /* the sender restarted its stream: keep ours continuous */
    o->src_ssrc = v->ssrc;
    o->seq_off = (uint16_t)(o->last_seq + 1 - v->seq);
    o->ts_off = o->last_ts + 1 - v->timestamp;
  }
  usm__rtp_header h = {.marker = v->marker,
                       .pt = (uint8_t)pt,
                       .seq = (uint16_t)(v->seq + o->seq_off),
                       .timestamp = v->timestamp + o->ts_off,
                       .ssrc = o->ssrc,
                       .csrc_count = 1,
                       .pad_len = v->pad_len};
  /* the sender's CSI for this kind (slides: its video CSI) names the source */
  h.csrc[0] = p->csi[kind == USM__SDP_KIND_AUDIO ? 0 : 1];
  uint8_t buf[CLOUD_MEDIA_MAX_DATAGRAM + USM__RTP_SRTP_TRAILER_ROOM];
  usm__rtp_pkt pkt;
  size_t out = 0;
  if (usm__rtp_pkt_init(&pkt, buf, sizeof buf, 0) != USM_OK ||
      usm__rtp_pkt_build(&pkt, &h, v->payload, v->payload_len) != USM_OK ||
      pkt.len + usm__srtp_trailer_len(r->srtp_out, 0) > CLOUD_MEDIA_MAX_DATAGRAM) {
    r->dropped++;
    return;
  }
  keep(r, o, &pkt, h.seq); /* the plain copy, before protecting in place */
  if (usm__srtp_protect_rtp(r->srtp_out, buf, pkt.len, sizeof buf, &out) != USM_OK) {
    r->dropped++;
    return;
  }
  (void)plain_len;
  if ((int16_t)(h.seq - o->last_seq) > 0) {
    o->last_seq = h.seq;
    o->last_ts = h.timestamp;
    o->last_us = cloud_media_now_us();
  }
  o->packets++;
  o->octets += (uint32_t)v->payload_len;
  r->stats[kind].packets_out++;
  r->stats[kind].bytes_out += out;
  cloud_media_send(r, buf, out);
}

void cloud_media_forward_plain(cloud_media_part *p, const uint8_t *data, size_t n, size_t wire_len,
                               cloud_media_part *only) {
  usm__rtp_view v;
  cloud_in_stream *s;
  if (usm__rtp_parse(data, n, &v) != USM_OK || !(s = in_stream(p, v.ssrc, v.pt))) {
    p->dropped++;
    return;
  }
  uint64_t now = cloud_media_now_us();
  s->last_us = now;
  usm__rtp_rx_on_packet(&s->rx, v.seq, v.timestamp, now);
  p->stats[s->kind].packets_in++;
  p->stats[s->kind].bytes_in += wire_len;
  cloud_vec *parts = &p->srv->parts;
  for (size_t i = 0; i < parts->len; i++) {
    cloud_media_part *r = parts->items[i];
    if (r == p || (only && r != only) || strcmp(r->locus_id, p->locus_id) != 0) continue;
    if (!r->bot)
      forward_to(r, p, s->kind, &v, n);
    else if (!p->bot)
      cloud_media_bot_heard(r, p, s->kind, &v); /* bots hear people only */
  }
}

static void rtp_in(cloud_media_part *p, uint8_t *data, size_t len) {
  size_t n = 0;
  usm_err e = usm__srtp_unprotect_rtp(p->srtp_in, data, len, &n);
  if (e == USM_ERR_REPLAY) {
    p->replays++;
    return;
  }
  if (e != USM_OK) {
    p->srtp_auth_failures++;
    return;
  }
  cloud_media_forward_plain(p, data, n, len, NULL);
}

/* ---- REMB, keyframe requests, BYE ---- */

void cloud_media_remb_tick(cloud_media_part *p) {
  uint32_t ssrcs[CLOUD_MEDIA_MAX_IN];
  size_t n = 0;
  uint64_t now = cloud_media_now_us();
  for (size_t i = 0; i < CLOUD_MEDIA_MAX_IN; i++) {
    const cloud_in_stream *s = &p->in[i];
    /* a stream silent for 5 s is no longer sent */
    if (s->used && now - s->last_us < 5000000u) ssrcs[n++] = s->ssrc;
  }
  if (!n) return;
  unsigned cap = p->impair[CLOUD_DIR_UP].cfg.bw_kbps;
  uint64_t bps = cap ? (uint64_t)cap * 1000u : CLOUD_MEDIA_REMB_BPS;
  uint8_t out[256];
  size_t len = 0;
  if (usm__rtcp_build_remb(p->our_ssrc, bps, ssrcs, n, out, sizeof out, &len) != USM_OK) return;
  p->remb_out++;
  send_fb(p, out, len);
}

void cloud_media_request_keyframe(cloud_media_part *s, uint32_t ssrc) {
  uint8_t out[64];
  size_t len = 0;
  if (s->srtp_out && usm__rtcp_build_pli(s->our_ssrc, ssrc, out, sizeof out, &len) == USM_OK)
    send_fb(s, out, len);
}

void cloud_media_streams_end(cloud_media_part *s) {
  cloud_vec *parts = &s->srv->parts;
  for (size_t i = 0; i < parts->len; i++) {
    cloud_media_part *r = parts->items[i];
    if (r == s || strcmp(r->locus_id, s->locus_id) != 0) continue;
    uint32_t ssrcs[CLOUD_MEDIA_KINDS];
    size_t n = 0;
    for (size_t k = 0; k < CLOUD_MEDIA_MAX_OUT; k++) {
      cloud_out_stream *o = &r->out[k];
      if (!o->used || strcmp(o->from, s->part_id) != 0) continue;
      if (o->started && n < CLOUD_MEDIA_KINDS) ssrcs[n++] = o->ssrc;
      cloud_media_out_forget(r, o);
    }
    uint8_t out[128];
    size_t len = 0;
    static const char reason[] = "left";
    if (n && r->srtp_out &&
        usm__rtcp_build_bye(ssrcs, n, reason, sizeof reason - 1, out, sizeof out, &len) == USM_OK)
      send_fb(r, out, len);
  }
}

void cloud_media_forward_in(void *part, uint8_t *data, size_t len) {
  cloud_media_part *p = part;
  if (!p->srtp_in) return;
  if (usm__rtp_is_rtcp(data, len))
    rtcp_in(p, data, len);
  else
    rtp_in(p, data, len);
}
