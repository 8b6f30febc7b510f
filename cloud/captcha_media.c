/* Captcha media: a grayscale PNG that shows the code and a WAV that
 * "speaks" it as DTMF tones. Both are pure functions of the code, so a
 * captcha URL can be fetched twice and give the same bytes. */
#include "captcha_media.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "captcha_font.h"

static const unsigned char font[10][CLOUD_CAPTCHA_GLYPH_H] = {
    {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}, /* 0, slashed so it differs from 8 */
    {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}, /* 1 */
    {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}, /* 2 */
    {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e}, /* 3 */
    {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}, /* 4 */
    {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}, /* 5 */
    {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}, /* 6 */
    {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}, /* 7 */
    {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}, /* 8 */
    {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}, /* 9 */
};

const unsigned char *cloud_captcha_glyph(char digit) {
  if (digit < '0' || digit > '9') return NULL;
  return font[digit - '0'];
}

/* Length of a valid code, or 0. strnlen-style bound so an unterminated
 * or huge input is never scanned past 13 bytes. */
static size_t code_len(const char *code) {
  if (!code) return 0;
  size_t n = 0;
  while (n <= CLOUD_CAPTCHA_MAX_DIGITS && code[n]) {
    if (code[n] < '0' || code[n] > '9') return 0;
    n++;
  }
  return n <= CLOUD_CAPTCHA_MAX_DIGITS ? n : 0;
}

/* ---- PNG ------------------------------------------------------------------ */

/* xorshift32 seeded from the code: reproducible noise, no global state. */
typedef struct prng {
  uint32_t s;
} prng;

static uint32_t prng_next(prng *r) {
  uint32_t x = r->s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return r->s = x;
}

static unsigned prng_below(prng *r, unsigned n) { return (unsigned)(prng_next(r) % n); }

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* Writes one chunk (length, type, data, CRC over type+data) at p; returns
 * the byte count written. */
static size_t put_chunk(unsigned char *p, const char type[4], const unsigned char *data,
                        size_t n) {
  put_be32(p, (uint32_t)n);
  memcpy(p + 4, type, 4);
  if (n) memcpy(p + 8, data, n);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, p + 4, (uInt)(n + 4));
  put_be32(p + 8 + n, (uint32_t)crc);
  return n + 12;
}

/* A 1 px straight line across the whole width. */
static void draw_line(unsigned char *img, int w, int h, int ya, int yb, unsigned char gray) {
  for (int x = 0; x < w; x++) {
    int y = ya + (yb - ya) * x / (w - 1);
    if (y >= 0 && y < h) img[(size_t)y * (size_t)w + (size_t)x] = gray;
  }
}

static void draw_noise_lines(unsigned char *img, int w, int h, prng *r, int count,
                             unsigned gray_lo, unsigned gray_span) {
  for (int k = 0; k < count; k++) {
    int ya = CLOUD_CAPTCHA_MARGIN + (int)prng_below(r, (unsigned)(h - 2 * CLOUD_CAPTCHA_MARGIN));
    int yb = CLOUD_CAPTCHA_MARGIN + (int)prng_below(r, (unsigned)(h - 2 * CLOUD_CAPTCHA_MARGIN));
    draw_line(img, w, h, ya, yb, (unsigned char)(gray_lo + prng_below(r, gray_span)));
  }
}

static void render(const char *code, size_t n, unsigned char *img, int w, int h) {
  memset(img, 255, (size_t)w * (size_t)h);
  uint32_t hash = 2166136261u; /* FNV-1a of the code seeds the noise */
  for (size_t i = 0; i < n; i++) hash = (hash ^ (unsigned char)code[i]) * 16777619u;
  prng r = {hash ? hash : 1u};

  /* Dots and two darker lines behind the digits... */
  unsigned dots = 20 + 10 * (unsigned)n;
  for (unsigned k = 0; k < dots; k++) {
    int x = (int)prng_below(&r, (unsigned)(w - 1));
    int y = (int)prng_below(&r, (unsigned)(h - 1));
    unsigned char g = (unsigned char)(120 + prng_below(&r, 90));
    for (int dy = 0; dy < 2; dy++)
      for (int dx = 0; dx < 2; dx++) img[(size_t)(y + dy) * (size_t)w + (size_t)(x + dx)] = g;
  }
  draw_noise_lines(img, w, h, &r, 2, 110, 60);

  for (size_t i = 0; i < n; i++) {
    const unsigned char *g = cloud_captcha_glyph(code[i]);
    int jx = (int)prng_below(&r, 2 * CLOUD_CAPTCHA_JITTER_X + 1) - CLOUD_CAPTCHA_JITTER_X;
    int jy = (int)prng_below(&r, 2 * CLOUD_CAPTCHA_JITTER_Y + 1) - CLOUD_CAPTCHA_JITTER_Y;
    int x0 = CLOUD_CAPTCHA_MARGIN + (int)i * CLOUD_CAPTCHA_CELL_W +
             (CLOUD_CAPTCHA_CELL_W - CLOUD_CAPTCHA_GLYPH_W * CLOUD_CAPTCHA_SCALE) / 2 + jx;
    int y0 = CLOUD_CAPTCHA_MARGIN +
             (CLOUD_CAPTCHA_CELL_H - CLOUD_CAPTCHA_GLYPH_H * CLOUD_CAPTCHA_SCALE) / 2 + jy;
    for (int gy = 0; gy < CLOUD_CAPTCHA_GLYPH_H * CLOUD_CAPTCHA_SCALE; gy++)
      for (int gx = 0; gx < CLOUD_CAPTCHA_GLYPH_W * CLOUD_CAPTCHA_SCALE; gx++)
        if (g[gy / CLOUD_CAPTCHA_SCALE] &
            (0x10u >> (unsigned)(gx / CLOUD_CAPTCHA_SCALE)))
          img[(size_t)(y0 + gy) * (size_t)w + (size_t)(x0 + gx)] = CLOUD_CAPTCHA_INK;
  }

  /* ...and one light line over them, so the digits are not clean blobs. */
  draw_noise_lines(img, w, h, &r, 1, 185, 30);
}

int cloud_captcha_png(const char *code, unsigned char **out, size_t *len) {
  size_t n = code_len(code);
  if (!n || !out || !len) return -1;
  int w = 2 * CLOUD_CAPTCHA_MARGIN + (int)n * CLOUD_CAPTCHA_CELL_W;
  int h = 2 * CLOUD_CAPTCHA_MARGIN + CLOUD_CAPTCHA_CELL_H;
  size_t stride = (size_t)w + 1; /* filter byte + one byte per pixel */
  size_t raw_len = stride * (size_t)h;

  unsigned char *img = malloc((size_t)w * (size_t)h);
  unsigned char *raw = malloc(raw_len);
  uLong zcap = compressBound((uLong)raw_len);
  unsigned char *z = malloc(zcap);
  unsigned char *png = NULL;
  int rc = -1;
  if (!img || !raw || !z) goto done;

  render(code, n, img, w, h);
  for (int y = 0; y < h; y++) {
    raw[(size_t)y * stride] = 0; /* filter type 0: None */
    memcpy(raw + (size_t)y * stride + 1, img + (size_t)y * (size_t)w, (size_t)w);
  }
  uLongf zlen = zcap;
  if (compress2(z, &zlen, raw, (uLong)raw_len, Z_BEST_COMPRESSION) != Z_OK) goto done;

  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  unsigned char ihdr[13];
  put_be32(ihdr, (uint32_t)w);
  put_be32(ihdr + 4, (uint32_t)h);
  ihdr[8] = 8;  /* bit depth */
  ihdr[9] = 0;  /* color type: grayscale */
  ihdr[10] = 0; /* compression: deflate */
  ihdr[11] = 0; /* filter method 0 */
  ihdr[12] = 0; /* no interlace */

  size_t total = sizeof sig + (12 + sizeof ihdr) + (12 + (size_t)zlen) + 12;
  png = malloc(total);
  if (!png) goto done;
  size_t off = 0;
  memcpy(png, sig, sizeof sig);
  off += sizeof sig;
  off += put_chunk(png + off, "IHDR", ihdr, sizeof ihdr);
  off += put_chunk(png + off, "IDAT", z, (size_t)zlen);
  off += put_chunk(png + off, "IEND", NULL, 0);
  *out = png;
  *len = off;
  png = NULL;
  rc = 0;
done:
  free(png);
  free(z);
  free(raw);
  free(img);
  return rc;
}

/* ---- WAV ------------------------------------------------------------------ */

enum {
  WAV_RATE = 8000,
  WAV_LEAD = WAV_RATE / 10, /* 100 ms of silence before the first digit */
  WAV_TONE = WAV_RATE / 10, /* 100 ms tone per digit */
  WAV_GAP = WAV_RATE / 10,  /* 100 ms silence after each tone */
  WAV_RAMP = WAV_RATE / 200 /* 5 ms fade in/out so tones do not click */
};

/* DTMF low (row) and high (column) frequency for each digit. */
static const unsigned short dtmf_low[10] = {941, 697, 697, 697, 770, 770, 770, 852, 852, 852};
static const unsigned short dtmf_high[10] = {1336, 1209, 1336, 1477, 1209,
                                             1336, 1477, 1209, 1336, 1477};

static void put_le16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}

static void put_le32(unsigned char *p, uint32_t v) {
  put_le16(p, v & 0xffffu);
  put_le16(p + 2, v >> 16);
}

int cloud_captcha_wav(const char *code, unsigned char **out, size_t *len) {
  size_t n = code_len(code);
  if (!n || !out || !len) return -1;
  size_t samples = WAV_LEAD + n * (WAV_TONE + WAV_GAP);
  size_t data_len = samples * 2;
  unsigned char *wav = calloc(1, 44 + data_len); /* zeroed: the silences */
  if (!wav) return -1;

  unsigned char *h = wav;
  memcpy(h, "RIFF", 4);
  put_le32(h + 4, (uint32_t)(36 + data_len));
  memcpy(h + 8, "WAVE", 4);
  memcpy(h + 12, "fmt ", 4);
  put_le32(h + 16, 16);           /* fmt chunk size */
  put_le16(h + 20, 1);            /* PCM */
  put_le16(h + 22, 1);            /* mono */
  put_le32(h + 24, WAV_RATE);     /* sample rate */
  put_le32(h + 28, WAV_RATE * 2); /* byte rate */
  put_le16(h + 32, 2);            /* block align */
  put_le16(h + 34, 16);           /* bits per sample */
  memcpy(h + 36, "data", 4);
  put_le32(h + 40, (uint32_t)data_len);

  /* Each tone peaks at 0.3 of full scale, so the pair stays under 0.6. */
  const double amp = 0.3 * 32767.0;
  const double two_pi = 6.283185307179586;
  for (size_t i = 0; i < n; i++) {
    int d = code[i] - '0';
    double wl = two_pi * dtmf_low[d] / WAV_RATE, wh = two_pi * dtmf_high[d] / WAV_RATE;
    unsigned char *p = wav + 44 + 2 * (WAV_LEAD + i * (WAV_TONE + WAV_GAP));
    for (int k = 0; k < WAV_TONE; k++) {
      double env = 1.0;
      if (k < WAV_RAMP) env = (double)k / WAV_RAMP;
      else if (k >= WAV_TONE - WAV_RAMP) env = (double)(WAV_TONE - 1 - k) / WAV_RAMP;
      double v = amp * env * (sin(wl * k) + sin(wh * k));
      long s = (long)(v < 0 ? v - 0.5 : v + 0.5);
      put_le16(p + 2 * k, (unsigned)(uint16_t)(int16_t)s);
    }
  }
  *out = wav;
  *len = 44 + data_len;
  return 0;
}
