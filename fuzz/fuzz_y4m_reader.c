/* The Y4M reader (source/y4m_reader.h) on arbitrary files: the input is
 * written to an in-memory file (memfd) that the reader opens by path.
 * Checks: no crash, leak or hang; a refused file has a reason and one of
 * the documented errors (never NOT_FOUND: the file exists); an accepted one
 * has an even size and a rate within the bounds, hands out frames whose
 * planes are readable to the last byte, no more frames than the file holds,
 * and the same frames again after a rewind. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "source/y4m_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char path[64];

static int put_file(const uint8_t *data, size_t size) {
  if (memfd < 0) {
    memfd = memfd_create("fuzz_y4m", 0);
    if (memfd < 0) return -1;
    snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
  }
  if (ftruncate(memfd, 0) != 0) return -1;
  size_t at = 0;
  while (at < size) {
    ssize_t n = pwrite(memfd, data + at, size - at, (off_t)at);
    if (n <= 0) return -1;
    at += (size_t)n;
  }
  return 0;
}

/* A checksum of a frame that touches every byte of its planes. */
static uint32_t frame_sum(uint8_t *const plane[3], const int stride[3], unsigned w, unsigned h) {
  uint32_t s = 0;
  for (int p = 0; p < 3; p++) {
    unsigned pw = p ? w / 2 : w, ph = p ? h / 2 : h;
    if (stride[p] < (int)pw) abort();
    for (unsigned y = 0; y < ph; y++)
      for (unsigned x = 0; x < pw; x++) s = s * 31u + plane[p][(size_t)y * (size_t)stride[p] + x];
  }
  return s;
}

/* Frames until the end or an error: their count, the last result, checksums in @p sums. */
static size_t read_all(usm__y4m_reader *r, size_t max_frames, uint32_t *sums, size_t cap, int *last) {
  unsigned w = usm__y4m_width(r), h = usm__y4m_height(r);
  size_t n = 0;
  for (;;) {
    uint8_t *plane[3] = {NULL, NULL, NULL};
    int stride[3] = {0, 0, 0};
    int rc = usm__y4m_read(r, plane, stride);
    if (rc != 1) {
      if (rc != 0 && rc != -1) abort();
      *last = rc;
      return n;
    }
    if (!plane[0] || !plane[1] || !plane[2]) abort();
    uint32_t s = frame_sum(plane, stride, w, h);
    if (n < cap) sums[n] = s;
    if (++n > max_frames) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (put_file(data, size) != 0) abort();
  usm__y4m_reader *r = NULL;
  char why[128];
  memset(why, 'x', sizeof why);
  usm_err e = usm__y4m_open_why(path, &r, why, sizeof why);
  if (e != USM_OK) {
    if (r) abort();
    if (e != USM_ERR_MALFORMED && e != USM_ERR_INVALID_ARG && e != USM_ERR_NO_MEMORY) abort();
    if (!memchr(why, '\0', sizeof why) || why[0] == '\0') abort();
    return 0;
  }
  if (!r) abort();
  unsigned w = usm__y4m_width(r), h = usm__y4m_height(r), num = 0, den = 0;
  usm__y4m_fps(r, &num, &den);
  if (w < USM__Y4M_MIN_SIZE || h < USM__Y4M_MIN_SIZE || w > USM__Y4M_MAX_WIDTH || h > USM__Y4M_MAX_HEIGHT ||
      (w & 1u) || (h & 1u))
    abort();
  if (!num || !den || (uint64_t)num < den || (uint64_t)num > (uint64_t)den * USM__Y4M_MAX_FPS) abort();
  /* each frame is "FRAME\n" and w*h*3/2 bytes after a header of at least "YUV4MPEG2 W16 H16 F1:1\n" */
  size_t frame_bytes = (size_t)w * h * 3 / 2, max_frames = size / (frame_bytes + 6);
  uint32_t sums[16], again[16];
  int last = 0, last2 = 0;
  size_t n = read_all(r, max_frames, sums, 16, &last);
  if (usm__y4m_rewind(r) != USM_OK) abort();
  size_t n2 = read_all(r, max_frames, again, 16, &last2);
  if (n != n2 || last != last2) abort();
  if (memcmp(sums, again, (n < 16 ? n : 16) * sizeof sums[0]) != 0) abort();
  usm__y4m_close(r);
  return 0;
}
