/* The WAV and Y4M readers against files the usm_record writers made (round
 * trip), broken and hostile files (clean errors), and ffmpeg's files; the
 * IVF and PNG writers re-read; the PSNR and aligned-SNR measures. */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ivf_writer.h"
#include "png_writer.h"
#include "quality.h"
#include "source/test_signal.h"
#include "source/wav_reader.h"
#include "source/y4m_reader.h"
#include "wav_writer.h"
#include "y4m_writer.h"

static char dir[64];

static const char *tmp(const char *name) {
  static char path[4][128];
  static int k;
  k = (k + 1) % 4;
  snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
  return path[k];
}

static int write_bytes(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(p, 1, n, f);
  return fclose(f) == 0 && w == n ? 0 : -1;
}

static long file_size(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

static void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* ---- WAV -------------------------------------------------------------------------- */

static void test_wav_round_trip(void) {
  for (unsigned ch = 1; ch <= 2; ch++) {
    const size_t n = 48000 + 123;
    int16_t *pcm = malloc(n * ch * sizeof *pcm), *back = malloc(n * ch * sizeof *back);
    if (!pcm || !back) return;
    for (size_t i = 0; i < n; i++)
      for (unsigned c = 0; c < ch; c++) pcm[i * ch + c] = (int16_t)(usm__tone_sample(i) * (c ? -1 : 1));
    usmrec_wav *w = NULL;
    const char *path = tmp(ch == 1 ? "mono.wav" : "stereo.wav");
    CHECK_INT(usmrec_wav_open(&w, path, ch, 48000), 0);
    CHECK_INT(usmrec_wav_write(w, pcm, 1000), 0);
    CHECK_INT(usmrec_wav_write(w, pcm + 1000 * ch, n - 1000), 0);
    CHECK_INT(usmrec_wav_close(w), 0);
    CHECK_INT(file_size(path), 44 + (long)(n * ch * 2));

    usm__wav_reader *r = NULL;
    CHECK_INT(usm__wav_open(path, &r), USM_OK);
    if (!r) return;
    CHECK_INT(usm__wav_channels(r), ch);
    CHECK_INT(usm__wav_length(r), n);
    size_t got = 0, k;
    while ((k = usm__wav_read(r, back + got * ch, 960)) > 0) got += k;
    CHECK_INT(got, n);
    CHECK(memcmp(pcm, back, n * ch * sizeof *pcm) == 0);
    CHECK_INT(usm__wav_read(r, back, 960), 0);
    CHECK_INT(usm__wav_rewind(r), USM_OK);
    CHECK_INT(usm__wav_read(r, back, 10), 10);
    CHECK(memcmp(pcm, back, 10 * ch * sizeof *pcm) == 0);
    usm__wav_close(r);
    free(pcm);
    free(back);
  }
  usm__wav_close(NULL);
  usmrec_wav *w = NULL;
  errno = 0;
  CHECK_INT(usmrec_wav_open(&w, tmp("x.wav"), 0, 48000), -1);
  CHECK_INT(errno, EINVAL);
  CHECK_INT(usmrec_wav_open(&w, "/nonexistent-dir/x.wav", 1, 48000), -1);
  CHECK_INT(usmrec_wav_close(NULL), 0);
}

/* A WAV header: fmt body of fmt_len bytes (16 or 40), optional extra chunk. */
static size_t wav_header(uint8_t *h, unsigned tag, unsigned ch, uint32_t rate, unsigned bits, int extensible_pcm,
                         uint32_t data_len) {
  size_t fmt_len = tag == 0xFFFE ? 40 : 16;
  memcpy(h, "RIFF", 4);
  memcpy(h + 8, "WAVEfmt ", 8);
  put32(h + 16, (uint32_t)fmt_len);
  put16(h + 20, tag);
  put16(h + 22, ch);
  put32(h + 24, rate);
  put32(h + 28, rate * ch * bits / 8);
  put16(h + 32, ch * bits / 8);
  put16(h + 34, bits);
  size_t at = 36;
  if (tag == 0xFFFE) {
    static const uint8_t pcm_guid[16] = {1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71};
    put16(h + 36, 22);
    put16(h + 38, bits);
    put32(h + 40, ch == 2 ? 3 : 4);
    memcpy(h + 44, pcm_guid, 16);
    if (!extensible_pcm) h[44] = 3; /* IEEE float */
    at = 60;
  }
  memcpy(h + at, "data", 4);
  put32(h + at + 4, data_len);
  put32(h + 4, (uint32_t)(at + 8 - 8 + data_len));
  return at + 8;
}

static usm_err wav_try(const char *name, const uint8_t *b, size_t n, char *why, size_t ws, uint64_t *len) {
  const char *path = tmp(name);
  if (write_bytes(path, b, n) != 0) return USM_ERR_INTERNAL;
  usm__wav_reader *r = NULL;
  usm_err e = usm__wav_open_why(path, &r, why, ws);
  if (len) *len = usm__wav_length(r);
  if (e == USM_OK) {
    /* Whatever it holds can be read to the end. */
    int16_t pcm[2 * 960];
    while (usm__wav_read(r, pcm, 960) > 0) {
    }
  } else {
    CHECK(r == NULL);
  }
  usm__wav_close(r);
  return e;
}

static void test_wav_bad(void) {
  uint8_t b[4096];
  char why[256];
  uint64_t len = 0;
  memset(b, 0, sizeof b);
  usm__wav_reader *r = NULL;
  CHECK_INT(usm__wav_open(tmp("missing.wav"), &r), USM_ERR_NOT_FOUND);
  CHECK_INT(usm__wav_open(NULL, &r), USM_ERR_INVALID_ARG);

  /* Accepted: format 1 and extensible PCM. */
  size_t h = wav_header(b, 1, 1, 48000, 16, 0, 200);
  CHECK_INT(wav_try("ok.wav", b, h + 200, why, sizeof why, &len), USM_OK);
  CHECK_INT(len, 100);
  h = wav_header(b, 0xFFFE, 2, 48000, 16, 1, 400);
  CHECK_INT(wav_try("ext.wav", b, h + 400, why, sizeof why, &len), USM_OK);
  CHECK_INT(len, 100);

  /* Well-formed, not accepted: INVALID_ARG with a reason. */
  h = wav_header(b, 0xFFFE, 2, 48000, 16, 0, 400);
  CHECK_INT(wav_try("extfloat.wav", b, h + 400, why, sizeof why, NULL), USM_ERR_INVALID_ARG);
  CHECK(strstr(why, "subformat") != NULL);
  h = wav_header(b, 3, 1, 48000, 32, 0, 400);
  CHECK_INT(wav_try("float.wav", b, h + 400, why, sizeof why, NULL), USM_ERR_INVALID_ARG);
  CHECK(strstr(why, "format tag 3") != NULL);
  h = wav_header(b, 1, 1, 44100, 16, 0, 400);
  CHECK_INT(wav_try("44k.wav", b, h + 400, why, sizeof why, NULL), USM_ERR_INVALID_ARG);
  CHECK(strstr(why, "44100") != NULL);
  h = wav_header(b, 1, 3, 48000, 16, 0, 600);
  CHECK_INT(wav_try("3ch.wav", b, h + 600, why, sizeof why, NULL), USM_ERR_INVALID_ARG);
  CHECK(strstr(why, "3 channels") != NULL);
  h = wav_header(b, 1, 1, 48000, 8, 0, 400);
  CHECK_INT(wav_try("8bit.wav", b, h + 400, why, sizeof why, NULL), USM_ERR_INVALID_ARG);
  CHECK(strstr(why, "8-bit") != NULL);
  printf("wav: e.g. \"%s\"\n", why);

  /* Broken: MALFORMED. */
  CHECK_INT(wav_try("empty.wav", b, 0, why, sizeof why, NULL), USM_ERR_MALFORMED);
  CHECK_INT(wav_try("short.wav", (const uint8_t *)"RIFF", 4, why, sizeof why, NULL), USM_ERR_MALFORMED);
  h = wav_header(b, 1, 1, 48000, 16, 0, 200);
  CHECK_INT(wav_try("trunc_fmt.wav", b, 30, why, sizeof why, NULL), USM_ERR_MALFORMED);
  CHECK_INT(wav_try("no_data.wav", b, 36, why, sizeof why, NULL), USM_ERR_MALFORMED);
  memcpy(b + 8, "AVI ", 4);
  CHECK_INT(wav_try("avi.wav", b, h + 200, why, sizeof why, NULL), USM_ERR_MALFORMED);
  h = wav_header(b, 1, 1, 48000, 16, 0, 200);
  put16(b + 32, 4); /* block align of stereo in a mono file */
  CHECK_INT(wav_try("align.wav", b, h + 200, why, sizeof why, NULL), USM_ERR_MALFORMED);
  h = wav_header(b, 1, 1, 48000, 16, 0, 200);
  put32(b + 16, 0xFFFFFFF0u); /* fmt chunk larger than the file */
  CHECK_INT(wav_try("bigfmt.wav", b, h + 200, why, sizeof why, NULL), USM_ERR_MALFORMED);
  put32(b + 16, 12);
  CHECK_INT(wav_try("smallfmt.wav", b, h + 200, why, sizeof why, NULL), USM_ERR_MALFORMED);
  /* data before fmt */
  memcpy(b, "RIFF\0\0\0\0WAVEdata\x04\0\0\0\0\0\0\0", 24);
  CHECK_INT(wav_try("data_first.wav", b, 24, why, sizeof why, NULL), USM_ERR_MALFORMED);

  /* Unknown chunks are skipped (odd sizes padded); one that runs past the
   * end of the file is refused; endless tiny chunks stop at the bound. */
  uint8_t c[4096];
  memset(c, 0, sizeof c);
  memcpy(c, "RIFF\0\0\0\0WAVE", 12);
  memcpy(c + 12, "LIST", 4);
  put32(c + 16, 5); /* odd: 1 pad byte */
  memcpy(c + 26, "fmt ", 4);
  h = wav_header(b, 1, 1, 48000, 16, 0, 20);
  memcpy(c + 26, b + 12, h - 12);
  size_t total = 26 + h - 12 + 20;
  CHECK_INT(wav_try("list.wav", c, total, why, sizeof why, &len), USM_OK);
  CHECK_INT(len, 10);
  put32(c + 16, 0x7FFFFFFF);
  CHECK_INT(wav_try("list_big.wav", c, total, why, sizeof why, NULL), USM_ERR_MALFORMED);
  memset(c, 0, sizeof c);
  memcpy(c, "RIFF\0\0\0\0WAVE", 12);
  for (size_t at = 12; at + 8 <= 12 + 100 * 8; at += 8) memcpy(c + at, "junk", 4);
  CHECK_INT(wav_try("junk.wav", c, 12 + 100 * 8, why, sizeof why, NULL), USM_ERR_MALFORMED);
  CHECK(strstr(why, "64 chunks") != NULL);

  /* A data size bigger than the file (cut short), 0xFFFFFFFF (streaming)
   * or an odd byte count: what the file holds, whole samples only. */
  h = wav_header(b, 1, 2, 48000, 16, 0, 4000);
  CHECK_INT(wav_try("cut.wav", b, h + 1001, why, sizeof why, &len), USM_OK);
  CHECK_INT(len, 250);
  h = wav_header(b, 1, 1, 48000, 16, 0, 0xFFFFFFFFu);
  CHECK_INT(wav_try("stream.wav", b, h + 64, why, sizeof why, &len), USM_OK);
  CHECK_INT(len, 32);

  /* Random garbage, with and without a RIFF/WAVE start: never crashes. */
  uint64_t s = 0x1234567;
  int refused = 0;
  for (int t = 0; t < 200; t++) {
    size_t n = 12 + (size_t)(t * 13) % 500;
    for (size_t i = 0; i < n; i++) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      c[i] = (uint8_t)s;
    }
    if (t & 1) memcpy(c, "RIFF\0\0\0\0WAVEfmt ", 16);
    refused += wav_try("garbage.wav", c, n, NULL, 0, NULL) != USM_OK;
  }
  CHECK_INT(refused, 200);
}

/* ---- Y4M -------------------------------------------------------------------------- */

typedef struct pic {
  uint8_t *buf, *plane[3];
  int stride[3];
} pic;

static pic pic_alloc(unsigned w, unsigned h) {
  pic p;
  p.buf = malloc((size_t)w * h * 3 / 2);
  p.plane[0] = p.buf;
  p.plane[1] = p.buf + (size_t)w * h;
  p.plane[2] = p.plane[1] + (size_t)w * h / 4;
  p.stride[0] = (int)w;
  p.stride[1] = p.stride[2] = (int)w / 2;
  return p;
}

static void test_y4m_round_trip(void) {
  const unsigned w = 320, h = 240;
  pic p = pic_alloc(w, h);
  if (!p.buf) return;
  usmrec_y4m *y = NULL;
  const char *path = tmp("pattern.y4m");
  CHECK_INT(usmrec_y4m_open(&y, path, w, h, 25), 0);
  for (uint32_t i = 0; i < 5; i++) {
    usm__pattern_draw(p.plane, p.stride, w, h, 100 + i);
    CHECK_INT(usmrec_y4m_write(y, (const uint8_t *const *)p.plane, p.stride, w, h), 0);
  }
  errno = 0;
  CHECK_INT(usmrec_y4m_write(y, (const uint8_t *const *)p.plane, p.stride, 160, 120), -1);
  CHECK_INT(errno, EINVAL);
  CHECK_INT(usmrec_y4m_close(y), 0);

  usm__y4m_reader *r = NULL;
  CHECK_INT(usm__y4m_open(path, &r), USM_OK);
  if (!r) return;
  CHECK_INT(usm__y4m_width(r), w);
  CHECK_INT(usm__y4m_height(r), h);
  unsigned num = 0, den = 0;
  usm__y4m_fps(r, &num, &den);
  CHECK_INT(num, 25);
  CHECK_INT(den, 1);
  for (int pass = 0; pass < 2; pass++) {
    uint8_t *plane[3];
    int stride[3];
    for (uint32_t i = 0; i < 5; i++) {
      CHECK_INT(usm__y4m_read(r, plane, stride), 1);
      uint32_t n = 0;
      CHECK_INT(usm__pattern_read((const uint8_t *const *)plane, stride, w, h, &n), 1);
      CHECK_INT(n, 100 + i);
      usm__pattern_draw(p.plane, p.stride, w, h, 100 + i);
      CHECK(memcmp(plane[0], p.plane[0], (size_t)w * h * 3 / 2) == 0);
      CHECK(memcmp(plane[2], p.plane[2], (size_t)w * h / 4) == 0);
    }
    CHECK_INT(usm__y4m_read(r, plane, stride), 0);
    CHECK_INT(usm__y4m_rewind(r), USM_OK);
  }
  usm__y4m_close(r);
  usm__y4m_close(NULL);

  /* A truncated last frame is an error, the frames before it are fine. */
  long size = file_size(path);
  CHECK(truncate(path, size - 100) == 0);
  CHECK_INT(usm__y4m_open(path, &r), USM_OK);
  if (r) {
    uint8_t *plane[3];
    int stride[3];
    for (int i = 0; i < 4; i++) CHECK_INT(usm__y4m_read(r, plane, stride), 1);
    CHECK_INT(usm__y4m_read(r, plane, stride), -1);
    usm__y4m_close(r);
  }
  free(p.buf);
  CHECK_INT(usmrec_y4m_open(&y, tmp("odd.y4m"), 321, 240, 25), -1);
  CHECK_INT(usmrec_y4m_close(NULL), 0);
}

static usm_err y4m_try(const char *text, size_t n, char *why, size_t ws, int *first_read) {
  const char *path = tmp("t.y4m");
  if (write_bytes(path, text, n) != 0) return USM_ERR_INTERNAL;
  usm__y4m_reader *r = NULL;
  usm_err e = usm__y4m_open_why(path, &r, why, ws);
  if (e == USM_OK && first_read) {
    uint8_t *plane[3];
    int stride[3];
    *first_read = usm__y4m_read(r, plane, stride);
  }
  if (e != USM_OK) CHECK(r == NULL);
  usm__y4m_close(r);
  return e;
}

static usm_err y4m_hdr(const char *hdr, char *why, size_t ws) { return y4m_try(hdr, strlen(hdr), why, ws, NULL); }

static void test_y4m_bad(void) {
  char why[256];
  usm__y4m_reader *r = NULL;
  CHECK_INT(usm__y4m_open(tmp("missing.y4m"), &r), USM_ERR_NOT_FOUND);
  /* Accepted headers. */
  CHECK_INT(y4m_hdr("YUV4MPEG2 W16 H16 F30:1\n", why, sizeof why), USM_OK);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W3840 H2160 F30000:1001 Ip A1:1 C420paligned XYSCSS=420JPEG\n", why, sizeof why), USM_OK);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64 F1:1 C420mpeg2\n", why, sizeof why), USM_OK);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64 F120:1 C420jpeg\n", why, sizeof why), USM_OK);
  CHECK_INT(y4m_hdr("YUV4MPEG2 C420 W64 H64 F25:1\n", why, sizeof why), USM_OK);
  /* Well-formed, not accepted. */
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64 F30:1 C444\n", why, sizeof why), USM_ERR_INVALID_ARG);
  CHECK(strstr(why, "C444") != NULL);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64 F30:1 C420p10\n", why, sizeof why), USM_ERR_INVALID_ARG);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64 F30:1 Cmono\n", why, sizeof why), USM_ERR_INVALID_ARG);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W3842 H64 F30:1\n", why, sizeof why), USM_ERR_INVALID_ARG);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H2162 F30:1\n", why, sizeof why), USM_ERR_INVALID_ARG);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W14 H64 F30:1\n", why, sizeof why), USM_ERR_INVALID_ARG);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W65 H64 F30:1\n", why, sizeof why), USM_ERR_INVALID_ARG);
  CHECK(strstr(why, "65x64") != NULL);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64 F1:2\n", why, sizeof why), USM_ERR_INVALID_ARG);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64 F121:1\n", why, sizeof why), USM_ERR_INVALID_ARG);
  printf("y4m: e.g. \"%s\"\n", why);
  /* Broken. */
  CHECK_INT(y4m_hdr("", why, sizeof why), USM_ERR_MALFORMED);
  CHECK_INT(y4m_hdr("YUV4MPEG W64 H64 F30:1\n", why, sizeof why), USM_ERR_MALFORMED);
  CHECK_INT(y4m_hdr("YUV4MPEG2X W64 H64 F30:1\n", why, sizeof why), USM_ERR_MALFORMED);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64 F30:1", why, sizeof why), USM_ERR_MALFORMED); /* no newline */
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64\n", why, sizeof why), USM_ERR_MALFORMED);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 F30:1\n", why, sizeof why), USM_ERR_MALFORMED);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W-64 H64 F30:1\n", why, sizeof why), USM_ERR_MALFORMED);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W H64 F30:1\n", why, sizeof why), USM_ERR_MALFORMED);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W99999999999999999999 H64 F30:1\n", why, sizeof why), USM_ERR_MALFORMED);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64 F30\n", why, sizeof why), USM_ERR_MALFORMED);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64 F30:0\n", why, sizeof why), USM_ERR_MALFORMED);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64 F:1\n", why, sizeof why), USM_ERR_MALFORMED);
  CHECK_INT(y4m_hdr("YUV4MPEG2 W64 H64 F30:1 Z7\n", why, sizeof why), USM_ERR_MALFORMED);
  char big[2100];
  memset(big, ' ', sizeof big);
  memcpy(big, "YUV4MPEG2 W64 H64 F30:1", 23);
  big[sizeof big - 1] = '\n';
  CHECK_INT(y4m_try(big, sizeof big, why, sizeof why, NULL), USM_ERR_MALFORMED);

  /* Frame headers: bad ones are an error, parameters are fine, a clean end is 0. */
  int rd = 9;
  static const char hdr[] = "YUV4MPEG2 W16 H16 F30:1\n";
  char buf[1024];
  size_t hl = strlen(hdr), fb = 16 * 16 * 3 / 2;
  memcpy(buf, hdr, hl);
  memcpy(buf + hl, "FRAME Ixyz\n", 11);
  memset(buf + hl + 11, 0x80, fb);
  CHECK_INT(y4m_try(buf, hl + 11 + fb, why, sizeof why, &rd), USM_OK);
  CHECK_INT(rd, 1);
  CHECK_INT(y4m_try(buf, hl, why, sizeof why, &rd), USM_OK);
  CHECK_INT(rd, 0);
  memcpy(buf + hl, "FRAMX\n", 6);
  CHECK_INT(y4m_try(buf, hl + 6 + fb, why, sizeof why, &rd), USM_OK);
  CHECK_INT(rd, -1);
  memcpy(buf + hl, "FRAME", 5); /* no newline, EOF */
  CHECK_INT(y4m_try(buf, hl + 5, why, sizeof why, &rd), USM_OK);
  CHECK_INT(rd, -1);
  memset(buf + hl, 'F', 400); /* an endless frame header */
  CHECK_INT(y4m_try(buf, hl + 400, why, sizeof why, &rd), USM_OK);
  CHECK_INT(rd, -1);
}

/* ---- ffmpeg's files --------------------------------------------------------------- */

static void test_ffmpeg(void) {
  if (system("command -v ffmpeg >/dev/null 2>&1") != 0) {
    printf("ffmpeg: not installed, skipped\n");
    return;
  }
  char cmd[512];
  const char *wav = tmp("ff.wav"), *y4m = tmp("ff.y4m"), *wav44 = tmp("ff44.wav");
  snprintf(cmd, sizeof cmd,
           "ffmpeg -nostdin -loglevel error -y -f lavfi -i sine=frequency=440:duration=1 -ar 48000 -ac 1 %s && "
           "ffmpeg -nostdin -loglevel error -y -f lavfi -i sine=frequency=440:duration=1 -ar 44100 -ac 2 %s && "
           "ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=30 -frames 5 -pix_fmt yuv420p %s",
           wav, wav44, y4m);
  int rc = system(cmd);
  CHECK_INT(rc, 0);
  if (rc != 0) return;
  usm__wav_reader *r = NULL;
  CHECK_INT(usm__wav_open(wav, &r), USM_OK);
  if (r) {
    CHECK_INT(usm__wav_channels(r), 1);
    CHECK_INT(usm__wav_length(r), 48000);
    static int16_t pcm[48000];
    CHECK_INT(usm__wav_read(r, pcm, 48000), 48000);
    /* ffmpeg's sine (amplitude 1/8) against our 440 Hz tone, beep skipped. */
    size_t lag = 0;
    double corr = 0;
    static int16_t ref[4800];
    for (size_t i = 0; i < 4800; i++) ref[i] = usm__tone_sample(USM__TONE_BEEP_SAMPLES + i);
    double snr = usmrec_align_snr(ref, 4800, pcm, 48000, 1200, &lag, &corr);
    printf("ffmpeg sine vs the tone: lag %zu, corr %.4f, SNR %.1f dB\n", lag, corr, snr);
    CHECK(corr > 0.999);
    CHECK(snr > 40);
    CHECK_INT(lag % 1200, 0); /* both start at phase 0; 440 Hz repeats every 1200 samples */
    usm__wav_close(r);
  }
  char why[256];
  CHECK_INT(usm__wav_open_why(wav44, &r, why, sizeof why), USM_ERR_INVALID_ARG);
  CHECK(strstr(why, "44100") != NULL);
  usm__y4m_reader *y = NULL;
  CHECK_INT(usm__y4m_open(y4m, &y), USM_OK);
  if (y) {
    CHECK_INT(usm__y4m_width(y), 320);
    CHECK_INT(usm__y4m_height(y), 240);
    unsigned num, den;
    usm__y4m_fps(y, &num, &den);
    CHECK_INT(num, 30);
    CHECK_INT(den, 1);
    uint8_t *plane[3];
    int stride[3];
    int frames = 0;
    while (usm__y4m_read(y, plane, stride) == 1) frames++;
    CHECK_INT(frames, 5);
    usm__y4m_close(y);
  }
}

/* ---- IVF, PNG --------------------------------------------------------------------- */

static void test_ivf(void) {
  usmrec_ivf *f = NULL;
  const char *path = tmp("v.ivf");
  CHECK_INT(usmrec_ivf_open(&f, path, "VP80", 640, 360, 90000), 0);
  const uint8_t a[3] = {1, 2, 3}, b[5] = {4, 5, 6, 7, 8};
  CHECK_INT(usmrec_ivf_write(f, a, sizeof a, 0), 0);
  CHECK_INT(usmrec_ivf_write(f, b, sizeof b, 0x100000003ull), 0);
  errno = 0;
  CHECK_INT(usmrec_ivf_write(f, b, 0, 1), -1);
  CHECK_INT(errno, EINVAL);
  CHECK_INT(usmrec_ivf_close(f), 0);
  uint8_t got[128];
  FILE *fp = fopen(path, "rb");
  size_t n = fp ? fread(got, 1, sizeof got, fp) : 0;
  if (fp) fclose(fp);
  CHECK_INT(n, 32 + 12 + 3 + 12 + 5);
  CHECK(memcmp(got, "DKIF", 4) == 0);
  CHECK(memcmp(got + 8, "VP80", 4) == 0);
  CHECK_INT(got[12] | got[13] << 8, 640);
  CHECK_INT(got[14] | got[15] << 8, 360);
  CHECK_INT(get32(got + 16), 90000);
  CHECK_INT(get32(got + 20), 1);
  CHECK_INT(get32(got + 24), 2);
  CHECK_INT(get32(got + 32), 3);
  CHECK(memcmp(got + 44, a, 3) == 0);
  CHECK_INT(get32(got + 47), 5);
  CHECK_INT(get32(got + 51), 3);
  CHECK_INT(get32(got + 55), 1);
  CHECK_INT(usmrec_ivf_open(&f, path, "VP8", 640, 360, 90000), -1);
  CHECK_INT(usmrec_ivf_open(&f, path, "H264", 0, 360, 90000), -1);
  CHECK_INT(usmrec_ivf_close(NULL), 0);
  /* ffprobe agrees, when present. */
  if (system("command -v ffprobe >/dev/null 2>&1") == 0) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ffprobe -loglevel error -show_entries stream=width -of csv=p=0 %s | grep -qx 640", path);
    CHECK_INT(system(cmd), 0);
  }
}

static void test_png(void) {
  const unsigned w = 64, h = 32;
  pic p = pic_alloc(w, h);
  if (!p.buf) return;
  /* Left half pure red (BT.601 limited: Y 81, U 90, V 240), right half mid grey. */
  for (unsigned y = 0; y < h; y++)
    for (unsigned x = 0; x < w; x++) p.plane[0][y * w + x] = x < w / 2 ? 81 : 126;
  for (unsigned y = 0; y < h / 2; y++)
    for (unsigned x = 0; x < w / 2; x++) {
      p.plane[1][y * (w / 2) + x] = x < w / 4 ? 90 : 128;
      p.plane[2][y * (w / 2) + x] = x < w / 4 ? 240 : 128;
    }
  const char *path = tmp("snap.png");
  CHECK_INT(usmrec_png_write_i420(path, (const uint8_t *const *)p.plane, p.stride, w, h), 0);
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  CHECK(png_image_begin_read_from_file(&img, path) != 0);
  CHECK_INT(img.width, w);
  CHECK_INT(img.height, h);
  img.format = PNG_FORMAT_RGB;
  uint8_t *rgb = malloc(PNG_IMAGE_SIZE(img));
  if (rgb && png_image_finish_read(&img, NULL, rgb, 0, NULL)) {
    const uint8_t *red = rgb + (5 * w + 3) * 3, *grey = rgb + (20 * w + 50) * 3;
    printf("png: red pixel %u,%u,%u; grey %u,%u,%u\n", red[0], red[1], red[2], grey[0], grey[1], grey[2]);
    CHECK(red[0] >= 250 && red[1] <= 5 && red[2] <= 5);
    CHECK(grey[0] == grey[1] && grey[1] == grey[2] && abs(grey[0] - 128) <= 1);
  } else {
    CHECK(0);
    png_image_free(&img);
  }
  free(rgb);
  errno = 0;
  CHECK_INT(usmrec_png_write_i420(path, (const uint8_t *const *)p.plane, p.stride, 63, 32), -1);
  CHECK_INT(errno, EINVAL);
  CHECK_INT(usmrec_png_write_i420("/nonexistent-dir/x.png", (const uint8_t *const *)p.plane, p.stride, w, h), -1);
  free(p.buf);
}

/* ---- quality measures ------------------------------------------------------------- */

static void test_quality(void) {
  const size_t n = 48000, lag = 1234;
  int16_t *ref = malloc(n * sizeof *ref), *got = malloc((n + 4800) * sizeof *got);
  if (!ref || !got) return;
  usm__tone_fill(0, ref, 1, n);
  uint64_t s = 99;
  /* got: lag samples of silence, then ref at half level plus noise 40 dB down. */
  memset(got, 0, (n + 4800) * sizeof *got);
  for (size_t i = 0; i < n; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    int noise = (int)(s % 81) - 40;
    got[lag + i] = (int16_t)(ref[i] / 2 + noise);
  }
  size_t found = 0;
  double corr = 0;
  double snr = usmrec_align_snr(ref, 9600, got, n + 4800, 4800, &found, &corr);
  printf("align_snr: lag %zu (want %zu), corr %.5f, SNR %.1f dB\n", found, lag, corr, snr);
  CHECK_INT(found, lag);
  CHECK(corr > 0.999);
  CHECK(snr > 35 && snr < 50);
  snr = usmrec_align_snr(ref, n, ref, n, 100, &found, &corr);
  CHECK_INT(found, 0);
  CHECK(corr > 0.999999);
  CHECK(snr >= USMREC_QUALITY_MAX_DB);
  for (size_t i = 0; i < n; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    got[i] = (int16_t)(s & 0x3fff) - 0x2000;
  }
  snr = usmrec_align_snr(ref, 4800, got, n, 2400, &found, &corr);
  printf("align_snr of noise: corr %.3f, SNR %.1f dB\n", corr, snr);
  CHECK(corr < 0.2);
  CHECK(snr < 0);
  memset(got, 0, n * sizeof *got);
  CHECK(isnan(usmrec_align_snr(ref, 4800, got, n, 10, &found, &corr))); /* silence */
  CHECK(isnan(usmrec_align_snr(ref, 0, got, n, 10, NULL, NULL)));
  free(ref);
  free(got);

  pic a = pic_alloc(64, 64), b = pic_alloc(64, 64);
  if (a.buf && b.buf) {
    usm__pattern_draw(a.plane, a.stride, 64, 64, 1);
    memcpy(b.buf, a.buf, 64 * 64 * 3 / 2);
    const uint8_t *const ca[3] = {a.plane[0], a.plane[1], a.plane[2]}, *const cb[3] = {b.plane[0], b.plane[1], b.plane[2]};
    CHECK(usmrec_psnr_i420(ca, a.stride, cb, b.stride, 64, 64) >= USMREC_QUALITY_MAX_DB);
    for (size_t i = 0; i < 64 * 64; i++) b.buf[i] = (uint8_t)(a.buf[i] + 2);
    b.buf[64 * 64] ^= 0xFF; /* chroma does not count */
    double q = usmrec_psnr_i420(ca, a.stride, cb, b.stride, 64, 64);
    CHECK(fabs(q - 10 * log10(255.0 * 255.0 / 4)) < 0.01);
    CHECK(isnan(usmrec_psnr_i420(ca, a.stride, cb, b.stride, 0, 64)));
  }
  free(a.buf);
  free(b.buf);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/usm-source-XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_wav_round_trip();
  test_wav_bad();
  test_y4m_round_trip();
  test_y4m_bad();
  test_ffmpeg();
  test_ivf();
  test_png();
  test_quality();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_done("test_source_files");
}
