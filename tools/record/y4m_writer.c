/* YUV4MPEG2 writer (y4m_writer.h). */
#include "y4m_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct usmrec_y4m {
  FILE *f;
  unsigned w, h;
};

int usmrec_y4m_open(usmrec_y4m **out, const char *path, unsigned width, unsigned height, unsigned fps) {
  if (!out || !path || width < 2 || height < 2 || width > 16384 || height > 16384 || (width & 1u) ||
      (height & 1u) || fps < 1 || fps > 1000) {
    errno = EINVAL;
    return -1;
  }
  *out = NULL;
  usmrec_y4m *y = calloc(1, sizeof *y);
  if (!y) return -1;
  y->f = fopen(path, "wb");
  if (!y->f) {
    free(y);
    return -1;
  }
  y->w = width;
  y->h = height;
  if (fprintf(y->f, "YUV4MPEG2 W%u H%u F%u:1 Ip A1:1 C420jpeg\n", width, height, fps) < 0) {
    int e = errno ? errno : EIO;
    fclose(y->f);
    free(y);
    errno = e;
    return -1;
  }
  *out = y;
  return 0;
}

int usmrec_y4m_write(usmrec_y4m *y, const uint8_t *const plane[3], const int stride[3], unsigned width,
                     unsigned height) {
  if (!y || !plane || !stride || width != y->w || height != y->h) {
    errno = EINVAL;
    return -1;
  }
  for (int p = 0; p < 3; p++) {
    unsigned pw = p ? width / 2 : width;
    if (!plane[p] || stride[p] < (int)pw) {
      errno = EINVAL;
      return -1;
    }
  }
  if (fputs("FRAME\n", y->f) < 0) goto io;
  for (int p = 0; p < 3; p++) {
    unsigned pw = p ? width / 2 : width, ph = p ? height / 2 : height;
    for (unsigned r = 0; r < ph; r++)
      if (fwrite(plane[p] + (size_t)r * (size_t)stride[p], 1, pw, y->f) != pw) goto io;
  }
  return 0;
io:
  if (!errno) errno = EIO;
  return -1;
}

int usmrec_y4m_close(usmrec_y4m *y) {
  if (!y) return 0;
  int rc = fclose(y->f) == 0 ? 0 : -1;
  free(y);
  return rc;
}
