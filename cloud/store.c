#include "store.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "captcha.h"
#include "core/strbuf.h"
#include "locus_model.h"
#include "meeting_store.h"
#include "timefmt.h"

void cloud_store_init(cloud_store *s) {
  memset(s, 0, sizeof *s);
  s->captcha_after = 3;
  cloud_uuid_from("org", "usm-cloud local org", s->org_id);
  cloud_random(s->secret, sizeof s->secret);
}

static void user_free(cloud_user *u) {
  free(u->email);
  free(u->name);
  free(u->subject);
  free(u);
}

static void space_free(cloud_space *sp) {
  for (size_t i = 0; i < sp->members.len; i++) free(sp->members.items[i]);
  cloud_vec_free(&sp->members);
  free(sp->title);
  free(sp);
}

void cloud_store_reset(cloud_store *s) {
  for (size_t i = s->meetings.len; i-- > 0;) {
    cloud_meeting *m = s->meetings.items[i];
    if (m->kind != CLOUD_MEETING_PERSONAL_ROOM) {
      cloud_meeting_delete(s, m);
      continue;
    }
    /* A personal room belongs to its user: keep it, forget its sessions. */
    for (size_t k = 0; k < m->tries.len; k++) free(m->tries.items[k]);
    m->tries.len = 0;
    for (size_t k = 0; k < m->live_invitees.len; k++) free(m->live_invitees.items[k]);
    m->live_invitees.len = 0;
    m->ended = 0;
  }
  while (s->loci.len) cloud_locus_free(s, s->loci.items[s->loci.len - 1]);
  while (s->captchas.len) {
    free(s->captchas.items[s->captchas.len - 1]);
    s->captchas.len--;
  }
}

void cloud_store_free(cloud_store *s) {
  cloud_store_reset(s);
  for (size_t i = 0; i < s->meetings.len; i++) cloud_meeting_free(s->meetings.items[i]);
  for (size_t i = 0; i < s->users.len; i++) user_free(s->users.items[i]);
  for (size_t i = 0; i < s->tokens.len; i++) free(s->tokens.items[i]);
  for (size_t i = 0; i < s->spaces.len; i++) space_free(s->spaces.items[i]);
  for (size_t i = 0; i < s->devices.len; i++) free(s->devices.items[i]);
  cloud_vec *vecs[] = {&s->users,    &s->tokens,   &s->spaces, &s->devices,
                       &s->meetings, &s->captchas, &s->loci};
  for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) cloud_vec_free(vecs[i]);
  OPENSSL_cleanse(s->secret, sizeof s->secret);
}

int cloud_email_eq(const char *a, const char *b) { return a && b && strcasecmp(a, b) == 0; }

int cloud_email_valid(const char *s) {
  if (!s) return 0;
  size_t n = strnlen(s, 255);
  const char *at = strchr(s, '@');
  if (n == 0 || n > 254 || !at || at == s || strchr(at + 1, '@')) return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] <= 0x20 || s[i] >= 0x7f || strchr("<>()[]\\,;:\"", s[i])) return 0;
  const char *dot = strrchr(at + 1, '.');
  return dot && dot > at + 1 && dot[1] != '\0';
}

cloud_user *cloud_user_by_email(const cloud_store *s, const char *email) {
  for (size_t i = 0; i < s->users.len; i++) {
    cloud_user *u = s->users.items[i];
    if (cloud_email_eq(u->email, email)) return u;
  }
  return NULL;
}

cloud_user *cloud_user_by_id(const cloud_store *s, const char *uuid) {
  for (size_t i = 0; uuid && i < s->users.len; i++) {
    cloud_user *u = s->users.items[i];
    if (strcasecmp(u->id, uuid) == 0) return u;
  }
  return NULL;
}

/* Gives @p u a personal room; the room name is the email's local part,
 * made unique with a number when two users share it. */
static int add_personal_room(cloud_store *s, cloud_user *u) {
  size_t local = strcspn(u->email, "@");
  char base[65];
  if (local == 0 || local >= sizeof base) return -1;
  for (size_t i = 0; i < local; i++) {
    char c = u->email[i];
    base[i] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  }
  base[local] = '\0';
  char name[80];
  snprintf(name, sizeof name, "%s", base);
  for (int n = 2; n < 1000; n++) {
    int taken = 0;
    for (size_t i = 0; i < s->meetings.len && !taken; i++) {
      cloud_meeting *m = s->meetings.items[i];
      taken = m->room_name && strcmp(m->room_name, name) == 0;
    }
    if (!taken) break;
    snprintf(name, sizeof name, "%s%d", base, n);
  }
  cloud_meeting *m = cloud_meeting_new(s, CLOUD_MEETING_PERSONAL_ROOM, u);
  if (!m) return -1;
  char title[300];
  snprintf(title, sizeof title, "%s's Personal Room", u->name);
  if (cloud_meeting_set(&m->room_name, name) || cloud_meeting_set(&m->title, title) ||
      cloud_meeting_set(&m->timezone, "UTC")) {
    cloud_meeting_delete(s, m);
    return -1;
  }
  u->pmr = m;
  return 0;
}

cloud_user *cloud_user_add(cloud_store *s, cloud_user_type type, const char *email,
                           const char *name, int licensed) {
  if (s->users.len >= CLOUD_MAX_USERS || !name) return NULL;
  if (email && cloud_user_by_email(s, email)) return NULL;
  cloud_user *u = calloc(1, sizeof *u);
  if (!u) return NULL;
  u->type = type;
  u->licensed = type == CLOUD_USER_PERSON && licensed;
  u->email = usm__strdup(email);
  u->name = usm__strdup(name);
  if ((email && !u->email) || !u->name) goto fail;
  /* Configured users keep their id across restarts; guests are random. */
  if (email)
    cloud_uuid_from("user", email, u->id);
  else if (type == CLOUD_USER_SERVICE_APP)
    cloud_uuid_from("app", name, u->id);
  else
    cloud_uuid(u->id);
  if (cloud_vec_push(&s->users, u) != 0) goto fail;
  if (u->licensed && email && add_personal_room(s, u) != 0) {
    cloud_vec_remove(&s->users, u);
    goto fail;
  }
  return u;
fail:
  user_free(u);
  return NULL;
}

static int token_digest(const char *token, size_t len, unsigned char out[32]) {
  unsigned int n = 0;
  return EVP_Digest(token, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -1;
}

int cloud_token_add(cloud_store *s, cloud_user *user, const char *token, int64_t expires) {
  size_t len = token ? strlen(token) : 0;
  if (len == 0 || len > 4096 || cloud_token_user(s, token, len)) return -1;
  size_t mine = 0, oldest = (size_t)-1;
  for (size_t i = 0; i < s->tokens.len; i++) {
    cloud_token *t = s->tokens.items[i];
    if (t->user != user) continue;
    if (mine++ == 0) oldest = i;
  }
  /* A guest asking again and again must not grow the table. */
  if (mine >= CLOUD_MAX_TOKENS_PER_USER) {
    free(s->tokens.items[oldest]);
    cloud_vec_remove_at(&s->tokens, oldest);
  }
  cloud_token *t = calloc(1, sizeof *t);
  if (!t || token_digest(token, len, t->digest) != 0 || cloud_vec_push(&s->tokens, t) != 0) {
    free(t);
    return -1;
  }
  t->user = user;
  t->expires = expires;
  return 0;
}

cloud_user *cloud_token_user(const cloud_store *s, const char *token, size_t len) {
  unsigned char d[32];
  if (!token || len == 0 || len > 4096 || token_digest(token, len, d) != 0) return NULL;
  /* Compare digests in constant time and without an early exit, so timing
   * tells nothing about how much of a token was right. */
  cloud_token *found = NULL;
  for (size_t i = 0; i < s->tokens.len; i++) {
    cloud_token *t = s->tokens.items[i];
    if (CRYPTO_memcmp(d, t->digest, sizeof d) == 0) found = t;
  }
  if (!found) return NULL;
  if (found->expires && found->expires <= cloud_now_ms() / 1000) return NULL;
  return found->user;
}

cloud_user *cloud_guest_get(cloud_store *s, const cloud_user *issuer, const char *subject,
                            const char *name) {
  for (size_t i = 0; i < s->users.len; i++) {
    cloud_user *u = s->users.items[i];
    if (u->type == CLOUD_USER_GUEST && u->issuer == issuer && strcmp(u->subject, subject) == 0) {
      /* The issuer may rename its guest. */
      char *n = usm__strdup(name);
      if (!n) return NULL;
      free(u->name);
      u->name = n;
      return u;
    }
  }
  cloud_user *u = cloud_user_add(s, CLOUD_USER_GUEST, NULL, name, 0);
  if (!u) return NULL;
  u->issuer = issuer;
  u->subject = usm__strdup(subject);
  if (!u->subject) {
    cloud_vec_remove(&s->users, u);
    user_free(u);
    return NULL;
  }
  return u;
}

cloud_space *cloud_space_add(cloud_store *s, const char *uuid, const char *title) {
  cloud_space *sp = calloc(1, sizeof *sp);
  if (!sp) return NULL;
  sp->title = usm__strdup(title);
  if (!sp->title || cloud_vec_push(&s->spaces, sp) != 0) {
    space_free(sp);
    return NULL;
  }
  if (uuid)
    snprintf(sp->id, sizeof sp->id, "%s", uuid);
  else
    cloud_uuid_from("space", title, sp->id);
  return sp;
}

int cloud_space_add_member(cloud_space *sp, const char *email) {
  char *e = usm__strdup(email);
  if (!e || cloud_vec_push(&sp->members, e) != 0) {
    free(e);
    return -1;
  }
  return 0;
}

cloud_space *cloud_space_by_id(const cloud_store *s, const char *uuid) {
  for (size_t i = 0; uuid && i < s->spaces.len; i++) {
    cloud_space *sp = s->spaces.items[i];
    if (strcasecmp(sp->id, uuid) == 0) return sp;
  }
  return NULL;
}

int cloud_space_has(const cloud_space *sp, const cloud_user *u) {
  if (!sp || !u || !u->email) return 0;
  for (size_t i = 0; i < sp->members.len; i++)
    if (cloud_email_eq(sp->members.items[i], u->email)) return 1;
  return 0;
}

cloud_device *cloud_device_add(cloud_store *s, cloud_user *user) {
  size_t mine = 0, oldest = (size_t)-1;
  for (size_t i = 0; i < s->devices.len; i++) {
    cloud_device *d = s->devices.items[i];
    if (d->user == user && mine++ == 0) oldest = i;
  }
  /* Clients that never unregister must not grow the table forever. */
  if (mine >= CLOUD_MAX_DEVICES_PER_USER) {
    free(s->devices.items[oldest]);
    cloud_vec_remove_at(&s->devices, oldest);
  }
  cloud_device *d = calloc(1, sizeof *d);
  if (!d || cloud_vec_push(&s->devices, d) != 0) {
    free(d);
    return NULL;
  }
  cloud_uuid(d->id);
  d->user = user;
  return d;
}

cloud_device *cloud_device_by_id(const cloud_store *s, const char *uuid) {
  for (size_t i = 0; uuid && i < s->devices.len; i++) {
    cloud_device *d = s->devices.items[i];
    if (strcasecmp(d->id, uuid) == 0) return d;
  }
  return NULL;
}

void cloud_device_remove(cloud_store *s, cloud_device *d) {
  if (cloud_vec_remove(&s->devices, d)) free(d);
}
