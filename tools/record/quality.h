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

#endif
