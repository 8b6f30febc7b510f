/* Sender-side bandwidth estimation (see bwe.h and docs/bandwidth.md). */
#include "media/bwe.h"

#include <stdlib.h>

/* Loss thresholds in RTCP's 1/256 units, compared as fl*100 against pct*256:
 * below 2 % (fl <= 5) is noise the path lives with, so grow; above 10 %
 * (fl >= 26) the path is overloaded, so cut (gcc-02 §6; libwebrtc's
 * kDefaultLowLossThreshold 0.02 / kDefaultHighLossThreshold 0.1). */
#define LOW_LOSS_PCT 2u
#define HIGH_LOSS_PCT 10u
/* Growth: 8 % per second (libwebrtc's 1.08 per kBweIncreaseInterval; gcc-02
 * says 5 %, libwebrtc found 8 % ramps usefully faster without more loss),
 * plus 1 kbit/s per second so a low rate does not creep. Scaled by the time
 * since the last evaluation, at most 1 s of it (one report cannot vouch for
 * more), and not more often than 200 ms + RTT (an increase cannot show in
 * the loss before that). */
#define INCREASE_PCT_PER_S 8u
#define INCREASE_BPS_PER_S 1000u
#define INCREASE_INTERVAL_MS 200u
#define INCREASE_MAX_STEP_US 1000000u
/* Cuts: at most once per 300 ms + RTT (libwebrtc's kBweDecreaseInterval),
 * so the effect of one cut is seen before the next. */
#define DECREASE_INTERVAL_MS 300u
/* RTT beyond this is treated as this in the intervals: a broken measurement
 * must not freeze the controller. */
#define RTT_INTERVAL_CAP_MS 1000u
/* Merge report blocks until they cover this many packets (libwebrtc's
 * kLimitNumPackets): a fraction over a handful of packets is mostly noise. */
#define MIN_PACKETS_PER_SAMPLE 20u
/* The first 2 s (libwebrtc's kStartPhase): before any loss is seen, a REMB
 * above the target is taken as the target (the receiver knows better than
 * our guess of a start rate). */
#define START_PHASE_US 2000000u
/* Application-limited: increases stop at 1.5x the largest rate sent in the
 * last 2 s + 10 kbit/s. Without it a sender that sends less than the target
 * (static scene, muted video) would see no loss and inflate the target far
 * beyond anything the path was tested with. 2 s covers two or more on_sent
 * samples at the suggested 0.2-1 s cadence. */
#define SENT_WINDOW_US 2000000u
#define SENT_SLOTS 16u
#define SENT_HEADROOM_BPS 10000u

struct usm__bwe {
  uint32_t min_bps, max_bps;
  uint32_t target;
  uint8_t started;          /* an event has been seen; t0_us valid */
  uint8_t seen_loss;        /* a loss sample above 0 */
  uint8_t decreased_any;    /* last_dec_us valid */
  uint8_t have_remb;
  uint8_t last_fl;
  uint64_t t0_us, last_now_us, last_inc_us, last_dec_us;
  uint32_t rtt_ms;
  uint64_t acc_lost_q8, acc_packets; /* merged blocks not yet evaluated */
  uint64_t remb_bps, remb_us;
  struct {
    uint64_t us;
    uint32_t bps;
  } sent[SENT_SLOTS];
  uint32_t sent_n, sent_next;
  uint64_t reports, loss_samples, increases, decreases, app_limited;
};

usm_err usm__bwe_create(const usm__bwe_cfg *cfg, usm__bwe **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm__bwe_cfg c = {0};
  if (cfg) c = *cfg;
  if (!c.start_bps) c.start_bps = USM__BWE_DEFAULT_START_BPS;
  if (!c.min_bps) c.min_bps = USM__BWE_DEFAULT_MIN_BPS;
  if (!c.max_bps) c.max_bps = USM__BWE_DEFAULT_MAX_BPS;
  if (c.min_bps > c.max_bps) return USM_ERR_INVALID_ARG;
  usm__bwe *b = calloc(1, sizeof *b);
  if (!b) return USM_ERR_NO_MEMORY;
  b->min_bps = c.min_bps;
  b->max_bps = c.max_bps;
  b->target = c.start_bps < c.min_bps ? c.min_bps : c.start_bps > c.max_bps ? c.max_bps : c.start_bps;
  *out = b;
  return USM_OK;
}

void usm__bwe_destroy(usm__bwe *b) { free(b); }

/* "now - then >= span", false when the clock went back past @p then. */
static int elapsed(uint64_t now, uint64_t then, uint64_t span) { return now >= then && now - then >= span; }

/* The growth reference only moves forward: a clock that went back earns
 * no growth until it passes the old reference again. */
static void no_growth_until(usm__bwe *b, uint64_t now) {
  if (now > b->last_inc_us) b->last_inc_us = now;
}

static void touch(usm__bwe *b, uint64_t now) {
  if (!b->started) {
    b->started = 1;
    b->t0_us = now;
    b->last_inc_us = now; /* growth is credited from the first event on */
  }
  b->last_now_us = now;
}

static int remb_valid(const usm__bwe *b, uint64_t now) {
  if (!b->have_remb) return 0;
  /* a clock that went back counts as "just arrived" */
  return now < b->remb_us || now - b->remb_us <= (uint64_t)USM__BWE_REMB_TIMEOUT_MS * 1000u;
}

static uint32_t clamp(const usm__bwe *b, uint64_t v, uint64_t now) {
  if (remb_valid(b, now) && v > b->remb_bps) v = b->remb_bps;
  if (v < b->min_bps) v = b->min_bps;
  if (v > b->max_bps) v = b->max_bps;
  return (uint32_t)v;
}

/* The recent sent rate: the largest sample of the window, else the latest;
 * 0 and *known 0 when on_sent was never called. */
static uint32_t recent_sent(const usm__bwe *b, uint64_t now, int *known) {
  *known = b->sent_n > 0;
  if (!b->sent_n) return 0;
  uint32_t best = 0;
  int any = 0;
  for (uint32_t i = 0; i < b->sent_n; i++) {
    if (b->sent[i].us > now || now - b->sent[i].us <= SENT_WINDOW_US) {
      if (!any || b->sent[i].bps > best) best = b->sent[i].bps;
      any = 1;
    }
  }
  if (any) return best;
  return b->sent[(b->sent_next + SENT_SLOTS - 1u) % SENT_SLOTS].bps;
}

static uint64_t rtt_us(const usm__bwe *b) {
  uint32_t r = b->rtt_ms < RTT_INTERVAL_CAP_MS ? b->rtt_ms : RTT_INTERVAL_CAP_MS;
  return (uint64_t)r * 1000u;
}

static void increase(usm__bwe *b, uint64_t now) {
  if (!elapsed(now, b->last_inc_us, (uint64_t)INCREASE_INTERVAL_MS * 1000u + rtt_us(b))) return;
  uint64_t dt = now - b->last_inc_us;
  if (dt > INCREASE_MAX_STEP_US) dt = INCREASE_MAX_STEP_US;
  b->last_inc_us = now;
  uint64_t cur = b->target;
  uint64_t next = cur + cur * INCREASE_PCT_PER_S * dt / 100000000u + INCREASE_BPS_PER_S * dt / 1000000u;
  int known;
  uint64_t sent = recent_sent(b, now, &known);
  if (known) {
    uint64_t cap = sent + sent / 2u + SENT_HEADROOM_BPS;
    if (cap < cur) cap = cur; /* the bound stops growth, it never cuts */
    if (next > cap) {
      next = cap;
      b->app_limited++;
    }
  }
  uint32_t n = clamp(b, next, now);
  if (n > b->target) b->increases++;
  b->target = n;
}

static void decrease(usm__bwe *b, uint8_t fl, uint64_t now) {
  no_growth_until(b, now); /* a lossy interval earns no growth */
  if (b->decreased_any && !elapsed(now, b->last_dec_us, (uint64_t)DECREASE_INTERVAL_MS * 1000u + rtt_us(b)))
    return;
  b->decreased_any = 1;
  b->last_dec_us = now;
  /* target * (1 - 0.5 * fl/256) */
  uint32_t n = clamp(b, (uint64_t)b->target * (512u - fl) / 512u, now);
  if (n < b->target) b->decreases++;
  b->target = n;
}

static void evaluate(usm__bwe *b, uint8_t fl, uint64_t now) {
  b->loss_samples++;
  b->last_fl = fl;
  if (fl) b->seen_loss = 1;
  if ((uint32_t)fl * 100u < LOW_LOSS_PCT * 256u) {
    increase(b, now);
  } else if ((uint32_t)fl * 100u > HIGH_LOSS_PCT * 256u) {
    decrease(b, fl, now);
  } else {
    no_growth_until(b, now); /* hold: and the interval earns no growth */
    b->target = clamp(b, b->target, now);
  }
}

void usm__bwe_on_report(usm__bwe *b, uint8_t fraction_lost, uint32_t rtt_ms, uint32_t packets,
                        uint64_t now_us) {
  if (!b) return;
  touch(b, now_us);
  b->reports++;
  if (rtt_ms) b->rtt_ms = rtt_ms;
  if (!packets) {
    evaluate(b, fraction_lost, now_us);
    return;
  }
  /* at most 255 * 2^32 per block, and the sum is reset once >= 20 packets */
  b->acc_lost_q8 += (uint64_t)fraction_lost * packets;
  b->acc_packets += packets;
  if (b->acc_packets < MIN_PACKETS_PER_SAMPLE) return;
  uint8_t fl = (uint8_t)(b->acc_lost_q8 / b->acc_packets);
  b->acc_lost_q8 = 0;
  b->acc_packets = 0;
  evaluate(b, fl, now_us);
}

void usm__bwe_on_remb(usm__bwe *b, uint64_t bitrate_bps, uint64_t now_us) {
  if (!b) return;
  touch(b, now_us);
  b->have_remb = 1;
  b->remb_bps = bitrate_bps;
  b->remb_us = now_us;
  uint32_t n = clamp(b, b->target, now_us);
  int start_phase = now_us >= b->t0_us && now_us - b->t0_us < START_PHASE_US;
  if (start_phase && !b->seen_loss && bitrate_bps > n) {
    n = clamp(b, bitrate_bps, now_us);
    if (n > b->target) b->increases++;
  } else if (n < b->target) {
    b->decreases++;
  }
  b->target = n;
}

void usm__bwe_on_sent(usm__bwe *b, uint32_t sent_bps, uint64_t now_us) {
  if (!b) return;
  touch(b, now_us);
  b->sent[b->sent_next].us = now_us;
  b->sent[b->sent_next].bps = sent_bps;
  b->sent_next = (b->sent_next + 1u) % SENT_SLOTS;
  if (b->sent_n < SENT_SLOTS) b->sent_n++;
}

uint32_t usm__bwe_target(const usm__bwe *b) { return b ? b->target : 0; }

void usm__bwe_split(uint32_t total_bps, uint32_t audio_max_bps, uint32_t video_min_bps,
                    uint32_t video_max_bps, uint32_t *audio_bps, uint32_t *video_bps) {
  uint32_t vmin = video_min_bps < video_max_bps ? video_min_bps : video_max_bps;
  uint32_t floor = audio_max_bps < USM__BWE_AUDIO_FLOOR_BPS ? audio_max_bps : USM__BWE_AUDIO_FLOOR_BPS;
  /* audio first gives way to video's minimum, down to its floor */
  uint32_t a = total_bps > vmin ? total_bps - vmin : 0;
  if (a > audio_max_bps) a = audio_max_bps;
  if (a < floor) a = floor;
  uint32_t v = total_bps > a ? total_bps - a : 0;
  if (v > video_max_bps) v = video_max_bps;
  if (v < vmin) v = vmin;
  if (audio_bps) *audio_bps = a;
  if (video_bps) *video_bps = v;
}

void usm__bwe_get_stats(const usm__bwe *b, usm__bwe_stats *out) {
  if (!out) return;
  usm__bwe_stats z = {0};
  *out = z;
  if (!b) return;
  out->target_bps = b->target;
  out->fraction_lost = b->last_fl;
  out->loss_pct = ((uint32_t)b->last_fl * 100u + 128u) / 256u;
  out->remb_bps = b->have_remb ? b->remb_bps : 0;
  out->remb_active = remb_valid(b, b->last_now_us);
  out->rtt_ms = b->rtt_ms;
  int known;
  out->sent_bps = recent_sent(b, b->last_now_us, &known);
  out->reports = b->reports;
  out->loss_samples = b->loss_samples;
  out->increases = b->increases;
  out->decreases = b->decreases;
  out->app_limited = b->app_limited;
}
