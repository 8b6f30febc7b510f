#include "meeting/jwt.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int b64url_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

/* base64url (RFC 4648 §5), padding optional; returns the length or -1. */
static long b64url_decode(const char *s, size_t n, unsigned char *out) {
  while (n > 0 && s[n - 1] == '=') n--;
  if (n % 4 == 1) return -1;
  size_t len = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64url_value((unsigned char)s[i]);
    if (v < 0) return -1;
    acc = (acc << 6 | (unsigned)v) & 0xffffu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[len++] = (unsigned char)(acc >> bits);
    }
  }
  return (long)len;
}

int usm__jwt_exp_ms(const char *token, int64_t *exp_ms) {
  if (!token) return -1;
  size_t n = strnlen(token, USM__JWT_MAX + 1);
  if (n > USM__JWT_MAX) return -1;
  const char *d1 = memchr(token, '.', n);
  if (!d1) return -1;
  const char *mid = d1 + 1;
  const char *d2 = memchr(mid, '.', n - (size_t)(mid - token));
  if (!d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - token))) return -1;
  size_t mlen = (size_t)(d2 - mid);
  unsigned char *json = malloc(mlen / 4 * 3 + 3);
  if (!json) return -1;
  long jl = b64url_decode(mid, mlen, json);
  int rc = -1;
  cJSON *o = jl > 0 ? cJSON_ParseWithLengthOpts((const char *)json, (size_t)jl, NULL, 0) : NULL;
  const cJSON *exp = cJSON_GetObjectItemCaseSensitive(o, "exp");
  /* 2^62 ms is far beyond any real date; the bound keeps the cast defined. */
  if (cJSON_IsNumber(exp) && isfinite(exp->valuedouble) && exp->valuedouble >= 0 &&
      exp->valuedouble < 4.6e18) {
    *exp_ms = (int64_t)exp->valuedouble;
    rc = 0;
  }
  cJSON_Delete(o);
  free(json);
  return rc;
}

int usm__token_needs_refresh(const char *token, int64_t now_ms) {
  int64_t exp;
  if (usm__jwt_exp_ms(token, &exp) != 0) return 0;
  return exp - now_ms <= USM__TOKEN_REFRESH_MS;
}
