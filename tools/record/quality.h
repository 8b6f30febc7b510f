/* Quality measures for tests and the demo summary: PSNR of two I420
 * pictures, and the SNR of received audio against its reference after
 * finding the delay by cross-correlation. Pure computations. */
#ifndef USMREC_QUALITY_H
#define USMREC_QUALITY_H

#include <stddef.h>
#include <stdint.h>

/* Cap of both measures for identical signals (no error at all). */
#define USMREC_QUALITY_MAX_DB 100.0

/* PSNR in dB of the Y (luma) plane only, w x h, peak 255; chroma is not
 * counted. USMREC_QUALITY_MAX_DB for identical planes, NAN for bad arguments. */
double usmrec_psnr_i420(const uint8_t *const a[3], const int as[3], const uint8_t *const b[3], const int bs[3],
                        unsigned w, unsigned h);

/* Finds the lag 0..max_lag (got[i + lag] ~ ref[i]: got is late) maximising
 * the normalised cross-correlation of got against ref over their overlap,
 * then returns the SNR in dB of got against ref scaled by least squares at
 * that lag (so gain differences do not count as noise). *lag_out, *corr_out
 * (may be NULL): the lag and its normalised correlation (-1..1). Mono
 * samples. NAN when no lag leaves an overlap or either signal is silent
 * there. Cost: O(max_lag x ref_n). */
double usmrec_align_snr(const int16_t *ref, size_t ref_n, const int16_t *got, size_t got_n, size_t max_lag,
                        size_t *lag_out, double *corr_out);

/* What usmrec_periodic_segsnr() measured. */
typedef struct usmrec_segsnr {
  double snr_db;      /* mean over the blocks, each clipped to [-10, 40] */
  double corr;        /* mean normalised correlation of the blocks */
  double worst_db;    /* the worst block */
  unsigned blocks;
  unsigned low_blocks; /* blocks below USMREC_SEGSNR_LOW_DB */
  unsigned resyncs;   /* blocks where the delay moved by about a block (a playout drop or insert) */
  size_t delay;       /* at the start: got[j] ~ ref[(j - delay) mod period] */
} usmrec_segsnr;

#define USMREC_SEGSNR_LOW_DB 10.0

/* Segmental SNR of received audio against a reference that repeats every
 * @p period samples (ref[0..period): e.g. a one-second test tone), as a
 * listener would judge it through a jitter buffer: the delay is found once
 * by cross-correlation over a whole period (at 1/8 rate, then refined),
 * then followed block by block (the same delay, or one block more or less,
 * each +-3 samples: jitter buffers drop or insert whole frames; a block that
 * matches none of those, after a bigger skip, is searched for anywhere); each
 * block's SNR is taken after a least-squares gain. Mono samples; @p block
 * e.g. 960 (20 ms at 48 kHz). 0, or -1 when got holds less than two periods
 * or is silent. Cost: O(period^2 / 64 + n x 21). */
int usmrec_periodic_segsnr(const int16_t *ref, size_t period, const int16_t *got, size_t n, size_t block,
                           usmrec_segsnr *out);

#endif
