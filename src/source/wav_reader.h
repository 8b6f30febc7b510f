/* A reader of RIFF/WAVE files as usm_meeting_play() sends them: PCM s16
 * (format 1, or WAVE_FORMAT_EXTENSIBLE with the PCM subformat), 48 kHz, 1 or
 * 2 channels. The file is untrusted: every chunk size is bounded and checked
 * against the file's length. See docs/media-files.md. */
#ifndef USM_SOURCE_WAV_READER_H
#define USM_SOURCE_WAV_READER_H

#include <stddef.h>
#include <stdint.h>
#include <usm/common.h>

typedef struct usm__wav_reader usm__wav_reader;

/* Chunks looked at before "data" (LIST, fact, bext, ...); more is malformed. */
#define USM__WAV_MAX_CHUNKS 64u

/* Opens @p path. USM_ERR_NOT_FOUND when it cannot be opened, USM_ERR_MALFORMED
 * for a broken RIFF structure, USM_ERR_INVALID_ARG for a well-formed file in
 * a format that is not accepted, USM_ERR_NO_MEMORY. */
usm_err usm__wav_open(const char *path, usm__wav_reader **out);
/* The same; on failure @p why (if not NULL) holds the reason as text. */
usm_err usm__wav_open_why(const char *path, usm__wav_reader **out, char *why, size_t why_size);
/* Up to @p samples_per_channel samples, interleaved, into @p pcm; returns how
 * many per channel were read: fewer at the end of the data, 0 at the end or
 * on a read error. */
size_t usm__wav_read(usm__wav_reader *r, int16_t *pcm, size_t samples_per_channel);
/* Back to the first sample. */
usm_err usm__wav_rewind(usm__wav_reader *r);
unsigned usm__wav_channels(const usm__wav_reader *r);
/* Samples per channel in the data chunk (as far as the file really holds them). */
uint64_t usm__wav_length(const usm__wav_reader *r);
void usm__wav_close(usm__wav_reader *r); /* NULL is fine */

#endif
