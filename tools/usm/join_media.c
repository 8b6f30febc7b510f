#include "join_media.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "stats_line.h"

static int readable(const char *what, const char *path, char *why, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(why, cap, "%s: cannot read '%s': %s", what, path, strerror(errno));
    return -1;
  }
  fclose(f);
  return 0;
}

int join_media_check(join_media *jm, char *why, size_t cap) {
  /* the formats themselves are libusm's to judge (usm_meeting_play) */
  if (jm->send_audio && strcmp(jm->send_audio, "tone") != 0 && readable("--send-audio", jm->send_audio, why, cap))
    return -1;
  if (jm->send_video && strcmp(jm->send_video, "pattern") != 0 &&
      readable("--send-video", jm->send_video, why, cap))
    return -1;
  if (jm->video_codec) {
    if (!strcasecmp(jm->video_codec, "VP8"))
      jm->video_codec = "VP8";
    else if (!strcasecmp(jm->video_codec, "H264") || !strcasecmp(jm->video_codec, "H.264"))
      jm->video_codec = "H264";
    else {
      snprintf(why, cap, "--video-codec: '%s' is neither VP8 nor H264", jm->video_codec);
      return -1;
    }
  }
  if (jm->record_y4m && !jm->record_dir) {
    snprintf(why, cap, "--record-y4m needs --record DIR");
    return -1;
  }
  if (jm->record_dir && recorder_prepare_dir(jm->record_dir, why, cap) != 0) return -1;
  return 0;
}

int join_media_wanted(const join_media *jm) {
  return jm->send_audio || jm->send_video || jm->record_dir || jm->stats;
}

static void note(void *user, const char *line) { join_out_note(user, line); }

int join_media_start(join_media *jm, usm_meeting *m, usm_join_options *jo, join_out *out, char *why, size_t cap) {
  jm->out = out;
  if (jm->send_audio) jo->media |= USM_MEDIA_AUDIO_SEND;
  if (jm->send_video) jo->media |= USM_MEDIA_VIDEO_SEND;
  /* recording receives both; stats alone show what arrives */
  if (jm->record_dir || jm->stats) jo->media |= USM_MEDIA_AUDIO_RECV | USM_MEDIA_VIDEO_RECV;
  jo->video_codec = jm->video_codec;
  if (jm->stats) jo->stats_interval_ms = 1000;
  out->media = jo->media != 0;
  if (!jm->record_dir) return 0;
  jm->rec = recorder_create(jm->record_dir, jm->record_y4m, note, out);
  if (!jm->rec) {
    snprintf(why, cap, "out of memory");
    return -1;
  }
  usm_media_callbacks cb;
  recorder_callbacks(jm->rec, &cb);
  usm_err e = usm_meeting_set_media_callbacks(m, &cb);
  if (e != USM_OK) {
    snprintf(why, cap, "usm_meeting_set_media_callbacks: %s: %s", usm_err_name(e), usm_meeting_last_error(m));
    return -1;
  }
  return 0;
}

usm_err join_media_poll(join_media *jm, usm_meeting *m) {
  int joined = usm_meeting_get_state(m) == USM_MEETING_JOINED;
  if (!joined) jm->playing = 0; /* libusm stops the play when the meeting leaves */
  if (!joined || jm->playing || (!jm->send_audio && !jm->send_video)) return USM_OK;
  jm->playing = 1;
  usm_play_options po;
  usm_play_options_init(&po);
  po.audio = jm->send_audio;
  po.video = jm->send_video;
  po.loop = jm->loop;
  return usm_meeting_play(m, &po);
}

int join_media_finish(join_media *jm, usm_meeting *m, const usm_media_stats *final, int json) {
  int failures = 0;
  if (m && jm->rec) usm_meeting_set_media_callbacks(m, NULL);
  if (jm->rec) {
    recorder_close(jm->rec);
    fflush(stdout);
    recorder_summary(jm->rec, stdout, json);
    failures = recorder_failures(jm->rec);
    recorder_destroy(jm->rec);
    jm->rec = NULL;
  }
  if (final && !json && final->elapsed_ms) cli_stats_totals(stdout, final);
  if (final && json && final->elapsed_ms) cli_stats_json(stdout, "totals", final);
  fflush(stdout);
  return failures;
}
