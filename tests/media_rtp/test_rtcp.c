/* Compound RTCP parse/build with hand-written vectors (RFC 3550 §6.4/6.5/6.6,
 * RFC 4585 §6, RFC 5104 §4.3.1, REMB and transport-cc drafts), every malformed
 * case, the bounds, and round-trip time (RFC 3550 §6.4.1 incl. its Figure 2). */
#include <string.h>

#include "check.h"
#include "media/rtcp.h"
#include "media/rtcp_rtt.h"

/* Chrome-like compound: SR without blocks + SDES with a 16-char CNAME. */
static const uint8_t sr_sdes[] = {
    0x80, 0xC8, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44,                   /* SR, SSRC */
    0xE6, 0x8B, 0x6E, 0x22, 0x80, 0x00, 0x00, 0x00,                   /* NTP */
    0x00, 0x01, 0xE2, 0x40, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x3A, 0x98, /* ts, pkts, octets */
    0x81, 0xCA, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44, 0x01, 0x10,       /* SDES, chunk, CNAME */
    'a',  'b',  'c',  'd',  'e',  'f',  'g',  'h',  'i',  'j',  'k',  'l',  'm',  'n',  'o',  'p',
    0x00, 0x00};

/* SR with one report block: 25% lost, cumulative -1, ext seq 0x0001FFFF. */
static const uint8_t sr_rb[] = {
    0x81, 0xC8, 0x00, 0x0C, 0x11, 0x22, 0x33, 0x44, 0xE6, 0x8B, 0x6E, 0x22, 0x80, 0x00, 0x00, 0x00,
    0x00, 0x01, 0xE2, 0x40, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x3A, 0x98, 0xAA, 0xBB, 0xCC, 0xDD,
    0x40, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x20, 0x6E, 0x22, 0x80, 0x00,
    0x00, 0x01, 0x00, 0x00};

/* Generic NACK: PID 1000, BLP 0x8005 -> 1000, 1001, 1003, 1016. */
static const uint8_t nack[] = {0x81, 0xCD, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
                               0x00, 0x00, 0x00, 0x02, 0x03, 0xE8, 0x80, 0x05};

/* REMB 1.5 Mbit/s = 187500 << 3, one SSRC. */
static const uint8_t remb[] = {0x8F, 0xCE, 0x00, 0x05, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
                               'R',  'E',  'M',  'B',  0x01, 0x0E, 0xDC, 0x6C, 0xAA, 0xBB, 0xCC, 0xDD};

/* FIR for SSRC 0xAABBCCDD, command sequence number 7. */
static const uint8_t fir[] = {0x84, 0xCE, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00,
                              0x00, 0x00, 0xAA, 0xBB, 0xCC, 0xDD, 0x07, 0x00, 0x00, 0x00};

static const uint8_t pli[] = {0x81, 0xCE, 0x00, 0x02, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};

/* Transport-cc: base 100, 5 packets (run of 3 small; 2-bit vector: large, not received),
 * reference time 1, fb count 9, deltas 4 8 12 -16, 3 padding bytes. */
static const uint8_t twcc[] = {0x8F, 0xCD, 0x00, 0x07, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                               0x08, 0x00, 0x64, 0x00, 0x05, 0x00, 0x00, 0x01, 0x09, 0x20, 0x03,
                               0xE0, 0x00, 0x04, 0x08, 0x0C, 0xFF, 0xF0, 0x00, 0x00, 0x00};

static int next_pkt(usm__rtcp_iter *it, usm__rtcp_pkt *p) { return usm__rtcp_iter_next(it, p); }

static void test_sr_sdes(void) {
  usm__rtcp_iter it;
  usm__rtcp_pkt p;
  usm__rtcp_report r;
  CHECK_INT(usm__rtcp_iter_init(&it, sr_sdes, sizeof sr_sdes), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(p.pt, USM__RTCP_SR);
  CHECK_INT(p.len, 28);
  CHECK_INT(usm__rtcp_parse_report(&p, &r), USM_OK);
  CHECK_INT(r.is_sr, 1);
  CHECK(r.ssrc == 0x11223344u);
  CHECK(r.si.ntp == 0xE68B6E2280000000ull);
  CHECK_INT(r.si.rtp_ts, 123456);
  CHECK_INT(r.si.packet_count, 100);
  CHECK_INT(r.si.octet_count, 15000);
  CHECK_INT(r.rb_count, 0);
  CHECK_INT(r.ext_len, 0);

  CHECK(next_pkt(&it, &p));
  CHECK_INT(p.pt, USM__RTCP_SDES);
  usm__rtcp_sdes_iter si;
  usm__rtcp_sdes_chunk c;
  CHECK_INT(usm__rtcp_sdes_iter_init(&si, &p), USM_OK);
  CHECK(usm__rtcp_sdes_next(&si, &c));
  CHECK(c.ssrc == 0x11223344u);
  CHECK_INT(c.cname_len, 16);
  CHECK(c.cname && memcmp(c.cname, "abcdefghijklmnop", 16) == 0);
  CHECK(!usm__rtcp_sdes_next(&si, &c));
  CHECK(!next_pkt(&it, &p));

  /* build the same compound back, byte for byte */
  uint8_t out[128];
  size_t n1, n2;
  usm__rtcp_sender_info info = {0xE68B6E2280000000ull, 123456, 100, 15000};
  CHECK_INT(usm__rtcp_build_sr(0x11223344, &info, NULL, 0, out, sizeof out, &n1), USM_OK);
  usm__rtcp_sdes_chunk ch = {0x11223344, "abcdefghijklmnop", 16};
  CHECK_INT(usm__rtcp_build_sdes(&ch, 1, out + n1, sizeof out - n1, &n2), USM_OK);
  CHECK_INT(n1 + n2, sizeof sr_sdes);
  CHECK(memcmp(out, sr_sdes, sizeof sr_sdes) == 0);
  CHECK_INT(usm__rtcp_build_sdes(&ch, 1, out, n2 - 1, &n2), USM_ERR_LIMIT);
}

static void test_sr_report_block(void) {
  usm__rtcp_iter it;
  usm__rtcp_pkt p;
  usm__rtcp_report r;
  usm__rtcp_report_block b;
  CHECK_INT(usm__rtcp_iter_init(&it, sr_rb, sizeof sr_rb), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_report(&p, &r), USM_OK);
  CHECK_INT(r.rb_count, 1);
  CHECK_INT(usm__rtcp_report_block_get(&r, 0, &b), USM_OK);
  CHECK(b.ssrc == 0xAABBCCDDu);
  CHECK_INT(b.fraction_lost, 64);
  CHECK_INT(b.cumulative_lost, -1);
  CHECK_INT(b.ext_highest_seq, 0x1FFFF);
  CHECK_INT(b.jitter, 32);
  CHECK(b.lsr == 0x6E228000u);
  CHECK_INT(b.dlsr, 0x10000);
  CHECK_INT(usm__rtcp_report_block_get(&r, 1, &b), USM_ERR_INVALID_ARG);

  uint8_t out[64];
  size_t n;
  usm__rtcp_sender_info info = r.si;
  usm__rtcp_report_block in = {0xAABBCCDD, 64, -1, 0x1FFFF, 32, 0x6E228000, 0x10000};
  CHECK_INT(usm__rtcp_build_sr(0x11223344, &info, &in, 1, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, sizeof sr_rb);
  CHECK(memcmp(out, sr_rb, sizeof sr_rb) == 0);
}

static void test_rr(void) {
  usm__rtcp_report_block in[2] = {{1, 255, 10000000, 5, 6, 7, 8}, {2, 0, -9000000, 0, 0, 0, 0}};
  uint8_t out[128];
  size_t n;
  CHECK_INT(usm__rtcp_build_rr(0x55, in, 2, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, 8 + 48);
  static const uint8_t head[] = {0x82, 0xC9, 0x00, 0x0D, 0x00, 0x00, 0x00, 0x55};
  CHECK(memcmp(out, head, sizeof head) == 0);
  CHECK(memcmp(out + 12, "\xFF\x7F\xFF\xFF", 4) == 0); /* fraction 255, lost clamped to 0x7FFFFF */
  CHECK(memcmp(out + 36, "\x00\x80\x00\x00", 4) == 0); /* lost clamped to -0x800000 */
  usm__rtcp_iter it;
  usm__rtcp_pkt p;
  usm__rtcp_report r;
  usm__rtcp_report_block b;
  CHECK_INT(usm__rtcp_iter_init(&it, out, n), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_report(&p, &r), USM_OK);
  CHECK_INT(r.is_sr, 0);
  CHECK_INT(r.ssrc, 0x55);
  CHECK_INT(r.rb_count, 2);
  CHECK_INT(usm__rtcp_report_block_get(&r, 0, &b), USM_OK);
  CHECK_INT(b.cumulative_lost, 0x7FFFFF);
  CHECK_INT(b.dlsr, 8);
  CHECK_INT(usm__rtcp_report_block_get(&r, 1, &b), USM_OK);
  CHECK_INT(b.cumulative_lost, -0x800000);

  /* bounds: 31 blocks fit in RC, 32 do not; short buffers */
  usm__rtcp_report_block many[32];
  memset(many, 0, sizeof many);
  uint8_t big[8 + 24 * 32];
  CHECK_INT(usm__rtcp_build_rr(1, many, 31, big, sizeof big, &n), USM_OK);
  CHECK_INT(big[0], 0x9F);
  CHECK_INT(usm__rtcp_build_rr(1, many, 32, big, sizeof big, &n), USM_ERR_LIMIT);
  CHECK_INT(usm__rtcp_build_rr(1, in, 2, out, 55, &n), USM_ERR_LIMIT);
  CHECK_INT(usm__rtcp_build_sr(1, NULL, NULL, 0, out, sizeof out, &n), USM_ERR_INVALID_ARG);
  /* an empty RR is the smallest valid compound */
  CHECK_INT(usm__rtcp_build_rr(7, NULL, 0, out, 8, &n), USM_OK);
  CHECK_INT(usm__rtcp_iter_init(&it, out, n), USM_OK);
}

static void test_nack(void) {
  usm__rtcp_iter it;
  usm__rtcp_pkt p;
  usm__rtcp_fb fb;
  size_t items, n;
  uint16_t seqs[40];
  CHECK_INT(usm__rtcp_iter_init(&it, nack, sizeof nack), USM_OK); /* reduced size: feedback first */
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(fb.fmt, USM__RTCP_FB_NACK);
  CHECK_INT(fb.sender_ssrc, 1);
  CHECK_INT(fb.media_ssrc, 2);
  CHECK_INT(usm__rtcp_nack_count(&fb, &items), USM_OK);
  CHECK_INT(items, 1);
  CHECK_INT(usm__rtcp_nack_seqs(&fb, seqs, 40, &n), USM_OK);
  CHECK_INT(n, 4);
  CHECK(seqs[0] == 1000 && seqs[1] == 1001 && seqs[2] == 1003 && seqs[3] == 1016);
  CHECK_INT(usm__rtcp_nack_seqs(&fb, seqs, 3, &n), USM_ERR_LIMIT);

  uint8_t out[64];
  static const uint16_t lost[] = {1000, 1001, 1003, 1016, 1003};
  CHECK_INT(usm__rtcp_build_nack(1, 2, lost, 5, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, sizeof nack);
  CHECK(memcmp(out, nack, sizeof nack) == 0);
  CHECK_INT(usm__rtcp_build_nack(1, 2, lost, 5, out, 15, &n), USM_ERR_LIMIT);

  /* across the 16-bit wrap: one item, PID 65534, BLP bits 0..2 */
  static const uint16_t wrap[] = {65534, 65535, 0, 1};
  CHECK_INT(usm__rtcp_build_nack(1, 2, wrap, 4, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, 16);
  CHECK(memcmp(out + 12, "\xFF\xFE\x00\x07", 4) == 0);
  CHECK_INT(usm__rtcp_iter_init(&it, out, n), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(usm__rtcp_nack_seqs(&fb, seqs, 40, &n), USM_OK);
  CHECK_INT(n, 4);
  CHECK(seqs[0] == 65534 && seqs[1] == 65535 && seqs[2] == 0 && seqs[3] == 1);

  /* 17 apart needs a second item */
  static const uint16_t two[] = {10, 26, 27};
  CHECK_INT(usm__rtcp_build_nack(1, 2, two, 3, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, 20);
  CHECK(memcmp(out + 12, "\x00\x0A\x80\x00\x00\x1B\x00\x00", 8) == 0);

  /* bounds: 256 items fit, 257 do not */
  static uint16_t spread[USM__RTCP_MAX_NACK_ITEMS + 1];
  for (size_t i = 0; i <= USM__RTCP_MAX_NACK_ITEMS; i++) spread[i] = (uint16_t)(i * 17);
  static uint8_t big[12 + 4 * (USM__RTCP_MAX_NACK_ITEMS + 1)];
  CHECK_INT(usm__rtcp_build_nack(1, 2, spread, USM__RTCP_MAX_NACK_ITEMS, big, sizeof big, &n), USM_OK);
  CHECK_INT(n, 12 + 4 * USM__RTCP_MAX_NACK_ITEMS);
  CHECK_INT(usm__rtcp_build_nack(1, 2, spread, USM__RTCP_MAX_NACK_ITEMS + 1, big, sizeof big, &n),
            USM_ERR_LIMIT);
  CHECK_INT(usm__rtcp_build_nack(1, 2, spread, 0, big, sizeof big, &n), USM_ERR_INVALID_ARG);
  /* a hand-made 257-item NACK is refused by the parser */
  big[0] = 0x81;
  big[1] = 0xCD;
  big[2] = 0x01;
  big[3] = 0x03; /* length 259 words */
  CHECK_INT(usm__rtcp_iter_init(&it, big, sizeof big), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(usm__rtcp_nack_count(&fb, &items), USM_ERR_LIMIT);
  /* an empty FCI */
  CHECK_INT(usm__rtcp_build_pli(1, 2, out, sizeof out, &n), USM_OK);
  out[0] = 0x81;
  out[1] = 0xCD;
  CHECK_INT(usm__rtcp_iter_init(&it, out, n), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(usm__rtcp_nack_count(&fb, &items), USM_ERR_MALFORMED);
}

static void test_psfb(void) {
  usm__rtcp_iter it;
  usm__rtcp_pkt p;
  usm__rtcp_fb fb;
  uint8_t out[64];
  size_t n;

  /* REMB */
  usm__rtcp_remb r;
  CHECK_INT(usm__rtcp_iter_init(&it, remb, sizeof remb), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(usm__rtcp_parse_remb(&fb, &r), USM_OK);
  CHECK_INT(r.bitrate, 1500000);
  CHECK_INT(r.ssrc_count, 1);
  CHECK(usm__rtcp_remb_ssrc(&r, 0) == 0xAABBCCDDu);
  CHECK_INT(usm__rtcp_remb_ssrc(&r, 1), 0);
  uint32_t ss = 0xAABBCCDD;
  CHECK_INT(usm__rtcp_build_remb(0x01020304, 1500000, &ss, 1, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, sizeof remb);
  CHECK(memcmp(out, remb, sizeof remb) == 0);
  /* the largest exponent: rounded down to 18 bits of mantissa */
  CHECK_INT(usm__rtcp_build_remb(1, UINT64_MAX, NULL, 0, out, sizeof out, &n), USM_OK);
  CHECK_INT(usm__rtcp_iter_init(&it, out, n), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(usm__rtcp_parse_remb(&fb, &r), USM_OK);
  CHECK(r.bitrate == (0x3FFFFull << 46));
  /* exponent 63 on the wire saturates */
  out[17] = 0xFF;
  CHECK_INT(usm__rtcp_parse_remb(&fb, &r), USM_OK);
  CHECK(r.bitrate == UINT64_MAX);
  /* not REMB, or more SSRCs announced than present */
  uint8_t bad[sizeof remb];
  memcpy(bad, remb, sizeof remb);
  bad[15] = 'X';
  CHECK_INT(usm__rtcp_iter_init(&it, bad, sizeof bad), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(usm__rtcp_parse_remb(&fb, &r), USM_ERR_MALFORMED);
  memcpy(bad, remb, sizeof remb);
  bad[16] = 2;
  CHECK_INT(usm__rtcp_iter_init(&it, bad, sizeof bad), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(usm__rtcp_parse_remb(&fb, &r), USM_ERR_MALFORMED);

  /* FIR */
  size_t cnt;
  usm__rtcp_fir_entry e;
  CHECK_INT(usm__rtcp_iter_init(&it, fir, sizeof fir), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(fb.fmt, USM__RTCP_FB_FIR);
  CHECK_INT(usm__rtcp_fir_count(&fb, &cnt), USM_OK);
  CHECK_INT(cnt, 1);
  CHECK_INT(usm__rtcp_fir_get(&fb, 0, &e), USM_OK);
  CHECK(e.ssrc == 0xAABBCCDDu);
  CHECK_INT(e.seq_nr, 7);
  CHECK_INT(usm__rtcp_fir_get(&fb, 1, &e), USM_ERR_INVALID_ARG);
  usm__rtcp_fir_entry fe = {0xAABBCCDD, 7};
  CHECK_INT(usm__rtcp_build_fir(0x01020304, &fe, 1, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, sizeof fir);
  CHECK(memcmp(out, fir, sizeof fir) == 0);
  CHECK_INT(usm__rtcp_build_fir(0x01020304, &fe, 1, out, 19, &n), USM_ERR_LIMIT);
  CHECK_INT(usm__rtcp_fir_count(&fb, &cnt), USM_OK);
  fb.fci_len = 4; /* half an entry */
  CHECK_INT(usm__rtcp_fir_count(&fb, &cnt), USM_ERR_MALFORMED);

  /* PLI */
  CHECK_INT(usm__rtcp_build_pli(0x01020304, 0x05060708, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, sizeof pli);
  CHECK(memcmp(out, pli, sizeof pli) == 0);
  CHECK_INT(usm__rtcp_build_pli(1, 2, out, 11, &n), USM_ERR_LIMIT);
  CHECK_INT(usm__rtcp_iter_init(&it, pli, sizeof pli), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(fb.pt, USM__RTCP_PSFB);
  CHECK_INT(fb.fmt, USM__RTCP_FB_PLI);
  CHECK_INT(fb.fci_len, 0);
  CHECK_INT(fb.media_ssrc, 0x05060708);
  /* wrong accessor for the packet */
  CHECK_INT(usm__rtcp_parse_remb(&fb, &r), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__rtcp_nack_count(&fb, &cnt), USM_ERR_INVALID_ARG);
}

static void test_twcc(void) {
  usm__rtcp_iter it;
  usm__rtcp_pkt p;
  usm__rtcp_fb fb;
  usm__rtcp_twcc t;
  uint8_t st[16];
  int32_t d[16];
  CHECK_INT(usm__rtcp_iter_init(&it, twcc, sizeof twcc), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(usm__rtcp_parse_twcc(&fb, &t), USM_OK);
  CHECK_INT(t.base_seq, 100);
  CHECK_INT(t.status_count, 5);
  CHECK_INT(t.reference_time, 1);
  CHECK_INT(t.fb_count, 9);
  CHECK_INT(usm__rtcp_twcc_decode(&t, st, d, 16), USM_OK);
  CHECK(st[0] == 1 && st[1] == 1 && st[2] == 1 && st[3] == 2 && st[4] == 0);
  CHECK(d[0] == 4 && d[1] == 8 && d[2] == 12 && d[3] == -16 && d[4] == 0);
  CHECK_INT(usm__rtcp_twcc_decode(&t, st, d, 4), USM_ERR_LIMIT);

  /* a 1-bit vector, a negative reference time */
  static const uint8_t v1[] = {0x8F, 0xCD, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 2, 0xFF, 0xFF, 0x00, 0x0E,
                               0xFF, 0xFF, 0xFE, 0x00, 0xA0, 0x01, 0x7F, 0x00};
  CHECK_INT(usm__rtcp_iter_init(&it, v1, sizeof v1), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(usm__rtcp_parse_twcc(&fb, &t), USM_OK);
  CHECK_INT(t.base_seq, 65535);
  CHECK_INT(t.reference_time, -2);
  CHECK_INT(usm__rtcp_twcc_decode(&t, st, d, 16), USM_OK);
  CHECK(st[0] == 1 && st[1] == 0 && st[2] == 0 && st[13] == 1 && st[12] == 0);
  CHECK(d[0] == 0x7F && d[2] == 0 && d[13] == 0);

  /* malformed: reserved symbol, deltas truncated, chunks missing, junk after the deltas */
  uint8_t b[sizeof twcc];
  memcpy(b, twcc, sizeof twcc);
  b[20] = 0x60; /* run-length symbol 3 */
  CHECK_INT(usm__rtcp_iter_init(&it, b, sizeof b), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(usm__rtcp_parse_twcc(&fb, &t), USM_OK);
  CHECK_INT(usm__rtcp_twcc_decode(&t, st, d, 16), USM_ERR_MALFORMED);
  memcpy(b, twcc, sizeof twcc);
  b[22] = 0xF0; /* 2-bit vector whose first symbol is 3 */
  CHECK_INT(usm__rtcp_iter_init(&it, b, sizeof b), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(usm__rtcp_parse_twcc(&fb, &t), USM_OK);
  CHECK_INT(usm__rtcp_twcc_decode(&t, st, d, 16), USM_ERR_MALFORMED);
  memcpy(b, twcc, sizeof twcc);
  CHECK_INT(usm__rtcp_iter_init(&it, b, sizeof b), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_OK);
  CHECK_INT(usm__rtcp_parse_twcc(&fb, &t), USM_OK);
  t.chunks_len = 6; /* cut inside the deltas */
  CHECK_INT(usm__rtcp_twcc_decode(&t, st, d, 16), USM_ERR_MALFORMED);
  t.chunks_len = 3; /* cut inside the chunks */
  CHECK_INT(usm__rtcp_twcc_decode(&t, st, d, 16), USM_ERR_MALFORMED);
  uint8_t longer[40] = {0};
  memcpy(longer, twcc + 20, 12);
  t.chunks = longer;
  t.chunks_len = 13; /* 4 bytes left over: more than word padding */
  CHECK_INT(usm__rtcp_twcc_decode(&t, st, d, 16), USM_ERR_MALFORMED);
  t.chunks_len = 12;
  CHECK_INT(usm__rtcp_twcc_decode(&t, st, d, 16), USM_OK);
  fb.fci_len = 7;
  CHECK_INT(usm__rtcp_parse_twcc(&fb, &t), USM_ERR_MALFORMED);
}

static void test_bye(void) {
  static const uint8_t bye[] = {0x81, 0xCB, 0x00, 0x02, 0x11, 0x22, 0x33, 0x44, 0x03, 'b', 'y', 'e'};
  static const uint8_t bye2[] = {0x81, 0xCB, 0x00, 0x02, 0x11, 0x22, 0x33, 0x44, 0x02, 'o', 'k', 0x00};
  uint8_t rr_bye[64];
  size_t n, m;
  CHECK_INT(usm__rtcp_build_rr(0x11223344, NULL, 0, rr_bye, sizeof rr_bye, &n), USM_OK);
  CHECK_INT(usm__rtcp_build_bye((const uint32_t[]){0x11223344}, 1, "bye", 3, rr_bye + n, sizeof rr_bye - n, &m),
            USM_OK);
  CHECK_INT(m, sizeof bye);
  CHECK(memcmp(rr_bye + n, bye, sizeof bye) == 0);
  usm__rtcp_iter it;
  usm__rtcp_pkt p;
  usm__rtcp_bye b;
  CHECK_INT(usm__rtcp_iter_init(&it, rr_bye, n + m), USM_OK);
  CHECK(next_pkt(&it, &p));
  CHECK(next_pkt(&it, &p));
  CHECK_INT(usm__rtcp_parse_bye(&p, &b), USM_OK);
  CHECK_INT(b.ssrc_count, 1);
  CHECK(usm__rtcp_bye_ssrc(&b, 0) == 0x11223344u);
  CHECK_INT(b.reason_len, 3);
  CHECK(b.reason && memcmp(b.reason, "bye", 3) == 0);

  uint8_t out[32];
  CHECK_INT(usm__rtcp_build_bye((const uint32_t[]){0x11223344}, 1, "ok", 2, out, sizeof out, &m), USM_OK);
  CHECK_INT(m, sizeof bye2);
  CHECK(memcmp(out, bye2, sizeof bye2) == 0);
  /* no reason */
  CHECK_INT(usm__rtcp_build_bye((const uint32_t[]){5}, 1, NULL, 0, out, sizeof out, &m), USM_OK);
  CHECK_INT(m, 8);
  p.pt = USM__RTCP_BYE;
  p.count = 1;
  p.body = out + 4;
  p.body_len = 4;
  CHECK_INT(usm__rtcp_parse_bye(&p, &b), USM_OK);
  CHECK(b.reason == NULL);
  /* reason length past the end; SC past the end; junk after the reason */
  uint8_t body[] = {0, 0, 0, 1, 0x09, 'x', 'y', 'z'};
  p.body = body;
  p.body_len = sizeof body;
  CHECK_INT(usm__rtcp_parse_bye(&p, &b), USM_ERR_MALFORMED);
  p.count = 3;
  CHECK_INT(usm__rtcp_parse_bye(&p, &b), USM_ERR_MALFORMED);
  uint8_t body2[] = {0, 0, 0, 1, 0x01, 'x', 0, 0, 0, 0, 0, 0};
  p.count = 1;
  p.body = body2;
  p.body_len = sizeof body2;
  CHECK_INT(usm__rtcp_parse_bye(&p, &b), USM_ERR_MALFORMED);
  uint32_t many[32] = {0};
  CHECK_INT(usm__rtcp_build_bye(many, 32, NULL, 0, out, sizeof out, &m), USM_ERR_LIMIT);
}

static void test_sdes_cases(void) {
  usm__rtcp_pkt p;
  usm__rtcp_sdes_iter it;
  usm__rtcp_sdes_chunk c;
  /* two chunks: one with NAME then CNAME, one empty (SSRC + 4 nulls) */
  static const uint8_t body[] = {0, 0, 0, 1, 0x02, 0x01, 'N', 0x01, 0x02, 'c', 'n', 0x00,
                                 0, 0, 0, 2, 0x00, 0x00, 0x00, 0x00};
  memset(&p, 0, sizeof p);
  p.pt = USM__RTCP_SDES;
  p.count = 2;
  p.body = body;
  p.body_len = sizeof body;
  CHECK_INT(usm__rtcp_sdes_iter_init(&it, &p), USM_OK);
  CHECK(usm__rtcp_sdes_next(&it, &c));
  CHECK_INT(c.ssrc, 1);
  CHECK_INT(c.cname_len, 2);
  CHECK(memcmp(c.cname, "cn", 2) == 0);
  CHECK(usm__rtcp_sdes_next(&it, &c));
  CHECK_INT(c.ssrc, 2);
  CHECK(c.cname == NULL);
  CHECK(!usm__rtcp_sdes_next(&it, &c));
  /* the same through the builder */
  usm__rtcp_sdes_chunk in[2] = {{1, "cn", 2}, {2, NULL, 0}};
  uint8_t out[64];
  size_t n;
  CHECK_INT(usm__rtcp_build_sdes(in, 2, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, 4 + 12 + 8);
  CHECK(memcmp(out, "\x82\xCA\x00\x05\x00\x00\x00\x01\x01\x02" "cn\x00\x00\x00\x00" "\x00\x00\x00\x02\x00\x00\x00\x00", 24) == 0);
  /* malformed: count says 3; bytes left over; item past the end; no null item */
  p.count = 3;
  CHECK_INT(usm__rtcp_sdes_iter_init(&it, &p), USM_ERR_MALFORMED);
  CHECK(!usm__rtcp_sdes_next(&it, &c));
  p.count = 1;
  CHECK_INT(usm__rtcp_sdes_iter_init(&it, &p), USM_ERR_MALFORMED);
  uint8_t b2[] = {0, 0, 0, 1, 0x01, 0x09, 'a', 'b'};
  p.body = b2;
  p.body_len = sizeof b2;
  CHECK_INT(usm__rtcp_sdes_iter_init(&it, &p), USM_ERR_MALFORMED);
  uint8_t b3[] = {0, 0, 0, 1, 0x01, 0x02, 'a', 'b'};
  p.body = b3;
  p.body_len = sizeof b3;
  CHECK_INT(usm__rtcp_sdes_iter_init(&it, &p), USM_ERR_MALFORMED);
  p.body_len = 3; /* not even an SSRC */
  CHECK_INT(usm__rtcp_sdes_iter_init(&it, &p), USM_ERR_MALFORMED);
  /* exactly aligned, then one byte left over */
  uint8_t b4[] = {0, 0, 0, 1, 0x01, 0x01, 'a', 0x00, 0x00};
  p.body = b4;
  p.body_len = 8;
  CHECK_INT(usm__rtcp_sdes_iter_init(&it, &p), USM_OK);
  p.body_len = 9;
  CHECK_INT(usm__rtcp_sdes_iter_init(&it, &p), USM_ERR_MALFORMED);
  /* a null item whose padding to 32 bits runs past the end */
  uint8_t b5[] = {0, 0, 0, 1, 0x01, 0x02, 'a', 'b', 0x00};
  p.body = b5;
  p.body_len = sizeof b5;
  CHECK_INT(usm__rtcp_sdes_iter_init(&it, &p), USM_ERR_MALFORMED);
  /* bounds */
  usm__rtcp_sdes_chunk long_name = {1, "x", 256};
  CHECK_INT(usm__rtcp_build_sdes(&long_name, 1, out, sizeof out, &n), USM_ERR_LIMIT);
  usm__rtcp_sdes_chunk lots[32];
  memset(lots, 0, sizeof lots);
  CHECK_INT(usm__rtcp_build_sdes(lots, 32, out, sizeof out, &n), USM_ERR_LIMIT);
}

static void test_compound_validity(void) {
  uint8_t b[128];
  usm__rtcp_iter it;
  usm__rtcp_pkt p;
  size_t n = sizeof sr_sdes;
  memcpy(b, sr_sdes, n);
  /* truncated anywhere */
  for (size_t k = 0; k < n; k++)
    if (k != 28) CHECK_INT(usm__rtcp_iter_init(&it, b, k), USM_ERR_MALFORMED);
  CHECK_INT(usm__rtcp_iter_init(&it, b, 28), USM_OK); /* the SR alone */
  CHECK(!usm__rtcp_iter_next(&(usm__rtcp_iter){0}, &p));
  /* two bytes of trailing junk */
  b[n] = b[n + 1] = 0;
  CHECK_INT(usm__rtcp_iter_init(&it, b, n + 2), USM_ERR_MALFORMED);
  /* bad version on the first, then on the second packet */
  b[0] = 0x40;
  CHECK_INT(usm__rtcp_iter_init(&it, b, n), USM_ERR_MALFORMED);
  b[0] = 0x80;
  b[28] = 0xC1;
  CHECK_INT(usm__rtcp_iter_init(&it, b, n), USM_ERR_MALFORMED);
  b[28] = 0x81;
  /* length of the second packet one word too long / too short */
  b[31] = 7;
  CHECK_INT(usm__rtcp_iter_init(&it, b, n), USM_ERR_MALFORMED);
  b[31] = 5;
  CHECK_INT(usm__rtcp_iter_init(&it, b, n), USM_ERR_MALFORMED);
  b[31] = 6;
  CHECK_INT(usm__rtcp_iter_init(&it, b, n), USM_OK);
  /* padding on the first packet of two */
  b[0] = 0xA0;
  CHECK_INT(usm__rtcp_iter_init(&it, b, n), USM_ERR_MALFORMED);
  b[0] = 0x80;
  /* padding on the last: count 2 (the two nulls of the chunk) is fine; 0 and > body are not */
  b[28] = 0xA1;
  b[n - 1] = 2;
  CHECK_INT(usm__rtcp_iter_init(&it, b, n), USM_OK);
  CHECK(usm__rtcp_iter_next(&it, &p));
  CHECK(usm__rtcp_iter_next(&it, &p));
  CHECK_INT(p.padding, 1);
  CHECK_INT(p.body_len, 22);
  b[n - 1] = 0;
  CHECK_INT(usm__rtcp_iter_init(&it, b, n), USM_ERR_MALFORMED);
  b[n - 1] = 25;
  CHECK_INT(usm__rtcp_iter_init(&it, b, n), USM_ERR_MALFORMED);
  b[n - 1] = 24; /* the whole body is padding */
  CHECK_INT(usm__rtcp_iter_init(&it, b, n), USM_OK);
  b[28] = 0x81;
  b[n - 1] = 0;
  /* first packet must be SR/RR, or feedback (RFC 5506); SDES or BYE alone is refused */
  CHECK_INT(usm__rtcp_iter_init(&it, b + 28, n - 28), USM_ERR_MALFORMED);
  static const uint8_t bye_only[] = {0x81, 0xCB, 0x00, 0x01, 0, 0, 0, 1};
  CHECK_INT(usm__rtcp_iter_init(&it, bye_only, sizeof bye_only), USM_ERR_MALFORMED);
  static const uint8_t app_first[] = {0x80, 0xCC, 0x00, 0x02, 0, 0, 0, 1, 'n', 'a', 'm', 'e'};
  CHECK_INT(usm__rtcp_iter_init(&it, app_first, sizeof app_first), USM_ERR_MALFORMED);
  /* reduced size: PLI + REMB, APP packets after the first are just skipped */
  memcpy(b, pli, sizeof pli);
  memcpy(b + sizeof pli, remb, sizeof remb);
  memcpy(b + sizeof pli + sizeof remb, app_first, sizeof app_first);
  CHECK_INT(usm__rtcp_iter_init(&it, b, sizeof pli + sizeof remb + sizeof app_first), USM_OK);
  int count = 0, apps = 0;
  while (usm__rtcp_iter_next(&it, &p)) {
    count++;
    apps += p.pt == USM__RTCP_APP;
  }
  CHECK_INT(count, 3);
  CHECK_INT(apps, 1);
  /* report counts past the packet: RC=1 on an SR without blocks; RR too short */
  memcpy(b, sr_sdes, 28);
  b[0] = 0x81;
  CHECK_INT(usm__rtcp_iter_init(&it, b, 28), USM_OK);
  CHECK(usm__rtcp_iter_next(&it, &p));
  usm__rtcp_report r;
  CHECK_INT(usm__rtcp_parse_report(&p, &r), USM_ERR_MALFORMED);
  static const uint8_t rr_short[] = {0x80, 0xC9, 0x00, 0x00};
  CHECK_INT(usm__rtcp_iter_init(&it, rr_short, sizeof rr_short), USM_OK);
  CHECK(usm__rtcp_iter_next(&it, &p));
  CHECK_INT(usm__rtcp_parse_report(&p, &r), USM_ERR_MALFORMED);
  usm__rtcp_fb fb;
  static const uint8_t fb_short[] = {0x81, 0xCE, 0x00, 0x01, 0, 0, 0, 1};
  CHECK_INT(usm__rtcp_iter_init(&it, fb_short, sizeof fb_short), USM_OK);
  CHECK(usm__rtcp_iter_next(&it, &p));
  CHECK_INT(usm__rtcp_parse_fb(&p, &fb), USM_ERR_MALFORMED);
  CHECK_INT(usm__rtcp_parse_report(&p, &r), USM_ERR_INVALID_ARG);
  /* an SR with a profile extension after its blocks */
  memcpy(b, sr_sdes, 28);
  b[3] = 7;
  memset(b + 28, 0xAB, 4);
  CHECK_INT(usm__rtcp_iter_init(&it, b, 32), USM_OK);
  CHECK(usm__rtcp_iter_next(&it, &p));
  CHECK_INT(usm__rtcp_parse_report(&p, &r), USM_OK);
  CHECK_INT(r.ext_len, 4);
  CHECK_INT(usm__rtcp_iter_init(&it, NULL, 4), USM_ERR_INVALID_ARG);
}

static void test_rtt(void) {
  uint32_t rtt = 0;
  /* RFC 3550 Figure 2: A 0xb710:8000, LSR 0xb705:2000, DLSR 0x0005:4000 -> 0x0006:2000 = 6.125 s */
  CHECK_INT(usm__rtcp_rtt(0xB7108000u, 0xB7052000u, 0x00054000u, &rtt), USM_OK);
  CHECK_INT(rtt, 0x00062000);
  CHECK_INT(usm__ntp_mid32_to_ms(rtt), 6125);
  /* 100 ms after holding the SR 1.5 s */
  CHECK_INT(usm__rtcp_rtt(0x6E228000u + 0x18000u + 0x199Au, 0x6E228000u, 0x18000u, &rtt), USM_OK);
  CHECK_INT(usm__ntp_mid32_to_ms(rtt), 100);
  /* across the 16.16 wrap: 1.25 s since the SR, 1 s held */
  CHECK_INT(usm__rtcp_rtt(0x0000C000u, 0xFFFF8000u, 0x10000u, &rtt), USM_OK);
  CHECK_INT(rtt, 0x4000);
  CHECK_INT(usm__ntp_mid32_to_ms(rtt), 250);
  /* zero RTT is possible; no SR yet; held longer than elapsed; LSR in the future */
  CHECK_INT(usm__rtcp_rtt(0x20000u, 0x10000u, 0x10000u, &rtt), USM_OK);
  CHECK_INT(rtt, 0);
  CHECK_INT(usm__rtcp_rtt(0x20000u, 0, 0, &rtt), USM_ERR_WRONG_STATE);
  CHECK_INT(usm__rtcp_rtt(0x20000u, 0x10000u, 0x10001u, &rtt), USM_ERR_MALFORMED);
  CHECK_INT(usm__rtcp_rtt(0x10000u, 0x20000u, 0, &rtt), USM_ERR_MALFORMED);
  CHECK_INT(usm__rtcp_rtt(1, 1, 0, NULL), USM_ERR_INVALID_ARG);

  /* NTP conversions */
  uint64_t ntp = usm__ntp_from_unix(0, 500000000u);
  CHECK(ntp == 0x83AA7E8080000000ull);
  CHECK_INT(usm__ntp_mid32(ntp), 0x7E808000);
  CHECK(usm__ntp_to_unix_us(ntp) == 500000u);
  ntp = usm__ntp_from_unix(1700000000u, 250000000u);
  CHECK(usm__ntp_to_unix_us(ntp) == 1700000000250000ull);
  CHECK_INT((uint32_t)ntp, 0x40000000);
  /* 2036-02-07 06:28:16 UTC: NTP seconds roll over to 0 (era 1) */
  ntp = usm__ntp_from_unix(2085978496u, 0);
  CHECK(ntp == 0);
  CHECK(usm__ntp_to_unix_us(ntp) == 2085978496000000ull);
  CHECK(usm__ntp_to_unix_us(usm__ntp_from_unix(2085978500u, 0)) == 2085978500000000ull);
  /* mid32 arithmetic across the era rollover */
  uint32_t before = usm__ntp_mid32(usm__ntp_from_unix(2085978495u, 0));
  uint32_t after = usm__ntp_mid32(usm__ntp_from_unix(2085978497u, 0));
  CHECK_INT(usm__rtcp_rtt(after, before, 0x10000u, &rtt), USM_OK);
  CHECK_INT(rtt, 0x10000);
  CHECK_INT(usm__ntp_ms_to_mid32(1000), 0x10000);
  CHECK_INT(usm__ntp_ms_to_mid32(250), 0x4000);
  CHECK_INT(usm__ntp_mid32_to_ms(usm__ntp_ms_to_mid32(1234)), 1234);
  /* from full NTP times: SR sent at unix 1700000000.0, RR back 1.75 s later after 1.5 s held */
  uint64_t sent = usm__ntp_from_unix(1700000000u, 0), back = usm__ntp_from_unix(1700000001u, 750000000u);
  uint32_t ms = 0;
  CHECK_INT(usm__rtcp_rtt_ms(back, sent, usm__ntp_mid32(sent), 0x18000u, &ms), USM_OK);
  CHECK_INT(ms, 250);
  CHECK_INT(usm__rtcp_rtt_ms(back, sent, usm__ntp_mid32(sent) - 0x10000u, 0x18000u, &ms), USM_ERR_WRONG_STATE);
  CHECK_INT(usm__rtcp_rtt_ms(back, sent, 0, 0, &ms), USM_ERR_WRONG_STATE);
  CHECK_INT(usm__rtcp_rtt_ms(back, sent, usm__ntp_mid32(sent), 0x20000u, &ms), USM_ERR_MALFORMED);
  /* DLSR for our own report block */
  CHECK_INT(usm__rtcp_dlsr(0x30000u, 0x10000u, 0xABCD), 0x20000);
  CHECK_INT(usm__rtcp_dlsr(0x30000u, 0x10000u, 0), 0);
  CHECK_INT(usm__rtcp_dlsr(0x1000u, 0xFFFFF000u, 1), 0x2000);
}

int main(void) {
  test_sr_sdes();
  test_sr_report_block();
  test_rr();
  test_nack();
  test_psfb();
  test_twcc();
  test_bye();
  test_sdes_cases();
  test_compound_validity();
  test_rtt();
  return check_done("test_rtcp");
}
