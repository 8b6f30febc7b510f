/* The body of POST, PUT and PATCH /v1/meetings: checked against the
 * official spec's rules first, applied to a meeting only when all of it is
 * valid. */
#ifndef USM_CLOUD_MEETING_INPUT_H
#define USM_CLOUD_MEETING_INPUT_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <time.h>

#include "meeting_store.h"

typedef enum cloud_input_mode {
  CLOUD_INPUT_CREATE, /* title, start, end required (except ad hoc) */
  CLOUD_INPUT_PUT,    /* full update: title, start, end required */
  CLOUD_INPUT_PATCH   /* partial update */
} cloud_input_mode;

typedef struct cloud_invitee_input {
  const char *email;
  const char *display_name;
  int co_host;
  int panelist;
} cloud_invitee_input;

/* Pointers into the request body: valid while the body lives. */
typedef struct cloud_meeting_input {
  const char *title, *agenda, *password, *timezone, *recurrence, *room_id;
  int has_times; /* start and end (the final pair after a PATCH) */
  time_t start, end;
  int adhoc;
  const cJSON *invitees; /* array, checked */
  cJSON *options;        /* the plain options given, copied */
} cloud_meeting_input;

/* Validates @p body; @p current is the meeting being updated (NULL on
 * create). 0, or -1 with @p status (400, 403) and a description in @p err.
 * Either way free the input with cloud_meeting_input_free(). */
int cloud_meeting_input_parse(const cJSON *body, cloud_input_mode mode, const cloud_user *caller,
                              const cloud_meeting *current, cloud_meeting_input *in, int *status,
                              char *err, size_t errlen);
void cloud_meeting_input_free(cloud_meeting_input *in);
/* Copies the given fields (and options) onto @p m. 0, or -1 out of memory. */
int cloud_meeting_input_apply(const cloud_meeting_input *in, cloud_meeting *m);
/* The options every new meeting starts with. */
cJSON *cloud_meeting_default_options(void);
/* One invitee object {email, displayName, coHost, panelist}; 0 or -1. */
int cloud_invitee_input_parse(const cJSON *o, int email_required, cloud_invitee_input *out,
                              char *err, size_t errlen);

#endif
