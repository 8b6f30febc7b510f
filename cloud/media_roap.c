/* The media server's own ROAP offers, as Linus renegotiates a session: an
 * OFFER pushed over Mercury (locus.message.roap, to the participant's
 * connections, routed by its join correlationId), the client's ANSWER or
 * ERROR coming back as PUT .../media, and glare with a client OFFER (the
 * larger tieBreaker keeps its offer). One offer outstanding per connection.
 * Loop thread only. See docs/local-cloud.md, "Media". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "locus_model.h"
#include "mercury.h"
#include "media_internal.h"

const char *cloud_media_offer_state_name(cloud_offer_state s) {
  static const char *const names[] = {"NONE",    "PENDING",    "ANSWERED",
                                      "REFUSED", "BAD_ANSWER", "SUPERSEDED"};
  return names[s];
}

static cloud_ice_snapshot snapshot(const cloud_media_part *p) {
  cloud_ice_snapshot s;
  memcpy(s.ufrag, p->ufrag, sizeof s.ufrag);
  memcpy(s.pwd, p->pwd, sizeof s.pwd);
  s.ice = p->ice;
  s.valid = p->valid;
  s.selected = p->selected;
  s.have_valid = p->have_valid;
  s.have_selected = p->have_selected;
  return s;
}

static void restore(cloud_media_part *p, const cloud_ice_snapshot *s) {
  memcpy(p->ufrag, s->ufrag, sizeof p->ufrag);
  memcpy(p->pwd, s->pwd, sizeof p->pwd);
  p->ice = s->ice;
  p->valid = s->valid;
  p->selected = s->selected;
  p->have_valid = s->have_valid;
  p->have_selected = s->have_selected;
}

static void settle(cloud_media_part *p, cloud_offer_state s) {
  p->offer_state = s;
  free(p->offer_sdp);
  p->offer_sdp = NULL;
}

/* The participant's join correlationId, or NULL. */
static const char *correlation_of(const cloud_media_part *p) {
  const cloud_locus *l = cloud_locus_by_id(&p->srv->app->store, p->locus_id);
  const cloud_participant *cp = l ? cloud_locus_participant(l, p->part_id) : NULL;
  return cp ? cp->correlation_id : NULL;
}

int cloud_media_roap_push(cloud_media_part *p, const cJSON *message, char *err, size_t errlen) {
  const char *corr = correlation_of(p);
  if (!corr) {
    snprintf(err, errlen, "the participant joined without a correlationId");
    return -1;
  }
  cJSON *data = cJSON_CreateObject();
  cJSON_AddStringToObject(data, "eventType", "locus.message.roap");
  cJSON_AddStringToObject(data, "correlationId", corr);
  cJSON_AddItemToObject(data, "message", cJSON_Duplicate(message, 1));
  size_t n = cloud_mercury_send_user(&p->srv->app->mercury, p->user, data);
  cJSON_Delete(data);
  if (n == 0) snprintf(err, errlen, "the participant has no Mercury connection");
  return n ? 0 : -1;
}

static cJSON *offer_msg(int64_t seq, const char *sdp, uint32_t tb) {
  cJSON *msg = cJSON_CreateObject();
  cJSON_AddStringToObject(msg, "messageType", "OFFER");
  cJSON_AddNumberToObject(msg, "seq", (double)seq);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(msg, "sdps"), cJSON_CreateString(sdp));
  cJSON_AddNumberToObject(msg, "tieBreaker", (double)tb);
  cJSON_AddStringToObject(msg, "version", "2");
  return msg;
}

int cloud_media_offer_send(cloud_media_part *p, uint32_t tie_breaker, int ice_restart, char *err,
                           size_t errlen) {
  if (!p->negotiated || !p->last_sdp) {
    snprintf(err, errlen, "nothing negotiated yet");
    return -1;
  }
  cloud_ice_snapshot before = snapshot(p);
  if (ice_restart) {
    do cloud_media_part_new_ice(p);
    while (strcmp(p->ufrag, before.ufrag) == 0);
  }
  char *sdp = NULL;
  int sent = 0;
  if (cloud_media_sdp_offer(p, &sdp, err, errlen) == 0) {
    cJSON *msg = offer_msg(p->last_seq + 1, sdp, tie_breaker);
    sent = cloud_media_roap_push(p, msg, err, errlen) == 0;
    cJSON_Delete(msg);
  }
  if (!sent) {
    free(sdp);
    if (ice_restart) restore(p, &before); /* nothing went out: nothing changes */
    return -1;
  }
  /* A newer offer replaces one still pending (its answer will not match). */
  settle(p, CLOUD_OFFER_PENDING);
  p->offer_sdp = sdp;
  p->offer_seq = ++p->last_seq;
  p->offer_tb = tie_breaker;
  p->offer_restart = ice_restart;
  p->offer_error[0] = '\0';
  p->before_offer = before;
  p->offers_sent++;
  return 0;
}

/* Our ICE-restart offer did not take: the client goes on with the old
 * credentials and the old pair (its consent checks keep it). */
static void roll_back(cloud_media_part *p) {
  if (p->offer_restart) restore(p, &p->before_offer);
}

int cloud_media_offer_answered(cloud_media_part *p, int64_t seq, const char *sdp, char *err,
                               size_t errlen) {
  p->answers_in++;
  if (p->offer_state != CLOUD_OFFER_PENDING || seq != p->offer_seq || !p->offer_sdp) {
    snprintf(err, errlen, "an ANSWER with seq %lld to no pending OFFER", (long long)seq);
    return -2;
  }
  if (cloud_media_sdp_read_answer(p, p->offer_sdp, sdp, err, errlen) != 0) {
    roll_back(p);
    settle(p, CLOUD_OFFER_BAD_ANSWER);
    return -1;
  }
  /* Our offer is now the session: the base of the next one. */
  free(p->last_sdp);
  p->last_sdp = p->offer_sdp;
  p->offer_sdp = NULL;
  settle(p, CLOUD_OFFER_ANSWERED);
  return 0;
}

void cloud_media_offer_refused(cloud_media_part *p, int64_t seq, const char *error_type) {
  p->errors_in++;
  if (p->offer_state != CLOUD_OFFER_PENDING || seq != p->offer_seq) return;
  snprintf(p->offer_error, sizeof p->offer_error, "%s", error_type ? error_type : "");
  roll_back(p);
  settle(p, CLOUD_OFFER_REFUSED);
}

const char *cloud_media_offer_glare(cloud_media_part *p, int has_tb, uint32_t tie_breaker) {
  if (p->offer_state != CLOUD_OFFER_PENDING) return NULL;
  uint32_t theirs = has_tb ? tie_breaker : 0;
  if (theirs > p->offer_tb) { /* theirs wins: our offer is dropped, theirs answered */
    roll_back(p);
    settle(p, CLOUD_OFFER_SUPERSEDED);
    return NULL;
  }
  if (theirs == p->offer_tb) { /* both back off */
    snprintf(p->offer_error, sizeof p->offer_error, "DOUBLECONFLICT");
    roll_back(p);
    settle(p, CLOUD_OFFER_REFUSED);
    return "DOUBLECONFLICT";
  }
  return "CONFLICT"; /* ours stands: the client answers it */
}

cJSON *cloud_media_offer_json(const cloud_media_part *p) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "lastSeq", (double)p->last_seq);
  cJSON_AddNumberToObject(o, "holdOfferAnswerMs", p->hold_next_ms);
  cJSON *off = cJSON_AddObjectToObject(o, "serverOffer");
  cJSON_AddStringToObject(off, "state", cloud_media_offer_state_name(p->offer_state));
  cJSON_AddNumberToObject(off, "seq", (double)p->offer_seq);
  cJSON_AddNumberToObject(off, "tieBreaker", (double)p->offer_tb);
  cJSON_AddBoolToObject(off, "iceRestart", p->offer_restart);
  if (p->offer_error[0]) cJSON_AddStringToObject(off, "errorType", p->offer_error);
  cJSON_AddNumberToObject(o, "offersSent", (double)p->offers_sent);
  cJSON_AddNumberToObject(o, "answersIn", (double)p->answers_in);
  cJSON_AddNumberToObject(o, "errorsIn", (double)p->errors_in);
  return o;
}
