/* The WAV reader (source/wav_reader.h) on arbitrary files: the input is
 * written to an in-memory file (memfd) that the reader opens by path.
 * Checks: no crash, leak or hang; a refused file has a reason and one of
 * the documented errors (never NOT_FOUND: the file exists); an accepted one
 * has 1 or 2 channels and no more samples than the file holds, reads back
 * exactly its length in pieces, and reads the same after a rewind. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "source/wav_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char path[64];

/* The input as a file; 0 on success. */
static int put_file(const uint8_t *data, size_t size) {
  if (memfd < 0) {
    memfd = memfd_create("fuzz_wav", 0);
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

/* Reads everything in pieces of 1..960 samples (the first input bytes pick
 * them); returns the samples per channel read, and the first piece in @p first. */
static uint64_t read_all(usm__wav_reader *r, unsigned ch, const uint8_t *data, size_t size, int16_t *first,
                         size_t *first_n) {
  static int16_t pcm[960 * 2];
  uint64_t total = 0, length = usm__wav_length(r);
  *first_n = 0;
  for (size_t i = 0;; i++) {
    size_t want = 1u + (size ? data[i % size] : 0u) * 4u % 960u;
    size_t got = usm__wav_read(r, pcm, want);
    if (got > want) abort();
    if (got == 0) break;
    if (i == 0) {
      memcpy(first, pcm, got * ch * sizeof *pcm);
      *first_n = got;
    }
    total += got;
    if (total > length) abort();
  }
  return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (put_file(data, size) != 0) abort();
  usm__wav_reader *r = NULL;
  char why[128];
  memset(why, 'x', sizeof why);
  usm_err e = usm__wav_open_why(path, &r, why, sizeof why);
  if (e != USM_OK) {
    if (r) abort();
    if (e != USM_ERR_MALFORMED && e != USM_ERR_INVALID_ARG && e != USM_ERR_NO_MEMORY) abort();
    if (!memchr(why, '\0', sizeof why) || why[0] == '\0') abort();
    return 0;
  }
  if (!r) abort();
  unsigned ch = usm__wav_channels(r);
  if (ch != 1 && ch != 2) abort();
  uint64_t length = usm__wav_length(r);
  if (length * 2u * ch + 12u + 8u + 8u > size) abort(); /* RIFF header, fmt and data chunk headers */
  static int16_t first[960 * 2], again[960 * 2];
  size_t first_n = 0, again_n = 0;
  if (read_all(r, ch, data, size, first, &first_n) != length) abort();
  if (usm__wav_read(r, first, 1) != 0) abort(); /* at the end stays at the end */
  if (usm__wav_rewind(r) != USM_OK) abort();
  if (read_all(r, ch, data, size, again, &again_n) != length) abort();
  if (first_n != again_n || memcmp(first, again, first_n * ch * sizeof first[0]) != 0) abort();
  usm__wav_close(r);
  return 0;
}
