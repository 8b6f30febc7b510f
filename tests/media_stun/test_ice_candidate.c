/* ICE candidates: parsing and formatting the SDP attribute value, the
 * RFC 8445 priority formulas and foundations. */
#include <string.h>

#include "check.h"
#include "media/ice_candidate.h"

static void round_trip(const char *in, const char *want) {
  usm__ice_candidate c, c2;
  char out[USM__ICE_CANDIDATE_MAX + 1];
  size_t n = 0;
  CHECK_INT(usm__ice_candidate_parse(in, strlen(in), &c), USM_OK);
  CHECK_INT(usm__ice_candidate_format(&c, out, sizeof out, &n), USM_OK);
  CHECK_STR(out, want);
  CHECK_INT(n, strlen(want));
  CHECK_INT(usm__ice_candidate_parse(out, n, &c2), USM_OK);
  CHECK(memcmp(&c, &c2, sizeof c) == 0);
}

static void test_parse(void) {
  usm__ice_candidate c;
  const char *s = "candidate:842163049 1 udp 1677729535 203.0.113.7 50432 typ srflx raddr 192.168.1.20 "
                  "rport 50432 generation 0 ufrag ab+/ network-cost 999";
  CHECK_INT(usm__ice_candidate_parse(s, strlen(s), &c), USM_OK);
  CHECK_STR(c.foundation, "842163049");
  CHECK_INT(c.component, 1);
  CHECK_INT(c.transport, USM__ICE_UDP);
  CHECK_INT(c.priority, 1677729535u);
  CHECK_INT(c.addr.family, USM__STUN_FAMILY_IPV4);
  CHECK(memcmp(c.addr.ip, "\xcb\x00\x71\x07", 4) == 0);
  CHECK_INT(c.addr.port, 50432);
  CHECK_INT(c.type, USM__ICE_SRFLX);
  CHECK_INT(c.has_related, 1);
  CHECK(memcmp(c.related.ip, "\xc0\xa8\x01\x14", 4) == 0);
  CHECK_INT(c.related.port, 50432);
  CHECK_INT(c.has_generation, 1);
  CHECK_INT(c.generation, 0);
  CHECK_STR(c.ufrag, "ab+/");
  CHECK_INT(c.n_ext, 1);
  CHECK_STR(c.ext[0].name, "network-cost");
  CHECK_STR(c.ext[0].value, "999");

  /* "a=" prefix, CRLF, upper-case transport, IPv6, TCP with tcptype */
  const char *t = "a=candidate:1 2 TCP 2105524479 2001:DB8::1 9 typ host tcptype active\r\n";
  CHECK_INT(usm__ice_candidate_parse(t, strlen(t), &c), USM_OK);
  CHECK_INT(c.component, 2);
  CHECK_INT(c.transport, USM__ICE_TCP);
  CHECK_INT(c.tcptype, USM__ICE_TCPTYPE_ACTIVE);
  CHECK_INT(c.addr.family, USM__STUN_FAMILY_IPV6);
  CHECK_INT(c.addr.ip[0], 0x20);
  CHECK_INT(c.addr.ip[15], 1);
  CHECK_INT(c.type, USM__ICE_HOST);
  CHECK_INT(c.has_related, 0);
  CHECK_INT(c.has_generation, 0);
  CHECK_STR(c.ufrag, "");

  /* without any prefix; relay and prflx */
  const char *u = "x 1 udp 5 10.0.0.1 3478 typ relay raddr 0.0.0.0 rport 0";
  CHECK_INT(usm__ice_candidate_parse(u, strlen(u), &c), USM_OK);
  CHECK_INT(c.type, USM__ICE_RELAY);
  const char *p = "x 1 udp 5 10.0.0.1 3478 typ prflx";
  CHECK_INT(usm__ice_candidate_parse(p, strlen(p), &c), USM_OK);
  CHECK_INT(c.type, USM__ICE_PRFLX);

  round_trip(s, "842163049 1 udp 1677729535 203.0.113.7 50432 typ srflx raddr 192.168.1.20 rport 50432 "
                "generation 0 ufrag ab+/ network-cost 999");
  round_trip(t, "1 2 tcp 2105524479 2001:db8::1 9 typ host tcptype active");
  round_trip("candidate:a 256 udp 0 ::ffff:1.2.3.4 65535 typ host  x-1 y   x-2 z ",
             "a 256 udp 0 ::ffff:1.2.3.4 65535 typ host x-1 y x-2 z");
}

static void test_reject(void) {
  usm__ice_candidate c;
  static const char *const bad[] = {
      "",
      "candidate:",
      "1 1 udp 1 1.2.3.4 5 typ",                 /* no type */
      "1 1 udp 1 1.2.3.4 5 host host",           /* no "typ" */
      "1 1 udp 1 1.2.3.4 5 typ local",           /* unknown type */
      "1 0 udp 1 1.2.3.4 5 typ host",            /* component 0 */
      "1 257 udp 1 1.2.3.4 5 typ host",          /* component > 256 */
      "1 1 sctp 1 1.2.3.4 5 typ host",           /* transport */
      "1 1 udp 4294967296 1.2.3.4 5 typ host",   /* priority > 32 bits */
      "1 1 udp -1 1.2.3.4 5 typ host",
      "1 1 udp 1 1.2.3.4 65536 typ host",        /* port */
      "1 1 udp 1 1.2.3 5 typ host",              /* address */
      "1 1 udp 1 256.2.3.4 5 typ host",
      "1 1 udp 1 fe80::1%eth0 5 typ host",
      "1 1 udp 1 abcd.local 5 typ host",         /* mDNS: not supported */
      "1 1 udp 1 example.com 5 typ host",
      "f=o 1 udp 1 1.2.3.4 5 typ host",          /* foundation chars */
      "123456789012345678901234567890123 1 udp 1 1.2.3.4 5 typ host", /* 33 chars */
      "1 1 udp 1 1.2.3.4 5 typ host raddr",      /* name without value */
      "1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4", /* raddr without rport */
      "1 1 udp 1 1.2.3.4 5 typ srflx rport 5",
      "1 1 udp 1 1.2.3.4 5 typ host generation 1 generation 2",
      "1 1 udp 1 1.2.3.4 5 typ host tcptype active", /* tcptype on UDP */
      "1 1 tcp 1 1.2.3.4 5 typ host tcptype sideways",
      "1 1 udp 1 1.2.3.4 5 typ host\tgeneration 0",
      "1 1 udp 1 1.2.3.4 5 typ host ufrag a\x01",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    usm_err e = usm__ice_candidate_parse(bad[i], strlen(bad[i]), &c);
    if (e != USM_ERR_MALFORMED) fprintf(stderr, "accepted or wrong error %d: %s\n", e, bad[i]);
    CHECK_INT(e, USM_ERR_MALFORMED);
  }
  /* bounds */
  char big[USM__ICE_CANDIDATE_MAX + 2];
  memset(big, ' ', sizeof big);
  CHECK_INT(usm__ice_candidate_parse(big, sizeof big, &c), USM_ERR_LIMIT);
  const char *many = "1 1 udp 1 1.2.3.4 5 typ host a 1 b 2 c 3 d 4 e 5 f 6 g 7 h 8 i 9";
  CHECK_INT(usm__ice_candidate_parse(many, strlen(many), &c), USM_ERR_LIMIT);
  const char *longv = "1 1 udp 1 1.2.3.4 5 typ host a "
                      "12345678901234567890123456789012345678901234567890123456789012345";
  CHECK_INT(usm__ice_candidate_parse(longv, strlen(longv), &c), USM_ERR_LIMIT);
  CHECK_INT(usm__ice_candidate_parse(NULL, 3, &c), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__ice_candidate_parse("x", 1, NULL), USM_ERR_INVALID_ARG);

  /* the formatter refuses what the parser would, and small buffers */
  const char *ok = "1 1 udp 1 1.2.3.4 5 typ host";
  char out[64];
  size_t n;
  CHECK_INT(usm__ice_candidate_parse(ok, strlen(ok), &c), USM_OK);
  CHECK_INT(usm__ice_candidate_format(&c, out, 10, &n), USM_ERR_LIMIT);
  CHECK_STR(out, "");
  CHECK_INT(usm__ice_candidate_format(&c, out, strlen(ok), &n), USM_ERR_LIMIT);
  CHECK_INT(usm__ice_candidate_format(&c, out, strlen(ok) + 1, &n), USM_OK);
  c.foundation[0] = '\0';
  CHECK_INT(usm__ice_candidate_format(&c, out, sizeof out, &n), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__ice_candidate_parse(ok, strlen(ok), &c), USM_OK);
  c.n_ext = 1;
  strcpy(c.ext[0].name, "ufrag");
  strcpy(c.ext[0].value, "x");
  CHECK_INT(usm__ice_candidate_format(&c, out, sizeof out, &n), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__ice_candidate_parse(ok, strlen(ok), &c), USM_OK);
  c.addr.family = 9;
  CHECK_INT(usm__ice_candidate_format(&c, out, sizeof out, &n), USM_ERR_INVALID_ARG);
}

static void test_priorities(void) {
  CHECK_INT(usm__ice_type_preference(USM__ICE_HOST), 126);
  CHECK_INT(usm__ice_type_preference(USM__ICE_PRFLX), 110);
  CHECK_INT(usm__ice_type_preference(USM__ICE_SRFLX), 100);
  CHECK_INT(usm__ice_type_preference(USM__ICE_RELAY), 0);
  /* host, local pref 65535, component 1: the classic 2130706431 */
  CHECK_INT(usm__ice_priority(126, 65535, 1), 2130706431u);
  CHECK_INT(usm__ice_priority(126, 65535, 2), 2130706430u);
  CHECK_INT(usm__ice_priority(100, 65535, 1), 1694498815u);
  CHECK_INT(usm__ice_priority(0, 0, 256), 0);
  CHECK_INT(usm__ice_priority(200, 70000, 0), usm__ice_priority(126, 65535, 1)); /* clamped */
  CHECK_INT(usm__ice_tcp_local_preference(USM__ICE_HOST, USM__ICE_TCPTYPE_ACTIVE, 8191),
            6 * 8192 + 8191);
  CHECK_INT(usm__ice_tcp_local_preference(USM__ICE_HOST, USM__ICE_TCPTYPE_PASSIVE, 0), 4 * 8192);
  CHECK_INT(usm__ice_tcp_local_preference(USM__ICE_SRFLX, USM__ICE_TCPTYPE_SO, 99999),
            6 * 8192 + 8191);
  /* pair priority: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D) */
  CHECK(usm__ice_pair_priority(1, 10, 20) == (10ull << 32) + 40 + 0);
  CHECK(usm__ice_pair_priority(0, 10, 20) == (10ull << 32) + 40 + 1);
  CHECK(usm__ice_pair_priority(1, 20, 10) == (10ull << 32) + 40 + 1);
  CHECK(usm__ice_pair_priority(1, 7, 7) == (7ull << 32) + 14);
  CHECK(usm__ice_pair_priority(1, 0xFFFFFFFFu, 0xFFFFFFFFu) ==
        (0xFFFFFFFFull << 32) + 2 * 0xFFFFFFFFull);
  /* both agents compute the same number for the same pair */
  CHECK(usm__ice_pair_priority(1, 123456, 654321) == usm__ice_pair_priority(0, 654321, 123456));
}

static void test_foundation(void) {
  usm__stun_addr base = {USM__STUN_FAMILY_IPV4, 1000, {192, 168, 1, 2}};
  usm__stun_addr base_other_port = {USM__STUN_FAMILY_IPV4, 2000, {192, 168, 1, 2}};
  usm__stun_addr base2 = {USM__STUN_FAMILY_IPV4, 1000, {192, 168, 1, 3}};
  usm__stun_addr stun1 = {USM__STUN_FAMILY_IPV4, 3478, {198, 51, 100, 1}};
  usm__stun_addr stun2 = {USM__STUN_FAMILY_IPV4, 3478, {198, 51, 100, 2}};
  char a[9], b[9];
  CHECK_INT(usm__ice_foundation(USM__ICE_HOST, &base, NULL, USM__ICE_UDP, a), USM_OK);
  CHECK_INT(strlen(a), 8);
  CHECK_INT(usm__ice_foundation(USM__ICE_HOST, &base_other_port, NULL, USM__ICE_UDP, b), USM_OK);
  CHECK_STR(a, b); /* ports do not matter */
  usm__ice_foundation(USM__ICE_HOST, &base2, NULL, USM__ICE_UDP, b);
  CHECK(strcmp(a, b) != 0);
  usm__ice_foundation(USM__ICE_HOST, &base, NULL, USM__ICE_TCP, b);
  CHECK(strcmp(a, b) != 0);
  usm__ice_foundation(USM__ICE_SRFLX, &base, &stun1, USM__ICE_UDP, a);
  usm__ice_foundation(USM__ICE_SRFLX, &base, &stun2, USM__ICE_UDP, b);
  CHECK(strcmp(a, b) != 0);
  usm__ice_foundation(USM__ICE_RELAY, &base, &stun1, USM__ICE_UDP, b);
  CHECK(strcmp(a, b) != 0);
  /* a foundation is a valid candidate field */
  usm__ice_candidate c;
  char line[128];
  snprintf(line, sizeof line, "%s 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4 rport 9", a);
  CHECK_INT(usm__ice_candidate_parse(line, strlen(line), &c), USM_OK);
  CHECK_INT(usm__ice_foundation(USM__ICE_HOST, NULL, NULL, USM__ICE_UDP, a), USM_ERR_INVALID_ARG);
}

int main(void) {
  test_parse();
  test_reject();
  test_priorities();
  test_foundation();
  return check_done("test_ice_candidate");
}
