/* Live meeting events under Mercury faults (issue 4), end to end: usm-cloud's
 * admin faults (POST /admin/mercury) against libusm clients in a meeting.
 * Each scenario: the channel reports what happened (USM_EVENT_CONNECTION,
 * USM_EVENT_ERROR), recovers or gives up as documented, and the roster ends
 * equal to the cloud's. `test_e2e_events_faults cycles N` runs only the
 * reconnect-cycle test (valgrind.sh uses it). */
#include <cjson/cJSON.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "e2e_world.h"
#include "ev_log.h"
#include "mercury/mercury.h"

#define HANA "Hana Host"
#define ALICE "Alice Attendee"
#define BOB "Bob Unlicensed"
#define WAIT_MS 8000

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static e2e_world w;
static long cycles = 100;

/* ---- plumbing ----------------------------------------------------------------- */

typedef struct refresh {
  int calls;
  const char *token;
} refresh;

static void on_refresh(usm_client *c, void *user) {
  refresh *r = user;
  r->calls++;
  if (r->token) CHECK_INT(usm_client_set_token(c, r->token), USM_OK);
}

static usm_client *client(const char *token, long ping_ms, long pong_ms, refresh *r) {
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = token;
  o.request_timeout_ms = 10000;
  if (ping_ms) o.mercury_ping_interval_ms = ping_ms;
  if (pong_ms) o.mercury_pong_timeout_ms = pong_ms;
  o.mercury_max_retries = 1000;
  if (r) {
    o.token_refresh_cb = on_refresh;
    o.token_refresh_user = r;
  }
  return e2e_client_opts(&w, &o);
}

static usm_err act(e2e_op *op, usm_err started) {
  *op = (e2e_op){0};
  return e2e_await(&w, op, started);
}

static int mercury_fault(const char *json) { return cloud_proc_admin(&w.cloud, "/admin/mercury", json); }

/* Online Mercury connections of @p email (GET /admin/mercury), or -1. */
static int online_connections(const char *email) {
  char *body = NULL;
  int st = e2e_admin_get(&w, "/admin/mercury", &body);
  cJSON *root = st == 200 && body ? cJSON_Parse(body) : NULL;
  free(body);
  if (!root) return -1;
  int n = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "connections")) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(c, "email");
    if (cJSON_IsString(e) && strcmp(e->valuestring, email) == 0 &&
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "online")))
      n++;
  }
  cJSON_Delete(root);
  return n;
}

static long wait_ev(ev_log *l, size_t from, ev_pat p, long ms) {
  long i = ev_wait(&w, l, from, p, ms);
  if (i < 0) {
    fprintf(stderr, "%s: no %s event after #%zu within %ld ms\n", l->who, ev_type_name(p.type), from, ms);
    ev_dump(l);
  }
  return i;
}

/* A meeting with the host and Alice joined and online; Bob ready to join (password given). */
typedef struct room {
  usm_client *host, *alice, *bob;
  usm_meeting *mh, *ma, *mb;
  ev_log lh, la, lb;
  char alice_id[EV_ID];
} room;

static int room_open(room *r, usm_client *alice) {
  memset(r, 0, sizeof *r);
  ev_log_init(&r->lh, "host");
  ev_log_init(&r->la, "alice");
  ev_log_init(&r->lb, "bob");
  r->host = client(E2E_HOST_TOKEN, 0, 0, NULL);
  r->alice = alice ? alice : client(E2E_ALICE_TOKEN, 0, 0, NULL);
  r->bob = client(E2E_BOB_TOKEN, 0, 0, NULL);
  char number[32], sip[256], password[64];
  if (e2e_schedule(&w, r->host, "alice@example.com", number, sip, password) != 0) return -1;
  if (e2e_meeting(&w, r->host, number, &r->mh) != USM_OK || e2e_meeting(&w, r->alice, sip, &r->ma) != USM_OK ||
      e2e_meeting(&w, r->bob, number, &r->mb) != USM_ERR_PASSWORD_REQUIRED)
    return -1;
  ev_attach(&r->lh, r->mh);
  ev_attach(&r->la, r->ma);
  ev_attach(&r->lb, r->mb);
  e2e_op op;
  if (act(&op, usm_meeting_set_password(r->mb, password, NULL, e2e_op_done, &op)) != USM_OK ||
      act(&op, usm_meeting_join(r->mh, NULL, e2e_op_done, &op)) != USM_OK ||
      act(&op, usm_meeting_join(r->ma, NULL, e2e_op_done, &op)) != USM_OK)
    return -1;
  if (wait_ev(&r->lh, 0, ev_conn(USM_CONNECTION_ONLINE), WAIT_MS) < 0 ||
      wait_ev(&r->la, 0, ev_conn(USM_CONNECTION_ONLINE), WAIT_MS) < 0)
    return -1;
  if (!e2e_wait_participant(&w, r->mh, ALICE, 1, r->alice_id)) return -1;
  return 0;
}

static void room_close(room *r) {
  usm_meeting_destroy(r->mh);
  usm_meeting_destroy(r->ma);
  usm_meeting_destroy(r->mb);
  ev_log_free(&r->lh);
  ev_log_free(&r->la);
  ev_log_free(&r->lb);
}

/* Bob joins (lobby), the host admits him. */
static void bob_comes_in(room *r) {
  e2e_op op;
  CHECK_INT(act(&op, usm_meeting_join(r->mb, NULL, e2e_op_done, &op)), USM_OK);
  char id[128];
  CHECK(e2e_wait_participant(&w, r->mh, BOB, 2, id));
  CHECK_INT(act(&op, usm_meeting_admit(r->mh, id, e2e_op_done, &op)), USM_OK);
  CHECK(e2e_wait_state(&w, r->mb, USM_MEETING_JOINED));
}

/* A change made now reaches Alice by push (well under the 3 s poll). */
static void alice_gets_push(room *r, int locked) {
  size_t a = r->la.n;
  e2e_op op;
  CHECK_INT(act(&op, usm_meeting_lock(r->mh, locked, e2e_op_done, &op)), USM_OK);
  long t = e2e_now_ms();
  long i = wait_ev(&r->la, a, ev_lock(locked), WAIT_MS);
  CHECK(i >= 0);
  if (i >= 0) {
    long d = r->la.recs[i].t_ms - t;
    if (d >= 1500) fprintf(stderr, "alice: lock event after %ld ms: polled, not pushed?\n", d);
    CHECK(d < 1500);
  }
}

/* ---- scenarios ------------------------------------------------------------------ */

/* Alice's socket drops; while she is away Bob comes in, the host mutes
 * himself and Bob leaves again. She reconnects and ends with the cloud's roster. */
static void drop_during_changes(void) {
  room r;
  CHECK_INT(room_open(&r, NULL), 0);
  if (!r.mh) goto out;
  size_t a = r.la.n;
  e2e_pause(&w, r.alice, 1); /* she notices nothing until she runs again */
  CHECK_INT(mercury_fault("{\"email\":\"alice@example.com\",\"drop\":true}"), 200);
  bob_comes_in(&r);
  e2e_op op;
  CHECK_INT(act(&op, usm_meeting_mute(r.mh, NULL, 1, -1, e2e_op_done, &op)), USM_OK);
  CHECK_INT(act(&op, usm_meeting_lock(r.mh, 1, e2e_op_done, &op)), USM_OK);
  e2e_pause(&w, r.alice, 0);
  long i = wait_ev(&r.la, a, ev_conn(USM_CONNECTION_RECONNECTING), WAIT_MS);
  CHECK(i >= 0);
  CHECK(i < 0 || wait_ev(&r.la, (size_t)i, ev_conn(USM_CONNECTION_ONLINE), WAIT_MS) >= 0);
  CHECK(ev_wait_server(&w, &r.la, E2E_ALICE_TOKEN, WAIT_MS));
  CHECK(wait_ev(&r.la, a, ev_mute(HANA, 1), WAIT_MS) >= 0);
  CHECK(wait_ev(&r.la, a, ev_lock(1), WAIT_MS) >= 0);
  /* and again, now with a change while she reconnects (she runs this time) */
  a = r.la.n;
  CHECK_INT(mercury_fault("{\"email\":\"alice@example.com\",\"drop\":true}"), 200);
  CHECK_INT(act(&op, usm_meeting_leave(r.mb, e2e_op_done, &op)), USM_OK);
  CHECK_INT(act(&op, usm_meeting_mute(r.mh, NULL, 0, -1, e2e_op_done, &op)), USM_OK);
  i = wait_ev(&r.la, a, ev_conn(USM_CONNECTION_RECONNECTING), WAIT_MS);
  CHECK(i >= 0);
  CHECK(i < 0 || wait_ev(&r.la, (size_t)i, ev_conn(USM_CONNECTION_ONLINE), WAIT_MS) >= 0);
  CHECK(wait_ev(&r.la, a, ev_roster(USM_ROSTER_LEFT, BOB, -1), WAIT_MS) >= 0);
  CHECK(ev_wait_server(&w, &r.la, E2E_ALICE_TOKEN, WAIT_MS));
  CHECK(ev_consistent(&r.la));
  CHECK(ev_consistent(&r.lh));
  alice_gets_push(&r, 0);
out:
  room_close(&r);
}

/* Close 4000: another connection replaced this one. Offline for good, but
 * the meeting keeps following the cloud by polling Locus. */
static void replaced(void) {
  room r;
  CHECK_INT(room_open(&r, NULL), 0);
  if (!r.mh) goto out;
  size_t a = r.la.n;
  CHECK_INT(online_connections("alice@example.com"), 1);
  CHECK_INT(mercury_fault("{\"email\":\"alice@example.com\",\"close\":{\"code\":4000,\"reason\":\"replaced\"}}"), 200);
  long i = wait_ev(&r.la, a, ev_conn(USM_CONNECTION_OFFLINE), WAIT_MS);
  CHECK(i >= 0);
  if (i >= 0) CHECK_INT(r.la.recs[i].error, USM_ERR_EVENTS_REPLACED);
  CHECK_INT(usm_meeting_connection_state(r.ma), USM_CONNECTION_OFFLINE);
  bob_comes_in(&r);
  e2e_op op;
  CHECK_INT(act(&op, usm_meeting_mute(r.mh, NULL, 1, -1, e2e_op_done, &op)), USM_OK);
  CHECK(wait_ev(&r.la, a, ev_roster(USM_ROSTER_NONE, BOB, 1), WAIT_MS) >= 0); /* by polling */
  CHECK(wait_ev(&r.la, a, ev_mute(HANA, 1), WAIT_MS) >= 0);
  CHECK(ev_wait_server(&w, &r.la, E2E_ALICE_TOKEN, WAIT_MS));
  e2e_pump(&w, 2500); /* longer than the first backoff: a reconnect would show by now */
  CHECK_INT(online_connections("alice@example.com"), 0);
  CHECK_INT(ev_count(&r.la, ev_conn(USM_CONNECTION_RECONNECTING)), 0);
  CHECK(ev_find(&r.la, (size_t)(i < 0 ? 0 : i) + 1, ev_conn(USM_CONNECTION_ONLINE)) < 0);
  CHECK_INT(usm_meeting_connection_state(r.ma), USM_CONNECTION_OFFLINE);
  CHECK(ev_consistent(&r.la));
  CHECK_INT(online_connections("host@example.com"), 1); /* the others are untouched */
out:
  room_close(&r);
}

/* Close 4403 / 4400: refused; no reconnect. */
static void refused(void) {
  room r;
  CHECK_INT(room_open(&r, NULL), 0);
  if (!r.mh) goto out;
  size_t a = r.la.n, h = r.lh.n;
  CHECK_INT(mercury_fault("{\"email\":\"alice@example.com\",\"close\":{\"code\":4403,\"reason\":\"forbidden\"}}"), 200);
  CHECK_INT(mercury_fault("{\"email\":\"host@example.com\",\"close\":{\"code\":4400,\"reason\":\"bad request\"}}"), 200);
  long i = wait_ev(&r.la, a, ev_conn(USM_CONNECTION_OFFLINE), WAIT_MS);
  if (i >= 0) CHECK_INT(r.la.recs[i].error, USM_ERR_EVENTS_REFUSED);
  long j = wait_ev(&r.lh, h, ev_conn(USM_CONNECTION_OFFLINE), WAIT_MS);
  if (j >= 0) CHECK_INT(r.lh.recs[j].error, USM_ERR_EVENTS_REFUSED);
  CHECK(i >= 0 && j >= 0);
  bob_comes_in(&r); /* the host sees the lobby by polling */
  CHECK(ev_wait_server(&w, &r.la, E2E_ALICE_TOKEN, WAIT_MS));
  CHECK_INT(online_connections("alice@example.com"), 0);
  CHECK_INT(ev_count(&r.la, ev_conn(USM_CONNECTION_RECONNECTING)), 0);
  CHECK(ev_consistent(&r.la));
  CHECK(ev_consistent(&r.lh));
out:
  room_close(&r);
}

/* Close 4401: the client asks the application for a token and reconnects
 * with it; without a refresh callback it goes offline. */
static void token_refresh(void) {
  refresh rf = {0, E2E_ALICE_TOKEN};
  room r;
  CHECK_INT(room_open(&r, client(E2E_ALICE_TOKEN, 0, 0, &rf)), 0);
  if (!r.mh) goto out;
  size_t a = r.la.n, h = r.lh.n;
  CHECK_INT(mercury_fault("{\"email\":\"alice@example.com\",\"close\":{\"code\":4401,\"reason\":\"unauthorized\"}}"), 200);
  long i = wait_ev(&r.la, a, ev_conn(USM_CONNECTION_RECONNECTING), WAIT_MS);
  CHECK(i >= 0);
  CHECK(i < 0 || wait_ev(&r.la, (size_t)i, ev_conn(USM_CONNECTION_ONLINE), WAIT_MS) >= 0);
  CHECK_INT(rf.calls, 1);
  CHECK_INT(online_connections("alice@example.com"), 1);
  alice_gets_push(&r, 1);
  /* the host's client has no refresh callback */
  CHECK_INT(mercury_fault("{\"email\":\"host@example.com\",\"close\":{\"code\":4401,\"reason\":\"unauthorized\"}}"), 200);
  long j = wait_ev(&r.lh, h, ev_conn(USM_CONNECTION_OFFLINE), WAIT_MS);
  CHECK(j >= 0);
  if (j >= 0) CHECK_INT(r.lh.recs[j].error, USM_ERR_UNAUTHORIZED);
  e2e_pump(&w, 1500);
  CHECK_INT(online_connections("host@example.com"), 0);
  CHECK(ev_consistent(&r.la));
  CHECK(ev_consistent(&r.lh));
out:
  room_close(&r);
}

/* The server stops answering pings: the client notices within ping + pong
 * timeout, reconnects after the backoff, and the new connection is fine. */
static void stop_pong(void) {
  const long ping = 600, pong = 700;
  room r;
  CHECK_INT(room_open(&r, client(E2E_ALICE_TOKEN, ping, pong, NULL)), 0);
  if (!r.mh) goto out;
  e2e_pump(&w, 2 * ping); /* a few pings answered */
  CHECK_INT(ev_count(&r.la, ev_conn(USM_CONNECTION_RECONNECTING)), 0);
  size_t a = r.la.n;
  CHECK_INT(mercury_fault("{\"email\":\"alice@example.com\",\"stopPong\":true}"), 200);
  long t0 = e2e_now_ms();
  long i = wait_ev(&r.la, a, ev_conn(USM_CONNECTION_RECONNECTING), ping + pong + 3000);
  CHECK(i >= 0);
  if (i < 0) goto out;
  long lost = r.la.recs[i].t_ms - t0;
  printf("stop_pong: lost after %ld ms (ping %ld + pong %ld)\n", lost, ping, pong);
  CHECK(lost <= ping + pong + 500);
  long j = wait_ev(&r.la, (size_t)i, ev_conn(USM_CONNECTION_ONLINE), 5000);
  CHECK(j >= 0);
  if (j >= 0) {
    long back = r.la.recs[j].t_ms - r.la.recs[i].t_ms;
    printf("stop_pong: online again %ld ms later\n", back);
    CHECK(back <= 1200 + 1500); /* backoff 1 s + 20 % jitter, plus connect slack */
  }
  /* the new connection answers pings again: no further loss */
  size_t after = r.la.n;
  e2e_pump(&w, 3 * (ping + pong));
  CHECK_INT(ev_count(&r.la, ev_conn(USM_CONNECTION_RECONNECTING)), 1);
  CHECK(ev_find(&r.la, after, ev_conn(USM_CONNECTION_RECONNECTING)) < 0);
  CHECK(ev_wait_server(&w, &r.la, E2E_ALICE_TOKEN, WAIT_MS));
  CHECK(ev_consistent(&r.la));
out:
  room_close(&r);
}

/* Sequence gaps and repeats: the meeting resyncs from Locus and shows no
 * event twice. */
static void sequence_gaps(void) {
  room r;
  CHECK_INT(room_open(&r, NULL), 0);
  if (!r.mh) goto out;
  size_t a = r.la.n;
  CHECK_INT(mercury_fault("{\"email\":\"alice@example.com\",\"skipSequence\":5}"), 200);
  e2e_op op;
  CHECK_INT(act(&op, usm_meeting_mute(r.mh, NULL, 1, -1, e2e_op_done, &op)), USM_OK);
  CHECK(wait_ev(&r.la, a, ev_mute(HANA, 1), WAIT_MS) >= 0);
  bob_comes_in(&r);
  CHECK(wait_ev(&r.la, a, ev_roster(USM_ROSTER_NONE, BOB, 1), WAIT_MS) >= 0);
  CHECK(ev_wait_server(&w, &r.la, E2E_ALICE_TOKEN, WAIT_MS));
  a = r.la.n;
  CHECK_INT(mercury_fault("{\"email\":\"alice@example.com\",\"repeatSequence\":2}"), 200);
  CHECK_INT(act(&op, usm_meeting_lock(r.mh, 1, e2e_op_done, &op)), USM_OK);
  CHECK_INT(act(&op, usm_meeting_mute(r.mh, NULL, 0, -1, e2e_op_done, &op)), USM_OK);
  CHECK_INT(act(&op, usm_meeting_leave(r.mb, e2e_op_done, &op)), USM_OK);
  CHECK(wait_ev(&r.la, a, ev_roster(USM_ROSTER_LEFT, BOB, -1), WAIT_MS) >= 0);
  e2e_pump(&w, 500);
  CHECK_INT(ev_count(&r.la, ev_lock(1)), 1);
  CHECK_INT(ev_count(&r.la, ev_mute(HANA, 0)), 1);
  CHECK(ev_wait_server(&w, &r.la, E2E_ALICE_TOKEN, WAIT_MS));
  CHECK_INT(ev_count(&r.la, ev_conn(USM_CONNECTION_RECONNECTING)), 0); /* a gap is no reason to reconnect */
  CHECK(ev_consistent(&r.la));
  alice_gets_push(&r, 0);
out:
  room_close(&r);
}

/* Frames that are not events: reported as USM_EVENT_ERROR; the channel stays
 * up, or (too large to trust the stream) reconnects cleanly. */
static void bad_frames(void) {
  room r;
  CHECK_INT(room_open(&r, NULL), 0);
  if (!r.mh) goto out;
  size_t a = r.la.n;
  CHECK_INT(mercury_fault("{\"email\":\"alice@example.com\",\"malformed\":true}"), 200);
  long i = wait_ev(&r.la, a, ev_error(USM_ERR_MALFORMED), WAIT_MS);
  CHECK(i >= 0);
  if (i >= 0) printf("bad_frames: malformed: %s\n", r.la.recs[i].detail);
  /* a JSON string under the frame bound: not an event object either */
  CHECK_INT(mercury_fault("{\"email\":\"alice@example.com\",\"oversized\":100000}"), 200);
  CHECK(wait_ev(&r.la, i < 0 ? a : (size_t)i + 1, ev_error(USM_ERR_MALFORMED), WAIT_MS) >= 0);
  e2e_pump(&w, 1000);
  CHECK_INT(ev_count(&r.la, ev_conn(USM_CONNECTION_RECONNECTING)), 0);
  CHECK_INT(usm_meeting_connection_state(r.ma), USM_CONNECTION_ONLINE);
  alice_gets_push(&r, 1);

  a = r.la.n;
  CHECK_INT(mercury_fault("{\"email\":\"alice@example.com\",\"oversized\":2097152}"), 200);
  i = wait_ev(&r.la, a, ev_error(USM_ERR_RESPONSE_TOO_LARGE), WAIT_MS);
  CHECK(i >= 0);
  long k = wait_ev(&r.la, a, ev_conn(USM_CONNECTION_RECONNECTING), WAIT_MS);
  CHECK(k >= 0);
  CHECK(k < 0 || wait_ev(&r.la, (size_t)k, ev_conn(USM_CONNECTION_ONLINE), WAIT_MS) >= 0);
  alice_gets_push(&r, 0);
  CHECK(ev_wait_server(&w, &r.la, E2E_ALICE_TOKEN, WAIT_MS));
  CHECK(ev_consistent(&r.la));
out:
  room_close(&r);
}

/* Heap in use (glibc), bytes. */
static size_t heap_used(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, res = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
    fclose(f);
  }
  return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Drop the host's socket @p cycles times: each time RECONNECTING, then
 * ONLINE and a resync; the heap does not grow between cycle 10 and the last. */
static void reconnect_cycles(void) {
  room r;
  memset(&r, 0, sizeof r);
  ev_log_init(&r.lh, "host");
  ev_log_init(&r.la, "alice");
  ev_log_init(&r.lb, "bob");
  usm_client *host = client(E2E_HOST_TOKEN, 0, 0, NULL);
  usm__mercury_set_backoff(host, 20, 100); /* test hook: 100 cycles in seconds, not minutes */
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, NULL, number, sip, password), 0);
  CHECK_INT(e2e_meeting(&w, host, number, &r.mh), USM_OK);
  if (!r.mh) goto out;
  ev_attach(&r.lh, r.mh);
  e2e_op op;
  CHECK_INT(act(&op, usm_meeting_join(r.mh, NULL, e2e_op_done, &op)), USM_OK);
  CHECK(wait_ev(&r.lh, 0, ev_conn(USM_CONNECTION_ONLINE), WAIT_MS) >= 0);
  size_t heap10 = 0, heap_end = 0;
  long rss10 = 0, rss_end = 0;
  long t0 = e2e_now_ms();
  for (long c = 1; c <= cycles; c++) {
    size_t a = r.lh.n;
    if (mercury_fault("{\"email\":\"host@example.com\",\"drop\":true}") != 200) {
      CHECK(0);
      break;
    }
    long i = wait_ev(&r.lh, a, ev_conn(USM_CONNECTION_RECONNECTING), WAIT_MS);
    long j = i < 0 ? -1 : wait_ev(&r.lh, (size_t)i, ev_conn(USM_CONNECTION_ONLINE), WAIT_MS);
    if (i < 0 || j < 0) {
      fprintf(stderr, "cycle %ld: no reconnect\n", c);
      CHECK(0);
      break;
    }
    /* the server must see the new connection before the next drop */
    for (int k = 0; k < 100 && online_connections("host@example.com") != 1; k++) e2e_pump(&w, 10);
    if (c == 10) {
      e2e_pump(&w, 200);
      heap10 = heap_used();
      rss10 = rss_kb();
    }
    if (c == cycles) {
      e2e_pump(&w, 200);
      heap_end = heap_used();
      rss_end = rss_kb();
    }
  }
  printf("reconnect_cycles: %ld cycles in %ld ms; heap %zu -> %zu bytes, rss %ld -> %ld KiB (cycle 10 -> %ld)\n",
         cycles, e2e_now_ms() - t0, heap10, heap_end, rss10, rss_end, cycles);
  if (getenv("USM_E2E_NO_CLEANUP")) {
    /* valgrind.sh: what is still reachable now must not depend on the number of cycles */
    cloud_proc_stop(&w.cloud);
    fflush(stdout);
    _exit(check_failures ? 1 : 0);
  }
  CHECK_INT(ev_count(&r.lh, ev_conn(USM_CONNECTION_RECONNECTING)), cycles);
  CHECK_INT(ev_count(&r.lh, ev_conn(USM_CONNECTION_ONLINE)), cycles + 1);
  CHECK(ev_consistent(&r.lh));
  CHECK(ev_wait_server(&w, &r.lh, E2E_HOST_TOKEN, WAIT_MS));
  /* valgrind and ASan have their own allocators (and check leaks themselves) */
  if (!UNDER_ASAN && !getenv("USM_E2E_UNDER_VALGRIND")) {
    /* glibc's counters drift by ~150 bytes a cycle with no live growth (valgrind.sh
     * compares what is reachable after 20 and 100 cycles exactly); a leaked frame,
     * buffer or handle per reconnect is far more than this */
    long n = cycles - 10;
    CHECK(heap_end <= heap10 + (size_t)n * 512 + 16384);
    CHECK(rss_end <= rss10 + n * 4 + 1024);
  }
out:
  room_close(&r);
}

static void run(const char *name, void (*fn)(void)) {
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
  } scenarios[] = {
    {"drop_during_changes", drop_during_changes}, {"replaced", replaced},
    {"refused", refused},                         {"token_refresh", token_refresh},
    {"stop_pong", stop_pong},                     {"sequence_gaps", sequence_gaps},
    {"bad_frames", bad_frames},                   {"cycles", reconnect_cycles},
  };
  /* argv: [SCENARIO [N]]; N: reconnect cycles for "cycles" */
  if (argc > 2) cycles = strtol(argv[2], NULL, 10);
  if (cycles < 11) cycles = 11;
  for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
    if (argc < 2 || strcmp(argv[1], scenarios[i].name) == 0) run(scenarios[i].name, scenarios[i].fn);
  return check_done("test_e2e_events_faults");
}
