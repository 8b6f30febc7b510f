/* Locus delta merge and the out-of-order queue: apply, out-of-order arrival
 * and release, Locus-requested sync, stale deltas, URL change, overflow and
 * malformed deltas. Sequences follow the contract's form {entries:[n]}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mercury/locus_merge.h"

#define SEQ(...) "{\"entries\":[" #__VA_ARGS__ "],\"rangeStart\":0,\"rangeEnd\":0}"
#define URL "\"url\":\"https://locus.example.com/loci/1\""

static cJSON *parse(const char *s) {
  cJSON *j = cJSON_ParseWithLengthOpts(s, strlen(s), NULL, 0);
  if (!j) {
    fprintf(stderr, "bad test JSON: %s\n", s);
    exit(2);
  }
  return j;
}

static cJSON *working_copy(void) {
  return parse("{" URL ",\"syncUrl\":\"https://locus.example.com/loci/1/sync?x=1\",\"sequence\":" SEQ(1) ","
               "\"self\":{\"id\":\"me\",\"state\":\"JOINED\"},\"host\":{\"id\":\"h\"},"
               "\"fullState\":{\"state\":\"ACTIVE\",\"locked\":false},\"info\":{\"topic\":\"t\"},"
               "\"participants\":[{\"id\":\"a\",\"state\":\"JOINED\"},{\"id\":\"b\",\"state\":\"JOINED\"},"
               "{\"id\":\"me\",\"state\":\"JOINED\"}]}");
}

/* A delta from base [b] to sequence [s] with extra members. */
static cJSON *delta(int b, int s, const char *extra) {
  char buf[4096];
  snprintf(buf, sizeof buf,
           "{" URL ",\"baseSequence\":{\"entries\":[%d],\"rangeStart\":0,\"rangeEnd\":0},"
           "\"sequence\":{\"entries\":[%d],\"rangeStart\":0,\"rangeEnd\":0}%s%s}",
           b, s, extra ? "," : "", extra ? extra : "");
  return parse(buf);
}

static double last_seq(const cJSON *w) {
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(w, "sequence"), "entries");
  int n = cJSON_GetArraySize(e);
  return n ? cJSON_GetArrayItem(e, n - 1)->valuedouble : -1;
}

/* The participant ids in order, comma-separated. */
static const char *ids(const cJSON *w) {
  static char buf[256];
  buf[0] = 0;
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(w, "participants")) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "id");
    if (buf[0]) strcat(buf, ",");
    strncat(buf, cJSON_IsString(id) ? id->valuestring : "?", 16);
  }
  return buf;
}

static const char *str_at(const cJSON *w, const char *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(w, obj), key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *participant(const cJSON *w, const char *id) {
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(w, "participants")) {
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(p, "id");
    if (cJSON_IsString(i) && strcmp(i->valuestring, id) == 0) return p;
  }
  return NULL;
}

static void test_merge(void) {
  cJSON *w = working_copy();
  cJSON *d = delta(1, 2,
                   "\"syncUrl\":\"https://locus.example.com/loci/1/sync?x=2\","
                   "\"participants\":[{\"id\":\"b\",\"state\":\"LEFT\"},{\"id\":\"c\",\"state\":\"JOINED\"},"
                   "{\"id\":\"a\",\"removed\":true},{\"id\":\"ghost\",\"removed\":true}],"
                   "\"fullState\":{\"state\":\"ACTIVE\",\"locked\":true},\"host\":null,"
                   "\"controls\":{\"lock\":{\"locked\":true}}");
  CHECK_INT(usm__locus_merge(w, d), USM_OK);
  /* replaced in place, removed, appended; a removed unknown id is a no-op */
  CHECK_STR(ids(w), "b,me,c");
  /* LEFT participants stay as given */
  CHECK(participant(w, "b") && cJSON_IsString(cJSON_GetObjectItem(participant(w, "b"), "state")) &&
        strcmp(cJSON_GetObjectItem(participant(w, "b"), "state")->valuestring, "LEFT") == 0);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(w, "fullState"), "locked")));
  CHECK(cJSON_IsObject(cJSON_GetObjectItem(w, "controls"))); /* added */
  CHECK_STR(str_at(w, "host", "id"), "h");                     /* null = absent */
  CHECK_STR(str_at(w, "info", "topic"), "t");                  /* untouched */
  CHECK(last_seq(w) == 2);
  CHECK_STR(cJSON_GetObjectItem(w, "syncUrl")->valuestring, "https://locus.example.com/loci/1/sync?x=2");
  CHECK(cJSON_GetObjectItem(w, "baseSequence") == NULL);
  /* the merged copy prints and reparses: keys kept on spliced members */
  char *txt = cJSON_PrintUnformatted(w);
  CHECK(txt && strstr(txt, "\"controls\":{\"lock\""));
  cJSON *re = txt ? parse(txt) : NULL;
  CHECK(re && last_seq(re) == 2);
  cJSON_Delete(re);
  free(txt);

  /* an id listed twice: the last entry counts */
  cJSON_Delete(d);
  d = delta(2, 3, "\"participants\":[{\"id\":\"d\",\"n\":1},{\"id\":\"d\",\"n\":2},{\"id\":\"c\",\"n\":1},"
                  "{\"id\":\"c\",\"removed\":true}]");
  CHECK_INT(usm__locus_merge(w, d), USM_OK);
  CHECK_STR(ids(w), "b,me,d");
  CHECK_INT(cJSON_GetObjectItem(participant(w, "d"), "n")->valueint, 2);
  cJSON_Delete(d);

  /* a working copy without participants gets the array; baseSequence dropped */
  cJSON *w2 = parse("{\"sequence\":" SEQ(1) ",\"baseSequence\":" SEQ(0) "}");
  d = delta(1, 2, "\"participants\":[{\"id\":\"x\"}],\"self\":{\"id\":\"x\"}");
  CHECK_INT(usm__locus_merge(w2, d), USM_OK);
  CHECK_STR(ids(w2), "x");
  CHECK_STR(str_at(w2, "self", "id"), "x");
  CHECK(cJSON_GetObjectItem(w2, "baseSequence") == NULL);
  cJSON_Delete(d);
  cJSON_Delete(w2);
  cJSON_Delete(w);
}

static void feed(cJSON *w, usm__ooo_queue *q, cJSON *d, usm__delta_result *r, usm_err expect) {
  CHECK_INT(usm__locus_delta_feed(w, q, d, r), expect);
}

static void test_out_of_order(void) {
  cJSON *w = working_copy();
  usm__ooo_queue q;
  usm__ooo_init(&q);
  usm__delta_result r;
  /* 3 and 4 arrive before 2: both held */
  feed(w, &q, delta(3, 4, "\"participants\":[{\"id\":\"e\"}]"), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_WAIT);
  CHECK_INT(q.n, 1);
  feed(w, &q, delta(2, 3, "\"participants\":[{\"id\":\"a\",\"removed\":true}]"), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_WAIT);
  CHECK_INT(q.n, 2);
  CHECK(last_seq(w) == 1);
  /* 2 arrives: it and then both held ones apply, in sequence order */
  feed(w, &q, delta(1, 2, "\"participants\":[{\"id\":\"c\"}]"), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_USE_INCOMING);
  CHECK_INT(r.applied, 3);
  CHECK_INT(r.need_sync, 0);
  CHECK_INT(q.n, 0);
  CHECK(last_seq(w) == 4);
  CHECK_STR(ids(w), "b,me,c,e");

  /* a stale delta is ignored */
  feed(w, &q, delta(2, 3, "\"participants\":[{\"id\":\"zzz\"}]"), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_USE_CURRENT);
  CHECK_INT(r.applied, 0);
  CHECK(last_seq(w) == 4);
  /* ...and so is a duplicate */
  feed(w, &q, delta(3, 4, NULL), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_USE_CURRENT);

  /* a held delta made stale by what came meanwhile is dropped on release */
  feed(w, &q, delta(5, 6, NULL), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_WAIT);
  feed(w, &q, delta(4, 6, NULL), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_USE_INCOMING);
  CHECK_INT(r.applied, 1);
  CHECK_INT(r.dropped, 1);
  CHECK_INT(q.n, 0);
  CHECK(last_seq(w) == 6);
  usm__ooo_clear(&q);
  cJSON_Delete(w);
}

/* A full DTO replaces the working copy while a delta waits for its base:
 * released at once when the new copy completes it, dropped when stale. */
static void test_release_after_full(void) {
  cJSON *w = working_copy();
  usm__ooo_queue q;
  usm__ooo_init(&q);
  usm__delta_result r;
  feed(w, &q, delta(2, 3, "\"participants\":[{\"id\":\"late\"}]"), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_WAIT);
  CHECK_INT(usm__locus_delta_release(w, &q, &r), USM_OK); /* nothing new yet: still held */
  CHECK_INT(r.applied, 0);
  CHECK_INT(q.n, 1);
  /* the sync brings sequence 2 as a full DTO */
  cJSON *full = working_copy();
  cJSON_ReplaceItemInObjectCaseSensitive(full, "sequence",
                                         parse("{\"entries\":[2],\"rangeStart\":0,\"rangeEnd\":0}"));
  cJSON_Delete(w);
  w = full;
  CHECK_INT(usm__locus_delta_release(w, &q, &r), USM_OK);
  CHECK_INT(r.applied, 1);
  CHECK_INT(r.need_sync, 0);
  CHECK_INT(q.n, 0);
  CHECK(last_seq(w) == 3);
  CHECK_STR(ids(w), "a,b,me,late");
  /* a held delta that the full DTO already covers is dropped */
  feed(w, &q, delta(5, 6, NULL), &r, USM_OK);
  cJSON_ReplaceItemInObjectCaseSensitive(w, "sequence", parse("{\"entries\":[7],\"rangeStart\":0,\"rangeEnd\":0}"));
  CHECK_INT(usm__locus_delta_release(w, &q, &r), USM_OK);
  CHECK_INT(r.dropped, 1);
  CHECK_INT(q.n, 0);
  CHECK_INT(usm__locus_delta_release(NULL, &q, &r), USM_ERR_INVALID_ARG);
  usm__ooo_clear(&q);
  cJSON_Delete(w);
}

static void test_sync_cases(void) {
  cJSON *w = working_copy();
  usm__ooo_queue q;
  usm__ooo_init(&q);
  usm__delta_result r;
  char *before = cJSON_PrintUnformatted(w);

  /* baseSequence == sequence: Locus asks for a sync (delta too large) */
  feed(w, &q, delta(7, 4, NULL), &r, USM_OK); /* held first, to see the queue cleared */
  CHECK_INT(r.action, USM__DELTA_WAIT);
  feed(w, &q, delta(5, 5, NULL), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_DESYNC);
  CHECK_INT(r.need_sync, 1);
  CHECK_INT(q.n, 0);

  /* URL change (breakout) with a newer sequence: sync, nothing applied */
  feed(w, &q, parse("{\"url\":\"https://locus.example.com/loci/2\",\"baseSequence\":" SEQ(9)
                    ",\"sequence\":" SEQ(10) "}"), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_LOCUS_URL_CHANGED);
  CHECK_INT(r.need_sync, 1);

  /* a sixth out-of-order delta: sync instead of holding */
  for (int i = 0; i < USM__OOO_MAX; i++) {
    feed(w, &q, delta(10 + i, 11 + i, NULL), &r, USM_OK);
    CHECK_INT(r.action, USM__DELTA_WAIT);
    CHECK_INT(r.need_sync, 0);
  }
  CHECK_INT(q.n, USM__OOO_MAX);
  feed(w, &q, delta(20, 21, NULL), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_WAIT);
  CHECK_INT(r.need_sync, 1);
  CHECK_INT(q.n, 0);

  char *after = cJSON_PrintUnformatted(w);
  CHECK(before && after && strcmp(before, after) == 0);
  free(before);
  free(after);
  usm__ooo_clear(&q);
  cJSON_Delete(w);
}

static void test_malformed(void) {
  cJSON *w = working_copy();
  char *before = cJSON_PrintUnformatted(w);
  static const char *const bad[] = {
      "\"participants\":{}",
      "\"participants\":[{\"state\":\"JOINED\"}]",
      "\"participants\":[{\"id\":5}]",
      "\"participants\":[7]",
      "\"participants\":[{\"id\":\"c\"},null]",
      "\"self\":5",
      "\"fullState\":\"INACTIVE\"",
      "\"info\":[]",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cJSON *d = delta(1, 2, bad[i]);
    CHECK_INT(usm__locus_merge(w, d), USM_ERR_BAD_RESPONSE);
    cJSON_Delete(d);
  }
  /* merge needs a sequence object */
  cJSON *d = parse("{\"participants\":[]}");
  CHECK_INT(usm__locus_merge(w, d), USM_ERR_BAD_RESPONSE);
  cJSON_Delete(d);
  d = parse("[]");
  CHECK_INT(usm__locus_merge(w, d), USM_ERR_BAD_RESPONSE);
  CHECK_INT(usm__locus_merge(NULL, d), USM_ERR_INVALID_ARG);
  cJSON_Delete(d);

  /* too many participants: an error, not a crash, nothing changed */
  d = delta(1, 2, "\"participants\":[]");
  cJSON *arr = cJSON_GetObjectItem(d, "participants");
  char id[16];
  for (int i = 0; i <= USM__MERGE_MAX_PARTICIPANTS; i++) {
    cJSON *p = cJSON_CreateObject();
    snprintf(id, sizeof id, "p%d", i);
    cJSON_AddStringToObject(p, "id", id);
    cJSON_AddItemToArray(arr, p);
  }
  CHECK_INT(usm__locus_merge(w, d), USM_ERR_LIMIT);
  /* exactly at the bound (with the 3 already there) also fails; under it works */
  cJSON_Delete(cJSON_DetachItemFromArray(arr, 0));
  CHECK_INT(usm__locus_merge(w, d), USM_ERR_LIMIT);
  for (int i = 0; i < 3; i++) cJSON_Delete(cJSON_DetachItemFromArray(arr, 0));
  char *mid = cJSON_PrintUnformatted(w);
  CHECK(mid && before && strcmp(mid, before) == 0);
  free(mid);
  CHECK_INT(usm__locus_merge(w, d), USM_OK);
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(w, "participants")), USM__MERGE_MAX_PARTICIPANTS);
  cJSON_Delete(d);
  cJSON_Delete(w);

  /* through feed: an unreadable sequence is ignored without a sync... */
  w = working_copy();
  usm__ooo_queue q;
  usm__ooo_init(&q);
  usm__delta_result r;
  feed(w, &q, parse("{\"sequence\":{\"entries\":\"x\",\"rangeStart\":0,\"rangeEnd\":0}}"), &r,
       USM_ERR_BAD_RESPONSE);
  CHECK_INT(r.need_sync, 0);
  feed(w, &q, parse("{\"baseSequence\":" SEQ(1) "}"), &r, USM_ERR_BAD_RESPONSE);
  CHECK_INT(r.need_sync, 0);
  feed(w, &q, parse("{\"sequence\":{\"entries\":[2]}}"), &r, USM_ERR_BAD_RESPONSE);
  CHECK_INT(r.need_sync, 0);
  /* ...but an applicable delta that cannot be merged means a missed change */
  feed(w, &q, delta(1, 2, "\"participants\":[{\"noid\":1}]"), &r, USM_ERR_BAD_RESPONSE);
  CHECK_INT(r.need_sync, 1);
  CHECK(last_seq(w) == 1);
  CHECK_INT(usm__locus_delta_feed(NULL, &q, delta(1, 2, NULL), &r), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__locus_delta_feed(w, NULL, NULL, NULL), USM_ERR_INVALID_ARG);
  char *after = cJSON_PrintUnformatted(w);
  CHECK(after && before && strcmp(after, before) == 0);
  free(after);
  free(before);
  usm__ooo_clear(&q);
  usm__ooo_clear(NULL);
  cJSON_Delete(w);
}

/* A held delta that no longer fits after another one applied: sync. */
static void test_release_desync(void) {
  cJSON *w = parse("{" URL ",\"sequence\":" SEQ(1) ",\"participants\":[]}");
  usm__ooo_queue q;
  usm__ooo_init(&q);
  usm__delta_result r;
  feed(w, &q, parse("{" URL ",\"baseSequence\":" SEQ(1,3) ",\"sequence\":" SEQ(1,3,4) "}"), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_WAIT);
  feed(w, &q, parse("{" URL ",\"baseSequence\":" SEQ(1) ",\"sequence\":" SEQ(1,2) "}"), &r, USM_OK);
  CHECK_INT(r.action, USM__DELTA_USE_INCOMING);
  CHECK_INT(r.applied, 1);
  CHECK_INT(r.need_sync, 1);
  CHECK_INT(q.n, 0);
  CHECK(last_seq(w) == 2);
  usm__ooo_clear(&q);
  cJSON_Delete(w);
}

/* Found by fuzzing: a working copy repeating "baseSequence" kept the second one. */
static void test_duplicate_base_sequence(void) {
  cJSON *w = parse("{" URL ",\"sequence\":" SEQ(1) ",\"baseSequence\":" SEQ(0) ",\"baseSequence\":" SEQ(0) "}");
  cJSON *d = delta(1, 2, NULL);
  CHECK_INT(usm__locus_merge(w, d), USM_OK);
  CHECK(cJSON_GetObjectItemCaseSensitive(w, "baseSequence") == NULL);
  CHECK(last_seq(w) == 2);
  cJSON_Delete(w);
  cJSON_Delete(d);
}

int main(void) {
  test_release_after_full();
  test_merge();
  test_duplicate_base_sequence();
  test_out_of_order();
  test_sync_cases();
  test_release_desync();
  test_malformed();
  return check_done("test_locus_merge");
}
