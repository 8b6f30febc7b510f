/* Pure helpers of the HTTP layer: status mapping, retry policy, headers. */
#ifndef USM_REST_HTTP_STATUS_H
#define USM_REST_HTTP_STATUS_H

#include <curl/curl.h>
#include <stddef.h>
#include <usm/common.h>

/* usm_err for an HTTP status (USM_OK for 2xx). */
usm_err usm__http_status_err(long status);

/* usm_err for a transport failure reported by libcurl. */
usm_err usm__curl_err(CURLcode code);

/* Whether a response with this status may be retried. 423/429/502/503/504
 * always (the server did not act on the request); 500 only when the
 * request is idempotent, so a create is never done twice. */
int usm__http_retryable(long status, int idempotent);

/* Retry-After value in milliseconds: delta-seconds or an HTTP-date relative
 * to @p now (seconds since the epoch). -1 when it does not parse. */
long usm__parse_retry_after(const char *value, size_t len, long long now);

/* From a Link header value, the URL with rel="next", copied NUL-terminated
 * into @p out (size @p cap). 1 if found, 0 otherwise (also when too long). */
int usm__parse_link_next(const char *value, size_t len, char *out, size_t cap);

/* Backoff for the n-th retry (n >= 1) without Retry-After: 500 ms doubling,
 * capped at 8 s, plus @p jitter_ms. */
long usm__backoff_ms(unsigned n, long jitter_ms);

#endif
