/* H.264 over RTP (RFC 6184, packetization-mode 1): Annex B and SPS helpers,
 * packetizer and access-unit assembler.
 *
 * Assembler model (the VP8 one, vp8_rtp.c, with H.264's framing). Packets are
 * grouped into access units by RTP timestamp (one slot each, at most
 * cfg.max_frames). Sequence numbers are compared through an anchor: the next
 * sequence number expected after the last access unit handed over (before the
 * first one, a point well before the first packet seen). key(seq) = seq -
 * anchor mod 2^16; key >= 2^15 is older than the anchor ("late"), which
 * handles the 16-bit wrap. A 64 KiB owner map (sequence number -> slot) makes
 * duplicate detection and the missing list O(1) per sequence number.
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

#include <stdlib.h>
#include <string.h>

#define NAL_F 0x80u
#define NAL_NRI 0x60u
#define NAL_TYPE 0x1Fu
#define FU_S 0x80u
#define FU_E 0x40u

#define KEY_LATE 0x8000u          /* key(seq) at or above this: before the anchor */
#define START_BACKOFF 8192u       /* before any access unit: how far back the anchor sits */
#define STALE_RESET 256u          /* this many late packets in a row: the stream restarted */
#define FILLER_RING 64u           /* padding-only sequence numbers remembered */
#define OWNER_FILLER 0xFFu
#define SHRINK_ABOVE (256u * 1024u) /* a freed slot keeps at most this much data buffer */
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

enum { SLOT_EMPTY = 0, SLOT_ACTIVE, SLOT_DEAD };
enum { CHAIN_START = 0, CHAIN_OK, CHAIN_BROKEN };
enum { PK_NAL = 0, PK_FU_START, PK_FU_MID, PK_FU_END };

typedef struct pkt_ref {
  uint16_t seq;
  uint16_t key;           /* filled just before sorting */
  uint32_t off, len;      /* Annex B bytes in the slot's data buffer */
  uint8_t kind, fu_type;  /* PK_*; FU-A: the fragmented NAL unit's type */
} pkt_ref;

/* One access unit. A DEAD slot was given up but still owns its sequence
 * numbers, so that its late packets are absorbed instead of starting a new
 * one. */
typedef struct slot {
  uint8_t state;
  uint8_t have_end;
  uint8_t keyframe;       /* an IDR slice was seen */
  uint8_t non_idr;        /* a non-IDR slice was seen: certainly not a keyframe */
  uint8_t lo_param;       /* the packet at lo begins with an SPS or AUD */
  uint32_t ts;
  uint16_t lo, hi;        /* lowest / highest sequence number owned */
  uint16_t end_seq;
  size_t nseen;           /* sequence numbers owned */
  uint8_t *data;
  size_t data_len, data_cap;
  pkt_ref *pkts;          /* ACTIVE only, arrival order */
  size_t npkts, pkts_cap;
} slot;

struct usm__h264_asm {
  usm__h264_asm_cfg cfg;
  slot slots[USM__H264_MAX_FRAMES];
  uint8_t owner[65536];   /* 0 free, 1..MAX_FRAMES slot index + 1, OWNER_FILLER */
  uint16_t filler[FILLER_RING];
  size_t nfiller, filler_head;
  uint8_t started, have_floor, chain, want_kf;
  uint16_t anchor;
  uint8_t have_last;      /* an access unit was handed over: last_ts is set */
  uint32_t last_ts;
  uint32_t stale_run;
  uint8_t *out;
  size_t out_cap;
  usm__h264_asm_stats stats;
};

static uint16_t key_of(const usm__h264_asm *a, uint16_t seq) { return (uint16_t)(seq - a->anchor); }

/* The anchor is reached from @p seq across padding-only packets (or is it). */
static int follows_anchor(const usm__h264_asm *a, uint16_t seq) {
  if (!a->have_floor) return 0;
  uint16_t gap = key_of(a, seq);
  if (gap > FILLER_RING) return 0;
  for (uint16_t i = 0; i < gap; i++)
    if (a->owner[(uint16_t)(a->anchor + i)] != OWNER_FILLER) return 0;
  return 1;
}

/* Is s->lo the access unit's first packet? (cases (a)-(c) above) */
static int start_known(const usm__h264_asm *a, const slot *s) {
  if (follows_anchor(a, s->lo)) return 1;
  uint16_t prev = (uint16_t)(s->lo - 1);
  uint8_t o = a->owner[prev];
  if (o && key_of(a, prev) < KEY_LATE && (o == OWNER_FILLER || &a->slots[o - 1] != s)) return 1;
  return s->lo_param;
}

static int complete(const usm__h264_asm *a, const slot *s) {
  return s->state == SLOT_ACTIVE && s->have_end &&
         s->npkts == (size_t)(key_of(a, s->end_seq) - key_of(a, s->lo)) + 1 && start_known(a, s);
}

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
  a->cfg = c;
  *out = a;
  return USM_OK;
}

void usm__h264_asm_destroy(usm__h264_asm *a) {
  if (!a) return;
  for (size_t i = 0; i < USM__H264_MAX_FRAMES; i++) {
    free(a->slots[i].data);
    free(a->slots[i].pkts);
  }
  free(a->out);
  free(a);
}

/* Empty a slot and release its sequence numbers; big buffers are let go so
 * that one huge access unit does not pin memory. */
static void slot_free(usm__h264_asm *a, size_t idx) {
  slot *s = &a->slots[idx];
  if (s->state == SLOT_EMPTY) return;
  /* lo..hi spans at most max_packets (checked on insert) */
  for (uint16_t q = s->lo;; q++) {
    if (a->owner[q] == idx + 1) a->owner[q] = 0;
    if (q == s->hi) break;
  }
  if (s->data_cap > SHRINK_ABOVE) {
    free(s->data);
    s->data = NULL;
    s->data_cap = 0;
  }
  uint8_t *data = s->data;
  pkt_ref *pkts = s->pkts;
  size_t data_cap = s->data_cap, pkts_cap = s->pkts_cap;
  memset(s, 0, sizeof *s);
  s->data = data;
  s->data_cap = data_cap;
  s->pkts = pkts;
  s->pkts_cap = pkts_cap;
}

void usm__h264_asm_reset(usm__h264_asm *a) {
  if (!a) return;
  for (size_t i = 0; i < USM__H264_MAX_FRAMES; i++) slot_free(a, i);
  memset(a->owner, 0, sizeof a->owner);
  a->nfiller = a->filler_head = 0;
  a->started = a->have_floor = a->have_last = 0;
  a->chain = CHAIN_START;
  a->want_kf = 0;
  a->stale_run = 0;
}

static void break_chain(usm__h264_asm *a) {
  a->chain = CHAIN_BROKEN;
  a->want_kf = 1;
}

/* Give up an access unit: its data goes, its sequence numbers stay owned. */
static void slot_kill(usm__h264_asm *a, slot *s) {
  if (s->state != SLOT_ACTIVE) return;
  s->state = SLOT_DEAD;
  s->npkts = 0;
  s->data_len = 0;
  a->stats.frames_dropped++;
}

/* Move the anchor forward to @p seq and drop whatever now lies before it. */
static void advance_anchor(usm__h264_asm *a, uint16_t seq) {
  /* never backwards; seq is at most 2^15 ahead (one past a slot's last packet) */
  if (a->have_floor && key_of(a, seq) > KEY_LATE) return;
  a->anchor = seq;
  a->have_floor = 1;
  for (size_t i = 0; i < a->cfg.max_frames; i++) {
    slot *s = &a->slots[i];
    if (s->state == SLOT_EMPTY) continue;
    if (key_of(a, s->lo) >= KEY_LATE || key_of(a, s->hi) >= KEY_LATE) {
      if (s->state == SLOT_ACTIVE) a->stats.frames_dropped++;
      slot_free(a, i);
    }
  }
  for (size_t i = 0; i < a->nfiller; i++) {
    uint16_t q = a->filler[(a->filler_head + i) % FILLER_RING];
    if (key_of(a, q) >= KEY_LATE && a->owner[q] == OWNER_FILLER) a->owner[q] = 0;
  }
}

/* The non-empty slot with the lowest sequence numbers, or -1. */
static long oldest_slot(const usm__h264_asm *a) {
  long best = -1;
  for (size_t i = 0; i < a->cfg.max_frames; i++) {
    const slot *s = &a->slots[i];
    if (s->state == SLOT_EMPTY) continue;
    if (best < 0 || key_of(a, s->lo) < key_of(a, a->slots[best].lo)) best = (long)i;
  }
  return best;
}

static void add_filler(usm__h264_asm *a, uint16_t seq) {
  if (a->nfiller == FILLER_RING) {
    uint16_t old = a->filler[a->filler_head];
    if (a->owner[old] == OWNER_FILLER) a->owner[old] = 0;
    a->filler_head = (a->filler_head + 1) % FILLER_RING;
    a->nfiller--;
  }
  a->filler[(a->filler_head + a->nfiller) % FILLER_RING] = seq;
  a->nfiller++;
  a->owner[seq] = OWNER_FILLER;
}

static usm_err grow(void **buf, size_t *cap, size_t need, size_t elem, size_t min) {
  if (need <= *cap) return USM_OK;
  size_t n = *cap ? *cap : min;
  while (n < need) n *= 2;
  void *p = realloc(*buf, n * elem);
  if (!p) return USM_ERR_NO_MEMORY;
  *buf = p;
  *cap = n;
  return USM_OK;
}

/* Does a packet at @p seq contradict what slot @p s already knows? */
static int inconsistent(const usm__h264_asm *a, const slot *s, uint16_t seq, int marker) {
  uint16_t k = key_of(a, seq);
  if (marker) {
    if (s->have_end) return 1;
    if (s->nseen && key_of(a, s->hi) > k) return 1;
  } else if (s->have_end && k > key_of(a, s->end_seq)) {
    return 1;
  }
  return 0;
}

/* Pick the slot for a new timestamp: a free one, else evict the oldest
 * access unit (lost: the chain breaks) unless the packet is older still. */
static long claim_slot(usm__h264_asm *a, uint16_t seq) {
  for (size_t i = 0; i < a->cfg.max_frames; i++)
    if (a->slots[i].state == SLOT_EMPTY) return (long)i;
  long old = oldest_slot(a);
  if (old < 0 || key_of(a, seq) < key_of(a, a->slots[old].lo)) return -1;
  slot *s = &a->slots[old];
  if (s->state == SLOT_ACTIVE) {
    a->stats.frames_dropped++;
    break_chain(a);
  }
  uint16_t next = (uint16_t)(s->hi + 1);
  slot_free(a, (size_t)old);
  advance_anchor(a, next);
  if (key_of(a, seq) >= KEY_LATE) return -1;
  for (size_t i = 0; i < a->cfg.max_frames; i++)
    if (a->slots[i].state == SLOT_EMPTY) return (long)i;
  return -1;
}

/* What one payload carries, from a check of its structure. */
typedef struct pl_info {
  uint8_t kind, fu_type;
  uint8_t idr, non_idr, param_first;
  size_t annexb_len; /* bytes it adds to the access unit */
} pl_info;

static void note_type(pl_info *pi, unsigned t) {
  if (t == USM__H264_NAL_IDR) pi->idr = 1;
  if (t >= 1 && t <= 4) pi->non_idr = 1; /* non-IDR slices and data partitions */
}

static usm_err payload_check(const uint8_t *p, size_t len, pl_info *pi) {
  memset(pi, 0, sizeof *pi);
  if (p[0] & NAL_F) return USM_ERR_MALFORMED;
  unsigned t = p[0] & NAL_TYPE;
  if (t >= 1 && t <= 23) {
    pi->kind = PK_NAL;
    note_type(pi, t);
    pi->param_first = t == USM__H264_NAL_SPS || t == USM__H264_NAL_AUD;
    pi->annexb_len = START_CODE_LEN + len;
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
      if (n == 0) pi->param_first = it == USM__H264_NAL_SPS || it == USM__H264_NAL_AUD;
      note_type(pi, it);
      i += sz;
      n++;
    }
    if (n == 0) return USM_ERR_MALFORMED;
    pi->kind = PK_NAL;
    pi->annexb_len = len - 1 - 2 * n + START_CODE_LEN * n;
    return USM_OK;
  }
  if (t == USM__H264_NAL_FU_A) {
    if (len < 3) return USM_ERR_MALFORMED;
    uint8_t fu = p[1];
    unsigned ft = fu & NAL_TYPE;
    if ((fu & FU_S) && (fu & FU_E)) return USM_ERR_MALFORMED;
    if (ft == 0 || ft > 23) return USM_ERR_MALFORMED;
    pi->fu_type = (uint8_t)ft;
    note_type(pi, ft);
    if (fu & FU_S) {
      pi->kind = PK_FU_START;
      pi->param_first = ft == USM__H264_NAL_SPS;
      pi->annexb_len = START_CODE_LEN + 1 + (len - 2);
    } else {
      pi->kind = (fu & FU_E) ? PK_FU_END : PK_FU_MID;
      pi->annexb_len = len - 2;
    }
    return USM_OK;
  }
  return USM_ERR_MALFORMED; /* 0, STAP-B, MTAP16/24, FU-B, 30, 31 */
}

/* Write the payload's Annex B bytes (sizes checked by payload_check). */
static void payload_write(const uint8_t *p, size_t len, const pl_info *pi, uint8_t *dst) {
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
    if (pi->kind == PK_FU_START) {
      memcpy(dst, start_code, START_CODE_LEN);
      dst += START_CODE_LEN;
      *dst++ = (uint8_t)((p[0] & (NAL_F | NAL_NRI)) | pi->fu_type);
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
  if (!a->started) {
    a->started = 1;
    a->anchor = (uint16_t)(seq - START_BACKOFF);
  }
  int late = key_of(a, seq) >= KEY_LATE;
  /* a timestamp at or before the last access unit handed over is late too (mod 2^32) */
  if (!late && len && a->have_last && (int32_t)(timestamp - a->last_ts) <= 0) late = 1;
  if (late) {
    a->stats.late++;
    if (++a->stale_run < STALE_RESET) return USM_OK;
    /* a long run of "old" packets: the sender restarted its numbering */
    usm__h264_asm_reset(a);
    a->stats.restarts++;
    a->started = 1;
    a->anchor = (uint16_t)(seq - START_BACKOFF);
  }
  a->stale_run = 0;

  uint8_t own = a->owner[seq];
  if (own) {
    if (own != OWNER_FILLER && a->slots[own - 1].ts != timestamp) {
      a->stats.malformed++;
      return USM_ERR_MALFORMED;
    }
    a->stats.duplicates++;
    return USM_OK;
  }
  if (len == 0) { /* padding only: the sequence number is accounted for */
    add_filler(a, seq);
    return USM_OK;
  }
  pl_info pi;
  if (payload_check(payload, len, &pi) != USM_OK) {
    a->stats.malformed++;
    return USM_ERR_MALFORMED;
  }

  long idx = -1;
  for (size_t i = 0; i < a->cfg.max_frames; i++)
    if (a->slots[i].state != SLOT_EMPTY && a->slots[i].ts == timestamp) idx = (long)i;
  int fresh = idx < 0;
  if (fresh) {
    idx = claim_slot(a, seq);
    if (idx < 0) {
      a->stats.late++;
      return USM_OK;
    }
  }
  slot *s = &a->slots[idx];
  if (!fresh && (inconsistent(a, s, seq, marker) || (pi.idr && s->non_idr) || (pi.non_idr && s->keyframe))) {
    /* an IDR picture has only IDR slices (H.264 §7.4.1.2.4) */
    a->stats.malformed++;
    return USM_ERR_MALFORMED;
  }
  uint16_t lo = fresh ? seq : s->lo, hi = fresh ? seq : s->hi;
  int new_lo = fresh || key_of(a, seq) < key_of(a, lo);
  if (key_of(a, seq) < key_of(a, lo)) lo = seq;
  if (key_of(a, seq) > key_of(a, hi)) hi = seq;

  if ((size_t)(key_of(a, hi) - key_of(a, lo)) + 1 > a->cfg.max_packets) {
    /* the access unit spans too many packets: it is lost */
    if (!fresh && s->state == SLOT_ACTIVE) break_chain(a);
    slot_kill(a, s);
    return USM_ERR_LIMIT;
  }
  if (fresh) {
    s->state = SLOT_ACTIVE;
    s->ts = timestamp;
  }
  usm_err e = USM_OK;
  if (s->state == SLOT_ACTIVE && s->data_len + pi.annexb_len > a->cfg.max_frame_bytes) {
    /* too big: the access unit is lost; its packets are still absorbed below */
    break_chain(a);
    slot_kill(a, s);
    e = USM_ERR_LIMIT;
  }
  if (s->state == SLOT_ACTIVE) {
    if (grow((void **)&s->data, &s->data_cap, s->data_len + pi.annexb_len, 1, 2048) != USM_OK ||
        grow((void **)&s->pkts, &s->pkts_cap, s->npkts + 1, sizeof(pkt_ref), 8) != USM_OK) {
      if (fresh) s->state = SLOT_EMPTY;
      return USM_ERR_NO_MEMORY;
    }
    payload_write(payload, len, &pi, s->data + s->data_len);
    pkt_ref *r = &s->pkts[s->npkts++];
    r->seq = seq;
    r->off = (uint32_t)s->data_len;
    r->len = (uint32_t)pi.annexb_len;
    r->kind = pi.kind;
    r->fu_type = pi.fu_type;
    s->data_len += pi.annexb_len;
  }
  a->owner[seq] = (uint8_t)(idx + 1);
  s->lo = lo;
  s->hi = hi;
  s->nseen++;
  if (new_lo) s->lo_param = pi.param_first;
  if (pi.idr) s->keyframe = 1;
  if (pi.non_idr) s->non_idr = 1;
  if (marker) {
    s->have_end = 1;
    s->end_seq = seq;
  }
  if (e == USM_OK) a->stats.packets++;
  return e;
}

static int cmp_key(const void *x, const void *y) {
  const pkt_ref *p = x, *q = y;
  return (p->key > q->key) - (p->key < q->key);
}

/* Copy the access unit in sequence order into a->out, checking that FU-A
 * fragments start, continue and end in order. */
static usm_err assemble(usm__h264_asm *a, slot *s, usm__h264_frame *f) {
  for (size_t i = 0; i < s->npkts; i++) s->pkts[i].key = key_of(a, s->pkts[i].seq);
  qsort(s->pkts, s->npkts, sizeof *s->pkts, cmp_key);
  int in_fu = 0;
  uint8_t fu_type = 0;
  for (size_t i = 0; i < s->npkts; i++) {
    const pkt_ref *r = &s->pkts[i];
    switch (r->kind) {
      case PK_NAL:
        if (in_fu) return USM_ERR_MALFORMED;
        break;
      case PK_FU_START:
        if (in_fu) return USM_ERR_MALFORMED;
        in_fu = 1;
        fu_type = r->fu_type;
        break;
      default: /* middle or end */
        if (!in_fu || r->fu_type != fu_type) return USM_ERR_MALFORMED;
        if (r->kind == PK_FU_END) in_fu = 0;
        break;
    }
  }
  if (in_fu) return USM_ERR_MALFORMED;
  if (grow((void **)&a->out, &a->out_cap, s->data_len ? s->data_len : 1, 1, 4096) != USM_OK)
    return USM_ERR_NO_MEMORY;
  size_t n = 0;
  for (size_t i = 0; i < s->npkts; i++) {
    memcpy(a->out + n, s->data + s->pkts[i].off, s->pkts[i].len);
    n += s->pkts[i].len;
  }
  memset(f, 0, sizeof *f);
  f->data = a->out;
  f->len = n;
  f->timestamp = s->ts;
  f->first_seq = s->lo;
  f->last_seq = s->end_seq;
  f->keyframe = s->keyframe;
  /* picture size from the first SPS, if any */
  size_t pos = 0, nlen;
  const uint8_t *nal;
  while (usm__h264_annexb_next(a->out, n, &pos, &nal, &nlen) == 1) {
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
    if (a->chain == CHAIN_BROKEN) {
      /* Non-IDR access units with no possible IDR before them cannot be
       * decoded: drop them, and stop asking for the packets of leading
       * dropped ones. */
      uint16_t kf_lo = KEY_LATE; /* oldest access unit that is or may be an IDR */
      for (size_t i = 0; i < a->cfg.max_frames; i++) {
        const slot *s = &a->slots[i];
        if (s->state == SLOT_ACTIVE && !s->non_idr && key_of(a, s->lo) < kf_lo) kf_lo = key_of(a, s->lo);
      }
      for (size_t i = 0; i < a->cfg.max_frames; i++) {
        slot *s = &a->slots[i];
        if (s->state == SLOT_ACTIVE && s->non_idr && key_of(a, s->lo) < kf_lo) slot_kill(a, s);
      }
      long o;
      while ((o = oldest_slot(a)) >= 0 && a->slots[o].state == SLOT_DEAD) {
        advance_anchor(a, (uint16_t)(a->slots[o].hi + 1));
        slot_free(a, (size_t)o); /* already gone; a no-op unless the anchor refused to move */
      }
    }
    long pick = -1;
    for (size_t i = 0; i < a->cfg.max_frames; i++) {
      slot *s = &a->slots[i];
      if (!complete(a, s)) continue;
      if (!s->keyframe) {
        if (a->chain != CHAIN_OK) {
          a->want_kf = 1; /* non-IDR without a reference: ask for an IDR */
          continue;
        }
        if (!follows_anchor(a, s->lo)) continue;
      }
      if (pick < 0 || key_of(a, s->lo) < key_of(a, a->slots[pick].lo)) pick = (long)i;
    }
    if (pick < 0) return 0;
    slot *s = &a->slots[pick];
    usm_err e = assemble(a, s, out);
    if (e == USM_ERR_NO_MEMORY) return 0; /* keep the access unit; try again on the next call */
    if (e != USM_OK) {
      /* corrupt: lost */
      a->stats.malformed++;
      slot_kill(a, s);
      break_chain(a);
      continue;
    }
    uint16_t next = (uint16_t)(s->end_seq + 1);
    int key = s->keyframe;
    a->have_last = 1;
    a->last_ts = s->ts;
    slot_free(a, (size_t)pick);
    advance_anchor(a, next); /* older access units are dropped: an IDR does not need them */
    if (key) {
      a->chain = CHAIN_OK;
      a->want_kf = 0;
      a->stats.keyframes_delivered++;
    }
    for (size_t i = 0; i < a->cfg.max_frames; i++) {
      slot *o = &a->slots[i];
      /* a timestamp that is not newer is not a later access unit: garbage */
      if (o->state != SLOT_EMPTY && (int32_t)(o->ts - a->last_ts) <= 0) {
        if (o->state == SLOT_ACTIVE) a->stats.frames_dropped++;
        slot_free(a, i);
      }
      /* one given up after this one means the chain will break there */
      if (o->state == SLOT_DEAD) break_chain(a);
    }
    a->stats.frames_delivered++;
    return 1;
  }
}

size_t usm__h264_asm_missing(const usm__h264_asm *a, uint16_t *out, size_t cap) {
  if (!a || !out || !cap || !a->started) return 0;
  int any = 0;
  uint16_t lo = 0, hi = 0;
  for (size_t i = 0; i < a->cfg.max_frames; i++) {
    const slot *s = &a->slots[i];
    if (s->state == SLOT_EMPTY) continue;
    uint16_t kl = key_of(a, s->lo), kh = key_of(a, s->hi);
    if (!any || kl < lo) lo = kl;
    if (!any || kh > hi) hi = kh;
    any = 1;
  }
  for (size_t i = 0; i < a->nfiller; i++) {
    uint16_t q = a->filler[(a->filler_head + i) % FILLER_RING];
    uint16_t k = key_of(a, q);
    if (a->owner[q] != OWNER_FILLER || k >= KEY_LATE) continue;
    if (!any || k < lo) lo = k;
    if (!any || k > hi) hi = k;
    any = 1;
  }
  if (!any) return 0;
  if (a->have_floor) lo = 0;
  if (hi - lo + 1u > USM__H264_MISSING_WINDOW) lo = (uint16_t)(hi - USM__H264_MISSING_WINDOW + 1);
  size_t n = 0;
  for (uint32_t k = lo; k <= hi && n < cap; k++) {
    uint16_t q = (uint16_t)(a->anchor + k);
    if (!a->owner[q]) out[n++] = q;
  }
  return n;
}

int usm__h264_asm_needs_keyframe(const usm__h264_asm *a) { return a && a->want_kf; }

void usm__h264_asm_give_up(usm__h264_asm *a) {
  if (!a) return;
  long newest = -1;
  for (size_t i = 0; i < a->cfg.max_frames; i++) {
    const slot *s = &a->slots[i];
    if (complete(a, s) && (newest < 0 || key_of(a, s->lo) > key_of(a, a->slots[newest].lo)))
      newest = (long)i;
  }
  if (newest < 0) return;
  /* What is still here after popping is blocked: whatever it waits for is lost. */
  uint16_t lo = key_of(a, a->slots[newest].lo);
  for (size_t i = 0; i < a->cfg.max_frames; i++) {
    slot *s = &a->slots[i];
    if (s->state == SLOT_ACTIVE && !complete(a, s) && key_of(a, s->lo) < lo) slot_kill(a, s);
  }
  break_chain(a);
}

size_t usm__h264_asm_buffered(const usm__h264_asm *a) {
  size_t n = 0;
  if (!a) return 0;
  for (size_t i = 0; i < a->cfg.max_frames; i++) n += a->slots[i].state != SLOT_EMPTY;
  return n;
}

void usm__h264_asm_get_stats(const usm__h264_asm *a, usm__h264_asm_stats *out) {
  if (!a || !out) return;
  *out = a->stats;
}
