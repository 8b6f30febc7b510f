/* RTP header parse/build: hand-written vectors from the RFC 3550 §5.1 and
 * RFC 8285 layouts, round trips, every malformed case, and the packet buffer's
 * headroom/tailroom contract including an in-place srtp_protect(). */
#include <string.h>

#include <srtp2/srtp.h>

#include "check.h"
#include "media/rtp.h"

/* V=2, M=1, PT=111, seq 0x1234, ts 0xDEADBEEF, SSRC 0x01020304, payload "abc". */
static const uint8_t pkt_min[] = {0x80, 0xEF, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF,
                                  0x01, 0x02, 0x03, 0x04, 'a',  'b',  'c'};

/* P, X, CC=2; PT 96; seq 0xFFFF; ts 0xFFFFFFFF; two CSRCs; one-byte extension
 * (id 1 len 1, id 2 len 3, 2 bytes padding); payload 01 02 03; 4 bytes padding. */
static const uint8_t pkt_full[] = {
    0xB2, 0x60, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xCA, 0xFE, 0xBA, 0xBE, /* fixed */
    0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22,                         /* CSRCs */
    0xBE, 0xDE, 0x00, 0x02, 0x10, 0x5A, 0x22, 0xAA, 0xBB, 0xCC, 0x00, 0x00, /* ext */
    0x01, 0x02, 0x03,                                                       /* payload */
    0x00, 0x00, 0x00, 0x04};                                                /* padding */

/* Two-byte form: id 1 len 0, id 200 len 2 (C8 02 77 88), 2 bytes padding; no payload. */
static const uint8_t pkt_two[] = {0x90, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
                                  0x00, 0x03, 0x10, 0x00, 0x00, 0x02, 0x01, 0x00, 0xC8, 0x02,
                                  0x77, 0x88, 0x00, 0x00};

static void test_parse_min(void) {
  usm__rtp_view v;
  CHECK_INT(usm__rtp_parse(pkt_min, sizeof pkt_min, &v), USM_OK);
  CHECK_INT(v.marker, 1);
  CHECK_INT(v.pt, 111);
  CHECK_INT(v.seq, 0x1234);
  CHECK(v.timestamp == 0xDEADBEEFu);
  CHECK(v.ssrc == 0x01020304u);
  CHECK_INT(v.csrc_count, 0);
  CHECK_INT(v.extension, 0);
  CHECK_INT(v.padding, 0);
  CHECK_INT(v.header_len, 12);
  CHECK_INT(v.payload_len, 3);
  CHECK(v.payload == pkt_min + 12);

  /* a header with no payload at all is fine */
  CHECK_INT(usm__rtp_parse(pkt_min, 12, &v), USM_OK);
  CHECK_INT(v.payload_len, 0);
}

static void test_parse_full(void) {
  usm__rtp_view v;
  CHECK_INT(usm__rtp_parse(pkt_full, sizeof pkt_full, &v), USM_OK);
  CHECK_INT(v.padding, 1);
  CHECK_INT(v.extension, 1);
  CHECK_INT(v.marker, 0);
  CHECK_INT(v.pt, 96);
  CHECK_INT(v.seq, 0xFFFF);
  CHECK(v.timestamp == 0xFFFFFFFFu);
  CHECK(v.ssrc == 0xCAFEBABEu);
  CHECK_INT(v.csrc_count, 2);
  CHECK(v.csrc[0] == 0x11111111u && v.csrc[1] == 0x22222222u);
  CHECK_INT(v.ext_profile, 0xBEDE);
  CHECK_INT(v.ext_len, 8);
  CHECK_INT(v.header_len, 32);
  CHECK_INT(v.payload_len, 3);
  CHECK_INT(v.pad_len, 4);
  CHECK(v.payload[0] == 1 && v.payload[2] == 3);

  usm__rtp_ext_iter it;
  usm__rtp_ext_elem e;
  CHECK_INT(usm__rtp_ext_iter_init(&it, &v), USM_OK);
  CHECK(usm__rtp_ext_next(&it, &e));
  CHECK_INT(e.id, 1);
  CHECK_INT(e.len, 1);
  CHECK_INT(e.data[0], 0x5A);
  CHECK(usm__rtp_ext_next(&it, &e));
  CHECK_INT(e.id, 2);
  CHECK_INT(e.len, 3);
  CHECK(memcmp(e.data, "\xAA\xBB\xCC", 3) == 0);
  CHECK(!usm__rtp_ext_next(&it, &e));
  CHECK_INT(it.err, USM_OK);

  CHECK_INT(usm__rtp_ext_find(&v, 2, &e), USM_OK);
  CHECK_INT(e.len, 3);
  CHECK_INT(usm__rtp_ext_find(&v, 7, &e), USM_ERR_LIMIT);
}

static void test_parse_two_byte(void) {
  usm__rtp_view v;
  usm__rtp_ext_iter it;
  usm__rtp_ext_elem e;
  CHECK_INT(usm__rtp_parse(pkt_two, sizeof pkt_two, &v), USM_OK);
  CHECK_INT(v.ext_profile, 0x1000);
  CHECK_INT(v.payload_len, 0);
  CHECK_INT(usm__rtp_ext_iter_init(&it, &v), USM_OK);
  CHECK_INT(it.two_byte, 1);
  CHECK(usm__rtp_ext_next(&it, &e));
  CHECK_INT(e.id, 1);
  CHECK_INT(e.len, 0);
  CHECK(usm__rtp_ext_next(&it, &e));
  CHECK_INT(e.id, 200);
  CHECK_INT(e.len, 2);
  CHECK(e.data[0] == 0x77 && e.data[1] == 0x88);
  CHECK(!usm__rtp_ext_next(&it, &e));
  CHECK_INT(it.err, USM_OK);
}

static void test_build_vectors(void) {
  uint8_t out[128];
  size_t n = 0;
  usm__rtp_header h;
  memset(&h, 0, sizeof h);
  h.marker = 1;
  h.pt = 111;
  h.seq = 0x1234;
  h.timestamp = 0xDEADBEEF;
  h.ssrc = 0x01020304;
  CHECK_INT(usm__rtp_build(&h, (const uint8_t *)"abc", 3, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, sizeof pkt_min);
  CHECK(memcmp(out, pkt_min, sizeof pkt_min) == 0);
  CHECK_INT(usm__rtp_build_size(&h, 3), sizeof pkt_min);
  /* exactly enough room, then one byte short */
  CHECK_INT(usm__rtp_build(&h, (const uint8_t *)"abc", 3, out, sizeof pkt_min, &n), USM_OK);
  CHECK_INT(usm__rtp_build(&h, (const uint8_t *)"abc", 3, out, sizeof pkt_min - 1, &n), USM_ERR_LIMIT);

  static const uint8_t d1[] = {0x5A}, d2[] = {0xAA, 0xBB, 0xCC};
  usm__rtp_ext_elem el[2] = {{1, 1, d1}, {2, 3, d2}};
  memset(&h, 0, sizeof h);
  h.pt = 96;
  h.seq = 0xFFFF;
  h.timestamp = 0xFFFFFFFF;
  h.ssrc = 0xCAFEBABE;
  h.csrc_count = 2;
  h.csrc[0] = 0x11111111;
  h.csrc[1] = 0x22222222;
  h.ext_elems = el;
  h.ext_count = 2;
  h.pad_len = 4;
  memset(out, 0xEE, sizeof out); /* the builder must zero its own padding */
  CHECK_INT(usm__rtp_build(&h, (const uint8_t *)"\x01\x02\x03", 3, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, sizeof pkt_full);
  CHECK(memcmp(out, pkt_full, sizeof pkt_full) == 0);
  for (size_t cap = 0; cap < sizeof pkt_full; cap++)
    CHECK_INT(usm__rtp_build(&h, (const uint8_t *)"\x01\x02\x03", 3, out, cap, &n), USM_ERR_LIMIT);

  /* an id above 14 picks the two-byte form by itself */
  static const uint8_t d3[] = {0x77, 0x88};
  usm__rtp_ext_elem el2[2] = {{1, 0, NULL}, {200, 2, d3}};
  memset(&h, 0, sizeof h);
  h.pt = 8;
  h.seq = 1;
  h.timestamp = 2;
  h.ssrc = 3;
  h.ext_elems = el2;
  h.ext_count = 2;
  memset(out, 0xEE, sizeof out);
  CHECK_INT(usm__rtp_build(&h, NULL, 0, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, sizeof pkt_two);
  CHECK(memcmp(out, pkt_two, sizeof pkt_two) == 0);

  /* forced two-byte form with appbits, and elements that need no padding */
  usm__rtp_ext_elem el3[1] = {{5, 2, d3}};
  h.ext_elems = el3;
  h.ext_count = 1;
  h.ext_two_byte = 1;
  h.ext_appbits = 0x3;
  CHECK_INT(usm__rtp_build(&h, NULL, 0, out, sizeof out, &n), USM_OK);
  static const uint8_t two_app[] = {0x10, 0x03, 0x00, 0x01, 0x05, 0x02, 0x77, 0x88};
  CHECK_INT(n, 20);
  CHECK(memcmp(out + 12, two_app, sizeof two_app) == 0);
  usm__rtp_view v;
  usm__rtp_ext_elem e;
  CHECK_INT(usm__rtp_parse(out, n, &v), USM_OK);
  CHECK_INT(usm__rtp_ext_find(&v, 5, &e), USM_OK);
  CHECK_INT(e.len, 2);
}

static void test_build_invalid(void) {
  uint8_t out[64];
  size_t n;
  usm__rtp_header h;
  memset(&h, 0, sizeof h);
  h.pt = 128;
  CHECK_INT(usm__rtp_build(&h, NULL, 0, out, sizeof out, &n), USM_ERR_INVALID_ARG);
  h.pt = 0;
  h.csrc_count = 16;
  CHECK_INT(usm__rtp_build(&h, NULL, 0, out, sizeof out, &n), USM_ERR_INVALID_ARG);
  h.csrc_count = 0;
  static const uint8_t raw[6] = {0};
  h.ext_raw = raw;
  h.ext_raw_len = 6; /* not whole words */
  CHECK_INT(usm__rtp_build(&h, NULL, 0, out, sizeof out, &n), USM_ERR_INVALID_ARG);
  h.ext_raw = NULL;
  h.ext_raw_len = 0;
  usm__rtp_ext_elem bad[1] = {{0, 1, raw}}; /* id 0 is padding, never an element */
  h.ext_elems = bad;
  h.ext_count = 1;
  CHECK_INT(usm__rtp_build(&h, NULL, 0, out, sizeof out, &n), USM_ERR_INVALID_ARG);
  h.ext_count = USM__RTP_MAX_EXT_ELEMS + 1;
  CHECK_INT(usm__rtp_build(&h, NULL, 0, out, sizeof out, &n), USM_ERR_INVALID_ARG);
  h.ext_count = 0;
  CHECK_INT(usm__rtp_build(&h, NULL, 3, out, sizeof out, &n), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__rtp_build(NULL, NULL, 0, out, sizeof out, &n), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__rtp_build_size(&h, SIZE_MAX), 0);
}

static void test_raw_extension_round_trip(void) {
  static const uint8_t raw[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  usm__rtp_header h;
  memset(&h, 0, sizeof h);
  h.pt = 100;
  h.seq = 7;
  h.ssrc = 9;
  h.ext_profile = 0xABAC;
  h.ext_raw = raw;
  h.ext_raw_len = 8;
  uint8_t out[64];
  size_t n;
  CHECK_INT(usm__rtp_build(&h, (const uint8_t *)"xy", 2, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, 12 + 4 + 8 + 2);
  usm__rtp_view v;
  CHECK_INT(usm__rtp_parse(out, n, &v), USM_OK);
  CHECK_INT(v.ext_profile, 0xABAC);
  CHECK_INT(v.ext_len, 8);
  CHECK(memcmp(v.ext, raw, 8) == 0);
  CHECK_INT(v.payload_len, 2);
  /* not an RFC 8285 block: the raw bytes are there, the element iterator refuses */
  usm__rtp_ext_iter it;
  CHECK_INT(usm__rtp_ext_iter_init(&it, &v), USM_ERR_MALFORMED);
  usm__rtp_ext_elem e;
  CHECK(!usm__rtp_ext_next(&it, &e));

  /* an extension header with zero words is legal */
  h.ext_raw_len = 0;
  CHECK_INT(usm__rtp_build(&h, NULL, 0, out, sizeof out, &n), USM_OK);
  CHECK_INT(n, 16);
  CHECK_INT(usm__rtp_parse(out, n, &v), USM_OK);
  CHECK_INT(v.extension, 1);
  CHECK_INT(v.ext_len, 0);
}

static void test_ext_element_edge_cases(void) {
  /* one-byte block: padding byte, id 3 len 2, id 15 (stop), then bytes that would be bad */
  uint8_t p[] = {0x90, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE, 0xDE, 0x00, 0x02,
                 0x00, 0x31, 0xAB, 0xCD, 0xF0, 0x3F, 0xFF, 0xFF};
  usm__rtp_view v;
  usm__rtp_ext_iter it;
  usm__rtp_ext_elem e;
  CHECK_INT(usm__rtp_parse(p, sizeof p, &v), USM_OK);
  CHECK_INT(usm__rtp_ext_iter_init(&it, &v), USM_OK);
  CHECK(usm__rtp_ext_next(&it, &e));
  CHECK_INT(e.id, 3);
  CHECK_INT(e.len, 2);
  CHECK(!usm__rtp_ext_next(&it, &e)); /* id 15 ends processing */
  CHECK_INT(it.err, USM_OK);

  /* one-byte element longer than the block */
  p[20] = 0x4F; /* id 4, 16 bytes: only 3 left */
  CHECK_INT(usm__rtp_parse(p, sizeof p, &v), USM_OK);
  CHECK_INT(usm__rtp_ext_iter_init(&it, &v), USM_OK);
  CHECK(usm__rtp_ext_next(&it, &e));
  CHECK(!usm__rtp_ext_next(&it, &e));
  CHECK_INT(it.err, USM_ERR_MALFORMED);
  CHECK_INT(usm__rtp_ext_find(&v, 9, &e), USM_ERR_MALFORMED);

  /* two-byte element whose length runs past the block; a lone id byte at the end */
  uint8_t q[] = {0x90, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x10, 0x00, 0x00, 0x01, 0x07, 0x05, 0x01, 0x02};
  CHECK_INT(usm__rtp_parse(q, sizeof q, &v), USM_OK);
  CHECK_INT(usm__rtp_ext_iter_init(&it, &v), USM_OK);
  CHECK(!usm__rtp_ext_next(&it, &e));
  CHECK_INT(it.err, USM_ERR_MALFORMED);
  q[16] = 0x00;
  q[17] = 0x00;
  q[18] = 0x00;
  q[19] = 0x09; /* padding, padding, padding, id 9 without its length byte */
  CHECK_INT(usm__rtp_parse(q, sizeof q, &v), USM_OK);
  CHECK_INT(usm__rtp_ext_iter_init(&it, &v), USM_OK);
  CHECK(!usm__rtp_ext_next(&it, &e));
  CHECK_INT(it.err, USM_ERR_MALFORMED);

  /* no extension: empty iterator */
  CHECK_INT(usm__rtp_parse(pkt_min, sizeof pkt_min, &v), USM_OK);
  CHECK_INT(usm__rtp_ext_iter_init(&it, &v), USM_OK);
  CHECK(!usm__rtp_ext_next(&it, &e));
  CHECK_INT(usm__rtp_ext_find(&v, 1, &e), USM_ERR_LIMIT);
}

static void test_malformed(void) {
  usm__rtp_view v;
  uint8_t b[64];
  /* truncated: every length below the fixed header */
  for (size_t n = 0; n < 12; n++) CHECK_INT(usm__rtp_parse(pkt_min, n, &v), USM_ERR_MALFORMED);
  /* bad version (0, 1, 3) */
  for (uint8_t ver = 0; ver < 4; ver++) {
    if (ver == 2) continue;
    memcpy(b, pkt_min, sizeof pkt_min);
    b[0] = (uint8_t)((ver << 6) | (b[0] & 0x3f));
    CHECK_INT(usm__rtp_parse(b, sizeof pkt_min, &v), USM_ERR_MALFORMED);
  }
  /* CSRC count past the end: CC=1 needs 16 bytes */
  memcpy(b, pkt_min, 12);
  b[0] = 0x81;
  CHECK_INT(usm__rtp_parse(b, 15, &v), USM_ERR_MALFORMED);
  CHECK_INT(usm__rtp_parse(b, 16, &v), USM_OK);
  b[0] = 0x8F; /* 15 CSRCs: 72 bytes */
  CHECK_INT(usm__rtp_parse(pkt_full, sizeof pkt_full, &v), USM_OK);
  CHECK_INT(usm__rtp_parse(b, sizeof b, &v), USM_ERR_MALFORMED);
  /* X set but no room for the extension header */
  memcpy(b, pkt_min, 12);
  b[0] = 0x90;
  CHECK_INT(usm__rtp_parse(b, 12, &v), USM_ERR_MALFORMED);
  CHECK_INT(usm__rtp_parse(b, 15, &v), USM_ERR_MALFORMED);
  /* extension length past the end: 2 words declared, 1 present */
  memcpy(b + 12, "\xBE\xDE\x00\x02\x10\x01\x00\x00", 8);
  CHECK_INT(usm__rtp_parse(b, 20, &v), USM_ERR_MALFORMED);
  CHECK_INT(usm__rtp_parse(b, 23, &v), USM_ERR_MALFORMED);
  b[20] = b[21] = b[22] = b[23] = 0;
  CHECK_INT(usm__rtp_parse(b, 24, &v), USM_OK);
  /* extension length 0xFFFF on a short packet */
  b[14] = b[15] = 0xFF;
  CHECK_INT(usm__rtp_parse(b, 24, &v), USM_ERR_MALFORMED);
  /* padding: count 0, count past the payload, count reaching into the header */
  memcpy(b, pkt_min, sizeof pkt_min);
  b[0] |= 0x20;
  b[14] = 0;
  CHECK_INT(usm__rtp_parse(b, sizeof pkt_min, &v), USM_ERR_MALFORMED);
  b[14] = 4; /* only 3 bytes after the header */
  CHECK_INT(usm__rtp_parse(b, sizeof pkt_min, &v), USM_ERR_MALFORMED);
  b[14] = 3; /* the whole payload is padding: fine */
  CHECK_INT(usm__rtp_parse(b, sizeof pkt_min, &v), USM_OK);
  CHECK_INT(v.payload_len, 0);
  b[11] = 0xFF; /* P set on a bare header: the "count" is the SSRC's last byte */
  CHECK_INT(usm__rtp_parse(b, 12, &v), USM_ERR_MALFORMED);
  /* padding that would cover the extension */
  memcpy(b, pkt_full, sizeof pkt_full);
  b[sizeof pkt_full - 1] = 8;
  CHECK_INT(usm__rtp_parse(b, sizeof pkt_full, &v), USM_ERR_MALFORMED);
  b[sizeof pkt_full - 1] = 7;
  CHECK_INT(usm__rtp_parse(b, sizeof pkt_full, &v), USM_OK);
  CHECK_INT(v.payload_len, 0);
  CHECK_INT(usm__rtp_parse(NULL, 12, &v), USM_ERR_INVALID_ARG);
}

static void test_is_rtcp(void) {
  static const uint8_t sr[] = {0x80, 200, 0, 6}, rtp96[] = {0x80, 96, 0, 1}, rtp_m[] = {0x80, 0xE0, 0, 1};
  CHECK(usm__rtp_is_rtcp(sr, sizeof sr));
  CHECK(!usm__rtp_is_rtcp(rtp96, sizeof rtp96));
  CHECK(!usm__rtp_is_rtcp(rtp_m, sizeof rtp_m)); /* PT 96 with the marker: 224 */
  CHECK(!usm__rtp_is_rtcp(sr, 1));
}

static void test_pkt_buffer(void) {
  uint8_t mem[USM__RTP_HEADROOM + 64 + USM__RTP_SRTP_TRAILER_ROOM];
  uint8_t hist_mem[sizeof mem];
  usm__rtp_pkt p, hist, tiny;
  CHECK_INT(usm__rtp_pkt_init(&tiny, mem, USM__RTP_SRTP_TRAILER_ROOM + 3, 4), USM_ERR_LIMIT);
  CHECK_INT(usm__rtp_pkt_init(&p, mem, sizeof mem, USM__RTP_HEADROOM), USM_OK);
  CHECK_INT(usm__rtp_pkt_init(&hist, hist_mem, sizeof hist_mem, USM__RTP_HEADROOM), USM_OK);

  usm__rtp_header h;
  memset(&h, 0, sizeof h);
  h.pt = 111;
  h.seq = 0x1234;
  h.timestamp = 0xDEADBEEF;
  h.ssrc = 0x01020304;
  h.marker = 1;
  uint8_t payload[52];
  memset(payload, 0x42, sizeof payload);
  /* 12 + 52 = 64 bytes: exactly fills the space before the trailer room */
  CHECK_INT(usm__rtp_pkt_build(&p, &h, payload, sizeof payload), USM_OK);
  CHECK_INT(p.len, 64);
  CHECK_INT(usm__rtp_pkt_tailroom(&p), USM__RTP_SRTP_TRAILER_ROOM);
  CHECK(usm__rtp_pkt_data(&p) == mem + USM__RTP_HEADROOM);
  uint8_t big[53] = {0};
  CHECK_INT(usm__rtp_pkt_build(&p, &h, big, sizeof big), USM_ERR_LIMIT);
  CHECK_INT(usm__rtp_pkt_build(&p, &h, payload, sizeof payload), USM_OK);

  /* a payload already sitting at its final place is not copied over itself */
  uint8_t *at = usm__rtp_pkt_data(&p) + 12;
  memset(at, 0x24, 10);
  CHECK_INT(usm__rtp_pkt_build(&p, &h, at, 10), USM_OK);
  CHECK_INT(p.len, 22);
  CHECK_INT(usm__rtp_pkt_data(&p)[12], 0x24);
  CHECK_INT(usm__rtp_pkt_data(&p)[0], 0x80);
  CHECK_INT(usm__rtp_pkt_build(&p, &h, payload, sizeof payload), USM_OK);

  /* copy for the retransmission history BEFORE protecting in place */
  CHECK_INT(usm__rtp_pkt_copy(&hist, &p), USM_OK);
  CHECK_INT(hist.len, p.len);
  CHECK(memcmp(usm__rtp_pkt_data(&hist), usm__rtp_pkt_data(&p), p.len) == 0);
  CHECK_INT(usm__rtp_pkt_copy(&p, &p), USM_ERR_INVALID_ARG);

  /* real in-place SRTP: the trailer lands in the declared tailroom */
  CHECK_INT(srtp_init(), srtp_err_status_ok);
  srtp_policy_t pol;
  memset(&pol, 0, sizeof pol);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
  unsigned char key[30];
  for (unsigned i = 0; i < sizeof key; i++) key[i] = (unsigned char)i;
  pol.ssrc.type = ssrc_any_outbound;
  pol.key = key;
  pol.window_size = 128;
  srtp_t s = NULL;
  CHECK_INT(srtp_create(&s, &pol), srtp_err_status_ok);
  int len = (int)p.len;
  CHECK_INT(srtp_protect(s, usm__rtp_pkt_data(&p), &len), srtp_err_status_ok);
  CHECK_INT(len, 64 + 10); /* 80-bit tag */
  CHECK_INT(usm__rtp_pkt_set_protected(&p, (size_t)len), USM_OK);
  CHECK_INT(usm__rtp_pkt_set_protected(&p, 64 + USM__RTP_SRTP_TRAILER_ROOM + 1), USM_ERR_LIMIT);
  CHECK(p.is_protected);
  srtp_dealloc(s);
  srtp_shutdown();

  /* the history copy still holds the plain packet; the protected one may not be copied */
  CHECK(memcmp(usm__rtp_pkt_data(&hist) + 12, payload, sizeof payload) == 0);
  CHECK(memcmp(usm__rtp_pkt_data(&p) + 12, payload, sizeof payload) != 0);
  CHECK_INT(usm__rtp_pkt_copy(&hist, &p), USM_ERR_WRONG_STATE);
  usm__rtp_view v;
  CHECK_INT(usm__rtp_parse(usm__rtp_pkt_data(&hist), hist.len, &v), USM_OK);
  CHECK_INT(v.seq, 0x1234);

  /* a history slot too small to keep its own trailer room */
  uint8_t small_mem[64 + USM__RTP_SRTP_TRAILER_ROOM - 1];
  usm__rtp_pkt small;
  CHECK_INT(usm__rtp_pkt_init(&small, small_mem, sizeof small_mem, 0), USM_OK);
  CHECK_INT(usm__rtp_pkt_build(&p, &h, payload, sizeof payload), USM_OK);
  CHECK_INT(usm__rtp_pkt_copy(&small, &p), USM_ERR_LIMIT);
}

int main(void) {
  test_parse_min();
  test_parse_full();
  test_parse_two_byte();
  test_build_vectors();
  test_build_invalid();
  test_raw_extension_round_trip();
  test_ext_element_edge_cases();
  test_malformed();
  test_is_rtcp();
  test_pkt_buffer();
  return check_done("test_rtp");
}
