/* The media side of `usm join`: --send-audio/--send-video (usm_meeting_play),
 * --record (recorder.h), --stats, --video-codec. Checked before anything
 * connects; the play starts each time the meeting becomes JOINED. */
#ifndef USM_CLI_JOIN_MEDIA_H
#define USM_CLI_JOIN_MEDIA_H

#include <stddef.h>
#include <usm/usm.h>

#include "join_output.h"
#include "recorder.h"

typedef struct join_media {
  const char *send_audio; /* "tone", a WAV path, or NULL */
  const char *send_video; /* "pattern", a Y4M path, or NULL */
  int loop;               /* files start again at their end */
  const char *record_dir; /* or NULL */
  int record_y4m;
  int stats;
  const char *video_codec; /* as given; normalised by join_media_check */
  /* running */
  recorder *rec;
  join_out *out;
  int playing; /* usm_meeting_play started for the current join */
} join_media;

/* Check the options (files readable, the directory made and writable, the
 * codec known). 0, or -1 with the reason in @p why. */
int join_media_check(join_media *jm, char *why, size_t cap);
/* Any media asked for at all. */
int join_media_wanted(const join_media *jm);
/* Media bits, codec and stats interval into @p jo; receive callbacks (the
 * recorder) onto @p m. 0, or -1 with the reason in @p why. */
int join_media_start(join_media *jm, usm_meeting *m, usm_join_options *jo, join_out *out, char *why, size_t cap);
/* Called from the loop with the meeting's state: starts the play when the
 * meeting (again) becomes JOINED. USM_OK, or the failure of usm_meeting_play. */
usm_err join_media_poll(join_media *jm, usm_meeting *m);
/* After leaving: detach, close the files, print what was recorded and the
 * totals (@p final: stats taken before leaving, or NULL). @return the
 * number of recording failures. */
int join_media_finish(join_media *jm, usm_meeting *m, const usm_media_stats *final, int json);

#endif
