/* The H.264 access-unit assembler (RFC 6184) on arbitrary packet sequences,
 * and optionally the decoder on what it hands over. The first byte picks the
 * bounds and whether popped access units are decoded; then each record is an
 * opcode byte and its operands: raw payloads from the input, synthesized
 * payloads (single NAL units of a chosen type, STAP-As with an SPS/PPS/slice,
 * FU-A fragments with chosen S/E bits), padding-only packets, pops,
 * give-up, missing lists and resets, with sequence numbers and timestamps
 * moving by small signed steps (and wrapping). Checks: no crash or leak;
 * every access unit handed over is within the bounds and starts with a
 * 4-byte start code; timestamps only move forward; after "needs keyframe"
 * (or at the start) the next one is an IDR; a non-IDR one directly follows
 * the previous one (next sequence number or a short padding gap); the
 * missing list is bounded and has no repeats; the decoder never hands out a
 * picture over 3840x2160 nor one from a non-IDR access unit while it needs a
 * keyframe. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/h264.h"
#include "codec/h264_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct reader {
  const uint8_t *p;
  size_t n;
} reader;

static uint8_t rd(reader *r) {
  if (!r->n) return 0;
  r->n--;
  return *r->p++;
}

typedef struct model {
  int need_key; /* start, reset, or "needs keyframe" seen */
  int have_last;
  uint32_t last_ts;
  uint16_t last_seq;
} model;

static void check_frame(const usm__h264_frame *f, size_t max_bytes, model *m) {
  static const uint8_t sc[4] = {0, 0, 0, 1};
  if (!f->data || f->len < 5 || f->len > max_bytes || memcmp(f->data, sc, 4) != 0) abort();
  if (!f->keyframe) {
    if (m->need_key || !m->have_last) abort(); /* a non-IDR without its reference */
    if ((uint16_t)(f->first_seq - m->last_seq - 1) > 64) abort();
  }
  if (m->have_last && (int32_t)(f->timestamp - m->last_ts) <= 0) abort();
  if ((uint16_t)(f->last_seq - f->first_seq) >= USM__H264_MAX_PACKETS) abort();
  m->have_last = 1;
  m->need_key = 0;
  m->last_ts = f->timestamp;
  m->last_seq = f->last_seq;
}

/* A small valid SPS (baseline, 176x144) so that synthesized IDRs can reach
 * the decoder's size check and OpenH264. */
static const uint8_t sps_qcif[] = {0x67, 0x42, 0xc0, 0x0b, 0xda, 0x0b, 0x13, 0x20};
static const uint8_t pps[] = {0x68, 0xce, 0x3c, 0x80};

static void decode_frame(usm__codec_dec *d, const usm__h264_frame *f) {
  int before = usm__h264_decoder_needs_keyframe(d);
  usm__codec_frame o;
  memset(&o, 0, sizeof o);
  o.kind = USM__CODEC_KIND_VIDEO;
  int got = 0;
  usm_err e = usm__codec_decode(d, f->data, f->len, &o, &got);
  if (got) {
    if (e != USM_OK) abort();
    if (before && !f->keyframe) abort();
    const usm__video_frame *v = &o.u.video;
    if (!v->width || !v->height || v->width > USM__H264_MAX_WIDTH || v->height > USM__H264_MAX_HEIGHT) abort();
    /* touch the corners: the planes must be that big */
    volatile uint8_t sink = v->plane[0][(size_t)(v->height - 1) * (size_t)v->stride[0] + v->width - 1];
    sink ^= v->plane[1][(size_t)((v->height + 1) / 2 - 1) * (size_t)v->stride[1] + (v->width + 1) / 2 - 1];
    sink ^= v->plane[2][(size_t)((v->height + 1) / 2 - 1) * (size_t)v->stride[2] + (v->width + 1) / 2 - 1];
    (void)sink;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  reader r = {data, size};
  uint8_t c = rd(&r);
  usm__h264_asm_cfg cfg = {0, 0, 0};
  if (c & 0x80) { /* small bounds, to reach them */
    cfg.max_frames = 1u + (c & 0x0F);
    cfg.max_packets = 1u + ((c >> 4) & 0x03) * 3u;
    cfg.max_frame_bytes = 64u + (size_t)rd(&r) * 16u;
  }
  usm__h264_asm *a;
  if (usm__h264_asm_create(&cfg, &a) != USM_OK) abort();
  usm__codec_dec *dec = NULL;
  if (c & 0x40) {
    usm__codec_params p;
    memset(&p, 0, sizeof p);
    p.kind = USM__CODEC_KIND_VIDEO;
    if (usm__codec_decoder_create(usm__codec_h264(), &p, &dec) != USM_OK) abort();
  }
  size_t max_bytes = cfg.max_frame_bytes ? cfg.max_frame_bytes : USM__H264_MAX_FRAME_BYTES;
  size_t max_frames = cfg.max_frames ? cfg.max_frames : USM__H264_DEFAULT_FRAMES;
  model m = {1, 0, 0, 0};
  uint16_t seq = (uint16_t)(0xFFF0u + rd(&r));
  uint32_t ts = 0xFFFFFF00u;
  uint8_t pkt[600];
  uint64_t restarts = 0;

  while (r.n) {
    uint8_t op = rd(&r);
    seq = (uint16_t)(seq + (int8_t)rd(&r) / 16 + 1); /* mostly forward, sometimes back */
    switch (op & 7u) {
      case 0:
      case 1: { /* single NAL unit or FU-A: [flags][type][len] body */
        uint8_t fl = rd(&r);
        unsigned type = rd(&r) % 24u;
        size_t len = rd(&r) % 200u;
        if (fl & 0x01) ts += 3000;
        int marker = (fl & 0x02) != 0;
        size_t n = 0;
        uint8_t nri = (uint8_t)((fl & 0x0C) << 3);
        if (fl & 0x10) { /* FU-A */
          pkt[n++] = (uint8_t)(nri | USM__H264_NAL_FU_A);
          pkt[n++] = (uint8_t)((fl & 0xC0) | type);
        } else {
          pkt[n++] = (uint8_t)(nri | type);
        }
        for (size_t i = 0; i < len; i++) pkt[n++] = rd(&r);
        if (n < 3) pkt[n++] = 0x80;
        (void)usm__h264_asm_push(a, pkt, n, seq, ts, marker);
        break;
      }
      case 2: { /* STAP-A: SPS, PPS and an IDR or non-IDR slice: [flags][len] body */
        uint8_t fl = rd(&r);
        size_t len = 1u + rd(&r) % 100u;
        if (fl & 0x01) ts += 3000;
        size_t n = 0;
        pkt[n++] = 0x78;
        pkt[n++] = 0;
        pkt[n++] = sizeof sps_qcif;
        memcpy(pkt + n, sps_qcif, sizeof sps_qcif);
        n += sizeof sps_qcif;
        pkt[n++] = 0;
        pkt[n++] = sizeof pps;
        memcpy(pkt + n, pps, sizeof pps);
        n += sizeof pps;
        pkt[n++] = 0;
        pkt[n++] = (uint8_t)(len + 1);
        pkt[n++] = (fl & 0x04) ? 0x41 : 0x65;
        for (size_t i = 0; i < len; i++) pkt[n++] = rd(&r);
        (void)usm__h264_asm_push(a, pkt, n, seq, ts, (fl & 0x02) != 0);
        break;
      }
      case 3: { /* raw payload: [ts step][flags][len] */
        ts += (uint32_t)(int32_t)(int8_t)rd(&r) * 100u;
        int marker = rd(&r) & 1;
        size_t len = rd(&r) % 64u;
        size_t n = 0;
        for (; n < len; n++) pkt[n] = rd(&r);
        (void)usm__h264_asm_push(a, n ? pkt : NULL, n, seq, ts, marker);
        break;
      }
      case 4: /* padding-only packet */
        (void)usm__h264_asm_push(a, NULL, 0, seq, ts, 0);
        break;
      case 5: {
        uint16_t miss[64];
        size_t cap = 1u + rd(&r) % 64u;
        size_t n = usm__h264_asm_missing(a, miss, cap);
        if (n > cap) abort();
        for (size_t i = 0; i < n; i++)
          for (size_t j = i + 1; j < n; j++)
            if (miss[i] == miss[j]) abort();
        break;
      }
      case 6:
        if (op & 0x80) {
          usm__h264_asm_reset(a);
          m.need_key = 1;
          m.have_last = 0;
        } else {
          usm__h264_asm_give_up(a);
        }
        break;
      default:
        if (dec && (op & 0x80)) { /* a loss reported to the decoder */
          usm__codec_frame o;
          int got = 1;
          memset(&o, 0, sizeof o);
          if (usm__codec_decode(dec, NULL, 0, &o, &got) != USM_OK || got) abort();
          if (!usm__h264_decoder_needs_keyframe(dec)) abort();
        }
        break;
    }
    if (usm__h264_asm_needs_keyframe(a)) m.need_key = 1;
    /* a long run of late packets resets the assembler by itself */
    usm__h264_asm_stats st;
    usm__h264_asm_get_stats(a, &st);
    if (st.restarts != restarts) {
      restarts = st.restarts;
      m.need_key = 1;
      m.have_last = 0;
    }
    usm__h264_frame f;
    while (usm__h264_asm_pop(a, &f)) {
      check_frame(&f, max_bytes, &m);
      if (dec) decode_frame(dec, &f);
    }
    if (usm__h264_asm_buffered(a) > max_frames) abort();
  }
  usm__codec_decoder_destroy(dec);
  usm__h264_asm_destroy(a);
  return 0;
}
