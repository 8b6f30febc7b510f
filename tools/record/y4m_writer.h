/* A YUV4MPEG2 (.y4m) writer of I420 pictures, "C420jpeg" progressive, for
 * decoded video that any player or ffmpeg reads. 0 ok, -1 error with errno
 * set. */
#ifndef USMREC_Y4M_WRITER_H
#define USMREC_Y4M_WRITER_H

#include <stdint.h>

typedef struct usmrec_y4m usmrec_y4m;

/* width, height even, 2..16384; fps 1..1000 (the F tag is fps:1). */
int usmrec_y4m_open(usmrec_y4m **out, const char *path, unsigned width, unsigned height, unsigned fps);
/* One picture of the file's size (another size: -1 EINVAL; a Y4M stream has
 * one size). Strides are the source's; rows are written packed. */
int usmrec_y4m_write(usmrec_y4m *y, const uint8_t *const plane[3], const int stride[3], unsigned width,
                     unsigned height);
/* Closes; frees @p y even on error. NULL ok. */
int usmrec_y4m_close(usmrec_y4m *y);

#endif
