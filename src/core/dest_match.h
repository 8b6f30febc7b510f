/* Hand-written matchers for the address shapes the destination classifier
 * recognises (SIP URI, NANP phone, E.164, email). Each takes a byte range
 * (no NUL needed), reads nothing outside it and never allocates. Internal. */
#ifndef USM_DEST_MATCH_H
#define USM_DEST_MATCH_H

#include <stddef.h>

/* Length of the JavaScript "\s" character starting at @p p (ASCII blanks and
 * the UTF-8 forms of U+00A0, U+1680, U+2000-200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000, U+FEFF), or 0. */
size_t usm__js_space_len(const char *p, const char *end);

/* 1 when @p s is a SIP address as the official SDK's SIP_ADDRESS rule accepts:
 * [sip:|sips:|:]user[:password]@host[:port][;param[=value]]*[?k=v[&k=v]*].
 * *email (may be NULL) is set to 1 when it is a plain user@host with a dot in
 * the host: no scheme, password, port, params or headers. */
int usm__sip_match(const char *s, size_t n, int *email);

/* 1 when @p s is a North American number as the SDK's PHONE_NUMBER rule
 * accepts: [+1|1] [(NPA)|NPA] NXX XXXX [ext N], with ". - space" separators. */
int usm__nanp_match(const char *s, size_t n);

/* 1 for '+' then 2..15 digits, the first 1-9, with single ' ', '-' or '.'
 * allowed between digit groups ("+44 20 7946 0958"). */
int usm__e164_match(const char *s, size_t n);

/* 1 when @p s is an address the SDK's VALID_EMAIL_ADDRESS rule accepts:
 * dot-atom or "quoted" local part, '@', then [a.b.c.d] or labels and a
 * letters-only top-level label of 2+ letters. */
int usm__email_match(const char *s, size_t n);

#endif
