/* Receive-side NACK scheduling (RFC 4585 §6.2.1 generic NACK): from the
 * sequence numbers that arrive (16-bit, wrapping) it keeps a bounded list of
 * missing packets and decides, at each tick, which to ask for again: the
 * first NACK after a short reorder wait, then one retry per RTT, up to a
 * number of tries or an age; then it gives up and asks for a keyframe (the
 * caller calls usm__vp8_asm_give_up() and sends a PLI through the PLI
 * limiter). A jump too big to be loss is taken as a restart of the stream and
 * resets the list instead of NACKing thousands. No I/O; time is passed in
 * (monotonic microseconds), the RTT too. */
#ifndef USM_MEDIA_NACK_REQUESTER_H
#define USM_MEDIA_NACK_REQUESTER_H

#include <stddef.h>
#include <stdint.h>

#include <usm/common.h>

#define USM__NACK_DEFAULT_MAX_MISSING 1000u
#define USM__NACK_MAX_MISSING_LIMIT 16384u
#define USM__NACK_DEFAULT_MAX_RETRIES 10u
#define USM__NACK_MAX_RETRIES_LIMIT 255u
#define USM__NACK_DEFAULT_MAX_AGE_MS 1000u
#define USM__NACK_DEFAULT_REORDER_WAIT_MS 10u
#define USM__NACK_DEFAULT_RTT_MS 100u  /* retry interval while the RTT is unknown (0) */
#define USM__NACK_MIN_RETRY_MS 5u      /* retry interval floor, whatever the RTT says */

typedef struct usm__nack_cfg {
  uint32_t max_missing;     /* missing packets tracked, 1..16384; 0: 1000. A larger gap is a restart */
  uint32_t max_retries;     /* NACKs per packet, 1..255; 0: 10 */
  uint32_t max_age_ms;      /* since the gap was seen; 0: 1000 */
  uint32_t reorder_wait_ms; /* before the first NACK; 0: 10 */
} usm__nack_cfg;

/* What one arriving packet was to the requester. */
typedef enum usm__nack_arrival {
  USM__NACK_IN_ORDER = 0,   /* the next one */
  USM__NACK_GAP,            /* ahead of the next: the packets between are now missing */
  USM__NACK_RECOVERED,      /* was missing and NACKed: a retransmission (or very late) */
  USM__NACK_REORDERED,      /* was missing, arrived before its first NACK */
  USM__NACK_LATE,           /* older and not missing: a duplicate, or given up on */
  USM__NACK_DUPLICATE,      /* the newest again */
  USM__NACK_JUMP,           /* too far from the stream to be loss: ignored, unless the next
                             * packet follows it (then that one is a RESET) */
  USM__NACK_RESET           /* a restart (second packet in a row after a big jump): list cleared */
} usm__nack_arrival;

typedef struct usm__nack_stats {
  uint64_t nacks_sent;      /* sequence numbers put in NACKs (each try counts) */
  uint64_t nack_ticks;      /* ticks that produced a non-empty list */
  uint64_t recovered;       /* arrived after at least one NACK */
  uint64_t reordered;       /* arrived before the first NACK */
  uint64_t given_up;        /* out of tries or too old */
  uint64_t evicted;         /* pushed out of a full list */
  uint64_t cleared;         /* dropped by usm__nack_clear_before() (e.g. after a keyframe) */
  uint64_t resets;          /* restarts */
  uint64_t keyframe_requests; /* ticks that reported want_keyframe */
} usm__nack_stats;

typedef struct usm__nack_requester usm__nack_requester;

/* NULL cfg for the defaults. USM_ERR_INVALID_ARG for a bound out of range. */
usm_err usm__nack_create(const usm__nack_cfg *cfg, usm__nack_requester **out);
void usm__nack_destroy(usm__nack_requester *r);
/* Forget the stream (new SSRC): the next packet starts afresh. Stats stay. */
void usm__nack_reset(usm__nack_requester *r);

/* Feed the sequence number of every packet that arrives, retransmissions
 * included (with their original sequence number). */
usm__nack_arrival usm__nack_on_packet(usm__nack_requester *r, uint16_t seq, uint64_t now_us);

/* Forget missing packets older than @p seq (e.g. a keyframe starting at @p
 * seq was handed over: nothing before it is needed). */
void usm__nack_clear_before(usm__nack_requester *r, uint16_t seq);

/* Decide now: write the sequence numbers to NACK (oldest first, at most @p
 * cap; the rest wait for the next tick) for usm__rtcp_build_nack(), and drop
 * the ones given up on. @p rtt_ms: the current round-trip time, 0 if unknown.
 * *want_keyframe (may be NULL) is set to 1 when packets were given up,
 * evicted or a restart happened since the last tick: the caller gives up on
 * the assembler and asks for a keyframe; else 0. Returns how many were written. */
size_t usm__nack_tick(usm__nack_requester *r, uint64_t now_us, uint32_t rtt_ms, uint16_t *out, size_t cap,
                      int *want_keyframe);

/* When the next tick has something to do, for a timer: UINT64_MAX when
 * nothing is missing and no keyframe wish is waiting to be reported. */
uint64_t usm__nack_next_due_us(const usm__nack_requester *r, uint32_t rtt_ms);

/* Missing packets tracked now. */
size_t usm__nack_missing_count(const usm__nack_requester *r);
void usm__nack_get_stats(const usm__nack_requester *r, usm__nack_stats *out);

#endif
