/* Tone and pattern quality checks: see signal_check.h. */
#include "signal_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quality.h"
#include "source/test_signal.h"

#define RATE 48000
#define BLOCK 960 /* 20 ms */

/* SNR (dB, clipped to [-10, 40]) and correlation of @p n received samples
 * against the tone from index t0, after a least-squares gain. */
static double block_snr(const int16_t *got, size_t n, uint64_t t0, double *corr) {
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t j = 0; j < n; j++) {
    double x = usm__tone_sample((t0 + j) % RATE), y = got[j];
    sxy += x * y;
    sxx += x * x;
    syy += y * y;
  }
  if (sxx <= 0 || syy <= 0) {
    *corr = 0;
    return -10;
  }
  double g = sxy / sxx, err = syy - 2 * g * sxy + g * g * sxx;
  *corr = sxy / sqrt(sxx * syy);
  if (*corr <= 0) return -10;
  double db = err <= 1e-9 ? 40.0 : 10.0 * log10(g * g * sxx / err);
  return db < -10 ? -10 : db > 40 ? 40 : db;
}

void sigcheck_tone(const int16_t *pcm, size_t n, size_t skip, sigcheck_audio *out) {
  memset(out, 0, sizeof *out);
  out->worst_snr_db = 40;
  /* The tone repeats every second: the delay modulo a second comes from 100 ms
   * around a second's boundary (the sine's end and the beep's onset), found
   * within one second of the received audio. */
  enum { REF_FIRST = 45600, REF_N = 4800 };
  if (!pcm || n < skip + RATE + 2 * REF_N) return;
  int16_t ref[REF_N];
  usm__tone_fill(REF_FIRST, ref, 1, REF_N);
  size_t lag = 0;
  double c0 = 0;
  double snr0 = usmrec_align_snr(ref, REF_N, pcm + skip, RATE + REF_N, RATE, &lag, &c0);
  if (snr0 != snr0) return; /* NAN: silence */
  /* pcm[skip + lag + i] ~ tone(REF_FIRST + i): pcm[j] is tone index j + off */
  long off = REF_FIRST - (long)(skip + lag);
  out->delay = ((-off) % RATE + RATE) % RATE;
  double sum = 0, csum = 0;
  size_t blocks = 0;
  /* The last 20 ms are left out: past the end of a finite signal they hold
   * the encoder's lookahead (about 6.5 ms of Opus) run into silence. */
  for (size_t j = skip; j + 2 * BLOCK <= n; j += BLOCK) {
    /* a jitter buffer moves the delay by whole 20 ms frames: try the same
     * delay and one frame either way, each refined by a few samples */
    double best = -10, best_c = -2;
    long best_off = off;
    for (long frame = -BLOCK; frame <= BLOCK; frame += BLOCK)
      for (long d = frame - 3; d <= frame + 3; d++) {
        double c;
        long t = (long)j + off + d;
        double snr = block_snr(pcm + j, BLOCK, (uint64_t)((t % RATE + RATE) % RATE), &c);
        if (c > best_c) best_c = c, best = snr, best_off = off + d;
      }
    if (labs(best_off - off) > BLOCK / 2) out->resyncs++;
    off = best_off;
    sum += best;
    csum += best_c;
    if (best < out->worst_snr_db) out->worst_snr_db = best;
    if (best < SIGCHECK_BLOCK_SNR_DB) out->bad_blocks++;
    blocks++;
  }
  out->blocks = (unsigned)blocks;
  out->seconds = (double)(blocks * BLOCK) / RATE;
  out->snr_db = sum / (double)blocks;
  out->corr = csum / (double)blocks;
  out->ok = out->snr_db > SIGCHECK_MIN_SNR_DB && out->corr > SIGCHECK_MIN_CORR &&
            out->bad_blocks <= SIGCHECK_MAX_BAD_BLOCKS * (double)blocks;
}

void sigcheck_audio_json(const sigcheck_audio *a, char *buf, size_t cap) {
  snprintf(buf, cap,
           "\"tone_seconds\":%.2f,\"seg_snr_db\":%.1f,\"worst_block_snr_db\":%.1f,\"corr\":%.4f,"
           "\"delay_samples\":%ld,\"resyncs\":%u,\"blocks\":%u,\"blocks_below_%.0f_db\":%u,"
           "\"min_snr_db\":%.1f,\"max_bad_blocks\":%.2f,\"min_corr\":%.2f,\"tone_ok\":%s",
           a->seconds, a->snr_db, a->worst_snr_db, a->corr, a->delay, a->resyncs, a->blocks, SIGCHECK_BLOCK_SNR_DB,
           a->bad_blocks, SIGCHECK_MIN_SNR_DB, SIGCHECK_MAX_BAD_BLOCKS, SIGCHECK_MIN_CORR, a->ok ? "true" : "false");
}

int sigcheck_video_init(sigcheck_video *v, unsigned width, unsigned height) {
  memset(v, 0, sizeof *v);
  v->width = width;
  v->height = height;
  v->worst_psnr = USMREC_QUALITY_MAX_DB;
  v->ref = malloc((size_t)width * height * 3 / 2);
  return v->ref ? 0 : -1;
}

void sigcheck_video_free(sigcheck_video *v) {
  free(v->ref);
  v->ref = NULL;
}

void sigcheck_picture(sigcheck_video *v, const uint8_t *const plane[3], const int stride[3], unsigned w, unsigned h) {
  v->pictures++;
  if (w != v->width || h != v->height) {
    v->wrong_size++;
    return;
  }
  uint32_t counter = 0;
  if (!usm__pattern_read(plane, stride, w, h, &counter)) {
    v->unreadable++;
    return;
  }
  uint8_t *pl[3] = {v->ref, v->ref + (size_t)w * h, v->ref + (size_t)w * h + (size_t)(w / 2) * (h / 2)};
  int st[3] = {(int)w, (int)w / 2, (int)w / 2};
  usm__pattern_draw(pl, st, w, h, counter);
  const uint8_t *const rp[3] = {pl[0], pl[1], pl[2]};
  double psnr = usmrec_psnr_i420(plane, stride, rp, st, w, h);
  if (!(psnr >= SIGCHECK_CORRUPT_PSNR_DB)) v->corrupt++;
  if (psnr < v->worst_psnr) v->worst_psnr = psnr;
  v->psnr_sum += psnr;
  unsigned readable = v->pictures - v->wrong_size - v->unreadable;
  if (readable == 1) {
    v->first = counter;
  } else if (counter <= v->last) {
    v->out_of_order++;
  } else {
    v->skipped += counter - v->last - 1;
  }
  if (readable == 1 || counter > v->last) v->last = counter;
}

int sigcheck_video_ok(const sigcheck_video *v, unsigned min_pictures) {
  return v->pictures >= min_pictures && v->wrong_size == 0 && v->unreadable == 0 && v->corrupt == 0 &&
         v->out_of_order == 0 && v->worst_psnr > SIGCHECK_MIN_PSNR_DB;
}

void sigcheck_video_json(const sigcheck_video *v, char *buf, size_t cap) {
  unsigned readable = v->pictures - v->wrong_size - v->unreadable;
  snprintf(buf, cap,
           "\"pictures\":%u,\"size\":\"%ux%u\",\"wrong_size\":%u,\"unreadable\":%u,\"corrupt\":%u,"
           "\"out_of_order\":%u,\"counters_skipped\":%u,\"first_counter\":%u,\"last_counter\":%u,"
           "\"psnr_mean_db\":%.2f,\"psnr_worst_db\":%.2f,\"min_psnr_db\":%.1f",
           v->pictures, v->width, v->height, v->wrong_size, v->unreadable, v->corrupt, v->out_of_order, v->skipped,
           (unsigned)v->first, (unsigned)v->last, readable ? v->psnr_sum / readable : 0.0,
           readable ? v->worst_psnr : 0.0, SIGCHECK_MIN_PSNR_DB);
}
