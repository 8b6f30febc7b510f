/* The Locus DTO parser and the roster diff: who is in the roster, lobby
 * detection by our device URL, the host, self, sequence, bounds, and the
 * events computed between two DTOs. */
#include <stdlib.h>
#include <usm/usm.h>

#include "check.h"
#include "meeting/locus_dto.h"
#include "meeting/roster.h"

#define DEV "https://wdm.example.com/wdm/api/v1/devices/ours"
#define OTHER_DEV "https://wdm.example.com/wdm/api/v1/devices/theirs"

/* A participant: id, state, moderator, device url, intent ("WAIT" or null). */
static void part(char *out, size_t cap, const char *id, const char *state, int moderator, const char *dev,
                 const char *intent, int muted) {
  char in[64];
  if (intent)
    snprintf(in, sizeof in, "{\"type\":\"%s\"}", intent);
  else
    snprintf(in, sizeof in, "null");
  snprintf(out, cap,
           "{\"id\":\"%s\",\"url\":\"https://l/loci/1/participant/%s\",\"identity\":\"person-%s\",\"type\":\"USER\","
           "\"state\":\"%s\",\"person\":{\"id\":\"person-%s\",\"name\":\"Name %s\",\"email\":\"%s@example.com\","
           "\"orgId\":\"org\",\"isExternal\":false},\"guest\":%s,\"moderator\":%s,\"isCreator\":false,"
           "\"devices\":[{\"url\":\"%s\",\"deviceType\":\"WEB\",\"state\":\"%s\",\"intent\":%s,"
           "\"keepAliveUrl\":\"https://l/loci/1/participant/%s/keepAlive\",\"keepAliveSecs\":20}],"
           "\"controls\":{\"audio\":{\"muted\":%s},\"video\":{\"muted\":false},\"role\":{\"roles\":"
           "[{\"type\":\"MODERATOR\",\"hasRole\":%s}]}}}",
           id, id, id, state, id, id, id, id[0] == 'g' ? "true" : "false", moderator ? "true" : "false", dev, state,
           in, id, muted ? "true" : "false", moderator ? "true" : "false");
}

static char *dto(const char *parts, const char *self, long seq, int locked, const char *full_state) {
  size_t cap = strlen(parts) + (self ? strlen(self) : 0) + 2048;
  char *s = malloc(cap);
  snprintf(s, cap,
           "{\"url\":\"https://l.example.com/locus/api/v1/loci/1\",\"created\":\"x\",\"info\":{\"sipUri\":"
           "\"255@site.webex.com\",\"webExMeetingId\":2551234567,\"webExSite\":\"site.webex.com\"},"
           "\"host\":{\"id\":\"person-h\"},\"fullState\":{\"active\":true,\"count\":2,\"locked\":false,\"state\":\"%s\","
           "\"type\":\"MEETING\"},\"controls\":{\"lock\":{\"locked\":%s}},\"participants\":[%s]%s%s,"
           "\"sequence\":{\"entries\":[%ld],\"rangeStart\":0,\"rangeEnd\":0},\"syncUrl\":\"https://l/loci/1/sync\"}",
           full_state, locked ? "true" : "false", parts, self ? ",\"self\":" : "", self ? self : "", seq);
  return s;
}

static usm__locus parse(const char *text) {
  usm__locus l;
  usm_err e = usm__locus_parse_text(text, strlen(text), DEV, &l);
  CHECK_INT(e, USM_OK);
  return l;
}

static void test_parse(void) {
  char h[2048], me[2048], g[2048], left[2048], inv[2048], all[5 * 2048 + 8];
  part(h, sizeof h, "h", "JOINED", 1, OTHER_DEV, NULL, 0);
  part(me, sizeof me, "me", "IDLE", 0, DEV, "WAIT", 1);
  part(g, sizeof g, "g1", "IDLE", 0, OTHER_DEV, "OBSERVE", 0);
  part(left, sizeof left, "old", "LEFT", 0, OTHER_DEV, NULL, 0);
  part(inv, sizeof inv, "inv", "NOTIFIED", 0, OTHER_DEV, NULL, 0);
  snprintf(all, sizeof all, "%s,%s,%s,%s,%s", h, me, g, left, inv);
  char *text = dto(all, me, 7, 0, "ACTIVE");
  usm__locus l = parse(text);
  CHECK_STR(l.url, "https://l.example.com/locus/api/v1/loci/1");
  CHECK_STR(l.sync_url, "https://l/loci/1/sync");
  CHECK_STR(l.sip_uri, "255@site.webex.com");
  CHECK_STR(l.meeting_number, "2551234567"); /* a number in the DTO */
  CHECK_INT(l.ended, 0);
  CHECK_INT(l.locked, 0);
  /* the roster: joined and waiting only, in DTO order */
  CHECK_INT(l.n_roster, 3);
  CHECK_STR(l.roster[0].id, "h");
  CHECK_INT(l.roster[0].state, USM__P_JOINED);
  CHECK_INT(l.roster[0].is_host, 1);
  CHECK_INT(l.roster[0].is_self, 0);
  CHECK_STR(l.roster[1].id, "me");
  CHECK_INT(l.roster[1].in_lobby, 1);
  CHECK_INT(l.roster[1].is_self, 1);
  CHECK_INT(l.roster[1].audio_muted, 1);
  CHECK_INT(l.roster[1].video_muted, 0);
  CHECK_STR(l.roster[1].name, "Name me");
  CHECK_STR(l.roster[1].email, "me@example.com");
  CHECK_STR(l.roster[1].person_id, "person-me");
  CHECK_STR(l.roster[2].id, "g1");
  CHECK_INT(l.roster[2].in_lobby, 1); /* OBSERVE also waits */
  CHECK_INT(l.roster[2].is_guest, 1);
  /* self waits: IDLE and OUR device's intent is WAIT */
  CHECK_INT(l.has_self, 1);
  CHECK_INT(l.self_waiting, 1);
  CHECK_STR(l.keepalive_url, "https://l/loci/1/participant/me/keepAlive");
  CHECK_INT(l.keepalive_secs, 20);
  CHECK_INT(l.has_seq, 1);
  CHECK(l.last_seq == 7);
  CHECK(l.sequence != NULL);
  usm__lpart_view(&l.roster[0], &(usm_participant){0});
  usm_participant v;
  usm__lpart_view(&l.roster[1], &v);
  CHECK_STR(v.id, "me");
  CHECK_INT(v.in_meeting, 0);
  CHECK_INT(v.in_lobby, 1);
  CHECK_INT(v.is_self, 1);
  CHECK_INT(v.audio_muted, 1);
  CHECK(usm__roster_host(&l) == &l.roster[0]);
  usm__locus_free(&l);
  free(text);

  /* WAIT on someone else's device is not our lobby */
  char me_other[2048];
  part(me_other, sizeof me_other, "me", "IDLE", 0, OTHER_DEV, "WAIT", 0);
  text = dto(h, me_other, 8, 1, "ACTIVE");
  l = parse(text);
  CHECK_INT(l.self_waiting, 0);
  CHECK(l.keepalive_url == NULL);
  CHECK_INT(l.locked, 1);
  usm__locus_free(&l);
  free(text);

  /* admitted: JOINED, no intent */
  char me_in[2048];
  part(me_in, sizeof me_in, "me", "JOINED", 0, DEV, NULL, 0);
  text = dto(h, me_in, 9, 0, "INACTIVE");
  l = parse(text);
  CHECK_INT(l.self_waiting, 0);
  CHECK_INT(l.self.state, USM__P_JOINED);
  CHECK_INT(l.ended, 1);
  usm__locus_free(&l);
  free(text);

  /* the {"locus": DTO} wrapper of action answers */
  char wrapped[16384];
  text = dto(h, me_in, 9, 0, "ACTIVE");
  snprintf(wrapped, sizeof wrapped, "{\"locus\":%s,\"mediaConnections\":[]}", text);
  l = parse(wrapped);
  CHECK_INT(l.n_roster, 1);
  usm__locus_free(&l);
  free(text);

  /* the moderator flag counts when there is no role list; the role list wins when there is */
  const char *flag_only = "{\"url\":\"https://l/1\",\"participants\":[{\"id\":\"a\",\"state\":\"JOINED\",\"moderator\":true},"
                          "{\"id\":\"b\",\"state\":\"JOINED\",\"moderator\":true,\"controls\":{\"role\":{\"roles\":"
                          "[{\"type\":\"COHOST\",\"hasRole\":true},{\"type\":\"MODERATOR\",\"hasRole\":false}]}}}]}";
  l = parse(flag_only);
  CHECK_INT(l.n_roster, 2);
  CHECK_INT(l.roster[0].is_host, 1);
  CHECK_INT(l.roster[1].is_host, 0);
  CHECK_INT(l.roster[0].audio_muted, -1);
  CHECK_INT(l.has_self, 0);
  CHECK_INT(l.has_seq, 0);
  usm__locus_free(&l);
}

static void test_bad(void) {
  usm__locus l;
  const char *bad[] = {
    "", "[]", "{}", "{\"url\":5}", "{\"url\":\"http://evil.example.com/loci/1\"}", "{\"url\":\"ftp://x/y\"}",
    "not json at all",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_INT(usm__locus_parse_text(bad[i], strlen(bad[i]), DEV, &l), USM_ERR_BAD_RESPONSE);
  /* odd members are ignored, not trusted */
  const char *odd = "{\"url\":\"https://l/1\",\"participants\":{\"x\":1},\"self\":[1],\"sequence\":{\"entries\":{}},"
                    "\"controls\":{\"lock\":{\"locked\":\"yes\"}},\"info\":{\"webExMeetingId\":-3}}";
  CHECK_INT(usm__locus_parse_text(odd, strlen(odd), DEV, &l), USM_OK);
  CHECK_INT(l.n_roster, 0);
  CHECK_INT(l.has_self, 0);
  CHECK_INT(l.has_seq, 0);
  CHECK_INT(l.locked, 0);
  CHECK(l.meeting_number == NULL);
  usm__locus_free(&l);
  /* participants without an id are skipped; an insecure keep-alive URL is dropped */
  const char *noid = "{\"url\":\"https://l/1\",\"participants\":[{\"state\":\"JOINED\"},{\"id\":\"x\",\"state\":\"JOINED\"}],"
                     "\"self\":{\"id\":\"x\",\"state\":\"IDLE\",\"devices\":[{\"url\":\"" DEV "\",\"intent\":{\"type\":"
                     "\"WAIT\"},\"keepAliveUrl\":\"http://evil.example.com/k\",\"keepAliveSecs\":20}]}}";
  CHECK_INT(usm__locus_parse_text(noid, strlen(noid), DEV, &l), USM_OK);
  CHECK_INT(l.n_roster, 1);
  CHECK_INT(l.self_waiting, 1);
  CHECK(l.keepalive_url == NULL);
  usm__locus_free(&l);
  /* a sequence too big to echo back is not kept, but still orders DTOs */
  size_t ne = 3000, scap = ne * 12 + 100;
  char *seq = malloc(scap);
  size_t so = (size_t)snprintf(seq, scap, "{\"url\":\"https://l/1\",\"sequence\":{\"entries\":[");
  for (size_t i = 0; i < ne; i++) so += (size_t)snprintf(seq + so, scap - so, "%s%zu", i ? "," : "", 1000000 + i);
  snprintf(seq + so, scap - so, "]}}");
  CHECK_INT(usm__locus_parse_text(seq, strlen(seq), DEV, &l), USM_OK);
  CHECK(l.sequence == NULL);
  CHECK_INT(l.has_seq, 1);
  CHECK(l.last_seq == 1000000 + ne - 1);
  usm__locus_free(&l);
  free(seq);
  /* bounded participant count */
  size_t n = USM__LOCUS_MAX_PARTICIPANTS + 1, cap = n * 12 + 100;
  char *big = malloc(cap);
  size_t o = (size_t)snprintf(big, cap, "{\"url\":\"https://l/1\",\"participants\":[");
  for (size_t i = 0; i < n; i++) o += (size_t)snprintf(big + o, cap - o, "%s{}", i ? "," : "");
  snprintf(big + o, cap - o, "]}");
  CHECK_INT(usm__locus_parse_text(big, strlen(big), DEV, &l), USM_ERR_LIMIT);
  free(big);
}

static void test_newer(void) {
  usm__locus a = {.has_seq = 1, .last_seq = 10}, b = {.has_seq = 1, .last_seq = 11}, none = {0};
  CHECK_INT(usm__locus_newer(NULL, &a), 1);
  CHECK_INT(usm__locus_newer(&a, &b), 1);
  CHECK_INT(usm__locus_newer(&b, &a), 0); /* older: ignored */
  CHECK_INT(usm__locus_newer(&a, &a), 0); /* the same: nothing new */
  CHECK_INT(usm__locus_newer(&a, &none), 1);
  CHECK_INT(usm__locus_newer(&none, &a), 1);
}

/* ---- roster diff ---------------------------------------------------------- */

static char log_buf[4096];

static int record(void *ctx, usm_roster_change change, const usm__lpart *p, const usm__lpart *was) {
  (void)was;
  int *stop_after = ctx;
  const char *k = change == USM_ROSTER_JOINED ? "joined" : change == USM_ROSTER_LEFT ? "left" : "changed";
  size_t l = strlen(log_buf);
  snprintf(log_buf + l, sizeof log_buf - l, "%s:%s ", k, p->id);
  return !stop_after || --*stop_after > 0;
}

static int count_changes(void *ctx, usm_roster_change change, const usm__lpart *p, const usm__lpart *was) {
  (void)was;
  (void)p;
  ((size_t *)ctx)[change]++;
  return 1;
}

static void test_diff(void) {
  char h[2048], hh[2048], me[2048], me_in[2048], a[2048], b[2048], p1[3 * 2048 + 8], p2[3 * 2048 + 8];
  part(h, sizeof h, "h", "JOINED", 1, OTHER_DEV, NULL, 0);
  part(hh, sizeof hh, "h", "JOINED", 0, OTHER_DEV, NULL, 0);
  part(me, sizeof me, "me", "IDLE", 0, DEV, "WAIT", 0);
  part(me_in, sizeof me_in, "me", "JOINED", 1, DEV, NULL, 0);
  part(a, sizeof a, "a", "JOINED", 0, OTHER_DEV, NULL, 0);
  part(b, sizeof b, "b", "JOINED", 0, OTHER_DEV, NULL, 1);
  snprintf(p1, sizeof p1, "%s,%s,%s", h, me, a);
  snprintf(p2, sizeof p2, "%s,%s,%s", b, hh, me_in); /* a left, b joined, h lost host, me admitted as host */
  char *t1 = dto(p1, me, 1, 0, "ACTIVE"), *t2 = dto(p2, me_in, 2, 0, "ACTIVE");
  usm__locus l1 = parse(t1), l2 = parse(t2);

  log_buf[0] = '\0';
  CHECK_INT(usm__roster_diff(NULL, &l1, record, NULL), 1);
  CHECK_STR(log_buf, "joined:h joined:me joined:a ");
  log_buf[0] = '\0';
  CHECK_INT(usm__roster_diff(&l1, &l2, record, NULL), 1);
  CHECK_STR(log_buf, "joined:b changed:h changed:me left:a ");
  log_buf[0] = '\0';
  CHECK_INT(usm__roster_diff(&l2, &l2, record, NULL), 1);
  CHECK_STR(log_buf, ""); /* nothing changed */
  log_buf[0] = '\0';
  CHECK_INT(usm__roster_diff(&l2, NULL, record, NULL), 1);
  CHECK_STR(log_buf, "left:b left:h left:me ");
  /* the callback can stop it */
  log_buf[0] = '\0';
  int stop = 2;
  CHECK_INT(usm__roster_diff(&l1, &l2, record, &stop), 0);
  CHECK_STR(log_buf, "joined:b changed:h ");
  /* the host moved to me */
  CHECK_STR(usm__roster_host(&l1)->id, "h");
  CHECK_STR(usm__roster_host(&l2)->id, "me");
  CHECK(usm__roster_host(NULL) == NULL);

  /* each visible field counts as a change; a change of DTO order does not */
  usm__lpart x = l2.roster[0], y = x;
  CHECK_INT(usm__lpart_differs(&x, &y), 0);
  y.audio_muted = 0;
  CHECK_INT(usm__lpart_differs(&x, &y), 1);
  y = x, y.in_lobby = 1;
  CHECK_INT(usm__lpart_differs(&x, &y), 1);
  y = x, y.is_host = 1;
  CHECK_INT(usm__lpart_differs(&x, &y), 1);
  y = x, y.name = NULL;
  CHECK_INT(usm__lpart_differs(&x, &y), 1);
  usm__locus_free(&l1);
  usm__locus_free(&l2);
  free(t1);
  free(t2);

  /* large rosters diff in O(n log n): 5000 vs 5000 with half replaced */
  size_t n = 5000, cap = n * 64 + 200;
  char *s1 = malloc(cap), *s2 = malloc(cap);
  size_t o1 = (size_t)snprintf(s1, cap, "{\"url\":\"https://l/1\",\"participants\":[");
  size_t o2 = (size_t)snprintf(s2, cap, "{\"url\":\"https://l/1\",\"participants\":[");
  for (size_t i = 0; i < n; i++) {
    o1 += (size_t)snprintf(s1 + o1, cap - o1, "%s{\"id\":\"p%zu\",\"state\":\"JOINED\"}", i ? "," : "", i);
    o2 += (size_t)snprintf(s2 + o2, cap - o2, "%s{\"id\":\"p%zu\",\"state\":\"JOINED\"}", i ? "," : "", i + n / 2);
  }
  snprintf(s1 + o1, cap - o1, "]}");
  snprintf(s2 + o2, cap - o2, "]}");
  l1 = parse(s1), l2 = parse(s2);
  size_t counts[4] = {0};
  CHECK_INT(usm__roster_diff(&l1, &l2, count_changes, counts), 1);
  CHECK_INT(counts[USM_ROSTER_JOINED], n / 2);
  CHECK_INT(counts[USM_ROSTER_LEFT], n / 2);
  CHECK_INT(counts[USM_ROSTER_CHANGED], 0);
  usm__locus_free(&l1);
  usm__locus_free(&l2);
  free(s1);
  free(s2);
}

int main(void) {
  test_parse();
  test_bad();
  test_newer();
  test_diff();
  return check_done("test_locus_dto");
}
