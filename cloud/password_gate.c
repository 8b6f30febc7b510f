#include "password_gate.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

cloud_try *cloud_gate_try(cloud_meeting *m, const cloud_user *u, int create) {
  for (size_t i = 0; i < m->tries.len; i++) {
    cloud_try *t = m->tries.items[i];
    if (strcmp(t->user_id, u->id) == 0) return t;
  }
  if (!create) return NULL;
  cloud_try *t = calloc(1, sizeof *t);
  if (!t || cloud_vec_push(&m->tries, t) != 0) {
    free(t);
    return NULL;
  }
  memcpy(t->user_id, u->id, sizeof t->user_id);
  return t;
}

static int secret_eq(const char *given, const char *secret) {
  size_t n = strlen(secret);
  return secret[0] && strlen(given) == n && CRYPTO_memcmp(given, secret, n) == 0;
}

static int password_ok(const cloud_meeting *m, const char *given) {
  if (!given || !given[0]) return 0;
  return (m->password && secret_eq(given, m->password)) || secret_eq(given, m->host_key);
}

static void forget(cloud_store *s, cloud_meeting *m, cloud_try *t) {
  if (t->captcha_id[0]) cloud_captcha_drop(s, t->captcha_id);
  cloud_vec_remove(&m->tries, t);
  free(t);
}

static cloud_gate captcha(cloud_store *s, cloud_meeting *m, cloud_try *t,
                          const cloud_captcha **out) {
  *out = cloud_captcha_issue(s, m, t);
  return *out ? CLOUD_GATE_CAPTCHA : CLOUD_GATE_NO_MEMORY;
}

cloud_gate cloud_gate_check(cloud_store *s, cloud_meeting *m, const cloud_user *u,
                            const cloud_gate_input *in, const cloud_captcha **out) {
  *out = NULL;
  if (cloud_meeting_is_trusted(m, u)) return CLOUD_GATE_OPEN;
  cloud_try *t = cloud_gate_try(m, u, 1);
  if (!t) return CLOUD_GATE_NO_MEMORY;
  if (t->captcha_id[0]) {
    const cloud_captcha *c = cloud_captcha_by_id(s, t->captcha_id);
    int solved = c && in->captcha_id && strcmp(in->captcha_id, c->id) == 0 &&
                 cloud_captcha_matches(c, in->captcha_code);
    if (!solved || !password_ok(m, in->password)) return captcha(s, m, t, out);
    forget(s, m, t);
    return CLOUD_GATE_OPEN;
  }
  if (!in->password || !in->password[0]) return CLOUD_GATE_PASSWORD_REQUIRED;
  if (password_ok(m, in->password)) {
    forget(s, m, t);
    return CLOUD_GATE_OPEN;
  }
  t->wrong++;
  if (s->captcha_after > 0 && t->wrong >= s->captcha_after) return captcha(s, m, t, out);
  return CLOUD_GATE_WRONG_PASSWORD;
}
