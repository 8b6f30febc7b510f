/* A PNG snapshot of an I420 picture (BT.601 limited range converted to
 * 8-bit RGB) through libpng. 0 ok, -1 error with errno set. */
#ifndef USMREC_PNG_WRITER_H
#define USMREC_PNG_WRITER_H

#include <stdint.h>

/* width, height even, 2..16384. */
int usmrec_png_write_i420(const char *path, const uint8_t *const plane[3], const int stride[3], unsigned width,
                          unsigned height);

#endif
