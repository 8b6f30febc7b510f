/* RIFF/WAVE PCM s16 reader (wav_reader.h). */
#include "source/wav_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/reason.h"

struct usm__wav_reader {
  FILE *f;
  unsigned channels;
  long data_start;     /* file offset of the first sample */
  uint64_t data_bytes; /* whole sample frames only */
  uint64_t pos;        /* bytes of data consumed */
};

#define WAV_FORMAT_PCM 1u
#define WAV_FORMAT_EXTENSIBLE 0xFFFEu

/* KSDATAFORMAT_SUBTYPE_PCM: {00000001-0000-0010-8000-00aa00389b71}. */
static const uint8_t pcm_guid[16] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                     0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

/* Checks the fmt chunk's body (n bytes). */
static usm_err check_fmt(const uint8_t *b, size_t n, unsigned *channels, char *why, size_t ws) {
  if (n < 16) return usm__fail_why(why, ws, USM_ERR_MALFORMED, "WAV fmt chunk of %zu bytes (< 16)", n);
  unsigned tag = le16(b), ch = le16(b + 2), bits = le16(b + 14), align = le16(b + 12);
  uint32_t rate = le32(b + 4), byte_rate = le32(b + 8);
  if (tag == WAV_FORMAT_EXTENSIBLE) {
    if (n < 40 || le16(b + 16) < 22)
      return usm__fail_why(why, ws, USM_ERR_MALFORMED, "WAV extensible fmt chunk too short");
    if (memcmp(b + 24, pcm_guid, 16) != 0)
      return usm__fail_why(why, ws, USM_ERR_INVALID_ARG, "WAV extensible subformat is not PCM (float or compressed?)");
  } else if (tag != WAV_FORMAT_PCM) {
    return usm__fail_why(why, ws, USM_ERR_INVALID_ARG, "WAV format tag %u is not PCM (1)", tag);
  }
  if (bits != 16) return usm__fail_why(why, ws, USM_ERR_INVALID_ARG, "WAV has %u-bit samples; only 16-bit PCM", bits);
  if (rate != 48000) return usm__fail_why(why, ws, USM_ERR_INVALID_ARG, "WAV rate %lu Hz; only 48000 Hz", (unsigned long)rate);
  if (ch != 1 && ch != 2) return usm__fail_why(why, ws, USM_ERR_INVALID_ARG, "WAV has %u channels; only 1 or 2", ch);
  if (align != ch * 2u || byte_rate != rate * align)
    return usm__fail_why(why, ws, USM_ERR_MALFORMED, "WAV fmt block align / byte rate inconsistent");
  *channels = ch;
  return USM_OK;
}

usm_err usm__wav_open_why(const char *path, usm__wav_reader **out, char *why, size_t ws) {
  if (why && ws) why[0] = '\0';
  if (!out) return usm__fail_why(why, ws, USM_ERR_INVALID_ARG, "no output");
  *out = NULL;
  if (!path || !*path) return usm__fail_why(why, ws, USM_ERR_INVALID_ARG, "no path");
  FILE *f = fopen(path, "rb");
  if (!f) return usm__fail_why(why, ws, USM_ERR_NOT_FOUND, "cannot open %s: %s", path, strerror(errno));
  usm_err e = USM_OK;
  long file_len = -1;
  if (fseek(f, 0, SEEK_END) == 0) file_len = ftell(f);
  if (file_len < 0 || fseek(f, 0, SEEK_SET) != 0) {
    e = usm__fail_why(why, ws, USM_ERR_NOT_FOUND, "%s is not a seekable file", path);
    goto out;
  }
  uint8_t h[12];
  if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0) {
    e = usm__fail_why(why, ws, USM_ERR_MALFORMED, "%s is not a RIFF/WAVE file", path);
    goto out;
  }
  unsigned channels = 0;
  long at = 12;
  for (unsigned i = 0;; i++) {
    uint8_t c[8];
    if (i >= USM__WAV_MAX_CHUNKS) {
      e = usm__fail_why(why, ws, USM_ERR_MALFORMED, "WAV: no data chunk within %u chunks", USM__WAV_MAX_CHUNKS);
      goto out;
    }
    if (fseek(f, at, SEEK_SET) != 0 || fread(c, 1, 8, f) != 8) {
      e = usm__fail_why(why, ws, USM_ERR_MALFORMED, "WAV: %s", channels ? "no data chunk" : "no fmt chunk");
      goto out;
    }
    uint32_t size = le32(c + 4);
    long body = at + 8;
    uint64_t left = (uint64_t)(file_len - body);
    if (memcmp(c, "fmt ", 4) == 0) {
      uint8_t b[40];
      if (channels) {
        e = usm__fail_why(why, ws, USM_ERR_MALFORMED, "WAV: two fmt chunks");
        goto out;
      }
      if (size > left || size > 1024) {
        e = usm__fail_why(why, ws, USM_ERR_MALFORMED, "WAV: fmt chunk of %lu bytes", (unsigned long)size);
        goto out;
      }
      size_t n = size < sizeof b ? size : sizeof b;
      if (fread(b, 1, n, f) != n) {
        e = usm__fail_why(why, ws, USM_ERR_MALFORMED, "WAV: truncated fmt chunk");
        goto out;
      }
      if ((e = check_fmt(b, n, &channels, why, ws)) != USM_OK) goto out;
    } else if (memcmp(c, "data", 4) == 0) {
      if (!channels) {
        e = usm__fail_why(why, ws, USM_ERR_MALFORMED, "WAV: data chunk before fmt");
        goto out;
      }
      /* Streaming writers leave the size at 0 or 0xFFFFFFFF, and a file may
       * be cut short: take what the file really holds. */
      uint64_t n = (size == 0 || size == 0xFFFFFFFFu || size > left) ? left : size;
      usm__wav_reader *r = calloc(1, sizeof *r);
      if (!r) {
        e = usm__fail_why(why, ws, USM_ERR_NO_MEMORY, "out of memory");
        goto out;
      }
      r->f = f;
      r->channels = channels;
      r->data_start = body;
      r->data_bytes = n - n % (2u * channels);
      *out = r;
      return USM_OK;
    }
    /* Any other chunk is skipped, padded to an even size. */
    uint64_t skip = (uint64_t)size + (size & 1u);
    if (skip > left) {
      e = usm__fail_why(why, ws, USM_ERR_MALFORMED, "WAV: chunk of %lu bytes beyond the end of the file", (unsigned long)size);
      goto out;
    }
    at = body + (long)skip;
  }
out:
  fclose(f);
  return e;
}

usm_err usm__wav_open(const char *path, usm__wav_reader **out) { return usm__wav_open_why(path, out, NULL, 0); }

size_t usm__wav_read(usm__wav_reader *r, int16_t *pcm, size_t samples_per_channel) {
  if (!r || !pcm || samples_per_channel == 0) return 0;
  size_t frame = 2u * r->channels;
  uint64_t left = (r->data_bytes - r->pos) / frame;
  size_t want = samples_per_channel < left ? samples_per_channel : (size_t)left;
  if (want == 0) return 0;
  uint8_t *bytes = (uint8_t *)pcm;
  size_t got = fread(bytes, frame, want, r->f);
  r->pos += (uint64_t)got * frame;
  /* Little-endian on disk: convert in place (a no-op copy on LE hosts). */
  size_t n = got * r->channels;
  for (size_t i = 0; i < n; i++) {
    uint16_t u = le16(bytes + 2 * i);
    int16_t s;
    memcpy(&s, &u, sizeof s);
    pcm[i] = s;
  }
  return got;
}

usm_err usm__wav_rewind(usm__wav_reader *r) {
  if (!r) return USM_ERR_INVALID_ARG;
  if (fseek(r->f, r->data_start, SEEK_SET) != 0) return USM_ERR_INTERNAL;
  r->pos = 0;
  return USM_OK;
}

unsigned usm__wav_channels(const usm__wav_reader *r) { return r ? r->channels : 0; }

uint64_t usm__wav_length(const usm__wav_reader *r) { return r ? r->data_bytes / (2u * r->channels) : 0; }

void usm__wav_close(usm__wav_reader *r) {
  if (!r) return;
  fclose(r->f);
  free(r);
}
