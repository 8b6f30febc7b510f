/* Locus sequence comparison (PROTOCOL.md §3.5). The rules mirror the
 * official SDK's JS semantics, including `undefined`: an absent range end or
 * the first/last entry of an empty list compares false with everything. */
#include "mercury/seq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ---------------------------------------------------------- */

/* A decimal integer string, read exactly: no sign but '-', no spaces. */
static int num_from_string(const char *s, int64_t *out) {
  size_t len = strlen(s), i = (s[0] == '-') ? 1 : 0;
  if (len == i || len > 20) return 0;
  for (size_t k = i; k < len; k++)
    if (s[k] < '0' || s[k] > '9') return 0;
  errno = 0;
  char *end = NULL;
  long long v = strtoll(s, &end, 10);
  if (errno == ERANGE || !end || *end) return 0;
  *out = (int64_t)v;
  return 1;
}

static int num_from_json(const cJSON *j, int64_t *out) {
  if (cJSON_IsString(j) && j->valuestring) return num_from_string(j->valuestring, out);
  if (!cJSON_IsNumber(j)) return 0;
  double d = j->valuedouble;
  /* 2^63 is exact as a double; the range test also rejects NaN. */
  /* in int64 range and whole (the cast truncates; no libm needed) */
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || (double)(int64_t)d != d) return 0;
  *out = (int64_t)d;
  return 1;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static usm_err read_range(const cJSON *obj, const char *key, int need, usm__seq_num *out) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!j) return need ? USM_ERR_BAD_RESPONSE : USM_OK;
  if (!num_from_json(j, &out->v)) return USM_ERR_BAD_RESPONSE;
  out->set = 1;
  return USM_OK;
}

usm_err usm__seq_parse(const cJSON *obj, int need_range, usm__seq *out) {
  if (!out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (!cJSON_IsObject(obj)) return USM_ERR_BAD_RESPONSE;
  const cJSON *entries = cJSON_GetObjectItemCaseSensitive(obj, "entries");
  if (!cJSON_IsArray(entries)) return USM_ERR_BAD_RESPONSE;
  usm_err e = read_range(obj, "rangeStart", need_range, &out->start);
  if (e == USM_OK) e = read_range(obj, "rangeEnd", need_range, &out->end);
  if (e != USM_OK) goto fail;
  /* Count without cJSON_GetArraySize so a huge array stops at the bound. */
  size_t n = 0;
  for (const cJSON *it = entries->child; it; it = it->next)
    if (++n > USM__SEQ_MAX_ENTRIES) {
      e = USM_ERR_LIMIT;
      goto fail;
    }
  if (n) {
    out->sorted = malloc(n * sizeof *out->sorted);
    if (!out->sorted) {
      e = USM_ERR_NO_MEMORY;
      goto fail;
    }
  }
  for (const cJSON *it = entries->child; it; it = it->next) {
    int64_t v;
    if (!num_from_json(it, &v)) {
      e = USM_ERR_BAD_RESPONSE;
      goto fail;
    }
    if (out->n == 0) out->first = v;
    out->last = v;
    out->sorted[out->n++] = v;
  }
  if (out->n > 1) qsort(out->sorted, out->n, sizeof *out->sorted, cmp_i64);
  return USM_OK;
fail:
  usm__seq_free(out);
  return e;
}

void usm__seq_free(usm__seq *s) {
  if (!s) return;
  free(s->sorted);
  memset(s, 0, sizeof *s);
}

int usm__seq_is_empty(const usm__seq *s) {
  return s->n == 0 && s->start.set && s->start.v == 0 && s->end.set && s->end.v == 0;
}

/* ---- comparing -------------------------------------------------------- */

static usm__seq_num num(int64_t v) {
  usm__seq_num r = {1, v};
  return r;
}
static const usm__seq_num unset_num = {0, 0};

/* JS `<` and `>` with undefined operands: false. */
static int lt(usm__seq_num a, usm__seq_num b) { return a.set && b.set && a.v < b.v; }
static int truthy(usm__seq_num a) { return a.set && a.v != 0; }

/* The official metadata: min = rangeStart || first entry, max = last entry
 * || rangeEnd. */
typedef struct meta {
  const usm__seq *s;
  usm__seq_num min, max;
} meta;

static meta meta_of(const usm__seq *s) {
  meta m = {s, unset_num, unset_num};
  m.min = truthy(s->start) ? s->start : (s->n ? num(s->first) : unset_num);
  m.max = (s->n && s->last != 0) ? num(s->last) : s->end;
  return m;
}

static int contains(const usm__seq *s, int64_t v) {
  return s->n && bsearch(&v, s->sorted, s->n, sizeof v, cmp_i64) != NULL;
}

/* Entries of @p base absent from @p other and outside other's range: only
 * their count, their least value and whether one lies strictly inside
 * other's (min, max) are ever used. */
typedef struct uniq {
  size_t count;
  int64_t least;
  int inside_other;
} uniq;

static uniq uniq_of(const meta *base, const meta *other) {
  uniq u = {0, 0, 0};
  for (size_t i = 0; i < base->s->n; i++) {
    int64_t v = base->s->sorted[i];
    usm__seq_num x = num(v);
    if (contains(other->s, v)) continue;
    if (!lt(x, other->s->start) && !lt(other->s->end, x)) continue;
    if (u.count++ == 0) u.least = v; /* sorted: the first is the least */
    if (lt(other->min, x) && lt(x, other->max)) u.inside_other = 1;
  }
  return u;
}

/* (end - min) of two sides compared exactly; an undefined operand makes
 * the JS difference NaN, and NaN compares neither way: equal. */
static int range_cmp(const meta *a, const meta *b) {
  if (!a->s->end.set || !a->min.set || !b->s->end.set || !b->min.set) return 0;
  /* Differences as sign + magnitude: exact over the whole int64 range. */
  int64_t ae = a->s->end.v, am = a->min.v, be = b->s->end.v, bm = b->min.v;
  int an = ae < am, bn = be < bm;
  uint64_t amag = an ? (uint64_t)am - (uint64_t)ae : (uint64_t)ae - (uint64_t)am;
  uint64_t bmag = bn ? (uint64_t)bm - (uint64_t)be : (uint64_t)be - (uint64_t)bm;
  if (an != bn) return an ? -1 : 1;
  if (amag == bmag) return 0;
  return ((amag > bmag) != an) ? 1 : -1;
}

usm__seq_cmp usm__seq_compare(const usm__seq *current, const usm__seq *incoming) {
  meta cur = meta_of(current), in = meta_of(incoming);
  /* 1. No overlap: whichever lies entirely later wins. */
  if (lt(in.max, cur.min)) return USM__SEQ_GT;
  if (lt(cur.max, in.min)) return USM__SEQ_LT;
  uniq cu = uniq_of(&cur, &in), iu = uniq_of(&in, &cur);
  /* 2. Same entries as far as either can tell: the longer range wins. */
  if (!cu.count && !iu.count) {
    int r = range_cmp(&cur, &in);
    return r > 0 ? USM__SEQ_GT : r < 0 ? USM__SEQ_LT : USM__SEQ_EQ;
  }
  /* 3. Only one side knows something the other does not. */
  if (cu.count && !iu.count) return USM__SEQ_GT;
  if (!cu.count && iu.count) return USM__SEQ_LT;
  /* 4. Both do: out of sync unless the unique entries sit cleanly apart. */
  int no_range = !truthy(cur.s->start) && !truthy(cur.s->end) && !truthy(in.s->start) &&
                 !truthy(in.s->end);
  if (no_range || cu.inside_other || iu.inside_other) return USM__SEQ_DESYNC;
  return cu.least > iu.least ? USM__SEQ_GT : USM__SEQ_LT;
}

usm_err usm__seq_compare_json(const cJSON *current, const cJSON *incoming, usm__seq_cmp *out) {
  if (!out) return USM_ERR_INVALID_ARG;
  usm__seq a, b;
  usm_err e = usm__seq_parse(current, 0, &a);
  if (e != USM_OK) return e;
  e = usm__seq_parse(incoming, 0, &b);
  if (e == USM_OK) *out = usm__seq_compare(&a, &b);
  usm__seq_free(&a);
  usm__seq_free(&b);
  return e;
}

/* ---- actions ---------------------------------------------------------- */

static usm__delta_action to_action(usm__seq_cmp c) {
  switch (c) {
  case USM__SEQ_LT: return USM__DELTA_USE_INCOMING;
  case USM__SEQ_DESYNC: return USM__DELTA_DESYNC;
  default: return USM__DELTA_USE_CURRENT;
  }
}

/* JS `a.url !== b.url`: both absent counts as equal; any non-string differs. */
static int url_differs(const cJSON *a, const cJSON *b) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, "url");
  const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, "url");
  if (!x && !y) return 0;
  if (!cJSON_IsString(x) || !cJSON_IsString(y) || !x->valuestring || !y->valuestring) return 1;
  return strcmp(x->valuestring, y->valuestring) != 0;
}

static usm_err delta_with_base(const usm__seq *cur, const usm__seq *in, const cJSON *base_json,
                               const cJSON *current, const cJSON *incoming, usm__delta_action *out) {
  usm__seq_cmp first = usm__seq_compare(cur, in);
  if (first != USM__SEQ_LT) {
    *out = to_action(first);
    return USM_OK;
  }
  /* Breakout moves change URL and base together: bases are not comparable. */
  if (url_differs(current, incoming)) {
    *out = USM__DELTA_LOCUS_URL_CHANGED;
    return USM_OK;
  }
  usm__seq base;
  usm_err e = usm__seq_parse(base_json, 0, &base);
  if (e != USM_OK) return e;
  switch (usm__seq_compare(cur, &base)) {
  case USM__SEQ_GT:
  case USM__SEQ_EQ: *out = USM__DELTA_USE_INCOMING; break;
  case USM__SEQ_LT:
    /* base == sequence is how Locus asks for a sync (delta too large for
     * Mercury); any other base from the future means a missing delta. */
    *out = usm__seq_compare(&base, in) == USM__SEQ_EQ ? USM__DELTA_DESYNC : USM__DELTA_WAIT;
    break;
  default: *out = USM__DELTA_DESYNC; break;
  }
  usm__seq_free(&base);
  return USM_OK;
}

usm_err usm__seq_delta_action(const cJSON *current, const cJSON *incoming, usm__delta_action *out) {
  if (!current || !incoming || !out) return USM_ERR_INVALID_ARG;
  usm__seq cur, in;
  usm_err e = usm__seq_parse(cJSON_GetObjectItemCaseSensitive(current, "sequence"), 1, &cur);
  if (e != USM_OK) return e;
  e = usm__seq_parse(cJSON_GetObjectItemCaseSensitive(incoming, "sequence"), 1, &in);
  if (e != USM_OK) {
    usm__seq_free(&cur);
    return e;
  }
  /* JS truthiness: an absent or null baseSequence means "no base". */
  const cJSON *base = cJSON_GetObjectItemCaseSensitive(incoming, "baseSequence");
  if (cJSON_IsNull(base)) base = NULL;
  if (usm__seq_is_empty(&cur) || usm__seq_is_empty(&in))
    *out = USM__DELTA_USE_INCOMING;
  else if (base)
    e = delta_with_base(&cur, &in, base, current, incoming, out);
  else
    *out = to_action(usm__seq_compare(&cur, &in));
  usm__seq_free(&cur);
  usm__seq_free(&in);
  return e;
}

int usm__seq_full_is_newer(const cJSON *current, const cJSON *incoming) {
  usm__seq in, cur;
  if (!incoming ||
      usm__seq_parse(cJSON_GetObjectItemCaseSensitive(incoming, "sequence"), 1, &in) != USM_OK)
    return 0;
  int newer = 1;
  /* An unreadable working copy is worth less than any valid DTO. */
  if (current &&
      usm__seq_parse(cJSON_GetObjectItemCaseSensitive(current, "sequence"), 1, &cur) == USM_OK) {
    if (!usm__seq_is_empty(&cur) && !usm__seq_is_empty(&in))
      newer = in.n && cur.n && in.last > cur.last; /* undefined compares false */
    usm__seq_free(&cur);
  }
  usm__seq_free(&in);
  return newer;
}

const char *usm__seq_cmp_name(usm__seq_cmp c) {
  switch (c) {
  case USM__SEQ_EQ: return "EQUAL";
  case USM__SEQ_GT: return "GREATER_THAN";
  case USM__SEQ_LT: return "LESS_THAN";
  case USM__SEQ_DESYNC: return "DESYNC";
  }
  return "ERROR";
}

const char *usm__delta_action_name(usm__delta_action a) {
  switch (a) {
  case USM__DELTA_USE_CURRENT: return "USE_CURRENT";
  case USM__DELTA_USE_INCOMING: return "USE_INCOMING";
  case USM__DELTA_WAIT: return "WAIT";
  case USM__DELTA_DESYNC: return "DESYNC";
  case USM__DELTA_LOCUS_URL_CHANGED: return "LOCUS_URL_CHANGED";
  }
  return "ERROR";
}
