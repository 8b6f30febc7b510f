#include "ids.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cloud_random(void *buf, size_t n) {
  if (n > 0 && RAND_bytes(buf, (int)n) != 1) {
    fprintf(stderr, "usm-cloud: the random generator failed\n");
    abort();
  }
}

static void format_uuid(unsigned char b[16], int version, char out[CLOUD_UUID_SIZE]) {
  b[6] = (unsigned char)((b[6] & 0x0f) | (version << 4));
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, CLOUD_UUID_SIZE,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
           b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void cloud_uuid(char out[CLOUD_UUID_SIZE]) {
  unsigned char b[16];
  cloud_random(b, sizeof b);
  format_uuid(b, 4, out);
}

void cloud_uuid_from(const char *ns, const char *name, char out[CLOUD_UUID_SIZE]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
      EVP_DigestUpdate(ctx, ns, strlen(ns)) != 1 || EVP_DigestUpdate(ctx, "/", 1) != 1 ||
      EVP_DigestUpdate(ctx, name, strlen(name)) != 1 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 ||
      mdlen < 16) {
    fprintf(stderr, "usm-cloud: SHA-256 failed\n");
    abort();
  }
  EVP_MD_CTX_free(ctx);
  format_uuid(md, 5, out);
}

void cloud_hex_id(char *out, size_t nbytes) {
  static const char hex[] = "0123456789abcdef";
  unsigned char b[64];
  if (nbytes > sizeof b) nbytes = sizeof b;
  cloud_random(b, nbytes);
  for (size_t i = 0; i < nbytes; i++) {
    out[2 * i] = hex[b[i] >> 4];
    out[2 * i + 1] = hex[b[i] & 15];
  }
  out[2 * nbytes] = '\0';
}

/* A uniform value below @p n (n <= 256) without modulo bias. */
static unsigned below(unsigned n) {
  unsigned limit = 256 - 256 % n;
  for (;;) {
    unsigned char c;
    cloud_random(&c, 1);
    if (c < limit) return c % n;
  }
}

void cloud_digits(char *out, size_t n, int no_leading_zero) {
  for (size_t i = 0; i < n; i++)
    out[i] = (char)('0' + (i == 0 && no_leading_zero ? 1 + below(9) : below(10)));
  out[n] = '\0';
}

void cloud_password(char out[9]) {
  static const char *const sets[] = {"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz",
                                     "23456789"};
  for (int i = 0; i < 8; i++) {
    /* The first three positions guarantee one of each class. */
    const char *set = sets[i < 3 ? (unsigned)i : below(3)];
    out[i] = set[below((unsigned)strlen(set))];
  }
  out[8] = '\0';
}
