/* usm_srtp_peer: one end of an SDES-SRTP call with a SIP-style peer (ffmpeg,
 * GStreamer srtpenc/srtpdec) over plain UDP on loopback, for the interop test
 * (srtp_interop.sh). No ICE, no DTLS: the keys travel out of band, as in an
 * SDP `a=crypto` line. One medium per process (one RTP session, one key), as
 * SIP peers use one m-line each. Media is coded and carried exactly as the
 * meeting pipeline does it (src/meeting/media_send.c, media_recv.c): libusm's
 * Opus and VP8 codecs, usm__vp8_packetize at 1200 bytes, usm__rtp_session,
 * and on receipt usm__audio_jb + Opus, usm__vp8_asm + VP8.
 *
 *   usm_srtp_peer send --port P [--media audio|video] [--seconds 3] [--delay-ms 0]
 *                      [--pt 111] [--suite AES_CM_128_HMAC_SHA1_80]
 *                      audio: [--freq 440 | --tone]   video: [--size 640x360] [--fps 30] [--kbps 500]
 *     Generates a key with usm__sdes_generate and prints, before sending,
 *       crypto: <a=crypto value>     key_b64: <key||salt>     key_hex: <hex>
 *       ssrc: <our SSRC>
 *     then sends Opus (20 ms; a sine of --freq Hz, or with --tone the test
 *     tone of src/source/test_signal.h) or VP8 (the test pattern, pictures
 *     numbered from 0) as SRTP to 127.0.0.1:P and SRTCP sender reports to P+1.
 *
 *   usm_srtp_peer recv --crypto "<a=crypto value>" [--port P|0] [--media audio|video]
 *                      [--seconds 8] [--idle-ms 1000] [--pt 111]
 *                      [--expect-freq F | --expect-tone | --expect-pattern WxH [--min-pictures N]
 *                       | --expect-none] [--expect-srtcp] [--save-wav FILE]
 *     Binds P (RTP) and P+1 (RTCP); with port 0 picks a free pair and prints
 *     "listening: P". Unprotects, decodes and prints one JSON line. Exit 0
 *     when the expectation holds: the dominant frequency within 5 %; the tone
 *     above signal_check.h's SNR and correlation thresholds; every picture's
 *     counter readable, in order and above the PSNR threshold; or
 *     (--expect-none) nothing decoded and SRTP authentication failures
 *     counted. --expect-srtcp: at least one SRTCP packet authenticated too.
 *
 *   usm_srtp_peer write --wav FILE --seconds S
 *   usm_srtp_peer write --y4m FILE --size WxH [--fps 30] --seconds S
 *     The tone / the pattern as a file for a peer to send.
 *   usm_srtp_peer measure --wav FILE
 *   usm_srtp_peer measure (--y4m FILE | --i420 FILE) --size WxH [--min-pictures N]
 *     Measures what a peer decoded; one JSON line, exit 0 when it passes. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codec/codec.h"
#include "codec/jitter_audio.h"
#include "codec/opus.h"
#include "codec/opus_sdp.h"
#include "codec/vp8.h"
#include "codec/vp8_rtp.h"
#include "media/rtp.h"
#include "media/rtp_session.h"
#include "media/sdes.h"
#include "media/srtp_session.h"
#include "signal_check.h"
#include "signal_files.h"
#include "source/test_signal.h"
#include "wav_writer.h"

#define RATE 48000
#define FRAME 960            /* 20 ms at 48 kHz */
#define MAX_PCM (RATE * 30)  /* at most 30 s of decoded audio kept */
#define PKT_CAP 1600
/* As media_send.c: the RTP payload budget of a video packet, the audio and
 * video caps of media.c. */
#define VIDEO_MAX_PAYLOAD 1200u
#define AUDIO_MAX_BPS 64000u
#define VIDEO_MAX_BPS 4000000u
#define TONE_SKIP (RATE / 5) /* the decoder's and jitter buffer's start */

static const double k_pi = 3.14159265358979323846;

typedef struct opts {
  const char *mode;
  int port;
  int video;                /* --media video */
  double freq;
  int tone;                 /* send: the test tone instead of a sine */
  double seconds;
  int delay_ms, idle_ms, pt;
  const char *suite, *crypto;
  double expect_freq;
  int expect_none, expect_srtcp, expect_tone, expect_pattern;
  unsigned width, height, fps, kbps, min_pictures;
  const char *wav, *y4m, *i420;
  const char *save_wav; /* recv: keep what was decoded */
} opts;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_until_us(uint64_t t) {
  struct timespec ts = {(time_t)(t / 1000000u), (long)(t % 1000000u) * 1000};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static int udp_bind(int port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a = loopback(port);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* ---------------------------------------------------------------- send -- */

typedef struct sender {
  int fd;
  struct sockaddr_in rtp_to, rtcp_to;
  usm__srtp_session *srtp;
  usm__rtp_session *rtp;
  unsigned long rtp_sent, rtcp_sent, errors;
  uint64_t capture_us;      /* of the frame being encoded */
  uint16_t picture_id;
  unsigned long frames, keyframes, bytes;
  uint8_t scratch[VIDEO_MAX_PAYLOAD + 64];
} sender;

static usm_err send_rtp(void *user, uint8_t *pkt, size_t len, size_t cap) {
  sender *s = user;
  size_t n = 0;
  usm_err e = usm__srtp_protect_rtp(s->srtp, pkt, len, cap, &n);
  if (e != USM_OK) {
    s->errors++;
    return e;
  }
  if (sendto(s->fd, pkt, n, 0, (struct sockaddr *)&s->rtp_to, sizeof s->rtp_to) < 0) s->errors++;
  else s->rtp_sent++;
  return USM_OK;
}

static usm_err send_rtcp(void *user, uint8_t *pkt, size_t len, size_t cap) {
  sender *s = user;
  size_t n = 0;
  usm_err e = usm__srtp_protect_rtcp(s->srtp, pkt, len, cap, &n);
  if (e != USM_OK) {
    s->errors++;
    return e;
  }
  /* Nobody may listen on the RTCP port: a refused datagram is no error. */
  if (sendto(s->fd, pkt, n, 0, (struct sockaddr *)&s->rtcp_to, sizeof s->rtcp_to) >= 0) s->rtcp_sent++;
  return USM_OK;
}

static int profile_of(const char *name, usm__srtp_profile *out) {
  static const usm__srtp_profile all[] = {USM__SRTP_AES128_CM_SHA1_80, USM__SRTP_AES128_CM_SHA1_32,
                                          USM__SRTP_AEAD_AES_128_GCM};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (strcmp(usm__srtp_profile_name(all[i]), name) == 0) {
      *out = all[i];
      return 1;
    }
  return 0;
}

/* media_send.c on_audio_payload: the talkspurt flag is the marker. */
static usm_err on_audio_payload(void *user, const usm__codec_payload *p) {
  sender *s = user;
  s->frames++;
  s->bytes += p->len;
  return usm__rtp_session_send(s->rtp, USM__MEDIA_AUDIO, p->data, p->len, s->capture_us,
                               (p->flags & USM__CODEC_PAYLOAD_TALKSPURT) != 0);
}

/* media_send.c on_video_packet / on_video_payload. */
static usm_err on_video_packet(void *user, const uint8_t *payload, size_t len, int marker) {
  sender *s = user;
  return usm__rtp_session_send(s->rtp, USM__MEDIA_VIDEO, payload, len, s->capture_us, marker);
}

static usm_err on_video_payload(void *user, const usm__codec_payload *p) {
  sender *s = user;
  int key = (p->flags & USM__CODEC_PAYLOAD_KEYFRAME) != 0;
  usm_err e = usm__vp8_packetize(p->data, p->len, key, s->picture_id++ & 0x7fffu, VIDEO_MAX_PAYLOAD, s->scratch,
                                 sizeof s->scratch, on_video_packet, s);
  if (e == USM_OK) {
    s->frames++;
    s->keyframes += key;
    s->bytes += p->len;
  }
  return e;
}

/* The encoder media_send.c makes: configure_audio() with the RFC's fmtp
 * defaults (a SIP peer's SDP says nothing more), or make_video_encoder(). */
static usm_err make_encoder(const opts *o, usm__codec_enc **enc) {
  if (!o->video) {
    usm__opus_fmtp f;
    usm__opus_fmtp_init(&f);
    usm__codec_params p = {.kind = USM__CODEC_KIND_AUDIO};
    p.audio.channels = 1;
    p.audio.frame_ms = 20;
    p.audio.max_bitrate = AUDIO_MAX_BPS;
    p.audio.bitrate = USM__OPUS_DEFAULT_BITRATE_MONO;
    usm__opus_fmtp_to_encoder(&f, &p);
    p.audio.frame_ms = 20;
    return usm__codec_encoder_create(usm__codec_opus(), &p, enc);
  }
  usm__codec_params p = {.kind = USM__CODEC_KIND_VIDEO};
  p.video.width = o->width;
  p.video.height = o->height;
  p.video.fps = o->fps;
  p.video.bitrate = o->kbps * 1000u;
  p.video.max_bitrate = VIDEO_MAX_BPS;
  p.video.max_payload = VIDEO_MAX_PAYLOAD;
  return usm__codec_encoder_create(usm__codec_vp8(), &p, enc);
}

static int run_send(const opts *o) {
  usm__srtp_profile profile;
  if (!profile_of(o->suite, &profile)) {
    fprintf(stderr, "unknown suite %s\n", o->suite);
    return 2;
  }
  usm__sdes_crypto local;
  char value[USM__SDES_MAX_VALUE];
  usm_err e = usm__sdes_generate(1, profile, &local, value, sizeof value);
  if (e != USM_OK) {
    fprintf(stderr, "usm__sdes_generate: %s\n", usm_err_name(e));
    return 1;
  }
  static sender s;
  s.fd = -1;
  s.rtp_to = loopback(o->port);
  s.rtcp_to = loopback(o->port + 1);
  e = usm__sdes_session(&local, USM__SRTP_OUTBOUND, &s.srtp);
  if (e != USM_OK) {
    usm__sdes_clear(&local);
    fprintf(stderr, "usm__sdes_session: %s\n", usm_err_name(e));
    return 1;
  }
  int rc = 1;
  usm__codec_enc *enc = NULL;
  usm__media_kind kind = o->video ? USM__MEDIA_VIDEO : USM__MEDIA_AUDIO;
  uint8_t *pic = NULL;
  usm__rtp_session_config cfg = {.cname = "usm_srtp_peer@127.0.0.1",
                                 .send = {!o->video, o->video},
                                 .pt = {o->video ? -1 : o->pt, o->video ? o->pt : -1},
                                 .clock = {48000, 90000},
                                 .recv_pt = {-1, -1},
                                 .send_rtp = send_rtp,
                                 .send_rtcp = send_rtcp,
                                 .user = &s};
  s.fd = socket(AF_INET, SOCK_DGRAM, 0);
  e = make_encoder(o, &enc);
  if (o->video) pic = malloc((size_t)o->width * o->height * 3 / 2);
  if (e != USM_OK || s.fd < 0 || (o->video && !pic) || usm__rtp_session_create(&cfg, &s.rtp) != USM_OK) {
    fprintf(stderr, "setup failed (encoder: %s)\n", usm_err_name(e));
    goto out;
  }

  /* What the peer needs before we send: the key (GStreamer takes it as hex
   * key||salt) and our SSRC (srtpdec keys streams by SSRC from its caps). */
  const char *b64 = strstr(value, "inline:");
  printf("crypto: %s\nkey_b64: %s\nkey_hex: ", value, b64 ? b64 + 7 : "");
  for (size_t i = 0; i < local.key_len; i++) printf("%02x", local.key[i]);
  for (size_t i = 0; i < local.salt_len; i++) printf("%02x", local.salt[i]);
  printf("\nssrc: %u\n", (unsigned)usm__rtp_session_ssrc(s.rtp, kind));
  fflush(stdout);

  if (o->delay_ms > 0) sleep_until_us(now_us() + (uint64_t)o->delay_ms * 1000u);
  unsigned rate = o->video ? o->fps : 50;
  long frames = (long)(o->seconds * rate);
  uint64_t t0 = now_us(), next_report = t0;
  double phase = 0, step = 2 * k_pi * o->freq / RATE;
  uint8_t *pl[3] = {pic, NULL, NULL};
  int st[3] = {(int)o->width, (int)o->width / 2, (int)o->width / 2};
  if (pic) {
    pl[1] = pic + (size_t)o->width * o->height;
    pl[2] = pl[1] + (size_t)(o->width / 2) * (o->height / 2);
  }
  for (long f = 0; f < frames; f++) {
    s.capture_us = t0 + (uint64_t)f * 1000000u / rate;
    if (o->video) {
      usm__pattern_draw(pl, st, o->width, o->height, (uint32_t)f);
      usm__codec_frame cf = {.kind = USM__CODEC_KIND_VIDEO,
                             .timestamp = (uint32_t)(s.capture_us * 9u / 100u),
                             .u.video = {.width = o->width, .height = o->height}};
      for (int i = 0; i < 3; i++) cf.u.video.plane[i] = pl[i], cf.u.video.stride[i] = st[i];
      sleep_until_us(s.capture_us);
      e = usm__codec_encode(enc, &cf, on_video_payload, &s);
    } else {
      int16_t pcm[FRAME];
      if (o->tone) {
        usm__tone_fill((uint64_t)f * FRAME, pcm, 1, FRAME);
      } else {
        for (int i = 0; i < FRAME; i++) {
          pcm[i] = (int16_t)lrint(9830.0 * sin(phase)); /* -10 dBFS */
          phase += step;
          if (phase > 2 * k_pi) phase -= 2 * k_pi;
        }
      }
      usm__codec_frame af = {.kind = USM__CODEC_KIND_AUDIO, .u.audio = {.pcm = pcm, .channels = 1, .samples = FRAME}};
      sleep_until_us(s.capture_us);
      e = usm__codec_encode(enc, &af, on_audio_payload, &s);
    }
    if (e != USM_OK) {
      fprintf(stderr, "frame %ld: %s\n", f, usm_err_name(e));
      goto out;
    }
    if (now_us() >= next_report) {
      usm__rtp_session_report(s.rtp, now_us());
      next_report += 1000000u;
    }
  }
  usm__rtp_session_report(s.rtp, now_us());
  printf("{\"mode\":\"send\",\"media\":\"%s\",\"suite\":\"%s\",\"port\":%d,\"signal\":\"%s\",\"frames\":%lu,"
         "\"keyframes\":%lu,\"payload_kbps\":%.0f,\"rtp_sent\":%lu,\"rtcp_sent\":%lu,\"errors\":%lu,\"ssrc\":%u}\n",
         o->video ? "video" : "audio", o->suite, o->port, o->video ? "pattern" : o->tone ? "tone" : "sine",
         s.frames, s.keyframes, (double)s.bytes * 8.0 / o->seconds / 1000.0, s.rtp_sent, s.rtcp_sent, s.errors,
         (unsigned)usm__rtp_session_ssrc(s.rtp, kind));
  rc = s.errors == 0 && s.frames == (unsigned long)frames && s.rtp_sent >= (unsigned long)frames ? 0 : 1;
out:
  usm__sdes_clear(&local);
  usm__rtp_session_destroy(s.rtp);
  usm__codec_encoder_destroy(enc);
  free(pic);
  if (s.fd >= 0) close(s.fd);
  usm__srtp_session_destroy(s.srtp);
  return rc;
}

/* ---------------------------------------------------------------- recv -- */

typedef struct receiver {
  int video;
  unsigned long packets, rtcp_packets, srtp_ok, srtcp_ok, auth_failures, replays, malformed;
  /* audio, as media_recv.c play_audio() */
  usm__audio_jb *jb;
  usm__codec_dec *adec;
  int16_t frame[USM__CODEC_AUDIO_MAX_SAMPLES];
  int16_t *pcm;
  size_t n_pcm, n_played; /* n_played: up to the last frame that came from a packet */
  int started;
  unsigned long decoded, decode_errors, fec, concealed, concealed_played;
  /* video, as media_recv.c drain_video() / video_decode() */
  usm__vp8_asm *vasm;
  usm__codec_dec *vdec;
  int check_pattern;
  sigcheck_video vc;
  unsigned long vframes, vdecoded, vrefused, vkeyframes;
} receiver;

static void on_video(receiver *r, const usm__rtp_in *in) {
  usm_err e = usm__vp8_asm_push(r->vasm, in->payload, in->len, in->seq, in->timestamp, in->marker);
  if (e == USM_ERR_NO_MEMORY) return;
  usm__vp8_frame f;
  while (usm__vp8_asm_pop(r->vasm, &f)) {
    r->vframes++;
    usm__codec_frame out = {.kind = USM__CODEC_KIND_VIDEO};
    int got = 0;
    if (usm__codec_decode(r->vdec, f.data, f.len, &out, &got) != USM_OK || !got) {
      r->vrefused++;
      continue;
    }
    r->vdecoded++;
    r->vkeyframes += out.u.video.keyframe != 0;
    const uint8_t *const pl[3] = {out.u.video.plane[0], out.u.video.plane[1], out.u.video.plane[2]};
    if (r->check_pattern) sigcheck_picture(&r->vc, pl, out.u.video.stride, out.u.video.width, out.u.video.height);
  }
}

static void on_rtp(void *user, const usm__rtp_in *in) {
  receiver *r = user;
  if (r->video) {
    if (in->kind == USM__MEDIA_VIDEO) on_video(r, in);
    return;
  }
  if (in->kind == USM__MEDIA_AUDIO)
    usm__audio_jb_insert(r->jb, in->ssrc, in->seq, in->timestamp, in->arrival_us, in->payload, in->len, NULL);
}

/* One 20 ms frame out of the jitter buffer, decoded and kept. */
static void pull_audio(receiver *r, uint64_t now) {
  usm__ajb_frame f;
  if (usm__audio_jb_pull(r->jb, now, &f) != USM_OK) return;
  if (f.action == USM__AJB_SILENCE && !r->started) return; /* the stream has not begun */
  r->started = 1;
  usm__codec_frame out = {.kind = USM__CODEC_KIND_AUDIO,
                          .u.audio = {.pcm = r->frame, .channels = 1, .samples = f.samples,
                                      .capacity = USM__CODEC_AUDIO_MAX_SAMPLES}};
  usm_err e = USM_OK;
  int got = 0;
  switch (f.action) {
  case USM__AJB_SILENCE:
    memset(r->frame, 0, sizeof r->frame[0] * f.samples);
    break;
  case USM__AJB_PLAY:
    e = usm__codec_decode(r->adec, f.payload, f.len, &out, &got);
    if (e == USM_OK) r->decoded++;
    break;
  case USM__AJB_FEC:
    e = usm__opus_decode_fec(r->adec, f.payload, f.len, &out);
    r->fec++;
    break;
  case USM__AJB_CONCEAL:
    e = usm__codec_decode(r->adec, NULL, 0, &out, &got);
    if (!f.inserted) r->concealed++;
    break;
  }
  if (e != USM_OK) {
    r->decode_errors++;
    out.u.audio.samples = f.samples;
    if (usm__codec_decode(r->adec, NULL, 0, &out, &got) != USM_OK) return;
  }
  size_t take = out.u.audio.samples;
  if (take > MAX_PCM - r->n_pcm) take = MAX_PCM - r->n_pcm;
  memcpy(r->pcm + r->n_pcm, r->frame, take * sizeof r->frame[0]);
  r->n_pcm += take;
  if (f.action == USM__AJB_PLAY || f.action == USM__AJB_FEC) {
    r->n_played = r->n_pcm;
    r->concealed_played = r->concealed; /* losses inside the stream, not after its end */
  }
}

static usm_err no_send(void *user, uint8_t *pkt, size_t len, size_t cap) {
  (void)user, (void)pkt, (void)len, (void)cap;
  return USM_OK;
}

static void count_err(receiver *r, usm_err e) {
  if (e == USM_ERR_SRTP) r->auth_failures++;
  else if (e == USM_ERR_REPLAY) r->replays++;
  else r->malformed++;
}

/* Goertzel power of @p f Hz over x[0..n). */
static double goertzel(const float *x, size_t n, double f) {
  double c = 2 * cos(2 * k_pi * f / RATE), s1 = 0, s2 = 0;
  for (size_t i = 0; i < n; i++) {
    double s0 = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/* Dominant frequency in 50..4000 Hz (5 Hz steps) of up to 1 s of audio after
 * the first 100 ms (the decoder's start); 0 when under 100 ms is left. */
static double dominant(const receiver *r, double *rms) {
  size_t skip = RATE / 10;
  *rms = 0;
  if (r->n_pcm < skip + RATE / 10) return 0;
  size_t n = r->n_pcm - skip;
  if (n > RATE) n = RATE;
  float *x = malloc(n * sizeof *x);
  if (!x) return 0;
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    x[i] = (float)r->pcm[skip + i] / 32768.0f;
    sum += (double)x[i] * x[i];
  }
  *rms = sqrt(sum / (double)n);
  double best = 0, best_p = -1;
  for (double f = 50; f <= 4000; f += 5) {
    double p = goertzel(x, n, f);
    if (p > best_p) best_p = p, best = f;
  }
  free(x);
  return best;
}

static int bind_pair(int port, int *fd_rtp, int *fd_rtcp) {
  for (int attempt = 0; attempt < 50; attempt++) {
    int p = port ? port : 20000 + 2 * (int)((unsigned)(now_us() / 7u + (unsigned)attempt * 7919u) % 20000u);
    *fd_rtp = udp_bind(p);
    *fd_rtcp = *fd_rtp >= 0 ? udp_bind(p + 1) : -1;
    if (*fd_rtcp >= 0) return p;
    if (*fd_rtp >= 0) close(*fd_rtp);
    if (port) break;
  }
  return -1;
}

static usm_err receiver_init(receiver *r, const opts *o) {
  r->video = o->video;
  if (o->video) {
    usm__codec_params p = {.kind = USM__CODEC_KIND_VIDEO};
    usm_err e = usm__vp8_asm_create(NULL, &r->vasm);
    if (e == USM_OK) e = usm__codec_decoder_create(usm__codec_vp8(), &p, &r->vdec);
    if (e == USM_OK && o->expect_pattern) {
      r->check_pattern = 1;
      if (sigcheck_video_init(&r->vc, o->width, o->height) != 0) e = USM_ERR_NO_MEMORY;
    }
    return e;
  }
  /* media_recv.c audio_source_init(): FEC on, as our SDP asks for it */
  usm__audio_jb_config jc = {.frame_ms = 20, .fec = 1};
  usm__codec_params p = {.kind = USM__CODEC_KIND_AUDIO};
  p.audio.channels = 1;
  p.audio.frame_ms = 20;
  r->pcm = malloc(MAX_PCM * sizeof *r->pcm);
  if (!r->pcm) return USM_ERR_NO_MEMORY;
  usm_err e = usm__audio_jb_create(&jc, &r->jb);
  if (e == USM_OK) e = usm__codec_decoder_create(usm__codec_opus(), &p, &r->adec);
  return e;
}

static void receiver_free(receiver *r) {
  usm__audio_jb_destroy(r->jb);
  usm__codec_decoder_destroy(r->adec);
  free(r->pcm);
  usm__vp8_asm_destroy(r->vasm);
  usm__codec_decoder_destroy(r->vdec);
  if (r->check_pattern) sigcheck_video_free(&r->vc);
}

static int run_recv(const opts *o) {
  if (!o->crypto) {
    fprintf(stderr, "recv needs --crypto\n");
    return 2;
  }
  usm__sdes_crypto remote;
  const char *why = NULL;
  usm_err e = usm__sdes_parse(o->crypto, strlen(o->crypto), &remote, &why);
  if (e != USM_OK) {
    fprintf(stderr, "usm__sdes_parse: %s (%s)\n", usm_err_name(e), why ? why : "?");
    return 1;
  }
  usm__srtp_session *srtp = NULL;
  e = usm__sdes_session(&remote, USM__SRTP_INBOUND, &srtp);
  usm__sdes_clear(&remote);
  if (e != USM_OK) {
    fprintf(stderr, "usm__sdes_session: %s\n", usm_err_name(e));
    return 1;
  }
  int rc = 1, fd[2] = {-1, -1};
  static receiver r;
  usm__rtp_session *rtp = NULL;
  usm__rtp_session_config cfg = {.send = {0, 0},
                                 .pt = {-1, -1},
                                 .clock = {48000, 90000},
                                 .recv_pt = {o->video ? -1 : o->pt, o->video ? o->pt : -1},
                                 .send_rtp = no_send,
                                 .send_rtcp = no_send,
                                 .on_rtp = on_rtp,
                                 .user = &r};
  int port = bind_pair(o->port, &fd[0], &fd[1]);
  e = receiver_init(&r, o);
  if (e != USM_OK || port < 0 || usm__rtp_session_create(&cfg, &rtp) != USM_OK) {
    fprintf(stderr, "setup failed (port %d, %s)\n", o->port, usm_err_name(e));
    goto out;
  }
  printf("listening: %d\n", port);
  fflush(stdout);

  uint64_t start = now_us(), end = start + (uint64_t)(o->seconds * 1e6), last = 0, next_pull = start;
  for (;;) {
    uint64_t t = now_us();
    if (t >= end || (last && t >= last + (uint64_t)o->idle_ms * 1000u)) break;
    /* media_recv.c's playout clock: one audio frame every 20 ms */
    for (; !o->video && next_pull <= t; next_pull += 20000u) pull_audio(&r, next_pull);
    int wait_ms = o->video ? 50 : (int)((next_pull - t) / 1000u) + 1;
    struct pollfd pfd[2] = {{fd[0], POLLIN, 0}, {fd[1], POLLIN, 0}};
    if (poll(pfd, 2, wait_ms) <= 0) continue;
    for (int i = 0; i < 2; i++) {
      if (!(pfd[i].revents & POLLIN)) continue;
      uint8_t buf[PKT_CAP];
      ssize_t n = recv(fd[i], buf, sizeof buf, 0);
      if (n <= 0) continue;
      last = now_us();
      size_t plain = 0;
      if (i == 1 || usm__rtp_is_rtcp(buf, (size_t)n)) { /* RTCP port, or muxed */
        r.rtcp_packets++;
        e = usm__srtp_unprotect_rtcp(srtp, buf, (size_t)n, &plain);
        if (e != USM_OK) {
          count_err(&r, e);
          continue;
        }
        r.srtcp_ok++;
        usm__rtp_session_recv_rtcp(rtp, buf, plain, last);
        continue;
      }
      r.packets++;
      e = usm__srtp_unprotect_rtp(srtp, buf, (size_t)n, &plain);
      if (e != USM_OK) {
        count_err(&r, e);
        continue;
      }
      r.srtp_ok++;
      usm__rtp_session_recv_rtp(rtp, buf, plain, last);
    }
  }
  r.n_pcm = r.n_played; /* the concealment after the stream's end is no part of it */
  if (o->save_wav && r.pcm) {
    usmrec_wav *w = NULL;
    if (usmrec_wav_open(&w, o->save_wav, 1, RATE) != 0 || usmrec_wav_write(w, r.pcm, r.n_pcm) != 0 ||
        usmrec_wav_close(w) != 0)
      perror(o->save_wav);
  }

  int pass = 1;
  char detail[1024] = "";
  if (o->video) {
    usm__vp8_asm_stats as;
    usm__vp8_asm_get_stats(r.vasm, &as);
    int n = snprintf(detail, sizeof detail,
                     "\"frames_assembled\":%lu,\"frames_decoded\":%lu,\"frames_refused\":%lu,\"keyframes\":%lu,"
                     "\"asm_dropped\":%llu,\"asm_malformed\":%llu",
                     r.vframes, r.vdecoded, r.vrefused, r.vkeyframes, (unsigned long long)as.frames_dropped,
                     (unsigned long long)as.malformed);
    if (r.check_pattern && n > 0 && (size_t)n < sizeof detail) {
      detail[n++] = ',';
      sigcheck_video_json(&r.vc, detail + n, sizeof detail - (size_t)n);
      pass = sigcheck_video_ok(&r.vc, o->min_pictures) && r.vrefused == 0;
    }
    if (o->expect_none) pass = r.vdecoded == 0 && r.srtp_ok == 0 && r.auth_failures > 0;
  } else {
    usm__ajb_stats js;
    usm__audio_jb_stats(r.jb, &js);
    double rms = 0, freq = dominant(&r, &rms);
    int n = snprintf(detail, sizeof detail,
                     "\"decoded_frames\":%lu,\"decode_errors\":%lu,\"fec\":%lu,\"concealed\":%lu,"
                     "\"jb_accelerated\":%llu,\"jb_decelerated\":%llu,\"jb_late\":%llu,\"jb_delay_ms\":%d,"
                     "\"seconds_decoded\":%.2f,\"freq_hz\":%.1f,\"rms\":%.3f",
                     r.decoded, r.decode_errors, r.fec, r.concealed_played, (unsigned long long)js.accelerated,
                     (unsigned long long)js.decelerated, (unsigned long long)js.late, (int)js.delay_ms,
                     (double)r.n_pcm / RATE, freq, rms);
    if (o->expect_none) {
      pass = r.decoded == 0 && r.srtp_ok == 0 && r.auth_failures > 0;
    } else if (o->expect_tone) {
      sigcheck_audio a;
      sigcheck_tone(r.pcm, r.n_pcm, TONE_SKIP, &a);
      if (n > 0 && (size_t)n < sizeof detail) {
        detail[n++] = ',';
        sigcheck_audio_json(&a, detail + n, sizeof detail - (size_t)n);
      }
      pass = a.ok && r.decode_errors == 0;
    } else if (o->expect_freq > 0) {
      pass = r.decoded >= 25 && rms > 0.01 && fabs(freq - o->expect_freq) <= 0.05 * o->expect_freq;
    }
  }
  if (o->expect_srtcp && r.srtcp_ok == 0) pass = 0;
  printf("{\"mode\":\"recv\",\"media\":\"%s\",\"port\":%d,\"packets\":%lu,\"srtp_ok\":%lu,\"rtcp_packets\":%lu,"
         "\"srtcp_ok\":%lu,\"auth_failures\":%lu,\"replays\":%lu,\"malformed\":%lu,\"dropped\":%lu,%s,"
         "\"expect_srtcp\":%s,\"expect_none\":%s,\"pass\":%s}\n",
         o->video ? "video" : "audio", port, r.packets, r.srtp_ok, r.rtcp_packets, r.srtcp_ok, r.auth_failures,
         r.replays, r.malformed, (unsigned long)usm__rtp_session_dropped(rtp), detail,
         o->expect_srtcp ? "true" : "false", o->expect_none ? "true" : "false", pass ? "true" : "false");
  rc = pass ? 0 : 1;
out:
  usm__rtp_session_destroy(rtp);
  for (int i = 0; i < 2; i++)
    if (fd[i] >= 0) close(fd[i]);
  receiver_free(&r);
  usm__srtp_session_destroy(srtp);
  return rc;
}

/* ---------------------------------------------------------- write, measure -- */

static int run_write(const opts *o) {
  if (o->wav) return sigfile_write_tone(o->wav, o->seconds) == 0 ? 0 : 1;
  if (o->y4m && o->width) return sigfile_write_pattern(o->y4m, o->width, o->height, o->fps, o->seconds) == 0 ? 0 : 1;
  return 2;
}

static int run_measure(const opts *o) {
  char json[2048];
  int r;
  if (o->wav) r = sigfile_measure_tone(o->wav, TONE_SKIP, json, sizeof json);
  else if ((o->y4m || o->i420) && o->width)
    r = sigfile_measure_pattern(o->y4m ? o->y4m : o->i420, o->i420 != NULL, o->width, o->height, o->min_pictures,
                                json, sizeof json);
  else return 2;
  printf("%s\n", json);
  return r == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- main -- */

static int usage(void) {
  fprintf(stderr,
          "usage: usm_srtp_peer send --port P [--media audio|video] [--seconds S] [--delay-ms MS] [--pt N]\n"
          "                          [--suite AES_CM_128_HMAC_SHA1_80|AES_CM_128_HMAC_SHA1_32|AEAD_AES_128_GCM]\n"
          "                          [--freq HZ | --tone] [--size WxH] [--fps N] [--kbps N]\n"
          "       usm_srtp_peer recv --crypto VALUE [--port P|0] [--media audio|video] [--seconds S]\n"
          "                          [--idle-ms MS] [--pt N] [--expect-freq HZ | --expect-tone |\n"
          "                          --expect-pattern WxH [--min-pictures N] | --expect-none] [--expect-srtcp]\n"
          "                          [--save-wav FILE]\n"
          "       usm_srtp_peer write (--wav FILE | --y4m FILE --size WxH [--fps N]) --seconds S\n"
          "       usm_srtp_peer measure (--wav FILE | (--y4m|--i420) FILE --size WxH [--min-pictures N])\n");
  return 2;
}

static int parse_size(const char *v, unsigned *w, unsigned *h) {
  return sscanf(v, "%ux%u", w, h) == 2 && *w >= USM__PATTERN_MIN_SIZE && *h >= USM__PATTERN_MIN_SIZE &&
         *w <= 1920 && *h <= 1080 && !((*w | *h) & 1);
}

int main(int argc, char **argv) {
  opts o = {.freq = 440, .seconds = 3, .idle_ms = 1000, .pt = 111, .suite = "AES_CM_128_HMAC_SHA1_80",
            .fps = 30, .kbps = 500};
  if (argc < 2) return usage();
  o.mode = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int *flag = strcmp(a, "--expect-none") == 0    ? &o.expect_none
                : strcmp(a, "--expect-srtcp") == 0 ? &o.expect_srtcp
                : strcmp(a, "--expect-tone") == 0  ? &o.expect_tone
                : strcmp(a, "--tone") == 0         ? &o.tone
                                                   : NULL;
    if (flag) {
      *flag = 1;
      continue;
    }
    if (!v) return usage();
    i++;
    if (strcmp(a, "--port") == 0) o.port = atoi(v);
    else if (strcmp(a, "--media") == 0) {
      if (strcmp(v, "video") == 0) o.video = 1;
      else if (strcmp(v, "audio") != 0) return usage();
    } else if (strcmp(a, "--freq") == 0) o.freq = atof(v);
    else if (strcmp(a, "--seconds") == 0) o.seconds = atof(v);
    else if (strcmp(a, "--delay-ms") == 0) o.delay_ms = atoi(v);
    else if (strcmp(a, "--idle-ms") == 0) o.idle_ms = atoi(v);
    else if (strcmp(a, "--pt") == 0) o.pt = atoi(v);
    else if (strcmp(a, "--suite") == 0) o.suite = v;
    else if (strcmp(a, "--crypto") == 0) o.crypto = v;
    else if (strcmp(a, "--expect-freq") == 0) o.expect_freq = atof(v);
    else if (strcmp(a, "--size") == 0 || strcmp(a, "--expect-pattern") == 0) {
      if (!parse_size(v, &o.width, &o.height)) return usage();
      if (a[2] == 'e') o.expect_pattern = 1;
    } else if (strcmp(a, "--fps") == 0) o.fps = (unsigned)atoi(v);
    else if (strcmp(a, "--kbps") == 0) o.kbps = (unsigned)atoi(v);
    else if (strcmp(a, "--min-pictures") == 0) o.min_pictures = (unsigned)atoi(v);
    else if (strcmp(a, "--wav") == 0) o.wav = v;
    else if (strcmp(a, "--y4m") == 0) o.y4m = v;
    else if (strcmp(a, "--i420") == 0) o.i420 = v;
    else if (strcmp(a, "--save-wav") == 0) o.save_wav = v;
    else return usage();
  }
  if (o.port < 0 || o.port > 65534 || o.pt < 0 || o.pt > 127 || o.seconds <= 0 || o.seconds > 60 ||
      o.idle_ms <= 0 || o.delay_ms < 0 || o.delay_ms > 60000 || o.freq <= 0 || o.freq >= RATE / 2 || o.fps < 1 ||
      o.fps > 60 || o.kbps < 30 || o.kbps > 4000)
    return usage();
  if (strcmp(o.mode, "send") == 0) return o.port && (!o.video || o.width) ? run_send(&o) : usage();
  if (strcmp(o.mode, "recv") == 0) return !o.expect_pattern || o.video ? run_recv(&o) : usage();
  if (strcmp(o.mode, "write") == 0) return run_write(&o);
  if (strcmp(o.mode, "measure") == 0) return run_measure(&o);
  return usage();
}
