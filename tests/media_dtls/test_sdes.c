/* SDES a=crypto: generate/parse round trips for every suite, the RFC 4568
 * example key, lifetimes, every refusal (bad base64, wrong length, MKI,
 * unknown suite, several keys, session parameters), keyed sessions that
 * talk to each other, and random input that must never crash. */
#include <stdint.h>
#include <string.h>

#include <openssl/rand.h>

#include "check.h"
#include "media/sdes.h"

#define RFC_KEY "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"

static usm_err parse(const char *s, usm__sdes_crypto *c, const char **why) {
  return usm__sdes_parse(s, strlen(s), c, why);
}

static void test_round_trip(usm__srtp_profile profile, const char *name) {
  usm__sdes_crypto local, remote;
  char attr[USM__SDES_MAX_VALUE];
  CHECK_INT(usm__sdes_generate(1, profile, &local, attr, sizeof attr), USM_OK);
  char prefix[64];
  snprintf(prefix, sizeof prefix, "1 %s inline:", name);
  CHECK(strncmp(attr, prefix, strlen(prefix)) == 0);
  CHECK_INT(strlen(attr), strlen(prefix) + 40);
  const char *why = "unset";
  CHECK_INT(parse(attr, &remote, &why), USM_OK);
  CHECK(why == NULL);
  CHECK_INT(remote.tag, 1);
  CHECK_INT(remote.profile, profile);
  CHECK_INT(remote.key_len, local.key_len);
  CHECK_INT(remote.salt_len, local.salt_len);
  CHECK(memcmp(remote.key, local.key, local.key_len) == 0);
  CHECK(memcmp(remote.salt, local.salt, local.salt_len) == 0);
  CHECK_INT(remote.lifetime, 0);

  /* Two generations differ (fresh randomness). */
  usm__sdes_crypto other;
  char attr2[USM__SDES_MAX_VALUE];
  CHECK_INT(usm__sdes_generate(1, profile, &other, attr2, sizeof attr2), USM_OK);
  CHECK(strcmp(attr, attr2) != 0);

  /* Our outbound session and the peer's inbound one from the parsed value. */
  usm__srtp_session *out = NULL, *in = NULL;
  CHECK_INT(usm__sdes_session(&local, USM__SRTP_OUTBOUND, &out), USM_OK);
  CHECK_INT(usm__sdes_session(&remote, USM__SRTP_INBOUND, &in), USM_OK);
  uint8_t pkt[64] = {0x80, 0x00, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 42, 'h', 'e', 'l', 'l', 'o'};
  size_t n = 0, m = 0;
  CHECK_INT(usm__srtp_protect_rtp(out, pkt, 17, sizeof pkt, &n), USM_OK);
  CHECK_INT(usm__srtp_unprotect_rtp(in, pkt, n, &m), USM_OK);
  CHECK_INT(m, 17);
  CHECK(memcmp(pkt + 12, "hello", 5) == 0);
  usm__srtp_session_destroy(out);
  usm__srtp_session_destroy(in);
  usm__sdes_clear(&local);
  usm__sdes_clear(&other);
  usm__sdes_clear(&remote);
}

static void test_rfc_example(void) {
  static const uint8_t want[30] = {0x3d, 0x2d, 0x6e, 0x40, 0x25, 0x5e, 0x78, 0x21, 0x42, 0x6a,
                                   0x75, 0x66, 0x72, 0x39, 0x29, 0x3f, 0x2c, 0x23, 0x35, 0x68,
                                   0x5c, 0x60, 0x3d, 0x26, 0x5d, 0x7b, 0x71, 0x69, 0x50, 0x51};
  usm__sdes_crypto c;
  const char *why;
  CHECK_INT(parse("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|2^20", &c, &why), USM_OK);
  CHECK_INT(c.tag, 1);
  CHECK_INT(c.profile, USM__SRTP_AES128_CM_SHA1_80);
  CHECK(memcmp(c.key, want, 16) == 0);
  CHECK(memcmp(c.salt, want + 16, 14) == 0);
  CHECK_INT(c.lifetime, 1u << 20);
  CHECK_INT(parse("42\tAES_CM_128_HMAC_SHA1_32  inline:" RFC_KEY "|1048576\r\n", &c, &why), USM_OK);
  CHECK_INT(c.tag, 42);
  CHECK_INT(c.profile, USM__SRTP_AES128_CM_SHA1_32);
  CHECK_INT(c.lifetime, 1048576);
  CHECK_INT(parse("7 AES_CM_128_HMAC_SHA1_80 INLINE:" RFC_KEY, &c, &why), USM_OK);
  CHECK_INT(parse("999999999 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|2^48", &c, &why), USM_OK);
  CHECK_INT(c.tag, 999999999);
  /* GCM: 28 bytes, padded or not. */
  CHECK_INT(parse("3 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==", &c, &why),
            USM_OK);
  CHECK_INT(c.key_len, 16);
  CHECK_INT(c.salt_len, 12);
  CHECK(c.key[15] == 15 && c.salt[0] == 16 && c.salt[11] == 27);
  CHECK_INT(parse("3 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw", &c, &why), USM_OK);
  CHECK(c.salt[11] == 27);
}

static void expect(const char *s, usm_err want) {
  usm__sdes_crypto c;
  memset(&c, 0x5a, sizeof c);
  const char *why = NULL;
  usm_err e = parse(s, &c, &why);
  CHECK_INT(e, want);
  if (e != want) fprintf(stderr, "  input: %s\n", s);
  if (want != USM_OK) {
    CHECK(why != NULL && why[0] != '\0');
    CHECK(c.key[0] == 0 && c.key_len == 0); /* nothing half-parsed is left */
  }
}

static void test_errors(void) {
  const char *why = NULL;
  usm__sdes_crypto c;
  /* Syntax and key errors: malformed. */
  expect("", USM_ERR_MALFORMED);
  expect("   ", USM_ERR_MALFORMED);
  expect("x AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY, USM_ERR_MALFORMED);
  expect("1234567890 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY, USM_ERR_MALFORMED);
  expect("-1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY, USM_ERR_MALFORMED);
  expect("1", USM_ERR_MALFORMED);
  expect("1 AES_CM_128_HMAC_SHA1_80", USM_ERR_MALFORMED);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:", USM_ERR_MALFORMED);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!", USM_ERR_MALFORMED);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB", USM_ERR_MALFORMED);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "AAAA", USM_ERR_MALFORMED);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaV==", USM_ERR_MALFORMED);
  /* A GCM-sized key under an AES-CM suite and the other way round. */
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==", USM_ERR_MALFORMED);
  expect("1 AEAD_AES_128_GCM inline:" RFC_KEY, USM_ERR_MALFORMED);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|", USM_ERR_MALFORMED);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|0", USM_ERR_MALFORMED);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|2^", USM_ERR_MALFORMED);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|2^x", USM_ERR_MALFORMED);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|2^20|2^20", USM_ERR_MALFORMED);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|2^20|2^20|2^20", USM_ERR_MALFORMED);
  /* Well-formed but unsupported: refused as SDP. */
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|2^20|1:32", USM_ERR_SDP);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|1:4", USM_ERR_SDP);
  expect("1 F8_128_HMAC_SHA1_80 inline:" RFC_KEY, USM_ERR_SDP);
  expect("1 AES_256_CM_HMAC_SHA1_80 inline:" RFC_KEY, USM_ERR_SDP);
  expect("1 aes_cm_128_hmac_sha1_80 inline:" RFC_KEY, USM_ERR_SDP);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY ";inline:" RFC_KEY, USM_ERR_SDP);
  expect("1 AES_CM_128_HMAC_SHA1_80 uri:https://example.invalid/k", USM_ERR_SDP);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY " UNENCRYPTED_SRTP", USM_ERR_SDP);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY " KDR=1", USM_ERR_SDP);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|2^49", USM_ERR_SDP);
  expect("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|281474976710657", USM_ERR_SDP);
  CHECK_INT(parse("1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|1:4", &c, &why), USM_ERR_SDP);
  CHECK_STR(why, "MKI is not supported");
  CHECK_INT(parse("1 NULL_HMAC_SHA1_80 inline:" RFC_KEY, &c, &why), USM_ERR_SDP);
  CHECK_STR(why, "unsupported crypto suite");
  /* An embedded NUL and overlong input. */
  char nul[] = "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY;
  nul[5] = '\0';
  CHECK_INT(usm__sdes_parse(nul, sizeof nul - 1, &c, &why), USM_ERR_MALFORMED);
  char big[USM__SDES_MAX_VALUE + 10];
  memset(big, ' ', sizeof big);
  CHECK_INT(usm__sdes_parse(big, sizeof big, &c, &why), USM_ERR_MALFORMED);
  CHECK_INT(usm__sdes_parse(NULL, 0, &c, &why), USM_ERR_INVALID_ARG);

  /* Generation bounds. */
  char small[20];
  CHECK_INT(usm__sdes_generate(1, USM__SRTP_AES128_CM_SHA1_80, &c, small, sizeof small), USM_ERR_LIMIT);
  CHECK_STR(small, "");
  char attr[USM__SDES_MAX_VALUE];
  CHECK_INT(usm__sdes_generate(1, (usm__srtp_profile)9, &c, attr, sizeof attr), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__sdes_generate(USM__SDES_MAX_TAG + 1, USM__SRTP_AES128_CM_SHA1_80, &c, attr, sizeof attr),
            USM_ERR_INVALID_ARG);
}

/* Random and mutated input: any result, but no crash (run under ASan). */
static void test_random(void) {
  static const char base[] = "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC_KEY "|2^20";
  char buf[USM__SDES_MAX_VALUE];
  usm__sdes_crypto c;
  const char *why;
  for (int i = 0; i < 20000; i++) {
    uint8_t r[4];
    CHECK(RAND_bytes(r, sizeof r) == 1);
    size_t len = sizeof base - 1;
    memcpy(buf, base, len);
    buf[r[0] % len] = (char)r[1];
    if (r[2] & 1) len = r[3] % (len + 1);
    usm_err e = usm__sdes_parse(buf, len, &c, &why);
    CHECK(e == USM_OK || e == USM_ERR_MALFORMED || e == USM_ERR_SDP);
  }
}

int main(void) {
  test_round_trip(USM__SRTP_AES128_CM_SHA1_80, "AES_CM_128_HMAC_SHA1_80");
  test_round_trip(USM__SRTP_AES128_CM_SHA1_32, "AES_CM_128_HMAC_SHA1_32");
  test_round_trip(USM__SRTP_AEAD_AES_128_GCM, "AEAD_AES_128_GCM");
  test_rfc_example();
  test_errors();
  test_random();
  return check_done("test_sdes");
}
