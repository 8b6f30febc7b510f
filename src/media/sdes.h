/* SDES keying (RFC 4568): the value of an SDP `a=crypto` attribute, for
 * SIP-style peers that carry SRTP keys in the SDP instead of DTLS.
 *
 *   <tag> <suite> inline:<base64(key || salt)>[|<lifetime>][|<MKI>:<len>]
 *
 * Suites: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32 (RFC 4568) and
 * AEAD_AES_128_GCM (RFC 7714). MKIs, several keys and session parameters are
 * refused: libusm keys each direction with one master key. */
#ifndef USM_MEDIA_SDES_H
#define USM_MEDIA_SDES_H

#include <stddef.h>
#include <stdint.h>

#include "media/srtp_session.h"

/* Longest value we generate or accept: tag, suite, 40 base64 chars, lifetime. */
#define USM__SDES_MAX_VALUE 256
/* Tags are 1*9DIGIT (RFC 4568 9.1). */
#define USM__SDES_MAX_TAG 999999999u

typedef struct usm__sdes_crypto {
  unsigned tag;
  usm__srtp_profile profile;
  uint8_t key[USM__SRTP_MAX_KEY_LEN];
  size_t key_len;
  uint8_t salt[USM__SRTP_MAX_SALT_LEN];
  size_t salt_len;
  /* Key lifetime in packets as given ("2^31" or "1048576"); 0 = not given. */
  uint64_t lifetime;
} usm__sdes_crypto;

/* Fresh random key material (OpenSSL RAND_bytes) for @p profile and its
 * attribute value, "1 AES_CM_128_HMAC_SHA1_80 inline:..." (no "a=crypto:"),
 * NUL-terminated in out[0..cap). @p local receives the keys (for the outbound
 * session). USM_ERR_LIMIT if cap is too small, USM_ERR_INTERNAL if the random
 * generator fails. */
usm_err usm__sdes_generate(unsigned tag, usm__srtp_profile profile, usm__sdes_crypto *local,
                           char *out, size_t cap);

/* Parse a remote attribute value (what follows "a=crypto:", trailing CR/LF
 * ignored). USM_ERR_MALFORMED for bad syntax, bad base64 or a key of the
 * wrong length; USM_ERR_SDP for a well-formed attribute we do not support
 * (unknown suite, MKI, several keys, session parameters, lifetime over 2^48).
 * @p why (may be NULL) receives a static reason on error. */
usm_err usm__sdes_parse(const char *value, size_t len, usm__sdes_crypto *out, const char **why);

/* A session keyed with @p c: inbound for the remote attribute, outbound for
 * our own. */
usm_err usm__sdes_session(const usm__sdes_crypto *c, usm__srtp_direction dir,
                          usm__srtp_session **out);

/* Wipe the key material in @p c. */
void usm__sdes_clear(usm__sdes_crypto *c);

#endif
