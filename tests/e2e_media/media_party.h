/* Shared by the media end-to-end tests: one participant joined with audio
 * and video, what its media events said, and the payloads that crossed.
 * Header-only so the CHECKs count in the including test (check.h). */
#ifndef USM_TEST_MEDIA_PARTY_H
#define USM_TEST_MEDIA_PARTY_H

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "e2e_world.h"
#include "meeting/media_internal.h"

typedef struct party {
  const char *who;
  e2e_world *w;
  usm_meeting *m;
  usm_media_state media;
  int restarted, failed;
  int roap_events;
  usm_media_state media_at_roap; /* media state when the last ROAP event came */
  char last_roap[256];
  int got[2];          /* payloads received per kind */
  int bad;             /* payloads that were not what the peer sent */
  char peer_tag[8];    /* what the other side writes in its payloads */
} party;

static inline void party_on_event(usm_meeting *m, const usm_event *ev, void *user) {
  (void)m;
  party *p = user;
  if (ev->type == USM_EVENT_ROAP) {
    p->roap_events++;
    p->media_at_roap = p->media;
    snprintf(p->last_roap, sizeof p->last_roap, "%s", ev->roap ? ev->roap : "");
    return;
  }
  if (ev->type != USM_EVENT_MEDIA) return;
  p->media = ev->media;
  if (ev->media == USM_MEDIA_RESTARTED) p->restarted++;
  if (ev->media == USM_MEDIA_FAILED) {
    p->failed++;
    fprintf(stderr, "%s: media failed: %s %s\n", p->who, usm_err_name(ev->error), ev->detail ? ev->detail : "");
  }
}

/* The codec layer's tap: each payload must start with "<peer_tag>-audio"/"-video". */
static inline void party_on_payload(usm_meeting *m, usm__media_kind kind, uint32_t ssrc, const uint8_t *payload,
                                    size_t len, uint32_t ts, uint16_t seq, int marker, void *user) {
  (void)m, (void)ssrc, (void)ts, (void)seq, (void)marker;
  party *p = user;
  char expect[32];
  int n = snprintf(expect, sizeof expect, "%s-%s", p->peer_tag, kind == USM__MEDIA_AUDIO ? "audio" : "video");
  if (len < (size_t)n || memcmp(payload, expect, (size_t)n) != 0) p->bad++;
  p->got[kind]++;
}

static inline int party_both_connected(const party *a, const party *b) {
  return a->media == USM_MEDIA_CONNECTED && b->media == USM_MEDIA_CONNECTED;
}

/* Send @p n audio and video payloads tagged @p tag, pumping between them. */
static inline void party_send(party *from, const char *tag, int n) {
  for (int i = 0; i < n; i++) {
    char payload[64];
    int len = snprintf(payload, sizeof payload, "%s-audio-%d", tag, i);
    CHECK_INT(usm__media_send(from->m, USM__MEDIA_AUDIO, (const uint8_t *)payload, (size_t)len, 0), USM_OK);
    len = snprintf(payload, sizeof payload, "%s-video-%d", tag, i);
    CHECK_INT(usm__media_send(from->m, USM__MEDIA_VIDEO, (const uint8_t *)payload, (size_t)len, 1), USM_OK);
    e2e_pump(from->w, 10);
  }
}

/* Create the meeting for @p dest, join it with audio and video, tap the payloads. */
static inline void party_join(e2e_world *w, usm_client *c, const char *dest, party *p) {
  p->w = w;
  CHECK_INT(e2e_meeting(w, c, dest, &p->m), USM_OK);
  usm_meeting_set_event_cb(p->m, party_on_event, p);
  usm_join_options jo;
  usm_join_options_init(&jo);
  jo.media = USM_MEDIA_ALL;
  e2e_op op = {0};
  CHECK_INT(e2e_await(w, &op, usm_meeting_join(p->m, &jo, e2e_op_done, &op)), USM_OK);
  CHECK_INT(usm_meeting_get_state(p->m), USM_MEETING_JOINED);
  usm__media_set_tap(p->m, party_on_payload, p);
}

#endif
