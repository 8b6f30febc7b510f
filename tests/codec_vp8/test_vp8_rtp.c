/* VP8 RTP payload format (RFC 7741): byte-exact descriptors, even splits,
 * 7/15-bit PictureID parsing, reassembly in any order with duplicates, loss
 * and the missing list, recovery by retransmission, the reference chain
 * (lost keyframe, give-up, eviction), PictureID / sequence / timestamp wrap,
 * bounds, and (with libvpx) a real encode -> packetize -> shuffle ->
 * reassemble -> decode round trip with a PSNR check. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "codec/vp8_rtp.h"

#ifdef USM_TEST_HAVE_VPX
#include <math.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>
#endif

#define MAXPKT 512
#define MTU 1500

typedef struct pkt {
  uint8_t data[MTU];
  size_t len;
  uint16_t seq;
  uint32_t ts;
  int marker;
} pkt;

static pkt pkts[MAXPKT];
static size_t npkts;

static uint32_t rng = 12345;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

/* A synthetic but well-formed VP8 frame: tag (first partition = all of it),
 * start code and size for keyframes, then a pattern. */
static void make_frame(uint8_t *b, size_t len, int key, uint8_t fill) {
  size_t hdr = key ? USM__VP8_KEY_HEADER_LEN : USM__VP8_TAG_LEN;
  uint32_t part = (uint32_t)(len - hdr);
  uint32_t tag = (key ? 0u : 1u) | 1u << 4 | part << 5;
  b[0] = (uint8_t)tag;
  b[1] = (uint8_t)(tag >> 8);
  b[2] = (uint8_t)(tag >> 16);
  if (key) {
    b[3] = 0x9d;
    b[4] = 0x01;
    b[5] = 0x2a;
    b[6] = 320 & 0xFF;
    b[7] = 320 >> 8;
    b[8] = 240 & 0xFF;
    b[9] = 240 >> 8;
  }
  for (size_t i = hdr; i < len; i++) b[i] = (uint8_t)(fill + i * 7);
}

typedef struct sink {
  uint16_t seq;
  uint32_t ts;
} sink;

static usm_err collect(void *user, const uint8_t *payload, size_t len, int marker) {
  sink *s = user;
  if (npkts >= MAXPKT || len > MTU) return USM_ERR_LIMIT;
  pkt *p = &pkts[npkts++];
  memcpy(p->data, payload, len);
  p->len = len;
  p->seq = s->seq++;
  p->ts = s->ts;
  p->marker = marker;
  return USM_OK;
}

/* Packetize a synthetic frame onto the end of pkts[]; returns its first index. */
static size_t add_frame(sink *s, size_t len, int key, uint16_t pid, size_t max_payload) {
  static uint8_t frame[64 * 1024];
  uint8_t scratch[MTU];
  size_t first = npkts;
  make_frame(frame, len, key, (uint8_t)pid);
  CHECK_INT(usm__vp8_packetize(frame, len, key, pid, max_payload, scratch, sizeof scratch, collect, s),
            USM_OK);
  return first;
}

static usm_err push(usm__vp8_asm *a, const pkt *p) {
  return usm__vp8_asm_push(a, p->data, p->len, p->seq, p->ts, p->marker);
}

/* Pop everything; record the timestamps handed over. */
static size_t pop_all(usm__vp8_asm *a, uint32_t *ts, size_t cap) {
  usm__vp8_frame f;
  size_t n = 0;
  while (usm__vp8_asm_pop(a, &f)) {
    if (n < cap) ts[n] = f.timestamp;
    n++;
  }
  return n;
}

static void test_descriptor_bytes(void) {
  sink s = {100, 9000};
  npkts = 0;
  /* 2500 bytes at 1004: 3 packets of 834/833/833 VP8 bytes */
  add_frame(&s, 2500, 1, 0x1234, 1004);
  CHECK_INT(npkts, 3);
  const uint8_t first[4] = {0x90, 0x80, 0x92, 0x34}, rest[4] = {0x80, 0x80, 0x92, 0x34};
  CHECK(memcmp(pkts[0].data, first, 4) == 0);
  CHECK(memcmp(pkts[1].data, rest, 4) == 0);
  CHECK(memcmp(pkts[2].data, rest, 4) == 0);
  CHECK_INT(pkts[0].len, 4 + 834);
  CHECK_INT(pkts[1].len, 4 + 833);
  CHECK_INT(pkts[2].len, 4 + 833);
  CHECK_INT(pkts[0].marker, 0);
  CHECK_INT(pkts[1].marker, 0);
  CHECK_INT(pkts[2].marker, 1);
  /* the VP8 keyframe header starts right after the first descriptor */
  CHECK_INT(pkts[0].data[4] & 1, 0);
  CHECK_INT(pkts[0].data[7], 0x9d);

  /* one-packet frame, PictureID taken mod 2^15 */
  npkts = 0;
  add_frame(&s, 50, 0, 0xFFFF, 1200);
  CHECK_INT(npkts, 1);
  const uint8_t one[4] = {0x90, 0x80, 0xFF, 0xFF};
  CHECK(memcmp(pkts[0].data, one, 4) == 0);
  CHECK_INT(pkts[0].len, 54);
  CHECK_INT(pkts[0].marker, 1);

  /* exactly filling: 2 x 1000 at 1004 */
  npkts = 0;
  add_frame(&s, 2000, 0, 7, 1004);
  CHECK_INT(npkts, 2);
  CHECK_INT(pkts[0].len, 1004);
  CHECK_INT(pkts[1].len, 1004);
  const uint8_t small_pid[4] = {0x90, 0x80, 0x80, 0x07};
  CHECK(memcmp(pkts[0].data, small_pid, 4) == 0);

  /* bad arguments and bounds */
  uint8_t fr[64], out[64];
  usm__vp8_packetizer p;
  make_frame(fr, sizeof fr, 0, 1);
  CHECK_INT(usm__vp8_packetizer_init(&p, fr, sizeof fr, 0, 1, USM__VP8_DESC_LEN), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__vp8_packetizer_init(&p, fr, 0, 0, 1, 1200), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__vp8_packetizer_init(&p, fr, sizeof fr, 1, 1, 1200), USM_ERR_INVALID_ARG); /* not a keyframe */
  CHECK_INT(usm__vp8_packetizer_init(&p, fr, sizeof fr, 0, 1, 20), USM_OK);
  CHECK_INT(usm__vp8_packetizer_count(&p), 4); /* 64 bytes / 16 */
  size_t n;
  int m;
  CHECK_INT(usm__vp8_packetizer_next(&p, out, 10, &n, &m), USM_ERR_LIMIT);
  for (int i = 0; i < 4; i++) CHECK_INT(usm__vp8_packetizer_next(&p, out, sizeof out, &n, &m), USM_OK);
  CHECK_INT(m, 1);
  CHECK_INT(usm__vp8_packetizer_next(&p, out, sizeof out, &n, &m), USM_ERR_WRONG_STATE);
  CHECK_INT(usm__vp8_packetize(fr, sizeof fr, 0, 1, 100, out, 50, collect, &s), USM_ERR_LIMIT);
  /* over 1 MiB, or too many packets */
  static uint8_t big[USM__VP8_MAX_FRAME_BYTES + 1];
  make_frame(big, sizeof big - 1, 0, 0);
  CHECK_INT(usm__vp8_packetizer_init(&p, big, sizeof big, 0, 1, 1200), USM_ERR_LIMIT);
  CHECK_INT(usm__vp8_packetizer_init(&p, big, sizeof big - 1, 0, 1, 1200), USM_OK);
  CHECK_INT(usm__vp8_packetizer_init(&p, big, sizeof big - 1, 0, 1, 100), USM_ERR_LIMIT);
}

static void test_even_split(void) {
  static uint8_t fr[20000];
  uint8_t out[MTU];
  int ok = 1;
  for (size_t len = 3; len < sizeof fr && ok; len += 997) {
    for (size_t mp = 5; mp <= 1400; mp = mp * 3 + 1) {
      usm__vp8_packetizer p;
      make_frame(fr, len, 0, 0);
      if (usm__vp8_packetizer_init(&p, fr, len, 0, 0, mp) != USM_OK) continue;
      size_t chunk = mp - USM__VP8_DESC_LEN, want = (len + chunk - 1) / chunk;
      size_t lo = SIZE_MAX, hi = 0, total = 0, n = 0;
      while (usm__vp8_packetizer_more(&p)) {
        size_t l;
        int m;
        if (usm__vp8_packetizer_next(&p, out, sizeof out, &l, &m) != USM_OK || l > mp) ok = 0;
        l -= USM__VP8_DESC_LEN;
        if (l < lo) lo = l;
        if (l > hi) hi = l;
        total += l;
        n++;
      }
      if (n != want || hi - lo > 1 || total != len) ok = 0;
    }
  }
  CHECK(ok);
  /* 1001 bytes at chunk 1000: 501 + 500, not 1000 + 1 */
  npkts = 0;
  sink s = {0, 0};
  add_frame(&s, 1001, 0, 0, 1004);
  CHECK_INT(npkts, 2);
  CHECK_INT(pkts[0].len - 4, 501);
  CHECK_INT(pkts[1].len - 4, 500);
}

static void test_desc_parse(void) {
  usm__vp8_desc d;
  const uint8_t no_x[] = {0x10, 0xAA};
  CHECK_INT(usm__vp8_desc_parse(no_x, sizeof no_x, &d), USM_OK);
  CHECK_INT(d.len, 1);
  CHECK_INT(d.start, 1);
  CHECK_INT(d.pid_bits, 0);
  const uint8_t pid7[] = {0x90, 0x80, 0x7F, 0xAA};
  CHECK_INT(usm__vp8_desc_parse(pid7, sizeof pid7, &d), USM_OK);
  CHECK_INT(d.pid_bits, 7);
  CHECK_INT(d.picture_id, 127);
  CHECK_INT(d.len, 3);
  const uint8_t pid15[] = {0x80, 0x80, 0xFF, 0xFF, 0xAA};
  CHECK_INT(usm__vp8_desc_parse(pid15, sizeof pid15, &d), USM_OK);
  CHECK_INT(d.pid_bits, 15);
  CHECK_INT(d.picture_id, 32767);
  CHECK_INT(d.start, 0);
  CHECK_INT(d.len, 4);
  /* everything: N, PartID 3, I+M, L, T and K */
  const uint8_t all[] = {0xB3, 0xF0, 0x81, 0x02, 0x55, 0xA7, 0xAA};
  CHECK_INT(usm__vp8_desc_parse(all, sizeof all, &d), USM_OK);
  CHECK_INT(d.non_ref, 1);
  CHECK_INT(d.start, 1);
  CHECK_INT(d.partition, 3);
  CHECK_INT(d.picture_id, 0x102);
  CHECK_INT(d.tl0picidx, 0x55);
  CHECK_INT(d.tid, 2);
  CHECK_INT(d.layer_sync, 1);
  CHECK_INT(d.keyidx, 7);
  CHECK_INT(d.len, 6);
  /* truncated at every point, or no VP8 byte after the descriptor */
  for (size_t l = 0; l < sizeof all; l++) CHECK_INT(usm__vp8_desc_parse(all, l, &d), USM_ERR_MALFORMED);
  CHECK_INT(usm__vp8_desc_parse(pid15, 4, &d), USM_ERR_MALFORMED);
}

/* A stream of nframes frames (keyframe first), frame i at ts0 + 3000 i. */
static void make_stream(uint16_t seq0, uint32_t ts0, uint16_t pid0, int nframes, size_t *starts) {
  sink s = {seq0, ts0};
  npkts = 0;
  for (int i = 0; i < nframes; i++) {
    s.ts = ts0 + 3000u * (uint32_t)i;
    starts[i] = add_frame(&s, i == 0 ? 4000 : 1500 + 211 * (size_t)i, i == 0, (uint16_t)(pid0 + i), 1004);
  }
  starts[nframes] = npkts;
}

static void shuffle(size_t *order, size_t n) {
  for (size_t i = n; i > 1; i--) {
    size_t j = rnd() % i, t = order[i - 1];
    order[i - 1] = order[j];
    order[j] = t;
  }
}

static void test_reassembly_orders(void) {
  size_t starts[9];
  for (int mode = 0; mode < 4; mode++) {
    make_stream(1000, 90000, 500, 8, starts);
    size_t order[MAXPKT], n = 0;
    for (size_t i = 0; i < npkts; i++) order[n++] = i;
    if (mode == 1)
      for (size_t i = 0; i < n / 2; i++) {
        size_t t = order[i];
        order[i] = order[n - 1 - i];
        order[n - 1 - i] = t;
      }
    if (mode >= 2) shuffle(order, n);
    if (mode == 3) /* duplicates: every packet twice, in shuffled order */
      for (size_t i = 0; i < npkts; i++) order[n++] = order[rnd() % npkts];
    usm__vp8_asm *a;
    CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
    uint32_t got[16];
    size_t ngot = 0;
    for (size_t i = 0; i < n; i++) {
      CHECK_INT(push(a, &pkts[order[i]]), USM_OK);
      ngot += pop_all(a, got + ngot, 16 - ngot);
    }
    CHECK_INT(ngot, 8);
    for (size_t i = 0; i < ngot && i < 8; i++) CHECK_INT(got[i], 90000 + 3000 * i);
    CHECK_INT(usm__vp8_asm_needs_keyframe(a), 0);
    CHECK_INT(usm__vp8_asm_buffered(a), 0);
    uint16_t miss[8];
    CHECK_INT(usm__vp8_asm_missing(a, miss, 8), 0);
    usm__vp8_asm_stats st;
    usm__vp8_asm_get_stats(a, &st);
    CHECK_INT(st.frames_delivered, 8);
    CHECK_INT(st.keyframes_delivered, 1);
    CHECK_INT(st.frames_dropped, 0);
    if (mode == 3) CHECK(st.duplicates + st.late > 0);
    usm__vp8_asm_destroy(a);
  }

  /* frame contents and metadata survive byte for byte */
  make_stream(7, 1, 42, 2, starts);
  usm__vp8_asm *a;
  CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
  for (size_t i = npkts; i-- > 0;) CHECK_INT(push(a, &pkts[i]), USM_OK);
  usm__vp8_frame f;
  uint8_t want[4000];
  make_frame(want, 4000, 1, 42);
  CHECK_INT(usm__vp8_asm_pop(a, &f), 1);
  CHECK_INT(f.len, 4000);
  CHECK(f.len == 4000 && memcmp(f.data, want, 4000) == 0);
  CHECK_INT(f.keyframe, 1);
  CHECK_INT(f.width, 320);
  CHECK_INT(f.height, 240);
  CHECK_INT(f.pid_bits, 15);
  CHECK_INT(f.picture_id, 42);
  CHECK_INT(f.first_seq, 7);
  CHECK_INT(f.last_seq, 7 + (uint16_t)(starts[1] - 1));
  CHECK_INT(usm__vp8_asm_pop(a, &f), 1);
  CHECK_INT(f.keyframe, 0);
  CHECK_INT(f.picture_id, 43);
  CHECK_INT(f.width, 0);
  make_frame(want, 1711, 0, 43);
  CHECK(f.len == 1711 && memcmp(f.data, want, 1711) == 0);
  CHECK_INT(usm__vp8_asm_pop(a, &f), 0);
  usm__vp8_asm_destroy(a);
}

static void test_loss_and_recovery(void) {
  size_t starts[7];
  make_stream(65530, 0xFFFFF000u, 32765, 6, starts); /* seq, ts and PictureID all wrap */
  usm__vp8_asm *a;
  CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
  size_t lost = starts[2] + 1; /* the middle packet of frame 2 */
  uint32_t got[8];
  size_t ngot = 0;
  for (size_t i = 0; i < npkts; i++) {
    if (i == lost) continue;
    CHECK_INT(push(a, &pkts[i]), USM_OK);
    ngot += pop_all(a, got + ngot, 8 - ngot);
  }
  CHECK_INT(ngot, 2); /* frames 0 and 1 only: nothing after the hole */
  uint16_t miss[8];
  CHECK_INT(usm__vp8_asm_missing(a, miss, 8), 1);
  CHECK_INT(miss[0], pkts[lost].seq);
  CHECK_INT(usm__vp8_asm_needs_keyframe(a), 0);
  /* the retransmission arrives: everything flows, in order */
  CHECK_INT(push(a, &pkts[lost]), USM_OK);
  ngot += pop_all(a, got + ngot, 8 - ngot);
  CHECK_INT(ngot, 6);
  for (size_t i = 0; i < 6; i++) CHECK_INT(got[i], 0xFFFFF000u + 3000u * (uint32_t)i);
  CHECK_INT(usm__vp8_asm_missing(a, miss, 8), 0);
  /* a second copy of the retransmission is late */
  CHECK_INT(push(a, &pkts[lost]), USM_OK);
  usm__vp8_asm_stats st;
  usm__vp8_asm_get_stats(a, &st);
  CHECK_INT(st.late, 1);
  usm__vp8_asm_destroy(a);

  /* the missing list covers a frame's lost first packets, and is capped */
  make_stream(200, 0, 0, 3, starts);
  CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
  for (size_t i = 0; i < npkts; i++)
    if (i < starts[1] || i > starts[1] + 1) CHECK_INT(push(a, &pkts[i]), USM_OK);
  CHECK_INT(pop_all(a, got, 8), 1);
  CHECK_INT(usm__vp8_asm_missing(a, miss, 8), 2);
  CHECK_INT(miss[0], pkts[starts[1]].seq);
  CHECK_INT(miss[1], pkts[starts[1] + 1].seq);
  CHECK_INT(usm__vp8_asm_missing(a, miss, 1), 1);
  usm__vp8_asm_destroy(a);
}

static void test_chain(void) {
  size_t starts[12];
  uint32_t got[16];
  uint16_t miss[16];
  usm__vp8_asm *a;

  /* the first keyframe is lost entirely: deltas are held, never handed over */
  make_stream(300, 1000, 0, 4, starts);
  CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
  for (size_t i = starts[1]; i < npkts; i++) CHECK_INT(push(a, &pkts[i]), USM_OK);
  CHECK_INT(pop_all(a, got, 16), 0);
  CHECK_INT(usm__vp8_asm_needs_keyframe(a), 1);
  /* the sender answers the PLI with a new keyframe and deltas */
  size_t base = npkts;
  sink s = {pkts[npkts - 1].seq + 1u, 1000u + 3000u * 10};
  add_frame(&s, 3000, 1, 10, 1004);
  s.ts += 3000;
  add_frame(&s, 800, 0, 11, 1004);
  for (size_t i = base; i < npkts; i++) CHECK_INT(push(a, &pkts[i]), USM_OK);
  CHECK_INT(pop_all(a, got, 16), 2);
  CHECK_INT(got[0], 31000);
  CHECK_INT(got[1], 34000);
  CHECK_INT(usm__vp8_asm_needs_keyframe(a), 0);
  CHECK_INT(usm__vp8_asm_buffered(a), 0);
  usm__vp8_asm_destroy(a);

  /* a delta frame lost mid-stream, then give-up: needs keyframe, and no
   * delta is handed over until the next keyframe */
  make_stream(40000, 5, 100, 6, starts);
  CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
  for (size_t i = 0; i < npkts; i++)
    if (i < starts[2] || i >= starts[3]) CHECK_INT(push(a, &pkts[i]), USM_OK);
  CHECK_INT(pop_all(a, got, 16), 2);
  CHECK_INT(usm__vp8_asm_missing(a, miss, 16), starts[3] - starts[2]);
  CHECK_INT(usm__vp8_asm_needs_keyframe(a), 0);
  usm__vp8_asm_give_up(a);
  CHECK_INT(usm__vp8_asm_needs_keyframe(a), 1);
  CHECK_INT(pop_all(a, got, 16), 0);
  CHECK_INT(usm__vp8_asm_missing(a, miss, 16), 0);
  /* the lost frame's retransmission is now too late to matter */
  for (size_t i = starts[2]; i < starts[3]; i++) (void)push(a, &pkts[i]);
  CHECK_INT(pop_all(a, got, 16), 0);
  base = npkts;
  s.seq = (uint16_t)(pkts[npkts - 1].seq + 1);
  s.ts = pkts[npkts - 1].ts + 3000;
  add_frame(&s, 900, 0, 106, 1004); /* delta: still no */
  s.ts += 3000;
  add_frame(&s, 2000, 1, 107, 1004); /* keyframe: yes */
  s.ts += 3000;
  add_frame(&s, 900, 0, 108, 1004);
  for (size_t i = base; i < npkts; i++) CHECK_INT(push(a, &pkts[i]), USM_OK);
  CHECK_INT(pop_all(a, got, 16), 2);
  CHECK_INT(usm__vp8_asm_needs_keyframe(a), 0);
  usm__vp8_asm_destroy(a);

  /* without give-up: once the slots run out the lost frame is evicted */
  usm__vp8_asm_cfg cfg = {0, 0, 4};
  make_stream(10, 5, 0, 10, starts);
  CHECK_INT(usm__vp8_asm_create(&cfg, &a), USM_OK);
  size_t delivered = 0;
  for (size_t i = 0; i < npkts; i++) {
    if (i == starts[1]) continue;
    CHECK_INT(push(a, &pkts[i]), USM_OK);
    delivered += pop_all(a, got, 16);
    CHECK(usm__vp8_asm_buffered(a) <= 4);
  }
  CHECK_INT(delivered, 1);
  CHECK_INT(usm__vp8_asm_needs_keyframe(a), 1);
  usm__vp8_asm_stats st;
  usm__vp8_asm_get_stats(a, &st);
  CHECK(st.frames_dropped >= 8);
  usm__vp8_asm_destroy(a);

  /* a later keyframe overtakes an incomplete older frame: handed over at once */
  make_stream(10, 5, 0, 3, starts);
  base = npkts;
  s.seq = (uint16_t)(pkts[npkts - 1].seq + 1);
  s.ts = pkts[npkts - 1].ts + 3000;
  add_frame(&s, 2500, 1, 3, 1004);
  CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
  for (size_t i = 0; i < npkts; i++)
    if (i != starts[1]) CHECK_INT(push(a, &pkts[i]), USM_OK);
  CHECK_INT(pop_all(a, got, 16), 2);
  CHECK_INT(got[1], pkts[base].ts);
  CHECK_INT(usm__vp8_asm_needs_keyframe(a), 0);
  CHECK_INT(usm__vp8_asm_buffered(a), 0);
  usm__vp8_asm_destroy(a);
}

static void test_picture_id_and_padding(void) {
  size_t starts[6];
  uint32_t got[8];
  usm__vp8_asm *a;
  /* PictureID 32766, 32767, 0, 1 with a sequence gap that is no frame (the
   * sender spent numbers elsewhere): PictureID continuity carries the chain */
  make_stream(100, 0, 32766, 4, starts);
  for (size_t i = starts[2]; i < npkts; i++) pkts[i].seq = (uint16_t)(pkts[i].seq + 5);
  CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
  for (size_t i = 0; i < npkts; i++) CHECK_INT(push(a, &pkts[i]), USM_OK);
  CHECK_INT(pop_all(a, got, 8), 4);
  usm__vp8_asm_destroy(a);

  /* the same gap with a PictureID jump: the frame waits (a frame was lost) */
  make_stream(100, 0, 32766, 4, starts);
  for (size_t i = starts[2]; i < npkts; i++) {
    pkts[i].seq = (uint16_t)(pkts[i].seq + 5);
    if (i == starts[2] || i == starts[3]) pkts[i].data[3] ^= 0x40;
  }
  CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
  for (size_t i = 0; i < npkts; i++) CHECK_INT(push(a, &pkts[i]), USM_OK);
  CHECK_INT(pop_all(a, got, 8), 2);
  uint16_t miss[8];
  CHECK_INT(usm__vp8_asm_missing(a, miss, 8), 5);
  /* the gap turns out to be padding-only packets: the chain is whole */
  for (int k = 0; k < 5; k++)
    CHECK_INT(usm__vp8_asm_push(a, NULL, 0, (uint16_t)(pkts[starts[2]].seq - 5 + k), 0, 0), USM_OK);
  CHECK_INT(usm__vp8_asm_missing(a, miss, 8), 0);
  CHECK_INT(pop_all(a, got, 8), 2);
  usm__vp8_asm_destroy(a);

  /* another sender's 7-bit PictureIDs 126, 127, 0 with a gap before 0 */
  CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
  uint8_t fr[40], p[64];
  for (int i = 0; i < 3; i++) {
    make_frame(fr, sizeof fr, i == 0, 0);
    p[0] = 0x90;
    p[1] = 0x80;
    p[2] = (uint8_t)((126 + i) & 0x7F);
    memcpy(p + 3, fr, sizeof fr);
    CHECK_INT(usm__vp8_asm_push(a, p, 3 + sizeof fr, (uint16_t)(i * 3), 100u * (uint32_t)i, 1), USM_OK);
  }
  usm__vp8_frame f;
  CHECK_INT(usm__vp8_asm_pop(a, &f), 1);
  CHECK_INT(f.pid_bits, 7);
  CHECK_INT(f.picture_id, 126);
  CHECK_INT(usm__vp8_asm_pop(a, &f), 1);
  CHECK_INT(usm__vp8_asm_pop(a, &f), 1);
  CHECK_INT(f.picture_id, 0);
  CHECK_INT(f.len, sizeof fr);
  usm__vp8_asm_destroy(a);
}

static void test_bounds_and_malformed(void) {
  size_t starts[4];
  uint32_t got[8];
  usm__vp8_asm *a;
  usm__vp8_asm_cfg cfg = {3000, 0, 0};
  CHECK_INT(usm__vp8_asm_create(&cfg, &a), USM_OK);
  make_stream(1, 1, 1, 2, starts); /* 4000-byte keyframe: over 3000 */
  usm_err e = USM_OK;
  for (size_t i = 0; i < npkts; i++) {
    usm_err r = push(a, &pkts[i]);
    if (r != USM_OK) e = r;
  }
  CHECK_INT(e, USM_ERR_LIMIT);
  CHECK_INT(pop_all(a, got, 8), 0);
  CHECK_INT(usm__vp8_asm_needs_keyframe(a), 1);
  usm__vp8_asm_destroy(a);

  cfg = (usm__vp8_asm_cfg){0, 2, 0}; /* at most 2 packets per frame */
  CHECK_INT(usm__vp8_asm_create(&cfg, &a), USM_OK);
  make_stream(1, 1, 1, 1, starts); /* 4 packets */
  CHECK_INT(push(a, &pkts[0]), USM_OK);
  CHECK_INT(push(a, &pkts[1]), USM_OK);
  CHECK_INT(push(a, &pkts[2]), USM_ERR_LIMIT);
  CHECK_INT(pop_all(a, got, 8), 0);
  usm__vp8_asm_destroy(a);

  cfg = (usm__vp8_asm_cfg){USM__VP8_MAX_FRAME_BYTES + 1, 0, 0};
  CHECK_INT(usm__vp8_asm_create(&cfg, &a), USM_ERR_INVALID_ARG);
  cfg = (usm__vp8_asm_cfg){0, 0, USM__VP8_MAX_FRAMES + 1};
  CHECK_INT(usm__vp8_asm_create(&cfg, &a), USM_ERR_INVALID_ARG);

  CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
  make_stream(1, 1, 1, 2, starts);
  const uint8_t bad[] = {0x80, 0x80};
  CHECK_INT(usm__vp8_asm_push(a, bad, sizeof bad, 50, 1, 0), USM_ERR_MALFORMED);
  /* a second start for the same frame, and a packet before its start */
  pkt dup = pkts[0];
  dup.seq = (uint16_t)(pkts[0].seq + 40);
  CHECK_INT(push(a, &pkts[0]), USM_OK);
  CHECK_INT(push(a, &dup), USM_ERR_MALFORMED);
  pkt before = pkts[1];
  before.seq = (uint16_t)(pkts[0].seq - 1);
  CHECK_INT(push(a, &before), USM_ERR_MALFORMED);
  /* the same sequence number with another timestamp */
  pkt other = pkts[0];
  other.ts += 1;
  CHECK_INT(push(a, &other), USM_ERR_MALFORMED);
  for (size_t i = 1; i < npkts; i++) CHECK_INT(push(a, &pkts[i]), USM_OK);
  CHECK_INT(pop_all(a, got, 8), 2);
  usm__vp8_asm_stats st;
  usm__vp8_asm_get_stats(a, &st);
  CHECK_INT(st.malformed, 4);
  usm__vp8_asm_destroy(a);

  /* a keyframe whose start code is broken is dropped, never handed over */
  CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
  make_stream(1, 1, 1, 2, starts);
  pkts[0].data[4 + 3] = 0;
  for (size_t i = 0; i < npkts; i++) CHECK_INT(push(a, &pkts[i]), USM_OK);
  CHECK_INT(pop_all(a, got, 8), 0);
  CHECK_INT(usm__vp8_asm_needs_keyframe(a), 1);
  usm__vp8_asm_destroy(a);
  usm__vp8_asm_destroy(NULL);
}

#ifdef USM_TEST_HAVE_VPX
#define W 320
#define H 240
#define NFRAMES 6

static void draw(vpx_image_t *img, int n) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      /* gradient, checkerboard, a fixed texture scrolling 2 px per frame */
      unsigned t = (unsigned)(x + 2 * n) * 2654435761u ^ (unsigned)y * 40503u;
      int v = (x + 2 * y) / 3 + ((x / 40 + y / 40 + n) & 1) * 40 + (int)((t >> 24) & 63);
      if (x >= 20 + 8 * n && x < 80 + 8 * n && y >= 60 && y < 120) v = 230;
      img->planes[0][y * img->stride[0] + x] = (uint8_t)(v > 255 ? 255 : v);
    }
  for (int y = 0; y < H / 2; y++)
    for (int x = 0; x < W / 2; x++) {
      img->planes[1][y * img->stride[1] + x] = (uint8_t)(96 + x / 4);
      img->planes[2][y * img->stride[2] + x] = (uint8_t)(160 - y / 4);
    }
}

static double psnr_y(const vpx_image_t *a, const vpx_image_t *b) {
  double se = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double d = (double)a->planes[0][y * a->stride[0] + x] - b->planes[0][y * b->stride[0] + x];
      se += d * d;
    }
  double mse = se / (W * H);
  return mse <= 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 / mse);
}

static void test_libvpx_round_trip(void) {
  vpx_codec_enc_cfg_t cfg;
  vpx_codec_ctx_t enc, dec;
  vpx_image_t src[NFRAMES];
  CHECK_INT(vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0), VPX_CODEC_OK);
  cfg.g_w = W;
  cfg.g_h = H;
  cfg.g_timebase.num = 1;
  cfg.g_timebase.den = 30;
  cfg.rc_target_bitrate = 3000;
  cfg.rc_end_usage = VPX_CBR;
  cfg.g_lag_in_frames = 0;
  cfg.rc_min_quantizer = 2;
  cfg.rc_max_quantizer = 40;
  cfg.kf_max_dist = 1000;
  CHECK_INT(vpx_codec_enc_init(&enc, vpx_codec_vp8_cx(), &cfg, 0), VPX_CODEC_OK);
  sink s = {65500, 0xFFFFFFFFu - 6000u};
  uint16_t pid = 32765;
  npkts = 0;
  for (int n = 0; n < NFRAMES; n++) {
    CHECK(vpx_img_alloc(&src[n], VPX_IMG_FMT_I420, W, H, 16) != NULL);
    draw(&src[n], n);
    CHECK_INT(vpx_codec_encode(&enc, &src[n], n, 1, n == 0 ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME),
              VPX_CODEC_OK);
    vpx_codec_iter_t it = NULL;
    const vpx_codec_cx_pkt_t *cx;
    while ((cx = vpx_codec_get_cx_data(&enc, &it)) != NULL) {
      if (cx->kind != VPX_CODEC_CX_FRAME_PKT) continue;
      uint8_t scratch[1000];
      int key = (cx->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
      CHECK_INT(key, n == 0);
      CHECK_INT(usm__vp8_packetize(cx->data.frame.buf, cx->data.frame.sz, key, pid++, 1000, scratch,
                                   sizeof scratch, collect, &s),
                USM_OK);
    }
    s.ts += 3000;
  }
  vpx_codec_destroy(&enc);
  CHECK(npkts > NFRAMES);

  size_t order[MAXPKT];
  for (size_t i = 0; i < npkts; i++) order[i] = i;
  shuffle(order, npkts);
  usm__vp8_asm *a;
  CHECK_INT(usm__vp8_asm_create(NULL, &a), USM_OK);
  CHECK_INT(vpx_codec_dec_init(&dec, vpx_codec_vp8_dx(), NULL, 0), VPX_CODEC_OK);
  int decoded = 0;
  double worst = 99;
  for (size_t i = 0; i < npkts; i++) {
    CHECK_INT(push(a, &pkts[order[i]]), USM_OK);
    usm__vp8_frame f;
    while (usm__vp8_asm_pop(a, &f)) {
      CHECK_INT(f.keyframe, decoded == 0);
      if (f.keyframe) {
        CHECK_INT(f.width, W);
        CHECK_INT(f.height, H);
      }
      CHECK_INT(vpx_codec_decode(&dec, f.data, (unsigned)f.len, NULL, 0), VPX_CODEC_OK);
      vpx_codec_iter_t it = NULL;
      vpx_image_t *img = vpx_codec_get_frame(&dec, &it);
      CHECK(img != NULL);
      if (img && decoded < NFRAMES) {
        double p = psnr_y(img, &src[decoded]);
        if (p < worst) worst = p;
      }
      decoded++;
    }
  }
  CHECK_INT(decoded, NFRAMES);
  printf("libvpx round trip: %zu packets, %d frames, worst PSNR %.1f dB\n", npkts, decoded, worst);
  CHECK(worst > 30.0);
  vpx_codec_destroy(&dec);
  usm__vp8_asm_destroy(a);
  for (int n = 0; n < NFRAMES; n++) vpx_img_free(&src[n]);
}
#endif

int main(void) {
  test_descriptor_bytes();
  test_even_split();
  test_desc_parse();
  test_reassembly_orders();
  test_loss_and_recovery();
  test_chain();
  test_picture_id_and_padding();
  test_bounds_and_malformed();
#ifdef USM_TEST_HAVE_VPX
  test_libvpx_round_trip();
#endif
  return check_done("test_vp8_rtp");
}
