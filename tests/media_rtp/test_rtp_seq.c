/* RTP sequence tracking (RFC 3550 A.1/A.3), jitter (A.8) and the send-side
 * generators: probation, 16-bit wrap and cycles, reordering, duplicates,
 * restarts after a jump, loss fractions, jitter on a known schedule, 32-bit
 * timestamp wrap. */
#include <string.h>

#include "check.h"
#include "media/rtp_seq.h"

static void feed(usm__rtp_rx *s, uint16_t from, uint16_t to_incl) {
  for (uint16_t q = from;; q++) {
    (void)usm__rtp_rx_update(s, q);
    if (q == to_incl) break;
  }
}

static void test_probation(void) {
  usm__rtp_rx s;
  usm__rtp_rx_report r;
  CHECK_INT(usm__rtp_rx_init(&s, 1, 0), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__rtp_rx_init(&s, 1, 90000), USM_OK);
  usm__rtp_rx_report_take(&s, &r);
  CHECK_INT(r.ext_highest_seq, 0);
  CHECK_INT(usm__rtp_rx_update(&s, 100), USM__RTP_SEQ_PROBATION);
  usm__rtp_rx_report_take(&s, &r); /* nothing to report on probation */
  CHECK_INT(r.expected, 0);
  CHECK_INT(usm__rtp_rx_update(&s, 101), USM__RTP_SEQ_VALID);
  CHECK_INT(s.base_seq, 101);
  CHECK_INT(s.received, 1);
  CHECK_INT(usm__rtp_rx_update(&s, 102), USM__RTP_SEQ_VALID);
  usm__rtp_rx_report_take(&s, &r);
  CHECK_INT(r.expected, 2);
  CHECK_INT(r.received, 2);
  CHECK_INT(r.cumulative_lost, 0);
  CHECK_INT(r.ext_highest_seq, 102);

  /* out of order while on probation: probation starts over from that packet */
  CHECK_INT(usm__rtp_rx_init(&s, 1, 90000), USM_OK);
  CHECK_INT(usm__rtp_rx_update(&s, 10), USM__RTP_SEQ_PROBATION);
  CHECK_INT(usm__rtp_rx_update(&s, 12), USM__RTP_SEQ_PROBATION);
  CHECK_INT(usm__rtp_rx_update(&s, 12), USM__RTP_SEQ_PROBATION);
  CHECK_INT(usm__rtp_rx_update(&s, 13), USM__RTP_SEQ_VALID);
  CHECK_INT(s.base_seq, 13);
}

static void test_wrap(void) {
  usm__rtp_rx s;
  usm__rtp_rx_report r;
  usm__rtp_rx_init(&s, 1, 8000);
  CHECK_INT(usm__rtp_rx_update(&s, 65533), USM__RTP_SEQ_PROBATION);
  CHECK_INT(usm__rtp_rx_update(&s, 65534), USM__RTP_SEQ_VALID);
  CHECK_INT(usm__rtp_rx_update(&s, 65535), USM__RTP_SEQ_VALID);
  CHECK_INT(usm__rtp_rx_update(&s, 0), USM__RTP_SEQ_VALID); /* 65535 -> 0 */
  CHECK_INT(s.cycles, 65536);
  CHECK_INT(usm__rtp_rx_update(&s, 1), USM__RTP_SEQ_VALID);
  CHECK_INT(usm__rtp_rx_ext_max(&s), 65537);
  usm__rtp_rx_report_take(&s, &r);
  CHECK_INT(r.ext_highest_seq, 65537);
  CHECK_INT(r.expected, 4);
  CHECK_INT(r.cumulative_lost, 0);
  /* a late packet from before the wrap does not touch the cycles */
  CHECK_INT(usm__rtp_rx_update(&s, 65535), USM__RTP_SEQ_REORDERED);
  CHECK_INT(s.cycles, 65536);
  CHECK_INT(usm__rtp_rx_ext_max(&s), 65537);
  /* a gap across the wrap */
  usm__rtp_rx_init(&s, 1, 8000);
  feed(&s, 65000, 65001);
  CHECK_INT(usm__rtp_rx_update(&s, 500), USM__RTP_SEQ_VALID); /* 1035 ahead, < MAX_DROPOUT */
  CHECK_INT(usm__rtp_rx_ext_max(&s), 65536 + 500);
  usm__rtp_rx_report_take(&s, &r);
  CHECK_INT(r.expected, 65536 + 500 - 65001 + 1);
  CHECK_INT(r.cumulative_lost, 1034);

  /* several cycles: steps of 2000 (just under MAX_DROPOUT) for 3.5 wraps */
  usm__rtp_rx_init(&s, 1, 8000);
  feed(&s, 0, 1);
  uint32_t ext = 1;
  for (int i = 0; i < 115; i++) {
    ext += 2000;
    CHECK_INT(usm__rtp_rx_update(&s, (uint16_t)ext), USM__RTP_SEQ_VALID);
  }
  CHECK_INT(usm__rtp_rx_ext_max(&s), ext);
  CHECK_INT(s.cycles, (ext >> 16) << 16);
  CHECK_INT(s.cycles, 3 * 65536);
}

static void test_loss_and_fraction(void) {
  usm__rtp_rx s;
  usm__rtp_rx_report r;
  usm__rtp_rx_init(&s, 7, 90000);
  feed(&s, 10, 12); /* 10 probation, 11 base, 12 */
  CHECK_INT(usm__rtp_rx_update(&s, 14), USM__RTP_SEQ_VALID);
  CHECK_INT(usm__rtp_rx_update(&s, 15), USM__RTP_SEQ_VALID);
  usm__rtp_rx_report_take(&s, &r);
  CHECK_INT(r.expected, 5); /* 11..15 */
  CHECK_INT(r.received, 4);
  CHECK_INT(r.cumulative_lost, 1);
  CHECK_INT(r.fraction_lost, 51); /* 256 / 5 */
  /* a clean interval: fraction back to 0, cumulative stays */
  feed(&s, 16, 19);
  usm__rtp_rx_report_take(&s, &r);
  CHECK_INT(r.fraction_lost, 0);
  CHECK_INT(r.cumulative_lost, 1);
  /* half of the next interval lost */
  CHECK_INT(usm__rtp_rx_update(&s, 21), USM__RTP_SEQ_VALID);
  CHECK_INT(usm__rtp_rx_update(&s, 23), USM__RTP_SEQ_VALID);
  usm__rtp_rx_report_take(&s, &r);
  CHECK_INT(r.fraction_lost, 128);
  CHECK_INT(r.cumulative_lost, 3);
  /* the lost ones arrive late: reordered, counted; cumulative back to 1, fraction 0 (negative interval) */
  CHECK_INT(usm__rtp_rx_update(&s, 20), USM__RTP_SEQ_REORDERED);
  CHECK_INT(usm__rtp_rx_update(&s, 22), USM__RTP_SEQ_REORDERED);
  usm__rtp_rx_report_take(&s, &r);
  CHECK_INT(r.fraction_lost, 0);
  CHECK_INT(r.cumulative_lost, 1);
  CHECK_INT(r.ext_highest_seq, 23);
  /* duplicates push the cumulative loss negative (RFC 3550 §6.4.1 allows it) */
  CHECK_INT(usm__rtp_rx_update(&s, 23), USM__RTP_SEQ_REORDERED);
  CHECK_INT(usm__rtp_rx_update(&s, 23), USM__RTP_SEQ_REORDERED);
  usm__rtp_rx_report_take(&s, &r);
  CHECK_INT(r.cumulative_lost, -1);
  CHECK_INT(r.fraction_lost, 0);
}

static void test_jumps_and_restart(void) {
  usm__rtp_rx s;
  usm__rtp_rx_report r;
  usm__rtp_rx_init(&s, 7, 90000);
  feed(&s, 1000, 1010);
  /* a jump of 5000: bad; a different far packet: still bad */
  CHECK_INT(usm__rtp_rx_update(&s, 6010), USM__RTP_SEQ_BAD);
  CHECK_INT(usm__rtp_rx_update(&s, 9000), USM__RTP_SEQ_BAD);
  CHECK_INT(usm__rtp_rx_ext_max(&s), 1010);
  /* the normal stream continues unharmed */
  CHECK_INT(usm__rtp_rx_update(&s, 1011), USM__RTP_SEQ_VALID);
  /* a jump then its successor: the sender restarted, we follow */
  CHECK_INT(usm__rtp_rx_update(&s, 40000), USM__RTP_SEQ_BAD);
  CHECK_INT(usm__rtp_rx_update(&s, 40001), USM__RTP_SEQ_RESTARTED);
  CHECK_INT(s.base_seq, 40001);
  CHECK_INT(s.received, 1);
  CHECK_INT(usm__rtp_rx_update(&s, 40002), USM__RTP_SEQ_VALID);
  usm__rtp_rx_report_take(&s, &r);
  CHECK_INT(r.expected, 2);
  CHECK_INT(r.cumulative_lost, 0);
  /* backwards by more than MAX_MISORDER: bad, not reordered */
  CHECK_INT(usm__rtp_rx_update(&s, 40002 - 99), USM__RTP_SEQ_REORDERED);
  CHECK_INT(usm__rtp_rx_update(&s, 40002 - 100), USM__RTP_SEQ_BAD);
  /* the edges of MAX_DROPOUT */
  CHECK_INT(usm__rtp_rx_update(&s, 40002 + 2999), USM__RTP_SEQ_VALID);
  CHECK_INT(usm__rtp_rx_update(&s, 43001 + 3000), USM__RTP_SEQ_BAD);
  /* a restart candidate across the 16-bit wrap: bad_seq 65535 + 1 = 0 */
  CHECK_INT(usm__rtp_rx_update(&s, 65535), USM__RTP_SEQ_BAD);
  CHECK_INT(usm__rtp_rx_update(&s, 0), USM__RTP_SEQ_RESTARTED);
  CHECK_INT(s.base_seq, 0);
  CHECK_INT(s.cycles, 0);
}

/* 8 kHz, 20 ms packets (160 units); every other packet 10 ms (80 units) late:
 * |D| = 80 each time, so J follows J += (80 - J) / 16 from 0. */
static void run_jitter(uint32_t ts0, uint64_t t0_us, uint16_t seq0, uint32_t *at) {
  usm__rtp_rx s;
  usm__rtp_rx_report r;
  usm__rtp_rx_init(&s, 9, 8000);
  for (uint32_t i = 0; i < 400; i++) {
    uint64_t arrival = t0_us + 20000u * i + ((i & 1) ? 10000u : 0);
    usm__rtp_seq_result res = usm__rtp_rx_on_packet(&s, (uint16_t)(seq0 + i), ts0 + 160u * i, arrival);
    CHECK(res == (i == 0 ? USM__RTP_SEQ_PROBATION : USM__RTP_SEQ_VALID));
    usm__rtp_rx_report_take(&s, &r);
    at[i] = r.jitter;
  }
}

static void test_jitter(void) {
  static uint32_t a[400], b[400];
  run_jitter(1000, 5000000, 1, a);
  CHECK_INT(a[0], 0);
  CHECK_INT(a[1], 5);  /* 80 / 16 */
  CHECK_INT(a[2], 9);  /* float: 9.69 */
  CHECK_INT(a[3], 14); /* float: 14.08 */
  CHECK_INT(a[10], 38);
  CHECK_INT(a[50], 76);
  CHECK(a[399] >= 79 && a[399] <= 80);
  /* the same schedule with the RTP timestamp wrapping at 2^32, the arrival
   * clock far from zero and the sequence wrapping: the same answer */
  run_jitter(0xFFFFFFFFu - 160u * 100, 1000000000000000ull, 65500, b);
  CHECK(memcmp(a, b, sizeof a) == 0);

  /* constant delay: no jitter */
  usm__rtp_rx s;
  usm__rtp_rx_report r;
  usm__rtp_rx_init(&s, 9, 90000);
  for (uint32_t i = 0; i < 50; i++)
    usm__rtp_rx_on_packet(&s, (uint16_t)i, 0xFFFF0000u + 3000u * i, 77777u + 33333u * i + 1u);
  usm__rtp_rx_report_take(&s, &r);
  CHECK(r.jitter <= 1); /* 33333 us is 2999.97 units: truncation noise only */
  usm__rtp_rx_init(&s, 9, 48000);
  for (uint32_t i = 0; i < 50; i++) usm__rtp_rx_on_packet(&s, (uint16_t)i, 960u * i, 20000u * i);
  usm__rtp_rx_report_take(&s, &r);
  CHECK_INT(r.jitter, 0);

  /* a bad (jump) packet does not disturb the jitter; a restart resets the transit */
  usm__rtp_rx_init(&s, 9, 48000);
  for (uint32_t i = 0; i < 10; i++) usm__rtp_rx_on_packet(&s, (uint16_t)i, 960u * i, 20000u * i);
  CHECK_INT(usm__rtp_rx_on_packet(&s, 30000, 123456789u, 200000u), USM__RTP_SEQ_BAD);
  CHECK_INT(s.jitter_q4, 0);
  CHECK_INT(usm__rtp_rx_on_packet(&s, 30001, 123456789u + 960u, 220000u), USM__RTP_SEQ_RESTARTED);
  CHECK_INT(s.jitter_q4, 0);
  CHECK_INT(usm__rtp_rx_on_packet(&s, 30002, 123456789u + 1920u, 240000u), USM__RTP_SEQ_VALID);
  CHECK_INT(s.jitter_q4, 0);
  /* a wild timestamp saturates instead of wrapping */
  for (int i = 0; i < 40; i++)
    usm__rtp_rx_on_packet(&s, (uint16_t)(30003 + i), (i & 1) ? 0x80000000u : 0u, 240000u);
  CHECK(s.jitter_q4 > 0x7FFFFFFFu);
}

static void test_units(void) {
  CHECK_INT(usm__rtp_us_to_units(1000000, 90000), 90000);
  CHECK_INT(usm__rtp_us_to_units(20000, 48000), 960);
  CHECK_INT(usm__rtp_us_to_units(125, 8000), 1);
  CHECK(usm__rtp_us_to_units(10000000000000ull, 90000) == 2351835136u); /* 9e11 mod 2^32 */
  CHECK(usm__rtp_us_to_units(1ull << 40, 90000) == 171798691u);
  CHECK(usm__rtp_us_to_units(UINT64_MAX, 90000) == (uint32_t)((UINT64_MAX / 1000000u) * 90000u +
                                                               (UINT64_MAX % 1000000u) * 90000u / 1000000u));
}

static void test_tx(void) {
  usm__rtp_tx t, u;
  CHECK_INT(usm__rtp_tx_init(&t, 0), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__rtp_tx_init(&t, 48000), USM_OK);
  CHECK_INT(usm__rtp_tx_init(&u, 48000), USM_OK);
  /* 80 random bits each: equal only by a 2^-80 accident */
  CHECK(t.ssrc != u.ssrc || t.next_seq != u.next_seq || t.ts_offset != u.ts_offset);
  t.next_seq = 65534;
  CHECK_INT(usm__rtp_tx_next_seq(&t), 65534);
  CHECK_INT(usm__rtp_tx_next_seq(&t), 65535);
  CHECK_INT(usm__rtp_tx_next_seq(&t), 0);
  CHECK_INT(usm__rtp_tx_next_seq(&t), 1);
  t.ts_offset = 0xFFFFFF00u;
  CHECK(usm__rtp_tx_timestamp(&t, 0) == 0xFFFFFF00u);
  CHECK_INT(usm__rtp_tx_timestamp(&t, 20000), 704); /* 0xFFFFFF00 + 960 wraps to 0x2C0 */
  CHECK_INT(usm__rtp_tx_timestamp(&t, 40000) - usm__rtp_tx_timestamp(&t, 20000), 960);
  t.octet_count = 0xFFFFFFF0u;
  usm__rtp_tx_count(&t, 100);
  CHECK_INT(t.packet_count, 1);
  CHECK_INT(t.octet_count, 84);
}

int main(void) {
  test_probation();
  test_wrap();
  test_loss_and_fraction();
  test_jumps_and_restart();
  test_jitter();
  test_units();
  test_tx();
  return check_done("test_rtp_seq");
}
