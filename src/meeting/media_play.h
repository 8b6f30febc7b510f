/* usm_meeting_play()'s player: test signals or files sent in real time on
 * the meeting's loop (media_play.c). Internal. */
#ifndef USM_MEETING_MEDIA_PLAY_H
#define USM_MEETING_MEDIA_PLAY_H

#include <stdint.h>
#include <usm/media.h>

struct usm__player;

/* Frames the audio timer sends at most per tick when it was late. */
#define USM__PLAY_AUDIO_CATCHUP 10u
/* Further behind than this (a stalled loop), the missing audio is skipped
 * instead of sent in a burst; the timestamps keep the gap. */
#define USM__PLAY_AUDIO_MAX_LAG_FRAMES 50u
#define USM__PLAY_FRAME_SAMPLES 960u /* 20 ms at 48 kHz */
#define USM__PLAY_FRAME_US 20000

/* Stops the player (no-op when none): m->player is NULL afterwards and the
 * player never touches @p m again; its timers close and it frees itself
 * from their close callbacks, so @p m may be destroyed right after. Called
 * on leave and destroy. */
void usm__play_stop(usm_meeting *m);

/* Frames handed to usm_meeting_send_audio()/_video() so far (whatever they
 * returned), frames skipped after a stall (audio) or while late (video);
 * 0 when nothing plays. For tests and statistics. */
typedef struct usm__play_progress {
  uint64_t audio_frames, video_frames;
  uint64_t audio_skipped, video_skipped;
  int audio_on, video_on;
} usm__play_progress;
int usm__play_get_progress(const usm_meeting *m, usm__play_progress *out);

#endif
