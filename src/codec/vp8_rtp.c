/* VP8 over RTP (RFC 7741): packetizer, descriptor parser and frame assembler.
 *
 * The assembler is the shared core (frame_asm.h: slots by RTP timestamp,
 * anchor, owner map, padding, eviction, reference chain, missing list) with
 * VP8's parts: a packet with S=1 and PartID 0 starts a frame, its VP8 tag says
 * keyframe or not, the bytes after the descriptor are the frame, and the
 * assembled frame's header is checked (RFC 6386 §9.1).
 *
 * Reference chain. After a keyframe, a delta frame is handed over only when
 * it directly follows the last frame handed over (its first sequence number
 * is the anchor, across padding-only packets, or its PictureID is the last
 * one + 1). A frame that is given up (evicted, refused, corrupt) breaks the
 * chain: delta frames are then discarded until a keyframe is handed over,
 * and usm__vp8_asm_needs_keyframe() asks for one. */
#include "codec/vp8_rtp.h"

#include "codec/frame_asm.h"

#include <stdlib.h>
#include <string.h>

/* Descriptor bits (RFC 7741 §4.2). */
#define D_X 0x80u
#define D_N 0x20u
#define D_S 0x10u
#define D_PID 0x07u
#define D_I 0x80u
#define D_L 0x40u
#define D_T 0x20u
#define D_K 0x10u
#define D_M 0x80u

#define PID_MOD 0x8000u

/* ---------------------------------------------------------------- frames */

typedef struct vp8_hdr {
  int keyframe;
  uint16_t width, height;
} vp8_hdr;

/* Check the VP8 frame header (RFC 6386 §9.1): tag, version, first partition
 * within the frame, keyframe start code and a non-zero size. */
static usm_err frame_check(const uint8_t *d, size_t len, vp8_hdr *h) {
  if (len < USM__VP8_TAG_LEN) return USM_ERR_MALFORMED;
  uint32_t tag = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16;
  uint32_t version = (tag >> 1) & 7u;
  size_t first_part = (tag >> 5) & 0x7FFFFu;
  size_t hdr = USM__VP8_TAG_LEN;
  memset(h, 0, sizeof *h);
  h->keyframe = (tag & 1u) == 0;
  if (version > 3) return USM_ERR_MALFORMED;
  if (h->keyframe) {
    hdr = USM__VP8_KEY_HEADER_LEN;
    if (len < hdr || d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a) return USM_ERR_MALFORMED;
    h->width = (uint16_t)((d[6] | d[7] << 8) & 0x3FFF);
    h->height = (uint16_t)((d[8] | d[9] << 8) & 0x3FFF);
    if (h->width == 0 || h->height == 0) return USM_ERR_MALFORMED;
  }
  if (first_part > len - hdr) return USM_ERR_MALFORMED;
  return USM_OK;
}

/* ------------------------------------------------------------ packetizer */

usm_err usm__vp8_packetizer_init(usm__vp8_packetizer *p, const uint8_t *frame, size_t len,
                                 int keyframe, uint16_t picture_id, size_t max_payload) {
  if (!p || !frame || len == 0) return USM_ERR_INVALID_ARG;
  if (max_payload <= USM__VP8_DESC_LEN || max_payload > 65535) return USM_ERR_INVALID_ARG;
  if (len > USM__VP8_MAX_FRAME_BYTES) return USM_ERR_LIMIT;
  vp8_hdr h;
  if (frame_check(frame, len, &h) != USM_OK || h.keyframe != (keyframe != 0)) return USM_ERR_INVALID_ARG;
  size_t chunk = max_payload - USM__VP8_DESC_LEN;
  size_t count = (len + chunk - 1) / chunk;
  if (count > USM__VP8_MAX_PACKETS) return USM_ERR_LIMIT;
  memset(p, 0, sizeof *p);
  p->frame = frame;
  p->len = len;
  p->count = count;
  /* Even split: sizes differ by at most one byte, so no tiny last packet. */
  p->base = len / count;
  p->extra = len % count;
  p->picture_id = (uint16_t)(picture_id % PID_MOD);
  return USM_OK;
}

size_t usm__vp8_packetizer_count(const usm__vp8_packetizer *p) { return p ? p->count : 0; }

int usm__vp8_packetizer_more(const usm__vp8_packetizer *p) { return p && p->index < p->count; }

usm_err usm__vp8_packetizer_next(usm__vp8_packetizer *p, uint8_t *out, size_t cap, size_t *out_len,
                                 int *marker) {
  if (!p || !out || !out_len || !marker) return USM_ERR_INVALID_ARG;
  if (p->index >= p->count) return USM_ERR_WRONG_STATE;
  size_t n = p->base + (p->index < p->extra ? 1 : 0);
  if (cap < USM__VP8_DESC_LEN + n) return USM_ERR_LIMIT;
  out[0] = (uint8_t)(D_X | (p->index == 0 ? D_S : 0)); /* N=0, PartID 0 */
  out[1] = D_I;
  out[2] = (uint8_t)(D_M | (p->picture_id >> 8));
  out[3] = (uint8_t)(p->picture_id & 0xFF);
  memcpy(out + USM__VP8_DESC_LEN, p->frame + p->off, n);
  p->off += n;
  p->index++;
  *out_len = USM__VP8_DESC_LEN + n;
  *marker = p->index == p->count;
  return USM_OK;
}

usm_err usm__vp8_packetize(const uint8_t *frame, size_t len, int keyframe, uint16_t picture_id,
                           size_t max_payload, uint8_t *scratch, size_t scratch_cap,
                           usm__vp8_packet_cb cb, void *user) {
  if (!scratch || !cb) return USM_ERR_INVALID_ARG;
  usm__vp8_packetizer p;
  usm_err e = usm__vp8_packetizer_init(&p, frame, len, keyframe, picture_id, max_payload);
  if (e != USM_OK) return e;
  if (scratch_cap < max_payload) return USM_ERR_LIMIT;
  while (usm__vp8_packetizer_more(&p)) {
    size_t n;
    int m;
    e = usm__vp8_packetizer_next(&p, scratch, scratch_cap, &n, &m);
    if (e == USM_OK) e = cb(user, scratch, n, m);
    if (e != USM_OK) return e;
  }
  return USM_OK;
}

/* ------------------------------------------------------------ descriptor */

usm_err usm__vp8_desc_parse(const uint8_t *p, size_t len, usm__vp8_desc *out) {
  if (!p || !out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  size_t i = 0;
  if (len < 1) return USM_ERR_MALFORMED;
  uint8_t b0 = p[i++];
  out->non_ref = (b0 & D_N) != 0;
  out->start = (b0 & D_S) != 0;
  out->partition = b0 & D_PID;
  if (b0 & D_X) {
    if (i >= len) return USM_ERR_MALFORMED;
    uint8_t x = p[i++];
    if (x & D_I) {
      if (i >= len) return USM_ERR_MALFORMED;
      if (p[i] & D_M) {
        if (i + 1 >= len) return USM_ERR_MALFORMED;
        out->pid_bits = 15;
        out->picture_id = (uint16_t)((p[i] & 0x7F) << 8 | p[i + 1]);
        i += 2;
      } else {
        out->pid_bits = 7;
        out->picture_id = p[i] & 0x7F;
        i += 1;
      }
    }
    if (x & D_L) {
      if (i >= len) return USM_ERR_MALFORMED;
      out->has_tl0 = 1;
      out->tl0picidx = p[i++];
    }
    if (x & (D_T | D_K)) {
      if (i >= len) return USM_ERR_MALFORMED;
      uint8_t tk = p[i++];
      out->has_tid = (x & D_T) != 0;
      out->has_keyidx = (x & D_K) != 0;
      if (out->has_tid) {
        out->tid = tk >> 6;
        out->layer_sync = (tk >> 5) & 1;
      }
      if (out->has_keyidx) out->keyidx = tk & 0x1F;
    }
  }
  if (i >= len) return USM_ERR_MALFORMED; /* a payload must carry VP8 data */
  out->len = i;
  return USM_OK;
}

/* ------------------------------------------------------------- assembler */

/* The codec-independent part is frame_asm.c; VP8 adds the descriptor (S and
 * PartID 0 mark a frame's first packet), the PictureID and the header check. */
_Static_assert(USM__VP8_MAX_FRAMES <= USM__FASM_MAX_SLOTS, "frame_asm slots");

struct usm__vp8_asm {
  usm__fasm f;
  usm__vp8_desc start_desc[USM__VP8_MAX_FRAMES]; /* per slot: its first packet's */
  uint8_t last_pid_bits;  /* of the last frame handed over (f.have_last) */
  uint16_t last_pid;
};

usm_err usm__vp8_asm_create(const usm__vp8_asm_cfg *cfg, usm__vp8_asm **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm__vp8_asm_cfg c = {0};
  if (cfg) c = *cfg;
  if (c.max_frame_bytes > USM__VP8_MAX_FRAME_BYTES || c.max_packets > USM__VP8_MAX_PACKETS ||
      c.max_frames > USM__VP8_MAX_FRAMES)
    return USM_ERR_INVALID_ARG;
  if (!c.max_frame_bytes) c.max_frame_bytes = USM__VP8_MAX_FRAME_BYTES;
  if (!c.max_packets) c.max_packets = USM__VP8_MAX_PACKETS;
  if (!c.max_frames) c.max_frames = USM__VP8_DEFAULT_FRAMES;
  usm__vp8_asm *a = calloc(1, sizeof *a);
  if (!a) return USM_ERR_NO_MEMORY;
  usm__fasm_init(&a->f, c.max_frame_bytes, c.max_packets, c.max_frames, 0);
  *out = a;
  return USM_OK;
}

void usm__vp8_asm_destroy(usm__vp8_asm *a) {
  if (!a) return;
  usm__fasm_free(&a->f);
  free(a);
}

void usm__vp8_asm_reset(usm__vp8_asm *a) {
  if (a) usm__fasm_reset(&a->f);
}

usm_err usm__vp8_asm_push(usm__vp8_asm *a, const uint8_t *payload, size_t len, uint16_t seq,
                          uint32_t timestamp, int marker) {
  if (!a || (!payload && len)) return USM_ERR_INVALID_ARG;
  usm_err e;
  if (!usm__fasm_admit(&a->f, len, seq, timestamp, &e)) return e;
  usm__vp8_desc d;
  if (usm__vp8_desc_parse(payload, len, &d) != USM_OK) {
    a->f.stats.malformed++;
    return USM_ERR_MALFORMED;
  }
  const uint8_t *vp8 = payload + d.len;
  usm__fasm_in in = {0};
  in.seq = seq;
  in.ts = timestamp;
  in.marker = marker != 0;
  in.is_start = d.start && d.partition == 0;
  if (in.is_start) { /* VP8 tag P bit: 0 = keyframe */
    in.key = (vp8[0] & 1u) == 0;
    in.non_key = !in.key;
  }
  in.bytes = len - d.len;
  long idx;
  uint8_t *dst;
  e = usm__fasm_add(&a->f, &in, &idx, &dst);
  if (dst) memcpy(dst, vp8, in.bytes);
  if (idx >= 0 && in.is_start) a->start_desc[idx] = d;
  return e;
}

/* A delta frame whose PictureID is the last one + 1 follows it too. */
static int follows_pid(const void *ctx, const usm__fasm *f, size_t idx) {
  const usm__vp8_asm *a = ctx;
  const usm__vp8_desc *d = &a->start_desc[idx];
  if (!f->have_last || !d->pid_bits || d->pid_bits != a->last_pid_bits) return 0;
  uint16_t mod = (uint16_t)(d->pid_bits == 15 ? PID_MOD : 0x80u);
  return d->picture_id == (uint16_t)((a->last_pid + 1) % mod);
}

/* Copy the frame in sequence order into the output and check its header. */
static usm_err assemble(usm__vp8_asm *a, size_t idx, usm__vp8_frame *f, vp8_hdr *h) {
  usm__fasm_slot *s = &a->f.slots[idx];
  usm__fasm_sort(&a->f, s);
  size_t n;
  usm_err e = usm__fasm_concat(&a->f, s, &n);
  if (e == USM_OK) e = frame_check(a->f.out, n, h);
  if (e != USM_OK) return e;
  if (h->keyframe != s->keyframe) return USM_ERR_MALFORMED;
  const usm__vp8_desc *d = &a->start_desc[idx];
  memset(f, 0, sizeof *f);
  f->data = a->f.out;
  f->len = n;
  f->timestamp = s->ts;
  f->first_seq = s->start_seq;
  f->last_seq = s->end_seq;
  f->keyframe = (uint8_t)h->keyframe;
  f->pid_bits = d->pid_bits;
  f->picture_id = d->picture_id;
  f->width = h->width;
  f->height = h->height;
  return USM_OK;
}

int usm__vp8_asm_pop(usm__vp8_asm *a, usm__vp8_frame *out) {
  if (!a || !out) return 0;
  for (;;) {
    long pick = usm__fasm_pick(&a->f, follows_pid, a);
    if (pick < 0) return 0;
    vp8_hdr h;
    usm_err e = assemble(a, (size_t)pick, out, &h);
    if (e == USM_ERR_NO_MEMORY) return 0; /* keep the frame; try again on the next call */
    if (e != USM_OK) { /* corrupt frame: lost */
      usm__fasm_corrupt(&a->f, (size_t)pick);
      continue;
    }
    a->last_pid = a->start_desc[pick].picture_id;
    a->last_pid_bits = a->start_desc[pick].pid_bits;
    usm__fasm_delivered(&a->f, (size_t)pick, h.keyframe);
    return 1;
  }
}

size_t usm__vp8_asm_missing(const usm__vp8_asm *a, uint16_t *out, size_t cap) {
  return a ? usm__fasm_missing(&a->f, out, cap, USM__VP8_MISSING_WINDOW) : 0;
}

int usm__vp8_asm_needs_keyframe(const usm__vp8_asm *a) { return a && a->f.want_kf; }

void usm__vp8_asm_give_up(usm__vp8_asm *a) {
  if (a) usm__fasm_give_up(&a->f);
}

size_t usm__vp8_asm_buffered(const usm__vp8_asm *a) { return a ? usm__fasm_buffered(&a->f) : 0; }

void usm__vp8_asm_get_stats(const usm__vp8_asm *a, usm__vp8_asm_stats *out) {
  if (!a || !out) return;
  USM__FASM_STATS_COPY(out, &a->f.stats);
}
