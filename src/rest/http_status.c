#include "rest/http_status.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

usm_err usm__http_status_err(long s) {
  if (s >= 200 && s < 300) return USM_OK;
  switch (s) {
    case 400: return USM_ERR_BAD_REQUEST;
    case 401: return USM_ERR_UNAUTHORIZED;
    case 403: return USM_ERR_FORBIDDEN;
    case 404: return USM_ERR_NOT_FOUND;
    case 409: return USM_ERR_CONFLICT;
    case 410: return USM_ERR_GONE;
    case 423: return USM_ERR_LOCKED;
    case 429: return USM_ERR_RATE_LIMITED;
    default: break;
  }
  if (s >= 500 && s < 600) return USM_ERR_SERVER;
  if (s >= 400 && s < 500) return USM_ERR_HTTP;
  /* 1xx/3xx as a final answer: redirects are never followed (the token
   * must not travel to another host), so this is not what the API promises. */
  return USM_ERR_BAD_RESPONSE;
}

usm_err usm__curl_err(CURLcode code) {
  switch (code) {
    case CURLE_OK: return USM_OK;
    case CURLE_OPERATION_TIMEDOUT: return USM_ERR_TIMEOUT;
    case CURLE_OUT_OF_MEMORY: return USM_ERR_NO_MEMORY;
    case CURLE_WRITE_ERROR: /* our write callback refused: body bound */
    case CURLE_FILESIZE_EXCEEDED: return USM_ERR_RESPONSE_TOO_LARGE;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED: return USM_ERR_TLS;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return USM_ERR_INVALID_ARG;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return USM_ERR_BAD_RESPONSE;
    default: return USM_ERR_NETWORK;
  }
}

int usm__http_retryable(long s, int idempotent) {
  switch (s) {
    case 423:
    case 429:
    case 502:
    case 503:
    case 504: return 1;
    case 500: return idempotent;
    default: return 0;
  }
}

long usm__parse_retry_after(const char *v, size_t len, long long now) {
  char buf[64];
  while (len && isspace((unsigned char)*v)) v++, len--;
  while (len && isspace((unsigned char)v[len - 1])) len--;
  if (len == 0 || len >= sizeof buf) return -1;
  memcpy(buf, v, len);
  buf[len] = '\0';
  int digits = 1;
  for (size_t i = 0; i < len; i++)
    if (!isdigit((unsigned char)buf[i])) digits = 0;
  if (digits) {
    if (len > 7) return -1; /* > ~115 days: nonsense; refuse rather than overflow */
    long secs = 0;
    for (size_t i = 0; i < len; i++) secs = secs * 10 + (buf[i] - '0');
    return secs * 1000;
  }
  time_t when = curl_getdate(buf, NULL);
  if (when == (time_t)-1) return -1;
  long long diff = (long long)when - now;
  if (diff < 0) diff = 0;
  if (diff > 10000000) return -1;
  return (long)diff * 1000;
}

/* Link: <https://a/b?x=1>; rel="next", <...>; rel="prev" */
int usm__parse_link_next(const char *v, size_t len, char *out, size_t cap) {
  size_t i = 0;
  while (i < len) {
    while (i < len && v[i] != '<') i++;
    if (i >= len) return 0;
    size_t start = ++i;
    while (i < len && v[i] != '>') i++;
    if (i >= len) return 0;
    size_t end = i++;
    /* parameters up to the next ',' outside <> */
    size_t pstart = i;
    while (i < len && v[i] != ',') i++;
    size_t plen = i - pstart;
    const char *params = v + pstart;
    int is_next = 0;
    for (size_t k = 0; k + 3 <= plen; k++) {
      if (strncasecmp(params + k, "rel", 3) != 0) continue;
      size_t j = k + 3;
      while (j < plen && (params[j] == ' ' || params[j] == '\t')) j++;
      if (j >= plen || params[j] != '=') continue;
      j++;
      while (j < plen && (params[j] == ' ' || params[j] == '\t')) j++;
      if (j < plen && params[j] == '"') j++;
      if (plen - j >= 4 && strncasecmp(params + j, "next", 4) == 0 &&
          (j + 4 == plen || params[j + 4] == '"' || params[j + 4] == ';' || params[j + 4] == ' '))
        is_next = 1;
    }
    if (is_next) {
      size_t n = end - start;
      if (n == 0 || n >= cap) return 0;
      memcpy(out, v + start, n);
      out[n] = '\0';
      return 1;
    }
    if (i < len) i++; /* skip ',' */
  }
  return 0;
}

long usm__backoff_ms(unsigned n, long jitter_ms) {
  long base = 500;
  for (unsigned i = 1; i < n && base < 8000; i++) base *= 2;
  if (base > 8000) base = 8000;
  return base + jitter_ms;
}
