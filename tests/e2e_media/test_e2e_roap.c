/* Server-initiated ROAP end to end: usm-cloud's media server sends a joined
 * client an OFFER over Mercury (locus.message.roap, POST /admin/media
 * "offer"), the client answers it through Locus, and media keeps flowing;
 * an ICE-restart offer makes the client check and nominate again; glare
 * (the client's ICE-restart OFFER held in flight while the server's OFFER
 * arrives) is settled by the tieBreaker either way; malformed ROAP messages
 * reach the application as USM_EVENT_ROAP and change nothing. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media_party.h"

#define ALICE "alice@example.com"

static e2e_world w;

/* 20 payloads of each kind each way arrive (loopback: at most 2 lost). */
static void check_flow(party *h, party *a, const char *when) {
  int ha = h->got[0], hv = h->got[1], aa = a->got[0], av = a->got[1];
  party_send(h, "H", 20);
  party_send(a, "A", 20);
  e2e_pump(&w, 300);
  fprintf(stderr, "%s: host got +%d audio +%d video, alice got +%d audio +%d video\n", when, h->got[0] - ha,
          h->got[1] - hv, a->got[0] - aa, a->got[1] - av);
  CHECK(h->got[0] - ha >= 18 && h->got[1] - hv >= 18);
  CHECK(a->got[0] - aa >= 18 && a->got[1] - av >= 18);
  CHECK_INT(h->bad + a->bad, 0);
}

/* ---- what the cloud's media server says about alice ---- */

typedef struct cloud_view {
  int found;
  char ice[16], ufrag[16], offer_state[16], error_type[32];
  long long last_seq, offer_seq;
  unsigned hold_ms, answers_in, errors_in;
} cloud_view;

static void copy_str(char *out, size_t cap, const cJSON *v) {
  snprintf(out, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static cloud_view alice_view(void) {
  cloud_view v;
  memset(&v, 0, sizeof v);
  char *body = NULL;
  int st = e2e_admin_get(&w, "/admin/media", &body);
  cJSON *root = st == 200 && body ? cJSON_Parse(body) : NULL;
  free(body);
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(root, "participants")) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(p, "email");
    if (!cJSON_IsString(e) || strcmp(e->valuestring, ALICE) != 0) continue;
    const cJSON *ice = cJSON_GetObjectItemCaseSensitive(p, "ice");
    const cJSON *roap = cJSON_GetObjectItemCaseSensitive(p, "roap");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(roap, "serverOffer");
    v.found = 1;
    copy_str(v.ice, sizeof v.ice, cJSON_GetObjectItemCaseSensitive(ice, "state"));
    copy_str(v.ufrag, sizeof v.ufrag, cJSON_GetObjectItemCaseSensitive(ice, "ufrag"));
    copy_str(v.offer_state, sizeof v.offer_state, cJSON_GetObjectItemCaseSensitive(off, "state"));
    copy_str(v.error_type, sizeof v.error_type, cJSON_GetObjectItemCaseSensitive(off, "errorType"));
    v.last_seq = (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(roap, "lastSeq"));
    v.offer_seq = (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(off, "seq"));
    v.hold_ms = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(roap, "holdOfferAnswerMs"));
    v.answers_in = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(roap, "answersIn"));
    v.errors_in = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(roap, "errorsIn"));
  }
  cJSON_Delete(root);
  return v;
}

/* Pump until alice's server offer is no longer PENDING (10 s at most). */
static cloud_view wait_offer_settled(void) {
  cloud_view v = alice_view();
  for (int i = 0; i < 200 && strcmp(v.offer_state, "PENDING") == 0; i++) {
    e2e_pump(&w, 50);
    v = alice_view();
  }
  return v;
}

static int admin_media(const char *json) { return cloud_proc_admin(&w.cloud, "/admin/media", json); }

/* Pump until alice's media and the cloud's ICE are both CONNECTED (40 s at most). */
static int wait_alice_connected(party *a) {
  for (int i = 0; i < 800; i++) {
    if (a->media == USM_MEDIA_CONNECTED && strcmp(alice_view().ice, "CONNECTED") == 0) return 1;
    e2e_pump(&w, 50);
  }
  return 0;
}

/* ---- (a) a server OFFER is answered; media goes on ---- */

static void test_server_offer(party *h, party *a) {
  cloud_view before = alice_view();
  CHECK(before.found);
  CHECK_STR(before.offer_state, "NONE");
  int events = a->roap_events;
  CHECK_INT(admin_media("{\"email\":\"" ALICE "\",\"offer\":true,\"tieBreaker\":5}"), 200);
  cloud_view v = wait_offer_settled();
  CHECK_STR(v.offer_state, "ANSWERED");
  CHECK_INT(v.offer_seq, before.last_seq + 1); /* the next seq; the ANSWER came with it */
  CHECK_INT(v.answers_in, 1);
  CHECK_INT(a->roap_events, events + 1);
  CHECK(strstr(a->last_roap, "\"OFFER\"") != NULL);
  CHECK_STR(v.ufrag, before.ufrag); /* not a restart: the same ICE session */
  CHECK_INT(a->media, USM_MEDIA_CONNECTED);
  check_flow(h, a, "after a server offer");

  /* a second one takes the next seq again */
  CHECK_INT(admin_media("{\"email\":\"" ALICE "\",\"offer\":true}"), 200);
  cloud_view v2 = wait_offer_settled();
  CHECK_STR(v2.offer_state, "ANSWERED");
  CHECK_INT(v2.offer_seq, v.offer_seq + 1);
  check_flow(h, a, "after a second server offer");
}

/* ---- (b) a server OFFER restarting ICE ---- */

static void test_ice_restart_offer(party *h, party *a) {
  cloud_view before = alice_view();
  CHECK_INT(admin_media("{\"email\":\"" ALICE "\",\"offer\":true,\"iceRestart\":true}"), 200);
  cloud_view v = wait_offer_settled();
  CHECK_STR(v.offer_state, "ANSWERED");
  CHECK(strcmp(v.ufrag, before.ufrag) != 0); /* new credentials */
  CHECK(wait_alice_connected(a));            /* the client checked and nominated again */
  check_flow(h, a, "after an ICE-restart server offer");
}

/* ---- (c) glare ---- */

/* Alice's own OFFER goes out (an ICE restart after dropIce) and its answer
 * is held; while it is in flight the server offers with @p tie_breaker. */
static void glare(party *h, party *a, const char *tie_breaker, int server_wins) {
  int events = a->roap_events, restarted = a->restarted;
  cloud_view pre = alice_view();
  CHECK_INT(admin_media("{\"email\":\"" ALICE "\",\"holdOfferAnswer\":4000}"), 200);
  CHECK_INT(admin_media("{\"email\":\"" ALICE "\",\"dropIce\":true}"), 200);
  /* consent fails (up to 30 s), the client restarts ICE and offers: the
   * cloud takes the offer (the hold is used up) and holds its answer */
  cloud_view v = alice_view();
  for (int i = 0; i < 900 && v.hold_ms != 0; i++) {
    e2e_pump(&w, 50);
    v = alice_view();
  }
  CHECK_INT(v.hold_ms, 0);
  CHECK(a->restarted > restarted);
  CHECK(v.last_seq > pre.last_seq); /* a fresh seq, above every one used (refused ones too) */
  char body[160];
  snprintf(body, sizeof body, "{\"email\":\"" ALICE "\",\"offer\":true,\"tieBreaker\":%s}", tie_breaker);
  CHECK_INT(admin_media(body), 200);
  for (int i = 0; i < 100 && a->roap_events == events; i++) e2e_pump(&w, 20);
  CHECK_INT(a->roap_events, events + 1);
  CHECK(a->media_at_roap != USM_MEDIA_CONNECTED); /* its own offer was still unanswered */
  cloud_view s = wait_offer_settled();
  if (server_wins) {
    CHECK_STR(s.offer_state, "ANSWERED");
  } else {
    CHECK_STR(s.offer_state, "REFUSED");
    CHECK_STR(s.error_type, "CONFLICT");
  }
  CHECK(wait_alice_connected(a));
  check_flow(h, a, server_wins ? "after glare won by the server" : "after glare won by the client");
}

/* ---- (d) malformed ROAP over Mercury ---- */

static void push_roap(party *a, const char *message) {
  int events = a->roap_events;
  char body[512];
  snprintf(body, sizeof body, "{\"email\":\"" ALICE "\",\"roap\":%s}", message);
  CHECK_INT(admin_media(body), 200);
  for (int i = 0; i < 100 && a->roap_events == events; i++) e2e_pump(&w, 20);
  CHECK_INT(a->roap_events, events + 1);
}

static void test_malformed(party *h, party *a) {
  cloud_view before = alice_view();
  push_roap(a, "{\"messageType\":\"OFFER\",\"seq\":40,\"version\":\"2\"}");              /* no sdps */
  push_roap(a, "{\"messageType\":\"OFFER\",\"seq\":40,\"sdps\":[],\"version\":\"2\"}");  /* empty sdps */
  push_roap(a, "{\"messageType\":\"OFFER\",\"seq\":\"x1\",\"sdps\":[\"v=0\"]}");         /* bad seq */
  push_roap(a, "{\"messageType\":\"OFFER\",\"seq\":-3,\"sdps\":[\"v=0\"]}");             /* bad seq */
  push_roap(a, "{\"messageType\":\"OFFER\",\"seq\":1e300,\"sdps\":[\"v=0\"]}");          /* bad seq */
  push_roap(a, "{\"messageType\":\"OFFER\",\"seq\":41,\"sdps\":[7],\"tieBreaker\":\"z\"}"); /* bad types */
  push_roap(a, "{\"messageType\":\"NONSENSE\",\"seq\":41}");
  push_roap(a, "{\"seq\":41}");
  push_roap(a, "{\"messageType\":\"ANSWER\",\"seq\":41,\"sdps\":[\"v=0\"]}"); /* an answer to nothing */
  /* well formed, but an SDP that is not one: refused, the session stays */
  push_roap(a, "{\"messageType\":\"OFFER\",\"seq\":42,\"sdps\":[\"not an sdp\"],\"tieBreaker\":1}");
  e2e_pump(&w, 300);
  CHECK_INT(a->media, USM_MEDIA_CONNECTED);
  CHECK_INT(a->failed, 0);
  cloud_view v = alice_view();
  CHECK_STR(v.ufrag, before.ufrag);
  CHECK_STR(v.ice, "CONNECTED");
  check_flow(h, a, "after malformed ROAP");
}

static void test_roap(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN), *alice = e2e_client(&w, E2E_ALICE_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, ALICE, number, sip, password), 0);
  party h = {.who = "host", .peer_tag = "A"}, a = {.who = "alice", .peer_tag = "H"};
  party_join(&w, host, number, &h);
  party_join(&w, alice, sip, &a);
  for (int i = 0; i < 750 && !party_both_connected(&h, &a); i++) e2e_pump(&w, 20);
  CHECK(party_both_connected(&h, &a));
  check_flow(&h, &a, "connected");

  /* admin requests that make no sense */
  CHECK_INT(admin_media("{\"email\":\"" ALICE "\",\"tieBreaker\":3}"), 400); /* needs offer */
  CHECK_INT(admin_media("{\"email\":\"" ALICE "\",\"offer\":true,\"tieBreaker\":-1}"), 400);
  CHECK_INT(admin_media("{\"email\":\"" ALICE "\",\"holdOfferAnswer\":\"x\"}"), 400);

  test_server_offer(&h, &a);
  test_ice_restart_offer(&h, &a);
  glare(&h, &a, "0", 0);          /* the client's tieBreaker is the larger */
  glare(&h, &a, "4294967295", 1); /* the server's is */
  test_malformed(&h, &a);
  CHECK_INT(a.failed + h.failed, 0);

  e2e_op op = {0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_leave(a.m, e2e_op_done, &op)), USM_OK);
  usm_meeting_destroy(a.m);
  usm_meeting_destroy(h.m);
}

int main(void) {
  if (e2e_start(&w, NULL) != 0) return 1;
  test_roap();
  e2e_stop(&w);
  return check_done("test_e2e_roap");
}
