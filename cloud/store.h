/* The in-memory state of the local cloud: users and their tokens, spaces,
 * devices, meetings, captchas and loci. Single-threaded (the loop thread). */
#ifndef USM_CLOUD_STORE_H
#define USM_CLOUD_STORE_H

#include <stdint.h>
#include <time.h>

#include "ids.h"
#include "vec.h"

#define CLOUD_SITE "localsite.webex.com"
#define CLOUD_SITE_NAME "localsite"

/* Bounds that keep a misbehaving client from growing the store forever. */
#define CLOUD_MAX_USERS 10000
#define CLOUD_MAX_MEETINGS 10000
#define CLOUD_MAX_DEVICES_PER_USER 64
#define CLOUD_MAX_TOKENS_PER_USER 16
/* Above one live session per meeting, so an ended one can always go. */
#define CLOUD_MAX_LOCI (CLOUD_MAX_MEETINGS + 1000)

typedef enum cloud_user_type {
  CLOUD_USER_PERSON,
  CLOUD_USER_SERVICE_APP,
  CLOUD_USER_GUEST
} cloud_user_type;

typedef struct cloud_meeting cloud_meeting;
struct cloud_locus;

typedef struct cloud_user {
  char id[CLOUD_UUID_SIZE];
  char *email; /* NULL for guests */
  char *name;
  cloud_user_type type;
  int licensed;
  char *subject; /* guests: the issuer's subject */
  const struct cloud_user *issuer;
  cloud_meeting *pmr; /* personal room of a licensed person */
} cloud_user;

typedef struct cloud_token {
  unsigned char digest[32]; /* SHA-256 of the token; the token itself is not kept */
  cloud_user *user;
  int64_t expires; /* unix seconds, 0 = never */
} cloud_token;

typedef struct cloud_space {
  char id[CLOUD_UUID_SIZE];
  char *title;
  cloud_vec members; /* char *email */
} cloud_space;

typedef struct cloud_device {
  char id[CLOUD_UUID_SIZE];
  cloud_user *user;
} cloud_device;

typedef struct cloud_store {
  cloud_vec users;    /* cloud_user* (never removed while running) */
  cloud_vec tokens;   /* cloud_token* */
  cloud_vec spaces;   /* cloud_space* */
  cloud_vec devices;  /* cloud_device* */
  cloud_vec meetings; /* cloud_meeting*, personal rooms included */
  cloud_vec captchas; /* cloud_captcha* */
  cloud_vec loci;     /* cloud_locus* */
  int captcha_after;  /* wrong passwords before a captcha */
  char org_id[CLOUD_UUID_SIZE];
  unsigned char secret[32]; /* signs permission tokens */
  /* Called after every change of a locus (Mercury will push events here). */
  void (*locus_changed)(void *user, struct cloud_locus *l);
  void *locus_changed_user;
} cloud_store;

void cloud_store_init(cloud_store *s);
void cloud_store_free(cloud_store *s);
/* Drops meetings, loci and captchas (personal rooms are reset, not dropped). */
void cloud_store_reset(cloud_store *s);

/* Adds a user; the store owns it. NULL when out of memory, a limit is
 * reached, or the email is taken. Licensed persons get a personal room. */
cloud_user *cloud_user_add(cloud_store *s, cloud_user_type type, const char *email,
                           const char *name, int licensed);
/* Binds an access token to @p user. 0, or -1 (limit, memory, or a token
 * already bound to someone). */
int cloud_token_add(cloud_store *s, cloud_user *user, const char *token, int64_t expires);
/* The user a bearer token belongs to (constant time per stored token), or
 * NULL when unknown or expired. */
cloud_user *cloud_token_user(const cloud_store *s, const char *token, size_t len);
cloud_user *cloud_user_by_id(const cloud_store *s, const char *uuid);
cloud_user *cloud_user_by_email(const cloud_store *s, const char *email);
/* A guest of @p issuer with @p subject, created on first use. */
cloud_user *cloud_guest_get(cloud_store *s, const cloud_user *issuer, const char *subject,
                            const char *name);

cloud_space *cloud_space_add(cloud_store *s, const char *uuid, const char *title);
int cloud_space_add_member(cloud_space *sp, const char *email);
cloud_space *cloud_space_by_id(const cloud_store *s, const char *uuid);
int cloud_space_has(const cloud_space *sp, const cloud_user *u);

cloud_device *cloud_device_add(cloud_store *s, cloud_user *user);
cloud_device *cloud_device_by_id(const cloud_store *s, const char *uuid);
void cloud_device_remove(cloud_store *s, cloud_device *d);

/* Case-insensitive ASCII comparison of email addresses. */
int cloud_email_eq(const char *a, const char *b);
/* A plausible address: "local@domain.tld", printable ASCII, at most 254. */
int cloud_email_valid(const char *s);

#endif
