/* Sender-side bandwidth estimation: growth rate and its time scaling, the
 * loss thresholds, the cut and its pacing, the REMB cap and its expiry, the
 * start phase, the application-limited bound, the [min, max] bounds under
 * arbitrary events, the audio/video split, and a simulated bottleneck. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "media/bwe.h"

#define S(x) ((uint64_t)(x) * 1000000u)
#define MS(x) ((uint64_t)(x) * 1000u)

static usm__bwe *make(uint32_t start, uint32_t min, uint32_t max) {
  usm__bwe_cfg c = {start, min, max};
  usm__bwe *b = NULL;
  if (usm__bwe_create(&c, &b) != USM_OK) {
    fprintf(stderr, "create failed\n");
    exit(1);
  }
  return b;
}

static void test_create(void) {
  usm__bwe *b = NULL;
  CHECK_INT(usm__bwe_create(NULL, &b), USM_OK);
  CHECK_INT(usm__bwe_target(b), 1000000);
  usm__bwe_stats st;
  usm__bwe_get_stats(b, &st);
  CHECK_INT(st.target_bps, 1000000);
  CHECK_INT(st.remb_bps, 0);
  CHECK_INT(st.remb_active, 0);
  CHECK_INT(st.sent_bps, 0);
  usm__bwe_destroy(b);
  CHECK_INT(usm__bwe_create(NULL, NULL), USM_ERR_INVALID_ARG);
  usm__bwe_cfg bad = {0, 200000, 100000};
  b = (usm__bwe *)1;
  CHECK_INT(usm__bwe_create(&bad, &b), USM_ERR_INVALID_ARG);
  CHECK(b == NULL);
  /* a default min above a given max is also rejected */
  usm__bwe_cfg bad2 = {0, 0, 40000};
  CHECK_INT(usm__bwe_create(&bad2, &b), USM_ERR_INVALID_ARG);
  /* start is clamped into [min, max] */
  b = make(10, 100000, 300000);
  CHECK_INT(usm__bwe_target(b), 100000);
  usm__bwe_destroy(b);
  b = make(5000000, 0, 0);
  CHECK_INT(usm__bwe_target(b), USM__BWE_DEFAULT_MAX_BPS);
  usm__bwe_destroy(b);
  /* NULL handles are ignored */
  usm__bwe_on_report(NULL, 0, 0, 0, 0);
  usm__bwe_on_remb(NULL, 0, 0);
  usm__bwe_on_sent(NULL, 0, 0);
  usm__bwe_destroy(NULL);
  CHECK_INT(usm__bwe_target(NULL), 0);
  usm__bwe_get_stats(NULL, &st);
  CHECK_INT(st.target_bps, 0);
}

/* No loss, the sender sends what it is allowed: from 1 Mbit/s to the 4.064
 * Mbit/s cap at 8 %/s takes ln(4.064)/ln(1.08) = 18.2 s (a little less with
 * the 1 kbit/s/s). Returns the time the cap was reached, ms. */
static uint64_t ramp(uint64_t report_ms, uint32_t rtt_ms) {
  usm__bwe *b = make(0, 0, 0);
  uint64_t reached = 0;
  uint32_t prev = usm__bwe_target(b);
  for (uint64_t t = 0; t <= S(40); t += MS(report_ms)) {
    usm__bwe_on_sent(b, usm__bwe_target(b), t);
    usm__bwe_on_report(b, 0, rtt_ms, 50, t);
    uint32_t cur = usm__bwe_target(b);
    /* never more than 8 % + 1 kbit/s for the second it may vouch for */
    CHECK(cur <= (uint64_t)prev * 108 / 100 + 1001);
    prev = cur;
    if (!reached && cur == USM__BWE_DEFAULT_MAX_BPS) reached = t / 1000u;
  }
  usm__bwe_stats st;
  usm__bwe_get_stats(b, &st);
  CHECK(st.increases > 10);
  CHECK_INT(st.decreases, 0);
  CHECK_INT(st.app_limited, 0);
  usm__bwe_destroy(b);
  return reached;
}

static void test_ramp(void) {
  uint64_t a = ramp(1000, 50), c = ramp(200, 50), d = ramp(100, 0), e = ramp(1000, 3000);
  printf("ramp 1 -> 4.064 Mbit/s without loss: %llu ms (reports 1 s), %llu ms (200 ms), "
         "%llu ms (100 ms, rtt 0), %llu ms (1 s, rtt 3 s)\n",
         (unsigned long long)a, (unsigned long long)c, (unsigned long long)d, (unsigned long long)e);
  /* stated: within 20 s, and not faster than 8 %/s allows (>= 16 s) */
  CHECK(a >= 16000 && a <= 20000);
  /* time-scaled: the report rate does not change the ramp much */
  CHECK(c >= 16000 && c <= 20000);
  CHECK(d >= 16000 && d <= 20000);
  /* an RTT above 1 s is capped in the interval: 1.2 s between increases */
  CHECK(e >= 16000 && e <= 40000);
}

static void test_thresholds(void) {
  /* fl 5 (1.95 %) grows, 6 (2.3 %) and 25 (9.8 %) hold, 26 (10.2 %) cuts */
  const struct {
    uint8_t fl;
    int dir;
  } cases[] = {{0, 1}, {5, 1}, {6, 0}, {13, 0}, {25, 0}, {26, -1}, {51, -1}, {255, -1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    usm__bwe *b = make(1000000, 0, 0);
    usm__bwe_on_report(b, 0, 0, 0, 0); /* t0 */
    usm__bwe_on_report(b, cases[i].fl, 0, 100, S(1));
    uint32_t t = usm__bwe_target(b);
    if (cases[i].dir > 0) CHECK_INT(t, 1081000);
    if (cases[i].dir == 0) CHECK_INT(t, 1000000);
    if (cases[i].dir < 0) CHECK_INT(t, 1000000ull * (512u - cases[i].fl) / 512u);
    usm__bwe_stats st;
    usm__bwe_get_stats(b, &st);
    CHECK_INT(st.fraction_lost, cases[i].fl);
    CHECK_INT(st.loss_pct, (cases[i].fl * 100u + 128u) / 256u);
    usm__bwe_destroy(b);
  }
}

static void test_loss_20(void) {
  usm__bwe *b = make(2000000, 0, 0);
  uint64_t t = 0;
  for (; t <= S(2); t += MS(500)) usm__bwe_on_report(b, 51, 50, 100, t);
  /* every report cuts ~10 %: after 2 s 2 Mbit/s * 0.9^5 = 1.18 Mbit/s */
  CHECK(usm__bwe_target(b) < 1300000);
  CHECK(usm__bwe_target(b) > 1000000);
  for (; t <= S(60); t += MS(500)) usm__bwe_on_report(b, 51, 50, 100, t);
  CHECK_INT(usm__bwe_target(b), USM__BWE_DEFAULT_MIN_BPS);
  usm__bwe_destroy(b);

  /* reports every 100 ms: a cut at most once per 300 ms + RTT (350 ms) */
  b = make(2000000, 0, 0);
  for (t = 0; t < S(1); t += MS(100)) usm__bwe_on_report(b, 51, 50, 100, t);
  usm__bwe_stats st;
  usm__bwe_get_stats(b, &st);
  CHECK_INT(st.loss_samples, 10);
  CHECK_INT(st.decreases, 3); /* at 0, 400, 800 ms */
  usm__bwe_destroy(b);

  /* a clock that went back cuts no more than that either */
  b = make(2000000, 0, 0);
  usm__bwe_on_report(b, 51, 0, 100, S(10));
  uint32_t after = usm__bwe_target(b);
  usm__bwe_on_report(b, 51, 0, 100, S(5));
  usm__bwe_on_report(b, 0, 0, 100, S(6));
  CHECK_INT(usm__bwe_target(b), after);
  usm__bwe_destroy(b);
}

static void test_loss_5_holds(void) {
  usm__bwe *b = make(1500000, 0, 0);
  for (uint64_t t = 0; t <= S(30); t += MS(1000)) {
    usm__bwe_on_sent(b, usm__bwe_target(b), t);
    usm__bwe_on_report(b, 13, 80, 200, t);
  }
  CHECK_INT(usm__bwe_target(b), 1500000);
  usm__bwe_stats st;
  usm__bwe_get_stats(b, &st);
  CHECK_INT(st.increases, 0);
  CHECK_INT(st.decreases, 0);
  CHECK_INT(st.loss_pct, 5);
  CHECK_INT(st.rtt_ms, 80);
  /* the held time earns no growth: the next clean report grows by its own second only */
  usm__bwe_on_report(b, 0, 0, 200, S(31));
  CHECK_INT(usm__bwe_target(b), 1500000 + 120000 + 1000);
  usm__bwe_destroy(b);
}

static void test_merge(void) {
  /* blocks below 20 packets are merged, weighted by packets */
  usm__bwe *b = make(1000000, 0, 0);
  usm__bwe_on_report(b, 0, 0, 0, 0);
  usm__bwe_on_report(b, 255, 0, 3, S(1)); /* 3 packets, all lost: not yet */
  CHECK_INT(usm__bwe_target(b), 1000000);
  usm__bwe_stats st;
  usm__bwe_get_stats(b, &st);
  CHECK_INT(st.loss_samples, 1);
  usm__bwe_on_report(b, 0, 0, 97, S(1)); /* with 97 clean: 255*3/100 = 7 -> hold */
  usm__bwe_get_stats(b, &st);
  CHECK_INT(st.loss_samples, 2);
  CHECK_INT(st.fraction_lost, 7);
  CHECK_INT(usm__bwe_target(b), 1000000);
  /* huge packet counts from the network do not overflow */
  usm__bwe_on_report(b, 255, 0, UINT32_MAX, S(3));
  usm__bwe_get_stats(b, &st);
  CHECK_INT(st.fraction_lost, 255);
  CHECK(usm__bwe_target(b) < 1000000);
  usm__bwe_destroy(b);
}

static void test_remb(void) {
  usm__bwe *b = make(1000000, 0, 0);
  uint64_t t = 0;
  usm__bwe_on_sent(b, 1000000, t);
  t = S(3); /* after the start phase */
  usm__bwe_on_remb(b, 300000, t);
  CHECK_INT(usm__bwe_target(b), 300000); /* at once */
  usm__bwe_stats st;
  usm__bwe_get_stats(b, &st);
  CHECK_INT(st.remb_bps, 300000);
  CHECK_INT(st.remb_active, 1);
  /* clean reports for the next 5 s: still capped */
  for (uint64_t u = t + MS(500); u <= t + S(5); u += MS(500)) {
    usm__bwe_on_sent(b, usm__bwe_target(b), u);
    usm__bwe_on_report(b, 0, 40, 100, u);
    CHECK_INT(usm__bwe_target(b), 300000);
  }
  /* expired: growth resumes from the cap */
  usm__bwe_on_sent(b, usm__bwe_target(b), t + S(5) + MS(500));
  usm__bwe_on_report(b, 0, 40, 100, t + S(5) + MS(500));
  usm__bwe_get_stats(b, &st);
  CHECK_INT(st.remb_active, 0);
  CHECK_INT(st.remb_bps, 300000);
  CHECK(usm__bwe_target(b) > 300000);
  CHECK(usm__bwe_target(b) <= 300000 * 108 / 100 + 1000);
  /* a new, higher REMB after the start phase does not raise the target */
  uint32_t before = usm__bwe_target(b);
  usm__bwe_on_remb(b, 3000000, t + S(6));
  CHECK_INT(usm__bwe_target(b), before);
  /* a REMB below min gives min; a huge one caps nothing */
  usm__bwe_on_remb(b, 1000, t + S(7));
  CHECK_INT(usm__bwe_target(b), USM__BWE_DEFAULT_MIN_BPS);
  usm__bwe_on_remb(b, 0, t + S(7));
  CHECK_INT(usm__bwe_target(b), USM__BWE_DEFAULT_MIN_BPS);
  usm__bwe_on_remb(b, UINT64_MAX, t + S(8));
  for (uint64_t u = t + S(9); u <= t + S(90); u += S(1)) {
    usm__bwe_on_sent(b, usm__bwe_target(b), u);
    usm__bwe_on_report(b, 0, 40, 100, u);
  }
  CHECK_INT(usm__bwe_target(b), USM__BWE_DEFAULT_MAX_BPS);
  usm__bwe_destroy(b);

  /* start phase: a REMB above the start rate is taken before any loss */
  b = make(0, 0, 0);
  usm__bwe_on_sent(b, 0, 0);
  usm__bwe_on_remb(b, 2500000, MS(500));
  CHECK_INT(usm__bwe_target(b), 2500000);
  usm__bwe_on_remb(b, 9000000, MS(1500)); /* still bounded by max */
  CHECK_INT(usm__bwe_target(b), USM__BWE_DEFAULT_MAX_BPS);
  usm__bwe_destroy(b);
  /* ... but not after loss was seen */
  b = make(0, 0, 0);
  usm__bwe_on_report(b, 3, 0, 100, 0);
  usm__bwe_on_remb(b, 2500000, MS(500));
  CHECK_INT(usm__bwe_target(b), 1000000);
  usm__bwe_destroy(b);
  /* ... nor after 2 s */
  b = make(0, 0, 0);
  usm__bwe_on_sent(b, 0, 0);
  usm__bwe_on_remb(b, 2500000, MS(2000));
  CHECK_INT(usm__bwe_target(b), 1000000);
  usm__bwe_destroy(b);
}

static void test_app_limited(void) {
  /* the sender sends 300 kbit/s whatever the target: no inflation */
  usm__bwe *b = make(1000000, 0, 0);
  for (uint64_t t = 0; t <= S(60); t += MS(500)) {
    usm__bwe_on_sent(b, 300000, t);
    usm__bwe_on_report(b, 0, 30, 40, t);
    CHECK(usm__bwe_target(b) <= 1000000); /* never cut by it either */
  }
  CHECK_INT(usm__bwe_target(b), 1000000);
  usm__bwe_destroy(b);

  /* from below: growth stops at 1.5 * 300k + 10k */
  b = make(200000, 0, 0);
  for (uint64_t t = 0; t <= S(60); t += MS(500)) {
    usm__bwe_on_sent(b, 300000, t);
    usm__bwe_on_report(b, 0, 30, 40, t);
    CHECK(usm__bwe_target(b) <= 460000);
  }
  CHECK_INT(usm__bwe_target(b), 460000);
  usm__bwe_stats st;
  usm__bwe_get_stats(b, &st);
  CHECK(st.app_limited > 0);
  CHECK_INT(st.sent_bps, 300000);
  /* the sender picks up: growth resumes */
  for (uint64_t t = S(61); t <= S(70); t += MS(500)) {
    usm__bwe_on_sent(b, usm__bwe_target(b), t);
    usm__bwe_on_report(b, 0, 30, 40, t);
  }
  CHECK(usm__bwe_target(b) > 800000);
  usm__bwe_destroy(b);

  /* the largest sample of the last 2 s counts (keyframe bursts), older ones not */
  b = make(100000, 0, 0);
  usm__bwe_on_sent(b, 2000000, 0);
  usm__bwe_on_sent(b, 100000, S(1));
  usm__bwe_get_stats(b, &st);
  CHECK_INT(st.sent_bps, 2000000);
  usm__bwe_on_sent(b, 100000, S(3));
  usm__bwe_get_stats(b, &st);
  CHECK_INT(st.sent_bps, 100000);
  /* none within the window: the latest */
  usm__bwe_on_report(b, 0, 0, 50, S(10));
  usm__bwe_get_stats(b, &st);
  CHECK_INT(st.sent_bps, 100000);
  usm__bwe_destroy(b);
}

static uint32_t lcg(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

static void test_bounds(void) {
  const usm__bwe_cfg cfgs[] = {{0, 0, 0}, {300000, 100000, 500000}, {64000, 64000, 64000}, {1, 1, 0xFFFFFFFFu}};
  for (size_t c = 0; c < sizeof cfgs / sizeof cfgs[0]; c++) {
    usm__bwe *b = make(cfgs[c].start_bps, cfgs[c].min_bps, cfgs[c].max_bps);
    uint32_t mn = cfgs[c].min_bps ? cfgs[c].min_bps : USM__BWE_DEFAULT_MIN_BPS;
    uint32_t mx = cfgs[c].max_bps ? cfgs[c].max_bps : USM__BWE_DEFAULT_MAX_BPS;
    uint32_t s = 12345u + (uint32_t)c;
    uint64_t t = 0, remb_at = 0;
    uint64_t remb = 0;
    int have_remb = 0, bad = 0;
    for (int i = 0; i < 200000; i++) {
      t += lcg(&s) % 400000u;
      switch (lcg(&s) % 4u) {
        case 0:
          usm__bwe_on_report(b, (uint8_t)(lcg(&s) % 3u ? lcg(&s) % 40u : lcg(&s)), lcg(&s) % 500u,
                             lcg(&s) % 60u, t);
          break;
        case 1:
          if (lcg(&s) % 8u == 0) {
            remb = (uint64_t)lcg(&s) * 2u;
            remb_at = t;
            have_remb = 1;
            usm__bwe_on_remb(b, remb, t);
          }
          break;
        default:
          usm__bwe_on_sent(b, lcg(&s) % 2u ? usm__bwe_target(b) : lcg(&s) % 5000000u, t);
          break;
      }
      uint32_t v = usm__bwe_target(b);
      if (v < mn || v > mx) bad++;
      if (have_remb && t - remb_at <= MS(USM__BWE_REMB_TIMEOUT_MS) && remb >= mn && v > remb) bad++;
    }
    CHECK_INT(bad, 0);
    usm__bwe_stats st;
    usm__bwe_get_stats(b, &st);
    CHECK(st.increases > 0 || mn == mx);
    CHECK(st.decreases > 0 || mn == mx);
    usm__bwe_destroy(b);
  }
}

static void split(uint32_t total, uint32_t amax, uint32_t vmin, uint32_t vmax, uint32_t ea, uint32_t ev) {
  uint32_t a = 1, v = 1;
  usm__bwe_split(total, amax, vmin, vmax, &a, &v);
  if (a != ea || v != ev) {
    check_failures++;
    fprintf(stderr, "split(%u, %u, %u, %u) = %u + %u, expected %u + %u\n", total, amax, vmin, vmax, a, v, ea,
            ev);
  }
  check_count++;
}

static void test_split(void) {
  /* plenty: audio what it wants, video the rest up to its cap */
  split(1000000, 64000, 0, 4000000, 64000, 936000);
  split(USM__BWE_DEFAULT_MAX_BPS, 64000, 100000, 4000000, 64000, 4000000);
  split(10000000, 64000, 0, 4000000, 64000, 4000000);
  split(1000000, USM__BWE_AUDIO_MONO_BPS, 0, 4000000, 32000, 968000);
  /* audio only */
  split(1000000, 64000, 0, 0, 64000, 0);
  split(20000, 64000, 0, 0, 20000, 0);
  split(5000, 64000, 0, 0, 16000, 0);
  split(0, 32000, 0, 0, 16000, 0);
  /* video only */
  split(1000000, 0, 0, 4000000, 0, 1000000);
  split(1000, 0, 0, 4000000, 0, 1000);
  split(1000, 0, 50000, 4000000, 0, 50000);
  /* low totals, video may pause */
  split(50000, 32000, 0, 4000000, 32000, 18000);
  split(32000, 32000, 0, 4000000, 32000, 0);
  split(30000, 32000, 0, 4000000, 30000, 0);
  split(8000, 32000, 0, 4000000, 16000, 0);
  /* low totals, video keeps its floor; audio gives way to 16k first */
  split(200000, 64000, 100000, 4000000, 64000, 136000);
  split(164000, 64000, 100000, 4000000, 64000, 100000);
  split(150000, 64000, 100000, 4000000, 50000, 100000);
  split(100000, 64000, 100000, 4000000, 16000, 100000);
  split(50000, 64000, 100000, 4000000, 16000, 100000);
  /* an audio cap below the floor is kept; a video min above its max is the max */
  split(5000, 10000, 0, 4000000, 10000, 0);
  split(1000000, 64000, 500000, 300000, 64000, 300000);
  split(100000, 64000, 500000, 300000, 16000, 300000);
  usm__bwe_split(1000000, 64000, 0, 100, NULL, NULL);

  /* sweep: the bounds hold everywhere */
  const uint32_t amaxes[] = {0, 10000, 32000, 64000}, vmins[] = {0, 30000, 150000}, vmaxes[] = {0, 500000, 4000000};
  int bad = 0;
  for (size_t i = 0; i < 4; i++)
    for (size_t j = 0; j < 3; j++)
      for (size_t k = 0; k < 3; k++)
        for (uint32_t total = 0; total <= 5000000; total += 997) {
          uint32_t am = amaxes[i], vn = vmins[j] < vmaxes[k] ? vmins[j] : vmaxes[k], vx = vmaxes[k], a, v;
          uint32_t fl = am < 16000 ? am : 16000;
          usm__bwe_split(total, am, vmins[j], vx, &a, &v);
          if (a > am || a < fl || v > vx || v < vn) bad++;
          if ((uint64_t)a + v > (total > (uint64_t)fl + vn ? total : (uint64_t)fl + vn)) bad++;
          if (total >= (uint64_t)am + vn && (a != am || (uint64_t)a + v > total)) bad++;
          if (total >= (uint64_t)am + vx && v != vx) bad++;
        }
  CHECK_INT(bad, 0);
}

/* A bottleneck of @p cap_bps: loss = max(0, 1 - capacity / send rate); the
 * sender sends what it is told (times a deterministic +-@p noise_pct %);
 * reports every @p report_ms. Returns the time from which the target stays
 * within +-30 % of the capacity until the end (ms), or UINT64_MAX. */
static uint64_t bottleneck(uint32_t start, uint32_t cap_bps, uint64_t report_ms, uint32_t noise_pct,
                           uint64_t secs, uint32_t *final_target) {
  usm__bwe *b = make(start, 0, 0);
  uint32_t s = 99u;
  uint64_t settled = UINT64_MAX;
  for (uint64_t t = 0; t <= S(secs); t += MS(report_ms)) {
    double send = usm__bwe_target(b);
    if (noise_pct) send *= 1.0 + ((double)(lcg(&s) % (2u * noise_pct + 1u)) - noise_pct) / 100.0;
    double loss = send > cap_bps ? 1.0 - cap_bps / send : 0.0;
    long fl = lround(loss * 256.0);
    if (fl > 255) fl = 255;
    uint32_t packets = (uint32_t)(send * (double)report_ms / 1000.0 / (8.0 * 1200.0)) + 1u;
    usm__bwe_on_sent(b, (uint32_t)send, t);
    usm__bwe_on_report(b, (uint8_t)fl, 60, packets, t);
    uint32_t v = usm__bwe_target(b);
    int inside = v >= cap_bps * 0.7 && v <= cap_bps * 1.3;
    if (inside && settled == UINT64_MAX) settled = t / 1000u;
    if (!inside) settled = UINT64_MAX;
  }
  *final_target = usm__bwe_target(b);
  usm__bwe_destroy(b);
  return settled;
}

static void test_bottleneck(void) {
  const struct {
    uint32_t start;
    uint64_t report_ms;
    uint32_t noise;
    uint64_t limit_ms;
  } runs[] = {
      {0, 1000, 0, 10000},       /* from 1 Mbit/s: cuts */
      {0, 250, 0, 10000},        /* more frequent reports */
      {4064000, 1000, 0, 10000}, /* from the cap */
      {150000, 1000, 0, 20000},  /* from below: 8 %/s up to 350k takes ~11 s */
      {0, 500, 10, 10000},       /* an encoder that misses the target by +-10 % */
  };
  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
    uint32_t final_target;
    uint64_t ms = bottleneck(runs[i].start, 500000, runs[i].report_ms, runs[i].noise, 120, &final_target);
    printf("bottleneck 500 kbit/s, start %u, reports every %llu ms, noise %u %%: within +-30 %% from "
           "%llu ms on (final %u bit/s)\n",
           runs[i].start ? runs[i].start : USM__BWE_DEFAULT_START_BPS, (unsigned long long)runs[i].report_ms,
           runs[i].noise, (unsigned long long)ms, final_target);
    CHECK(ms <= runs[i].limit_ms);
  }
}

int main(void) {
  test_create();
  test_ramp();
  test_thresholds();
  test_loss_20();
  test_loss_5_holds();
  test_merge();
  test_remb();
  test_app_limited();
  test_bounds();
  test_split();
  test_bottleneck();
  return check_done("test_bwe");
}
