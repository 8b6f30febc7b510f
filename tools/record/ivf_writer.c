/* IVF writer (ivf_writer.h). */
#include "ivf_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct usmrec_ivf {
  FILE *f;
  uint32_t frames;
};

static void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int usmrec_ivf_open(usmrec_ivf **out, const char *path, const char *fourcc, unsigned width, unsigned height,
                    unsigned timebase_den) {
  if (!out || !path || !fourcc || strlen(fourcc) != 4 || width < 1 || width > 65535 || height < 1 ||
      height > 65535 || timebase_den < 1) {
    errno = EINVAL;
    return -1;
  }
  *out = NULL;
  usmrec_ivf *v = calloc(1, sizeof *v);
  if (!v) return -1;
  v->f = fopen(path, "wb");
  if (!v->f) {
    free(v);
    return -1;
  }
  uint8_t h[32] = {0};
  memcpy(h, "DKIF", 4);
  put16(h + 4, 0);  /* version */
  put16(h + 6, 32); /* header size */
  memcpy(h + 8, fourcc, 4);
  put16(h + 12, width);
  put16(h + 14, height);
  put32(h + 16, timebase_den); /* time base: 1/den seconds */
  put32(h + 20, 1);
  put32(h + 24, 0); /* frame count, patched at close */
  if (fwrite(h, 1, sizeof h, v->f) != sizeof h) {
    int e = errno ? errno : EIO;
    fclose(v->f);
    free(v);
    errno = e;
    return -1;
  }
  *out = v;
  return 0;
}

int usmrec_ivf_write(usmrec_ivf *v, const uint8_t *frame, size_t len, uint64_t pts) {
  if (!v || !frame || len == 0 || len > 0xFFFFFFFFu || v->frames == 0xFFFFFFFFu) {
    errno = EINVAL;
    return -1;
  }
  uint8_t h[12];
  put32(h, (uint32_t)len);
  put32(h + 4, (uint32_t)pts);
  put32(h + 8, (uint32_t)(pts >> 32));
  if (fwrite(h, 1, sizeof h, v->f) != sizeof h || fwrite(frame, 1, len, v->f) != len) {
    if (!errno) errno = EIO;
    return -1;
  }
  v->frames++;
  return 0;
}

int usmrec_ivf_close(usmrec_ivf *v) {
  if (!v) return 0;
  int rc = 0, e = 0;
  uint8_t n[4];
  put32(n, v->frames);
  if (fseek(v->f, 24, SEEK_SET) != 0 || fwrite(n, 1, 4, v->f) != 4) rc = -1, e = errno ? errno : EIO;
  if (fclose(v->f) != 0 && rc == 0) rc = -1, e = errno ? errno : EIO;
  free(v);
  if (rc) errno = e;
  return rc;
}
