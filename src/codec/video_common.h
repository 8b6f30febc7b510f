/* Small pieces both video encoders need (vp8.c, h264.c): the rate settings
 * taken from the params, the I420 layout check of an input frame and the
 * encoder's presentation clock. Internal. */
#ifndef USM_CODEC_VIDEO_COMMON_H
#define USM_CODEC_VIDEO_COMMON_H

#include <stdint.h>

#include "codec/codec.h"

/* A timestamp step above this (10 s at 90 kHz) is a jump, not a frame interval. */
#define USM__VIDEO_MAX_TS_STEP (10u * 90000u)

/* A video encoder's rate settings, from its params and its codec's range. */
typedef struct usm__video_rate {
  unsigned fps;         /* nominal frame rate */
  uint32_t min_bps, max_bps; /* the codec's floor; the cap (params, within the codec's range) */
  uint32_t bitrate;     /* current target, within [min_bps, max_bps] */
} usm__video_rate;

static inline uint32_t usm__video_rate_clamp(const usm__video_rate *r, uint32_t bps) {
  if (bps < r->min_bps) bps = r->min_bps;
  if (bps > r->max_bps) bps = r->max_bps;
  return bps;
}

/* From the params: fps (0: @p default_fps), the cap (0: the codec's
 * @p max_bps), the target (0: about 0.1 bit per pixel, ~700 kbit/s at
 * 640x360x30, within 100 k..4 M). */
static inline void usm__video_rate_init(usm__video_rate *r, const usm__codec_params *p, uint32_t min_bps,
                                        uint32_t max_bps, unsigned default_fps) {
  r->fps = p->video.fps ? p->video.fps : default_fps;
  r->min_bps = min_bps;
  r->max_bps = p->video.max_bitrate && p->video.max_bitrate < max_bps ? p->video.max_bitrate : max_bps;
  if (r->max_bps < min_bps) r->max_bps = min_bps;
  uint64_t def = (uint64_t)p->video.width * p->video.height * r->fps / 10u;
  def = def < 100000u ? 100000u : def > 4000000u ? 4000000u : def;
  r->bitrate = usm__video_rate_clamp(r, p->video.bitrate ? p->video.bitrate : (uint32_t)def);
}

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
