/* VP8 over RTP (RFC 7741): packetizer, descriptor parser and frame assembler.
 *
 * Assembler model. Packets are grouped into frames by RTP timestamp (one
 * slot per frame, at most cfg.max_frames). Sequence numbers are compared
 * through an anchor: the next sequence number expected after the last frame
 * handed over (before the first frame, a point well before the first packet
 * seen). key(seq) = seq - anchor mod 2^16; anything with key >= 2^15 is
 * older than the anchor ("late"), which handles the 16-bit wrap. A 64 KiB
 * owner map (sequence number -> slot) makes duplicate detection and the
 * missing list O(1) per sequence number.
 *
 * Reference chain. After a keyframe, a delta frame is handed over only when
 * it directly follows the last frame handed over (its first sequence number
 * is the anchor, across padding-only packets, or its PictureID is the last
 * one + 1). A frame that is given up (evicted, refused, corrupt) breaks the
 * chain: delta frames are then discarded until a keyframe is handed over,
 * and usm__vp8_asm_needs_keyframe() asks for one. */
#include "codec/vp8_rtp.h"

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
#define KEY_LATE 0x8000u          /* key(seq) at or above this: before the anchor */
#define START_BACKOFF 8192u       /* before any frame: how far back the anchor sits */
#define STALE_RESET 256u          /* this many late packets in a row: the stream restarted */
#define FILLER_RING 64u           /* padding-only sequence numbers remembered */
#define OWNER_FILLER 0xFFu
#define SHRINK_ABOVE (256u * 1024u) /* a freed slot keeps at most this much data buffer */

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

enum { SLOT_EMPTY = 0, SLOT_ACTIVE, SLOT_DEAD };
enum { CHAIN_START = 0, CHAIN_OK, CHAIN_BROKEN };

typedef struct pkt_ref {
  uint16_t seq;
  uint16_t key;           /* filled just before sorting */
  uint32_t off, len;      /* VP8 bytes in the slot's data buffer */
} pkt_ref;

/* One frame. A DEAD slot was given up but still owns its sequence numbers,
 * so that its late packets are absorbed instead of starting a new frame. */
typedef struct slot {
  uint8_t state;
  uint8_t have_start, have_end, keyframe;
  uint32_t ts;
  uint16_t lo, hi;        /* lowest / highest sequence number owned */
  uint16_t start_seq, end_seq;
  size_t nseen;           /* sequence numbers owned */
  usm__vp8_desc start_desc;
  uint8_t *data;
  size_t data_len, data_cap;
  pkt_ref *pkts;          /* ACTIVE only, arrival order */
  size_t npkts, pkts_cap;
} slot;

struct usm__vp8_asm {
  usm__vp8_asm_cfg cfg;
  slot slots[USM__VP8_MAX_FRAMES];
  uint8_t owner[65536];   /* 0 free, 1..MAX_FRAMES slot index + 1, OWNER_FILLER */
  uint16_t filler[FILLER_RING];
  size_t nfiller, filler_head;
  uint8_t started, have_floor, chain, want_kf;
  uint16_t anchor;
  uint8_t have_last;      /* a frame was handed over: last_* are set */
  uint8_t last_pid_bits;
  uint16_t last_pid;
  uint32_t last_ts;
  uint32_t stale_run;
  uint8_t *out;
  size_t out_cap;
  usm__vp8_asm_stats stats;
};

static uint16_t key_of(const usm__vp8_asm *a, uint16_t seq) { return (uint16_t)(seq - a->anchor); }

static int complete(const usm__vp8_asm *a, const slot *s) {
  return s->state == SLOT_ACTIVE && s->have_start && s->have_end &&
         s->npkts == (size_t)(key_of(a, s->end_seq) - key_of(a, s->start_seq)) + 1;
}

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
  a->cfg = c;
  *out = a;
  return USM_OK;
}

void usm__vp8_asm_destroy(usm__vp8_asm *a) {
  if (!a) return;
  for (size_t i = 0; i < USM__VP8_MAX_FRAMES; i++) {
    free(a->slots[i].data);
    free(a->slots[i].pkts);
  }
  free(a->out);
  free(a);
}

/* Empty a slot and release its sequence numbers; big buffers are let go so
 * that one huge frame does not pin memory. */
static void slot_free(usm__vp8_asm *a, size_t idx) {
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

void usm__vp8_asm_reset(usm__vp8_asm *a) {
  if (!a) return;
  for (size_t i = 0; i < USM__VP8_MAX_FRAMES; i++) slot_free(a, i);
  memset(a->owner, 0, sizeof a->owner);
  a->nfiller = a->filler_head = 0;
  a->started = a->have_floor = a->have_last = 0;
  a->chain = CHAIN_START;
  a->want_kf = 0;
  a->stale_run = 0;
}

static void break_chain(usm__vp8_asm *a) {
  a->chain = CHAIN_BROKEN;
  a->want_kf = 1;
}

/* Give up a frame: its data goes, its sequence numbers stay owned. */
static void slot_kill(usm__vp8_asm *a, slot *s) {
  if (s->state != SLOT_ACTIVE) return;
  s->state = SLOT_DEAD;
  s->npkts = 0;
  s->data_len = 0;
  a->stats.frames_dropped++;
}

/* Move the anchor forward to @p seq and drop whatever now lies before it. */
static void advance_anchor(usm__vp8_asm *a, uint16_t seq) {
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
static long oldest_slot(const usm__vp8_asm *a) {
  long best = -1;
  for (size_t i = 0; i < a->cfg.max_frames; i++) {
    const slot *s = &a->slots[i];
    if (s->state == SLOT_EMPTY) continue;
    if (best < 0 || key_of(a, s->lo) < key_of(a, a->slots[best].lo)) best = (long)i;
  }
  return best;
}

static void add_filler(usm__vp8_asm *a, uint16_t seq) {
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
static int inconsistent(const usm__vp8_asm *a, const slot *s, uint16_t seq, int is_start, int marker) {
  uint16_t k = key_of(a, seq);
  if (is_start) {
    if (s->have_start) return 1;
    if (s->nseen && key_of(a, s->lo) < k) return 1;
  } else if (s->have_start && k < key_of(a, s->start_seq)) {
    return 1;
  }
  if (marker) {
    if (s->have_end) return 1;
    if (s->nseen && key_of(a, s->hi) > k) return 1;
  } else if (s->have_end && k > key_of(a, s->end_seq)) {
    return 1;
  }
  return 0;
}

/* Pick the slot for a new timestamp: a free one, else evict the oldest
 * frame (lost: the chain breaks) unless the packet is older still. */
static long claim_slot(usm__vp8_asm *a, uint16_t seq) {
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

usm_err usm__vp8_asm_push(usm__vp8_asm *a, const uint8_t *payload, size_t len, uint16_t seq,
                          uint32_t timestamp, int marker) {
  if (!a || (!payload && len)) return USM_ERR_INVALID_ARG;
  if (!a->started) {
    a->started = 1;
    a->anchor = (uint16_t)(seq - START_BACKOFF);
  }
  int late = key_of(a, seq) >= KEY_LATE;
  /* a timestamp at or before the last frame handed over is late too (mod 2^32) */
  if (!late && len && a->have_last && (int32_t)(timestamp - a->last_ts) <= 0) late = 1;
  if (late) {
    a->stats.late++;
    if (++a->stale_run < STALE_RESET) return USM_OK;
    /* a long run of "old" packets: the sender restarted its numbering */
    usm__vp8_asm_reset(a);
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
  usm__vp8_desc d;
  if (usm__vp8_desc_parse(payload, len, &d) != USM_OK) {
    a->stats.malformed++;
    return USM_ERR_MALFORMED;
  }
  const uint8_t *vp8 = payload + d.len;
  size_t vlen = len - d.len;
  int is_start = d.start && d.partition == 0;

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
  if (!fresh && inconsistent(a, s, seq, is_start, marker)) {
    a->stats.malformed++;
    return USM_ERR_MALFORMED;
  }
  uint16_t lo = fresh ? seq : s->lo, hi = fresh ? seq : s->hi;
  if (key_of(a, seq) < key_of(a, lo)) lo = seq;
  if (key_of(a, seq) > key_of(a, hi)) hi = seq;

  if ((size_t)(key_of(a, hi) - key_of(a, lo)) + 1 > a->cfg.max_packets) {
    /* the frame spans too many packets: it is lost */
    if (!fresh && s->state == SLOT_ACTIVE) break_chain(a);
    slot_kill(a, s);
    return USM_ERR_LIMIT;
  }
  if (fresh) {
    s->state = SLOT_ACTIVE;
    s->ts = timestamp;
  }
  usm_err e = USM_OK;
  if (s->state == SLOT_ACTIVE && s->data_len + vlen > a->cfg.max_frame_bytes) {
    /* too big: the frame is lost; its packets are still absorbed below */
    break_chain(a);
    slot_kill(a, s);
    e = USM_ERR_LIMIT;
  }
  if (s->state == SLOT_ACTIVE) {
    if (grow((void **)&s->data, &s->data_cap, s->data_len + vlen, 1, 2048) != USM_OK ||
        grow((void **)&s->pkts, &s->pkts_cap, s->npkts + 1, sizeof(pkt_ref), 8) != USM_OK) {
      if (fresh) s->state = SLOT_EMPTY;
      return USM_ERR_NO_MEMORY;
    }
    memcpy(s->data + s->data_len, vp8, vlen);
    s->pkts[s->npkts].seq = seq;
    s->pkts[s->npkts].off = (uint32_t)s->data_len;
    s->pkts[s->npkts].len = (uint32_t)vlen;
    s->npkts++;
    s->data_len += vlen;
  }
  a->owner[seq] = (uint8_t)(idx + 1);
  s->lo = lo;
  s->hi = hi;
  s->nseen++;
  if (is_start) {
    s->have_start = 1;
    s->start_seq = seq;
    s->start_desc = d;
    s->keyframe = (vp8[0] & 1u) == 0; /* VP8 tag P bit: 0 = keyframe */
  }
  if (marker) {
    s->have_end = 1;
    s->end_seq = seq;
  }
  if (e == USM_OK) a->stats.packets++;
  return e;
}

/* Does the delta frame in @p s directly follow the last frame handed over? */
static int follows(const usm__vp8_asm *a, const slot *s) {
  const usm__vp8_desc *d = &s->start_desc;
  if (a->have_last && d->pid_bits && d->pid_bits == a->last_pid_bits) {
    uint16_t mod = (uint16_t)(d->pid_bits == 15 ? PID_MOD : 0x80u);
    if (d->picture_id == (uint16_t)((a->last_pid + 1) % mod)) return 1;
  }
  uint16_t gap = key_of(a, s->start_seq);
  if (gap > FILLER_RING) return 0;
  for (uint16_t i = 0; i < gap; i++)
    if (a->owner[(uint16_t)(a->anchor + i)] != OWNER_FILLER) return 0;
  return 1;
}

static int cmp_key(const void *x, const void *y) {
  const pkt_ref *p = x, *q = y;
  return (p->key > q->key) - (p->key < q->key);
}

/* Copy the frame in sequence order into a->out and check its header. */
static usm_err assemble(usm__vp8_asm *a, slot *s, usm__vp8_frame *f, vp8_hdr *h) {
  for (size_t i = 0; i < s->npkts; i++) s->pkts[i].key = key_of(a, s->pkts[i].seq);
  qsort(s->pkts, s->npkts, sizeof *s->pkts, cmp_key);
  if (grow((void **)&a->out, &a->out_cap, s->data_len ? s->data_len : 1, 1, 4096) != USM_OK)
    return USM_ERR_NO_MEMORY;
  size_t n = 0;
  for (size_t i = 0; i < s->npkts; i++) {
    memcpy(a->out + n, s->data + s->pkts[i].off, s->pkts[i].len);
    n += s->pkts[i].len;
  }
  usm_err e = frame_check(a->out, n, h);
  if (e != USM_OK) return e;
  if (h->keyframe != s->keyframe) return USM_ERR_MALFORMED;
  memset(f, 0, sizeof *f);
  f->data = a->out;
  f->len = n;
  f->timestamp = s->ts;
  f->first_seq = s->start_seq;
  f->last_seq = s->end_seq;
  f->keyframe = (uint8_t)h->keyframe;
  f->pid_bits = s->start_desc.pid_bits;
  f->picture_id = s->start_desc.picture_id;
  f->width = h->width;
  f->height = h->height;
  return USM_OK;
}

int usm__vp8_asm_pop(usm__vp8_asm *a, usm__vp8_frame *out) {
  if (!a || !out) return 0;
  for (;;) {
    if (a->chain == CHAIN_BROKEN) {
      /* Delta frames with no possible keyframe before them cannot be
       * decoded: drop them, and stop asking for the packets of leading
       * dropped frames. */
      uint16_t kf_lo = KEY_LATE; /* oldest frame that is or may be a keyframe */
      for (size_t i = 0; i < a->cfg.max_frames; i++) {
        const slot *s = &a->slots[i];
        if (s->state == SLOT_ACTIVE && (!s->have_start || s->keyframe) && key_of(a, s->lo) < kf_lo)
          kf_lo = key_of(a, s->lo);
      }
      for (size_t i = 0; i < a->cfg.max_frames; i++) {
        slot *s = &a->slots[i];
        if (s->state == SLOT_ACTIVE && s->have_start && !s->keyframe && key_of(a, s->lo) < kf_lo)
          slot_kill(a, s);
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
          a->want_kf = 1; /* deltas without a reference: ask for a keyframe */
          continue;
        }
        if (!follows(a, s)) continue;
      }
      if (pick < 0 || key_of(a, s->lo) < key_of(a, a->slots[pick].lo)) pick = (long)i;
    }
    if (pick < 0) return 0;
    slot *s = &a->slots[pick];
    vp8_hdr h;
    usm_err e = assemble(a, s, out, &h);
    if (e == USM_ERR_NO_MEMORY) return 0; /* keep the frame; try again on the next call */
    if (e != USM_OK) {
      /* corrupt frame: lost */
      slot_kill(a, s);
      break_chain(a);
      continue;
    }
    uint16_t next = (uint16_t)(s->end_seq + 1);
    a->have_last = 1;
    a->last_ts = s->ts;
    a->last_pid = s->start_desc.picture_id;
    a->last_pid_bits = s->start_desc.pid_bits;
    slot_free(a, (size_t)pick);
    advance_anchor(a, next); /* older frames are dropped: a keyframe does not need them */
    if (h.keyframe) {
      a->chain = CHAIN_OK;
      a->want_kf = 0;
      a->stats.keyframes_delivered++;
    }
    for (size_t i = 0; i < a->cfg.max_frames; i++) {
      slot *o = &a->slots[i];
      /* a timestamp that is not newer is not a later frame: garbage */
      if (o->state != SLOT_EMPTY && (int32_t)(o->ts - a->last_ts) <= 0) {
        if (o->state == SLOT_ACTIVE) a->stats.frames_dropped++;
        slot_free(a, i);
      }
      /* a frame given up after this one means the chain will break there */
      if (o->state == SLOT_DEAD) break_chain(a);
    }
    a->stats.frames_delivered++;
    return 1;
  }
}

size_t usm__vp8_asm_missing(const usm__vp8_asm *a, uint16_t *out, size_t cap) {
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
  if (hi - lo + 1u > USM__VP8_MISSING_WINDOW) lo = (uint16_t)(hi - USM__VP8_MISSING_WINDOW + 1);
  size_t n = 0;
  for (uint32_t k = lo; k <= hi && n < cap; k++) {
    uint16_t q = (uint16_t)(a->anchor + k);
    if (!a->owner[q]) out[n++] = q;
  }
  return n;
}

int usm__vp8_asm_needs_keyframe(const usm__vp8_asm *a) { return a && a->want_kf; }

void usm__vp8_asm_give_up(usm__vp8_asm *a) {
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

size_t usm__vp8_asm_buffered(const usm__vp8_asm *a) {
  size_t n = 0;
  if (!a) return 0;
  for (size_t i = 0; i < a->cfg.max_frames; i++) n += a->slots[i].state != SLOT_EMPTY;
  return n;
}

void usm__vp8_asm_get_stats(const usm__vp8_asm *a, usm__vp8_asm_stats *out) {
  if (!a || !out) return;
  *out = a->stats;
}
