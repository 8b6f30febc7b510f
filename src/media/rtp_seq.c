/* RTP sequence/timestamp tracking: RFC 3550 A.1 (source validation and
 * extended sequence numbers), A.3 (loss counters) and A.8 (jitter) on the
 * receive side; random-start sequence numbers and timestamps on the send side. */
#include "media/rtp_seq.h"

#include <string.h>

#include <openssl/rand.h>

#define RTP_SEQ_MOD (1u << 16)

/* A.1 init_seq: (re)start counting at @p seq. */
static void init_seq(usm__rtp_rx *s, uint16_t seq) {
  s->base_seq = seq;
  s->max_seq = seq;
  s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
  s->cycles = 0;
  s->received = 0;
  s->received_prior = 0;
  s->expected_prior = 0;
}

usm_err usm__rtp_rx_init(usm__rtp_rx *s, uint32_t ssrc, uint32_t clock_rate) {
  if (!s || clock_rate == 0) return USM_ERR_INVALID_ARG;
  memset(s, 0, sizeof *s);
  s->ssrc = ssrc;
  s->clock_rate = clock_rate;
  s->bad_seq = RTP_SEQ_MOD + 1;
  return USM_OK;
}

usm__rtp_seq_result usm__rtp_rx_update(usm__rtp_rx *s, uint16_t seq) {
  if (!s->started) {
    /* A.1: a new source starts on probation, as if seq - 1 had been seen */
    init_seq(s, seq);
    s->max_seq = (uint16_t)(seq - 1);
    s->probation = USM__RTP_MIN_SEQUENTIAL;
    s->started = 1;
  }
  uint16_t udelta = (uint16_t)(seq - s->max_seq);

  if (s->probation) {
    if (seq == (uint16_t)(s->max_seq + 1)) {
      s->probation--;
      s->max_seq = seq;
      if (s->probation == 0) {
        init_seq(s, seq);
        s->received++;
        return USM__RTP_SEQ_VALID;
      }
    } else {
      s->probation = USM__RTP_MIN_SEQUENTIAL - 1;
      s->max_seq = seq;
    }
    return USM__RTP_SEQ_PROBATION;
  }
  usm__rtp_seq_result r = USM__RTP_SEQ_VALID;
  if (udelta < USM__RTP_MAX_DROPOUT) {
    /* in order, with a permissible gap; a smaller number means a wrap */
    if (udelta == 0) r = USM__RTP_SEQ_REORDERED; /* a duplicate of the highest */
    if (seq < s->max_seq) s->cycles += RTP_SEQ_MOD;
    s->max_seq = seq;
  } else if (udelta <= RTP_SEQ_MOD - USM__RTP_MAX_MISORDER) {
    /* a very large jump: restart only if the next packet follows this one */
    if (seq == s->bad_seq) {
      init_seq(s, seq);
      r = USM__RTP_SEQ_RESTARTED;
    } else {
      s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
      return USM__RTP_SEQ_BAD;
    }
  } else {
    r = USM__RTP_SEQ_REORDERED; /* duplicate or reordered: counted, max unchanged */
  }
  s->received++;
  return r;
}

uint32_t usm__rtp_us_to_units(uint64_t us, uint32_t clock_rate) {
  /* whole seconds and the remainder separately: exact mod 2^32 without overflow */
  uint64_t sec = us / 1000000u, rem = us % 1000000u;
  return (uint32_t)(sec * clock_rate + rem * clock_rate / 1000000u);
}

usm__rtp_seq_result usm__rtp_rx_on_packet(usm__rtp_rx *s, uint16_t seq, uint32_t rtp_ts,
                                          uint64_t arrival_us) {
  usm__rtp_seq_result r = usm__rtp_rx_update(s, seq);
  if (r == USM__RTP_SEQ_BAD) return r; /* not (yet) part of this stream's timeline */
  if (r == USM__RTP_SEQ_RESTARTED) s->have_transit = 0;
  /* A.8: transit and its change as 32-bit modular quantities */
  uint32_t transit = usm__rtp_us_to_units(arrival_us, s->clock_rate) - rtp_ts;
  if (s->have_transit && r != USM__RTP_SEQ_PROBATION) {
    int64_t d = (int32_t)(transit - s->transit);
    if (d < 0) d = -d;
    int64_t j = (int64_t)s->jitter_q4 + d - (((int64_t)s->jitter_q4 + 8) >> 4);
    s->jitter_q4 = j > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)j; /* a timestamp jump saturates */
  }
  s->transit = transit;
  s->have_transit = 1;
  return r;
}

uint32_t usm__rtp_rx_ext_max(const usm__rtp_rx *s) { return s->cycles + s->max_seq; }

void usm__rtp_rx_report_take(usm__rtp_rx *s, usm__rtp_rx_report *out) {
  memset(out, 0, sizeof *out);
  if (!s->started || s->probation) return; /* no valid source yet */
  uint32_t ext_max = usm__rtp_rx_ext_max(s);
  uint32_t expected = ext_max - s->base_seq + 1;
  int64_t lost = (int64_t)expected - (int64_t)s->received; /* < 0 with duplicates */
  if (lost > 0x7fffff) lost = 0x7fffff;
  if (lost < -0x800000) lost = -0x800000;

  uint32_t expected_interval = expected - s->expected_prior;
  uint32_t received_interval = s->received - s->received_prior;
  s->expected_prior = expected;
  s->received_prior = s->received;
  int64_t lost_interval = (int64_t)expected_interval - (int64_t)received_interval;
  if (expected_interval && lost_interval > 0)
    out->fraction_lost = (uint8_t)(((uint64_t)lost_interval << 8) / expected_interval);

  out->cumulative_lost = (int32_t)lost;
  out->ext_highest_seq = ext_max;
  out->jitter = s->jitter_q4 >> 4;
  out->expected = expected;
  out->received = s->received;
}

usm_err usm__rtp_tx_init(usm__rtp_tx *t, uint32_t clock_rate) {
  if (!t || clock_rate == 0) return USM_ERR_INVALID_ARG;
  uint8_t r[10];
  if (RAND_bytes(r, sizeof r) != 1) return USM_ERR_INTERNAL;
  memset(t, 0, sizeof *t);
  t->clock_rate = clock_rate;
  /* RFC 3550 §5.1: random initial sequence number and timestamp make known-plaintext harder */
  t->ssrc = ((uint32_t)r[0] << 24) | ((uint32_t)r[1] << 16) | ((uint32_t)r[2] << 8) | r[3];
  t->next_seq = (uint16_t)((r[4] << 8) | r[5]);
  t->ts_offset = ((uint32_t)r[6] << 24) | ((uint32_t)r[7] << 16) | ((uint32_t)r[8] << 8) | r[9];
  return USM_OK;
}

uint16_t usm__rtp_tx_next_seq(usm__rtp_tx *t) { return t->next_seq++; }

uint32_t usm__rtp_tx_timestamp(const usm__rtp_tx *t, uint64_t capture_us) {
  return t->ts_offset + usm__rtp_us_to_units(capture_us, t->clock_rate);
}

void usm__rtp_tx_count(usm__rtp_tx *t, size_t payload_len) {
  t->packet_count++;
  t->octet_count += (uint32_t)payload_len; /* both wrap at 2^32 by definition */
}
