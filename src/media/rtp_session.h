/* An RTP session (RFC 3550) over one transport: our sending streams (audio,
 * video), the remote sources we receive (by SSRC, bounded), RTCP reports
 * (SR/RR + SDES CNAME, compound) and what they tell: loss, jitter, RTT.
 * No I/O: packets leave through the send callbacks (the transport protects
 * them in place, so each buffer has SRTP tailroom) and arrive through
 * usm__rtp_session_recv_*. Time is passed in (microseconds, monotonic) so
 * the tests drive it. Feedback (NACK, PLI, FIR, REMB) is handed up for the
 * codec layer. */
#ifndef USM_MEDIA_RTP_SESSION_H
#define USM_MEDIA_RTP_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <usm/common.h>

#include "media/rtcp.h"
#include "media/rtp_seq.h"

#define USM__RTP_MAX_SOURCES 32   /* remote SSRCs tracked; more are dropped */
#define USM__RTP_MAX_PAYLOAD 1400 /* a payload above this is the caller's error (MTU) */
#define USM__RTP_CNAME_MAX 64

typedef enum usm__media_kind { USM__MEDIA_AUDIO = 0, USM__MEDIA_VIDEO = 1, USM__MEDIA_KINDS = 2 } usm__media_kind;

typedef struct usm__rtp_session usm__rtp_session;

/* Per-stream numbers, for stats. */
typedef struct usm__stream_stats {
  uint64_t packets, bytes;   /* payload bytes */
  int64_t lost;              /* receive: cumulative lost (may be < 0 with duplicates); send: as the peer reports */
  uint32_t jitter_ms;        /* receive: ours; send: as the peer reports */
  uint32_t rtt_ms;           /* send: from the peer's reports on our SR; 0 unknown */
  uint64_t nacks, plis, firs; /* feedback received (send) or sent (receive) */
  uint64_t reports;          /* RTCP report blocks received about it (send) or sent about it (receive) */
  uint8_t fraction_lost;     /* RTCP 8-bit fraction of the last report: the peer's (send), ours (receive, the largest) */
} usm__stream_stats;

/* One received RTP packet of a known kind, as handed up (valid during the call). */
typedef struct usm__rtp_in {
  usm__media_kind kind;
  uint32_t ssrc;
  uint32_t csrc;          /* the first CSRC (a translator's contributing source), 0: none */
  const uint8_t *payload;
  size_t len;
  uint32_t timestamp;
  uint16_t seq;
  int marker;
  uint64_t arrival_us;    /* the now_us given to recv_rtp */
} usm__rtp_in;

typedef struct usm__rtp_session_config {
  const char *cname;           /* copied; our SDES CNAME */
  int send[USM__MEDIA_KINDS];  /* we send this kind */
  int pt[USM__MEDIA_KINDS];    /* payload type we send with (negotiated; -1 until known) */
  uint32_t clock[USM__MEDIA_KINDS]; /* 48000 audio, 90000 video */
  /* remote payload types -> kind: we learn the kind of a source from its PT */
  int recv_pt[USM__MEDIA_KINDS];
  /* Out: the buffer is ours, writable up to @p cap for SRTP's trailer. */
  usm_err (*send_rtp)(void *user, uint8_t *pkt, size_t len, size_t cap);
  usm_err (*send_rtcp)(void *user, uint8_t *pkt, size_t len, size_t cap);
  /* In: a received RTP packet of a known kind (payload valid during the call). */
  void (*on_rtp)(void *user, const usm__rtp_in *in);
  /* Feedback about what we send: RTCP PT 205/206 with the parsed packet. */
  void (*on_feedback)(void *user, usm__media_kind kind, const usm__rtcp_pkt *pkt);
  /* A report block about one of our streams (for the bandwidth estimate);
   * @p rtt_ms: from this block, 0 when it has none. Optional. */
  void (*on_report)(void *user, usm__media_kind kind, const usm__rtcp_report_block *b, uint32_t rtt_ms);
  /* A remote source said goodbye (RTCP BYE); it is forgotten. Optional. */
  void (*on_bye)(void *user, uint32_t ssrc);
  void *user;
} usm__rtp_session_config;

usm_err usm__rtp_session_create(const usm__rtp_session_config *cfg, usm__rtp_session **out);
void usm__rtp_session_destroy(usm__rtp_session *s);
/* The negotiated payload types (-1: none), once the answer is known: what
 * we send with, and how a received packet's kind is told. */
void usm__rtp_session_set_payload_types(usm__rtp_session *s, const int pt[USM__MEDIA_KINDS],
                                        const int recv_pt[USM__MEDIA_KINDS]);
/* Our SSRC for @p kind (random, RFC 3550 §8). */
uint32_t usm__rtp_session_ssrc(const usm__rtp_session *s, usm__media_kind kind);

/* Send one payload as the next packet of @p kind. @p capture_us: when it was
 * captured (for the timestamp). USM_ERR_LIMIT past USM__RTP_MAX_PAYLOAD;
 * USM_ERR_WRONG_STATE when we do not send that kind; the transport's error. */
usm_err usm__rtp_session_send(usm__rtp_session *s, usm__media_kind kind, const uint8_t *payload, size_t len,
                              uint64_t capture_us, int marker);

/* Received, decrypted packets. Malformed ones are counted and dropped. */
void usm__rtp_session_recv_rtp(usm__rtp_session *s, const uint8_t *pkt, size_t len, uint64_t now_us);
void usm__rtp_session_recv_rtcp(usm__rtp_session *s, const uint8_t *pkt, size_t len, uint64_t now_us);

/* Build and send one compound report (SR per sending stream or one RR, plus
 * SDES CNAME) now. Call about once a second (RFC 3550 allows more for
 * video; the official clients report every 1-5 s). */
usm_err usm__rtp_session_report(usm__rtp_session *s, uint64_t now_us);

/* Say goodbye (RFC 3550 §6.6): a compound RR + SDES + BYE for our SSRCs,
 * with @p reason (may be NULL). After it nothing more should be sent. */
usm_err usm__rtp_session_bye(usm__rtp_session *s, const char *reason, uint64_t now_us);

/* Send a generic NACK (RFC 4585) for @p n sequence numbers of the remote
 * source @p ssrc (in as many FCI entries as needed, one packet). */
usm_err usm__rtp_session_send_nack(usm__rtp_session *s, uint32_t ssrc, const uint16_t *seqs, size_t n);

/* Send a PLI for the remote source @p ssrc (video). */
usm_err usm__rtp_session_send_pli(usm__rtp_session *s, uint32_t ssrc);

/* Stats: what we send, and the sum over the remote sources of a kind. */
void usm__rtp_session_send_stats(const usm__rtp_session *s, usm__media_kind kind, usm__stream_stats *out);
void usm__rtp_session_recv_stats(const usm__rtp_session *s, usm__media_kind kind, usm__stream_stats *out);
/* Packets dropped as malformed, from unknown payload types, or beyond USM__RTP_MAX_SOURCES. */
uint64_t usm__rtp_session_dropped(const usm__rtp_session *s);

#endif
