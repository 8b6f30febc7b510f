/* Retransmission history: bounds by count and by age, answers to NACKs
 * (exactly the held packets, each at most once per interval), and the copy
 * being plaintext even though the original is protected in place after it
 * was stored. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "media/rtp.h"
#include "media/rtx_history.h"

#define MS 1000u
#define SSRC 0x11223344u

static uint8_t payload_byte(uint16_t seq, size_t i) { return (uint8_t)(seq * 7u + i * 13u + 1u); }

/* Build packet @p seq into @p p (payload depends on seq). */
static void build(usm__rtp_pkt *p, uint16_t seq, size_t payload_len) {
  uint8_t pl[256];
  for (size_t i = 0; i < payload_len; i++) pl[i] = payload_byte(seq, i);
  usm__rtp_header h = {0};
  h.pt = 96;
  h.seq = seq;
  h.timestamp = 1000u + seq;
  h.ssrc = SSRC;
  CHECK_INT(usm__rtp_pkt_build(p, &h, pl, payload_len), USM_OK);
}

/* In-place "protection" as srtp_protect() would do: the buffer's bytes change
 * and an auth tag is appended. */
static void protect_in_place(usm__rtp_pkt *p) {
  uint8_t *d = usm__rtp_pkt_data(p);
  for (size_t i = USM__RTP_HEADER_MIN; i < p->len; i++) d[i] ^= 0xA5;
  memset(d + p->len, 0xEE, 10);
  CHECK_INT(usm__rtp_pkt_set_protected(p, p->len + 10), USM_OK);
}

static int plain_ok(const usm__rtp_pkt *p, uint16_t seq, size_t payload_len) {
  usm__rtp_view v;
  if (usm__rtp_parse(usm__rtp_pkt_data(p), p->len, &v) != USM_OK) return 0;
  if (v.seq != seq || v.ssrc != SSRC || v.payload_len != payload_len) return 0;
  for (size_t i = 0; i < payload_len; i++)
    if (v.payload[i] != payload_byte(seq, i)) return 0;
  return 1;
}

static void test_create(void) {
  usm__rtx_history *h = NULL;
  usm__rtx_history_cfg c = {0};
  c.packets = 100; /* not a power of two */
  CHECK_INT(usm__rtx_history_create(&c, &h), USM_ERR_INVALID_ARG);
  c.packets = 65536;
  CHECK_INT(usm__rtx_history_create(&c, &h), USM_ERR_INVALID_ARG);
  c.packets = 8;
  CHECK_INT(usm__rtx_history_create(&c, &h), USM_ERR_INVALID_ARG);
  c.packets = 16;
  c.max_packet = 4;
  CHECK_INT(usm__rtx_history_create(&c, &h), USM_ERR_INVALID_ARG);
  CHECK(h == NULL);
  CHECK_INT(usm__rtx_history_create(NULL, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__rtx_history_create(NULL, &h), USM_OK);
  CHECK_INT(usm__rtx_history_count(h, 0), 0);
  CHECK(usm__rtx_history_find(h, 0, 0) == NULL);
  usm__rtx_history_destroy(h);
  usm__rtx_history_destroy(NULL);
}

/* 600 packets across the wrap into 512 slots: the oldest 88 are gone. */
static void test_count_bound(void) {
  usm__rtx_history *h = NULL;
  CHECK_INT(usm__rtx_history_create(NULL, &h), USM_OK);
  uint8_t mem[512];
  usm__rtp_pkt p;
  CHECK_INT(usm__rtp_pkt_init(&p, mem, sizeof mem, USM__RTP_HEADROOM), USM_OK);
  uint16_t first = 65300;
  for (unsigned i = 0; i < 600; i++) {
    build(&p, (uint16_t)(first + i), 40);
    CHECK_INT(usm__rtx_history_put(h, &p, 5 * MS), USM_OK);
  }
  uint64_t now = 6 * MS;
  CHECK_INT(usm__rtx_history_count(h, now), 512);
  int gone = 0, held = 0;
  for (unsigned i = 0; i < 600; i++) {
    const usm__rtp_pkt *q = usm__rtx_history_find(h, (uint16_t)(first + i), now);
    if (i < 88) gone += q == NULL;
    else held += q != NULL && plain_ok(q, (uint16_t)(first + i), 40);
  }
  CHECK_INT(gone, 88);
  CHECK_INT(held, 512);
  /* a sequence number never stored */
  CHECK(usm__rtx_history_find(h, (uint16_t)(first + 600), now) == NULL);
  usm__rtx_history_stats st;
  usm__rtx_history_get_stats(h, &st);
  CHECK_INT(st.stored, 600);
  usm__rtx_history_reset(h);
  CHECK_INT(usm__rtx_history_count(h, now), 0);
  usm__rtx_history_destroy(h);
}

static void test_age_bound(void) {
  usm__rtx_history *h = NULL;
  usm__rtx_history_cfg c = {0};
  c.packets = 64;
  c.max_age_ms = 1000;
  CHECK_INT(usm__rtx_history_create(&c, &h), USM_OK);
  uint8_t mem[512];
  usm__rtp_pkt p;
  CHECK_INT(usm__rtp_pkt_init(&p, mem, sizeof mem, 0), USM_OK);
  /* one packet every 100 ms: 10 of them */
  for (unsigned i = 0; i < 10; i++) {
    build(&p, (uint16_t)(100 + i), 20);
    CHECK_INT(usm__rtx_history_put(h, &p, (uint64_t)i * 100 * MS), USM_OK);
  }
  CHECK_INT(usm__rtx_history_count(h, 900 * MS), 10);
  CHECK(usm__rtx_history_find(h, 100, 1000 * MS) != NULL);  /* exactly max age: held */
  CHECK(usm__rtx_history_find(h, 100, 1000 * MS + 1) == NULL);
  CHECK_INT(usm__rtx_history_count(h, 1000 * MS + 1), 9);
  CHECK_INT(usm__rtx_history_count(h, 1550 * MS), 4);     /* 600..900 ms */
  CHECK_INT(usm__rtx_history_count(h, 5000 * MS), 0);
  uint16_t want[3] = {100, 106, 109}, out[8]; /* 100 and 105 are older than 1 s */
  usm__rtx_nack_result r;
  CHECK_INT(usm__rtx_history_on_nack(h, want, 3, 1550 * MS, 100, out, 8, &r), USM_OK);
  CHECK_INT(r.resend, 2);
  CHECK_INT(r.not_held, 1);
  CHECK_INT(out[0], 106);
  CHECK_INT(out[1], 109);
  usm__rtx_history_destroy(h);
}

static void test_nack_answers(void) {
  usm__rtx_history *h = NULL;
  usm__rtx_history_cfg c = {0};
  c.packets = 32;
  CHECK_INT(usm__rtx_history_create(&c, &h), USM_OK);
  uint8_t mem[512];
  usm__rtp_pkt p;
  CHECK_INT(usm__rtp_pkt_init(&p, mem, sizeof mem, 0), USM_OK);
  for (unsigned i = 0; i < 40; i++) { /* 65520..23: 65520..65527 overwritten */
    build(&p, (uint16_t)(65520u + i), 30);
    CHECK_INT(usm__rtx_history_put(h, &p, 0), USM_OK);
  }
  /* held: 65528, 65535, 0, 5; not held: 65520 (overwritten), 24, 1000 (never);
   * 0 twice in the list: the repeat is throttled */
  uint16_t want[8] = {65520, 65528, 65535, 0, 5, 24, 1000, 0};
  uint16_t out[8];
  usm__rtx_nack_result r;
  uint64_t t = 10 * MS;
  CHECK_INT(usm__rtx_history_on_nack(h, want, 8, t, 100, out, 8, &r), USM_OK);
  CHECK_INT(r.resend, 4);
  CHECK_INT(r.not_held, 3);
  CHECK_INT(r.throttled, 1);
  CHECK_INT(r.no_room, 0);
  CHECK_INT(out[0], 65528);
  CHECK_INT(out[1], 65535);
  CHECK_INT(out[2], 0);
  CHECK_INT(out[3], 5);
  /* each one copied out is the plain packet */
  uint8_t txmem[512];
  usm__rtp_pkt tx;
  CHECK_INT(usm__rtp_pkt_init(&tx, txmem, sizeof txmem, USM__RTP_HEADROOM), USM_OK);
  for (size_t i = 0; i < r.resend; i++) {
    const usm__rtp_pkt *q = usm__rtx_history_find(h, out[i], t);
    CHECK(q != NULL);
    if (!q) continue;
    CHECK_INT(usm__rtp_pkt_copy(&tx, q), USM_OK);
    CHECK(plain_ok(&tx, out[i], 30));
    protect_in_place(&tx); /* the send copy, not the stored one */
    CHECK(plain_ok(q, out[i], 30));
  }
  /* the same NACK again within the interval (3/4 of 100 ms): nothing */
  CHECK_INT(usm__rtx_history_on_nack(h, want, 8, t + 74 * MS, 100, out, 8, &r), USM_OK);
  CHECK_INT(r.resend, 0);
  CHECK_INT(r.throttled, 5);
  /* after the interval: once more each */
  CHECK_INT(usm__rtx_history_on_nack(h, want, 8, t + 75 * MS, 100, out, 8, &r), USM_OK);
  CHECK_INT(r.resend, 4);
  CHECK_INT(r.throttled, 1);
  /* the floor applies with a tiny RTT: 10 ms */
  CHECK_INT(usm__rtx_history_on_nack(h, want, 1, t + 80 * MS, 1, out, 8, &r), USM_OK);
  CHECK_INT(r.not_held + r.resend + r.throttled, 1);
  CHECK_INT(usm__rtx_history_on_nack(h, want + 1, 1, t + 84 * MS, 1, out, 8, &r), USM_OK);
  CHECK_INT(r.throttled, 1);
  CHECK_INT(usm__rtx_history_on_nack(h, want + 1, 1, t + 85 * MS, 1, out, 8, &r), USM_OK);
  CHECK_INT(r.resend, 1);
  /* output full: the rest are reported, not marked */
  CHECK_INT(usm__rtx_history_on_nack(h, want + 2, 3, t + 500 * MS, 100, out, 1, &r), USM_OK);
  CHECK_INT(r.resend, 1);
  CHECK_INT(r.no_room, 2);
  CHECK_INT(usm__rtx_history_on_nack(h, want + 3, 2, t + 500 * MS, 100, out, 8, &r), USM_OK);
  CHECK_INT(r.resend, 2);
  /* empty and bad arguments */
  CHECK_INT(usm__rtx_history_on_nack(h, NULL, 0, t, 100, NULL, 0, &r), USM_OK);
  CHECK_INT(r.resend, 0);
  CHECK_INT(usm__rtx_history_on_nack(h, NULL, 3, t, 100, out, 8, &r), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__rtx_history_on_nack(NULL, want, 3, t, 100, out, 8, NULL), USM_ERR_INVALID_ARG);
  usm__rtx_history_destroy(h);
}

/* STYLE.md pattern 12 / libdatachannel#1117: store first, then protect the
 * original in place; the stored copy stays plaintext. Storing a protected
 * packet is refused. */
static void test_plaintext_copy(void) {
  usm__rtx_history *h = NULL;
  CHECK_INT(usm__rtx_history_create(NULL, &h), USM_OK);
  uint8_t mem[600];
  usm__rtp_pkt p;
  CHECK_INT(usm__rtp_pkt_init(&p, mem, sizeof mem, USM__RTP_HEADROOM), USM_OK);
  for (uint16_t s = 7; s < 17; s++) {
    build(&p, s, 200);
    CHECK_INT(usm__rtx_history_put(h, &p, 0), USM_OK);
    protect_in_place(&p);
    CHECK_INT(usm__rtx_history_put(h, &p, 0), USM_ERR_WRONG_STATE);
    memset(mem, 0x5A, sizeof mem); /* the buffer is reused for the next packet */
  }
  for (uint16_t s = 7; s < 17; s++) {
    const usm__rtp_pkt *q = usm__rtx_history_find(h, s, 0);
    CHECK(q != NULL && plain_ok(q, s, 200));
    CHECK(q != NULL && !q->is_protected);
  }
  usm__rtx_history_destroy(h);
}

static void test_bad_input_and_restart(void) {
  usm__rtx_history *h = NULL;
  usm__rtx_history_cfg c = {0};
  c.packets = 16;
  c.max_packet = 100;
  CHECK_INT(usm__rtx_history_create(&c, &h), USM_OK);
  uint8_t mem[512];
  usm__rtp_pkt p;
  CHECK_INT(usm__rtp_pkt_init(&p, mem, sizeof mem, 0), USM_OK);
  build(&p, 1, 200); /* 212 bytes > 100 */
  CHECK_INT(usm__rtx_history_put(h, &p, 0), USM_ERR_LIMIT);
  build(&p, 1, 10);
  mem[0] = 0x40; /* version 1 */
  CHECK_INT(usm__rtx_history_put(h, &p, 0), USM_ERR_MALFORMED);
  p.len = 8;
  mem[0] = 0x80;
  CHECK_INT(usm__rtx_history_put(h, &p, 0), USM_ERR_MALFORMED);
  CHECK_INT(usm__rtx_history_put(NULL, &p, 0), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__rtx_history_put(h, NULL, 0), USM_ERR_INVALID_ARG);
  /* reordered send within reach is kept; a far jump back clears */
  for (uint16_t s = 1000; s < 1010; s++) {
    build(&p, s, 10);
    CHECK_INT(usm__rtx_history_put(h, &p, 0), USM_OK);
  }
  build(&p, 995, 10);
  CHECK_INT(usm__rtx_history_put(h, &p, 0), USM_OK);
  CHECK(usm__rtx_history_find(h, 995, 0) != NULL);
  CHECK_INT(usm__rtx_history_count(h, 0), 11);
  build(&p, 500, 10); /* 509 back, more than the 16 slots: restart */
  CHECK_INT(usm__rtx_history_put(h, &p, 0), USM_OK);
  CHECK_INT(usm__rtx_history_count(h, 0), 1);
  CHECK(usm__rtx_history_find(h, 1009, 0) == NULL);
  build(&p, 520, 10); /* forward jump: 500 drops out by count */
  CHECK_INT(usm__rtx_history_put(h, &p, 0), USM_OK);
  CHECK(usm__rtx_history_find(h, 500, 0) == NULL);
  CHECK_INT(usm__rtx_history_count(h, 0), 1);
  usm__rtx_history_stats st;
  usm__rtx_history_get_stats(h, &st);
  CHECK_INT(st.restarts, 1);
  usm__rtx_history_destroy(h);
}

int main(void) {
  test_create();
  test_count_bound();
  test_age_bound();
  test_nack_answers();
  test_plaintext_copy();
  test_bad_input_and_restart();
  return check_done("test_rtx_history");
}
