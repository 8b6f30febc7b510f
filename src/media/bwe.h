/* Sender-side bandwidth estimation: the loss-based controller of
 * draft-ietf-rmcat-gcc-02 §6 as libwebrtc's SendSideBandwidthEstimation runs
 * it (grow ~8 %/s under 2 % loss, hold up to 10 %, cut by half the loss
 * above), with the peer's REMB as an upper bound and the rate we actually
 * sent bounding increases. Plus the split of a total into audio and video.
 * No I/O; time is passed in (monotonic microseconds). See docs/bandwidth.md. */
#ifndef USM_MEDIA_BWE_H
#define USM_MEDIA_BWE_H

#include <stdint.h>
#include <usm/common.h>

/* Defaults (bit/s). The official client asks for x-google-start-bitrate 2000
 * kbps; we start lower and ramp. Max: bandwidthLimits video 4000000 + audio
 * 64000 (shared/PROTOCOL.md §5.3). Min: below ~50 kbit/s even audio-only
 * with RTP/UDP/SRTP overhead barely fits, and a lower floor only slows the
 * recovery after a loss burst. */
#define USM__BWE_DEFAULT_START_BPS 1000000u
#define USM__BWE_DEFAULT_MIN_BPS 50000u
#define USM__BWE_DEFAULT_MAX_BPS 4064000u
/* A REMB older than this no longer caps (the receiver sends one at least
 * every second or so; five missed means it stopped or changed its mind). */
#define USM__BWE_REMB_TIMEOUT_MS 5000u

/* What audio needs (Opus, RFC 7587 §7.1 region; codec/opus.h defaults):
 * pass one of them (or the negotiated cap, if lower) as audio_max_bps to
 * usm__bwe_split(). AUDIO_FLOOR: where audio stops giving way to a low total. */
#define USM__BWE_AUDIO_MONO_BPS 32000u
#define USM__BWE_AUDIO_STEREO_BPS 64000u
#define USM__BWE_AUDIO_FLOOR_BPS 16000u

typedef struct usm__bwe_cfg {
  uint32_t start_bps; /* 0: USM__BWE_DEFAULT_START_BPS; clamped into [min, max] */
  uint32_t min_bps;   /* 0: USM__BWE_DEFAULT_MIN_BPS */
  uint32_t max_bps;   /* 0: USM__BWE_DEFAULT_MAX_BPS */
} usm__bwe_cfg;

typedef struct usm__bwe_stats {
  uint32_t target_bps;
  uint8_t fraction_lost; /* the last loss sample the controller acted on, 1/256 */
  uint32_t loss_pct;     /* the same, rounded to a percent */
  uint64_t remb_bps;     /* the last REMB received, 0 none */
  int remb_active;       /* it was recent enough to cap, as of the last event */
  uint32_t rtt_ms;       /* last known, 0 unknown */
  uint32_t sent_bps;     /* the recent sent rate that bounds increases, 0 unknown */
  uint64_t reports;      /* usm__bwe_on_report() calls */
  uint64_t loss_samples; /* loss samples evaluated (reports merged to >= 20 packets) */
  uint64_t increases, decreases;
  uint64_t app_limited;  /* increases cut short because we sent less than the target */
} usm__bwe_stats;

typedef struct usm__bwe usm__bwe;

/* @p cfg may be NULL (all defaults). USM_ERR_INVALID_ARG when out is NULL or
 * min > max (after defaults); USM_ERR_NO_MEMORY. */
usm_err usm__bwe_create(const usm__bwe_cfg *cfg, usm__bwe **out);
void usm__bwe_destroy(usm__bwe *b);

/* A receiver report block about one of our streams: its fraction_lost
 * (RTCP, 1/256), rtt_ms (0 unknown: the last one is kept), and how many
 * packets it covers (the extended highest sequence number's advance since
 * that stream's previous block; 0 unknown: the fraction counts on its own).
 * Blocks are merged (weighted by packets, audio and video together) until
 * they cover >= 20 packets, so one block about three packets does not swing
 * the rate. */
void usm__bwe_on_report(usm__bwe *b, uint8_t fraction_lost, uint32_t rtt_ms, uint32_t packets,
                        uint64_t now_us);
/* A REMB from the peer: an upper bound on what it can take. Caps the target
 * at once (not below min_bps); the latest REMB replaces earlier ones; it
 * stops capping USM__BWE_REMB_TIMEOUT_MS after it arrived. */
void usm__bwe_on_remb(usm__bwe *b, uint64_t bitrate_bps, uint64_t now_us);
/* What we actually sent over the last interval (bit/s, all streams; call
 * every 0.2-1 s). Increases stop at 1.5x the largest such rate of the last
 * 2 s + 10 kbit/s. Never called: no such bound. */
void usm__bwe_on_sent(usm__bwe *b, uint32_t sent_bps, uint64_t now_us);

/* The current estimate, bit/s: within [min, max], and <= the REMB (unless
 * that is below min) while a REMB is recent. */
uint32_t usm__bwe_target(const usm__bwe *b);

/* Split @p total_bps into audio and video.
 * Audio: @p audio_max_bps (what the encoder wants, USM__BWE_AUDIO_MONO_BPS or
 * _STEREO_BPS, or the negotiated cap if lower; 0: no audio), less when the
 * total cannot also give video its minimum, never below
 * min(audio_max_bps, USM__BWE_AUDIO_FLOOR_BPS).
 * Video: the rest, at most @p video_max_bps (0: no video). @p video_min_bps > 0
 * is a floor video keeps even when the total is lower (then audio + video
 * exceed the total by at most video_min + the audio floor); 0 means video
 * gets only what is left, so it is paused (0) when the total is at or below
 * the audio rate. Either output may be NULL. */
void usm__bwe_split(uint32_t total_bps, uint32_t audio_max_bps, uint32_t video_min_bps,
                    uint32_t video_max_bps, uint32_t *audio_bps, uint32_t *video_bps);

void usm__bwe_get_stats(const usm__bwe *b, usm__bwe_stats *out);

#endif
