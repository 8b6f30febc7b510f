/* Deterministic test signals: the "tone" audio and the "pattern" video that
 * usm_meeting_play() sends and that a receiver (tests, the cloud bot) can
 * regenerate or decode to measure delay, loss and quality. See
 * docs/media-files.md. */
#ifndef USM_SOURCE_TEST_SIGNAL_H
#define USM_SOURCE_TEST_SIGNAL_H

#include <stddef.h>
#include <stdint.h>

#define USM__TONE_RATE 48000u
/* Peak of each component: -12 dBFS of 32767. */
#define USM__TONE_AMPLITUDE 8231
#define USM__TONE_HZ 440u
#define USM__TONE_BEEP_HZ 1000u
/* The beep covers the first 100 ms of every second. */
#define USM__TONE_BEEP_SAMPLES 4800u

/* The "tone" signal, sample n (n counted from the start at 48 kHz): a 440 Hz
 * sine at -12 dBFS, plus a 1 kHz beep (same level, 100 ms) at the start of
 * every second; deterministic so a receiver can regenerate it and align by
 * cross-correlation. */
int16_t usm__tone_sample(uint64_t n);
/* Samples first .. first+samples-1, interleaved, same sample in every channel. */
void usm__tone_fill(uint64_t first, int16_t *pcm, unsigned channels, size_t samples);

/* Smallest picture the pattern supports (the strip needs rows and columns). */
#define USM__PATTERN_MIN_SIZE 64u
/* Cells in the strip: 24 bits of frame number, then CRC-8 of those 3 bytes. */
#define USM__PATTERN_CELLS 32u
#define USM__PATTERN_FRAME_BITS 24u

/* The "pattern" picture number frame_no, I420 w x h (even, >= 64x64):
 * moving colour bars (shift by 4 px per frame) plus, in the top 1/8 of the
 * picture, a strip of 32 black/white cells encoding frame_no (low 24 bits,
 * most significant first) and a CRC-8 of those 3 bytes, row by row. Pictures of another size are left alone. */
void usm__pattern_draw(uint8_t *const plane[3], const int stride[3], unsigned w, unsigned h,
                       uint32_t frame_no);
/* Reads the strip back from a (decoded) picture: 1 and *frame_no when every
 * cell is clearly black or white and the check matches, else 0. */
int usm__pattern_read(const uint8_t *const plane[3], const int stride[3], unsigned w, unsigned h,
                      uint32_t *frame_no);

/* The strip's layout for width w: cells per row (32, 16 or 8, so that a cell
 * is at least 16 px wide where w allows) and rows of cells (32 / cols). */
unsigned usm__pattern_strip_cols(unsigned w);

/* CRC-8/I-432.1 (polynomial 0x07, initial 0, final XOR 0x55): the strip's check. */
uint8_t usm__pattern_crc8(const uint8_t *p, size_t n);

#endif
