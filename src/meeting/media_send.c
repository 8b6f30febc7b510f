/* The sending side of a meeting's media: the application's PCM is cut into
 * 20 ms frames and coded with Opus; its I420 pictures are coded with the
 * negotiated video codec and split into RTP payloads. Sent video packets are
 * kept (plain) for NACKs; PLI/FIR ask the encoder for a keyframe; RTCP
 * reports and REMB feed the bandwidth estimate, which sets both bitrates
 * once a second within the caps. docs/media-pipeline.md. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/h264.h"
#include "codec/h264_rtp.h"
#include "codec/opus.h"
#include "codec/opus_sdp.h"
#include "codec/vp8.h"
#include "codec/vp8_rtp.h"
#include "media/bwe.h"
#include "media/rtp.h"
#include "media/rtx_history.h"
#include "meeting/media_internal.h"

#define AUDIO_FRAME_MS 20u
#define AUDIO_FRAME_SAMPLES (USM__CODEC_AUDIO_RATE / 1000u * AUDIO_FRAME_MS) /* 960 per channel */
/* The application fell this far behind the frames' own clock (a pause, a
 * mute): the next frame starts a new time line at now. */
#define AUDIO_RESYNC_US 200000u
/* RTP payload budget of a video packet: 1500-byte path minus IP/UDP, a TURN
 * channel header, RTP with a few extensions and the SRTP trailer. */
#define VIDEO_MAX_PAYLOAD 1200u
#define VIDEO_START_BPS 600000u
#define VIDEO_MIN_BPS 100000u
/* More than ~0.2 bit per pixel buys nothing visible in a call (1.4 Mbit/s at
 * 640x360x30, 5.5 Mbit/s at 720p30 - then the 4 Mbit/s cap): the rest of the
 * estimate is left unused rather than spent on noise. */
#define VIDEO_BITS_PER_PIXEL_X10 2u
/* A keyframe at most this often, however many PLIs arrive (the receivers'
 * limiters pace them too; this guards against a flood). */
#define KEYFRAME_MIN_INTERVAL_US 250000u
#define MAX_NACK_SEQS 256u
#define PERIODIC_KEYFRAME_S 20u

typedef struct rate_window {
  uint64_t bytes_at_tick; /* payload bytes at the last tick */
  uint64_t frames_at_tick;
  uint32_t bps;           /* over the last tick interval */
  uint32_t fps;
} rate_window;

struct usm__sender {
  usm__sender_cfg cfg;
  int audio_muted, video_muted;

  /* audio */
  usm__codec_enc *aenc;
  int send_audio;
  int16_t apcm[AUDIO_FRAME_SAMPLES * 2];
  size_t afill;           /* samples per channel in apcm */
  uint64_t a_anchor_us;   /* the time line: frame k was captured at anchor + k * 20 ms */
  uint64_t a_frames_since_anchor;
  int a_anchored;
  uint64_t a_frames;
  uint32_t a_target;

  /* video */
  usm__codec_id vcodec;
  usm__codec_enc *venc;
  int send_video;
  unsigned vw, vh;
  uint16_t picture_id;
  int v_started;
  int64_t v_app_last;
  uint64_t v_capture_last;
  uint64_t v_capture_us;  /* of the frame being encoded */
  uint64_t last_keyframe_req_us;
  uint64_t v_frames, v_keyframes, v_dropped, v_retransmitted;
  uint32_t v_target;
  usm__rtx_history *rtx;
  uint8_t scratch[VIDEO_MAX_PAYLOAD + 64];
  uint8_t resend_buf[USM__RTX_DEFAULT_MAX_PACKET + USM__RTP_SRTP_TRAILER_ROOM];

  usm__bwe *bwe;
  uint32_t last_ext_seq[USM__MEDIA_KINDS];
  int have_ext_seq[USM__MEDIA_KINDS];
  uint64_t last_tick_us;
  rate_window rate[USM__MEDIA_KINDS];
};

static void logf_(usm__sender *s, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void logf_(usm__sender *s, int level, const char *fmt, ...) {
  if (!s->cfg.log) return;
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  s->cfg.log(s->cfg.user, level, msg);
}

usm_err usm__sender_create(const usm__sender_cfg *cfg, usm__sender **out) {
  *out = NULL;
  if (!cfg || !cfg->rtp || !cfg->resend) return USM_ERR_INVALID_ARG;
  usm__sender *s = calloc(1, sizeof *s);
  if (!s) return USM_ERR_NO_MEMORY;
  s->cfg = *cfg;
  if (s->cfg.audio_channels != 2) s->cfg.audio_channels = 1;
  usm__bwe_cfg bc = {.max_bps = s->cfg.audio_max_bps + s->cfg.video_max_bps};
  usm_err e = usm__bwe_create(&bc, &s->bwe);
  if (e != USM_OK) {
    usm__sender_destroy(s);
    return e;
  }
  *out = s;
  return USM_OK;
}

void usm__sender_destroy(usm__sender *s) {
  if (!s) return;
  usm__codec_encoder_destroy(s->aenc);
  usm__codec_encoder_destroy(s->venc);
  usm__rtx_history_destroy(s->rtx);
  usm__bwe_destroy(s->bwe);
  free(s);
}

/* ---- configuration ------------------------------------------------------------ */

static const usm__sdp_media_result *media_of(const usm__sdp_result *neg, usm__sdp_kind kind) {
  for (size_t i = 0; i < neg->n_media; i++)
    if (neg->media[i].kind == kind && !neg->media[i].rejected) return &neg->media[i];
  return NULL;
}

static int sends(const usm__sdp_media_result *mr) {
  return mr && (mr->dir == USM__SDP_DIR_SENDRECV || mr->dir == USM__SDP_DIR_SENDONLY);
}

static usm_err configure_audio(usm__sender *s, const usm__sdp_media_result *mr) {
  usm__codec_encoder_destroy(s->aenc);
  s->aenc = NULL;
  s->afill = 0;
  s->send_audio = sends(mr) && mr->codec == USM__SDP_CODEC_OPUS;
  if (!s->send_audio) return USM_OK;
  usm__opus_fmtp f;
  usm__opus_fmtp_init(&f);
  if (usm__opus_fmtp_parse(mr->remote_fmtp, &f) != USM_OK) usm__opus_fmtp_init(&f); /* RFC defaults */
  usm__codec_params p = {.kind = USM__CODEC_KIND_AUDIO};
  p.audio.channels = s->cfg.audio_channels;
  p.audio.frame_ms = AUDIO_FRAME_MS;
  p.audio.max_bitrate = s->cfg.audio_max_bps;
  p.audio.bitrate = s->cfg.audio_channels == 2 ? USM__OPUS_DEFAULT_BITRATE_STEREO : USM__OPUS_DEFAULT_BITRATE_MONO;
  if (p.audio.bitrate > p.audio.max_bitrate) p.audio.bitrate = p.audio.max_bitrate;
  usm__opus_fmtp_to_encoder(&f, &p);
  p.audio.frame_ms = AUDIO_FRAME_MS; /* the jitter buffers on the way expect 20 ms */
  s->a_target = p.audio.bitrate;
  return usm__codec_encoder_create(usm__codec_opus(), &p, &s->aenc);
}

static void configure_video(usm__sender *s, const usm__sdp_media_result *mr) {
  usm__codec_encoder_destroy(s->venc);
  s->venc = NULL;
  s->vw = s->vh = 0;
  s->send_video = sends(mr) && (mr->codec == USM__SDP_CODEC_VP8 || mr->codec == USM__SDP_CODEC_H264);
  s->vcodec = !s->send_video ? USM__CODEC_ID_NONE
              : mr->codec == USM__SDP_CODEC_VP8 ? USM__CODEC_ID_VP8
                                                : USM__CODEC_ID_H264;
  if (!s->v_target) s->v_target = VIDEO_START_BPS; /* the encoder is made with the first picture */
  /* the NACK history (~0.8 MB) only for a meeting that sends video */
  if (s->send_video && !s->rtx && usm__rtx_history_create(NULL, &s->rtx) != USM_OK)
    logf_(s, USM_LOG_WARN, "media: no memory for the retransmission history: lost video packets are not resent");
  if (s->rtx) usm__rtx_history_reset(s->rtx);
}

usm_err usm__sender_configure(usm__sender *s, const usm__sdp_result *neg) {
  configure_video(s, media_of(neg, USM__SDP_KIND_VIDEO));
  usm_err e = configure_audio(s, media_of(neg, USM__SDP_KIND_AUDIO));
  if (e != USM_OK) logf_(s, USM_LOG_ERROR, "media: the Opus encoder could not start (%s)", usm_err_name(e));
  return e;
}

void usm__sender_set_muted(usm__sender *s, int audio, int video) {
  if (audio >= 0) s->audio_muted = audio;
  if (video >= 0) {
    if (s->video_muted && !video && s->venc) usm__codec_request_keyframe(s->venc); /* receivers restart */
    s->video_muted = video;
  }
}

/* ---- audio ---------------------------------------------------------------------- */

typedef struct audio_send_ctx {
  usm__sender *s;
  uint64_t capture_us;
} audio_send_ctx;

static usm_err on_audio_payload(void *user, const usm__codec_payload *p) {
  audio_send_ctx *c = user;
  return usm__rtp_session_send(c->s->cfg.rtp, USM__MEDIA_AUDIO, p->data, p->len, c->capture_us,
                               (p->flags & USM__CODEC_PAYLOAD_TALKSPURT) != 0);
}

static usm_err encode_audio_frame(usm__sender *s, uint64_t now_us) {
  uint64_t due = s->a_anchor_us + s->a_frames_since_anchor * AUDIO_FRAME_MS * 1000u;
  if (!s->a_anchored || now_us > due + AUDIO_RESYNC_US) {
    s->a_anchor_us = now_us;
    s->a_frames_since_anchor = 0;
    s->a_anchored = 1;
    due = now_us;
  }
  usm__codec_frame f = {.kind = USM__CODEC_KIND_AUDIO,
                        .u.audio = {.pcm = s->apcm, .channels = s->cfg.audio_channels, .samples = AUDIO_FRAME_SAMPLES}};
  audio_send_ctx c = {s, due};
  s->a_frames_since_anchor++;
  s->a_frames++;
  return usm__codec_encode(s->aenc, &f, on_audio_payload, &c);
}

static int16_t to_s16(float v) {
  if (!(v == v)) return 0; /* NaN */
  if (v >= 1.0f) return 32767;
  if (v <= -1.0f) return -32768;
  return (int16_t)lrintf(v * 32767.0f);
}

/* Sample @p i of channel @p ch of the application's frame, as s16. */
static int16_t sample_at(const usm_audio_frame *f, size_t i, unsigned ch) {
  size_t at = i * f->channels + ch;
  return f->format == USM_SAMPLE_S16 ? ((const int16_t *)f->data)[at] : to_s16(((const float *)f->data)[at]);
}

usm_err usm__sender_audio(usm__sender *s, const usm_audio_frame *f, uint64_t now_us) {
  if (!s->send_audio || !s->aenc || s->audio_muted) return USM_OK;
  unsigned out_ch = s->cfg.audio_channels;
  for (size_t i = 0; i < f->samples; i++) {
    int16_t *dst = s->apcm + s->afill * out_ch;
    if (out_ch == f->channels) {
      for (unsigned ch = 0; ch < out_ch; ch++) dst[ch] = sample_at(f, i, ch);
    } else if (out_ch == 2) { /* mono in, stereo out */
      dst[0] = dst[1] = sample_at(f, i, 0);
    } else { /* stereo in, mono out */
      dst[0] = (int16_t)(((int32_t)sample_at(f, i, 0) + sample_at(f, i, 1)) / 2);
    }
    if (++s->afill == AUDIO_FRAME_SAMPLES) {
      s->afill = 0;
      usm_err e = encode_audio_frame(s, now_us);
      if (e != USM_OK && e != USM_ERR_WRONG_STATE) return e == USM_ERR_LIMIT ? e : USM_ERR_CODEC;
    }
  }
  return USM_OK;
}

/* ---- video ---------------------------------------------------------------------- */

static usm_err on_video_packet(void *user, const uint8_t *payload, size_t len, int marker) {
  usm__sender *s = user;
  return usm__rtp_session_send(s->cfg.rtp, USM__MEDIA_VIDEO, payload, len, s->v_capture_us, marker);
}

static usm_err on_video_payload(void *user, const usm__codec_payload *p) {
  usm__sender *s = user;
  int key = (p->flags & USM__CODEC_PAYLOAD_KEYFRAME) != 0;
  usm_err e;
  if (s->vcodec == USM__CODEC_ID_VP8)
    e = usm__vp8_packetize(p->data, p->len, key, s->picture_id++ & 0x7fffu, VIDEO_MAX_PAYLOAD, s->scratch,
                           sizeof s->scratch, on_video_packet, s);
  else
    e = usm__h264_packetize(p->data, p->len, VIDEO_MAX_PAYLOAD, s->scratch, sizeof s->scratch, on_video_packet, s);
  if (e == USM_OK) {
    s->v_frames++;
    s->v_keyframes += key;
  }
  return e;
}

static usm_err make_video_encoder(usm__sender *s, unsigned w, unsigned h) {
  usm__codec_encoder_destroy(s->venc);
  s->venc = NULL;
  usm__codec_params p = {.kind = USM__CODEC_KIND_VIDEO};
  p.video.width = w;
  p.video.height = h;
  p.video.fps = 30;
  p.video.bitrate = s->v_target;
  p.video.max_bitrate = s->cfg.video_max_bps;
  p.video.max_payload = VIDEO_MAX_PAYLOAD;
  /* a keyframe every 20 s even unasked (the official clients' periodicKeyframes:
   * 20, PROTOCOL.md §5.3): a receiver that never sends PLI still recovers */
  p.video.keyframe_interval = PERIODIC_KEYFRAME_S * p.video.fps;
  const usm__codec_ops *ops = s->vcodec == USM__CODEC_ID_VP8 ? usm__codec_vp8() : usm__codec_h264();
  usm_err e = usm__codec_encoder_create(ops, &p, &s->venc);
  if (e != USM_OK) return e;
  s->vw = w;
  s->vh = h;
  logf_(s, USM_LOG_INFO, "media: %s encoder %ux%u at %u kbit/s", ops->name, w, h, (unsigned)(s->v_target / 1000));
  return USM_OK;
}

usm_err usm__sender_video(usm__sender *s, const usm_video_frame *f, uint64_t now_us) {
  if (!s->send_video || s->video_muted) return USM_OK;
  if (!s->venc || f->width != s->vw || f->height != s->vh) {
    usm_err e = make_video_encoder(s, f->width, f->height);
    if (e != USM_OK) return e == USM_ERR_INVALID_ARG ? e : USM_ERR_CODEC;
  }
  /* the application's clock, moved onto ours; never backwards */
  uint64_t capture = now_us;
  if (s->v_started) {
    int64_t d = f->timestamp_us - s->v_app_last;
    capture = s->v_capture_last + (d > 0 && d < 10000000 ? (uint64_t)d : 1000u);
  }
  s->v_started = 1;
  s->v_app_last = f->timestamp_us;
  s->v_capture_last = capture;
  s->v_capture_us = capture;
  usm__codec_frame cf = {.kind = USM__CODEC_KIND_VIDEO,
                         .timestamp = (uint32_t)(capture * 9u / 100u),
                         .u.video = {.width = f->width, .height = f->height}};
  for (int i = 0; i < 3; i++) {
    cf.u.video.plane[i] = (uint8_t *)f->plane[i]; /* encoders only read */
    cf.u.video.stride[i] = f->stride[i];
  }
  uint64_t before = s->v_frames;
  usm_err e = usm__codec_encode(s->venc, &cf, on_video_payload, s);
  if (e == USM_OK && s->v_frames == before) s->v_dropped++; /* rate control skipped it */
  if (e == USM_ERR_WRONG_STATE) return USM_OK;             /* not negotiated yet / path down */
  return e == USM_OK || e == USM_ERR_LIMIT ? e : USM_ERR_CODEC;
}

/* ---- feedback ----------------------------------------------------------------------- */

void usm__sender_on_packet(usm__sender *s, usm__media_kind kind, const uint8_t *pkt, size_t len, uint64_t now_us) {
  if (kind != USM__MEDIA_VIDEO || !s->rtx) return;
  usm__rtp_pkt p;
  if (usm__rtp_pkt_init(&p, (uint8_t *)pkt, len + USM__RTP_SRTP_TRAILER_ROOM, 0) != USM_OK) return;
  p.len = len;
  usm__rtx_history_put(s->rtx, &p, now_us); /* a packet it cannot keep is simply not resent */
}

static void answer_nack(usm__sender *s, const usm__rtcp_fb *fb, uint64_t now_us) {
  uint16_t seqs[MAX_NACK_SEQS], resend[MAX_NACK_SEQS];
  size_t n = 0;
  if (!s->rtx || usm__rtcp_nack_seqs(fb, seqs, MAX_NACK_SEQS, &n) != USM_OK || n == 0) return;
  usm__stream_stats st;
  usm__rtp_session_send_stats(s->cfg.rtp, USM__MEDIA_VIDEO, &st);
  usm__rtx_nack_result res;
  if (usm__rtx_history_on_nack(s->rtx, seqs, n, now_us, st.rtt_ms, resend, MAX_NACK_SEQS, &res) != USM_OK) return;
  for (size_t i = 0; i < res.resend; i++) {
    const usm__rtp_pkt *q = usm__rtx_history_find(s->rtx, resend[i], now_us);
    if (!q || q->len > sizeof s->resend_buf - USM__RTP_SRTP_TRAILER_ROOM) continue;
    memcpy(s->resend_buf, usm__rtp_pkt_data(q), q->len); /* the history's copy stays plain */
    if (s->cfg.resend(s->cfg.user, s->resend_buf, q->len, sizeof s->resend_buf) == USM_OK) s->v_retransmitted++;
  }
}

static void want_keyframe(usm__sender *s, uint64_t now_us) {
  if (!s->venc || (s->last_keyframe_req_us && now_us - s->last_keyframe_req_us < KEYFRAME_MIN_INTERVAL_US)) return;
  s->last_keyframe_req_us = now_us;
  usm__codec_request_keyframe(s->venc);
}

void usm__sender_on_feedback(usm__sender *s, usm__media_kind kind, const usm__rtcp_pkt *p, uint64_t now_us) {
  usm__rtcp_fb fb;
  if (usm__rtcp_parse_fb(p, &fb) != USM_OK) return;
  if (fb.pt == USM__RTCP_RTPFB && fb.fmt == USM__RTCP_FB_NACK) {
    if (kind == USM__MEDIA_VIDEO) answer_nack(s, &fb, now_us);
  } else if (fb.pt == USM__RTCP_PSFB && (fb.fmt == USM__RTCP_FB_PLI || fb.fmt == USM__RTCP_FB_FIR)) {
    want_keyframe(s, now_us);
  } else if (fb.pt == USM__RTCP_PSFB && fb.fmt == USM__RTCP_FB_AFB) {
    usm__rtcp_remb r;
    if (usm__rtcp_parse_remb(&fb, &r) == USM_OK) usm__bwe_on_remb(s->bwe, r.bitrate, now_us);
  }
}

void usm__sender_on_report(usm__sender *s, usm__media_kind kind, const usm__rtcp_report_block *b, uint32_t rtt_ms,
                           uint64_t now_us) {
  /* how many packets the block speaks for: the advance of its highest sequence number */
  uint32_t packets = s->have_ext_seq[kind] ? b->ext_highest_seq - s->last_ext_seq[kind] : 0;
  if (packets > 100000u) packets = 0; /* a restart, not a count */
  s->last_ext_seq[kind] = b->ext_highest_seq;
  s->have_ext_seq[kind] = 1;
  usm__bwe_on_report(s->bwe, b->fraction_lost, rtt_ms, packets, now_us);
}

/* ---- rate ---------------------------------------------------------------------------- */

static void measure(usm__sender *s, usm__media_kind kind, uint64_t frames, uint64_t dt_us) {
  usm__stream_stats st;
  usm__rtp_session_send_stats(s->cfg.rtp, kind, &st);
  rate_window *w = &s->rate[kind];
  w->bps = (uint32_t)((st.bytes - w->bytes_at_tick) * 8u * 1000000u / dt_us);
  w->fps = (uint32_t)((frames - w->frames_at_tick) * 1000000u / dt_us);
  w->bytes_at_tick = st.bytes;
  w->frames_at_tick = frames;
}

void usm__sender_tick(usm__sender *s, uint64_t now_us) {
  if (s->last_tick_us && now_us > s->last_tick_us) {
    uint64_t dt = now_us - s->last_tick_us;
    measure(s, USM__MEDIA_AUDIO, s->a_frames, dt);
    measure(s, USM__MEDIA_VIDEO, s->v_frames, dt);
    usm__bwe_on_sent(s->bwe, s->rate[USM__MEDIA_AUDIO].bps + s->rate[USM__MEDIA_VIDEO].bps, now_us);
  }
  s->last_tick_us = now_us;
  uint32_t audio = 0, video = 0;
  uint32_t audio_want = s->cfg.audio_channels == 2 ? USM__BWE_AUDIO_STEREO_BPS : USM__BWE_AUDIO_MONO_BPS;
  if (audio_want > s->cfg.audio_max_bps) audio_want = s->cfg.audio_max_bps;
  usm__bwe_split(usm__bwe_target(s->bwe), s->send_audio ? audio_want : 0, VIDEO_MIN_BPS,
                 s->send_video ? s->cfg.video_max_bps : 0, &audio, &video);
  if (s->aenc && audio && audio != s->a_target && usm__codec_set_bitrate(s->aenc, audio) == USM_OK) s->a_target = audio;
  uint64_t useful = (uint64_t)s->vw * s->vh * 30u * VIDEO_BITS_PER_PIXEL_X10 / 10u;
  if (s->vw && video > useful) video = useful > VIDEO_MIN_BPS ? (uint32_t)useful : VIDEO_MIN_BPS;
  if (video && video != s->v_target) {
    if (!s->venc || usm__codec_set_bitrate(s->venc, video) == USM_OK) s->v_target = video;
  }
}

uint32_t usm__sender_available_bps(const usm__sender *s) { return usm__bwe_target(s->bwe); }

void usm__sender_stats(const usm__sender *s, usm__media_kind kind, usm_stream_stats *out) {
  const rate_window *w = &s->rate[kind];
  out->bitrate_kbps = w->bps / 1000u;
  if (kind == USM__MEDIA_AUDIO) {
    out->target_bitrate_kbps = s->aenc ? s->a_target / 1000u : 0;
    out->frames = s->a_frames;
    snprintf(out->codec, sizeof out->codec, "%s", s->aenc ? "opus" : "");
    return;
  }
  out->target_bitrate_kbps = s->venc ? s->v_target / 1000u : 0;
  out->frames = s->v_frames;
  out->frames_dropped = s->v_dropped;
  out->keyframes = s->v_keyframes;
  out->retransmitted = s->v_retransmitted;
  out->width = s->vw;
  out->height = s->vh;
  out->fps = w->fps;
  snprintf(out->codec, sizeof out->codec, "%s",
           !s->send_video ? "" : s->vcodec == USM__CODEC_ID_VP8 ? "VP8" : "H264");
}
