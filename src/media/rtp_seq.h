/* RTP sequence numbers and timestamps on both sides of a stream.
 * Receive: per-SSRC source state of RFC 3550 appendix A.1 (extended highest
 * sequence, probation, restart after a big jump), the loss counters of A.3
 * and the interarrival jitter of A.8. Send: sequence numbers and timestamps
 * from a random start (RFC 3550 §5.1), wrapping at 2^16 and 2^32. */
#ifndef USM_MEDIA_RTP_SEQ_H
#define USM_MEDIA_RTP_SEQ_H

#include <stddef.h>
#include <stdint.h>

#include <usm/common.h>

/* RFC 3550 A.1 constants. */
#define USM__RTP_MAX_DROPOUT 3000
#define USM__RTP_MAX_MISORDER 100
#define USM__RTP_MIN_SEQUENTIAL 2

/* What usm__rtp_rx_update() made of a packet. */
typedef enum usm__rtp_seq_result {
  USM__RTP_SEQ_VALID = 0,     /* in order, or ahead with a gap: counted */
  USM__RTP_SEQ_REORDERED,     /* late or duplicate (within MAX_MISORDER): counted */
  USM__RTP_SEQ_RESTARTED,     /* second packet in sequence after a big jump: state reset, counted */
  USM__RTP_SEQ_PROBATION,     /* source not yet valid (needs MIN_SEQUENTIAL in a row): not counted */
  USM__RTP_SEQ_BAD            /* big jump: dropped, remembered as a restart candidate */
} usm__rtp_seq_result;

/* Receive-side state of one source. Fields are read-only for callers. */
typedef struct usm__rtp_rx {
  uint32_t ssrc;
  uint32_t clock_rate;      /* Hz, for the jitter's arrival-time units */
  uint8_t started;          /* a first packet was seen */
  uint16_t max_seq;         /* highest sequence number seen */
  uint32_t cycles;          /* wraps of max_seq, times 65536 */
  uint32_t base_seq;
  uint32_t bad_seq;         /* last "bad" sequence + 1, or 65537 */
  uint32_t probation;
  uint32_t received;
  uint32_t expected_prior;  /* at the last report */
  uint32_t received_prior;
  uint8_t have_transit;
  uint32_t transit;         /* last (arrival - rtp timestamp), in clock units, mod 2^32 */
  uint32_t jitter_q4;       /* jitter * 16 (A.8 integer form) */
} usm__rtp_rx;

/* The receiver-report fields for one source (RFC 3550 §6.4.1). */
typedef struct usm__rtp_rx_report {
  uint8_t fraction_lost;    /* since the previous report, /256 */
  int32_t cumulative_lost;  /* clamped to 24-bit signed: -8388608..8388607 */
  uint32_t ext_highest_seq; /* cycles + max_seq */
  uint32_t jitter;          /* clock units */
  uint32_t expected;        /* for logging */
  uint32_t received;
} usm__rtp_rx_report;

/* Fresh state; the first usm__rtp_rx_update() starts probation. clock_rate 0 is invalid. */
usm_err usm__rtp_rx_init(usm__rtp_rx *s, uint32_t ssrc, uint32_t clock_rate);
/* Feed one packet's sequence number (A.1 update_seq). */
usm__rtp_seq_result usm__rtp_rx_update(usm__rtp_rx *s, uint16_t seq);
/* Sequence update plus jitter (A.8) from the RTP timestamp and the arrival time
 * in microseconds of any monotonic clock. Do not feed retransmissions here. */
usm__rtp_seq_result usm__rtp_rx_on_packet(usm__rtp_rx *s, uint16_t seq, uint32_t rtp_ts,
                                          uint64_t arrival_us);
/* Extended highest sequence number: cycles + max_seq. */
uint32_t usm__rtp_rx_ext_max(const usm__rtp_rx *s);
/* Counters for a report block (A.3); advances the "prior" counters, so call it
 * once per report sent. */
void usm__rtp_rx_report_take(usm__rtp_rx *s, usm__rtp_rx_report *out);

/* Microseconds of a monotonic clock in units of @p clock_rate Hz, mod 2^32
 * (exact for any uptime: no 64-bit overflow). */
uint32_t usm__rtp_us_to_units(uint64_t us, uint32_t clock_rate);

/* Send-side state of one stream. */
typedef struct usm__rtp_tx {
  uint32_t ssrc;
  uint32_t clock_rate;
  uint16_t next_seq;
  uint32_t ts_offset;       /* random: added to every timestamp */
  uint32_t packet_count;    /* for the SR: wraps at 2^32 (RFC 3550 §6.4.1) */
  uint32_t octet_count;     /* payload octets, wraps at 2^32 */
} usm__rtp_tx;

/* Random SSRC, first sequence number and timestamp offset from OpenSSL
 * RAND_bytes. USM_ERR_INTERNAL when RAND_bytes fails; USM_ERR_INVALID_ARG for clock_rate 0. */
usm_err usm__rtp_tx_init(usm__rtp_tx *t, uint32_t clock_rate);
/* The sequence number for the next packet (wraps 65535 -> 0). */
uint16_t usm__rtp_tx_next_seq(usm__rtp_tx *t);
/* RTP timestamp of a capture time (monotonic microseconds), wrapping at 2^32. */
uint32_t usm__rtp_tx_timestamp(const usm__rtp_tx *t, uint64_t capture_us);
/* Count a sent packet for the next SR. */
void usm__rtp_tx_count(usm__rtp_tx *t, size_t payload_len);

#endif
