/* ICE through a real TURN server (coturn, started by ice_turn.sh on
 * loopback): relay-only agent against the ice-lite responder over TURN/UDP,
 * TURN/TCP and TURN/TLS; data both ways (Send indications first, then
 * ChannelData). Skips when USM_TURN_PORT is not set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ice_lite_responder.h"
#include "media/ice_agent.h"
#include "media/turn_client.h"

typedef struct peer {
  usm__ice_agent *a;
  int connected, failed, gathered, n_relay, rx_count;
  size_t rx_len;
} peer;

static int verbose;

static void on_state(usm__ice_agent *a, usm__ice_state s, void *user) {
  (void)a;
  peer *p = user;
  if (s == USM__ICE_CONNECTED) p->connected = 1;
  if (s == USM__ICE_FAILED) p->failed = 1;
}
static void on_candidate(usm__ice_agent *a, const char *c, void *user) {
  (void)a;
  peer *p = user;
  if (!c) p->gathered = 1;
  else if (strstr(c, "typ relay")) p->n_relay++;
  if (verbose && c) fprintf(stderr, "%s\n", c);
}
static void on_data(usm__ice_agent *a, const uint8_t *d, size_t len, void *user) {
  (void)a;
  (void)d;
  peer *p = user;
  p->rx_count++;
  p->rx_len = len;
}
static void on_log(void *user, int level, const char *msg) {
  (void)user;
  if (verbose || level <= USM_LOG_WARN) fprintf(stderr, "  log: %s\n", msg);
}

static void tick_cb(uv_timer_t *t) { (void)t; }
static int run_until(uv_loop_t *loop, const int *flag, unsigned ms) {
  uv_timer_t t;
  uv_timer_init(loop, &t);
  uv_timer_start(&t, tick_cb, 10, 10);
  uint64_t end = uv_now(loop) + ms;
  while (!*flag && uv_now(loop) < end) uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  return *flag;
}

static void via_turn(uv_loop_t *loop, const char *url, const char *user, const char *pass,
                     const char *ca) {
  printf("TURN: %s\n", url);
  ice_lite_responder r;
  CHECK_INT(ice_lite_start(&r, loop, "127.0.0.1", "liteUfrag", "litePasswordIsLongEnough1"), 0);
  peer p;
  memset(&p, 0, sizeof p);
  usm__ice_config c;
  memset(&c, 0, sizeof c);
  c.loop = loop;
  c.controlling = 1;
  c.loopback_only = 1;
  c.relay_only = 1;
  c.turn_url = url;
  c.turn_username = user;
  c.turn_password = pass;
  c.turn_ca_file = ca;
  c.check_timeout_ms = 5000;
  c.on_state = on_state;
  c.on_candidate = on_candidate;
  c.on_data = on_data;
  c.log = on_log;
  c.user = &p;
  CHECK_INT(usm__ice_create(&c, &p.a), USM_OK);
  CHECK_INT(usm__ice_gather(p.a), USM_OK);
  CHECK(run_until(loop, &p.gathered, 8000));
  CHECK_INT(p.n_relay, 1);
  char cand[128];
  ice_lite_candidate(&r, cand, sizeof cand);
  CHECK_INT(usm__ice_set_remote_credentials(p.a, r.ufrag, r.pwd, 1), USM_OK);
  CHECK_INT(usm__ice_add_remote_candidate(p.a, cand), USM_OK);
  CHECK_INT(usm__ice_start_checks(p.a), USM_OK);
  CHECK(run_until(loop, &p.connected, 6000));
  usm__ice_stats st;
  CHECK_INT(usm__ice_get_stats(p.a, &st), USM_OK);
  CHECK_STR(st.local_type, "relay");
  uint8_t pkt[1200];
  memset(pkt, 0, sizeof pkt);
  pkt[0] = 0x80;
  CHECK_INT(usm__ice_send(p.a, pkt, sizeof pkt), USM_OK);
  CHECK(run_until(loop, &p.rx_count, 2000));
  CHECK_INT(p.rx_len, sizeof pkt);
  /* later packets go as ChannelData once the channel is bound */
  int never = 0;
  run_until(loop, &never, 300);
  p.rx_count = 0;
  CHECK_INT(usm__ice_send(p.a, pkt, 333), USM_OK);
  CHECK(run_until(loop, &p.rx_count, 2000));
  CHECK_INT(p.rx_len, 333);
  CHECK(!p.failed);
  usm__ice_destroy(p.a);
  ice_lite_close(&r);
  for (int i = 0; i < 100 && uv_run(loop, UV_RUN_NOWAIT); i++) {
  }
}

/* No relay candidate: refused credentials, or a certificate not trusted. */
static void no_relay(uv_loop_t *loop, const char *url, const char *user, const char *pass,
                     const char *ca) {
  peer p;
  memset(&p, 0, sizeof p);
  usm__ice_config c;
  memset(&c, 0, sizeof c);
  c.loop = loop;
  c.controlling = 1;
  c.loopback_only = 1;
  c.relay_only = 1;
  c.turn_url = url;
  c.turn_username = user;
  c.turn_password = pass;
  c.turn_ca_file = ca;
  c.on_candidate = on_candidate;
  c.log = on_log;
  c.user = &p;
  CHECK_INT(usm__ice_create(&c, &p.a), USM_OK);
  CHECK_INT(usm__ice_gather(p.a), USM_OK);
  CHECK(run_until(loop, &p.gathered, 8000));
  CHECK_INT(p.n_relay, 0);
  usm__ice_destroy(p.a);
  for (int i = 0; i < 100 && uv_run(loop, UV_RUN_NOWAIT); i++) {
  }
}

int main(void) {
  verbose = getenv("USM_TEST_VERBOSE") != NULL;
  usm__turn_url u;
  CHECK_INT(usm__turn_parse_url("turn:example.org", &u), USM_OK);
  CHECK_INT(u.port, 3478);
  CHECK_INT(u.transport, USM__TURN_UDP);
  CHECK_INT(usm__turn_parse_url("turns:[::1]:443?transport=tcp", &u), USM_OK);
  CHECK_STR(u.host, "::1");
  CHECK_INT(u.port, 443);
  CHECK_INT(u.transport, USM__TURN_TLS);
  CHECK_INT(usm__turn_parse_url("turn:h:3478?transport=tcp", &u), USM_OK);
  CHECK_INT(u.transport, USM__TURN_TCP);
  CHECK_INT(usm__turn_parse_url("turns:h?transport=udp", &u), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__turn_parse_url("stun:h", &u), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__turn_parse_url("turn::99", &u), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__turn_parse_url("turn:h:99999", &u), USM_ERR_INVALID_ARG);

  const char *port = getenv("USM_TURN_PORT"), *tls_port = getenv("USM_TURN_TLS_PORT");
  const char *user = getenv("USM_TURN_USER"), *pass = getenv("USM_TURN_PASS");
  const char *ca = getenv("USM_TURN_CA");
  if (!port || !user || !pass) {
    printf("test_ice_turn: USM_TURN_PORT not set (run through ice_turn.sh), TURN server tests skipped\n");
    return check_done("test_ice_turn");
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  char url[128];
  snprintf(url, sizeof url, "turn:127.0.0.1:%s?transport=udp", port);
  via_turn(&loop, url, user, pass, NULL);
  no_relay(&loop, url, user, "wrong", NULL);
  snprintf(url, sizeof url, "turn:127.0.0.1:%s?transport=tcp", port);
  via_turn(&loop, url, user, pass, NULL);
  if (tls_port && ca) {
    snprintf(url, sizeof url, "turns:127.0.0.1:%s?transport=tcp", tls_port);
    via_turn(&loop, url, user, pass, ca);
    /* verification is on: the self-signed certificate is not in the system store */
    no_relay(&loop, url, user, pass, NULL);
  }
  CHECK_INT(uv_loop_close(&loop), 0);
  return check_done("test_ice_turn");
}
