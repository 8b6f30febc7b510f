/* STUN MESSAGE-INTEGRITY (HMAC-SHA1, and -SHA256 for checking) and
 * FINGERPRINT (RFC 8489 §14.5-14.7, §9.2.2 long-term key). The hashing is
 * OpenSSL's and the CRC-32 is zlib's; this file only decides which bytes
 * they cover. */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>
#include <zlib.h>

#include "media/bytes.h"
#include "media/stun.h"

#define FINGERPRINT_XOR 0x5354554eu


/* HMAC(digest, key) over a (possibly patched) header and the body after it. */
static usm_err hmac2(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *hdr,
                     const uint8_t *body, size_t body_len, uint8_t *out, size_t cap) {
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
  OSSL_PARAM params[2];
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
  params[1] = OSSL_PARAM_construct_end();
  size_t n = 0;
  int ok = ctx && EVP_MAC_init(ctx, key, key_len, params) &&
           EVP_MAC_update(ctx, hdr, USM__STUN_HEADER_LEN) &&
           (body_len == 0 || EVP_MAC_update(ctx, body, body_len)) &&
           EVP_MAC_final(ctx, out, &n, cap);
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return ok ? USM_OK : USM_ERR_INTERNAL;
}

usm_err usm__stun_long_term_key(const uint8_t *username, size_t username_len, const uint8_t *realm,
                                size_t realm_len, const uint8_t *password, size_t password_len,
                                uint8_t key[16]) {
  if ((!username && username_len) || (!realm && realm_len) || (!password && password_len) || !key)
    return USM_ERR_INVALID_ARG;
  if (username_len > USM__STUN_MAX_USERNAME || realm_len > USM__STUN_MAX_TEXT ||
      password_len > USM__STUN_MAX_KEY)
    return USM_ERR_LIMIT;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned n = 0;
  /* EVP_DigestUpdate accepts (NULL, 0) */
  int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
           EVP_DigestUpdate(ctx, username, username_len) && EVP_DigestUpdate(ctx, ":", 1) &&
           EVP_DigestUpdate(ctx, realm, realm_len) && EVP_DigestUpdate(ctx, ":", 1) &&
           EVP_DigestUpdate(ctx, password, password_len) && EVP_DigestFinal_ex(ctx, key, &n) &&
           n == 16;
  EVP_MD_CTX_free(ctx);
  return ok ? USM_OK : USM_ERR_INTERNAL;
}

static int key_ok(const uint8_t *key, size_t key_len) {
  return key && key_len > 0 && key_len <= USM__STUN_MAX_KEY;
}

usm_err usm__stun_add_integrity(usm__stun_builder *b, const uint8_t *key, size_t key_len) {
  if (!b) return USM_ERR_INVALID_ARG;
  if (b->err != USM_OK) return b->err;
  if (!key_ok(key, key_len)) return b->err = USM_ERR_INVALID_ARG;
  if (b->has_mi || b->has_fp) return b->err = USM_ERR_WRONG_STATE;
  size_t start = b->len;
  /* reserving first sets the header length to include MESSAGE-INTEGRITY,
   * which is the length the HMAC must see (RFC 8489 §14.5) */
  uint8_t *v = usm__stun_build_reserve(b, USM__STUN_ATTR_MESSAGE_INTEGRITY, USM__STUN_MI_LEN);
  if (!v) return b->err;
  uint8_t mac[EVP_MAX_MD_SIZE];
  usm_err e = hmac2("SHA1", key, key_len, b->buf, b->buf + USM__STUN_HEADER_LEN,
                    start - USM__STUN_HEADER_LEN, mac, sizeof mac);
  if (e != USM_OK) return b->err = e;
  memcpy(v, mac, USM__STUN_MI_LEN);
  b->has_mi = 1;
  return USM_OK;
}

usm_err usm__stun_add_fingerprint(usm__stun_builder *b) {
  if (!b) return USM_ERR_INVALID_ARG;
  if (b->err != USM_OK) return b->err;
  if (b->has_fp) return b->err = USM_ERR_WRONG_STATE;
  size_t start = b->len;
  uint8_t *v = usm__stun_build_reserve(b, USM__STUN_ATTR_FINGERPRINT, 4);
  if (!v) return b->err;
  uint32_t crc = (uint32_t)crc32(0L, b->buf, (uInt)start) ^ FINGERPRINT_XOR;
  v[0] = (uint8_t)(crc >> 24);
  v[1] = (uint8_t)(crc >> 16);
  v[2] = (uint8_t)(crc >> 8);
  v[3] = (uint8_t)crc;
  b->has_fp = 1;
  return USM_OK;
}

/* Verify the integrity attribute attrs[idx - 1] with HMAC-@p digest: the
 * HMAC covers everything before the attribute, with the header's length
 * patched to end right after it (FINGERPRINT may follow). */
static usm_err check_mac(const usm__stun_msg *m, size_t idx, const char *digest, const uint8_t *key,
                         size_t key_len) {
  if (!m || !m->buf) return USM_ERR_INVALID_ARG;
  if (!idx) return USM_ERR_NOT_FOUND;
  if (!key_ok(key, key_len)) return USM_ERR_INVALID_ARG;
  const usm__stun_attr *a = &m->attrs[idx - 1];
  size_t start = (size_t)a->offset - 4, end = (size_t)a->offset + a->len; /* len % 4 == 0 */
  uint8_t hdr[USM__STUN_HEADER_LEN], mac[EVP_MAX_MD_SIZE];
  memcpy(hdr, m->buf, sizeof hdr);
  hdr[2] = (uint8_t)((end - USM__STUN_HEADER_LEN) >> 8);
  hdr[3] = (uint8_t)(end - USM__STUN_HEADER_LEN);
  usm_err e = hmac2(digest, key, key_len, hdr, m->buf + USM__STUN_HEADER_LEN,
                    start - USM__STUN_HEADER_LEN, mac, sizeof mac);
  if (e != USM_OK) return e;
  /* a->len is 20 for SHA1 and 16..32 (a truncation) for SHA256 */
  return CRYPTO_memcmp(mac, m->buf + a->offset, a->len) == 0 ? USM_OK : USM_ERR_UNAUTHORIZED;
}

usm_err usm__stun_check_integrity(const usm__stun_msg *m, const uint8_t *key, size_t key_len) {
  return check_mac(m, m ? m->mi : 0, "SHA1", key, key_len);
}

usm_err usm__stun_check_integrity_sha256(const usm__stun_msg *m, const uint8_t *key, size_t key_len) {
  return check_mac(m, m ? m->mi256 : 0, "SHA256", key, key_len);
}

usm_err usm__stun_check_fingerprint(const usm__stun_msg *m) {
  if (!m || !m->buf) return USM_ERR_INVALID_ARG;
  if (!m->fp) return USM_ERR_NOT_FOUND;
  /* the parser keeps FINGERPRINT last, so the header length is already right */
  const usm__stun_attr *a = &m->attrs[m->fp - 1];
  size_t start = (size_t)a->offset - 4;
  uint32_t crc = (uint32_t)crc32(0L, m->buf, (uInt)start) ^ FINGERPRINT_XOR;
  return crc == usm__rd32(m->buf + a->offset) ? USM_OK : USM_ERR_MALFORMED;
}
