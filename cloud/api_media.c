/* ROAP over Locus (PROTOCOL.md §5.2): PUT {locusUrl}/participant/{id}/media.
 * The body's localMedias[0].localSdp is a JSON string holding the ROAP
 * message; the answer comes back in the HTTP response
 * (includeAnswerInHttpResponse) inside mediaConnections[0].remoteSdp, also a
 * JSON string. TURN_DISCOVERY_REQUEST, OFFER, OK and ERROR are understood,
 * and ANSWER / ERROR to the server's own OFFER (media_roap.c). A client
 * OFFER crossing ours is glare: the larger tieBreaker keeps its offer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "locus_dto.h"
#include "locus_model.h"
#include "media_internal.h"
#include "rest/json.h"

#define MAX_LOCAL_SDP (256u * 1024) /* the ROAP JSON with its SDP */
#define MAX_MEDIA_ID 64

static void bad(cloud_resp *r, const cloud_req *q, long code, const char *msg) {
  cloud_resp_locus_error(r, q, 400, code, msg);
}

/* seq: a non-negative integer, or a decimal string ("0") as the official
 * tests write it. 0 ok, -1 wrong. */
static int read_seq(const cJSON *roap, double *seq) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(roap, "seq");
  char *end = NULL;
  if (cJSON_IsNumber(v))
    *seq = v->valuedouble;
  else if (cJSON_IsString(v) && v->valuestring[0] && strlen(v->valuestring) < 16)
    *seq = strtod(v->valuestring, &end);
  else
    return -1;
  if ((end && *end) || *seq < 0 || *seq > 9007199254740991.0 || *seq != (double)(long long)*seq)
    return -1;
  return 0;
}

/* The participant's media connection for @p media_id: the same one when the
 * id matches (or is empty and nothing was negotiated yet), else a new one
 * (a reconnect: the old one closes). NULL with *why set. */
static cloud_media_part *connection(cloud_media *m, const cloud_locus *l, const cloud_participant *cp,
                                    const char *media_id, int create, char *why, size_t whylen) {
  cloud_media_part *p = cloud_media_find(m, cp->id);
  if (p && media_id && strcmp(media_id, p->media_id) == 0) return p;
  if (p && (!media_id || !*media_id) && !p->negotiated) return p;
  if (!create) return NULL;
  if (p) cloud_media_part_close(p);
  return cloud_media_part_new(m, l->id, cp->id, cp->user, why, whylen);
}

/* 200 {locus, mediaConnections:[{mediaId, remoteSdp?}]}; takes @p roap. */
static void reply(cloud_app *app, cloud_req *q, cloud_resp *r, const cloud_locus *l,
                  const cloud_media_part *p, cJSON *roap) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddItemToObject(root, "locus", cloud_locus_dto(app, l, q->user));
  cJSON *conns = cJSON_AddArrayToObject(root, "mediaConnections");
  if (p) {
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "mediaId", p->media_id);
    if (roap) {
      cJSON *inner = cJSON_CreateObject();
      cJSON_AddItemToObject(inner, "roapMessage", roap);
      roap = NULL;
      char *text = cJSON_PrintUnformatted(inner);
      cJSON_Delete(inner);
      if (text) cJSON_AddStringToObject(c, "remoteSdp", text);
      cJSON_free(text);
    }
    cJSON_AddItemToArray(conns, c);
  }
  cJSON_Delete(roap);
  cloud_resp_json(r, 200, root);
}

static cJSON *roap_msg(const char *type, double seq) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "messageType", type);
  cJSON_AddStringToObject(o, "version", "2");
  cJSON_AddNumberToObject(o, "seq", seq);
  return o;
}

static void turn_discovery(cloud_app *app, cloud_req *q, cloud_resp *r, const cloud_locus *l,
                           cloud_media_part *p, double seq) {
  cloud_media *m = app->media;
  cJSON *msg = roap_msg("TURN_DISCOVERY_RESPONSE", seq);
  cJSON *headers = cJSON_AddArrayToObject(msg, "headers");
  if (m->turn_url) {
    char h[1200];
    snprintf(h, sizeof h, "x-cisco-turn-url=%s", m->turn_url);
    cJSON_AddItemToArray(headers, cJSON_CreateString(h));
    snprintf(h, sizeof h, "x-cisco-turn-username=%s", m->turn_user);
    cJSON_AddItemToArray(headers, cJSON_CreateString(h));
    snprintf(h, sizeof h, "x-cisco-turn-password=%s", m->turn_password);
    cJSON_AddItemToArray(headers, cJSON_CreateString(h));
  }
  cJSON_AddItemToArray(headers, cJSON_CreateString("noOkInTransaction"));
  reply(app, q, r, l, p, msg);
}

/* sdps[0] of @p roap, or NULL. */
static const char *sdp_of(const cJSON *roap) {
  const cJSON *sdps = cJSON_GetObjectItemCaseSensitive(roap, "sdps");
  const cJSON *sdp = cJSON_GetArrayItem(sdps, 0);
  return cJSON_IsArray(sdps) && cJSON_IsString(sdp) ? sdp->valuestring : NULL;
}

static void offer(cloud_app *app, cloud_req *q, cloud_resp *r, cloud_locus *l,
                  cloud_media_part *p, int fresh, const cJSON *roap, double seq) {
  const char *sdp = sdp_of(roap);
  const cJSON *tb = cJSON_GetObjectItemCaseSensitive(roap, "tieBreaker");
  char why[256] = "";
  char *answer = NULL;
  int tb_ok = !tb || (cJSON_IsNumber(tb) && tb->valuedouble >= 0 && tb->valuedouble <= 4294967295.0);
  const char *glare = NULL;
  if (!sdp || !tb_ok) {
    snprintf(why, sizeof why, "an OFFER needs sdps[0] as a string and a numeric tieBreaker");
  } else if ((glare = cloud_media_offer_glare(p, tb != NULL, tb ? (uint32_t)tb->valuedouble : 0))) {
    /* our pending OFFER wins (or both lose): the client answers ours */
    cJSON *msg = roap_msg("ERROR", seq);
    cJSON_AddStringToObject(msg, "errorType", glare);
    reply(app, q, r, l, p, msg);
    return;
  } else if (cloud_media_sdp_answer(p, sdp, strlen(sdp), &answer, why, sizeof why) == 0 &&
             (p->dtls || cloud_media_part_dtls_setup(p, why, sizeof why) == 0)) {
    p->negotiated = 1;
    /* its media starts: the others learn its CSIs (a locus change) */
    cloud_locus_set_csis(l, p->part_id, p->csi);
    cJSON *msg = roap_msg("ANSWER", seq);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(msg, "sdps"), cJSON_CreateString(answer));
    free(answer);
    reply(app, q, r, l, p, msg);
    /* holdOfferAnswer: the answer waits, so a test can cross offers */
    r->hold_ms = p->hold_next_ms;
    p->hold_next_ms = 0;
    return;
  }
  free(answer);
  fprintf(stderr, "usm-cloud: media: offer refused: %s\n", why);
  if (fresh) cloud_media_part_close(p);
  bad(r, q, 2400005, "INVALID_SDP");
}

static void note_seq(cloud_media_part *p, double seq) {
  if ((int64_t)seq > p->last_seq) p->last_seq = (int64_t)seq;
}

/* The client's ANSWER to our OFFER: 200 without a ROAP message when it
 * applies (no OK: the transaction ends with it). */
static void answer(cloud_app *app, cloud_req *q, cloud_resp *r, const cloud_locus *l,
                   cloud_media_part *p, const cJSON *roap, int64_t seq) {
  const char *sdp = sdp_of(roap);
  char why[256] = "";
  if (!p) {
    bad(r, q, 2400004, "INVALID_ROAP_MESSAGE");
    return;
  }
  note_seq(p, (double)seq);
  if (!sdp) {
    p->answers_in++;
    bad(r, q, 2400005, "INVALID_SDP");
    return;
  }
  int rc = cloud_media_offer_answered(p, seq, sdp, why, sizeof why);
  if (rc != 0) {
    fprintf(stderr, "usm-cloud: media: answer refused: %s\n", why);
    bad(r, q, rc == -1 ? 2400005 : 2400004, rc == -1 ? "INVALID_SDP" : "INVALID_ROAP_MESSAGE");
    return;
  }
  reply(app, q, r, l, p, NULL);
}

/* PUT {locusUrl}/participant/{pid}/media */
static void put_media(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_locus *l = cloud_locus_by_id(&app->store, q->params[0]);
  cloud_participant *cp = l ? cloud_locus_participant(l, q->params[1]) : NULL;
  if (!l) {
    cloud_resp_locus_error(r, q, 404, 2404000, "LOCUS_NOT_FOUND");
    return;
  }
  if (!cp) {
    cloud_resp_locus_error(r, q, 404, 2404001, "PARTICIPANT_NOT_FOUND");
    return;
  }
  if (cp->user != q->user) {
    cloud_resp_locus_error(r, q, 403, 2403004, "NOT_THE_REQUESTING_PARTICIPANT");
    return;
  }
  if (l->ended) {
    cloud_resp_locus_error(r, q, 409, 2409001, "MEETING_NOT_ACTIVE");
    return;
  }
  if (cp->state != CLOUD_PART_JOINED) {
    cloud_resp_locus_error(r, q, 403, 2403002, "REQUESTING_PARTICIPANT_NOT_JOINED");
    return;
  }
  if (!app->media) {
    cloud_resp_locus_error(r, q, 503, 2503000, "MEDIA_NOT_AVAILABLE");
    return;
  }
  cJSON *body = cloud_req_json(q);
  const cJSON *lms = cJSON_GetObjectItemCaseSensitive(body, "localMedias");
  const cJSON *lm = cJSON_GetArrayItem(lms, 0);
  const cJSON *ls = cJSON_GetObjectItemCaseSensitive(lm, "localSdp");
  const cJSON *mid = cJSON_GetObjectItemCaseSensitive(lm, "mediaId");
  if (!body || !cJSON_IsArray(lms) || cJSON_GetArraySize(lms) < 1 || cJSON_GetArraySize(lms) > 4 ||
      !cJSON_IsObject(lm) || !cJSON_IsString(ls) || strlen(ls->valuestring) > MAX_LOCAL_SDP ||
      (mid && !cJSON_IsNull(mid) &&
       (!cJSON_IsString(mid) || strlen(mid->valuestring) > MAX_MEDIA_ID))) {
    bad(r, q, 2400000, "INVALID_REQUEST_BODY");
    cJSON_Delete(body);
    return;
  }
  const char *media_id = cJSON_IsString(mid) ? mid->valuestring : NULL;
  cJSON *inner = usm__json_parse(ls->valuestring, strlen(ls->valuestring));
  const cJSON *roap = cJSON_GetObjectItemCaseSensitive(inner, "roapMessage");
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(roap, "messageType");
  double seq = 0;
  if (!cJSON_IsObject(inner) || !cJSON_IsObject(roap) || !cJSON_IsString(type) ||
      read_seq(roap, &seq) != 0) {
    bad(r, q, 2400000, "INVALID_REQUEST_BODY");
  } else {
    const char *t = type->valuestring;
    int is_turn = strcmp(t, "TURN_DISCOVERY_REQUEST") == 0, is_offer = strcmp(t, "OFFER") == 0;
    char why[200] = "";
    if (is_turn || is_offer) {
      cloud_media_part *before = cloud_media_find(app->media, cp->id);
      cloud_media_part *p = connection(app->media, l, cp, media_id, 1, why, sizeof why);
      if (p) note_seq(p, seq);
      if (!p)
        cloud_resp_locus_error(r, q, 503, 2503001, "MEDIA_RESOURCES_EXHAUSTED");
      else if (is_turn)
        turn_discovery(app, q, r, l, p, seq);
      else
        offer(app, q, r, l, p, p != before, roap, seq);
    } else if (strcmp(t, "ANSWER") == 0) {
      answer(app, q, r, l, connection(app->media, l, cp, media_id, 0, why, sizeof why), roap,
             (int64_t)seq);
    } else if (strcmp(t, "OK") == 0 || strcmp(t, "ERROR") == 0) {
      /* an ERROR refuses our OFFER of that seq; an OK confirms nothing more */
      cloud_media_part *p = connection(app->media, l, cp, media_id, 0, why, sizeof why);
      const cJSON *et = cJSON_GetObjectItemCaseSensitive(roap, "errorType");
      if (p) note_seq(p, seq);
      if (p && t[0] == 'E')
        cloud_media_offer_refused(p, (int64_t)seq, cJSON_IsString(et) ? et->valuestring : NULL);
      reply(app, q, r, l, p, NULL);
    } else {
      bad(r, q, 2400004, "INVALID_ROAP_MESSAGE");
    }
  }
  cJSON_Delete(inner);
  cJSON_Delete(body);
}

const cloud_route cloud_media_routes[] = {
    {CLOUD_PUT, "/locus/api/v1/loci/{id}/participant/{pid}/media", put_media, 0},
    {0, NULL, NULL, 0},
};
