/* DTMF decoder for captcha audio: the tests (unit and end-to-end) use it
 * to "listen" to a captcha WAV served by usm-cloud and solve it. */
#ifndef USM_TEST_DTMF_DECODE_H
#define USM_TEST_DTMF_DECODE_H

#include <stddef.h>

/* Decodes the DTMF digits in a RIFF/WAVE file (PCM, mono, 16-bit, 4000 to
 * 48000 Hz) into out as a NUL-terminated string (keys '0'-'9', '*', '#', 'A'-'D').
 * Tones are found by their energy, so no fixed timing is assumed; each
 * tone must last at least 30 ms with a quiet gap between tones. Returns the
 * number of digits, or -1 if the file is malformed, a tone is not a clean
 * DTMF pair, or the digits and NUL do not fit in cap bytes. */
int dtmf_decode_wav(const unsigned char *wav, size_t len, char *out, size_t cap);

#endif
