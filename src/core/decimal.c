#include "core/decimal.h"

int usm__decimal(const char *p, size_t n, uint64_t max, uint64_t *out) {
  if (!p || n == 0 || n > 19) return 0; /* 19 digits always fit in 64 bits */
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return 0;
    v = v * 10 + (uint64_t)(p[i] - '0');
  }
  if (v > max) return 0;
  *out = v;
  return 1;
}
