/* The adaptive audio jitter buffer (see jitter_audio.h, docs/jitter-buffer.md).
 *
 * Model: every packet is one frame; its 48 kHz timestamp, unwrapped to 64
 * bits, maps to a playout "slot" (timestamp / frame). Slots index a ring of
 * `capacity` entries, so reordering, duplicates and the FEC look-ahead are
 * O(1). Delay is measured against the fastest recent path: transit = arrival
 * - timestamp (in µs); the minimum transit over the last ~2 s is the
 * "nominal" arrival of any timestamp. A pull at time T for slot s then has
 * delay = T - time(s) - min_transit: how long after its nominal arrival the
 * frame plays. The jitter envelope is the relative delay (transit - min)
 * with an instant rise and an exponential fall; target = headroom + envelope,
 * clamped. The pull drops or inserts one frame when the delay is a frame
 * away from the target, which also absorbs clock drift: a faster sender
 * raises the delay (min transit falls), a slower one lowers it. */
#include "codec/jitter_audio.h"

#include <stdlib.h>
#include <string.h>

#define RATE_KHZ 48
#define US_LIMIT ((uint64_t)1 << 62)
/* Unwrapped timestamps start here: far from 0 so nothing goes negative. */
#define EXT_ORIGIN ((int64_t)1 << 40)
/* Minimum transit window: NB buckets of BUCKET_US of arrival time. Short, so
 * a slower sender clock (rising transit) is followed within ~2 s. */
#define BUCKET_US 500000
#define NB 4
/* At most one paced drop per this many pulls: shrinking is slow on purpose. */
#define DROP_PACE 5
/* A sequence gap this large is not counted as loss (restart or garbage). */
#define MAX_SEQ_GAP 1000

typedef struct entry {
  uint8_t used;
  uint16_t seq;
  uint32_t ts;
  int64_t slot;
  size_t len;
} entry;

struct usm__audio_jb {
  /* configuration, resolved */
  uint32_t fs;      /* samples per frame */
  int64_t frame_us;
  int64_t min_us, max_us, headroom_us, decay_us;
  int64_t lookahead_us; /* one frame with FEC, else 0 */
  size_t max_payload;
  unsigned cap;
  int64_t restart_slots;
  entry *ent;
  uint8_t *pool;    /* cap * max_payload bytes */

  /* the stream */
  int started, playing;
  uint32_t ssrc;
  uint32_t ts_max, ts0;
  int64_t ext_max, ext0;
  int64_t next_slot;
  uint64_t played_mask; /* bit i: slot next_slot-1-i was consumed from a packet */
  int have_last_seq;
  uint16_t last_seq;
  int cand_valid;   /* restart candidate: a big jump seen once */
  uint16_t cand_seq;
  uint32_t cand_ts, cand_ssrc;

  /* delay estimation */
  struct {
    int valid;
    int64_t idx, min;
  } bucket[NB];
  int64_t bucket_cur;
  int have_min;
  int64_t min_transit;
  int64_t env_us;
  int64_t last_arrival;
  unsigned pulls_since_drop;

  usm__ajb_stats st;
};

static int64_t ext_us(int64_t ext) { return ext * 125 / 6; } /* 48 kHz samples -> µs */

static int64_t slot_of(const usm__audio_jb *jb, int64_t ext) { return (ext + jb->fs / 2) / jb->fs; }

static uint32_t ts_of_slot(const usm__audio_jb *jb, int64_t slot) {
  return jb->ts0 + (uint32_t)(uint64_t)(slot * (int64_t)jb->fs - jb->ext0);
}

static entry *entry_at(usm__audio_jb *jb, int64_t slot) {
  entry *e = &jb->ent[(uint64_t)slot % jb->cap];
  return e->used && e->slot == slot ? e : NULL;
}

static int32_t ms32(int64_t us) {
  int64_t ms = us / 1000;
  return ms > INT32_MAX ? INT32_MAX : ms < INT32_MIN ? INT32_MIN : (int32_t)ms;
}

static int64_t target_us(const usm__audio_jb *jb) {
  int64_t t = jb->headroom_us + jb->env_us + jb->lookahead_us;
  if (t < jb->min_us + jb->lookahead_us) t = jb->min_us + jb->lookahead_us;
  if (t > jb->max_us) t = jb->max_us;
  return t;
}

static void forget_stream(usm__audio_jb *jb) {
  for (unsigned i = 0; i < jb->cap; i++) jb->ent[i].used = 0;
  memset(jb->bucket, 0, sizeof jb->bucket);
  jb->started = jb->playing = 0;
  jb->have_last_seq = jb->cand_valid = jb->have_min = 0;
  jb->played_mask = 0;
  jb->env_us = 0;
  jb->pulls_since_drop = 0;
  jb->st.buffered = 0;
}

static void start_stream(usm__audio_jb *jb, uint32_t ssrc, uint32_t ts) {
  forget_stream(jb);
  jb->started = 1;
  jb->ssrc = ssrc;
  jb->ts0 = jb->ts_max = ts;
  /* a frame multiple, so aligned senders map to slots exactly */
  jb->ext0 = jb->ext_max = EXT_ORIGIN / jb->fs * jb->fs;
  jb->next_slot = slot_of(jb, jb->ext0);
}

/* A packet leaves the buffer (played or dropped): loss accounting by sequence. */
static void consume_seq(usm__audio_jb *jb, uint16_t seq) {
  if (jb->have_last_seq) {
    uint16_t gap = (uint16_t)(seq - jb->last_seq);
    if (gap >= 1 && gap < MAX_SEQ_GAP) jb->st.lost += gap - 1u;
  }
  jb->have_last_seq = 1;
  jb->last_seq = seq;
}

/* Move the playout point one slot on; consumed: a packet was used for it. */
static void step(usm__audio_jb *jb, int consumed) {
  jb->played_mask = (jb->played_mask << 1) | (consumed ? 1u : 0u);
  jb->next_slot++;
}

/* Skip n slots without playing them (their packets are dropped). */
static void skip(usm__audio_jb *jb, int64_t n) {
  int64_t per_slot = n < (int64_t)jb->cap ? n : (int64_t)jb->cap;
  for (int64_t i = 0; i < per_slot; i++) {
    entry *e = entry_at(jb, jb->next_slot);
    if (e) {
      consume_seq(jb, e->seq);
      e->used = 0;
      jb->st.buffered--;
    }
    step(jb, e != NULL);
  }
  if (n > per_slot) { /* nothing is held that far: jump */
    jb->next_slot += n - per_slot;
    jb->played_mask = 0;
  }
}

/* Minimum transit over the recent window, and the jitter envelope. */
static void observe(usm__audio_jb *jb, int64_t arrival, int64_t transit) {
  int64_t idx = arrival / BUCKET_US;
  if (!jb->have_min || idx > jb->bucket_cur) jb->bucket_cur = idx;
  if (idx + NB > jb->bucket_cur) {
    int b = (int)(idx % NB);
    if (!jb->bucket[b].valid || jb->bucket[b].idx < idx) {
      jb->bucket[b].valid = 1;
      jb->bucket[b].idx = idx;
      jb->bucket[b].min = transit;
    } else if (jb->bucket[b].idx == idx && transit < jb->bucket[b].min) {
      jb->bucket[b].min = transit;
    }
  }
  int found = 0;
  int64_t m = 0;
  for (int b = 0; b < NB; b++)
    if (jb->bucket[b].valid && jb->bucket[b].idx + NB > jb->bucket_cur && (!found || jb->bucket[b].min < m)) {
      m = jb->bucket[b].min;
      found = 1;
    }
  if (!found) m = transit;
  jb->min_transit = m;

  int64_t d = transit - m;
  if (d < 0) d = 0;
  if (d > jb->max_us) d = jb->max_us;
  if (!jb->have_min) {
    jb->have_min = 1;
    jb->last_arrival = arrival;
  }
  if (arrival > jb->last_arrival) {
    int64_t dt = arrival - jb->last_arrival;
    if (dt > jb->decay_us) dt = jb->decay_us;
    if (jb->env_us > d) jb->env_us -= (jb->env_us - d) * dt / jb->decay_us;
    jb->last_arrival = arrival;
  }
  if (d > jb->env_us) jb->env_us = d; /* rise at once */
}

usm_err usm__audio_jb_create(const usm__audio_jb_config *cfg, usm__audio_jb **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm__audio_jb_config c;
  if (cfg)
    c = *cfg;
  else
    memset(&c, 0, sizeof c);
  if (!c.frame_ms) c.frame_ms = USM__AJB_DEFAULT_FRAME_MS;
  if (!c.min_delay_ms) c.min_delay_ms = USM__AJB_DEFAULT_MIN_DELAY_MS;
  if (!c.max_delay_ms) c.max_delay_ms = USM__AJB_DEFAULT_MAX_DELAY_MS;
  if (!c.headroom_ms) c.headroom_ms = USM__AJB_DEFAULT_HEADROOM_MS;
  if (!c.decay_ms) c.decay_ms = USM__AJB_DEFAULT_DECAY_MS;
  if (!c.max_payload) c.max_payload = USM__AJB_DEFAULT_MAX_PAYLOAD;
  if (c.frame_ms != 10 && c.frame_ms != 20) return USM_ERR_INVALID_ARG;
  if (c.min_delay_ms > c.max_delay_ms || c.max_delay_ms > USM__AJB_MAX_DELAY_LIMIT_MS) return USM_ERR_INVALID_ARG;
  if (c.headroom_ms > c.max_delay_ms || c.decay_ms > 60000u) return USM_ERR_INVALID_ARG;
  if (c.max_payload > USM__AJB_MAX_PAYLOAD_LIMIT) return USM_ERR_INVALID_ARG;
  unsigned need = c.max_delay_ms / c.frame_ms + 2u;
  if (!c.capacity) c.capacity = c.max_delay_ms / c.frame_ms + 16u;
  if (c.capacity < need || c.capacity > USM__AJB_MAX_CAPACITY) return USM_ERR_INVALID_ARG;

  usm__audio_jb *jb = calloc(1, sizeof *jb);
  if (!jb) return USM_ERR_NO_MEMORY;
  jb->ent = calloc(c.capacity, sizeof *jb->ent);
  jb->pool = malloc((size_t)c.capacity * c.max_payload);
  if (!jb->ent || !jb->pool) {
    usm__audio_jb_destroy(jb);
    return USM_ERR_NO_MEMORY;
  }
  jb->fs = c.frame_ms * RATE_KHZ;
  jb->frame_us = (int64_t)c.frame_ms * 1000;
  jb->min_us = (int64_t)c.min_delay_ms * 1000;
  jb->max_us = (int64_t)c.max_delay_ms * 1000;
  jb->headroom_us = (int64_t)c.headroom_ms * 1000;
  jb->decay_us = (int64_t)c.decay_ms * 1000;
  jb->lookahead_us = c.fec ? jb->frame_us : 0;
  jb->max_payload = c.max_payload;
  jb->cap = c.capacity;
  jb->restart_slots = USM__AJB_RESTART_MS / c.frame_ms;
  jb->st.target_ms = (uint32_t)(target_us(jb) / 1000);
  *out = jb;
  return USM_OK;
}

void usm__audio_jb_destroy(usm__audio_jb *jb) {
  if (!jb) return;
  free(jb->ent);
  free(jb->pool);
  free(jb);
}

void usm__audio_jb_reset(usm__audio_jb *jb) {
  if (jb) forget_stream(jb);
}

usm_err usm__audio_jb_insert(usm__audio_jb *jb, uint32_t ssrc, uint16_t seq, uint32_t rtp_ts,
                             uint64_t arrival_us, const uint8_t *payload, size_t len,
                             usm__ajb_put *what) {
  usm__ajb_put put = USM__AJB_PUT_STORED;
  if (what) *what = put;
  if (!jb || (!payload && len) || arrival_us >= US_LIMIT) return USM_ERR_INVALID_ARG;
  jb->st.received++;
  if (len == 0 || len > jb->max_payload) {
    jb->st.rejected++;
    return len ? USM_ERR_LIMIT : USM_ERR_MALFORMED;
  }
  if (jb->started && ssrc != jb->ssrc) { /* a new source: the caller demuxes by SSRC, so it replaced the old */
    jb->st.restarts++;
    put = USM__AJB_PUT_RESTART;
    jb->started = 0;
  }
  if (!jb->started) start_stream(jb, ssrc, rtp_ts);

  int64_t ext = jb->ext_max + (int32_t)(rtp_ts - jb->ts_max);
  int64_t slot = slot_of(jb, ext);
  if (slot < jb->next_slot - jb->restart_slots || slot >= jb->next_slot + jb->restart_slots) {
    /* A big jump: a restart once a second packet follows in sequence (RFC
     * 3550 A.1's rule), so one stray packet cannot flush the buffer. */
    if (jb->cand_valid && seq == (uint16_t)(jb->cand_seq + 1u) && ssrc == jb->cand_ssrc &&
        (uint32_t)(rtp_ts - jb->cand_ts) <= 48000u) {
      jb->st.restarts++;
      put = USM__AJB_PUT_RESTART;
      start_stream(jb, ssrc, rtp_ts);
      ext = jb->ext_max;
      slot = slot_of(jb, ext);
    } else {
      jb->cand_valid = 1;
      jb->cand_seq = seq;
      jb->cand_ts = rtp_ts;
      jb->cand_ssrc = ssrc;
      if (what) *what = USM__AJB_PUT_PROBATION;
      return USM_OK;
    }
  }
  jb->cand_valid = 0;
  if (ext > jb->ext_max) {
    jb->ext_max = ext;
    jb->ts_max = rtp_ts;
  }

  /* Too old for this buffer? */
  if (slot < jb->next_slot && !jb->playing) {
    /* Before playout starts, an earlier packet moves the start back if
     * everything held still fits the ring. */
    int fits = 1;
    for (unsigned i = 0; i < jb->cap; i++)
      if (jb->ent[i].used && jb->ent[i].slot >= slot + (int64_t)jb->cap) fits = 0;
    if (fits) {
      jb->next_slot = slot;
      jb->played_mask = 0;
    }
  }
  if (slot < jb->next_slot) {
    int64_t age = jb->next_slot - 1 - slot;
    if (age < 64 && (jb->played_mask >> age) & 1u) {
      jb->st.duplicate++;
      if (what) *what = USM__AJB_PUT_DUPLICATE;
    } else {
      jb->st.late++;
      if (what) *what = USM__AJB_PUT_LATE;
      observe(jb, (int64_t)arrival_us, (int64_t)arrival_us - ext_us(ext)); /* late packets are jitter too */
    }
    return USM_OK;
  }
  if (entry_at(jb, slot)) {
    jb->st.duplicate++;
    if (what) *what = USM__AJB_PUT_DUPLICATE;
    return USM_OK;
  }
  observe(jb, (int64_t)arrival_us, (int64_t)arrival_us - ext_us(ext));
  if (slot >= jb->next_slot + (int64_t)jb->cap) {
    /* Far ahead of playout (the caller stopped pulling, or a fast burst):
     * make room by skipping the oldest frames. */
    int64_t n = slot - (int64_t)jb->cap + 1 - jb->next_slot;
    skip(jb, n);
    if (jb->playing) jb->st.accelerated += (uint64_t)n;
  }
  entry *e = &jb->ent[(uint64_t)slot % jb->cap];
  e->used = 1;
  e->slot = slot;
  e->seq = seq;
  e->ts = rtp_ts;
  e->len = len;
  memcpy(jb->pool + (size_t)((uint64_t)slot % jb->cap) * jb->max_payload, payload, len);
  jb->st.buffered++;
  if (what) *what = put;
  return USM_OK;
}

usm_err usm__audio_jb_pull(usm__audio_jb *jb, uint64_t now_us, usm__ajb_frame *out) {
  if (!out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  out->action = USM__AJB_SILENCE;
  if (!jb || now_us >= US_LIMIT) return USM_ERR_INVALID_ARG;
  out->samples = jb->fs;
  if (!jb->started) return USM_OK;

  int64_t target = target_us(jb);
  int64_t delay = (int64_t)now_us - jb->next_slot * jb->frame_us - jb->min_transit;
  jb->st.target_ms = (uint32_t)(target / 1000);
  jb->st.jitter_ms = (uint32_t)(jb->env_us / 1000);
  out->timestamp = ts_of_slot(jb, jb->next_slot);

  int starting = 0;
  if (!jb->playing) {
    /* Wait until the first frame has been held for the target delay. */
    jb->st.delay_ms = ms32(delay);
    if (delay < target - jb->frame_us / 2) return USM_OK;
    jb->playing = starting = 1;
    jb->pulls_since_drop = 0;
  }
  {
    int64_t n = 0;
    if (delay > jb->max_us + jb->frame_us || (starting && delay > target + jb->frame_us)) {
      n = (delay - target) / jb->frame_us; /* far too late (or a late first pull): catch up at once */
    } else if (delay > target + jb->frame_us && jb->pulls_since_drop >= DROP_PACE) {
      n = 1;
    } else if (delay < target - jb->frame_us && !starting) {
      /* Grow: an extra concealed frame, the playout point stays. */
      jb->st.delay_ms = ms32(delay);
      jb->st.decelerated++;
      jb->pulls_since_drop++;
      out->action = USM__AJB_CONCEAL;
      out->inserted = 1;
      return USM_OK;
    }
    if (n > 0) {
      skip(jb, n);
      jb->st.accelerated += (uint64_t)n;
      out->dropped = n > (int64_t)UINT32_MAX ? UINT32_MAX : (unsigned)n;
      delay -= n * jb->frame_us;
      jb->pulls_since_drop = 0;
      out->timestamp = ts_of_slot(jb, jb->next_slot);
    } else {
      jb->pulls_since_drop++;
    }
    if (delay > target + jb->frame_us / 2) {
      out->hint = USM__AJB_HINT_ACCELERATE;
      jb->st.hint_accelerate++;
    } else if (delay < target - jb->frame_us / 2) {
      out->hint = USM__AJB_HINT_DECELERATE;
      jb->st.hint_decelerate++;
    }
  }
  jb->st.delay_ms = ms32(delay);

  entry *e = entry_at(jb, jb->next_slot);
  if (e) {
    out->action = USM__AJB_PLAY;
    out->payload = jb->pool + (size_t)((uint64_t)e->slot % jb->cap) * jb->max_payload;
    out->len = e->len;
    out->seq = e->seq;
    out->timestamp = e->ts;
    consume_seq(jb, e->seq);
    e->used = 0; /* the bytes stay until a packet reuses the entry */
    jb->st.buffered--;
    jb->st.played++;
    step(jb, 1);
    return USM_OK;
  }
  entry *next = entry_at(jb, jb->next_slot + 1);
  if (next) {
    out->action = USM__AJB_FEC;
    out->payload = jb->pool + (size_t)((uint64_t)next->slot % jb->cap) * jb->max_payload;
    out->len = next->len;
    out->seq = next->seq;
    jb->st.fec_recovered++;
  } else {
    out->action = USM__AJB_CONCEAL;
    jb->st.concealed++;
  }
  step(jb, 0);
  return USM_OK;
}

void usm__audio_jb_stats(const usm__audio_jb *jb, usm__ajb_stats *out) {
  if (!out) return;
  if (!jb) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = jb->st;
}
