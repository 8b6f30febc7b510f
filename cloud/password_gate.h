/* Who may read a meeting's info: the password and captcha rules of
 * meetingInfo, per meeting and per requesting user. */
#ifndef USM_CLOUD_PASSWORD_GATE_H
#define USM_CLOUD_PASSWORD_GATE_H

#include "captcha.h"

typedef enum cloud_gate {
  CLOUD_GATE_OPEN,              /* 200 */
  CLOUD_GATE_PASSWORD_REQUIRED, /* 403 403000 */
  CLOUD_GATE_WRONG_PASSWORD,    /* 403 403004 */
  CLOUD_GATE_CAPTCHA,           /* 423 423005, *captcha set */
  CLOUD_GATE_NO_MEMORY          /* 500 */
} cloud_gate;

typedef struct cloud_gate_input {
  const char *password;     /* meeting password or host key, or NULL */
  const char *captcha_id;   /* or NULL */
  const char *captcha_code; /* or NULL */
} cloud_gate_input;

/*
 * Host, invitees and members of the meeting's space pass. Everyone else
 * needs the password (or host key). Each wrong one counts; from the
 * store's captcha_after-th on (0: never) every answer is a new captcha
 * until a try carries the pending captcha's id and code plus the right
 * password, which passes and resets the count.
 */
cloud_gate cloud_gate_check(cloud_store *s, cloud_meeting *m, const cloud_user *u,
                            const cloud_gate_input *in, const cloud_captcha **captcha);

/* The pending try record of @p u on @p m, created when @p create. */
cloud_try *cloud_gate_try(cloud_meeting *m, const cloud_user *u, int create);

#endif
