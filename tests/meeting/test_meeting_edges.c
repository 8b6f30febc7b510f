/* Lifetimes: destroying meetings and clients with requests, waits and lobby
 * timers in flight, and from inside every kind of callback; meetings sharing
 * one discovery and device; a failed discovery reaching every waiter; stale
 * DTOs. Run under ASan and valgrind, these also prove nothing leaks. */
#include <time.h>

#include "flow_util.h"

#define HANG {SCRIPT_HANG, 0, NULL, NULL, 0}
#define LOBBY WRAP(DTO("10", "false", "ACTIVE", HOST_IN "," ME_WAIT, ME_WAIT))

static void wait_requests(usm_client *c, scripted_server *s, size_t n) {
  for (int i = 0; i < 5000 && scripted_server_count(s) < n; i++) {
    usm_client_process(c);
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  CHECK_INT(scripted_server_count(s), n);
}

static void test_destroy_in_flight(void) {
  /* the meeting's own request hangs: destroying the meeting cancels it */
  script_route routes[] = {R_CATALOG, R_DEVICE, {"POST /wbxappapi/v1/meetingInfo", 0, HANG}};
  scripted_server *s = scripted_server_start_routes(routes, 3);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = NULL;
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r, &m), USM_OK);
  usm_meeting_set_event_cb(m, on_event, &r);
  wait_requests(c, s, 3);
  usm_meeting_destroy(m);
  CHECK_INT(usm_client_run(c), USM_OK); /* nothing outstanding any more */
  CHECK_INT(r.dones, 0);
  CHECK_STR(r.log, "");
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* the client goes first: the meeting becomes an inert handle */
  s = scripted_server_start_routes(routes, 3);
  c = flow_client(s);
  r = (rec){0};
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r, &m), USM_OK);
  wait_requests(c, s, 3);
  usm_client_destroy(c);
  CHECK_INT(r.dones, 0);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_RESOLVING);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_ERR_INVALID_HANDLE);
  CHECK_INT(usm_meeting_set_password(m, "x", NULL, on_done, &r), USM_ERR_INVALID_HANDLE);
  CHECK_INT(usm_meeting_leave(m, on_done, &r), USM_ERR_INVALID_HANDLE);
  usm_meeting_destroy(m);
  scripted_server_stop(s);

  /* waiting for discovery: a destroyed meeting never hears of it, the other one does */
  script_route both[] = {R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK)};
  s = scripted_server_start_routes(both, 3);
  c = flow_client(s);
  rec r1 = {0}, r2 = {0};
  usm_meeting *m1 = NULL, *m2 = NULL;
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r1, &m1), USM_OK);
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r2, &m2), USM_OK);
  usm_meeting_destroy(m1);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(r1.dones, 0);
  CHECK_INT(r2.dones, 1);
  CHECK_INT(r2.err, USM_OK);
  usm_meeting_destroy(m2);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

static void test_destroy_in_lobby(void) {
  script_route routes[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK), ROUTE("POST " LOCUS_PATH "/participant", 200, LOBBY),
    STICKY("GET " LOCUS_PATH "/participant/P2/keepAlive", 200, "{}"),
    STICKY("GET " LOCUS_PATH, 200, DTO("11", "false", "ACTIVE", HOST_IN "," ME_WAIT, ME_WAIT)),
  };
  for (int client_first = 0; client_first < 2; client_first++) {
    scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
    usm_client *c = flow_client(s);
    rec r = {0};
    usm_meeting *m = NULL;
    CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r, &m), USM_OK);
    usm_meeting_set_event_cb(m, on_event, &r);
    CHECK_INT(usm_client_run(c), USM_OK);
    CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
    while (usm_meeting_get_state(m) != USM_MEETING_IN_LOBBY || r.dones < 2) usm_client_process(c);
    /* let a keep-alive and a poll go out */
    wait_requests(c, s, 6);
    size_t before = scripted_server_count(s);
    int events = r.events;
    if (client_first) {
      usm_client_destroy(c); /* closes the lobby timers */
      CHECK_INT(usm_meeting_get_state(m), USM_MEETING_IN_LOBBY);
      CHECK_INT(usm_meeting_participant_count(m), 2); /* the last roster stays readable */
      usm_meeting_destroy(m);
    } else {
      usm_meeting_destroy(m);
      CHECK_INT(usm_client_run(c), USM_OK); /* the lobby no longer keeps it running */
      usm_client_destroy(c);
    }
    CHECK_INT(r.events, events);
    CHECK(scripted_server_count(s) <= before + 1);
    scripted_server_stop(s);
  }
}

static void test_destroy_in_callbacks(void) {
  script_route routes[] = {R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK), ROUTE("POST " LOCUS_PATH "/participant", 200, LOBBY),
                           STICKY("GET " LOCUS_PATH "/participant/P2/keepAlive", 200, "{}")};
  /* at the n-th event of the join: STATE, ROSTER, ROSTER, HOST, then the completion */
  for (int n = 1; n <= 4; n++) {
    scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
    usm_client *c = flow_client(s);
    rec r = {0};
    usm_meeting *m = NULL;
    CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r, &m), USM_OK);
    CHECK_INT(usm_client_run(c), USM_OK);
    usm_meeting_set_event_cb(m, on_event, &r);
    r.destroy_on_event = n;
    CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
    CHECK_INT(usm_client_run(c), USM_OK); /* the lobby went with the meeting */
    CHECK_INT(r.events, n);
    CHECK_INT(r.dones, 1); /* only the create's */
    usm_client_destroy(c);
    scripted_server_stop(s);
  }

  /* the meeting in its own completion */
  script_route ok[] = {R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK)};
  scripted_server *s = scripted_server_start_routes(ok, 3);
  usm_client *c = flow_client(s);
  usm_meeting *m = NULL;
  rec r = {0};
  r.destroy_on_event = 1; /* STATE:ready comes before the completion */
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r, &m), USM_OK);
  usm_meeting_set_event_cb(m, on_event, &r);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_STR(r.log, "STATE:ready ");
  CHECK_INT(r.dones, 0);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* the client in a meeting's completion: the loop unwinds, the meeting stays a handle */
  script_route two[] = {R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK), R_INFO(200, INFO_OK)};
  s = scripted_server_start_routes(two, 4);
  c = flow_client(s);
  rec r1 = {0}, r2 = {0};
  r1.client = c;
  r1.destroy_client_on_done = 1;
  usm_meeting *m1 = NULL, *m2 = NULL;
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r1, &m1), USM_OK);
  CHECK_INT(usm_meetings_create(c, SIP, USM_DEST_AUTO, on_done, &r2, &m2), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK); /* c is gone after this */
  CHECK_INT(r1.dones + r2.dones, 1);    /* whichever came first; the other never */
  CHECK_INT(usm_meeting_join(r1.dones ? m2 : m1, NULL, on_done, &r2), USM_ERR_INVALID_HANDLE);
  usm_meeting_destroy(m1);
  usm_meeting_destroy(m2);
  scripted_server_stop(s);

  /* the client in an event callback, in the middle of a DTO's events */
  s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
  c = flow_client(s);
  r = (rec){0};
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r, &m), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  usm_meeting_set_event_cb(m, on_event, &r);
  r.client = c;
  r.destroy_client_on_event = 2; /* after STATE, at the first ROSTER */
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(r.events, 2);
  CHECK_INT(r.dones, 1); /* the join's completion never comes */
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_IN_LOBBY);
  CHECK_INT(usm_meeting_participant_count(m), 2);
  usm_meeting_destroy(m);
  scripted_server_stop(s);
}

static void test_shared_discovery(void) {
  /* two meetings, one catalog fetch, one device */
  script_route routes[] = {R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK), R_INFO(404, "{}")};
  scripted_server *s = scripted_server_start_routes(routes, 4);
  usm_client *c = flow_client(s);
  rec r1 = {0}, r2 = {0};
  usm_meeting *m1, *m2;
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r1, &m1), USM_OK);
  CHECK_INT(usm_meetings_create(c, SIP, USM_DEST_AUTO, on_done, &r2, &m2), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(r1.dones, 1);
  CHECK_INT(r2.dones, 1);
  CHECK_INT(count_req(s, "GET /u2c"), 1);
  CHECK_INT(count_req(s, "POST /wdm"), 1);
  CHECK_INT(r1.err == USM_OK ? r2.err : r1.err, USM_ERR_NO_MEETING_INFO);
  usm_meeting_destroy(m1);
  usm_meeting_destroy(m2);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* a failed discovery reaches every waiter, and is not cached */
  script_route bad[] = {
    ROUTE("GET /u2c/api/v1/catalog", 401, "{\"message\":\"The request requires a valid access token.\"}"),
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK),
  };
  s = scripted_server_start_routes(bad, 4);
  c = flow_client(s);
  r1 = (rec){0}, r2 = (rec){0};
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r1, &m1), USM_OK);
  CHECK_INT(usm_meetings_create(c, SIP, USM_DEST_AUTO, on_done, &r2, &m2), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(r1.err, USM_ERR_UNAUTHORIZED);
  CHECK_INT(r2.err, USM_ERR_UNAUTHORIZED);
  CHECK(strstr(r1.msg, "service discovery failed") && strstr(r1.msg, "valid access token"));
  CHECK_INT(usm_meeting_get_state(m1), USM_MEETING_FAILED);
  rec r3 = {0};
  usm_meeting *m3;
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r3, &m3), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(r3.err, USM_OK);
  CHECK_INT(count_req(s, "GET /u2c"), 2);
  usm_meeting_destroy(m1);
  usm_meeting_destroy(m2);
  usm_meeting_destroy(m3);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

static void test_stale_dto(void) {
  /* a poll answer older than what we have is ignored (sequence 9 < 10) */
  script_route routes[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK), ROUTE("POST " LOCUS_PATH "/participant", 200, LOBBY),
    STICKY("GET " LOCUS_PATH "/participant/P2/keepAlive", 200, "{}"),
    ROUTE("GET " LOCUS_PATH, 200, DTO("9", "false", "ACTIVE", HOST_IN "," ME_IN, ME_IN)),
    ROUTE("GET " LOCUS_PATH, 200, DTO("11", "true", "ACTIVE", HOST_IN "," ME_IN, ME_IN)),
  };
  scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m;
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r, &m), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  usm_meeting_set_event_cb(m, on_event, &r);
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_STR(r.log, "STATE:in_lobby ROSTER:joined:P1:host ROSTER:joined:P2:lobby:self HOST:P1 DONE:USM_OK "
                   "STATE:joined ROSTER:changed:P2:self LOCK:1 ");
  CHECK_INT(count_req(s, "GET " LOCUS_PATH) - count_req(s, "GET " LOCUS_PATH "/"), 2);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

int main(void) {
  test_destroy_in_flight();
  test_destroy_in_lobby();
  test_destroy_in_callbacks();
  test_shared_discovery();
  test_stale_dto();
  return check_done("test_meeting_edges");
}
