/* The DTLS certificate of a client: a self-signed ECDSA P-256 certificate
 * made at run time (WebRTC-style: identity is the fingerprint in the SDP,
 * not a CA), and certificate fingerprints as SDP writes them (RFC 8122). */
#ifndef USM_MEDIA_DTLS_CERT_H
#define USM_MEDIA_DTLS_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <usm/common.h>

/* "AB:CD:..." of a SHA-512 digest, with its NUL. */
#define USM__FINGERPRINT_MAX (EVP_MAX_MD_SIZE * 3)

typedef struct usm__dtls_cert {
  X509 *x509;
  EVP_PKEY *key;
  char fingerprint[USM__FINGERPRINT_MAX]; /* sha-256, "AB:CD:..." */
} usm__dtls_cert;

/* A fresh key pair and certificate valid from a day ago for 30 days, with a
 * random serial and CN. @p why (may be NULL) gets OpenSSL's reason on error. */
usm_err usm__dtls_cert_generate(usm__dtls_cert *cert, char *why, size_t why_cap);
void usm__dtls_cert_clear(usm__dtls_cert *cert);

/* The digest for an SDP hash name ("sha-256", case-insensitive); only
 * sha-256, sha-384 and sha-512 are accepted (no sha-1, md5, sha-224). */
const EVP_MD *usm__fingerprint_md(const char *alg);
/* Digest of @p x with @p md as "AB:CD:..." in out[0..cap). */
usm_err usm__fingerprint_format(X509 *x, const EVP_MD *md, char *out, size_t cap);
/* Parse "AB:CD:..." (either case) of exactly @p want bytes into raw. */
usm_err usm__fingerprint_parse(const char *text, uint8_t *raw, size_t want);

#endif
