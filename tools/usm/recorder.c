#include "recorder.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ivf_writer.h"
#include "output.h"
#include "png_writer.h"
#include "wav_writer.h"
#include "y4m_writer.h"

/* A meeting seldom has more; further sources are counted, not recorded. */
#define MAX_STREAMS 64
#define NAME_MAX_LEN 64
#define SNAPSHOT_AFTER_MS 2000
#define AUDIO_RATE 48000u
#define Y4M_FPS 30u /* the Y4M F tag; decoded pictures are written as they come */

typedef struct stream {
  usm_media_kind kind;
  uint32_t ssrc;
  char name[NAME_MAX_LEN + 16];
  /* audio */
  usmrec_wav *wav;
  unsigned channels;
  uint64_t samples;
  /* encoded video */
  char codec[8];
  usmrec_ivf *ivf;
  FILE *h264;
  int started; /* a keyframe came: the file has a decodable start */
  uint32_t last_ts;
  uint64_t pts;
  uint64_t frames;
  uint64_t bytes;
  unsigned width, height;
  /* decoded video */
  usmrec_y4m *y4m;
  unsigned yw, yh;
  uint64_t decoded, y4m_frames, y4m_skipped;
  long first_decoded_ms;
  int png_done;
  int failed; /* a write failed: this stream's files are closed */
} stream;

struct recorder {
  char dir[PATH_MAX];
  int y4m;
  recorder_note_fn note;
  void *note_user;
  stream streams[MAX_STREAMS];
  size_t n;
  uint64_t ignored_frames; /* of sources past MAX_STREAMS */
  int failures;
};

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void note(recorder *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(recorder *r, const char *fmt, ...) {
  char line[PATH_MAX + 256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (r->note) r->note(r->note_user, line);
}

int recorder_prepare_dir(const char *dir, char *why, size_t cap) {
  char path[PATH_MAX];
  if (!*dir || strlen(dir) >= sizeof path) {
    snprintf(why, cap, "bad directory name '%s'", dir);
    return -1;
  }
  snprintf(path, sizeof path, "%s", dir);
  /* mkdir -p: each prefix ending at a '/', then the whole */
  for (char *p = path + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        snprintf(why, cap, "cannot create directory '%s': %s", path, strerror(errno));
        return -1;
      }
      *p = c;
      if (!c) break;
    }
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    snprintf(why, cap, "'%s' is not a directory", dir);
    return -1;
  }
  /* access() answers for the real uid and misses read-only mounts: try a file */
  char probe[PATH_MAX + 32];
  snprintf(probe, sizeof probe, "%s/.usm-write-test-%ld", dir, (long)getpid());
  FILE *f = fopen(probe, "wb");
  if (!f) {
    snprintf(why, cap, "cannot write in '%s': %s", dir, strerror(errno));
    return -1;
  }
  fclose(f);
  unlink(probe);
  return 0;
}

recorder *recorder_create(const char *dir, int y4m, recorder_note_fn note_fn, void *note_user) {
  recorder *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  snprintf(r->dir, sizeof r->dir, "%s", dir);
  r->y4m = y4m;
  r->note = note_fn;
  r->note_user = note_user;
  return r;
}

/* The file stem of a source: its participant id from the network, so only
 * [A-Za-z0-9._-], bounded, never hidden or a path. */
static void source_name(const usm_media_source *from, char *out, size_t cap) {
  if (!from->participant_id || !*from->participant_id) {
    snprintf(out, cap, "ssrc-%08x", (unsigned)from->ssrc);
    return;
  }
  size_t n = 0;
  for (const char *p = from->participant_id; *p && n + 1 < cap && n < NAME_MAX_LEN; p++) {
    char c = *p;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
             c == '_' || (c == '.' && n > 0);
    out[n++] = ok ? c : '_';
  }
  out[n] = '\0';
}

static void path_of(const recorder *r, const stream *s, const char *ext, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s.%s", r->dir, s->name, ext);
}

static void close_stream(stream *s) {
  usmrec_wav_close(s->wav);
  usmrec_ivf_close(s->ivf);
  usmrec_y4m_close(s->y4m);
  if (s->h264) fclose(s->h264);
  s->wav = NULL;
  s->ivf = NULL;
  s->y4m = NULL;
  s->h264 = NULL;
}

static void stream_failed(recorder *r, stream *s, const char *what, const char *ext) {
  char path[PATH_MAX + 96];
  path_of(r, s, ext, path, sizeof path);
  note(r, "error recording %s to %s: %s", what, path, strerror(errno));
  close_stream(s);
  s->failed = 1;
  r->failures++;
}

static int name_taken(const recorder *r, usm_media_kind kind, const char *name) {
  for (size_t i = 0; i < r->n; i++)
    if (r->streams[i].kind == kind && strcmp(r->streams[i].name, name) == 0) return 1;
  return 0;
}

/* A stream named ssrc-X whose sender libusm now knows: its files take the
 * participant's name (open files keep being written after a rename). */
static void rename_stream(recorder *r, stream *s, const char *name) {
  static const char *const exts[] = {"wav", "ivf", "h264", "y4m", "png"};
  char old_path[PATH_MAX + 96], new_path[PATH_MAX + 96], old_name[sizeof s->name];
  snprintf(old_name, sizeof old_name, "%s", s->name);
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
    path_of(r, s, exts[i], old_path, sizeof old_path);
    snprintf(new_path, sizeof new_path, "%s/%s.%s", r->dir, name, exts[i]);
    if (access(old_path, F_OK) == 0 && rename(old_path, new_path) != 0) {
      note(r, "cannot rename %s to %s: %s (keeping the SSRC's name)", old_path, new_path, strerror(errno));
      return;
    }
  }
  snprintf(s->name, sizeof s->name, "%s", name);
  note(r, "%s is %s: its files renamed", old_name, name);
}

/* The stream of a source: by SSRC first, then by name (a sender's new SSRC
 * continues its files). */
static stream *find_stream(recorder *r, usm_media_kind kind, const usm_media_source *from) {
  char name[NAME_MAX_LEN + 16];
  source_name(from, name, sizeof name);
  for (size_t i = 0; i < r->n; i++) {
    stream *s = &r->streams[i];
    if (s->kind != kind || s->ssrc != from->ssrc) continue;
    if (from->participant_id && strncmp(s->name, "ssrc-", 5) == 0 && strcmp(s->name, name) != 0 &&
        !name_taken(r, kind, name))
      rename_stream(r, s, name);
    return s;
  }
  for (size_t i = 0; i < r->n; i++)
    if (r->streams[i].kind == kind && strcmp(r->streams[i].name, name) == 0) {
      r->streams[i].ssrc = from->ssrc;
      return &r->streams[i];
    }
  if (r->n == MAX_STREAMS) {
    r->ignored_frames++;
    return NULL;
  }
  stream *s = &r->streams[r->n++];
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->ssrc = from->ssrc;
  snprintf(s->name, sizeof s->name, "%s", name);
  return s;
}

/* ---- audio ---------------------------------------------------------------------- */

static void on_audio(usm_meeting *m, const usm_media_source *from, const usm_audio_frame *f, void *user) {
  (void)m;
  recorder *r = user;
  stream *s = find_stream(r, USM_MEDIA_KIND_AUDIO, from);
  if (!s || s->failed || f->channels < 1 || f->channels > 2 || f->samples > AUDIO_RATE) return;
  char path[PATH_MAX + 96];
  if (!s->wav) {
    s->channels = f->channels;
    path_of(r, s, "wav", path, sizeof path);
    if (usmrec_wav_open(&s->wav, path, s->channels, AUDIO_RATE) != 0) return stream_failed(r, s, "audio", "wav");
    note(r, "recording audio of %s to %s", s->name, path);
  }
  /* Keep the file's layout if the delivered one changes: up- or downmix. */
  int16_t buf[960 * 2];
  size_t done = 0;
  while (done < f->samples) {
    size_t n = f->samples - done;
    if (n > 960) n = 960;
    for (size_t i = 0; i < n; i++) {
      int32_t ch[2] = {0, 0};
      for (unsigned c = 0; c < f->channels; c++) {
        size_t at = (done + i) * f->channels + c;
        if (f->format == USM_SAMPLE_FLOAT) {
          float v = ((const float *)f->data)[at];
          v = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
          ch[c] = (int32_t)(v * 32767.0f);
        } else {
          ch[c] = ((const int16_t *)f->data)[at];
        }
      }
      if (f->channels == 1) ch[1] = ch[0];
      if (s->channels == 1)
        buf[i] = (int16_t)(f->channels == 2 ? (ch[0] + ch[1]) / 2 : ch[0]);
      else {
        buf[2 * i] = (int16_t)ch[0];
        buf[2 * i + 1] = (int16_t)ch[1];
      }
    }
    if (usmrec_wav_write(s->wav, buf, n) != 0) return stream_failed(r, s, "audio", "wav");
    done += n;
  }
  s->samples += f->samples;
}

/* ---- video ------------------------------------------------------------------------- */

static void on_encoded(usm_meeting *m, const usm_media_source *from, const usm_encoded_frame *f, void *user) {
  (void)m;
  recorder *r = user;
  if (f->kind != USM_MEDIA_KIND_VIDEO || !f->codec || !f->len) return;
  stream *s = find_stream(r, USM_MEDIA_KIND_VIDEO, from);
  if (!s || s->failed) return;
  int h264 = strcmp(f->codec, "H264") == 0;
  if (!h264 && strcmp(f->codec, "VP8") != 0) return;
  if (s->codec[0] && strcmp(s->codec, f->codec) != 0) return; /* one codec per file */
  if (!s->started) {
    if (!f->keyframe) return; /* a file starts decodable */
    snprintf(s->codec, sizeof s->codec, "%s", f->codec);
    s->width = f->width ? f->width : s->yw;
    s->height = f->height ? f->height : s->yh;
    char path[PATH_MAX + 96];
    if (h264) {
      path_of(r, s, "h264", path, sizeof path);
      if (!(s->h264 = fopen(path, "wb"))) return stream_failed(r, s, "video", "h264");
    } else {
      path_of(r, s, "ivf", path, sizeof path);
      /* the IVF header's size is informative; a keyframe without one gets the decoded size or 640x360 */
      unsigned w = s->width ? s->width : 640, h = s->height ? s->height : 360;
      if (usmrec_ivf_open(&s->ivf, path, "VP80", w > 65535 ? 65535 : w, h > 65535 ? 65535 : h, 90000) != 0)
        return stream_failed(r, s, "video", "ivf");
    }
    note(r, "recording video of %s to %s", s->name, path);
    s->started = 1;
    s->last_ts = f->rtp_timestamp;
  }
  /* RTP time unwrapped from the first frame (complete frames come in order) */
  s->pts += (uint32_t)(f->rtp_timestamp - s->last_ts);
  s->last_ts = f->rtp_timestamp;
  if (f->keyframe && f->width) {
    s->width = f->width;
    s->height = f->height;
  }
  if (h264) {
    if (fwrite(f->data, 1, f->len, s->h264) != f->len) return stream_failed(r, s, "video", "h264");
  } else if (usmrec_ivf_write(s->ivf, f->data, f->len, s->pts) != 0) {
    return stream_failed(r, s, "video", "ivf");
  }
  s->frames++;
  s->bytes += f->len;
}

static void on_video(usm_meeting *m, const usm_media_source *from, const usm_video_frame *f, void *user) {
  (void)m;
  recorder *r = user;
  stream *s = find_stream(r, USM_MEDIA_KIND_VIDEO, from);
  if (!s || s->failed) return;
  long now = now_ms();
  if (!s->decoded++) s->first_decoded_ms = now;
  s->yw = f->width;
  s->yh = f->height;
  char path[PATH_MAX + 96];
  if (r->y4m) {
    if (!s->y4m) {
      path_of(r, s, "y4m", path, sizeof path);
      if (usmrec_y4m_open(&s->y4m, path, f->width, f->height, Y4M_FPS) != 0)
        return stream_failed(r, s, "decoded video", "y4m");
      note(r, "recording decoded video of %s to %s (%ux%u)", s->name, path, f->width, f->height);
    }
    if (usmrec_y4m_write(s->y4m, f->plane, f->stride, f->width, f->height) == 0)
      s->y4m_frames++;
    else if (errno == EINVAL)
      s->y4m_skipped++; /* another size: a Y4M stream has one */
    else
      return stream_failed(r, s, "decoded video", "y4m");
  }
  if (!s->png_done && now - s->first_decoded_ms >= SNAPSHOT_AFTER_MS) {
    s->png_done = 1;
    path_of(r, s, "png", path, sizeof path);
    if (usmrec_png_write_i420(path, f->plane, f->stride, f->width, f->height) != 0)
      return stream_failed(r, s, "a snapshot", "png");
    note(r, "snapshot of %s's video (%ux%u) in %s", s->name, f->width, f->height, path);
  }
}

void recorder_callbacks(recorder *r, usm_media_callbacks *cb) {
  usm_media_callbacks_init(cb);
  cb->audio = on_audio;
  cb->video = on_video;
  cb->encoded = on_encoded;
  cb->user = r;
}

void recorder_close(recorder *r) {
  for (size_t i = 0; i < r->n; i++) {
    stream *s = &r->streams[i];
    errno = 0;
    if (s->wav && usmrec_wav_close(s->wav) != 0) {
      s->wav = NULL;
      stream_failed(r, s, "audio", "wav");
    }
    s->wav = NULL;
    if (s->ivf && usmrec_ivf_close(s->ivf) != 0) {
      s->ivf = NULL;
      stream_failed(r, s, "video", "ivf");
    }
    s->ivf = NULL;
    if (s->y4m && usmrec_y4m_close(s->y4m) != 0) {
      s->y4m = NULL;
      stream_failed(r, s, "decoded video", "y4m");
    }
    s->y4m = NULL;
    if (s->h264 && fclose(s->h264) != 0) {
      s->h264 = NULL;
      stream_failed(r, s, "video", "h264");
    }
    s->h264 = NULL;
  }
}

static void summary_line(FILE *out, int json, const char *path, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void summary_line(FILE *out, int json, const char *path, const char *kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (json) {
    fputs("{\"recorded\":", out);
    cli_json_string(out, path);
    fprintf(out, ",\"kind\":\"%s\",", kind);
    vfprintf(out, fmt, ap);
    fputs("}\n", out);
  } else {
    fprintf(out, "recorded %s: %s, ", path, kind);
    /* the same fields as text: "key":value -> key value */
    char buf[256];
    vsnprintf(buf, sizeof buf, fmt, ap);
    for (char *p = buf; *p; p++) {
      if (*p == '"') continue;
      fputc(*p == ':' ? ' ' : *p == ',' ? ' ' : *p, out);
    }
    fputc('\n', out);
  }
  va_end(ap);
}

void recorder_summary(const recorder *r, FILE *out, int json) {
  char path[PATH_MAX + 96];
  for (size_t i = 0; i < r->n; i++) {
    const stream *s = &r->streams[i];
    if (s->kind == USM_MEDIA_KIND_AUDIO && s->samples) {
      path_of(r, s, "wav", path, sizeof path);
      summary_line(out, json, path, "audio", "\"seconds\":%.2f,\"channels\":%u,\"rate\":%u",
                   (double)s->samples / AUDIO_RATE, s->channels, AUDIO_RATE);
    }
    if (s->kind != USM_MEDIA_KIND_VIDEO) continue;
    if (s->started) {
      path_of(r, s, strcmp(s->codec, "H264") == 0 ? "h264" : "ivf", path, sizeof path);
      summary_line(out, json, path, "video", "\"codec\":\"%s\",\"frames\":%llu,\"bytes\":%llu,\"size\":\"%ux%u\"",
                   s->codec, (unsigned long long)s->frames, (unsigned long long)s->bytes, s->width ? s->width : s->yw,
                   s->width ? s->height : s->yh);
    }
    if (s->y4m_frames) {
      path_of(r, s, "y4m", path, sizeof path);
      summary_line(out, json, path, "decoded", "\"frames\":%llu,\"skipped\":%llu",
                   (unsigned long long)s->y4m_frames, (unsigned long long)s->y4m_skipped);
    }
    if (s->png_done && !s->failed) {
      path_of(r, s, "png", path, sizeof path);
      summary_line(out, json, path, "snapshot", "\"size\":\"%ux%u\"", s->yw, s->yh);
    } else if (s->decoded && !s->failed && !json) {
      fprintf(out, "no snapshot of %s: its video lasted less than %d ms\n", s->name, SNAPSHOT_AFTER_MS);
    }
  }
  if (r->ignored_frames && !json)
    fprintf(out, "%llu frames of sources past the first %d were not recorded\n",
            (unsigned long long)r->ignored_frames, MAX_STREAMS);
}

int recorder_failures(const recorder *r) { return r->failures; }

void recorder_destroy(recorder *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) close_stream(&r->streams[i]);
  free(r);
}
