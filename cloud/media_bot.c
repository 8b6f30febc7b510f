/* A media bot: a participant of the SFU without ICE or DTLS whose RTP enters
 * the forward path as plaintext, as if received from a participant that
 * negotiated Opus and VP8. It sends the deterministic test signals of
 * source/test_signal.h on timers of the cloud's loop: 20 ms Opus frames of
 * the "tone" (mono, 32 kbit/s, in-band FEC) and VP8 pictures of the
 * "pattern" (600 kbit/s, a keyframe every 3 s and on PLI / FIR, 1200-byte
 * payloads) with a retransmission history that answers NACKs. In echo mode
 * it re-sends what the first networked sender of its locus sends, under its
 * own SSRCs with continuous sequence numbers and timestamps, and passes
 * keyframe requests on to that sender. See docs/local-cloud.md, "Bots". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/opus.h"
#include "codec/vp8.h"
#include "codec/vp8_rtp.h"
#include "media/rtx_history.h"
#include "media_internal.h"
#include "source/test_signal.h"

#define A USM__SDP_KIND_AUDIO
#define V USM__SDP_KIND_VIDEO
#define BOT_AUDIO_PT 111
#define BOT_VIDEO_PT 96
#define BOT_AUDIO_SAMPLES 960u /* 20 ms at 48 kHz */
#define BOT_AUDIO_PERIOD_US 20000u
#define BOT_AUDIO_BPS 32000u
#define BOT_VIDEO_BPS 600000u
#define BOT_KEY_EVERY_S 3u
#define BOT_MAX_PAYLOAD 1200u
/* After a late timer at most this many frames go out at once; older ones are skipped. */
#define BOT_MAX_CATCHUP 5u
/* Keyframe requests this close to the last keyframe (or request passed on) are dropped. */
#define BOT_KEY_MIN_US 100000u

typedef struct bot_stream {
  uint32_t ssrc;
  uint16_t seq;     /* the next one (generated media) */
  uint32_t ts0;     /* random start */
  uint64_t frames;  /* generated frames so far */
  uint64_t packets;
  /* echo: the source stream mapped onto ours (out = in + off) */
  int echo_started;
  uint32_t src_ssrc;
  uint16_t seq_off, last_seq;
  uint32_t ts_off, last_ts;
} bot_stream;

struct cloud_bot {
  cloud_media_part *part;
  cloud_bot_cfg cfg;
  uv_timer_t timer[2]; /* A, V; data: the part (its close callback frees it) */
  uint64_t start_us;
  bot_stream st[2];
  usm__codec_enc *opus, *vp8;
  uint8_t *yuv;
  uint16_t picture_id;
  usm__rtx_history *rtx;
  uint64_t last_key_us;
  uint64_t keyframes, key_requests, nacks, resent, encode_errors;
  char echo_from[CLOUD_UUID_SIZE];
};

/* One plain RTP packet of the bot into the forward path (and the history). */
static void send_packet(cloud_bot *b, int kind, const uint8_t *payload, size_t len, int marker,
                        uint32_t ts, uint16_t seq) {
  cloud_media_part *p = b->part;
  usm__rtp_header h = {.marker = (uint8_t)(marker != 0),
                       .pt = (uint8_t)p->neg[kind].pt,
                       .seq = seq,
                       .timestamp = ts,
                       .ssrc = b->st[kind].ssrc};
  uint8_t mem[CLOUD_MEDIA_BUF];
  usm__rtp_pkt pkt;
  if (usm__rtp_pkt_init(&pkt, mem, sizeof mem, 0) != USM_OK ||
      usm__rtp_pkt_build(&pkt, &h, payload, len) != USM_OK) {
    p->dropped++;
    return;
  }
  if (kind == V && b->rtx) (void)usm__rtx_history_put(b->rtx, &pkt, cloud_media_now_us());
  b->st[kind].packets++;
  cloud_media_forward_plain(p, usm__rtp_pkt_data(&pkt), pkt.len, pkt.len, NULL);
}

/* ---- generated media ---- */

static usm_err on_opus(void *user, const usm__codec_payload *pl) {
  cloud_bot *b = user;
  bot_stream *s = &b->st[A];
  send_packet(b, A, pl->data, pl->len, s->packets == 0, pl->timestamp, s->seq++);
  return USM_OK;
}

static void audio_frame(cloud_bot *b) {
  int16_t pcm[BOT_AUDIO_SAMPLES];
  uint64_t first = b->st[A].frames * BOT_AUDIO_SAMPLES;
  usm__tone_fill(first, pcm, 1, BOT_AUDIO_SAMPLES);
  usm__codec_frame f = {.kind = USM__CODEC_KIND_AUDIO, .timestamp = b->st[A].ts0 + (uint32_t)first};
  f.u.audio = (usm__audio_frame){
      .pcm = pcm, .channels = 1, .samples = BOT_AUDIO_SAMPLES, .capacity = BOT_AUDIO_SAMPLES};
  if (usm__codec_encode(b->opus, &f, on_opus, b) != USM_OK) b->encode_errors++;
}

typedef struct vp8_ctx {
  cloud_bot *b;
  uint32_t ts;
} vp8_ctx;

static usm_err on_vp8_packet(void *user, const uint8_t *payload, size_t len, int marker) {
  vp8_ctx *c = user;
  send_packet(c->b, V, payload, len, marker, c->ts, c->b->st[V].seq++);
  return USM_OK;
}

static usm_err on_vp8(void *user, const usm__codec_payload *pl) {
  cloud_bot *b = user;
  int key = (pl->flags & USM__CODEC_PAYLOAD_KEYFRAME) != 0;
  if (key) {
    b->keyframes++;
    b->last_key_us = cloud_media_now_us();
  }
  uint8_t scratch[BOT_MAX_PAYLOAD];
  vp8_ctx c = {b, pl->timestamp};
  return usm__vp8_packetize(pl->data, pl->len, key, b->picture_id++, BOT_MAX_PAYLOAD, scratch,
                            sizeof scratch, on_vp8_packet, &c);
}

static void planes_of(cloud_bot *b, uint8_t *plane[3], int stride[3]) {
  unsigned w = b->cfg.width, h = b->cfg.height;
  plane[0] = b->yuv;
  plane[1] = b->yuv + (size_t)w * h;
  plane[2] = plane[1] + (size_t)(w / 2) * (h / 2);
  stride[0] = (int)w;
  stride[1] = stride[2] = (int)(w / 2);
}

static void video_frame(cloud_bot *b) {
  bot_stream *s = &b->st[V];
  usm__codec_frame f = {.kind = USM__CODEC_KIND_VIDEO,
                        .timestamp = s->ts0 + (uint32_t)(s->frames * USM__VP8_CLOCK_RATE / b->cfg.fps)};
  planes_of(b, f.u.video.plane, f.u.video.stride);
  f.u.video.width = b->cfg.width;
  f.u.video.height = b->cfg.height;
  usm__pattern_draw(f.u.video.plane, f.u.video.stride, b->cfg.width, b->cfg.height,
                    (uint32_t)s->frames);
  if (usm__codec_encode(b->vp8, &f, on_vp8, b) != USM_OK) b->encode_errors++;
}

/* Sends every frame due by now (the frame count follows the clock), then
 * sleeps until the next one. */
static void tick(uv_timer_t *t) {
  cloud_media_part *p = t->data;
  cloud_bot *b = p->bot;
  int kind = t == &b->timer[V] ? V : A;
  bot_stream *s = &b->st[kind];
  uint64_t period = kind == V ? 1000000u / b->cfg.fps : BOT_AUDIO_PERIOD_US;
  uint64_t now = cloud_media_now_us();
  uint64_t due = (now - b->start_us) / period + 1;
  if (due > s->frames + BOT_MAX_CATCHUP) s->frames = due - BOT_MAX_CATCHUP; /* a stall: skip */
  while (s->frames < due) {
    if (kind == V)
      video_frame(b);
    else
      audio_frame(b);
    s->frames++;
  }
  uint64_t next = b->start_us + s->frames * period;
  now = cloud_media_now_us();
  uv_timer_start(t, tick, next > now ? (next - now + 999) / 1000 : 0, 0);
}

/* ---- life ---- */

static int create_codecs(cloud_bot *b, char *err, size_t errlen) {
  const cloud_bot_cfg *c = &b->cfg;
  if (c->video && usm__rtx_history_create(NULL, &b->rtx) != USM_OK) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  if (c->echo) return 0;
  if (c->audio) {
    usm__codec_params ap = {.kind = USM__CODEC_KIND_AUDIO};
    ap.audio.sample_rate = USM__CODEC_AUDIO_RATE;
    ap.audio.channels = 1;
    ap.audio.frame_ms = 20;
    ap.audio.bitrate = BOT_AUDIO_BPS;
    ap.audio.fec = 1;
    if (usm__codec_encoder_create(usm__codec_opus(), &ap, &b->opus) != USM_OK) {
      snprintf(err, errlen, "cannot create the Opus encoder");
      return -1;
    }
  }
  if (c->video) {
    usm__codec_params vp = {.kind = USM__CODEC_KIND_VIDEO};
    vp.video.width = c->width;
    vp.video.height = c->height;
    vp.video.fps = c->fps;
    vp.video.bitrate = BOT_VIDEO_BPS;
    vp.video.keyframe_interval = BOT_KEY_EVERY_S * c->fps;
    vp.video.max_payload = BOT_MAX_PAYLOAD;
    b->yuv = malloc((size_t)c->width * c->height * 3 / 2);
    if (!b->yuv || usm__codec_encoder_create(usm__codec_vp8(), &vp, &b->vp8) != USM_OK) {
      snprintf(err, errlen, "cannot create the VP8 encoder");
      return -1;
    }
  }
  return 0;
}

static void set_neg(cloud_media_neg *n, usm__sdp_codec_id codec, int pt, uint32_t clock,
                    uint32_t ssrc) {
  memset(n, 0, sizeof *n);
  n->active = 1;
  n->codec = codec;
  n->pt = pt;
  n->dtmf_pt = -1;
  n->clock = clock;
  n->sends = n->recvs = 1;
  n->ssrcs[0] = ssrc;
  n->n_ssrcs = 1;
}

cloud_media_part *cloud_media_bot_new(cloud_media *m, const char *locus_id, const char *part_id,
                                      const uint32_t csi[2], const cloud_bot_cfg *cfg, char *err,
                                      size_t errlen) {
  cloud_bot *b = calloc(1, sizeof *b);
  if (!b) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  cloud_media_part *p = cloud_media_part_new_bot(m, locus_id, part_id, csi, err, errlen);
  if (!p) {
    free(b);
    return NULL;
  }
  p->bot = b;
  b->part = p;
  b->cfg = *cfg;
  for (int k = 0; k < 2; k++) {
    uv_timer_init(m->loop, &b->timer[k]);
    b->timer[k].data = p;
  }
  p->handles_open = 2;
  for (int k = 0; k < 2; k++) {
    bot_stream *s = &b->st[k];
    do s->ssrc = cloud_media_rand32();
    while (k && s->ssrc == b->st[0].ssrc);
    s->seq = (uint16_t)cloud_media_rand32();
    s->ts0 = cloud_media_rand32();
  }
  set_neg(&p->neg[A], USM__SDP_CODEC_OPUS, BOT_AUDIO_PT, USM__CODEC_AUDIO_RATE, b->st[A].ssrc);
  set_neg(&p->neg[V], USM__SDP_CODEC_VP8, BOT_VIDEO_PT, USM__VP8_CLOCK_RATE, b->st[V].ssrc);
  p->negotiated = 1;
  if (create_codecs(b, err, errlen) != 0) {
    cloud_media_part_close(p);
    return NULL;
  }
  b->start_us = cloud_media_now_us();
  if (b->opus) uv_timer_start(&b->timer[A], tick, 0, 0);
  if (b->vp8) uv_timer_start(&b->timer[V], tick, 0, 0);
  return p;
}

void cloud_media_bot_close(cloud_media_part *p, uv_close_cb cb) {
  cloud_media_streams_end(p);
  for (int k = 0; k < 2; k++) uv_close((uv_handle_t *)&p->bot->timer[k], cb);
}

void cloud_media_bot_free(cloud_bot *b) {
  if (!b) return;
  usm__codec_encoder_destroy(b->opus);
  usm__codec_encoder_destroy(b->vp8);
  usm__rtx_history_destroy(b->rtx);
  free(b->yuv);
  free(b);
}

/* ---- echo ---- */

/* The sender being echoed: the current one while it is connected, else @p from. */
static cloud_media_part *echo_source(cloud_media_part *p, cloud_media_part *from) {
  cloud_bot *b = p->bot;
  cloud_media_part *src = b->echo_from[0] ? cloud_media_find(p->srv, b->echo_from) : NULL;
  if (src && !src->bot && strcmp(src->locus_id, p->locus_id) == 0) return src;
  snprintf(b->echo_from, sizeof b->echo_from, "%s", from->part_id);
  return from;
}

void cloud_media_bot_heard(cloud_media_part *p, cloud_media_part *from, int kind,
                           const usm__rtp_view *v) {
  cloud_bot *b = p->bot;
  if (!b->cfg.echo || (kind != A && kind != V) || !(kind == A ? b->cfg.audio : b->cfg.video)) return;
  if (echo_source(p, from) != from || v->pt != from->neg[kind].pt) return; /* not DTMF */
  if (kind == V) p->neg[V].codec = from->neg[V].codec; /* H264 is echoed as H264 */
  bot_stream *s = &b->st[kind];
  if (!s->echo_started) {
    s->echo_started = 1;
    s->src_ssrc = v->ssrc;
    s->seq_off = (uint16_t)(s->seq - v->seq);
    s->ts_off = s->ts0 - v->timestamp;
    s->last_seq = (uint16_t)(s->seq - 1);
  } else if (s->src_ssrc != v->ssrc) { /* a new source stream: ours goes on */
    s->src_ssrc = v->ssrc;
    s->seq_off = (uint16_t)(s->last_seq + 1 - v->seq);
    s->ts_off = s->last_ts + 1 - v->timestamp;
  }
  uint16_t seq = (uint16_t)(v->seq + s->seq_off);
  uint32_t ts = v->timestamp + s->ts_off;
  if ((int16_t)(seq - s->last_seq) > 0) {
    s->last_seq = seq;
    s->last_ts = ts;
  }
  if (v->marker || kind == A) s->frames++;
  send_packet(b, kind, v->payload, v->payload_len, v->marker, ts, seq);
}

/* ---- feedback ---- */

void cloud_media_bot_keyframe(cloud_media_part *p, int kind) {
  cloud_bot *b = p->bot;
  uint64_t now = cloud_media_now_us();
  if (kind != V || now - b->last_key_us < BOT_KEY_MIN_US) return;
  b->key_requests++;
  if (!b->cfg.echo) {
    if (b->vp8) usm__codec_request_keyframe(b->vp8);
    return;
  }
  cloud_media_part *src = b->echo_from[0] ? cloud_media_find(p->srv, b->echo_from) : NULL;
  if (src && !src->bot && b->st[V].echo_started) {
    cloud_media_request_keyframe(src, b->st[V].src_ssrc);
    b->last_key_us = now;
  }
}

void cloud_media_bot_nack(cloud_media_part *p, cloud_media_part *r, int kind, const uint16_t *seqs,
                          size_t n) {
  cloud_bot *b = p->bot;
  if (kind != V || !b->rtx || n == 0) return;
  uint16_t out[17 * 64];
  usm__rtx_nack_result res;
  uint64_t now = cloud_media_now_us();
  b->nacks += n;
  if (n > sizeof out / sizeof out[0]) n = sizeof out / sizeof out[0];
  if (usm__rtx_history_on_nack(b->rtx, seqs, n, now, 0, out, sizeof out / sizeof out[0], &res) !=
      USM_OK)
    return;
  for (size_t i = 0; i < res.resend; i++) {
    const usm__rtp_pkt *pk = usm__rtx_history_find(b->rtx, out[i], now);
    uint8_t buf[CLOUD_MEDIA_BUF];
    if (!pk || pk->len > sizeof buf) continue;
    memcpy(buf, usm__rtp_pkt_data(pk), pk->len);
    b->resent++;
    cloud_media_forward_plain(p, buf, pk->len, pk->len, r);
  }
}

cJSON *cloud_media_bot_json(const cloud_media_part *p) {
  const cloud_bot *b = p->bot;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddBoolToObject(o, "echo", b->cfg.echo);
  if (b->cfg.echo && b->echo_from[0]) cJSON_AddStringToObject(o, "echoFrom", b->echo_from);
  for (int k = 0; k < 2; k++) {
    if (!(k == A ? b->cfg.audio : b->cfg.video)) continue;
    cJSON *s = cJSON_AddObjectToObject(o, k == A ? "audio" : "video");
    cJSON_AddNumberToObject(s, "ssrc", b->st[k].ssrc);
    cJSON_AddNumberToObject(s, "frames", (double)b->st[k].frames);
    cJSON_AddNumberToObject(s, "packets", (double)b->st[k].packets);
    if (k == V) {
      cJSON_AddNumberToObject(s, "width", b->cfg.width);
      cJSON_AddNumberToObject(s, "height", b->cfg.height);
      cJSON_AddNumberToObject(s, "fps", b->cfg.fps);
      cJSON_AddNumberToObject(s, "keyframes", (double)b->keyframes);
      cJSON_AddNumberToObject(s, "keyframeRequests", (double)b->key_requests);
      cJSON_AddNumberToObject(s, "nacked", (double)b->nacks);
      cJSON_AddNumberToObject(s, "resent", (double)b->resent);
    }
  }
  cJSON_AddNumberToObject(o, "encodeErrors", (double)b->encode_errors);
  return o;
}
