/* The Mercury connection against a scripted WSS server: authorization, acks,
 * ping/pong, close codes, drops, gaps, bad frames, backoff, destroy in every
 * state, and many connect/close cycles (run under ASan and valgrind). */
#include <libwebsockets.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "core/client_internal.h"
#include "mercury/mercury.h"
#include "ws_server.h"

static ws_server *srv;
static char url[128];

typedef struct rec {
  int online, reconnecting, offline;
  usm__mercury_reason reason;
  int last_code;
  int resync_connected, resync_gap;
  int errors;
  usm_err last_err;
  int events;
  int refreshes;
  const char *new_token;   /* set by the refresh callback */
  int destroy_on_online;   /* destroy the client from the ONLINE callback */
  usm_client *client;
} rec;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void on_event(usm_client *c, const char *type, const cJSON *data, void *user) {
  (void)c;
  (void)data;
  rec *r = user;
  if (strncmp(type, "locus.", 6) == 0) r->events++;
}

static void on_change(usm_client *c, usm__mercury_change ch, usm__mercury_reason why, int code, const char *detail,
                      void *user) {
  (void)detail;
  rec *r = user;
  r->last_code = code;
  if (ch == USM__MERCURY_ONLINE) r->online++;
  if (ch == USM__MERCURY_RECONNECTING) r->reconnecting++;
  if (ch == USM__MERCURY_OFFLINE) r->offline++, r->reason = why;
  if (ch == USM__MERCURY_ONLINE && r->destroy_on_online) {
    usm_client_destroy(c);
    r->client = NULL;
  }
}

static void on_resync(usm_client *c, usm__mercury_resync why, void *user) {
  (void)c;
  rec *r = user;
  if (why == USM__MERCURY_RESYNC_CONNECTED) r->resync_connected++;
  else r->resync_gap++;
}

static void on_error(usm_client *c, usm_err e, const char *detail, void *user) {
  (void)c;
  (void)detail;
  rec *r = user;
  r->errors++;
  r->last_err = e;
}

static void refresh(usm_client *c, void *user) {
  rec *r = user;
  r->refreshes++;
  if (r->new_token) usm_client_set_token(c, r->new_token);
}

static void log_cb(void *user, usm_log_level level, const char *msg) {
  (void)user;
  (void)level;
  if (getenv("USM_TEST_VERBOSE")) fprintf(stderr, "  log: %s\n", msg);
}

static usm_client *make(rec *r, const char *token, long ping, long pong, unsigned retries, int with_ca) {
  memset(r, 0, sizeof *r);
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = token;
  o.ca_file = with_ca ? ws_server_cert(srv) : NULL;
  o.mercury_ping_interval_ms = ping;
  o.mercury_pong_timeout_ms = pong;
  o.mercury_max_retries = retries;
  o.token_refresh_cb = refresh;
  o.token_refresh_user = r;
  o.connect_timeout_ms = 3000;
  o.log_cb = log_cb;
  o.log_level = USM_LOG_DEBUG;
  usm_client *c = NULL;
  CHECK_INT(usm_client_create(&o, &c), USM_OK);
  r->client = c;
  if (c) usm__mercury_set_backoff(c, 50, 400);
  return c;
}

static usm_err start(usm_client *c, rec *r) {
  usm__mercury_handlers h = {on_event, on_change, on_resync, on_error, r};
  return usm__mercury_start(c, url, &h);
}

/* Drive the client's loop (embedded mode) until p(r) or ms pass. */
typedef int (*pred_fn)(const rec *r);

static int drive(rec *r, long ms, pred_fn p) {
  long end = now_ms() + ms;
  while (r->client && !(p && p(r))) {
    long left = end - now_ms();
    if (left <= 0) return 0;
    int t = usm_client_timeout(r->client);
    if (t < 0 || t > 10) t = 10;
    struct pollfd pfd = {usm_client_fd(r->client), POLLIN, 0};
    poll(&pfd, 1, t);
    usm_client_process(r->client);
  }
  return 1;
}

static int is_online(const rec *r) { return r->online > 0 && r->client && usm__mercury_state(r->client) == USM__MS_ONLINE; }
static int two_online(const rec *r) { return r->online >= 2 && usm__mercury_state(r->client) == USM__MS_ONLINE; }
static int is_authorizing(const rec *r) { return r->client && usm__mercury_state(r->client) == USM__MS_AUTHORIZING; }
static int is_offline(const rec *r) { return r->offline > 0; }
static int is_reconnecting(const rec *r) { return r->reconnecting > 0; }
static int got_error(const rec *r) { return r->errors > 0; }
static int five_events(const rec *r) { return r->events >= 5; }
static int got_gap(const rec *r) { return r->resync_gap > 0; }
static int client_gone(const rec *r) { return r->client == NULL; }

static ws_stats stats(void) {
  ws_stats s;
  ws_server_stats(srv, &s);
  return s;
}

static void reset_server(void) {
  ws_server_set_token(srv, NULL);
  ws_server_set_buffer_state(srv, 1);
  ws_server_set_pongs(srv, 1);
}

static void test_online_after_buffer_state(void) {
  rec r;
  ws_server_set_buffer_state(srv, 0);
  usm_client *c = make(&r, "tok-1", 15000, 14000, 10, 1);
  int conns = stats().connections;
  CHECK_INT(start(c, &r), USM_OK);
  CHECK_INT(usm__mercury_state(c), USM__MS_CONNECTING);
  CHECK(drive(&r, 5000, is_authorizing));
  drive(&r, 300, NULL); /* and it stays there without buffer_state */
  CHECK_INT(usm__mercury_state(c), USM__MS_AUTHORIZING);
  CHECK_INT(r.online, 0);
  CHECK_INT(stats().connections, conns + 1);
  CHECK_STR(stats().last_token, "tok-1");
  ws_server_send_buffer_state(srv);
  CHECK(drive(&r, 3000, is_online));
  CHECK_INT(r.resync_connected, 1);
  /* acks for everything with an id: buffer_state and the first pong */
  ws_server_send_events(srv, 5);
  CHECK(drive(&r, 3000, five_events));
  drive(&r, 300, NULL);
  ws_stats s = stats();
  CHECK(s.pings >= 1);
  CHECK_INT(s.acks, s.ids_sent);
  CHECK_INT(s.acks_matched, s.acks);
  CHECK_INT(r.errors, 0);
  usm__mercury_stop(c);
  CHECK_INT(usm__mercury_state(c), USM__MS_IDLE);
  drive(&r, 200, NULL);
  CHECK_INT(r.offline, 0); /* stop is silent */
  usm_client_destroy(c);
  reset_server();
}

static void test_ping_pong(void) {
  rec r;
  usm_client *c = make(&r, "tok", 200, 150, 10, 1);
  start(c, &r);
  CHECK(drive(&r, 3000, is_online));
  int p0 = stats().pings;
  drive(&r, 1000, NULL);
  int pings = stats().pings - p0;
  CHECK(pings >= 3 && pings <= 6); /* one per ~200 ms after each pong */
  ws_server_set_pongs(srv, 0);
  long t0 = now_ms();
  CHECK(drive(&r, 2000, is_reconnecting));
  long waited = now_ms() - t0;
  CHECK(waited <= 200 + 150 + 300);
  CHECK_INT(r.last_code, 1000);
  ws_server_set_pongs(srv, 1);
  CHECK(drive(&r, 3000, two_online));
  CHECK_STR(stats().client_close_reason, "pong not received");
  CHECK_INT(r.resync_connected, 2);
  usm_client_destroy(c);
}

static void test_close_replaced(void) {
  rec r;
  usm_client *c = make(&r, "tok", 15000, 14000, 10, 1);
  start(c, &r);
  CHECK(drive(&r, 3000, is_online));
  int conns = stats().connections;
  ws_server_close(srv, 4000, "replaced");
  CHECK(drive(&r, 3000, is_offline));
  CHECK_INT(r.reason, USM__MERCURY_R_REPLACED);
  CHECK_INT(r.last_code, 4000);
  drive(&r, 500, NULL);
  CHECK_INT(stats().connections, conns); /* no reconnect */
  CHECK_INT(usm__mercury_state(c), USM__MS_OFFLINE);
  usm_client_destroy(c);
}

static void test_token_refresh(void) {
  rec r;
  ws_server_set_token(srv, "fresh-token");
  usm_client *c = make(&r, "stale-token", 15000, 14000, 10, 1);
  r.new_token = "fresh-token";
  start(c, &r);
  CHECK(drive(&r, 5000, is_online));
  CHECK_INT(r.refreshes, 1);
  CHECK_INT(r.reconnecting, 1);
  CHECK_STR(stats().last_token, "fresh-token");
  usm_client_destroy(c);

  /* No fresh token to give: offline, unauthorized, after the retries. */
  c = make(&r, "stale-token", 15000, 14000, 2, 1);
  start(c, &r);
  CHECK(drive(&r, 5000, is_offline));
  CHECK_INT(r.refreshes, 2);
  CHECK_INT(r.reason, USM__MERCURY_R_RETRIES);
  usm_client_destroy(c);

  /* No refresh callback at all: offline at once. */
  memset(&r, 0, sizeof r);
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = "stale-token";
  o.ca_file = ws_server_cert(srv);
  CHECK_INT(usm_client_create(&o, &c), USM_OK);
  r.client = c;
  start(c, &r);
  CHECK(drive(&r, 5000, is_offline));
  CHECK_INT(r.reason, USM__MERCURY_R_UNAUTHORIZED);
  CHECK_INT(r.last_code, 4401);
  usm_client_destroy(c);
  reset_server();
}

static void test_refused(int code, usm__mercury_reason want) {
  rec r;
  usm_client *c = make(&r, "tok", 15000, 14000, 10, 1);
  int conns = stats().connections;
  ws_server_close_on_auth(srv, code, "no");
  start(c, &r);
  CHECK(drive(&r, 3000, is_offline));
  CHECK_INT(r.reason, want);
  CHECK_INT(r.last_code, code);
  CHECK_INT(r.online, 0);
  drive(&r, 300, NULL);
  CHECK_INT(stats().connections, conns + 1);
  usm_client_destroy(c);
}

static void test_drop_and_backoff(void) {
  rec r;
  usm_client *c = make(&r, "tok", 15000, 14000, 10, 1);
  start(c, &r);
  CHECK(drive(&r, 3000, is_online));
  ws_server_drop(srv);
  CHECK(drive(&r, 3000, is_reconnecting));
  CHECK_INT(r.last_code, 1006);
  CHECK(drive(&r, 3000, two_online));
  CHECK_INT(r.resync_connected, 2);
  usm_client_destroy(c);
}

static void test_gap_malformed_oversized(void) {
  rec r;
  usm_client *c = make(&r, "tok", 15000, 14000, 10, 1);
  start(c, &r);
  CHECK(drive(&r, 3000, is_online));
  ws_server_send_events(srv, 1);
  ws_server_skip_sequence(srv);
  ws_server_send_events(srv, 1);
  CHECK(drive(&r, 3000, got_gap));
  CHECK_INT(r.resync_gap, 1);
  drive(&r, 200, NULL);
  CHECK_INT(r.events, 2); /* the event after the gap is still delivered */

  int conns = stats().connections;
  ws_server_malformed(srv);
  CHECK(drive(&r, 3000, got_error));
  CHECK_INT(r.last_err, USM_ERR_BAD_RESPONSE);
  ws_server_send_events(srv, 3);
  CHECK(drive(&r, 3000, five_events));
  CHECK_INT(usm__mercury_state(c), USM__MS_ONLINE);
  CHECK_INT(stats().connections, conns);
  CHECK_INT(r.reconnecting, 0);

  r.errors = 0;
  ws_server_oversized(srv, (size_t)1536 * 1024);
  CHECK(drive(&r, 5000, got_error));
  CHECK_INT(r.last_err, USM_ERR_RESPONSE_TOO_LARGE);
  CHECK(drive(&r, 5000, two_online));
  CHECK_INT(stats().connections, conns + 1);
  CHECK_INT(stats().client_close_code, 1009);
  usm_client_destroy(c);
}

static void test_retries_and_tls(void) {
  /* The server's certificate is not in the system store: verification fails. */
  rec r;
  usm_client *c = make(&r, "tok", 15000, 14000, 2, 0);
  int conns = stats().connections;
  start(c, &r);
  CHECK(drive(&r, 5000, is_offline));
  CHECK_INT(r.reason, USM__MERCURY_R_RETRIES);
  CHECK_INT(r.reconnecting, 2);
  CHECK_INT(stats().connections, conns);
  usm_client_destroy(c);

  /* Nothing listening: refused, backoff, give up. */
  c = make(&r, "tok", 15000, 14000, 3, 1);
  usm__mercury_handlers h = {on_event, on_change, on_resync, on_error, &r};
  CHECK_INT(usm__mercury_start(c, "wss://127.0.0.1:1/mercury", &h), USM_OK);
  CHECK(drive(&r, 5000, is_offline));
  CHECK_INT(r.reconnecting, 3);
  usm_client_destroy(c);
}

static void test_bad_urls(void) {
  rec r;
  usm_client *c = make(&r, "tok", 15000, 14000, 2, 1);
  usm__mercury_handlers h = {0};
  CHECK_INT(usm__mercury_start(c, "https://127.0.0.1/x", &h), USM_ERR_INSECURE_URL);
  CHECK_INT(usm__mercury_start(c, "ws://example.com/x", &h), USM_ERR_INSECURE_URL);
  CHECK_INT(usm__mercury_start(c, "wss://127.0.0.1:99999/x", &h), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__mercury_start(c, "wss:///x", &h), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__mercury_start(c, NULL, &h), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__mercury_state(c), USM__MS_IDLE);
  usm_client_destroy(c);
}

static void test_destroy_in_every_state(void) {
  rec r;
  usm_client *c = make(&r, "tok", 15000, 14000, 10, 1);
  start(c, &r);
  CHECK_INT(usm__mercury_state(c), USM__MS_CONNECTING);
  usm_client_destroy(c);

  ws_server_set_buffer_state(srv, 0);
  c = make(&r, "tok", 15000, 14000, 10, 1);
  start(c, &r);
  CHECK(drive(&r, 5000, is_authorizing));
  usm_client_destroy(c);
  ws_server_set_buffer_state(srv, 1);

  c = make(&r, "tok", 15000, 14000, 10, 1);
  start(c, &r);
  CHECK(drive(&r, 3000, is_online));
  usm_client_destroy(c);

  c = make(&r, "tok", 15000, 14000, 10, 1);
  usm__mercury_set_backoff(c, 5000, 5000);
  start(c, &r);
  CHECK(drive(&r, 3000, is_online));
  ws_server_drop(srv);
  CHECK(drive(&r, 3000, is_reconnecting));
  CHECK_INT(usm__mercury_state(c), USM__MS_RECONNECTING);
  usm_client_destroy(c);

  /* From inside the ONLINE callback (deferred destroy inside an lws callback). */
  c = make(&r, "tok", 15000, 14000, 10, 1);
  r.destroy_on_online = 1;
  start(c, &r);
  CHECK(drive(&r, 3000, client_gone));
}

/* Two clients (two lws contexts on two loops) at once; one goes away. */
static void test_two_clients(void) {
  rec a, b;
  usm_client *ca = make(&a, "tok", 200, 150, 10, 1);
  usm_client *cb = make(&b, "tok", 15000, 14000, 10, 1);
  start(ca, &a);
  start(cb, &b);
  long end = now_ms() + 5000;
  while (now_ms() < end && !(is_online(&a) && is_online(&b))) {
    drive(&a, 10, NULL);
    drive(&b, 10, NULL);
  }
  CHECK(is_online(&a) && is_online(&b));
  usm_client_destroy(cb);
  int p0 = stats().pings;
  drive(&a, 800, NULL);
  CHECK(stats().pings - p0 >= 2); /* a still pings after b's context is gone */
  CHECK_INT(a.reconnecting, 0);
  usm_client_destroy(ca);
}

/* Blocking mode: the channel is not an operation, so usm_client_run
 * returns at once (as for a joined meeting) and the channel stays started. */
static void test_run_returns(void) {
  rec r;
  usm_client *c = make(&r, "tok", 15000, 14000, 10, 1);
  start(c, &r);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK(usm__mercury_state(c) != USM__MS_IDLE && usm__mercury_state(c) != USM__MS_OFFLINE);
  CHECK(drive(&r, 3000, is_online)); /* and it comes up when the loop runs again */
  usm_client_destroy(c);
}

static void test_cycles(int n) {
  /* A new client (and lws context) each time. */
  for (int i = 0; i < n; i++) {
    rec r;
    usm_client *c = make(&r, "tok", 15000, 14000, 10, 1);
    start(c, &r);
    int ok = drive(&r, 5000, is_online);
    CHECK(ok);
    usm_client_destroy(c);
    if (!ok) break;
  }
  /* One client, many start/stop cycles on one context. */
  rec r;
  usm_client *c = make(&r, "tok", 15000, 14000, 10, 1);
  for (int i = 0; i < n; i++) {
    r.online = 0;
    start(c, &r);
    int ok = drive(&r, 5000, is_online);
    CHECK(ok);
    usm__mercury_stop(c);
    if (!ok) break;
  }
  drive(&r, 300, NULL);
  usm_client_destroy(c);
}

int main(int argc, char **argv) {
  int cycles = argc > 1 ? atoi(argv[1]) : 100;
  /* lws logs process-wide to stderr; quiet unless debugging. */
  lws_set_log_level(getenv("WS_DEBUG") ? LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO : LLL_ERR, NULL);
  srv = ws_server_start();
  if (!srv) return 1;
  snprintf(url, sizeof url, "wss://127.0.0.1:%d/mercury/device-1", ws_server_port(srv));
  test_online_after_buffer_state();
  test_ping_pong();
  test_close_replaced();
  test_token_refresh();
  test_refused(4403, USM__MERCURY_R_FORBIDDEN);
  test_refused(4400, USM__MERCURY_R_BAD_REQUEST);
  test_drop_and_backoff();
  test_gap_malformed_oversized();
  test_retries_and_tls();
  test_bad_urls();
  test_destroy_in_every_state();
  test_two_clients();
  test_run_returns();
  test_cycles(cycles);
  ws_server_stop(srv);
  return check_done("test_mercury_conn");
}
