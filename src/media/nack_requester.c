/* Receive-side NACK scheduling (see nack_requester.h). */
#include "media/nack_requester.h"

#include <stdlib.h>
#include <string.h>

typedef struct nack_entry {
  uint64_t ext;          /* extended sequence number */
  uint64_t seen_us;      /* when the gap was noticed */
  uint64_t last_us;      /* last NACK, valid when tries > 0 */
  uint32_t tries;
} nack_entry;

struct usm__nack_requester {
  usm__nack_cfg cfg;
  nack_entry *e;         /* sorted by ext, oldest first */
  size_t n;
  uint8_t started;
  uint8_t want_keyframe;
  uint8_t have_bad;
  uint16_t bad_next;     /* the sequence number that confirms a jump as a restart */
  uint64_t newest;       /* extended */
  usm__nack_stats stats;
};

/* Extended numbers start one cycle up so a step back never goes below 0. */
#define EXT_BASE 0x10000u

usm_err usm__nack_create(const usm__nack_cfg *cfg, usm__nack_requester **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm__nack_cfg c = {0};
  if (cfg) c = *cfg;
  if (!c.max_missing) c.max_missing = USM__NACK_DEFAULT_MAX_MISSING;
  if (!c.max_retries) c.max_retries = USM__NACK_DEFAULT_MAX_RETRIES;
  if (!c.max_age_ms) c.max_age_ms = USM__NACK_DEFAULT_MAX_AGE_MS;
  if (!c.reorder_wait_ms) c.reorder_wait_ms = USM__NACK_DEFAULT_REORDER_WAIT_MS;
  if (c.max_missing > USM__NACK_MAX_MISSING_LIMIT || c.max_retries > USM__NACK_MAX_RETRIES_LIMIT)
    return USM_ERR_INVALID_ARG;
  usm__nack_requester *r = calloc(1, sizeof *r);
  if (!r) return USM_ERR_NO_MEMORY;
  r->e = calloc(c.max_missing, sizeof *r->e);
  if (!r->e) {
    free(r);
    return USM_ERR_NO_MEMORY;
  }
  r->cfg = c;
  *out = r;
  return USM_OK;
}

void usm__nack_destroy(usm__nack_requester *r) {
  if (!r) return;
  free(r->e);
  free(r);
}

void usm__nack_reset(usm__nack_requester *r) {
  if (!r) return;
  r->n = 0;
  r->started = 0;
  r->have_bad = 0;
}

static uint64_t elapsed_us(uint64_t now, uint64_t then) { return now > then ? now - then : 0; }

/* Index of the first entry with ext >= @p ext. */
static size_t lower_bound(const usm__nack_requester *r, uint64_t ext) {
  size_t lo = 0, hi = r->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->e[mid].ext < ext) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static void drop_front(usm__nack_requester *r, size_t k) {
  if (k > r->n) k = r->n;
  memmove(r->e, r->e + k, (r->n - k) * sizeof *r->e);
  r->n -= k;
}

static void restart(usm__nack_requester *r, uint16_t seq) {
  r->n = 0;
  r->have_bad = 0;
  r->newest = EXT_BASE + seq;
  r->started = 1;
}

usm__nack_arrival usm__nack_on_packet(usm__nack_requester *r, uint16_t seq, uint64_t now_us) {
  if (!r) return USM__NACK_LATE;
  if (!r->started) {
    restart(r, seq);
    return USM__NACK_IN_ORDER;
  }
  int d = (int16_t)(uint16_t)(seq - (uint16_t)r->newest);
  uint64_t ext = r->newest + (uint64_t)(int64_t)d; /* wraps back for d < 0: intended */
  if (d == 0) return USM__NACK_DUPLICATE;
  if (d < 0) {
    size_t i = lower_bound(r, ext);
    if (i < r->n && r->e[i].ext == ext) {
      int nacked = r->e[i].tries > 0;
      memmove(r->e + i, r->e + i + 1, (r->n - i - 1) * sizeof *r->e);
      r->n--;
      if (nacked) r->stats.recovered++;
      else r->stats.reordered++;
      return nacked ? USM__NACK_RECOVERED : USM__NACK_REORDERED;
    }
    if ((uint32_t)-d <= r->cfg.max_missing) return USM__NACK_LATE;
  }
  if (d < 0 || (uint32_t)d > r->cfg.max_missing) {
    /* Too far to be loss or reordering: a stray packet, or a restarted
     * sender. As in RFC 3550 A.1, the next packet in sequence confirms it. */
    if (r->have_bad && seq == r->bad_next) {
      restart(r, seq);
      r->stats.resets++;
      r->want_keyframe = 1;
      return USM__NACK_RESET;
    }
    r->have_bad = 1;
    r->bad_next = (uint16_t)(seq + 1u);
    return USM__NACK_JUMP;
  }
  if (d == 1) {
    r->newest = ext;
    return USM__NACK_IN_ORDER;
  }
  size_t gap = (size_t)d - 1; /* < max_missing */
  if (r->n + gap > r->cfg.max_missing) {
    size_t k = r->n + gap - r->cfg.max_missing;
    drop_front(r, k);
    r->stats.evicted += k;
    r->want_keyframe = 1;
  }
  for (size_t k = 1; k <= gap; k++) {
    nack_entry *x = &r->e[r->n++];
    x->ext = r->newest + k;
    x->seen_us = now_us;
    x->last_us = 0;
    x->tries = 0;
  }
  r->newest = ext;
  return USM__NACK_GAP;
}

void usm__nack_clear_before(usm__nack_requester *r, uint16_t seq) {
  if (!r || !r->started) return;
  int d = (int16_t)(uint16_t)(seq - (uint16_t)r->newest);
  uint64_t ext = r->newest + (uint64_t)(int64_t)d;
  size_t k = lower_bound(r, ext);
  drop_front(r, k);
  r->stats.cleared += k;
}

static uint64_t retry_us(uint32_t rtt_ms) {
  uint64_t ms = rtt_ms ? rtt_ms : USM__NACK_DEFAULT_RTT_MS;
  if (ms < USM__NACK_MIN_RETRY_MS) ms = USM__NACK_MIN_RETRY_MS;
  return ms * 1000u;
}

size_t usm__nack_tick(usm__nack_requester *r, uint64_t now_us, uint32_t rtt_ms, uint16_t *out, size_t cap,
                      int *want_keyframe) {
  if (want_keyframe) *want_keyframe = 0;
  if (!r) return 0;
  if (!out) cap = 0;
  uint64_t retry = retry_us(rtt_ms);
  uint64_t max_age = (uint64_t)r->cfg.max_age_ms * 1000u;
  uint64_t wait = (uint64_t)r->cfg.reorder_wait_ms * 1000u;
  size_t w = 0, written = 0;
  for (size_t i = 0; i < r->n; i++) {
    nack_entry x = r->e[i];
    uint64_t since_last = x.tries ? elapsed_us(now_us, x.last_us) : 0;
    /* The last try gets one retry interval to be answered before giving up. */
    if (elapsed_us(now_us, x.seen_us) >= max_age || (x.tries >= r->cfg.max_retries && since_last >= retry)) {
      r->stats.given_up++;
      r->want_keyframe = 1;
      continue;
    }
    int due = x.tries == 0 ? elapsed_us(now_us, x.seen_us) >= wait
                           : x.tries < r->cfg.max_retries && since_last >= retry;
    if (due && written < cap) {
      out[written++] = (uint16_t)x.ext;
      x.tries++;
      x.last_us = now_us;
      r->stats.nacks_sent++;
    }
    r->e[w++] = x;
  }
  r->n = w;
  if (written) r->stats.nack_ticks++;
  if (r->want_keyframe) {
    r->stats.keyframe_requests++;
    if (want_keyframe) *want_keyframe = 1;
    r->want_keyframe = 0;
  }
  return written;
}

uint64_t usm__nack_next_due_us(const usm__nack_requester *r, uint32_t rtt_ms) {
  if (!r) return UINT64_MAX;
  uint64_t retry = retry_us(rtt_ms);
  uint64_t due = r->want_keyframe ? 0 : UINT64_MAX; /* a keyframe wish to report */
  for (size_t i = 0; i < r->n; i++) {
    const nack_entry *x = &r->e[i];
    uint64_t t = x->tries ? x->last_us + retry : x->seen_us + (uint64_t)r->cfg.reorder_wait_ms * 1000u;
    uint64_t old = x->seen_us + (uint64_t)r->cfg.max_age_ms * 1000u;
    if (old < t) t = old;
    if (t < due) due = t;
  }
  return due;
}

size_t usm__nack_missing_count(const usm__nack_requester *r) { return r ? r->n : 0; }

void usm__nack_get_stats(const usm__nack_requester *r, usm__nack_stats *out) {
  if (!out) return;
  if (!r) {
    usm__nack_stats z = {0};
    *out = z;
    return;
  }
  *out = r->stats;
}
