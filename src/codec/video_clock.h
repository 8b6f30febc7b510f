/* Small pieces both video encoders need (vp8.c, h264.c): the I420 layout
 * check of an input frame and the encoder's presentation clock. Internal. */
#ifndef USM_CODEC_VIDEO_CLOCK_H
#define USM_CODEC_VIDEO_CLOCK_H

#include <stdint.h>

#include "codec/codec.h"

/* A timestamp step above this (10 s at 90 kHz) is a jump, not a frame interval. */
#define USM__VIDEO_MAX_TS_STEP (10u * 90000u)

/* 1 when every plane is there and each stride covers its row
 * (chroma: (width + 1) / 2). The size itself is the caller's to bound. */
static inline int usm__i420_layout_ok(const usm__video_frame *v) {
  int cw = (int)((v->width + 1u) / 2u);
  for (int i = 0; i < 3; i++)
    if (!v->plane[i] || v->stride[i] < (i ? cw : (int)v->width)) return 0;
  return 1;
}

/* An encoder's 90 kHz presentation time: strictly increasing, following the
 * frames' RTP timestamps when their step is plausible, else @p nominal. */
typedef struct usm__pts_clock {
  int64_t pts;
  uint32_t last_ts;
  int have_ts;
} usm__pts_clock;

static inline int64_t usm__pts_next(usm__pts_clock *c, uint32_t ts, uint32_t nominal) {
  if (c->have_ts) {
    uint32_t step = ts - c->last_ts; /* mod 2^32: wraps are fine */
    c->pts += (step == 0 || step > USM__VIDEO_MAX_TS_STEP) ? nominal : step;
  }
  c->last_ts = ts;
  c->have_ts = 1;
  return c->pts;
}

#endif
