/* Captcha media round trip: the WAV is decoded back to the code with a
 * DTMF (Goertzel) decoder and the PNG is parsed, inflated and read back by
 * template matching against the font, so a wrong rendering fails here.
 * Set CAPTCHA_DUMP_DIR to also write captcha.png/captcha.wav for a look. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "captcha_font.h"
#include "captcha_media.h"
#include "check.h"
#include "dtmf_decode.h"

static const char *const codes[] = {"000000", "123456", "987654",       "5",
                                    "120934", "0123456789", "999999999999", "80"};

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }
static long sample_at(const unsigned char *wav, size_t i) {
  long v = (long)le16(wav + 44 + 2 * i);
  return v >= 32768 ? v - 65536 : v;
}
static void set_sample(unsigned char *wav, size_t i, long v) {
  unsigned u = (unsigned)(v < 0 ? v + 65536 : v);
  wav[44 + 2 * i] = (unsigned char)u;
  wav[45 + 2 * i] = (unsigned char)(u >> 8);
}

static void dump(const char *name, const unsigned char *buf, size_t len) {
  const char *dir = getenv("CAPTCHA_DUMP_DIR");
  if (!dir) return;
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f) return;
  CHECK(fwrite(buf, 1, len, f) == len);
  fclose(f);
}

/* ---- WAV ------------------------------------------------------------------ */

enum { RATE = 8000, LEAD = 800, TONE = 800, GAP = 800 }; /* 100 ms each at 8 kHz */

static void test_wav(const char *code) {
  size_t n = strlen(code);
  unsigned char *wav = NULL;
  size_t len = 0;
  CHECK_INT(cloud_captcha_wav(code, &wav, &len), 0);
  if (!wav) return;
  size_t samples = LEAD + n * (TONE + GAP);
  CHECK_INT(len, 44 + 2 * samples);
  if (len != 44 + 2 * samples) {
    free(wav);
    return;
  }

  /* Every header field. */
  CHECK(memcmp(wav, "RIFF", 4) == 0);
  CHECK_INT(le32(wav + 4), len - 8);
  CHECK(memcmp(wav + 8, "WAVE", 4) == 0);
  CHECK(memcmp(wav + 12, "fmt ", 4) == 0);
  CHECK_INT(le32(wav + 16), 16);
  CHECK_INT(le16(wav + 20), 1);
  CHECK_INT(le16(wav + 22), 1);
  CHECK_INT(le32(wav + 24), RATE);
  CHECK_INT(le32(wav + 28), RATE * 2);
  CHECK_INT(le16(wav + 32), 2);
  CHECK_INT(le16(wav + 34), 16);
  CHECK(memcmp(wav + 36, "data", 4) == 0);
  CHECK_INT(le32(wav + 40), 2 * samples);

  /* Silence where silence belongs, audible but unclipped tones elsewhere. */
  long lead_peak = 0;
  for (size_t i = 0; i < LEAD; i++) lead_peak |= sample_at(wav, i);
  CHECK_INT(lead_peak, 0);
  for (size_t d = 0; d < n; d++) {
    size_t t0 = LEAD + d * (TONE + GAP);
    long peak = 0, gap = 0;
    for (size_t i = t0; i < t0 + TONE; i++) {
      long v = labs(sample_at(wav, i));
      if (v > peak) peak = v;
    }
    for (size_t i = t0 + TONE; i < t0 + TONE + GAP; i++) gap |= sample_at(wav, i);
    CHECK(peak > 8000);
    CHECK(peak < 26000);
    CHECK_INT(gap, 0);
  }

  char got[32];
  CHECK_INT(dtmf_decode_wav(wav, len, got, sizeof got), (int)n);
  CHECK_STR(got, code);
  CHECK_INT(dtmf_decode_wav(wav, len, got, n + 1), (int)n); /* exact fit */
  CHECK_INT(dtmf_decode_wav(wav, len, got, n), -1);         /* no room for NUL */
  CHECK_INT(dtmf_decode_wav(wav, len - 1, got, sizeof got), -1); /* truncated */

  /* Still decodes with deterministic white noise (about -30 dB) on top. */
  unsigned char *noisy = malloc(len);
  CHECK(noisy != NULL);
  if (noisy) {
    memcpy(noisy, wav, len);
    uint32_t s = 12345;
    for (size_t i = 0; i < samples; i++) {
      s = s * 1103515245u + 12345u;
      set_sample(noisy, i, sample_at(noisy, i) + (long)((s >> 16) % 601) - 300);
    }
    memset(got, 0, sizeof got);
    CHECK_INT(dtmf_decode_wav(noisy, len, got, sizeof got), (int)n);
    CHECK_STR(got, code);

    /* A single 1 kHz tone (8 samples a cycle) instead of the first digit: not DTMF. */
    memcpy(noisy, wav, len);
    for (size_t i = 0; i < TONE; i++)
      set_sample(noisy, LEAD + i, (long)(12000.0 * sin(6.283185307179586 * (double)i / 8.0)));
    CHECK_INT(dtmf_decode_wav(noisy, len, got, sizeof got), -1);

    memcpy(noisy, wav, len);
    noisy[0] = 'X';
    CHECK_INT(dtmf_decode_wav(noisy, len, got, sizeof got), -1);
    memcpy(noisy, wav, len);
    noisy[34] = 8; /* 8-bit samples are not supported */
    CHECK_INT(dtmf_decode_wav(noisy, len, got, sizeof got), -1);
    free(noisy);
  }

  unsigned char *again = NULL;
  size_t again_len = 0;
  CHECK_INT(cloud_captcha_wav(code, &again, &again_len), 0);
  CHECK(again_len == len && again && memcmp(again, wav, len) == 0);
  free(again);
  if (strcmp(code, "120934") == 0) dump("captcha.wav", wav, len);
  free(wav);
}

/* ---- PNG ------------------------------------------------------------------ */

typedef struct image {
  unsigned w, h;
  unsigned char *px; /* w*h gray bytes */
} image;

/* Parses and checks the whole PNG; 0 and a decoded image on success. */
static int decode_png(const unsigned char *png, size_t len, image *img) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  unsigned char *idat = NULL, *raw = NULL;
  size_t idat_len = 0, off = 8;
  int chunks = 0, seen_iend = 0, rc = -1;
  img->px = NULL;
  img->w = img->h = 0;
  CHECK(len >= 8 && memcmp(png, sig, 8) == 0);
  if (len < 8 || memcmp(png, sig, 8) != 0) return -1;
  while (!seen_iend) {
    if (len - off < 12) goto fail;
    size_t n = be32(png + off);
    if (n > len - off - 12) goto fail;
    const unsigned char *type = png + off + 4, *data = png + off + 8;
    uLong crc = crc32(crc32(0L, Z_NULL, 0), type, (uInt)(n + 4));
    CHECK_INT(be32(data + n), crc);
    if (be32(data + n) != crc) goto fail;
    if (chunks == 0) {
      CHECK(memcmp(type, "IHDR", 4) == 0);
      CHECK_INT(n, 13);
      if (memcmp(type, "IHDR", 4) != 0 || n != 13) goto fail;
      img->w = be32(data);
      img->h = be32(data + 4);
      CHECK_INT(data[8], 8);  /* bit depth */
      CHECK_INT(data[9], 0);  /* grayscale */
      CHECK_INT(data[10], 0); /* deflate */
      CHECK_INT(data[11], 0); /* filter method */
      CHECK_INT(data[12], 0); /* no interlace */
      if (img->w == 0 || img->w > 4096 || img->h == 0 || img->h > 4096 || data[9] != 0 ||
          data[8] != 8)
        goto fail;
    } else if (memcmp(type, "IDAT", 4) == 0) {
      unsigned char *grown = realloc(idat, idat_len + n + 1);
      if (!grown) goto fail;
      idat = grown;
      memcpy(idat + idat_len, data, n);
      idat_len += n;
    } else if (memcmp(type, "IEND", 4) == 0) {
      CHECK_INT(n, 0);
      seen_iend = 1;
    } else {
      CHECK(!"unexpected chunk");
    }
    chunks++;
    off += n + 12;
  }
  CHECK_INT(off, len); /* nothing after IEND */
  CHECK(idat_len > 0);

  size_t stride = (size_t)img->w + 1;
  uLongf raw_len = (uLongf)(stride * img->h);
  raw = malloc(raw_len + 1);
  img->px = malloc((size_t)img->w * img->h);
  if (!raw || !img->px || !idat) goto fail;
  uLongf got = raw_len + 1; /* one spare byte: too much data must show */
  CHECK_INT(uncompress(raw, &got, idat, (uLong)idat_len), Z_OK);
  CHECK_INT(got, raw_len);
  if (got != raw_len) goto fail;
  for (unsigned y = 0; y < img->h; y++) {
    CHECK_INT(raw[y * stride], 0); /* filter 0: the row is stored as is */
    memcpy(img->px + (size_t)y * img->w, raw + y * stride + 1, img->w);
  }
  rc = 0;
fail:
  CHECK_INT(rc, 0);
  if (rc != 0) {
    free(img->px);
    img->px = NULL;
  }
  free(raw);
  free(idat);
  return rc;
}

static int is_ink(const image *img, int x, int y) {
  return img->px[(size_t)y * img->w + (size_t)x] < 128;
}

/* How many pixels of the cell agree with digit d drawn at (x0, y0), given
 * the cell's count of non-ink pixels: each glyph pixel turns one
 * disagreement into an agreement or vice versa. */
static int match(const image *img, char d, int x0, int y0, int blank_in_cell) {
  const unsigned char *g = cloud_captcha_glyph(d);
  int score = blank_in_cell;
  for (int gy = 0; gy < CLOUD_CAPTCHA_GLYPH_H * CLOUD_CAPTCHA_SCALE; gy++)
    for (int gx = 0; gx < CLOUD_CAPTCHA_GLYPH_W * CLOUD_CAPTCHA_SCALE; gx++)
      if (g[gy / CLOUD_CAPTCHA_SCALE] & (0x10u >> (unsigned)(gx / CLOUD_CAPTCHA_SCALE)))
        score += is_ink(img, x0 + gx, y0 + gy) ? 1 : -1;
  return score;
}

/* Reads the digits back: each cell gets the digit whose glyph, at the best
 * shift within the jitter range, agrees with the most pixels. Also checks
 * that the winner is clear, i.e. the noise left the digit readable. */
static void read_digits(const image *img, size_t n, char *out) {
  const int cell_px = CLOUD_CAPTCHA_CELL_W * CLOUD_CAPTCHA_CELL_H;
  for (size_t i = 0; i < n; i++) {
    int cx = CLOUD_CAPTCHA_MARGIN + (int)i * CLOUD_CAPTCHA_CELL_W, cy = CLOUD_CAPTCHA_MARGIN;
    int ox = (CLOUD_CAPTCHA_CELL_W - CLOUD_CAPTCHA_GLYPH_W * CLOUD_CAPTCHA_SCALE) / 2;
    int oy = (CLOUD_CAPTCHA_CELL_H - CLOUD_CAPTCHA_GLYPH_H * CLOUD_CAPTCHA_SCALE) / 2;
    int blank = 0;
    for (int y = cy; y < cy + CLOUD_CAPTCHA_CELL_H; y++)
      for (int x = cx; x < cx + CLOUD_CAPTCHA_CELL_W; x++) blank += !is_ink(img, x, y);
    int best[10];
    for (int d = 0; d < 10; d++) {
      best[d] = -cell_px;
      for (int dy = -CLOUD_CAPTCHA_JITTER_Y; dy <= CLOUD_CAPTCHA_JITTER_Y; dy++)
        for (int dx = -CLOUD_CAPTCHA_JITTER_X; dx <= CLOUD_CAPTCHA_JITTER_X; dx++) {
          int s = match(img, (char)('0' + d), cx + ox + dx, cy + oy + dy, blank);
          if (s > best[d]) best[d] = s;
        }
    }
    int win = 0, second = -1;
    for (int d = 1; d < 10; d++)
      if (best[d] > best[win]) win = d;
    for (int d = 0; d < 10; d++)
      if (d != win && (second < 0 || best[d] > best[second])) second = d;
    out[i] = (char)('0' + win);
    CHECK(best[win] * 100 >= cell_px * 95);   /* nearly every pixel agrees */
    CHECK(best[win] - best[second] >= 4 * 36); /* and no other digit comes close */
  }
  out[n] = '\0';
}

static void test_png(const char *code) {
  size_t n = strlen(code);
  unsigned char *png = NULL;
  size_t len = 0;
  CHECK_INT(cloud_captcha_png(code, &png, &len), 0);
  if (!png) return;
  image img;
  if (decode_png(png, len, &img) == 0) {
    CHECK_INT(img.w, 2 * CLOUD_CAPTCHA_MARGIN + n * CLOUD_CAPTCHA_CELL_W);
    CHECK_INT(img.h, 2 * CLOUD_CAPTCHA_MARGIN + CLOUD_CAPTCHA_CELL_H);
    if (img.w == 2 * CLOUD_CAPTCHA_MARGIN + n * CLOUD_CAPTCHA_CELL_W &&
        img.h == 2 * CLOUD_CAPTCHA_MARGIN + CLOUD_CAPTCHA_CELL_H) {
      char got[CLOUD_CAPTCHA_MAX_DIGITS + 1];
      read_digits(&img, n, got);
      CHECK_STR(got, code);
    }
    /* There is noise: gray pixels that are neither ink nor background. */
    size_t gray = 0;
    for (size_t i = 0; i < (size_t)img.w * img.h; i++)
      gray += img.px[i] != 255 && img.px[i] != CLOUD_CAPTCHA_INK;
    CHECK(gray >= 100);
    free(img.px);
  }

  unsigned char *again = NULL;
  size_t again_len = 0;
  CHECK_INT(cloud_captcha_png(code, &again, &again_len), 0);
  CHECK(again_len == len && again && memcmp(again, png, len) == 0);
  free(again);
  if (strcmp(code, "120934") == 0) dump("captcha.png", png, len);
  free(png);
}

/* ---- bad input ------------------------------------------------------------ */

static void test_bad_input(void) {
  static const char *const bad[] = {NULL,   "",     "12a", "1234567890123",
                                    " 123", "12-3", "\xef\xbc\x91" /* fullwidth 1 */};
  unsigned char sentinel;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    unsigned char *out = &sentinel;
    size_t len = 77;
    CHECK_INT(cloud_captcha_png(bad[i], &out, &len), -1);
    CHECK(out == &sentinel);
    CHECK_INT(len, 77);
    CHECK_INT(cloud_captcha_wav(bad[i], &out, &len), -1);
    CHECK(out == &sentinel);
    CHECK_INT(len, 77);
  }
  size_t len = 0;
  unsigned char *out = NULL;
  CHECK_INT(cloud_captcha_png("1", NULL, &len), -1);
  CHECK_INT(cloud_captcha_wav("1", NULL, &len), -1);
  CHECK_INT(cloud_captcha_png("1", &out, NULL), -1);
  CHECK_INT(cloud_captcha_wav("1", &out, NULL), -1);
  CHECK(out == NULL);

  /* An unterminated code longer than 12 digits is rejected without
   * reading past the 13th byte. */
  char long_code[13];
  memset(long_code, '7', sizeof long_code);
  CHECK_INT(cloud_captcha_png(long_code, &out, &len), -1);
  CHECK_INT(cloud_captcha_wav(long_code, &out, &len), -1);
  CHECK(out == NULL);

  CHECK(cloud_captcha_glyph('/') == NULL);
  CHECK(cloud_captcha_glyph(':') == NULL);
  CHECK(cloud_captcha_glyph('0') != NULL);

  char got[8];
  CHECK_INT(dtmf_decode_wav(NULL, 0, got, sizeof got), -1);
  CHECK_INT(dtmf_decode_wav((const unsigned char *)"RIFF", 4, got, sizeof got), -1);
}

int main(void) {
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    test_wav(codes[i]);
    test_png(codes[i]);
  }
  test_bad_input();
  return check_done("test_captcha_media");
}
