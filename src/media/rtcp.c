/* Compound RTCP: validation (RFC 3550 A.2 plus RFC 5506 reduced size),
 * iteration, zero-copy views of SR/RR/SDES/BYE/feedback packets, and builders.
 * Every count read from the network is checked against the bytes present. */
#include "media/bytes.h"
#include "media/rtcp.h"

#include <string.h>


/* ---- compound ---- */

usm_err usm__rtcp_iter_init(usm__rtcp_iter *it, const uint8_t *buf, size_t len) {
  if (!it || !buf) return USM_ERR_INVALID_ARG;
  it->buf = buf;
  it->len = it->off = 0; /* an iterator over nothing until the checks pass */
  if (len < 4) return USM_ERR_MALFORMED;
  size_t off = 0;
  while (off < len) {
    if (len - off < 4) return USM_ERR_MALFORMED;
    const uint8_t *h = buf + off;
    if ((h[0] >> 6) != 2) return USM_ERR_MALFORMED;
    size_t plen = ((size_t)usm__rd16(h + 2) + 1) * 4;
    if (plen > len - off) return USM_ERR_MALFORMED;
    if (off == 0) {
      /* A.2: a compound starts with SR or RR; RFC 5506 allows a lone feedback packet first */
      uint8_t pt = h[1];
      if (pt != USM__RTCP_SR && pt != USM__RTCP_RR && pt != USM__RTCP_RTPFB && pt != USM__RTCP_PSFB)
        return USM_ERR_MALFORMED;
    }
    if (h[0] & 0x20) {
      if (off + plen != len) return USM_ERR_MALFORMED; /* padding only on the last packet */
      uint8_t pad = h[plen - 1];
      if (pad == 0 || pad > plen - 4) return USM_ERR_MALFORMED;
    }
    off += plen;
  }
  it->len = len;
  return USM_OK;
}

int usm__rtcp_iter_next(usm__rtcp_iter *it, usm__rtcp_pkt *out) {
  if (!it || !out || it->off >= it->len) return 0;
  const uint8_t *h = it->buf + it->off;
  size_t plen = ((size_t)usm__rd16(h + 2) + 1) * 4; /* checked by init */
  out->pt = h[1];
  out->count = h[0] & 0x1f;
  out->padding = (h[0] >> 5) & 1;
  out->data = h;
  out->len = plen;
  out->body = h + 4;
  out->body_len = plen - 4 - (out->padding ? h[plen - 1] : 0);
  it->off += plen;
  return 1;
}

/* ---- SR / RR ---- */

usm_err usm__rtcp_parse_report(const usm__rtcp_pkt *p, usm__rtcp_report *out) {
  if (!p || !out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (p->pt != USM__RTCP_SR && p->pt != USM__RTCP_RR) return USM_ERR_INVALID_ARG;
  out->is_sr = p->pt == USM__RTCP_SR;
  size_t fixed = out->is_sr ? 24 : 4;
  if (p->body_len < fixed || (p->body_len - fixed) / 24 < p->count) return USM_ERR_MALFORMED;
  const uint8_t *b = p->body;
  out->ssrc = usm__rd32(b);
  if (out->is_sr) {
    out->si.ntp = ((uint64_t)usm__rd32(b + 4) << 32) | usm__rd32(b + 8);
    out->si.rtp_ts = usm__rd32(b + 12);
    out->si.packet_count = usm__rd32(b + 16);
    out->si.octet_count = usm__rd32(b + 20);
  }
  out->rb_count = p->count;
  out->rb = b + fixed;
  out->ext = out->rb + 24u * p->count;
  out->ext_len = p->body_len - fixed - 24u * p->count;
  return USM_OK;
}

usm_err usm__rtcp_report_block_get(const usm__rtcp_report *r, size_t i, usm__rtcp_report_block *out) {
  if (!r || !out || i >= r->rb_count) return USM_ERR_INVALID_ARG;
  const uint8_t *b = r->rb + 24 * i;
  out->ssrc = usm__rd32(b);
  out->fraction_lost = b[4];
  uint32_t cum = usm__rd24(b + 5);
  out->cumulative_lost = (cum & 0x800000u) ? (int32_t)cum - 0x1000000 : (int32_t)cum; /* sign-extend 24 bits */
  out->ext_highest_seq = usm__rd32(b + 8);
  out->jitter = usm__rd32(b + 12);
  out->lsr = usm__rd32(b + 16);
  out->dlsr = usm__rd32(b + 20);
  return USM_OK;
}

/* ---- SDES ---- */

/* Walk one chunk at *pp (32-bit aligned relative to @p base). 0 and *pp past the
 * chunk on success; USM_ERR_MALFORMED if it runs past @p end. */
static usm_err sdes_chunk(const uint8_t *base, const uint8_t **pp, const uint8_t *end,
                          usm__rtcp_sdes_chunk *c) {
  const uint8_t *p = *pp;
  if (end - p < 4) return USM_ERR_MALFORMED;
  c->ssrc = usm__rd32(p);
  c->cname = NULL;
  c->cname_len = 0;
  p += 4;
  for (;;) {
    if (p >= end) return USM_ERR_MALFORMED; /* no null item */
    uint8_t type = p[0];
    if (type == 0) break;
    if (end - p < 2 || (size_t)(end - p - 2) < p[1]) return USM_ERR_MALFORMED;
    if (type == 1 && !c->cname) { /* CNAME; the first one wins */
      c->cname = (const char *)(p + 2);
      c->cname_len = p[1];
    }
    p += 2 + (size_t)p[1];
  }
  /* the null item, then null octets up to the next 32-bit boundary */
  size_t used = (size_t)(p + 1 - base);
  size_t aligned = (used + 3) & ~(size_t)3;
  if (aligned > (size_t)(end - base)) return USM_ERR_MALFORMED;
  *pp = base + aligned;
  return USM_OK;
}

usm_err usm__rtcp_sdes_iter_init(usm__rtcp_sdes_iter *it, const usm__rtcp_pkt *p) {
  if (!it || !p || p->pt != USM__RTCP_SDES) return USM_ERR_INVALID_ARG;
  it->p = it->end = NULL;
  it->left = 0;
  it->err = USM_ERR_MALFORMED;
  const uint8_t *q = p->body, *end = p->body + p->body_len;
  usm__rtcp_sdes_chunk c;
  for (unsigned i = 0; i < p->count; i++) /* SC is 5 bits: at most 31 chunks */
    if (sdes_chunk(p->body, &q, end, &c) != USM_OK) return USM_ERR_MALFORMED;
  if (q != end) return USM_ERR_MALFORMED; /* bytes after the last chunk */
  it->p = p->body;
  it->end = end;
  it->left = p->count;
  it->err = USM_OK;
  return USM_OK;
}

int usm__rtcp_sdes_next(usm__rtcp_sdes_iter *it, usm__rtcp_sdes_chunk *out) {
  if (!it || !out || it->err != USM_OK || it->left == 0) return 0;
  /* chunks start 32-bit aligned relative to the body; base = the current chunk is equivalent */
  if (sdes_chunk(it->p, &it->p, it->end, out) != USM_OK) {
    it->err = USM_ERR_MALFORMED;
    return 0;
  }
  it->left--;
  return 1;
}

/* ---- BYE ---- */

usm_err usm__rtcp_parse_bye(const usm__rtcp_pkt *p, usm__rtcp_bye *out) {
  if (!p || !out || p->pt != USM__RTCP_BYE) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (p->body_len / 4 < p->count) return USM_ERR_MALFORMED;
  out->ssrc_count = p->count;
  out->ssrcs = p->body;
  size_t rest = p->body_len - 4u * p->count;
  if (rest) {
    const uint8_t *r = p->body + 4u * p->count;
    size_t n = r[0];
    if (rest - 1 < n || rest - 1 - n > 3) return USM_ERR_MALFORMED; /* past the end, or junk */
    out->reason = (const char *)(r + 1);
    out->reason_len = n;
  }
  return USM_OK;
}

uint32_t usm__rtcp_bye_ssrc(const usm__rtcp_bye *b, size_t i) {
  return (b && i < b->ssrc_count) ? usm__rd32(b->ssrcs + 4 * i) : 0;
}

/* ---- feedback ---- */

usm_err usm__rtcp_parse_fb(const usm__rtcp_pkt *p, usm__rtcp_fb *out) {
  if (!p || !out || (p->pt != USM__RTCP_RTPFB && p->pt != USM__RTCP_PSFB)) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (p->body_len < 8) return USM_ERR_MALFORMED;
  out->pt = p->pt;
  out->fmt = p->count;
  out->sender_ssrc = usm__rd32(p->body);
  out->media_ssrc = usm__rd32(p->body + 4);
  out->fci = p->body + 8;
  out->fci_len = p->body_len - 8;
  return USM_OK;
}

static int is_fb(const usm__rtcp_fb *fb, uint8_t pt, uint8_t fmt) {
  return fb && fb->pt == pt && fb->fmt == fmt;
}

usm_err usm__rtcp_nack_count(const usm__rtcp_fb *fb, size_t *items) {
  if (!is_fb(fb, USM__RTCP_RTPFB, USM__RTCP_FB_NACK) || !items) return USM_ERR_INVALID_ARG;
  if (fb->fci_len == 0 || fb->fci_len % 4) return USM_ERR_MALFORMED;
  if (fb->fci_len / 4 > USM__RTCP_MAX_NACK_ITEMS) return USM_ERR_LIMIT;
  *items = fb->fci_len / 4;
  return USM_OK;
}

usm_err usm__rtcp_nack_seqs(const usm__rtcp_fb *fb, uint16_t *seqs, size_t cap, size_t *n) {
  size_t items;
  if (!seqs || !n) return USM_ERR_INVALID_ARG;
  usm_err err = usm__rtcp_nack_count(fb, &items);
  if (err != USM_OK) return err;
  size_t k = 0;
  for (size_t i = 0; i < items; i++) {
    uint16_t pid = usm__rd16(fb->fci + 4 * i), blp = usm__rd16(fb->fci + 4 * i + 2);
    if (k >= cap) return USM_ERR_LIMIT;
    seqs[k++] = pid;
    for (unsigned bit = 0; bit < 16; bit++) {
      if (!(blp & (1u << bit))) continue;
      if (k >= cap) return USM_ERR_LIMIT;
      seqs[k++] = (uint16_t)(pid + bit + 1); /* BLP bit i: PID + i + 1, mod 2^16 */
    }
  }
  *n = k;
  return USM_OK;
}

usm_err usm__rtcp_fir_count(const usm__rtcp_fb *fb, size_t *n) {
  if (!is_fb(fb, USM__RTCP_PSFB, USM__RTCP_FB_FIR) || !n) return USM_ERR_INVALID_ARG;
  if (fb->fci_len == 0 || fb->fci_len % 8) return USM_ERR_MALFORMED;
  if (fb->fci_len / 8 > USM__RTCP_MAX_FIR_ENTRIES) return USM_ERR_LIMIT;
  *n = fb->fci_len / 8;
  return USM_OK;
}

usm_err usm__rtcp_fir_get(const usm__rtcp_fb *fb, size_t i, usm__rtcp_fir_entry *out) {
  size_t n;
  if (!out) return USM_ERR_INVALID_ARG;
  usm_err err = usm__rtcp_fir_count(fb, &n);
  if (err != USM_OK) return err;
  if (i >= n) return USM_ERR_INVALID_ARG;
  out->ssrc = usm__rd32(fb->fci + 8 * i);
  out->seq_nr = fb->fci[8 * i + 4];
  return USM_OK;
}

usm_err usm__rtcp_parse_remb(const usm__rtcp_fb *fb, usm__rtcp_remb *out) {
  if (!is_fb(fb, USM__RTCP_PSFB, USM__RTCP_FB_AFB) || !out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (fb->fci_len < 8 || memcmp(fb->fci, "REMB", 4) != 0) return USM_ERR_MALFORMED;
  uint8_t num = fb->fci[4];
  if ((fb->fci_len - 8) / 4 < num) return USM_ERR_MALFORMED;
  unsigned exp = fb->fci[5] >> 2;
  uint64_t mant = ((uint64_t)(fb->fci[5] & 3) << 16) | ((uint64_t)fb->fci[6] << 8) | fb->fci[7];
  out->bitrate = mant > (UINT64_MAX >> exp) ? UINT64_MAX : mant << exp;
  out->ssrc_count = num;
  out->ssrcs = fb->fci + 8;
  return USM_OK;
}

uint32_t usm__rtcp_remb_ssrc(const usm__rtcp_remb *r, size_t i) {
  return (r && i < r->ssrc_count) ? usm__rd32(r->ssrcs + 4 * i) : 0;
}

usm_err usm__rtcp_parse_twcc(const usm__rtcp_fb *fb, usm__rtcp_twcc *out) {
  if (!is_fb(fb, USM__RTCP_RTPFB, USM__RTCP_FB_TWCC) || !out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (fb->fci_len < 8) return USM_ERR_MALFORMED;
  out->base_seq = usm__rd16(fb->fci);
  out->status_count = usm__rd16(fb->fci + 2);
  uint32_t ref = usm__rd24(fb->fci + 4);
  out->reference_time = (ref & 0x800000u) ? (int32_t)ref - 0x1000000 : (int32_t)ref;
  out->fb_count = fb->fci[7];
  out->chunks = fb->fci + 8;
  out->chunks_len = fb->fci_len - 8;
  return USM_OK;
}

usm_err usm__rtcp_twcc_decode(const usm__rtcp_twcc *t, uint8_t *status, int32_t *delta_250us,
                              size_t cap) {
  if (!t || !status || !delta_250us) return USM_ERR_INVALID_ARG;
  size_t total = t->status_count;
  if (cap < total) return USM_ERR_LIMIT;
  const uint8_t *p = t->chunks, *end = t->chunks + t->chunks_len;
  size_t k = 0;
  /* packet status chunks until every packet has a symbol */
  while (k < total) {
    if (end - p < 2) return USM_ERR_MALFORMED;
    uint16_t c = usm__rd16(p);
    p += 2;
    if (!(c & 0x8000)) { /* run length: 2-bit symbol, 13-bit run */
      uint8_t sym = (c >> 13) & 3;
      size_t run = c & 0x1fff;
      if (sym == 3 || run == 0) return USM_ERR_MALFORMED;
      for (size_t i = 0; i < run && k < total; i++) status[k++] = sym;
    } else if (!(c & 0x4000)) { /* status vector of 14 one-bit symbols */
      for (int b = 13; b >= 0 && k < total; b--) status[k++] = (c >> b) & 1;
    } else { /* status vector of 7 two-bit symbols */
      for (int b = 12; b >= 0 && k < total; b -= 2) {
        uint8_t sym = (c >> b) & 3;
        if (sym == 3) return USM_ERR_MALFORMED;
        status[k++] = sym;
      }
    }
  }
  /* receive deltas: one byte unsigned for small, two bytes signed for large */
  for (size_t i = 0; i < total; i++) {
    delta_250us[i] = 0;
    if (status[i] == USM__TWCC_SMALL_DELTA) {
      if (end - p < 1) return USM_ERR_MALFORMED;
      delta_250us[i] = p[0];
      p += 1;
    } else if (status[i] == USM__TWCC_LARGE_DELTA) {
      if (end - p < 2) return USM_ERR_MALFORMED;
      delta_250us[i] = (int16_t)usm__rd16(p);
      p += 2;
    }
  }
  if (end - p > 3) return USM_ERR_MALFORMED; /* more than word padding left over */
  return USM_OK;
}

/* ---- builders ---- */

static void put_header(uint8_t *out, unsigned count, uint8_t pt, size_t len) {
  out[0] = (uint8_t)(0x80 | (count & 0x1f));
  out[1] = pt;
  usm__wr16(out + 2, (uint16_t)(len / 4 - 1));
}

static void put_block(uint8_t *b, const usm__rtcp_report_block *rb) {
  int32_t cum = rb->cumulative_lost;
  if (cum > 0x7fffff) cum = 0x7fffff; /* 24-bit signed on the wire */
  if (cum < -0x800000) cum = -0x800000;
  usm__wr32(b, rb->ssrc);
  b[4] = rb->fraction_lost;
  usm__wr24(b + 5, (uint32_t)cum & 0xffffffu);
  usm__wr32(b + 8, rb->ext_highest_seq);
  usm__wr32(b + 12, rb->jitter);
  usm__wr32(b + 16, rb->lsr);
  usm__wr32(b + 20, rb->dlsr);
}

static usm_err build_report(int sr, uint32_t ssrc, const usm__rtcp_sender_info *si,
                            const usm__rtcp_report_block *rb, size_t n, uint8_t *out, size_t cap,
                            size_t *out_len) {
  if (!out || !out_len || (n && !rb) || (sr && !si)) return USM_ERR_INVALID_ARG;
  if (n > USM__RTCP_MAX_REPORT_BLOCKS) return USM_ERR_LIMIT;
  size_t fixed = sr ? 28 : 8, len = fixed + 24 * n;
  if (len > cap) return USM_ERR_LIMIT;
  put_header(out, (unsigned)n, sr ? USM__RTCP_SR : USM__RTCP_RR, len);
  usm__wr32(out + 4, ssrc);
  if (sr) {
    usm__wr32(out + 8, (uint32_t)(si->ntp >> 32));
    usm__wr32(out + 12, (uint32_t)si->ntp);
    usm__wr32(out + 16, si->rtp_ts);
    usm__wr32(out + 20, si->packet_count);
    usm__wr32(out + 24, si->octet_count);
  }
  for (size_t i = 0; i < n; i++) put_block(out + fixed + 24 * i, &rb[i]);
  *out_len = len;
  return USM_OK;
}

usm_err usm__rtcp_build_sr(uint32_t ssrc, const usm__rtcp_sender_info *si,
                           const usm__rtcp_report_block *rb, size_t n, uint8_t *out, size_t cap,
                           size_t *out_len) {
  return build_report(1, ssrc, si, rb, n, out, cap, out_len);
}

usm_err usm__rtcp_build_rr(uint32_t ssrc, const usm__rtcp_report_block *rb, size_t n, uint8_t *out,
                           size_t cap, size_t *out_len) {
  return build_report(0, ssrc, NULL, rb, n, out, cap, out_len);
}

usm_err usm__rtcp_build_sdes(const usm__rtcp_sdes_chunk *chunks, size_t n, uint8_t *out, size_t cap,
                             size_t *out_len) {
  if (!out || !out_len || (n && !chunks)) return USM_ERR_INVALID_ARG;
  if (n > USM__RTCP_MAX_SDES_CHUNKS) return USM_ERR_LIMIT;
  size_t len = 4;
  for (size_t i = 0; i < n; i++) {
    if (chunks[i].cname_len > USM__RTCP_MAX_SDES_TEXT) return USM_ERR_LIMIT;
    if (chunks[i].cname_len && !chunks[i].cname) return USM_ERR_INVALID_ARG;
    /* SSRC, CNAME item, at least one null octet, padded to 32 bits */
    len += (4 + (chunks[i].cname_len ? 2 + chunks[i].cname_len : 0) + 1 + 3) & ~(size_t)3;
  }
  if (len > cap || len / 4 - 1 > 0xffff) return USM_ERR_LIMIT;
  put_header(out, (unsigned)n, USM__RTCP_SDES, len);
  uint8_t *p = out + 4;
  for (size_t i = 0; i < n; i++) {
    uint8_t *start = p;
    usm__wr32(p, chunks[i].ssrc);
    p += 4;
    if (chunks[i].cname_len) {
      *p++ = 1;
      *p++ = (uint8_t)chunks[i].cname_len;
      memcpy(p, chunks[i].cname, chunks[i].cname_len);
      p += chunks[i].cname_len;
    }
    size_t used = (size_t)(p - start) + 1, aligned = (used + 3) & ~(size_t)3;
    memset(p, 0, aligned - used + 1);
    p = start + aligned;
  }
  *out_len = len;
  return USM_OK;
}

usm_err usm__rtcp_build_bye(const uint32_t *ssrcs, size_t n, const char *reason, size_t reason_len,
                            uint8_t *out, size_t cap, size_t *out_len) {
  if (!out || !out_len || (n && !ssrcs) || (reason_len && !reason)) return USM_ERR_INVALID_ARG;
  if (n > USM__RTCP_MAX_BYE_SSRCS || reason_len > USM__RTCP_MAX_SDES_TEXT) return USM_ERR_LIMIT;
  size_t len = 4 + 4 * n + (reason ? (1 + reason_len + 3) & ~(size_t)3 : 0);
  if (len > cap) return USM_ERR_LIMIT;
  put_header(out, (unsigned)n, USM__RTCP_BYE, len);
  for (size_t i = 0; i < n; i++) usm__wr32(out + 4 + 4 * i, ssrcs[i]);
  if (reason) {
    uint8_t *r = out + 4 + 4 * n;
    memset(r, 0, (size_t)(out + len - r));
    r[0] = (uint8_t)reason_len;
    if (reason_len) memcpy(r + 1, reason, reason_len);
  }
  *out_len = len;
  return USM_OK;
}

static usm_err fb_start(uint8_t *out, size_t cap, size_t len, uint8_t fmt, uint8_t pt, uint32_t sender,
                        uint32_t media) {
  if (len > cap) return USM_ERR_LIMIT;
  put_header(out, fmt, pt, len);
  usm__wr32(out + 4, sender);
  usm__wr32(out + 8, media);
  return USM_OK;
}

usm_err usm__rtcp_build_nack(uint32_t sender_ssrc, uint32_t media_ssrc, const uint16_t *seqs, size_t n,
                             uint8_t *out, size_t cap, size_t *out_len) {
  if (!seqs || !n || !out || !out_len) return USM_ERR_INVALID_ARG;
  if (cap < 16) return USM_ERR_LIMIT;
  uint8_t *fci = out + 12;
  size_t items = 0;
  for (size_t i = 0; i < n; i++) {
    size_t j;
    for (j = 0; j < items; j++) {
      uint16_t d = (uint16_t)(seqs[i] - usm__rd16(fci + 4 * j));
      if (d == 0) break; /* the PID itself: a duplicate */
      if (d <= 16) {
        usm__wr16(fci + 4 * j + 2, (uint16_t)(usm__rd16(fci + 4 * j + 2) | (1u << (d - 1))));
        break;
      }
    }
    if (j < items) continue;
    if (items == USM__RTCP_MAX_NACK_ITEMS || 16 + 4 * items > cap) return USM_ERR_LIMIT;
    usm__wr16(fci + 4 * items, seqs[i]);
    usm__wr16(fci + 4 * items + 2, 0);
    items++;
  }
  size_t len = 12 + 4 * items;
  usm_err err = fb_start(out, cap, len, USM__RTCP_FB_NACK, USM__RTCP_RTPFB, sender_ssrc, media_ssrc);
  if (err == USM_OK) *out_len = len;
  return err;
}

usm_err usm__rtcp_build_pli(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t *out, size_t cap,
                            size_t *out_len) {
  if (!out || !out_len) return USM_ERR_INVALID_ARG;
  usm_err err = fb_start(out, cap, 12, USM__RTCP_FB_PLI, USM__RTCP_PSFB, sender_ssrc, media_ssrc);
  if (err == USM_OK) *out_len = 12;
  return err;
}

usm_err usm__rtcp_build_fir(uint32_t sender_ssrc, const usm__rtcp_fir_entry *e, size_t n, uint8_t *out,
                            size_t cap, size_t *out_len) {
  if (!e || !n || !out || !out_len) return USM_ERR_INVALID_ARG;
  if (n > USM__RTCP_MAX_FIR_ENTRIES) return USM_ERR_LIMIT;
  size_t len = 12 + 8 * n;
  /* RFC 5104 §4.3.1.2: the media source SSRC is unused and set to 0 */
  usm_err err = fb_start(out, cap, len, USM__RTCP_FB_FIR, USM__RTCP_PSFB, sender_ssrc, 0);
  if (err != USM_OK) return err;
  for (size_t i = 0; i < n; i++) {
    uint8_t *f = out + 12 + 8 * i;
    usm__wr32(f, e[i].ssrc);
    f[4] = e[i].seq_nr;
    f[5] = f[6] = f[7] = 0;
  }
  *out_len = len;
  return USM_OK;
}

usm_err usm__rtcp_build_remb(uint32_t sender_ssrc, uint64_t bitrate, const uint32_t *ssrcs, size_t n,
                             uint8_t *out, size_t cap, size_t *out_len) {
  if (!out || !out_len || (n && !ssrcs)) return USM_ERR_INVALID_ARG;
  if (n > USM__RTCP_MAX_REMB_SSRCS) return USM_ERR_LIMIT;
  size_t len = 20 + 4 * n;
  usm_err err = fb_start(out, cap, len, USM__RTCP_FB_AFB, USM__RTCP_PSFB, sender_ssrc, 0);
  if (err != USM_OK) return err;
  unsigned exp = 0;
  while ((bitrate >> exp) > 0x3ffffu) exp++; /* smallest exponent that fits 18 bits: at most 46 */
  uint32_t mant = (uint32_t)(bitrate >> exp);
  memcpy(out + 12, "REMB", 4);
  out[16] = (uint8_t)n;
  usm__wr24(out + 17, ((uint32_t)exp << 18) | mant);
  for (size_t i = 0; i < n; i++) usm__wr32(out + 20 + 4 * i, ssrcs[i]);
  *out_len = len;
  return USM_OK;
}
