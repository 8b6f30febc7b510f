/* A growable byte buffer with a hard size bound (for bodies from the network). */
#ifndef USM_STRBUF_H
#define USM_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct usm_strbuf {
  char *data;    /* NUL-terminated when non-NULL */
  size_t len;
  size_t cap;
  size_t limit;  /* appends past this fail; 0 = no bound */
} usm_strbuf;

void usm__strbuf_init(usm_strbuf *b, size_t limit);
void usm__strbuf_free(usm_strbuf *b);
void usm__strbuf_reset(usm_strbuf *b);
/* 0 on success, -1 on allocation failure or when the limit would be passed. */
int usm__strbuf_append(usm_strbuf *b, const void *data, size_t n);
int usm__strbuf_printf(usm_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int usm__strbuf_vprintf(usm_strbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* The contents, or "" when empty. */
const char *usm__strbuf_str(const usm_strbuf *b);

/* strdup that returns NULL for NULL. */
char *usm__strdup(const char *s);

#endif
