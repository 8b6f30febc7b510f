/* Live meeting events end to end (issue 4): clients of libusm's public API
 * in one meeting on a running usm-cloud, every event of every client logged
 * and checked: in order, no duplicates, pushed through Mercury (well under
 * the 3 s Locus poll), and each roster equal to the cloud's at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "e2e_world.h"
#include "ev_log.h"

#define HANA "Hana Host"
#define ALICE "Alice Attendee"
#define BOB "Bob Unlicensed"
#define WAIT_MS 8000
/* A functional check of push versus poll (the poll runs every 3 s), not a performance target. */
#define PUSH_MEDIAN_MS 1500

static e2e_world w;
static ev_lat lat;

/* Wait for @p p in @p l after @p from, and count its delay after @p t_done (the action's completion). */
static int seen(ev_log *l, size_t from, ev_pat p, long t_done) {
  long i = ev_wait(&w, l, from, p, WAIT_MS);
  if (i < 0) {
    fprintf(stderr, "%s: no %s event for %s after #%zu\n", l->who, ev_type_name(p.type), p.name ? p.name : "-",
            from);
    ev_dump(l);
    return 0;
  }
  ev_lat_add(&lat, l->recs[i].t_ms - t_done);
  return 1;
}

static usm_err act(e2e_op *op, usm_err started) {
  *op = (e2e_op){0};
  return e2e_await(&w, op, started);
}

static int online(ev_log *l) { return ev_wait(&w, l, 0, ev_conn(USM_CONNECTION_ONLINE), WAIT_MS) >= 0; }

static int id_of(const ev_log *l, const char *name, char id[EV_ID]) {
  for (size_t i = 0; i < l->n; i++)
    if (l->recs[i].has_p && strcmp(l->recs[i].name, name) == 0) {
      snprintf(id, EV_ID, "%s", l->recs[i].pid);
      return 1;
    }
  return 0;
}

static void report_latency(const char *name) {
  long med = ev_lat_median(&lat);
  printf("%s: %zu pushed events, median delay %ld ms\n", name, lat.n, med);
  CHECK(lat.n > 0);
  CHECK(med >= 0 && med < PUSH_MEDIAN_MS);
}

/* Host and Alice (invited), Bob through password and lobby: join, lobby,
 * admit, mutes, lock, host change, leaves, as each of them sees it. */
static void two_clients(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  usm_client *alice = e2e_client(&w, E2E_ALICE_TOKEN);
  usm_client *bob = e2e_client(&w, E2E_BOB_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, "alice@example.com", number, sip, password), 0);
  ev_log lh, la, lb;
  ev_log_init(&lh, "host");
  ev_log_init(&la, "alice");
  ev_log_init(&lb, "bob");
  usm_meeting *mh = NULL, *ma = NULL, *mb = NULL;
  CHECK_INT(e2e_meeting(&w, host, number, &mh), USM_OK);
  CHECK_INT(e2e_meeting(&w, alice, sip, &ma), USM_OK);
  CHECK_INT(e2e_meeting(&w, bob, number, &mb), USM_ERR_PASSWORD_REQUIRED);
  if (!mh || !ma || !mb) goto out;
  ev_attach(&lh, mh);
  ev_attach(&la, ma);
  ev_attach(&lb, mb);
  CHECK_INT(usm_meeting_connection_state(mh), USM_CONNECTION_IDLE); /* nothing joined yet */
  e2e_op op;
  CHECK_INT(act(&op, usm_meeting_set_password(mb, password, NULL, e2e_op_done, &op)), USM_OK);

  /* the first join opens the channel (within the call: no event for CONNECTING) */
  op = (e2e_op){0};
  usm_err started = usm_meeting_join(mh, NULL, e2e_op_done, &op);
  CHECK_INT(usm_meeting_connection_state(mh), USM_CONNECTION_CONNECTING);
  CHECK_INT(e2e_await(&w, &op, started), USM_OK);
  CHECK(online(&lh));
  CHECK_INT(usm_meeting_connection_state(mh), USM_CONNECTION_ONLINE);
  CHECK_INT(ev_count(&lh, ev_conn(USM_CONNECTION_ONLINE)), 1);

  size_t h = lh.n, a = la.n, b = lb.n;
  CHECK_INT(act(&op, usm_meeting_join(ma, NULL, e2e_op_done, &op)), USM_OK);
  long t = e2e_now_ms();
  CHECK(seen(&lh, h, ev_roster(USM_ROSTER_JOINED, ALICE, 1), t));
  CHECK(online(&la));

  h = lh.n;
  CHECK_INT(act(&op, usm_meeting_join(mb, NULL, e2e_op_done, &op)), USM_OK);
  t = e2e_now_ms();
  CHECK_INT(usm_meeting_get_state(mb), USM_MEETING_IN_LOBBY);
  CHECK(seen(&lh, h, ev_roster(USM_ROSTER_JOINED, BOB, 2), t));
  CHECK(online(&lb)); /* the lobby has the channel too */

  char bob_id[EV_ID] = "", alice_id[EV_ID] = "";
  CHECK(id_of(&lh, BOB, bob_id));
  CHECK(id_of(&lh, ALICE, alice_id));
  h = lh.n, a = la.n, b = lb.n;
  CHECK_INT(act(&op, usm_meeting_admit(mh, bob_id, e2e_op_done, &op)), USM_OK);
  t = e2e_now_ms();
  CHECK(seen(&lb, b, ev_state(USM_MEETING_JOINED), t));
  CHECK(seen(&la, a, ev_roster(USM_ROSTER_NONE, BOB, 1), t));

  /* mutes: the host itself, the host muting Alice, Alice unmuting herself */
  a = la.n, b = lb.n;
  CHECK_INT(act(&op, usm_meeting_mute(mh, NULL, 1, -1, e2e_op_done, &op)), USM_OK);
  t = e2e_now_ms();
  CHECK(seen(&la, a, ev_mute(HANA, 1), t));
  CHECK(seen(&lb, b, ev_mute(HANA, 1), t));
  a = la.n, b = lb.n;
  CHECK_INT(act(&op, usm_meeting_mute(mh, alice_id, 1, -1, e2e_op_done, &op)), USM_OK);
  t = e2e_now_ms();
  CHECK(seen(&la, a, ev_mute(ALICE, 1), t));
  CHECK(seen(&lb, b, ev_mute(ALICE, 1), t));
  usm_participant me;
  CHECK(usm_meeting_self(ma, &me) == USM_OK && me.audio_muted == 1);
  h = lh.n, b = lb.n;
  CHECK_INT(act(&op, usm_meeting_mute(ma, NULL, 0, -1, e2e_op_done, &op)), USM_OK);
  t = e2e_now_ms();
  CHECK(seen(&lh, h, ev_mute(ALICE, 0), t));
  CHECK(seen(&lb, b, ev_mute(ALICE, 0), t));
  /* a non-host may not mute others */
  CHECK_INT(act(&op, usm_meeting_mute(mb, alice_id, 1, -1, e2e_op_done, &op)), USM_ERR_NOT_HOST);

  for (int locked = 1; locked >= 0; locked--) {
    a = la.n, b = lb.n;
    CHECK_INT(act(&op, usm_meeting_lock(mh, locked, e2e_op_done, &op)), USM_OK);
    t = e2e_now_ms();
    CHECK(seen(&la, a, ev_lock(locked), t));
    CHECK(seen(&lb, b, ev_lock(locked), t));
  }

  a = la.n, b = lb.n;
  CHECK_INT(act(&op, usm_meeting_assign_host(mh, alice_id, e2e_op_done, &op)), USM_OK);
  t = e2e_now_ms();
  CHECK(seen(&la, a, ev_host(ALICE), t));
  CHECK(seen(&lb, b, ev_host(ALICE), t));

  h = lh.n, a = la.n;
  CHECK_INT(act(&op, usm_meeting_leave(mb, e2e_op_done, &op)), USM_OK);
  t = e2e_now_ms();
  CHECK(seen(&lh, h, ev_roster(USM_ROSTER_LEFT, BOB, -1), t));
  CHECK(seen(&la, a, ev_roster(USM_ROSTER_LEFT, BOB, -1), t));

  CHECK(ev_wait_server(&w, &lh, E2E_HOST_TOKEN, 5000));
  CHECK(ev_wait_server(&w, &la, E2E_ALICE_TOKEN, 5000));
  CHECK(ev_consistent(&lh));
  CHECK(ev_consistent(&la));

  h = lh.n;
  CHECK_INT(act(&op, usm_meeting_leave(ma, e2e_op_done, &op)), USM_OK);
  t = e2e_now_ms();
  CHECK(seen(&lh, h, ev_roster(USM_ROSTER_LEFT, ALICE, -1), t));
  CHECK(ev_wait_server(&w, &lh, E2E_HOST_TOKEN, 5000));

  const ev_pat host_seq[] = {
    ev_roster(USM_ROSTER_JOINED, ALICE, 1), ev_roster(USM_ROSTER_JOINED, BOB, 2),
    ev_roster(USM_ROSTER_CHANGED, BOB, 1),  ev_mute(HANA, 1),
    ev_mute(ALICE, 1),                      ev_mute(ALICE, 0),
    ev_lock(1),                             ev_lock(0),
    ev_host(ALICE),                         ev_roster(USM_ROSTER_LEFT, BOB, -1),
    ev_roster(USM_ROSTER_LEFT, ALICE, -1),
  };
  const ev_pat alice_seq[] = {
    ev_roster(USM_ROSTER_JOINED, HANA, 1), ev_roster(USM_ROSTER_NONE, BOB, 1), ev_mute(HANA, 1),
    ev_mute(ALICE, 1),                     ev_mute(ALICE, 0),                  ev_lock(1),
    ev_lock(0),                            ev_host(ALICE),                     ev_roster(USM_ROSTER_LEFT, BOB, -1),
    ev_state(USM_MEETING_LEFT),
  };
  const ev_pat bob_seq[] = {
    ev_state(USM_MEETING_IN_LOBBY), ev_state(USM_MEETING_JOINED), ev_mute(HANA, 1), ev_mute(ALICE, 1),
    ev_mute(ALICE, 0),              ev_lock(1),                   ev_lock(0),       ev_host(ALICE),
    ev_state(USM_MEETING_LEFT),
  };
  CHECK(ev_in_order(&lh, host_seq, sizeof host_seq / sizeof host_seq[0]));
  CHECK(ev_in_order(&la, alice_seq, sizeof alice_seq / sizeof alice_seq[0]));
  CHECK(ev_in_order(&lb, bob_seq, sizeof bob_seq / sizeof bob_seq[0]));
  CHECK(ev_consistent(&lh));
  CHECK(ev_consistent(&la));
  CHECK(ev_consistent(&lb));
  /* event.connection carries the channel's state on every event */
  CHECK(ev_connection_field_ok(&lh));
  CHECK(ev_connection_field_ok(&la));
  /* the channel never went down */
  CHECK_INT(ev_count(&lh, ev_conn(USM_CONNECTION_RECONNECTING)), 0);
  CHECK_INT(ev_count(&la, ev_conn(USM_CONNECTION_RECONNECTING)), 0);
  report_latency("two_clients");
out:
  usm_meeting_destroy(mh);
  usm_meeting_destroy(ma);
  usm_meeting_destroy(mb);
  ev_log_free(&lh);
  ev_log_free(&la);
  ev_log_free(&lb);
}

#define TEN 10
#define GUESTS 7

/* The host, Alice, Bob and seven guests of the Service App in one meeting. */
static void ten_clients(void) {
  static char names[TEN][32];
  static char tokens[TEN][1024];
  snprintf(names[0], sizeof names[0], HANA);
  snprintf(names[1], sizeof names[1], ALICE);
  snprintf(names[2], sizeof names[2], BOB);
  snprintf(tokens[0], sizeof tokens[0], E2E_HOST_TOKEN);
  snprintf(tokens[1], sizeof tokens[1], E2E_ALICE_TOKEN);
  snprintf(tokens[2], sizeof tokens[2], E2E_BOB_TOKEN);
  for (int g = 0; g < GUESTS; g++) {
    char subject[32];
    snprintf(names[3 + g], sizeof names[0], "Guest %d", g + 1);
    snprintf(subject, sizeof subject, "e2e-events-guest-%d", g + 1);
    CHECK_INT(e2e_guest_token(&w, subject, names[3 + g], tokens[3 + g], sizeof tokens[0]), 0);
  }
  usm_client *c[TEN];
  usm_meeting *m[TEN] = {0};
  static ev_log l[TEN];
  for (int i = 0; i < TEN; i++) {
    c[i] = e2e_client(&w, tokens[i]);
    ev_log_init(&l[i], names[i]);
  }
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, c[0], "alice@example.com", number, sip, password), 0);
  e2e_op op;
  for (int i = 0; i < TEN; i++) {
    usm_err e = e2e_meeting(&w, c[i], number, &m[i]);
    CHECK(e == USM_OK || (i >= 2 && e == USM_ERR_PASSWORD_REQUIRED));
    if (!m[i]) goto out;
    ev_attach(&l[i], m[i]);
    if (e == USM_ERR_PASSWORD_REQUIRED)
      CHECK_INT(act(&op, usm_meeting_set_password(m[i], password, NULL, e2e_op_done, &op)), USM_OK);
  }
  CHECK_INT(act(&op, usm_meeting_join(m[0], NULL, e2e_op_done, &op)), USM_OK);
  CHECK_INT(act(&op, usm_meeting_join(m[1], NULL, e2e_op_done, &op)), USM_OK);
  for (int i = 2; i < TEN; i++) {
    size_t h = l[0].n;
    CHECK_INT(act(&op, usm_meeting_join(m[i], NULL, e2e_op_done, &op)), USM_OK);
    long t = e2e_now_ms();
    CHECK(seen(&l[0], h, ev_roster(USM_ROSTER_JOINED, names[i], 2), t));
    char id[EV_ID] = "";
    CHECK(id_of(&l[0], names[i], id));
    CHECK_INT(act(&op, usm_meeting_admit(m[0], id, e2e_op_done, &op)), USM_OK);
    t = e2e_now_ms();
    CHECK(seen(&l[i], 0, ev_state(USM_MEETING_JOINED), t));
  }
  for (int i = 0; i < TEN; i++) {
    CHECK(online(&l[i]));
    /* everyone has everyone in the meeting */
    long deadline = e2e_now_ms() + WAIT_MS;
    size_t in = 0;
    while (e2e_now_ms() < deadline) {
      in = 0;
      for (size_t k = 0; k < usm_meeting_participant_count(m[i]); k++) {
        usm_participant p;
        if (usm_meeting_participant(m[i], k, &p) == USM_OK && p.in_meeting) in++;
      }
      if (in == TEN) break;
      e2e_pump(&w, 20);
    }
    CHECK_INT(in, TEN);
  }

  char g3[EV_ID] = "", alice_id[EV_ID] = "";
  CHECK(id_of(&l[0], names[5], g3));
  CHECK(id_of(&l[0], ALICE, alice_id));
  size_t mark[TEN];
  for (int i = 0; i < TEN; i++) mark[i] = l[i].n;
  CHECK_INT(act(&op, usm_meeting_mute(m[0], g3, 1, -1, e2e_op_done, &op)), USM_OK);
  long t = e2e_now_ms();
  for (int i = 1; i < TEN; i++) CHECK(seen(&l[i], mark[i], ev_mute(names[5], 1), t));
  for (int i = 0; i < TEN; i++) mark[i] = l[i].n;
  CHECK_INT(act(&op, usm_meeting_assign_host(m[0], alice_id, e2e_op_done, &op)), USM_OK);
  t = e2e_now_ms();
  for (int i = 1; i < TEN; i++) CHECK(seen(&l[i], mark[i], ev_host(ALICE), t));
  /* Guest 6, Guest 7 and Bob leave, one after another */
  const int leavers[] = {8, 9, 2};
  for (size_t k = 0; k < 3; k++) {
    int x = leavers[k];
    for (int i = 0; i < TEN; i++) mark[i] = l[i].n;
    CHECK_INT(act(&op, usm_meeting_leave(m[x], e2e_op_done, &op)), USM_OK);
    t = e2e_now_ms();
    for (int i = 0; i < TEN; i++)
      if (usm_meeting_get_state(m[i]) == USM_MEETING_JOINED)
        CHECK(seen(&l[i], mark[i], ev_roster(USM_ROSTER_LEFT, names[x], -1), t));
  }
  for (int i = 0; i < TEN; i++) {
    CHECK(ev_consistent(&l[i]));
    if (usm_meeting_get_state(m[i]) != USM_MEETING_JOINED) {
      CHECK(ev_find(&l[i], 0, ev_state(USM_MEETING_LEFT)) >= 0);
      continue;
    }
    CHECK(ev_wait_server(&w, &l[i], tokens[i], 5000));
    const ev_pat seq[] = {ev_mute(names[5], 1), ev_host(ALICE), ev_roster(USM_ROSTER_LEFT, names[8], -1),
                          ev_roster(USM_ROSTER_LEFT, names[9], -1), ev_roster(USM_ROSTER_LEFT, BOB, -1)};
    CHECK(ev_in_order(&l[i], seq, sizeof seq / sizeof seq[0]));
    for (int k = 0; k < TEN; k++) {
      /* each join seen once, and each participant seen in the meeting */
      if (ev_count(&l[i], ev_roster(USM_ROSTER_JOINED, names[k], -1)) != 1 ||
          ev_find(&l[i], 0, ev_roster(USM_ROSTER_NONE, names[k], 1)) < 0) {
        fprintf(stderr, "%s: did not see %s join exactly once\n", names[i], names[k]);
        CHECK(0);
      }
    }
    CHECK_INT(ev_count(&l[i], ev_conn(USM_CONNECTION_RECONNECTING)), 0);
  }
  report_latency("ten_clients");
out:
  for (int i = 0; i < TEN; i++) {
    usm_meeting_destroy(m[i]);
    ev_log_free(&l[i]);
  }
}

static void run(const char *name, void (*fn)(void)) {
  lat.n = 0;
  if (e2e_start(&w, NULL) != 0) {
    fprintf(stderr, "%s: cannot start usm-cloud\n", name);
    check_failures++;
    return;
  }
  int before = check_failures;
  long t0 = e2e_now_ms();
  fn();
  e2e_stop(&w);
  printf("%s: %s (%ld ms)\n", name, check_failures == before ? "ok" : "FAILED", e2e_now_ms() - t0);
  fflush(stdout);
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    void (*fn)(void);
  } scenarios[] = {{"two_clients", two_clients}, {"ten_clients", ten_clients}};
  for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
    if (argc < 2 || strcmp(argv[1], scenarios[i].name) == 0) run(scenarios[i].name, scenarios[i].fn);
  return check_done("test_e2e_events");
}
