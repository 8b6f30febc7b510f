/* VP8 over RTP (RFC 7741) for the interop harness: see vp8_stream.h. */
#include "vp8_stream.h"

#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#define MAX_FRAME (512 * 1024) /* a reassembled frame larger than this is dropped */

struct vp8_sender {
  vpx_codec_ctx_t enc;
  vpx_image_t img;
  int64_t pts;
};

vp8_sender *vp8_sender_create(unsigned width, unsigned height, const uint8_t yuv[3], unsigned fps) {
  vp8_sender *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  vpx_codec_enc_cfg_t cfg;
  if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) goto fail;
  cfg.g_w = width;
  cfg.g_h = height;
  cfg.g_timebase.num = 1;
  cfg.g_timebase.den = (int)fps;
  cfg.rc_target_bitrate = 300; /* kbit/s */
  cfg.rc_end_usage = VPX_CBR;
  cfg.g_lag_in_frames = 0;
  cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
  cfg.kf_max_dist = 15; /* a key frame every second: we do not answer PLI here */
  if (vpx_codec_enc_init(&s->enc, vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) goto fail;
  if (!vpx_img_alloc(&s->img, VPX_IMG_FMT_I420, width, height, 1)) {
    vpx_codec_destroy(&s->enc);
    goto fail;
  }
  for (int p = 0; p < 3; p++) {
    unsigned h = p ? (height + 1) / 2 : height;
    for (unsigned y = 0; y < h; y++) memset(s->img.planes[p] + (size_t)y * (size_t)s->img.stride[p], yuv[p], (size_t)s->img.stride[p]);
  }
  return s;
fail:
  free(s);
  return NULL;
}

void vp8_sender_destroy(vp8_sender *s) {
  if (!s) return;
  vpx_img_free(&s->img);
  vpx_codec_destroy(&s->enc);
  free(s);
}

/* RFC 7741 4.2: one-byte descriptor, S set on the first packet, partition 0. */
static void packetize(const uint8_t *frame, size_t len, size_t max_payload, vp8_packet_fn fn, void *user) {
  uint8_t pkt[1500];
  size_t chunk = max_payload - 1;
  if (chunk > sizeof pkt - 1) chunk = sizeof pkt - 1;
  for (size_t off = 0; off < len; off += chunk) {
    size_t n = len - off < chunk ? len - off : chunk;
    pkt[0] = off == 0 ? 0x10 : 0x00;
    memcpy(pkt + 1, frame + off, n);
    fn(user, pkt, n + 1, off + n == len);
  }
}

int vp8_sender_frame(vp8_sender *s, size_t max_payload, vp8_packet_fn fn, void *user) {
  if (max_payload < 2) return -1;
  if (vpx_codec_encode(&s->enc, &s->img, s->pts++, 1, 0, VPX_DL_REALTIME) != VPX_CODEC_OK) return -1;
  vpx_codec_iter_t it = NULL;
  const vpx_codec_cx_pkt_t *p;
  while ((p = vpx_codec_get_cx_data(&s->enc, &it)) != NULL)
    if (p->kind == VPX_CODEC_CX_FRAME_PKT) packetize(p->data.frame.buf, p->data.frame.sz, max_payload, fn, user);
  return 0;
}

struct vp8_receiver {
  vpx_codec_ctx_t dec;
  uint8_t *frame;
  size_t len;
  int assembling;  /* a frame is being put together and no packet of it is missing */
  uint16_t next_seq;
  vp8_stats st;
};

vp8_receiver *vp8_receiver_create(void) {
  vp8_receiver *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->frame = malloc(MAX_FRAME);
  if (!r->frame || vpx_codec_dec_init(&r->dec, vpx_codec_vp8_dx(), NULL, 0) != VPX_CODEC_OK) {
    free(r->frame);
    free(r);
    return NULL;
  }
  return r;
}

void vp8_receiver_destroy(vp8_receiver *r) {
  if (!r) return;
  vpx_codec_destroy(&r->dec);
  free(r->frame);
  free(r);
}

/* The VP8 payload descriptor's length (RFC 7741 4.2), or 0 when malformed. */
static size_t descriptor_len(const uint8_t *p, size_t len, int *start) {
  size_t n = 1;
  if (len < 1) return 0;
  *start = (p[0] & 0x10) && (p[0] & 0x07) == 0;
  if (p[0] & 0x80) {                  /* X: extension byte */
    if (len < 2) return 0;
    uint8_t x = p[1];
    n = 2;
    if (x & 0x80) {                   /* I: PictureID, 7 or 15 bits */
      if (len <= n) return 0;
      n += (p[n] & 0x80) ? 2 : 1;
    }
    if (x & 0x40) n++;                /* L: TL0PICIDX */
    if (x & 0x30) n++;                /* T or K: TID / Y / KEYIDX */
  }
  return n < len ? n : 0;
}

static void decode(vp8_receiver *r) {
  if (vpx_codec_decode(&r->dec, r->frame, (unsigned)r->len, NULL, 0) != VPX_CODEC_OK) {
    r->st.decode_errors++;
    return;
  }
  vpx_codec_iter_t it = NULL;
  vpx_image_t *img;
  while ((img = vpx_codec_get_frame(&r->dec, &it)) != NULL) {
    r->st.frames_decoded++;
    r->st.width = img->d_w;
    r->st.height = img->d_h;
    for (int p = 0; p < 3; p++) {
      unsigned w = p ? (img->d_w + 1) / 2 : img->d_w, h = p ? (img->d_h + 1) / 2 : img->d_h;
      double sum = 0;
      for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) sum += img->planes[p][(size_t)y * (size_t)img->stride[p] + x];
      r->st.mean_yuv[p] = w && h ? sum / ((double)w * h) : 0;
    }
  }
}

void vp8_receiver_packet(vp8_receiver *r, const uint8_t *payload, size_t len, uint16_t seq, int marker) {
  int start = 0;
  size_t d = descriptor_len(payload, len, &start);
  if (d == 0) return;
  if (start) {
    if (r->assembling) r->st.frames_dropped++;
    r->assembling = 1;
    r->len = 0;
  } else if (!r->assembling || seq != r->next_seq) {
    if (r->assembling) r->st.frames_dropped++;
    r->assembling = 0;
    return;
  }
  r->next_seq = (uint16_t)(seq + 1);
  if (r->len + (len - d) > MAX_FRAME) {
    r->assembling = 0;
    r->st.frames_dropped++;
    return;
  }
  memcpy(r->frame + r->len, payload + d, len - d);
  r->len += len - d;
  if (marker) {
    decode(r);
    r->assembling = 0;
  }
}

void vp8_receiver_stats(const vp8_receiver *r, vp8_stats *out) { *out = r->st; }
