/* Strict decimal numbers from protocol text (SDP, ICE candidates, ROAP):
 * digits only, no sign, no spaces, bounded. Pure. */
#ifndef USM_CORE_DECIMAL_H
#define USM_CORE_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* @p n bytes at @p p: 1..19 decimal digits with a value <= @p max. 1 and
 * *out set, or 0 (nothing written). */
int usm__decimal(const char *p, size_t n, uint64_t max, uint64_t *out);

#endif
