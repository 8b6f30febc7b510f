/* The adaptive audio jitter buffer on synthetic arrival schedules from a
 * deterministic PRNG: no jitter, uniform 0-60 ms jitter, random and burst
 * (Gilbert-Elliott) loss with FEC, a 300 ms stall, ±0.5 % clock drift over 10
 * minutes, reordering, duplicates, late packets, wrap-arounds and restarts;
 * then real Opus through it, measured against the clean decode. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec/codec.h"
#include "codec/jitter_audio.h"
#include "codec/opus.h"

#define FRAME 960u      /* 20 ms at 48 kHz */
#define FRAME_US 20000u
#define BASE_US 30000u  /* one-way network delay */

static uint32_t rnd(uint32_t *s) { /* xorshift32 */
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}
static double urand(uint32_t *s) { return (double)(rnd(s) >> 8) / 16777216.0; }

/* ---- the simulator ---- */

typedef struct sim_cfg {
  unsigned frames;
  double drift;       /* sender clock faster (+) or slower (-) than ours, e.g. 0.005 */
  double jitter_ms;   /* uniform 0..jitter_ms extra delay per packet */
  double loss;        /* random loss probability */
  int burst;          /* Gilbert-Elliott loss (20 % on average) instead */
  double stall_at_s, stall_ms; /* every packet sent during the stall arrives at its end */
  uint16_t seq0;
  uint32_t ts0;
  uint32_t seed;
  uint64_t pull_phase_us;
  const uint8_t *const *payloads; /* optional real payloads (else 4 bytes: the index) */
  const size_t *lens;
  int fec;            /* the buffer's FEC look-ahead */
} sim_cfg;

typedef struct pkt {
  uint64_t arrival;
  unsigned idx;
  int lost;
} pkt;

typedef struct sim_res {
  usm__ajb_stats st;
  unsigned pulls, play, fec, conceal, silence, inserted;
  int32_t max_delay, min_delay; /* after the warm-up (first 2 s of playout) */
  uint32_t max_target;
  int32_t *delay;               /* per pull */
  uint32_t *target;
  int bad_payload, bad_order, bad_fec;
  unsigned lost_isolated, lost_followed_by_loss; /* frames lost, next one received / lost too */
} sim_res;

static int cmp_pkt(const void *a, const void *b) {
  const pkt *x = a, *y = b;
  if (x->arrival != y->arrival) return x->arrival < y->arrival ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Frame callback for the Opus test; NULL for the synthetic ones. */
typedef void (*frame_fn)(void *user, const usm__ajb_frame *f, const sim_cfg *c);

static void simulate(const sim_cfg *c, usm__audio_jb *jb, sim_res *r, frame_fn fn, void *user) {
  memset(r, 0, sizeof *r);
  uint32_t seed = c->seed ? c->seed : 1;
  pkt *p = calloc(c->frames, sizeof *p);
  unsigned npulls = c->frames + 200;
  r->delay = calloc(npulls, sizeof *r->delay);
  r->target = calloc(npulls, sizeof *r->target);
  if (!p || !r->delay || !r->target) abort();
  int bad = 0;
  const uint64_t t0 = 1000000;
  for (unsigned i = 0; i < c->frames; i++) {
    double send = (double)i * FRAME_US / (1.0 + c->drift);
    double arr = send + BASE_US + c->jitter_ms * 1000.0 * urand(&seed);
    if (c->stall_ms > 0) {
      double s0 = c->stall_at_s * 1e6, s1 = s0 + c->stall_ms * 1000.0;
      if (send >= s0 && send < s1 && arr < s1 + BASE_US) arr = s1 + BASE_US + (send - s0) / 100.0;
    }
    p[i].arrival = t0 + (uint64_t)arr;
    p[i].idx = i;
    if (c->burst) {
      bad = bad ? urand(&seed) >= 0.2 : urand(&seed) < 0.05; /* 20 % of the time in the bad state */
      p[i].lost = bad;
    } else {
      p[i].lost = urand(&seed) < c->loss;
    }
  }
  for (unsigned i = 0; i < c->frames; i++)
    if (p[i].lost) {
      if (i + 1 < c->frames && !p[i + 1].lost)
        r->lost_isolated++;
      else
        r->lost_followed_by_loss++;
    }
  pkt *sorted = malloc(c->frames * sizeof *sorted);
  if (!sorted) abort();
  memcpy(sorted, p, c->frames * sizeof *p);
  qsort(sorted, c->frames, sizeof *sorted, cmp_pkt);

  unsigned next = 0, first_play = 0;
  uint32_t last_ts = 0;
  int have_ts = 0;
  r->min_delay = INT32_MAX;
  r->max_delay = INT32_MIN;
  for (unsigned k = 0; k < npulls; k++) {
    uint64_t now = t0 + c->pull_phase_us + (uint64_t)k * FRAME_US;
    for (; next < c->frames && sorted[next].arrival <= now; next++) {
      const pkt *q = &sorted[next];
      if (q->lost) continue;
      uint8_t idxb[4] = {(uint8_t)q->idx, (uint8_t)(q->idx >> 8), (uint8_t)(q->idx >> 16), 0};
      const uint8_t *pl = c->payloads ? c->payloads[q->idx] : idxb;
      size_t len = c->payloads ? c->lens[q->idx] : sizeof idxb;
      usm__audio_jb_insert(jb, 0x1234, (uint16_t)(c->seq0 + q->idx), c->ts0 + q->idx * FRAME, q->arrival, pl,
                           len, NULL);
    }
    usm__ajb_frame f;
    CHECK_INT(usm__audio_jb_pull(jb, now, &f), USM_OK);
    usm__ajb_stats st;
    usm__audio_jb_stats(jb, &st);
    r->delay[k] = st.delay_ms;
    r->target[k] = st.target_ms;
    /* after the stream's last frame: nothing more to count */
    int past_end = f.action != USM__AJB_SILENCE && (uint32_t)(f.timestamp - c->ts0) / FRAME >= c->frames;
    if (fn) fn(user, &f, c);
    if (past_end) continue;
    r->pulls++;
    switch (f.action) {
    case USM__AJB_SILENCE: r->silence++; break;
    case USM__AJB_PLAY: r->play++; break;
    case USM__AJB_FEC: r->fec++; break;
    case USM__AJB_CONCEAL:
      if (f.inserted)
        r->inserted++;
      else
        r->conceal++;
      break;
    }
    if (f.action == USM__AJB_PLAY || f.action == USM__AJB_FEC) {
      /* the payload is the packet the seq/timestamp say */
      unsigned idx = (uint16_t)(f.seq - c->seq0);
      if (!c->payloads && (f.len != 4 || (f.payload[0] | f.payload[1] << 8 | f.payload[2] << 16) != (int)idx))
        r->bad_payload++;
      if (f.action == USM__AJB_FEC && c->ts0 + idx * FRAME != f.timestamp + FRAME) r->bad_fec++;
      if (f.action == USM__AJB_PLAY && c->ts0 + idx * FRAME != f.timestamp) r->bad_payload++;
    }
    if (f.action != USM__AJB_SILENCE && !f.inserted) {
      if (have_ts && (int32_t)(f.timestamp - last_ts) <= 0) r->bad_order++;
      last_ts = f.timestamp;
      have_ts = 1;
      if (!first_play) first_play = k;
    }
    if (first_play && k > first_play + 100) {
      if (st.delay_ms > r->max_delay) r->max_delay = st.delay_ms;
      if (st.delay_ms < r->min_delay) r->min_delay = st.delay_ms;
    }
    if (st.target_ms > r->max_target) r->max_target = st.target_ms;
  }
  usm__audio_jb_stats(jb, &r->st);
  free(p);
  free(sorted);
}

static void sim_free(sim_res *r) {
  free(r->delay);
  free(r->target);
}

static usm__audio_jb *make_jb_fec(int fec) {
  usm__audio_jb *jb = NULL;
  usm__audio_jb_config cfg = {.fec = fec};
  CHECK_INT(usm__audio_jb_create(&cfg, &jb), USM_OK);
  if (!jb) abort();
  return jb;
}
static usm__audio_jb *make_jb(void) { return make_jb_fec(0); }

static void print_res(const char *name, const sim_res *r) {
  printf("%-14s play %u fec %u conceal %u inserted %u silence %u | delay %d..%d ms target max %u end %u ms"
         " | late %llu lost %llu acc %llu dec %llu\n",
         name, r->play, r->fec, r->conceal, r->inserted, r->silence, (int)r->min_delay, (int)r->max_delay,
         (unsigned)r->max_target, (unsigned)r->st.target_ms, (unsigned long long)r->st.late,
         (unsigned long long)r->st.lost, (unsigned long long)r->st.accelerated,
         (unsigned long long)r->st.decelerated);
}

/* ---- synthetic schedules ---- */

static void test_no_jitter(void) {
  sim_cfg c = {.frames = 3000, .seed = 7, .pull_phase_us = 7000};
  usm__audio_jb *jb = make_jb();
  sim_res r;
  simulate(&c, jb, &r, NULL, NULL);
  print_res("no jitter", &r);
  CHECK_INT(r.conceal, 0);
  CHECK_INT(r.fec, 0);
  CHECK_INT(r.st.late, 0);
  CHECK_INT(r.st.lost, 0);
  CHECK_INT(r.play, 3000);
  CHECK(r.max_delay <= 30 && r.min_delay >= 0); /* near the 20 ms minimum */
  CHECK_INT(r.st.target_ms, USM__AJB_DEFAULT_MIN_DELAY_MS);
  CHECK_INT(r.bad_payload + r.bad_order, 0);
  sim_free(&r);
  usm__audio_jb_destroy(jb);
}

/* Uniform 0-60 ms: the target settles between 60 and 90 ms and less than
 * 1 % of the frames are concealed. */
static void test_uniform_jitter(void) {
  sim_cfg c = {.frames = 3000, .jitter_ms = 60, .seed = 11, .pull_phase_us = 3000};
  usm__audio_jb *jb = make_jb();
  sim_res r;
  simulate(&c, jb, &r, NULL, NULL);
  print_res("uniform 0-60", &r);
  CHECK(r.st.target_ms >= 60 && r.st.target_ms <= 90);
  CHECK(r.conceal + r.fec < 30);
  CHECK(r.max_delay <= 120);
  CHECK_INT(r.bad_payload + r.bad_order, 0);
  sim_free(&r);
  usm__audio_jb_destroy(jb);
}

/* 5 % random loss: with no jitter every lost frame whose successor arrived is
 * FEC, the others CONCEAL; with 0-40 ms jitter the same, give or take the
 * successors that were not there yet. */
static void test_random_loss(void) {
  sim_cfg c = {.frames = 3000, .loss = 0.05, .seed = 5, .pull_phase_us = 9000, .fec = 1};
  usm__audio_jb *jb = make_jb_fec(1);
  sim_res r;
  simulate(&c, jb, &r, NULL, NULL);
  print_res("5% loss", &r);
  CHECK(r.lost_isolated > 100);
  CHECK_INT(r.fec, r.lost_isolated);
  CHECK_INT(r.conceal, r.lost_followed_by_loss);
  CHECK_INT(r.st.fec_recovered, r.fec);
  CHECK_INT(r.st.lost, r.lost_isolated + r.lost_followed_by_loss);
  CHECK_INT(r.bad_fec + r.bad_payload + r.bad_order, 0);
  sim_free(&r);
  usm__audio_jb_destroy(jb);

  c.jitter_ms = 40;
  c.seed = 6;
  jb = make_jb_fec(1);
  simulate(&c, jb, &r, NULL, NULL);
  print_res("5% loss+jit", &r);
  unsigned lost = r.lost_isolated + r.lost_followed_by_loss;
  CHECK(r.fec + r.conceal >= lost && r.fec + r.conceal <= lost + lost / 5);
  CHECK(r.fec >= r.lost_isolated * 9 / 10);
  CHECK_INT(r.bad_fec + r.bad_payload + r.bad_order, 0);
  sim_free(&r);
  usm__audio_jb_destroy(jb);
}

/* Gilbert-Elliott bursts (20 % loss on average) with 0-40 ms jitter: every
 * pull answered, delay and target within bounds, the buffer never full. */
static void test_burst_loss(void) {
  sim_cfg c = {.frames = 3000, .burst = 1, .jitter_ms = 40, .seed = 9, .pull_phase_us = 1000, .fec = 1};
  usm__audio_jb *jb = make_jb_fec(1);
  sim_res r;
  simulate(&c, jb, &r, NULL, NULL);
  print_res("burst 20%", &r);
  unsigned lost = r.lost_isolated + r.lost_followed_by_loss;
  CHECK(lost > 450 && lost < 750);
  CHECK(r.max_delay <= (int32_t)USM__AJB_DEFAULT_MAX_DELAY_MS);
  CHECK(r.min_delay >= 0);
  CHECK(r.max_target <= 120);
  CHECK(r.st.buffered <= 36);
  CHECK(r.fec > 0 && r.conceal > 0);
  CHECK(r.play + r.fec + r.conceal + r.inserted + r.silence == r.pulls);
  CHECK_INT(r.bad_fec + r.bad_payload + r.bad_order, 0);
  sim_free(&r);
  usm__audio_jb_destroy(jb);
}

/* A 300 ms stall at t = 20 s on a 0-10 ms jitter path: the target jumps to
 * about 300 ms and the delay follows within 1 s; both are back under 60 ms
 * within 10 s. */
static void test_spike(void) {
  sim_cfg c = {.frames = 2500, .jitter_ms = 10, .stall_at_s = 20, .stall_ms = 300, .seed = 3,
               .pull_phase_us = 5000};
  usm__audio_jb *jb = make_jb();
  sim_res r;
  simulate(&c, jb, &r, NULL, NULL);
  print_res("300 ms spike", &r);
  unsigned at = 20000 / 20; /* the pull index at 20 s */
  uint32_t tmax = 0;
  int32_t dmax = 0;
  for (unsigned k = at; k < at + 60; k++) {
    if (r.target[k] > tmax) tmax = r.target[k];
    if (r.delay[k] > dmax) dmax = r.delay[k];
  }
  CHECK(tmax >= 250);
  CHECK(dmax >= 250);
  unsigned back = 0;
  for (unsigned k = at + 20; k < r.pulls; k++)
    if (r.delay[k] < 60 && r.target[k] < 60) {
      back = k;
      break;
    }
  printf("  spike: target max %u ms, delay max %d ms, back under 60 ms after %.1f s\n", (unsigned)tmax,
         (int)dmax, back ? (double)(back - at) * 0.02 : -1.0);
  CHECK(back > 0 && back - at <= 500);
  CHECK_INT(r.bad_payload + r.bad_order, 0);
  sim_free(&r);
  usm__audio_jb_destroy(jb);
}

/* Sender clock ±0.5 % over 10 minutes with 0-20 ms jitter: about one frame
 * dropped (fast) or inserted (slow) per 4 s, delay within 0..100 ms. */
static void test_drift(void) {
  for (int sign = -1; sign <= 1; sign += 2) {
    sim_cfg c = {.frames = 30000, .drift = 0.005 * sign, .jitter_ms = 20, .seed = 21, .pull_phase_us = 4000};
    usm__audio_jb *jb = make_jb();
    sim_res r;
    simulate(&c, jb, &r, NULL, NULL);
    print_res(sign > 0 ? "drift +0.5%" : "drift -0.5%", &r);
    CHECK(r.max_delay <= 100);
    CHECK(r.min_delay >= 0);
    CHECK(r.st.late < 300); /* < 1 % */
    if (sign > 0)
      CHECK(r.st.accelerated >= 120 && r.st.accelerated <= 200);
    else
      CHECK(r.st.decelerated >= 120 && r.st.decelerated <= 200);
    CHECK_INT(r.bad_payload + r.bad_order, 0);
    sim_free(&r);
    usm__audio_jb_destroy(jb);
  }
}

/* Wrap-around of the 16-bit sequence and the 32-bit timestamp mid-stream. */
static void test_wrap(void) {
  sim_cfg c = {.frames = 500, .jitter_ms = 30, .seq0 = 65400, .ts0 = 0xFFFFFFFFu - 100 * FRAME, .seed = 13};
  usm__audio_jb *jb = make_jb();
  sim_res r;
  simulate(&c, jb, &r, NULL, NULL);
  print_res("wrap", &r);
  CHECK_INT(r.st.restarts, 0);
  CHECK(r.play >= 490);
  CHECK(r.st.lost == r.fec + r.conceal + r.st.accelerated || r.st.lost < 10);
  CHECK_INT(r.bad_payload + r.bad_order, 0);
  sim_free(&r);
  usm__audio_jb_destroy(jb);
}

/* ---- hand-made sequences ---- */

static usm_err put(usm__audio_jb *jb, uint32_t ssrc, unsigned i, uint64_t at_us, usm__ajb_put *w) {
  uint8_t b[4] = {(uint8_t)i, 0, 0, 0};
  return usm__audio_jb_insert(jb, ssrc, (uint16_t)(100 + i), 5000 + i * FRAME, at_us, b, sizeof b, w);
}

static void test_reorder_duplicate_late(void) {
  usm__audio_jb *jb = make_jb();
  usm__ajb_put w;
  usm__ajb_frame f;
  /* 2, 0, 1 arrive together; they play 0, 1, 2 */
  CHECK_INT(put(jb, 1, 2, 1000000, &w), USM_OK);
  CHECK_INT(w, USM__AJB_PUT_STORED);
  CHECK_INT(put(jb, 1, 0, 1000000, &w), USM_OK);
  CHECK_INT(w, USM__AJB_PUT_STORED);
  CHECK_INT(put(jb, 1, 1, 1000000, &w), USM_OK);
  CHECK_INT(put(jb, 1, 1, 1000100, &w), USM_OK);
  CHECK_INT(w, USM__AJB_PUT_DUPLICATE);
  uint64_t t = 1000000;
  CHECK_INT(usm__audio_jb_pull(jb, t, &f), USM_OK); /* 0 ms held: wait */
  CHECK_INT(f.action, USM__AJB_SILENCE);
  t += 20000;
  for (unsigned i = 0; i < 3; i++, t += 20000) {
    CHECK_INT(usm__audio_jb_pull(jb, t, &f), USM_OK);
    CHECK_INT(f.action, USM__AJB_PLAY);
    CHECK_INT(f.seq, 100 + i);
    CHECK_INT(f.timestamp, 5000 + i * FRAME);
    CHECK_INT(f.payload[0], i);
  }
  CHECK_INT(put(jb, 1, 1, t, &w), USM_OK); /* played already */
  CHECK_INT(w, USM__AJB_PUT_DUPLICATE);
  /* 3 is lost, 4 arrives: FEC for 3, then 4 plays */
  CHECK_INT(put(jb, 1, 4, t - 1000, &w), USM_OK);
  CHECK_INT(usm__audio_jb_pull(jb, t, &f), USM_OK);
  CHECK_INT(f.action, USM__AJB_FEC);
  CHECK_INT(f.seq, 104);
  CHECK_INT(f.timestamp, 5000 + 3 * FRAME);
  t += 20000;
  CHECK_INT(put(jb, 1, 3, t - 1000, &w), USM_OK); /* 3 shows up after its playout */
  CHECK_INT(w, USM__AJB_PUT_LATE);
  /* 3's lateness raised the target: frames are inserted first */
  for (int i = 0; i < 5; i++, t += 20000) {
    CHECK_INT(usm__audio_jb_pull(jb, t, &f), USM_OK);
    if (!f.inserted) break;
  }
  CHECK_INT(f.action, USM__AJB_PLAY);
  CHECK_INT(f.seq, 104);
  usm__ajb_stats st;
  usm__audio_jb_stats(jb, &st);
  CHECK_INT(st.duplicate, 2);
  CHECK_INT(st.late, 1);
  CHECK_INT(st.lost, 1);
  CHECK_INT(st.fec_recovered, 1);
  CHECK_INT(st.played, 4);
  /* nothing more: CONCEAL */
  t += 20000;
  CHECK_INT(usm__audio_jb_pull(jb, t, &f), USM_OK);
  CHECK_INT(f.action, USM__AJB_CONCEAL);
  CHECK(!f.inserted);
  /* bad input */
  uint8_t big[1501] = {0};
  CHECK_INT(usm__audio_jb_insert(jb, 1, 1, 1, t, big, sizeof big, &w), USM_ERR_LIMIT);
  CHECK_INT(usm__audio_jb_insert(jb, 1, 1, 1, t, big, 0, &w), USM_ERR_MALFORMED);
  CHECK_INT(usm__audio_jb_insert(jb, 1, 1, 1, t, NULL, 3, &w), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__audio_jb_insert(jb, 1, 1, 1, UINT64_MAX, big, 3, &w), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__audio_jb_pull(NULL, t, &f), USM_ERR_INVALID_ARG);
  CHECK_INT(f.action, USM__AJB_SILENCE);
  usm__audio_jb_destroy(jb);
}

static void test_restart(void) {
  usm__audio_jb *jb = make_jb();
  usm__ajb_put w;
  usm__ajb_frame f;
  uint64_t t = 1000000;
  for (unsigned i = 0; i < 10; i++, t += 20000) {
    put(jb, 1, i, t, &w);
    usm__audio_jb_pull(jb, t, &f);
  }
  CHECK_INT(f.action, USM__AJB_PLAY);
  /* a new SSRC resets at once */
  uint8_t b[3] = {1, 2, 3};
  CHECK_INT(usm__audio_jb_insert(jb, 2, 7, 123, t, b, 3, &w), USM_OK);
  CHECK_INT(w, USM__AJB_PUT_RESTART);
  CHECK_INT(usm__audio_jb_pull(jb, t, &f), USM_OK);
  CHECK_INT(f.action, USM__AJB_SILENCE); /* waits for the target again */
  t += 20000;
  CHECK_INT(usm__audio_jb_pull(jb, t, &f), USM_OK);
  CHECK_INT(f.action, USM__AJB_PLAY);
  CHECK_INT(f.seq, 7);
  /* a timestamp jump of 10 minutes: one packet is probation, two in sequence restart */
  CHECK_INT(usm__audio_jb_insert(jb, 2, 8, 123 + 48000u * 600, t, b, 3, &w), USM_OK);
  CHECK_INT(w, USM__AJB_PUT_PROBATION);
  CHECK_INT(usm__audio_jb_insert(jb, 2, 20, 123 + FRAME, t + 1000, b, 3, &w), USM_OK); /* the old stream goes on */
  CHECK_INT(w, USM__AJB_PUT_STORED);
  CHECK_INT(usm__audio_jb_insert(jb, 2, 30, 9 + 48000u * 600, t + 2000, b, 3, &w), USM_OK);
  CHECK_INT(w, USM__AJB_PUT_PROBATION);
  CHECK_INT(usm__audio_jb_insert(jb, 2, 31, 9 + 48000u * 600 + FRAME, t + 3000, b, 3, &w), USM_OK);
  CHECK_INT(w, USM__AJB_PUT_RESTART);
  usm__ajb_stats st;
  usm__audio_jb_stats(jb, &st);
  CHECK_INT(st.restarts, 2);
  CHECK_INT(st.buffered, 1);
  t += 40000;
  CHECK_INT(usm__audio_jb_pull(jb, t, &f), USM_OK);
  CHECK_INT(f.action, USM__AJB_PLAY);
  CHECK_INT(f.seq, 31);
  /* explicit reset */
  usm__audio_jb_reset(jb);
  CHECK_INT(usm__audio_jb_pull(jb, t, &f), USM_OK);
  CHECK_INT(f.action, USM__AJB_SILENCE);
  usm__audio_jb_destroy(jb);
}

static void test_config(void) {
  usm__audio_jb *jb = NULL;
  usm__audio_jb_config c = {.frame_ms = 30};
  CHECK_INT(usm__audio_jb_create(&c, &jb), USM_ERR_INVALID_ARG);
  c = (usm__audio_jb_config){.min_delay_ms = 500, .max_delay_ms = 400};
  CHECK_INT(usm__audio_jb_create(&c, &jb), USM_ERR_INVALID_ARG);
  c = (usm__audio_jb_config){.max_delay_ms = 5000};
  CHECK_INT(usm__audio_jb_create(&c, &jb), USM_ERR_INVALID_ARG);
  c = (usm__audio_jb_config){.capacity = 10};
  CHECK_INT(usm__audio_jb_create(&c, &jb), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__audio_jb_create(NULL, NULL), USM_ERR_INVALID_ARG);
  c = (usm__audio_jb_config){.frame_ms = 10, .max_payload = 200};
  CHECK_INT(usm__audio_jb_create(&c, &jb), USM_OK);
  usm__ajb_stats st;
  usm__audio_jb_stats(jb, &st);
  CHECK_INT(st.target_ms, 20);
  usm__ajb_frame f;
  CHECK_INT(usm__audio_jb_pull(jb, 5, &f), USM_OK);
  CHECK_INT(f.samples, 480);
  CHECK_INT(f.action, USM__AJB_SILENCE);
  usm__audio_jb_destroy(jb);
  usm__audio_jb_destroy(NULL);
}

/* ---- real Opus through the buffer ---- */

#define OPUS_SECONDS 20
#define OPUS_FRAMES (OPUS_SECONDS * 50)
/* Measured (libopus 1.3.1, 0-40 ms jitter, 5 % loss, FEC at 10 %): see
 * docs/jitter-buffer.md; bounds set with margin. */
#define MIN_SNR_JB_DB 14.0 /* measured 18.6 dB */
#define MIN_SNR_GAIN_FEC_DB 2.0 /* FEC over PLC on the same schedule: measured 18.6 vs 13.7 dB */

typedef struct opus_sink {
  usm__codec_dec *dec;
  int16_t *out;     /* placed by timestamp: OPUS_FRAMES * FRAME */
  uint8_t *have;    /* per frame */
  int use_fec;
  unsigned errors;
} opus_sink;

static void opus_frame(void *user, const usm__ajb_frame *f, const sim_cfg *c) {
  opus_sink *s = user;
  if (f->action == USM__AJB_SILENCE) return;
  int16_t pcm[FRAME];
  usm__codec_frame o = {.kind = USM__CODEC_KIND_AUDIO};
  o.u.audio.pcm = pcm;
  o.u.audio.capacity = FRAME;
  o.u.audio.samples = f->samples;
  int got = 0;
  usm_err r;
  if (f->action == USM__AJB_PLAY)
    r = usm__codec_decode(s->dec, f->payload, f->len, &o, &got);
  else if (f->action == USM__AJB_FEC && s->use_fec)
    r = usm__opus_decode_fec(s->dec, f->payload, f->len, &o);
  else
    r = usm__codec_decode(s->dec, NULL, 0, &o, &got);
  if (r != USM_OK || o.u.audio.samples != FRAME) {
    s->errors++;
    return;
  }
  if (f->inserted) return; /* an extra frame: not part of the timeline */
  uint32_t idx = (f->timestamp - c->ts0) / FRAME;
  if (idx < OPUS_FRAMES) {
    memcpy(s->out + (size_t)idx * FRAME, pcm, sizeof pcm);
    s->have[idx] = 1;
  }
}

typedef struct enc_sink {
  uint8_t **pl;
  size_t *len;
  unsigned n;
} enc_sink;

static usm_err on_payload(void *user, const usm__codec_payload *p) {
  enc_sink *e = user;
  if (e->n >= OPUS_FRAMES) return USM_ERR_LIMIT;
  e->pl[e->n] = malloc(p->len);
  if (!e->pl[e->n]) return USM_ERR_NO_MEMORY;
  memcpy(e->pl[e->n], p->data, p->len);
  e->len[e->n++] = p->len;
  return USM_OK;
}

static double snr_db(const int16_t *ref, const int16_t *out, size_t from, size_t to) {
  double s = 0, e = 0;
  for (size_t i = from; i < to; i++) {
    double d = (double)ref[i] - out[i];
    s += (double)ref[i] * ref[i];
    e += d * d;
  }
  return e > 0 ? 10 * log10(s / e) : 200;
}

static double run_opus(const sim_cfg *c, const int16_t *clean, int use_fec, sim_res *r) {
  usm__codec_params p = {.kind = USM__CODEC_KIND_AUDIO};
  p.audio.channels = 1;
  p.audio.frame_ms = 20;
  opus_sink s = {.use_fec = use_fec};
  s.out = calloc((size_t)OPUS_FRAMES * FRAME, sizeof *s.out);
  s.have = calloc(OPUS_FRAMES, 1);
  if (!s.out || !s.have) abort();
  CHECK_INT(usm__codec_decoder_create(usm__codec_opus(), &p, &s.dec), USM_OK);
  usm__audio_jb *jb = make_jb_fec(1);
  simulate(c, jb, r, opus_frame, &s);
  CHECK_INT(s.errors, 0);
  unsigned missing = 0;
  for (unsigned i = 10; i < OPUS_FRAMES; i++) missing += !s.have[i];
  double snr = snr_db(clean, s.out, 10 * FRAME, (size_t)OPUS_FRAMES * FRAME);
  printf("  opus %s: SNR vs clean decode %.1f dB, frames missing from the timeline %u\n", use_fec ? "FEC" : "PLC",
         snr, missing);
  usm__audio_jb_destroy(jb);
  usm__codec_decoder_destroy(s.dec);
  free(s.out);
  free(s.have);
  return snr;
}

static void test_opus(void) {
  const size_t n = (size_t)OPUS_FRAMES * FRAME;
  int16_t *pcm = malloc(n * sizeof *pcm);
  int16_t *clean = calloc(n, sizeof *clean);
  uint8_t **pl = calloc(OPUS_FRAMES, sizeof *pl);
  size_t *len = calloc(OPUS_FRAMES, sizeof *len);
  if (!pcm || !clean || !pl || !len) abort();
  /* speech-like: a pitch that glides, with a second harmonic and a slow envelope */
  double ph = 0;
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / 48000.0;
    ph += 2 * 3.14159265358979 * (220.0 + 80.0 * sin(2 * 3.14159265358979 * 0.7 * t)) / 48000.0;
    double env = 0.6 + 0.4 * sin(2 * 3.14159265358979 * 1.3 * t);
    pcm[i] = (int16_t)lrint(env * (7000.0 * sin(ph) + 2500.0 * sin(2 * ph + 0.3)));
  }
  usm__codec_params p = {.kind = USM__CODEC_KIND_AUDIO};
  p.audio.channels = 1;
  p.audio.frame_ms = 20;
  p.audio.bitrate = 32000;
  p.audio.fec = 1;
  p.audio.expected_loss_pct = 10;
  usm__codec_enc *enc = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_opus(), &p, &enc), USM_OK);
  enc_sink es = {pl, len, 0};
  for (unsigned i = 0; i < OPUS_FRAMES; i++) {
    usm__codec_frame f = {.kind = USM__CODEC_KIND_AUDIO, .timestamp = i * FRAME};
    f.u.audio.pcm = pcm + (size_t)i * FRAME;
    f.u.audio.channels = 1;
    f.u.audio.samples = FRAME;
    CHECK_INT(usm__codec_encode(enc, &f, on_payload, &es), USM_OK);
  }
  usm__codec_encoder_destroy(enc);
  CHECK_INT(es.n, OPUS_FRAMES);
  if (es.n != OPUS_FRAMES) goto out;
  /* the clean decode: every packet in order */
  usm__codec_dec *dec = NULL;
  CHECK_INT(usm__codec_decoder_create(usm__codec_opus(), &p, &dec), USM_OK);
  for (unsigned i = 0; i < OPUS_FRAMES; i++) {
    usm__codec_frame o = {.kind = USM__CODEC_KIND_AUDIO};
    o.u.audio.pcm = clean + (size_t)i * FRAME;
    o.u.audio.capacity = FRAME;
    int got = 0;
    CHECK_INT(usm__codec_decode(dec, pl[i], len[i], &o, &got), USM_OK);
  }
  usm__codec_decoder_destroy(dec);

  sim_cfg c = {.frames = OPUS_FRAMES, .jitter_ms = 40, .loss = 0.05, .seed = 77, .pull_phase_us = 2000,
               .seq0 = 65000, .ts0 = 0xFFF00000u, .payloads = (const uint8_t *const *)pl, .lens = len};
  sim_res r;
  double fec = run_opus(&c, clean, 1, &r);
  print_res("opus jb", &r);
  sim_free(&r);
  double plc = run_opus(&c, clean, 0, &r);
  sim_free(&r);
  CHECK(fec >= MIN_SNR_JB_DB);
  CHECK(fec >= plc + MIN_SNR_GAIN_FEC_DB);
out:
  for (unsigned i = 0; i < OPUS_FRAMES; i++) free(pl[i]);
  free(pl);
  free(len);
  free(pcm);
  free(clean);
}

int main(void) {
  test_config();
  test_reorder_duplicate_late();
  test_restart();
  test_no_jitter();
  test_uniform_jitter();
  test_random_loss();
  test_burst_loss();
  test_spike();
  test_drift();
  test_wrap();
  test_opus();
  return check_done("test_jitter_audio");
}
