/* Send-side retransmission history: a bounded ring of recently sent RTP
 * packets (video), stored as plaintext copies keyed by sequence number, that
 * answers a NACK's sequence list with the packets to send again (RFC 4585
 * §6.2.1). Bounded by count and by age; every slot is allocated at creation,
 * nothing per packet. Copies are taken BEFORE the packet is protected in
 * place (STYLE.md pattern 12, libdatachannel#1117): the history never holds
 * ciphertext. No I/O; time is passed in (monotonic microseconds). */
#ifndef USM_MEDIA_RTX_HISTORY_H
#define USM_MEDIA_RTX_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include <usm/common.h>

#include "media/rtp.h"

#define USM__RTX_DEFAULT_PACKETS 512u
/* Slots are a power of two dividing 2^16, so a sequence number's slot stays
 * the same across the wrap; at most half the sequence space. */
#define USM__RTX_MIN_PACKETS 16u
#define USM__RTX_MAX_PACKETS 32768u
#define USM__RTX_DEFAULT_MAX_AGE_MS 1000u
#define USM__RTX_DEFAULT_MAX_PACKET 1500u  /* plain RTP packet bytes a slot holds */
#define USM__RTX_MAX_PACKET_LIMIT 65535u
#define USM__RTX_DEFAULT_MIN_RESEND_MS 10u

typedef struct usm__rtx_history_cfg {
  uint32_t packets;       /* slots: a power of two in 16..32768; 0: 512 */
  uint32_t max_age_ms;    /* older packets are no longer resent; 0: 1000 */
  uint32_t max_packet;    /* largest plain RTP packet kept; 0: 1500 */
  uint32_t min_resend_ms; /* floor of the per-packet resend interval; 0: 10 */
} usm__rtx_history_cfg;

typedef struct usm__rtx_history usm__rtx_history;

/* What one NACK came to. */
typedef struct usm__rtx_nack_result {
  size_t resend;     /* sequence numbers written to the output, oldest request first */
  size_t not_held;   /* never stored, overwritten (count bound) or older than max_age */
  size_t throttled;  /* resent less than an interval ago, or repeated in the list */
  size_t no_room;    /* held and due, but the output was full */
} usm__rtx_nack_result;

typedef struct usm__rtx_history_stats {
  uint64_t stored;     /* packets put */
  uint64_t nacked;     /* sequence numbers asked for */
  uint64_t resent;     /* answered with a packet */
  uint64_t not_held;
  uint64_t throttled;
  uint64_t restarts;   /* the sender's sequence jumped: history cleared */
} usm__rtx_history_stats;

/* NULL cfg for the defaults. USM_ERR_INVALID_ARG for a bad bound,
 * USM_ERR_NO_MEMORY. */
usm_err usm__rtx_history_create(const usm__rtx_history_cfg *cfg, usm__rtx_history **out);
void usm__rtx_history_destroy(usm__rtx_history *h);
/* Forget every packet (a new stream). Memory stays. */
void usm__rtx_history_reset(usm__rtx_history *h);

/* Keep a plaintext copy of @p pkt, sent at @p now_us. Call it after
 * usm__rtp_pkt_build() and BEFORE srtp_protect(): a protected packet gives
 * USM_ERR_WRONG_STATE. USM_ERR_MALFORMED for a packet that is not RTP,
 * USM_ERR_LIMIT above max_packet or for a sequence number older than the
 * history reaches. A sequence number far away from the newest (the sender
 * restarted its numbering) clears the history first. */
usm_err usm__rtx_history_put(usm__rtx_history *h, const usm__rtp_pkt *pkt, uint64_t now_us);

/* Answer a NACK (e.g. from usm__rtcp_nack_seqs()): write to @p out the
 * sequence numbers to send again and mark them resent at @p now_us. A packet
 * is resent at most once per interval = max(min_resend_ms, 3/4 of @p rtt_ms)
 * (a little under one RTT so a receiver that retries once per RTT is not
 * throttled by jitter, yet a burst of duplicate NACKs is). Then copy each
 * with usm__rtx_history_find() + usm__rtp_pkt_copy() into a send buffer and
 * protect that one. @p res may be NULL. */
usm_err usm__rtx_history_on_nack(usm__rtx_history *h, const uint16_t *seqs, size_t n, uint64_t now_us,
                                 uint32_t rtt_ms, uint16_t *out, size_t cap, usm__rtx_nack_result *res);

/* The stored plain packet with sequence number @p seq, or NULL when it is not
 * held (never stored, overwritten, or older than max_age at @p now_us). Valid
 * until the next put/reset. Never protect it in place: copy it first. */
const usm__rtp_pkt *usm__rtx_history_find(const usm__rtx_history *h, uint16_t seq, uint64_t now_us);

/* Packets held at @p now_us (for tests and stats; scans every slot). */
size_t usm__rtx_history_count(const usm__rtx_history *h, uint64_t now_us);
void usm__rtx_history_get_stats(const usm__rtx_history *h, usm__rtx_history_stats *out);

#endif
