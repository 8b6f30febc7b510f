/* DTMF decoding: find tone bursts by their energy in 10 ms blocks, then
 * run Goertzel filters over each whole burst (minus its edges) and map the
 * strongest row and column frequencies to a key. */
#include "dtmf_decode.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static const double row_hz[4] = {697, 770, 852, 941};
static const double col_hz[4] = {1209, 1336, 1477, 1633};
static const char keys[4][4] = {
    {'1', '2', '3', 'A'}, {'4', '5', '6', 'B'}, {'7', '8', '9', 'C'}, {'*', '0', '#', 'D'}};

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

static double sample(const unsigned char *pcm, size_t i) {
  long v = (long)le16(pcm + 2 * i);
  return (double)(v >= 32768 ? v - 65536 : v);
}

typedef struct pcm {
  const unsigned char *data;
  size_t samples;
  unsigned rate;
} pcm;

/* Finds the fmt and data chunks; 0 on a usable mono 16-bit PCM file. */
static int parse_wav(const unsigned char *wav, size_t len, pcm *p) {
  if (!wav || len < 12 || memcmp(wav, "RIFF", 4) != 0 || memcmp(wav + 8, "WAVE", 4) != 0)
    return -1;
  uint32_t riff = le32(wav + 4);
  if (riff < 4 || riff > len - 8) return -1;
  size_t end = 8 + (size_t)riff, off = 12;
  int have_fmt = 0;
  p->data = NULL;
  p->samples = 0;
  p->rate = 0;
  while (end - off >= 8) {
    const unsigned char *c = wav + off;
    size_t size = le32(c + 4);
    if (size > end - off - 8) return -1;
    if (memcmp(c, "fmt ", 4) == 0) {
      if (size < 16) return -1;
      unsigned fmt = le16(c + 8), channels = le16(c + 10), bits = le16(c + 22);
      uint32_t rate = le32(c + 12);
      if (fmt != 1 || channels != 1 || bits != 16 || le16(c + 20) != 2) return -1;
      if (rate < 4000 || rate > 48000 || le32(c + 16) != rate * 2) return -1;
      p->rate = (unsigned)rate;
      have_fmt = 1;
    } else if (memcmp(c, "data", 4) == 0 && !p->data) {
      p->data = c + 8;
      p->samples = size / 2;
    }
    off += 8 + size;
    if (size & 1) { /* chunks are padded to even sizes */
      if (off == end) break;
      off++;
    }
  }
  return have_fmt && p->data ? 0 : -1;
}

static double energy(const pcm *p, size_t first, size_t n) {
  double e = 0;
  for (size_t i = first; i < first + n; i++) {
    double x = sample(p->data, i);
    e += x * x;
  }
  return e;
}

/* Energy of the component at hz over n samples (Goertzel), scaled to be
 * comparable with energy(): a pure tone gives its full energy. */
static double goertzel(const pcm *p, size_t first, size_t n, double hz) {
  double coeff = 2.0 * cos(6.283185307179586 * hz / p->rate), s1 = 0, s2 = 0;
  for (size_t i = first; i < first + n; i++) {
    double s = sample(p->data, i) + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return 2.0 * (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (double)n;
}

/* Index of the strongest of four energies, or -1 unless it dominates the
 * runner-up clearly. */
static int strongest(const double e[4]) {
  int best = 0;
  for (int i = 1; i < 4; i++)
    if (e[i] > e[best]) best = i;
  for (int i = 0; i < 4; i++)
    if (i != best && e[i] * 4.0 > e[best]) return -1;
  return best;
}

/* The key for samples [first, first+n), or 0 if they are not a clean pair. */
static char classify(const pcm *p, size_t first, size_t n) {
  double er[4], ec[4];
  for (int i = 0; i < 4; i++) {
    er[i] = goertzel(p, first, n, row_hz[i]);
    ec[i] = goertzel(p, first, n, col_hz[i]);
  }
  int r = strongest(er), c = strongest(ec);
  if (r < 0 || c < 0) return 0;
  /* The pair must carry most of the energy, with a plausible twist. */
  if (er[r] + ec[c] < 0.6 * energy(p, first, n)) return 0;
  if (er[r] > 8.0 * ec[c] || ec[c] > 8.0 * er[r]) return 0;
  return keys[r][c];
}

int dtmf_decode_wav(const unsigned char *wav, size_t len, char *out, size_t cap) {
  pcm p = {NULL, 0, 0};
  if (!out || cap == 0 || parse_wav(wav, len, &p) != 0) return -1;
  size_t block = p.rate / 100, nblocks = p.samples / block;

  double max_e = 0;
  for (size_t b = 0; b < nblocks; b++) {
    double e = energy(&p, b * block, block);
    if (e > max_e) max_e = e;
  }
  /* Loud: within 10 dB of the loudest block and above -50 dBFS. */
  double floor_e = (double)block * 100.0 * 100.0;
  double loud_e = max_e / 10.0 > floor_e ? max_e / 10.0 : floor_e;

  size_t n = 0, start = 0;
  int in_tone = 0;
  for (size_t b = 0; b <= nblocks; b++) {
    int loud = b < nblocks && energy(&p, b * block, block) >= loud_e;
    if (loud && !in_tone) {
      start = b;
      in_tone = 1;
    } else if (!loud && in_tone) {
      in_tone = 0;
      size_t first = start, count = b - start;
      if (count < 3) continue; /* a click, not a tone */
      if (count >= 5) {        /* skip the fade in/out */
        first++;
        count -= 2;
      }
      char key = classify(&p, first * block, count * block);
      if (!key || n + 1 >= cap) return -1;
      out[n++] = key;
    }
  }
  out[n] = '\0';
  return (int)n;
}
