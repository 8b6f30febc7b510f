/* Mercury frames on arbitrary bytes: usm__mframe_parse, and when the frame
 * is an event, usm__events_feed on a client holding one joined meeting
 * whose working copy is a fixed full DTO, so the Locus routing, full-DTO
 * replacement, delta merge, out-of-order queue, roster diff and the
 * application's callbacks all run on fuzzed data. Each input gets a fresh
 * meeting, destroyed afterwards (its sync requests are cancelled before the
 * loop ever runs them: nothing is sent). Seeds: fuzz/corpus/mercury_frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <usm/usm.h>

#include "core/client_internal.h"
#include "meeting/meeting_internal.h"
#include "mercury/frames.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOCUS "http://127.0.0.1:1/locus/api/v1/loci/fz"
#define CORRELATION "7d3c1f60-2b8e-4c55-9a41-0e6f2d9b8a11"
#define PART(id, state, mod, muted)                                                                             \
  "{\"id\":\"" id "\",\"url\":\"" LOCUS "/participant/" id "\",\"identity\":\"person-" id "\",\"type\":\"USER\"," \
  "\"state\":\"" state "\",\"person\":{\"id\":\"person-" id "\",\"name\":\"Name " id "\",\"email\":\"" id         \
  "@example.com\",\"orgId\":\"org\",\"isExternal\":false},\"guest\":false,\"moderator\":" mod ",\"devices\":"     \
  "[{\"url\":\"http://127.0.0.1:1/wdm/api/v1/devices/" id "\",\"deviceType\":\"WEB\",\"state\":\"" state "\","   \
  "\"intent\":null}],\"controls\":{\"audio\":{\"muted\":" muted "},\"video\":{\"muted\":false},\"role\":"         \
  "{\"roles\":[{\"type\":\"MODERATOR\",\"hasRole\":" mod "}]}}}"

/* The meeting's working copy: three in the meeting, one who left; self is "a". */
static const char working[] =
    "{\"url\":\"" LOCUS "\",\"info\":{\"sipUri\":\"1@s\",\"webExMeetingId\":\"2551234567\"},"
    "\"host\":{\"id\":\"person-a\"},\"fullState\":{\"active\":true,\"count\":3,\"locked\":false,\"state\":"
    "\"ACTIVE\",\"type\":\"MEETING\"},\"controls\":{\"lock\":{\"locked\":false}},\"participants\":["
    PART("a", "JOINED", "true", "false") "," PART("b", "JOINED", "false", "true") ","
    PART("c", "JOINED", "false", "false") "," PART("d", "LEFT", "false", "false") "],\"self\":"
    PART("a", "JOINED", "true", "false") ",\"sequence\":{\"entries\":[10],\"rangeStart\":0,\"rangeEnd\":0},"
    "\"syncUrl\":\"" LOCUS "/sync\"}";

static usm_client *client;
static cJSON *working_json;

/* Touch what an application may read in each event. */
static void on_event(usm_meeting *m, const usm_event *ev, void *user) {
  size_t *n = user;
  (*n)++;
  if (ev->participant) {
    const usm_participant *p = ev->participant;
    *n += strlen(p->id) + (p->name ? strlen(p->name) : 0) + (p->email ? strlen(p->email) : 0);
  }
  if (ev->roap) *n += strlen(ev->roap);
  if (ev->detail) *n += strlen(ev->detail);
  *n += usm_meeting_participant_count(m);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = "usm-fuzz-token-0123456789abcdef";
  o.log_level = USM_LOG_ERROR;
  if (usm_client_create(&o, &client) != USM_OK) abort();
  working_json = cJSON_Parse(working);
  if (!working_json) abort();
  return 0;
}

/* A meeting linked into the client as usm_meetings_create links one, then
 * joined by the working copy (as the join's answer would do). */
static usm_meeting *joined(size_t *events) {
  usm_meeting *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->magic = USM_MEETING_MAGIC;
  m->client = client;
  usm__ooo_init(&m->ooo);
  usm__strbuf_init(&m->last_error, 0);
  m->password = USM_PASSWORD_NOT_REQUIRED;
  m->state = USM_MEETING_JOINED;
  memcpy(m->correlation_id, CORRELATION, sizeof m->correlation_id);
  m->next = client->meetings;
  if (client->meetings) client->meetings->prev = m;
  client->meetings = m;
  usm_meeting_set_event_cb(m, on_event, events);
  usm_err e;
  if (!usm__meeting_apply_dto(m, working_json, &e) || e != USM_OK || !m->locus_json) abort();
  return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > USM__MERCURY_MAX_FRAME) return 0; /* the connection refuses larger messages */
  size_t events = 0;
  usm_meeting *m = joined(&events);
  if (!m) return 0;
  usm__mframe f;
  if (usm__mframe_parse((const char *)data, size, &f) == 0) {
    if (!f.root) abort();
    if (f.has_seq && f.seq < 0) abort();
    (void)usm__mframe_is_auth_reply(&f);
    if (f.event_type && f.data) {
      usm__events_feed(client, f.event_type, f.data);
      /* the same event again: a duplicate (or a second out-of-order delta) */
      if (usm__meeting_ok(m) && strncmp(f.event_type, "locus.", 6) == 0)
        usm__events_feed(client, f.event_type, f.data);
    }
    usm__mframe_free(&f);
  } else if (f.root || f.data || f.type) {
    abort(); /* a failed parse leaves nothing behind */
  }
  /* the working copy stays a locus, and the roster agrees with it */
  if (m->state == USM_MEETING_JOINED && (!m->locus || !m->locus_json)) abort();
  usm_meeting_destroy(m);
  usm_client_process(client); /* closes the meeting's timers */
  return 0;
}
