/* Per-client logging. Silent unless the application installs a callback. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/client_internal.h"

/* Overwrite every occurrence of @p secret in @p s with '*'. */
static void scrub(char *s, const char *secret) {
  size_t n = secret ? strlen(secret) : 0;
  if (n < 4) return; /* too short to find reliably; never logged anyway */
  for (char *p = strstr(s, secret); p; p = strstr(p + n, secret)) memset(p, '*', n);
}

void usm__log(usm_client *c, usm_log_level level, const char *fmt, ...) {
  if (!c->log_cb || level > c->log_level) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  scrub(msg, c->access_token);
  c->log_cb(c->log_user, level, msg);
}

void usm__set_error(usm_client *c, const char *fmt, ...) {
  usm__strbuf_reset(&c->last_error);
  va_list ap;
  va_start(ap, fmt);
  (void)usm__strbuf_vprintf(&c->last_error, fmt, ap);
  va_end(ap);
  if (c->last_error.data) scrub(c->last_error.data, c->access_token);
}

void usm__clear_error(usm_client *c) { usm__strbuf_reset(&c->last_error); }
