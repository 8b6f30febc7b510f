/* The H.264 RTP payload format (RFC 6184, mode 1): Annex B iteration, SPS
 * sizes, packetizer splits (single NAL, STAP-A, FU-A), and the access-unit
 * assembler under reordering, duplicates, loss, wrap and malformed input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec/h264_rtp.h"
#include "h264_test_util.h"

/* ---- captured packets ---- */

typedef struct pkt {
  uint8_t data[1500];
  size_t len;
  int marker;
  uint16_t seq;
  uint32_t ts;
} pkt;

typedef struct pkts {
  pkt p[256];
  size_t n;
  uint16_t next_seq;
  uint32_t ts;
} pkts;

static usm_err on_packet(void *user, const uint8_t *payload, size_t len, int marker) {
  pkts *c = user;
  if (c->n >= 256 || len > sizeof c->p[0].data) return USM_ERR_LIMIT;
  pkt *p = &c->p[c->n++];
  memcpy(p->data, payload, len);
  p->len = len;
  p->marker = marker;
  p->seq = c->next_seq++;
  p->ts = c->ts;
  return USM_OK;
}

static usm_err stop_cb(void *user, const uint8_t *payload, size_t len, int marker) {
  (void)payload;
  (void)len;
  (void)marker;
  int *calls = user;
  (*calls)++;
  return USM_ERR_CANCELLED;
}

/* ---- access units ---- */

typedef struct au {
  uint8_t b[300000];
  size_t len;
} au;

static uint8_t g_sps[64];
static size_t g_sps_len;

/* An IDR access unit: SPS (640x360), PPS, and an IDR slice of idr_len bytes. */
static void au_idr(au *a, size_t idr_len, unsigned seed) {
  uint8_t nal[200000];
  a->len = au_add(a->b, 0, g_sps, g_sps_len);
  const uint8_t pps[4] = {0x68, 0xce, 0x3c, 0x80};
  a->len = au_add(a->b, a->len, pps, sizeof pps);
  nal_fill(nal, idr_len, 0x65, seed);
  a->len = au_add(a->b, a->len, nal, idr_len);
}

static void au_p(au *a, size_t len, unsigned seed) {
  uint8_t nal[200000];
  nal_fill(nal, len, 0x41, seed);
  a->len = au_add(a->b, 0, nal, len);
}

static void test_annexb(void) {
  const uint8_t s[] = {0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 5, 0, 0, 0, 0, 1, 0, 0, 1, 0x65, 9, 0, 0};
  size_t pos = 0, n = 0;
  const uint8_t *nal = NULL;
  CHECK_INT(usm__h264_annexb_next(s, sizeof s, &pos, &nal, &n), 1);
  CHECK_INT(n, 3);
  CHECK_INT(nal[0], 0x67);
  CHECK_INT(usm__h264_annexb_next(s, sizeof s, &pos, &nal, &n), 1);
  CHECK_INT(n, 2); /* the zeros before the 4-byte code are not part of it */
  CHECK_INT(nal[0], 0x68);
  CHECK_INT(usm__h264_annexb_next(s, sizeof s, &pos, &nal, &n), 1); /* the empty one is skipped */
  CHECK_INT(n, 2);
  CHECK_INT(nal[0], 0x65);
  CHECK_INT(usm__h264_annexb_next(s, sizeof s, &pos, &nal, &n), 0);
  const uint8_t bad[] = {0x67, 0, 0, 1, 0x68};
  pos = 0;
  CHECK_INT(usm__h264_annexb_next(bad, sizeof bad, &pos, &nal, &n), -1);
  const uint8_t one_zero[] = {0, 1, 0x68};
  pos = 0;
  CHECK_INT(usm__h264_annexb_next(one_zero, sizeof one_zero, &pos, &nal, &n), -1);
  pos = 0;
  CHECK_INT(usm__h264_annexb_next(s, 0, &pos, &nal, &n), 0);
}

static void test_sps(void) {
  usm__h264_sps sps;
  /* 640x360: 40x23 macroblocks, 8 lines cropped at the bottom (4 units). */
  sps_desc d = {.profile = 66, .constraints = 0xc0, .level = 30, .mbs_w = 40, .map_h = 23, .frame_mbs_only = 1,
                .crop = {0, 0, 0, 4}};
  uint8_t nal[128];
  size_t n = sps_make(&d, nal);
  CHECK_INT(usm__h264_sps_parse(nal, n, &sps), USM_OK);
  CHECK_INT(sps.profile_idc, 66);
  CHECK_INT(sps.constraints, 0xc0);
  CHECK_INT(sps.level_idc, 30);
  CHECK_INT(sps.coded_width, 640);
  CHECK_INT(sps.coded_height, 368);
  CHECK_INT(sps.width, 640);
  CHECK_INT(sps.height, 360);
  /* A real one: OpenH264 2.3 at 640x360 (the codec test parses its own too). */
  /* High profile, 4:2:0, scaling lists, interlaced (1920x1080 as 68 map units of 2 MBs). */
  sps_desc h = {.profile = 100, .level = 40, .mbs_w = 120, .map_h = 34, .frame_mbs_only = 0,
                .crop = {0, 0, 0, 2}, .chroma = 1, .scaling = 1, .poc_type = 1};
  n = sps_make(&h, nal);
  CHECK_INT(usm__h264_sps_parse(nal, n, &sps), USM_OK);
  CHECK_INT(sps.coded_width, 1920);
  CHECK_INT(sps.coded_height, 1088);
  CHECK_INT(sps.height, 1080); /* crop unit 2 (4:2:0) x 2 (fields) */
  /* 4:4:4: crop unit 1 horizontally. */
  sps_desc c = {.profile = 100, .level = 40, .mbs_w = 2, .map_h = 2, .frame_mbs_only = 1, .crop = {1, 2, 0, 3},
                .chroma = 3, .poc_type = 2};
  n = sps_make(&c, nal);
  CHECK_INT(usm__h264_sps_parse(nal, n, &sps), USM_OK);
  CHECK_INT(sps.width, 29);
  CHECK_INT(sps.height, 29);
  /* Emulation prevention: a size that makes 00 00 in the RBSP. */
  sps_desc z = {.profile = 66, .level = 10, .mbs_w = 1, .map_h = 1, .frame_mbs_only = 1, .poc_type = 2};
  n = sps_make(&z, nal);
  CHECK_INT(usm__h264_sps_parse(nal, n, &sps), USM_OK);
  CHECK_INT(sps.width, 16);
  /* Truncations and bad fields are refused, never read past the end. */
  n = sps_make(&d, nal);
  for (size_t i = 0; i + 1 < n; i++) CHECK_INT(usm__h264_sps_parse(nal, i, &sps), USM_ERR_MALFORMED);
  sps_desc crop_all = d;
  crop_all.crop[3] = 184; /* the whole height */
  n = sps_make(&crop_all, nal);
  CHECK_INT(usm__h264_sps_parse(nal, n, &sps), USM_ERR_MALFORMED);
  sps_desc huge = d;
  huge.mbs_w = 5000; /* 80000 pixels */
  n = sps_make(&huge, nal);
  CHECK_INT(usm__h264_sps_parse(nal, n, &sps), USM_ERR_MALFORMED);
  const uint8_t pps[4] = {0x68, 0xce, 0x3c, 0x80};
  CHECK_INT(usm__h264_sps_parse(pps, sizeof pps, &sps), USM_ERR_MALFORMED);
  const uint8_t zeros[16] = {0x67, 0x42, 0, 0x1e};
  CHECK_INT(usm__h264_sps_parse(zeros, sizeof zeros, &sps), USM_ERR_MALFORMED); /* ue with > 31 zeros */
}

static void test_packetize(void) {
  static au a;
  static pkts c;
  uint8_t scratch[1500];
  /* SPS + PPS in one STAP-A, then the 3000-byte IDR slice in three FU-As. */
  au_idr(&a, 3000, 1);
  memset(&c, 0, sizeof c);
  CHECK_INT(usm__h264_packetize(a.b, a.len, 1200, scratch, sizeof scratch, on_packet, &c), USM_OK);
  CHECK_INT(c.n, 4);
  CHECK_INT(c.p[0].data[0] & 0x1f, 24);
  CHECK_INT(c.p[0].data[0] & 0x60, 0x60); /* NRI: the highest aggregated (SPS 3) */
  CHECK_INT(c.p[0].len, 1 + 2 + g_sps_len + 2 + 4);
  CHECK_INT(c.p[0].data[1] << 8 | c.p[0].data[2], g_sps_len);
  CHECK(memcmp(c.p[0].data + 3, g_sps, g_sps_len) == 0);
  for (size_t i = 1; i < 4; i++) {
    CHECK_INT(c.p[i].data[0], 0x60 | 28);
    CHECK_INT(c.p[i].data[1] & 0x1f, 5);
    CHECK_INT(!!(c.p[i].data[1] & 0x80), i == 1);
    CHECK_INT(!!(c.p[i].data[1] & 0x40), i == 3);
    CHECK_INT(c.p[i].marker, i == 3);
    CHECK(c.p[i].len <= 1200);
  }
  CHECK_INT(c.p[0].marker, 0);
  /* 2999 body bytes: 1000 + 1000 + 999, no runt */
  CHECK_INT(c.p[1].len, 1002);
  CHECK_INT(c.p[3].len, 1001);

  /* Everything fits in one STAP-A, which then carries the marker. */
  au_idr(&a, 100, 2);
  memset(&c, 0, sizeof c);
  CHECK_INT(usm__h264_packetize(a.b, a.len, 1200, scratch, sizeof scratch, on_packet, &c), USM_OK);
  CHECK_INT(c.n, 1);
  CHECK_INT(c.p[0].data[0] & 0x1f, 24);
  CHECK_INT(c.p[0].marker, 1);

  /* Two NAL units that fit alone but not together: two single NAL packets. */
  uint8_t nal[800];
  nal_fill(nal, 700, 0x41, 3);
  a.len = au_add(a.b, 0, nal, 700);
  nal_fill(nal, 700, 0x01, 4);
  a.len = au_add(a.b, a.len, nal, 700);
  memset(&c, 0, sizeof c);
  CHECK_INT(usm__h264_packetize(a.b, a.len, 1200, scratch, sizeof scratch, on_packet, &c), USM_OK);
  CHECK_INT(c.n, 2);
  CHECK_INT(c.p[0].len, 700);
  CHECK_INT(c.p[0].data[0], 0x41);
  CHECK_INT(c.p[0].marker, 0);
  CHECK_INT(c.p[1].data[0], 0x01);
  CHECK_INT(c.p[1].marker, 1);

  /* A NAL unit of exactly max_payload goes alone; one byte more is fragmented. */
  nal_fill(nal, 500, 0x41, 5);
  a.len = au_add(a.b, 0, nal, 500);
  memset(&c, 0, sizeof c);
  CHECK_INT(usm__h264_packetize(a.b, a.len, 500, scratch, sizeof scratch, on_packet, &c), USM_OK);
  CHECK_INT(c.n, 1);
  memset(&c, 0, sizeof c);
  CHECK_INT(usm__h264_packetize(a.b, a.len, 499, scratch, sizeof scratch, on_packet, &c), USM_OK);
  CHECK_INT(c.n, 2);
  CHECK_INT(c.p[0].len + c.p[1].len, 499 + 4);
  /* 3-byte start codes are accepted too. */
  const uint8_t short_sc[] = {0, 0, 1, 0x41, 9, 9, 0, 0, 1, 0x41, 8};
  memset(&c, 0, sizeof c);
  CHECK_INT(usm__h264_packetize(short_sc, sizeof short_sc, 1200, scratch, sizeof scratch, on_packet, &c), USM_OK);
  CHECK_INT(c.n, 1);
  CHECK_INT(c.p[0].len, 1 + 2 + 3 + 2 + 2);

  /* Refused input, before any callback. */
  int calls = 0;
  const uint8_t no_sc[] = {0x41, 1, 2};
  const uint8_t forbidden[] = {0, 0, 1, 0xC1, 1};
  const uint8_t stap[] = {0, 0, 1, 0x18, 1};
  const uint8_t type0[] = {0, 0, 1, 0x00, 1};
  const uint8_t empty[] = {0, 0, 0, 1, 0, 0};
  CHECK_INT(usm__h264_packetize(no_sc, sizeof no_sc, 1200, scratch, sizeof scratch, stop_cb, &calls), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__h264_packetize(forbidden, sizeof forbidden, 1200, scratch, sizeof scratch, stop_cb, &calls), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__h264_packetize(stap, sizeof stap, 1200, scratch, sizeof scratch, stop_cb, &calls), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__h264_packetize(type0, sizeof type0, 1200, scratch, sizeof scratch, stop_cb, &calls), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__h264_packetize(empty, sizeof empty, 1200, scratch, sizeof scratch, stop_cb, &calls), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__h264_packetize(short_sc, sizeof short_sc, 2, scratch, sizeof scratch, stop_cb, &calls), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__h264_packetize(short_sc, sizeof short_sc, 70000, scratch, sizeof scratch, stop_cb, &calls), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__h264_packetize(short_sc, sizeof short_sc, 1200, scratch, 1000, stop_cb, &calls), USM_ERR_LIMIT);
  CHECK_INT(usm__h264_packetize(NULL, 3, 1200, scratch, sizeof scratch, stop_cb, &calls), USM_ERR_INVALID_ARG);
  /* A bad NAL unit after good ones: still nothing sent. */
  uint8_t mixed[32];
  size_t ml = au_add(mixed, 0, (const uint8_t[]){0x41, 1}, 2);
  ml = au_add(mixed, ml, (const uint8_t[]){0x5c, 1}, 2); /* type 28 */
  CHECK_INT(usm__h264_packetize(mixed, ml, 1200, scratch, sizeof scratch, stop_cb, &calls), USM_ERR_INVALID_ARG);
  CHECK_INT(calls, 0);
  /* Bounds: 2048 packets, 1 MiB. */
  static uint8_t big[USM__H264_MAX_FRAME_BYTES + 8];
  size_t bl = 5000;
  nal_fill(big + 4, bl, 0x65, 6);
  big[0] = big[1] = big[2] = 0;
  big[3] = 1;
  CHECK_INT(usm__h264_packetize(big, bl + 4, 3, scratch, sizeof scratch, stop_cb, &calls), USM_ERR_LIMIT);
  nal_fill(big + 4, USM__H264_MAX_FRAME_BYTES, 0x65, 7);
  CHECK_INT(usm__h264_packetize(big, USM__H264_MAX_FRAME_BYTES + 4, 1200, scratch, sizeof scratch, stop_cb, &calls),
            USM_ERR_LIMIT);
  CHECK_INT(calls, 0);
  /* The callback's error stops the walk. */
  au_idr(&a, 3000, 1);
  CHECK_INT(usm__h264_packetize(a.b, a.len, 1200, scratch, sizeof scratch, stop_cb, &calls), USM_ERR_CANCELLED);
  CHECK_INT(calls, 1);
}

/* ---- assembler ---- */

/* Packetize access unit a as RTP timestamp ts, appending to c. */
static void packetize_into(pkts *c, const au *a, uint32_t ts, size_t max) {
  uint8_t scratch[1500];
  c->ts = ts;
  CHECK_INT(usm__h264_packetize(a->b, a->len, max, scratch, sizeof scratch, on_packet, c), USM_OK);
}

static void push(usm__h264_asm *as, const pkt *p, usm_err want) {
  CHECK_INT(usm__h264_asm_push(as, p->data, p->len, p->seq, p->ts, p->marker), want);
}

static void shuffle(pkt *p, size_t n, unsigned seed) {
  for (size_t i = n; i > 1; i--) {
    seed = seed * 1103515245u + 12345u;
    size_t j = (seed >> 8) % i;
    pkt t = p[i - 1];
    p[i - 1] = p[j];
    p[j] = t;
  }
}

/* Pop one access unit and compare it with want (Annex B with 4-byte codes). */
static void expect_pop(usm__h264_asm *as, const au *want, uint32_t ts, int key) {
  usm__h264_frame f;
  int got = usm__h264_asm_pop(as, &f);
  CHECK_INT(got, 1);
  if (!got) return;
  CHECK_INT(f.timestamp, ts);
  CHECK_INT(f.keyframe, key);
  CHECK_INT(f.len, want->len);
  CHECK(f.len == want->len && memcmp(f.data, want->b, f.len) == 0);
  if (key) {
    CHECK_INT(f.width, 640);
    CHECK_INT(f.height, 360);
  } else {
    CHECK_INT(f.width, 0);
  }
}

static void expect_none(usm__h264_asm *as) {
  usm__h264_frame f;
  CHECK_INT(usm__h264_asm_pop(as, &f), 0);
}

static void test_asm_order(uint16_t seq0, unsigned seed) {
  static au frames[6];
  static pkts c;
  memset(&c, 0, sizeof c);
  c.next_seq = seq0;
  for (int i = 0; i < 6; i++) {
    if (i == 0)
      au_idr(&frames[i], 4000, (unsigned)i);
    else
      au_p(&frames[i], 300 + (size_t)i * 700, (unsigned)i);
    packetize_into(&c, &frames[i], 0xFFFFF000u + (uint32_t)i * 3000u, 1200);
  }
  usm__h264_asm *as = NULL;
  CHECK_INT(usm__h264_asm_create(NULL, &as), USM_OK);
  if (!as) return;
  /* Shuffled, with every packet sent twice. */
  static pkt all[512];
  size_t n = 0;
  for (size_t i = 0; i < c.n; i++) {
    all[n++] = c.p[i];
    all[n++] = c.p[i];
  }
  shuffle(all, n, seed);
  size_t delivered = 0;
  for (size_t i = 0; i < n; i++) {
    CHECK_INT(usm__h264_asm_push(as, all[i].data, all[i].len, all[i].seq, all[i].ts, all[i].marker), USM_OK);
    usm__h264_frame f;
    while (usm__h264_asm_pop(as, &f)) {
      CHECK(delivered < 6);
      if (delivered >= 6) break;
      CHECK_INT(f.timestamp, 0xFFFFF000u + (uint32_t)delivered * 3000u);
      CHECK_INT(f.keyframe, delivered == 0);
      CHECK(f.len == frames[delivered].len && memcmp(f.data, frames[delivered].b, f.len) == 0);
      delivered++;
    }
  }
  CHECK_INT(delivered, 6);
  CHECK_INT(usm__h264_asm_needs_keyframe(as), 0);
  CHECK_INT(usm__h264_asm_buffered(as), 0);
  uint16_t miss[8];
  CHECK_INT(usm__h264_asm_missing(as, miss, 8), 0);
  usm__h264_asm_stats st;
  usm__h264_asm_get_stats(as, &st);
  CHECK_INT(st.frames_delivered, 6);
  CHECK_INT(st.keyframes_delivered, 1);
  CHECK_INT(st.packets + st.duplicates + st.late, n);
  CHECK_INT(st.malformed, 0);
  usm__h264_asm_destroy(as);
}

static void test_asm_loss(void) {
  static au frames[8];
  static pkts c;
  memset(&c, 0, sizeof c);
  c.next_seq = 100;
  au_idr(&frames[0], 2500, 10);
  for (int i = 1; i < 8; i++) au_p(&frames[i], 2000, (unsigned)(10 + i)); /* 2 FU-As each */
  for (int i = 0; i < 8; i++) packetize_into(&c, &frames[i], (uint32_t)i * 3000u, 1200);
  /* IDR: 1 STAP-A + 3 FU-A (seq 100..103); P frames 2 packets each: frame i at 104 + 2(i-1). */
  CHECK_INT(c.n, 4 + 7 * 2);
  usm__h264_asm *as = NULL;
  CHECK_INT(usm__h264_asm_create(NULL, &as), USM_OK);
  if (!as) return;
  for (size_t i = 0; i < 6; i++) push(as, &c.p[i], USM_OK); /* IDR and frame 1 */
  expect_pop(as, &frames[0], 0, 1);
  expect_pop(as, &frames[1], 3000, 0);
  /* Frame 2 loses its first packet (seq 106); frames 3 and 4 arrive whole. */
  for (size_t i = 7; i < 12; i++) push(as, &c.p[i], USM_OK);
  expect_none(as);
  uint16_t miss[8];
  CHECK_INT(usm__h264_asm_missing(as, miss, 8), 1);
  CHECK_INT(miss[0], 106);
  CHECK_INT(usm__h264_asm_needs_keyframe(as), 0); /* still waiting for the retransmission */
  /* The retransmission arrives: 2, 3, 4 come out in order. */
  push(as, &c.p[6], USM_OK);
  expect_pop(as, &frames[2], 6000, 0);
  expect_pop(as, &frames[3], 9000, 0);
  expect_pop(as, &frames[4], 12000, 0);
  expect_none(as);
  /* Frame 5 loses its last packet (seq 113); 6 and 7 complete. */
  push(as, &c.p[12], USM_OK);
  for (size_t i = 14; i < 18; i++) push(as, &c.p[i], USM_OK);
  expect_none(as);
  CHECK_INT(usm__h264_asm_missing(as, miss, 8), 1);
  CHECK_INT(miss[0], 113);
  /* NACK gave up: everything behind the hole is undecodable. */
  usm__h264_asm_give_up(as);
  CHECK_INT(usm__h264_asm_needs_keyframe(as), 1);
  expect_none(as);
  CHECK_INT(usm__h264_asm_buffered(as), 0);
  CHECK_INT(usm__h264_asm_missing(as, miss, 8), 0); /* no more NACKs for dropped frames */
  /* The late retransmission changes nothing. */
  push(as, &c.p[13], USM_OK);
  expect_none(as);
  /* A new IDR (starts with an SPS, so its start is known) restores the chain. */
  static pkts k;
  static au idr;
  memset(&k, 0, sizeof k);
  k.next_seq = 118;
  au_idr(&idr, 3000, 99);
  packetize_into(&k, &idr, 24000, 1200);
  shuffle(k.p, k.n, 7);
  for (size_t i = 0; i < k.n; i++) push(as, &k.p[i], USM_OK);
  expect_pop(as, &idr, 24000, 1);
  CHECK_INT(usm__h264_asm_needs_keyframe(as), 0);
  usm__h264_asm_stats st;
  usm__h264_asm_get_stats(as, &st);
  CHECK_INT(st.frames_delivered, 6);
  CHECK(st.frames_dropped >= 3);
  usm__h264_asm_destroy(as);

  /* A P frame before any IDR: never handed over, and an IDR is asked for. */
  CHECK_INT(usm__h264_asm_create(NULL, &as), USM_OK);
  if (!as) return;
  for (size_t i = 4; i < 8; i++) push(as, &c.p[i], USM_OK);
  expect_none(as);
  CHECK_INT(usm__h264_asm_needs_keyframe(as), 1);
  usm__h264_asm_destroy(as);

  /* An IDR without parameter sets whose previous sequence number is missing:
   * its start is unknown, so it waits; the packet before it settles it. */
  CHECK_INT(usm__h264_asm_create(NULL, &as), USM_OK);
  if (!as) return;
  uint8_t idr_only[3] = {0x65, 0x88, 0x80};
  CHECK_INT(usm__h264_asm_push(as, idr_only, 3, 501, 9000, 1), USM_OK);
  expect_none(as);
  uint8_t p_prev[3] = {0x41, 0x9a, 0x10};
  CHECK_INT(usm__h264_asm_push(as, p_prev, 3, 500, 6000, 1), USM_OK);
  usm__h264_frame f;
  CHECK_INT(usm__h264_asm_pop(as, &f), 1);
  CHECK_INT(f.timestamp, 9000);
  CHECK_INT(f.keyframe, 1);
  CHECK_INT(f.first_seq, 501);
  CHECK_INT(f.last_seq, 501);
  CHECK_INT(f.len, 7);
  usm__h264_asm_destroy(as);
}

static void test_asm_malformed(void) {
  usm__h264_asm *as = NULL;
  CHECK_INT(usm__h264_asm_create(NULL, &as), USM_OK);
  if (!as) return;
  const uint8_t stap_short[] = {0x18, 0x00, 0x09, 0x67, 0x42};         /* length past the end */
  const uint8_t stap_zero[] = {0x18, 0x00, 0x00, 0x00, 0x02, 0x67, 0x42}; /* zero-length NAL */
  const uint8_t stap_odd[] = {0x18, 0x00, 0x02, 0x67, 0x42, 0x00};      /* trailing byte */
  const uint8_t stap_nested[] = {0x18, 0x00, 0x02, 0x18, 0x42};         /* STAP-A inside */
  const uint8_t stap_empty[] = {0x18};
  const uint8_t fu_se[] = {0x7c, 0xC5, 0x11};                           /* S and E */
  const uint8_t fu_short[] = {0x7c, 0x85};
  const uint8_t fu_type[] = {0x7c, 0x9c, 0x11};                         /* fragmented FU-A */
  const uint8_t stap_b[] = {0x19, 0, 0, 2, 0x41, 1};
  const uint8_t mtap[] = {0x1a, 0, 0, 0};
  const uint8_t fu_b[] = {0x1d, 0x85, 0, 0, 1};
  const uint8_t t30[] = {0x1e, 1};
  const uint8_t t0[] = {0x00, 1};
  const uint8_t fbit[] = {0xC1, 1};
  const uint8_t *bad[] = {stap_short, stap_zero, stap_odd, stap_nested, stap_empty, fu_se, fu_short,
                          fu_type, stap_b, mtap, fu_b, t30, t0, fbit};
  const size_t bad_len[] = {sizeof stap_short, sizeof stap_zero, sizeof stap_odd, sizeof stap_nested,
                            sizeof stap_empty, sizeof fu_se, sizeof fu_short, sizeof fu_type,
                            sizeof stap_b, sizeof mtap, sizeof fu_b, sizeof t30, sizeof t0, sizeof fbit};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_INT(usm__h264_asm_push(as, bad[i], bad_len[i], (uint16_t)(10 + i), 3000, 0), USM_ERR_MALFORMED);
  usm__h264_asm_stats st;
  usm__h264_asm_get_stats(as, &st);
  CHECK_INT(st.malformed, sizeof bad / sizeof bad[0]);
  CHECK_INT(usm__h264_asm_buffered(as), 0);
  usm__h264_asm_reset(as);

  /* FU-A without its start fragment: complete by sequence numbers, but it
   * cannot be rebuilt: dropped, and an IDR is asked for. */
  const uint8_t sps_pps[] = {0x18, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce};
  const uint8_t fu_mid[] = {0x7c, 0x05, 0x11, 0x22};
  const uint8_t fu_end[] = {0x7c, 0x45, 0x33};
  CHECK_INT(usm__h264_asm_push(as, sps_pps, sizeof sps_pps, 1, 3000, 0), USM_OK);
  CHECK_INT(usm__h264_asm_push(as, fu_mid, sizeof fu_mid, 2, 3000, 0), USM_OK);
  CHECK_INT(usm__h264_asm_push(as, fu_end, sizeof fu_end, 3, 3000, 1), USM_OK);
  expect_none(as);
  CHECK_INT(usm__h264_asm_needs_keyframe(as), 1);
  /* FU-A fragments of two different NAL types in a row, and a NAL unit
   * between a start and its end: both refused on assembly. */
  const uint8_t fu_start5[] = {0x7c, 0x85, 0x11};
  const uint8_t fu_end1[] = {0x7c, 0x41, 0x33};
  const uint8_t single_idr[] = {0x65, 0x11};
  const uint8_t fu_end5[] = {0x7c, 0x45, 0x33};
  CHECK_INT(usm__h264_asm_push(as, sps_pps, sizeof sps_pps, 4, 6000, 0), USM_OK);
  CHECK_INT(usm__h264_asm_push(as, fu_start5, sizeof fu_start5, 5, 6000, 0), USM_OK);
  CHECK_INT(usm__h264_asm_push(as, fu_end1, sizeof fu_end1, 6, 6000, 1), USM_ERR_MALFORMED); /* IDR and non-IDR */
  CHECK_INT(usm__h264_asm_push(as, single_idr, sizeof single_idr, 6, 6000, 0), USM_OK);
  CHECK_INT(usm__h264_asm_push(as, fu_end5, sizeof fu_end5, 7, 6000, 1), USM_OK);
  expect_none(as);
  /* Contradictions: a second marker, a packet after the marker, one
   * sequence number with two timestamps. */
  CHECK_INT(usm__h264_asm_push(as, single_idr, sizeof single_idr, 20, 9000, 1), USM_OK);
  CHECK_INT(usm__h264_asm_push(as, single_idr, sizeof single_idr, 19, 9000, 1), USM_ERR_MALFORMED);
  CHECK_INT(usm__h264_asm_push(as, single_idr, sizeof single_idr, 21, 9000, 0), USM_ERR_MALFORMED);
  CHECK_INT(usm__h264_asm_push(as, single_idr, sizeof single_idr, 20, 12000, 1), USM_ERR_MALFORMED);
  usm__h264_asm_destroy(as);

  /* Bounds: packets per access unit and bytes. */
  usm__h264_asm_cfg cfg = {.max_frame_bytes = 100, .max_packets = 4, .max_frames = 2};
  CHECK_INT(usm__h264_asm_create(&cfg, &as), USM_OK);
  if (!as) return;
  const uint8_t small[] = {0x41, 1, 2, 3};
  CHECK_INT(usm__h264_asm_push(as, small, sizeof small, 1, 3000, 0), USM_OK);
  CHECK_INT(usm__h264_asm_push(as, small, sizeof small, 5, 3000, 0), USM_ERR_LIMIT);
  uint8_t big[120];
  nal_fill(big, sizeof big, 0x41, 1);
  CHECK_INT(usm__h264_asm_push(as, big, sizeof big, 10, 6000, 1), USM_ERR_LIMIT);
  usm__h264_asm_destroy(as);
  usm__h264_asm_cfg over = {.max_frames = USM__H264_MAX_FRAMES + 1};
  CHECK_INT(usm__h264_asm_create(&over, &as), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__h264_asm_create(NULL, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__h264_asm_push(NULL, small, 4, 1, 1, 1), USM_ERR_INVALID_ARG);
}

/* Eviction: slots run out while a frame is incomplete: it is lost. */
static void test_asm_evict(void) {
  static au frames[12];
  static pkts c;
  memset(&c, 0, sizeof c);
  c.next_seq = 65500;
  au_idr(&frames[0], 500, 1);
  for (int i = 1; i < 12; i++) au_p(&frames[i], 100, (unsigned)i);
  for (int i = 0; i < 12; i++) packetize_into(&c, &frames[i], 90000u + (uint32_t)i * 3000u, 1200);
  usm__h264_asm *as = NULL;
  CHECK_INT(usm__h264_asm_create(NULL, &as), USM_OK);
  if (!as) return;
  push(as, &c.p[0], USM_OK);
  expect_pop(as, &frames[0], 90000, 1);
  /* frame 1 lost entirely; 2..11 arrive */
  for (size_t i = 2; i < 12; i++) push(as, &c.p[i], USM_OK);
  usm__h264_frame f;
  CHECK_INT(usm__h264_asm_pop(as, &f), 0);
  CHECK(usm__h264_asm_buffered(as) <= USM__H264_DEFAULT_FRAMES);
  CHECK_INT(usm__h264_asm_needs_keyframe(as), 1);
  usm__h264_asm_destroy(as);
}

int main(void) {
  sps_desc d = {.profile = 66, .constraints = 0xc0, .level = 30, .mbs_w = 40, .map_h = 23, .frame_mbs_only = 1,
                .crop = {0, 0, 0, 4}};
  g_sps_len = sps_make(&d, g_sps);
  test_annexb();
  test_sps();
  test_packetize();
  test_asm_order(1000, 1);
  test_asm_order(65530, 2); /* sequence numbers wrap mid-stream */
  test_asm_order(65535, 3);
  test_asm_loss();
  test_asm_malformed();
  test_asm_evict();
  return check_done("test_h264_rtp");
}
