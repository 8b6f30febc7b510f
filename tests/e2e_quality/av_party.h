/* Shared by the audio/video quality tests: a participant that joins with
 * media, sends the deterministic test signals (source/test_signal.h: the
 * "tone" and the "pattern" with its frame counter strip) through the public
 * frames API, and keeps what it receives through the public callbacks:
 * decoded PCM of every audio source, and per decoded picture whether its
 * counter strip reads and how close it is to the pattern it names.
 * Header-only so the CHECKs count in the including test (check.h). */
#ifndef USM_TEST_AV_PARTY_H
#define USM_TEST_AV_PARTY_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "e2e_world.h"
#include "quality.h"
#include "source/test_signal.h"

/* Real time on 2 cores: under the sanitizers (several times slower) the two
 * parties send a quarter of the pixels, so the loop keeps up and what is
 * measured is the pipeline, not a starved loop. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define AV_W 320
#define AV_H 180
#else
#define AV_W 640
#define AV_H 360
#endif
#define AV_FPS 30
#define AV_MAX_PCM (48000 * 40) /* 40 s of received audio */

typedef struct av_party {
  const char *who;
  e2e_world *w;
  usm_meeting *m;
  usm_media_state media;
  /* sending */
  uint64_t tone_pos;     /* samples of the tone sent */
  uint32_t frame_no;     /* pattern pictures sent */
  int64_t t0_us;         /* our capture clock's origin */
  uint8_t *pic;          /* one I420 picture */
  /* receiving */
  int16_t *pcm;          /* the first audio source's decoded samples (mono) */
  size_t n_pcm;
  uint32_t audio_ssrc;
  int audio_sources;
  unsigned video_frames, video_unreadable, video_corrupt, video_keyframes;
  uint32_t last_counter;
  double worst_psnr, psnr_sum;
  unsigned psnr_n;
  uint64_t last_frame_ms; /* e2e clock of the last good picture */
  const char *last_participant;
  int participant_known;
} av_party;

static inline uint64_t av_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void av_on_event(usm_meeting *m, const usm_event *ev, void *user) {
  (void)m;
  av_party *p = user;
  if (ev->type != USM_EVENT_MEDIA) return;
  p->media = ev->media;
  if (ev->media == USM_MEDIA_FAILED)
    fprintf(stderr, "%s: media failed: %s %s\n", p->who, usm_err_name(ev->error), ev->detail ? ev->detail : "");
}

static inline void av_on_audio(usm_meeting *m, const usm_media_source *from, const usm_audio_frame *f, void *user) {
  (void)m;
  av_party *p = user;
  if (!p->audio_ssrc) p->audio_ssrc = from->ssrc;
  if (from->ssrc != p->audio_ssrc) {
    p->audio_sources = 2;
    return;
  }
  p->audio_sources = p->audio_sources ? p->audio_sources : 1;
  if (from->participant_id) p->participant_known = 1;
  const int16_t *s = f->data;
  for (size_t i = 0; i < f->samples && p->n_pcm < AV_MAX_PCM; i++) p->pcm[p->n_pcm++] = s[i * f->channels];
}

/* PSNR of the Y plane of @p f against the pattern picture @p counter. */
static inline double av_psnr(const usm_video_frame *f, uint32_t counter, uint8_t *ref) {
  uint8_t *pl[3] = {ref, ref + f->width * f->height, ref + f->width * f->height + (f->width / 2) * (f->height / 2)};
  int st[3] = {(int)f->width, (int)f->width / 2, (int)f->width / 2};
  usm__pattern_draw(pl, st, f->width, f->height, counter);
  double se = 0;
  for (unsigned y = 0; y < f->height; y++)
    for (unsigned x = 0; x < f->width; x++) {
      double d = (double)f->plane[0][(size_t)y * (size_t)f->stride[0] + x] - ref[(size_t)y * f->width + x];
      se += d * d;
    }
  double mse = se / ((double)f->width * f->height);
  return mse < 1e-9 ? 99.0 : 10.0 * log10(255.0 * 255.0 / mse);
}

static inline void av_on_video(usm_meeting *m, const usm_media_source *from, const usm_video_frame *f, void *user) {
  (void)m, (void)from;
  av_party *p = user;
  p->video_frames++;
  p->video_keyframes += f->keyframe != 0;
  uint32_t counter = 0;
  const uint8_t *const pl[3] = {f->plane[0], f->plane[1], f->plane[2]};
  if (f->width != AV_W || f->height != AV_H || !usm__pattern_read(pl, f->stride, f->width, f->height, &counter)) {
    p->video_unreadable++;
    return;
  }
  uint8_t *ref = malloc((size_t)f->width * f->height * 3 / 2);
  double psnr = ref ? av_psnr(f, counter, ref) : 0;
  free(ref);
  /* a corrupt picture (a broken reference chain) reads as garbage next to its own pattern */
  if (psnr < 20.0) p->video_corrupt++;
  if (p->psnr_n == 0 || psnr < p->worst_psnr) p->worst_psnr = psnr;
  p->psnr_sum += psnr;
  p->psnr_n++;
  p->last_counter = counter;
  p->last_frame_ms = av_now_ms();
}

static inline void av_join(e2e_world *w, usm_client *c, const char *dest, av_party *p) {
  p->w = w;
  p->pcm = calloc(AV_MAX_PCM, sizeof *p->pcm);
  p->pic = calloc((size_t)AV_W * AV_H * 3 / 2, 1);
  CHECK(p->pcm && p->pic);
  CHECK_INT(e2e_meeting(w, c, dest, &p->m), USM_OK);
  usm_meeting_set_event_cb(p->m, av_on_event, p);
  usm_media_callbacks cb;
  usm_media_callbacks_init(&cb);
  cb.audio = av_on_audio;
  cb.video = av_on_video;
  cb.user = p;
  CHECK_INT(usm_meeting_set_media_callbacks(p->m, &cb), USM_OK);
  usm_join_options jo;
  usm_join_options_init(&jo);
  jo.media = USM_MEDIA_ALL;
  e2e_op op = {0};
  CHECK_INT(e2e_await(w, &op, usm_meeting_join(p->m, &jo, e2e_op_done, &op)), USM_OK);
  CHECK_INT(usm_meeting_get_state(p->m), USM_MEETING_JOINED);
}

static inline void av_free(av_party *p) {
  usm_meeting_destroy(p->m);
  free(p->pcm);
  free(p->pic);
}

/* Send whatever is due at @p now_ms of the tone (20 ms frames) and the pattern (AV_FPS). */
static inline void av_send_due(av_party *p, uint64_t now_ms) {
  if (!p->t0_us) p->t0_us = (int64_t)now_ms * 1000;
  uint64_t elapsed_ms = now_ms - (uint64_t)(p->t0_us / 1000);
  /* After a pause of our own (the measurements between phases), skip what
   * was missed as a live source would instead of sending it in a burst; the
   * tone and the pattern stay on their time line. */
  if (p->tone_pos + 48u * 200u < elapsed_ms * 48u) p->tone_pos = elapsed_ms * 48u / 960u * 960u;
  if ((uint64_t)p->frame_no * 1000u / AV_FPS + 200u < elapsed_ms) p->frame_no = (uint32_t)(elapsed_ms * AV_FPS / 1000u);
  while (p->tone_pos < elapsed_ms * 48u) {
    int16_t pcm[960];
    usm__tone_fill(p->tone_pos, pcm, 1, 960);
    usm_audio_frame f = {.data = pcm, .format = USM_SAMPLE_S16, .channels = 1, .samples = 960,
                         .timestamp_us = p->t0_us + (int64_t)(p->tone_pos * 1000 / 48)};
    CHECK_INT(usm_meeting_send_audio(p->m, &f), USM_OK);
    p->tone_pos += 960;
  }
  while ((uint64_t)p->frame_no * 1000u / AV_FPS < elapsed_ms) {
    uint8_t *pl[3] = {p->pic, p->pic + AV_W * AV_H, p->pic + AV_W * AV_H + AV_W * AV_H / 4};
    int st[3] = {AV_W, AV_W / 2, AV_W / 2};
    usm__pattern_draw(pl, st, AV_W, AV_H, p->frame_no);
    usm_video_frame f = {.plane = {pl[0], pl[1], pl[2]}, .stride = {st[0], st[1], st[2]}, .width = AV_W,
                         .height = AV_H, .timestamp_us = p->t0_us + (int64_t)p->frame_no * 1000000 / AV_FPS};
    usm_err e = usm_meeting_send_video(p->m, &f);
    if (e != USM_OK) fprintf(stderr, "%s: send_video: %s\n", p->who, usm_err_name(e));
    p->frame_no++;
  }
}

/* Both send for @p ms, pumping the loop in 5 ms steps. */
static inline void av_exchange(av_party *a, av_party *b, long ms) {
  uint64_t end = av_now_ms() + (uint64_t)ms;
  for (uint64_t now = av_now_ms(); now < end; now = av_now_ms()) {
    av_send_due(a, now);
    if (b) av_send_due(b, now);
    e2e_pump(a->w, 5);
  }
}

/* Segmental SNR (dB) and mean correlation of the received tone from
 * @p skip samples on (usmrec_periodic_segsnr: 20 ms blocks, the delay
 * followed across the jitter buffer's frame drops and inserts). */
static inline double av_tone_snr(const av_party *p, size_t skip, double *corr_out) {
  static int16_t ref[48000];
  usm__tone_fill(0, ref, 1, 48000); /* the tone repeats every second */
  usmrec_segsnr r;
  *corr_out = 0;
  if (p->n_pcm <= skip || usmrec_periodic_segsnr(ref, 48000, p->pcm + skip, p->n_pcm - skip, 960, &r) != 0) return -99;
  *corr_out = r.corr;
  return r.snr_db;
}

#endif
