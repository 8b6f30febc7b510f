/* Compound RTCP parsing on arbitrary bytes. Every packet of a valid compound
 * is read through its view; SR, RR, SDES, BYE, NACK, PLI, FIR and REMB are
 * built again and parsed again (behind an empty RR where the type cannot come
 * first), and what comes back must agree. Transport-cc is decoded fully. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtcp.h"
#include "media/rtcp_rtt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse out[0..n) as a compound and return its packet number @p idx. */
static void reparse(const uint8_t *out, size_t n, int idx, usm__rtcp_pkt *p) {
  usm__rtcp_iter it;
  if (usm__rtcp_iter_init(&it, out, n) != USM_OK) abort();
  for (int i = 0; i <= idx; i++)
    if (!usm__rtcp_iter_next(&it, p)) abort();
}

/* An empty RR in front, so a packet that may not open a compound can follow. */
static size_t rr_prefix(uint8_t *out, size_t cap) {
  size_t n = 0;
  if (usm__rtcp_build_rr(0, NULL, 0, out, cap, &n) != USM_OK) abort();
  return n;
}

static void check_report(const usm__rtcp_pkt *p, uint8_t *out, size_t cap) {
  usm__rtcp_report r, r2;
  usm__rtcp_report_block rb[USM__RTCP_MAX_REPORT_BLOCKS], b2;
  if (usm__rtcp_parse_report(p, &r) != USM_OK) return;
  if (r.rb_count > USM__RTCP_MAX_REPORT_BLOCKS) abort();
  for (size_t i = 0; i < r.rb_count; i++) {
    if (usm__rtcp_report_block_get(&r, i, &rb[i]) != USM_OK) abort();
    /* RTT arithmetic on arbitrary values: a result never exceeds the time since the SR */
    uint32_t rtt, arrival = rb[i].ext_highest_seq ^ rb[i].jitter;
    if (usm__rtcp_rtt(arrival, rb[i].lsr, rb[i].dlsr, &rtt) == USM_OK && rtt > arrival - rb[i].lsr) abort();
  }
  if (usm__rtcp_report_block_get(&r, r.rb_count, &b2) != USM_ERR_INVALID_ARG) abort();
  size_t n = 0;
  usm_err e = r.is_sr ? usm__rtcp_build_sr(r.ssrc, &r.si, rb, r.rb_count, out, cap, &n)
                      : usm__rtcp_build_rr(r.ssrc, rb, r.rb_count, out, cap, &n);
  if (e != USM_OK) abort();
  usm__rtcp_pkt q;
  reparse(out, n, 0, &q);
  if (usm__rtcp_parse_report(&q, &r2) != USM_OK) abort();
  if (r2.is_sr != r.is_sr || r2.ssrc != r.ssrc || r2.rb_count != r.rb_count || r2.ext_len != 0) abort();
  if (r.is_sr && (r.si.ntp != r2.si.ntp || r.si.rtp_ts != r2.si.rtp_ts ||
                  r.si.packet_count != r2.si.packet_count || r.si.octet_count != r2.si.octet_count))
    abort();
  for (size_t i = 0; i < r.rb_count; i++) {
    if (usm__rtcp_report_block_get(&r2, i, &b2) != USM_OK) abort();
    if (b2.ssrc != rb[i].ssrc || b2.fraction_lost != rb[i].fraction_lost ||
        b2.cumulative_lost != rb[i].cumulative_lost || b2.ext_highest_seq != rb[i].ext_highest_seq ||
        b2.jitter != rb[i].jitter || b2.lsr != rb[i].lsr || b2.dlsr != rb[i].dlsr)
      abort();
  }
}

static void check_sdes(const usm__rtcp_pkt *p, uint8_t *out, size_t cap) {
  usm__rtcp_sdes_iter it;
  usm__rtcp_sdes_chunk c[USM__RTCP_MAX_SDES_CHUNKS + 1], d;
  size_t n = 0, off;
  if (usm__rtcp_sdes_iter_init(&it, p) != USM_OK) return;
  while (usm__rtcp_sdes_next(&it, &d)) {
    if (n > USM__RTCP_MAX_SDES_CHUNKS) abort();
    if (d.cname && (d.cname < (const char *)p->body || d.cname + d.cname_len > (const char *)p->body + p->body_len))
      abort();
    c[n++] = d;
  }
  if (it.err != USM_OK || n != p->count) abort();
  off = rr_prefix(out, cap);
  size_t m = 0;
  if (usm__rtcp_build_sdes(c, n, out + off, cap - off, &m) != USM_OK) abort();
  usm__rtcp_pkt q;
  reparse(out, off + m, 1, &q);
  if (usm__rtcp_sdes_iter_init(&it, &q) != USM_OK) abort();
  for (size_t i = 0; i < n; i++) {
    if (!usm__rtcp_sdes_next(&it, &d)) abort();
    if (d.ssrc != c[i].ssrc || d.cname_len != c[i].cname_len) abort();
    if (d.cname_len && memcmp(d.cname, c[i].cname, d.cname_len) != 0) abort();
  }
  if (usm__rtcp_sdes_next(&it, &d)) abort();
}

static void check_bye(const usm__rtcp_pkt *p, uint8_t *out, size_t cap) {
  usm__rtcp_bye b, b2;
  uint32_t ssrcs[USM__RTCP_MAX_BYE_SSRCS];
  if (usm__rtcp_parse_bye(p, &b) != USM_OK) return;
  for (size_t i = 0; i < b.ssrc_count; i++) ssrcs[i] = usm__rtcp_bye_ssrc(&b, i);
  size_t off = rr_prefix(out, cap), m = 0;
  if (usm__rtcp_build_bye(ssrcs, b.ssrc_count, b.reason, b.reason_len, out + off, cap - off, &m) != USM_OK)
    abort();
  usm__rtcp_pkt q;
  reparse(out, off + m, 1, &q);
  if (usm__rtcp_parse_bye(&q, &b2) != USM_OK) abort();
  if (b2.ssrc_count != b.ssrc_count || b2.reason_len != b.reason_len || !b2.reason != !b.reason) abort();
  for (size_t i = 0; i < b.ssrc_count; i++)
    if (usm__rtcp_bye_ssrc(&b2, i) != ssrcs[i]) abort();
  if (b.reason_len && memcmp(b.reason, b2.reason, b.reason_len) != 0) abort();
}

static void mark(uint8_t *bits, const uint16_t *s, size_t n) {
  memset(bits, 0, 8192);
  for (size_t i = 0; i < n; i++) bits[s[i] >> 3] |= (uint8_t)(1u << (s[i] & 7));
}

static void check_nack(const usm__rtcp_fb *fb, uint8_t *out, size_t cap) {
  static uint16_t seqs[USM__RTCP_MAX_NACK_ITEMS * 17], seqs2[USM__RTCP_MAX_NACK_ITEMS * 17];
  uint8_t a[8192], b[8192];
  size_t n = 0, n2 = 0, m = 0;
  if (usm__rtcp_nack_seqs(fb, seqs, sizeof seqs / sizeof seqs[0], &n) != USM_OK) return;
  if (usm__rtcp_build_nack(fb->sender_ssrc, fb->media_ssrc, seqs, n, out, cap, &m) != USM_OK) abort();
  usm__rtcp_pkt q;
  usm__rtcp_fb f2;
  reparse(out, m, 0, &q);
  if (usm__rtcp_parse_fb(&q, &f2) != USM_OK || f2.sender_ssrc != fb->sender_ssrc ||
      f2.media_ssrc != fb->media_ssrc)
    abort();
  if (f2.fci_len > fb->fci_len) abort(); /* merging never needs more items */
  if (usm__rtcp_nack_seqs(&f2, seqs2, sizeof seqs2 / sizeof seqs2[0], &n2) != USM_OK) abort();
  mark(a, seqs, n);
  mark(b, seqs2, n2);
  if (memcmp(a, b, sizeof a) != 0) abort(); /* the same set of lost packets */
}

static void check_fb(const usm__rtcp_pkt *p, uint8_t *out, size_t cap) {
  usm__rtcp_fb fb, f2;
  usm__rtcp_pkt q;
  size_t m = 0, cnt = 0;
  if (usm__rtcp_parse_fb(p, &fb) != USM_OK) return;
  if (fb.pt == USM__RTCP_RTPFB && fb.fmt == USM__RTCP_FB_NACK) {
    check_nack(&fb, out, cap);
  } else if (fb.pt == USM__RTCP_RTPFB && fb.fmt == USM__RTCP_FB_TWCC) {
    usm__rtcp_twcc t;
    if (usm__rtcp_parse_twcc(&fb, &t) != USM_OK) return;
    uint8_t *st = malloc((size_t)t.status_count + 1);
    int32_t *d = malloc(((size_t)t.status_count + 1) * sizeof *d);
    if (st && d && usm__rtcp_twcc_decode(&t, st, d, t.status_count) == USM_OK)
      for (size_t i = 0; i < t.status_count; i++)
        if (st[i] > USM__TWCC_LARGE_DELTA || (st[i] == USM__TWCC_NOT_RECEIVED && d[i] != 0) ||
            (st[i] == USM__TWCC_SMALL_DELTA && (d[i] < 0 || d[i] > 255)))
          abort();
    if (t.status_count && st && d && usm__rtcp_twcc_decode(&t, st, d, t.status_count - 1u) != USM_ERR_LIMIT)
      abort();
    free(st);
    free(d);
  } else if (fb.pt == USM__RTCP_PSFB && fb.fmt == USM__RTCP_FB_PLI) {
    if (usm__rtcp_build_pli(fb.sender_ssrc, fb.media_ssrc, out, cap, &m) != USM_OK) abort();
    reparse(out, m, 0, &q);
    if (usm__rtcp_parse_fb(&q, &f2) != USM_OK || f2.sender_ssrc != fb.sender_ssrc ||
        f2.media_ssrc != fb.media_ssrc || f2.fmt != USM__RTCP_FB_PLI)
      abort();
  } else if (fb.pt == USM__RTCP_PSFB && fb.fmt == USM__RTCP_FB_FIR) {
    usm__rtcp_fir_entry e[USM__RTCP_MAX_FIR_ENTRIES], e2;
    if (usm__rtcp_fir_count(&fb, &cnt) != USM_OK) return;
    for (size_t i = 0; i < cnt; i++)
      if (usm__rtcp_fir_get(&fb, i, &e[i]) != USM_OK) abort();
    if (usm__rtcp_build_fir(fb.sender_ssrc, e, cnt, out, cap, &m) != USM_OK) abort();
    reparse(out, m, 0, &q);
    if (usm__rtcp_parse_fb(&q, &f2) != USM_OK || usm__rtcp_fir_count(&f2, &m) != USM_OK || m != cnt) abort();
    for (size_t i = 0; i < cnt; i++)
      if (usm__rtcp_fir_get(&f2, i, &e2) != USM_OK || e2.ssrc != e[i].ssrc || e2.seq_nr != e[i].seq_nr)
        abort();
  } else if (fb.pt == USM__RTCP_PSFB && fb.fmt == USM__RTCP_FB_AFB) {
    usm__rtcp_remb r, r2;
    uint32_t ss[USM__RTCP_MAX_REMB_SSRCS];
    if (usm__rtcp_parse_remb(&fb, &r) != USM_OK) return;
    for (size_t i = 0; i < r.ssrc_count; i++) ss[i] = usm__rtcp_remb_ssrc(&r, i);
    if (usm__rtcp_build_remb(fb.sender_ssrc, r.bitrate, ss, r.ssrc_count, out, cap, &m) != USM_OK) abort();
    reparse(out, m, 0, &q);
    if (usm__rtcp_parse_fb(&q, &f2) != USM_OK || usm__rtcp_parse_remb(&f2, &r2) != USM_OK) abort();
    if (r.bitrate != UINT64_MAX && r2.bitrate != r.bitrate) abort(); /* exact unless saturated */
    if (r2.ssrc_count != r.ssrc_count) abort();
    for (size_t i = 0; i < r.ssrc_count; i++)
      if (usm__rtcp_remb_ssrc(&r2, i) != ss[i]) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t out[16384]; /* scratch: every rebuilt packet fits (SDES: 31 chunks of 264) */
  usm__rtcp_iter it;
  usm__rtcp_pkt p;
  if (usm__rtcp_iter_init(&it, data, size) != USM_OK) return 0;
  size_t total = 0;
  int first = 1;
  while (usm__rtcp_iter_next(&it, &p)) {
    if (p.data < data || p.len < 4 || p.body_len > p.len - 4 || p.data + p.len > data + size) abort();
    if (first && p.pt != USM__RTCP_SR && p.pt != USM__RTCP_RR && p.pt != USM__RTCP_RTPFB &&
        p.pt != USM__RTCP_PSFB)
      abort();
    first = 0;
    total += p.len;
    switch (p.pt) {
      case USM__RTCP_SR:
      case USM__RTCP_RR: check_report(&p, out, sizeof out); break;
      case USM__RTCP_SDES: check_sdes(&p, out, sizeof out); break;
      case USM__RTCP_BYE: check_bye(&p, out, sizeof out); break;
      case USM__RTCP_RTPFB:
      case USM__RTCP_PSFB: check_fb(&p, out, sizeof out); break;
      default: break; /* APP, XR, unknown: skipped */
    }
  }
  if (total != size) abort(); /* the packets cover the compound exactly */
  return 0;
}
