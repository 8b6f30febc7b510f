/* The test signals as files, both ways, for the interop harness: the tone as
 * a WAV and the pattern as a Y4M for a peer (ffmpeg, GStreamer) to encode
 * and send, and the peer's decoded WAV / Y4M / raw I420 measured with
 * signal_check.h. Test code. */
#ifndef USM_INTEROP_SIGNAL_FILES_H
#define USM_INTEROP_SIGNAL_FILES_H

#include <stddef.h>

/* @p seconds of the tone, mono 48 kHz s16. 0 ok, -1 error (message on stderr). */
int sigfile_write_tone(const char *path, double seconds);
/* @p seconds of the pattern at @p fps, w x h, pictures numbered from 0. */
int sigfile_write_pattern(const char *path, unsigned w, unsigned h, unsigned fps, double seconds);

/* Measures the tone in a WAV (48 kHz s16; the first channel) from @p skip
 * samples on; writes a JSON object into @p json. 0 when it passes, 1 when it
 * does not, -1 when the file cannot be read. */
int sigfile_measure_tone(const char *path, size_t skip, char *json, size_t cap);
/* Measures every picture of a Y4M (@p raw 0) or of a raw I420 file of w x h
 * (@p raw 1); the Y4M must be w x h too. Result as above. */
int sigfile_measure_pattern(const char *path, int raw, unsigned w, unsigned h, unsigned min_pictures, char *json,
                            size_t cap);

#endif
