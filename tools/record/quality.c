/* PSNR and aligned SNR (quality.h). */
#include "quality.h"

#include <math.h>

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
