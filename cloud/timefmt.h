/* Wall-clock time in the formats of the Webex APIs (ISO 8601, UTC). */
#ifndef USM_CLOUD_TIMEFMT_H
#define USM_CLOUD_TIMEFMT_H

#include <stdint.h>
#include <time.h>

#define CLOUD_TIME_SIZE 32

/* Milliseconds since the epoch. */
int64_t cloud_now_ms(void);
/* "2030-01-15T10:00:00Z" */
void cloud_time_format(time_t t, char out[CLOUD_TIME_SIZE]);
/* "2030-01-15T10:00:00.123Z" (Locus style) */
void cloud_time_format_ms(int64_t ms, char out[CLOUD_TIME_SIZE]);
/*
 * Parse ISO 8601 "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM|+HHMM]".
 * A time without offset is taken as UTC. Returns 0 and sets @p out, or -1
 * for anything else (bad ranges, trailing bytes, years outside 1970..9999).
 */
int cloud_time_parse(const char *s, time_t *out);

#endif
