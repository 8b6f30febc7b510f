/* Mercury events per second through libusm's real path: envelope text ->
 * usm__mframe_parse -> usm__events_feed -> the meeting's working copy
 * (full DTO replace, or delta merge) -> roster diff -> the application's
 * event callback. Two chains per roster size (2, 10, 100, 1000
 * participants): full-DTO events (`locus.participant_joined`, each one
 * sequence newer) and `locus.difference` deltas (each on top of the last,
 * one participant's mute toggled). Baseline, timed in the same alternating
 * rounds: cJSON_ParseWithLength + cJSON_Delete of the same frames. Prints
 * medians; asserts nothing about time. No network: the meeting is built the
 * way usm_meetings_create builds one, then joined by applying a full DTO. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <usm/usm.h>

#include "core/client_internal.h"
#include "core/strbuf.h"
#include "meeting/meeting_internal.h"
#include "mercury/frames.h"

#define ROUNDS 11
#define LOCUS_URL "https://127.0.0.1:8443/locus/api/v1/loci/bench-locus-1"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static volatile size_t sink;

/* ---- envelopes, as usm-cloud writes them (docs/local-cloud.md §7) ---------- */

/* Participant @p i; @p muted toggles its audio. */
static void put_part(usm_strbuf *b, int i, int muted) {
  usm__strbuf_printf(b,
                     "{\"id\":\"part-%06d\",\"url\":\"" LOCUS_URL "/participant/part-%06d\",\"identity\":"
                     "\"person-%06d\",\"type\":\"USER\",\"state\":\"JOINED\",\"person\":{\"id\":\"person-%06d\","
                     "\"name\":\"Participant %d\",\"email\":\"p%d@example.com\",\"orgId\":\"org-1\","
                     "\"isExternal\":false},\"guest\":false,\"moderator\":%s,\"isCreator\":%s,\"devices\":[{\"url\":"
                     "\"https://127.0.0.1:8443/wdm/api/v1/devices/dev-%06d\",\"deviceType\":\"WEB\",\"state\":"
                     "\"JOINED\",\"intent\":null,\"correlationId\":\"c0ffee00-0000-4000-8000-%012d\"}],"
                     "\"controls\":{\"audio\":{\"muted\":%s},\"video\":{\"muted\":false},\"role\":{\"roles\":"
                     "[{\"type\":\"MODERATOR\",\"hasRole\":%s}]}}}",
                     i, i, i, i, i, i, i == 0 ? "true" : "false", i == 0 ? "true" : "false", i, i,
                     muted ? "true" : "false", i == 0 ? "true" : "false");
}

static void put_seq(usm_strbuf *b, const char *key, long seq) {
  usm__strbuf_printf(b, "\"%s\":{\"entries\":[%ld],\"rangeStart\":0,\"rangeEnd\":0}", key, seq);
}

static void envelope_open(usm_strbuf *b, long n, const char *event_type) {
  usm__strbuf_printf(b,
                     "{\"id\":\"5e1f0000-0000-4000-8000-%012ld\",\"data\":{\"eventType\":\"%s\",\"locusUrl\":"
                     "\"" LOCUS_URL "\",\"locus\":",
                     n, event_type);
}

static void envelope_close(usm_strbuf *b, long n) {
  usm__strbuf_printf(b,
                     "},\"timestamp\":1893456000%03ld,\"trackingId\":\"usm-cloud_0d5b0000-0000-4000-8000-%012ld\","
                     "\"headers\":{},\"sequenceNumber\":%ld}",
                     n % 1000, n, n + 1);
}

/* The full DTO at sequence @p seq; @p muted: per participant, or NULL (none). */
static void put_dto(usm_strbuf *b, int n_parts, long seq, const unsigned char *muted) {
  usm__strbuf_printf(b,
                     "{\"url\":\"" LOCUS_URL "\",\"created\":\"2030-01-01T00:00:00.000Z\",\"info\":{\"sipUri\":"
                     "\"2551234567@localsite.webex.com\",\"webExMeetingId\":\"2551234567\",\"webExSite\":"
                     "\"localsite.webex.com\",\"webExMeetingName\":\"Bench\",\"isUnifiedSpaceMeeting\":true,"
                     "\"isPmr\":false,\"owner\":\"person-000000\"},\"host\":{\"id\":\"person-000000\",\"name\":"
                     "\"Participant 0\",\"orgId\":\"org-1\",\"isExternal\":false},\"fullState\":{\"active\":true,"
                     "\"count\":%d,\"locked\":false,\"state\":\"ACTIVE\",\"type\":\"MEETING\",\"lastActive\":"
                     "\"2030-01-01T00:00:00.000Z\"},\"controls\":{\"lock\":{\"locked\":false}},\"participants\":[",
                     n_parts);
  for (int i = 0; i < n_parts; i++) {
    if (i) usm__strbuf_printf(b, ",");
    put_part(b, i, muted && muted[i]);
  }
  usm__strbuf_printf(b, "],\"self\":");
  put_part(b, 0, 0);
  usm__strbuf_printf(b, ",");
  put_seq(b, "sequence", seq);
  usm__strbuf_printf(b, ",\"syncUrl\":\"" LOCUS_URL "/sync\"}");
}

typedef struct frames {
  char **text;
  size_t *len;
  size_t n, bytes;
} frames;

static void frames_add(frames *f, usm_strbuf *b) {
  f->text[f->n] = b->data;
  f->len[f->n] = b->len;
  f->bytes += b->len;
  f->n++;
}

static void frames_alloc(frames *f, size_t n) {
  f->text = calloc(n, sizeof *f->text);
  f->len = calloc(n, sizeof *f->len);
  f->n = f->bytes = 0;
  if (!f->text || !f->len) abort();
}

static void frames_free(frames *f) {
  for (size_t i = 0; i < f->n; i++) free(f->text[i]);
  free(f->text);
  free(f->len);
}

/* The first event: the full DTO at sequence 100. */
#define FIRST_SEQ 100

/* Both chains walk the same states: change i toggles the audio mute of
 * participant 1 + i % (n - 1) (never self, participant 0). */
static int toggled(int n_parts, size_t i) { return 1 + (int)(i % (size_t)(n_parts - 1)); }

/* @p k full-DTO events, sequence 101..: the whole locus after change i. */
static void build_full_chain(frames *f, int n_parts, size_t k) {
  frames_alloc(f, k);
  unsigned char *muted = calloc((size_t)n_parts, 1);
  if (!muted) abort();
  for (size_t i = 0; i < k; i++) {
    muted[toggled(n_parts, i)] ^= 1;
    usm_strbuf b;
    usm__strbuf_init(&b, 0);
    envelope_open(&b, (long)i, "locus.participant_joined");
    put_dto(&b, n_parts, FIRST_SEQ + 1 + (long)i, muted);
    envelope_close(&b, (long)i);
    frames_add(f, &b);
  }
  free(muted);
}

/* @p k deltas, each based on the last: only the participant change i toggles. */
static void build_delta_chain(frames *f, int n_parts, size_t k) {
  frames_alloc(f, k);
  unsigned char *muted = calloc((size_t)n_parts, 1);
  if (!muted) abort();
  for (size_t i = 0; i < k; i++) {
    int who = toggled(n_parts, i);
    muted[who] ^= 1;
    usm_strbuf b;
    usm__strbuf_init(&b, 0);
    envelope_open(&b, (long)i, "locus.difference");
    usm__strbuf_printf(&b, "{\"url\":\"" LOCUS_URL "\",");
    put_seq(&b, "baseSequence", FIRST_SEQ + (long)i);
    usm__strbuf_printf(&b, ",");
    put_seq(&b, "sequence", FIRST_SEQ + 1 + (long)i);
    usm__strbuf_printf(&b, ",\"participants\":[");
    put_part(&b, who, muted[who]);
    usm__strbuf_printf(&b, "]}");
    envelope_close(&b, (long)i);
    frames_add(f, &b);
  }
  free(muted);
}

/* ---- a joined meeting without a network ---------------------------------- */

static size_t callbacks;

static void on_event(usm_meeting *m, const usm_event *ev, void *user) {
  (void)m;
  (void)ev;
  (void)user;
  callbacks++;
}

/* A meeting linked into @p c as usm_meetings_create links one, JOINED by
 * the first full DTO (as the join's answer would make it). */
static usm_meeting *joined_meeting(usm_client *c, const char *first_dto) {
  usm_meeting *m = calloc(1, sizeof *m);
  if (!m) abort();
  m->magic = USM_MEETING_MAGIC;
  m->client = c;
  usm__ooo_init(&m->ooo);
  usm__strbuf_init(&m->last_error, 0);
  m->password = USM_PASSWORD_NOT_REQUIRED;
  m->state = USM_MEETING_JOINED;
  m->next = c->meetings;
  if (c->meetings) c->meetings->prev = m;
  c->meetings = m;
  usm_meeting_set_event_cb(m, on_event, NULL);
  cJSON *dto = cJSON_Parse(first_dto);
  usm_err e = USM_OK;
  if (!dto || !usm__meeting_apply_dto(m, dto, &e) || e != USM_OK || !m->locus_json || !m->locus_url) {
    fprintf(stderr, "bench_mercury: the first DTO did not apply (%s)\n", usm_err_name(e));
    exit(1);
  }
  cJSON_Delete(dto);
  return m;
}

/* ---- the two paths -------------------------------------------------------- */

static void bare(const frames *f) {
  for (size_t i = 0; i < f->n; i++) {
    cJSON *root = cJSON_ParseWithLength(f->text[i], f->len[i]);
    sink += root != NULL;
    cJSON_Delete(root);
  }
}

static void real(usm_client *c, const frames *f) {
  for (size_t i = 0; i < f->n; i++) {
    usm__mframe fr;
    if (usm__mframe_parse(f->text[i], f->len[i], &fr) != 0) abort();
    if (fr.event_type && fr.data) usm__events_feed(c, fr.event_type, fr.data);
    usm__mframe_free(&fr);
  }
}

static void bench(usm_client *c, const char *name, int n_parts, const frames *f, const char *first_dto) {
  double tb[ROUNDS], tr[ROUNDS];
  size_t cb_per_round = 0;
  for (int r = 0; r < ROUNDS; r++) { /* alternate, so noise hits both alike */
    usm_meeting *m = joined_meeting(c, first_dto); /* untimed: each round starts from the same locus */
    callbacks = 0;
    double t0 = now_s();
    bare(f);
    double t1 = now_s();
    real(c, f);
    double t2 = now_s();
    tb[r] = t1 - t0;
    tr[r] = t2 - t1;
    if (m->locus->last_seq != FIRST_SEQ + (double)f->n) {
      fprintf(stderr, "bench_mercury: %s: the chain stopped at sequence %.0f of %zu\n", name, m->locus->last_seq,
              FIRST_SEQ + f->n);
      exit(1);
    }
    cb_per_round = callbacks;
    usm_meeting_destroy(m);
  }
  qsort(tb, ROUNDS, sizeof tb[0], cmp);
  qsort(tr, ROUNDS, sizeof tr[0], cmp);
  double b = tb[ROUNDS / 2] / (double)f->n, t = tr[ROUNDS / 2] / (double)f->n;
  printf("%-6s %5d  %8zu B  %11.0f  %11.0f  %6.2f  %5.2f\n", name, n_parts, f->bytes / f->n, 1 / b, 1 / t, t / b,
         (double)cb_per_round / (double)f->n);
}

int main(void) {
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = "usm-bench-token-0123456789abcdef";
  o.log_level = USM_LOG_ERROR;
  usm_client *c = NULL;
  if (usm_client_create(&o, &c) != USM_OK) {
    fprintf(stderr, "bench_mercury: cannot create a client\n");
    return 1;
  }
  static const int sizes[] = {2, 10, 100, 1000};
  printf("bench_mercury: Mercury events through usm__mframe_parse -> usm__events_feed -> callback,\n"
         "median of %d alternating rounds; baseline: cJSON_ParseWithLength + cJSON_Delete of the same frames\n",
         ROUNDS);
  printf("%-6s %5s  %10s  %11s  %11s  %6s  %5s\n", "event", "parts", "frame", "cJSON ev/s", "libusm ev/s", "ratio",
         "cb/ev");
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    int n = sizes[s];
    usm_strbuf first;
    usm__strbuf_init(&first, 0);
    put_dto(&first, n, FIRST_SEQ, NULL);
    /* about 2 MB of full DTOs and 1000+ deltas per round */
    size_t k_full = 2000000 / (first.len + 256);
    if (k_full < 8) k_full = 8;
    if (k_full > 4000) k_full = 4000;
    size_t k_delta = n >= 1000 ? 400 : 2000;
    frames full, delta;
    build_full_chain(&full, n, k_full);
    build_delta_chain(&delta, n, k_delta);
    bench(c, "full", n, &full, first.data);
    bench(c, "delta", n, &delta, first.data);
    frames_free(&full);
    frames_free(&delta);
    usm__strbuf_free(&first);
  }
  usm_client_destroy(c);
  return 0;
}
