/* usm__fail_why (reason.h). */
#include "core/reason.h"

#include <stdarg.h>
#include <stdio.h>

usm_err usm__fail_why(char *why, size_t cap, usm_err e, const char *fmt, ...) {
  if (why && cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
  }
  return e;
}
