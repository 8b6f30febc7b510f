/* RTP parsing on arbitrary bytes. What parses is built again (once with the
 * raw extension block, once from its RFC 8285 elements) and parsed again: the
 * fields must agree. The bytes also drive the receive-side sequence tracker
 * as (seq, timestamp, arrival) records, checking its counters stay sane. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtp.h"
#include "media/rtp_seq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out_buf[70000]; /* scratch only: rewritten on every input */

static void same_fields(const usm__rtp_view *a, const usm__rtp_view *b) {
  if (a->marker != b->marker || a->pt != b->pt || a->seq != b->seq || a->timestamp != b->timestamp ||
      a->ssrc != b->ssrc || a->csrc_count != b->csrc_count || a->pad_len != b->pad_len ||
      a->payload_len != b->payload_len || memcmp(a->payload, b->payload, a->payload_len) != 0)
    abort();
  for (unsigned i = 0; i < a->csrc_count; i++)
    if (a->csrc[i] != b->csrc[i]) abort();
}

static void header_of(const usm__rtp_view *v, usm__rtp_header *h) {
  memset(h, 0, sizeof *h);
  h->marker = v->marker;
  h->pt = v->pt;
  h->seq = v->seq;
  h->timestamp = v->timestamp;
  h->ssrc = v->ssrc;
  h->csrc_count = v->csrc_count;
  memcpy(h->csrc, v->csrc, sizeof h->csrc);
  h->pad_len = v->pad_len;
}

static size_t elems_of(const usm__rtp_view *v, usm__rtp_ext_elem *el, usm_err *err) {
  usm__rtp_ext_iter it;
  size_t n = 0;
  usm__rtp_ext_elem e;
  *err = usm__rtp_ext_iter_init(&it, v);
  if (*err != USM_OK) return 0;
  while (usm__rtp_ext_next(&it, &e)) {
    if (e.id == 0 || (!it.two_byte && (e.id > 14 || e.len < 1 || e.len > 16))) abort();
    if (e.data < v->ext || e.data + e.len > v->ext + v->ext_len) abort();
    if (n == USM__RTP_MAX_EXT_ELEMS) {
      *err = USM_ERR_LIMIT;
      return n;
    }
    el[n++] = e;
  }
  *err = it.err;
  return n;
}

static void check_packet(const uint8_t *data, size_t size) {
  usm__rtp_view v, w;
  if (usm__rtp_parse(data, size, &v) != USM_OK) return;
  if (v.header_len + v.payload_len + v.pad_len != size) abort();
  if (v.payload != data + v.header_len) abort();
  if (v.ext_len % 4 || (v.extension && !v.ext)) abort();

  /* raw rebuild: identical except padding bytes before the count (zeroed) */
  usm__rtp_header h;
  header_of(&v, &h);
  if (v.extension) {
    h.ext_profile = v.ext_profile;
    h.ext_raw = v.ext;
    h.ext_raw_len = v.ext_len;
  }
  size_t n = 0;
  if (usm__rtp_build(&h, v.payload, v.payload_len, out_buf, size, &n) != USM_OK || n != size) abort();
  if (size > 1 && usm__rtp_build(&h, v.payload, v.payload_len, out_buf, size - 1, &n) != USM_ERR_LIMIT)
    abort();
  if (usm__rtp_build(&h, v.payload, v.payload_len, out_buf, size, &n) != USM_OK) abort();
  if (memcmp(out_buf, data, v.header_len + v.payload_len) != 0) abort();
  if (usm__rtp_parse(out_buf, n, &w) != USM_OK) abort();
  same_fields(&v, &w);

  /* element rebuild: the same elements come back */
  usm__rtp_ext_elem el[USM__RTP_MAX_EXT_ELEMS], el2[USM__RTP_MAX_EXT_ELEMS];
  usm_err err;
  size_t ne = elems_of(&v, el, &err);
  if (err == USM_OK && ne > 0) {
    header_of(&v, &h);
    h.ext_elems = el;
    h.ext_count = ne;
    h.ext_two_byte = v.ext_profile != USM__RTP_EXT_ONE_BYTE;
    h.ext_appbits = (uint8_t)(v.ext_profile & 0x0f);
    if (usm__rtp_build(&h, v.payload, v.payload_len, out_buf, sizeof out_buf, &n) != USM_OK) abort();
    if (usm__rtp_parse(out_buf, n, &w) != USM_OK) abort();
    same_fields(&v, &w);
    if (w.ext_len > v.ext_len) abort(); /* never longer than what it came from */
    size_t ne2 = elems_of(&w, el2, &err);
    if (err != USM_OK || ne2 != ne) abort();
    for (size_t i = 0; i < ne; i++)
      if (el[i].id != el2[i].id || el[i].len != el2[i].len || memcmp(el[i].data, el2[i].data, el[i].len))
        abort();
    usm__rtp_ext_elem f;
    if (usm__rtp_ext_find(&w, el[0].id, &f) != USM_OK || f.len != el[0].len) abort();
  }

  /* the packet buffer: build with room, copy for history, protect marker */
  static uint8_t mem[70000 + USM__RTP_SRTP_TRAILER_ROOM + USM__RTP_HEADROOM];
  static uint8_t hist_mem[sizeof mem];
  usm__rtp_pkt p, q;
  header_of(&v, &h);
  if (usm__rtp_pkt_init(&p, mem, sizeof mem, USM__RTP_HEADROOM) != USM_OK) abort();
  if (usm__rtp_pkt_init(&q, hist_mem, sizeof hist_mem, USM__RTP_HEADROOM) != USM_OK) abort();
  if (usm__rtp_pkt_build(&p, &h, v.payload, v.payload_len) != USM_OK) abort();
  if (usm__rtp_pkt_tailroom(&p) < USM__RTP_SRTP_TRAILER_ROOM) abort();
  if (usm__rtp_pkt_copy(&q, &p) != USM_OK || q.len != p.len) abort();
  if (usm__rtp_pkt_set_protected(&p, p.len + 10) != USM_OK) abort();
  if (usm__rtp_pkt_copy(&q, &p) != USM_ERR_WRONG_STATE) abort();
}

/* 10-byte records: seq (2), RTP timestamp (4), arrival delta in us (4). */
static void check_tracker(const uint8_t *data, size_t size) {
  usm__rtp_rx s;
  usm__rtp_rx_report r;
  if (usm__rtp_rx_init(&s, 1, size % 2 ? 90000 : 8000) != USM_OK) abort();
  uint64_t now = 0;
  for (size_t off = 0; size - off >= 10; off += 10) {
    const uint8_t *d = data + off;
    uint16_t seq = (uint16_t)((d[0] << 8) | d[1]);
    uint32_t ts = ((uint32_t)d[2] << 24) | ((uint32_t)d[3] << 16) | ((uint32_t)d[4] << 8) | d[5];
    now += ((uint32_t)d[6] << 24) | ((uint32_t)d[7] << 16) | ((uint32_t)d[8] << 8) | d[9];
    uint32_t before = usm__rtp_rx_ext_max(&s);
    int was_valid = s.started && !s.probation;
    usm__rtp_seq_result res = usm__rtp_rx_on_packet(&s, seq, ts, now);
    if (res > USM__RTP_SEQ_BAD) abort();
    if (res == USM__RTP_SEQ_BAD && usm__rtp_rx_ext_max(&s) != before) abort();
    if (was_valid && res == USM__RTP_SEQ_VALID && usm__rtp_rx_ext_max(&s) - before >= USM__RTP_MAX_DROPOUT)
      abort();
    if (s.cycles % 65536) abort();
    if (off % 30 == 0) {
      usm__rtp_rx_report_take(&s, &r);
      if (r.cumulative_lost > 0x7fffff || r.cumulative_lost < -0x800000) abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65535) return 0;
  check_packet(data, size);
  check_tracker(data, size);
  return 0;
}
