/* SDES a=crypto attribute values (RFC 4568): generate ours, parse the peer's,
 * and key SRTP sessions from them. Base64 and randomness come from OpenSSL. */
#include "media/sdes.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* RFC 3711 limits a master key to 2^48 SRTP packets. */
#define MAX_LIFETIME_LOG2 48
/* key || salt is 30 bytes (or 28 for GCM): 40 base64 characters. */
#define MAX_B64 40

static const struct {
  const char *name;
  usm__srtp_profile profile;
} suites[] = {
    {"AES_CM_128_HMAC_SHA1_80", USM__SRTP_AES128_CM_SHA1_80},
    {"AES_CM_128_HMAC_SHA1_32", USM__SRTP_AES128_CM_SHA1_32},
    {"AEAD_AES_128_GCM", USM__SRTP_AEAD_AES_128_GCM},
};

void usm__sdes_clear(usm__sdes_crypto *c) {
  if (c) OPENSSL_cleanse(c, sizeof *c);
}

usm_err usm__sdes_generate(unsigned tag, usm__srtp_profile profile, usm__sdes_crypto *local,
                           char *out, size_t cap) {
  size_t klen, slen;
  if (!local || !out || tag > USM__SDES_MAX_TAG ||
      usm__srtp_profile_lengths(profile, &klen, &slen) != USM_OK)
    return USM_ERR_INVALID_ARG;
  memset(local, 0, sizeof *local);
  uint8_t raw[USM__SRTP_MAX_KEY_LEN + USM__SRTP_MAX_SALT_LEN];
  if (RAND_bytes(raw, (int)(klen + slen)) != 1) return USM_ERR_INTERNAL;
  unsigned char b64[MAX_B64 + 1]; /* EVP_EncodeBlock NUL-terminates */
  EVP_EncodeBlock(b64, raw, (int)(klen + slen));
  int n = snprintf(out, cap, "%u %s inline:%s", tag, usm__srtp_profile_name(profile), (char *)b64);
  usm_err e = USM_OK;
  if (n < 0 || (size_t)n >= cap) {
    if (cap) out[0] = '\0';
    e = USM_ERR_LIMIT;
  } else {
    local->tag = tag;
    local->profile = profile;
    memcpy(local->key, raw, klen);
    local->key_len = klen;
    memcpy(local->salt, raw + klen, slen);
    local->salt_len = slen;
  }
  OPENSSL_cleanse(raw, sizeof raw);
  OPENSSL_cleanse(b64, sizeof b64);
  return e;
}

/* ---- parsing ---- */

typedef struct cursor {
  const char *p, *end;
} cursor;

static int is_wsp(char c) {
  return c == ' ' || c == '\t';
}

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int is_b64(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/';
}

/* The next WSP-delimited token; 0 if none. */
static int next_token(cursor *c, const char **tok, size_t *len) {
  while (c->p < c->end && is_wsp(*c->p)) c->p++;
  const char *start = c->p;
  while (c->p < c->end && !is_wsp(*c->p)) c->p++;
  *tok = start;
  *len = (size_t)(c->p - start);
  return *len > 0;
}

static int token_is(const char *tok, size_t len, const char *lit) {
  return strlen(lit) == len && memcmp(tok, lit, len) == 0;
}

static int ci_prefix(const char *tok, size_t len, const char *lit) {
  size_t n = strlen(lit);
  if (len < n) return 0;
  for (size_t i = 0; i < n; i++) {
    char a = tok[i];
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (a != lit[i]) return 0;
  }
  return 1;
}

/* 1*digits digits as an unsigned value, at most max_digits, no overflow. */
static int parse_uint(const char *s, size_t len, size_t max_digits, uint64_t *v) {
  if (len == 0 || len > max_digits) return 0;
  uint64_t r = 0;
  for (size_t i = 0; i < len; i++) {
    if (!is_digit(s[i])) return 0;
    r = r * 10 + (uint64_t)(s[i] - '0');
  }
  *v = r;
  return 1;
}

#define FAIL(code, text)      \
  do {                        \
    if (why) *why = (text);   \
    usm__sdes_clear(out);     \
    return (code);            \
  } while (0)

/* Decode exactly @p want bytes of base64, padded or not. */
static int decode_key(const char *s, size_t len, uint8_t *raw, size_t want) {
  size_t pad = (3 - want % 3) % 3, full = (want + 2) / 3 * 4;
  size_t data = full - pad;
  if (len != full && len != data) return 0;
  for (size_t i = 0; i < data; i++)
    if (!is_b64(s[i])) return 0;
  for (size_t i = data; i < len; i++)
    if (s[i] != '=') return 0;
  unsigned char in[MAX_B64 + 1], dec[MAX_B64];
  if (full > MAX_B64) return 0;
  memcpy(in, s, data);
  memset(in + data, '=', pad);
  in[full] = '\0';
  int n = EVP_DecodeBlock(dec, in, (int)full); /* counts the pad bytes too */
  int ok = n == (int)(want + pad);
  if (ok) memcpy(raw, dec, want);
  OPENSSL_cleanse(in, sizeof in);
  OPENSSL_cleanse(dec, sizeof dec);
  return ok;
}

static int parse_lifetime(const char *s, size_t len, uint64_t *v, int *too_big) {
  uint64_t n;
  *too_big = 0;
  if (len > 2 && s[0] == '2' && s[1] == '^') {
    if (!parse_uint(s + 2, len - 2, 3, &n)) return 0;
    if (n > MAX_LIFETIME_LOG2) {
      *too_big = 1;
      return 1;
    }
    *v = (uint64_t)1 << n;
    return 1;
  }
  if (!parse_uint(s, len, 19, &n) || n == 0) return 0;
  if (n > ((uint64_t)1 << MAX_LIFETIME_LOG2)) *too_big = 1;
  *v = n;
  return 1;
}

usm_err usm__sdes_parse(const char *value, size_t len, usm__sdes_crypto *out, const char **why) {
  if (why) *why = NULL;
  if (!value || !out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (len > USM__SDES_MAX_VALUE) FAIL(USM_ERR_MALFORMED, "crypto attribute too long");
  while (len > 0 && (value[len - 1] == '\r' || value[len - 1] == '\n')) len--;
  if (memchr(value, '\0', len)) FAIL(USM_ERR_MALFORMED, "NUL in crypto attribute");

  cursor c = {value, value + len};
  const char *tok;
  size_t tlen;
  uint64_t tag;
  if (!next_token(&c, &tok, &tlen) || !parse_uint(tok, tlen, 9, &tag))
    FAIL(USM_ERR_MALFORMED, "crypto tag is not 1 to 9 digits");
  out->tag = (unsigned)tag;

  if (!next_token(&c, &tok, &tlen)) FAIL(USM_ERR_MALFORMED, "crypto suite missing");
  size_t i;
  for (i = 0; i < sizeof suites / sizeof suites[0]; i++)
    if (token_is(tok, tlen, suites[i].name)) break;
  if (i == sizeof suites / sizeof suites[0]) FAIL(USM_ERR_SDP, "unsupported crypto suite");
  out->profile = suites[i].profile;
  usm__srtp_profile_lengths(out->profile, &out->key_len, &out->salt_len);

  if (!next_token(&c, &tok, &tlen)) FAIL(USM_ERR_MALFORMED, "key parameters missing");
  if (memchr(tok, ';', tlen)) FAIL(USM_ERR_SDP, "several master keys are not supported");
  if (!ci_prefix(tok, tlen, "inline:")) FAIL(USM_ERR_SDP, "key method is not inline");
  tok += 7;
  tlen -= 7;

  /* key-salt ["|" lifetime] ["|" mki ":" length] */
  const char *fields[3];
  size_t flen[3], nf = 0;
  const char *p = tok, *end = tok + tlen;
  while (nf < 3) {
    const char *bar = memchr(p, '|', (size_t)(end - p));
    fields[nf] = p;
    flen[nf] = (size_t)((bar ? bar : end) - p);
    nf++;
    if (!bar) break;
    p = bar + 1;
  }
  if (nf == 3 && fields[2] + flen[2] != end)
    FAIL(USM_ERR_MALFORMED, "too many '|' fields in key parameters");
  for (size_t f = 1; f < nf; f++)
    if (memchr(fields[f], ':', flen[f])) FAIL(USM_ERR_SDP, "MKI is not supported");
  if (nf == 3) FAIL(USM_ERR_MALFORMED, "two lifetimes in key parameters");

  uint8_t raw[USM__SRTP_MAX_KEY_LEN + USM__SRTP_MAX_SALT_LEN];
  if (!decode_key(fields[0], flen[0], raw, out->key_len + out->salt_len)) {
    OPENSSL_cleanse(raw, sizeof raw);
    FAIL(USM_ERR_MALFORMED, "inline key is not base64 of the suite's key and salt length");
  }
  memcpy(out->key, raw, out->key_len);
  memcpy(out->salt, raw + out->key_len, out->salt_len);
  OPENSSL_cleanse(raw, sizeof raw);

  if (nf == 2) {
    int too_big;
    if (!parse_lifetime(fields[1], flen[1], &out->lifetime, &too_big))
      FAIL(USM_ERR_MALFORMED, "bad key lifetime");
    if (too_big) FAIL(USM_ERR_SDP, "key lifetime over 2^48");
  }

  if (next_token(&c, &tok, &tlen)) FAIL(USM_ERR_SDP, "session parameters are not supported");
  return USM_OK;
}

usm_err usm__sdes_session(const usm__sdes_crypto *c, usm__srtp_direction dir,
                          usm__srtp_session **out) {
  if (!c || !out) return USM_ERR_INVALID_ARG;
  return usm__srtp_session_create(out, dir, c->profile, c->key, c->key_len, c->salt, c->salt_len);
}
