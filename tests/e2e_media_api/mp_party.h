/* A participant of the media API tests: joins with chosen media bits (and
 * stats interval), records what the public callbacks deliver per source
 * (decoded PCM for tone measurements, pattern counters of pictures, encoded
 * frames) and the events the tests look at (MEDIA, MUTE, STATS).
 * Header-only so that the CHECKs count in the including test (check.h);
 * the tone measurement and pattern helpers come from e2e_quality/av_party.h. */
#ifndef USM_TEST_MP_PARTY_H
#define USM_TEST_MP_PARTY_H

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "av_party.h"

#define MP_MAX_SRC 6
#define MP_MAX_MUTES 32

typedef struct mp_audio_src {
  uint32_t ssrc, csi;
  char pid[128]; /* participant_id as delivered, "" when NULL */
  unsigned frames;
  unsigned frames_without_pid;
  av_party rec; /* rec.pcm / rec.n_pcm: the first channel, for av_tone_snr */
} mp_audio_src;

typedef struct mp_video_src {
  uint32_t ssrc, csi;
  char pid[128];
  unsigned frames, unreadable, keyframes;
  unsigned repeats;   /* counter equal to or (without a wrap) below the last one */
  unsigned wraps;     /* counter fell back to near 0 (a looping file) */
  unsigned max_counter_seen;
  int have_counter;
  uint32_t last_counter;
  unsigned w, h;
  int first_keyframe; /* keyframe flag of the first picture */
  unsigned only_w, only_h; /* when set: pictures of another size are counted in other_size, nothing else */
  unsigned other_size;
  /* the first picture after mp_video_mark() */
  int mark_armed, mark_seen, mark_key, mark_readable;
  uint64_t mark_ms, mark_first_ms;
} mp_video_src;

typedef struct mp_enc_src {
  uint32_t ssrc;
  usm_media_kind kind;
  char codec[8];
  unsigned frames, keyframes, keyframes_with_size;
  int first_key;
  unsigned key_w, key_h;
  size_t max_len;
} mp_enc_src;

typedef struct mp_mute_ev {
  char pid[128];
  int audio_muted, video_muted;
  uint64_t at_ms;
} mp_mute_ev;

typedef struct mp_party {
  const char *who;
  e2e_world *w;
  usm_meeting *m;
  usm_media_state media;
  char self_id[128];
  mp_audio_src asrc[MP_MAX_SRC];
  int n_asrc;
  mp_video_src vsrc[MP_MAX_SRC];
  int n_vsrc;
  mp_enc_src esrc[MP_MAX_SRC * 2];
  int n_esrc;
  mp_mute_ev mutes[MP_MAX_MUTES];
  int n_mutes;
  /* USM_EVENT_STATS */
  unsigned stats_events;
  unsigned stats_null; /* events without ev->stats */
  unsigned stats_elapsed_backwards;
  uint64_t stats_last_elapsed;
  uint64_t stats_first_ms, stats_last_ms;
  usm_media_stats last_stats;
  /* probe: valid frames sent from inside the events before media connects
   * ([0] at USM_EVENT_STATE joined, [1] at USM_EVENT_MEDIA checking) */
  int probe;
  int probed[2];
  usm_err probe_audio[2], probe_video[2];
  uint64_t probe_sent[2]; /* RTP packets sent so far, at the probe */
} mp_party;

static inline void mp_probe_send(mp_party *p, usm_meeting *m, int at) {
  if (!p->probe || p->probed[at]) return;
  p->probed[at] = 1;
  static int16_t pcm[960];
  static uint8_t pic[64 * 64 * 3 / 2];
  usm_audio_frame f = {.data = pcm, .format = USM_SAMPLE_S16, .channels = 1, .samples = 960};
  usm_video_frame v = {.plane = {pic, pic + 4096, pic + 5120}, .stride = {64, 32, 32}, .width = 64, .height = 64};
  p->probe_audio[at] = usm_meeting_send_audio(m, &f);
  p->probe_video[at] = usm_meeting_send_video(m, &v);
  usm_media_stats st;
  usm_media_stats_init(&st);
  usm_meeting_get_stats(m, &st);
  p->probe_sent[at] = st.audio_sent.packets + st.video_sent.packets;
}

static inline void mp_copy_pid(char dst[128], const char *pid) { snprintf(dst, 128, "%s", pid ? pid : ""); }

static inline void mp_on_event(usm_meeting *m, const usm_event *ev, void *user) {
  mp_party *p = user;
  if (ev->type == USM_EVENT_STATE && ev->state == USM_MEETING_JOINED) {
    mp_probe_send(p, m, 0);
  } else if (ev->type == USM_EVENT_MEDIA) {
    p->media = ev->media;
    if (ev->media == USM_MEDIA_CHECKING) mp_probe_send(p, m, 1);
    if (ev->media == USM_MEDIA_FAILED)
      fprintf(stderr, "%s: media failed: %s %s\n", p->who, usm_err_name(ev->error), ev->detail ? ev->detail : "");
  } else if (ev->type == USM_EVENT_MUTE && ev->participant && p->n_mutes < MP_MAX_MUTES) {
    mp_mute_ev *e = &p->mutes[p->n_mutes++];
    mp_copy_pid(e->pid, ev->participant->id);
    e->audio_muted = ev->participant->audio_muted;
    e->video_muted = ev->participant->video_muted;
    e->at_ms = av_now_ms();
  } else if (ev->type == USM_EVENT_STATS) {
    if (!ev->stats) {
      p->stats_null++;
      return;
    }
    uint64_t now = av_now_ms();
    if (!p->stats_events) p->stats_first_ms = now;
    p->stats_last_ms = now;
    if (p->stats_events && ev->stats->elapsed_ms <= p->stats_last_elapsed) p->stats_elapsed_backwards++;
    p->stats_last_elapsed = ev->stats->elapsed_ms;
    p->last_stats = *ev->stats;
    p->stats_events++;
  }
}

static inline void mp_on_audio(usm_meeting *m, const usm_media_source *from, const usm_audio_frame *f, void *user) {
  (void)m;
  mp_party *p = user;
  mp_audio_src *s = NULL;
  for (int i = 0; i < p->n_asrc; i++)
    if (p->asrc[i].ssrc == from->ssrc) s = &p->asrc[i];
  if (!s) {
    if (p->n_asrc == MP_MAX_SRC) return;
    s = &p->asrc[p->n_asrc++];
    s->ssrc = from->ssrc;
    s->rec.pcm = calloc(AV_MAX_PCM, sizeof *s->rec.pcm);
  }
  s->csi = from->csi;
  mp_copy_pid(s->pid, from->participant_id);
  s->frames++;
  if (!from->participant_id) s->frames_without_pid++;
  const int16_t *pcm = f->data;
  for (size_t i = 0; s->rec.pcm && i < f->samples && s->rec.n_pcm < AV_MAX_PCM; i++)
    s->rec.pcm[s->rec.n_pcm++] = pcm[i * f->channels];
}

static inline void mp_on_video(usm_meeting *m, const usm_media_source *from, const usm_video_frame *f, void *user) {
  (void)m;
  mp_party *p = user;
  mp_video_src *s = NULL;
  for (int i = 0; i < p->n_vsrc; i++)
    if (p->vsrc[i].ssrc == from->ssrc) s = &p->vsrc[i];
  if (!s) {
    if (p->n_vsrc == MP_MAX_SRC) return;
    s = &p->vsrc[p->n_vsrc++];
    s->ssrc = from->ssrc;
    s->first_keyframe = f->keyframe;
  }
  s->csi = from->csi;
  mp_copy_pid(s->pid, from->participant_id);
  s->w = f->width;
  s->h = f->height;
  if (s->only_w && (f->width != s->only_w || f->height != s->only_h)) {
    s->other_size++;
    return;
  }
  s->frames++;
  s->keyframes += f->keyframe != 0;
  uint32_t counter = 0;
  const uint8_t *const pl[3] = {f->plane[0], f->plane[1], f->plane[2]};
  int readable = f->width >= USM__PATTERN_MIN_SIZE && f->height >= USM__PATTERN_MIN_SIZE &&
                 usm__pattern_read(pl, f->stride, f->width, f->height, &counter);
  if (s->mark_armed && !s->mark_seen) {
    s->mark_seen = 1;
    s->mark_key = f->keyframe;
    s->mark_readable = readable;
    s->mark_first_ms = av_now_ms();
  }
  if (!readable) {
    s->unreadable++;
    return;
  }
  if (s->have_counter && counter <= s->last_counter) {
    if (counter < 5 && s->last_counter > counter + 5)
      s->wraps++;
    else
      s->repeats++;
  }
  if (counter > s->max_counter_seen) s->max_counter_seen = counter;
  s->have_counter = 1;
  s->last_counter = counter;
}

static inline void mp_on_encoded(usm_meeting *m, const usm_media_source *from, const usm_encoded_frame *f,
                                 void *user) {
  (void)m;
  mp_party *p = user;
  mp_enc_src *s = NULL;
  for (int i = 0; i < p->n_esrc; i++)
    if (p->esrc[i].ssrc == from->ssrc) s = &p->esrc[i];
  if (!s) {
    if (p->n_esrc == MP_MAX_SRC * 2) return;
    s = &p->esrc[p->n_esrc++];
    s->ssrc = from->ssrc;
    s->kind = f->kind;
    s->first_key = f->keyframe;
    snprintf(s->codec, sizeof s->codec, "%s", f->codec ? f->codec : "");
  }
  s->frames++;
  if (f->len > s->max_len) s->max_len = f->len;
  if (f->keyframe) {
    s->keyframes++;
    if (f->width && f->height) {
      s->keyframes_with_size++;
      s->key_w = f->width;
      s->key_h = f->height;
    }
  }
}

/* Forget what was received (sources stay known by SSRC, their records restart). */
static inline void mp_reset_received(mp_party *p) {
  for (int i = 0; i < p->n_asrc; i++) {
    p->asrc[i].frames = p->asrc[i].frames_without_pid = 0;
    p->asrc[i].rec.n_pcm = 0;
  }
  for (int i = 0; i < p->n_vsrc; i++) {
    mp_video_src *s = &p->vsrc[i];
    s->frames = s->unreadable = s->keyframes = s->repeats = s->wraps = s->max_counter_seen = 0;
    s->other_size = 0;
    s->have_counter = 0;
    s->mark_armed = s->mark_seen = 0;
  }
  p->n_esrc = 0;
}

static inline void mp_reset_stats_events(mp_party *p) {
  p->stats_events = p->stats_null = p->stats_elapsed_backwards = 0;
  p->stats_last_elapsed = 0;
}

/* The first picture of every video source after now is kept apart. */
static inline void mp_video_mark(mp_party *p) {
  for (int i = 0; i < p->n_vsrc; i++) {
    p->vsrc[i].mark_armed = 1;
    p->vsrc[i].mark_seen = 0;
    p->vsrc[i].mark_ms = av_now_ms();
  }
}

static inline mp_audio_src *mp_audio_of(mp_party *p, const char *pid) {
  for (int i = 0; i < p->n_asrc; i++)
    if (strcmp(p->asrc[i].pid, pid) == 0) return &p->asrc[i];
  return NULL;
}

static inline mp_video_src *mp_video_of(mp_party *p, const char *pid) {
  for (int i = 0; i < p->n_vsrc; i++)
    if (strcmp(p->vsrc[i].pid, pid) == 0) return &p->vsrc[i];
  return NULL;
}

static inline mp_enc_src *mp_enc_of(mp_party *p, uint32_t ssrc) {
  for (int i = 0; i < p->n_esrc; i++)
    if (p->esrc[i].ssrc == ssrc) return &p->esrc[i];
  return NULL;
}

/* Join @p dest with @p media bits; USM_OK when joined. */
static inline usm_err mp_join(e2e_world *w, usm_client *c, const char *dest, mp_party *p, unsigned media,
                              unsigned stats_interval_ms) {
  p->w = w;
  usm_err e = e2e_meeting(w, c, dest, &p->m);
  if (e != USM_OK) return e;
  usm_meeting_set_event_cb(p->m, mp_on_event, p);
  usm_media_callbacks cb;
  usm_media_callbacks_init(&cb);
  cb.audio = mp_on_audio;
  cb.video = mp_on_video;
  cb.encoded = mp_on_encoded;
  cb.user = p;
  CHECK_INT(usm_meeting_set_media_callbacks(p->m, &cb), USM_OK);
  usm_join_options jo;
  usm_join_options_init(&jo);
  jo.media = media;
  jo.stats_interval_ms = stats_interval_ms;
  e2e_op op = {0};
  e = e2e_await(w, &op, usm_meeting_join(p->m, &jo, e2e_op_done, &op));
  if (e != USM_OK) return e;
  usm_participant self;
  if (usm_meeting_self(p->m, &self) == USM_OK) mp_copy_pid(p->self_id, self.id);
  return usm_meeting_get_state(p->m) == USM_MEETING_JOINED ? USM_OK : USM_ERR_WRONG_STATE;
}

static inline int mp_wait_connected(mp_party *p, long ms) {
  long end = e2e_now_ms() + ms;
  while (p->media != USM_MEDIA_CONNECTED && e2e_now_ms() < end) e2e_pump(p->w, 10);
  return p->media == USM_MEDIA_CONNECTED;
}

/* Before e2e_stop: the meeting handle is the application's to release. */
static inline void mp_free(mp_party *p) {
  usm_meeting_destroy(p->m);
  p->m = NULL;
  for (int i = 0; i < p->n_asrc; i++) free(p->asrc[i].rec.pcm);
  p->n_asrc = 0;
}

static inline usm_media_stats mp_stats(const mp_party *p) {
  usm_media_stats st;
  usm_media_stats_init(&st);
  CHECK_INT(usm_meeting_get_stats(p->m, &st), USM_OK);
  return st;
}

static inline usm_err mp_play(mp_party *p, const char *audio, const char *video, int loop) {
  usm_play_options o;
  usm_play_options_init(&o);
  o.audio = audio;
  o.video = video;
  o.loop = loop;
  return usm_meeting_play(p->m, &o);
}

/* ---- the cloud's admin API beyond cloud_proc_admin ------------------------------- */

/* POST @p json to admin @p path; the answer's body parsed (NULL when not JSON). HTTP status. */
static inline int mp_admin_post(e2e_world *w, const char *path, const char *json, cJSON **answer) {
  char url[512];
  snprintf(url, sizeof url, "%s%s", w->cloud.admin_url, path);
  unsigned char *out = NULL;
  size_t len = 0;
  int st = cloud_proc_post(&w->cloud, url, NULL, json, &out, &len);
  *answer = NULL;
  if (out) {
    *answer = cJSON_ParseWithLength((const char *)out, len);
    free(out);
  }
  return st;
}

static size_t mp_discard(char *p, size_t size, size_t n, void *user) {
  (void)p, (void)user;
  return size * n;
}

/* DELETE admin @p path; HTTP status or -1. */
static inline int mp_admin_delete(e2e_world *w, const char *path) {
  char url[512];
  snprintf(url, sizeof url, "%s%s", w->cloud.admin_url, path);
  CURL *e = curl_easy_init();
  if (!e) return -1;
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
  curl_easy_setopt(e, CURLOPT_CAINFO, w->cloud.ca_file);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, mp_discard);
  long status = -1;
  if (curl_easy_perform(e) == CURLE_OK) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(e);
  return (int)status;
}

/* A bot as POST /admin/bots answered. */
typedef struct mp_bot {
  char id[128];
  uint32_t csi_audio, csi_video;
} mp_bot;

static inline int mp_add_bot(e2e_world *w, const char *json, mp_bot *bot) {
  memset(bot, 0, sizeof *bot);
  cJSON *a = NULL;
  int st = mp_admin_post(w, "/admin/bots", json, &a);
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "id");
  const cJSON *csis = cJSON_GetObjectItemCaseSensitive(a, "csis");
  if (cJSON_IsString(id)) snprintf(bot->id, sizeof bot->id, "%s", id->valuestring);
  if (cJSON_IsArray(csis) && cJSON_GetArraySize(csis) == 2) {
    bot->csi_audio = (uint32_t)cJSON_GetArrayItem(csis, 0)->valuedouble;
    bot->csi_video = (uint32_t)cJSON_GetArrayItem(csis, 1)->valuedouble;
  }
  if (st != 200) {
    char *txt = a ? cJSON_PrintUnformatted(a) : NULL;
    fprintf(stderr, "POST /admin/bots %s -> %d %s\n", json, st, txt ? txt : "");
    free(txt);
  }
  cJSON_Delete(a);
  return st;
}

#endif
