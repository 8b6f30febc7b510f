/* Audio and video through usm-cloud's media server, measured: two libusm
 * clients send the test tone and the pattern through the public frames API
 * and check what the other decodes (tests/e2e_quality/av_party.h).
 * Thresholds are stated in docs/media-quality.md. */
#include "av_party.h"

static e2e_world w;

static int wait_connected(av_party *a, av_party *b) {
  for (int i = 0; i < 750 && !(a->media == USM_MEDIA_CONNECTED && b->media == USM_MEDIA_CONNECTED); i++)
    e2e_pump(&w, 20);
  return a->media == USM_MEDIA_CONNECTED && b->media == USM_MEDIA_CONNECTED;
}

static void report(const char *what, av_party *p) {
  double corr = 0, snr = av_tone_snr(p, 48000, &corr);
  usm_media_stats st;
  usm_media_stats_init(&st);
  usm_meeting_get_stats(p->m, &st);
  fprintf(stderr,
          "%s %s: audio %.1f s snr %.1f dB corr %.3f jb %u ms concealed %llu ms fec %llu jb-dropped %llu | video %u frames "
          "%s (unreadable %u corrupt %u key %u) psnr avg %.1f worst %.1f | rx v %u kbit/s nacks %llu plis %llu "
          "| tx v %u kbit/s target %u bwe %u\n",
          what, p->who, (double)p->n_pcm / 48000.0, snr, corr, st.audio_received.jitter_buffer_ms,
          (unsigned long long)st.audio_received.concealed_ms, (unsigned long long)st.audio_received.fec_recovered,
          (unsigned long long)st.audio_received.frames_dropped,
          p->video_frames, st.video_received.codec, p->video_unreadable, p->video_corrupt, p->video_keyframes,
          p->psnr_n ? p->psnr_sum / p->psnr_n : 0, p->worst_psnr, st.video_received.bitrate_kbps,
          (unsigned long long)st.video_received.nacks, (unsigned long long)st.video_received.plis,
          st.video_sent.bitrate_kbps, st.video_sent.target_bitrate_kbps, st.available_send_kbps);
}

/* Forget what @p p received so far (the next phase is measured alone). */
static void reset_received(av_party *p) {
  p->n_pcm = 0;
  p->video_frames = p->video_unreadable = p->video_corrupt = p->video_keyframes = 0;
  p->psnr_sum = 0;
  p->psnr_n = 0;
}

static void impair(const char *body) {
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", body), 200);
}

static int stats_of(av_party *p, usm_media_stats *st) {
  usm_media_stats_init(st);
  return usm_meeting_get_stats(p->m, st) == USM_OK;
}

/* Audio under loss and jitter towards alice: concealment and FEC keep the
 * tone recognisable; the jitter buffer grows within its bounds. */
static void phase_audio_loss(av_party *h, av_party *a, const char *name, const char *body, double min_snr,
                             double min_corr, unsigned min_video_pct) {
  impair(body);
  e2e_pump(&w, 300);
  reset_received(a);
  uint32_t sent_before = h->frame_no;
  av_exchange(h, a, 8000);
  report(name, a);
  double corr = 0, snr = av_tone_snr(a, 48000, &corr);
  CHECK(snr > min_snr);
  CHECK(corr > min_corr);
  usm_media_stats st;
  CHECK(stats_of(a, &st));
  CHECK(st.audio_received.jitter_buffer_ms >= 20 && st.audio_received.jitter_buffer_ms <= 400);
  CHECK(st.audio_received.concealed_ms + st.audio_received.fec_recovered > 0); /* the loss was felt */
  /* video: NACKs (answered by the media server) bring back nearly every picture */
  unsigned sent = h->frame_no - sent_before;
  fprintf(stderr, "%s: %u of %u pictures shown\n", name, a->video_frames, sent);
  CHECK(a->video_frames * 100u >= sent * min_video_pct);
  CHECK_INT(a->video_corrupt, 0);
}

/* Video: a 2 s burst of 30 % loss towards alice, then a clean network: NACKs
 * and a keyframe bring the stream back; no corrupt picture is ever shown. */
static void phase_video_burst(av_party *h, av_party *a) {
  impair("{\"email\":\"alice@example.com\",\"direction\":\"down\",\"loss\":0}");
  av_exchange(h, a, 1500);
  reset_received(a);
  impair("{\"email\":\"alice@example.com\",\"direction\":\"down\",\"loss\":30}");
  av_exchange(h, a, 2000);
  impair("{\"email\":\"alice@example.com\",\"direction\":\"down\",\"loss\":0}");
  uint32_t fresh = h->frame_no; /* the first picture sent after the burst */
  uint64_t cleared = av_now_ms();
  unsigned during = a->video_frames;
  uint64_t recovered_ms = 0;
  for (uint64_t now = av_now_ms(); now < cleared + 5000 && !recovered_ms; now = av_now_ms()) {
    av_send_due(h, now);
    av_send_due(a, now);
    e2e_pump(&w, 5);
    if (a->psnr_n && a->last_counter >= fresh) recovered_ms = av_now_ms() - cleared;
  }
  av_exchange(h, a, 1000);
  report("video-burst", a);
  fprintf(stderr, "video-burst: %u pictures during the burst, recovered %llu ms after it ended\n", during,
          (unsigned long long)recovered_ms);
  CHECK(recovered_ms > 0 && recovered_ms <= 1000);
  CHECK_INT(a->video_corrupt, 0);
  CHECK_INT(a->video_unreadable, 0);
  usm_media_stats st;
  CHECK(stats_of(a, &st));
  CHECK(st.video_received.nacks > 0 || st.video_received.plis > 0);
}

static void test_quality(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN), *alice = e2e_client(&w, E2E_ALICE_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, "alice@example.com", number, sip, password), 0);
  av_party h = {.who = "host"}, a = {.who = "alice"};
  av_join(&w, host, number, &h);
  av_join(&w, alice, sip, &a);
  CHECK(wait_connected(&h, &a));
  av_exchange(&h, &a, 5000);
  report("clean", &h);
  report("clean", &a);
  double corr;
  CHECK(av_tone_snr(&a, 48000, &corr) > 25.0);
  CHECK(corr > 0.98);
  CHECK(av_tone_snr(&h, 48000, &corr) > 25.0);
  CHECK(a.video_frames > 120 && h.video_frames > 120); /* of 150 sent in 5 s */
  CHECK_INT(a.video_corrupt + a.video_unreadable, 0);
  CHECK(a.psnr_n > 0 && a.worst_psnr > 35.0);
  CHECK(a.participant_known);

  phase_audio_loss(&h, &a, "loss-5%",
                   "{\"email\":\"alice@example.com\",\"direction\":\"down\",\"loss\":5,\"jitterMs\":30}", 12.0, 0.8, 70);
  phase_audio_loss(&h, &a, "burst-20%",
                   "{\"email\":\"alice@example.com\",\"direction\":\"down\",\"burstLoss\":{\"p\":12.5,\"r\":50},"
                   "\"jitterMs\":30}",
                   6.0, 0.6, 60);
  phase_video_burst(&h, &a);
  av_free(&h);
  av_free(&a);
}

int main(void) {
  if (e2e_start(&w, NULL) != 0) {
    fprintf(stderr, "usm-cloud did not start\n");
    return 1;
  }
  test_quality();
  e2e_stop(&w);
  return check_done("test_e2e_av");
}
