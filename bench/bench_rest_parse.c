/* What libusm's typed REST results cost over parsing the same body with
 * cJSON alone: a 100-meeting list and a single meeting, each timed in
 * alternating rounds in the same run; prints medians and the ratio. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/strbuf.h"
#include "rest/json.h"
#include "rest/meeting_parse.h"

#define ROUNDS 21

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static volatile size_t sink;

static void bare(const char *body, size_t len, int iters) {
  for (int i = 0; i < iters; i++) {
    cJSON *root = usm__json_parse(body, len);
    sink += root != NULL;
    cJSON_Delete(root);
  }
}

static void typed(const char *body, size_t len, int iters) {
  for (int i = 0; i < iters; i++) {
    cJSON *root = usm__json_parse(body, len);
    usm_rest_meeting *items;
    size_t n;
    if (usm__parse_meeting_items(root, &items, &n) == USM_OK) {
      sink += n;
      free(items);
    }
    cJSON_Delete(root);
  }
}

static void bench(const char *name, const char *body, int iters) {
  size_t len = strlen(body);
  double tb[ROUNDS], tt[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) { /* alternate, so noise hits both alike */
    double t0 = now_s();
    bare(body, len, iters);
    double t1 = now_s();
    typed(body, len, iters);
    double t2 = now_s();
    tb[r] = t1 - t0;
    tt[r] = t2 - t1;
  }
  qsort(tb, ROUNDS, sizeof tb[0], cmp);
  qsort(tt, ROUNDS, sizeof tt[0], cmp);
  double b = tb[ROUNDS / 2] / iters, t = tt[ROUNDS / 2] / iters;
  printf("%-22s %8zu B  cJSON %9.2f us  libusm typed %9.2f us  ratio %.3f  (%.0f MB/s)\n", name, len, b * 1e6,
         t * 1e6, t / b, len / t / 1e6);
}

int main(void) {
  static const char meeting[] =
    "{\"id\":\"870f51ff287b41be84648412901e0402\",\"meetingNumber\":\"123456789\",\"title\":\"Example Daily "
    "Meeting\",\"agenda\":\"Example Agenda\",\"password\":\"BgJep@43\",\"meetingType\":\"meetingSeries\","
    "\"state\":\"active\",\"timezone\":\"UTC\",\"start\":\"2019-11-01T20:00:00Z\",\"end\":\"2019-11-01T21:00:00Z\","
    "\"hostUserId\":\"Y2lzY29zcGFyazovL3VzL1BFT1BMRS8\",\"hostDisplayName\":\"John Andersen\",\"hostEmail\":"
    "\"john.andersen@example.com\",\"hostKey\":\"123456\",\"siteUrl\":\"site4-example.webex.com\",\"webLink\":"
    "\"https://site4-example.webex.com/site4/j.php?MTID=md41817da6a55b0925530cb88b3577b1e\",\"sipAddress\":"
    "\"123456789@site4-example.webex.com\",\"dialInIpAddress\":\"192.168.100.100\",\"enabledJoinBeforeHost\":false}";
  usm_strbuf list;
  usm__strbuf_init(&list, 0);
  usm__strbuf_printf(&list, "{\"items\":[");
  for (int i = 0; i < 100; i++) usm__strbuf_printf(&list, "%s%s", i ? "," : "", meeting);
  usm__strbuf_printf(&list, "]}");
  printf("bench_rest_parse: median of %d alternating rounds\n", ROUNDS);
  bench("one meeting", meeting, 20000);
  bench("list of 100 meetings", list.data, 200);
  usm__strbuf_free(&list);
  return 0;
}
