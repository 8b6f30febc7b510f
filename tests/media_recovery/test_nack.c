/* NACK requester and PLI limiter: when missing packets are asked for, how
 * often, when given up on; wrap-around, restarts, the list bound; and a
 * simulated video stream with 10 % loss where the receiver NACKs and the
 * sender's retransmission history answers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "media/nack_requester.h"
#include "media/pli_limiter.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/rtx_history.h"

#define MS 1000u

static usm__nack_requester *make(uint32_t max_missing, uint32_t retries, uint32_t age_ms) {
  usm__nack_cfg c = {0};
  c.max_missing = max_missing;
  c.max_retries = retries;
  c.max_age_ms = age_ms;
  usm__nack_requester *r = NULL;
  CHECK_INT(usm__nack_create(&c, &r), USM_OK);
  return r;
}

static void test_create(void) {
  usm__nack_requester *r = NULL;
  usm__nack_cfg c = {0};
  c.max_missing = USM__NACK_MAX_MISSING_LIMIT + 1;
  CHECK_INT(usm__nack_create(&c, &r), USM_ERR_INVALID_ARG);
  c.max_missing = 0;
  c.max_retries = 256;
  CHECK_INT(usm__nack_create(&c, &r), USM_ERR_INVALID_ARG);
  CHECK(r == NULL);
  CHECK_INT(usm__nack_create(NULL, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__nack_create(NULL, &r), USM_OK);
  CHECK(usm__nack_next_due_us(r, 0) == UINT64_MAX);
  usm__nack_destroy(r);
  usm__nack_destroy(NULL);
}

static void test_in_order(void) {
  usm__nack_requester *r = make(0, 0, 0);
  uint16_t out[64];
  int kf = 0;
  size_t total = 0;
  for (unsigned i = 0; i < 3000; i++) { /* wraps: starts at 64000 */
    CHECK_INT(usm__nack_on_packet(r, (uint16_t)(64000u + i), (uint64_t)i * MS), USM__NACK_IN_ORDER);
    total += usm__nack_tick(r, (uint64_t)i * MS, 50, out, 64, &kf);
    CHECK_INT(kf, 0);
  }
  CHECK_INT(total, 0);
  CHECK_INT(usm__nack_missing_count(r), 0);
  CHECK_INT(usm__nack_on_packet(r, (uint16_t)(64000u + 2999), 3000 * MS), USM__NACK_DUPLICATE);
  CHECK_INT(usm__nack_on_packet(r, (uint16_t)(64000u + 2990), 3000 * MS), USM__NACK_LATE);
  usm__nack_destroy(r);
}

/* One gap: NACK after the reorder wait (10 ms), again each RTT, stops when the
 * packet arrives. */
static void test_single_gap(void) {
  usm__nack_requester *r = make(0, 0, 0);
  uint16_t out[8];
  int kf = 0;
  uint64_t t = 1000 * MS;
  CHECK_INT(usm__nack_on_packet(r, 10, t), USM__NACK_IN_ORDER);
  CHECK_INT(usm__nack_on_packet(r, 11, t), USM__NACK_IN_ORDER);
  CHECK_INT(usm__nack_on_packet(r, 13, t), USM__NACK_GAP);
  CHECK_INT(usm__nack_missing_count(r), 1);
  CHECK_INT(usm__nack_tick(r, t + 9 * MS, 80, out, 8, &kf), 0);
  CHECK(usm__nack_next_due_us(r, 80) == t + 10 * MS);
  CHECK_INT(usm__nack_tick(r, t + 10 * MS, 80, out, 8, &kf), 1);
  CHECK_INT(out[0], 12);
  CHECK(usm__nack_next_due_us(r, 80) == t + 90 * MS);
  CHECK_INT(usm__nack_tick(r, t + 89 * MS, 80, out, 8, &kf), 0);
  CHECK_INT(usm__nack_tick(r, t + 90 * MS, 80, out, 8, &kf), 1);
  CHECK_INT(out[0], 12);
  /* the RTT went up: the next try waits for it */
  CHECK_INT(usm__nack_tick(r, t + 190 * MS, 150, out, 8, &kf), 0);
  CHECK_INT(usm__nack_tick(r, t + 240 * MS, 150, out, 8, &kf), 1);
  CHECK_INT(usm__nack_on_packet(r, 12, t + 250 * MS), USM__NACK_RECOVERED);
  CHECK_INT(usm__nack_missing_count(r), 0);
  CHECK_INT(usm__nack_tick(r, t + 900 * MS, 150, out, 8, &kf), 0);
  CHECK_INT(kf, 0);
  usm__nack_stats st;
  usm__nack_get_stats(r, &st);
  CHECK_INT(st.nacks_sent, 3);
  CHECK_INT(st.recovered, 1);
  CHECK_INT(st.given_up, 0);
  /* a late packet that arrives before its NACK is only reordering */
  CHECK_INT(usm__nack_on_packet(r, 15, t + 1000 * MS), USM__NACK_GAP);
  CHECK_INT(usm__nack_on_packet(r, 14, t + 1005 * MS), USM__NACK_REORDERED);
  CHECK_INT(usm__nack_tick(r, t + 1100 * MS, 150, out, 8, &kf), 0);
  usm__nack_get_stats(r, &st);
  CHECK_INT(st.reordered, 1);
  usm__nack_destroy(r);
}

/* Out of tries: N NACKs, one more RTT to answer, then given up with a keyframe wish. */
static void test_give_up_tries(void) {
  usm__nack_requester *r = make(0, 10, 5000);
  uint16_t out[8];
  int kf = 0, kfs = 0;
  size_t nacks = 0;
  CHECK_INT(usm__nack_on_packet(r, 100, 0), USM__NACK_IN_ORDER);
  CHECK_INT(usm__nack_on_packet(r, 102, 0), USM__NACK_GAP);
  uint64_t gave_at = 0;
  for (uint64_t t = 0; t <= 2000 * MS; t += MS) {
    nacks += usm__nack_tick(r, t, 20, out, 8, &kf);
    if (kf) {
      kfs++;
      if (!gave_at) gave_at = t;
    }
  }
  CHECK_INT(nacks, 10);
  CHECK_INT(kfs, 1);
  CHECK(gave_at == 10 * MS + 10 * 20 * MS); /* first at 10 ms, tries at +20 each, + 20 to answer */
  CHECK_INT(usm__nack_missing_count(r), 0);
  CHECK_INT(usm__nack_on_packet(r, 101, 2001 * MS), USM__NACK_LATE); /* too late now */
  usm__nack_stats st;
  usm__nack_get_stats(r, &st);
  CHECK_INT(st.given_up, 1);
  CHECK_INT(st.keyframe_requests, 1);
  usm__nack_destroy(r);
}

/* Too old: with a long RTT the age bound (1 s) comes first. */
static void test_give_up_age(void) {
  usm__nack_requester *r = make(0, 10, 1000);
  uint16_t out[8];
  int kf = 0;
  size_t nacks = 0;
  CHECK_INT(usm__nack_on_packet(r, 65535, 0), USM__NACK_IN_ORDER);
  CHECK_INT(usm__nack_on_packet(r, 1, 0), USM__NACK_GAP); /* 0 missing, across the wrap */
  for (uint64_t t = 0; t < 1000 * MS; t += MS) {
    nacks += usm__nack_tick(r, t, 400, out, 8, &kf);
    CHECK_INT(kf, 0);
  }
  CHECK_INT(nacks, 3); /* 10, 410, 810 ms */
  CHECK_INT(usm__nack_tick(r, 1000 * MS, 400, out, 8, &kf), 0);
  CHECK_INT(kf, 1);
  usm__nack_destroy(r);
}

/* 65530 → 5: the NACK list runs across the wrap, and survives the RTCP round trip. */
static void test_wrap(void) {
  usm__nack_requester *r = make(0, 0, 0);
  uint16_t out[32];
  int kf = 0;
  for (uint16_t s = 65528; s <= 65530; s++) usm__nack_on_packet(r, s, 0);
  CHECK_INT(usm__nack_on_packet(r, 5, 0), USM__NACK_GAP);
  size_t n = usm__nack_tick(r, 20 * MS, 50, out, 32, &kf);
  CHECK_INT(n, 10);
  static const uint16_t want[10] = {65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4};
  for (size_t i = 0; i < 10 && i < n; i++) CHECK_INT(out[i], want[i]);
  uint8_t buf[256];
  size_t len = 0;
  CHECK_INT(usm__rtcp_build_nack(1, 2, out, n, buf, sizeof buf, &len), USM_OK);
  usm__rtcp_iter it;
  usm__rtcp_pkt pkt;
  usm__rtcp_fb fb;
  uint16_t back[64];
  size_t nb = 0;
  CHECK_INT(usm__rtcp_iter_init(&it, buf, len), USM_OK);
  CHECK(usm__rtcp_iter_next(&it, &pkt));
  CHECK_INT(usm__rtcp_parse_fb(&pkt, &fb), USM_OK);
  CHECK_INT(usm__rtcp_nack_seqs(&fb, back, 64, &nb), USM_OK);
  CHECK_INT(nb, 10);
  for (size_t i = 0; i < 10 && i < nb; i++) CHECK_INT(back[i], want[i]);
  CHECK_INT(usm__nack_on_packet(r, 0, 30 * MS), USM__NACK_RECOVERED);
  CHECK_INT(usm__nack_on_packet(r, 65533, 30 * MS), USM__NACK_RECOVERED);
  CHECK_INT(usm__nack_missing_count(r), 8);
  usm__nack_destroy(r);
}

/* A restart: a huge jump resets (two packets in a row) instead of NACKing
 * thousands; a single stray packet far away changes nothing. */
static void test_restart(void) {
  usm__nack_requester *r = make(0, 0, 0);
  uint16_t out[64];
  int kf = 0;
  usm__nack_on_packet(r, 100, 0);
  usm__nack_on_packet(r, 101, 0);
  CHECK_INT(usm__nack_on_packet(r, 40000, 0), USM__NACK_JUMP);     /* stray */
  CHECK_INT(usm__nack_on_packet(r, 102, 0), USM__NACK_IN_ORDER);
  CHECK_INT(usm__nack_on_packet(r, 5000, MS), USM__NACK_JUMP);     /* 4898 ahead */
  CHECK_INT(usm__nack_on_packet(r, 5001, MS), USM__NACK_RESET);
  CHECK_INT(usm__nack_on_packet(r, 5002, MS), USM__NACK_IN_ORDER);
  CHECK_INT(usm__nack_missing_count(r), 0);
  CHECK_INT(usm__nack_tick(r, 100 * MS, 50, out, 64, &kf), 0);
  CHECK_INT(kf, 1);
  CHECK_INT(usm__nack_tick(r, 101 * MS, 50, out, 64, &kf), 0);
  CHECK_INT(kf, 0);
  /* backwards, far: the same */
  CHECK_INT(usm__nack_on_packet(r, 1000, 200 * MS), USM__NACK_JUMP);
  CHECK_INT(usm__nack_on_packet(r, 1001, 200 * MS), USM__NACK_RESET);
  CHECK_INT(usm__nack_on_packet(r, 1003, 200 * MS), USM__NACK_GAP);
  CHECK_INT(usm__nack_tick(r, 300 * MS, 50, out, 64, &kf), 1);
  CHECK_INT(out[0], 1002);
  usm__nack_stats st;
  usm__nack_get_stats(r, &st);
  CHECK_INT(st.resets, 2);
  CHECK_INT(st.nacks_sent, 1);
  /* a new SSRC: usm__nack_reset, the next packet starts afresh */
  usm__nack_reset(r);
  CHECK_INT(usm__nack_on_packet(r, 7, 400 * MS), USM__NACK_IN_ORDER);
  CHECK_INT(usm__nack_missing_count(r), 0);
  usm__nack_destroy(r);
}

/* The list holds at most max_missing: the oldest go first, with a keyframe wish. */
static void test_list_bound(void) {
  usm__nack_requester *r = make(1000, 0, 0);
  uint16_t out[2000];
  int kf = 0;
  usm__nack_on_packet(r, 0, 0);
  CHECK_INT(usm__nack_on_packet(r, 901, 0), USM__NACK_GAP);   /* 900 missing */
  CHECK_INT(usm__nack_on_packet(r, 1802, 0), USM__NACK_GAP);  /* 900 more */
  CHECK_INT(usm__nack_missing_count(r), 1000);
  CHECK_INT(usm__nack_on_packet(r, 3000, 0), USM__NACK_JUMP); /* 1197 ahead: more than the list */
  size_t n = usm__nack_tick(r, 20 * MS, 50, out, 2000, &kf);
  CHECK_INT(n, 1000);
  CHECK_INT(kf, 1);
  CHECK_INT(out[0], 801);    /* 1..800 evicted */
  CHECK_INT(out[999], 1801);
  usm__nack_stats st;
  usm__nack_get_stats(r, &st);
  CHECK_INT(st.evicted, 800);
  /* the output bound: 1000 due, 100 per tick, oldest first, the rest next tick */
  n = usm__nack_tick(r, 80 * MS, 50, out, 100, &kf);
  CHECK_INT(n, 100);
  CHECK_INT(out[0], 801);
  n = usm__nack_tick(r, 80 * MS, 50, out, 100, &kf);
  CHECK_INT(n, 100);
  CHECK_INT(out[0], 902);    /* 901 arrived */
  /* a keyframe at 1500 was handed over: older ones are not needed */
  usm__nack_clear_before(r, 1500);
  CHECK_INT(usm__nack_missing_count(r), 302);
  n = usm__nack_tick(r, 200 * MS, 50, out, 2000, &kf);
  CHECK_INT(n, 302);
  CHECK_INT(out[0], 1500);
  usm__nack_destroy(r);
}

static void test_pli_limiter(void) {
  usm__pli_limiter l;
  uint8_t fs = 0;
  usm__pli_limiter_init(&l, 0, 1);
  uint64_t t = 5000 * MS;
  CHECK_INT(usm__pli_limiter_poll(&l, t, &fs), USM__KF_NONE); /* no wish */
  CHECK_INT(usm__pli_limiter_want(&l, t, &fs), USM__KF_FIR);
  CHECK_INT(fs, 1);
  CHECK_INT(usm__pli_limiter_want(&l, t + 10 * MS, &fs), USM__KF_NONE);
  CHECK_INT(usm__pli_limiter_want(&l, t + 100 * MS, &fs), USM__KF_NONE);
  CHECK_INT(usm__pli_limiter_poll(&l, t + 299 * MS, &fs), USM__KF_NONE);
  CHECK_INT(usm__pli_limiter_poll(&l, t + 300 * MS, &fs), USM__KF_PLI);
  CHECK_INT(usm__pli_limiter_poll(&l, t + 700 * MS, &fs), USM__KF_NONE); /* sent: no wish left */
  CHECK_INT(usm__pli_limiter_want(&l, t + 500 * MS, &fs), USM__KF_NONE);
  usm__pli_limiter_keyframe_received(&l);
  CHECK_INT(usm__pli_limiter_poll(&l, t + 900 * MS, &fs), USM__KF_NONE);
  CHECK_INT(usm__pli_limiter_want(&l, t + 900 * MS, &fs), USM__KF_PLI);
  usm__pli_limiter_reset(&l); /* new stream: at once, a FIR with the next number */
  CHECK_INT(usm__pli_limiter_want(&l, t + 901 * MS, &fs), USM__KF_FIR);
  CHECK_INT(fs, 2);
  CHECK_INT(l.firs, 2);
  CHECK_INT(l.plis, 2);
  CHECK_INT(l.suppressed, 2);
  /* PLI only; a clock going back does not let a request through */
  usm__pli_limiter_init(&l, 300, 0);
  CHECK_INT(usm__pli_limiter_want(&l, t, NULL), USM__KF_PLI);
  CHECK_INT(usm__pli_limiter_want(&l, t - 1000 * MS, NULL), USM__KF_NONE);
  CHECK_INT(usm__pli_limiter_poll(&l, t + 300 * MS, NULL), USM__KF_PLI);
}

/* ---- simulated lossy video stream ---- */

#define SIM_OWD_MS 50u            /* one way; RTT 100 ms */
#define SIM_RTT_MS (2u * SIM_OWD_MS)
#define SIM_SEND_MS 20000u        /* 20 s of 30 fps, 10 packets a frame */
#define SIM_END_MS (SIM_SEND_MS + 2000u)
#define SIM_PKTS_PER_FRAME 10u
#define SIM_FRAME_MS 33u
#define SIM_MAX_PKTS 8000u
#define SIM_PAYLOAD 160u
#define SIM_QUEUE 4096u
#define SIM_SEQ0 62000u           /* wraps during the run */

typedef struct sim_msg {
  uint64_t at_ms;
  size_t len;
  uint8_t data[SIM_PAYLOAD + 64];
} sim_msg;

typedef struct sim_queue {
  sim_msg *m;
  size_t head, n;
} sim_queue;

static uint64_t rng_state;
static double rnd(void) { /* xorshift64*, fixed seed: deterministic */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static void q_push(sim_queue *q, uint64_t at, const uint8_t *d, size_t len, double loss) {
  if (rnd() < loss) return;
  CHECK(q->n < SIM_QUEUE && len <= sizeof q->m[0].data);
  if (q->n >= SIM_QUEUE || len > sizeof q->m[0].data) return;
  sim_msg *m = &q->m[(q->head + q->n++) % SIM_QUEUE];
  m->at_ms = at;
  m->len = len;
  memcpy(m->data, d, len);
}

static sim_msg *q_due(sim_queue *q, uint64_t now) {
  if (!q->n || q->m[q->head].at_ms > now) return NULL;
  sim_msg *m = &q->m[q->head];
  q->head = (q->head + 1) % SIM_QUEUE;
  q->n--;
  return m;
}

typedef struct sim_stats {
  unsigned sent, lost, recovered, within, never, max_nacked;
} sim_stats;

static uint8_t sim_byte(unsigned idx, size_t i) { return (uint8_t)(idx * 31u + i); }

/* @p nack_loss: loss on the NACKs too. */
static void simulate(double loss, double nack_loss, uint64_t seed, sim_stats *out) {
  rng_state = seed;
  usm__rtx_history *hist = NULL;
  usm__nack_requester *req = NULL;
  CHECK_INT(usm__rtx_history_create(NULL, &hist), USM_OK);
  CHECK_INT(usm__nack_create(NULL, &req), USM_OK);
  sim_queue fwd = {calloc(SIM_QUEUE, sizeof(sim_msg)), 0, 0}, back = {calloc(SIM_QUEUE, sizeof(sim_msg)), 0, 0};
  uint64_t *detected = calloc(SIM_MAX_PKTS, sizeof *detected);   /* ms + 1, 0: not missing */
  uint64_t *arrived = calloc(SIM_MAX_PKTS, sizeof *arrived);     /* ms + 1 */
  unsigned *nacked = calloc(SIM_MAX_PKTS, sizeof *nacked);
  if (!hist || !req || !fwd.m || !back.m || !detected || !arrived || !nacked) {
    CHECK(0);
    goto done;
  }
  uint8_t mem[600], txmem[600];
  usm__rtp_pkt pkt, tx;
  CHECK_INT(usm__rtp_pkt_init(&pkt, mem, sizeof mem, USM__RTP_HEADROOM), USM_OK);
  CHECK_INT(usm__rtp_pkt_init(&tx, txmem, sizeof txmem, USM__RTP_HEADROOM), USM_OK);
  unsigned sent = 0;
  uint16_t newest_rx = 0;
  int have_rx = 0;
  for (uint64_t now = 0; now <= SIM_END_MS; now++) {
    uint64_t now_us = now * MS;
    /* sender: a frame every 33 ms */
    if (now < SIM_SEND_MS && now % SIM_FRAME_MS == 0) {
      for (unsigned k = 0; k < SIM_PKTS_PER_FRAME && sent < SIM_MAX_PKTS; k++, sent++) {
        uint8_t pl[SIM_PAYLOAD];
        for (size_t i = 0; i < SIM_PAYLOAD; i++) pl[i] = sim_byte(sent, i);
        usm__rtp_header h = {0};
        h.pt = 96;
        h.seq = (uint16_t)(SIM_SEQ0 + sent);
        h.timestamp = (uint32_t)(now * 90u);
        h.ssrc = 0xABCD;
        h.marker = k + 1 == SIM_PKTS_PER_FRAME;
        CHECK_INT(usm__rtp_pkt_build(&pkt, &h, pl, SIM_PAYLOAD), USM_OK);
        CHECK_INT(usm__rtx_history_put(hist, &pkt, now_us), USM_OK); /* before protecting */
        q_push(&fwd, now + SIM_OWD_MS, usm__rtp_pkt_data(&pkt), pkt.len, loss);
        memset(usm__rtp_pkt_data(&pkt), 0xCC, pkt.len); /* "protected in place" */
        CHECK_INT(usm__rtp_pkt_set_protected(&pkt, pkt.len), USM_OK);
      }
    }
    /* sender: NACKs in, retransmissions out (lossy too) */
    for (sim_msg *m; (m = q_due(&back, now));) {
      usm__rtcp_iter it;
      usm__rtcp_pkt rp;
      usm__rtcp_fb fb;
      uint16_t seqs[USM__RTCP_MAX_NACK_ITEMS * 17], again[USM__RTCP_MAX_NACK_ITEMS * 17];
      size_t n = 0;
      CHECK_INT(usm__rtcp_iter_init(&it, m->data, m->len), USM_OK);
      if (!usm__rtcp_iter_next(&it, &rp) || usm__rtcp_parse_fb(&rp, &fb) != USM_OK ||
          usm__rtcp_nack_seqs(&fb, seqs, sizeof seqs / sizeof seqs[0], &n) != USM_OK) {
        CHECK(0);
        continue;
      }
      usm__rtx_nack_result res;
      CHECK_INT(usm__rtx_history_on_nack(hist, seqs, n, now_us, SIM_RTT_MS, again, n, &res), USM_OK);
      for (size_t i = 0; i < res.resend; i++) {
        const usm__rtp_pkt *q = usm__rtx_history_find(hist, again[i], now_us);
        CHECK(q != NULL);
        if (!q || usm__rtp_pkt_copy(&tx, q) != USM_OK) continue;
        q_push(&fwd, now + SIM_OWD_MS, usm__rtp_pkt_data(&tx), tx.len, loss);
        memset(usm__rtp_pkt_data(&tx), 0xDD, tx.len); /* the send copy is protected, not the stored one */
      }
    }
    /* receiver */
    for (sim_msg *m; (m = q_due(&fwd, now));) {
      usm__rtp_view v;
      if (usm__rtp_parse(m->data, m->len, &v) != USM_OK) {
        CHECK(0);
        continue;
      }
      unsigned idx = (uint16_t)(v.seq - (uint16_t)SIM_SEQ0);
      CHECK(idx < sent && v.payload_len == SIM_PAYLOAD);
      if (idx >= sent || v.payload_len != SIM_PAYLOAD) continue;
      int plain = 1;
      for (size_t i = 0; i < SIM_PAYLOAD; i++) plain &= v.payload[i] == sim_byte(idx, i);
      CHECK(plain);
      if (!arrived[idx]) arrived[idx] = now + 1;
      usm__nack_arrival a = usm__nack_on_packet(req, v.seq, now_us);
      if (a == USM__NACK_GAP) /* everything between the previous newest and this one */
        for (uint16_t s = (uint16_t)(newest_rx + 1); s != v.seq; s++) {
          unsigned j = (uint16_t)(s - (uint16_t)SIM_SEQ0);
          if (j < SIM_MAX_PKTS && !detected[j]) detected[j] = now + 1;
        }
      if (!have_rx || (int16_t)(uint16_t)(v.seq - newest_rx) > 0) newest_rx = v.seq;
      have_rx = 1;
    }
    if (usm__nack_next_due_us(req, SIM_RTT_MS) <= now_us) {
      uint16_t list[USM__RTCP_MAX_NACK_ITEMS];
      int kf = 0;
      size_t n = usm__nack_tick(req, now_us, SIM_RTT_MS, list, USM__RTCP_MAX_NACK_ITEMS, &kf);
      for (size_t i = 0; i < n; i++) {
        unsigned j = (uint16_t)(list[i] - (uint16_t)SIM_SEQ0);
        if (j < SIM_MAX_PKTS) nacked[j]++;
      }
      if (n) {
        uint8_t buf[1500];
        size_t len = 0;
        CHECK_INT(usm__rtcp_build_nack(1, 0xABCD, list, n, buf, sizeof buf, &len), USM_OK);
        q_push(&back, now + SIM_OWD_MS, buf, len, nack_loss);
      }
    }
  }
  sim_stats s = {0};
  s.sent = sent;
  for (unsigned i = 0; i + SIM_PKTS_PER_FRAME < sent; i++) { /* a lost tail is never noticed */
    if (nacked[i] > s.max_nacked) s.max_nacked = nacked[i];
    if (!detected[i]) continue;
    s.lost++;
    if (!arrived[i]) {
      s.never++;
      continue;
    }
    if (arrived[i] < detected[i]) continue; /* reordering cannot happen here */
    s.recovered++;
    if (arrived[i] - detected[i] <= USM__NACK_DEFAULT_REORDER_WAIT_MS + 3u * SIM_RTT_MS) s.within++;
  }
  *out = s;
done:
  free(fwd.m);
  free(back.m);
  free(detected);
  free(arrived);
  free(nacked);
  usm__rtx_history_destroy(hist);
  usm__nack_destroy(req);
}

static void test_simulated_stream(void) {
  sim_stats s;
  /* 10 % loss on media and retransmissions */
  simulate(0.10, 0.0, 0x9E3779B97F4A7C15ull, &s);
  printf("10%% media loss: sent %u lost %u recovered %u (within 3 RTT %u) never %u max NACKs/packet %u\n",
         s.sent, s.lost, s.recovered, s.within, s.never, s.max_nacked);
  CHECK(s.lost > s.sent / 20);
  CHECK(s.within * 100u > s.lost * 99u);
  CHECK(s.recovered == s.lost);
  CHECK(s.max_nacked <= USM__NACK_DEFAULT_MAX_RETRIES);
  /* and on the NACKs too: fewer within 3 RTTs, still all in the end */
  simulate(0.10, 0.10, 0x0123456789ABCDEFull, &s);
  printf("10%% loss both ways: sent %u lost %u recovered %u (within 3 RTT %u) never %u max NACKs/packet %u\n",
         s.sent, s.lost, s.recovered, s.within, s.never, s.max_nacked);
  CHECK(s.within * 100u > s.lost * 98u);
  CHECK(s.recovered * 1000u > s.lost * 999u);
  CHECK(s.max_nacked <= USM__NACK_DEFAULT_MAX_RETRIES);
}

int main(void) {
  test_create();
  test_in_order();
  test_single_gap();
  test_give_up_tries();
  test_give_up_age();
  test_wrap();
  test_restart();
  test_list_bound();
  test_pli_limiter();
  test_simulated_stream();
  return check_done("test_nack");
}
