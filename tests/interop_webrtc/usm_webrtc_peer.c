/* usm_webrtc_peer: one side of a WebRTC call made of libusm's media
 * transport (ICE + DTLS-SRTP, src/media/transport.h), its SDP offer/answer
 * (sdp_negotiate.h) and its RTP session (rtp_session.h), for interop tests
 * against another implementation (GStreamer webrtcbin, webrtc_peer.py).
 *
 *   --offer   gather, write our offer to --sdp-out, wait for the answer in --sdp-in
 *   --answer  wait for the offer in --sdp-in, gather, write our answer to --sdp-out
 *
 * SDP travels through files, each written whole (temporary name, then
 * rename) so the reader never sees half of one. Loopback only. Once the
 * transport is connected we send --seconds of Opus audio (a --tone Hz sine,
 * 20 ms frames, RFC 7587), decode what the peer sends with libopus and find
 * its dominant frequency (a Goertzel scan). One JSON line on stdout says what
 * happened; the exit status is 0 only when the peer's tone was heard at
 * --expect Hz (within --tolerance). With --video the call also carries VP8
 * both ways (BUNDLEd with the audio): we send a solid --video-yuv picture
 * and the peer's frames must decode at --expect-size with the colour
 * --expect-yuv. Every wait is bounded by --timeout. */
#include <math.h>
#include <opus/opus.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "media/dtls.h"
#include "media/rtp_session.h"
#include "media/sdp_negotiate.h"
#include "media/transport.h"
#include "vp8_stream.h"

#define RATE 48000
#define FRAME 960                    /* 20 ms at 48 kHz */
#define MAX_OPUS 1275                /* RFC 6716: largest Opus frame */
#define MAX_PCM_SECONDS 20
#define SKIP_MS 300                  /* the decoder's start and any jitter settle first */
#define MAX_SDP (64 * 1024)
#define PI 3.14159265358979323846
#define FPS 15
#define MAX_VIDEO_PAYLOAD 1200
#define YUV_TOLERANCE 16.0

typedef struct peer {
  /* options */
  int offerer;
  const char *sdp_in, *sdp_out;
  double tone, expect, tolerance;
  unsigned seconds, timeout_s;
  int verbose;
  int video;
  unsigned width, height, expect_width, expect_height;
  uint8_t yuv[3];
  double expect_yuv[3];
  /* machinery */
  uv_loop_t loop;
  uv_timer_t poll_timer, media_timer, rtcp_timer, deadline;
  usm__dtls_ctx *dtls;
  usm__transport *tr;
  usm__rtp_session *rtp;
  usm__sdp_result *neg;
  char *offer;                       /* our offer text (offerer) */
  OpusEncoder *enc;
  OpusDecoder *dec;
  vp8_sender *vsend;
  vp8_receiver *vrecv;
  uint64_t video_frames_sent, video_packets_received;
  /* progress */
  int gathered, sdp_done, connected, finished, failed;
  char fail_why[512];
  uint64_t t0_ms, connect_ms;
  uint64_t frames_sent, media_start_ms;
  double phase;
  uint64_t packets_received, decode_errors, wrong_kind;
  int16_t *pcm;
  size_t n_pcm, cap_pcm;
  char profile[64];
} peer;

static void logf_(peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(peer *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "[usm %5llu ms] ", (unsigned long long)(uv_now(&p->loop) - p->t0_ms));
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static void tr_log(void *user, int level, const char *msg) {
  peer *p = user;
  if (p->verbose || level <= 1) logf_(p, "%s", msg);
}

static void finish(peer *p, const char *why) {
  if (p->finished) return;
  p->finished = 1;
  if (why) {
    p->failed = 1;
    snprintf(p->fail_why, sizeof p->fail_why, "%s", why);
    logf_(p, "failed: %s", why);
  }
  uv_stop(&p->loop);
}

/* ---- files ------------------------------------------------------------------------- */

static int write_whole(const char *path, const char *text) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return -1;
  FILE *f = fopen(tmp, "wb");
  if (!f) return -1;
  size_t n = strlen(text);
  int ok = fwrite(text, 1, n, f) == n;
  ok = (fclose(f) == 0) && ok;
  return ok && rename(tmp, path) == 0 ? 0 : -1;
}

/* The whole file, or NULL when it is not there yet. */
static char *read_whole(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(MAX_SDP + 1);
  size_t n = buf ? fread(buf, 1, MAX_SDP, f) : 0;
  fclose(f);
  if (!buf || n == 0) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* ---- audio ------------------------------------------------------------------------- */

/* Power of @p f in @p x (Goertzel). */
static double goertzel(const int16_t *x, size_t n, double f) {
  double w = 2.0 * PI * f / RATE, c = 2.0 * cos(w), s1 = 0, s2 = 0;
  for (size_t i = 0; i < n; i++) {
    double s0 = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/* The dominant frequency of the received audio, 50..4000 Hz in 5 Hz steps,
 * over at most one second after the first SKIP_MS. 0 when too little came. */
static double dominant(const peer *p, double *rms) {
  size_t skip = (size_t)RATE * SKIP_MS / 1000;
  *rms = 0;
  if (p->n_pcm < skip + RATE / 4) return 0;
  const int16_t *x = p->pcm + skip;
  size_t n = p->n_pcm - skip;
  if (n > RATE) n = RATE;
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += (double)x[i] * x[i];
  *rms = sqrt(sum / (double)n);
  double best = 0, best_f = 0;
  for (double f = 50; f <= 4000; f += 5) {
    double pw = goertzel(x, n, f);
    if (pw > best) best = pw, best_f = f;
  }
  return best_f;
}

static void send_frame(peer *p) {
  int16_t pcm[FRAME];
  for (int i = 0; i < FRAME; i++) {
    pcm[i] = (int16_t)(8000.0 * sin(p->phase));
    p->phase += 2.0 * PI * p->tone / RATE;
    if (p->phase > 2.0 * PI) p->phase -= 2.0 * PI;
  }
  uint8_t out[MAX_OPUS];
  opus_int32 n = opus_encode(p->enc, pcm, FRAME, out, sizeof out);
  if (n < 0) {
    finish(p, "opus_encode failed");
    return;
  }
  /* capture time from the frame count, so timestamps step by exactly 960 */
  uint64_t capture_us = p->media_start_ms * 1000u + p->frames_sent * 20000u;
  usm_err e = usm__rtp_session_send(p->rtp, USM__MEDIA_AUDIO, out, (size_t)n, capture_us, p->frames_sent == 0);
  if (e != USM_OK) logf_(p, "audio frame not sent: %s", usm_err_name(e));
  p->frames_sent++;
}

static void send_video_packet(void *user, const uint8_t *payload, size_t len, int last) {
  peer *p = user;
  uint64_t capture_us = p->media_start_ms * 1000u + p->video_frames_sent * 1000000u / FPS;
  usm_err e = usm__rtp_session_send(p->rtp, USM__MEDIA_VIDEO, payload, len, capture_us, last);
  if (e != USM_OK) logf_(p, "video packet not sent: %s", usm_err_name(e));
}

static void send_video_frame(peer *p) {
  if (vp8_sender_frame(p->vsend, MAX_VIDEO_PAYLOAD, send_video_packet, p) != 0) {
    finish(p, "VP8 encoding failed");
    return;
  }
  p->video_frames_sent++;
}

static void on_media_timer(uv_timer_t *t) {
  peer *p = t->data;
  uint64_t now = uv_now(&p->loop);
  /* catch up when the loop was late: the peer's jitter buffer wants 50 frames a second */
  while (p->media_start_ms + p->frames_sent * 20u <= now && !p->finished) send_frame(p);
  while (p->vsend && p->media_start_ms + p->video_frames_sent * 1000u / FPS <= now && !p->finished)
    send_video_frame(p);
  if (now - p->media_start_ms >= p->seconds * 1000u) finish(p, NULL);
}

static void on_rtcp_timer(uv_timer_t *t) {
  peer *p = t->data;
  usm__rtp_session_report(p->rtp, uv_now(&p->loop) * 1000u);
}

/* ---- RTP session <-> transport ------------------------------------------------------- */

static usm_err send_rtp(void *user, uint8_t *pkt, size_t len, size_t cap) {
  peer *p = user;
  return usm__transport_send_rtp(p->tr, pkt, len, cap);
}

static usm_err send_rtcp(void *user, uint8_t *pkt, size_t len, size_t cap) {
  peer *p = user;
  return usm__transport_send_rtcp(p->tr, pkt, len, cap);
}

static void on_payload(void *user, const usm__rtp_in *in) {
  usm__media_kind kind = in->kind;
  const uint8_t *payload = in->payload;
  size_t len = in->len;
  uint16_t seq = in->seq;
  int marker = in->marker;
  peer *p = user;
  if (kind == USM__MEDIA_VIDEO && p->vrecv) {
    p->video_packets_received++;
    vp8_receiver_packet(p->vrecv, payload, len, seq, marker);
    return;
  }
  if (kind != USM__MEDIA_AUDIO) {
    p->wrong_kind++;
    return;
  }
  p->packets_received++;
  if (p->n_pcm + 5760 > p->cap_pcm) return; /* enough heard */
  int n = opus_decode(p->dec, payload, (opus_int32)len, p->pcm + p->n_pcm, 5760, 0);
  if (n < 0)
    p->decode_errors++;
  else
    p->n_pcm += (size_t)n;
}

static void on_rtp(usm__transport *t, const uint8_t *pkt, size_t len, void *user) {
  (void)t;
  peer *p = user;
  usm__rtp_session_recv_rtp(p->rtp, pkt, len, uv_now(&p->loop) * 1000u);
}

static void on_rtcp(usm__transport *t, const uint8_t *pkt, size_t len, void *user) {
  (void)t;
  peer *p = user;
  usm__rtp_session_recv_rtcp(p->rtp, pkt, len, uv_now(&p->loop) * 1000u);
}

static void on_state(usm__transport *t, usm__transport_state s, usm_err err, const char *detail, void *user) {
  (void)t;
  peer *p = user;
  logf_(p, "transport %s%s%s", usm__transport_state_name(s), detail ? ": " : "", detail ? detail : "");
  if (s == USM__TR_FAILED) {
    char why[256];
    snprintf(why, sizeof why, "transport failed: %s %s", usm_err_name(err), detail ? detail : "");
    finish(p, why);
  } else if (s == USM__TR_CONNECTED && !p->connected) {
    p->connected = 1;
    p->connect_ms = uv_now(&p->loop) - p->t0_ms;
    p->media_start_ms = uv_now(&p->loop);
    uv_timer_start(&p->media_timer, on_media_timer, 0, 10);
    uv_timer_start(&p->rtcp_timer, on_rtcp_timer, 500, 1000);
  }
}

/* ---- SDP ------------------------------------------------------------------------------ */

static void local_sdp(peer *p, usm__sdp_local *l) {
  usm__sdp_local_init(l);
  usm__transport_local(p->tr, l);
  l->cname = "usm-interop";
  l->session_id = 4242;
  l->session_version = 1;
  l->n_media = p->video ? 2 : 1; /* audio, and VP8 video when asked */
  l->media[0].kind = USM__SDP_KIND_AUDIO;
  l->media[0].dir = USM__SDP_DIR_SENDRECV;
  l->media[0].ssrc = usm__rtp_session_ssrc(p->rtp, USM__MEDIA_AUDIO);
  l->media[0].tias = 0;
  l->media[1].kind = USM__SDP_KIND_VIDEO;
  l->media[1].dir = USM__SDP_DIR_SENDRECV;
  l->media[1].ssrc = usm__rtp_session_ssrc(p->rtp, USM__MEDIA_VIDEO);
  l->media[1].tias = 0;
  l->video_codecs[0] = USM__SDP_CODEC_VP8; /* webrtcbin has no H.264 encoder in Debian's plugins */
  l->n_video_codecs = 1;
}

/* Negotiated payload types into the RTP session, then the remote transport. */
static void apply(peer *p, usm__sdp_result *r) {
  int pt[USM__MEDIA_KINDS] = {-1, -1}, recv_pt[USM__MEDIA_KINDS] = {-1, -1};
  for (size_t i = 0; i < r->n_media; i++) {
    const usm__sdp_media_result *mr = &r->media[i];
    logf_(p, "m-line %zu: mid %s %s codec %s pt %d recv_pt %d dir %d bundled %d", i, mr->mid ? mr->mid : "-",
          mr->rejected ? "rejected" : "accepted", mr->codec_name ? mr->codec_name : "-", mr->pt, mr->recv_pt,
          (int)mr->dir, mr->bundled);
    if (mr->kind == USM__SDP_KIND_AUDIO && !mr->rejected) pt[0] = mr->pt, recv_pt[0] = mr->recv_pt;
    if (mr->kind == USM__SDP_KIND_VIDEO && !mr->rejected) pt[1] = mr->pt, recv_pt[1] = mr->recv_pt;
  }
  usm__rtp_session_set_payload_types(p->rtp, pt, recv_pt);
  p->neg = r;
  p->sdp_done = 1;
  usm_err e = usm__transport_set_remote(p->tr, r);
  if (e != USM_OK) {
    char why[128];
    snprintf(why, sizeof why, "usm__transport_set_remote: %s", usm_err_name(e));
    finish(p, why);
  }
}

static void on_remote_sdp(peer *p, const char *text, size_t len) {
  char why[256] = "";
  usm__sdp_result *r = NULL;
  if (p->verbose) logf_(p, "remote SDP:\n%s", text);
  if (p->offerer) {
    logf_(p, "answer received (%zu bytes)", len);
    usm_err e = usm__sdp_read_answer(p->offer, strlen(p->offer), text, len, &r, why, sizeof why);
    if (e != USM_OK) {
      char msg[300];
      snprintf(msg, sizeof msg, "usm__sdp_read_answer: %s: %s", usm_err_name(e), why);
      finish(p, msg);
      return;
    }
    apply(p, r);
    return;
  }
  logf_(p, "offer received (%zu bytes)", len);
  usm__sdp_local l;
  local_sdp(p, &l);
  char *answer = NULL;
  usm_err e = usm__sdp_answer_offer(&l, text, len, &answer, &r, why, sizeof why);
  if (e != USM_OK) {
    char msg[300];
    snprintf(msg, sizeof msg, "usm__sdp_answer_offer: %s: %s", usm_err_name(e), why);
    finish(p, msg);
    return;
  }
  if (p->verbose) logf_(p, "our answer:\n%s", answer);
  int w = write_whole(p->sdp_out, answer);
  free(answer);
  if (w != 0) {
    usm__sdp_result_free(r);
    finish(p, "cannot write the answer");
    return;
  }
  apply(p, r);
}

/* Polls for the peer's SDP file (answerer: only once our candidates are in). */
static void on_poll(uv_timer_t *t) {
  peer *p = t->data;
  if (p->sdp_done || !p->gathered) return;
  size_t len = 0;
  char *text = read_whole(p->sdp_in, &len);
  if (!text) return;
  uv_timer_stop(&p->poll_timer);
  on_remote_sdp(p, text, len);
  free(text);
}

static void on_gathered(usm__transport *t, void *user) {
  (void)t;
  peer *p = user;
  if (p->gathered) return;
  p->gathered = 1;
  logf_(p, "candidates gathered");
  if (p->offerer) {
    usm__sdp_local l;
    local_sdp(p, &l);
    char why[256] = "";
    usm_err e = usm__sdp_write_offer(&l, &p->offer, why, sizeof why);
    if (e != USM_OK) {
      finish(p, why);
      return;
    }
    if (p->verbose) logf_(p, "our offer:\n%s", p->offer);
    if (write_whole(p->sdp_out, p->offer) != 0) {
      finish(p, "cannot write the offer");
      return;
    }
  }
  uv_timer_start(&p->poll_timer, on_poll, 0, 20);
}

static void on_deadline(uv_timer_t *t) {
  peer *p = t->data;
  finish(p, p->connected ? "deadline reached while media flowed" : p->sdp_done ? "not connected before the deadline"
                                                                                 : "no SDP from the peer before the deadline");
}

/* ---- main ---------------------------------------------------------------------------- */

static void usage(void) {
  fprintf(stderr, "usage: usm_webrtc_peer --offer|--answer --sdp-out FILE --sdp-in FILE [--tone HZ] [--expect HZ]\n"
                  "       [--tolerance HZ] [--seconds N] [--timeout N] [--verbose]\n"
                  "       [--video --video-size WxH --video-yuv Y,U,V --expect-size WxH --expect-yuv Y,U,V]\n");
}

static int parse_args(peer *p, int argc, char **argv) {
  int role = 0;
  p->tone = 440, p->expect = 880, p->tolerance = 20, p->seconds = 5, p->timeout_s = 40;
  p->width = 320, p->height = 240, p->yuv[0] = 81, p->yuv[1] = 90, p->yuv[2] = 240;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--offer") == 0) p->offerer = 1, role++;
    else if (strcmp(a, "--answer") == 0) p->offerer = 0, role++;
    else if (strcmp(a, "--verbose") == 0) p->verbose = 1;
    else if (strcmp(a, "--video") == 0) p->video = 1;
    else if (!v) return -1;
    else if (strcmp(a, "--sdp-out") == 0) p->sdp_out = v, i++;
    else if (strcmp(a, "--sdp-in") == 0) p->sdp_in = v, i++;
    else if (strcmp(a, "--tone") == 0) p->tone = atof(v), i++;
    else if (strcmp(a, "--expect") == 0) p->expect = atof(v), i++;
    else if (strcmp(a, "--tolerance") == 0) p->tolerance = atof(v), i++;
    else if (strcmp(a, "--seconds") == 0) p->seconds = (unsigned)atoi(v), i++;
    else if (strcmp(a, "--timeout") == 0) p->timeout_s = (unsigned)atoi(v), i++;
    else if (strcmp(a, "--video-size") == 0) {
      if (sscanf(v, "%ux%u", &p->width, &p->height) != 2) return -1;
      i++;
    } else if (strcmp(a, "--expect-size") == 0) {
      if (sscanf(v, "%ux%u", &p->expect_width, &p->expect_height) != 2) return -1;
      i++;
    } else if (strcmp(a, "--video-yuv") == 0) {
      unsigned y, u, w;
      if (sscanf(v, "%u,%u,%u", &y, &u, &w) != 3 || y > 255 || u > 255 || w > 255) return -1;
      p->yuv[0] = (uint8_t)y, p->yuv[1] = (uint8_t)u, p->yuv[2] = (uint8_t)w;
      i++;
    } else if (strcmp(a, "--expect-yuv") == 0) {
      if (sscanf(v, "%lf,%lf,%lf", &p->expect_yuv[0], &p->expect_yuv[1], &p->expect_yuv[2]) != 3) return -1;
      i++;
    } else return -1;
  }
  if (p->video && (p->width < 16 || p->height < 16 || p->width > 1920 || p->height > 1080 || !p->expect_width))
    return -1;
  if (role != 1 || !p->sdp_in || !p->sdp_out || p->seconds < 1 || p->seconds > MAX_PCM_SECONDS || p->timeout_s < 1 ||
      p->tone <= 0 || p->tone >= RATE / 2)
    return -1;
  return 0;
}

static void close_cb(uv_handle_t *h) { (void)h; }

static int setup(peer *p) {
  int err = 0;
  p->enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_AUDIO, &err);
  if (!p->enc) return -1;
  opus_encoder_ctl(p->enc, OPUS_SET_BITRATE(32000));
  p->dec = opus_decoder_create(RATE, 1, &err);
  p->cap_pcm = (size_t)RATE * MAX_PCM_SECONDS;
  p->pcm = malloc(p->cap_pcm * sizeof *p->pcm);
  if (!p->dec || !p->pcm) return -1;
  if (p->video) {
    p->vsend = vp8_sender_create(p->width, p->height, p->yuv, FPS);
    p->vrecv = vp8_receiver_create();
    if (!p->vsend || !p->vrecv) return -1;
  }
  char why[256] = "";
  if (usm__dtls_ctx_create(&p->dtls, why, sizeof why) != USM_OK) {
    logf_(p, "DTLS context: %s", why);
    return -1;
  }
  usm__rtp_session_config rc = {
    .cname = "usm-interop",
    .send = {1, p->video},
    .pt = {-1, -1},
    .clock = {48000, 90000},
    .recv_pt = {-1, -1},
    .send_rtp = send_rtp,
    .send_rtcp = send_rtcp,
    .on_rtp = on_payload,
    .user = p,
  };
  if (usm__rtp_session_create(&rc, &p->rtp) != USM_OK) return -1;
  usm__transport_config tc = {
    .loop = &p->loop,
    .dtls = p->dtls,
    .ice_controlled = !p->offerer, /* webrtcbin is a full agent: its offer makes it controlling */
    .loopback_only = 1,
    .ice_timeout_ms = p->timeout_s * 1000u,
    .on_state = on_state,
    .on_gathered = on_gathered,
    .on_rtp = on_rtp,
    .on_rtcp = on_rtcp,
    .log = tr_log,
    .user = p,
  };
  if (usm__transport_create(&tc, &p->tr) != USM_OK) return -1;
  return usm__transport_gather(p->tr) == USM_OK ? 0 : -1;
}

/* The reason as a JSON string body: no quote, backslash or control byte. */
static void json_safe(char *s) {
  for (; *s; s++)
    if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20) *s = ' ';
}

static void report(peer *p) {
  json_safe(p->fail_why);
  double rms = 0, f = dominant(p, &rms);
  usm__transport_stats ts;
  memset(&ts, 0, sizeof ts);
  if (p->tr) usm__transport_get_stats(p->tr, &ts);
  int heard = !p->failed && fabs(f - p->expect) <= p->tolerance;
  vp8_stats vs;
  memset(&vs, 0, sizeof vs);
  if (p->vrecv) vp8_receiver_stats(p->vrecv, &vs);
  int seen = !p->video || (vs.frames_decoded >= FPS && vs.width == p->expect_width && vs.height == p->expect_height &&
                           fabs(vs.mean_yuv[0] - p->expect_yuv[0]) <= YUV_TOLERANCE &&
                           fabs(vs.mean_yuv[1] - p->expect_yuv[1]) <= YUV_TOLERANCE &&
                           fabs(vs.mean_yuv[2] - p->expect_yuv[2]) <= YUV_TOLERANCE);
  printf("{\"side\":\"libusm\",\"role\":\"%s\",\"ok\":%s,\"connected\":%s,\"connect_ms\":%llu,"
         "\"frames_sent\":%llu,\"packets_received\":%llu,\"decoded_ms\":%llu,\"decode_errors\":%llu,"
         "\"freq_hz\":%.1f,\"expect_hz\":%.1f,\"rms\":%.1f,\"srtp_received\":%llu,\"srtp_dropped\":%llu,"
         "\"path\":\"%s -> %s\",\"video\":%s,\"video_frames_sent\":%llu,\"video_packets_received\":%llu,"
         "\"video_frames_decoded\":%u,\"video_frames_dropped\":%u,\"video_size\":\"%ux%u\","
         "\"video_yuv\":[%.1f,%.1f,%.1f],\"error\":\"%s\"}\n",
         p->offerer ? "offerer" : "answerer", heard && seen ? "true" : "false", p->connected ? "true" : "false",
         (unsigned long long)p->connect_ms, (unsigned long long)p->frames_sent,
         (unsigned long long)p->packets_received, (unsigned long long)(p->n_pcm * 1000u / RATE),
         (unsigned long long)p->decode_errors, f, p->expect, rms, (unsigned long long)ts.srtp_packets_received,
         (unsigned long long)(ts.dropped_auth + ts.dropped_replay + ts.dropped_malformed), ts.local_addr,
         ts.remote_addr, p->video ? "true" : "false", (unsigned long long)p->video_frames_sent,
         (unsigned long long)p->video_packets_received, vs.frames_decoded, vs.frames_dropped, vs.width, vs.height,
         vs.mean_yuv[0], vs.mean_yuv[1], vs.mean_yuv[2], p->failed ? p->fail_why : "");
  fflush(stdout);
  if (!heard && !p->failed) {
    p->failed = 1;
    snprintf(p->fail_why, sizeof p->fail_why, "heard %.1f Hz, expected %.1f", f, p->expect);
  }
  if (!seen && !p->failed) {
    p->failed = 1;
    snprintf(p->fail_why, sizeof p->fail_why, "video: %u frames %ux%u, mean YUV %.0f,%.0f,%.0f", vs.frames_decoded,
             vs.width, vs.height, vs.mean_yuv[0], vs.mean_yuv[1], vs.mean_yuv[2]);
  }
}

int main(int argc, char **argv) {
  static peer pr; /* large; zeroed */
  peer *p = &pr;
  if (parse_args(p, argc, argv) != 0) {
    usage();
    return 2;
  }
  if (uv_loop_init(&p->loop) != 0) return 1;
  p->t0_ms = uv_now(&p->loop);
  uv_timer_t *timers[] = {&p->poll_timer, &p->media_timer, &p->rtcp_timer, &p->deadline};
  for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
    uv_timer_init(&p->loop, timers[i]);
    timers[i]->data = p;
  }
  uv_timer_start(&p->deadline, on_deadline, p->timeout_s * 1000u, 0);
  if (setup(p) != 0)
    finish(p, "setup failed");
  else
    uv_run(&p->loop, UV_RUN_DEFAULT);

  report(p);
  logf_(p, "%s", p->failed ? p->fail_why : "ok");

  for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) uv_close((uv_handle_t *)timers[i], close_cb);
  usm__transport_destroy(p->tr);
  uv_run(&p->loop, UV_RUN_DEFAULT); /* let the handles close */
  usm__rtp_session_destroy(p->rtp);
  usm__sdp_result_free(p->neg);
  usm__dtls_ctx_free(p->dtls);
  free(p->offer);
  free(p->pcm);
  if (p->enc) opus_encoder_destroy(p->enc);
  if (p->dec) opus_decoder_destroy(p->dec);
  vp8_sender_destroy(p->vsend);
  vp8_receiver_destroy(p->vrecv);
  int rc = uv_loop_close(&p->loop) == 0 ? 0 : 1;
  return p->failed ? 1 : rc;
}
