/* The "fail with a reason" pattern of the parsers: write a formatted
 * explanation into the caller's buffer (when it gave one) and return the
 * error, in one expression. Internal. */
#ifndef USM_CORE_REASON_H
#define USM_CORE_REASON_H

#include <stddef.h>
#include <usm/common.h>

/* Writes the text into why[0..cap) when why and cap are set; returns @p e. */
usm_err usm__fail_why(char *why, size_t cap, usm_err e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
