/* The RTP session without a network: two sessions wired back to back
 * through their send callbacks, on a clock the test drives. Checks delivery
 * by payload type, counters, loss and jitter in the reports, RTT from
 * SR/RR with a known one-way delay, PLI feedback, BYE, and the bounds. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "media/rtp.h"
#include "media/rtp_session.h"

typedef struct side {
  usm__rtp_session *s;
  struct side *peer;
  uint64_t *now;         /* the shared clock */
  uint64_t delay_us;     /* one-way delay to the peer */
  int drop_every;        /* drop every n-th RTP packet (0: none) */
  int sent;
  int got[USM__MEDIA_KINDS];
  uint8_t last[64];
  size_t last_len;
  int feedback;
} side;

static usm_err send_rtp(void *user, uint8_t *pkt, size_t len, size_t cap) {
  side *me = user;
  CHECK(cap >= len + 16); /* room for an SRTP trailer */
  if (me->drop_every && ++me->sent % me->drop_every == 0) return USM_OK;
  usm__rtp_session_recv_rtp(me->peer->s, pkt, len, *me->now + me->delay_us);
  return USM_OK;
}

static usm_err send_rtcp(void *user, uint8_t *pkt, size_t len, size_t cap) {
  side *me = user;
  CHECK(cap >= len + 16);
  /* the report arrives one delay later on the shared clock */
  *me->now += me->delay_us;
  usm__rtp_session_recv_rtcp(me->peer->s, pkt, len, *me->now);
  return USM_OK;
}

static void on_rtp(void *user, const usm__rtp_in *in) {
  side *me = user;
  me->got[in->kind]++;
  me->last_len = in->len < sizeof me->last ? in->len : sizeof me->last;
  memcpy(me->last, in->payload, me->last_len);
}

static void on_feedback(void *user, usm__media_kind kind, const usm__rtcp_pkt *pkt) {
  (void)kind, (void)pkt;
  ((side *)user)->feedback++;
}

static void make(side *a, int send_audio, int send_video, uint64_t *now) {
  usm__rtp_session_config c = {
    .cname = "test@usm",
    .send = {send_audio, send_video},
    .pt = {111, 96},
    .recv_pt = {111, 96},
    .send_rtp = send_rtp,
    .send_rtcp = send_rtcp,
    .on_rtp = on_rtp,
    .on_feedback = on_feedback,
    .user = a,
  };
  a->now = now;
  CHECK_INT(usm__rtp_session_create(&c, &a->s), USM_OK);
}

static void test_exchange(void) {
  uint64_t now = 1000000;
  side a = {0}, b = {0};
  make(&a, 1, 1, &now);
  make(&b, 1, 0, &now);
  a.peer = &b;
  b.peer = &a;
  a.delay_us = b.delay_us = 20000; /* 20 ms each way: RTT 40 ms */
  a.drop_every = 10; /* every 10th of a's 134 packets: 6 audio and 7 video lost */
  const uint8_t payload[] = "opus-frame";
  for (int i = 0; i < 100; i++) {
    now += 20000;
    CHECK_INT(usm__rtp_session_send(a.s, USM__MEDIA_AUDIO, payload, sizeof payload, now, 0), USM_OK);
    CHECK_INT(usm__rtp_session_send(b.s, USM__MEDIA_AUDIO, payload, sizeof payload, now, 0), USM_OK);
    if (i % 3 == 0) CHECK_INT(usm__rtp_session_send(a.s, USM__MEDIA_VIDEO, payload, 4, now, 1), USM_OK);
  }
  CHECK_INT(usm__rtp_session_send(b.s, USM__MEDIA_VIDEO, payload, 4, now, 1), USM_ERR_WRONG_STATE);
  CHECK_INT(b.got[USM__MEDIA_AUDIO], 94);
  CHECK_INT(b.got[USM__MEDIA_VIDEO], 27);
  CHECK_INT(a.got[USM__MEDIA_AUDIO], 100);
  CHECK_INT(b.last_len, 4);

  /* reports both ways; b's RR tells a its loss, a's SR then b's RR give a the RTT */
  CHECK_INT(usm__rtp_session_report(a.s, now), USM_OK);
  CHECK_INT(usm__rtp_session_report(b.s, now), USM_OK);
  usm__stream_stats st;
  usm__rtp_session_send_stats(a.s, USM__MEDIA_AUDIO, &st);
  CHECK_INT(st.packets, 100);
  CHECK_INT(st.lost, 6); /* as b reported it */
  CHECK(st.rtt_ms >= 39 && st.rtt_ms <= 41);
  CHECK_INT(st.reports, 1);
  usm__rtp_session_recv_stats(b.s, USM__MEDIA_AUDIO, &st);
  CHECK_INT(st.packets, 94);
  CHECK_INT(st.lost, 6);

  /* a PLI from b about a's video reaches a's feedback hook and counters */
  uint32_t video = usm__rtp_session_ssrc(a.s, USM__MEDIA_VIDEO);
  CHECK_INT(usm__rtp_session_send_pli(b.s, video), USM_OK);
  CHECK_INT(a.feedback, 1);
  usm__rtp_session_send_stats(a.s, USM__MEDIA_VIDEO, &st);
  CHECK_INT(st.plis, 1);
  CHECK_INT(usm__rtp_session_send_pli(b.s, 12345), USM_ERR_INVALID_ARG); /* not a source */
  /* a's goodbye: b forgets a's sources, so a PLI for a's video has no source any more */
  CHECK_INT(usm__rtp_session_bye(a.s, "left", now), USM_OK);
  CHECK_INT(usm__rtp_session_send_pli(b.s, video), USM_ERR_INVALID_ARG);
  usm__rtp_session_recv_stats(b.s, USM__MEDIA_AUDIO, &st);
  CHECK_INT(st.packets, 0);
  CHECK_INT(usm__rtp_session_dropped(a.s), 0);
  usm__rtp_session_destroy(a.s);
  usm__rtp_session_destroy(b.s);
}

static void test_bad_input(void) {
  uint64_t now = 5000000;
  side a = {0}, b = {0};
  make(&a, 1, 0, &now);
  make(&b, 0, 0, &now);
  a.peer = &b;
  b.peer = &a;
  uint8_t big[USM__RTP_MAX_PAYLOAD + 1] = {0};
  CHECK_INT(usm__rtp_session_send(a.s, USM__MEDIA_AUDIO, big, sizeof big, now, 0), USM_ERR_LIMIT);
  /* garbage, a short packet, an unknown payload type: counted, dropped */
  const uint8_t junk[] = {0x00, 0x01, 0x02};
  usm__rtp_session_recv_rtp(b.s, junk, sizeof junk, now);
  uint8_t pkt[64];
  size_t n;
  usm__rtp_header h = {.pt = 100, .seq = 1, .timestamp = 1, .ssrc = 7};
  CHECK_INT(usm__rtp_build(&h, junk, sizeof junk, pkt, sizeof pkt, &n), USM_OK);
  usm__rtp_session_recv_rtp(b.s, pkt, n, now);
  usm__rtp_session_recv_rtcp(b.s, junk, sizeof junk, now);
  CHECK_INT(usm__rtp_session_dropped(b.s), 3);
  CHECK_INT(b.got[0] + b.got[1], 0);
  /* more sources than the bound */
  for (uint32_t ssrc = 1; ssrc <= USM__RTP_MAX_SOURCES + 3; ssrc++) {
    h.pt = 111;
    h.ssrc = ssrc;
    CHECK_INT(usm__rtp_build(&h, junk, sizeof junk, pkt, sizeof pkt, &n), USM_OK);
    usm__rtp_session_recv_rtp(b.s, pkt, n, now);
  }
  CHECK_INT(usm__rtp_session_dropped(b.s), 6);
  /* a receive-only session reports with an RR */
  CHECK_INT(usm__rtp_session_report(b.s, now), USM_OK);
  usm__rtp_session_destroy(a.s);
  usm__rtp_session_destroy(b.s);
}

int main(void) {
  test_exchange();
  test_bad_input();
  return check_done("test_rtp_session");
}
