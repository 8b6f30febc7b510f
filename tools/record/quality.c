/* PSNR and aligned SNR (quality.h). */
#include "quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double usmrec_psnr_i420(const uint8_t *const a[3], const int as[3], const uint8_t *const b[3], const int bs[3],
                        unsigned w, unsigned h) {
  if (!a || !as || !b || !bs || !a[0] || !b[0] || w == 0 || h == 0 || as[0] < (int)w || bs[0] < (int)w) return NAN;
  uint64_t sse = 0;
  for (unsigned y = 0; y < h; y++) {
    const uint8_t *ra = a[0] + (size_t)y * (size_t)as[0], *rb = b[0] + (size_t)y * (size_t)bs[0];
    for (unsigned x = 0; x < w; x++) {
      int d = ra[x] - rb[x];
      sse += (uint64_t)(d * d);
    }
  }
  if (sse == 0) return USMREC_QUALITY_MAX_DB;
  double mse = (double)sse / ((double)w * h);
  double db = 10.0 * log10(255.0 * 255.0 / mse);
  return db > USMREC_QUALITY_MAX_DB ? USMREC_QUALITY_MAX_DB : db;
}

double usmrec_align_snr(const int16_t *ref, size_t ref_n, const int16_t *got, size_t got_n, size_t max_lag,
                        size_t *lag_out, double *corr_out) {
  if (lag_out) *lag_out = 0;
  if (corr_out) *corr_out = 0;
  if (!ref || !got || ref_n == 0 || got_n == 0) return NAN;
  double best = -2.0;
  size_t best_lag = 0;
  int found = 0;
  for (size_t lag = 0; lag <= max_lag && lag < got_n; lag++) {
    size_t n = got_n - lag < ref_n ? got_n - lag : ref_n;
    double rg = 0, rr = 0, gg = 0;
    const int16_t *g = got + lag;
    for (size_t i = 0; i < n; i++) {
      double r = ref[i], v = g[i];
      rg += r * v;
      rr += r * r;
      gg += v * v;
    }
    if (rr <= 0 || gg <= 0) continue;
    double c = rg / sqrt(rr * gg);
    if (c > best) best = c, best_lag = lag, found = 1;
  }
  if (!found) return NAN;
  size_t n = got_n - best_lag < ref_n ? got_n - best_lag : ref_n;
  const int16_t *g = got + best_lag;
  double rg = 0, rr = 0;
  for (size_t i = 0; i < n; i++) rg += (double)ref[i] * g[i], rr += (double)ref[i] * ref[i];
  double k = rg / rr; /* least-squares gain of got against ref */
  double sig = 0, noise = 0;
  for (size_t i = 0; i < n; i++) {
    double s = k * ref[i], d = g[i] - s;
    sig += s * s;
    noise += d * d;
  }
  if (lag_out) *lag_out = best_lag;
  if (corr_out) *corr_out = best;
  if (sig <= 0) return -USMREC_QUALITY_MAX_DB; /* got is uncorrelated or inverted: all noise */
  if (noise <= 0) return USMREC_QUALITY_MAX_DB;
  double db = 10.0 * log10(sig / noise);
  return db > USMREC_QUALITY_MAX_DB ? USMREC_QUALITY_MAX_DB : db;
}

/* ---- segmental SNR against a periodic reference ---- */

#define SEG_DECIMATE 8u
#define SEG_FINE 16 /* samples around the coarse lag searched at full rate */
/* A block whose best local match correlates less is searched for anywhere. */
#define SEG_RELOCK_CORR 0.9

static void decimate(const int16_t *in, size_t n, int16_t *out) {
  for (size_t i = 0; i < n / SEG_DECIMATE; i++) {
    int32_t sum = 0;
    for (unsigned k = 0; k < SEG_DECIMATE; k++) sum += in[i * SEG_DECIMATE + k];
    out[i] = (int16_t)(sum / (int32_t)SEG_DECIMATE);
  }
}

/* SNR (dB, clipped to [-10, 40]) and correlation of got[0..n) against the
 * reference from index t0 (wrapping), after a least-squares gain. */
static double block_snr(const int16_t *ref, size_t period, const int16_t *got, size_t n, size_t t0, double *corr) {
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t j = 0, t = t0 % period; j < n; j++, t = t + 1 == period ? 0 : t + 1) {
    double x = ref[t], y = got[j];
    sxy += x * y;
    sxx += x * x;
    syy += y * y;
  }
  if (sxx <= 0 || syy <= 0 || sxy <= 0) {
    *corr = 0;
    return -10;
  }
  double g = sxy / sxx, err = syy - 2 * g * sxy + g * g * sxx;
  *corr = sxy / sqrt(sxx * syy);
  double db = err <= 1e-9 ? 40.0 : 10.0 * log10(g * g * sxx / err);
  return db < -10 ? -10 : db > 40 ? 40 : db;
}

static size_t wrap(long v, size_t period) { return (size_t)((v % (long)period + (long)period) % (long)period); }

/* The reference index that best matches got[0..n) anywhere in the period:
 * coarse over decimated copies (rd: the decimated reference, pd samples),
 * then +-SEG_DECIMATE at full rate. For a block the local search lost (the
 * sender or the player skipped more than a frame). */
static long relock(const int16_t *ref, size_t period, const int16_t *rd, size_t pd, const int16_t *got, size_t n,
                   double *corr) {
  int16_t gd[512];
  size_t nd = n / SEG_DECIMATE < sizeof gd / sizeof gd[0] ? n / SEG_DECIMATE : sizeof gd / sizeof gd[0];
  decimate(got, nd * SEG_DECIMATE, gd);
  size_t best_t = 0;
  double best = -2;
  for (size_t t = 0; t < pd; t++) {
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t j = 0, k = t; j < nd; j++, k = k + 1 == pd ? 0 : k + 1) {
      sxy += (double)rd[k] * gd[j];
      sxx += (double)rd[k] * rd[k];
      syy += (double)gd[j] * gd[j];
    }
    double c = sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : -2;
    if (c > best) best = c, best_t = t;
  }
  long fine = (long)(best_t * SEG_DECIMATE);
  *corr = -2;
  for (long d = -(long)SEG_DECIMATE; d <= (long)SEG_DECIMATE; d++) {
    double c;
    block_snr(ref, period, got, n, wrap(fine + d, period), &c);
    if (c > *corr) *corr = c, best_t = wrap(fine + d, period);
  }
  return (long)best_t;
}

int usmrec_periodic_segsnr(const int16_t *ref, size_t period, const int16_t *got, size_t n, size_t block,
                           usmrec_segsnr *out) {
  memset(out, 0, sizeof *out);
  if (!ref || !got || period < 64 * SEG_DECIMATE || !block || n < 2 * period) return -1;
  /* coarse: the delay modulo a period, at 1/8 rate over one whole period */
  size_t pd = period / SEG_DECIMATE;
  int16_t *rd = malloc(pd * sizeof *rd), *gd = malloc(2 * pd * sizeof *gd);
  if (!rd || !gd) {
    free(rd);
    free(gd);
    return -1;
  }
  decimate(ref, pd * SEG_DECIMATE, rd);
  decimate(got, 2 * pd * SEG_DECIMATE, gd);
  size_t lag = 0;
  double c = 0;
  double coarse = usmrec_align_snr(rd, pd, gd, 2 * pd, pd - 1, &lag, &c);
  free(gd);
  if (coarse != coarse) { /* NAN: silence */
    free(rd);
    return -1;
  }
  /* fine: +-SEG_FINE samples around it, at full rate over one period */
  long best_delay = (long)(lag * SEG_DECIMATE);
  double best_c = -2;
  for (long d = (long)(lag * SEG_DECIMATE) - SEG_FINE; d <= (long)(lag * SEG_DECIMATE) + SEG_FINE; d++) {
    double cc;
    block_snr(ref, period, got + period, period, wrap((long)period - d, period), &cc);
    if (cc > best_c) best_c = cc, best_delay = d;
  }
  /* got[j] ~ ref[j - delay]: the block at j starts at reference index j + off */
  long off = -best_delay;
  out->delay = wrap(best_delay, period);
  out->worst_db = 40;
  double sum = 0, csum = 0;
  for (size_t j = 0; j + block <= n; j += block) {
    double best = -10, bc = -2;
    long boff = off;
    for (long step = -(long)block; step <= (long)block; step += (long)block)
      for (long d = step - 3; d <= step + 3; d++) {
        double cc, db = block_snr(ref, period, got + j, block, wrap((long)j + off + d, period), &cc);
        if (cc > bc) bc = cc, best = db, boff = off + d;
      }
    if (bc < SEG_RELOCK_CORR) { /* lost: the delay jumped by more than a block */
      double rc;
      long t = relock(ref, period, rd, pd, got + j, block, &rc);
      if (rc > bc) {
        bc = rc;
        best = block_snr(ref, period, got + j, block, (size_t)t, &rc);
        boff = t - (long)j;
      }
    }
    if (labs(boff - off) > (long)block / 2) out->resyncs++;
    off = boff;
    sum += best;
    csum += bc;
    if (best < out->worst_db) out->worst_db = best;
    if (best < USMREC_SEGSNR_LOW_DB) out->low_blocks++;
    out->blocks++;
  }
  free(rd);
  out->snr_db = sum / out->blocks;
  out->corr = csum / out->blocks;
  return 0;
}
