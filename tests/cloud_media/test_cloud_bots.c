/* usm-cloud's media bots and CSIs: the host joins through libusm's public API
 * and plays a media client made of libusm's internal pieces (mclient.h).
 * Its media leg gets CSIs in the Locus DTO (status.csis). A bot added with
 * POST /admin/bots joins the roster (the host's libusm sees it over Mercury)
 * and sends the "tone" and the "pattern": every forwarded packet names the
 * bot's CSI as its only CSRC, the Opus payloads decode to the tone (aligned
 * by cross-correlation), the VP8 payloads assemble and decode into pictures
 * whose frame counter grows; a PLI brings a keyframe, a NACK a
 * retransmission, the downlink impairment applies, the cloud sends REMBs
 * with the uplink cap, DELETE ends the streams with BYE and the bot leaves.
 * An echo bot sends the host's own media back under its own SSRCs and
 * passes PLIs on. Bad requests get 400. */
#include <math.h>

#include "codec/opus.h"
#include "codec/vp8.h"
#include "codec/vp8_rtp.h"
#include "mclient.h"
#include "source/test_signal.h"

#define MAX_PCM (48000 * 8) /* 8 s of decoded audio */

/* What the host's client got from the cloud. */
typedef struct rx {
  uint32_t want_csrc[2];        /* audio, video CSI expected as the only CSRC */
  int audio, video, csrc_bad, other;
  uint32_t assrc, vssrc;        /* the bot's streams as this receiver sees them */
  int ssrc_changed;
  /* audio */
  usm__codec_dec *opus;
  int16_t *pcm;
  size_t pcm_n;
  int opus_bad;
  /* video */
  usm__vp8_asm *vasm;
  usm__codec_dec *vp8;
  int pictures, keyframes, unreadable, not_increasing;
  uint32_t last_no;
  long last_key_ms;
  uint16_t last_vseq;
  int have_vseq;
  int watch_seq_on;             /* count arrivals of watch_seq */
  uint16_t watch_seq;
  int watch_hits;
  /* echo: payloads equal to what we sent */
  int echo_audio, echo_video;
  /* RTCP */
  int remb;
  uint64_t remb_bps;
  uint32_t remb_ssrc;
  int bye;
  uint32_t bye_ssrcs[8];
  int n_bye;
  int pli;
  uint32_t pli_media;
} rx;

static void rx_init(rx *x) {
  memset(x, 0, sizeof *x);
  usm__codec_params p = {.kind = USM__CODEC_KIND_AUDIO};
  p.audio.sample_rate = 48000;
  p.audio.channels = 1;
  CHECK_INT(usm__codec_decoder_create(usm__codec_opus(), &p, &x->opus), USM_OK);
  usm__codec_params vp = {.kind = USM__CODEC_KIND_VIDEO};
  CHECK_INT(usm__codec_decoder_create(usm__codec_vp8(), &vp, &x->vp8), USM_OK);
  CHECK_INT(usm__vp8_asm_create(NULL, &x->vasm), USM_OK);
  x->pcm = calloc(MAX_PCM, sizeof *x->pcm);
}

static void rx_free(rx *x) {
  usm__codec_decoder_destroy(x->opus);
  usm__codec_decoder_destroy(x->vp8);
  usm__vp8_asm_destroy(x->vasm);
  free(x->pcm);
}

static void on_audio(rx *x, const usm__rtp_view *v) {
  int16_t out[5760];
  usm__codec_frame f = {.kind = USM__CODEC_KIND_AUDIO};
  f.u.audio = (usm__audio_frame){.pcm = out, .channels = 1, .capacity = 5760};
  int got = 0;
  if (usm__codec_decode(x->opus, v->payload, v->payload_len, &f, &got) != USM_OK) {
    x->opus_bad++;
    return;
  }
  size_t n = f.u.audio.samples;
  if (x->pcm_n + n <= MAX_PCM) {
    memcpy(x->pcm + x->pcm_n, out, n * sizeof *out);
    x->pcm_n += n;
  }
}

static void on_video(rx *x, const usm__rtp_view *v) {
  if (x->watch_seq_on && v->seq == x->watch_seq) x->watch_hits++;
  if (!x->have_vseq || (int16_t)(v->seq - x->last_vseq) > 0) x->last_vseq = v->seq;
  x->have_vseq = 1;
  usm__vp8_asm_push(x->vasm, v->payload, v->payload_len, v->seq, v->timestamp, v->marker);
  usm__vp8_frame fr;
  while (usm__vp8_asm_pop(x->vasm, &fr)) {
    usm__codec_frame pic;
    int got = 0;
    memset(&pic, 0, sizeof pic);
    pic.kind = USM__CODEC_KIND_VIDEO;
    if (usm__codec_decode(x->vp8, fr.data, fr.len, &pic, &got) != USM_OK || !got) continue;
    x->pictures++;
    if (fr.keyframe) {
      x->keyframes++;
      x->last_key_ms = e2e_now_ms();
    }
    uint32_t no = 0;
    const uint8_t *const planes[3] = {pic.u.video.plane[0], pic.u.video.plane[1], pic.u.video.plane[2]};
    if (!usm__pattern_read(planes, pic.u.video.stride, pic.u.video.width, pic.u.video.height, &no)) {
      x->unreadable++;
      continue;
    }
    if (x->pictures > 1 && no <= x->last_no) x->not_increasing++;
    x->last_no = no;
  }
}

static void on_rtcp(rx *x, const uint8_t *b, size_t n) {
  usm__rtcp_iter it;
  usm__rtcp_pkt k;
  if (usm__rtcp_iter_init(&it, b, n) != USM_OK) return;
  while (usm__rtcp_iter_next(&it, &k)) {
    usm__rtcp_fb fb;
    usm__rtcp_remb remb;
    if (k.pt == USM__RTCP_BYE) {
      x->bye++;
      for (size_t i = 0; i < k.count && 4 * i + 4 <= k.body_len && x->n_bye < 8; i++) {
        const uint8_t *q = k.body + 4 * i;
        x->bye_ssrcs[x->n_bye++] = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
      }
    } else if (k.pt == USM__RTCP_PSFB && usm__rtcp_parse_fb(&k, &fb) == USM_OK) {
      if (fb.fmt == USM__RTCP_FB_AFB && usm__rtcp_parse_remb(&fb, &remb) == USM_OK) {
        x->remb++;
        x->remb_bps = remb.bitrate;
        x->remb_ssrc = remb.ssrc_count ? usm__rtcp_remb_ssrc(&remb, 0) : 0;
      } else if (fb.fmt == USM__RTCP_FB_PLI) {
        x->pli++;
        x->pli_media = fb.media_ssrc;
      }
    }
  }
}

/* Reads for @p ms: RTP from the bot (checked and decoded) and RTCP. */
static void rx_drain(mclient *c, rx *x, int ms) {
  long until = e2e_now_ms() + ms;
  while (e2e_now_ms() < until) {
    uint8_t b[2048];
    ssize_t n = recv_ms(c, b, sizeof b, 10);
    if (n <= 0) continue;
    size_t plain = 0;
    if (usm__rtp_is_rtcp(b, (size_t)n)) {
      if (usm__srtp_unprotect_rtcp(c->in, b, (size_t)n, &plain) == USM_OK) on_rtcp(x, b, plain);
      continue;
    }
    usm__rtp_view v;
    if (usm__srtp_unprotect_rtp(c->in, b, (size_t)n, &plain) != USM_OK ||
        usm__rtp_parse(b, plain, &v) != USM_OK) {
      x->other++;
      continue;
    }
    int video = v.pt == c->vpt;
    if (v.pt != c->apt && !video) {
      x->other++;
      continue;
    }
    if (v.csrc_count != 1 || v.csrc[0] != x->want_csrc[video]) x->csrc_bad++;
    uint32_t *ssrc = video ? &x->vssrc : &x->assrc;
    if (*ssrc && *ssrc != v.ssrc) x->ssrc_changed++;
    *ssrc = v.ssrc;
    char tag[16];
    snprintf(tag, sizeof tag, "echo-%s", video ? "video" : "audio");
    if (v.payload_len > strlen(tag) && memcmp(v.payload, tag, strlen(tag)) == 0) {
      if (video)
        x->echo_video++;
      else
        x->echo_audio++;
      continue;
    }
    if (video) {
      x->video++;
      on_video(x, &v);
    } else {
      x->audio++;
      on_audio(x, &v);
    }
  }
}

/* The best normalised cross-correlation of the decoded audio with the tone:
 * the beep (the first 100 ms of every second) gives the offset to 5 ms, a
 * search around it the exact one. */
static double tone_correlation(const rx *x) {
  const size_t block = 240, blocks_per_s = 200;
  size_t nb = x->pcm_n / block;
  if (nb < 2 * blocks_per_s) return 0;
  double *e = calloc(nb, sizeof *e);
  for (size_t b = 0; b < nb; b++)
    for (size_t i = 0; i < block; i++) e[b] += (double)x->pcm[b * block + i] * x->pcm[b * block + i];
  size_t phase = 0;
  double best_e = -1;
  for (size_t ph = 0; ph < blocks_per_s; ph++) {
    double sum = 0;
    for (size_t b = 0; b < nb; b++)
      if ((b + blocks_per_s - ph) % blocks_per_s < 20) sum += e[b];
    if (sum > best_e) best_e = sum, phase = ph;
  }
  free(e);
  /* decoded[i] ~ tone(i + off); the beep starts at decoded index phase*block */
  long base = 48000 - (long)(phase * block);
  size_t start = 48000 / 2, len = 48000; /* one second from the middle */
  if (start + len > x->pcm_n) return 0;
  double best = -1;
  for (long off = base - 1000; off <= base + 1000; off++) {
    double xy = 0, xx = 0, yy = 0;
    for (size_t i = start; i < start + len; i += 2) {
      double a = x->pcm[i], t = usm__tone_sample((uint64_t)((long)i + off + 10 * 48000));
      xy += a * t, xx += a * a, yy += t * t;
    }
    double c = xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0;
    if (c > best) best = c;
  }
  return best;
}

/* ---- helpers ---- */

static cJSON *json_of(char *text) {
  cJSON *o = cJSON_Parse(text ? text : "");
  free(text);
  return o;
}

/* The participant @p pid of /admin/state. */
static cJSON *state_part(cJSON *st, const char *pid) {
  cJSON *l, *p;
  cJSON_ArrayForEach(l, cJSON_GetObjectItem(st, "loci")) {
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(l, "participants")) {
      if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p, "id")), pid) == 0) return p;
    }
  }
  return NULL;
}

static cJSON *admin_state(void) {
  char *text = NULL;
  CHECK_INT(e2e_admin_get(&w, "/admin/state", &text), 200);
  return json_of(text);
}

static uint32_t u32_at(const cJSON *arr, int i) {
  return (uint32_t)cJSON_GetNumberValue(cJSON_GetArrayItem(arr, i));
}

/* The locus DTO's participant @p pid as @p token sees it: its status.csis. */
static int dto_csis(const char *locus_url, const char *token, const char *pid, uint32_t csis[2]) {
  char *text = NULL;
  CHECK_INT(http_json("GET", locus_url, token, NULL, &text), 200);
  cJSON *dto = json_of(text), *p;
  int found = 0;
  cJSON_ArrayForEach(p, cJSON_GetObjectItem(dto, "participants")) {
    if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p, "id")), pid) != 0) continue;
    cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(p, "status"), "csis");
    if (cJSON_GetArraySize(c) == 2) {
      csis[0] = u32_at(c, 0);
      csis[1] = u32_at(c, 1);
      found = 1;
    }
  }
  cJSON_Delete(dto);
  return found;
}

/* 1: @p name is JOINED in @p m's roster, 0: it is not (or absent). */
static int in_roster(const usm_meeting *m, const char *name) {
  for (size_t i = 0; i < usm_meeting_participant_count(m); i++) {
    usm_participant p;
    if (usm_meeting_participant(m, i, &p) == USM_OK && p.name && strcmp(p.name, name) == 0)
      return p.in_meeting;
  }
  return 0;
}

static int wait_roster(usm_meeting *m, const char *name, int want) {
  for (long until = e2e_now_ms() + 5000; e2e_now_ms() < until; e2e_pump(&w, 20))
    if (in_roster(m, name) == want) return 1;
  return 0;
}

/* POST /admin/bots: the status, the bot id and csis on 200. */
static int add_bot(const char *body, char id[64], uint32_t csis[2]) {
  char *out = NULL;
  int st = admin_json("POST", "/admin/bots", body, &out);
  cJSON *o = json_of(out);
  if (st == 200) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, "id"));
    CHECK(s != NULL);
    snprintf(id, 64, "%s", s ? s : "");
    cJSON *c = cJSON_GetObjectItem(o, "csis");
    CHECK_INT(cJSON_GetArraySize(c), 2);
    csis[0] = u32_at(c, 0);
    csis[1] = u32_at(c, 1);
  }
  cJSON_Delete(o);
  return st;
}

static cJSON *bot_stats(const char *id) {
  char *out = NULL;
  CHECK_INT(admin_json("GET", "/admin/bots", NULL, &out), 200);
  cJSON *root = json_of(out), *b;
  cJSON_ArrayForEach(b, cJSON_GetObjectItem(root, "bots")) {
    if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(b, "id")), id) == 0) {
      cJSON *copy = cJSON_Duplicate(b, 1);
      cJSON_Delete(root);
      return copy;
    }
  }
  cJSON_Delete(root);
  return NULL;
}

static double video_stat(const char *id, const char *key) {
  cJSON *b = bot_stats(id);
  double v = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "video"), key));
  cJSON_Delete(b);
  return v;
}

static void send_fb_pkt(mclient *c, int pli, uint32_t media, uint16_t seq) {
  uint8_t b[256];
  size_t len = 0, fl = 0;
  CHECK_INT(usm__rtcp_build_rr(c->vssrc, NULL, 0, b, 100, &len), USM_OK);
  if (pli)
    CHECK_INT(usm__rtcp_build_pli(c->vssrc, media, b + len, 100, &fl), USM_OK);
  else
    CHECK_INT(usm__rtcp_build_nack(c->vssrc, media, &seq, 1, b + len, 100, &fl), USM_OK);
  send_rtcp(c, b, len + fl, sizeof b);
}

/* ---- the scenario ---- */

static void bad_requests(const char *number) {
  static const char *const raw[] = {"not json", "[]", "{}", "{\"meetingNumber\":123}"};
  /* each after a valid meetingNumber */
  static const char *const extra[] = {
      "\"locusId\":\"x\"",   "\"audio\":\"noise\"", "\"video\":5",         "\"video\":\"tone\"",
      "\"width\":62",          "\"width\":641",         "\"height\":2000",     "\"width\":\"640\"",
      "\"fps\":0",             "\"fps\":61",            "\"fps\":2.5",         "\"echo\":\"yes\"",
      "\"name\":\"\"",       "\"name\":7",            "\"name\":\"a\\nb\"", "\"colour\":\"red\"",
  };
  size_t nraw = sizeof raw / sizeof raw[0], n = nraw + sizeof extra / sizeof extra[0];
  for (size_t i = 0; i < n; i++) {
    char body[512], id[64];
    uint32_t csis[2];
    if (i < nraw)
      snprintf(body, sizeof body, "%s", raw[i]);
    else
      snprintf(body, sizeof body, "{\"meetingNumber\":\"%s\",%s}", number, extra[i - nraw]);
    int st = add_bot(body, id, csis);
    CHECK_INT(st, 400);
    if (st != 400) fprintf(stderr, "accepted: %s\n", body);
  }
  char id[64];
  uint32_t csis[2];
  CHECK_INT(add_bot("{\"meetingNumber\":\"0000000001\"}", id, csis), 404);
  CHECK_INT(add_bot("{\"locusId\":\"no-such-locus\"}", id, csis), 409);
  CHECK_INT(admin_json("DELETE", "/admin/bots/no-such-bot", NULL, NULL), 404);
}

static void bots(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, "alice@example.com", number, sip, password), 0);
  usm_meeting *mh = NULL;
  CHECK_INT(e2e_meeting(&w, host, number, &mh), USM_OK);
  e2e_op op = {0};
  if (!mh) return;
  char id[64], id2[64];
  uint32_t csis[2] = {0, 0}, c2[2];
  char body[512];
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(mh, NULL, e2e_op_done, &op)), USM_OK);
  char locus[512] = "", hid[64] = "", aid[64] = "";
  CHECK(find_locus(locus, sizeof locus, hid, aid) & 1);
  bad_requests(number);

  mclient A;
  mclient_init(&A, "H", E2E_HOST_TOKEN, hid, locus);
  A.vp8 = 1;
  rx x;
  rx_init(&x);
  new_creds(&A, 1);
  if (offer(&A, 1) != 0 || ice_check(&A, A.rufrag, A.rpwd, 1) != 200 || handshake(&A) != 0) goto out;

  /* the host's media started: its CSIs are in the DTO */
  uint32_t hc[2] = {0, 0};
  CHECK(dto_csis(locus, E2E_HOST_TOKEN, hid, hc));
  CHECK(hc[0] && hc[1] && hc[0] != hc[1]);

  /* a bot joins: roster (admin state, the DTO, the host's libusm over Mercury) */
  snprintf(body, sizeof body,
           "{\"meetingNumber\":\"%s\",\"name\":\"Tone Bot\",\"width\":320,\"height\":180,\"fps\":15}",
           number);
  CHECK_INT(add_bot(body, id, csis), 200);
  CHECK(csis[0] && csis[1] && csis[0] != csis[1] && csis[0] != hc[0] && csis[1] != hc[1]);
  x.want_csrc[0] = csis[0];
  x.want_csrc[1] = csis[1];
  cJSON *st = admin_state();
  cJSON *bp = state_part(st, id);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(bp, "state")), "JOINED");
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(bp, "bot")));
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(bp, "alias")), "Tone Bot");
  CHECK_INT(u32_at(cJSON_GetObjectItem(bp, "csis"), 0), csis[0]);
  CHECK_INT(u32_at(cJSON_GetObjectItem(bp, "csis"), 1), csis[1]);
  cJSON_Delete(st);
  uint32_t dc[2] = {0, 0};
  CHECK(dto_csis(locus, E2E_HOST_TOKEN, id, dc));
  CHECK_INT(dc[0], csis[0]);
  CHECK_INT(dc[1], csis[1]);
  CHECK(wait_roster(mh, "Tone Bot", 1));

  /* its media: tone and pattern, each packet naming the bot's CSI; REMB to us as a sender */
  for (int i = 0; i < 5; i++) send_rtp(&A, 0, "from-host audio");
  rx_drain(&A, &x, 3500);
  fprintf(stderr, "bot: %d audio, %d video packets, %d pictures (%d keyframes), last #%u, %d remb (%llu bit/s)\n",
          x.audio, x.video, x.pictures, x.keyframes, x.last_no, x.remb, (unsigned long long)x.remb_bps);
  CHECK(x.audio >= 150); /* 50 a second */
  CHECK(x.video >= 45);
  CHECK_INT(x.csrc_bad, 0);
  CHECK_INT(x.ssrc_changed, 0);
  CHECK_INT(x.opus_bad, 0);
  CHECK(x.pictures >= 35); /* 15 fps */
  CHECK(x.keyframes >= 1);
  CHECK_INT(x.unreadable, 0);
  CHECK_INT(x.not_increasing, 0);
  double corr = tone_correlation(&x);
  fprintf(stderr, "bot: tone correlation %.3f over %zu samples\n", corr, x.pcm_n);
  CHECK(corr > 0.9);
  CHECK(x.remb >= 1);
  CHECK_INT(x.remb_bps, 4064000);
  CHECK_INT(x.remb_ssrc, A.assrc);

  /* the uplink cap is the REMB's bitrate */
  char cmd[300];
  snprintf(cmd, sizeof cmd, "{\"participant\":\"%s\",\"direction\":\"up\",\"bandwidthKbps\":300}", hid);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", cmd), 200);
  x.remb = 0;
  for (long until = e2e_now_ms() + 3000; e2e_now_ms() < until && !(x.remb && x.remb_bps == 300000);) {
    send_rtp(&A, 0, "from-host audio");
    rx_drain(&A, &x, 200);
  }
  CHECK_INT(x.remb_bps, 300000);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", "{\"email\":\"host@example.com\"}"), 200);

  /* a PLI right after a keyframe brings another one at once (the next
   * periodic one is ~3 s away) */
  int keys = x.keyframes;
  for (long until = e2e_now_ms() + 4000; e2e_now_ms() < until && x.keyframes == keys;) rx_drain(&A, &x, 50);
  rx_drain(&A, &x, 300);
  keys = x.keyframes;
  double requests = video_stat(id, "keyframeRequests");
  long t0 = e2e_now_ms();
  send_fb_pkt(&A, 1, x.vssrc, 0);
  for (long until = t0 + 1500; e2e_now_ms() < until && x.keyframes == keys;) rx_drain(&A, &x, 20);
  CHECK(x.keyframes > keys);
  CHECK(x.last_key_ms - t0 < 1000);
  CHECK_INT(video_stat(id, "keyframeRequests"), requests + 1);

  /* packets lost on the way to us come back when NACKed (a packet we got
   * would fail SRTP's replay check: retransmission re-sends it as it was);
   * the SFU answers from what it sent us, the bot is not asked */
  snprintf(cmd, sizeof cmd, "{\"participant\":\"%s\",\"direction\":\"down\",\"loss\":100}", hid);
  rx_drain(&A, &x, 100);
  uint16_t s0 = x.last_vseq;
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", cmd), 200);
  rx_drain(&A, &x, 250);
  CHECK_INT(x.last_vseq, s0); /* nothing came */
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", "{\"email\":\"host@example.com\"}"), 200);
  for (long until = e2e_now_ms() + 1000; e2e_now_ms() < until && x.last_vseq == s0;) rx_drain(&A, &x, 10);
  CHECK((uint16_t)(x.last_vseq - s0) > 1); /* a gap */
  x.watch_seq = (uint16_t)(s0 + 1);
  x.watch_seq_on = 1;
  double bot_nacked = video_stat(id, "nacked");
  send_fb_pkt(&A, 0, x.vssrc, x.watch_seq);
  rx_drain(&A, &x, 300);
  CHECK_INT(x.watch_hits, 1);
  CHECK_INT(video_stat(id, "nacked"), bot_nacked);
  cJSON *am = admin_media();
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(admin_part(am, hid), "nackServed")) >= 1);
  cJSON_Delete(am);
  x.watch_seq_on = 0;

  /* impairments apply to what we get from the bot */
  snprintf(cmd, sizeof cmd, "{\"participant\":\"%s\",\"direction\":\"down\",\"loss\":100}", hid);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", cmd), 200);
  rx_drain(&A, &x, 200);
  int before = x.audio + x.video;
  rx_drain(&A, &x, 500);
  CHECK_INT(x.audio + x.video, before);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", "{\"email\":\"host@example.com\"}"), 200);
  rx_drain(&A, &x, 300);
  CHECK(x.audio + x.video > before);

  /* at most 4 bots per meeting */
  snprintf(body, sizeof body, "{\"meetingNumber\":\"%s\",\"name\":\"Quiet\",\"audio\":null,\"video\":null}", number);
  char quiet[3][64];
  for (int i = 0; i < 3; i++) CHECK_INT(add_bot(body, quiet[i], c2), 200);
  CHECK_INT(add_bot(body, id2, c2), 409);
  for (int i = 0; i < 3; i++) {
    char path[256];
    snprintf(path, sizeof path, "/admin/bots/%s", quiet[i]);
    CHECK_INT(admin_json("DELETE", path, NULL, NULL), 200);
  }

  /* DELETE: BYE for both streams, the bot leaves the roster, nothing more comes */
  char path[256];
  snprintf(path, sizeof path, "/admin/bots/%s", id);
  CHECK_INT(admin_json("DELETE", path, NULL, NULL), 200);
  CHECK_INT(admin_json("DELETE", path, NULL, NULL), 404);
  rx_drain(&A, &x, 300);
  CHECK(x.bye >= 1);
  int bye_a = 0, bye_v = 0;
  for (int i = 0; i < x.n_bye; i++) {
    bye_a |= x.bye_ssrcs[i] == x.assrc;
    bye_v |= x.bye_ssrcs[i] == x.vssrc;
  }
  CHECK(bye_a && bye_v);
  before = x.audio + x.video;
  rx_drain(&A, &x, 300);
  CHECK_INT(x.audio + x.video, before);
  st = admin_state();
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(state_part(st, id), "state")), "LEFT");
  cJSON_Delete(st);
  CHECK(wait_roster(mh, "Tone Bot", 0));

  /* an echo bot: our own media comes back under its SSRCs, with its CSIs */
  snprintf(body, sizeof body, "{\"locusId\":\"%s\",\"name\":\"Echo\",\"echo\":true}",
           strrchr(locus, '/') + 1);
  CHECK_INT(add_bot(body, id2, c2), 200);
  rx e;
  rx_init(&e);
  e.want_csrc[0] = c2[0];
  e.want_csrc[1] = c2[1];
  for (int i = 0; i < 20; i++) {
    char p[64];
    snprintf(p, sizeof p, "echo-audio %d", i);
    send_rtp(&A, 0, p);
    snprintf(p, sizeof p, "echo-video %d", i);
    send_rtp(&A, 1, p);
    rx_drain(&A, &e, 10);
  }
  rx_drain(&A, &e, 300);
  CHECK_INT(e.echo_audio, 20);
  CHECK_INT(e.echo_video, 20);
  CHECK_INT(e.csrc_bad, 0);
  CHECK(e.assrc && e.assrc != A.assrc && e.vssrc && e.vssrc != A.vssrc);
  /* a PLI for the echoed video reaches us, the sender, for our own stream */
  send_fb_pkt(&A, 1, e.vssrc, 0);
  rx_drain(&A, &e, 300);
  CHECK(e.pli >= 1);
  CHECK_INT(e.pli_media, A.vssrc);
  cJSON *bs = bot_stats(id2);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(bs, "echoFrom")), hid);
  cJSON_Delete(bs);
  rx_free(&e);

  /* the meeting ends: the bot goes with it */
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_end(mh, e2e_op_done, &op)), USM_OK);
  bs = bot_stats(id2);
  CHECK(bs == NULL);
  cJSON_Delete(bs);
  snprintf(body, sizeof body, "{\"meetingNumber\":\"%s\"}", number);
  CHECK_INT(add_bot(body, id, csis), 409); /* no live session */
out:
  rx_free(&x);
  mclient_free(&A);
  usm_meeting_destroy(mh);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (e2e_start(&w, NULL) != 0) {
    fprintf(stderr, "cannot start usm-cloud\n");
    return 1;
  }
  bots();
  e2e_stop(&w);
  curl_global_cleanup();
  return check_done("test_cloud_bots");
}
