/* The VP8 frame assembler on arbitrary packet sequences. The first byte
 * picks the bounds; then each record is an opcode byte and its operands:
 * raw packets (descriptor and all from the input), synthesized packets (a
 * valid descriptor, and for frame starts a valid VP8 tag, so that frames can
 * complete), padding-only packets, pops, give-up, missing lists and resets,
 * with sequence numbers and timestamps moving by small signed steps (and
 * wrapping). Checks: no crash or leak; every frame handed over is within the
 * bounds and well-formed; timestamps only move forward; after "needs
 * keyframe" (or at the start) the next frame is a keyframe; a delta frame
 * directly follows the previous one (next sequence number, next PictureID,
 * or a short padding gap); the missing list is bounded and has no repeats. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/vp8_rtp.h"

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
  int need_key;            /* start, reset, or "needs keyframe" seen */
  int have_last;
  uint32_t last_ts;
  uint16_t last_seq;
  uint8_t pid_bits;
  uint16_t pid;
} model;

static void check_frame(const usm__vp8_frame *f, size_t max_bytes, model *m) {
  if (!f->data || f->len < USM__VP8_TAG_LEN || f->len > max_bytes) abort();
  if (f->keyframe != ((f->data[0] & 1) == 0)) abort();
  if (f->keyframe) {
    if (f->len < USM__VP8_KEY_HEADER_LEN || f->data[3] != 0x9d || f->data[4] != 0x01 || f->data[5] != 0x2a)
      abort();
    if (!f->width || !f->height) abort();
  } else {
    if (m->need_key || !m->have_last) abort(); /* a delta without its reference */
    int by_seq = (uint16_t)(f->first_seq - m->last_seq - 1) <= 64;
    int by_pid = f->pid_bits && f->pid_bits == m->pid_bits &&
                 f->picture_id == (uint16_t)((m->pid + 1) % (f->pid_bits == 15 ? 0x8000u : 0x80u));
    if (!by_seq && !by_pid) abort();
  }
  if (m->have_last && (int32_t)(f->timestamp - m->last_ts) <= 0) abort();
  m->have_last = 1;
  m->need_key = 0;
  m->last_ts = f->timestamp;
  m->last_seq = f->last_seq;
  m->pid_bits = f->pid_bits;
  m->pid = f->picture_id;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  reader r = {data, size};
  uint8_t c = rd(&r);
  usm__vp8_asm_cfg cfg = {0, 0, 0};
  if (c & 0x80) { /* small bounds, to reach them */
    cfg.max_frames = 1u + (c & 0x0F);
    cfg.max_packets = 1u + ((c >> 4) & 0x07) * 3u;
    cfg.max_frame_bytes = 64u + (size_t)rd(&r) * 16u;
  }
  usm__vp8_asm *a;
  if (usm__vp8_asm_create(&cfg, &a) != USM_OK) abort();
  size_t max_bytes = cfg.max_frame_bytes ? cfg.max_frame_bytes : USM__VP8_MAX_FRAME_BYTES;
  size_t max_frames = cfg.max_frames ? cfg.max_frames : USM__VP8_DEFAULT_FRAMES;
  model m = {1, 0, 0, 0, 0, 0};
  uint16_t seq = (uint16_t)(0xFFF0u + rd(&r));
  uint32_t ts = 0xFFFFFF00u;
  uint16_t pid = 0x7FF0;
  uint8_t pkt[512];
  uint64_t restarts = 0;

  while (r.n) {
    uint8_t op = rd(&r);
    seq = (uint16_t)(seq + (int8_t)rd(&r) / 16 + 1); /* mostly forward, sometimes back */
    switch (op & 7u) {
    case 0:
    case 1:
    case 2: { /* synthesized packet: [flags][len] then len body bytes */
      uint8_t fl = rd(&r);
      size_t len = rd(&r) % 200u;
      if (fl & 0x01) ts += 3000;
      if (fl & 0x02) pid++;
      int start = (fl & 0x04) != 0, key = (fl & 0x08) != 0, marker = (fl & 0x10) != 0;
      size_t n = 0;
      pkt[n++] = (uint8_t)(0x80 | (start ? 0x10 : 0));
      pkt[n++] = 0x80;
      if (fl & 0x20) {
        pkt[n++] = (uint8_t)(pid & 0x7F);
      } else {
        pkt[n++] = (uint8_t)(0x80 | ((pid >> 8) & 0x7F));
        pkt[n++] = (uint8_t)pid;
      }
      if (start) {
        /* tag: first partition = 0, so any body keeps it well-formed */
        pkt[n++] = key ? 0x10 : 0x11;
        pkt[n++] = 0;
        pkt[n++] = 0;
        if (key) {
          const uint8_t kh[7] = {0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00};
          memcpy(pkt + n, kh, sizeof kh);
          n += sizeof kh;
        }
      }
      for (size_t i = 0; i < len; i++) pkt[n++] = rd(&r);
      if (n == 4 || n == 3) pkt[n++] = 0; /* never an empty VP8 part */
      (void)usm__vp8_asm_push(a, pkt, n, seq, ts, marker);
      break;
    }
    case 3: { /* raw packet: [ts step][flags][len] */
      ts += (uint32_t)(int32_t)(int8_t)rd(&r) * 100u;
      int marker = rd(&r) & 1;
      size_t len = rd(&r) % 64u;
      size_t n = 0;
      for (; n < len; n++) pkt[n] = rd(&r);
      (void)usm__vp8_asm_push(a, n ? pkt : NULL, n, seq, ts, marker);
      break;
    }
    case 4: /* padding-only packet */
      (void)usm__vp8_asm_push(a, NULL, 0, seq, ts, 0);
      break;
    case 5: {
      uint16_t miss[64];
      size_t cap = 1u + rd(&r) % 64u;
      size_t n = usm__vp8_asm_missing(a, miss, cap);
      if (n > cap) abort();
      for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
          if (miss[i] == miss[j]) abort();
      break;
    }
    case 6:
      if (op & 0x80) {
        usm__vp8_asm_reset(a);
        m.need_key = 1;
        m.have_last = 0;
      } else {
        usm__vp8_asm_give_up(a);
      }
      break;
    default:
      break;
    }
    if (usm__vp8_asm_needs_keyframe(a)) m.need_key = 1;
    /* a long run of late packets resets the assembler by itself */
    usm__vp8_asm_stats st;
    usm__vp8_asm_get_stats(a, &st);
    if (st.restarts != restarts) {
      restarts = st.restarts;
      m.need_key = 1;
      m.have_last = 0;
    }
    usm__vp8_frame f;
    while (usm__vp8_asm_pop(a, &f)) check_frame(&f, max_bytes, &m);
    if (usm__vp8_asm_buffered(a) > max_frames) abort();
    (void)st;
  }
  usm__vp8_asm_destroy(a);
  return 0;
}
