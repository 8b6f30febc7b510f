/* The RTP session: sending streams, remote sources, RTCP reports. */
#include "media/rtp_session.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "media/rtcp_rtt.h"
#include "media/rtp.h"

#define PKT_CAP (USM__RTP_MAX_PAYLOAD + 64 + USM__RTP_SRTP_TRAILER_ROOM)
#define RTCP_CAP (1200 + USM__RTCP_SRTCP_TRAILER_ROOM)

typedef struct sender {
  usm__rtp_tx tx;
  usm__stream_stats st;
  uint64_t sr_ntp; /* when our last SR left (for the RTT) */
} sender;

typedef struct source {
  uint32_t ssrc;
  usm__media_kind kind;
  usm__rtp_rx rx;
  usm__stream_stats st;
  uint32_t lsr;         /* middle 32 bits of its last SR's NTP time, 0: none */
  uint64_t sr_arrival;  /* our NTP time when that SR arrived */
} source;

struct usm__rtp_session {
  usm__rtp_session_config cfg;
  char cname[USM__RTP_CNAME_MAX + 1];
  sender out[USM__MEDIA_KINDS];
  source src[USM__RTP_MAX_SOURCES];
  size_t n_src;
  uint64_t dropped;
  uint8_t pkt[PKT_CAP];
  uint8_t rtcp[RTCP_CAP];
};

/* NTP-format time from the monotonic clock the caller uses: RTT only needs
 * both ends of the round trip on one clock, and the SR's time stays
 * consistent across our streams. */
static uint64_t ntp_of(uint64_t us) { return ((us / 1000000u) << 32) | (((us % 1000000u) << 32) / 1000000u); }

usm_err usm__rtp_session_create(const usm__rtp_session_config *cfg, usm__rtp_session **out) {
  *out = NULL;
  if (!cfg || !cfg->send_rtp || !cfg->send_rtcp) return USM_ERR_INVALID_ARG;
  const char *cname = cfg->cname ? cfg->cname : "usm";
  if (strlen(cname) > USM__RTP_CNAME_MAX) return USM_ERR_INVALID_ARG;
  usm__rtp_session *s = calloc(1, sizeof *s);
  if (!s) return USM_ERR_NO_MEMORY;
  s->cfg = *cfg;
  s->cfg.cname = NULL;
  strcpy(s->cname, cname);
  for (int k = 0; k < USM__MEDIA_KINDS; k++) {
    uint32_t clock = cfg->clock[k] ? cfg->clock[k] : (k == USM__MEDIA_AUDIO ? 48000u : 90000u);
    s->cfg.clock[k] = clock;
    usm_err e = usm__rtp_tx_init(&s->out[k].tx, clock);
    if (e != USM_OK) {
      free(s);
      return e;
    }
  }
  if (s->out[0].tx.ssrc == s->out[1].tx.ssrc) s->out[1].tx.ssrc ^= 1; /* 2^-32, but cheap to rule out */
  *out = s;
  return USM_OK;
}

void usm__rtp_session_destroy(usm__rtp_session *s) { free(s); }

void usm__rtp_session_set_payload_types(usm__rtp_session *s, const int pt[USM__MEDIA_KINDS],
                                        const int recv_pt[USM__MEDIA_KINDS]) {
  for (int k = 0; k < USM__MEDIA_KINDS; k++) {
    s->cfg.pt[k] = pt[k];
    s->cfg.recv_pt[k] = recv_pt[k];
  }
}

uint32_t usm__rtp_session_ssrc(const usm__rtp_session *s, usm__media_kind kind) { return s->out[kind].tx.ssrc; }

usm_err usm__rtp_session_send(usm__rtp_session *s, usm__media_kind kind, const uint8_t *payload, size_t len,
                              uint64_t capture_us, int marker) {
  if ((unsigned)kind >= USM__MEDIA_KINDS || (!payload && len)) return USM_ERR_INVALID_ARG;
  if (!s->cfg.send[kind] || s->cfg.pt[kind] < 0) return USM_ERR_WRONG_STATE;
  if (len > USM__RTP_MAX_PAYLOAD) return USM_ERR_LIMIT;
  sender *o = &s->out[kind];
  usm__rtp_header h = {.marker = marker ? 1 : 0,
                       .pt = (uint8_t)s->cfg.pt[kind],
                       .seq = usm__rtp_tx_next_seq(&o->tx),
                       .timestamp = usm__rtp_tx_timestamp(&o->tx, capture_us),
                       .ssrc = o->tx.ssrc};
  size_t n = 0;
  usm_err e = usm__rtp_build(&h, payload, len, s->pkt, sizeof s->pkt - USM__RTP_SRTP_TRAILER_ROOM, &n);
  if (e != USM_OK) return e;
  e = s->cfg.send_rtp(s->cfg.user, s->pkt, n, sizeof s->pkt);
  if (e != USM_OK) return e;
  usm__rtp_tx_count(&o->tx, len);
  o->st.packets++;
  o->st.bytes += len;
  return USM_OK;
}

static source *find(usm__rtp_session *s, uint32_t ssrc) {
  for (size_t i = 0; i < s->n_src; i++)
    if (s->src[i].ssrc == ssrc) return &s->src[i];
  return NULL;
}

static int kind_of_pt(const usm__rtp_session *s, int pt) {
  for (int k = 0; k < USM__MEDIA_KINDS; k++)
    if (s->cfg.recv_pt[k] == pt) return k;
  return -1;
}

void usm__rtp_session_recv_rtp(usm__rtp_session *s, const uint8_t *pkt, size_t len, uint64_t now_us) {
  usm__rtp_view v;
  int kind;
  if (usm__rtp_parse(pkt, len, &v) != USM_OK || (kind = kind_of_pt(s, v.pt)) < 0) {
    s->dropped++; /* malformed, or a payload type nobody negotiated */
    return;
  }
  source *src = find(s, v.ssrc);
  if (!src) {
    if (s->n_src == USM__RTP_MAX_SOURCES) {
      s->dropped++;
      return;
    }
    src = &s->src[s->n_src++];
    memset(src, 0, sizeof *src);
    src->ssrc = v.ssrc;
    src->kind = (usm__media_kind)kind;
    usm__rtp_rx_init(&src->rx, v.ssrc, s->cfg.clock[kind]);
  }
  usm__rtp_seq_result r = usm__rtp_rx_on_packet(&src->rx, v.seq, v.timestamp, now_us);
  if (r == USM__RTP_SEQ_BAD) return; /* a wild jump: wait for the source to settle */
  src->st.packets++;
  src->st.bytes += v.payload_len;
  if (s->cfg.on_rtp) {
    usm__rtp_in in = {.kind = src->kind,
                      .ssrc = v.ssrc,
                      .csrc = v.csrc_count ? v.csrc[0] : 0,
                      .payload = v.payload,
                      .len = v.payload_len,
                      .timestamp = v.timestamp,
                      .seq = v.seq,
                      .marker = v.marker,
                      .arrival_us = now_us};
    s->cfg.on_rtp(s->cfg.user, &in);
  }
}

/* Our sending stream with this SSRC, or NULL. */
static sender *ours(usm__rtp_session *s, uint32_t ssrc, usm__media_kind *kind) {
  for (int k = 0; k < USM__MEDIA_KINDS; k++)
    if (s->out[k].tx.ssrc == ssrc) {
      if (kind) *kind = (usm__media_kind)k;
      return &s->out[k];
    }
  return NULL;
}

static void on_report(usm__rtp_session *s, const usm__rtcp_pkt *p, uint64_t now_us) {
  usm__rtcp_report r;
  if (usm__rtcp_parse_report(p, &r) != USM_OK) {
    s->dropped++;
    return;
  }
  if (r.is_sr) {
    source *src = find(s, r.ssrc);
    if (src) {
      src->lsr = usm__ntp_mid32(r.si.ntp);
      src->sr_arrival = ntp_of(now_us);
    }
  }
  for (size_t i = 0; i < r.rb_count; i++) {
    usm__rtcp_report_block b;
    sender *o;
    usm__media_kind kind;
    if (usm__rtcp_report_block_get(&r, i, &b) != USM_OK || !(o = ours(s, b.ssrc, &kind))) continue;
    o->st.reports++;
    o->st.lost = b.cumulative_lost;
    o->st.fraction_lost = b.fraction_lost;
    o->st.jitter_ms = (uint32_t)((uint64_t)b.jitter * 1000u / o->tx.clock_rate);
    uint32_t rtt = 0;
    if (b.lsr && usm__rtcp_rtt_ms(ntp_of(now_us), o->sr_ntp, b.lsr, b.dlsr, &rtt) == USM_OK) o->st.rtt_ms = rtt;
    if (s->cfg.on_report) s->cfg.on_report(s->cfg.user, kind, &b, rtt);
  }
}

static void on_feedback(usm__rtp_session *s, const usm__rtcp_pkt *p) {
  usm__rtcp_fb fb;
  usm__media_kind kind;
  sender *o;
  if (usm__rtcp_parse_fb(p, &fb) != USM_OK) {
    s->dropped++;
    return;
  }
  if (!(o = ours(s, fb.media_ssrc, &kind))) {
    /* REMB names its SSRCs in the body, FIR in its entries: hand those up as video */
    kind = USM__MEDIA_VIDEO;
    o = &s->out[USM__MEDIA_VIDEO];
  }
  if (fb.pt == USM__RTCP_RTPFB && fb.fmt == USM__RTCP_FB_NACK) o->st.nacks++;
  if (fb.pt == USM__RTCP_PSFB && fb.fmt == USM__RTCP_FB_PLI) o->st.plis++;
  if (fb.pt == USM__RTCP_PSFB && fb.fmt == USM__RTCP_FB_FIR) o->st.firs++;
  if (s->cfg.on_feedback) s->cfg.on_feedback(s->cfg.user, kind, p);
}

static void on_bye(usm__rtp_session *s, const usm__rtcp_pkt *p) {
  usm__rtcp_bye b;
  if (usm__rtcp_parse_bye(p, &b) != USM_OK) return;
  for (size_t i = 0; i < b.ssrc_count; i++) {
    uint32_t ssrc = usm__rtcp_bye_ssrc(&b, i);
    source *src = find(s, ssrc);
    if (!src) continue;
    *src = s->src[--s->n_src]; /* forget it: a new stream may reuse the slot */
    if (s->cfg.on_bye) s->cfg.on_bye(s->cfg.user, ssrc);
  }
}

void usm__rtp_session_recv_rtcp(usm__rtp_session *s, const uint8_t *pkt, size_t len, uint64_t now_us) {
  usm__rtcp_iter it;
  usm__rtcp_pkt p;
  if (usm__rtcp_iter_init(&it, pkt, len) != USM_OK) {
    s->dropped++;
    return;
  }
  while (usm__rtcp_iter_next(&it, &p)) {
    switch (p.pt) {
    case USM__RTCP_SR:
    case USM__RTCP_RR: on_report(s, &p, now_us); break;
    case USM__RTCP_RTPFB:
    case USM__RTCP_PSFB: on_feedback(s, &p); break;
    case USM__RTCP_BYE: on_bye(s, &p); break;
    default: break; /* SDES, APP: nothing we need */
    }
  }
}

/* Report blocks for up to 31 sources (RFC 3550's limit per packet). */
static size_t blocks(usm__rtp_session *s, uint64_t now_us, usm__rtcp_report_block *rb) {
  size_t n = 0;
  uint32_t now_mid = usm__ntp_mid32(ntp_of(now_us));
  for (size_t i = 0; i < s->n_src && n < 31; i++) {
    source *src = &s->src[i];
    if (!src->rx.started) continue;
    usm__rtp_rx_report r;
    usm__rtp_rx_report_take(&src->rx, &r);
    src->st.reports++;
    src->st.lost = r.cumulative_lost;
    src->st.fraction_lost = r.fraction_lost;
    src->st.jitter_ms = (uint32_t)((uint64_t)r.jitter * 1000u / src->rx.clock_rate);
    rb[n++] = (usm__rtcp_report_block){
      .ssrc = src->ssrc,
      .fraction_lost = r.fraction_lost,
      .cumulative_lost = r.cumulative_lost,
      .ext_highest_seq = r.ext_highest_seq,
      .jitter = r.jitter,
      .lsr = src->lsr,
      .dlsr = src->lsr ? usm__rtcp_dlsr(now_mid, usm__ntp_mid32(src->sr_arrival), src->lsr) : 0,
    };
  }
  return n;
}

usm_err usm__rtp_session_report(usm__rtp_session *s, uint64_t now_us) {
  usm__rtcp_report_block rb[31];
  size_t nb = blocks(s, now_us, rb), len = 0, w = 0;
  size_t cap = sizeof s->rtcp - USM__RTCP_SRTCP_TRAILER_ROOM;
  usm__rtcp_sdes_chunk chunks[USM__MEDIA_KINDS];
  size_t nc = 0;
  uint64_t ntp = ntp_of(now_us);
  usm_err e = USM_OK;
  for (int k = 0; k < USM__MEDIA_KINDS && e == USM_OK; k++) {
    sender *o = &s->out[k];
    if (!s->cfg.send[k]) continue;
    usm__rtcp_sender_info si = {.ntp = ntp,
                                .rtp_ts = usm__rtp_tx_timestamp(&o->tx, now_us),
                                .packet_count = o->tx.packet_count,
                                .octet_count = o->tx.octet_count};
    /* the receive report blocks ride on the first SR */
    e = usm__rtcp_build_sr(o->tx.ssrc, &si, nc == 0 ? rb : NULL, nc == 0 ? nb : 0, s->rtcp + len, cap - len, &w);
    len += w;
    o->sr_ntp = ntp;
    chunks[nc++] = (usm__rtcp_sdes_chunk){o->tx.ssrc, s->cname, strlen(s->cname)};
  }
  if (e == USM_OK && nc == 0) {
    uint32_t ssrc = s->out[USM__MEDIA_AUDIO].tx.ssrc;
    e = usm__rtcp_build_rr(ssrc, rb, nb, s->rtcp, cap, &w);
    len = w;
    chunks[nc++] = (usm__rtcp_sdes_chunk){ssrc, s->cname, strlen(s->cname)};
  }
  if (e == USM_OK) e = usm__rtcp_build_sdes(chunks, nc, s->rtcp + len, cap - len, &w);
  if (e != USM_OK) return e;
  len += w;
  return s->cfg.send_rtcp(s->cfg.user, s->rtcp, len, sizeof s->rtcp);
}

usm_err usm__rtp_session_bye(usm__rtp_session *s, const char *reason, uint64_t now_us) {
  usm__rtcp_report_block rb[31];
  size_t nb = blocks(s, now_us, rb), len = 0, w = 0;
  size_t cap = sizeof s->rtcp - USM__RTCP_SRTCP_TRAILER_ROOM;
  uint32_t ssrcs[USM__MEDIA_KINDS];
  usm__rtcp_sdes_chunk chunks[USM__MEDIA_KINDS];
  size_t n = 0;
  for (int k = 0; k < USM__MEDIA_KINDS; k++) {
    if (!s->cfg.send[k] && k != USM__MEDIA_AUDIO) continue; /* the RR goes out as the audio SSRC */
    ssrcs[n] = s->out[k].tx.ssrc;
    chunks[n] = (usm__rtcp_sdes_chunk){ssrcs[n], s->cname, strlen(s->cname)};
    n++;
  }
  /* a compound packet must start with a report (RFC 3550 §6.1) */
  usm_err e = usm__rtcp_build_rr(s->out[USM__MEDIA_AUDIO].tx.ssrc, rb, nb, s->rtcp, cap, &w);
  len = w;
  if (e == USM_OK) e = usm__rtcp_build_sdes(chunks, n, s->rtcp + len, cap - len, &w);
  if (e == USM_OK) {
    len += w;
    e = usm__rtcp_build_bye(ssrcs, n, reason, reason ? strlen(reason) : 0, s->rtcp + len, cap - len, &w);
  }
  if (e != USM_OK) return e;
  len += w;
  return s->cfg.send_rtcp(s->cfg.user, s->rtcp, len, sizeof s->rtcp);
}

usm_err usm__rtp_session_send_nack(usm__rtp_session *s, uint32_t ssrc, const uint16_t *seqs, size_t n) {
  source *src = find(s, ssrc);
  if (!src || !seqs || !n) return USM_ERR_INVALID_ARG;
  size_t w = 0;
  usm_err e = usm__rtcp_build_nack(s->out[USM__MEDIA_VIDEO].tx.ssrc, ssrc, seqs, n, s->rtcp,
                                   sizeof s->rtcp - USM__RTCP_SRTCP_TRAILER_ROOM, &w);
  if (e == USM_OK) e = s->cfg.send_rtcp(s->cfg.user, s->rtcp, w, sizeof s->rtcp);
  if (e == USM_OK) src->st.nacks++;
  return e;
}

usm_err usm__rtp_session_send_pli(usm__rtp_session *s, uint32_t ssrc) {
  source *src = find(s, ssrc);
  if (!src) return USM_ERR_INVALID_ARG;
  size_t w = 0;
  usm_err e = usm__rtcp_build_pli(s->out[USM__MEDIA_VIDEO].tx.ssrc, ssrc, s->rtcp,
                                  sizeof s->rtcp - USM__RTCP_SRTCP_TRAILER_ROOM, &w);
  if (e == USM_OK) e = s->cfg.send_rtcp(s->cfg.user, s->rtcp, w, sizeof s->rtcp);
  if (e == USM_OK) src->st.plis++;
  return e;
}

void usm__rtp_session_send_stats(const usm__rtp_session *s, usm__media_kind kind, usm__stream_stats *out) {
  *out = s->out[kind].st;
}

void usm__rtp_session_recv_stats(const usm__rtp_session *s, usm__media_kind kind, usm__stream_stats *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < s->n_src; i++) {
    const source *src = &s->src[i];
    if (src->kind != kind) continue;
    out->packets += src->st.packets;
    out->bytes += src->st.bytes;
    out->lost += src->st.lost;
    out->plis += src->st.plis;
    out->reports += src->st.reports;
    out->nacks += src->st.nacks;
    if (src->st.jitter_ms > out->jitter_ms) out->jitter_ms = src->st.jitter_ms;
    if (src->st.fraction_lost > out->fraction_lost) out->fraction_lost = src->st.fraction_lost;
  }
}

uint64_t usm__rtp_session_dropped(const usm__rtp_session *s) { return s->dropped; }
