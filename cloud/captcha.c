#include "captcha.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

cloud_captcha *cloud_captcha_by_id(const cloud_store *s, const char *id) {
  for (size_t i = 0; id && i < s->captchas.len; i++) {
    cloud_captcha *c = s->captchas.items[i];
    if (strcmp(c->id, id) == 0) return c;
  }
  return NULL;
}

void cloud_captcha_drop(cloud_store *s, const char *id) {
  cloud_captcha *c = cloud_captcha_by_id(s, id);
  if (c && cloud_vec_remove(&s->captchas, c)) free(c);
}

void cloud_captcha_drop_meeting(cloud_store *s, const char *meeting_id) {
  for (size_t i = s->captchas.len; i-- > 0;) {
    cloud_captcha *c = s->captchas.items[i];
    if (strcmp(c->meeting_id, meeting_id) != 0) continue;
    cloud_vec_remove_at(&s->captchas, i);
    free(c);
  }
}

cloud_captcha *cloud_captcha_issue(cloud_store *s, const cloud_meeting *m, cloud_try *t) {
  /* One pending captcha per user and meeting: the old one stops working. */
  if (t->captcha_id[0]) cloud_captcha_drop(s, t->captcha_id);
  t->captcha_id[0] = '\0';
  cloud_captcha *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  do cloud_hex_id(c->id, 16);
  while (cloud_captcha_by_id(s, c->id));
  cloud_digits(c->code, CLOUD_CAPTCHA_DIGITS, 0);
  memcpy(c->user_id, t->user_id, sizeof c->user_id);
  memcpy(c->meeting_id, m->id, sizeof c->meeting_id);
  if (cloud_vec_push(&s->captchas, c) != 0) {
    free(c);
    return NULL;
  }
  memcpy(t->captcha_id, c->id, sizeof t->captcha_id);
  return c;
}

int cloud_captcha_matches(const cloud_captcha *c, const char *code) {
  if (!code || strlen(code) != CLOUD_CAPTCHA_DIGITS) return 0;
  return CRYPTO_memcmp(c->code, code, CLOUD_CAPTCHA_DIGITS) == 0;
}
