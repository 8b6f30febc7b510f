/* SRTP sessions: known answers (RFC 3711 key derivation and AES-CM, checked
 * by an independent computation here and by libsrtp's published vector),
 * round trips for every profile, tamper / replay / truncation / capacity
 * errors, and the once-only libsrtp init under threads. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include "check.h"
#include "media/srtp_session.h"

static const uint8_t master_key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                                       0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
static const uint8_t master_salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                                        0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
/* RTP: V=2, PT 15, seq 0x1234, ts 0xdecafbad, SSRC 0xcafebabe, 16 x 0xab. */
static const uint8_t rtp_plain[28] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
                                      0xba, 0xbe, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                      0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
/* The published libsrtp / RFC 3711 reference packet for that input. */
static const uint8_t srtp_expected[38] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e,
    0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d,
    0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};
/* RTCP sender report header + 16 x 0xab, and its first SRTCP packet (index 1). */
static const uint8_t rtcp_plain[24] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe,
                                       0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                       0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
static const uint8_t srtcp_expected[38] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4,
    0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00,
    0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98};

/* ---- an independent AES-CM / HMAC-SHA1 SRTP computation (RFC 3711) ---- */

static void aes_ctr(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in, uint8_t *out,
                    size_t n) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int len = 0;
  CHECK(c && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv) == 1);
  CHECK(EVP_EncryptUpdate(c, out, &len, in, (int)n) == 1 && (size_t)len == n);
  EVP_CIPHER_CTX_free(c);
}

/* RFC 3711 4.3.1 with key_derivation_rate 0: x = (label << 48) XOR salt. */
static void kdf(uint8_t label, uint8_t *out, size_t n) {
  uint8_t iv[16] = {0}, zero[64] = {0};
  memcpy(iv, master_salt, 14);
  iv[7] ^= label;
  aes_ctr(master_key, iv, zero, out, n);
}

/* RTP with ROC 0: AES-CM over the payload, HMAC-SHA1-80 over packet || ROC. */
static size_t oracle_srtp(const uint8_t *plain, size_t len, uint8_t *out) {
  uint8_t ck[16], cs[14], ak[20], iv[16] = {0};
  kdf(0, ck, 16);
  kdf(1, ak, 20);
  kdf(2, cs, 14);
  memcpy(iv, cs, 14);
  for (int i = 0; i < 4; i++) iv[4 + i] ^= plain[8 + i]; /* SSRC */
  iv[12] ^= plain[2];                                    /* index = seq (ROC 0) */
  iv[13] ^= plain[3];
  memcpy(out, plain, 12);
  aes_ctr(ck, iv, plain + 12, out + 12, len - 12);
  uint8_t mac_in[64], mac[20];
  unsigned mlen = 0;
  memcpy(mac_in, out, len);
  memset(mac_in + len, 0, 4); /* ROC */
  HMAC(EVP_sha1(), ak, 20, mac_in, len + 4, mac, &mlen);
  memcpy(out + len, mac, 10);
  return len + 10;
}

static void test_kdf_rfc3711_b3(void) {
  /* RFC 3711 B.3: the session keys of the master key and salt above. */
  static const uint8_t want_ck[16] = {0xc6, 0x1e, 0x7a, 0x93, 0x74, 0x4f, 0x39, 0xee,
                                      0x10, 0x73, 0x4a, 0xfe, 0x3f, 0xf7, 0xa0, 0x87};
  static const uint8_t want_cs[14] = {0x30, 0xcb, 0xbc, 0x08, 0x86, 0x3d, 0x8c,
                                      0x85, 0xd4, 0x9d, 0xb3, 0x4a, 0x9a, 0xe1};
  uint8_t ck[16], cs[14];
  kdf(0, ck, 16);
  kdf(2, cs, 14);
  CHECK(memcmp(ck, want_ck, 16) == 0);
  CHECK(memcmp(cs, want_cs, 14) == 0);
}

static void test_known_answer(void) {
  usm__srtp_session *out = NULL, *in = NULL;
  CHECK_INT(usm__srtp_session_create(&out, USM__SRTP_OUTBOUND, USM__SRTP_AES128_CM_SHA1_80,
                                     master_key, 16, master_salt, 14),
            USM_OK);
  CHECK_INT(usm__srtp_session_create(&in, USM__SRTP_INBOUND, USM__SRTP_AES128_CM_SHA1_80,
                                     master_key, 16, master_salt, 14),
            USM_OK);
  uint8_t oracle[64];
  CHECK_INT(oracle_srtp(rtp_plain, sizeof rtp_plain, oracle), 38);
  CHECK(memcmp(oracle, srtp_expected, 38) == 0);

  uint8_t buf[38];
  size_t n = 0;
  memcpy(buf, rtp_plain, sizeof rtp_plain);
  CHECK_INT(usm__srtp_protect_rtp(out, buf, sizeof rtp_plain, sizeof buf, &n), USM_OK);
  CHECK_INT(n, 38);
  CHECK(memcmp(buf, srtp_expected, 38) == 0);
  CHECK_INT(usm__srtp_unprotect_rtp(in, buf, n, &n), USM_OK);
  CHECK_INT(n, sizeof rtp_plain);
  CHECK(memcmp(buf, rtp_plain, n) == 0);

  memcpy(buf, rtcp_plain, sizeof rtcp_plain);
  CHECK_INT(usm__srtp_protect_rtcp(out, buf, sizeof rtcp_plain, sizeof buf, &n), USM_OK);
  CHECK_INT(n, 38);
  CHECK(memcmp(buf, srtcp_expected, 38) == 0);
  CHECK_INT(usm__srtp_unprotect_rtcp(in, buf, n, &n), USM_OK);
  CHECK_INT(n, sizeof rtcp_plain);
  CHECK(memcmp(buf, rtcp_plain, n) == 0);
  usm__srtp_session_destroy(out);
  usm__srtp_session_destroy(in);
}

/* Our wrapper and libsrtp called directly agree byte for byte. */
static void test_same_as_libsrtp(usm__srtp_profile profile) {
  size_t kl, sl;
  CHECK_INT(usm__srtp_profile_lengths(profile, &kl, &sl), USM_OK);
  uint8_t master[30];
  CHECK(RAND_bytes(master, (int)(kl + sl)) == 1);
  usm__srtp_session *ours = NULL;
  CHECK_INT(usm__srtp_session_create(&ours, USM__SRTP_OUTBOUND, profile, master, kl, master + kl, sl),
            USM_OK);
  srtp_policy_t pol;
  memset(&pol, 0, sizeof pol);
  if (profile == USM__SRTP_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
  } else {
    if (profile == USM__SRTP_AES128_CM_SHA1_32) srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
    else srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
  }
  pol.ssrc.type = ssrc_specific;
  pol.ssrc.value = 0xcafebabe;
  pol.key = master;
  pol.window_size = 128;
  srtp_t raw = NULL;
  CHECK_INT(srtp_create(&raw, &pol), srtp_err_status_ok);
  for (int i = 0; i < 3; i++) {
    uint8_t a[64], b[64];
    memcpy(a, rtp_plain, sizeof rtp_plain);
    a[3] = (uint8_t)(0x34 + i);
    memcpy(b, a, sizeof rtp_plain);
    size_t n = 0;
    int m = (int)sizeof rtp_plain;
    CHECK_INT(usm__srtp_protect_rtp(ours, a, sizeof rtp_plain, sizeof a, &n), USM_OK);
    CHECK_INT(srtp_protect(raw, b, &m), srtp_err_status_ok);
    CHECK_INT(n, m);
    CHECK(memcmp(a, b, n) == 0);
    CHECK_INT(n - sizeof rtp_plain, usm__srtp_trailer_len(ours, 0));
    memcpy(a, rtcp_plain, sizeof rtcp_plain);
    memcpy(b, rtcp_plain, sizeof rtcp_plain);
    m = (int)sizeof rtcp_plain;
    CHECK_INT(usm__srtp_protect_rtcp(ours, a, sizeof rtcp_plain, sizeof a, &n), USM_OK);
    CHECK_INT(srtp_protect_rtcp(raw, b, &m), srtp_err_status_ok);
    CHECK_INT(n, m);
    CHECK(memcmp(a, b, n) == 0);
    CHECK_INT(n - sizeof rtcp_plain, usm__srtp_trailer_len(ours, 1));
  }
  srtp_dealloc(raw);
  usm__srtp_session_destroy(ours);
}

static void make_pair(usm__srtp_profile profile, usm__srtp_session **out, usm__srtp_session **in) {
  size_t kl, sl;
  uint8_t key[16], salt[14];
  CHECK_INT(usm__srtp_profile_lengths(profile, &kl, &sl), USM_OK);
  CHECK(RAND_bytes(key, sizeof key) == 1 && RAND_bytes(salt, sizeof salt) == 1);
  CHECK_INT(usm__srtp_session_create(out, USM__SRTP_OUTBOUND, profile, key, kl, salt, sl), USM_OK);
  CHECK_INT(usm__srtp_session_create(in, USM__SRTP_INBOUND, profile, key, kl, salt, sl), USM_OK);
}

static size_t make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t payload) {
  buf[0] = 0x80;
  buf[1] = 96;
  buf[2] = (uint8_t)(seq >> 8);
  buf[3] = (uint8_t)seq;
  memset(buf + 4, 0x11, 4);
  buf[8] = (uint8_t)(ssrc >> 24);
  buf[9] = (uint8_t)(ssrc >> 16);
  buf[10] = (uint8_t)(ssrc >> 8);
  buf[11] = (uint8_t)ssrc;
  for (size_t i = 0; i < payload; i++) buf[12 + i] = (uint8_t)(i * 7 + seq);
  return 12 + payload;
}

static void test_profile(usm__srtp_profile profile) {
  usm__srtp_session *out = NULL, *in = NULL;
  make_pair(profile, &out, &in);
  size_t rtp_tr = usm__srtp_trailer_len(out, 0), rtcp_tr = usm__srtp_trailer_len(out, 1);
  CHECK(rtp_tr <= USM__SRTP_MAX_TRAILER && rtcp_tr <= USM__SRTP_MAX_TRAILER);

  uint8_t buf[1200 + 64], plain[1200], saved[1300];
  size_t n = 0, m = 0;
  for (uint16_t seq = 100; seq < 110; seq++) {
    size_t len = make_rtp(buf, seq, 0x1234, 160 + seq);
    memcpy(plain, buf, len);
    memset(buf + len, 0xee, sizeof buf - len); /* canary past the trailer */
    CHECK_INT(usm__srtp_protect_rtp(out, buf, len, len + rtp_tr, &n), USM_OK);
    CHECK_INT(n, len + rtp_tr);
    CHECK(buf[n] == 0xee && buf[n + 1] == 0xee);
    CHECK(memcmp(buf + 12, plain + 12, 16) != 0); /* encrypted */
    memcpy(saved, buf, n);
    CHECK_INT(usm__srtp_unprotect_rtp(in, buf, n, &m), USM_OK);
    CHECK_INT(m, len);
    CHECK(memcmp(buf, plain, len) == 0);
    /* The same packet again: a replay. */
    CHECK_INT(usm__srtp_unprotect_rtp(in, saved, n, &m), USM_ERR_REPLAY);
  }
  /* Tampered payload and tag. */
  size_t len = make_rtp(buf, 200, 0x1234, 50);
  CHECK_INT(usm__srtp_protect_rtp(out, buf, len, sizeof buf, &n), USM_OK);
  memcpy(saved, buf, n);
  buf[20] ^= 1;
  CHECK_INT(usm__srtp_unprotect_rtp(in, buf, n, &m), USM_ERR_SRTP);
  memcpy(buf, saved, n);
  buf[n - 1] ^= 0x80;
  CHECK_INT(usm__srtp_unprotect_rtp(in, buf, n, &m), USM_ERR_SRTP);
  /* Truncated: one byte short fails authentication; shorter than header +
   * tag is malformed. The intact packet still passes afterwards. */
  memcpy(buf, saved, n);
  CHECK_INT(usm__srtp_unprotect_rtp(in, buf, n - 1, &m), USM_ERR_SRTP);
  memcpy(buf, saved, n);
  CHECK_INT(usm__srtp_unprotect_rtp(in, buf, 12 + rtp_tr - 1, &m), USM_ERR_MALFORMED);
  CHECK_INT(usm__srtp_unprotect_rtp(in, buf, 5, &m), USM_ERR_MALFORMED);
  CHECK_INT(usm__srtp_unprotect_rtp(in, buf, 0, &m), USM_ERR_MALFORMED);
  memcpy(buf, saved, n);
  CHECK_INT(usm__srtp_unprotect_rtp(in, buf, n, &m), USM_OK);

  /* RTCP both ways: round trip, tamper, replay, truncation. */
  for (int i = 0; i < 3; i++) {
    memcpy(buf, rtcp_plain, sizeof rtcp_plain);
    memset(buf + sizeof rtcp_plain, 0xee, 32);
    CHECK_INT(usm__srtp_protect_rtcp(out, buf, sizeof rtcp_plain, sizeof rtcp_plain + rtcp_tr, &n),
              USM_OK);
    CHECK_INT(n, sizeof rtcp_plain + rtcp_tr);
    CHECK(buf[n] == 0xee);
    memcpy(saved, buf, n);
    CHECK_INT(usm__srtp_unprotect_rtcp(in, buf, n, &m), USM_OK);
    CHECK_INT(m, sizeof rtcp_plain);
    CHECK(memcmp(buf, rtcp_plain, m) == 0);
    memcpy(buf, saved, n);
    CHECK_INT(usm__srtp_unprotect_rtcp(in, buf, n, &m), USM_ERR_REPLAY);
  }
  memcpy(buf, rtcp_plain, sizeof rtcp_plain);
  CHECK_INT(usm__srtp_protect_rtcp(out, buf, sizeof rtcp_plain, sizeof buf, &n), USM_OK);
  memcpy(saved, buf, n);
  buf[10] ^= 4;
  CHECK_INT(usm__srtp_unprotect_rtcp(in, buf, n, &m), USM_ERR_SRTP);
  CHECK_INT(usm__srtp_unprotect_rtcp(in, saved, 8 + rtcp_tr - 1, &m), USM_ERR_MALFORMED);

  /* No room for the trailer: refused, packet untouched. */
  len = make_rtp(buf, 300, 0x1234, 20);
  memcpy(plain, buf, len);
  CHECK_INT(usm__srtp_protect_rtp(out, buf, len, len + rtp_tr - 1, &n), USM_ERR_LIMIT);
  CHECK(memcmp(buf, plain, len) == 0);
  CHECK_INT(usm__srtp_protect_rtp(out, buf, len, len, &n), USM_ERR_LIMIT);
  CHECK_INT(usm__srtp_protect_rtcp(out, buf, 24, 24 + rtcp_tr - 1, &n), USM_ERR_LIMIT);
  CHECK_INT(usm__srtp_protect_rtp(out, buf, len, len - 1, &n), USM_ERR_LIMIT);

  /* Wrong direction. */
  CHECK_INT(usm__srtp_protect_rtp(in, buf, len, sizeof buf, &n), USM_ERR_WRONG_STATE);
  CHECK_INT(usm__srtp_unprotect_rtp(out, buf, len, &n), USM_ERR_WRONG_STATE);
  CHECK_INT(usm__srtp_session_profile(out), profile);
  usm__srtp_session_destroy(out);
  usm__srtp_session_destroy(in);
}

static void test_replay_window(void) {
  usm__srtp_session *out = NULL, *in = NULL;
  make_pair(USM__SRTP_AES128_CM_SHA1_80, &out, &in);
  enum { N = 1300 }; /* more than the 1024-packet window */
  static uint8_t pkts[N][64];
  static size_t lens[N];
  for (int i = 0; i < N; i++) {
    size_t len = make_rtp(pkts[i], (uint16_t)(1000 + i), 0xabcdef01, 20);
    CHECK_INT(usm__srtp_protect_rtp(out, pkts[i], len, sizeof pkts[i], &lens[i]), USM_OK);
  }
  size_t m;
  /* Out of order inside the window is fine; far behind it is "too old". */
  CHECK_INT(usm__srtp_unprotect_rtp(in, pkts[N - 1], lens[N - 1], &m), USM_OK);
  CHECK_INT(usm__srtp_unprotect_rtp(in, pkts[N - 1], lens[N - 1], &m), USM_ERR_REPLAY); /* twice */
  CHECK_INT(usm__srtp_unprotect_rtp(in, pkts[N - 1000], lens[N - 1000], &m), USM_OK);
  CHECK_INT(usm__srtp_unprotect_rtp(in, pkts[10], lens[10], &m), USM_ERR_REPLAY);
  /* A NACK answer protects a recent sequence number again (allow_repeat_tx);
   * one older than the window is refused. */
  uint8_t again[64];
  size_t len = make_rtp(again, (uint16_t)(1000 + N - 500), 0xabcdef01, 20);
  CHECK_INT(usm__srtp_protect_rtp(out, again, len, sizeof again, &m), USM_OK);
  len = make_rtp(again, 1000, 0xabcdef01, 20);
  CHECK_INT(usm__srtp_protect_rtp(out, again, len, sizeof again, &m), USM_ERR_REPLAY);
  /* A second SSRC has its own window. */
  len = make_rtp(again, 1000, 0x55555555, 20);
  CHECK_INT(usm__srtp_protect_rtp(out, again, len, sizeof again, &m), USM_OK);
  CHECK_INT(usm__srtp_unprotect_rtp(in, again, m, &m), USM_OK);
  usm__srtp_session_destroy(out);
  usm__srtp_session_destroy(in);
}

static void test_malformed(void) {
  usm__srtp_session *out = NULL, *in = NULL;
  make_pair(USM__SRTP_AES128_CM_SHA1_80, &out, &in);
  uint8_t buf[128];
  size_t n;
  size_t len = make_rtp(buf, 1, 1, 20);
  buf[0] = 0x40; /* version 1 */
  CHECK_INT(usm__srtp_protect_rtp(out, buf, len, sizeof buf, &n), USM_ERR_MALFORMED);
  CHECK_INT(usm__srtp_unprotect_rtp(in, buf, len, &n), USM_ERR_MALFORMED);
  buf[0] = 0x8f; /* 15 CSRCs = 72 bytes of header in a 32-byte packet */
  CHECK_INT(usm__srtp_protect_rtp(out, buf, len, sizeof buf, &n), USM_ERR_MALFORMED);
  CHECK_INT(usm__srtp_unprotect_rtp(in, buf, len, &n), USM_ERR_MALFORMED);
  buf[0] = 0x90; /* extension of 0xffff words */
  buf[14] = 0xff;
  buf[15] = 0xff;
  CHECK_INT(usm__srtp_protect_rtp(out, buf, len, sizeof buf, &n), USM_ERR_MALFORMED);
  CHECK_INT(usm__srtp_unprotect_rtp(in, buf, len, &n), USM_ERR_MALFORMED);
  CHECK_INT(usm__srtp_protect_rtcp(out, buf, 7, sizeof buf, &n), USM_ERR_MALFORMED);
  CHECK_INT(usm__srtp_protect_rtp(out, NULL, 10, 20, &n), USM_ERR_INVALID_ARG);

  /* Bad creation arguments. */
  usm__srtp_session *s = NULL;
  uint8_t k[16] = {0}, salt[14] = {0};
  CHECK_INT(usm__srtp_session_create(&s, USM__SRTP_INBOUND, USM__SRTP_AES128_CM_SHA1_80, k, 15, salt, 14),
            USM_ERR_INVALID_ARG);
  CHECK_INT(usm__srtp_session_create(&s, USM__SRTP_INBOUND, USM__SRTP_AEAD_AES_128_GCM, k, 16, salt, 14),
            USM_ERR_INVALID_ARG);
  CHECK_INT(usm__srtp_session_create(&s, USM__SRTP_INBOUND, (usm__srtp_profile)3, k, 16, salt, 14),
            USM_ERR_INVALID_ARG);
  CHECK(s == NULL);
  usm__srtp_session_destroy(NULL);
  CHECK(usm__srtp_profile_name((usm__srtp_profile)3) == NULL);
  CHECK_STR(usm__srtp_profile_name(USM__SRTP_AEAD_AES_128_GCM), "AEAD_AES_128_GCM");
  usm__srtp_session_destroy(out);
  usm__srtp_session_destroy(in);
}

/* Sessions made on several threads at once: srtp_init runs exactly once. */
static void *thread_main(void *arg) {
  (void)arg;
  /* No CHECK here: check.h's counters are not thread-safe. */
  static const uint8_t key[16] = {1, 2, 3}, salt[14] = {4, 5, 6};
  for (int i = 0; i < 20; i++) {
    usm__srtp_session *out = NULL, *in = NULL;
    usm__srtp_profile p = i % 2 ? USM__SRTP_AEAD_AES_128_GCM : USM__SRTP_AES128_CM_SHA1_80;
    size_t sl = p == USM__SRTP_AEAD_AES_128_GCM ? 12 : 14;
    if (usm__srtp_session_create(&out, USM__SRTP_OUTBOUND, p, key, 16, salt, sl) != USM_OK ||
        usm__srtp_session_create(&in, USM__SRTP_INBOUND, p, key, 16, salt, sl) != USM_OK)
      return (void *)1;
    uint8_t buf[64];
    size_t len = make_rtp(buf, 7, 9, 10), n, m;
    if (usm__srtp_protect_rtp(out, buf, len, sizeof buf, &n) != USM_OK ||
        usm__srtp_unprotect_rtp(in, buf, n, &m) != USM_OK || m != len)
      return (void *)1;
    usm__srtp_session_destroy(out);
    usm__srtp_session_destroy(in);
  }
  return NULL;
}

static void test_threads(void) {
  pthread_t t[4];
  for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, thread_main, NULL) == 0);
  for (int i = 0; i < 4; i++) {
    void *r = (void *)1;
    CHECK(pthread_join(t[i], &r) == 0);
    CHECK(r == NULL);
  }
}

int main(void) {
  test_threads(); /* first, so the init race is real */
  test_kdf_rfc3711_b3();
  test_known_answer();
  test_same_as_libsrtp(USM__SRTP_AES128_CM_SHA1_80);
  test_same_as_libsrtp(USM__SRTP_AES128_CM_SHA1_32);
  test_same_as_libsrtp(USM__SRTP_AEAD_AES_128_GCM);
  test_profile(USM__SRTP_AES128_CM_SHA1_80);
  test_profile(USM__SRTP_AES128_CM_SHA1_32);
  test_profile(USM__SRTP_AEAD_AES_128_GCM);
  test_replay_window();
  test_malformed();
  return check_done("test_srtp");
}
