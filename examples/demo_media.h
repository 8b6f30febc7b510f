/* The media half of usm-demo: what one party sends (usm_meeting_play), what
 * it receives (recorded to WAV, IVF or raw H.264, and a PNG snapshot), its
 * live stats line, and the end-of-demo quality summary: the received audio
 * against the sender's reference signal (aligned SNR) and the pattern's
 * frame-number strip read back from the decoded video. */
#ifndef USM_DEMO_MEDIA_H
#define USM_DEMO_MEDIA_H

#include <stddef.h>
#include <stdint.h>
#include <usm/usm.h>

/* A sender's reference audio: sample n (48 kHz mono, 1 s periodic). */
typedef int16_t (*demo_signal_fn)(uint64_t n);

/* Alice's signal: a 660 Hz sine at -12 dBFS with a 1.5 kHz beep of 100 ms
 * starting at 500 ms of every second (Hana sends the "tone": 440 Hz, with a
 * 1 kHz beep at the start of each second). */
int16_t demo_alice_sample(uint64_t n);
/* Hana's: the "tone" of usm_meeting_play, from libusm's own definition. */
int16_t demo_tone_sample(uint64_t n);
/* Two seconds of Alice's signal as a WAV for usm_meeting_play. 0 or -1. */
int demo_write_alice_wav(const char *path);

typedef struct demo_media demo_media;

/* @p who names the files: <dir>/<who>-received.{wav,ivf|h264,png}.
 * @p peer_signal: the reference of the audio this party receives. */
demo_media *demo_media_create(const char *dir, const char *who, demo_signal_fn peer_signal);
void demo_media_destroy(demo_media *d);
/* Receive callbacks feeding @p d. */
void demo_media_callbacks(demo_media *d, usm_media_callbacks *cb);
/* One stats line ("audio tx 32k rx 31k ..."), for the live display. */
void demo_media_stats_line(const usm_media_stats *s, char *buf, size_t cap);
/* Close the files; then print the summary with the last stats taken before leaving. */
void demo_media_close(demo_media *d);
void demo_media_summary(const demo_media *d, const char *name, const usm_media_stats *last);

#endif
