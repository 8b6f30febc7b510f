/* Keyframe request pacing for one received video source: the receiver wants
 * a keyframe (packets given up, a restart, the decoder's chain broken) often
 * in bursts; the sender should see one request per interval (~300 ms), and
 * a wish that could not be sent yet goes out when the interval has passed.
 * Optionally the first request after a reset is a FIR (RFC 5104 §4.3.1, with
 * its sequence number), later ones PLI (RFC 4585 §6.3.1). No I/O; time is
 * passed in (monotonic microseconds). */
#ifndef USM_MEDIA_PLI_LIMITER_H
#define USM_MEDIA_PLI_LIMITER_H

#include <stdint.h>

#define USM__PLI_DEFAULT_INTERVAL_MS 300u

typedef enum usm__kf_request {
  USM__KF_NONE = 0,  /* nothing to send now */
  USM__KF_PLI,       /* send usm__rtcp_build_pli() */
  USM__KF_FIR        /* send usm__rtcp_build_fir() with fir_seq */
} usm__kf_request;

typedef struct usm__pli_limiter {
  uint32_t interval_ms;
  uint8_t fir_first;   /* the first request after a reset is a FIR */
  uint8_t pending;     /* a wish not yet sent */
  uint8_t sent_any;    /* since the reset */
  uint8_t fir_seq;     /* RFC 5104: incremented per new FIR request */
  uint64_t last_us;    /* last request sent, valid when sent_any */
  uint64_t plis, firs, suppressed;
} usm__pli_limiter;

/* @p interval_ms 0: 300. @p fir_first: 1 to send a FIR for the first request
 * after init/reset. */
void usm__pli_limiter_init(usm__pli_limiter *l, uint32_t interval_ms, int fir_first);
/* A new stream (SSRC change): the next request may go at once (and be a FIR). */
void usm__pli_limiter_reset(usm__pli_limiter *l);
/* The receiver wants a keyframe. What to send now (and *fir_seq for a FIR,
 * may be NULL), or USM__KF_NONE when the last request was less than the
 * interval ago: the wish is kept for usm__pli_limiter_poll(). */
usm__kf_request usm__pli_limiter_want(usm__pli_limiter *l, uint64_t now_us, uint8_t *fir_seq);
/* Call on each tick: a kept wish once the interval has passed, else NONE. */
usm__kf_request usm__pli_limiter_poll(usm__pli_limiter *l, uint64_t now_us, uint8_t *fir_seq);
/* A keyframe arrived: drop a kept wish. */
void usm__pli_limiter_keyframe_received(usm__pli_limiter *l);

#endif
