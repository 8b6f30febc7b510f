/* `usm join --record DIR`: what the meeting receives, written to files per
 * source: <name>.wav (decoded audio, 48 kHz as delivered), <name>.ivf (VP8
 * frames as received) or <name>.h264 (raw Annex B), <name>.y4m (decoded
 * pictures, with --record-y4m) and <name>.png (one decoded picture about 2 s
 * after the source's first). <name> is the sender's participant id, or
 * ssrc-XXXXXXXX while libusm cannot tell who sends. */
#ifndef USM_CLI_RECORDER_H
#define USM_CLI_RECORDER_H

#include <stddef.h>
#include <stdio.h>
#include <usm/usm.h>

typedef struct recorder recorder;

/* A line for the user ("recording ..."), printed by the caller's output. */
typedef void (*recorder_note_fn)(void *user, const char *line);

/* Make @p dir (and missing parents) and check that files can be created in
 * it. 0, or -1 with the reason in @p why. */
int recorder_prepare_dir(const char *dir, char *why, size_t cap);

/* @p y4m: also write decoded pictures. NULL when out of memory. */
recorder *recorder_create(const char *dir, int y4m, recorder_note_fn note, void *note_user);
/* Receive callbacks that feed @p r (user = r). */
void recorder_callbacks(recorder *r, usm_media_callbacks *cb);
/* Close every file (headers patched). */
void recorder_close(recorder *r);
/* After close: one line per file written (text), or one JSON object per file. */
void recorder_summary(const recorder *r, FILE *out, int json);
/* Write failures so far (each also noted once). */
int recorder_failures(const recorder *r);
void recorder_destroy(recorder *r);

#endif
