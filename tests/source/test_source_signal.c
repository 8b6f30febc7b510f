/* The deterministic test signals: the tone's determinism, level and beep;
 * the pattern's strip round trip (lossless, then through a real VP8 encode
 * and decode) and its refusal of pictures that do not carry it. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec/codec.h"
#include "codec/vp8.h"
#include "source/test_signal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- tone ------------------------------------------------------------------------- */

/* Correlation of s[a..b) with a sine of hz, as an amplitude. */
static double amplitude_at(const int16_t *s, size_t a, size_t b, double hz) {
  double re = 0, im = 0;
  for (size_t i = a; i < b; i++) {
    double ph = 2 * M_PI * hz * (double)i / 48000.0;
    re += s[i] * cos(ph);
    im += s[i] * sin(ph);
  }
  return 2 * sqrt(re * re + im * im) / (double)(b - a);
}

static void test_tone(void) {
  static int16_t s[48000 * 2];
  usm__tone_fill(0, s, 1, 48000 * 2);
  /* Deterministic: the same sample whenever and however it is asked for. */
  for (size_t i = 0; i < 96000; i += 997) CHECK_INT(usm__tone_sample(i), s[i]);
  for (size_t i = 0; i < 48000; i += 331) CHECK_INT(s[i], s[i + 48000]);
  uint64_t far = 48000ull * 3600 * 24 * 365; /* a year on */
  for (uint64_t i = 0; i < 48000; i += 1009) CHECK_INT(usm__tone_sample(far + i), s[i]);
  int16_t st[2 * 960];
  usm__tone_fill(12345, st, 2, 960);
  int same = 1;
  for (size_t i = 0; i < 960; i++) same &= st[2 * i] == s[12345 + i] && st[2 * i + 1] == s[12345 + i];
  CHECK(same);

  /* Level: -12 dBFS peak per component; the sum never clips. */
  int peak_tone = 0, peak_beep = 0;
  for (size_t i = 0; i < 48000; i++) {
    int a = abs(s[i]);
    if (i < USM__TONE_BEEP_SAMPLES) {
      if (a > peak_beep) peak_beep = a;
    } else if (a > peak_tone) {
      peak_tone = a;
    }
  }
  printf("tone: peak %d (%.2f dBFS), with the beep %d\n", peak_tone, 20 * log10(peak_tone / 32767.0), peak_beep);
  CHECK(peak_tone >= 8220 && peak_tone <= 8231);
  CHECK(fabs(20 * log10(peak_tone / 32767.0) + 12.0) < 0.05);
  CHECK(peak_beep > 12000 && peak_beep <= 2 * 8231);
  /* 440 Hz throughout, 1 kHz only in the first 100 ms of each second. */
  double a440 = amplitude_at(s, 4800, 48000, 440), a1k_beep = amplitude_at(s, 48000, 48000 + 4800, 1000);
  double a1k_rest = amplitude_at(s, 4800, 48000, 1000);
  printf("tone: 440 Hz amplitude %.0f, 1 kHz in the beep %.0f, outside %.1f\n", a440, a1k_beep, a1k_rest);
  CHECK(fabs(a440 - 8231) < 20);
  CHECK(fabs(a1k_beep - 8231) < 20);
  CHECK(a1k_rest < 10);
  /* Whole cycles: 396 rising zero crossings in 0.9 s of 440 Hz. */
  int rising = 0;
  for (size_t i = 4801; i < 48000; i++) rising += s[i - 1] < 0 && s[i] >= 0;
  CHECK(rising >= 395 && rising <= 397);
}

/* ---- pattern ---------------------------------------------------------------------- */

typedef struct pic {
  uint8_t *buf;
  uint8_t *plane[3];
  int stride[3];
  unsigned w, h;
} pic;

/* An I420 picture with padded strides (to catch stride mistakes). */
static pic pic_alloc(unsigned w, unsigned h, unsigned pad) {
  pic p = {.w = w, .h = h};
  p.stride[0] = (int)(w + pad);
  p.stride[1] = p.stride[2] = (int)(w / 2 + pad);
  size_t ys = (size_t)p.stride[0] * h, cs = (size_t)p.stride[1] * (h / 2);
  p.buf = malloc(ys + 2 * cs);
  if (p.buf) memset(p.buf, 0x77, ys + 2 * cs);
  p.plane[0] = p.buf;
  p.plane[1] = p.buf + ys;
  p.plane[2] = p.buf + ys + cs;
  return p;
}

static int pic_read(const pic *p, uint32_t *n) {
  const uint8_t *const cp[3] = {p->plane[0], p->plane[1], p->plane[2]};
  return usm__pattern_read(cp, p->stride, p->w, p->h, n);
}

static void test_pattern_round_trip(void) {
  CHECK_INT(usm__pattern_crc8((const uint8_t *)"123456789", 9), 0xA1); /* CRC-8/I-432.1 check value */
  static const unsigned sizes[][2] = {{64, 64}, {160, 90}, {320, 240}, {640, 360}, {1280, 720}, {3840, 2160}};
  static const uint32_t nums[] = {0, 1, 2, 255, 256, 12345, 0x7FFFFF, 0xFFFFFF};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    pic p = pic_alloc(sizes[s][0], sizes[s][1], 24);
    if (!p.buf) continue;
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
      uint32_t got = 0xDEADBEEF;
      usm__pattern_draw(p.plane, p.stride, p.w, p.h, nums[i]);
      CHECK_INT(pic_read(&p, &got), 1);
      CHECK_INT(got, nums[i]);
    }
    /* Only the low 24 bits are carried. */
    uint32_t got = 0;
    usm__pattern_draw(p.plane, p.stride, p.w, p.h, 0x1000005u);
    CHECK_INT(pic_read(&p, &got), 1);
    CHECK_INT(got, 5);
    free(p.buf);
  }
  CHECK_INT(usm__pattern_strip_cols(640), 32);
  CHECK_INT(usm__pattern_strip_cols(320), 16);
  CHECK_INT(usm__pattern_strip_cols(64), 8);

  /* The bars move 4 px per frame. */
  pic a = pic_alloc(640, 360, 0), b = pic_alloc(640, 360, 0);
  if (a.buf && b.buf) {
    usm__pattern_draw(a.plane, a.stride, 640, 360, 7);
    usm__pattern_draw(b.plane, b.stride, 640, 360, 8);
    const uint8_t *ra = a.plane[0] + 200 * 640, *rb = b.plane[0] + 200 * 640;
    int shifted = 1, differs = 0;
    for (unsigned x = 0; x + 4 < 640; x++) {
      shifted &= rb[x] == ra[x + 4];
      differs |= rb[x] != ra[x];
    }
    CHECK(shifted);
    CHECK(differs);
    /* Strip cells are pure black / white, chroma neutral. */
    CHECK(a.plane[0][5] == 16 || a.plane[0][5] == 235);
    CHECK_INT(a.plane[1][3], 128);
  }
  free(a.buf);
  free(b.buf);

  /* Bad sizes: nothing drawn, nothing read. */
  pic s = pic_alloc(64, 64, 0);
  if (s.buf) {
    uint32_t n = 0;
    usm__pattern_draw(s.plane, s.stride, 62, 64, 3);
    CHECK_INT(s.plane[0][0], 0x77);
    usm__pattern_draw(s.plane, s.stride, 64, 64, 3);
    CHECK_INT(usm__pattern_read((const uint8_t *const *)s.plane, s.stride, 63, 64, &n), 0);
    CHECK_INT(usm__pattern_read((const uint8_t *const *)s.plane, s.stride, 64, 62, &n), 0);
    int small[3] = {32, 32, 32};
    CHECK_INT(usm__pattern_read((const uint8_t *const *)s.plane, small, 64, 64, &n), 0);
    CHECK_INT(pic_read(&s, &n), 1);
    CHECK_INT(n, 3);
  }
  free(s.buf);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint8_t rnd8(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint8_t)(rng >> 32);
}

static void test_pattern_rejects(void) {
  pic p = pic_alloc(640, 360, 0);
  if (!p.buf) return;
  size_t total = (size_t)p.stride[0] * 360 + 2 * (size_t)p.stride[1] * 180;
  uint32_t n;
  int accepted = 0;
  for (int t = 0; t < 200; t++) {
    for (size_t i = 0; i < total; i++) p.buf[i] = rnd8();
    accepted += pic_read(&p, &n);
  }
  CHECK_INT(accepted, 0);
  /* Random black/white cells (right geometry, wrong check) are refused by
   * the CRC: about 1 in 256 would pass, so count. */
  accepted = 0;
  for (int t = 0; t < 2000; t++) {
    usm__pattern_draw(p.plane, p.stride, 640, 360, 0);
    for (unsigned c = 0; c < 32; c++) {
      uint8_t v = (rnd8() & 1) ? 235 : 16;
      for (unsigned y = 0; y < 44; y++) memset(p.plane[0] + (size_t)y * 640 + c * 20, v, 20);
    }
    accepted += pic_read(&p, &n);
  }
  printf("pattern: %d of 2000 random strips pass the CRC-8 (expected about 8)\n", accepted);
  CHECK(accepted < 30);
  memset(p.buf, 128, total);
  CHECK_INT(pic_read(&p, &n), 0);
  memset(p.buf, 16, (size_t)p.stride[0] * 360); /* black */
  CHECK_INT(pic_read(&p, &n), 0);
  memset(p.buf, 235, (size_t)p.stride[0] * 360); /* white */
  CHECK_INT(pic_read(&p, &n), 0);
  /* One cell flipped: refused. */
  usm__pattern_draw(p.plane, p.stride, 640, 360, 4242);
  CHECK_INT(pic_read(&p, &n), 1);
  for (unsigned y = 0; y < 44; y++) {
    uint8_t *cell = p.plane[0] + (size_t)y * 640 + 31 * 20;
    memset(cell, cell[0] == 16 ? 235 : 16, 20);
  }
  CHECK_INT(pic_read(&p, &n), 0);
  free(p.buf);
}

/* ---- through VP8 ------------------------------------------------------------------ */

typedef struct enc_out {
  uint8_t *data;
  size_t len;
  uint32_t ts;
  int count;
} enc_out;

static usm_err on_payload(void *user, const usm__codec_payload *pl) {
  enc_out *o = user;
  uint8_t *d = realloc(o->data, pl->len);
  if (!d) return USM_ERR_NO_MEMORY;
  memcpy(d, pl->data, pl->len);
  o->data = d;
  o->len = pl->len;
  o->ts = pl->timestamp;
  o->count++;
  return USM_OK;
}

/* Encodes `frames` pattern pictures at bps and decodes them: the counter of
 * every decoded picture must read back as the frame it came from. */
static void vp8_round_trip(unsigned w, unsigned h, uint32_t bps, int frames) {
  usm__codec_params prm;
  memset(&prm, 0, sizeof prm);
  prm.kind = USM__CODEC_KIND_VIDEO;
  prm.video.width = w;
  prm.video.height = h;
  prm.video.fps = 30;
  prm.video.bitrate = bps;
  usm__codec_enc *e = NULL;
  usm__codec_dec *d = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &prm, &e), USM_OK);
  CHECK_INT(usm__codec_decoder_create(usm__codec_vp8(), &prm, &d), USM_OK);
  pic p = pic_alloc(w, h, 0);
  enc_out o = {0};
  int decoded = 0, read_ok = 0;
  size_t bytes = 0;
  for (int i = 0; e && d && p.buf && i < frames; i++) {
    uint32_t num = 1000u + (uint32_t)i * 37u; /* not just small numbers */
    usm__pattern_draw(p.plane, p.stride, w, h, num);
    usm__codec_frame f = {.kind = USM__CODEC_KIND_VIDEO, .timestamp = (uint32_t)i * 3000u};
    for (int k = 0; k < 3; k++) f.u.video.plane[k] = p.plane[k], f.u.video.stride[k] = p.stride[k];
    f.u.video.width = w;
    f.u.video.height = h;
    o.count = 0;
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &o), USM_OK);
    if (o.count == 0) continue; /* a frame the encoder dropped */
    bytes += o.len;
    usm__codec_frame out = {.kind = USM__CODEC_KIND_VIDEO};
    int got = 0;
    CHECK_INT(usm__codec_decode(d, o.data, o.len, &out, &got), USM_OK);
    if (!got) continue;
    decoded++;
    const uint8_t *const cp[3] = {out.u.video.plane[0], out.u.video.plane[1], out.u.video.plane[2]};
    uint32_t n = 0;
    int ok = usm__pattern_read(cp, out.u.video.stride, out.u.video.width, out.u.video.height, &n);
    uint32_t want = 1000u + (o.ts / 3000u) * 37u;
    if (!ok || n != want) fprintf(stderr, "%ux%u frame %d: read %d, %u (want %u)\n", w, h, i, ok, n, want);
    read_ok += ok && n == want;
  }
  printf("pattern through VP8 %ux%u @ %u kbit/s: %d frames decoded, %d read back, %.0f kbit/s\n", w, h,
         bps / 1000, decoded, read_ok, (double)bytes * 8 * 30 / frames / 1000);
  CHECK(decoded >= frames - 2);
  CHECK_INT(read_ok, decoded);
  free(o.data);
  free(p.buf);
  usm__codec_encoder_destroy(e);
  usm__codec_decoder_destroy(d);
}

int main(void) {
  test_tone();
  test_pattern_round_trip();
  test_pattern_rejects();
  vp8_round_trip(640, 360, 500000, 150);
  vp8_round_trip(320, 240, 150000, 90);
  vp8_round_trip(1280, 720, 1000000, 60);
  return check_done("test_source_signal");
}
