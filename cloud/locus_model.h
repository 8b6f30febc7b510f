/* Loci: the live session of a meeting (who is in it, in the lobby, the
 * host, the lock) and its sequence, which grows by one on every change. */
#ifndef USM_CLOUD_LOCUS_MODEL_H
#define USM_CLOUD_LOCUS_MODEL_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "meeting_store.h"

#define CLOUD_MAX_PARTICIPANTS 1000
#define CLOUD_KEEPALIVE_SECS 20

typedef enum cloud_part_state {
  CLOUD_PART_IDLE, /* in the lobby */
  CLOUD_PART_JOINED,
  CLOUD_PART_LEFT
} cloud_part_state;

typedef struct cloud_participant {
  char id[CLOUD_UUID_SIZE];
  cloud_user *user;
  cloud_part_state state;
  int moderator;
  int audio_muted;
  int video_muted;
  char *device_url;
  char *correlation_id;
  char *alias;
  /* CSIs (audio, video) of its media: the CSRC the SFU puts on what it
   * forwards from this participant; 0 until its media starts. */
  uint32_t csis[2];
  int bot; /* a media bot added through POST /admin/bots */
} cloud_participant;

typedef struct cloud_locus {
  char id[CLOUD_UUID_SIZE];
  cloud_store *store;
  cloud_meeting *meeting;
  cloud_user *host; /* holds the moderator role */
  int ended;
  int locked;
  uint64_t sequence;
  int64_t created_ms;
  int64_t last_active_ms;
  char conf_id[20];
  cloud_vec participants; /* cloud_participant* */
  /* The DTO (without self) of the last Mercury push, for deltas. */
  cJSON *mercury_base;
} cloud_locus;

/* Outcomes of locus actions, mapped to HTTP by the API. */
typedef enum cloud_locus_rc {
  CLOUD_LOCUS_OK,
  CLOUD_LOCUS_NOT_ACTIVE,    /* 409 2409001 */
  CLOUD_LOCUS_LOCKED,        /* 423 2423005 */
  CLOUD_LOCUS_NOT_MODERATOR, /* 403 2403001 */
  CLOUD_LOCUS_NOT_JOINED,    /* 403 2403002 */
  CLOUD_LOCUS_BAD_TARGET,    /* 400 2400001 */
  CLOUD_LOCUS_NOT_FOUND,     /* 404 2404001 */
  CLOUD_LOCUS_FULL,          /* 403 2403003 */
  CLOUD_LOCUS_NO_MEMORY      /* 500 */
} cloud_locus_rc;

/* The meeting's current session; a new one when there is none, or when a
 * personal room's last session ended (other meetings stay ended: their
 * ended session is returned). NULL: no memory or too many sessions. */
cloud_locus *cloud_locus_for(cloud_store *s, cloud_meeting *m);
cloud_locus *cloud_locus_by_id(const cloud_store *s, const char *id);
/* Removes and frees @p l. */
void cloud_locus_free(cloud_store *s, cloud_locus *l);

cloud_participant *cloud_locus_participant(const cloud_locus *l, const char *id);
cloud_participant *cloud_locus_participant_of(const cloud_locus *l, const cloud_user *u);
size_t cloud_locus_joined(const cloud_locus *l);
/* In the lobby: IDLE with intent WAIT. */
int cloud_participant_in_lobby(const cloud_participant *p);

typedef struct cloud_join {
  const char *device_url;     /* required */
  const char *correlation_id; /* or NULL */
  const char *alias;          /* display name, or NULL */
  int moderator;              /* claims the host role with pin = host key */
  const char *pin;
} cloud_join;

/* Joins @p u (again: the same participant). The meeting's host and
 * whoever holds the role join as moderator; invitees and space members
 * join; everyone else waits in the lobby. */
cloud_locus_rc cloud_locus_join(cloud_locus *l, cloud_user *u, const cloud_join *j,
                                cloud_participant **out);
/* Leaves (self), or removes another participant (moderator only). */
cloud_locus_rc cloud_locus_leave(cloud_locus *l, const cloud_user *u, const char *pid);
/* Ends the session and the meeting for everyone (moderator only). */
cloud_locus_rc cloud_locus_end(cloud_locus *l, const cloud_user *u);
/* Ends the session without checks (see cloud_meeting_end). */
void cloud_locus_finish(cloud_locus *l);
cloud_locus_rc cloud_locus_admit(cloud_locus *l, const cloud_user *u, const char *const *pids,
                                 size_t n);
cloud_locus_rc cloud_locus_lock(cloud_locus *l, const cloud_user *u, int locked);
/* Gives the host role to @p pid (JOINED); the old host loses it. */
cloud_locus_rc cloud_locus_set_host(cloud_locus *l, const cloud_user *u, const char *pid);
/* @p audio / @p video: 0 or 1, -1 unchanged. Self, or moderator for anyone. */
cloud_locus_rc cloud_locus_mute(cloud_locus *l, const cloud_user *u, const char *pid, int audio,
                                int video);
/* Any joined participant may invite; the address joins without lobby. */
cloud_locus_rc cloud_locus_invite(cloud_locus *l, const cloud_user *u, const char *email);
/* Sets the CSIs of participant @p pid's media (Locus status.csis); a
 * change is a locus change (Mercury event). */
void cloud_locus_set_csis(cloud_locus *l, const char *pid, const uint32_t csis[2]);
/* Adds the bot user @p u, JOINED under @p alias with @p csis, without the
 * lobby or lock rules (an admin action). */
cloud_locus_rc cloud_locus_add_bot(cloud_locus *l, cloud_user *u, const char *alias,
                                   const uint32_t csis[2], cloud_participant **out);
/* A lobby keep-alive of @p u for participant @p pid. */
cloud_locus_rc cloud_locus_keepalive(const cloud_locus *l, const cloud_user *u, const char *pid);

#endif
