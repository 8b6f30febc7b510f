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

void sigcheck_tone(const int16_t *pcm, size_t n, size_t skip, sigcheck_audio *out) {
  memset(out, 0, sizeof *out);
  /* The last 20 ms are left out: past the end of a finite signal they hold
   * the encoder's lookahead (about 6.5 ms of Opus) run into silence. */
  if (!pcm || n < skip + BLOCK) return;
  static int16_t ref[RATE];
  usm__tone_fill(0, ref, 1, RATE); /* the tone repeats every second */
  usmrec_segsnr r;
  if (usmrec_periodic_segsnr(ref, RATE, pcm + skip, n - skip - BLOCK, BLOCK, &r) != 0) return;
  out->delay = (long)((r.delay + skip) % RATE);
  out->resyncs = r.resyncs;
  out->blocks = r.blocks;
  out->bad_blocks = r.low_blocks;
  out->worst_snr_db = r.worst_db;
  out->seconds = (double)(r.blocks * BLOCK) / RATE;
  out->snr_db = r.snr_db;
  out->corr = r.corr;
  out->ok = out->snr_db > SIGCHECK_MIN_SNR_DB && out->corr > SIGCHECK_MIN_CORR &&
            out->bad_blocks <= SIGCHECK_MAX_BAD_BLOCKS * (double)r.blocks;
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
