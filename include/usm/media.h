/* libusm: a meeting's media connection (ICE, DTLS-SRTP, RTP/RTCP to the
 * cloud's media server), its state and its transport statistics. */
#ifndef USM_MEDIA_H
#define USM_MEDIA_H

/**
 * @file media.h
 * Media is asked for at join (usm_join_options.media). Once joined, libusm
 * signals with ROAP over Locus (TURN discovery, offer, answer), runs ICE
 * against the media server, derives SRTP keys with DTLS and starts RTP and
 * RTCP; state changes arrive as USM_EVENT_MEDIA. See docs/media-transport.md.
 * Loop thread only, like the rest of the meeting API.
 */

#include <stddef.h>
#include <stdint.h>
#include <usm/common.h>

/** The meeting handle (see meeting.h). */
typedef struct usm_meeting usm_meeting;

#ifdef __cplusplus
extern "C" {
#endif

/* Bits of usm_join_options.media: what the meeting sends and receives. */
/** Send our audio. */
#define USM_MEDIA_AUDIO_SEND 0x1u
/** Receive the others' audio. */
#define USM_MEDIA_AUDIO_RECV 0x2u
/** Send our video. */
#define USM_MEDIA_VIDEO_SEND 0x4u
/** Receive the others' video. */
#define USM_MEDIA_VIDEO_RECV 0x8u
/** Audio and video both ways. */
#define USM_MEDIA_ALL 0xFu

/** Where the media connection stands. Append-only. */
typedef enum usm_media_state {
  USM_MEDIA_IDLE = 0,         /**< No media: not asked for, not joined yet, or left. */
  USM_MEDIA_CHECKING = 1,     /**< Offer/answer, ICE checks and the DTLS handshake under way. */
  USM_MEDIA_CONNECTED = 2,    /**< SRTP flows both ways. */
  USM_MEDIA_DISCONNECTED = 3, /**< The path stopped answering (ICE consent); libusm tries to restore it. */
  USM_MEDIA_FAILED = 4,       /**< Gave up; event.error says why (USM_ERR_ICE_FAILED, USM_ERR_DTLS, USM_ERR_ROAP...). */
  USM_MEDIA_RESTARTED = 5     /**< An ICE restart began (new offer); CHECKING and CONNECTED follow. */
} usm_media_state;

/** Counters of one direction of one kind of media. */
typedef struct usm_stream_stats {
  uint64_t packets;  /**< RTP packets sent / received (retransmissions included). */
  uint64_t bytes;    /**< Payload bytes. */
  int64_t lost;      /**< Received: packets lost (RTCP cumulative lost; may be negative with duplicates). Sent: as the peer reports. */
  uint32_t jitter_ms; /**< Interarrival jitter: ours (received), the peer's report (sent). */
  uint32_t rtt_ms;   /**< Sent: round-trip time from the peer's RTCP reports; 0 unknown. */
  uint64_t nacks;    /**< NACK packets received about this stream (sent) or sent (received). */
  uint64_t plis;     /**< PLIs, likewise. */
  uint64_t firs;     /**< FIRs, likewise. */
  uint64_t reports;  /**< RTCP report blocks about this stream: received from the peer (sent), sent by us (received). */
  uint32_t bitrate_kbps;        /**< Payload bit rate over the last second. */
  uint32_t target_bitrate_kbps; /**< Sent: what the encoder aims at now (bandwidth estimate within the caps); received: 0. */
  uint32_t fraction_lost_pct;   /**< Loss over the last report interval: the peer's report (sent), ours (received). */
  uint64_t frames;              /**< Frames encoded (sent) or decoded and delivered (received); audio: 20 ms frames. */
  uint64_t frames_dropped;      /**< Sent: frames the encoder skipped. Received video: frames lost or refused (never a corrupt one
                                     delivered); audio: frames the jitter buffer skipped (late, or to shrink its delay). */
  uint64_t keyframes;           /**< Video keyframes sent / received. */
  uint64_t retransmitted;       /**< Sent: packets resent for NACKs; received: lost packets that came back after a NACK. */
  uint32_t jitter_buffer_ms;    /**< Received audio: current playout delay of the jitter buffer (largest over the sources). */
  uint64_t concealed_ms;        /**< Received audio: audio made up by loss concealment. */
  uint64_t fec_recovered;       /**< Received audio: frames rebuilt from in-band FEC. */
  unsigned width;               /**< Video: width of the last frame sent / received. */
  unsigned height;              /**< Video: its height. */
  uint32_t fps;                 /**< Video: frames over the last second. */
  char codec[8];                /**< "opus", "VP8", "H264", or "" before negotiation. */
} usm_stream_stats;

/** A meeting's media statistics. Initialise with usm_media_stats_init(). */
typedef struct usm_media_stats {
  size_t struct_size;             /**< Set by usm_media_stats_init(). */
  usm_media_state state;          /**< As the last USM_EVENT_MEDIA said. */
  usm_stream_stats audio_sent;    /**< Our audio. */
  usm_stream_stats audio_received; /**< Everyone else's audio, summed. */
  usm_stream_stats video_sent;    /**< Our video. */
  usm_stream_stats video_received; /**< Everyone else's video, summed. */
  uint64_t srtp_dropped;          /**< Packets refused: bad authentication, replays, malformed. */
  uint32_t ice_rtt_ms;            /**< Round-trip time of the ICE checks on the selected path. */
  char local_address[64];         /**< Selected path, our side: "ip:port", or "" when none. */
  char remote_address[64];        /**< Selected path, the media server's side. */
  char local_type[8];             /**< "host", "srflx", "prflx" or "relay", or "". */
  uint32_t available_send_kbps;   /**< The sender's bandwidth estimate (REMB, else loss based), within the caps. */
  uint64_t elapsed_ms;            /**< Since media first connected. */
} usm_media_stats;

/* ---- frames in and out ---------------------------------------------------------- */

/** Sample layouts of usm_audio_frame. */
typedef enum usm_sample_format {
  USM_SAMPLE_S16 = 0,  /**< Interleaved signed 16-bit. */
  USM_SAMPLE_FLOAT = 1 /**< Interleaved 32-bit float in [-1, 1] (clipped). */
} usm_sample_format;

/**
 * Audio at 48 kHz. Sending: any number of samples per call (libusm cuts them
 * into codec frames); the data is copied before the call returns.
 * Receiving: one 20 ms frame per source per call, S16; valid during the call.
 */
typedef struct usm_audio_frame {
  const void *data;         /**< Interleaved samples in @ref format. */
  usm_sample_format format; /**< S16 or FLOAT. */
  unsigned channels;        /**< 1 or 2. */
  size_t samples;           /**< Per channel. At most 48000 (one second) per call. */
  int64_t timestamp_us;     /**< Sending: capture time of the first sample (any monotonic clock; used to
                                 detect gaps); receiving: the sender's time line (RTP) in microseconds. */
} usm_audio_frame;

/**
 * An I420 picture. Sending: copied or encoded before the call returns; a
 * new size restarts the encoder with a keyframe. Receiving: valid during the
 * call; never a picture whose reference chain is broken.
 */
typedef struct usm_video_frame {
  const uint8_t *plane[3]; /**< Y, U, V. */
  int stride[3];           /**< Bytes per row of each plane. */
  unsigned width;          /**< Even, 16..3840. */
  unsigned height;         /**< Even, 16..2160. */
  int64_t timestamp_us;    /**< Sending: capture time (monotonic, increasing); receiving: the sender's (RTP). */
  int keyframe;            /**< Receiving: decoded from a keyframe. Sending: ignored. */
} usm_video_frame;

/** Media kinds, for callbacks and encoded frames. */
typedef enum usm_media_kind {
  USM_MEDIA_KIND_AUDIO = 0, /**< Audio. */
  USM_MEDIA_KIND_VIDEO = 1  /**< Video. */
} usm_media_kind;

/** Who a received frame comes from; valid during the callback. */
typedef struct usm_media_source {
  uint32_t ssrc;              /**< The stream as the media server sends it to us. */
  uint32_t csi;               /**< The capture source id the media server names (RTP CSRC), 0 when none. */
  const char *participant_id; /**< The roster entry whose csis list holds @ref csi, or NULL when unknown. */
} usm_media_source;

/** One encoded frame as received (for recorders); valid during the callback. */
typedef struct usm_encoded_frame {
  usm_media_kind kind;    /**< Audio or video. */
  const char *codec;      /**< "opus", "VP8" or "H264". */
  const uint8_t *data;    /**< Audio: one Opus packet; video: one whole frame (VP8 frame, or H.264 Annex B access unit). */
  size_t len;             /**< Bytes. */
  uint32_t rtp_timestamp; /**< RTP clock (48 kHz / 90 kHz). */
  int keyframe;           /**< Video: a keyframe. */
  unsigned width;         /**< Video keyframes: the width, else 0. */
  unsigned height;        /**< Video keyframes: the height, else 0. */
} usm_encoded_frame;

/** Decoded audio of one source, one 20 ms frame per call on the playout clock. */
typedef void (*usm_audio_cb)(usm_meeting *m, const usm_media_source *from, const usm_audio_frame *f, void *user);
/** A decoded picture of one source. */
typedef void (*usm_video_cb)(usm_meeting *m, const usm_media_source *from, const usm_video_frame *f, void *user);
/** An encoded frame of one source, before decoding (video: only complete frames with an intact chain). */
typedef void (*usm_encoded_cb)(usm_meeting *m, const usm_media_source *from, const usm_encoded_frame *f,
                               void *user);

/** Receive callbacks. Initialise with usm_media_callbacks_init(). */
typedef struct usm_media_callbacks {
  size_t struct_size;   /**< Set by usm_media_callbacks_init(). */
  usm_audio_cb audio;   /**< Decoded audio, or NULL. */
  usm_video_cb video;   /**< Decoded video, or NULL (then video is not decoded at all). */
  usm_encoded_cb encoded; /**< Encoded frames, or NULL. */
  void *user;           /**< Passed to each. */
} usm_media_callbacks;

/** Fill @p cb with zeros and its struct_size. */
USM_API void usm_media_callbacks_init(usm_media_callbacks *cb);

/**
 * Set (or, with NULL, clear) the receive callbacks. Any time, also before
 * the join; the callbacks are copied.
 */
USM_API usm_err usm_meeting_set_media_callbacks(usm_meeting *m, const usm_media_callbacks *cb);

/**
 * Send audio (USM_MEDIA_AUDIO_SEND asked at join). Encoded with Opus at the
 * negotiated settings in 20 ms frames; the bitrate follows the bandwidth
 * estimate within 64 kbit/s. While media is not CONNECTED or audio is muted
 * the samples are dropped and USM_OK returned (a capture loop need not
 * care). USM_ERR_INVALID_ARG for a bad layout; USM_ERR_WRONG_STATE when the
 * meeting does not send audio.
 */
USM_API usm_err usm_meeting_send_audio(usm_meeting *m, const usm_audio_frame *f);

/**
 * Send a picture (USM_MEDIA_VIDEO_SEND asked at join), encoded with the
 * negotiated codec (VP8 or H.264); the bitrate follows the bandwidth
 * estimate within 4 Mbit/s. Dropped with USM_OK while not CONNECTED or muted.
 * USM_ERR_INVALID_ARG for a bad size or layout; USM_ERR_CODEC when the
 * encoder fails.
 */
USM_API usm_err usm_meeting_send_video(usm_meeting *m, const usm_video_frame *f);

/** What usm_meeting_play() sends. Initialise with usm_play_options_init(). */
typedef struct usm_play_options {
  size_t struct_size;      /**< Set by usm_play_options_init(). */
  const char *audio;       /**< "tone" (a 440 Hz sine with a 1 kHz beep each second), a path to a WAV
                                file (PCM s16, 48 kHz, 1 or 2 channels), or NULL: no audio. */
  const char *video;       /**< "pattern" (moving bars with the frame number in a binary strip), a path
                                to a Y4M file (I420), or NULL: no video. */
  unsigned width;          /**< Pattern width; 0: 640. */
  unsigned height;         /**< Pattern height; 0: 360. */
  unsigned fps;            /**< Pattern rate; 0: 30. Y4M: the file's rate. */
  int loop;                /**< Files: start again at the end (else the source stops). */
} usm_play_options;

/** Fill @p o with defaults. */
USM_API void usm_play_options_init(usm_play_options *o);

/**
 * Let libusm send from a file or a generator on the meeting's loop, in
 * real time, through usm_meeting_send_audio()/_video(); until
 * usm_meeting_stop_playing(), the meeting leaves or the file ends.
 * Replaces an earlier source. USM_ERR_NOT_FOUND / USM_ERR_MALFORMED for a
 * file that cannot be read.
 */
USM_API usm_err usm_meeting_play(usm_meeting *m, const usm_play_options *o);

/** Stop what usm_meeting_play() started. */
USM_API usm_err usm_meeting_stop_playing(usm_meeting *m);

/**
 * Media statistics: transport, RTP, codec and jitter buffer numbers
 * (@p out initialised with usm_media_stats_init). With
 * usm_join_options.stats_interval_ms the same arrive as USM_EVENT_STATS.
 */
USM_API usm_err usm_meeting_get_stats(const usm_meeting *m, usm_media_stats *out);

/** Fill @p s with zeros and its struct_size. */
USM_API void usm_media_stats_init(usm_media_stats *s);

/** Name of a media state ("connected", ...); static. */
USM_API const char *usm_media_state_name(usm_media_state s);

#ifdef __cplusplus
}
#endif
#endif
