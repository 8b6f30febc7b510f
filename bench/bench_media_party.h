/* Shared by the media benchmarks (bench_media_*.c): a usm-cloud this
 * process starts, two clients of the demo users (host and alice), meetings
 * the host schedules and both join with media, the test tone and pattern
 * (source/test_signal.h) rendered ahead of time and sent through the public
 * frames API, and CPU clocks: this process (getrusage), each client's loop
 * (thread CPU time around its calls) and the cloud (/proc/PID/stat).
 * Header-only: each bench is one executable. */
#ifndef USM_BENCH_MEDIA_PARTY_H
#define USM_BENCH_MEDIA_PARTY_H

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <usm/usm.h>

#include "e2e_world.h"
#include "source/test_signal.h"

#define MB_W 640
#define MB_H 360
#define MB_FPS 30
#define MB_PIC ((size_t)MB_W * MB_H * 3 / 2)
#define MB_MAX_MEETINGS 128

/* One party of one meeting. */
typedef struct mb_party {
  usm_meeting *m;
  usm_media_state media;
  int failed;
  unsigned long long audio_cb, video_cb; /* receive callbacks seen */
  uint64_t tone_pos;                     /* samples sent */
  uint32_t frame_no;                     /* pictures sent */
  long t0_ms;                            /* when sending started */
} mb_party;

/* One meeting: the host's side and alice's side. */
typedef struct mb_meeting {
  mb_party host, alice;
  char number[32], sip[256];
} mb_meeting;

typedef struct mb_world {
  e2e_world w;
  usm_client *host, *alice;
  mb_meeting mt[MB_MAX_MEETINGS];
  int n;
  double loop_cpu[2]; /* seconds of thread CPU in host's / alice's calls (loop and sends) */
  long max_gap_ms;    /* longest time between two rounds of mb_exchange (the loop's lateness) */
  int16_t tone[USM__TONE_RATE]; /* the tone repeats every second */
  uint8_t *pics;                 /* n_pics pattern pictures, I420 */
  unsigned n_pics;
} mb_world;

static inline long mb_now_ms(void) { return e2e_now_ms(); }

static inline double mb_thread_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User + system CPU seconds of this process (all threads). */
static inline double mb_process_cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

/* User + system CPU seconds of process @p pid from /proc (the cloud); -1 when unreadable. */
static inline double mb_pid_cpu(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *p = strrchr(buf, ')'); /* the name may hold spaces */
  unsigned long ut = 0, st = 0;
  /* after ")": state(3) ... utime(14) stime(15) */
  if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static inline long mb_heap(void) {
  malloc_trim(0);
  struct mallinfo2 mi = mallinfo2();
  return (long)(mi.uordblks + mi.hblkhd);
}

/* Resident set of this process in bytes (pages touched), from /proc/self/statm; -1 when unreadable. */
static inline long mb_rss(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size = 0, res = -1;
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &size, &res) != 2) res = -1;
  fclose(f);
  return res < 0 ? -1 : res * sysconf(_SC_PAGESIZE);
}

/* The machine's 1-minute load average: other work on the same 2 cores. */
static inline double mb_loadavg(void) {
  FILE *f = fopen("/proc/loadavg", "r");
  double l = -1;
  if (f) {
    if (fscanf(f, "%lf", &l) != 1) l = -1;
    fclose(f);
  }
  return l;
}

static inline double mb_median(double *v, int n) {
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
      double t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}

/* ---- callbacks --------------------------------------------------------------- */

static inline void mb_on_event(usm_meeting *m, const usm_event *ev, void *user) {
  (void)m;
  mb_party *p = user;
  if (ev->type != USM_EVENT_MEDIA) return;
  p->media = ev->media;
  if (ev->media == USM_MEDIA_FAILED) {
    p->failed = 1;
    fprintf(stderr, "bench: media failed: %s %s\n", usm_err_name(ev->error), ev->detail ? ev->detail : "");
  }
}

static inline void mb_on_audio(usm_meeting *m, const usm_media_source *from, const usm_audio_frame *f, void *user) {
  (void)m, (void)from, (void)f;
  ((mb_party *)user)->audio_cb++;
}

static inline void mb_on_video(usm_meeting *m, const usm_media_source *from, const usm_video_frame *f, void *user) {
  (void)m, (void)from, (void)f;
  ((mb_party *)user)->video_cb++;
}

/* ---- the world ----------------------------------------------------------------- */

static inline usm_client *mb_client(mb_world *W, const char *token) {
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = token;
  o.request_timeout_ms = 20000;
  o.log_level = USM_LOG_ERROR;
  return e2e_client_opts(&W->w, &o);
}

/* Start usm-cloud (quiet unless USM_BENCH_VERBOSE) and the two clients; 0 on success. */
static inline int mb_start(mb_world *W, const char *bin, unsigned video_seconds) {
  memset(W, 0, sizeof *W);
  int saved = -1;
  if (!getenv("USM_BENCH_VERBOSE")) { /* usm-cloud logs every request on the stderr it inherits */
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    saved = devnull >= 0 ? dup(2) : -1;
    if (saved >= 0) dup2(devnull, 2);
    if (devnull >= 0) close(devnull);
  }
  int started = cloud_proc_start(&W->w.cloud, bin, NULL);
  if (started == 0) { /* libwebsockets prints its banner when a client is made */
    W->host = mb_client(W, E2E_HOST_TOKEN);
    W->alice = mb_client(W, E2E_ALICE_TOKEN);
  }
  if (saved >= 0) {
    dup2(saved, 2);
    close(saved);
  }
  if (started != 0 || !W->host || !W->alice) return -1;
  usm__tone_fill(0, W->tone, 1, USM__TONE_RATE);
  W->n_pics = video_seconds * MB_FPS;
  if (W->n_pics) {
    W->pics = malloc(MB_PIC * W->n_pics);
    if (!W->pics) return -1;
    for (unsigned i = 0; i < W->n_pics; i++) {
      uint8_t *p = W->pics + MB_PIC * i;
      uint8_t *pl[3] = {p, p + MB_W * MB_H, p + MB_W * MB_H + MB_W * MB_H / 4};
      int st[3] = {MB_W, MB_W / 2, MB_W / 2};
      usm__pattern_draw(pl, st, MB_W, MB_H, i);
    }
  }
  return 0;
}

static inline void mb_stop(mb_world *W) {
  for (int i = 0; i < W->n; i++) {
    usm_meeting_destroy(W->mt[i].host.m);
    usm_meeting_destroy(W->mt[i].alice.m);
  }
  W->n = 0;
  e2e_stop(&W->w);
  free(W->pics);
  W->pics = NULL;
}

/* Run both loops once (poll at most @p max_ms), charging each client's thread CPU. */
static inline void mb_step(mb_world *W, int max_ms) {
  usm_client *c[2] = {W->host, W->alice};
  struct pollfd p[2];
  int timeout = max_ms;
  for (int i = 0; i < 2; i++) {
    p[i] = (struct pollfd){.fd = usm_client_fd(c[i]), .events = POLLIN};
    int t = usm_client_timeout(c[i]);
    if (t >= 0 && t < timeout) timeout = t;
  }
  poll(p, 2, timeout);
  for (int i = 0; i < 2; i++) {
    double t0 = mb_thread_cpu();
    usm_client_process(c[i]);
    W->loop_cpu[i] += mb_thread_cpu() - t0;
  }
}

static inline void mb_pump(mb_world *W, long ms) {
  long until = mb_now_ms() + ms;
  do mb_step(W, 5);
  while (mb_now_ms() < until);
}

static const char *mb_video_codec; /* NULL: libusm's default (VP8 first) */

static inline int mb_join(mb_world *W, usm_client *c, const char *dest, mb_party *p, unsigned media) {
  if (e2e_meeting(&W->w, c, dest, &p->m) != USM_OK) return -1;
  usm_meeting_set_event_cb(p->m, mb_on_event, p);
  usm_media_callbacks cb;
  usm_media_callbacks_init(&cb);
  cb.audio = mb_on_audio;
  if (media & USM_MEDIA_VIDEO_RECV) cb.video = mb_on_video; /* else video is not decoded */
  cb.user = p;
  if (usm_meeting_set_media_callbacks(p->m, &cb) != USM_OK) return -1;
  usm_join_options jo;
  usm_join_options_init(&jo);
  jo.media = media;
  jo.video_codec = mb_video_codec;
  e2e_op op = {0};
  if (e2e_await(&W->w, &op, usm_meeting_join(p->m, &jo, e2e_op_done, &op)) != USM_OK) {
    fprintf(stderr, "bench: join %s: %s %s\n", dest, usm_err_name(op.err), op.message);
    return -1;
  }
  return usm_meeting_get_state(p->m) == USM_MEETING_JOINED ? 0 : -1;
}

/* Schedule @p count more meetings and join each with the host (@p host_media)
 * and alice (@p alice_media); wait until every media connection is up. */
static inline int mb_add_meetings(mb_world *W, int count, unsigned host_media, unsigned alice_media) {
  int from = W->n;
  if (from + count > MB_MAX_MEETINGS) return -1;
  for (int i = from; i < from + count; i++) {
    mb_meeting *mt = &W->mt[i];
    char password[64];
    memset(mt, 0, sizeof *mt);
    if (e2e_schedule(&W->w, W->host, "alice@example.com", mt->number, mt->sip, password) != 0) return -1;
    W->n = i + 1; /* destroyed by mb_stop from here on */
    if (mb_join(W, W->host, mt->number, &mt->host, host_media) != 0) return -1;
    if (mb_join(W, W->alice, mt->sip, &mt->alice, alice_media) != 0) return -1;
  }
  if (!host_media && !alice_media) return 0;
  long deadline = mb_now_ms() + 20000 + 500L * count;
  for (;;) {
    int up = 0;
    for (int i = from; i < W->n; i++) {
      if (W->mt[i].host.failed || W->mt[i].alice.failed) return -1;
      up += (!host_media || W->mt[i].host.media == USM_MEDIA_CONNECTED) &&
            (!alice_media || W->mt[i].alice.media == USM_MEDIA_CONNECTED);
    }
    if (up == count) return 0;
    if (mb_now_ms() > deadline) return -1;
    mb_pump(W, 20);
  }
}

/* Send what is due at @p now of the tone (20 ms frames) and, with @p video,
 * of the pattern (MB_FPS), from the pictures rendered ahead. */
static inline void mb_send_due(mb_world *W, mb_party *p, long now, int video, int ci) {
  double t0 = mb_thread_cpu();
  if (!p->t0_ms) p->t0_ms = now;
  uint64_t elapsed = (uint64_t)(now - p->t0_ms);
  /* more than 200 ms behind (the loop was busy joining): skip ahead like a
   * capture device would, instead of a burst */
  if (p->tone_pos + 9600u < elapsed * 48u) p->tone_pos = elapsed * 48u / 960u * 960u;
  if (video && (uint64_t)p->frame_no * 1000u / MB_FPS + 200u < elapsed) p->frame_no = (uint32_t)(elapsed * MB_FPS / 1000u);
  while (p->tone_pos < elapsed * 48u) {
    usm_audio_frame f = {.data = W->tone + p->tone_pos % USM__TONE_RATE, .format = USM_SAMPLE_S16,
                         .channels = 1, .samples = 960,
                         .timestamp_us = p->t0_ms * 1000L + (int64_t)(p->tone_pos * 1000 / 48)};
    usm_meeting_send_audio(p->m, &f);
    p->tone_pos += 960;
  }
  while (video && W->n_pics && (uint64_t)p->frame_no * 1000u / MB_FPS < elapsed) {
    const uint8_t *pic = W->pics + MB_PIC * (p->frame_no % W->n_pics);
    usm_video_frame f = {.plane = {pic, pic + MB_W * MB_H, pic + MB_W * MB_H + MB_W * MB_H / 4},
                         .stride = {MB_W, MB_W / 2, MB_W / 2}, .width = MB_W, .height = MB_H,
                         .timestamp_us = p->t0_ms * 1000L + (int64_t)p->frame_no * 1000000 / MB_FPS};
    usm_meeting_send_video(p->m, &f);
    p->frame_no++;
  }
  W->loop_cpu[ci] += mb_thread_cpu() - t0;
}

/* Everyone sends (host: always; alice: when @p alice_sends) for @p ms. */
static inline void mb_exchange(mb_world *W, long ms, int video, int alice_sends) {
  long end = mb_now_ms() + ms, last = 0;
  for (long now = mb_now_ms(); now < end; now = mb_now_ms()) {
    if (last && now - last > W->max_gap_ms) W->max_gap_ms = now - last;
    last = now;
    for (int i = 0; i < W->n; i++) {
      mb_send_due(W, &W->mt[i].host, now, video, 0);
      if (alice_sends) mb_send_due(W, &W->mt[i].alice, now, video, 1);
    }
    mb_step(W, 5);
  }
}

static inline int mb_stats(const mb_party *p, usm_media_stats *st) {
  usm_media_stats_init(st);
  return usm_meeting_get_stats(p->m, st) == USM_OK;
}

#endif
