/* Media end to end: two libusm clients join a meeting on usm-cloud with
 * audio and video, connect to its media server over ICE + DTLS-SRTP (ROAP
 * over Locus), and exchange RTP both ways through it; RTCP gives an RTT;
 * the cloud's impairments are felt; after the server drops a participant's
 * ICE session the client restarts ICE and media flows again.
 * Payloads go through the codec layer's internal entry (usm__media_send)
 * and come back through its tap, so the test sees exactly what crossed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media_party.h"

static e2e_world w;

/* Pump until both are connected (15 s at most). */
static int wait_connected(party *a, party *b) {
  for (int i = 0; i < 750 && !party_both_connected(a, b); i++) e2e_pump(&w, 20);
  return party_both_connected(a, b);
}

static void test_two_parties(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN), *alice = e2e_client(&w, E2E_ALICE_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, "alice@example.com", number, sip, password), 0);
  party h = {.who = "host", .peer_tag = "A"}, a = {.who = "alice", .peer_tag = "H"};
  party_join(&w, host, number, &h);
  party_join(&w, alice, sip, &a);
  CHECK(wait_connected(&h, &a));

  party_send(&h, "H", 50);
  party_send(&a, "A", 50);
  e2e_pump(&w, 500);
  fprintf(stderr, "host got %d audio %d video; alice got %d audio %d video\n", h.got[0], h.got[1], a.got[0], a.got[1]);
  CHECK(a.got[0] >= 48 && a.got[1] >= 48); /* loopback: nothing should be lost */
  CHECK(h.got[0] >= 48 && h.got[1] >= 48);
  CHECK_INT(a.bad + h.bad, 0);

  /* RTCP: reports every second give the sender an RTT */
  e2e_pump(&w, 2500);
  usm_media_stats st;
  usm_media_stats_init(&st);
  CHECK_INT(usm_meeting_get_stats(h.m, &st), USM_OK);
  CHECK_INT(st.state, USM_MEDIA_CONNECTED);
  CHECK_INT(st.audio_sent.packets, 50);
  CHECK(st.audio_received.packets >= 48);
  CHECK(st.video_received.packets >= 48);
  /* the media server's receiver reports about our streams came back (the RTT
   * they give may round to 0 ms on loopback) */
  CHECK(st.audio_sent.reports > 0 && st.video_sent.reports > 0);
  CHECK(st.audio_received.reports > 0); /* and we report about what we receive */
  CHECK_INT(st.srtp_dropped, 0);
  CHECK(strlen(st.remote_address) > 0);
  fprintf(stderr, "host: rtt %u ms (ice %u), path %s -> %s (%s)\n", st.audio_sent.rtt_ms, st.ice_rtt_ms,
          st.local_address, st.remote_address, st.local_type);

  /* 100 % loss towards alice: nothing arrives */
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", "{\"email\":\"alice@example.com\",\"direction\":\"down\",\"loss\":100}"), 200);
  int before = a.got[0];
  party_send(&h, "H", 20);
  e2e_pump(&w, 300);
  CHECK_INT(a.got[0], before);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", "{\"email\":\"alice@example.com\"}"), 200);

  /* the server forgets alice's ICE session: consent fails, she restarts ICE */
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", "{\"email\":\"alice@example.com\",\"dropIce\":true}"), 200);
  for (int i = 0; i < 2000 && !(a.restarted && a.media == USM_MEDIA_CONNECTED); i++) e2e_pump(&w, 20);
  CHECK(a.restarted >= 1);
  CHECK_INT(a.media, USM_MEDIA_CONNECTED);
  before = a.got[0];
  party_send(&h, "H", 20);
  e2e_pump(&w, 300);
  CHECK(a.got[0] >= before + 18);
  CHECK_INT(a.failed + h.failed, 0);

  e2e_op op = {0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_leave(a.m, e2e_op_done, &op)), USM_OK);
  CHECK_INT(usm_meeting_media_state(a.m), USM_MEDIA_IDLE);
  usm_meeting_destroy(a.m); /* destroy with media running: nothing leaks */
  usm_meeting_destroy(h.m);
}

int main(void) {
  if (e2e_start(&w, NULL) != 0) return 1;
  test_two_parties();
  e2e_stop(&w);
  return check_done("test_e2e_media");
}
