/* YUV4MPEG2 reader (y4m_reader.h). */
#include "source/y4m_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/decimal.h"
#include "core/reason.h"

struct usm__y4m_reader {
  FILE *f;
  unsigned w, h, fps_num, fps_den;
  long data_start; /* offset of the first "FRAME" */
  uint8_t *buf;    /* one frame: Y then U then V, packed */
  size_t frame_bytes;
};

/* Reads one line (without its '\n') of at most max bytes into buf (max + 1
 * bytes). 1 ok, 0 clean EOF before any byte, -1 too long or EOF mid-line. */
static int read_line(FILE *f, char *buf, size_t max, size_t *len) {
  size_t n = 0;
  for (;;) {
    int c = getc(f);
    if (c == EOF) return n == 0 ? 0 : -1;
    if (c == '\n') break;
    if (n >= max - 1) return -1;
    buf[n++] = (char)c;
  }
  buf[n] = '\0';
  *len = n;
  return 1;
}

static int number(const char *p, size_t n, uint64_t max, unsigned *out) {
  uint64_t v;
  if (!usm__decimal(p, n, max, &v)) return 0;
  *out = (unsigned)v;
  return 1;
}

/* The header's parameters after "YUV4MPEG2". */
static usm_err parse_header(usm__y4m_reader *r, const char *s, size_t len, char *why, size_t ws) {
  int have_w = 0, have_h = 0, have_f = 0;
  size_t i = 0;
  while (i < len) {
    if (s[i] == ' ') {
      i++;
      continue;
    }
    size_t j = i;
    while (j < len && s[j] != ' ') j++;
    const char *t = s + i + 1;
    size_t tn = j - i - 1;
    switch (s[i]) {
    case 'W':
      if (!number(t, tn, 100000, &r->w)) return usm__fail_why(why, ws, USM_ERR_MALFORMED, "Y4M: bad W");
      have_w = 1;
      break;
    case 'H':
      if (!number(t, tn, 100000, &r->h)) return usm__fail_why(why, ws, USM_ERR_MALFORMED, "Y4M: bad H");
      have_h = 1;
      break;
    case 'F': {
      const char *colon = memchr(t, ':', tn);
      if (!colon || !number(t, (size_t)(colon - t), 1000000, &r->fps_num) ||
          !number(colon + 1, tn - (size_t)(colon - t) - 1, 1000000, &r->fps_den) || r->fps_num == 0 ||
          r->fps_den == 0)
        return usm__fail_why(why, ws, USM_ERR_MALFORMED, "Y4M: bad F");
      have_f = 1;
      break;
    }
    case 'C':
      if (!((tn == 3 && memcmp(t, "420", 3) == 0) || (tn == 7 && memcmp(t, "420jpeg", 7) == 0) ||
            (tn == 11 && memcmp(t, "420paligned", 11) == 0) || (tn == 8 && memcmp(t, "420mpeg2", 8) == 0)))
        return usm__fail_why(why, ws, USM_ERR_INVALID_ARG, "Y4M: colour space C%.*s; only 4:2:0 (C420*)",
                    (int)(tn > 16 ? 16 : tn), t);
      break;
    case 'I': /* interlacing, aspect, extensions: the samples are the same */
    case 'A':
    case 'X':
      break;
    default:
      return usm__fail_why(why, ws, USM_ERR_MALFORMED, "Y4M: unknown header tag '%c'", s[i]);
    }
    i = j;
  }
  if (!have_w || !have_h || !have_f) return usm__fail_why(why, ws, USM_ERR_MALFORMED, "Y4M: W, H and F are required");
  if (r->w < USM__Y4M_MIN_SIZE || r->h < USM__Y4M_MIN_SIZE || r->w > USM__Y4M_MAX_WIDTH ||
      r->h > USM__Y4M_MAX_HEIGHT || (r->w & 1u) || (r->h & 1u))
    return usm__fail_why(why, ws, USM_ERR_INVALID_ARG, "Y4M: size %ux%u; only even sizes within %ux%u..%ux%u", r->w,
                r->h, USM__Y4M_MIN_SIZE, USM__Y4M_MIN_SIZE, USM__Y4M_MAX_WIDTH, USM__Y4M_MAX_HEIGHT);
  /* 1 <= num/den <= 120, without overflow (both are <= 10^6). */
  if ((uint64_t)r->fps_num < r->fps_den || (uint64_t)r->fps_num > (uint64_t)r->fps_den * USM__Y4M_MAX_FPS)
    return usm__fail_why(why, ws, USM_ERR_INVALID_ARG, "Y4M: frame rate %u:%u; only 1..%u fps", r->fps_num, r->fps_den,
                USM__Y4M_MAX_FPS);
  return USM_OK;
}

usm_err usm__y4m_open_why(const char *path, usm__y4m_reader **out, char *why, size_t ws) {
  if (why && ws) why[0] = '\0';
  if (!out) return usm__fail_why(why, ws, USM_ERR_INVALID_ARG, "no output");
  *out = NULL;
  if (!path || !*path) return usm__fail_why(why, ws, USM_ERR_INVALID_ARG, "no path");
  usm__y4m_reader *r = calloc(1, sizeof *r);
  if (!r) return usm__fail_why(why, ws, USM_ERR_NO_MEMORY, "out of memory");
  r->f = fopen(path, "rb");
  if (!r->f) {
    usm_err e = usm__fail_why(why, ws, USM_ERR_NOT_FOUND, "cannot open %s: %s", path, strerror(errno));
    free(r);
    return e;
  }
  char line[USM__Y4M_MAX_HEADER + 1];
  size_t len = 0;
  usm_err e = USM_OK;
  if (read_line(r->f, line, sizeof line, &len) != 1 || len < 9 || memcmp(line, "YUV4MPEG2", 9) != 0 ||
      (len > 9 && line[9] != ' ')) {
    e = usm__fail_why(why, ws, USM_ERR_MALFORMED, "%s is not a YUV4MPEG2 file (or its header exceeds %u bytes)", path,
             USM__Y4M_MAX_HEADER);
    goto bad;
  }
  if ((e = parse_header(r, line + 9, len - 9, why, ws)) != USM_OK) goto bad;
  r->data_start = ftell(r->f);
  if (r->data_start < 0) {
    e = usm__fail_why(why, ws, USM_ERR_NOT_FOUND, "%s is not a seekable file", path);
    goto bad;
  }
  r->frame_bytes = (size_t)r->w * r->h * 3 / 2;
  r->buf = malloc(r->frame_bytes);
  if (!r->buf) {
    e = usm__fail_why(why, ws, USM_ERR_NO_MEMORY, "out of memory");
    goto bad;
  }
  *out = r;
  return USM_OK;
bad:
  usm__y4m_close(r);
  return e;
}

usm_err usm__y4m_open(const char *path, usm__y4m_reader **out) { return usm__y4m_open_why(path, out, NULL, 0); }

int usm__y4m_read(usm__y4m_reader *r, uint8_t *plane[3], int stride[3]) {
  if (!r || !plane || !stride) return -1;
  char line[USM__Y4M_MAX_FRAME_HEADER + 1];
  size_t len = 0;
  int rc = read_line(r->f, line, sizeof line, &len);
  if (rc == 0) return 0;
  if (rc < 0 || len < 5 || memcmp(line, "FRAME", 5) != 0 || (len > 5 && line[5] != ' ')) return -1;
  if (fread(r->buf, 1, r->frame_bytes, r->f) != r->frame_bytes) return -1;
  size_t ysize = (size_t)r->w * r->h;
  plane[0] = r->buf;
  plane[1] = r->buf + ysize;
  plane[2] = r->buf + ysize + ysize / 4;
  stride[0] = (int)r->w;
  stride[1] = stride[2] = (int)(r->w / 2);
  return 1;
}

usm_err usm__y4m_rewind(usm__y4m_reader *r) {
  if (!r) return USM_ERR_INVALID_ARG;
  return fseek(r->f, r->data_start, SEEK_SET) == 0 ? USM_OK : USM_ERR_INTERNAL;
}

unsigned usm__y4m_width(const usm__y4m_reader *r) { return r ? r->w : 0; }
unsigned usm__y4m_height(const usm__y4m_reader *r) { return r ? r->h : 0; }

void usm__y4m_fps(const usm__y4m_reader *r, unsigned *num, unsigned *den) {
  if (num) *num = r ? r->fps_num : 0;
  if (den) *den = r ? r->fps_den : 1;
}

void usm__y4m_close(usm__y4m_reader *r) {
  if (!r) return;
  if (r->f) fclose(r->f);
  free(r->buf);
  free(r);
}
