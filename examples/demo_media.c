/* usm-demo's media (demo_media.h). Linked to the static library for the
 * test-signal definitions (source/test_signal.h): the tone reference and the
 * pattern's strip reader are libusm's own, not re-implemented here. */
#include "demo_media.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ivf_writer.h"
#include "png_writer.h"
#include "quality.h"
#include "source/test_signal.h"
#include "wav_writer.h"

#define RATE 48000u
#define MAX_AUDIO_S 60u /* received audio kept for the measurement */
#define SNAPSHOT_AFTER_MS 2000
#define ALICE_HZ 660u
#define ALICE_BEEP_HZ 1500u
#define ALICE_BEEP_AT (RATE / 2)
#define TWO_PI 6.283185307179586

struct demo_media {
  char dir[512], who[32];
  demo_signal_fn peer_signal;
  /* audio */
  usmrec_wav *wav;
  int16_t *pcm; /* mono (first channel), for the quality measure */
  size_t pcm_n;
  uint64_t audio_samples;
  unsigned channels;
  int write_failed;
  /* video, encoded */
  usmrec_ivf *ivf;
  FILE *h264;
  char codec[8];
  uint32_t last_ts;
  uint64_t pts, encoded_frames;
  /* video, decoded */
  uint64_t decoded;
  unsigned width, height;
  long first_ms;
  int png_done;
  uint64_t strip_ok;               /* pictures whose frame-number strip reads back */
  uint32_t strip_first, strip_last; /* frame numbers read */
  uint64_t strip_backwards;        /* a number not above the one before */
};

int16_t demo_tone_sample(uint64_t n) { return usm__tone_sample(n); }

int16_t demo_alice_sample(uint64_t n) {
  /* like the tone: exact integer phases, so the signal is 1 s periodic */
  uint64_t t = n % RATE;
  double s = USM__TONE_AMPLITUDE * sin(TWO_PI * (double)((t * ALICE_HZ) % RATE) / RATE);
  if (t >= ALICE_BEEP_AT && t < ALICE_BEEP_AT + RATE / 10)
    s += USM__TONE_AMPLITUDE * sin(TWO_PI * (double)((t * ALICE_BEEP_HZ) % RATE) / RATE);
  return (int16_t)lrint(s);
}

int demo_write_alice_wav(const char *path) {
  usmrec_wav *w;
  if (usmrec_wav_open(&w, path, 1, RATE) != 0) return -1;
  int16_t buf[960];
  for (uint64_t n = 0; n < 2 * RATE; n += 960) {
    for (unsigned i = 0; i < 960; i++) buf[i] = demo_alice_sample(n + i);
    if (usmrec_wav_write(w, buf, 960) != 0) {
      usmrec_wav_close(w);
      return -1;
    }
  }
  return usmrec_wav_close(w);
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

demo_media *demo_media_create(const char *dir, const char *who, demo_signal_fn peer_signal) {
  demo_media *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->pcm = malloc(sizeof *d->pcm * RATE * MAX_AUDIO_S);
  if (!d->pcm) {
    free(d);
    return NULL;
  }
  snprintf(d->dir, sizeof d->dir, "%s", dir);
  snprintf(d->who, sizeof d->who, "%s", who);
  d->peer_signal = peer_signal;
  return d;
}

static void path(const demo_media *d, const char *ext, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s-received.%s", d->dir, d->who, ext);
}

/* ---- receiving ------------------------------------------------------------------------ */

static void on_audio(usm_meeting *m, const usm_media_source *from, const usm_audio_frame *f, void *user) {
  (void)m;
  (void)from; /* one other party sends: Bob joins without media */
  demo_media *d = user;
  if (f->format != USM_SAMPLE_S16 || f->channels < 1 || f->channels > 2 || d->write_failed) return;
  const int16_t *s = f->data;
  if (!d->wav) {
    char p[600];
    path(d, "wav", p, sizeof p);
    d->channels = f->channels;
    if (usmrec_wav_open(&d->wav, p, d->channels, RATE) != 0) {
      perror(p);
      d->write_failed = 1;
      return;
    }
  }
  if (f->channels == d->channels && usmrec_wav_write(d->wav, s, f->samples) != 0) d->write_failed = 1;
  for (size_t i = 0; i < f->samples && d->pcm_n < (size_t)RATE * MAX_AUDIO_S; i++)
    d->pcm[d->pcm_n++] = s[i * f->channels];
  d->audio_samples += f->samples;
}

static void on_encoded(usm_meeting *m, const usm_media_source *from, const usm_encoded_frame *f, void *user) {
  (void)m;
  (void)from;
  demo_media *d = user;
  if (f->kind != USM_MEDIA_KIND_VIDEO || !f->codec || d->write_failed) return;
  if (!d->codec[0]) {
    if (!f->keyframe) return; /* the file starts decodable */
    snprintf(d->codec, sizeof d->codec, "%s", f->codec);
    char p[600];
    if (strcmp(f->codec, "VP8") == 0) {
      path(d, "ivf", p, sizeof p);
      unsigned w = f->width ? f->width : d->width ? d->width : 640, h = f->height ? f->height : d->height ? d->height : 360;
      if (usmrec_ivf_open(&d->ivf, p, "VP80", w, h, 90000) != 0) d->write_failed = 1;
    } else {
      path(d, "h264", p, sizeof p); /* raw Annex B: ffplay -f h264 */
      if (!(d->h264 = fopen(p, "wb"))) d->write_failed = 1;
    }
    if (d->write_failed) {
      perror(p);
      return;
    }
    d->last_ts = f->rtp_timestamp;
  }
  if (strcmp(f->codec, d->codec) != 0) return;
  d->pts += (uint32_t)(f->rtp_timestamp - d->last_ts);
  d->last_ts = f->rtp_timestamp;
  int bad = d->ivf ? usmrec_ivf_write(d->ivf, f->data, f->len, d->pts) != 0
                   : fwrite(f->data, 1, f->len, d->h264) != f->len;
  if (bad) d->write_failed = 1;
  d->encoded_frames++;
}

static void on_video(usm_meeting *m, const usm_media_source *from, const usm_video_frame *f, void *user) {
  (void)m;
  (void)from;
  demo_media *d = user;
  long now = now_ms();
  if (!d->decoded++) d->first_ms = now;
  d->width = f->width;
  d->height = f->height;
  uint32_t no;
  if (usm__pattern_read(f->plane, f->stride, f->width, f->height, &no)) {
    if (!d->strip_ok++) d->strip_first = no;
    else if (no <= d->strip_last) d->strip_backwards++;
    d->strip_last = no;
  }
  if (!d->png_done && now - d->first_ms >= SNAPSHOT_AFTER_MS) {
    d->png_done = 1;
    char p[600];
    path(d, "png", p, sizeof p);
    if (usmrec_png_write_i420(p, f->plane, f->stride, f->width, f->height) != 0) {
      perror(p);
      d->png_done = -1;
    }
  }
}

void demo_media_callbacks(demo_media *d, usm_media_callbacks *cb) {
  usm_media_callbacks_init(cb);
  cb->audio = on_audio;
  cb->video = on_video;
  cb->encoded = on_encoded;
  cb->user = d;
}

void demo_media_close(demo_media *d) {
  if (usmrec_wav_close(d->wav) != 0) d->write_failed = 1;
  if (usmrec_ivf_close(d->ivf) != 0) d->write_failed = 1;
  if (d->h264 && fclose(d->h264) != 0) d->write_failed = 1;
  d->wav = NULL;
  d->ivf = NULL;
  d->h264 = NULL;
}

void demo_media_destroy(demo_media *d) {
  if (!d) return;
  demo_media_close(d);
  free(d->pcm);
  free(d);
}

/* ---- stats and quality ------------------------------------------------------------------ */

static const char *kbit(uint32_t kbps, char *b, size_t cap) {
  if (kbps < 1000)
    snprintf(b, cap, "%uk", (unsigned)kbps);
  else
    snprintf(b, cap, "%.1fM", kbps / 1000.0);
  return b;
}

void demo_media_stats_line(const usm_media_stats *s, char *buf, size_t cap) {
  char b[5][16];
  uint32_t rtt = s->video_sent.rtt_ms ? s->video_sent.rtt_ms : s->audio_sent.rtt_ms ? s->audio_sent.rtt_ms : s->ice_rtt_ms;
  snprintf(buf, cap,
           "audio tx %s rx %s loss %u%% jb %ums | video tx %s %ux%u@%u rx %s %ux%u %ufps loss %u%% nack %llu pli %llu "
           "| rtt %ums bwe %s",
           kbit(s->audio_sent.bitrate_kbps, b[0], 16), kbit(s->audio_received.bitrate_kbps, b[1], 16),
           (unsigned)s->audio_received.fraction_lost_pct, (unsigned)s->audio_received.jitter_buffer_ms,
           kbit(s->video_sent.bitrate_kbps, b[2], 16), s->video_sent.width, s->video_sent.height,
           (unsigned)s->video_sent.fps, kbit(s->video_received.bitrate_kbps, b[3], 16), s->video_received.width,
           s->video_received.height, (unsigned)s->video_received.fps, (unsigned)s->video_received.fraction_lost_pct,
           (unsigned long long)s->video_received.nacks, (unsigned long long)s->video_received.plis, (unsigned)rtt,
           kbit(s->available_send_kbps, b[4], 16));
}

/* The received audio against the sender's one-second periodic reference,
 * after the first second (the jitter buffer settles): segmental SNR over
 * 20 ms blocks, the delay followed across the buffer's frame drops and
 * inserts (tools/record/quality.h). 0 when there is too little audio. */
static int audio_quality(const demo_media *d, usmrec_segsnr *r) {
  static int16_t ref[RATE];
  for (unsigned i = 0; i < RATE; i++) ref[i] = d->peer_signal(i);
  return d->pcm_n > RATE && usmrec_periodic_segsnr(ref, RATE, d->pcm + RATE, d->pcm_n - RATE, RATE / 50, r) == 0;
}

static unsigned avg_kbps(uint64_t bytes, uint64_t ms) { return ms ? (unsigned)(bytes * 8 / ms) : 0; }

void demo_media_summary(const demo_media *d, const char *name, const usm_media_stats *s) {
  const usm_stream_stats *ar = &s->audio_received, *vr = &s->video_received;
  uint32_t rtt = s->video_sent.rtt_ms ? s->video_sent.rtt_ms : s->audio_sent.rtt_ms ? s->audio_sent.rtt_ms : s->ice_rtt_ms;
  char p[600];
  printf("  %s, after %.1f s of media (RTT %u ms, ICE RTT %u ms, %llu SRTP packets refused):\n", name,
         s->elapsed_ms / 1000.0, (unsigned)rtt, (unsigned)s->ice_rtt_ms, (unsigned long long)s->srtp_dropped);
  printf("    sent:     audio %u kbit/s (%s), video %u kbit/s (%s %ux%u, %llu frames, %llu keyframes)\n",
         avg_kbps(s->audio_sent.bytes, s->elapsed_ms), s->audio_sent.codec, avg_kbps(s->video_sent.bytes, s->elapsed_ms),
         s->video_sent.codec, s->video_sent.width, s->video_sent.height, (unsigned long long)s->video_sent.frames,
         (unsigned long long)s->video_sent.keyframes);
  printf("    audio in: %.2f s played (%s, %u kbit/s), %lld packets lost, %llu ms concealed, %llu FEC, jitter buffer %u ms\n",
         (double)d->audio_samples / RATE, ar->codec, avg_kbps(ar->bytes, s->elapsed_ms), (long long)ar->lost,
         (unsigned long long)ar->concealed_ms, (unsigned long long)ar->fec_recovered, (unsigned)ar->jitter_buffer_ms);
  usmrec_segsnr q;
  if (audio_quality(d, &q))
    printf("    audio vs the sender's reference: segmental SNR %.1f dB over %u blocks of 20 ms (%u below %.0f dB, "
           "worst %.1f dB), correlation %.4f\n",
           q.snr_db, q.blocks, q.low_blocks, USMREC_SEGSNR_LOW_DB, q.worst_db, q.corr);
  else
    printf("    audio vs the sender's reference: not measured (under 3 s of audio)\n");
  printf("    video in: %llu frames decoded (%s %ux%u, %u kbit/s), %llu dropped, %lld packets lost, %llu NACKs, "
         "%llu retransmitted, %llu PLIs, %llu FIRs\n",
         (unsigned long long)vr->frames, vr->codec, d->width, d->height, avg_kbps(vr->bytes, s->elapsed_ms),
         (unsigned long long)vr->frames_dropped, (long long)vr->lost, (unsigned long long)vr->nacks,
         (unsigned long long)vr->retransmitted, (unsigned long long)vr->plis, (unsigned long long)vr->firs);
  printf("    pattern strip read back in %llu of %llu decoded frames", (unsigned long long)d->strip_ok,
         (unsigned long long)d->decoded);
  if (d->strip_ok)
    printf(" (frame numbers %u..%u, %llu out of order)", d->strip_first, d->strip_last,
           (unsigned long long)d->strip_backwards);
  printf("\n    files:");
  if (d->audio_samples) {
    path(d, "wav", p, sizeof p);
    printf(" %s", p);
  }
  if (d->codec[0]) {
    path(d, d->ivf || !strcmp(d->codec, "VP8") ? "ivf" : "h264", p, sizeof p);
    printf(" %s (%llu frames)", p, (unsigned long long)d->encoded_frames);
  }
  if (d->png_done == 1) {
    path(d, "png", p, sizeof p);
    printf(" %s", p);
  }
  printf("%s\n", d->write_failed ? "  (a write FAILED)" : "");
}
