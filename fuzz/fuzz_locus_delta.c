/* Locus sequence comparison and delta merge on arbitrary bytes. The input
 * is a working copy and a delta separated by a NUL byte (without one, the
 * whole input is the delta against a fixed working copy). Checks that the
 * results are in range, that a failed merge leaves the working copy as it
 * was, and that a successful one takes the delta's sequence. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mercury/locus_merge.h"
#include "mercury/seq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char default_working[] =
    "{\"url\":\"u\",\"sequence\":{\"entries\":[5],\"rangeStart\":0,\"rangeEnd\":0},"
    "\"participants\":[{\"id\":\"a\"},{\"id\":\"b\",\"state\":\"LEFT\"}],\"self\":{\"id\":\"a\"}}";

/* cJSON_Compare is not reflexive with duplicate keys: compare the text. */
static int same(const cJSON *a, const cJSON *b) {
  char *x = cJSON_PrintUnformatted(a), *y = cJSON_PrintUnformatted(b);
  int r = !x || !y || strcmp(x, y) == 0; /* out of memory: no verdict */
  free(x);
  free(y);
  return r;
}

static void check_merge(const cJSON *working, const cJSON *delta) {
  cJSON *w = cJSON_Duplicate(working, 1);
  if (!w) return;
  int had_participants = cJSON_GetObjectItemCaseSensitive(w, "participants") != NULL;
  usm_err e = usm__locus_merge(w, delta);
  if (e == USM_OK) {
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(w, "sequence");
    if (!same(seq, cJSON_GetObjectItemCaseSensitive(delta, "sequence"))) abort();
    if (cJSON_GetObjectItemCaseSensitive(w, "baseSequence")) abort();
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(w, "participants")) > USM__MERGE_MAX_PARTICIPANTS)
      abort();
  } else {
    if (e != USM_ERR_BAD_RESPONSE && e != USM_ERR_LIMIT && e != USM_ERR_NO_MEMORY) abort();
    /* the only change allowed on failure: an empty participants array */
    cJSON *p = cJSON_GetObjectItemCaseSensitive(w, "participants");
    if (!had_participants && p) {
      if (cJSON_GetArraySize(p) != 0) abort();
      cJSON_Delete(cJSON_DetachItemViaPointer(w, p));
    }
    if (!same(w, working)) abort();
  }
  cJSON_Delete(w);
}

static void check_feed(const cJSON *working, const cJSON *delta) {
  cJSON *w = cJSON_Duplicate(working, 1);
  if (!w) return;
  usm__ooo_queue q;
  usm__ooo_init(&q);
  /* the same delta repeatedly: exercises holding, overflow and release */
  for (int i = 0; i < USM__OOO_MAX + 2; i++) {
    usm__delta_result r;
    usm_err e = usm__locus_delta_feed(w, &q, cJSON_Duplicate(delta, 1), &r);
    if (q.n > USM__OOO_MAX || r.action > USM__DELTA_LOCUS_URL_CHANGED) abort();
    if (r.need_sync && q.n) abort();
    if (e != USM_OK && e != USM_ERR_BAD_RESPONSE && e != USM_ERR_LIMIT && e != USM_ERR_NO_MEMORY &&
        e != USM_ERR_INVALID_ARG)
      abort();
  }
  /* the working copy fed back as a delta (no base: plain comparison) */
  usm__delta_result r;
  (void)usm__locus_delta_feed(w, &q, cJSON_Duplicate(working, 1), &r);
  usm__ooo_clear(&q);
  cJSON_Delete(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  const char *nul = memchr(text, '\0', size);
  cJSON *working, *delta;
  if (nul) {
    working = cJSON_ParseWithLengthOpts(text, (size_t)(nul - text), NULL, 0);
    delta = cJSON_ParseWithLengthOpts(nul + 1, size - (size_t)(nul - text) - 1, NULL, 0);
  } else {
    working = cJSON_ParseWithLengthOpts(default_working, sizeof default_working - 1, NULL, 0);
    delta = cJSON_ParseWithLengthOpts(text, size, NULL, 0);
  }
  if (working && delta) {
    usm__seq_cmp c;
    const cJSON *ws = cJSON_GetObjectItemCaseSensitive(working, "sequence");
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(delta, "sequence");
    const cJSON *db = cJSON_GetObjectItemCaseSensitive(delta, "baseSequence");
    if (usm__seq_compare_json(ws, ds, &c) == USM_OK) {
      usm__seq_cmp back;
      if (c > USM__SEQ_DESYNC) abort();
      /* EQ and DESYNC are symmetric; GT and LT swap */
      if (usm__seq_compare_json(ds, ws, &back) != USM_OK) abort();
      if ((c == USM__SEQ_EQ) != (back == USM__SEQ_EQ)) abort();
    }
    (void)usm__seq_compare_json(db, ds, &c);
    usm__delta_action a;
    if (usm__seq_delta_action(working, delta, &a) == USM_OK && a > USM__DELTA_LOCUS_URL_CHANGED) abort();
    (void)usm__seq_full_is_newer(working, delta);
    (void)usm__seq_full_is_newer(NULL, delta);
    check_merge(working, delta);
    check_feed(working, delta);
  }
  cJSON_Delete(working);
  cJSON_Delete(delta);
  return 0;
}
