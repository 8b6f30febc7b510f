/* Locus sequence comparison and the delta action (PROTOCOL.md §3.5): which
 * of two Locus states is newer, and what to do with an incoming delta or
 * full DTO. Pure: no I/O, no timers, no global state.
 *
 * Numbers: cJSON keeps numbers as double, so entries above 2^53 arrive
 * rounded (the official JS SDK has the same limit). A value may also be a
 * decimal string ("123"), read exactly as int64. Non-integral, non-finite or
 * out-of-int64 values are malformed. */
#ifndef USM_MERCURY_SEQ_H
#define USM_MERCURY_SEQ_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <usm/common.h>

/* Real sequences hold a handful of entries; more is an error (USM_ERR_LIMIT). */
#define USM__SEQ_MAX_ENTRIES 1000

typedef enum usm__seq_cmp {
  USM__SEQ_EQ,     /* same state */
  USM__SEQ_GT,     /* current is newer */
  USM__SEQ_LT,     /* incoming is newer */
  USM__SEQ_DESYNC  /* not comparable: resync */
} usm__seq_cmp;

typedef enum usm__delta_action {
  USM__DELTA_USE_CURRENT,      /* stale or same: ignore the incoming one */
  USM__DELTA_USE_INCOMING,     /* apply it */
  USM__DELTA_WAIT,             /* a delta from the future: hold it until its base arrives */
  USM__DELTA_DESYNC,           /* sync with Locus */
  USM__DELTA_LOCUS_URL_CHANGED /* moved to another locus (breakout): sync */
} usm__delta_action;

/* A JS-style optional number: unset behaves like `undefined` (every
 * comparison with it is false). */
typedef struct usm__seq_num {
  int set;
  int64_t v;
} usm__seq_num;

typedef struct usm__seq {
  usm__seq_num start, end; /* rangeStart, rangeEnd; unset when absent */
  size_t n;                /* number of entries */
  int64_t first, last;     /* entries[0] and entries[n-1]; meaningful when n > 0 */
  int64_t *sorted;         /* the entries ascending (owned; NULL when n == 0) */
} usm__seq;

/*
 * Read a sequence object {entries:[...], rangeStart, rangeEnd}. With
 * @p need_range, rangeStart and rangeEnd must both be present (the official
 * "is this a locus" test); otherwise an absent one is left unset.
 * @return USM_OK; USM_ERR_BAD_RESPONSE when not an object, entries missing
 * or not an array, or a value is not an integer; USM_ERR_LIMIT over
 * USM__SEQ_MAX_ENTRIES; USM_ERR_NO_MEMORY. On error *out is empty.
 */
usm_err usm__seq_parse(const cJSON *obj, int need_range, usm__seq *out);
void usm__seq_free(usm__seq *s);

/* No entries and both range ends present and zero. */
int usm__seq_is_empty(const usm__seq *s);

/* The official compareSequence: overlap, then ranges, then unique entries,
 * then out-of-sync detection. Total: never fails. */
usm__seq_cmp usm__seq_compare(const usm__seq *current, const usm__seq *incoming);

/* usm__seq_compare on two JSON sequence objects (ranges optional). */
usm_err usm__seq_compare_json(const cJSON *current, const cJSON *incoming, usm__seq_cmp *out);

/*
 * What to do with @p incoming (a delta or full locus object with "sequence",
 * optional "baseSequence" and "url") given the working copy @p current
 * (official Parser.compare). Both "sequence" objects need rangeStart and
 * rangeEnd; a delta failing that is to be ignored.
 * @return USM_OK, or the usm__seq_parse errors (the locus is then ignored).
 */
usm_err usm__seq_delta_action(const cJSON *current, const cJSON *incoming, usm__delta_action *out);

/*
 * Whether full DTO @p incoming should replace the working copy @p current
 * (official isNewFullLocus): no if incoming has no valid sequence; yes if
 * there is no (valid) working copy or either sequence is empty; else yes
 * only when incoming's last entry is greater.
 */
int usm__seq_full_is_newer(const cJSON *current, const cJSON *incoming);

/* "EQUAL", "LESS_THAN", ... and "USE_INCOMING", ... as the official names. */
const char *usm__seq_cmp_name(usm__seq_cmp c);
const char *usm__delta_action_name(usm__delta_action a);

#endif
