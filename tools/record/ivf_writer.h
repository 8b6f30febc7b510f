/* An IVF file writer (the libvpx container: a 32-byte "DKIF" header, then
 * per frame a 12-byte header of size and pts). Holds VP8 frames or H.264
 * Annex B access units as received, for playback with ffmpeg/ffplay.
 * 0 ok, -1 error with errno set. */
#ifndef USMREC_IVF_WRITER_H
#define USMREC_IVF_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct usmrec_ivf usmrec_ivf;

/* fourcc: 4 characters ("VP80", "H264"); width, height 1..65535;
 * timebase_den: ticks per second of the pts (90000 for RTP video). */
int usmrec_ivf_open(usmrec_ivf **out, const char *path, const char *fourcc, unsigned width, unsigned height,
                    unsigned timebase_den);
/* One frame, len 1..2^32-1 bytes; pts in timebase ticks. */
int usmrec_ivf_write(usmrec_ivf *f, const uint8_t *frame, size_t len, uint64_t pts);
/* Patches the frame count and closes; frees @p f even on error. NULL ok. */
int usmrec_ivf_close(usmrec_ivf *f);

#endif
