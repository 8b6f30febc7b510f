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
  uint64_t packets;  /**< RTP packets sent / received. */
  uint64_t bytes;    /**< Payload bytes. */
  int64_t lost;      /**< Received: packets lost (RTCP cumulative lost; may be negative with duplicates). Sent: as the peer reports. */
  uint32_t jitter_ms; /**< Interarrival jitter: ours (received), the peer's report (sent). */
  uint32_t rtt_ms;   /**< Sent: round-trip time from the peer's RTCP reports; 0 unknown. */
  uint64_t nacks;    /**< NACK packets received about this stream (sent) or sent (received). */
  uint64_t plis;     /**< PLIs, likewise. */
  uint64_t firs;     /**< FIRs, likewise. */
  uint64_t reports;  /**< RTCP report blocks about this stream: received from the peer (sent), sent by us (received). */
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
} usm_media_stats;

/** Fill @p s with zeros and its struct_size. */
USM_API void usm_media_stats_init(usm_media_stats *s);

/** Name of a media state ("connected", ...); static. */
USM_API const char *usm_media_state_name(usm_media_state s);

#ifdef __cplusplus
}
#endif
#endif
