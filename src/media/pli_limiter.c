/* Keyframe request pacing (see pli_limiter.h). */
#include "media/pli_limiter.h"

#include <stddef.h>

void usm__pli_limiter_init(usm__pli_limiter *l, uint32_t interval_ms, int fir_first) {
  if (!l) return;
  usm__pli_limiter z = {0};
  *l = z;
  l->interval_ms = interval_ms ? interval_ms : USM__PLI_DEFAULT_INTERVAL_MS;
  l->fir_first = fir_first ? 1 : 0;
}

void usm__pli_limiter_reset(usm__pli_limiter *l) {
  if (!l) return;
  l->pending = 0;
  l->sent_any = 0;
}

static usm__kf_request send_now(usm__pli_limiter *l, uint64_t now_us, uint8_t *fir_seq) {
  usm__kf_request kind = l->fir_first && !l->sent_any ? USM__KF_FIR : USM__KF_PLI;
  l->pending = 0;
  l->sent_any = 1;
  l->last_us = now_us;
  if (kind == USM__KF_FIR) {
    l->fir_seq++; /* a new request, not a repeat (RFC 5104 §4.3.1.1) */
    l->firs++;
    if (fir_seq) *fir_seq = l->fir_seq;
  } else {
    l->plis++;
  }
  return kind;
}

static int allowed(const usm__pli_limiter *l, uint64_t now_us) {
  if (!l->sent_any) return 1;
  /* a clock that went back counts as "not yet" until it passes last_us again */
  return now_us >= l->last_us && now_us - l->last_us >= (uint64_t)l->interval_ms * 1000u;
}

usm__kf_request usm__pli_limiter_want(usm__pli_limiter *l, uint64_t now_us, uint8_t *fir_seq) {
  if (!l) return USM__KF_NONE;
  if (allowed(l, now_us)) return send_now(l, now_us, fir_seq);
  if (!l->pending) l->suppressed++;
  l->pending = 1;
  return USM__KF_NONE;
}

usm__kf_request usm__pli_limiter_poll(usm__pli_limiter *l, uint64_t now_us, uint8_t *fir_seq) {
  if (!l || !l->pending || !allowed(l, now_us)) return USM__KF_NONE;
  return send_now(l, now_us, fir_seq);
}

void usm__pli_limiter_keyframe_received(usm__pli_limiter *l) {
  if (l) l->pending = 0;
}
