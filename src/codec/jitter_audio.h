/* The adaptive audio jitter buffer: RTP audio packets in (sequence number,
 * 48 kHz timestamp, arrival time, payload copied into a pool sized at
 * creation), one frame out per pull on the caller's fixed playout clock:
 * PLAY a payload, recover a lost one with FEC from the next payload, CONCEAL
 * (PLC), or SILENCE before the stream starts. The target delay follows the
 * measured jitter (fast up, slow down); the buffer reaches it by dropping or
 * inserting frames, and hints accelerate/decelerate to callers that can
 * time-stretch. Pure: no I/O, no clock of its own (times are passed in, in
 * microseconds of any monotonic clock). Single-threaded. docs/jitter-buffer.md. */
#ifndef USM_CODEC_JITTER_AUDIO_H
#define USM_CODEC_JITTER_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include <usm/common.h>

/* Defaults (config field 0 picks them). */
#define USM__AJB_DEFAULT_FRAME_MS 20u
#define USM__AJB_DEFAULT_MIN_DELAY_MS 20u
#define USM__AJB_DEFAULT_MAX_DELAY_MS 400u
#define USM__AJB_DEFAULT_HEADROOM_MS 20u  /* target = headroom + jitter envelope */
#define USM__AJB_DEFAULT_DECAY_MS 2500u   /* time constant of the envelope's fall */
#define USM__AJB_DEFAULT_MAX_PAYLOAD 1500u
/* A packet this far (in time) from the playout point is a stream restart. */
#define USM__AJB_RESTART_MS 4000u
/* Largest values a config may ask for. */
#define USM__AJB_MAX_DELAY_LIMIT_MS 2000u
#define USM__AJB_MAX_PAYLOAD_LIMIT 65536u
#define USM__AJB_MAX_CAPACITY 1024u

typedef struct usm__audio_jb_config {
  unsigned frame_ms;     /* playout frame and packet duration: 10 or 20; 0: 20 */
  unsigned min_delay_ms; /* lower bound of the target; 0: 20 */
  unsigned max_delay_ms; /* upper bound of the target and of the delay; 0: 400 */
  unsigned headroom_ms;  /* added to the jitter envelope; 0: 20 */
  unsigned decay_ms;     /* envelope fall time constant; 0: 2500 */
  size_t max_payload;    /* largest payload kept; 0: 1500 */
  unsigned capacity;     /* packets held; 0: max_delay / frame + 16 */
  int fec;               /* the stream carries in-band FEC: keep one more frame of delay so
                            the packet after a loss is usually there to recover it from */
} usm__audio_jb_config;

typedef enum usm__ajb_action {
  USM__AJB_SILENCE = 0, /* no stream yet (or restarting): play silence, no decoder call */
  USM__AJB_PLAY,        /* decode payload */
  USM__AJB_FEC,         /* this frame was lost; payload is the next packet: usm__opus_decode_fec,
                           then the next pull PLAYs that packet */
  USM__AJB_CONCEAL      /* no payload: decode(NULL) (PLC) */
} usm__ajb_action;

/* A suggestion for callers that can time-stretch the frame they play. */
typedef enum usm__ajb_hint {
  USM__AJB_HINT_NONE = 0,
  USM__AJB_HINT_ACCELERATE, /* a little above target: play this frame faster */
  USM__AJB_HINT_DECELERATE  /* a little below target: play this frame slower */
} usm__ajb_hint;

typedef struct usm__ajb_frame {
  usm__ajb_action action;
  const uint8_t *payload;  /* PLAY, FEC; valid until the next call on the buffer */
  size_t len;
  uint16_t seq;            /* PLAY, FEC: the payload's packet */
  uint32_t timestamp;      /* the RTP timestamp of the frame played (not of the FEC payload) */
  uint32_t samples;        /* per channel: frame_ms * 48 */
  int inserted;            /* CONCEAL: an extra frame to grow the delay, not a loss */
  unsigned dropped;        /* frames skipped just before this one to shrink the delay */
  usm__ajb_hint hint;
} usm__ajb_frame;

/* What usm__audio_jb_insert did with a packet. */
typedef enum usm__ajb_put {
  USM__AJB_PUT_STORED = 0,
  USM__AJB_PUT_LATE,       /* its playout time has passed: dropped */
  USM__AJB_PUT_DUPLICATE,  /* already held or played: dropped */
  USM__AJB_PUT_RESTART,    /* new SSRC or confirmed big jump: the buffer was reset, packet stored */
  USM__AJB_PUT_PROBATION   /* big jump not yet confirmed by a second packet: dropped */
} usm__ajb_put;

typedef struct usm__ajb_stats {
  int32_t delay_ms;        /* current playout delay over the fastest path (last pull) */
  uint32_t target_ms;      /* current target delay */
  uint32_t jitter_ms;      /* the jitter envelope the target follows */
  uint32_t buffered;       /* packets held */
  uint64_t received;       /* packets given to insert (accepted or not) */
  uint64_t played;         /* PLAY results */
  uint64_t late;
  uint64_t lost;           /* sequence numbers never played: network loss and late packets */
  uint64_t duplicate;
  uint64_t concealed;      /* CONCEAL results for missing frames (not inserted ones) */
  uint64_t fec_recovered;  /* FEC results */
  uint64_t accelerated;    /* frames dropped to shrink the delay */
  uint64_t decelerated;    /* frames inserted to grow the delay */
  uint64_t hint_accelerate;
  uint64_t hint_decelerate;
  uint64_t restarts;
  uint64_t rejected;       /* empty or oversize payloads */
} usm__ajb_stats;

typedef struct usm__audio_jb usm__audio_jb;

/* cfg NULL: all defaults. USM_ERR_INVALID_ARG for a frame other than 10/20 ms,
 * min > max, a max above USM__AJB_MAX_DELAY_LIMIT_MS or a capacity too small
 * to hold max_delay. Allocates everything the buffer will ever use. */
usm_err usm__audio_jb_create(const usm__audio_jb_config *cfg, usm__audio_jb **out);
void usm__audio_jb_destroy(usm__audio_jb *jb); /* NULL is fine */
/* Forget the stream (stats are kept); the next packet starts a new one. */
void usm__audio_jb_reset(usm__audio_jb *jb);
/* One received packet. arrival_us: monotonic microseconds (< 2^62). what may
 * be NULL. USM_ERR_MALFORMED for an empty payload, USM_ERR_LIMIT for one above
 * max_payload (both counted in rejected), USM_ERR_INVALID_ARG for bad args. */
usm_err usm__audio_jb_insert(usm__audio_jb *jb, uint32_t ssrc, uint16_t seq, uint32_t rtp_ts,
                             uint64_t arrival_us, const uint8_t *payload, size_t len,
                             usm__ajb_put *what);
/* The next frame_ms of audio, at now_us (< 2^62), normally called every
 * frame_ms. Always fills out. */
usm_err usm__audio_jb_pull(usm__audio_jb *jb, uint64_t now_us, usm__ajb_frame *out);
void usm__audio_jb_stats(const usm__audio_jb *jb, usm__ajb_stats *out);

#endif
