/* Locus delta merge and the out-of-order queue. The merge runs in two
 * phases: first every copy is made (the only step that can fail), then the
 * copies are spliced in without allocating, so a failure leaves the working
 * copy as it was. */
#include "mercury/locus_merge.h"

#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {"self", "host", "fullState", "controls", "info"};
#define N_TOP (sizeof top_keys / sizeof top_keys[0])

typedef struct wref { /* a working participant, indexed by id */
  const char *id;
  cJSON *item;
} wref;

typedef struct dref { /* a delta participant and what it will do */
  const char *id;
  const cJSON *item;
  int removed, skip;  /* skip: a later entry has the same id */
  cJSON *target;      /* the working participant it replaces or removes */
  cJSON *copy;        /* the replacement or addition */
} dref;

static const char *pid(const cJSON *p) {
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "id");
  return cJSON_IsString(id) && id->valuestring ? id->valuestring : NULL;
}

static int wref_cmp(const void *a, const void *b) {
  return strcmp(((const wref *)a)->id, ((const wref *)b)->id);
}

/* Sorts dref pointers by id, then by position, so the last of a run wins. */
static int dptr_cmp(const void *a, const void *b) {
  const dref *x = *(const dref *const *)a, *y = *(const dref *const *)b;
  int c = strcmp(x->id, y->id);
  return c ? c : (x < y ? -1 : x > y);
}

/* Counts an array's items, stopping past @p max so a huge one costs O(max). */
static size_t bounded_count(const cJSON *arr, size_t max) {
  size_t n = 0;
  for (const cJSON *it = arr ? arr->child : NULL; it && n <= max; it = it->next) n++;
  return n;
}

typedef struct plan {
  cJSON *wp;           /* the working participants array (may be NULL) */
  wref *w;             /* indexed working participants */
  size_t nw;
  dref *d;             /* delta participants, in order */
  size_t nd;
  cJSON *top[N_TOP];   /* copies of present top-level objects */
  cJSON *seq, *sync_url;
} plan;

static void plan_free(plan *p, int free_copies) {
  if (free_copies) {
    for (size_t i = 0; i < p->nd; i++) cJSON_Delete(p->d[i].copy);
    for (size_t i = 0; i < N_TOP; i++) cJSON_Delete(p->top[i]);
    cJSON_Delete(p->seq);
    cJSON_Delete(p->sync_url);
  }
  free(p->w);
  free(p->d);
}

static usm_err index_working(cJSON *working, plan *p) {
  p->wp = cJSON_GetObjectItemCaseSensitive(working, "participants");
  if (cJSON_IsNull(p->wp)) p->wp = NULL;
  if (!p->wp) return USM_OK;
  if (!cJSON_IsArray(p->wp)) return USM_ERR_BAD_RESPONSE;
  size_t n = bounded_count(p->wp, USM__MERGE_MAX_PARTICIPANTS);
  if (n > USM__MERGE_MAX_PARTICIPANTS) return USM_ERR_LIMIT;
  if (n && !(p->w = malloc(n * sizeof *p->w))) return USM_ERR_NO_MEMORY;
  for (cJSON *it = p->wp->child; it; it = it->next) {
    const char *id = pid(it);
    if (id) p->w[p->nw++] = (wref){id, it}; /* id-less ones are kept but never matched */
  }
  if (p->nw > 1) qsort(p->w, p->nw, sizeof *p->w, wref_cmp);
  return USM_OK;
}

static usm_err read_delta_participants(const cJSON *delta, plan *p) {
  const cJSON *dp = cJSON_GetObjectItemCaseSensitive(delta, "participants");
  if (!dp || cJSON_IsNull(dp)) return USM_OK;
  if (!cJSON_IsArray(dp)) return USM_ERR_BAD_RESPONSE;
  size_t n = bounded_count(dp, USM__MERGE_MAX_PARTICIPANTS);
  if (n > USM__MERGE_MAX_PARTICIPANTS) return USM_ERR_LIMIT;
  if (!n) return USM_OK;
  if (!(p->d = calloc(n, sizeof *p->d))) return USM_ERR_NO_MEMORY;
  for (const cJSON *it = dp->child; it; it = it->next) {
    const char *id = cJSON_IsObject(it) ? pid(it) : NULL;
    if (!id) return USM_ERR_BAD_RESPONSE;
    dref *r = &p->d[p->nd++];
    r->id = id;
    r->item = it;
    r->removed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "removed"));
  }
  /* Mark all but the last entry of each id. */
  dref **by_id = malloc(n * sizeof *by_id);
  if (!by_id) return USM_ERR_NO_MEMORY;
  for (size_t i = 0; i < n; i++) by_id[i] = &p->d[i];
  qsort(by_id, n, sizeof *by_id, dptr_cmp);
  for (size_t i = 0; i + 1 < n; i++)
    if (strcmp(by_id[i]->id, by_id[i + 1]->id) == 0) by_id[i]->skip = 1;
  free(by_id);
  return USM_OK;
}

/* Phase 1: validate and copy; nothing in @p working changes but possibly
 * an empty participants array. */
static usm_err prepare(cJSON *working, const cJSON *delta, plan *p) {
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive(delta, "sequence");
  if (!cJSON_IsObject(seq)) return USM_ERR_BAD_RESPONSE;
  for (size_t i = 0; i < N_TOP; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(delta, top_keys[i]);
    if (v && !cJSON_IsNull(v) && !cJSON_IsObject(v)) return USM_ERR_BAD_RESPONSE;
  }
  usm_err e = index_working(working, p);
  if (e == USM_OK) e = read_delta_participants(delta, p);
  if (e != USM_OK) return e;

  size_t adds = 0;
  for (size_t i = 0; i < p->nd; i++) {
    dref *r = &p->d[i];
    if (r->skip) continue;
    wref key = {r->id, NULL};
    const wref *hit = p->nw ? bsearch(&key, p->w, p->nw, sizeof *p->w, wref_cmp) : NULL;
    r->target = hit ? hit->item : NULL;
    if (r->removed) continue;
    if (!r->target) adds++;
    if (!(r->copy = cJSON_Duplicate(r->item, 1))) return USM_ERR_NO_MEMORY;
  }
  if (bounded_count(p->wp, USM__MERGE_MAX_PARTICIPANTS) + adds > USM__MERGE_MAX_PARTICIPANTS)
    return USM_ERR_LIMIT;
  for (size_t i = 0; i < N_TOP; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(delta, top_keys[i]);
    if (cJSON_IsObject(v) && !(p->top[i] = cJSON_Duplicate(v, 1))) return USM_ERR_NO_MEMORY;
  }
  if (!(p->seq = cJSON_Duplicate(seq, 1))) return USM_ERR_NO_MEMORY;
  const cJSON *su = cJSON_GetObjectItemCaseSensitive(delta, "syncUrl");
  if (cJSON_IsString(su) && !(p->sync_url = cJSON_Duplicate(su, 0))) return USM_ERR_NO_MEMORY;
  if (adds && !p->wp && !(p->wp = cJSON_AddArrayToObject(working, "participants")))
    return USM_ERR_NO_MEMORY;
  return USM_OK;
}

/* Replace the first member named like @p copy (a duplicate keeps its key),
 * or append it: neither allocates. */
static void put_member(cJSON *obj, cJSON *copy) {
  cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, copy->string);
  if (old)
    cJSON_ReplaceItemViaPointer(obj, old, copy);
  else
    cJSON_AddItemToArray(obj, copy);
}

/* Phase 2: splice the copies in; cannot fail. */
static void commit(cJSON *working, plan *p) {
  for (size_t i = 0; i < p->nd; i++) {
    dref *r = &p->d[i];
    if (r->skip) continue;
    if (r->removed) {
      if (r->target) cJSON_Delete(cJSON_DetachItemViaPointer(p->wp, r->target));
    } else if (r->target) {
      cJSON_ReplaceItemViaPointer(p->wp, r->target, r->copy);
    } else {
      cJSON_AddItemToArray(p->wp, r->copy);
    }
    r->copy = NULL;
  }
  for (size_t i = 0; i < N_TOP; i++)
    if (p->top[i]) {
      put_member(working, p->top[i]);
      p->top[i] = NULL;
    }
  put_member(working, p->seq);
  p->seq = NULL;
  if (p->sync_url) {
    put_member(working, p->sync_url);
    p->sync_url = NULL;
  }
  /* every one of them: a hostile working copy may repeat the key */
  cJSON *base;
  while ((base = cJSON_GetObjectItemCaseSensitive(working, "baseSequence")))
    cJSON_Delete(cJSON_DetachItemViaPointer(working, base));
}

usm_err usm__locus_merge(cJSON *working, const cJSON *delta) {
  if (!working || !delta) return USM_ERR_INVALID_ARG;
  if (!cJSON_IsObject(working) || !cJSON_IsObject(delta)) return USM_ERR_BAD_RESPONSE;
  plan p;
  memset(&p, 0, sizeof p);
  usm_err e = prepare(working, delta, &p);
  if (e == USM_OK) commit(working, &p);
  plan_free(&p, 1);
  return e;
}

/* ---- the out-of-order queue ------------------------------------------- */

void usm__ooo_init(usm__ooo_queue *q) {
  if (q) memset(q, 0, sizeof *q);
}

void usm__ooo_clear(usm__ooo_queue *q) {
  if (!q) return;
  for (size_t i = 0; i < q->n && i < USM__OOO_MAX; i++) cJSON_Delete(q->held[i]);
  memset(q, 0, sizeof *q);
}

static void ooo_remove(usm__ooo_queue *q, size_t i) {
  cJSON_Delete(q->held[i]);
  memmove(&q->held[i], &q->held[i + 1], (q->n - i - 1) * sizeof q->held[0]);
  q->held[--q->n] = NULL;
}

/* The working copy has missed or cannot take a change: resync, and the held
 * deltas will be judged against what the sync brings (so drop them). */
static void want_sync(usm__ooo_queue *q, usm__delta_result *res) {
  usm__ooo_clear(q);
  res->need_sync = 1;
}

/* Retry held deltas after the working copy advanced, until none applies. */
static usm_err release(cJSON *working, usm__ooo_queue *q, usm__delta_result *res) {
  for (size_t i = 0; i < q->n;) {
    usm__delta_action a;
    if (usm__seq_delta_action(working, q->held[i], &a) != USM_OK) a = USM__DELTA_USE_CURRENT;
    switch (a) {
    case USM__DELTA_WAIT: i++; continue;
    case USM__DELTA_USE_CURRENT:
      ooo_remove(q, i);
      res->dropped++;
      break;
    case USM__DELTA_USE_INCOMING: {
      usm_err e = usm__locus_merge(working, q->held[i]);
      if (e != USM_OK) {
        want_sync(q, res);
        return e;
      }
      ooo_remove(q, i);
      res->applied++;
      break;
    }
    default: want_sync(q, res); return USM_OK;
    }
    i = 0; /* the working copy (or queue) changed: start over */
  }
  return USM_OK;
}

usm_err usm__locus_delta_release(cJSON *working, usm__ooo_queue *q, usm__delta_result *res) {
  if (res) memset(res, 0, sizeof *res);
  if (!working || !q || !res || q->n > USM__OOO_MAX) return USM_ERR_INVALID_ARG;
  res->action = USM__DELTA_USE_CURRENT;
  return release(working, q, res);
}

usm_err usm__locus_delta_feed(cJSON *working, usm__ooo_queue *q, cJSON *delta, usm__delta_result *res) {
  if (res) memset(res, 0, sizeof *res);
  if (!working || !q || !delta || !res || q->n > USM__OOO_MAX) {
    cJSON_Delete(delta);
    return USM_ERR_INVALID_ARG;
  }
  usm__delta_action a;
  usm_err e = usm__seq_delta_action(working, delta, &a);
  if (e != USM_OK) {
    cJSON_Delete(delta);
    return e;
  }
  res->action = a;
  switch (a) {
  case USM__DELTA_USE_CURRENT: cJSON_Delete(delta); return USM_OK;
  case USM__DELTA_WAIT:
    if (q->n == USM__OOO_MAX) {
      cJSON_Delete(delta);
      want_sync(q, res);
    } else {
      q->held[q->n++] = delta;
    }
    return USM_OK;
  case USM__DELTA_USE_INCOMING:
    e = usm__locus_merge(working, delta);
    cJSON_Delete(delta);
    if (e != USM_OK) {
      want_sync(q, res);
      return e;
    }
    res->applied = 1;
    return release(working, q, res);
  default: /* DESYNC, LOCUS_URL_CHANGED */
    cJSON_Delete(delta);
    want_sync(q, res);
    return USM_OK;
  }
}
