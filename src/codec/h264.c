/* H.264 through Cisco's OpenH264, as a usm__codec_ops table. Encoder:
 * constrained baseline (CAVLC, no B frames, one reference), OpenH264's
 * realtime camera mode with bitrate rate control, one thread, one slice per
 * frame (RFC 6184 FU-A carries large slices; the receiver drops a whole access
 * unit on any loss anyway, so smaller slices would buy nothing), one payload
 * per coded frame. Decoder: whole Annex B access units in, I420 out, error
 * concealment off, a picture size bound checked on every SPS before OpenH264
 * sees it, and a reference-chain guard: after a loss or a bad access unit,
 * non-IDR ones are refused until an IDR, so a corrupt picture is never
 * handed out. */
#include "codec/h264.h"

#include "codec/video_common.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <wels/codec_api.h>

#include "codec/h264_rtp.h"

/* A timestamp step larger than this (or zero, or backwards) is not trusted as
 * the frame's duration: the nominal one is used. */

typedef struct h264_enc {
  usm__codec_enc base; /* first: the generic handle */
  ISVCEncoder *enc;    /* NULL until (re)created */
  unsigned width, height;
  usm__video_rate rate; /* fps, bitrate and its range */
  unsigned kf_interval; /* 0: IDR only on request */
  int force_key;
  usm__pts_clock clock; /* 90 kHz presentation time */
  uint8_t *buf;         /* the access unit handed out */
  size_t buf_cap;
} h264_enc;

typedef struct h264_dec {
  usm__codec_dec base;
  ISVCDecoder *dec;
  int need_key;         /* the reference chain is broken: non-IDR access units are refused */
} h264_dec;

static const usm__codec_ops h264_ops;

static h264_enc *as_enc(usm__codec_enc *e) { return e && e->ops == &h264_ops ? (h264_enc *)e : NULL; }
static h264_dec *as_dec(usm__codec_dec *d) { return d && d->ops == &h264_ops ? (h264_dec *)d : NULL; }

static int dims_ok(unsigned w, unsigned h) {
  return w >= 2 && h >= 2 && w % 2 == 0 && h % 2 == 0 && w <= USM__H264_MAX_WIDTH && h <= USM__H264_MAX_HEIGHT;
}

static void enc_close(h264_enc *e) {
  if (!e->enc) return;
  (*e->enc)->Uninitialize(e->enc);
  WelsDestroySVCEncoder(e->enc);
  e->enc = NULL;
}

/* (Re)creates the OpenH264 encoder for e->width x e->height. */
static usm_err enc_open(h264_enc *e) {
  enc_close(e);
  ISVCEncoder *enc = NULL;
  if (WelsCreateSVCEncoder(&enc) != 0 || !enc) return USM_ERR_NO_MEMORY;
  int quiet = WELS_LOG_QUIET;
  (*enc)->SetOption(enc, ENCODER_OPTION_TRACE_LEVEL, &quiet);
  SEncParamExt p;
  memset(&p, 0, sizeof p);
  if ((*enc)->GetDefaultParams(enc, &p) != cmResultSuccess) {
    WelsDestroySVCEncoder(enc);
    return USM_ERR_INTERNAL;
  }
  p.iUsageType = CAMERA_VIDEO_REAL_TIME;
  p.iPicWidth = (int)e->width;
  p.iPicHeight = (int)e->height;
  p.iTargetBitrate = (int)e->rate.bitrate;
  p.iMaxBitrate = (int)e->rate.max_bps;
  p.iRCMode = RC_BITRATE_MODE;
  p.fMaxFrameRate = (float)e->rate.fps;
  p.iTemporalLayerNum = 1;
  p.iSpatialLayerNum = 1;
  p.iComplexityMode = LOW_COMPLEXITY;
  p.uiIntraPeriod = e->kf_interval; /* 0: only the first frame */
  p.iNumRefFrame = 1;
  p.eSpsPpsIdStrategy = CONSTANT_ID;  /* every IDR carries the same SPS/PPS */
  p.bPrefixNalAddingCtrl = false;     /* plain AVC: no SVC prefix NAL units */
  p.bEnableSSEI = false;
  p.bSimulcastAVC = false;
  p.iPaddingFlag = 0;
  p.iEntropyCodingModeFlag = 0;       /* CAVLC: baseline */
  p.bEnableFrameSkip = true;          /* the rate control may skip a frame to hold the rate */
  p.uiMaxNalSize = 0;
  p.bEnableLongTermReference = false;
  p.iMultipleThreadIdc = 1;           /* one thread: handles are single-threaded */
  p.bUseLoadBalancing = false;
  p.iLoopFilterDisableIdc = 0;
  p.bEnableDenoise = false;
  p.bEnableBackgroundDetection = true;
  p.bEnableAdaptiveQuant = true;
  p.bEnableFrameCroppingFlag = true;
  p.bEnableSceneChangeDetect = false; /* IDRs only on request or by interval: predictable size */
  SSpatialLayerConfig *l = &p.sSpatialLayers[0];
  l->iVideoWidth = (int)e->width;
  l->iVideoHeight = (int)e->height;
  l->fFrameRate = (float)e->rate.fps;
  l->iSpatialBitrate = (int)e->rate.bitrate;
  l->iMaxSpatialBitrate = (int)e->rate.max_bps;
  l->uiProfileIdc = PRO_BASELINE;
  l->uiLevelIdc = LEVEL_UNKNOWN; /* OpenH264 picks the level from size and rate */
  l->sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
  l->sSliceArgument.uiSliceNum = 1;
  if ((*enc)->InitializeExt(enc, &p) != cmResultSuccess) {
    WelsDestroySVCEncoder(enc);
    return USM_ERR_INTERNAL;
  }
  int fmt = videoFormatI420;
  (*enc)->SetOption(enc, ENCODER_OPTION_DATAFORMAT, &fmt);
  e->enc = enc;
  e->force_key = 0; /* a new encoder starts with an IDR anyway */
  return USM_OK;
}

static void enc_destroy(usm__codec_enc *base) {
  h264_enc *e = as_enc(base);
  if (!e) return;
  enc_close(e);
  free(e->buf);
  free(e);
}

static usm_err enc_create(const usm__codec_params *p, usm__codec_enc **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  if (!p || p->kind != USM__CODEC_KIND_VIDEO || !dims_ok(p->video.width, p->video.height) ||
      p->video.fps > USM__H264_MAX_FPS)
    return USM_ERR_INVALID_ARG;
  h264_enc *e = calloc(1, sizeof *e);
  if (!e) return USM_ERR_NO_MEMORY;
  e->base.ops = &h264_ops;
  e->width = p->video.width;
  e->height = p->video.height;
  e->kf_interval = p->video.keyframe_interval;
  usm__video_rate_init(&e->rate, p, USM__H264_MIN_BITRATE, USM__H264_MAX_BITRATE, USM__H264_DEFAULT_FPS);
  usm_err r = enc_open(e);
  if (r != USM_OK) {
    free(e);
    return r;
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
  h264_enc *e = as_enc(base);
  if (!e || !f || !cb || f->kind != USM__CODEC_KIND_VIDEO || !frame_ok(&f->u.video)) return USM_ERR_INVALID_ARG;
  const usm__video_frame *v = &f->u.video;
  if (!e->enc || v->width != e->width || v->height != e->height) {
    /* A new size: a new encoder, which starts with an IDR. */
    e->width = v->width;
    e->height = v->height;
    usm_err r = enc_open(e);
    if (r != USM_OK) return r;
  }
  uint32_t nominal = USM__H264_CLOCK_RATE / e->rate.fps;
  SSourcePicture pic;
  memset(&pic, 0, sizeof pic);
  pic.iColorFormat = videoFormatI420;
  pic.iPicWidth = (int)v->width;
  pic.iPicHeight = (int)v->height;
  for (int i = 0; i < 3; i++) {
    pic.pData[i] = v->plane[i]; /* OpenH264 only reads the input */
    pic.iStride[i] = v->stride[i];
  }
  pic.uiTimeStamp = usm__pts_next(&e->clock, f->timestamp, nominal) / 90; /* ms */
  if (e->force_key) {
    if ((*e->enc)->ForceIntraFrame(e->enc, true) != cmResultSuccess) return USM_ERR_INTERNAL;
    e->force_key = 0;
  }
  SFrameBSInfo info;
  memset(&info, 0, sizeof info);
  if ((*e->enc)->EncodeFrame(e->enc, &pic, &info) != cmResultSuccess) return USM_ERR_INTERNAL;
  if (info.eFrameType == videoFrameTypeSkip || info.eFrameType == videoFrameTypeInvalid) return USM_OK;
  /* The layers (parameter sets, then the slices) into one access unit. */
  size_t total = 0;
  for (int i = 0; i < info.iLayerNum; i++)
    for (int j = 0; j < info.sLayerInfo[i].iNalCount; j++) total += (size_t)info.sLayerInfo[i].pNalLengthInByte[j];
  if (total == 0) return USM_OK;
  if (total > USM__H264_MAX_FRAME_BYTES) {
    /* The packetizer cannot send it; the receiver loses this frame, so the
     * next one must not depend on it. */
    e->force_key = 1;
    return USM_ERR_LIMIT;
  }
  if (total > e->buf_cap) {
    uint8_t *nb = realloc(e->buf, total);
    if (!nb) {
      e->force_key = 1;
      return USM_ERR_NO_MEMORY;
    }
    e->buf = nb;
    e->buf_cap = total;
  }
  size_t off = 0;
  for (int i = 0; i < info.iLayerNum; i++) {
    const SLayerBSInfo *l = &info.sLayerInfo[i];
    size_t n = 0;
    for (int j = 0; j < l->iNalCount; j++) n += (size_t)l->pNalLengthInByte[j];
    memcpy(e->buf + off, l->pBsBuf, n);
    off += n;
  }
  int key = info.eFrameType == videoFrameTypeIDR;
  usm__codec_payload pl = {.data = e->buf,
                           .len = total,
                           .timestamp = f->timestamp,
                           .duration = nominal,
                           .flags = USM__CODEC_PAYLOAD_LAST | (key ? USM__CODEC_PAYLOAD_KEYFRAME : 0u)};
  return cb(user, &pl);
}

static usm_err set_bitrate(usm__codec_enc *base, uint32_t bps) {
  h264_enc *e = as_enc(base);
  if (!e || bps == 0) return USM_ERR_INVALID_ARG;
  e->rate.bitrate = usm__video_rate_clamp(&e->rate, bps);
  if (!e->enc) return USM_OK; /* taken when the encoder is re-created */
  SBitrateInfo bi = {.iLayer = SPATIAL_LAYER_ALL, .iBitrate = (int)e->rate.bitrate};
  return (*e->enc)->SetOption(e->enc, ENCODER_OPTION_BITRATE, &bi) == cmResultSuccess ? USM_OK : USM_ERR_INTERNAL;
}

static usm_err request_keyframe(usm__codec_enc *base) {
  h264_enc *e = as_enc(base);
  if (!e) return USM_ERR_INVALID_ARG;
  e->force_key = 1;
  return USM_OK;
}

usm_err usm__h264_encoder_bitrate(usm__codec_enc *base, uint32_t *bps) {
  h264_enc *e = as_enc(base);
  if (!e || !bps) return USM_ERR_INVALID_ARG;
  *bps = e->rate.bitrate;
  return USM_OK;
}

/* ---- decoder ---- */

static void dec_destroy(usm__codec_dec *base) {
  h264_dec *d = as_dec(base);
  if (!d) return;
  (*d->dec)->Uninitialize(d->dec);
  WelsDestroyDecoder(d->dec);
  free(d);
}

static usm_err dec_create(const usm__codec_params *p, usm__codec_dec **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  if (!p || p->kind != USM__CODEC_KIND_VIDEO) return USM_ERR_INVALID_ARG;
  h264_dec *d = calloc(1, sizeof *d);
  if (!d) return USM_ERR_NO_MEMORY;
  d->base.ops = &h264_ops;
  d->need_key = 1;
  if (WelsCreateDecoder(&d->dec) != 0 || !d->dec) {
    free(d);
    return USM_ERR_NO_MEMORY;
  }
  int quiet = WELS_LOG_QUIET;
  (*d->dec)->SetOption(d->dec, DECODER_OPTION_TRACE_LEVEL, &quiet);
  SDecodingParam dp;
  memset(&dp, 0, sizeof dp);
  dp.uiTargetDqLayer = UCHAR_MAX;
  dp.eEcActiveIdc = ERROR_CON_DISABLE; /* never a concealed picture */
  dp.sVideoProperty.size = sizeof dp.sVideoProperty;
  dp.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
  if ((*d->dec)->Initialize(d->dec, &dp) != cmResultSuccess) {
    WelsDestroyDecoder(d->dec);
    free(d);
    return USM_ERR_INTERNAL;
  }
  *out = &d->base;
  return USM_OK;
}

int usm__h264_decoder_needs_keyframe(const usm__codec_dec *base) {
  return base && base->ops == &h264_ops ? ((const h264_dec *)base)->need_key : 0;
}

/* Walks the access unit before OpenH264 sees it: Annex B framing, NAL
 * headers, every SPS parsed and its picture size bounded (so OpenH264 never
 * allocates for more), SVC/MVC extensions refused, IDR or not. */
static usm_err check_au(const uint8_t *p, size_t len, int *key) {
  size_t pos = 0, nlen = 0;
  const uint8_t *nal;
  int r, any = 0, idr = 0, non_idr = 0;
  while ((r = usm__h264_annexb_next(p, len, &pos, &nal, &nlen)) == 1) {
    any = 1;
    if (nal[0] & 0x80u) return USM_ERR_MALFORMED;
    unsigned t = nal[0] & 0x1Fu;
    if (t == 0 || t == 15 || t == 20 || t >= USM__H264_NAL_STAP_A) return USM_ERR_MALFORMED;
    if (t == USM__H264_NAL_IDR) idr = 1;
    if (t >= 1 && t <= 4) non_idr = 1;
    if (t == USM__H264_NAL_SPS) {
      usm__h264_sps sps;
      usm_err e = usm__h264_sps_parse(nal, nlen, &sps);
      if (e != USM_OK) return e;
      if (sps.coded_width > (USM__H264_MAX_WIDTH + 15u) / 16u * 16u ||
          sps.coded_height > (USM__H264_MAX_HEIGHT + 15u) / 16u * 16u)
        return USM_ERR_LIMIT;
    }
  }
  if (r < 0 || !any) return USM_ERR_MALFORMED;
  if (idr && non_idr) return USM_ERR_MALFORMED; /* an IDR picture has only IDR slices */
  *key = idr;
  return USM_OK;
}

static usm_err decode(usm__codec_dec *base, const uint8_t *payload, size_t len, usm__codec_frame *out, int *got) {
  h264_dec *d = as_dec(base);
  if (got) *got = 0;
  if (!d) return USM_ERR_INVALID_ARG;
  if (!payload || len == 0) {
    /* A loss: nothing to conceal with (the caller keeps showing the last
     * picture), but whatever follows may reference the lost access unit. */
    d->need_key = 1;
    return USM_OK;
  }
  if (!out || out->kind != USM__CODEC_KIND_VIDEO) return USM_ERR_INVALID_ARG;
  /* From here on a refused access unit breaks the chain: the next one may
   * reference it. */
  if (len > USM__H264_MAX_FRAME_BYTES) {
    d->need_key = 1;
    return USM_ERR_LIMIT;
  }
  int key = 0;
  usm_err r = check_au(payload, len, &key);
  if (r != USM_OK) {
    d->need_key = 1;
    return r;
  }
  if (!key && d->need_key) return USM_ERR_WRONG_STATE;
  unsigned char *dst[3] = {NULL, NULL, NULL};
  SBufferInfo info;
  memset(&info, 0, sizeof info);
  DECODING_STATE st = (*d->dec)->DecodeFrameNoDelay(d->dec, payload, (int)len, dst, &info);
  if (st != dsErrorFree) {
    d->need_key = 1;
    return st == dsOutOfMemory ? USM_ERR_NO_MEMORY : USM_ERR_MALFORMED;
  }
  if (key) d->need_key = 0;
  if (info.iBufferStatus != 1) return USM_OK; /* parameter sets only, or no picture yet */
  const SSysMEMBuffer *sb = &info.UsrData.sSystemBuffer;
  if (!info.pDst[0] || !info.pDst[1] || !info.pDst[2] || sb->iWidth <= 0 || sb->iHeight <= 0 ||
      (unsigned)sb->iWidth > USM__H264_MAX_WIDTH || (unsigned)sb->iHeight > USM__H264_MAX_HEIGHT ||
      sb->iStride[0] < sb->iWidth || sb->iStride[1] < (sb->iWidth + 1) / 2) {
    d->need_key = 1;
    return USM_ERR_INTERNAL;
  }
  usm__video_frame *v = &out->u.video;
  for (int i = 0; i < 3; i++) v->plane[i] = info.pDst[i];
  v->stride[0] = sb->iStride[0];
  v->stride[1] = v->stride[2] = sb->iStride[1];
  v->width = (unsigned)sb->iWidth;
  v->height = (unsigned)sb->iHeight;
  v->keyframe = key;
  if (got) *got = 1;
  return USM_OK;
}

static const usm__codec_ops h264_ops = {
    .version = USM__CODEC_API_VERSION,
    .id = USM__CODEC_ID_H264,
    .kind = USM__CODEC_KIND_VIDEO,
    .name = "H264",
    .clock_rate = USM__H264_CLOCK_RATE,
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

const usm__codec_ops *usm__codec_h264(void) { return &h264_ops; }
