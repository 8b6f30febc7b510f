/* The receiving side of a meeting's media, per remote source (SSRC):
 *   audio: adaptive jitter buffer -> Opus decode with FEC and PLC, pulled
 *          every 20 ms on one playout clock for all sources;
 *   video: frame assembler (VP8 or H.264) with NACKs for missing packets,
 *          PLI/FIR (paced) when a frame cannot be recovered, and a decoder
 *          that never hands out a picture with a broken reference chain.
 * Frames go to the application's callbacks with the source's CSI and the
 * roster entry that lists it. docs/media-pipeline.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/h264.h"
#include "codec/h264_rtp.h"
#include "codec/jitter_audio.h"
#include "codec/opus.h"
#include "codec/opus_sdp.h"
#include "codec/vp8.h"
#include "codec/vp8_rtp.h"
#include "core/client_internal.h"
#include "media/nack_requester.h"
#include "media/pli_limiter.h"
#include "meeting/locus_dto.h"
#include "meeting/media_internal.h"
#include "meeting/meeting_internal.h"

#define TICK_MS 10u             /* playout and NACK clock */
#define PLAYOUT_FRAME_US 20000u /* one audio frame per source per 20 ms */
#define PLAYOUT_RESYNC_US 200000u
#define SOURCE_IDLE_US 3000000u /* a source silent this long is forgotten */
/* An audio source without packets this long (muted, or gone without a BYE)
 * is not played: no stream of concealment and silence frames for nobody. */
#define AUDIO_QUIET_US 500000u
#define MAX_NACK 64u
#define NACK_MARGIN_MS 10u      /* scheduling slack on top of RTT + jitter */
#define MAX_SOURCES USM__RTP_MAX_SOURCES

typedef struct source {
  int used;
  uint32_t ssrc;
  usm__media_kind kind;
  uint32_t csi;
  uint64_t last_us;

  /* audio */
  usm__audio_jb *jb;
  usm__codec_dec *adec;
  unsigned channels;
  int16_t *pcm; /* USM__CODEC_AUDIO_MAX_SAMPLES * channels */
  uint64_t frames, concealed_ms, fec, jb_dropped;
  uint32_t jb_delay_ms;

  /* video */
  usm__vp8_asm *vasm;
  usm__h264_asm *hasm;
  usm__nack_requester *nack;
  usm__pli_limiter pli;
  usm__codec_dec *vdec;
  uint64_t vframes, vdropped, vkeyframes;
  unsigned w, h;
} source;

struct usm__receiver {
  usm__receiver_cfg cfg;
  int stopped;
  uv_timer_t timer;
  uint64_t next_pull_us;
  usm__codec_id vcodec;
  unsigned audio_channels;
  int audio_fec;
  source src[MAX_SOURCES];
  /* frames per second of video, over the last second */
  uint64_t fps_at, fps_frames;
  uint32_t fps;
};

static uint64_t now_us(const usm__receiver *r) { return uv_now(r->cfg.loop) * 1000u; }

static void source_free(source *s) {
  usm__audio_jb_destroy(s->jb);
  usm__codec_decoder_destroy(s->adec);
  free(s->pcm);
  usm__vp8_asm_destroy(s->vasm);
  usm__h264_asm_destroy(s->hasm);
  usm__nack_destroy(s->nack);
  usm__codec_decoder_destroy(s->vdec);
  memset(s, 0, sizeof *s);
}

/* ---- delivering to the application ---------------------------------------------- */

static void source_view(const usm__receiver *r, const source *s, usm_media_source *out) {
  const usm__lpart *p = usm__locus_by_csi(r->cfg.m->locus, s->csi);
  *out = (usm_media_source){.ssrc = s->ssrc, .csi = s->csi, .participant_id = p ? p->id : NULL};
}

/* Calls one application callback; 0 when the meeting or the media is gone. */
#define DELIVER(r, cb, s, frame)                                          \
  do {                                                                    \
    usm_meeting *m_ = (r)->cfg.m;                                         \
    usm_media_source from_;                                               \
    source_view((r), (s), &from_);                                        \
    if (!usm__meeting_enter(m_)) return 0;                                \
    m_->media_cb.cb(m_, &from_, (frame), m_->media_cb.user);              \
    if (!usm__meeting_leave(m_) || (r)->stopped) return 0;                \
  } while (0)

static int deliver_encoded(usm__receiver *r, source *s, usm_media_kind kind, const char *codec, const uint8_t *data,
                           size_t len, uint32_t ts, int key, unsigned w, unsigned h) {
  if (!r->cfg.m->media_cb.encoded) return 1;
  usm_encoded_frame f = {kind, codec, data, len, ts, key, w, h};
  DELIVER(r, encoded, s, &f);
  return 1;
}

/* ---- audio ------------------------------------------------------------------------ */

static usm_err audio_source_init(usm__receiver *r, source *s) {
  usm__audio_jb_config jc = {.frame_ms = 20, .fec = r->audio_fec};
  usm__codec_params p = {.kind = USM__CODEC_KIND_AUDIO};
  p.audio.channels = r->audio_channels;
  p.audio.frame_ms = 20;
  s->channels = r->audio_channels;
  s->pcm = malloc(sizeof *s->pcm * USM__CODEC_AUDIO_MAX_SAMPLES * s->channels);
  if (!s->pcm) return USM_ERR_NO_MEMORY;
  usm_err e = usm__audio_jb_create(&jc, &s->jb);
  if (e == USM_OK) e = usm__codec_decoder_create(usm__codec_opus(), &p, &s->adec);
  return e;
}

/* One 20 ms frame of @p s out of its jitter buffer, decoded and delivered. */
static int play_audio(usm__receiver *r, source *s, uint64_t now) {
  usm__ajb_frame f;
  if (usm__audio_jb_pull(s->jb, now, &f) != USM_OK) return 1;
  usm__codec_frame out = {.kind = USM__CODEC_KIND_AUDIO,
                          .u.audio = {.pcm = s->pcm, .channels = s->channels, .samples = f.samples,
                                      .capacity = USM__CODEC_AUDIO_MAX_SAMPLES}};
  usm_err e = USM_OK;
  int got = 0;
  switch (f.action) {
  case USM__AJB_SILENCE:
    memset(s->pcm, 0, sizeof *s->pcm * f.samples * s->channels);
    break;
  case USM__AJB_PLAY:
    if (!deliver_encoded(r, s, USM_MEDIA_KIND_AUDIO, "opus", f.payload, f.len, f.timestamp, 0, 0, 0)) return 0;
    e = usm__codec_decode(s->adec, f.payload, f.len, &out, &got);
    break;
  case USM__AJB_FEC:
    e = usm__opus_decode_fec(s->adec, f.payload, f.len, &out);
    s->fec++;
    break;
  case USM__AJB_CONCEAL:
    e = usm__codec_decode(s->adec, NULL, 0, &out, &got);
    if (!f.inserted) s->concealed_ms += f.samples / 48u;
    break;
  }
  if (e != USM_OK) { /* a payload Opus refused: conceal it instead of a gap */
    out.u.audio.samples = f.samples;
    if (usm__codec_decode(s->adec, NULL, 0, &out, &got) != USM_OK) return 1;
    s->concealed_ms += f.samples / 48u;
  }
  usm__ajb_stats st;
  usm__audio_jb_stats(s->jb, &st);
  s->jb_delay_ms = st.delay_ms > 0 ? (uint32_t)st.delay_ms : 0;
  s->jb_dropped = st.accelerated + st.late;
  s->frames++;
  if (!r->cfg.m->media_cb.audio) return 1;
  usm_audio_frame af = {.data = s->pcm,
                        .format = USM_SAMPLE_S16,
                        .channels = s->channels,
                        .samples = out.u.audio.samples,
                        .timestamp_us = (int64_t)f.timestamp * 1000000 / 48000};
  DELIVER(r, audio, s, &af);
  return 1;
}

/* ---- video ------------------------------------------------------------------------ */

static usm_err video_source_init(usm__receiver *r, source *s) {
  usm__pli_limiter_init(&s->pli, 0, 1); /* the first request of a stream is a FIR */
  usm_err e = r->vcodec == USM__CODEC_ID_H264 ? usm__h264_asm_create(NULL, &s->hasm) : usm__vp8_asm_create(NULL, &s->vasm);
  if (e == USM_OK) e = usm__nack_create(NULL, &s->nack);
  return e;
}

static void send_keyframe_request(usm__receiver *r, source *s, usm__kf_request kr) {
  if (kr == USM__KF_NONE) return;
  /* FIR and PLI both make the sender code a keyframe; the session sends PLI */
  usm__rtp_session_send_pli(r->cfg.rtp, s->ssrc);
}

static int asm_needs_keyframe(const source *s) {
  return s->hasm ? usm__h264_asm_needs_keyframe(s->hasm) : usm__vp8_asm_needs_keyframe(s->vasm);
}

/* Decodes one frame (the decoders have no delay: the picture is this frame's). */
static int video_decode(usm__receiver *r, source *s, const uint8_t *data, size_t len, uint32_t ts, uint64_t now) {
  if (!r->cfg.m->media_cb.video) return 1; /* nobody looks: no decoding at all */
  if (!s->vdec) {
    usm__codec_params p = {.kind = USM__CODEC_KIND_VIDEO};
    const usm__codec_ops *ops = r->vcodec == USM__CODEC_ID_H264 ? usm__codec_h264() : usm__codec_vp8();
    if (usm__codec_decoder_create(ops, &p, &s->vdec) != USM_OK) return 1;
  }
  usm__codec_frame out = {.kind = USM__CODEC_KIND_VIDEO};
  int got = 0;
  if (usm__codec_decode(s->vdec, data, len, &out, &got) != USM_OK || !got) {
    int broken = r->vcodec == USM__CODEC_ID_H264 ? usm__h264_decoder_needs_keyframe(s->vdec)
                                                  : usm__vp8_decoder_needs_keyframe(s->vdec);
    if (broken) {
      s->vdropped++;
      send_keyframe_request(r, s, usm__pli_limiter_want(&s->pli, now, NULL));
    }
    return 1;
  }
  s->vframes++;
  s->vkeyframes += out.u.video.keyframe != 0;
  s->w = out.u.video.width;
  s->h = out.u.video.height;
  usm_video_frame vf = {.width = out.u.video.width,
                        .height = out.u.video.height,
                        .keyframe = out.u.video.keyframe};
  for (int i = 0; i < 3; i++) {
    vf.plane[i] = out.u.video.plane[i];
    vf.stride[i] = out.u.video.stride[i];
  }
  vf.timestamp_us = (int64_t)ts * 1000000 / 90000;
  DELIVER(r, video, s, &vf);
  return 1;
}

/* Every frame the assembler can hand over, in decode order. */
static int drain_video(usm__receiver *r, source *s, uint64_t now) {
  for (;;) {
    const uint8_t *data;
    size_t len;
    uint32_t ts;
    uint16_t first;
    int key;
    unsigned w = 0, h = 0;
    const char *codec;
    if (s->hasm) {
      usm__h264_frame f;
      if (!usm__h264_asm_pop(s->hasm, &f)) break;
      data = f.data, len = f.len, ts = f.timestamp, first = f.first_seq, key = f.keyframe, codec = "H264";
    } else {
      usm__vp8_frame f;
      if (!usm__vp8_asm_pop(s->vasm, &f)) break;
      data = f.data, len = f.len, ts = f.timestamp, first = f.first_seq, key = f.keyframe, codec = "VP8";
      w = f.width, h = f.height;
    }
    if (key) {
      usm__nack_clear_before(s->nack, first); /* nothing before a keyframe is needed */
      usm__pli_limiter_keyframe_received(&s->pli);
    }
    if (!deliver_encoded(r, s, USM_MEDIA_KIND_VIDEO, codec, data, len, ts, key, w, h)) return 0;
    if (!video_decode(r, s, data, len, ts, now)) return 0;
  }
  if (asm_needs_keyframe(s)) send_keyframe_request(r, s, usm__pli_limiter_want(&s->pli, now, NULL));
  return 1;
}

static int on_video(usm__receiver *r, source *s, const usm__rtp_in *in) {
  usm__nack_on_packet(s->nack, in->seq, in->arrival_us);
  usm_err e = s->hasm ? usm__h264_asm_push(s->hasm, in->payload, in->len, in->seq, in->timestamp, in->marker)
                      : usm__vp8_asm_push(s->vasm, in->payload, in->len, in->seq, in->timestamp, in->marker);
  if (e == USM_ERR_NO_MEMORY) return 1;
  return drain_video(r, s, in->arrival_us);
}

/* NACK what is missing, give up on what will not come, pace keyframe requests. */
static int video_tick(usm__receiver *r, source *s, uint64_t now) {
  /* A retransmission comes back after the RTT plus the path's jitter both
   * ways: retrying sooner only burns the tries (and gives up on packets that
   * are on their way). */
  usm__stream_stats sent, got;
  usm__rtp_session_send_stats(r->cfg.rtp, USM__MEDIA_VIDEO, &sent);
  usm__rtp_session_recv_stats(r->cfg.rtp, USM__MEDIA_VIDEO, &got);
  uint32_t retry_ms = sent.rtt_ms + 2u * got.jitter_ms + NACK_MARGIN_MS;
  uint16_t seqs[MAX_NACK];
  int want_kf = 0;
  size_t n = usm__nack_tick(s->nack, now, retry_ms, seqs, MAX_NACK, &want_kf);
  if (n) usm__rtp_session_send_nack(r->cfg.rtp, s->ssrc, seqs, n);
  if (want_kf) {
    if (s->hasm)
      usm__h264_asm_give_up(s->hasm);
    else
      usm__vp8_asm_give_up(s->vasm);
    if (!drain_video(r, s, now)) return 0; /* frames after the gap may be whole now */
    send_keyframe_request(r, s, usm__pli_limiter_want(&s->pli, now, NULL));
  }
  send_keyframe_request(r, s, usm__pli_limiter_poll(&s->pli, now, NULL));
  return 1;
}

/* ---- sources and the clock ----------------------------------------------------------- */

static source *source_for(usm__receiver *r, const usm__rtp_in *in) {
  source *free_slot = NULL;
  for (size_t i = 0; i < MAX_SOURCES; i++) {
    if (r->src[i].used && r->src[i].ssrc == in->ssrc) return &r->src[i];
    if (!r->src[i].used && !free_slot) free_slot = &r->src[i];
  }
  if (!free_slot) return NULL;
  source *s = free_slot;
  s->used = 1;
  s->ssrc = in->ssrc;
  s->kind = in->kind;
  usm_err e = in->kind == USM__MEDIA_AUDIO ? audio_source_init(r, s) : video_source_init(r, s);
  if (e != USM_OK) {
    source_free(s);
    return NULL;
  }
  return s;
}

int usm__receiver_on_rtp(usm__receiver *r, const usm__rtp_in *in) {
  if (r->stopped) return 0;
  if (in->kind == USM__MEDIA_VIDEO && r->vcodec == USM__CODEC_ID_NONE) return 1;
  source *s = source_for(r, in);
  if (!s) return 1;
  s->last_us = in->arrival_us;
  if (in->csrc) s->csi = in->csrc;
  if (s->kind == USM__MEDIA_AUDIO) {
    usm__audio_jb_insert(s->jb, in->ssrc, in->seq, in->timestamp, in->arrival_us, in->payload, in->len, NULL);
    return 1;
  }
  return on_video(r, s, in);
}

void usm__receiver_forget(usm__receiver *r, uint32_t ssrc) {
  for (size_t i = 0; i < MAX_SOURCES; i++)
    if (r->src[i].used && r->src[i].ssrc == ssrc) source_free(&r->src[i]);
}

static void on_tick(uv_timer_t *t) {
  usm__receiver *r = t->data;
  uint64_t now = now_us(r);
  if (r->stopped) return;
  if (now > r->next_pull_us + PLAYOUT_RESYNC_US) r->next_pull_us = now; /* the loop was stalled */
  for (; r->next_pull_us <= now; r->next_pull_us += PLAYOUT_FRAME_US)
    for (size_t i = 0; i < MAX_SOURCES; i++)
      if (r->src[i].used && r->src[i].kind == USM__MEDIA_AUDIO && now - r->src[i].last_us < AUDIO_QUIET_US &&
          !play_audio(r, &r->src[i], r->next_pull_us))
        return;
  for (size_t i = 0; i < MAX_SOURCES; i++) {
    source *s = &r->src[i];
    if (!s->used) continue;
    if (now - s->last_us > SOURCE_IDLE_US) {
      source_free(s);
      continue;
    }
    if (s->kind == USM__MEDIA_VIDEO && !video_tick(r, s, now)) return;
  }
  if (now - r->fps_at >= 1000000u) {
    uint64_t frames = 0;
    for (size_t i = 0; i < MAX_SOURCES; i++) frames += r->src[i].vframes;
    r->fps = (uint32_t)((frames - r->fps_frames) * 1000000u / (now - r->fps_at));
    r->fps_frames = frames;
    r->fps_at = now;
  }
}

/* ---- life cycle ------------------------------------------------------------------------ */

usm_err usm__receiver_create(const usm__receiver_cfg *cfg, usm__receiver **out) {
  *out = NULL;
  if (!cfg || !cfg->m || !cfg->loop || !cfg->rtp) return USM_ERR_INVALID_ARG;
  usm__receiver *r = calloc(1, sizeof *r);
  if (!r) return USM_ERR_NO_MEMORY;
  r->cfg = *cfg;
  r->audio_channels = 1;
  uv_timer_init(cfg->loop, &r->timer);
  r->timer.data = r;
  r->next_pull_us = now_us(r);
  r->fps_at = r->next_pull_us;
  uv_timer_start(&r->timer, on_tick, TICK_MS, TICK_MS);
  *out = r;
  return USM_OK;
}

static void on_closed(uv_handle_t *h) {
  usm__receiver *r = h->data;
  for (size_t i = 0; i < MAX_SOURCES; i++) source_free(&r->src[i]);
  free(r);
}

void usm__receiver_destroy(usm__receiver *r) {
  if (!r) return;
  r->stopped = 1;
  uv_timer_stop(&r->timer);
  uv_close((uv_handle_t *)&r->timer, on_closed);
}

usm_err usm__receiver_configure(usm__receiver *r, const usm__sdp_result *neg) {
  usm__codec_id vcodec = USM__CODEC_ID_NONE;
  for (size_t i = 0; i < neg->n_media; i++) {
    const usm__sdp_media_result *mr = &neg->media[i];
    if (mr->rejected) continue;
    if (mr->kind == USM__SDP_KIND_VIDEO)
      vcodec = mr->codec == USM__SDP_CODEC_VP8 ? USM__CODEC_ID_VP8 : mr->codec == USM__SDP_CODEC_H264 ? USM__CODEC_ID_H264 : USM__CODEC_ID_NONE;
    if (mr->kind == USM__SDP_KIND_AUDIO && mr->codec == USM__SDP_CODEC_OPUS) {
      usm__opus_fmtp f;
      usm__opus_fmtp_init(&f);
      usm__opus_fmtp_parse(mr->remote_fmtp, &f);
      usm__codec_params p = {.kind = USM__CODEC_KIND_AUDIO};
      usm__opus_fmtp_to_decoder(&f, &p);
      r->audio_channels = p.audio.channels == 2 ? 2 : 1;
      r->audio_fec = 1; /* we ask for in-band FEC (useinbandfec=1 in our SDP) */
    }
  }
  if (vcodec != r->vcodec) /* a new codec: every video source starts afresh */
    for (size_t i = 0; i < MAX_SOURCES; i++)
      if (r->src[i].used && r->src[i].kind == USM__MEDIA_VIDEO) source_free(&r->src[i]);
  r->vcodec = vcodec;
  return USM_OK;
}

void usm__receiver_stats(const usm__receiver *r, usm__media_kind kind, usm_stream_stats *out) {
  for (size_t i = 0; i < MAX_SOURCES; i++) {
    const source *s = &r->src[i];
    if (!s->used || s->kind != kind) continue;
    if (kind == USM__MEDIA_AUDIO) {
      out->frames += s->frames;
      out->concealed_ms += s->concealed_ms;
      out->fec_recovered += s->fec;
      out->frames_dropped += s->jb_dropped;
      if (s->jb_delay_ms > out->jitter_buffer_ms) out->jitter_buffer_ms = s->jb_delay_ms;
      snprintf(out->codec, sizeof out->codec, "opus");
      continue;
    }
    usm__nack_stats ns;
    usm__nack_get_stats(s->nack, &ns);
    out->retransmitted += ns.recovered;
    out->frames += s->vframes;
    out->frames_dropped += s->vdropped;
    out->keyframes += s->vkeyframes;
    usm__vp8_asm_stats as;
    if (s->vasm) {
      usm__vp8_asm_get_stats(s->vasm, &as);
      out->frames_dropped += as.frames_dropped;
    }
    if (s->hasm) {
      usm__h264_asm_stats hs;
      usm__h264_asm_get_stats(s->hasm, &hs);
      out->frames_dropped += hs.frames_dropped;
    }
    out->width = s->w;
    out->height = s->h;
    snprintf(out->codec, sizeof out->codec, "%s", s->hasm ? "H264" : "VP8");
  }
  if (kind == USM__MEDIA_VIDEO) out->fps = r->fps;
}
