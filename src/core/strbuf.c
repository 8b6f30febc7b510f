#include "core/strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void usm__strbuf_init(usm_strbuf *b, size_t limit) {
  b->data = NULL;
  b->len = b->cap = 0;
  b->limit = limit;
}

void usm__strbuf_free(usm_strbuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void usm__strbuf_reset(usm_strbuf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

static int reserve(usm_strbuf *b, size_t extra) {
  if (extra > SIZE_MAX - b->len - 1) return -1;
  size_t need = b->len + extra + 1;
  if (b->limit && need - 1 > b->limit) return -1;
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *p = realloc(b->data, cap);
  if (!p) return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int usm__strbuf_append(usm_strbuf *b, const void *data, size_t n) {
  if (reserve(b, n) != 0) return -1;
  if (n) memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int usm__strbuf_vprintf(usm_strbuf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0 || reserve(b, (size_t)n) != 0) return -1;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int usm__strbuf_printf(usm_strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = usm__strbuf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

const char *usm__strbuf_str(const usm_strbuf *b) { return b->data ? b->data : ""; }

char *usm__strdup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}
