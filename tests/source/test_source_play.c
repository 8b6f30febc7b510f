/* usm_meeting_play() on a meeting handle that never joins (its meeting-info
 * fetch fails against a closed loopback port): argument checks, file errors,
 * the real-time frame clocks (audio 50/s, video at the fps, caught up after
 * a stalled loop), files ending, looping, replacing and stopping, and
 * destroying the meeting right after a stop (ASan watches the teardown).
 * The sends themselves return USM_ERR_WRONG_STATE here (no media asked); the
 * player counts them all the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "check.h"
#include "core/client_internal.h"
#include "meeting/media_play.h"
#include "meeting/meeting_internal.h"
#include "source/test_signal.h"
#include "wav_writer.h"
#include "y4m_writer.h"

static usm_client *client;
static char dir[64];

static void tick(uv_timer_t *t) { (void)t; }

/* Blocks the thread (the loop stalls). */
static void stall_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

/* Runs the client's loop for @p ms of wall-clock time. */
static void run_for(long ms) {
  uv_timer_t t;
  uv_timer_init(&client->loop, &t);
  uv_timer_start(&t, tick, 2, 2);
  uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
  while (uv_hrtime() < end) uv_run(&client->loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(&client->loop, UV_RUN_NOWAIT);
}

static void on_created(usm_meeting *m, usm_err err, const char *msg, void *user) {
  (void)m, (void)err, (void)msg;
  *(int *)user = 1;
}

static usm_meeting *new_meeting(void) {
  usm_meeting *m = NULL;
  int done = 0;
  CHECK_INT(usm_meetings_create(client, "123456789", USM_DEST_AUTO, on_created, &done, &m), USM_OK);
  for (int i = 0; i < 500 && !done; i++) run_for(10);
  CHECK(m != NULL);
  return m;
}

static const char *path(const char *name) {
  static char p[4][128];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
  return p[k];
}

static usm__play_progress progress(usm_meeting *m) {
  usm__play_progress pr;
  usm__play_get_progress(m, &pr);
  return pr;
}

static void test_args(usm_meeting *m) {
  usm_play_options o;
  memset(&o, 0x5a, sizeof o);
  usm_play_options_init(&o);
  CHECK_INT(o.struct_size, sizeof o);
  CHECK(o.audio == NULL && o.video == NULL && o.width == 0 && o.fps == 0 && o.loop == 0);
  usm_play_options_init(NULL);
  o.audio = "tone";
  CHECK_INT(usm_meeting_play(NULL, &o), USM_ERR_INVALID_HANDLE);
  CHECK_INT(usm_meeting_stop_playing(NULL), USM_ERR_INVALID_HANDLE);
  CHECK_INT(usm_meeting_play((usm_meeting *)&o, &o), USM_ERR_INVALID_HANDLE);
  CHECK_INT(usm_meeting_play(m, NULL), USM_ERR_INVALID_ARG);
  usm_play_options small = o;
  small.struct_size = sizeof o - 1;
  CHECK_INT(usm_meeting_play(m, &small), USM_ERR_INVALID_ARG);
  usm_play_options none;
  usm_play_options_init(&none);
  CHECK_INT(usm_meeting_play(m, &none), USM_ERR_INVALID_ARG);
  o.audio = path("missing.wav");
  CHECK_INT(usm_meeting_play(m, &o), USM_ERR_NOT_FOUND);
  CHECK(strstr(usm_meeting_last_error(m), "missing.wav") != NULL);
  o.audio = NULL;
  o.video = path("missing.y4m");
  CHECK_INT(usm_meeting_play(m, &o), USM_ERR_NOT_FOUND);
  FILE *f = fopen(path("junk"), "wb");
  if (f) {
    fputs("this is no media file\n", f);
    fclose(f);
  }
  o.video = path("junk");
  CHECK_INT(usm_meeting_play(m, &o), USM_ERR_MALFORMED);
  o.video = NULL;
  o.audio = path("junk");
  CHECK_INT(usm_meeting_play(m, &o), USM_ERR_MALFORMED);
  o.audio = NULL;
  o.video = "pattern";
  o.width = 63;
  o.height = 64;
  CHECK_INT(usm_meeting_play(m, &o), USM_ERR_INVALID_ARG);
  o.width = 3842;
  CHECK_INT(usm_meeting_play(m, &o), USM_ERR_INVALID_ARG);
  o.width = 640;
  o.height = 360;
  o.fps = 121;
  CHECK_INT(usm_meeting_play(m, &o), USM_ERR_INVALID_ARG);
  CHECK(m->player == NULL);
  CHECK_INT(usm_meeting_stop_playing(m), USM_OK); /* nothing playing: fine */
}

static void test_clock(usm_meeting *m) {
  usm_play_options o;
  usm_play_options_init(&o);
  o.audio = "tone";
  o.video = "pattern";
  o.fps = 25;
  CHECK_INT(usm_meeting_play(m, &o), USM_OK);
  CHECK(m->player != NULL);
  CHECK_INT(progress(m).audio_frames, 0); /* nothing inside the call */
  run_for(1000);
  usm__play_progress p = progress(m);
  printf("play: after 1 s: %llu audio frames, %llu video frames\n", (unsigned long long)p.audio_frames,
         (unsigned long long)p.video_frames);
  /* Bounds leave room for a loaded machine overshooting the 1 s a little. */
  CHECK(p.audio_frames >= 49 && p.audio_frames <= 54);
  CHECK(p.video_frames + p.video_skipped >= 24 && p.video_frames + p.video_skipped <= 28);
  /* A stalled loop: 300 ms of audio (15 frames) is caught up, 10 per tick. */
  stall_ms(300);
  run_for(700);
  p = progress(m);
  printf("play: after 2 s with a 300 ms stall: %llu audio frames (%llu skipped), %llu video (%llu skipped)\n",
         (unsigned long long)p.audio_frames, (unsigned long long)p.audio_skipped, (unsigned long long)p.video_frames,
         (unsigned long long)p.video_skipped);
  CHECK(p.audio_frames >= 99 && p.audio_frames <= 104);
  CHECK_INT(p.audio_skipped, 0);
  CHECK(p.video_frames + p.video_skipped >= 49 && p.video_frames + p.video_skipped <= 53);
  CHECK(p.video_skipped >= 5); /* late pictures are dropped, not sent in a burst */
  /* Stalled beyond a second: the gap is skipped. */
  stall_ms(1500);
  run_for(100);
  p = progress(m);
  CHECK(p.audio_skipped >= 20);
  CHECK(p.audio_frames + p.audio_skipped >= 178 && p.audio_frames + p.audio_skipped <= 186);
  CHECK_INT(usm_meeting_stop_playing(m), USM_OK);
  CHECK(m->player == NULL);
  CHECK_INT(usm_meeting_stop_playing(m), USM_OK);
  run_for(20);
}

static void write_files(void) {
  usmrec_wav *w = NULL;
  int16_t pcm[960 * 2];
  CHECK_INT(usmrec_wav_open(&w, path("half.wav"), 2, 48000), 0);
  for (int i = 0; i < 25; i++) { /* 0.5 s */
    usm__tone_fill((uint64_t)i * 960, pcm, 2, 960);
    CHECK_INT(usmrec_wav_write(w, pcm, 960), 0);
  }
  CHECK_INT(usmrec_wav_write(w, pcm, 100), 0); /* a partial last frame */
  CHECK_INT(usmrec_wav_close(w), 0);
  usmrec_y4m *y = NULL;
  static uint8_t buf[160 * 120 * 3 / 2];
  uint8_t *plane[3] = {buf, buf + 160 * 120, buf + 160 * 120 * 5 / 4};
  int stride[3] = {160, 80, 80};
  CHECK_INT(usmrec_y4m_open(&y, path("five.y4m"), 160, 120, 25), 0);
  for (uint32_t i = 0; i < 5; i++) {
    usm__pattern_draw(plane, stride, 160, 120, i);
    CHECK_INT(usmrec_y4m_write(y, (const uint8_t *const *)plane, stride, 160, 120), 0);
  }
  CHECK_INT(usmrec_y4m_close(y), 0);
}

static void test_files(usm_meeting *m) {
  usm_play_options o;
  usm_play_options_init(&o);
  o.audio = path("half.wav");
  o.video = path("five.y4m");
  CHECK_INT(usm_meeting_play(m, &o), USM_OK);
  run_for(400);
  usm__play_progress p = progress(m);
  CHECK_INT(p.video_on, 0); /* 5 frames at 25 fps: 200 ms */
  CHECK_INT(p.video_frames, 5);
  CHECK_INT(p.audio_on, 1);
  run_for(400);
  CHECK(m->player == NULL); /* both ended: the player is gone */

  o.loop = 1; /* looping: still going after twice the length */
  CHECK_INT(usm_meeting_play(m, &o), USM_OK);
  run_for(1100);
  p = progress(m);
  printf("play: looping files after 1.1 s: %llu audio, %llu video frames\n", (unsigned long long)p.audio_frames,
         (unsigned long long)p.video_frames);
  CHECK(p.audio_on && p.video_on);
  CHECK(p.audio_frames >= 54 && p.video_frames >= 27);

  /* Replacing: a bad file leaves the old source playing; a good one replaces it. */
  struct usm__player *old = m->player;
  usm_play_options bad;
  usm_play_options_init(&bad);
  bad.audio = path("missing.wav");
  CHECK_INT(usm_meeting_play(m, &bad), USM_ERR_NOT_FOUND);
  CHECK(m->player == old);
  usm_play_options tone;
  usm_play_options_init(&tone);
  tone.audio = "tone";
  CHECK_INT(usm_meeting_play(m, &tone), USM_OK);
  CHECK(m->player != NULL && m->player != old);
  run_for(100);
  p = progress(m);
  CHECK(p.audio_on && !p.video_on);
  /* Stop and destroy at once: the close callbacks must not need the meeting. */
  usm__play_stop(m);
  usm_meeting_destroy(m);
  run_for(20);
}

static void test_destroy_while_playing(void) {
  usm_meeting *m = new_meeting();
  usm_play_options o;
  usm_play_options_init(&o);
  o.audio = "tone";
  o.video = "pattern";
  CHECK_INT(usm_meeting_play(m, &o), USM_OK);
  run_for(60);
  CHECK(progress(m).audio_frames > 0);
  usm_meeting_destroy(m); /* the lead's destroy stops the player (usm__play_stop) */
  run_for(60);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/usm-play-XXXXXX");
  if (!mkdtemp(dir)) return 1;
  usm_client_options co;
  usm_client_options_init(&co);
  co.access_token = "token";
  co.api_url = "http://127.0.0.1:9/v1"; /* nothing listens: the meeting never gets info */
  co.max_retries = 0;
  CHECK_INT(usm_client_create(&co, &client), USM_OK);
  if (!client) return 1;
  usm_meeting *m = new_meeting();
  if (m) {
    test_args(m);
    test_clock(m);
    write_files();
    test_files(m);
  }
  test_destroy_while_playing();
  usm_client_destroy(client);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_done("test_source_play");
}
