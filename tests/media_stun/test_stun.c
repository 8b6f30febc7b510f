/* STUN/TURN codec: the RFC 5769 test vectors, builder round trips, the
 * parser's rejections, RFC 7983 demux, TURN ChannelData and RFC 4571
 * framing. */
#include <openssl/hmac.h>
#include <sys/socket.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "media/packet_demux.h"
#include "media/stun.h"

/* Hex digits (spaces ignored) into out; returns the byte count. */
static size_t unhex(const char *s, uint8_t *out, size_t cap) {
  size_t n = 0;
  int hi = -1;
  for (; *s; s++) {
    int v;
    if (*s >= '0' && *s <= '9')
      v = *s - '0';
    else if (*s >= 'a' && *s <= 'f')
      v = *s - 'a' + 10;
    else
      continue;
    if (hi < 0) {
      hi = v;
    } else {
      if (n < cap) out[n++] = (uint8_t)(hi << 4 | v);
      hi = -1;
    }
  }
  return n;
}

/* RFC 5769 §2.1-2.4, typed in from the RFC (padding in 2.1-2.3 is 0x20). */
static const char rfc_request[] =
    "00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
    "00 24 00 04 6e 00 01 ff"
    "80 29 00 08 93 2f f9 b1 51 26 3b 36"
    "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
    "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
    "80 28 00 04 e5 7a 3b cf";
static const char rfc_ipv4[] =
    "01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 08 00 01 a1 47 e1 12 a6 43"
    "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
    "80 28 00 04 c0 7d 4c 96";
static const char rfc_ipv6[] =
    "01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
    "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
    "80 28 00 04 c8 fb 0b 4c";
static const char rfc_long_term[] =
    "00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e"
    "00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00"
    "00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41"
    "00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00"
    "00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66";

static const char short_pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t rfc_tid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                    0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static int bytes_eq(const uint8_t *p, size_t n, const char *s) {
  return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* Field by field: initialised structs may differ in their padding. */
static int addr_eq(const usm__stun_addr *a, const usm__stun_addr *b) {
  size_t n = a->family == USM__STUN_FAMILY_IPV4 ? 4 : 16;
  return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, n) == 0;
}

static void test_rfc_request(void) {
  uint8_t b[256];
  size_t n = unhex(rfc_request, b, sizeof b);
  usm__stun_msg m;
  CHECK_INT(n, 108);
  CHECK_INT(usm__stun_is_message(b, n), 1);
  CHECK_INT(usm__stun_parse(b, n, &m), USM_OK);
  CHECK_INT(m.method, USM__STUN_BINDING);
  CHECK_INT(m.cls, USM__STUN_REQUEST);
  CHECK(memcmp(m.tid, rfc_tid, 12) == 0);
  CHECK_INT(m.n_attrs, 6);
  CHECK_INT(m.n_unknown, 0);
  const uint8_t *v;
  size_t vl;
  CHECK_INT(usm__stun_get_bytes(&m, USM__STUN_ATTR_SOFTWARE, &v, &vl), USM_OK);
  CHECK(bytes_eq(v, vl, "STUN test client"));
  CHECK_INT(usm__stun_get_bytes(&m, USM__STUN_ATTR_USERNAME, &v, &vl), USM_OK);
  CHECK(bytes_eq(v, vl, "evtj:h6vY"));
  uint32_t prio = 0;
  uint64_t tie = 0;
  CHECK_INT(usm__stun_get_u32(&m, USM__STUN_ATTR_PRIORITY, &prio), USM_OK);
  CHECK_INT(prio, 0x6e0001ffu);
  CHECK_INT(usm__stun_get_u64(&m, USM__STUN_ATTR_ICE_CONTROLLED, &tie), USM_OK);
  CHECK(tie == 0x932ff9b151263b36ull);
  CHECK_INT(usm__stun_get_u64(&m, USM__STUN_ATTR_ICE_CONTROLLING, &tie), USM_ERR_NOT_FOUND);
  CHECK(usm__stun_find(&m, USM__STUN_ATTR_USE_CANDIDATE) == NULL);
  CHECK_INT(usm__stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd)), USM_OK);
  CHECK_INT(usm__stun_check_integrity(&m, (const uint8_t *)"wrong", 5), USM_ERR_UNAUTHORIZED);
  CHECK_INT(usm__stun_check_integrity_sha256(&m, (const uint8_t *)"k", 1), USM_ERR_NOT_FOUND);
  CHECK_INT(usm__stun_check_fingerprint(&m), USM_OK);

  /* a flipped bit in the body breaks both */
  b[30] ^= 1;
  CHECK_INT(usm__stun_parse(b, n, &m), USM_OK);
  CHECK_INT(usm__stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd)),
            USM_ERR_UNAUTHORIZED);
  CHECK_INT(usm__stun_check_fingerprint(&m), USM_ERR_MALFORMED);
  b[30] ^= 1;
  /* a flipped bit in MESSAGE-INTEGRITY itself */
  b[n - 12] ^= 0x80;
  CHECK_INT(usm__stun_parse(b, n, &m), USM_OK);
  CHECK_INT(usm__stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd)),
            USM_ERR_UNAUTHORIZED);
  b[n - 12] ^= 0x80;
  /* a bad FINGERPRINT value only */
  b[n - 1] ^= 1;
  CHECK_INT(usm__stun_parse(b, n, &m), USM_OK);
  CHECK_INT(usm__stun_check_fingerprint(&m), USM_ERR_MALFORMED);
  CHECK_INT(usm__stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd)), USM_OK);
  b[n - 1] ^= 1;

  /* every truncation is refused */
  int all = 1;
  for (size_t k = 0; k < n; k++)
    if (usm__stun_parse(b, k, &m) == USM_OK) all = 0;
  CHECK(all);

  /* the builder writes the same request (with zero padding, so new MAC/CRC) */
  uint8_t out[256];
  usm__stun_builder bl;
  size_t on = 0;
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_REQUEST, rfc_tid);
  usm__stun_add_attr(&bl, USM__STUN_ATTR_SOFTWARE, "STUN test client", 16);
  usm__stun_add_u32(&bl, USM__STUN_ATTR_PRIORITY, 0x6e0001ffu);
  usm__stun_add_u64(&bl, USM__STUN_ATTR_ICE_CONTROLLED, 0x932ff9b151263b36ull);
  usm__stun_add_attr(&bl, USM__STUN_ATTR_USERNAME, "evtj:h6vY", 9);
  usm__stun_add_integrity(&bl, (const uint8_t *)short_pwd, strlen(short_pwd));
  usm__stun_add_fingerprint(&bl);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_OK);
  CHECK_INT(on, n);
  /* same bytes up to USERNAME's padding (bytes 73..75) */
  CHECK(memcmp(out, b, 73) == 0);
  CHECK_INT(usm__stun_parse(out, on, &m), USM_OK);
  CHECK_INT(usm__stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd)), USM_OK);
  CHECK_INT(usm__stun_check_fingerprint(&m), USM_OK);
  /* with the RFC's 0x20 padding patched in, the bytes before MI match */
  out[73] = out[74] = out[75] = 0x20;
  CHECK(memcmp(out, b, 76) == 0);
}

static void test_rfc_responses(void) {
  uint8_t b[256];
  usm__stun_msg m;
  usm__stun_addr a;
  size_t n = unhex(rfc_ipv4, b, sizeof b);
  CHECK_INT(n, 80);
  CHECK_INT(usm__stun_parse(b, n, &m), USM_OK);
  CHECK_INT(m.cls, USM__STUN_SUCCESS);
  CHECK_INT(m.method, USM__STUN_BINDING);
  const uint8_t *v;
  size_t vl;
  CHECK_INT(usm__stun_get_bytes(&m, USM__STUN_ATTR_SOFTWARE, &v, &vl), USM_OK);
  CHECK(bytes_eq(v, vl, "test vector"));
  CHECK_INT(usm__stun_get_addr(&m, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, &a), USM_OK);
  CHECK_INT(a.family, USM__STUN_FAMILY_IPV4);
  CHECK_INT(a.port, 32853);
  CHECK(memcmp(a.ip, "\xc0\x00\x02\x01", 4) == 0);
  CHECK_INT(usm__stun_get_addr(&m, USM__STUN_ATTR_MAPPED_ADDRESS, &a), USM_ERR_NOT_FOUND);
  CHECK_INT(usm__stun_get_addr(&m, USM__STUN_ATTR_PRIORITY, &a), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd)), USM_OK);
  CHECK_INT(usm__stun_check_fingerprint(&m), USM_OK);

  /* the builder XORs it back to the same attribute bytes */
  uint8_t out[64];
  usm__stun_builder bl;
  usm__stun_addr want = {USM__STUN_FAMILY_IPV4, 32853, {192, 0, 2, 1}};
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_SUCCESS, rfc_tid);
  usm__stun_add_addr(&bl, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, &want);
  size_t on;
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_OK);
  CHECK_INT(on, 32);
  CHECK(memcmp(out + 20, b + 36, 12) == 0);

  n = unhex(rfc_ipv6, b, sizeof b);
  CHECK_INT(n, 92);
  CHECK_INT(usm__stun_parse(b, n, &m), USM_OK);
  CHECK_INT(usm__stun_get_addr(&m, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, &a), USM_OK);
  static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                                  0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  CHECK_INT(a.family, USM__STUN_FAMILY_IPV6);
  CHECK_INT(a.port, 32853);
  CHECK(memcmp(a.ip, ip6, 16) == 0);
  CHECK_INT(usm__stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd)), USM_OK);
  CHECK_INT(usm__stun_check_fingerprint(&m), USM_OK);
  usm__stun_addr want6 = {USM__STUN_FAMILY_IPV6, 32853, {0}};
  memcpy(want6.ip, ip6, 16);
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_SUCCESS, rfc_tid);
  usm__stun_add_addr(&bl, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, &want6);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_OK);
  CHECK(memcmp(out + 20, b + 36, 24) == 0);

  /* sockaddr conversions */
  struct sockaddr_storage ss;
  usm__stun_addr back;
  CHECK_INT(usm__stun_addr_to_sockaddr(&want6, (struct sockaddr *)&ss, sizeof ss), USM_OK);
  CHECK_INT(usm__stun_addr_from_sockaddr((struct sockaddr *)&ss, &back), USM_OK);
  CHECK(addr_eq(&back, &want6));
  CHECK_INT(usm__stun_addr_to_sockaddr(&want, (struct sockaddr *)&ss, sizeof ss), USM_OK);
  CHECK_INT(usm__stun_addr_from_sockaddr((struct sockaddr *)&ss, &back), USM_OK);
  CHECK(addr_eq(&back, &want));
  CHECK_INT(usm__stun_addr_to_sockaddr(&want6, (struct sockaddr *)&ss, 8), USM_ERR_LIMIT);
}

static void test_rfc_long_term(void) {
  uint8_t b[256];
  usm__stun_msg m;
  size_t n = unhex(rfc_long_term, b, sizeof b);
  CHECK_INT(n, 116);
  CHECK_INT(usm__stun_parse(b, n, &m), USM_OK);
  const uint8_t *user, *realm, *nonce;
  size_t ul, rl, nl;
  CHECK_INT(usm__stun_get_bytes(&m, USM__STUN_ATTR_USERNAME, &user, &ul), USM_OK);
  CHECK(bytes_eq(user, ul, "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9"));
  CHECK_INT(usm__stun_get_bytes(&m, USM__STUN_ATTR_REALM, &realm, &rl), USM_OK);
  CHECK(bytes_eq(realm, rl, "example.org"));
  CHECK_INT(usm__stun_get_bytes(&m, USM__STUN_ATTR_NONCE, &nonce, &nl), USM_OK);
  CHECK(bytes_eq(nonce, nl, "f//499k954d6OL34oL9FSTvy64sA"));
  CHECK_INT(usm__stun_check_fingerprint(&m), USM_ERR_NOT_FOUND);
  uint8_t key[16], bad[16];
  /* the password after SASLprep ("TheM\u00aatr\u2168" -> "TheMatrIX") */
  CHECK_INT(usm__stun_long_term_key(user, ul, realm, rl, (const uint8_t *)"TheMatrIX", 9, key), USM_OK);
  CHECK_INT(usm__stun_check_integrity(&m, key, 16), USM_OK);
  CHECK_INT(usm__stun_long_term_key(user, ul, realm, rl, (const uint8_t *)"thematrix", 9, bad), USM_OK);
  CHECK_INT(usm__stun_check_integrity(&m, bad, 16), USM_ERR_UNAUTHORIZED);
  CHECK_INT(usm__stun_check_integrity(&m, NULL, 0), USM_ERR_INVALID_ARG);

  /* zero padding here: the builder reproduces the vector byte for byte */
  uint8_t out[256];
  usm__stun_builder bl;
  size_t on = 0;
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_REQUEST, m.tid);
  usm__stun_add_attr(&bl, USM__STUN_ATTR_USERNAME, user, ul);
  usm__stun_add_attr(&bl, USM__STUN_ATTR_NONCE, nonce, nl);
  usm__stun_add_attr(&bl, USM__STUN_ATTR_REALM, realm, rl);
  usm__stun_add_integrity(&bl, key, 16);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_OK);
  CHECK_INT(on, n);
  CHECK(memcmp(out, b, n) == 0);
}

static void test_types(void) {
  CHECK_INT(usm__stun_type(USM__STUN_BINDING, USM__STUN_REQUEST), 0x0001);
  CHECK_INT(usm__stun_type(USM__STUN_BINDING, USM__STUN_SUCCESS), 0x0101);
  CHECK_INT(usm__stun_type(USM__STUN_BINDING, USM__STUN_ERROR), 0x0111);
  CHECK_INT(usm__stun_type(USM__STUN_BINDING, USM__STUN_INDICATION), 0x0011);
  CHECK_INT(usm__stun_type(USM__STUN_ALLOCATE, USM__STUN_REQUEST), 0x0003);
  CHECK_INT(usm__stun_type(USM__STUN_ALLOCATE, USM__STUN_ERROR), 0x0113);
  CHECK_INT(usm__stun_type(USM__STUN_REFRESH, USM__STUN_SUCCESS), 0x0104);
  CHECK_INT(usm__stun_type(USM__STUN_SEND, USM__STUN_INDICATION), 0x0016);
  CHECK_INT(usm__stun_type(USM__STUN_DATA, USM__STUN_INDICATION), 0x0017);
  CHECK_INT(usm__stun_type(USM__STUN_CREATE_PERMISSION, USM__STUN_REQUEST), 0x0008);
  CHECK_INT(usm__stun_type(USM__STUN_CHANNEL_BIND, USM__STUN_SUCCESS), 0x0109);
  CHECK_INT(usm__stun_type(0xFFF, USM__STUN_ERROR), 0x3FFF);
  int all = 1;
  for (unsigned mth = 0; mth < 0x1000; mth++)
    for (unsigned c = 0; c < 4; c++) {
      uint16_t m2;
      usm__stun_class c2;
      usm__stun_split_type(usm__stun_type((uint16_t)mth, (usm__stun_class)c), &m2, &c2);
      if (m2 != mth || (unsigned)c2 != c) all = 0;
    }
  CHECK(all);
}

static void test_turn_round_trip(void) {
  uint8_t out[512];
  usm__stun_builder bl;
  usm__stun_msg m;
  size_t on;
  uint8_t key[16];
  CHECK_INT(usm__stun_long_term_key((const uint8_t *)"u", 1, (const uint8_t *)"r", 1,
                                    (const uint8_t *)"p", 1, key),
            USM_OK);
  /* Allocate with a fresh transaction id */
  CHECK_INT(usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_ALLOCATE, USM__STUN_REQUEST, NULL),
            USM_OK);
  uint8_t tid[12];
  memcpy(tid, usm__stun_build_tid(&bl), 12);
  usm__stun_add_requested_transport(&bl, USM__STUN_TRANSPORT_UDP);
  usm__stun_add_flag(&bl, USM__STUN_ATTR_DONT_FRAGMENT);
  usm__stun_add_u32(&bl, USM__STUN_ATTR_LIFETIME, 600);
  usm__stun_add_attr(&bl, USM__STUN_ATTR_USERNAME, "u", 1);
  usm__stun_add_attr(&bl, USM__STUN_ATTR_REALM, "r", 1);
  usm__stun_add_attr(&bl, USM__STUN_ATTR_NONCE, "nonce", 5);
  usm__stun_add_attr(&bl, USM__STUN_ATTR_SOFTWARE, "libusm", 6);
  usm__stun_add_integrity(&bl, key, 16);
  usm__stun_add_fingerprint(&bl);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_OK);
  CHECK_INT(usm__packet_classify(out, on), USM__PKT_STUN);
  CHECK_INT(usm__stun_parse(out, on, &m), USM_OK);
  CHECK(memcmp(m.tid, tid, 12) == 0);
  CHECK_INT(m.method, USM__STUN_ALLOCATE);
  uint32_t v = 0;
  CHECK_INT(usm__stun_get_u32(&m, USM__STUN_ATTR_REQUESTED_TRANSPORT, &v), USM_OK);
  CHECK_INT(v >> 24, 17);
  CHECK_INT(usm__stun_get_u32(&m, USM__STUN_ATTR_LIFETIME, &v), USM_OK);
  CHECK_INT(v, 600);
  CHECK(usm__stun_find(&m, USM__STUN_ATTR_DONT_FRAGMENT) != NULL);
  CHECK_INT(usm__stun_check_integrity(&m, key, 16), USM_OK);
  CHECK_INT(usm__stun_check_fingerprint(&m), USM_OK);

  /* a second fresh transaction id differs */
  uint8_t out2[64];
  usm__stun_builder b2;
  usm__stun_build_begin(&b2, out2, sizeof out2, USM__STUN_ALLOCATE, USM__STUN_REQUEST, NULL);
  CHECK(memcmp(usm__stun_build_tid(&b2), tid, 12) != 0);

  /* a 401 with ERROR-CODE, UNKNOWN-ATTRIBUTES */
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_ALLOCATE, USM__STUN_ERROR, tid);
  usm__stun_add_error(&bl, 401, "Unauthorized");
  uint16_t unk[2] = {0x0031, 0x0042};
  usm__stun_add_unknown_list(&bl, unk, 2);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_OK);
  CHECK_INT(usm__stun_parse(out, on, &m), USM_OK);
  CHECK_INT(m.cls, USM__STUN_ERROR);
  int code = 0;
  const uint8_t *reason;
  size_t rlen;
  CHECK_INT(usm__stun_get_error(&m, &code, &reason, &rlen), USM_OK);
  CHECK_INT(code, 401);
  CHECK(bytes_eq(reason, rlen, "Unauthorized"));
  uint16_t got[4];
  size_t ng = 0;
  CHECK_INT(usm__stun_get_unknown_list(&m, got, 4, &ng), USM_OK);
  CHECK_INT(ng, 2);
  CHECK_INT(got[1], 0x0042);
  CHECK_INT(usm__stun_check_integrity(&m, key, 16), USM_ERR_NOT_FOUND);

  /* CreatePermission with two XOR-PEER-ADDRESS (repeats allowed there) */
  usm__stun_addr p1 = {USM__STUN_FAMILY_IPV4, 5000, {10, 0, 0, 1}};
  usm__stun_addr p2 = {USM__STUN_FAMILY_IPV4, 5001, {10, 0, 0, 2}};
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_CREATE_PERMISSION, USM__STUN_REQUEST, tid);
  usm__stun_add_addr(&bl, USM__STUN_ATTR_XOR_PEER_ADDRESS, &p1);
  usm__stun_add_addr(&bl, USM__STUN_ATTR_XOR_PEER_ADDRESS, &p2);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_OK);
  CHECK_INT(usm__stun_parse(out, on, &m), USM_OK);
  CHECK_INT(m.n_attrs, 2);
  usm__stun_addr a;
  CHECK_INT(usm__stun_attr_addr(&m, &m.attrs[1], &a), USM_OK);
  CHECK(addr_eq(&a, &p2));

  /* ChannelBind and a Send indication with DATA */
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_CHANNEL_BIND, USM__STUN_REQUEST, tid);
  usm__stun_add_channel(&bl, 0x4001);
  usm__stun_add_addr(&bl, USM__STUN_ATTR_XOR_PEER_ADDRESS, &p1);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_OK);
  CHECK_INT(usm__stun_parse(out, on, &m), USM_OK);
  uint16_t ch = 0;
  CHECK_INT(usm__stun_get_channel(&m, &ch), USM_OK);
  CHECK_INT(ch, 0x4001);
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_SEND, USM__STUN_INDICATION, tid);
  usm__stun_add_addr(&bl, USM__STUN_ATTR_XOR_PEER_ADDRESS, &p1);
  usm__stun_add_attr(&bl, USM__STUN_ATTR_DATA, "hello", 5);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_OK);
  CHECK_INT(usm__stun_parse(out, on, &m), USM_OK);
  const uint8_t *d;
  size_t dl;
  CHECK_INT(usm__stun_get_bytes(&m, USM__STUN_ATTR_DATA, &d, &dl), USM_OK);
  CHECK(bytes_eq(d, dl, "hello"));
  CHECK_INT(m.cls, USM__STUN_INDICATION);
  CHECK_INT(m.method, USM__STUN_SEND);
  /* ICE: USE-CANDIDATE, ICE-CONTROLLING */
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_REQUEST, tid);
  usm__stun_add_flag(&bl, USM__STUN_ATTR_USE_CANDIDATE);
  usm__stun_add_u64(&bl, USM__STUN_ATTR_ICE_CONTROLLING, 42);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_OK);
  CHECK_INT(usm__stun_parse(out, on, &m), USM_OK);
  uint64_t tb = 0;
  CHECK_INT(usm__stun_get_u64(&m, USM__STUN_ATTR_ICE_CONTROLLING, &tb), USM_OK);
  CHECK(tb == 42);
  CHECK(usm__stun_find(&m, USM__STUN_ATTR_USE_CANDIDATE) != NULL);
}

static void test_builder_errors(void) {
  uint8_t out[64];
  usm__stun_builder bl;
  size_t on = 0;
  /* too small for the header */
  CHECK_INT(usm__stun_build_begin(&bl, out, 19, USM__STUN_BINDING, USM__STUN_REQUEST, NULL),
            USM_ERR_LIMIT);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_ERR_LIMIT);
  /* capacity: the error sticks */
  usm__stun_build_begin(&bl, out, 32, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  CHECK_INT(usm__stun_add_attr(&bl, USM__STUN_ATTR_SOFTWARE, "12345678", 8), USM_OK);
  CHECK_INT(usm__stun_add_attr(&bl, USM__STUN_ATTR_SOFTWARE, "x", 1), USM_ERR_LIMIT);
  CHECK_INT(usm__stun_add_u32(&bl, USM__STUN_ATTR_PRIORITY, 1), USM_ERR_LIMIT);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_ERR_LIMIT);
  /* MI then FINGERPRINT; nothing after them */
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  CHECK_INT(usm__stun_add_integrity(&bl, (const uint8_t *)"k", 1), USM_OK);
  CHECK_INT(usm__stun_add_u32(&bl, USM__STUN_ATTR_PRIORITY, 1), USM_ERR_WRONG_STATE);
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  CHECK_INT(usm__stun_add_fingerprint(&bl), USM_OK);
  CHECK_INT(usm__stun_add_integrity(&bl, (const uint8_t *)"k", 1), USM_ERR_WRONG_STATE);
  /* the integrity types only through their functions; values checked */
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  CHECK_INT(usm__stun_add_attr(&bl, USM__STUN_ATTR_FINGERPRINT, "abcd", 4), USM_ERR_INVALID_ARG);
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  CHECK_INT(usm__stun_add_attr(&bl, USM__STUN_ATTR_PRIORITY, "abc", 3), USM_ERR_INVALID_ARG);
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  CHECK_INT(usm__stun_add_error(&bl, 200, "OK"), USM_ERR_INVALID_ARG);
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  CHECK_INT(usm__stun_add_channel(&bl, 0x3FFF), USM_ERR_INVALID_ARG);
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  usm__stun_addr bad = {7, 1, {0}};
  CHECK_INT(usm__stun_add_addr(&bl, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, &bad), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__stun_build_begin(&bl, out, sizeof out, 0x1000, USM__STUN_REQUEST, NULL),
            USM_ERR_INVALID_ARG);
  /* the attribute count bound */
  uint8_t big[1024];
  usm__stun_build_begin(&bl, big, sizeof big, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  for (int i = 0; i < USM__STUN_MAX_ATTRS; i++) usm__stun_add_attr(&bl, 0x8030, "x", 1);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_OK);
  CHECK_INT(usm__stun_add_attr(&bl, 0x8030, "x", 1), USM_ERR_LIMIT);
}

/* ---- hand-made messages for the parser's rejections ---- */

typedef struct raw {
  uint8_t b[USM__STUN_MAX_MSG + 64];
  size_t n;
} raw;

static void raw_begin(raw *r, uint16_t type) {
  memset(r, 0, sizeof *r);
  r->b[0] = (uint8_t)(type >> 8);
  r->b[1] = (uint8_t)type;
  r->b[4] = 0x21, r->b[5] = 0x12, r->b[6] = 0xa4, r->b[7] = 0x42;
  memcpy(r->b + 8, rfc_tid, 12);
  r->n = 20;
}

/* An attribute with declared length @p decl and @p n value bytes + padding. */
static void raw_attr_len(raw *r, uint16_t type, size_t decl, const void *v, size_t n) {
  uint8_t *p = r->b + r->n;
  p[0] = (uint8_t)(type >> 8), p[1] = (uint8_t)type;
  p[2] = (uint8_t)(decl >> 8), p[3] = (uint8_t)decl;
  if (n) memcpy(p + 4, v, n);
  r->n += 4 + ((n + 3) & ~(size_t)3);
  size_t l = r->n - 20;
  r->b[2] = (uint8_t)(l >> 8), r->b[3] = (uint8_t)l;
}

static void raw_attr(raw *r, uint16_t type, const void *v, size_t n) { raw_attr_len(r, type, n, v, n); }

static usm_err raw_parse(raw *r, usm__stun_msg *m) { return usm__stun_parse(r->b, r->n, m); }

static void test_parse_rejects(void) {
  static raw r;
  usm__stun_msg m;
  uint8_t b[256];
  size_t n = unhex(rfc_request, b, sizeof b);

  /* bad cookie, top bits, length field */
  b[4] ^= 1;
  CHECK_INT(usm__stun_parse(b, n, &m), USM_ERR_MALFORMED);
  CHECK_INT(usm__stun_is_message(b, n), 0);
  b[4] ^= 1;
  b[0] |= 0x40;
  CHECK_INT(usm__stun_parse(b, n, &m), USM_ERR_MALFORMED);
  b[0] &= 0x3F;
  b[3] ^= 2; /* not a multiple of 4 */
  CHECK_INT(usm__stun_parse(b, n, &m), USM_ERR_MALFORMED);
  b[3] ^= 2;
  b[3] ^= 4; /* shorter than the datagram */
  CHECK_INT(usm__stun_parse(b, n, &m), USM_ERR_MALFORMED);
  b[3] ^= 4;
  CHECK_INT(usm__stun_parse(b, n + 4, &m), USM_ERR_MALFORMED); /* datagram longer */
  CHECK_INT(usm__stun_parse(NULL, 0, &m), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__stun_check_integrity(&m, (const uint8_t *)"k", 1), USM_ERR_INVALID_ARG);

  /* attribute length past the end, and into the padding of the message end */
  raw_begin(&r, 0x0001);
  raw_attr_len(&r, USM__STUN_ATTR_SOFTWARE, 9, "abcdefgh", 8); /* 9 + padding = 12 > 8 */
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  raw_begin(&r, 0x0001);
  raw_attr_len(&r, USM__STUN_ATTR_SOFTWARE, 200, "abcd", 4);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  /* bad padding: a 5-byte value whose padding is missing */
  raw_begin(&r, 0x0001);
  raw_attr(&r, USM__STUN_ATTR_SOFTWARE, "abcde", 5);
  r.n -= 4;
  r.b[3] = (uint8_t)(r.n - 20);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  /* padding bytes may hold anything (RFC 5769 uses spaces) */
  raw_begin(&r, 0x0001);
  raw_attr(&r, USM__STUN_ATTR_SOFTWARE, "abcdeXYZ", 8);
  r.b[23] = 5;
  CHECK_INT(raw_parse(&r, &m), USM_OK);

  /* duplicates */
  raw_begin(&r, 0x0001);
  raw_attr(&r, USM__STUN_ATTR_SOFTWARE, "a", 1);
  raw_attr(&r, USM__STUN_ATTR_SOFTWARE, "b", 1);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  raw_begin(&r, 0x0001);
  raw_attr(&r, USM__STUN_ATTR_PRIORITY, "abcd", 4);
  raw_attr(&r, USM__STUN_ATTR_PRIORITY, "abcd", 4);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  raw_begin(&r, 0x0001); /* unknown optional duplicates are fine */
  raw_attr(&r, 0x8055, "a", 1);
  raw_attr(&r, 0x8055, "a", 1);
  CHECK_INT(raw_parse(&r, &m), USM_OK);
  CHECK_INT(m.n_unknown, 0);

  /* unknown comprehension-required attributes are reported */
  raw_begin(&r, 0x0001);
  raw_attr(&r, 0x0031, "a", 1);
  raw_attr(&r, 0x7777, NULL, 0);
  CHECK_INT(raw_parse(&r, &m), USM_OK);
  CHECK_INT(m.n_unknown, 2);
  CHECK_INT(m.unknown[0], 0x0031);
  CHECK_INT(m.unknown[1], 0x7777);

  /* wrong formats of known attributes */
  static const uint8_t fam3[8] = {0, 3, 0, 1, 1, 2, 3, 4};
  static const uint8_t v4_long[12] = {0, 1, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8};
  static const uint8_t err_cls2[4] = {0, 0, 2, 0}, err_num[4] = {0, 0, 4, 100};
  static const uint8_t chan_low[4] = {0x3F, 0xFF, 0, 0};
  raw_begin(&r, 0x0101);
  raw_attr(&r, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, fam3, 8);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  raw_begin(&r, 0x0101);
  raw_attr(&r, USM__STUN_ATTR_MAPPED_ADDRESS, v4_long, 12);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  raw_begin(&r, 0x0111);
  raw_attr(&r, USM__STUN_ATTR_ERROR_CODE, err_cls2, 4);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  raw_begin(&r, 0x0111);
  raw_attr(&r, USM__STUN_ATTR_ERROR_CODE, err_num, 4);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  raw_begin(&r, 0x0009);
  raw_attr(&r, USM__STUN_ATTR_CHANNEL_NUMBER, chan_low, 4);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  raw_begin(&r, 0x0001);
  raw_attr(&r, USM__STUN_ATTR_MESSAGE_INTEGRITY, "short", 5);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  raw_begin(&r, 0x0001);
  raw_attr(&r, USM__STUN_ATTR_USE_CANDIDATE, "x", 1);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  static uint8_t longname[USM__STUN_MAX_USERNAME + 1];
  memset(longname, 'u', sizeof longname);
  raw_begin(&r, 0x0001);
  raw_attr(&r, USM__STUN_ATTR_USERNAME, longname, sizeof longname);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  raw_begin(&r, 0x0001);
  raw_attr(&r, USM__STUN_ATTR_USERNAME, longname, sizeof longname - 1);
  CHECK_INT(raw_parse(&r, &m), USM_OK);

  /* nothing after FINGERPRINT */
  raw_begin(&r, 0x0001);
  raw_attr(&r, USM__STUN_ATTR_FINGERPRINT, "abcd", 4);
  raw_attr(&r, USM__STUN_ATTR_SOFTWARE, "a", 1);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_MALFORMED);
  /* after MESSAGE-INTEGRITY: ignored, and the MAC still checks */
  uint8_t out[128];
  usm__stun_builder bl;
  size_t on;
  usm__stun_build_begin(&bl, out, sizeof out, USM__STUN_BINDING, USM__STUN_REQUEST, rfc_tid);
  usm__stun_add_u32(&bl, USM__STUN_ATTR_PRIORITY, 7);
  usm__stun_add_integrity(&bl, (const uint8_t *)"key", 3);
  CHECK_INT(usm__stun_build_finish(&bl, &on), USM_OK);
  raw_begin(&r, 0);
  memcpy(r.b, out, on);
  r.n = on;
  raw_attr(&r, USM__STUN_ATTR_PRIORITY, "zzzz", 4); /* a duplicate, but ignored */
  raw_attr(&r, 0x0031, NULL, 0);                    /* unknown, but ignored */
  CHECK_INT(raw_parse(&r, &m), USM_OK);
  CHECK_INT(m.n_attrs, 2);
  CHECK_INT(m.n_unknown, 0);
  CHECK_INT(usm__stun_check_integrity(&m, (const uint8_t *)"key", 3), USM_OK);
  uint32_t pr = 0;
  CHECK_INT(usm__stun_get_u32(&m, USM__STUN_ATTR_PRIORITY, &pr), USM_OK);
  CHECK_INT(pr, 7);

  /* MESSAGE-INTEGRITY-SHA256 after MESSAGE-INTEGRITY, then FINGERPRINT */
  raw_begin(&r, 0);
  memcpy(r.b, out, on);
  r.n = on;
  uint8_t mac[32];
  unsigned ml = 0;
  {
    uint8_t tmp[128];
    memcpy(tmp, r.b, r.n);
    size_t l = r.n + 4 + 32 - 20;
    tmp[2] = (uint8_t)(l >> 8), tmp[3] = (uint8_t)l;
    HMAC(EVP_sha256(), "key", 3, tmp, r.n, mac, &ml);
  }
  raw_attr(&r, USM__STUN_ATTR_MESSAGE_INTEGRITY_SHA256, mac, 32);
  CHECK_INT(raw_parse(&r, &m), USM_OK);
  CHECK_INT(usm__stun_check_integrity_sha256(&m, (const uint8_t *)"key", 3), USM_OK);
  CHECK_INT(usm__stun_check_integrity_sha256(&m, (const uint8_t *)"kez", 3), USM_ERR_UNAUTHORIZED);
  /* the SHA1 MAC covers less than the header now says: still right */
  CHECK_INT(usm__stun_check_integrity(&m, (const uint8_t *)"key", 3), USM_OK);

  /* oversize, and too many attributes */
  raw_begin(&r, 0x0001);
  while (r.n <= USM__STUN_MAX_MSG) raw_attr(&r, USM__STUN_ATTR_DATA, longname, 508);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_LIMIT);
  raw_begin(&r, 0x0001);
  for (int i = 0; i <= USM__STUN_MAX_ATTRS; i++) raw_attr(&r, 0x8030, NULL, 0);
  CHECK_INT(raw_parse(&r, &m), USM_ERR_LIMIT);
  raw_begin(&r, 0x0001);
  for (int i = 0; i < USM__STUN_MAX_ATTRS; i++) raw_attr(&r, 0x8030, NULL, 0);
  CHECK_INT(raw_parse(&r, &m), USM_OK);
}

static void test_demux(void) {
  uint8_t p[2] = {0, 0};
  CHECK_INT(usm__packet_classify(p, 0), USM__PKT_UNKNOWN);
  CHECK_INT(usm__packet_classify(NULL, 5), USM__PKT_UNKNOWN);
  int ok = 1;
  for (int b = 0; b < 256; b++) {
    p[0] = (uint8_t)b;
    p[1] = 0x60; /* RTP PT 96 */
    usm__pkt_kind k = usm__packet_classify(p, 2), want;
    if (b <= 3)
      want = USM__PKT_STUN;
    else if (b >= 16 && b <= 19)
      want = USM__PKT_ZRTP;
    else if (b >= 20 && b <= 63)
      want = USM__PKT_DTLS;
    else if (b >= 64 && b <= 79)
      want = USM__PKT_CHANNEL_DATA;
    else if (b >= 128 && b <= 191)
      want = USM__PKT_RTP;
    else
      want = USM__PKT_UNKNOWN;
    if (k != want) ok = 0;
  }
  CHECK(ok);
  p[0] = 0x80;
  for (int s = 0; s < 256; s++) {
    p[1] = (uint8_t)s;
    usm__pkt_kind k = usm__packet_classify(p, 2);
    if (k != (s >= 192 && s <= 223 ? USM__PKT_RTCP : USM__PKT_RTP)) ok = 0;
  }
  CHECK(ok);
  p[1] = 200; /* SR */
  CHECK_INT(usm__packet_classify(p, 2), USM__PKT_RTCP);
  CHECK_INT(usm__packet_classify(p, 1), USM__PKT_UNKNOWN);
  p[1] = 0xE0; /* marker + PT 96 */
  CHECK_INT(usm__packet_classify(p, 2), USM__PKT_RTP);
}

static void test_channel_data(void) {
  uint8_t out[32];
  size_t on = 0, used = 0, dl = 0;
  uint16_t ch = 0;
  const uint8_t *d;
  CHECK_INT(usm__channel_data_build(out, sizeof out, 0x4001, (const uint8_t *)"hello", 5, 0, &on),
            USM_OK);
  CHECK_INT(on, 9);
  CHECK_INT(usm__packet_classify(out, on), USM__PKT_CHANNEL_DATA);
  CHECK_INT(usm__channel_data_parse(out, on, 0, &ch, &d, &dl, &used), USM_OK);
  CHECK_INT(ch, 0x4001);
  CHECK(bytes_eq(d, dl, "hello"));
  CHECK_INT(used, 9);
  /* UDP: a datagram with padding is fine too; over a stream it is required */
  CHECK_INT(usm__channel_data_parse(out, 12, 0, &ch, &d, &dl, &used), USM_OK);
  CHECK_INT(usm__channel_data_parse(out, 9, 1, &ch, &d, &dl, &used), USM_ERR_MALFORMED);
  CHECK_INT(usm__channel_data_build(out, sizeof out, 0x4FFF, (const uint8_t *)"hello", 5, 1, &on),
            USM_OK);
  CHECK_INT(on, 12);
  CHECK(out[9] == 0 && out[10] == 0 && out[11] == 0);
  CHECK_INT(usm__channel_data_parse(out, on, 1, &ch, &d, &dl, &used), USM_OK);
  CHECK_INT(used, 12);
  CHECK_INT(dl, 5);
  size_t fl = 0;
  CHECK_INT(usm__turn_stream_frame_len(out, on, &fl), USM_OK);
  CHECK_INT(fl, 12);
  CHECK_INT(usm__turn_stream_frame_len(out, 3, &fl), USM_ERR_WRONG_STATE);
  /* short, bad channel, no room */
  CHECK_INT(usm__channel_data_parse(out, 8, 0, &ch, &d, &dl, &used), USM_ERR_MALFORMED);
  CHECK_INT(usm__channel_data_parse(out, 3, 0, &ch, &d, &dl, &used), USM_ERR_MALFORMED);
  out[0] = 0x50;
  CHECK_INT(usm__channel_data_parse(out, on, 0, &ch, &d, &dl, &used), USM_ERR_MALFORMED);
  CHECK_INT(usm__turn_stream_frame_len(out, on, &fl), USM_ERR_MALFORMED);
  CHECK_INT(usm__channel_data_build(out, 8, 0x4000, (const uint8_t *)"hello", 5, 0, &on),
            USM_ERR_LIMIT);
  CHECK_INT(usm__channel_data_build(out, sizeof out, 0x5000, NULL, 0, 0, &on), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__channel_data_build(out, sizeof out, 0x4000, NULL, 0, 1, &on), USM_OK);
  CHECK_INT(on, 4);
  /* a STUN frame on a TURN TCP stream */
  uint8_t b[256];
  size_t n = unhex(rfc_request, b, sizeof b);
  CHECK_INT(usm__turn_stream_frame_len(b, n, &fl), USM_OK);
  CHECK_INT(fl, n);
  b[2] = 0xFF;
  CHECK_INT(usm__turn_stream_frame_len(b, n, &fl), USM_ERR_LIMIT);
}

static void test_rfc4571(void) {
  static usm__rfc4571_deframer d;
  uint8_t stream[64];
  size_t sn = 0, on = 0;
  CHECK_INT(usm__rfc4571_frame(stream, sizeof stream, (const uint8_t *)"abc", 3, &on), USM_OK);
  sn += on;
  CHECK_INT(usm__rfc4571_frame(stream + sn, sizeof stream - sn, NULL, 0, &on), USM_OK);
  sn += on;
  CHECK_INT(usm__rfc4571_frame(stream + sn, sizeof stream - sn, (const uint8_t *)"hello world", 11, &on),
            USM_OK);
  sn += on;
  CHECK_INT(sn, 5 + 2 + 13);
  CHECK_INT(usm__rfc4571_frame(stream, 4, (const uint8_t *)"abc", 3, &on), USM_ERR_LIMIT);

  /* whole buffer, then byte by byte: the same three frames */
  for (int chunk = 0; chunk < 2; chunk++) {
    usm__rfc4571_init(&d);
    size_t pos = 0, frames = 0;
    int good = 1;
    while (pos < sn) {
      size_t give = chunk ? 1 : sn - pos, used = 0, fl = 0;
      const uint8_t *f;
      if (usm__rfc4571_feed(&d, stream + pos, give, &used, &f, &fl) != USM_OK) good = 0;
      if (used == 0) break;
      pos += used;
      if (f) {
        if (frames == 0 && !bytes_eq(f, fl, "abc")) good = 0;
        if (frames == 1 && fl != 0) good = 0;
        if (frames == 2 && !bytes_eq(f, fl, "hello world")) good = 0;
        frames++;
      }
    }
    CHECK(good);
    CHECK_INT(pos, sn);
    CHECK_INT(frames, 3);
  }
  /* an over-long frame is refused, and the deframer stays refused */
  usm__rfc4571_init(&d);
  const uint8_t huge[3] = {0xFF, 0xFF, 0};
  size_t used = 0, fl = 0;
  const uint8_t *f;
  CHECK_INT(usm__rfc4571_feed(&d, huge, 3, &used, &f, &fl), USM_ERR_LIMIT);
  CHECK_INT(usm__rfc4571_feed(&d, stream, sn, &used, &f, &fl), USM_ERR_LIMIT);
  usm__rfc4571_init(&d);
  CHECK_INT(usm__rfc4571_feed(&d, stream, sn, &used, &f, &fl), USM_OK);
  CHECK_INT(used, 5);
  CHECK(f && bytes_eq(f, fl, "abc"));
}

int main(void) {
  test_rfc_request();
  test_rfc_responses();
  test_rfc_long_term();
  test_types();
  test_turn_round_trip();
  test_builder_errors();
  test_parse_rejects();
  test_demux();
  test_channel_data();
  test_rfc4571();
  return check_done("test_stun");
}
