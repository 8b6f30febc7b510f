/* ICE agent over loopback: two full agents (controlling vs controlled)
 * exchange data both ways; the controlling agent against an ice-lite
 * responder; wrong password -> FAILED within the timeout; answers signed
 * with a wrong key are ignored; consent loss -> DISCONNECTED -> FAILED; ICE
 * restart recovers; malformed STUN is dropped; an IPv6 pair on ::1;
 * destroy from inside a callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ice_lite_responder.h"
#include "media/ice_agent.h"

#define MAX_CANDS 16

typedef struct peer {
  usm__ice_agent *a;
  usm__ice_state states[64];
  int n_states;
  char cands[MAX_CANDS][256];
  int n_cands, gathered;
  uint8_t rx[2048];
  size_t rx_len;
  int rx_count;
  int destroy_on_connected;
} peer;

static int verbose;

static void on_state(usm__ice_agent *a, usm__ice_state s, void *user) {
  peer *p = user;
  if (p->n_states < 64) p->states[p->n_states++] = s;
  if (verbose) fprintf(stderr, "[%p] state %s\n", (void *)p, usm__ice_state_name(s));
  if (p->destroy_on_connected && s == USM__ICE_CONNECTED) {
    usm__ice_destroy(a);
    p->a = NULL;
  }
}

static void on_candidate(usm__ice_agent *a, const char *c, void *user) {
  (void)a;
  peer *p = user;
  if (!c) {
    p->gathered++;
    return;
  }
  if (p->n_cands < MAX_CANDS) snprintf(p->cands[p->n_cands++], 256, "%s", c);
}

static void on_data(usm__ice_agent *a, const uint8_t *d, size_t len, void *user) {
  (void)a;
  peer *p = user;
  p->rx_count++;
  p->rx_len = len < sizeof p->rx ? len : sizeof p->rx;
  memcpy(p->rx, d, p->rx_len);
}

static void on_log(void *user, int level, const char *msg) {
  (void)level;
  if (verbose) fprintf(stderr, "[%p] %s\n", user, msg);
}

static int saw(const peer *p, usm__ice_state s) {
  for (int i = 0; i < p->n_states; i++)
    if (p->states[i] == s) return 1;
  return 0;
}

static void base_config(usm__ice_config *c, uv_loop_t *loop, peer *p, int controlling) {
  memset(c, 0, sizeof *c);
  c->loop = loop;
  c->controlling = controlling;
  c->loopback_only = 1;
  c->check_timeout_ms = 3000;
  c->on_state = on_state;
  c->on_candidate = on_candidate;
  c->on_data = on_data;
  c->log = on_log;
  c->user = p;
}

/* Run the loop until *flag is non-zero or @p ms pass. */
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

typedef struct watch {
  const peer *p;
  usm__ice_state s;
  int hit;
} watch;

static int wait_state(uv_loop_t *loop, const peer *p, usm__ice_state s, unsigned ms) {
  uv_timer_t t;
  uv_timer_init(loop, &t);
  uv_timer_start(&t, tick_cb, 10, 10);
  uint64_t end = uv_now(loop) + ms;
  while (!saw(p, s) && uv_now(loop) < end) uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  return saw(p, s);
}

static void drain(uv_loop_t *loop) {
  for (int i = 0; i < 100 && uv_run(loop, UV_RUN_NOWAIT); i++) {
  }
}

/* ---- two full agents ---- */

static void connect_pair(uv_loop_t *loop, int ipv6, int both_controlling) {
  peer pa, pb;
  memset(&pa, 0, sizeof pa);
  memset(&pb, 0, sizeof pb);
  usm__ice_config ca, cb;
  base_config(&ca, loop, &pa, 1);
  base_config(&cb, loop, &pb, both_controlling); /* both: a role conflict (487) to resolve */
  ca.ipv6 = cb.ipv6 = ipv6;
  CHECK_INT(usm__ice_create(&ca, &pa.a), USM_OK);
  CHECK_INT(usm__ice_create(&cb, &pb.a), USM_OK);
  CHECK(strlen(usm__ice_local_ufrag(pa.a)) >= 4);
  CHECK(strlen(usm__ice_local_pwd(pa.a)) >= 22);
  CHECK(strcmp(usm__ice_local_ufrag(pa.a), usm__ice_local_ufrag(pb.a)) != 0);
  uint8_t hello[] = {0x80, 0x60, 1, 2, 3, 4};
  CHECK_INT(usm__ice_send(pa.a, hello, sizeof hello), USM_ERR_WRONG_STATE);
  CHECK_INT(usm__ice_gather(pa.a), USM_OK);
  CHECK_INT(usm__ice_gather(pb.a), USM_OK);
  CHECK(run_until(loop, &pa.gathered, 2000));
  CHECK(run_until(loop, &pb.gathered, 2000));
  CHECK(saw(&pa, USM__ICE_GATHERING));
  CHECK(pa.n_cands >= 1);
  CHECK_INT(usm__ice_set_remote_credentials(pa.a, usm__ice_local_ufrag(pb.a), usm__ice_local_pwd(pb.a), 0), USM_OK);
  CHECK_INT(usm__ice_set_remote_credentials(pb.a, usm__ice_local_ufrag(pa.a), usm__ice_local_pwd(pa.a), 0), USM_OK);
  int n6 = 0;
  for (int i = 0; i < pb.n_cands; i++) {
    int is6 = strchr(pb.cands[i] + 10, ':') != NULL;
    if (ipv6 && !is6) continue; /* the IPv6 test pairs ::1 only */
    n6 += is6;
    CHECK_INT(usm__ice_add_remote_candidate(pa.a, pb.cands[i]), USM_OK);
  }
  if (ipv6) CHECK(n6 >= 1);
  for (int i = 0; i < pa.n_cands; i++)
    if (!ipv6 || strchr(pa.cands[i] + 10, ':')) CHECK_INT(usm__ice_add_remote_candidate(pb.a, pa.cands[i]), USM_OK);
  /* the controlled side starts a little later: it learns pairs from checks */
  CHECK_INT(usm__ice_start_checks(pa.a), USM_OK);
  CHECK_INT(usm__ice_start_checks(pb.a), USM_OK);
  CHECK(wait_state(loop, &pa, USM__ICE_CONNECTED, 3000));
  CHECK(wait_state(loop, &pb, USM__ICE_CONNECTED, 3000));
  CHECK(saw(&pa, USM__ICE_CHECKING));
  CHECK_INT(usm__ice_send(pa.a, hello, sizeof hello), USM_OK);
  CHECK(run_until(loop, &pb.rx_count, 1000));
  CHECK_INT(pb.rx_len, sizeof hello);
  CHECK(memcmp(pb.rx, hello, sizeof hello) == 0);
  uint8_t back[] = {22, 0xfe, 0xfd, 9, 9}; /* a DTLS-looking record */
  CHECK_INT(usm__ice_send(pb.a, back, sizeof back), USM_OK);
  CHECK(run_until(loop, &pa.rx_count, 1000));
  CHECK_INT(pa.rx_len, sizeof back);
  usm__ice_stats st;
  CHECK_INT(usm__ice_get_stats(pa.a, &st), USM_OK);
  CHECK_STR(st.local_type, "host");
  CHECK_INT(st.packets_sent, 1);
  CHECK_INT(st.bytes_received, sizeof back);
  CHECK(strncmp(st.local, ipv6 ? "[::1]:" : "127.0.0.1:", ipv6 ? 6 : 10) == 0);
  CHECK(strncmp(st.remote, ipv6 ? "[::1]:" : "127.0.0.1:", ipv6 ? 6 : 10) == 0);
  /* no spurious failure while consent runs */
  int never = 0;
  run_until(loop, &never, 300);
  CHECK_INT(usm__ice_get_state(pa.a), USM__ICE_CONNECTED);
  CHECK_INT(usm__ice_get_state(pb.a), USM__ICE_CONNECTED);
  usm__ice_destroy(pa.a);
  usm__ice_destroy(pb.a);
  drain(loop);
}

/* ---- against the ice-lite responder ---- */

typedef struct lite_setup {
  peer p;
  ice_lite_responder r;
} lite_setup;

static void lite_connect(uv_loop_t *loop, lite_setup *s, usm__ice_config *cfg, const char *rpwd,
                         int expect_ok) {
  CHECK_INT(usm__ice_gather(s->p.a), USM_OK);
  CHECK(run_until(loop, &s->p.gathered, 2000));
  char cand[128];
  ice_lite_candidate(&s->r, cand, sizeof cand);
  CHECK_INT(usm__ice_set_remote_credentials(s->p.a, s->r.ufrag, rpwd, 1), USM_OK);
  CHECK_INT(usm__ice_add_remote_candidate(s->p.a, cand), USM_OK);
  CHECK_INT(usm__ice_start_checks(s->p.a), USM_OK);
  if (expect_ok) CHECK(wait_state(loop, &s->p, USM__ICE_CONNECTED, cfg->check_timeout_ms + 500));
}

static void test_lite(uv_loop_t *loop) {
  lite_setup s;
  memset(&s, 0, sizeof s);
  CHECK_INT(ice_lite_start(&s.r, loop, "127.0.0.1", "liteUfrag", "litePasswordIsLongEnough1"), 0);
  usm__ice_config c;
  base_config(&c, loop, &s.p, 1);
  CHECK_INT(usm__ice_create(&c, &s.p.a), USM_OK);
  lite_connect(loop, &s, &c, s.r.pwd, 1);
  CHECK(s.r.use_candidate >= 1); /* aggressive nomination against ice-lite */
  uint8_t rtp[100] = {0x80, 0x6f};
  CHECK_INT(usm__ice_send(s.p.a, rtp, sizeof rtp), USM_OK);
  CHECK(run_until(loop, &s.p.rx_count, 1000));
  CHECK_INT(s.p.rx_len, sizeof rtp);
  usm__ice_stats st;
  CHECK_INT(usm__ice_get_stats(s.p.a, &st), USM_OK);
  CHECK_STR(st.remote_type, "host");
  CHECK_INT(st.packets_received, 1);
  usm__ice_destroy(s.p.a);
  ice_lite_close(&s.r);
  drain(loop);
}

static void test_wrong_password(uv_loop_t *loop, int wrong_key_answers) {
  lite_setup s;
  memset(&s, 0, sizeof s);
  CHECK_INT(ice_lite_start(&s.r, loop, "127.0.0.1", "liteUfrag", "litePasswordIsLongEnough1"), 0);
  s.r.wrong_key = wrong_key_answers;
  usm__ice_config c;
  base_config(&c, loop, &s.p, 1);
  c.check_timeout_ms = 1500;
  CHECK_INT(usm__ice_create(&c, &s.p.a), USM_OK);
  uint64_t t0 = uv_now(loop);
  lite_connect(loop, &s, &c, wrong_key_answers ? s.r.pwd : "thisIsNotThePassword123", 0);
  CHECK(wait_state(loop, &s.p, USM__ICE_FAILED, 3000));
  uint64_t took = uv_now(loop) - t0;
  CHECK(took >= 1400 && took < 4000); /* 1500 ms configured; slack for a loaded machine */
  CHECK(!saw(&s.p, USM__ICE_CONNECTED));
  CHECK(s.r.requests >= 2); /* retransmitted */
  if (wrong_key_answers) CHECK_INT(s.r.bad_requests, 0);
  else CHECK_INT(s.r.bad_requests, s.r.requests);
  uint8_t x[4] = {0x80, 0, 0, 0};
  CHECK_INT(usm__ice_send(s.p.a, x, sizeof x), USM_ERR_WRONG_STATE);
  usm__ice_destroy(s.p.a);
  ice_lite_close(&s.r);
  drain(loop);
}

/* Consent loss, then an ICE restart with new credentials on both sides. */
static void test_consent_and_restart(uv_loop_t *loop) {
  lite_setup s;
  memset(&s, 0, sizeof s);
  CHECK_INT(ice_lite_start(&s.r, loop, "127.0.0.1", "liteUfrag", "litePasswordIsLongEnough1"), 0);
  usm__ice_config c;
  base_config(&c, loop, &s.p, 1);
  c.consent_interval_ms = 200;
  c.consent_timeout_ms = 1500;
  CHECK_INT(usm__ice_create(&c, &s.p.a), USM_OK);
  lite_connect(loop, &s, &c, s.r.pwd, 1);
  unsigned before = s.r.requests;
  int never = 0;
  run_until(loop, &never, 700);
  CHECK(s.r.requests >= before + 2); /* consent checks flow */
  CHECK_INT(usm__ice_get_state(s.p.a), USM__ICE_CONNECTED);
  s.r.answering = 0;
  uint64_t t0 = uv_now(loop);
  CHECK(wait_state(loop, &s.p, USM__ICE_DISCONNECTED, 1500));
  uint8_t x[4] = {0x80, 0, 0, 0};
  CHECK_INT(usm__ice_send(s.p.a, x, sizeof x), USM_OK); /* still sending while DISCONNECTED */
  CHECK(wait_state(loop, &s.p, USM__ICE_FAILED, 2500));
  CHECK(uv_now(loop) - t0 < 2500);
  CHECK_INT(usm__ice_send(s.p.a, x, sizeof x), USM_ERR_WRONG_STATE);

  /* restart: new credentials here and on the responder */
  char old_ufrag[32];
  snprintf(old_ufrag, sizeof old_ufrag, "%s", usm__ice_local_ufrag(s.p.a));
  CHECK_INT(usm__ice_restart(s.p.a), USM_OK);
  CHECK(strcmp(old_ufrag, usm__ice_local_ufrag(s.p.a)) != 0);
  snprintf(s.r.ufrag, sizeof s.r.ufrag, "newLite");
  snprintf(s.r.pwd, sizeof s.r.pwd, "aBrandNewLitePassword42");
  s.r.answering = 1;
  int cands_before = s.p.n_cands;
  s.p.gathered = 0;
  s.p.n_states = 0;
  lite_connect(loop, &s, &c, s.r.pwd, 1);
  CHECK(s.p.n_cands > cands_before); /* the candidates were re-reported */
  CHECK_INT(usm__ice_get_state(s.p.a), USM__ICE_CONNECTED);
  s.p.rx_count = 0;
  CHECK_INT(usm__ice_send(s.p.a, x, sizeof x), USM_OK);
  CHECK(run_until(loop, &s.p.rx_count, 1000));
  usm__ice_destroy(s.p.a);
  ice_lite_close(&s.r);
  drain(loop);
}

/* ---- malformed STUN to a connected agent ---- */

static void send_to(uv_udp_t *u, const usm__stun_addr *to, const uint8_t *d, size_t len) {
  struct sockaddr_storage sa;
  usm__stun_addr_to_sockaddr(to, (struct sockaddr *)&sa, sizeof sa);
  uv_buf_t b = uv_buf_init((char *)d, (unsigned)len);
  uv_udp_try_send(u, &b, 1, (struct sockaddr *)&sa);
}

static void test_bad_stun(uv_loop_t *loop) {
  lite_setup s;
  memset(&s, 0, sizeof s);
  CHECK_INT(ice_lite_start(&s.r, loop, "127.0.0.1", "liteUfrag", "litePasswordIsLongEnough1"), 0);
  usm__ice_config c;
  base_config(&c, loop, &s.p, 1);
  CHECK_INT(usm__ice_create(&c, &s.p.a), USM_OK);
  lite_connect(loop, &s, &c, s.r.pwd, 1);
  /* the agent's address, from its candidate */
  usm__stun_addr target;
  memset(&target, 0, sizeof target);
  unsigned port = 0;
  CHECK(sscanf(s.p.cands[0], "candidate:%*s %*u udp %*u 127.0.0.1 %u", &port) == 1);
  target.family = USM__STUN_FAMILY_IPV4;
  target.ip[0] = 127;
  target.ip[3] = 1;
  target.port = (uint16_t)port;

  uv_udp_t attacker;
  uv_udp_init(loop, &attacker);
  struct sockaddr_in any;
  uv_ip4_addr("127.0.0.1", 0, &any);
  uv_udp_bind(&attacker, (struct sockaddr *)&any, 0);
  uint8_t buf[1600];
  usm__stun_builder b;
  size_t len;
  /* 1: a check with the right username but a wrong MESSAGE-INTEGRITY */
  char user[64];
  snprintf(user, sizeof user, "%s:liteUfrag", usm__ice_local_ufrag(s.p.a));
  usm__stun_build_begin(&b, buf, sizeof buf, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  usm__stun_add_attr(&b, USM__STUN_ATTR_USERNAME, user, strlen(user));
  usm__stun_add_u32(&b, USM__STUN_ATTR_PRIORITY, 1);
  usm__stun_add_u64(&b, USM__STUN_ATTR_ICE_CONTROLLING, ~0ull); /* would win a role conflict */
  usm__stun_add_integrity(&b, (const uint8_t *)"wrong", 5);
  usm__stun_add_fingerprint(&b);
  usm__stun_build_finish(&b, &len);
  send_to(&attacker, &target, buf, len);
  /* 2: the same truncated at every length */
  for (size_t cut = 0; cut < len; cut += 3) send_to(&attacker, &target, buf, cut);
  /* 3: a flipped bit in the fingerprint */
  buf[len - 1] ^= 1;
  send_to(&attacker, &target, buf, len);
  /* 4: a success response with an unknown transaction id */
  usm__stun_build_begin(&b, buf, sizeof buf, USM__STUN_BINDING, USM__STUN_SUCCESS, NULL);
  usm__stun_add_addr(&b, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, &target);
  usm__stun_add_fingerprint(&b);
  usm__stun_build_finish(&b, &len);
  send_to(&attacker, &target, buf, len);
  /* 5: junk of every first byte, an oversize datagram, a STUN header that lies about its length */
  for (int i = 0; i < 256; i++) {
    memset(buf, i, 64);
    send_to(&attacker, &target, buf, 1 + (size_t)i % 64);
  }
  memset(buf, 0x80, sizeof buf);
  send_to(&attacker, &target, buf, sizeof buf);
  static const uint8_t lie[20] = {0, 1, 0xff, 0xfc, 0x21, 0x12, 0xa4, 0x42};
  send_to(&attacker, &target, lie, sizeof lie);
  int never = 0;
  run_until(loop, &never, 300);
  CHECK_INT(usm__ice_get_state(s.p.a), USM__ICE_CONNECTED);
  CHECK_INT(s.p.rx_count, 0); /* nothing from a stranger reached on_data */
  CHECK(!saw(&s.p, USM__ICE_FAILED));
  uint8_t x[8] = {0x80, 1};
  CHECK_INT(usm__ice_send(s.p.a, x, sizeof x), USM_OK);
  CHECK(run_until(loop, &s.p.rx_count, 1000));
  uv_close((uv_handle_t *)&attacker, NULL);
  usm__ice_destroy(s.p.a);
  ice_lite_close(&s.r);
  drain(loop);
}

static void test_api_errors(uv_loop_t *loop) {
  usm__ice_agent *a = NULL;
  CHECK_INT(usm__ice_create(NULL, &a), USM_ERR_INVALID_ARG);
  usm__ice_config c;
  peer p;
  memset(&p, 0, sizeof p);
  base_config(&c, loop, &p, 1);
  CHECK_INT(usm__ice_create(&c, &a), USM_OK);
  CHECK_INT(usm__ice_get_state(a), USM__ICE_NEW);
  CHECK_INT(usm__ice_start_checks(a), USM_ERR_WRONG_STATE); /* no remote credentials */
  CHECK_INT(usm__ice_set_remote_credentials(a, "a:b", "passwordpasswordpassword", 0), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__ice_add_remote_candidate(a, "candidate:garbage"), USM_ERR_MALFORMED);
  CHECK_INT(usm__ice_add_remote_candidate(a, "candidate:1 1 tcp 1 127.0.0.1 9 typ host tcptype passive"), USM_OK);
  char cand[128];
  int lim = 0;
  for (int i = 0; i < USM__ICE_MAX_REMOTE + 2; i++) {
    snprintf(cand, sizeof cand, "candidate:%d 1 udp 100 127.0.0.%d 9 typ host", i, i + 1);
    if (usm__ice_add_remote_candidate(a, cand) == USM_ERR_LIMIT) lim++;
  }
  CHECK_INT(lim, 2);
  usm__ice_stats st;
  CHECK_INT(usm__ice_get_stats(a, &st), USM_ERR_WRONG_STATE);
  usm__ice_destroy(a); /* never gathered: only the timer to close */
  drain(loop);
}

/* destroy from inside on_state, with the peer still checking */
static void test_destroy_in_callback(uv_loop_t *loop) {
  lite_setup s;
  memset(&s, 0, sizeof s);
  CHECK_INT(ice_lite_start(&s.r, loop, "127.0.0.1", "liteUfrag", "litePasswordIsLongEnough1"), 0);
  usm__ice_config c;
  base_config(&c, loop, &s.p, 1);
  s.p.destroy_on_connected = 1;
  CHECK_INT(usm__ice_create(&c, &s.p.a), USM_OK);
  lite_connect(loop, &s, &c, s.r.pwd, 1);
  CHECK(s.p.a == NULL);
  ice_lite_close(&s.r);
  drain(loop);
}

/* server-reflexive candidate from the configured STUN server (the test
 * responder, which hands out a made-up mapped address) */
static void test_srflx(uv_loop_t *loop) {
  ice_lite_responder stun;
  CHECK_INT(ice_lite_start(&stun, loop, "127.0.0.1", "x", "y"), 0);
  stun.stun_server = 1;
  stun.fake_mapped.family = USM__STUN_FAMILY_IPV4;
  stun.fake_mapped.ip[0] = 192;
  stun.fake_mapped.ip[2] = 2;
  stun.fake_mapped.ip[3] = 7;
  stun.fake_mapped.port = 4242;
  char server[64];
  snprintf(server, sizeof server, "127.0.0.1:%u", (unsigned)stun.addr.port);
  peer p;
  memset(&p, 0, sizeof p);
  usm__ice_config c;
  base_config(&c, loop, &p, 1);
  c.stun_server = server;
  CHECK_INT(usm__ice_create(&c, &p.a), USM_OK);
  CHECK_INT(usm__ice_gather(p.a), USM_OK);
  CHECK(run_until(loop, &p.gathered, 3000));
  int srflx = 0;
  for (int i = 0; i < p.n_cands; i++)
    if (strstr(p.cands[i], " 192.0.2.7 4242 typ srflx raddr 127.0.0.1 rport ")) srflx++;
  CHECK_INT(srflx, 1);
  CHECK_INT(p.n_cands, 2);
  usm__ice_destroy(p.a);
  ice_lite_close(&stun);
  drain(loop);
}

static int have_ipv6_loopback(uv_loop_t *loop) {
  uv_udp_t u;
  struct sockaddr_in6 sa;
  uv_ip6_addr("::1", 0, &sa);
  uv_udp_init(loop, &u);
  int ok = uv_udp_bind(&u, (struct sockaddr *)&sa, 0) == 0;
  uv_close((uv_handle_t *)&u, NULL);
  drain(loop);
  return ok;
}

int main(void) {
  verbose = getenv("USM_TEST_VERBOSE") != NULL;
  uv_loop_t loop;
  uv_loop_init(&loop);
  test_api_errors(&loop);
  connect_pair(&loop, 0, 0);
  connect_pair(&loop, 0, 1);
  test_srflx(&loop);
  test_lite(&loop);
  test_wrong_password(&loop, 0);
  test_wrong_password(&loop, 1);
  test_consent_and_restart(&loop);
  test_bad_stun(&loop);
  test_destroy_in_callback(&loop);
  if (have_ipv6_loopback(&loop)) connect_pair(&loop, 1, 0);
  else printf("test_ice_agent: no ::1, IPv6 pair skipped\n");
  drain(&loop);
  CHECK_INT(uv_loop_close(&loop), 0);
  return check_done("test_ice_agent");
}
