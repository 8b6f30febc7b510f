/* Meetings of the local cloud: scheduled meetings, personal rooms and the
 * ad hoc (instant) meetings of spaces, with their invitees and the rules
 * for who may join without a password. */
#ifndef USM_CLOUD_MEETING_STORE_H
#define USM_CLOUD_MEETING_STORE_H

#include <cjson/cJSON.h>

#include "store.h"

#define CLOUD_MEETING_ID_SIZE 33 /* 32 hex + NUL */
#define CLOUD_INVITEE_ID_SIZE 48 /* "<meeting id>_<n>" */
#define CLOUD_MAX_INVITEES 1000
#define CLOUD_MAX_LIVE_INVITEES 1000

typedef enum cloud_meeting_kind {
  CLOUD_MEETING_SCHEDULED,
  CLOUD_MEETING_PERSONAL_ROOM,
  CLOUD_MEETING_ADHOC
} cloud_meeting_kind;

typedef struct cloud_invitee {
  char id[CLOUD_INVITEE_ID_SIZE];
  char *email;
  char *display_name;
  int co_host;
  int panelist;
} cloud_invitee;

/* One user's password attempts on one meeting. */
typedef struct cloud_try {
  char user_id[CLOUD_UUID_SIZE];
  int wrong;
  char captcha_id[CLOUD_MEETING_ID_SIZE]; /* pending captcha, or "" */
} cloud_try;

struct cloud_locus;

struct cloud_meeting {
  char id[CLOUD_MEETING_ID_SIZE];
  char number[11];
  char mtid[CLOUD_MEETING_ID_SIZE]; /* the MTID of the web link */
  char host_key[7];
  char video_password[9]; /* phoneAndVideoSystemPassword */
  char *room_name;        /* personal rooms: the local part used in links */
  cloud_meeting_kind kind;
  cloud_user *host;
  char *title;
  char *agenda;
  char *password;
  char *timezone;
  char *recurrence;
  time_t start;
  time_t end;
  cloud_space *space; /* meetings of a space (roomId) */
  cJSON *options;     /* the plain options echoed back as given */
  cloud_vec invitees; /* cloud_invitee* */
  unsigned next_invitee;
  cloud_vec live_invitees; /* char *email, invited from inside the meeting */
  cloud_vec tries;         /* cloud_try* */
  int ended;
  struct cloud_locus *locus; /* current session, or NULL */
};

/* A new meeting with fresh id, number, password and host key; NULL when
 * out of memory or at CLOUD_MAX_MEETINGS. */
cloud_meeting *cloud_meeting_new(cloud_store *s, cloud_meeting_kind kind, cloud_user *host);
/* Removes the meeting with its loci and captchas. */
void cloud_meeting_delete(cloud_store *s, cloud_meeting *m);
/* Frees a meeting that is no longer in the store. */
void cloud_meeting_free(cloud_meeting *m);
/* Sets a string field (NULL clears it); 0 or -1 (no memory). */
int cloud_meeting_set(char **field, const char *value);

cloud_meeting *cloud_meeting_by_id(const cloud_store *s, const char *id);
cloud_meeting *cloud_meeting_by_number(const cloud_store *s, const char *number);
cloud_meeting *cloud_meeting_by_link(const cloud_store *s, const char *url);
/* sipAddress, "<number>@site", a user's email or "<local part>@site"
 * (that user's personal room); an optional "sip:" prefix is ignored. */
cloud_meeting *cloud_meeting_by_sip(const cloud_store *s, const char *sip);
/* The live (not ended) ad hoc meeting of @p space, or NULL. */
cloud_meeting *cloud_meeting_adhoc_of(const cloud_store *s, const cloud_space *space);

/* "<number>@site" or "<room>@site" */
void cloud_meeting_sip(const cloud_meeting *m, char *out, size_t cap);
/* https://site/site/j.php?MTID=m... or https://site/meet/<room> */
void cloud_meeting_link(const cloud_meeting *m, char *out, size_t cap);
/* The REST state: "active" ("ready" for an instant meeting), "inProgress"
 * or "ended". */
const char *cloud_meeting_state(const cloud_meeting *m);

cloud_invitee *cloud_invitee_add(cloud_meeting *m, const char *email, const char *name, int co_host,
                                 int panelist);
cloud_invitee *cloud_invitee_by_email(const cloud_meeting *m, const char *email);
/* The meeting and invitee with invitee id @p id, or NULL. */
cloud_invitee *cloud_invitee_by_id(const cloud_store *s, const char *id, cloud_meeting **owner);
void cloud_invitee_remove(cloud_meeting *m, cloud_invitee *inv);
int cloud_meeting_invite_live(cloud_meeting *m, const char *email);

/* Invited (before or during the meeting). */
int cloud_meeting_is_invitee(const cloud_meeting *m, const cloud_user *u);
/* A member of the meeting's space. */
int cloud_meeting_is_member(const cloud_meeting *m, const cloud_user *u);
/* Host, invitee or space member: joins without password or lobby. */
int cloud_meeting_is_trusted(const cloud_meeting *m, const cloud_user *u);

/* Whether the REST API shows @p m to @p u: scheduled and ad hoc meetings
 * (never personal rooms) to trusted users or with the right password. */
int cloud_meeting_visible(const cloud_meeting *m, const cloud_user *u, const char *password);

/* Ends the meeting (and its session). */
void cloud_meeting_end(cloud_store *s, cloud_meeting *m);

#endif
