/* WAV writer (wav_writer.h). */
#include "wav_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct usmrec_wav {
  FILE *f;
  unsigned channels;
  uint64_t data_bytes;
};

#define WAV_HEADER 44u
/* RIFF sizes are 32-bit and the RIFF size counts 36 bytes of header too. */
#define WAV_MAX_DATA (0xFFFFFFFFull - 36u)

static void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void header(uint8_t h[WAV_HEADER], unsigned channels, unsigned rate, uint32_t data) {
  memcpy(h, "RIFF", 4);
  put32(h + 4, 36u + data);
  memcpy(h + 8, "WAVEfmt ", 8);
  put32(h + 16, 16);
  put16(h + 20, 1); /* PCM */
  put16(h + 22, channels);
  put32(h + 24, rate);
  put32(h + 28, rate * channels * 2u);
  put16(h + 32, channels * 2u);
  put16(h + 34, 16);
  memcpy(h + 36, "data", 4);
  put32(h + 40, data);
}

int usmrec_wav_open(usmrec_wav **out, const char *path, unsigned channels, unsigned rate) {
  if (!out || !path || channels < 1 || channels > 8 || rate < 1 || rate > 384000) {
    errno = EINVAL;
    return -1;
  }
  *out = NULL;
  usmrec_wav *w = calloc(1, sizeof *w);
  if (!w) return -1;
  w->f = fopen(path, "wb");
  if (!w->f) {
    free(w);
    return -1;
  }
  w->channels = channels;
  uint8_t h[WAV_HEADER];
  header(h, channels, rate, 0);
  if (fwrite(h, 1, sizeof h, w->f) != sizeof h) {
    int e = errno ? errno : EIO;
    fclose(w->f);
    free(w);
    errno = e;
    return -1;
  }
  *out = w;
  return 0;
}

int usmrec_wav_write(usmrec_wav *w, const int16_t *pcm, size_t samples_per_channel) {
  if (!w || (!pcm && samples_per_channel)) {
    errno = EINVAL;
    return -1;
  }
  size_t n = samples_per_channel * w->channels;
  if (samples_per_channel > SIZE_MAX / 2 / w->channels || w->data_bytes + (uint64_t)n * 2 > WAV_MAX_DATA) {
    errno = EFBIG;
    return -1;
  }
  uint8_t buf[4096];
  size_t done = 0;
  while (done < n) {
    size_t k = n - done < sizeof buf / 2 ? n - done : sizeof buf / 2;
    for (size_t i = 0; i < k; i++) put16(buf + 2 * i, (uint16_t)pcm[done + i]);
    if (fwrite(buf, 2, k, w->f) != k) {
      if (!errno) errno = EIO;
      return -1;
    }
    done += k;
    w->data_bytes += (uint64_t)k * 2;
  }
  return 0;
}

int usmrec_wav_close(usmrec_wav *w) {
  if (!w) return 0;
  int rc = 0, e = 0;
  uint8_t sizes[4];
  /* RIFF size at 4, data size at 40. */
  put32(sizes, (uint32_t)(36u + w->data_bytes));
  if (fseek(w->f, 4, SEEK_SET) != 0 || fwrite(sizes, 1, 4, w->f) != 4) rc = -1, e = errno ? errno : EIO;
  put32(sizes, (uint32_t)w->data_bytes);
  if (rc == 0 && (fseek(w->f, 40, SEEK_SET) != 0 || fwrite(sizes, 1, 4, w->f) != 4)) rc = -1, e = errno ? errno : EIO;
  if (fclose(w->f) != 0 && rc == 0) rc = -1, e = errno ? errno : EIO;
  free(w);
  if (rc) errno = e;
  return rc;
}
