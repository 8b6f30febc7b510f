/* URL policy and building for the REST client. */
#ifndef USM_REST_URL_H
#define USM_REST_URL_H

#include <usm/common.h>

#include "core/strbuf.h"

/* USM_OK for https://host..., or http:// to a loopback host (127.0.0.0/8,
 * ::1, localhost); USM_ERR_INSECURE_URL for other http:// or schemes;
 * USM_ERR_INVALID_ARG when it does not parse or has no host. */
usm_err usm__url_check(const char *url);

/* 1 when both URLs parse and share scheme, host and port. */
int usm__url_same_origin(const char *a, const char *b);

/* The host (and ":port" when not the scheme's default) of @p url into @p out
 * (size @p cap): 0, or -1 when it does not parse or does not fit. */
int usm__url_host(const char *url, char *out, size_t cap);

/* Append @p s percent-encoded (RFC 3986 unreserved kept) to @p out. */
int usm__url_append_escaped(usm_strbuf *out, const char *s);

/* Append "?key=value" or "&key=value" (value escaped); NULL value: nothing. */
int usm__url_add_query(usm_strbuf *out, const char *key, const char *value);

#endif
