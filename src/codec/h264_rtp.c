/* H.264 over RTP (RFC 6184, packetization-mode 1): Annex B and SPS helpers,
 * packetizer and access-unit assembler.
 *
 * The assembler is the shared core (frame_asm.h: slots by RTP timestamp,
 * anchor, owner map, padding, eviction, reference chain, missing list) with
 * H.264's parts: payloads are checked and rewritten as Annex B (single NAL
 * unit, STAP-A, FU-A), IDR and non-IDR slices say keyframe or not, and FU-A
 * fragments are checked to be in order when the access unit is assembled.
 *
 * Where an access unit starts. RFC 6184 has no "first packet" bit (the marker
 * ends an access unit), so the lowest packet received is known to be the first
 * only when (a) it is the anchor, or follows it across padding-only packets,
 * (b) the sequence number just before it belongs to another access unit or is
 * padding, or (c) it begins with an SPS or an access unit delimiter, which a
 * sender only puts at the front of an access unit (an IDR's parameter sets).
 *
 * Reference chain. After an IDR, a non-IDR access unit is handed over only
 * when it directly follows the last one handed over (case (a)). An access
 * unit that is given up (evicted, refused, corrupt) breaks the chain: non-IDR
 * access units are then discarded until an IDR is handed over, and
 * usm__h264_asm_needs_keyframe() asks for one. */
#include "codec/h264_rtp.h"

#include "codec/frame_asm.h"

#include <stdlib.h>
#include <string.h>

#define NAL_F 0x80u
#define NAL_NRI 0x60u
#define NAL_TYPE 0x1Fu
#define FU_S 0x80u
#define FU_E 0x40u

#define START_CODE_LEN 4u
#define SPS_RBSP_MAX 4096u        /* SPS bytes looked at (far more than the size fields need) */
#define MAX_CODED_DIM 65535u

static const uint8_t start_code[START_CODE_LEN] = {0, 0, 0, 1};

/* ------------------------------------------------------------ Annex B */

int usm__h264_annexb_next(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **nal,
                          size_t *nal_len) {
  if (!buf || !pos || !nal || !nal_len) return -1;
  size_t i = *pos;
  for (;;) {
    size_t zeros = 0;
    while (i < len && buf[i] == 0) {
      zeros++;
      i++;
    }
    if (i >= len) {
      *pos = len;
      return 0;
    }
    if (buf[i] != 1 || zeros < 2) return -1; /* data outside a NAL unit */
    size_t start = ++i, end = len;
    for (size_t j = start; j + 2 < len; j++) {
      if (buf[j + 2] > 1) { /* cheap skip: no start code can begin at j, j+1 or j+2 */
        j += 2;
        continue;
      }
      if (buf[j] == 0 && buf[j + 1] == 0 && buf[j + 2] == 1) {
        end = j;
        break;
      }
    }
    size_t e = end;
    while (e > start && buf[e - 1] == 0) e--; /* trailing_zero_8bits, or the 4-byte code's 0 */
    i = end;
    *pos = end;
    if (e == start) continue; /* empty NAL unit */
    *nal = buf + start;
    *nal_len = e - start;
    return 1;
  }
}

/* ------------------------------------------------------------ SPS */

typedef struct bits {
  const uint8_t *p;
  size_t len, bit; /* in bits */
  int err;
} bits;

static unsigned get_bit(bits *b) {
  if (b->bit >= b->len * 8u) {
    b->err = 1;
    return 0;
  }
  unsigned v = (b->p[b->bit >> 3] >> (7u - (b->bit & 7u))) & 1u;
  b->bit++;
  return v;
}

static uint32_t get_bits(bits *b, unsigned n) {
  uint32_t v = 0;
  while (n--) v = v << 1 | get_bit(b);
  return v;
}

/* ue(v); values over 2^31 count as errors (no field we read allows them). */
static uint32_t get_ue(bits *b) {
  unsigned zeros = 0;
  while (!get_bit(b)) {
    if (b->err || ++zeros > 31u) {
      b->err = 1;
      return 0;
    }
  }
  return ((1u << zeros) - 1u) + get_bits(b, zeros);
}

static int32_t get_se(bits *b) {
  uint32_t k = get_ue(b);
  return (k & 1u) ? (int32_t)((k + 1u) / 2u) : -(int32_t)(k / 2u);
}

static int high_profile(unsigned p) {
  switch (p) {
    case 100: case 110: case 122: case 244: case 44: case 83:
    case 86: case 118: case 128: case 138: case 139: case 134: case 135:
      return 1;
    default:
      return 0;
  }
}

static void skip_scaling_list(bits *b, unsigned size) {
  int last = 8, next = 8;
  for (unsigned j = 0; j < size && !b->err; j++) {
    if (next != 0) {
      int32_t delta = get_se(b);
      if (delta < -128 || delta > 127) {
        b->err = 1;
        return;
      }
      next = (last + (int)delta + 256) % 256;
    }
    last = next == 0 ? last : next;
  }
}

usm_err usm__h264_sps_parse(const uint8_t *nal, size_t len, usm__h264_sps *out) {
  if (!nal || !out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (len < 4 || (nal[0] & NAL_F) || (nal[0] & NAL_TYPE) != USM__H264_NAL_SPS) return USM_ERR_MALFORMED;
  /* RBSP: drop emulation prevention bytes (00 00 03 -> 00 00). */
  uint8_t rbsp[SPS_RBSP_MAX];
  size_t n = 0, zeros = 0;
  for (size_t i = 1; i < len && n < sizeof rbsp; i++) {
    if (zeros >= 2 && nal[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = nal[i] == 0 ? zeros + 1 : 0;
    rbsp[n++] = nal[i];
  }
  bits b = {rbsp, n, 0, 0};
  out->profile_idc = (uint8_t)get_bits(&b, 8);
  out->constraints = (uint8_t)get_bits(&b, 8);
  out->level_idc = (uint8_t)get_bits(&b, 8);
  out->sps_id = get_ue(&b);
  if (out->sps_id > 31) return USM_ERR_MALFORMED;
  uint32_t chroma = 1, separate = 0;
  if (high_profile(out->profile_idc)) {
    chroma = get_ue(&b);
    if (chroma > 3) return USM_ERR_MALFORMED;
    if (chroma == 3) separate = get_bit(&b);
    if (get_ue(&b) > 6 || get_ue(&b) > 6) return USM_ERR_MALFORMED; /* bit depths */
    (void)get_bit(&b);                                               /* qpprime_y_zero_transform_bypass */
    if (get_bit(&b)) {                                               /* seq_scaling_matrix_present */
      unsigned lists = chroma != 3 ? 8u : 12u;
      for (unsigned i = 0; i < lists && !b.err; i++)
        if (get_bit(&b)) skip_scaling_list(&b, i < 6 ? 16u : 64u);
    }
  }
  if (get_ue(&b) > 12) return USM_ERR_MALFORMED; /* log2_max_frame_num_minus4 */
  uint32_t poc_type = get_ue(&b);
  if (poc_type == 0) {
    if (get_ue(&b) > 12) return USM_ERR_MALFORMED;
  } else if (poc_type == 1) {
    (void)get_bit(&b);
    (void)get_se(&b);
    (void)get_se(&b);
    uint32_t cycle = get_ue(&b);
    if (cycle > 255) return USM_ERR_MALFORMED;
    for (uint32_t i = 0; i < cycle && !b.err; i++) (void)get_se(&b);
  } else if (poc_type != 2) {
    return USM_ERR_MALFORMED;
  }
  (void)get_ue(&b); /* max_num_ref_frames */
  (void)get_bit(&b);
  uint64_t mbs_w = (uint64_t)get_ue(&b) + 1u, map_h = (uint64_t)get_ue(&b) + 1u;
  uint32_t frame_mbs_only = get_bit(&b);
  if (!frame_mbs_only) (void)get_bit(&b);
  (void)get_bit(&b); /* direct_8x8_inference */
  uint64_t crop[4] = {0, 0, 0, 0};
  if (get_bit(&b))
    for (int i = 0; i < 4; i++) crop[i] = get_ue(&b);
  if (b.err) return USM_ERR_MALFORMED;
  uint64_t cw = mbs_w * 16u, ch = map_h * (2u - frame_mbs_only) * 16u;
  if (cw > MAX_CODED_DIM || ch > MAX_CODED_DIM) return USM_ERR_MALFORMED;
  /* Crop units (H.264 §7.4.2.1.1, ChromaArrayType). */
  uint64_t ux = 1, uy = 2u - frame_mbs_only;
  if (!separate && chroma != 0) {
    ux = chroma == 3 ? 1u : 2u;
    uy *= chroma == 1 ? 2u : 1u;
  }
  uint64_t cx = (crop[0] + crop[1]) * ux, cy = (crop[2] + crop[3]) * uy;
  if (cx >= cw || cy >= ch) return USM_ERR_MALFORMED;
  out->coded_width = (unsigned)cw;
  out->coded_height = (unsigned)ch;
  out->width = (unsigned)(cw - cx);
  out->height = (unsigned)(ch - cy);
  return USM_OK;
}

/* ------------------------------------------------------------ packetizer */

/* The next NAL unit that may be sent in mode 1: 1 found, 0 end, -1 invalid. */
static int take_nal(const uint8_t *au, size_t len, size_t *pos, const uint8_t **nal, size_t *nlen) {
  int r = usm__h264_annexb_next(au, len, pos, nal, nlen);
  if (r <= 0) return r;
  unsigned t = (*nal)[0] & NAL_TYPE;
  if (((*nal)[0] & NAL_F) || t == 0 || t >= USM__H264_NAL_STAP_A) return -1;
  return 1;
}

typedef struct pk_out {
  size_t max, count;
  uint8_t *scratch; /* NULL: count only */
  usm__h264_packet_cb cb;
  void *user;
} pk_out;

static usm_err emit(pk_out *o, size_t len, int marker) {
  o->count++;
  if (!o->scratch) return o->count > USM__H264_MAX_PACKETS ? USM_ERR_LIMIT : USM_OK;
  return o->cb(o->user, o->scratch, len, marker);
}

static usm_err send_fu(pk_out *o, const uint8_t *nal, size_t nlen, int last_nal) {
  size_t body = nlen - 1, chunk = o->max - 2;
  size_t count = (body + chunk - 1) / chunk;
  /* Even split: sizes differ by at most one byte, so no tiny last fragment. */
  size_t base = body / count, extra = body % count, off = 1;
  for (size_t i = 0; i < count; i++) {
    size_t n = base + (i < extra ? 1u : 0u);
    if (o->scratch) {
      o->scratch[0] = (uint8_t)((nal[0] & (NAL_F | NAL_NRI)) | USM__H264_NAL_FU_A);
      o->scratch[1] = (uint8_t)((i == 0 ? FU_S : 0u) | (i + 1 == count ? FU_E : 0u) | (nal[0] & NAL_TYPE));
      memcpy(o->scratch + 2, nal + off, n);
    }
    off += n;
    usm_err e = emit(o, 2 + n, last_nal && i + 1 == count);
    if (e != USM_OK) return e;
  }
  return USM_OK;
}

static usm_err walk(const uint8_t *au, size_t len, pk_out *o) {
  size_t pos = 0, clen = 0, nlen = 0;
  const uint8_t *cur = NULL, *nx = NULL;
  int r = take_nal(au, len, &pos, &cur, &clen);
  if (r <= 0) return USM_ERR_INVALID_ARG;
  while (cur) {
    r = take_nal(au, len, &pos, &nx, &nlen);
    if (r < 0) return USM_ERR_INVALID_ARG;
    if (r == 0) nx = NULL;
    usm_err e;
    if (clen > o->max) {
      e = send_fu(o, cur, clen, nx == NULL);
    } else if (nx && 1u + 2u + clen + 2u + nlen <= o->max) {
      /* STAP-A: as many consecutive NAL units as fit */
      size_t n = 1;
      uint8_t nri = 0;
      for (;;) {
        if (o->scratch) {
          o->scratch[n] = (uint8_t)(clen >> 8);
          o->scratch[n + 1] = (uint8_t)clen;
          memcpy(o->scratch + n + 2, cur, clen);
        }
        n += 2 + clen;
        if ((cur[0] & NAL_NRI) > nri) nri = cur[0] & NAL_NRI;
        cur = nx;
        clen = nlen;
        if (!cur || n + 2 + clen > o->max) break;
        r = take_nal(au, len, &pos, &nx, &nlen);
        if (r < 0) return USM_ERR_INVALID_ARG;
        if (r == 0) nx = NULL;
      }
      if (o->scratch) o->scratch[0] = (uint8_t)(nri | USM__H264_NAL_STAP_A);
      e = emit(o, n, cur == NULL);
      if (e != USM_OK) return e;
      continue; /* cur is the first NAL unit that did not fit (nx its successor) */
    } else {
      if (o->scratch) memcpy(o->scratch, cur, clen);
      e = emit(o, clen, nx == NULL);
    }
    if (e != USM_OK) return e;
    cur = nx;
    clen = nlen;
  }
  return USM_OK;
}

usm_err usm__h264_packetize(const uint8_t *au, size_t len, size_t max_payload, uint8_t *scratch,
                            size_t scratch_cap, usm__h264_packet_cb cb, void *user) {
  if (!au || !len || !scratch || !cb) return USM_ERR_INVALID_ARG;
  if (max_payload < USM__H264_MIN_PAYLOAD || max_payload > 65535) return USM_ERR_INVALID_ARG;
  if (len > USM__H264_MAX_FRAME_BYTES) return USM_ERR_LIMIT;
  pk_out o = {max_payload, 0, NULL, cb, user};
  usm_err e = walk(au, len, &o); /* plan: validate and count first */
  if (e != USM_OK) return e;
  if (scratch_cap < max_payload) return USM_ERR_LIMIT;
  o.count = 0;
  o.scratch = scratch;
  return walk(au, len, &o);
}

/* ------------------------------------------------------------- assembler */

/* The codec-independent part is frame_asm.c; H.264 adds the payload
 * structures (single NAL unit, STAP-A, FU-A) rewritten as Annex B, IDR versus
 * non-IDR slices, where an access unit can start, and the FU-A order check. */
_Static_assert(USM__H264_MAX_FRAMES <= USM__FASM_MAX_SLOTS, "frame_asm slots");

enum { PK_NAL = 0, PK_FU_START, PK_FU_MID, PK_FU_END };

struct usm__h264_asm {
  usm__fasm f;
};

usm_err usm__h264_asm_create(const usm__h264_asm_cfg *cfg, usm__h264_asm **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm__h264_asm_cfg c = {0, 0, 0};
  if (cfg) c = *cfg;
  if (c.max_frame_bytes > USM__H264_MAX_FRAME_BYTES || c.max_packets > USM__H264_MAX_PACKETS ||
      c.max_frames > USM__H264_MAX_FRAMES)
    return USM_ERR_INVALID_ARG;
  if (!c.max_frame_bytes) c.max_frame_bytes = USM__H264_MAX_FRAME_BYTES;
  if (!c.max_packets) c.max_packets = USM__H264_MAX_PACKETS;
  if (!c.max_frames) c.max_frames = USM__H264_DEFAULT_FRAMES;
  usm__h264_asm *a = calloc(1, sizeof *a);
  if (!a) return USM_ERR_NO_MEMORY;
  /* RFC 6184 has no start bit: the core infers where an access unit starts */
  usm__fasm_init(&a->f, c.max_frame_bytes, c.max_packets, c.max_frames, 1);
  *out = a;
  return USM_OK;
}

void usm__h264_asm_destroy(usm__h264_asm *a) {
  if (!a) return;
  usm__fasm_free(&a->f);
  free(a);
}

void usm__h264_asm_reset(usm__h264_asm *a) {
  if (a) usm__fasm_reset(&a->f);
}

static void note_type(usm__fasm_in *in, unsigned t) {
  if (t == USM__H264_NAL_IDR) in->key = 1;
  if (t >= 1 && t <= 4) in->non_key = 1; /* non-IDR slices and data partitions */
}

/* Check one payload's structure: what it carries, and in->bytes, the Annex B
 * bytes it adds to the access unit. */
static usm_err payload_check(const uint8_t *p, size_t len, usm__fasm_in *in) {
  if (p[0] & NAL_F) return USM_ERR_MALFORMED;
  unsigned t = p[0] & NAL_TYPE;
  if (t >= 1 && t <= 23) {
    in->kind = PK_NAL;
    note_type(in, t);
    in->lo_param = t == USM__H264_NAL_SPS || t == USM__H264_NAL_AUD;
    in->bytes = START_CODE_LEN + len;
    return USM_OK;
  }
  if (t == USM__H264_NAL_STAP_A) {
    size_t i = 1, n = 0;
    while (i < len) {
      if (len - i < 2) return USM_ERR_MALFORMED;
      size_t sz = (size_t)p[i] << 8 | p[i + 1];
      i += 2;
      if (sz == 0 || sz > len - i) return USM_ERR_MALFORMED;
      unsigned it = p[i] & NAL_TYPE;
      if ((p[i] & NAL_F) || it == 0 || it > 23) return USM_ERR_MALFORMED;
      if (n == 0) in->lo_param = it == USM__H264_NAL_SPS || it == USM__H264_NAL_AUD;
      note_type(in, it);
      i += sz;
      n++;
    }
    if (n == 0) return USM_ERR_MALFORMED;
    in->kind = PK_NAL;
    in->bytes = len - 1 - 2 * n + START_CODE_LEN * n;
    return USM_OK;
  }
  if (t == USM__H264_NAL_FU_A) {
    if (len < 3) return USM_ERR_MALFORMED;
    uint8_t fu = p[1];
    unsigned ft = fu & NAL_TYPE;
    if ((fu & FU_S) && (fu & FU_E)) return USM_ERR_MALFORMED;
    if (ft == 0 || ft > 23) return USM_ERR_MALFORMED;
    in->tag = (uint8_t)ft;
    note_type(in, ft);
    if (fu & FU_S) {
      in->kind = PK_FU_START;
      in->lo_param = ft == USM__H264_NAL_SPS;
      in->bytes = START_CODE_LEN + 1 + (len - 2);
    } else {
      in->kind = (fu & FU_E) ? PK_FU_END : PK_FU_MID;
      in->bytes = len - 2;
    }
    return USM_OK;
  }
  return USM_ERR_MALFORMED; /* 0, STAP-B, MTAP16/24, FU-B, 30, 31 */
}

/* Write the payload's Annex B bytes (sizes checked by payload_check). */
static void payload_write(const uint8_t *p, size_t len, const usm__fasm_in *in, uint8_t *dst) {
  unsigned t = p[0] & NAL_TYPE;
  if (t == USM__H264_NAL_STAP_A) {
    size_t i = 1;
    while (i < len) {
      size_t sz = (size_t)p[i] << 8 | p[i + 1];
      i += 2;
      memcpy(dst, start_code, START_CODE_LEN);
      memcpy(dst + START_CODE_LEN, p + i, sz);
      dst += START_CODE_LEN + sz;
      i += sz;
    }
  } else if (t == USM__H264_NAL_FU_A) {
    if (in->kind == PK_FU_START) {
      memcpy(dst, start_code, START_CODE_LEN);
      dst += START_CODE_LEN;
      *dst++ = (uint8_t)((p[0] & (NAL_F | NAL_NRI)) | in->tag);
    }
    memcpy(dst, p + 2, len - 2);
  } else {
    memcpy(dst, start_code, START_CODE_LEN);
    memcpy(dst + START_CODE_LEN, p, len);
  }
}

usm_err usm__h264_asm_push(usm__h264_asm *a, const uint8_t *payload, size_t len, uint16_t seq,
                           uint32_t timestamp, int marker) {
  if (!a || (!payload && len)) return USM_ERR_INVALID_ARG;
  usm_err e;
  if (!usm__fasm_admit(&a->f, len, seq, timestamp, &e)) return e;
  usm__fasm_in in = {0};
  if (payload_check(payload, len, &in) != USM_OK) {
    a->f.stats.malformed++;
    return USM_ERR_MALFORMED;
  }
  in.seq = seq;
  in.ts = timestamp;
  in.marker = marker != 0;
  long idx;
  uint8_t *dst;
  e = usm__fasm_add(&a->f, &in, &idx, &dst);
  if (dst) payload_write(payload, len, &in, dst);
  return e;
}

/* Copy the access unit in sequence order into the output, checking that FU-A
 * fragments start, continue and end in order. */
static usm_err assemble(usm__h264_asm *a, usm__fasm_slot *s, usm__h264_frame *f) {
  usm__fasm_sort(&a->f, s);
  int in_fu = 0;
  uint8_t fu_type = 0;
  for (size_t i = 0; i < s->npkts; i++) {
    const usm__fasm_pkt *r = &s->pkts[i];
    switch (r->kind) {
      case PK_NAL:
        if (in_fu) return USM_ERR_MALFORMED;
        break;
      case PK_FU_START:
        if (in_fu) return USM_ERR_MALFORMED;
        in_fu = 1;
        fu_type = r->tag;
        break;
      default: /* middle or end */
        if (!in_fu || r->tag != fu_type) return USM_ERR_MALFORMED;
        if (r->kind == PK_FU_END) in_fu = 0;
        break;
    }
  }
  if (in_fu) return USM_ERR_MALFORMED;
  size_t n;
  usm_err e = usm__fasm_concat(&a->f, s, &n);
  if (e != USM_OK) return e;
  memset(f, 0, sizeof *f);
  f->data = a->f.out;
  f->len = n;
  f->timestamp = s->ts;
  f->first_seq = s->lo;
  f->last_seq = s->end_seq;
  f->keyframe = s->keyframe;
  /* picture size from the first SPS, if any */
  size_t pos = 0, nlen;
  const uint8_t *nal;
  while (usm__h264_annexb_next(a->f.out, n, &pos, &nal, &nlen) == 1) {
    if ((nal[0] & NAL_TYPE) != USM__H264_NAL_SPS) continue;
    usm__h264_sps sps;
    if (usm__h264_sps_parse(nal, nlen, &sps) == USM_OK) {
      f->width = (uint16_t)sps.width;
      f->height = (uint16_t)sps.height;
    }
    break;
  }
  return USM_OK;
}

int usm__h264_asm_pop(usm__h264_asm *a, usm__h264_frame *out) {
  if (!a || !out) return 0;
  for (;;) {
    long pick = usm__fasm_pick(&a->f, NULL, NULL);
    if (pick < 0) return 0;
    usm__fasm_slot *s = &a->f.slots[pick];
    usm_err e = assemble(a, s, out);
    if (e == USM_ERR_NO_MEMORY) return 0; /* keep the access unit; try again on the next call */
    if (e != USM_OK) { /* corrupt: lost */
      a->f.stats.malformed++;
      usm__fasm_corrupt(&a->f, (size_t)pick);
      continue;
    }
    usm__fasm_delivered(&a->f, (size_t)pick, s->keyframe);
    return 1;
  }
}

size_t usm__h264_asm_missing(const usm__h264_asm *a, uint16_t *out, size_t cap) {
  return a ? usm__fasm_missing(&a->f, out, cap, USM__H264_MISSING_WINDOW) : 0;
}

int usm__h264_asm_needs_keyframe(const usm__h264_asm *a) { return a && a->f.want_kf; }

void usm__h264_asm_give_up(usm__h264_asm *a) {
  if (a) usm__fasm_give_up(&a->f);
}

size_t usm__h264_asm_buffered(const usm__h264_asm *a) { return a ? usm__fasm_buffered(&a->f) : 0; }

void usm__h264_asm_get_stats(const usm__h264_asm *a, usm__h264_asm_stats *out) {
  if (!a || !out) return;
  USM__FASM_STATS_COPY(out, &a->f.stats);
}
