/* Hydra id decoding and encoding, and the UUID rule the classifier uses. */
#include "core/hydra.h"

#include <string.h>

/* Decoded ids are at most 3/4 of the encoded bound. */
#define PLAIN_MAX ((size_t)USM__HYDRA_MAX / 4 * 3)

static const char PREFIX[] = "ciscospark://";

/* Value of a base64 digit in either alphabet, or -1. */
static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-' || c == '+') return 62;
  if (c == '_' || c == '/') return 63;
  return -1;
}

/* Decodes into @p plain (PLAIN_MAX bytes); returns the length or -1. */
static int b64_decode(const char *s, size_t n, unsigned char *plain) {
  if (n == 0 || n > USM__HYDRA_MAX) return -1;
  /* Padding is optional; the SDK never writes it but its tests use it. */
  for (int pad = 0; pad < 2 && n > 0 && s[n - 1] == '='; pad++) n--;
  if (n == 0 || n % 4 == 1) return -1; /* a lone sextet holds no byte */
  size_t out = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_value((unsigned char)s[i]);
    if (v < 0) return -1;
    acc = (acc << 6 | (unsigned)v) & 0xffffu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      plain[out++] = (unsigned char)(acc >> bits);
    }
  }
  return (int)out; /* leftover low bits are ignored, as base64 decoders do */
}

/* A kept part: printable ASCII that fits in @p cap bytes with its NUL. */
static int part_ok(const unsigned char *src, size_t n, size_t cap) {
  if (n >= cap) return 0;
  for (size_t i = 0; i < n; i++)
    if (src[i] < 0x21 || src[i] > 0x7e) return 0;
  return 1;
}

static void copy_part(char *dst, const unsigned char *src, size_t n) {
  memcpy(dst, src, n);
  dst[n] = '\0';
}

int usm__hydra_decode(const char *s, size_t n, usm__hydra_id *out) {
  unsigned char plain[PLAIN_MAX];
  if (!s || !out) return -1;
  int len = b64_decode(s, n, plain);
  if (len < 0) return -1;
  /* Find the last two slashes and the one before them (or the start). */
  size_t slash[2];
  int found = 0;
  size_t i = (size_t)len;
  while (i > 0 && found < 2) {
    i--;
    if (plain[i] == '/') slash[found++] = i;
  }
  if (found < 2) return -1;
  size_t start = slash[1];
  while (start > 0 && plain[start - 1] != '/') start--;
  const unsigned char *cluster = plain + start, *type = plain + slash[1] + 1,
                      *id = plain + slash[0] + 1;
  size_t cluster_n = slash[1] - start, type_n = slash[0] - slash[1] - 1,
         id_n = (size_t)len - slash[0] - 1;
  if (!part_ok(cluster, cluster_n, sizeof out->cluster) ||
      !part_ok(type, type_n, sizeof out->type) || !part_ok(id, id_n, sizeof out->id))
    return -1;
  copy_part(out->cluster, cluster, cluster_n);
  copy_part(out->type, type, type_n);
  copy_part(out->id, id, id_n);
  return 0;
}

/* strlen that gives up past @p max (returns max + 1 then). */
static size_t bounded_len(const char *s, size_t max) {
  size_t n = 0;
  while (n <= max && s[n]) n++;
  return n;
}

int usm__hydra_encode(const char *cluster, const char *type, const char *id, char *buf,
                      size_t cap) {
  static const char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  if (!cluster || !type || !id || !buf) return -1;
  unsigned char plain[PLAIN_MAX];
  size_t n = 0;
  const char *parts[] = {PREFIX, cluster, "/", type, "/", id};
  for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
    size_t k = bounded_len(parts[p], PLAIN_MAX);
    if (k > PLAIN_MAX - n) return -1;
    memcpy(plain + n, parts[p], k);
    n += k;
  }
  size_t enc = (n * 4 + 2) / 3;
  if (enc > USM__HYDRA_MAX || enc >= cap) return -1;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)plain[i] << 16;
    if (i + 1 < n) v |= (unsigned)plain[i + 1] << 8;
    if (i + 2 < n) v |= plain[i + 2];
    size_t digits = n - i >= 3 ? 4 : n - i + 1; /* no padding */
    for (size_t d = 0; d < digits; d++) buf[o++] = alphabet[(v >> (18 - 6 * d)) & 63];
  }
  buf[o] = '\0';
  return (int)o;
}

static int is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int usm__uuid_valid(const char *s, size_t n) {
  if (!s || n != 36) return 0;
  for (size_t i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return 0;
    } else if (!is_hex(s[i])) {
      return 0;
    }
  }
  if (s[14] < '1' || s[14] > '5') return 0;
  return strchr("89abAB", s[19]) != NULL;
}
