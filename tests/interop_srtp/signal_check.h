/* Quality checks of the deterministic test signals (src/source/test_signal.h)
 * after a trip through another implementation, the same measures as the
 * libusm-to-libusm test (tests/e2e_quality): the tone's segmental SNR and
 * correlation against the regenerated tone, and for each decoded picture its
 * frame counter and the Y-plane PSNR against the regenerated pattern.
 * Test code for the interop harness. */
#ifndef USM_INTEROP_SIGNAL_CHECK_H
#define USM_INTEROP_SIGNAL_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "quality.h"

/* Pass thresholds (docs/interop-srtp.md lists the measured values). */
#define SIGCHECK_MIN_SNR_DB 25.0  /* mean segmental SNR over 20 ms blocks (as tests/e2e_quality) */
#define SIGCHECK_MIN_CORR 0.9     /* mean correlation of the blocks */
/* Nearly every block must match: the beep (a tenth of the blocks) must be
 * there too, which the mean alone does not see (a plain 440 Hz sine scores a
 * mean of 36 dB). The few spared are for a jitter buffer's frame inserted
 * or dropped to move its delay. */
#define SIGCHECK_BLOCK_SNR_DB USMREC_SEGSNR_LOW_DB
#define SIGCHECK_MAX_BAD_BLOCKS 0.03 /* fraction of blocks below SIGCHECK_BLOCK_SNR_DB */
#define SIGCHECK_MIN_PSNR_DB 35.0 /* every picture (as tests/e2e_quality) */
#define SIGCHECK_CORRUPT_PSNR_DB 20.0 /* below: a corrupt picture (broken reference chain) */

typedef struct sigcheck_audio {
  double seconds;      /* measured, after the skipped start */
  double snr_db;       /* mean of the 20 ms blocks, each clipped to [-10, 40] */
  double corr;         /* mean block correlation */
  double worst_snr_db; /* the worst block */
  long delay;          /* samples: received[j] ~ tone[j - delay] (mod 48000) at the start */
  unsigned resyncs;    /* blocks where the delay moved by a whole frame (jitter buffer) */
  unsigned blocks, bad_blocks; /* bad: below SIGCHECK_BLOCK_SNR_DB */
  int ok;              /* enough audio and every threshold met */
} sigcheck_audio;

/* Measures @p n mono samples (48 kHz) of received tone from @p skip on,
 * but for the last 20 ms. */
void sigcheck_tone(const int16_t *pcm, size_t n, size_t skip, sigcheck_audio *out);

typedef struct sigcheck_video {
  unsigned width, height;    /* expected size */
  unsigned pictures;         /* looked at */
  unsigned wrong_size, unreadable, corrupt, out_of_order;
  unsigned skipped;          /* counter values jumped over (frames not decoded) */
  uint32_t first, last;      /* counters of the first and last readable picture */
  double psnr_sum, worst_psnr;
  uint8_t *ref;              /* scratch: the regenerated pattern */
} sigcheck_video;

/* 0, or -1 when out of memory. */
int sigcheck_video_init(sigcheck_video *v, unsigned width, unsigned height);
void sigcheck_video_free(sigcheck_video *v);
/* One decoded I420 picture. */
void sigcheck_picture(sigcheck_video *v, const uint8_t *const plane[3], const int stride[3], unsigned w, unsigned h);
/* The verdict: at least @p min_pictures pictures, all of the right size,
 * readable, in order, none corrupt, the worst PSNR above the threshold. */
int sigcheck_video_ok(const sigcheck_video *v, unsigned min_pictures);
/* One JSON object's members (no braces) into @p buf. */
void sigcheck_video_json(const sigcheck_video *v, char *buf, size_t cap);
void sigcheck_audio_json(const sigcheck_audio *a, char *buf, size_t cap);

#endif
