/* Locus sequence comparison: the official SDK's vectors (seq_vectors.h),
 * each delta-action branch, isNewFullLocus, and malformed input. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mercury/seq.h"
#include "seq_vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const seqvec_seq *find_seq(const seqvec_seq *tab, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(tab[i].name, name) == 0) return &tab[i];
  fprintf(stderr, "no sequence %s\n", name);
  return NULL;
}

/* The vector as Locus would send it; as_strings writes every number as a
 * decimal string, which must compare the same. */
static cJSON *seq_json(const seqvec_seq *s, int as_strings) {
  cJSON *o = cJSON_CreateObject(), *e = cJSON_AddArrayToObject(o, "entries");
  char buf[32];
  for (size_t i = 0; i < s->n; i++) {
    snprintf(buf, sizeof buf, "%" PRId64, s->e[i]);
    cJSON_AddItemToArray(e, as_strings ? cJSON_CreateString(buf) : cJSON_CreateNumber((double)s->e[i]));
  }
  snprintf(buf, sizeof buf, "%" PRId64, s->range_start);
  cJSON_AddItemToObject(o, "rangeStart",
                        as_strings ? cJSON_CreateString(buf) : cJSON_CreateNumber((double)s->range_start));
  snprintf(buf, sizeof buf, "%" PRId64, s->range_end);
  cJSON_AddItemToObject(o, "rangeEnd",
                        as_strings ? cJSON_CreateString(buf) : cJSON_CreateNumber((double)s->range_end));
  return o;
}

static int run_cmps(const char *file, const seqvec_seq *seqs, size_t nseqs, const seqvec_cmp *cmps,
                    size_t ncmps) {
  int passed = 0;
  for (size_t i = 0; i < ncmps; i++) {
    const seqvec_seq *a = find_seq(seqs, nseqs, cmps[i].current);
    const seqvec_seq *b = find_seq(seqs, nseqs, cmps[i].incoming);
    CHECK(a && b);
    if (!a || !b) continue;
    int ok = 1;
    for (int str = 0; str < 2; str++) {
      cJSON *ja = seq_json(a, str), *jb = seq_json(b, str);
      usm__seq_cmp r = USM__SEQ_EQ;
      CHECK_INT(usm__seq_compare_json(ja, jb, &r), USM_OK);
      if (strcmp(usm__seq_cmp_name(r), cmps[i].result) != 0) {
        fprintf(stderr, "%s %s%s: got %s, expected %s\n", file, cmps[i].name, str ? " (strings)" : "",
                usm__seq_cmp_name(r), cmps[i].result);
        ok = 0;
      }
      CHECK_STR(usm__seq_cmp_name(r), cmps[i].result);
      cJSON_Delete(ja);
      cJSON_Delete(jb);
    }
    passed += ok;
  }
  printf("%s comparisons: %d/%zu pass\n", file, passed, ncmps);
  return passed;
}

static const char *translate(const char *r) {
  if (strcmp(r, "ACCEPT_NEW") == 0) return "USE_INCOMING";
  if (strcmp(r, "KEEP_CURRENT") == 0) return "USE_CURRENT";
  return r;
}

static cJSON *locus_of(const seqvec_seq *seq, const seqvec_seq *base, const char *url) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "sequence", seq_json(seq, 0));
  if (base) cJSON_AddItemToObject(o, "baseSequence", seq_json(base, 0));
  if (url) cJSON_AddStringToObject(o, "url", url);
  return o;
}

static void test_updates(void) {
  int passed = 0;
  for (size_t i = 0; i < COUNT(seqcmp_updates); i++) {
    const seqvec_update *u = &seqcmp_updates[i];
    const seqvec_seq *cur = find_seq(seqcmp_seqs, COUNT(seqcmp_seqs), u->current);
    const seqvec_seq *in = find_seq(seqcmp_seqs, COUNT(seqcmp_seqs), u->incoming);
    const seqvec_seq *base = u->newbase ? find_seq(seqcmp_seqs, COUNT(seqcmp_seqs), u->newbase) : NULL;
    CHECK(cur && in && (base || !u->newbase));
    if (!cur || !in) continue;
    cJSON *jc = locus_of(cur, NULL, u->current_url), *ji = locus_of(in, base, u->new_url);
    usm__delta_action a = USM__DELTA_USE_CURRENT;
    CHECK_INT(usm__seq_delta_action(jc, ji, &a), USM_OK);
    if (strcmp(usm__delta_action_name(a), translate(u->result)) == 0)
      passed++;
    else
      fprintf(stderr, "SeqCmp.json %s: got %s, expected %s\n", u->name, usm__delta_action_name(a), u->result);
    CHECK_STR(usm__delta_action_name(a), translate(u->result));
    cJSON_Delete(jc);
    cJSON_Delete(ji);
  }
  printf("SeqCmp.json update_actions: %d/%zu pass\n", passed, COUNT(seqcmp_updates));
}

/* ---- own cases -------------------------------------------------------- */

static cJSON *parse(const char *s) { return cJSON_ParseWithLengthOpts(s, strlen(s), NULL, 0); }

static usm__delta_action action(const char *cur, const char *in, usm_err *err) {
  cJSON *c = parse(cur), *i = parse(in);
  usm__delta_action a = (usm__delta_action)-1;
  usm_err e = usm__seq_delta_action(c, i, &a);
  if (err) *err = e;
  else CHECK_INT(e, USM_OK);
  cJSON_Delete(c);
  cJSON_Delete(i);
  return a;
}

#define S(n) "{\"entries\":[" n "],\"rangeStart\":0,\"rangeEnd\":0}"

static void test_delta_branches(void) {
  const char *cur = "{\"url\":\"u\",\"sequence\":" S("1,2,3") "}";
  /* next in line: base == current */
  CHECK_INT(action(cur, "{\"url\":\"u\",\"baseSequence\":" S("1,2,3") ",\"sequence\":" S("1,2,3,4") "}", NULL),
            USM__DELTA_USE_INCOMING);
  /* base older than current but the delta is newer still: apply */
  CHECK_INT(action(cur, "{\"url\":\"u\",\"baseSequence\":" S("1,2") ",\"sequence\":" S("1,2,3,4") "}", NULL),
            USM__DELTA_USE_INCOMING);
  /* stale and duplicate deltas */
  CHECK_INT(action(cur, "{\"url\":\"u\",\"baseSequence\":" S("1") ",\"sequence\":" S("1,2") "}", NULL),
            USM__DELTA_USE_CURRENT);
  CHECK_INT(action(cur, "{\"url\":\"u\",\"baseSequence\":" S("1,2") ",\"sequence\":" S("1,2,3") "}", NULL),
            USM__DELTA_USE_CURRENT);
  /* base from the future: a delta is missing */
  CHECK_INT(action(cur, "{\"url\":\"u\",\"baseSequence\":" S("1,2,3,4") ",\"sequence\":" S("1,2,3,4,5") "}", NULL),
            USM__DELTA_WAIT);
  /* base == sequence, both newer: Locus asks for a sync */
  CHECK_INT(action(cur, "{\"url\":\"u\",\"baseSequence\":" S("1,2,3,4") ",\"sequence\":" S("1,2,3,4") "}", NULL),
            USM__DELTA_DESYNC);
  /* the sequences themselves are out of sync */
  CHECK_INT(action(cur, "{\"url\":\"u\",\"baseSequence\":" S("1,2") ",\"sequence\":" S("1,2,4") "}", NULL),
            USM__DELTA_DESYNC);
  /* current vs base out of sync */
  CHECK_INT(action("{\"url\":\"u\",\"sequence\":" S("1,3,5") "}",
                   "{\"url\":\"u\",\"baseSequence\":" S("1,2,4") ",\"sequence\":" S("6,7") "}", NULL),
            USM__DELTA_DESYNC);
  /* breakout move: URL changes with a newer sequence */
  CHECK_INT(action(cur, "{\"url\":\"v\",\"baseSequence\":" S("9") ",\"sequence\":" S("9,10") "}", NULL),
            USM__DELTA_LOCUS_URL_CHANGED);
  CHECK_INT(action(cur, "{\"baseSequence\":" S("9") ",\"sequence\":" S("9,10") "}", NULL),
            USM__DELTA_LOCUS_URL_CHANGED);
  /* ...but a stale one from another URL is still just stale */
  CHECK_INT(action(cur, "{\"url\":\"v\",\"baseSequence\":" S("1") ",\"sequence\":" S("1,2") "}", NULL),
            USM__DELTA_USE_CURRENT);
  /* no base (or null): a plain newer/older decision */
  CHECK_INT(action(cur, "{\"url\":\"u\",\"sequence\":" S("1,2,3,4") "}", NULL), USM__DELTA_USE_INCOMING);
  CHECK_INT(action(cur, "{\"url\":\"u\",\"baseSequence\":null,\"sequence\":" S("1,2,3,4") "}", NULL),
            USM__DELTA_USE_INCOMING);
  CHECK_INT(action(cur, "{\"url\":\"u\",\"sequence\":" S("1,2") "}", NULL), USM__DELTA_USE_CURRENT);
  /* an empty sequence on either side: take the incoming */
  CHECK_INT(action(cur, "{\"url\":\"u\",\"baseSequence\":" S("5") ",\"sequence\":" S("") "}", NULL),
            USM__DELTA_USE_INCOMING);
  CHECK_INT(action("{\"sequence\":" S("") "}", "{\"baseSequence\":" S("5") ",\"sequence\":" S("5,6") "}", NULL),
            USM__DELTA_USE_INCOMING);
}

static int newer(const char *cur, const char *in) {
  cJSON *c = cur ? parse(cur) : NULL, *i = parse(in);
  int r = usm__seq_full_is_newer(c, i);
  cJSON_Delete(c);
  cJSON_Delete(i);
  return r;
}

static void test_full_newer(void) {
  /* the official spec's isNewFullLocus cases */
  CHECK_INT(newer("{\"sequence\":" S("1") "}", "{}"), 0);
  CHECK_INT(newer(NULL, "{\"sequence\":" S("10") "}"), 1);
  CHECK_INT(newer("{\"sequence\":" S("1,2,100") "}", "{\"sequence\":" S("1,10,101") "}"), 1);
  CHECK_INT(newer("{\"sequence\":" S("1,2,100") "}", "{\"sequence\":" S("1,10,100") "}"), 0);
  CHECK_INT(newer("{\"sequence\":" S("1,2,100") "}", "{\"sequence\":" S("1,10,99") "}"), 0);
  CHECK_INT(newer("{\"sequence\":" S("1,2,3") "}", "{\"sequence\":" S("") "}"), 1);
  CHECK_INT(newer("{\"sequence\":" S("") "}", "{\"sequence\":" S("1,2,3") "}"), 1);
  /* a locus needs rangeStart and rangeEnd */
  CHECK_INT(newer(NULL, "{\"sequence\":{\"entries\":[5]}}"), 0);
  CHECK_INT(newer(NULL, "{\"sequence\":{\"entries\":[5],\"rangeStart\":0,\"rangeEnd\":\"x\"}}"), 0);
  /* an unreadable working copy loses to any valid DTO */
  CHECK_INT(newer("{\"sequence\":7}", "{\"sequence\":" S("1") "}"), 1);
  /* entries empty but a range: the last entry is undefined: not newer */
  CHECK_INT(newer("{\"sequence\":" S("5") "}", "{\"sequence\":{\"entries\":[],\"rangeStart\":1,\"rangeEnd\":9}}"), 0);
}

static usm_err seq_err(const char *json) {
  cJSON *j = parse(json);
  usm__seq s;
  usm_err e = usm__seq_parse(j, 0, &s);
  if (e == USM_OK) usm__seq_free(&s);
  else CHECK(s.sorted == NULL && s.n == 0);
  cJSON_Delete(j);
  return e;
}

static void test_malformed(void) {
  CHECK_INT(seq_err("{\"rangeStart\":0,\"rangeEnd\":0}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":{},\"rangeStart\":0,\"rangeEnd\":0}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":\"1,2\"}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("[1,2,3]"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("null"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":[1,null]}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":[1.5]}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":[1e300]}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":[\"12a\"]}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":[\" 12\"]}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":[\"\"]}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":[\"-\"]}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":[\"9223372036854775808\"]}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":[\"9223372036854775807\",\"-9223372036854775808\"]}"), USM_OK);
  CHECK_INT(seq_err("{\"entries\":[1],\"rangeStart\":[]}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":[1],\"rangeEnd\":true}"), USM_ERR_BAD_RESPONSE);
  CHECK_INT(seq_err("{\"entries\":[]}"), USM_OK);
  CHECK_INT(usm__seq_parse(NULL, 0, NULL), USM_ERR_INVALID_ARG);

  /* the entry bound: 1000 is fine, 1001 is an error (and not a crash) */
  for (int n = 1000; n <= 1001; n++) {
    cJSON *o = cJSON_CreateObject(), *e = cJSON_AddArrayToObject(o, "entries");
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(e, cJSON_CreateNumber(n - i));
    usm__seq s;
    CHECK_INT(usm__seq_parse(o, 0, &s), n == 1000 ? USM_OK : USM_ERR_LIMIT);
    if (n == 1000) {
      CHECK_INT(s.n, 1000);
      CHECK_INT(s.first, 1000);
      CHECK_INT(s.last, 1);
      CHECK_INT(s.sorted[0], 1); /* sorted ascending */
    }
    usm__seq_free(&s);
    cJSON_Delete(o);
  }

  usm_err e;
  /* the delta's or working copy's sequence must be a locus sequence */
  action("{\"sequence\":" S("1") "}", "{\"sequence\":{\"entries\":[2]}}", &e);
  CHECK_INT(e, USM_ERR_BAD_RESPONSE);
  action("{\"sequence\":{\"entries\":[1]}}", "{\"sequence\":" S("2") "}", &e);
  CHECK_INT(e, USM_ERR_BAD_RESPONSE);
  action("{\"sequence\":" S("1") "}", "{}", &e);
  CHECK_INT(e, USM_ERR_BAD_RESPONSE);
  action("{\"sequence\":" S("1") "}", "{\"sequence\":[]}", &e);
  CHECK_INT(e, USM_ERR_BAD_RESPONSE);
  /* a broken base is an error too (the official code would throw) */
  action("{\"sequence\":" S("1") "}", "{\"baseSequence\":5,\"sequence\":" S("1,2") "}", &e);
  CHECK_INT(e, USM_ERR_BAD_RESPONSE);
  /* ...and a base without a range is legal (JS undefined semantics) */
  CHECK_INT(action("{\"sequence\":" S("1") "}", "{\"baseSequence\":{\"entries\":[1]},\"sequence\":" S("1,2") "}", NULL),
            USM__DELTA_USE_INCOMING);
  usm__delta_action a;
  CHECK_INT(usm__seq_delta_action(NULL, NULL, &a), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__seq_full_is_newer(NULL, NULL), 0);
}

static usm__seq_cmp cmp(const char *a, const char *b) {
  cJSON *x = parse(a), *y = parse(b);
  usm__seq_cmp r = (usm__seq_cmp)-1;
  CHECK_INT(usm__seq_compare_json(x, y, &r), USM_OK);
  cJSON_Delete(x);
  cJSON_Delete(y);
  return r;
}

static void test_numbers(void) {
  /* above 2^53 only the string form is exact */
  CHECK_INT(cmp(S("\"9007199254740992\""), S("\"9007199254740992\",\"9007199254740993\"")), USM__SEQ_LT);
  CHECK_INT(cmp(S("\"9223372036854775807\""), S("\"9223372036854775806\"")), USM__SEQ_GT);
  /* extreme ranges: the (end - min) arithmetic must not overflow */
  CHECK_INT(cmp("{\"entries\":[],\"rangeStart\":\"-9223372036854775808\",\"rangeEnd\":\"9223372036854775807\"}",
                "{\"entries\":[],\"rangeStart\":\"-9223372036854775807\",\"rangeEnd\":\"9223372036854775807\"}"),
            USM__SEQ_GT);
  CHECK_INT(cmp("{\"entries\":[],\"rangeStart\":\"9223372036854775807\",\"rangeEnd\":\"-9223372036854775808\"}",
                "{\"entries\":[],\"rangeStart\":\"-9223372036854775808\",\"rangeEnd\":\"9223372036854775807\"}"),
            USM__SEQ_LT);
  /* absent range ends act as JS undefined: nothing is "outside" them */
  CHECK_INT(cmp("{\"entries\":[1,2]}", "{\"entries\":[1,3]}"), USM__SEQ_EQ);
  /* duplicates are harmless */
  CHECK_INT(cmp(S("1,1,2"), S("1,2,2")), USM__SEQ_EQ);
}

int main(void) {
  int a = run_cmps("SeqCmp.json", seqcmp_seqs, COUNT(seqcmp_seqs), seqcmp_cmps, COUNT(seqcmp_cmps));
  int b = run_cmps("BasicSeqCmp.json", basic_seqs, COUNT(basic_seqs), basic_cmps, COUNT(basic_cmps));
  CHECK_INT(a, COUNT(seqcmp_cmps));
  CHECK_INT(b, COUNT(basic_cmps));
  CHECK_INT(COUNT(basic_cmps), 88);
  CHECK_INT(COUNT(seqcmp_cmps), 25);
  CHECK_INT(COUNT(seqcmp_updates), 23);
  test_updates();
  test_delta_branches();
  test_full_newer();
  test_malformed();
  test_numbers();
  return check_done("test_seq");
}
