/* SRTP/SRTCP sessions over libsrtp2 (see srtp_session.h). The only file that
 * includes <srtp2/srtp.h>. */
#include "media/srtp_session.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

/* Packets larger than a UDP payload cannot come from or go to the network. */
#define MAX_PACKET 65535

struct usm__srtp_session {
  srtp_t srtp;
  usm__srtp_profile profile;
  usm__srtp_direction dir;
  size_t rtp_trailer, rtcp_trailer;
};

/* libsrtp keeps one process-wide crypto kernel that srtp_init() sets up and
 * srtp_shutdown() tears down, and neither is thread-safe nor counted. So:
 * - srtp_init() runs exactly once per process, under pthread_once, the first
 *   time any session is created (by any client, on any thread). This is the
 *   one piece of process-wide state here, and it is written only once.
 * - libusm never calls srtp_shutdown(): sessions of other clients (or of the
 *   embedding application, which may use libsrtp too) can exist at any time,
 *   and a shutdown under them frees the cipher and auth type tables they use.
 *   The kernel is a few hundred bytes that the process exit reclaims.
 * An application that itself calls srtp_shutdown() while libusm media
 * sessions exist breaks them; docs/media-dtls-srtp.md says so. */
static pthread_once_t srtp_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t srtp_init_status = srtp_err_status_init_fail;

static void srtp_init_once(void) {
  srtp_init_status = srtp_init();
}

usm_err usm__srtp_profile_lengths(usm__srtp_profile profile, size_t *key_len, size_t *salt_len) {
  size_t k = 16, s;
  switch (profile) {
    case USM__SRTP_AES128_CM_SHA1_80:
    case USM__SRTP_AES128_CM_SHA1_32: s = SRTP_SALT_LEN; break;
    case USM__SRTP_AEAD_AES_128_GCM: s = SRTP_AEAD_SALT_LEN; break;
    default: return USM_ERR_INVALID_ARG;
  }
  if (key_len) *key_len = k;
  if (salt_len) *salt_len = s;
  return USM_OK;
}

const char *usm__srtp_profile_name(usm__srtp_profile profile) {
  switch (profile) {
    case USM__SRTP_AES128_CM_SHA1_80: return "AES_CM_128_HMAC_SHA1_80";
    case USM__SRTP_AES128_CM_SHA1_32: return "AES_CM_128_HMAC_SHA1_32";
    case USM__SRTP_AEAD_AES_128_GCM: return "AEAD_AES_128_GCM";
  }
  return NULL;
}

static usm_err map_status(srtp_err_status_t st) {
  switch (st) {
    case srtp_err_status_ok: return USM_OK;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
    case srtp_err_status_pkt_idx_old: return USM_ERR_REPLAY;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err: return USM_ERR_MALFORMED;
    case srtp_err_status_alloc_fail: return USM_ERR_NO_MEMORY;
    default: return USM_ERR_SRTP; /* auth_fail, cipher_fail, key_expired, ... */
  }
}

usm_err usm__srtp_session_create(usm__srtp_session **out, usm__srtp_direction dir,
                                 usm__srtp_profile profile, const uint8_t *key, size_t key_len,
                                 const uint8_t *salt, size_t salt_len) {
  size_t want_key, want_salt;
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  if (!key || !salt || (dir != USM__SRTP_INBOUND && dir != USM__SRTP_OUTBOUND) ||
      usm__srtp_profile_lengths(profile, &want_key, &want_salt) != USM_OK ||
      key_len != want_key || salt_len != want_salt)
    return USM_ERR_INVALID_ARG;
  if (pthread_once(&srtp_once, srtp_init_once) != 0 || srtp_init_status != srtp_err_status_ok)
    return USM_ERR_SRTP;

  usm__srtp_session *s = calloc(1, sizeof *s);
  if (!s) return USM_ERR_NO_MEMORY;
  s->profile = profile;
  s->dir = dir;

  srtp_policy_t policy;
  memset(&policy, 0, sizeof policy);
  switch (profile) {
    case USM__SRTP_AES128_CM_SHA1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      s->rtp_trailer = 10;
      s->rtcp_trailer = 4 + 10;
      break;
    case USM__SRTP_AES128_CM_SHA1_32:
      /* RFC 5764 4.1.2 and RFC 4568 6.2.1: SRTCP keeps the 80-bit tag. */
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      s->rtp_trailer = 4;
      s->rtcp_trailer = 4 + 10;
      break;
    case USM__SRTP_AEAD_AES_128_GCM:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      s->rtp_trailer = 16;
      s->rtcp_trailer = 16 + 4;
      break;
  }
  /* libsrtp wants key || salt in one buffer; it copies it in srtp_create. */
  uint8_t master[USM__SRTP_MAX_KEY_LEN + USM__SRTP_MAX_SALT_LEN];
  memcpy(master, key, key_len);
  memcpy(master + key_len, salt, salt_len);
  policy.key = master;
  /* Any SSRC: libsrtp clones a stream (own replay window) per SSRC seen. */
  policy.ssrc.type = dir == USM__SRTP_INBOUND ? ssrc_any_inbound : ssrc_any_outbound;
  /* NACK answers may resend up to ~1 s of video (the history's age): a
   * window of 128 packets is 0.36 s at 4 Mbit/s (libsrtp allows 64..32767) */
  policy.window_size = 1024;
  /* NACK answers resend a packet with its own sequence number (RFC 4585
   * without RTX): the same plaintext under the same index, so the same
   * ciphertext; nothing new is revealed. */
  policy.allow_repeat_tx = 1;
  policy.next = NULL;
  srtp_err_status_t st = srtp_create(&s->srtp, &policy);
  OPENSSL_cleanse(master, sizeof master);
  if (st != srtp_err_status_ok) {
    free(s);
    return st == srtp_err_status_alloc_fail ? USM_ERR_NO_MEMORY : USM_ERR_SRTP;
  }
  *out = s;
  return USM_OK;
}

void usm__srtp_session_destroy(usm__srtp_session *s) {
  if (!s) return;
  if (s->srtp) srtp_dealloc(s->srtp); /* libsrtp wipes its key copies */
  free(s);
}

usm__srtp_profile usm__srtp_session_profile(const usm__srtp_session *s) {
  return s->profile;
}

usm__srtp_direction usm__srtp_session_direction(const usm__srtp_session *s) {
  return s->dir;
}

size_t usm__srtp_trailer_len(const usm__srtp_session *s, int rtcp) {
  return s ? (rtcp ? s->rtcp_trailer : s->rtp_trailer) : USM__SRTP_MAX_TRAILER;
}

/* Length of the RTP header (fixed part, CSRCs, extension), or 0 if buf is not
 * an RTP version 2 packet whose header fits in len. libsrtp checks this too;
 * checking here keeps the bound independent of the libsrtp version. */
static size_t rtp_header_len(const uint8_t *buf, size_t len) {
  if (len < USM__SRTP_RTP_HEADER_MIN || (buf[0] >> 6) != 2) return 0;
  size_t h = USM__SRTP_RTP_HEADER_MIN + 4u * (buf[0] & 0x0f);
  if (buf[0] & 0x10) { /* header extension: 4-byte header, then length words */
    if (len < h + 4) return 0;
    h += 4 + 4u * (((size_t)buf[h + 2] << 8) | buf[h + 3]);
  }
  return h <= len ? h : 0;
}

static int rtcp_ok(const uint8_t *buf, size_t len) {
  return len >= USM__SRTCP_HEADER_MIN && (buf[0] >> 6) == 2;
}

static usm_err protect(usm__srtp_session *s, uint8_t *buf, size_t len, size_t cap,
                       size_t *out_len, int rtcp) {
  if (!s || !buf || !out_len) return USM_ERR_INVALID_ARG;
  *out_len = 0;
  if (s->dir != USM__SRTP_OUTBOUND) return USM_ERR_WRONG_STATE;
  if (rtcp ? !rtcp_ok(buf, len) : rtp_header_len(buf, len) == 0) return USM_ERR_MALFORMED;
  size_t trailer = rtcp ? s->rtcp_trailer : s->rtp_trailer;
  if (len > MAX_PACKET || cap < len || cap - len < trailer) return USM_ERR_LIMIT;
  int n = (int)len;
  srtp_err_status_t st = rtcp ? srtp_protect_rtcp(s->srtp, buf, &n) : srtp_protect(s->srtp, buf, &n);
  usm_err e = map_status(st);
  if (e != USM_OK) return e;
  /* Never trust a length past what we allowed for. */
  if (n < (int)len || (size_t)n > len + trailer) return USM_ERR_INTERNAL;
  *out_len = (size_t)n;
  return USM_OK;
}

static usm_err unprotect(usm__srtp_session *s, uint8_t *buf, size_t len, size_t *out_len,
                         int rtcp) {
  if (!s || !buf || !out_len) return USM_ERR_INVALID_ARG;
  *out_len = 0;
  if (s->dir != USM__SRTP_INBOUND) return USM_ERR_WRONG_STATE;
  if (len > MAX_PACKET) return USM_ERR_MALFORMED;
  if (rtcp) {
    if (!rtcp_ok(buf, len) || len < USM__SRTCP_HEADER_MIN + s->rtcp_trailer)
      return USM_ERR_MALFORMED;
  } else {
    size_t h = rtp_header_len(buf, len);
    if (h == 0 || len - h < s->rtp_trailer) return USM_ERR_MALFORMED;
  }
  int n = (int)len;
  srtp_err_status_t st =
      rtcp ? srtp_unprotect_rtcp(s->srtp, buf, &n) : srtp_unprotect(s->srtp, buf, &n);
  usm_err e = map_status(st);
  if (e != USM_OK) return e;
  if (n < 0 || (size_t)n > len) return USM_ERR_INTERNAL;
  *out_len = (size_t)n;
  return USM_OK;
}

usm_err usm__srtp_protect_rtp(usm__srtp_session *s, uint8_t *buf, size_t len, size_t cap,
                              size_t *out_len) {
  return protect(s, buf, len, cap, out_len, 0);
}

usm_err usm__srtp_protect_rtcp(usm__srtp_session *s, uint8_t *buf, size_t len, size_t cap,
                               size_t *out_len) {
  return protect(s, buf, len, cap, out_len, 1);
}

usm_err usm__srtp_unprotect_rtp(usm__srtp_session *s, uint8_t *buf, size_t len, size_t *out_len) {
  return unprotect(s, buf, len, out_len, 0);
}

usm_err usm__srtp_unprotect_rtcp(usm__srtp_session *s, uint8_t *buf, size_t len,
                                 size_t *out_len) {
  return unprotect(s, buf, len, out_len, 1);
}
