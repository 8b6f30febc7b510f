/* A WAV (RIFF, PCM s16 little-endian) file writer. The header is written
 * with zero sizes at open and patched at close, so an interrupted recording
 * is still readable by tolerant readers. 0 ok, -1 error with errno set. */
#ifndef USMREC_WAV_WRITER_H
#define USMREC_WAV_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct usmrec_wav usmrec_wav;

/* channels 1..8, rate 1..384000 (else EINVAL). */
int usmrec_wav_open(usmrec_wav **out, const char *path, unsigned channels, unsigned rate);
/* Interleaved samples; EFBIG when the data would pass the RIFF 4 GiB limit. */
int usmrec_wav_write(usmrec_wav *w, const int16_t *pcm, size_t samples_per_channel);
/* Patches the sizes and closes; frees @p w even on error. NULL ok. */
int usmrec_wav_close(usmrec_wav *w);

#endif
