/* Pending captchas: after too many wrong meeting passwords a user must
 * read (or hear) a 6-digit code before trying again. */
#ifndef USM_CLOUD_CAPTCHA_H
#define USM_CLOUD_CAPTCHA_H

#include "meeting_store.h"

#define CLOUD_CAPTCHA_DIGITS 6

typedef struct cloud_captcha {
  char id[CLOUD_MEETING_ID_SIZE];
  char code[CLOUD_CAPTCHA_DIGITS + 1];
  char user_id[CLOUD_UUID_SIZE];
  char meeting_id[CLOUD_MEETING_ID_SIZE];
} cloud_captcha;

/* A new captcha for @p user on @p m, replacing the one pending in @p t. */
cloud_captcha *cloud_captcha_issue(cloud_store *s, const cloud_meeting *m, cloud_try *t);
cloud_captcha *cloud_captcha_by_id(const cloud_store *s, const char *id);
void cloud_captcha_drop(cloud_store *s, const char *id);
/* Drops every captcha of meeting @p meeting_id. */
void cloud_captcha_drop_meeting(cloud_store *s, const char *meeting_id);
/* The code typed by the user matches (length and digits). */
int cloud_captcha_matches(const cloud_captcha *c, const char *code);

#endif
