/* The shared RTP frame assembler core; the model is in frame_asm.h. */
#include "codec/frame_asm.h"

#include <stdlib.h>
#include <string.h>

#define KEY_LATE USM__FASM_KEY_LATE
#define START_BACKOFF 8192u       /* before any frame: how far back the anchor sits */
#define STALE_RESET 256u          /* this many late packets in a row: the stream restarted */
#define FILLER_RING 64u           /* padding-only sequence numbers remembered */
#define OWNER_FILLER 0xFFu
#define SHRINK_ABOVE (256u * 1024u) /* a freed slot keeps at most this much data buffer */

enum { CHAIN_START = 0, CHAIN_OK, CHAIN_BROKEN };

typedef usm__fasm_slot slot;

_Static_assert(sizeof(((usm__fasm *)0)->filler) / sizeof(uint16_t) == FILLER_RING, "filler ring");
_Static_assert(USM__FASM_MAX_SLOTS < OWNER_FILLER, "owner map holds slot index + 1 in a byte");

uint16_t usm__fasm_key(const usm__fasm *f, uint16_t seq) { return (uint16_t)(seq - f->anchor); }

#define key_of usm__fasm_key

void usm__fasm_init(usm__fasm *f, size_t max_frame_bytes, size_t max_packets, size_t max_frames,
                    int infer_start) {
  f->max_frame_bytes = max_frame_bytes;
  f->max_packets = max_packets;
  f->max_frames = max_frames;
  f->infer_start = infer_start != 0;
}

void usm__fasm_free(usm__fasm *f) {
  for (size_t i = 0; i < USM__FASM_MAX_SLOTS; i++) {
    free(f->slots[i].data);
    free(f->slots[i].pkts);
  }
  free(f->out);
}

int usm__fasm_follows_anchor(const usm__fasm *f, uint16_t seq) {
  if (!f->have_floor) return 0;
  uint16_t gap = key_of(f, seq);
  if (gap > FILLER_RING) return 0;
  for (uint16_t i = 0; i < gap; i++)
    if (f->owner[(uint16_t)(f->anchor + i)] != OWNER_FILLER) return 0;
  return 1;
}

/* Is s->lo the frame's first packet? A start bit says so; without one
 * (H.264) it is known when (a) it follows the anchor across padding, (b) the
 * sequence number before it belongs to another frame or is padding, or (c)
 * it can only begin a frame. */
static int start_known(const usm__fasm *f, const slot *s) {
  if (s->have_start) return 1;
  if (!f->infer_start) return 0;
  if (usm__fasm_follows_anchor(f, s->lo)) return 1;
  uint16_t prev = (uint16_t)(s->lo - 1);
  uint8_t o = f->owner[prev];
  if (o && key_of(f, prev) < KEY_LATE && (o == OWNER_FILLER || &f->slots[o - 1] != s)) return 1;
  return s->lo_param;
}

/* With a start packet, lo is the start (a packet before it is refused). */
static int complete(const usm__fasm *f, const slot *s) {
  return s->state == USM__FASM_ACTIVE && s->have_end &&
         s->npkts == (size_t)(key_of(f, s->end_seq) - key_of(f, s->lo)) + 1 && start_known(f, s);
}

/* Empty a slot and release its sequence numbers; big buffers are let go so
 * that one huge frame does not pin memory. */
static void slot_free(usm__fasm *f, size_t idx) {
  slot *s = &f->slots[idx];
  if (s->state == USM__FASM_EMPTY) return;
  /* lo..hi spans at most max_packets (checked on insert) */
  for (uint16_t q = s->lo;; q++) {
    if (f->owner[q] == idx + 1) f->owner[q] = 0;
    if (q == s->hi) break;
  }
  if (s->data_cap > SHRINK_ABOVE) {
    free(s->data);
    s->data = NULL;
    s->data_cap = 0;
  }
  uint8_t *data = s->data;
  usm__fasm_pkt *pkts = s->pkts;
  size_t data_cap = s->data_cap, pkts_cap = s->pkts_cap;
  memset(s, 0, sizeof *s);
  s->data = data;
  s->data_cap = data_cap;
  s->pkts = pkts;
  s->pkts_cap = pkts_cap;
}

void usm__fasm_reset(usm__fasm *f) {
  for (size_t i = 0; i < USM__FASM_MAX_SLOTS; i++) slot_free(f, i);
  memset(f->owner, 0, sizeof f->owner);
  f->nfiller = f->filler_head = 0;
  f->started = f->have_floor = f->have_last = 0;
  f->chain = CHAIN_START;
  f->want_kf = 0;
  f->stale_run = 0;
}

static void break_chain(usm__fasm *f) {
  f->chain = CHAIN_BROKEN;
  f->want_kf = 1;
}

/* Give up a frame: its data goes, its sequence numbers stay owned. */
static void slot_kill(usm__fasm *f, slot *s) {
  if (s->state != USM__FASM_ACTIVE) return;
  s->state = USM__FASM_DEAD;
  s->npkts = 0;
  s->data_len = 0;
  f->stats.frames_dropped++;
}

/* Move the anchor forward to @p seq and drop whatever now lies before it. */
static void advance_anchor(usm__fasm *f, uint16_t seq) {
  /* never backwards; seq is at most 2^15 ahead (one past a slot's last packet) */
  if (f->have_floor && key_of(f, seq) > KEY_LATE) return;
  f->anchor = seq;
  f->have_floor = 1;
  for (size_t i = 0; i < f->max_frames; i++) {
    slot *s = &f->slots[i];
    if (s->state == USM__FASM_EMPTY) continue;
    if (key_of(f, s->lo) >= KEY_LATE || key_of(f, s->hi) >= KEY_LATE) {
      if (s->state == USM__FASM_ACTIVE) f->stats.frames_dropped++;
      slot_free(f, i);
    }
  }
  for (size_t i = 0; i < f->nfiller; i++) {
    uint16_t q = f->filler[(f->filler_head + i) % FILLER_RING];
    if (key_of(f, q) >= KEY_LATE && f->owner[q] == OWNER_FILLER) f->owner[q] = 0;
  }
}

/* The non-empty slot with the lowest sequence numbers, or -1. */
static long oldest_slot(const usm__fasm *f) {
  long best = -1;
  for (size_t i = 0; i < f->max_frames; i++) {
    const slot *s = &f->slots[i];
    if (s->state == USM__FASM_EMPTY) continue;
    if (best < 0 || key_of(f, s->lo) < key_of(f, f->slots[best].lo)) best = (long)i;
  }
  return best;
}

static void add_filler(usm__fasm *f, uint16_t seq) {
  if (f->nfiller == FILLER_RING) {
    uint16_t old = f->filler[f->filler_head];
    if (f->owner[old] == OWNER_FILLER) f->owner[old] = 0;
    f->filler_head = (f->filler_head + 1) % FILLER_RING;
    f->nfiller--;
  }
  f->filler[(f->filler_head + f->nfiller) % FILLER_RING] = seq;
  f->nfiller++;
  f->owner[seq] = OWNER_FILLER;
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

/* Does the packet contradict what slot @p s already knows? */
static int inconsistent(const usm__fasm *f, const slot *s, const usm__fasm_in *in) {
  uint16_t k = key_of(f, in->seq);
  if (in->is_start) {
    if (s->have_start) return 1;
    if (s->nseen && key_of(f, s->lo) < k) return 1;
  } else if (s->have_start && k < key_of(f, s->start_seq)) {
    return 1;
  }
  if (in->marker) {
    if (s->have_end) return 1;
    if (s->nseen && key_of(f, s->hi) > k) return 1;
  } else if (s->have_end && k > key_of(f, s->end_seq)) {
    return 1;
  }
  /* keyframe and delta data in one frame (H.264: an IDR picture has only
   * IDR slices, §7.4.1.2.4) */
  return (in->key && s->non_key) || (in->non_key && s->keyframe);
}

/* Pick the slot for a new timestamp: a free one, else evict the oldest
 * frame (lost: the chain breaks) unless the packet is older still. */
static long claim_slot(usm__fasm *f, uint16_t seq) {
  for (size_t i = 0; i < f->max_frames; i++)
    if (f->slots[i].state == USM__FASM_EMPTY) return (long)i;
  long old = oldest_slot(f);
  if (old < 0 || key_of(f, seq) < key_of(f, f->slots[old].lo)) return -1;
  slot *s = &f->slots[old];
  if (s->state == USM__FASM_ACTIVE) {
    f->stats.frames_dropped++;
    break_chain(f);
  }
  uint16_t next = (uint16_t)(s->hi + 1);
  slot_free(f, (size_t)old);
  advance_anchor(f, next);
  if (key_of(f, seq) >= KEY_LATE) return -1;
  for (size_t i = 0; i < f->max_frames; i++)
    if (f->slots[i].state == USM__FASM_EMPTY) return (long)i;
  return -1;
}

int usm__fasm_admit(usm__fasm *f, size_t len, uint16_t seq, uint32_t ts, usm_err *ret) {
  *ret = USM_OK;
  if (!f->started) {
    f->started = 1;
    f->anchor = (uint16_t)(seq - START_BACKOFF);
  }
  int late = key_of(f, seq) >= KEY_LATE;
  /* a timestamp at or before the last frame handed over is late too (mod 2^32) */
  if (!late && len && f->have_last && (int32_t)(ts - f->last_ts) <= 0) late = 1;
  if (late) {
    f->stats.late++;
    if (++f->stale_run < STALE_RESET) return 0;
    /* a long run of "old" packets: the sender restarted its numbering */
    usm__fasm_reset(f);
    f->stats.restarts++;
    f->started = 1;
    f->anchor = (uint16_t)(seq - START_BACKOFF);
  }
  f->stale_run = 0;

  uint8_t own = f->owner[seq];
  if (own) {
    if (own != OWNER_FILLER && f->slots[own - 1].ts != ts) {
      f->stats.malformed++;
      *ret = USM_ERR_MALFORMED;
      return 0;
    }
    f->stats.duplicates++;
    return 0;
  }
  if (len == 0) { /* padding only: the sequence number is accounted for */
    add_filler(f, seq);
    return 0;
  }
  return 1;
}

usm_err usm__fasm_add(usm__fasm *f, const usm__fasm_in *in, long *slot_out, uint8_t **dst) {
  *slot_out = -1;
  *dst = NULL;
  uint16_t seq = in->seq;
  long idx = -1;
  for (size_t i = 0; i < f->max_frames; i++)
    if (f->slots[i].state != USM__FASM_EMPTY && f->slots[i].ts == in->ts) idx = (long)i;
  int fresh = idx < 0;
  if (fresh) {
    idx = claim_slot(f, seq);
    if (idx < 0) {
      f->stats.late++;
      return USM_OK;
    }
  }
  slot *s = &f->slots[idx];
  if (!fresh && inconsistent(f, s, in)) {
    f->stats.malformed++;
    return USM_ERR_MALFORMED;
  }
  uint16_t lo = fresh ? seq : s->lo, hi = fresh ? seq : s->hi;
  int new_lo = fresh || key_of(f, seq) < key_of(f, lo);
  if (key_of(f, seq) < key_of(f, lo)) lo = seq;
  if (key_of(f, seq) > key_of(f, hi)) hi = seq;

  if ((size_t)(key_of(f, hi) - key_of(f, lo)) + 1 > f->max_packets) {
    /* the frame spans too many packets: it is lost */
    if (!fresh && s->state == USM__FASM_ACTIVE) break_chain(f);
    slot_kill(f, s);
    return USM_ERR_LIMIT;
  }
  if (fresh) {
    s->state = USM__FASM_ACTIVE;
    s->ts = in->ts;
  }
  usm_err e = USM_OK;
  if (s->state == USM__FASM_ACTIVE && s->data_len + in->bytes > f->max_frame_bytes) {
    /* too big: the frame is lost; its packets are still absorbed below */
    break_chain(f);
    slot_kill(f, s);
    e = USM_ERR_LIMIT;
  }
  if (s->state == USM__FASM_ACTIVE) {
    if (grow((void **)&s->data, &s->data_cap, s->data_len + in->bytes, 1, 2048) != USM_OK ||
        grow((void **)&s->pkts, &s->pkts_cap, s->npkts + 1, sizeof(usm__fasm_pkt), 8) != USM_OK) {
      if (fresh) s->state = USM__FASM_EMPTY;
      return USM_ERR_NO_MEMORY;
    }
    *dst = s->data + s->data_len;
    usm__fasm_pkt *r = &s->pkts[s->npkts++];
    r->seq = seq;
    r->off = (uint32_t)s->data_len;
    r->len = (uint32_t)in->bytes;
    r->kind = in->kind;
    r->tag = in->tag;
    s->data_len += in->bytes;
  }
  f->owner[seq] = (uint8_t)(idx + 1);
  s->lo = lo;
  s->hi = hi;
  s->nseen++;
  if (new_lo) s->lo_param = in->lo_param;
  if (in->is_start) {
    s->have_start = 1;
    s->start_seq = seq;
  }
  if (in->key) s->keyframe = 1;
  if (in->non_key) s->non_key = 1;
  if (in->marker) {
    s->have_end = 1;
    s->end_seq = seq;
  }
  *slot_out = idx;
  if (e == USM_OK) f->stats.packets++;
  return e;
}

long usm__fasm_pick(usm__fasm *f, int (*follows)(const void *ctx, const usm__fasm *f, size_t idx),
                    const void *ctx) {
  if (f->chain == CHAIN_BROKEN) {
    /* Delta frames with no possible keyframe before them cannot be decoded:
     * drop them, and stop asking for the packets of leading dropped frames. */
    uint16_t kf_lo = KEY_LATE; /* oldest frame that is or may be a keyframe */
    for (size_t i = 0; i < f->max_frames; i++) {
      const slot *s = &f->slots[i];
      if (s->state == USM__FASM_ACTIVE && !s->non_key && key_of(f, s->lo) < kf_lo) kf_lo = key_of(f, s->lo);
    }
    for (size_t i = 0; i < f->max_frames; i++) {
      slot *s = &f->slots[i];
      if (s->state == USM__FASM_ACTIVE && s->non_key && key_of(f, s->lo) < kf_lo) slot_kill(f, s);
    }
    long o;
    while ((o = oldest_slot(f)) >= 0 && f->slots[o].state == USM__FASM_DEAD) {
      advance_anchor(f, (uint16_t)(f->slots[o].hi + 1));
      slot_free(f, (size_t)o); /* already gone; a no-op unless the anchor refused to move */
    }
  }
  long pick = -1;
  for (size_t i = 0; i < f->max_frames; i++) {
    slot *s = &f->slots[i];
    if (!complete(f, s)) continue;
    if (!s->keyframe) {
      if (f->chain != CHAIN_OK) {
        f->want_kf = 1; /* deltas without a reference: ask for a keyframe */
        continue;
      }
      if (!usm__fasm_follows_anchor(f, s->lo) && !(follows && follows(ctx, f, i))) continue;
    }
    if (pick < 0 || key_of(f, s->lo) < key_of(f, f->slots[pick].lo)) pick = (long)i;
  }
  return pick;
}

static int cmp_key(const void *x, const void *y) {
  const usm__fasm_pkt *p = x, *q = y;
  return (p->key > q->key) - (p->key < q->key);
}

void usm__fasm_sort(usm__fasm *f, usm__fasm_slot *s) {
  for (size_t i = 0; i < s->npkts; i++) s->pkts[i].key = key_of(f, s->pkts[i].seq);
  qsort(s->pkts, s->npkts, sizeof *s->pkts, cmp_key);
}

usm_err usm__fasm_concat(usm__fasm *f, const usm__fasm_slot *s, size_t *len) {
  if (grow((void **)&f->out, &f->out_cap, s->data_len ? s->data_len : 1, 1, 4096) != USM_OK)
    return USM_ERR_NO_MEMORY;
  size_t n = 0;
  for (size_t i = 0; i < s->npkts; i++) {
    memcpy(f->out + n, s->data + s->pkts[i].off, s->pkts[i].len);
    n += s->pkts[i].len;
  }
  *len = n;
  return USM_OK;
}

void usm__fasm_corrupt(usm__fasm *f, size_t idx) {
  slot_kill(f, &f->slots[idx]);
  break_chain(f);
}

void usm__fasm_delivered(usm__fasm *f, size_t idx, int keyframe) {
  slot *s = &f->slots[idx];
  uint16_t next = (uint16_t)(s->end_seq + 1);
  f->have_last = 1;
  f->last_ts = s->ts;
  slot_free(f, idx);
  advance_anchor(f, next); /* older frames are dropped: a keyframe does not need them */
  if (keyframe) {
    f->chain = CHAIN_OK;
    f->want_kf = 0;
    f->stats.keyframes_delivered++;
  }
  for (size_t i = 0; i < f->max_frames; i++) {
    slot *o = &f->slots[i];
    /* a timestamp that is not newer is not a later frame: garbage */
    if (o->state != USM__FASM_EMPTY && (int32_t)(o->ts - f->last_ts) <= 0) {
      if (o->state == USM__FASM_ACTIVE) f->stats.frames_dropped++;
      slot_free(f, i);
    }
    /* a frame given up after this one means the chain will break there */
    if (o->state == USM__FASM_DEAD) break_chain(f);
  }
  f->stats.frames_delivered++;
}

size_t usm__fasm_missing(const usm__fasm *f, uint16_t *out, size_t cap, size_t window) {
  if (!out || !cap || !f->started) return 0;
  int any = 0;
  uint16_t lo = 0, hi = 0;
  for (size_t i = 0; i < f->max_frames; i++) {
    const slot *s = &f->slots[i];
    if (s->state == USM__FASM_EMPTY) continue;
    uint16_t kl = key_of(f, s->lo), kh = key_of(f, s->hi);
    if (!any || kl < lo) lo = kl;
    if (!any || kh > hi) hi = kh;
    any = 1;
  }
  for (size_t i = 0; i < f->nfiller; i++) {
    uint16_t q = f->filler[(f->filler_head + i) % FILLER_RING];
    uint16_t k = key_of(f, q);
    if (f->owner[q] != OWNER_FILLER || k >= KEY_LATE) continue;
    if (!any || k < lo) lo = k;
    if (!any || k > hi) hi = k;
    any = 1;
  }
  if (!any) return 0;
  if (f->have_floor) lo = 0;
  if (hi - lo + 1u > window) lo = (uint16_t)(hi - window + 1);
  size_t n = 0;
  for (uint32_t k = lo; k <= hi && n < cap; k++) {
    uint16_t q = (uint16_t)(f->anchor + k);
    if (!f->owner[q]) out[n++] = q;
  }
  return n;
}

void usm__fasm_give_up(usm__fasm *f) {
  long newest = -1;
  for (size_t i = 0; i < f->max_frames; i++) {
    const slot *s = &f->slots[i];
    if (complete(f, s) && (newest < 0 || key_of(f, s->lo) > key_of(f, f->slots[newest].lo)))
      newest = (long)i;
  }
  if (newest < 0) return;
  /* What is still here after popping is blocked: whatever it waits for is lost. */
  uint16_t lo = key_of(f, f->slots[newest].lo);
  for (size_t i = 0; i < f->max_frames; i++) {
    slot *s = &f->slots[i];
    if (s->state == USM__FASM_ACTIVE && !complete(f, s) && key_of(f, s->lo) < lo) slot_kill(f, s);
  }
  break_chain(f);
}

size_t usm__fasm_buffered(const usm__fasm *f) {
  size_t n = 0;
  for (size_t i = 0; i < f->max_frames; i++) n += f->slots[i].state != USM__FASM_EMPTY;
  return n;
}
