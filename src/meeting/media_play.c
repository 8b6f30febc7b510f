/* usm_meeting_play(): sends the "tone" / a WAV file and the "pattern" / a Y4M
 * file in real time through usm_meeting_send_audio()/_video(), on timers of
 * the meeting's loop. The frame clocks follow uv_hrtime(): frame n is due at
 * start + n * period, so a late timer is caught up (audio: at most
 * USM__PLAY_AUDIO_CATCHUP frames per tick) and the rate is exact over time.
 * The player outlives its meeting only until its timers' close callbacks,
 * which never touch the meeting. docs/media-files.md. */
#include "meeting/media_play.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/client_internal.h"
#include "meeting/meeting_internal.h"
#include "source/test_signal.h"
#include "source/wav_reader.h"
#include "source/y4m_reader.h"

#define DEFAULT_WIDTH 640u
#define DEFAULT_HEIGHT 360u
#define DEFAULT_FPS 30u
#define MAX_FPS 120u
#define MAX_WIDTH 3840u
#define MAX_HEIGHT 2160u
/* Video frames read and dropped per tick when late (Y4M keeps its place in time). */
#define VIDEO_MAX_SKIP 10u

typedef struct usm__player {
  usm_meeting *m; /* NULL once stopped */
  uv_timer_t audio_timer, video_timer;
  int closing;    /* close callbacks still to come */

  /* audio: the tone, or a WAV file */
  int audio_on;
  usm__wav_reader *wav;
  unsigned channels;
  uint64_t audio_start_ns;
  uint64_t audio_n; /* next frame number */
  int64_t audio_ts_base_us;
  int16_t pcm[USM__PLAY_FRAME_SAMPLES * 2];

  /* video: the pattern, or a Y4M file */
  int video_on;
  usm__y4m_reader *y4m;
  unsigned width, height, fps_num, fps_den;
  uint8_t *picture; /* the pattern's I420 buffer */
  uint64_t video_start_ns;
  uint64_t video_n; /* next frame number */
  int64_t video_ts_base_us;

  uint64_t audio_sent, video_sent, audio_skipped, video_skipped;
  int loop;
  usm_err last_send_err; /* logged once per change */
} usm__player;

static void player_log_send(usm__player *p, const char *what, usm_err e) {
  if (e == p->last_send_err) return;
  p->last_send_err = e;
  if (e != USM_OK && p->m && p->m->client)
    usm__log(p->m->client, USM_LOG_WARN, "play: %s not sent (%s)", what, usm_err_name(e));
}

static void on_closed(uv_handle_t *h) {
  usm__player *p = h->data;
  if (--p->closing == 0) free(p);
}

/* Detach from the meeting and start the teardown; p is freed later. */
static void player_stop(usm__player *p) {
  if (p->m && p->m->player == p) p->m->player = NULL;
  p->m = NULL;
  usm__wav_close(p->wav);
  p->wav = NULL;
  usm__y4m_close(p->y4m);
  p->y4m = NULL;
  free(p->picture);
  p->picture = NULL;
  p->audio_on = p->video_on = 0;
  p->closing = 2;
  uv_close((uv_handle_t *)&p->audio_timer, on_closed);
  uv_close((uv_handle_t *)&p->video_timer, on_closed);
}

/* A source ended: when both did, the player is done. */
static void source_ended(usm__player *p) {
  if (!p->audio_on && !p->video_on) player_stop(p);
}

/* Milliseconds until @p due_ns (0 when past), rounded up so the timer never fires early. */
static uint64_t ms_until(uint64_t due_ns) {
  uint64_t now = uv_hrtime();
  return due_ns > now ? (due_ns - now + 999999u) / 1000000u : 0;
}

/* ---- audio ------------------------------------------------------------------------ */

static uint64_t audio_due_ns(const usm__player *p, uint64_t n) {
  return p->audio_start_ns + n * (uint64_t)USM__PLAY_FRAME_US * 1000u;
}

/* Fills p->pcm with frame p->audio_n; 0 at the end of the source. */
static int audio_fill(usm__player *p) {
  if (!p->wav) {
    usm__tone_fill(p->audio_n * USM__PLAY_FRAME_SAMPLES, p->pcm, p->channels, USM__PLAY_FRAME_SAMPLES);
    return 1;
  }
  size_t got = usm__wav_read(p->wav, p->pcm, USM__PLAY_FRAME_SAMPLES);
  if (got < USM__PLAY_FRAME_SAMPLES && p->loop) {
    /* Wrap around within the frame; a file with no samples at all ends. */
    if (usm__wav_rewind(p->wav) == USM_OK && usm__wav_length(p->wav) > 0)
      while (got < USM__PLAY_FRAME_SAMPLES) {
        size_t k = usm__wav_read(p->wav, p->pcm + got * p->channels, USM__PLAY_FRAME_SAMPLES - got);
        if (k == 0) break;
        got += k;
        if (got < USM__PLAY_FRAME_SAMPLES && usm__wav_rewind(p->wav) != USM_OK) break;
      }
  }
  if (got == 0) return 0;
  /* The last partial frame is padded with silence. */
  memset(p->pcm + got * p->channels, 0, (USM__PLAY_FRAME_SAMPLES - got) * p->channels * sizeof p->pcm[0]);
  return 1;
}

static void audio_tick(uv_timer_t *t) {
  usm__player *p = t->data;
  if (!p->m || !p->audio_on) return;
  uint64_t now = uv_hrtime();
  uint64_t due = now >= p->audio_start_ns ? (now - p->audio_start_ns) / (USM__PLAY_FRAME_US * 1000u) + 1 : 0;
  if (due > p->audio_n + USM__PLAY_AUDIO_MAX_LAG_FRAMES) {
    /* Stalled: skip the gap (the timestamps show it) rather than burst.
     * The tone stays on its time line; a file continues where it was. */
    p->audio_skipped += due - 1 - p->audio_n;
    p->audio_n = due - 1;
  }
  for (unsigned k = 0; k < USM__PLAY_AUDIO_CATCHUP && p->audio_n < due; k++) {
    if (!audio_fill(p)) {
      p->audio_on = 0;
      uv_timer_stop(&p->audio_timer);
      source_ended(p);
      return;
    }
    usm_audio_frame f = {
      .data = p->pcm,
      .format = USM_SAMPLE_S16,
      .channels = p->channels,
      .samples = USM__PLAY_FRAME_SAMPLES,
      .timestamp_us = p->audio_ts_base_us + (int64_t)p->audio_n * USM__PLAY_FRAME_US,
    };
    usm_err e = usm_meeting_send_audio(p->m, &f);
    if (!p->m) return; /* stopped meanwhile; p lives until its close callbacks */
    player_log_send(p, "audio", e);
    if (e == USM_ERR_INVALID_HANDLE) {
      player_stop(p);
      return;
    }
    p->audio_n++;
    p->audio_sent++;
  }
  uv_timer_start(&p->audio_timer, audio_tick, ms_until(audio_due_ns(p, p->audio_n)), 0);
}

/* ---- video ------------------------------------------------------------------------ */

/* In double: exact to the nanosecond for months, and no overflow for any
 * F num:den (each up to 10^6). */
static double video_offset_ns(const usm__player *p, uint64_t n) {
  return (double)n * 1e9 * (double)p->fps_den / (double)p->fps_num;
}

static uint64_t video_due_ns(const usm__player *p, uint64_t n) {
  return p->video_start_ns + (uint64_t)video_offset_ns(p, n);
}

/* The picture of frame p->video_n; 0 at the end of the source. */
static int video_next(usm__player *p, usm_video_frame *f) {
  f->width = p->width;
  f->height = p->height;
  if (!p->y4m) {
    size_t ysize = (size_t)p->width * p->height;
    uint8_t *plane[3] = {p->picture, p->picture + ysize, p->picture + ysize + ysize / 4};
    int stride[3] = {(int)p->width, (int)p->width / 2, (int)p->width / 2};
    usm__pattern_draw(plane, stride, p->width, p->height, (uint32_t)p->video_n);
    for (int i = 0; i < 3; i++) f->plane[i] = plane[i], f->stride[i] = stride[i];
    return 1;
  }
  uint8_t *plane[3];
  int stride[3];
  int rc = usm__y4m_read(p->y4m, plane, stride);
  if (rc == 0 && p->loop && usm__y4m_rewind(p->y4m) == USM_OK) rc = usm__y4m_read(p->y4m, plane, stride);
  if (rc < 0 && p->m && p->m->client) usm__log(p->m->client, USM_LOG_WARN, "play: Y4M frame truncated or malformed; video ends");
  if (rc != 1) return 0;
  for (int i = 0; i < 3; i++) f->plane[i] = plane[i], f->stride[i] = stride[i];
  return 1;
}

static void video_tick(uv_timer_t *t) {
  usm__player *p = t->data;
  if (!p->m || !p->video_on) return;
  uint64_t now = uv_hrtime();
  /* Frames whose time passed while we were late are dropped: a pattern
   * frame's number stays its place in time; a Y4M skips them (bounded). */
  for (unsigned k = 0; k < VIDEO_MAX_SKIP && video_due_ns(p, p->video_n + 1) <= now; k++) {
    if (p->y4m) {
      usm_video_frame skip;
      if (!video_next(p, &skip)) break; /* the end shows on the frame below */
    }
    p->video_n++;
    p->video_skipped++;
  }
  while (video_due_ns(p, p->video_n + 1) <= now) p->video_n++, p->video_skipped++; /* beyond the bound: jump */
  usm_video_frame f;
  memset(&f, 0, sizeof f);
  if (!video_next(p, &f)) {
    p->video_on = 0;
    uv_timer_stop(&p->video_timer);
    source_ended(p);
    return;
  }
  f.timestamp_us = p->video_ts_base_us + (int64_t)(video_offset_ns(p, p->video_n) / 1000.0);
  usm_err e = usm_meeting_send_video(p->m, &f);
  if (!p->m) return;
  player_log_send(p, "video", e);
  if (e == USM_ERR_INVALID_HANDLE) {
    player_stop(p);
    return;
  }
  p->video_n++;
  p->video_sent++;
  uv_timer_start(&p->video_timer, video_tick, ms_until(video_due_ns(p, p->video_n)), 0);
}

/* ---- the API ---------------------------------------------------------------------- */

void usm_play_options_init(usm_play_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->struct_size = sizeof *o;
}

void usm__play_stop(usm_meeting *m) {
  if (m && m->player) player_stop(m->player);
}

int usm__play_get_progress(const usm_meeting *m, usm__play_progress *out) {
  memset(out, 0, sizeof *out);
  const usm__player *p = m ? m->player : NULL;
  if (!p) return 0;
  out->audio_frames = p->audio_sent;
  out->video_frames = p->video_sent;
  out->audio_skipped = p->audio_skipped;
  out->video_skipped = p->video_skipped;
  out->audio_on = p->audio_on;
  out->video_on = p->video_on;
  return 1;
}

usm_err usm_meeting_stop_playing(usm_meeting *m) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  usm__play_stop(m);
  return USM_OK;
}

static usm_err play_fail(usm_meeting *m, usm__player *p, usm_err e, const char *why) {
  usm__meeting_set_error(m, "play: %s", why);
  if (p) {
    usm__wav_close(p->wav);
    usm__y4m_close(p->y4m);
    free(p->picture);
    free(p);
  }
  return e;
}

/* Opens the sources into @p p (no timers yet). */
static usm_err open_sources(usm_meeting *m, usm__player *p, const usm_play_options *o, char *why, size_t cap) {
  usm_err e;
  if (o->audio) {
    p->audio_on = 1;
    if (strcmp(o->audio, "tone") == 0) {
      p->channels = m->audio_channels == 2 ? 2 : 1;
    } else {
      if ((e = usm__wav_open_why(o->audio, &p->wav, why, cap)) != USM_OK) return e;
      p->channels = usm__wav_channels(p->wav);
    }
  }
  if (o->video) {
    p->video_on = 1;
    if (strcmp(o->video, "pattern") == 0) {
      p->width = o->width ? o->width : DEFAULT_WIDTH;
      p->height = o->height ? o->height : DEFAULT_HEIGHT;
      p->fps_num = o->fps ? o->fps : DEFAULT_FPS;
      p->fps_den = 1;
      if (p->width < USM__PATTERN_MIN_SIZE || p->height < USM__PATTERN_MIN_SIZE || p->width > MAX_WIDTH ||
          p->height > MAX_HEIGHT || (p->width & 1u) || (p->height & 1u)) {
        snprintf(why, cap, "pattern size %ux%u: even, %ux%u..%ux%u", p->width, p->height, USM__PATTERN_MIN_SIZE,
                 USM__PATTERN_MIN_SIZE, MAX_WIDTH, MAX_HEIGHT);
        return USM_ERR_INVALID_ARG;
      }
      if (p->fps_num > MAX_FPS) {
        snprintf(why, cap, "pattern rate %u fps: 1..%u", p->fps_num, MAX_FPS);
        return USM_ERR_INVALID_ARG;
      }
      p->picture = malloc((size_t)p->width * p->height * 3 / 2);
      if (!p->picture) {
        snprintf(why, cap, "out of memory");
        return USM_ERR_NO_MEMORY;
      }
    } else {
      if ((e = usm__y4m_open_why(o->video, &p->y4m, why, cap)) != USM_OK) return e;
      p->width = usm__y4m_width(p->y4m);
      p->height = usm__y4m_height(p->y4m);
      usm__y4m_fps(p->y4m, &p->fps_num, &p->fps_den);
    }
  }
  return USM_OK;
}

usm_err usm_meeting_play(usm_meeting *m, const usm_play_options *o) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  usm__strbuf_reset(&m->last_error);
  if (!o || o->struct_size < sizeof *o) return play_fail(m, NULL, USM_ERR_INVALID_ARG, "options not initialised (usm_play_options_init)");
  if (!o->audio && !o->video) return play_fail(m, NULL, USM_ERR_INVALID_ARG, "neither audio nor video to play");
  if (m->media_flags && o->audio && !(m->media_flags & USM_MEDIA_AUDIO_SEND))
    return play_fail(m, NULL, USM_ERR_WRONG_STATE, "the meeting was joined without USM_MEDIA_AUDIO_SEND");
  if (m->media_flags && o->video && !(m->media_flags & USM_MEDIA_VIDEO_SEND))
    return play_fail(m, NULL, USM_ERR_WRONG_STATE, "the meeting was joined without USM_MEDIA_VIDEO_SEND");
  usm__player *p = calloc(1, sizeof *p);
  if (!p) return play_fail(m, NULL, USM_ERR_NO_MEMORY, "out of memory");
  p->loop = o->loop;
  char why[256] = "";
  usm_err e = open_sources(m, p, o, why, sizeof why);
  if (e != USM_OK) return play_fail(m, p, e, why);
  /* The new source opened: only now replace the old one. */
  usm__play_stop(m);
  uv_loop_t *loop = &m->client->loop;
  uv_timer_init(loop, &p->audio_timer);
  uv_timer_init(loop, &p->video_timer);
  p->audio_timer.data = p->video_timer.data = p;
  p->m = m;
  m->player = p;
  uint64_t now = uv_hrtime();
  p->audio_start_ns = p->video_start_ns = now;
  p->audio_ts_base_us = p->video_ts_base_us = (int64_t)(now / 1000u);
  /* First frames on the next loop iteration, never inside this call. */
  if (p->audio_on) uv_timer_start(&p->audio_timer, audio_tick, 0, 0);
  if (p->video_on) uv_timer_start(&p->video_timer, video_tick, 0, 0);
  return USM_OK;
}
