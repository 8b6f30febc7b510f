/* The meeting's media session (media.c), its sending side (media_send.c) and
 * its receiving side (media_recv.c), as the rest of the meeting layer sees
 * them. Internal. docs/media-pipeline.md. */
#ifndef USM_MEETING_MEDIA_INTERNAL_H
#define USM_MEETING_MEDIA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <usm/meeting.h>
#include <uv.h>

#include "media/rtcp.h"
#include "media/rtp_session.h"
#include "media/sdp_negotiate.h"
#include "meeting/roap.h"

typedef struct usm__media usm__media;

/* Every received RTP payload of a negotiated kind (valid during the call). */
typedef void (*usm__media_tap)(usm_meeting *m, usm__media_kind kind, uint32_t ssrc, const uint8_t *payload,
                               size_t len, uint32_t timestamp, uint16_t seq, int marker, void *user);

/* Start media after the join when m->media_flags asks for it: ROAP, ICE,
 * DTLS. 0 when the meeting is gone (an event callback destroyed it). */
int usm__media_start(usm_meeting *m);
/* Stop at once (no more callbacks); memory goes on the next loop turn. */
void usm__media_stop(usm_meeting *m);
/* A ROAP message the server pushed over Mercury for this meeting. */
void usm__media_on_roap(usm_meeting *m, const usm__roap_msg *msg);
/* Our own mute changed (a request of ours, or the host's): stop or resume sending. */
void usm__media_set_muted(usm_meeting *m, int audio, int video);

/* Send one payload as the next RTP packet of @p kind, bypassing the codecs
 * (tests of the transport). USM_ERR_WRONG_STATE unless media is CONNECTED. */
usm_err usm__media_send(usm_meeting *m, usm__media_kind kind, const uint8_t *payload, size_t len, int marker);
void usm__media_set_tap(usm_meeting *m, usm__media_tap tap, void *user);

/* ---- media_send.c: encoders, packetizers, retransmissions, rate ---------- */

typedef struct usm__sender usm__sender;

typedef struct usm__sender_cfg {
  usm__rtp_session *rtp;
  /* Send an already built plain RTP packet again (a retransmission); the
   * buffer is writable up to @p cap (SRTP trailer). */
  usm_err (*resend)(void *user, uint8_t *pkt, size_t len, size_t cap);
  void (*log)(void *user, int level, const char *msg);
  void *user;
  unsigned audio_channels;        /* 1 or 2 */
  uint32_t audio_max_bps, video_max_bps; /* caps (PROTOCOL.md bandwidthLimits) */
} usm__sender_cfg;

usm_err usm__sender_create(const usm__sender_cfg *cfg, usm__sender **out);
void usm__sender_destroy(usm__sender *s);
/* (Re)configure encoders from a negotiation (codec, fmtp, feedback). */
usm_err usm__sender_configure(usm__sender *s, const usm__sdp_result *neg);
usm_err usm__sender_audio(usm__sender *s, const usm_audio_frame *f, uint64_t now_us);
usm_err usm__sender_video(usm__sender *s, const usm_video_frame *f, uint64_t now_us);
void usm__sender_set_muted(usm__sender *s, int audio, int video);
/* A plain RTP packet of ours is leaving (kept for NACKs when it is video). */
void usm__sender_on_packet(usm__sender *s, usm__media_kind kind, const uint8_t *pkt, size_t len, uint64_t now_us);
void usm__sender_on_feedback(usm__sender *s, usm__media_kind kind, const usm__rtcp_pkt *p, uint64_t now_us);
void usm__sender_on_report(usm__sender *s, usm__media_kind kind, const usm__rtcp_report_block *b,
                           uint32_t rtt_ms, uint64_t now_us);
/* About once a second: the bandwidth estimate moves the encoders' bitrates. */
void usm__sender_tick(usm__sender *s, uint64_t now_us);
/* Adds the codec-level numbers of what we send to @p out. */
void usm__sender_stats(const usm__sender *s, usm__media_kind kind, usm_stream_stats *out);
uint32_t usm__sender_available_bps(const usm__sender *s);

/* ---- media_recv.c: per source jitter buffer / assembler, decoders -------- */

typedef struct usm__receiver usm__receiver;

typedef struct usm__receiver_cfg {
  usm_meeting *m;              /* callbacks (m->media_cb) and the roster (CSI -> participant) */
  uv_loop_t *loop;
  usm__rtp_session *rtp;       /* NACK and PLI go out through it */
} usm__receiver_cfg;

usm_err usm__receiver_create(const usm__receiver_cfg *cfg, usm__receiver **out);
/* Stops its timers; memory goes in the close callbacks. */
void usm__receiver_destroy(usm__receiver *r);
usm_err usm__receiver_configure(usm__receiver *r, const usm__sdp_result *neg);
/* A received packet. 0 when the meeting or the media session is gone (a
 * callback destroyed it): the caller returns at once. */
int usm__receiver_on_rtp(usm__receiver *r, const usm__rtp_in *in);
/* The source said goodbye (RTCP BYE): no more frames from it. */
void usm__receiver_forget(usm__receiver *r, uint32_t ssrc);
void usm__receiver_stats(const usm__receiver *r, usm__media_kind kind, usm_stream_stats *out);

#endif
