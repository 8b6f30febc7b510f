/* Self-signed ECDSA P-256 certificates for DTLS-SRTP, and SDP fingerprints. */
#include "media/dtls_cert.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#define VALID_FROM_S (-24L * 3600)      /* tolerate a peer whose clock is behind */
#define VALID_FOR_S (30L * 24 * 3600)   /* a certificate lives as long as its client */

static usm_err fail(char *why, size_t why_cap, const char *what) {
  if (why && why_cap) {
    unsigned long e = ERR_peek_last_error();
    char reason[160] = "";
    if (e) ERR_error_string_n(e, reason, sizeof reason);
    snprintf(why, why_cap, "%s%s%s", what, e ? ": " : "", reason);
  }
  ERR_clear_error();
  return USM_ERR_DTLS;
}

usm_err usm__dtls_cert_generate(usm__dtls_cert *cert, char *why, size_t why_cap) {
  if (!cert) return USM_ERR_INVALID_ARG;
  memset(cert, 0, sizeof *cert);
  ERR_clear_error();
  cert->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  if (!cert->key) return fail(why, why_cap, "P-256 key generation failed");

  X509 *x = X509_new();
  cert->x509 = x;
  uint8_t rnd[8];
  char cn[2 * sizeof rnd + 1];
  BIGNUM *serial = NULL;
  if (!x || RAND_bytes(rnd, sizeof rnd) != 1) goto err;
  rnd[0] &= 0x7f; /* a positive serial */
  serial = BN_bin2bn(rnd, sizeof rnd, NULL);
  for (size_t i = 0; i < sizeof rnd; i++) snprintf(cn + 2 * i, 3, "%02x", rnd[i]);
  X509_NAME *name = X509_get_subject_name(x);
  if (!serial || !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) ||
      X509_set_version(x, 2) != 1 ||
      !X509_gmtime_adj(X509_getm_notBefore(x), VALID_FROM_S) ||
      !X509_gmtime_adj(X509_getm_notAfter(x), VALID_FOR_S) ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, cert->key) != 1 ||
      X509_sign(x, cert->key, EVP_sha256()) <= 0)
    goto err;
  BN_free(serial);
  return usm__fingerprint_format(x, EVP_sha256(), cert->fingerprint, sizeof cert->fingerprint);
err:
  BN_free(serial);
  usm__dtls_cert_clear(cert);
  return fail(why, why_cap, "certificate generation failed");
}

void usm__dtls_cert_clear(usm__dtls_cert *cert) {
  if (!cert) return;
  X509_free(cert->x509);
  EVP_PKEY_free(cert->key);
  memset(cert, 0, sizeof *cert);
}

const EVP_MD *usm__fingerprint_md(const char *alg) {
  if (!alg) return NULL;
  if (strcasecmp(alg, "sha-256") == 0) return EVP_sha256();
  if (strcasecmp(alg, "sha-384") == 0) return EVP_sha384();
  if (strcasecmp(alg, "sha-512") == 0) return EVP_sha512();
  return NULL;
}

usm_err usm__fingerprint_format(X509 *x, const EVP_MD *md, char *out, size_t cap) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (!x || !md || !out) return USM_ERR_INVALID_ARG;
  if (X509_digest(x, md, d, &n) != 1) return USM_ERR_INTERNAL;
  if (cap < (size_t)n * 3) return USM_ERR_LIMIT;
  static const char hex[] = "0123456789ABCDEF";
  for (unsigned i = 0; i < n; i++) {
    out[3 * i] = hex[d[i] >> 4];
    out[3 * i + 1] = hex[d[i] & 15];
    out[3 * i + 2] = i + 1 < n ? ':' : '\0';
  }
  return USM_OK;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

usm_err usm__fingerprint_parse(const char *text, uint8_t *raw, size_t want) {
  if (!text || !raw || want == 0) return USM_ERR_INVALID_ARG;
  if (strlen(text) != want * 3 - 1) return USM_ERR_SDP;
  for (size_t i = 0; i < want; i++) {
    int hi = hexval(text[3 * i]), lo = hexval(text[3 * i + 1]);
    if (hi < 0 || lo < 0 || (i + 1 < want && text[3 * i + 2] != ':')) return USM_ERR_SDP;
    raw[i] = (uint8_t)(hi << 4 | lo);
  }
  return USM_OK;
}
