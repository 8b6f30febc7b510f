/* VP8 (RFC 6386) through libvpx, as a usm__codec_ops table. Encoder: one-pass
 * realtime CBR tuned for calls (no lookahead, error resilient, small rate
 * buffer, fixed speed), I420 in, one payload per encoded frame (RFC 7741
 * packetizing is vp8_rtp.c's job). Decoder: whole frames in, I420 out, and a
 * reference-chain guard: after a loss or a bad frame, delta frames are refused
 * until a keyframe, so a corrupt picture is never handed out. */
#include "codec/vp8.h"

#include "codec/video_common.h"

#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#include "codec/vp8_rtp.h"

/* libvpx speed for VP8 realtime: negative = that fixed speed (16 fastest).
 * -8 encodes 640x360 in about 3.5 ms a frame on one core here (measured in
 * tests/codec_vp8enc), leaving room on a 2-core machine for decode and the
 * rest of the call. */
#define VP8_CPU_USED (-8)
/* Rate buffer, in ms of the target rate (what WebRTC-style call encoders use):
 * small, so the rate follows the target within a second. */
#define VP8_BUF_INITIAL_MS 500u
#define VP8_BUF_OPTIMAL_MS 600u
#define VP8_BUF_MS 1000u
/* Quantizer range: 56 keeps low rates from looking blocky beyond use, 2 keeps
 * static scenes from wasting bits. */
#define VP8_MIN_Q 2u
#define VP8_MAX_Q 56u
/* Above this many pixels the encoder uses two threads. */
#define VP8_TWO_THREAD_PIXELS (960u * 540u)
/* A timestamp step larger than this (or zero, or backwards) is not trusted as
 * the frame's duration: the nominal one is used. */

typedef struct vp8_enc {
  usm__codec_enc base; /* first: the generic handle */
  vpx_codec_ctx_t ctx;
  vpx_codec_enc_cfg_t cfg;
  int live;            /* ctx is initialised */
  unsigned width, height;
  usm__video_rate rate; /* fps, bitrate and its range */
  unsigned kf_interval; /* 0: keyframes only on request */
  unsigned since_key;   /* frames encoded since the last keyframe */
  int force_key;
  usm__pts_clock clock; /* 90 kHz presentation time */
} vp8_enc;

typedef struct vp8_dec {
  usm__codec_dec base;
  vpx_codec_ctx_t ctx;
  unsigned max_w, max_h;
  int need_key;         /* the reference chain is broken: deltas are refused */
} vp8_dec;

static const usm__codec_ops vp8_ops;

static vp8_enc *as_enc(usm__codec_enc *e) { return e && e->ops == &vp8_ops ? (vp8_enc *)e : NULL; }
static vp8_dec *as_dec(usm__codec_dec *d) { return d && d->ops == &vp8_ops ? (vp8_dec *)d : NULL; }

static int dims_ok(unsigned w, unsigned h) {
  return w > 0 && h > 0 && w <= USM__VP8_MAX_WIDTH && h <= USM__VP8_MAX_HEIGHT;
}

static usm_err map_vpx(vpx_codec_err_t err) {
  switch (err) {
    case VPX_CODEC_OK: return USM_OK;
    case VPX_CODEC_MEM_ERROR: return USM_ERR_NO_MEMORY;
    case VPX_CODEC_INVALID_PARAM: return USM_ERR_INVALID_ARG;
    default: return USM_ERR_INTERNAL;
  }
}

static void enc_close(vp8_enc *e) {
  if (e->live) vpx_codec_destroy(&e->ctx);
  e->live = 0;
}

/* (Re)creates the libvpx encoder for e->width x e->height. */
static usm_err enc_open(vp8_enc *e) {
  enc_close(e);
  vpx_codec_enc_cfg_t *c = &e->cfg;
  if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), c, 0) != VPX_CODEC_OK) return USM_ERR_INTERNAL;
  c->g_w = e->width;
  c->g_h = e->height;
  c->g_threads = (uint64_t)e->width * e->height > VP8_TWO_THREAD_PIXELS ? 2u : 1u;
  c->g_timebase.num = 1; /* pts are RTP timestamps */
  c->g_timebase.den = (int)USM__VP8_CLOCK_RATE;
  c->g_pass = VPX_RC_ONE_PASS;
  c->g_lag_in_frames = 0;                          /* no lookahead: every frame out at once */
  c->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT; /* no cross-frame entropy state to lose */
  c->rc_end_usage = VPX_CBR;
  c->rc_target_bitrate = (e->rate.bitrate + 500u) / 1000u;
  c->rc_min_quantizer = VP8_MIN_Q;
  c->rc_max_quantizer = VP8_MAX_Q;
  c->rc_undershoot_pct = 100;
  c->rc_overshoot_pct = 15;
  c->rc_buf_initial_sz = VP8_BUF_INITIAL_MS;
  c->rc_buf_optimal_sz = VP8_BUF_OPTIMAL_MS;
  c->rc_buf_sz = VP8_BUF_MS;
  c->rc_dropframe_thresh = 0; /* never drop: the bandwidth estimator lowers the rate instead */
  c->rc_resize_allowed = 0;
  c->kf_min_dist = 0;
  if (e->kf_interval) {
    c->kf_mode = VPX_KF_AUTO;
    c->kf_max_dist = e->kf_interval;
  } else {
    c->kf_mode = VPX_KF_DISABLED; /* only on request (PLI/FIR) */
  }
  vpx_codec_err_t err = vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), c, 0);
  if (err != VPX_CODEC_OK) return map_vpx(err);
  e->live = 1;
  /* Keyframes are capped at this % of an average frame so one does not
   * flood the path: half the optimal buffer, as WebRTC computes it. */
  unsigned intra_pct = VP8_BUF_OPTIMAL_MS / 2u * e->rate.fps / 10u;
  if (intra_pct < 300u) intra_pct = 300u;
  int ok = vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, VP8_CPU_USED) == VPX_CODEC_OK &&
           vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1u) == VPX_CODEC_OK &&
           vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0u) == VPX_CODEC_OK &&
           vpx_codec_control(&e->ctx, VP8E_SET_TOKEN_PARTITIONS, (int)VP8_ONE_TOKENPARTITION) == VPX_CODEC_OK &&
           vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, intra_pct) == VPX_CODEC_OK;
  if (!ok) {
    enc_close(e);
    return USM_ERR_INTERNAL;
  }
  e->since_key = 0;
  e->force_key = 1; /* a new encoder starts with a keyframe anyway; say so */
  return USM_OK;
}

static void enc_destroy(usm__codec_enc *base) {
  vp8_enc *e = as_enc(base);
  if (!e) return;
  enc_close(e);
  free(e);
}

static usm_err enc_create(const usm__codec_params *p, usm__codec_enc **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  if (!p || p->kind != USM__CODEC_KIND_VIDEO || !dims_ok(p->video.width, p->video.height) ||
      p->video.fps > USM__VP8_MAX_FPS)
    return USM_ERR_INVALID_ARG;
  vp8_enc *e = calloc(1, sizeof *e);
  if (!e) return USM_ERR_NO_MEMORY;
  e->base.ops = &vp8_ops;
  e->width = p->video.width;
  e->height = p->video.height;
  e->kf_interval = p->video.keyframe_interval;
  usm__video_rate_init(&e->rate, p, USM__VP8_MIN_BITRATE, USM__VP8_MAX_BITRATE, USM__VP8_DEFAULT_FPS);
  usm_err r = enc_open(e);
  if (r != USM_OK) {
    free(e);
    return r == USM_ERR_NO_MEMORY ? r : USM_ERR_INTERNAL;
  }
  *out = &e->base;
  return USM_OK;
}

/* Checks an I420 frame's planes and strides against its own size. */
static int frame_ok(const usm__video_frame *v) {
  if (!dims_ok(v->width, v->height)) return 0;
  return usm__i420_layout_ok(v);
}

static usm_err encode(usm__codec_enc *base, const usm__codec_frame *f, usm__codec_payload_cb cb, void *user) {
  vp8_enc *e = as_enc(base);
  if (!e || !f || !cb || f->kind != USM__CODEC_KIND_VIDEO || !frame_ok(&f->u.video)) return USM_ERR_INVALID_ARG;
  const usm__video_frame *v = &f->u.video;
  if (!e->live || v->width != e->width || v->height != e->height) {
    /* A new size: libvpx takes it only through a new encoder. */
    e->width = v->width;
    e->height = v->height;
    usm_err r = enc_open(e);
    if (r != USM_OK) return r;
  }
  vpx_image_t img;
  if (!vpx_img_wrap(&img, VPX_IMG_FMT_I420, v->width, v->height, 1, v->plane[0])) return USM_ERR_INTERNAL;
  for (int i = 0; i < 3; i++) {
    img.planes[i] = v->plane[i]; /* libvpx only reads the input */
    img.stride[i] = v->stride[i];
  }
  uint32_t nominal = USM__VP8_CLOCK_RATE / e->rate.fps;
  vpx_enc_frame_flags_t flags = 0;
  if (e->force_key || (e->kf_interval && e->since_key >= e->kf_interval)) flags |= VPX_EFLAG_FORCE_KF;
  vpx_codec_err_t err =
      vpx_codec_encode(&e->ctx, &img, usm__pts_next(&e->clock, f->timestamp, nominal), nominal, flags, VPX_DL_REALTIME);
  if (err != VPX_CODEC_OK) return map_vpx(err) == USM_ERR_NO_MEMORY ? USM_ERR_NO_MEMORY : USM_ERR_INTERNAL;
  e->force_key = 0;
  usm_err r = USM_OK;
  vpx_codec_iter_t it = NULL;
  const vpx_codec_cx_pkt_t *pkt;
  while ((pkt = vpx_codec_get_cx_data(&e->ctx, &it)) != NULL) {
    if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
    int key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
    e->since_key = key ? 1u : e->since_key + 1u;
    if (r != USM_OK) continue; /* drain, but hand nothing more out */
    if (pkt->data.frame.sz > USM__VP8_MAX_FRAME_BYTES) {
      /* The packetizer cannot send it; the receiver loses this frame, so the
       * next one must not depend on it. */
      e->force_key = 1;
      r = USM_ERR_LIMIT;
      continue;
    }
    usm__codec_payload pl = {.data = pkt->data.frame.buf,
                             .len = pkt->data.frame.sz,
                             .timestamp = f->timestamp,
                             .duration = nominal,
                             .flags = USM__CODEC_PAYLOAD_LAST | (key ? USM__CODEC_PAYLOAD_KEYFRAME : 0u)};
    r = cb(user, &pl);
  }
  return r;
}

static usm_err set_bitrate(usm__codec_enc *base, uint32_t bps) {
  vp8_enc *e = as_enc(base);
  if (!e || bps == 0) return USM_ERR_INVALID_ARG;
  e->rate.bitrate = usm__video_rate_clamp(&e->rate, bps);
  if (!e->live) return USM_OK; /* taken when the encoder is re-created */
  e->cfg.rc_target_bitrate = (e->rate.bitrate + 500u) / 1000u;
  return vpx_codec_enc_config_set(&e->ctx, &e->cfg) == VPX_CODEC_OK ? USM_OK : USM_ERR_INTERNAL;
}

static usm_err request_keyframe(usm__codec_enc *base) {
  vp8_enc *e = as_enc(base);
  if (!e) return USM_ERR_INVALID_ARG;
  e->force_key = 1;
  return USM_OK;
}

usm_err usm__vp8_encoder_bitrate(usm__codec_enc *base, uint32_t *bps) {
  vp8_enc *e = as_enc(base);
  if (!e || !bps) return USM_ERR_INVALID_ARG;
  *bps = e->rate.bitrate;
  return USM_OK;
}

/* ---- decoder ---- */

static void dec_destroy(usm__codec_dec *base) {
  vp8_dec *d = as_dec(base);
  if (!d) return;
  vpx_codec_destroy(&d->ctx);
  free(d);
}

static usm_err dec_create(const usm__codec_params *p, usm__codec_dec **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  if (!p || p->kind != USM__CODEC_KIND_VIDEO) return USM_ERR_INVALID_ARG;
  vp8_dec *d = calloc(1, sizeof *d);
  if (!d) return USM_ERR_NO_MEMORY;
  d->base.ops = &vp8_ops;
  d->max_w = USM__VP8_MAX_WIDTH;
  d->max_h = USM__VP8_MAX_HEIGHT;
  d->need_key = 1;
  vpx_codec_dec_cfg_t cfg = {.threads = 1, .w = 0, .h = 0}; /* one thread: handles are single-threaded */
  vpx_codec_err_t err = vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0);
  if (err != VPX_CODEC_OK) {
    free(d);
    return err == VPX_CODEC_MEM_ERROR ? USM_ERR_NO_MEMORY : USM_ERR_INTERNAL;
  }
  *out = &d->base;
  return USM_OK;
}

usm_err usm__vp8_decoder_set_max_size(usm__codec_dec *base, unsigned width, unsigned height) {
  vp8_dec *d = as_dec(base);
  if (!d || !dims_ok(width, height)) return USM_ERR_INVALID_ARG;
  d->max_w = width;
  d->max_h = height;
  return USM_OK;
}

int usm__vp8_decoder_needs_keyframe(const usm__codec_dec *base) {
  return base && base->ops == &vp8_ops ? ((const vp8_dec *)base)->need_key : 0;
}

/* Checks the uncompressed frame header (RFC 6386 §9.1) before libvpx sees
 * it: version, first partition inside the payload, and for a keyframe the
 * start code and a size within bounds. */
static usm_err check_header(const vp8_dec *d, const uint8_t *p, size_t len, int *key) {
  if (len < USM__VP8_TAG_LEN) return USM_ERR_MALFORMED;
  uint32_t tag = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
  *key = (tag & 1u) == 0;
  if (((tag >> 1) & 7u) > 3u) return USM_ERR_MALFORMED; /* versions 0-3 only */
  size_t first_part = tag >> 5;
  size_t hdr = USM__VP8_TAG_LEN;
  if (*key) {
    if (len < USM__VP8_KEY_HEADER_LEN) return USM_ERR_MALFORMED;
    if (p[3] != 0x9d || p[4] != 0x01 || p[5] != 0x2a) return USM_ERR_MALFORMED;
    unsigned w = ((unsigned)p[6] | (unsigned)p[7] << 8) & 0x3fffu; /* top 2 bits: scaling */
    unsigned h = ((unsigned)p[8] | (unsigned)p[9] << 8) & 0x3fffu;
    if (w == 0 || h == 0) return USM_ERR_MALFORMED;
    if (w > d->max_w || h > d->max_h) return USM_ERR_LIMIT;
    hdr = USM__VP8_KEY_HEADER_LEN;
  }
  if (first_part == 0 || first_part > len - hdr) return USM_ERR_MALFORMED;
  return USM_OK;
}

static usm_err decode(usm__codec_dec *base, const uint8_t *payload, size_t len, usm__codec_frame *out, int *got) {
  vp8_dec *d = as_dec(base);
  if (got) *got = 0;
  if (!d) return USM_ERR_INVALID_ARG;
  if (!payload || len == 0) {
    /* A loss: nothing to conceal with (the caller keeps showing the last
     * picture), but whatever follows may reference the lost frame. */
    d->need_key = 1;
    return USM_OK;
  }
  if (!out || out->kind != USM__CODEC_KIND_VIDEO) return USM_ERR_INVALID_ARG;
  /* From here on a refused frame breaks the chain: the next delta may
   * reference it. */
  if (len > USM__VP8_MAX_FRAME_BYTES) {
    d->need_key = 1;
    return USM_ERR_LIMIT;
  }
  int key = 0;
  usm_err r = check_header(d, payload, len, &key);
  if (r != USM_OK) {
    d->need_key = 1;
    return r;
  }
  if (!key && d->need_key) return USM_ERR_WRONG_STATE;
  if (vpx_codec_decode(&d->ctx, payload, (unsigned)len, NULL, 0) != VPX_CODEC_OK) {
    d->need_key = 1;
    return USM_ERR_MALFORMED; /* libvpx's own reason is in vpx_codec_error_detail() */
  }
  /* Decoded, but from a truncated partition or a corrupt reference? */
  int corrupt = 0;
  if (vpx_codec_control(&d->ctx, VP8D_GET_FRAME_CORRUPTED, &corrupt) != VPX_CODEC_OK || corrupt) {
    d->need_key = 1;
    return USM_ERR_MALFORMED;
  }
  if (key) d->need_key = 0;
  vpx_codec_iter_t it = NULL;
  vpx_image_t *img = vpx_codec_get_frame(&d->ctx, &it);
  if (!img) return USM_OK; /* decoded but not shown (show_frame = 0) */
  if (img->fmt != VPX_IMG_FMT_I420 || img->d_w == 0 || img->d_h == 0 || img->d_w > d->max_w ||
      img->d_h > d->max_h) {
    d->need_key = 1;
    return USM_ERR_INTERNAL;
  }
  usm__video_frame *v = &out->u.video;
  for (int i = 0; i < 3; i++) {
    v->plane[i] = img->planes[i];
    v->stride[i] = img->stride[i];
  }
  v->width = img->d_w;
  v->height = img->d_h;
  v->keyframe = key;
  if (got) *got = 1;
  return USM_OK;
}

static const usm__codec_ops vp8_ops = {
    .version = USM__CODEC_API_VERSION,
    .id = USM__CODEC_ID_VP8,
    .kind = USM__CODEC_KIND_VIDEO,
    .name = "VP8",
    .clock_rate = USM__VP8_CLOCK_RATE,
    .encoder_create = enc_create,
    .encode = encode,
    .set_bitrate = set_bitrate,
    .request_keyframe = request_keyframe,
    .encoder_destroy = enc_destroy,
    .decoder_create = dec_create,
    .decode = decode,
    .decode_fec = NULL,
    .decoder_destroy = dec_destroy,
};

const usm__codec_ops *usm__codec_vp8(void) { return &vp8_ops; }
