/* usm_srtp_peer: one end of an SDES-SRTP call with a SIP-style peer (ffmpeg,
 * GStreamer srtpenc/srtpdec) over plain UDP on loopback, for the interop test
 * (srtp_interop.sh). No ICE, no DTLS: the keys travel out of band, as in an
 * SDP `a=crypto` line.
 *
 *   usm_srtp_peer send --port P [--freq 440] [--seconds 3] [--delay-ms 0]
 *                      [--pt 111] [--suite AES_CM_128_HMAC_SHA1_80]
 *     Generates a key with usm__sdes_generate and prints, before sending,
 *       crypto: <a=crypto value>     key_b64: <key||salt>     key_hex: <hex>
 *       ssrc: <our SSRC>
 *     then sends an Opus tone (RFC 7587, mono, 20 ms) through usm__rtp_session
 *     as SRTP to 127.0.0.1:P and SRTCP sender reports to P+1.
 *
 *   usm_srtp_peer recv --crypto "<a=crypto value>" [--port P|0] [--seconds 8]
 *                      [--idle-ms 1000] [--pt 111]
 *                      [--expect-freq F [--expect-srtcp] | --expect-none]
 *     Binds P (RTP) and P+1 (RTCP); with port 0 picks a free pair and prints
 *     "listening: P". Unprotects, decodes with libopus, measures the dominant
 *     frequency (Goertzel) and prints one JSON line. Exit 0 when the
 *     expectation holds: the tone within 5 % (and with --expect-srtcp at
 *     least one SRTCP packet authenticated), or (--expect-none) nothing
 *     decoded and SRTP authentication failures counted.
 *
 * Test code: libopus is used here directly, never by the library. */
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

#include <opus/opus.h>

#include "media/rtp.h"
#include "media/rtp_session.h"
#include "media/sdes.h"
#include "media/srtp_session.h"

#define RATE 48000
#define FRAME 960            /* 20 ms at 48 kHz */
#define MAX_PCM (RATE * 20)  /* at most 20 s of decoded audio kept */
#define PKT_CAP 1600

static const double k_pi = 3.14159265358979323846;

typedef struct opts {
  const char *mode;
  int port;
  double freq;
  double seconds;
  int delay_ms, idle_ms, pt;
  const char *suite, *crypto;
  double expect_freq;
  int expect_none, expect_srtcp;
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
  unsigned long rtp_sent, rtcp_sent, errors;
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
  sender s = {.fd = -1, .rtp_to = loopback(o->port), .rtcp_to = loopback(o->port + 1)};
  e = usm__sdes_session(&local, USM__SRTP_OUTBOUND, &s.srtp);
  if (e != USM_OK) {
    usm__sdes_clear(&local);
    fprintf(stderr, "usm__sdes_session: %s\n", usm_err_name(e));
    return 1;
  }
  int rc = 1, err = 0;
  OpusEncoder *enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_AUDIO, &err);
  usm__rtp_session *rtp = NULL;
  usm__rtp_session_config cfg = {.cname = "usm_srtp_peer@127.0.0.1",
                                 .send = {1, 0},
                                 .pt = {o->pt, -1},
                                 .recv_pt = {-1, -1},
                                 .send_rtp = send_rtp,
                                 .send_rtcp = send_rtcp,
                                 .user = &s};
  s.fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (!enc || s.fd < 0 || usm__rtp_session_create(&cfg, &rtp) != USM_OK) {
    fprintf(stderr, "setup failed (opus %d)\n", err);
    goto out;
  }
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(48000));

  /* What the peer needs before we send: the key (GStreamer takes it as hex
   * key||salt) and our SSRC (srtpdec keys streams by SSRC from its caps). */
  const char *b64 = strstr(value, "inline:");
  printf("crypto: %s\nkey_b64: %s\nkey_hex: ", value, b64 ? b64 + 7 : "");
  for (size_t i = 0; i < local.key_len; i++) printf("%02x", local.key[i]);
  for (size_t i = 0; i < local.salt_len; i++) printf("%02x", local.salt[i]);
  printf("\nssrc: %u\n", (unsigned)usm__rtp_session_ssrc(rtp, USM__MEDIA_AUDIO));
  fflush(stdout);

  if (o->delay_ms > 0) sleep_until_us(now_us() + (uint64_t)o->delay_ms * 1000u);
  long frames = (long)(o->seconds * 50.0);
  uint64_t t0 = now_us(), next_report = t0;
  double phase = 0, step = 2 * k_pi * o->freq / RATE;
  for (long f = 0; f < frames; f++) {
    float pcm[FRAME];
    for (int i = 0; i < FRAME; i++) {
      pcm[i] = (float)(0.3 * sin(phase));
      phase += step;
      if (phase > 2 * k_pi) phase -= 2 * k_pi;
    }
    unsigned char payload[1275];
    opus_int32 n = opus_encode_float(enc, pcm, FRAME, payload, (opus_int32)sizeof payload);
    if (n < 0) {
      fprintf(stderr, "opus_encode: %s\n", opus_strerror(n));
      goto out;
    }
    uint64_t at = t0 + (uint64_t)f * 20000u;
    sleep_until_us(at);
    usm__rtp_session_send(rtp, USM__MEDIA_AUDIO, payload, (size_t)n, at, f == 0);
    if (now_us() >= next_report) {
      usm__rtp_session_report(rtp, now_us());
      next_report += 1000000u;
    }
  }
  usm__rtp_session_report(rtp, now_us());
  printf("{\"mode\":\"send\",\"suite\":\"%s\",\"port\":%d,\"freq_hz\":%.1f,\"rtp_sent\":%lu,"
         "\"rtcp_sent\":%lu,\"errors\":%lu,\"ssrc\":%u}\n",
         o->suite, o->port, o->freq, s.rtp_sent, s.rtcp_sent, s.errors,
         (unsigned)usm__rtp_session_ssrc(rtp, USM__MEDIA_AUDIO));
  rc = s.errors == 0 && s.rtp_sent == (unsigned long)frames ? 0 : 1;
out:
  usm__sdes_clear(&local);
  usm__rtp_session_destroy(rtp);
  if (enc) opus_encoder_destroy(enc);
  if (s.fd >= 0) close(s.fd);
  usm__srtp_session_destroy(s.srtp);
  return rc;
}

/* ---------------------------------------------------------------- recv -- */

typedef struct receiver {
  OpusDecoder *dec;
  int16_t *pcm;
  size_t n_pcm;
  unsigned long packets, rtcp_packets, srtp_ok, srtcp_ok, auth_failures, replays, malformed;
  unsigned long decoded, decode_errors;
} receiver;

static void on_rtp(void *user, const usm__rtp_in *in) {
  const uint8_t *payload = in->payload;
  size_t len = in->len;
  receiver *r = user;
  int16_t out[5760]; /* 120 ms, Opus's longest packet */
  int n = opus_decode(r->dec, payload, (opus_int32)len, out, 5760, 0);
  if (n < 0) {
    r->decode_errors++;
    return;
  }
  r->decoded++;
  size_t take = (size_t)n;
  if (take > MAX_PCM - r->n_pcm) take = MAX_PCM - r->n_pcm;
  memcpy(r->pcm + r->n_pcm, out, take * sizeof out[0]);
  r->n_pcm += take;
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
  int rc = 1, err = 0, fd[2] = {-1, -1};
  receiver r = {0};
  usm__rtp_session *rtp = NULL;
  r.dec = opus_decoder_create(RATE, 1, &err);
  r.pcm = malloc(MAX_PCM * sizeof *r.pcm);
  usm__rtp_session_config cfg = {.send = {0, 0},
                                 .pt = {-1, -1},
                                 .recv_pt = {o->pt, -1},
                                 .send_rtp = no_send,
                                 .send_rtcp = no_send,
                                 .on_rtp = on_rtp,
                                 .user = &r};
  int port = bind_pair(o->port, &fd[0], &fd[1]);
  if (!r.dec || !r.pcm || port < 0 || usm__rtp_session_create(&cfg, &rtp) != USM_OK) {
    fprintf(stderr, "setup failed (port %d, opus %d)\n", o->port, err);
    goto out;
  }
  printf("listening: %d\n", port);
  fflush(stdout);

  uint64_t start = now_us(), end = start + (uint64_t)(o->seconds * 1e6), last = 0;
  for (;;) {
    uint64_t t = now_us();
    if (t >= end || (last && t >= last + (uint64_t)o->idle_ms * 1000u)) break;
    struct pollfd pfd[2] = {{fd[0], POLLIN, 0}, {fd[1], POLLIN, 0}};
    if (poll(pfd, 2, 50) <= 0) continue;
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

  double rms = 0, freq = dominant(&r, &rms);
  int pass = 1;
  if (o->expect_none)
    pass = r.decoded == 0 && r.srtp_ok == 0 && r.auth_failures > 0;
  else if (o->expect_freq > 0)
    pass = r.decoded >= 25 && rms > 0.01 && fabs(freq - o->expect_freq) <= 0.05 * o->expect_freq;
  if (o->expect_srtcp && r.srtcp_ok == 0) pass = 0;
  printf("{\"mode\":\"recv\",\"port\":%d,\"packets\":%lu,\"srtp_ok\":%lu,\"rtcp_packets\":%lu,"
         "\"srtcp_ok\":%lu,\"auth_failures\":%lu,\"replays\":%lu,\"malformed\":%lu,\"dropped\":%lu,"
         "\"decoded_frames\":%lu,\"decode_errors\":%lu,\"seconds_decoded\":%.2f,\"freq_hz\":%.1f,"
         "\"rms\":%.3f,\"expect_freq_hz\":%.1f,\"expect_srtcp\":%s,\"expect_none\":%s,\"pass\":%s}\n",
         port, r.packets, r.srtp_ok, r.rtcp_packets, r.srtcp_ok, r.auth_failures, r.replays,
         r.malformed, (unsigned long)usm__rtp_session_dropped(rtp), r.decoded, r.decode_errors,
         (double)r.n_pcm / RATE, freq, rms, o->expect_freq, o->expect_srtcp ? "true" : "false",
         o->expect_none ? "true" : "false",
         pass ? "true" : "false");
  rc = pass ? 0 : 1;
out:
  usm__rtp_session_destroy(rtp);
  for (int i = 0; i < 2; i++)
    if (fd[i] >= 0) close(fd[i]);
  if (r.dec) opus_decoder_destroy(r.dec);
  free(r.pcm);
  usm__srtp_session_destroy(srtp);
  return rc;
}

/* ---------------------------------------------------------------- main -- */

static int usage(void) {
  fprintf(stderr,
          "usage: usm_srtp_peer send --port P [--freq HZ] [--seconds S] [--delay-ms MS] [--pt N]\n"
          "                          [--suite AES_CM_128_HMAC_SHA1_80|AES_CM_128_HMAC_SHA1_32|AEAD_AES_128_GCM]\n"
          "       usm_srtp_peer recv --crypto VALUE [--port P|0] [--seconds S] [--idle-ms MS] [--pt N]\n"
          "                          [--expect-freq HZ [--expect-srtcp] | --expect-none]\n");
  return 2;
}

int main(int argc, char **argv) {
  opts o = {.freq = 440, .seconds = 3, .idle_ms = 1000, .pt = 111, .suite = "AES_CM_128_HMAC_SHA1_80"};
  if (argc < 2) return usage();
  o.mode = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--expect-none") == 0) {
      o.expect_none = 1;
      continue;
    }
    if (strcmp(a, "--expect-srtcp") == 0) {
      o.expect_srtcp = 1;
      continue;
    }
    if (!v) return usage();
    i++;
    if (strcmp(a, "--port") == 0) o.port = atoi(v);
    else if (strcmp(a, "--freq") == 0) o.freq = atof(v);
    else if (strcmp(a, "--seconds") == 0) o.seconds = atof(v);
    else if (strcmp(a, "--delay-ms") == 0) o.delay_ms = atoi(v);
    else if (strcmp(a, "--idle-ms") == 0) o.idle_ms = atoi(v);
    else if (strcmp(a, "--pt") == 0) o.pt = atoi(v);
    else if (strcmp(a, "--suite") == 0) o.suite = v;
    else if (strcmp(a, "--crypto") == 0) o.crypto = v;
    else if (strcmp(a, "--expect-freq") == 0) o.expect_freq = atof(v);
    else return usage();
  }
  if (o.port < 0 || o.port > 65534 || o.pt < 0 || o.pt > 127 || o.seconds <= 0 || o.seconds > 60 ||
      o.idle_ms <= 0 || o.delay_ms < 0 || o.delay_ms > 60000 || o.freq <= 0 || o.freq >= RATE / 2)
    return usage();
  if (strcmp(o.mode, "send") == 0) return o.port ? run_send(&o) : usage();
  if (strcmp(o.mode, "recv") == 0) return run_recv(&o);
  return usage();
}
