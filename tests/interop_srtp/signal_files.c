/* The test signals as files: see signal_files.h. */
#include "signal_files.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal_check.h"
#include "source/test_signal.h"
#include "source/wav_reader.h"
#include "source/y4m_reader.h"
#include "wav_writer.h"
#include "y4m_writer.h"

#define RATE 48000
#define MAX_SECONDS 60 /* longest file written or measured */

int sigfile_write_tone(const char *path, double seconds) {
  if (seconds <= 0 || seconds > MAX_SECONDS) return -1;
  usmrec_wav *w = NULL;
  if (usmrec_wav_open(&w, path, 1, RATE) != 0) {
    perror(path);
    return -1;
  }
  int16_t pcm[960];
  uint64_t total = (uint64_t)(seconds * RATE), done = 0;
  int rc = 0;
  while (done < total && rc == 0) {
    size_t n = total - done < 960 ? (size_t)(total - done) : 960;
    usm__tone_fill(done, pcm, 1, n);
    rc = usmrec_wav_write(w, pcm, n);
    done += n;
  }
  if (usmrec_wav_close(w) != 0) rc = -1;
  if (rc != 0) perror(path);
  return rc;
}

int sigfile_write_pattern(const char *path, unsigned w, unsigned h, unsigned fps, double seconds) {
  if (seconds <= 0 || seconds > MAX_SECONDS || fps == 0 || fps > 60 || w < USM__PATTERN_MIN_SIZE ||
      h < USM__PATTERN_MIN_SIZE || w > 1920 || h > 1080 || (w | h) & 1)
    return -1;
  uint8_t *buf = malloc((size_t)w * h * 3 / 2);
  usmrec_y4m *y = NULL;
  if (!buf || usmrec_y4m_open(&y, path, w, h, fps) != 0) {
    perror(path);
    free(buf);
    return -1;
  }
  uint8_t *pl[3] = {buf, buf + (size_t)w * h, buf + (size_t)w * h + (size_t)(w / 2) * (h / 2)};
  int st[3] = {(int)w, (int)w / 2, (int)w / 2};
  const uint8_t *const cpl[3] = {pl[0], pl[1], pl[2]};
  unsigned frames = (unsigned)(seconds * fps);
  int rc = 0;
  for (unsigned f = 0; f < frames && rc == 0; f++) {
    usm__pattern_draw(pl, st, w, h, f);
    rc = usmrec_y4m_write(y, cpl, st, w, h);
  }
  if (usmrec_y4m_close(y) != 0) rc = -1;
  if (rc != 0) perror(path);
  free(buf);
  return rc;
}

int sigfile_measure_tone(const char *path, size_t skip, char *json, size_t cap) {
  usm__wav_reader *r = NULL;
  char why[128] = "";
  if (usm__wav_open_why(path, &r, why, sizeof why) != USM_OK) {
    snprintf(json, cap, "{\"file\":\"%s\",\"error\":\"%s\",\"pass\":false}", path, why);
    return -1;
  }
  unsigned ch = usm__wav_channels(r);
  size_t cap_n = (size_t)RATE * MAX_SECONDS, n = 0;
  int16_t *mono = malloc(cap_n * sizeof *mono);
  int16_t buf[960 * 2];
  size_t got;
  while (mono && n < cap_n && (got = usm__wav_read(r, buf, 960)) > 0)
    for (size_t i = 0; i < got && n < cap_n; i++) mono[n++] = buf[i * ch];
  usm__wav_close(r);
  if (!mono) return -1;
  sigcheck_audio a;
  sigcheck_tone(mono, n, skip, &a);
  free(mono);
  char body[512];
  sigcheck_audio_json(&a, body, sizeof body);
  snprintf(json, cap, "{\"file\":\"%s\",\"seconds\":%.2f,%s,\"pass\":%s}", path, (double)n / RATE, body,
           a.ok ? "true" : "false");
  return a.ok ? 0 : 1;
}

static int measure_raw(FILE *f, sigcheck_video *v, unsigned w, unsigned h) {
  size_t ysz = (size_t)w * h, csz = (size_t)(w / 2) * (h / 2), frame = ysz + 2 * csz;
  uint8_t *buf = malloc(frame);
  if (!buf) return -1;
  const uint8_t *const pl[3] = {buf, buf + ysz, buf + ysz + csz};
  const int st[3] = {(int)w, (int)w / 2, (int)w / 2};
  while (fread(buf, 1, frame, f) == frame) sigcheck_picture(v, pl, st, w, h);
  free(buf);
  return 0;
}

int sigfile_measure_pattern(const char *path, int raw, unsigned w, unsigned h, unsigned min_pictures, char *json,
                            size_t cap) {
  sigcheck_video v;
  if (w < USM__PATTERN_MIN_SIZE || h < USM__PATTERN_MIN_SIZE || w > 3840 || h > 2160 || (w | h) & 1 ||
      sigcheck_video_init(&v, w, h) != 0)
    return -1;
  char why[128] = "";
  int truncated = 0, rc = 0;
  if (raw) {
    FILE *f = fopen(path, "rb");
    if (!f) {
      snprintf(why, sizeof why, "cannot open");
      rc = -1;
    } else {
      rc = measure_raw(f, &v, w, h);
      fclose(f);
    }
  } else {
    usm__y4m_reader *r = NULL;
    if (usm__y4m_open_why(path, &r, why, sizeof why) != USM_OK) {
      rc = -1;
    } else {
      uint8_t *pl[3];
      int st[3];
      int got;
      unsigned rw = usm__y4m_width(r), rh = usm__y4m_height(r);
      while ((got = usm__y4m_read(r, pl, st)) == 1) {
        const uint8_t *const cpl[3] = {pl[0], pl[1], pl[2]};
        sigcheck_picture(&v, cpl, st, rw, rh);
      }
      truncated = got < 0; /* a peer stopped by a signal may leave half a picture */
      usm__y4m_close(r);
    }
  }
  if (rc != 0) {
    snprintf(json, cap, "{\"file\":\"%s\",\"error\":\"%s\",\"pass\":false}", path, why);
    sigcheck_video_free(&v);
    return -1;
  }
  int ok = sigcheck_video_ok(&v, min_pictures);
  char body[768];
  sigcheck_video_json(&v, body, sizeof body);
  snprintf(json, cap, "{\"file\":\"%s\",%s,\"truncated_tail\":%s,\"min_pictures\":%u,\"pass\":%s}", path, body,
           truncated ? "true" : "false", min_pictures, ok ? "true" : "false");
  sigcheck_video_free(&v);
  return ok ? 0 : 1;
}
