/* The public media API end to end against usm-cloud: bots (tone, pattern,
 * echo) received through the callbacks with their participant and CSI,
 * usm_meeting_play() of generators and files, self mute stopping the media,
 * USM_EVENT_STATS and the REMB-driven rate, and the argument checks of the
 * frames API. Each scenario is bounded; numbers are printed for the docs. */
#include <errno.h>
#include <unistd.h>

#include "mp_party.h"
#include "wav_writer.h"
#include "y4m_writer.h"

static e2e_world w;
static char tmpdir[] = "/tmp/usm-mapi-XXXXXX";
static char path_wav[512], path_y4m[512], path_bad_wav[512], path_bad_y4m[512], path_wav_441[512];

#define FILE_W 320
#define FILE_H 180
#define FILE_FRAMES 30

/* ---- helpers ------------------------------------------------------------------------------ */

static void pump_ms(long ms) { e2e_pump(&w, ms); }

static int write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t put = fwrite(data, 1, n, f);
  return fclose(f) == 0 && put == n ? 0 : -1;
}

/* The test files: 3 s of tone (loops seamlessly: the tone repeats every
 * second), 30 pattern pictures numbered 0..29 at 30 fps, and broken ones. */
static int make_files(void) {
  if (!mkdtemp(tmpdir)) return -1;
  snprintf(path_wav, sizeof path_wav, "%s/tone.wav", tmpdir);
  snprintf(path_y4m, sizeof path_y4m, "%s/pattern.y4m", tmpdir);
  snprintf(path_bad_wav, sizeof path_bad_wav, "%s/bad.wav", tmpdir);
  snprintf(path_bad_y4m, sizeof path_bad_y4m, "%s/bad.y4m", tmpdir);
  snprintf(path_wav_441, sizeof path_wav_441, "%s/cd.wav", tmpdir);
  usmrec_wav *wav;
  if (usmrec_wav_open(&wav, path_wav, 1, 48000) != 0) return -1;
  int16_t pcm[960];
  for (uint64_t n = 0; n < 3 * 48000; n += 960) {
    usm__tone_fill(n, pcm, 1, 960);
    if (usmrec_wav_write(wav, pcm, 960) != 0) return -1;
  }
  if (usmrec_wav_close(wav) != 0) return -1;
  if (usmrec_wav_open(&wav, path_wav_441, 1, 44100) != 0 || usmrec_wav_write(wav, pcm, 960) != 0 ||
      usmrec_wav_close(wav) != 0)
    return -1;
  usmrec_y4m *y;
  if (usmrec_y4m_open(&y, path_y4m, FILE_W, FILE_H, 30) != 0) return -1;
  static uint8_t pic[FILE_W * FILE_H * 3 / 2];
  uint8_t *pl[3] = {pic, pic + FILE_W * FILE_H, pic + FILE_W * FILE_H * 5 / 4};
  int st[3] = {FILE_W, FILE_W / 2, FILE_W / 2};
  for (uint32_t i = 0; i < FILE_FRAMES; i++) {
    usm__pattern_draw(pl, st, FILE_W, FILE_H, i);
    const uint8_t *const cpl[3] = {pl[0], pl[1], pl[2]};
    if (usmrec_y4m_write(y, cpl, st, FILE_W, FILE_H) != 0) return -1;
  }
  if (usmrec_y4m_close(y) != 0) return -1;
  static const char bad_wav[] = "RIFF\x10\x00\x00\x00WAVEjunkjunkjunkjunk";
  static const char bad_y4m[] = "YUV4MPEG2 W0 H-3 F30:0 Ixx\nFRAME\n";
  if (write_bytes(path_bad_wav, bad_wav, sizeof bad_wav - 1) != 0) return -1;
  return write_bytes(path_bad_y4m, bad_y4m, sizeof bad_y4m - 1);
}

static void remove_files(void) {
  const char *all[] = {path_wav, path_y4m, path_bad_wav, path_bad_y4m, path_wav_441};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (all[i][0]) unlink(all[i]);
  rmdir(tmpdir);
}

static void tone_check(const char *what, const mp_audio_src *s, double min_snr, double min_corr) {
  double corr = 0, snr = s ? av_tone_snr(&s->rec, 48000, &corr) : -99;
  fprintf(stderr, "%s: audio %.1f s, snr %.1f dB, corr %.3f\n", what, s ? (double)s->rec.n_pcm / 48000.0 : 0.0, snr,
          corr);
  CHECK(snr > min_snr);
  CHECK(corr > min_corr);
}

static void video_report(const char *what, const mp_video_src *v) {
  if (!v) {
    fprintf(stderr, "%s: no video source\n", what);
    return;
  }
  fprintf(stderr,
          "%s: video %u pictures %ux%u, unreadable %u, repeats %u, wraps %u, keyframes %u (first %d), other size %u\n",
          what, v->frames, v->w, v->h, v->unreadable, v->repeats, v->wraps, v->keyframes, v->first_keyframe,
          v->other_size);
}

/* Packets of @p st's stream picked by @p field over time: the time (ms after
 * @p t0) of its last change while pumping @p window_ms. */
typedef uint64_t (*counter_fn)(const mp_party *p);
static uint64_t rx_audio(const mp_party *p) { return mp_stats(p).audio_received.packets; }
static uint64_t rx_video(const mp_party *p) { return mp_stats(p).video_received.packets; }
static uint64_t tx_audio(const mp_party *p) { return mp_stats(p).audio_sent.packets; }
static uint64_t tx_video(const mp_party *p) { return mp_stats(p).video_sent.packets; }

typedef struct watch {
  counter_fn fn;
  const mp_party *p;
  uint64_t start, last;
  long last_change_ms; /* after t0; -1 none */
} watch;

static void watch_run(watch *ws, int n, uint64_t t0, long window_ms) {
  for (int i = 0; i < n; i++) {
    ws[i].start = ws[i].last = ws[i].fn(ws[i].p);
    ws[i].last_change_ms = -1;
  }
  while ((long)(av_now_ms() - t0) < window_ms) {
    pump_ms(10);
    for (int i = 0; i < n; i++) {
      uint64_t v = ws[i].fn(ws[i].p);
      if (v != ws[i].last) {
        ws[i].last = v;
        ws[i].last_change_ms = (long)(av_now_ms() - t0);
      }
    }
  }
}

/* Time after now until fn(p) grows, at most @p ms; -1 when it does not. */
static long time_to_growth(counter_fn fn, const mp_party *p, long ms) {
  uint64_t t0 = av_now_ms(), v0 = fn(p);
  while ((long)(av_now_ms() - t0) < ms) {
    pump_ms(10);
    if (fn(p) > v0) return (long)(av_now_ms() - t0);
  }
  return -1;
}

static const mp_mute_ev *last_mute_of(const mp_party *p, const char *pid, int from) {
  const mp_mute_ev *e = NULL;
  for (int i = from; i < p->n_mutes; i++)
    if (strcmp(p->mutes[i].pid, pid) == 0) e = &p->mutes[i];
  return e;
}

/* Wait until @p pid is no longer in @p p's roster as joined. */
static int wait_gone(mp_party *p, const char *pid, long ms) {
  long end = e2e_now_ms() + ms;
  for (;;) {
    int there = 0;
    for (size_t i = 0; i < usm_meeting_participant_count(p->m); i++) {
      usm_participant q;
      if (usm_meeting_participant(p->m, i, &q) == USM_OK && strcmp(q.id, pid) == 0 && q.in_meeting) there = 1;
    }
    if (!there) return 1;
    if (e2e_now_ms() > end) return 0;
    pump_ms(10);
  }
}

/* ---- 1. bots ------------------------------------------------------------------------------ */

static void scenario_bot(mp_party *h, const char *number) {
  fprintf(stderr, "== bot\n");
  mp_bot bot;
  char body[256];
  snprintf(body, sizeof body, "{\"meetingNumber\":\"%s\",\"name\":\"Media Bot\",\"audio\":\"tone\",\"video\":\"pattern\"}",
           number);
  CHECK_INT(mp_add_bot(&w, body, &bot), 200);
  CHECK(bot.id[0] && bot.csi_audio && bot.csi_video && bot.csi_audio != bot.csi_video);
  char id[128] = "";
  CHECK(e2e_wait_participant(&w, h->m, "Media Bot", 1, id));
  CHECK_STR(id, bot.id);
  pump_ms(5000);

  mp_audio_src *a = mp_audio_of(h, bot.id);
  CHECK(a != NULL);
  CHECK_INT(h->n_asrc, 1);
  if (a) {
    fprintf(stderr, "bot: audio ssrc %08x csi %u (bot's %u), %u frames, %u without participant\n", a->ssrc, a->csi,
            bot.csi_audio, a->frames, a->frames_without_pid);
    CHECK_INT(a->csi, bot.csi_audio);
    CHECK(a->frames > 200); /* 250 in 5 s */
    /* the roster (Mercury) may lag the first RTP packets a little, never by seconds */
    CHECK(a->frames_without_pid < 50);
    tone_check("bot tone", a, 20.0, 0.95);
  }
  mp_video_src *v = mp_video_of(h, bot.id);
  CHECK(v != NULL);
  video_report("bot pattern", v);
  if (v) {
    CHECK_INT(v->csi, bot.csi_video);
    CHECK(v->frames > 120); /* of 150 */
    CHECK_INT(v->unreadable, 0);
    CHECK_INT(v->repeats + v->wraps, 0);
    CHECK(v->first_keyframe);
    CHECK_INT(v->w, 640);
    CHECK_INT(v->h, 360);
    mp_enc_src *ev = mp_enc_of(h, v->ssrc);
    CHECK(ev != NULL);
    if (ev) {
      fprintf(stderr, "bot: encoded video %s %u frames, %u keyframes (first %d) %ux%u, largest %zu bytes\n", ev->codec,
              ev->frames, ev->keyframes, ev->first_key, ev->key_w, ev->key_h, ev->max_len);
      CHECK_STR(ev->codec, "VP8");
      CHECK(ev->first_key);
      CHECK(ev->frames >= v->frames);
      CHECK(ev->keyframes >= 1 && ev->keyframes_with_size == ev->keyframes);
      CHECK_INT(ev->key_w, 640);
      CHECK_INT(ev->key_h, 360);
    }
  }
  mp_enc_src *ea = a ? mp_enc_of(h, a->ssrc) : NULL;
  CHECK(ea != NULL);
  if (ea) {
    CHECK_STR(ea->codec, "opus");
    CHECK_INT(ea->kind, USM_MEDIA_KIND_AUDIO);
    CHECK(ea->frames > 200);
  }
  usm_media_stats st = mp_stats(h);
  CHECK_STR(st.audio_received.codec, "opus");
  CHECK_STR(st.video_received.codec, "VP8");
  CHECK(st.audio_received.bitrate_kbps > 10);
  CHECK(st.video_received.bitrate_kbps > 100);

  /* the bot leaves: roster LEFT, and its media stops */
  char path[256];
  snprintf(path, sizeof path, "/admin/bots/%s", bot.id);
  CHECK_INT(mp_admin_delete(&w, path), 200);
  uint64_t t_del = av_now_ms();
  CHECK(wait_gone(h, bot.id, 5000));
  fprintf(stderr, "bot gone: left the roster %llu ms after the DELETE\n", (unsigned long long)(av_now_ms() - t_del));
  /* RTP stops with the DELETE (and an RTCP BYE follows): the callbacks should stop with it */
  uint64_t rx = rx_audio(h);
  long audio_last = -1, video_last = -1, rtp_last = 0;
  unsigned af = a ? a->frames : 0, vf = v ? v->frames : 0;
  while (av_now_ms() - t_del < 4000) {
    pump_ms(10);
    long now = (long)(av_now_ms() - t_del);
    if (a && a->frames != af) af = a->frames, audio_last = now;
    if (v && v->frames != vf) vf = v->frames, video_last = now;
    if (rx_audio(h) != rx) rx = rx_audio(h), rtp_last = now;
  }
  fprintf(stderr, "bot gone: last audio RTP %ld ms after the DELETE; audio callback last called after %ld ms, video %ld ms\n",
          rtp_last, audio_last, video_last);
  CHECK(rtp_last <= 1500);
  CHECK(video_last <= rtp_last + 500);
  CHECK(audio_last <= rtp_last + 500);
  CHECK_INT(mp_admin_delete(&w, path), 404);
}

/* Echo: a party's own tone and pattern come back from an echo bot. */
static void scenario_echo(mp_party *p, const char *number) {
  fprintf(stderr, "== echo\n");
  CHECK_INT(mp_play(p, "tone", "pattern", 0), USM_OK);
  pump_ms(500);
  mp_bot bot;
  char body[256];
  snprintf(body, sizeof body, "{\"meetingNumber\":\"%s\",\"name\":\"Echo Bot\",\"echo\":true}", number);
  CHECK_INT(mp_add_bot(&w, body, &bot), 200);
  pump_ms(1000);
  mp_reset_received(p);
  pump_ms(4000);
  mp_audio_src *a = mp_audio_of(p, bot.id);
  CHECK(a != NULL);
  if (a) {
    CHECK_INT(a->csi, bot.csi_audio);
    tone_check("echo tone", a, 15.0, 0.9);
  }
  mp_video_src *v = mp_video_of(p, bot.id);
  video_report("echo pattern", v);
  CHECK(v != NULL);
  if (v) {
    CHECK_INT(v->csi, bot.csi_video);
    CHECK(v->frames > 90);
    CHECK_INT(v->unreadable, 0);
    CHECK_INT(v->repeats, 0);
  }
  CHECK_INT(usm_meeting_stop_playing(p->m), USM_OK);
}

/* ---- 2. play ------------------------------------------------------------------------------ */

static void scenario_play(mp_party *h, mp_party *a) {
  fprintf(stderr, "== play\n");
  /* generators */
  CHECK_INT(mp_play(a, "tone", "pattern", 0), USM_OK);
  pump_ms(1000);
  mp_reset_received(h);
  pump_ms(4000);
  mp_audio_src *as = mp_audio_of(h, a->self_id);
  CHECK(as != NULL);
  tone_check("play tone", as, 20.0, 0.95);
  mp_video_src *vs = mp_video_of(h, a->self_id);
  video_report("play pattern", vs);
  CHECK(vs != NULL);
  if (vs) {
    CHECK(vs->frames > 100); /* of 120 */
    CHECK_INT(vs->unreadable, 0);
    CHECK_INT(vs->repeats + vs->wraps, 0);
    CHECK_INT(vs->w, 640);
    CHECK_INT(vs->h, 360);
  }

  /* files, looping; a new source replaces the old one */
  CHECK_INT(mp_play(a, path_wav, path_y4m, 1), USM_OK);
  pump_ms(1000);
  mp_reset_received(h);
  if (vs) vs->only_w = FILE_W, vs->only_h = FILE_H;
  pump_ms(4000);
  as = mp_audio_of(h, a->self_id);
  tone_check("play wav", as, 20.0, 0.95);
  vs = mp_video_of(h, a->self_id);
  video_report("play y4m", vs);
  CHECK(vs != NULL);
  if (vs) {
    CHECK(vs->frames > 100);
    CHECK_INT(vs->other_size, 0);
    CHECK_INT(vs->unreadable, 0);
    CHECK_INT(vs->repeats, 0);
    CHECK(vs->wraps >= 3 && vs->wraps <= 5); /* a 1 s file looping for 4 s */
    CHECK(vs->max_counter_seen < FILE_FRAMES);
    vs->only_w = vs->only_h = 0;
  }

  /* files that cannot be read: an error and its text; the running source stays */
  CHECK_INT(mp_play(a, "/nonexistent/usm/tone.wav", NULL, 0), USM_ERR_NOT_FOUND);
  fprintf(stderr, "play missing wav: \"%s\"\n", usm_meeting_last_error(a->m));
  CHECK(strstr(usm_meeting_last_error(a->m), "play") != NULL);
  CHECK_INT(mp_play(a, NULL, "/nonexistent/usm/pattern.y4m", 0), USM_ERR_NOT_FOUND);
  CHECK(usm_meeting_last_error(a->m)[0] != 0);
  CHECK_INT(mp_play(a, path_bad_wav, NULL, 0), USM_ERR_MALFORMED);
  fprintf(stderr, "play bad wav: \"%s\"\n", usm_meeting_last_error(a->m));
  CHECK(usm_meeting_last_error(a->m)[0] != 0);
  CHECK_INT(mp_play(a, NULL, path_bad_y4m, 0), USM_ERR_MALFORMED);
  fprintf(stderr, "play bad y4m: \"%s\"\n", usm_meeting_last_error(a->m));
  CHECK(usm_meeting_last_error(a->m)[0] != 0);
  CHECK_INT(mp_play(a, "tone", path_bad_y4m, 0), USM_ERR_MALFORMED); /* one bad half fails the whole call */
  CHECK_INT(mp_play(a, path_wav_441, NULL, 0), USM_ERR_INVALID_ARG);  /* well-formed, 44.1 kHz */
  fprintf(stderr, "play 44.1 kHz wav: \"%s\"\n", usm_meeting_last_error(a->m));
  CHECK_INT(mp_play(a, NULL, NULL, 0), USM_ERR_INVALID_ARG);
  usm_play_options raw;
  memset(&raw, 0, sizeof raw);
  raw.audio = "tone";
  CHECK_INT(usm_meeting_play(a->m, &raw), USM_ERR_INVALID_ARG);
  CHECK(time_to_growth(rx_audio, h, 1000) >= 0);
  CHECK(time_to_growth(rx_video, h, 1000) >= 0);

  /* stop: what the other receives stops growing */
  CHECK_INT(usm_meeting_stop_playing(a->m), USM_OK);
  pump_ms(500);
  uint64_t ra = rx_audio(h), rv = rx_video(h), ta = tx_audio(a), tv = tx_video(a);
  pump_ms(1000);
  fprintf(stderr, "stopped: host received +%llu audio +%llu video packets in the second after; alice sent +%llu/+%llu\n",
          (unsigned long long)(rx_audio(h) - ra), (unsigned long long)(rx_video(h) - rv),
          (unsigned long long)(tx_audio(a) - ta), (unsigned long long)(tx_video(a) - tv));
  CHECK_INT(rx_audio(h), ra);
  CHECK_INT(rx_video(h), rv);
  CHECK_INT(tx_audio(a), ta);
  CHECK_INT(tx_video(a), tv);
  CHECK_INT(usm_meeting_stop_playing(a->m), USM_OK); /* twice is fine */
}

/* ---- 3. mute ------------------------------------------------------------------------------ */

static void scenario_mute(mp_party *h, mp_party *a) {
  fprintf(stderr, "== mute\n");
  CHECK_INT(mp_play(a, "tone", "pattern", 0), USM_OK);
  pump_ms(1500);
  e2e_op op = {0};

  /* audio */
  int m0 = h->n_mutes;
  uint64_t t0 = av_now_ms();
  CHECK_INT(usm_meeting_mute(a->m, NULL, 1, -1, e2e_op_done, &op), USM_OK);
  uint64_t sent_at_call = tx_audio(a);
  uint64_t v_before = rx_video(h);
  watch ws[2] = {{.fn = rx_audio, .p = h}, {.fn = tx_audio, .p = a}};
  watch_run(ws, 2, t0, 1500);
  CHECK(op.done && op.err == USM_OK);
  fprintf(stderr, "audio mute: host's audio packets last grew %ld ms after the call, alice's sent +%llu after it\n",
          ws[0].last_change_ms, (unsigned long long)(ws[1].last - sent_at_call));
  CHECK(ws[0].last_change_ms <= 300);
  CHECK(ws[1].last - sent_at_call <= 1);
  CHECK(rx_video(h) > v_before + 20); /* video goes on */
  const mp_mute_ev *e = last_mute_of(h, a->self_id, m0);
  CHECK(e != NULL);
  if (e) {
    fprintf(stderr, "audio mute: host's USM_EVENT_MUTE %llu ms after the call\n", (unsigned long long)(e->at_ms - t0));
    CHECK_INT(e->audio_muted, 1);
    CHECK_INT(e->video_muted, 0);
  }
  usm_participant self;
  CHECK(usm_meeting_self(a->m, &self) == USM_OK && self.audio_muted == 1);

  m0 = h->n_mutes;
  op = (e2e_op){0};
  CHECK_INT(usm_meeting_mute(a->m, NULL, 0, -1, e2e_op_done, &op), USM_OK);
  long back = time_to_growth(rx_audio, h, 1000);
  fprintf(stderr, "audio unmute: host's audio packets again after %ld ms\n", back);
  CHECK(back >= 0 && back <= 300);
  CHECK(e2e_run_until(&w, &op.done, 5000) && op.err == USM_OK);
  pump_ms(300);
  e = last_mute_of(h, a->self_id, m0);
  CHECK(e && e->audio_muted == 0);
  /* the tone is intact after the unmute */
  mp_reset_received(h);
  pump_ms(3600); /* two seconds of tone after the first one (the measure needs two periods) */
  mp_audio_src *as = mp_audio_of(h, a->self_id);
  CHECK(as != NULL);
  if (as) {
    /* the jitter buffer settles on the new time line within the first second */
    double c_early = 0, snr_early = av_tone_snr(&as->rec, 24000, &c_early);
    double corr = 0, snr = av_tone_snr(&as->rec, 48000, &corr);
    fprintf(stderr, "after unmute: from 0.5 s snr %.1f dB corr %.3f; from 1 s snr %.1f dB corr %.3f\n", snr_early,
            c_early, snr, corr);
    CHECK(corr > 0.9);
  }

  /* video */
  m0 = h->n_mutes;
  op = (e2e_op){0};
  t0 = av_now_ms();
  CHECK_INT(usm_meeting_mute(a->m, NULL, -1, 1, e2e_op_done, &op), USM_OK);
  uint64_t vsent_at_call = tx_video(a);
  uint64_t a_before = rx_audio(h);
  watch wv[2] = {{.fn = rx_video, .p = h}, {.fn = tx_video, .p = a}};
  watch_run(wv, 2, t0, 1500);
  CHECK(op.done && op.err == USM_OK);
  fprintf(stderr, "video mute: host's video packets last grew %ld ms after the call, alice's sent +%llu after it\n",
          wv[0].last_change_ms, (unsigned long long)(wv[1].last - vsent_at_call));
  CHECK(wv[0].last_change_ms <= 300);
  CHECK(wv[1].last - vsent_at_call <= 1);
  CHECK(rx_audio(h) > a_before + 40); /* audio goes on */
  e = last_mute_of(h, a->self_id, m0);
  CHECK(e != NULL);
  if (e) {
    CHECK_INT(e->video_muted, 1);
    CHECK_INT(e->audio_muted, 0);
  }

  m0 = h->n_mutes;
  op = (e2e_op){0};
  mp_video_mark(h);
  CHECK_INT(usm_meeting_mute(a->m, NULL, -1, 0, e2e_op_done, &op), USM_OK);
  back = time_to_growth(rx_video, h, 1000);
  CHECK(back >= 0 && back <= 300);
  CHECK(e2e_run_until(&w, &op.done, 5000) && op.err == USM_OK);
  pump_ms(1000);
  mp_video_src *vs = mp_video_of(h, a->self_id);
  CHECK(vs && vs->mark_seen);
  if (vs && vs->mark_seen) {
    fprintf(stderr, "video unmute: packets after %ld ms, first picture after %llu ms: keyframe %d readable %d\n", back,
            (unsigned long long)(vs->mark_first_ms - vs->mark_ms), vs->mark_key, vs->mark_readable);
    CHECK(vs->mark_key);
    CHECK(vs->mark_readable);
    CHECK(vs->mark_first_ms - vs->mark_ms <= 500);
  }
  e = last_mute_of(h, a->self_id, m0);
  CHECK(e && e->video_muted == 0);

  /* muting someone else (not host) is the cloud's business; the local sending goes on */
  CHECK_INT(usm_meeting_mute(a->m, NULL, -1, -1, NULL, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_meeting_mute(a->m, NULL, 2, 0, NULL, NULL), USM_ERR_INVALID_ARG);
}

/* ---- 4. stats ----------------------------------------------------------------------------- */

static void stream_report(const char *who, const char *what, const usm_stream_stats *s) {
  fprintf(stderr,
          "%s %s: %llu pkts, %u kbit/s (target %u), %s %ux%u %u fps, jitter %u ms, jb %u ms, rtt %u ms, lost %lld\n",
          who, what, (unsigned long long)s->packets, s->bitrate_kbps, s->target_bitrate_kbps, s->codec, s->width,
          s->height, s->fps, s->jitter_ms, s->jitter_buffer_ms, s->rtt_ms, (long long)s->lost);
}

static void scenario_stats(mp_party *h, mp_party *a) {
  fprintf(stderr, "== stats\n");
  CHECK_INT(mp_play(a, "tone", "pattern", 0), USM_OK);
  CHECK_INT(mp_play(h, "tone", "pattern", 0), USM_OK);
  pump_ms(1500);
  mp_reset_stats_events(h);
  mp_reset_stats_events(a);
  uint64_t t0 = av_now_ms();
  pump_ms(4000);
  double secs = (double)(av_now_ms() - t0) / 1000.0;
  fprintf(stderr, "stats events in %.1f s: host %u, alice %u (null %u/%u, elapsed backwards %u/%u)\n", secs,
          h->stats_events, a->stats_events, h->stats_null, a->stats_null, h->stats_elapsed_backwards,
          a->stats_elapsed_backwards);
  CHECK(h->stats_events >= 7 && h->stats_events <= 9);
  CHECK(a->stats_events >= 7 && a->stats_events <= 9);
  CHECK_INT(h->stats_null + a->stats_null, 0);
  CHECK_INT(h->stats_elapsed_backwards + a->stats_elapsed_backwards, 0);
  mp_party *ps[2] = {h, a};
  for (int i = 0; i < 2; i++) {
    const usm_media_stats *s = &ps[i]->last_stats;
    stream_report(ps[i]->who, "audio sent", &s->audio_sent);
    stream_report(ps[i]->who, "audio recv", &s->audio_received);
    stream_report(ps[i]->who, "video sent", &s->video_sent);
    stream_report(ps[i]->who, "video recv", &s->video_received);
    fprintf(stderr, "%s: state %s, available %u kbit/s, elapsed %llu ms, ice rtt %u ms, path %s %s -> %s\n",
            ps[i]->who, usm_media_state_name(s->state), s->available_send_kbps, (unsigned long long)s->elapsed_ms,
            s->ice_rtt_ms, s->local_type, s->local_address, s->remote_address);
    CHECK_INT(s->struct_size, sizeof *s);
    CHECK_INT(s->state, USM_MEDIA_CONNECTED);
    CHECK(s->audio_sent.bitrate_kbps > 0 && s->audio_sent.bitrate_kbps < 80);
    CHECK(s->video_sent.bitrate_kbps > 0);
    CHECK(s->audio_received.bitrate_kbps > 0);
    CHECK(s->video_received.bitrate_kbps > 0);
    CHECK_STR(s->audio_sent.codec, "opus");
    CHECK_STR(s->audio_received.codec, "opus");
    CHECK_STR(s->video_sent.codec, "VP8");
    CHECK_STR(s->video_received.codec, "VP8");
    CHECK_INT(s->video_received.width, 640);
    CHECK_INT(s->video_received.height, 360);
    CHECK_INT(s->video_sent.width, 640);
    CHECK_INT(s->video_sent.height, 360);
    CHECK(s->video_received.fps >= 25 && s->video_received.fps <= 35);
    CHECK(s->video_sent.fps >= 25 && s->video_sent.fps <= 35);
    CHECK(s->audio_received.jitter_buffer_ms >= 20 && s->audio_received.jitter_buffer_ms <= 400);
    CHECK(s->available_send_kbps > 0);
    CHECK(s->audio_sent.target_bitrate_kbps > 0 && s->video_sent.target_bitrate_kbps > 0);
    CHECK(s->audio_received.frames > 0 && s->video_received.frames > 0);
    CHECK(s->elapsed_ms > 4000);
    CHECK(s->local_address[0] && s->remote_address[0] && s->local_type[0]);
  }
  /* the event's numbers are get_stats' numbers */
  usm_media_stats now = mp_stats(a);
  CHECK(now.elapsed_ms >= a->last_stats.elapsed_ms && now.elapsed_ms - a->last_stats.elapsed_ms <= 600);
  CHECK(now.video_sent.packets >= a->last_stats.video_sent.packets);

  /* an uplink cap: REMB brings alice's video target under it */
  uint32_t before = now.video_sent.target_bitrate_kbps;
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media",
                             "{\"email\":\"alice@example.com\",\"direction\":\"up\",\"bandwidthKbps\":300}"),
            200);
  t0 = av_now_ms();
  long under_ms = -1;
  uint32_t target = before, avail = 0;
  while (av_now_ms() - t0 < 8000 && under_ms < 0) {
    pump_ms(100);
    usm_media_stats s = mp_stats(a);
    target = s.video_sent.target_bitrate_kbps;
    avail = s.available_send_kbps;
    if (target < 300) under_ms = (long)(av_now_ms() - t0);
  }
  fprintf(stderr, "uplink cap 300 kbit/s: video target %u -> %u kbit/s after %ld ms (available %u)\n", before, target,
          under_ms, avail);
  CHECK(under_ms >= 0 && under_ms <= 5000);
  pump_ms(2000);
  usm_media_stats s = mp_stats(a);
  fprintf(stderr, "under the cap 2 s later: video target %u, sent %u kbit/s, audio %u, available %u\n",
          s.video_sent.target_bitrate_kbps, s.video_sent.bitrate_kbps, s.audio_sent.bitrate_kbps,
          s.available_send_kbps);
  CHECK(s.video_sent.target_bitrate_kbps < 300);
  CHECK(s.video_sent.bitrate_kbps + s.audio_sent.bitrate_kbps < 400);
  CHECK(s.available_send_kbps <= 320);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media",
                             "{\"email\":\"alice@example.com\",\"direction\":\"up\",\"bandwidthKbps\":0}"),
            200);
  CHECK_INT(usm_meeting_stop_playing(h->m), USM_OK);
}

/* ---- 5. bad input ------------------------------------------------------------------------- */

static void check_bad_frames(usm_meeting *m) {
  int16_t pcm[2 * 48001];
  memset(pcm, 0, sizeof pcm);
  usm_audio_frame good = {.data = pcm, .format = USM_SAMPLE_S16, .channels = 1, .samples = 960, .timestamp_us = 1};
  usm_audio_frame f = good;
  CHECK_INT(usm_meeting_send_audio(m, NULL), USM_ERR_INVALID_ARG);
  f.channels = 3;
  CHECK_INT(usm_meeting_send_audio(m, &f), USM_ERR_INVALID_ARG);
  f = good;
  f.channels = 0;
  CHECK_INT(usm_meeting_send_audio(m, &f), USM_ERR_INVALID_ARG);
  f = good;
  f.data = NULL;
  CHECK_INT(usm_meeting_send_audio(m, &f), USM_ERR_INVALID_ARG);
  f = good;
  f.samples = 48001;
  CHECK_INT(usm_meeting_send_audio(m, &f), USM_ERR_INVALID_ARG);
  f = good;
  f.format = (usm_sample_format)7;
  CHECK_INT(usm_meeting_send_audio(m, &f), USM_ERR_INVALID_ARG);

  enum { W = 642, H = 362 };
  static uint8_t y[W * H], u[(W / 2 + 1) * (H / 2 + 1)], v[(W / 2 + 1) * (H / 2 + 1)];
  usm_video_frame gv = {.plane = {y, u, v}, .stride = {W, W / 2 + 1, W / 2 + 1}, .width = 640, .height = 360};
  usm_video_frame g = gv;
  CHECK_INT(usm_meeting_send_video(m, NULL), USM_ERR_INVALID_ARG);
  g.width = 641; /* odd: the header says even */
  CHECK_INT(usm_meeting_send_video(m, &g), USM_ERR_INVALID_ARG);
  g = gv;
  g.height = 361;
  CHECK_INT(usm_meeting_send_video(m, &g), USM_ERR_INVALID_ARG);
  g = gv;
  g.width = 8, g.height = 8;
  CHECK_INT(usm_meeting_send_video(m, &g), USM_ERR_INVALID_ARG);
  g = gv;
  g.width = 14;
  CHECK_INT(usm_meeting_send_video(m, &g), USM_ERR_INVALID_ARG);
  g = gv;
  g.width = 3842;
  CHECK_INT(usm_meeting_send_video(m, &g), USM_ERR_INVALID_ARG);
  g = gv;
  g.height = 2162;
  CHECK_INT(usm_meeting_send_video(m, &g), USM_ERR_INVALID_ARG);
  for (int i = 0; i < 3; i++) {
    g = gv;
    g.plane[i] = NULL;
    CHECK_INT(usm_meeting_send_video(m, &g), USM_ERR_INVALID_ARG);
    g = gv;
    g.stride[i] = i == 0 ? 639 : 319;
    CHECK_INT(usm_meeting_send_video(m, &g), USM_ERR_INVALID_ARG);
    g = gv;
    g.stride[i] = -g.stride[i];
    CHECK_INT(usm_meeting_send_video(m, &g), USM_ERR_INVALID_ARG);
  }

  usm_media_callbacks cb;
  memset(&cb, 0, sizeof cb); /* not initialised */
  CHECK_INT(usm_meeting_set_media_callbacks(m, &cb), USM_ERR_INVALID_ARG);
  usm_media_callbacks_init(&cb);
  cb.struct_size = sizeof cb - 1;
  CHECK_INT(usm_meeting_set_media_callbacks(m, &cb), USM_ERR_INVALID_ARG);
  usm_media_stats st;
  memset(&st, 0, sizeof st);
  CHECK_INT(usm_meeting_get_stats(m, &st), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_meeting_get_stats(m, NULL), USM_ERR_INVALID_ARG);
}

/* On a connected sender: every bad layout is refused; the good ones pass
 * and media still flows afterwards. */
static void scenario_bad_input(mp_party *h, mp_party *a) {
  fprintf(stderr, "== bad input\n");
  CHECK_INT(usm_meeting_media_state(a->m), USM_MEDIA_CONNECTED);
  check_bad_frames(a->m);
  /* the largest call is fine */
  static int16_t second[48000 * 2];
  usm__tone_fill(0, second, 2, 48000);
  usm_audio_frame f = {.data = second, .format = USM_SAMPLE_S16, .channels = 2, .samples = 48000,
                       .timestamp_us = (int64_t)av_now_ms() * 1000};
  CHECK_INT(usm_meeting_send_audio(a->m, &f), USM_OK);
  float fl[960];
  for (int i = 0; i < 960; i++) fl[i] = i % 2 ? 2.0f : -2.0f; /* clipped, fine */
  usm_audio_frame ff = {.data = fl, .format = USM_SAMPLE_FLOAT, .channels = 1, .samples = 960,
                        .timestamp_us = (int64_t)av_now_ms() * 1000 + 1000000};
  CHECK_INT(usm_meeting_send_audio(a->m, &ff), USM_OK);
  /* still working */
  CHECK_INT(mp_play(a, "tone", "pattern", 0), USM_OK);
  CHECK(time_to_growth(rx_video, h, 1500) >= 0);
  CHECK(time_to_growth(rx_audio, h, 1500) >= 0);
  CHECK_INT(usm_meeting_stop_playing(a->m), USM_OK);
  CHECK_INT(a->media, USM_MEDIA_CONNECTED);
}

/* A meeting joined without the send bits. */
static void check_recv_only(mp_party *p) {
  int16_t pcm[960] = {0};
  usm_audio_frame f = {.data = pcm, .format = USM_SAMPLE_S16, .channels = 1, .samples = 960};
  CHECK_INT(usm_meeting_send_audio(p->m, &f), USM_ERR_WRONG_STATE);
  static uint8_t pic[64 * 64 * 3 / 2];
  usm_video_frame v = {.plane = {pic, pic + 4096, pic + 5120}, .stride = {64, 32, 32}, .width = 64, .height = 64};
  CHECK_INT(usm_meeting_send_video(p->m, &v), USM_ERR_WRONG_STATE);
  CHECK_INT(mp_play(p, "tone", NULL, 0), USM_ERR_WRONG_STATE);
  CHECK_INT(mp_play(p, NULL, "pattern", 0), USM_ERR_WRONG_STATE);
}

/* ---- the run ------------------------------------------------------------------------------ */

static long phase_start;
static void phase(const char *name) {
  long now = e2e_now_ms();
  if (phase_start) fprintf(stderr, "-- %ld ms\n", now - phase_start);
  phase_start = now;
  if (name) fprintf(stderr, "[%s]\n", name);
}

int main(void) {
  long t_start = e2e_now_ms();
  if (make_files() != 0) {
    fprintf(stderr, "cannot write the test files: %s\n", strerror(errno));
    return 1;
  }
  if (e2e_start(&w, NULL) != 0) {
    fprintf(stderr, "usm-cloud did not start\n");
    remove_files();
    return 1;
  }
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN), *alice = e2e_client(&w, E2E_ALICE_TOKEN);
  CHECK(host && alice);

  /* 1. the host alone, receiving only, and a bot */
  phase("bot");
  char n1[32], sip1[256], pw1[64];
  CHECK_INT(e2e_schedule(&w, host, NULL, n1, sip1, pw1), 0);
  mp_party h1 = {.who = "host"};
  CHECK_INT(mp_join(&w, host, n1, &h1, USM_MEDIA_AUDIO_RECV | USM_MEDIA_VIDEO_RECV, 0), USM_OK);
  CHECK(mp_wait_connected(&h1, 15000));
  scenario_bot(&h1, n1);
  check_recv_only(&h1);
  e2e_op op = {0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_leave(h1.m, e2e_op_done, &op)), USM_OK);

  /* 1b. echo, in a meeting of its own; 5 (part): sending before media connects */
  phase("echo");
  char n2[32], sip2[256], pw2[64];
  CHECK_INT(e2e_schedule(&w, host, NULL, n2, sip2, pw2), 0);
  mp_party h2 = {.who = "host", .probe = 1};
  CHECK_INT(mp_join(&w, host, n2, &h2, USM_MEDIA_ALL, 0), USM_OK);
  CHECK(mp_wait_connected(&h2, 15000));
  /* frames given before media connects are dropped with USM_OK */
  fprintf(stderr, "before connected: at joined %d (audio %s, video %s), at checking %d (audio %s, video %s)\n",
          h2.probed[0], usm_err_name(h2.probe_audio[0]), usm_err_name(h2.probe_video[0]), h2.probed[1],
          usm_err_name(h2.probe_audio[1]), usm_err_name(h2.probe_video[1]));
  CHECK(h2.probed[1]);
  CHECK_INT(h2.probe_audio[1], USM_OK);
  CHECK_INT(h2.probe_video[1], USM_OK);
  CHECK_INT(h2.probe_sent[1], 0);
  if (h2.probed[0]) {
    CHECK_INT(h2.probe_audio[0], USM_OK);
    CHECK_INT(h2.probe_video[0], USM_OK);
  }
  scenario_echo(&h2, n2);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_leave(h2.m, e2e_op_done, &op)), USM_OK);

  /* 2-5. host and alice, both with media and stats events */
  phase("play");
  char n3[32], sip3[256], pw3[64];
  CHECK_INT(e2e_schedule(&w, host, "alice@example.com", n3, sip3, pw3), 0);
  mp_party h = {.who = "host"}, a = {.who = "alice"};
  CHECK_INT(mp_join(&w, host, n3, &h, USM_MEDIA_ALL, 500), USM_OK);
  CHECK_INT(mp_join(&w, alice, sip3, &a, USM_MEDIA_ALL, 500), USM_OK);
  CHECK(mp_wait_connected(&h, 15000) && mp_wait_connected(&a, 15000));
  CHECK(a.self_id[0] != 0);
  scenario_play(&h, &a);
  phase("mute");
  scenario_mute(&h, &a);
  phase("stats");
  scenario_stats(&h, &a);
  phase("bad input");
  scenario_bad_input(&h, &a);
  phase(NULL);

  mp_free(&h1);
  mp_free(&h2);
  mp_free(&h);
  mp_free(&a);
  e2e_stop(&w);
  remove_files();
  long total = e2e_now_ms() - t_start;
  fprintf(stderr, "total %ld ms\n", total);
  CHECK(total < 90000);
  return check_done("test_e2e_media_api");
}
