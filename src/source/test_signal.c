/* The "tone" and "pattern" test signals (test_signal.h). */
#include "source/test_signal.h"

#include <math.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

int16_t usm__tone_sample(uint64_t n) {
  /* Phases from exact integer arithmetic, so sample n is the same however
   * far from the start it is (no accumulated floating-point drift). */
  uint64_t in_second = n % USM__TONE_RATE;
  double v = sin(2.0 * M_PI * (double)((in_second * USM__TONE_HZ) % USM__TONE_RATE) / USM__TONE_RATE);
  double s = USM__TONE_AMPLITUDE * v;
  if (in_second < USM__TONE_BEEP_SAMPLES) {
    double b = sin(2.0 * M_PI * (double)((in_second * USM__TONE_BEEP_HZ) % USM__TONE_RATE) / USM__TONE_RATE);
    s += USM__TONE_AMPLITUDE * b;
  }
  /* Two components of 8231 peak stay far below 32767: no clipping. */
  return (int16_t)lrint(s);
}

void usm__tone_fill(uint64_t first, int16_t *pcm, unsigned channels, size_t samples) {
  if (!pcm || channels == 0) return;
  for (size_t i = 0; i < samples; i++) {
    int16_t s = usm__tone_sample(first + i);
    for (unsigned c = 0; c < channels; c++) pcm[i * channels + c] = s;
  }
}

uint8_t usm__pattern_crc8(const uint8_t *p, size_t n) {
  uint8_t crc = 0;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int b = 0; b < 8; b++) crc = (uint8_t)((crc & 0x80) ? (crc << 1) ^ 0x07 : crc << 1);
  }
  /* The final XOR (CRC-8/I-432.1) keeps an all-black or all-white strip
   * from passing as a valid number. */
  return (uint8_t)(crc ^ 0x55);
}

unsigned usm__pattern_strip_cols(unsigned w) {
  if (w >= 32u * 16u) return 32;
  if (w >= 16u * 16u) return 16;
  return 8;
}

/* BT.601 limited-range YUV of the 75% colour bars: white, yellow, cyan,
 * green, magenta, red, blue, black. */
static const uint8_t bars_yuv[8][3] = {
  {180, 128, 128}, {162, 44, 142}, {131, 156, 44}, {112, 72, 58},
  {84, 184, 198},  {65, 100, 212}, {35, 212, 114}, {16, 128, 128},
};

#define STRIP_BLACK 16
#define STRIP_WHITE 235
#define STRIP_CHROMA 128

static int size_ok(const void *const plane[3], const int stride[3], unsigned w, unsigned h) {
  if (!plane || !stride || !plane[0] || !plane[1] || !plane[2]) return 0;
  if (w < USM__PATTERN_MIN_SIZE || h < USM__PATTERN_MIN_SIZE || (w & 1u) || (h & 1u)) return 0;
  if (stride[0] < (int)w || stride[1] < (int)(w / 2) || stride[2] < (int)(w / 2)) return 0;
  return 1;
}

/* The strip's bits: frame number (24 bits, most significant first), then the CRC. */
static void strip_bits(uint32_t frame_no, uint8_t bits[USM__PATTERN_CELLS]) {
  uint8_t bytes[4] = {(uint8_t)(frame_no >> 16), (uint8_t)(frame_no >> 8), (uint8_t)frame_no, 0};
  bytes[3] = usm__pattern_crc8(bytes, 3);
  for (unsigned i = 0; i < USM__PATTERN_CELLS; i++) bits[i] = (uint8_t)((bytes[i / 8] >> (7 - i % 8)) & 1u);
}

/* Geometry shared by draw and read: strip height and cell size. */
typedef struct strip_geom {
  unsigned cols, rows, cell_w, cell_h, strip_h;
} strip_geom;

static strip_geom geom(unsigned w, unsigned h) {
  strip_geom g;
  g.cols = usm__pattern_strip_cols(w);
  g.rows = USM__PATTERN_CELLS / g.cols;
  g.strip_h = (h / 8u) & ~1u; /* even, so chroma rows match */
  g.cell_w = w / g.cols;
  g.cell_h = g.strip_h / g.rows;
  return g;
}

void usm__pattern_draw(uint8_t *const plane[3], const int stride[3], unsigned w, unsigned h,
                       uint32_t frame_no) {
  if (!size_ok((const void *const *)plane, stride, w, h)) return;
  strip_geom g = geom(w, h);
  uint8_t bits[USM__PATTERN_CELLS];
  strip_bits(frame_no, bits);
  unsigned shift = (unsigned)(((uint64_t)frame_no * 4u) % w);

  for (unsigned y = 0; y < h; y++) {
    uint8_t *row = plane[0] + (size_t)y * (size_t)stride[0];
    if (y < g.strip_h) {
      unsigned r = y / g.cell_h;
      for (unsigned x = 0; x < w; x++) {
        unsigned c = x / g.cell_w;
        /* Leftover columns/rows beyond the last whole cell stay black. */
        int on = r < g.rows && c < g.cols && bits[r * g.cols + c];
        row[x] = on ? STRIP_WHITE : STRIP_BLACK;
      }
    } else {
      for (unsigned x = 0; x < w; x++) row[x] = bars_yuv[(((x + shift) % w) * 8u) / w][0];
    }
  }
  for (unsigned y = 0; y < h / 2; y++) {
    uint8_t *u = plane[1] + (size_t)y * (size_t)stride[1];
    uint8_t *v = plane[2] + (size_t)y * (size_t)stride[2];
    for (unsigned x = 0; x < w / 2; x++) {
      if (y * 2 < g.strip_h) {
        u[x] = STRIP_CHROMA;
        v[x] = STRIP_CHROMA;
      } else {
        const uint8_t *c = bars_yuv[(((2 * x + shift) % w) * 8u) / w];
        u[x] = c[1];
        v[x] = c[2];
      }
    }
  }
}

int usm__pattern_read(const uint8_t *const plane[3], const int stride[3], unsigned w, unsigned h,
                      uint32_t *frame_no) {
  if (!size_ok((const void *const *)plane, stride, w, h)) return 0;
  strip_geom g = geom(w, h);
  uint8_t bytes[4] = {0, 0, 0, 0};
  for (unsigned i = 0; i < USM__PATTERN_CELLS; i++) {
    unsigned r = i / g.cols, c = i % g.cols;
    /* Average the middle half of the cell: codec ringing sits at the edges. */
    unsigned x0 = c * g.cell_w + g.cell_w / 4, x1 = c * g.cell_w + (3 * g.cell_w + 3) / 4;
    unsigned y0 = r * g.cell_h + g.cell_h / 4, y1 = r * g.cell_h + (3 * g.cell_h + 3) / 4;
    if (x1 <= x0) x1 = x0 + 1;
    if (y1 <= y0) y1 = y0 + 1;
    uint64_t sum = 0, n = 0;
    for (unsigned y = y0; y < y1; y++) {
      const uint8_t *row = plane[0] + (size_t)y * (size_t)stride[0];
      for (unsigned x = x0; x < x1; x++) sum += row[x], n++;
    }
    unsigned mean = (unsigned)(sum / n);
    /* Each cell must be clearly black or clearly white: noise, grey or an
     * unrelated picture averages to the middle and is refused. */
    int bit;
    if (mean <= 80) bit = 0;
    else if (mean >= 170) bit = 1;
    else return 0;
    bytes[i / 8] = (uint8_t)(bytes[i / 8] | (bit << (7 - i % 8)));
  }
  if (usm__pattern_crc8(bytes, 3) != bytes[3]) return 0;
  if (frame_no) *frame_no = ((uint32_t)bytes[0] << 16) | ((uint32_t)bytes[1] << 8) | bytes[2];
  return 1;
}
