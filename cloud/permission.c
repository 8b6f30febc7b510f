#include "permission.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "rest/json.h"
#include "timefmt.h"

#define MAX_TOKEN 4096

static int b64url(usm_strbuf *out, const unsigned char *data, size_t len) {
  size_t cap = 4 * ((len + 2) / 3) + 1;
  unsigned char *tmp = malloc(cap);
  if (!tmp) return -1;
  int n = EVP_EncodeBlock(tmp, data, (int)len);
  while (n > 0 && tmp[n - 1] == '=') n--;
  for (int i = 0; i < n; i++) tmp[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
  int rc = usm__strbuf_append(out, tmp, (size_t)n);
  free(tmp);
  return rc;
}

/* Decodes unpadded base64url; returns a malloc'd NUL-terminated buffer. */
static char *b64url_decode(const char *s, size_t n, size_t *out_len) {
  if (n % 4 == 1 || n > MAX_TOKEN) return NULL;
  size_t padded = (n + 3) / 4 * 4;
  unsigned char *in = malloc(padded + 1), *out = malloc(padded / 4 * 3 + 1);
  if (!in || !out) goto fail;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '+' || c == '/' || c == '=') goto fail; /* the URL-safe alphabet only */
    in[i] = (unsigned char)(c == '-' ? '+' : c == '_' ? '/' : c);
  }
  for (size_t i = n; i < padded; i++) in[i] = '=';
  int len = EVP_DecodeBlock(out, in, (int)padded);
  if (len < 0) goto fail;
  len -= (int)(padded - n); /* EVP_DecodeBlock counts the padding as zero bytes */
  free(in);
  out[len] = '\0';
  *out_len = (size_t)len;
  return (char *)out;
fail:
  free(in);
  free(out);
  return NULL;
}

static int sign(const cloud_store *s, const char *data, size_t len, unsigned char mac[32]) {
  unsigned int n = 0;
  return HMAC(EVP_sha256(), s->secret, sizeof s->secret, (const unsigned char *)data, len, mac,
              &n) &&
                 n == 32
             ? 0
             : -1;
}

char *cloud_permission_issue(const cloud_store *s, const cloud_user *u, const cloud_meeting *m) {
  static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  int64_t now = cloud_now_ms();
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "sub", u->id);
  cJSON_AddStringToObject(p, "meetingId", m->id);
  cJSON_AddNumberToObject(p, "iat", (double)now);
  cJSON_AddNumberToObject(p, "exp", (double)(now + CLOUD_PERMISSION_TTL_MS));
  cJSON *policies =
      cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "permission"), "userPolicies");
  static const char *const flags[] = {"supportVoIP", "supportVideo", "supportHDV", "supportHQV"};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
    cJSON_AddBoolToObject(policies, flags[i], 1);
  char *payload = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  usm_strbuf b;
  usm__strbuf_init(&b, MAX_TOKEN);
  unsigned char mac[32];
  int rc = !payload || b64url(&b, (const unsigned char *)header, sizeof header - 1) ||
           usm__strbuf_append(&b, ".", 1) ||
           b64url(&b, (const unsigned char *)payload, strlen(payload)) ||
           sign(s, b.data, b.len, mac) || usm__strbuf_append(&b, ".", 1) ||
           b64url(&b, mac, sizeof mac);
  cJSON_free(payload);
  if (rc) {
    usm__strbuf_free(&b);
    return NULL;
  }
  return b.data;
}

int cloud_permission_valid(const cloud_store *s, const char *token, const cloud_user *u,
                           const cloud_meeting *m) {
  if (!token || strlen(token) > MAX_TOKEN) return 0;
  const char *dot1 = strchr(token, '.');
  const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
  if (!dot2 || strchr(dot2 + 1, '.')) return 0;
  unsigned char mac[32];
  size_t sig_len = 0;
  char *sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &sig_len);
  int ok = sig && sig_len == sizeof mac && sign(s, token, (size_t)(dot2 - token), mac) == 0 &&
           CRYPTO_memcmp(sig, mac, sizeof mac) == 0;
  free(sig);
  if (!ok) return 0;
  size_t plen = 0;
  char *payload = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &plen);
  cJSON *p = payload ? usm__json_parse(payload, plen) : NULL;
  free(payload);
  const char *sub = usm__json_str(p, "sub"), *mid = usm__json_str(p, "meetingId");
  const cJSON *exp = cJSON_GetObjectItemCaseSensitive(p, "exp");
  ok = sub && mid && cJSON_IsNumber(exp) && strcmp(sub, u->id) == 0 && strcmp(mid, m->id) == 0 &&
       exp->valuedouble > (double)cloud_now_ms();
  cJSON_Delete(p);
  return ok;
}
