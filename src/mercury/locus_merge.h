/* Applying Locus deltas (`locus.difference`) to a working-copy full DTO kept
 * as cJSON, and holding out-of-order deltas until their base arrives
 * (PROTOCOL.md §3.5, notes/mercury-contract.md). Pure: the caller owns the
 * sync timer (10-15 s while deltas are held) and the sync itself. */
#ifndef USM_MERCURY_LOCUS_MERGE_H
#define USM_MERCURY_LOCUS_MERGE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <usm/common.h>

#include "mercury/seq.h"

/* Participants in a working copy or a delta; more is USM_ERR_LIMIT. */
#define USM__MERGE_MAX_PARTICIPANTS 10000
/* Out-of-order deltas held (official MAX_OOO_DELTA_COUNT); one more means sync. */
#define USM__OOO_MAX 5

/*
 * Merge @p delta into @p working without comparing sequences:
 *  - each delta participant replaces the working one with the same "id", or
 *    is appended; "removed": true deletes it; LEFT ones are kept as given;
 *    for an id listed twice the last entry counts;
 *  - self, host, fullState, controls, info replace the working ones when
 *    present (null counts as absent);
 *  - sequence (required) and a string syncUrl are taken; baseSequence is
 *    dropped from the working copy.
 * @return USM_OK; USM_ERR_BAD_RESPONSE (malformed delta or working copy),
 * USM_ERR_LIMIT, USM_ERR_NO_MEMORY. On error the working copy is unchanged
 * (at most an empty "participants" array was added).
 */
usm_err usm__locus_merge(cJSON *working, const cJSON *delta);

/* Deltas that arrived before their base, in arrival order (owned). */
typedef struct usm__ooo_queue {
  cJSON *held[USM__OOO_MAX];
  size_t n;
} usm__ooo_queue;

void usm__ooo_init(usm__ooo_queue *q);
/* Frees every held delta (after a sync, or on teardown). */
void usm__ooo_clear(usm__ooo_queue *q);

typedef struct usm__delta_result {
  usm__delta_action action; /* for the delta fed (USE_CURRENT when it was ignored as malformed) */
  size_t applied;           /* deltas merged by this call, released held ones included */
  size_t dropped;           /* held deltas found stale or malformed on retry */
  int need_sync;            /* sync with Locus now; the queue has been cleared */
} usm__delta_result;

/*
 * Handle one delta against @p working, taking ownership of @p delta:
 * USE_INCOMING merges it, then retries the held deltas in arrival order
 * until none applies; WAIT holds it (a sixth one means sync instead);
 * USE_CURRENT drops it; DESYNC and LOCUS_URL_CHANGED mean sync. A merge
 * failure also means sync, as the working copy has missed a change.
 * @return USM_OK; USM_ERR_INVALID_ARG; a delta whose sequence cannot be
 * read is ignored with USM_ERR_BAD_RESPONSE or USM_ERR_LIMIT (as the
 * official parser ignores non-locus objects); merge errors as above.
 */
usm_err usm__locus_delta_feed(cJSON *working, usm__ooo_queue *q, cJSON *delta, usm__delta_result *res);

/*
 * Retry the held deltas against a working copy that changed without a
 * delta (a full DTO from a sync, a poll or an action's answer): those it
 * now completes are merged, stale ones dropped, the rest stay held. Without
 * it a delta that arrived while the sync was in flight would wait for the
 * out-of-order timer although its base is now there. Errors and res as for
 * usm__locus_delta_feed (res->action is USE_CURRENT).
 */
usm_err usm__locus_delta_release(cJSON *working, usm__ooo_queue *q, usm__delta_result *res);

#endif
