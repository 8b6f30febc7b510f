/* ROAP over Locus: building our messages, the media request queue, and
 * reading the answers (PROTOCOL.md §5.1-5.2). */
#include "meeting/roap.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "core/decimal.h"
#include "meeting/meeting_internal.h"
#include "rest/json.h"

#define MAX_MEDIA_ID 256

typedef enum req_kind { REQ_TURN, REQ_OFFER, REQ_ANSWER, REQ_OK, REQ_ERROR } req_kind;

typedef struct roap_req {
  req_kind kind;
  char *body;
  long timeout_ms;
  usm__roap_turn_cb turn_cb;
  usm__roap_reply_cb reply_cb;
  void *user;
} roap_req;

struct usm__roap {
  int64_t last_seq;  /* the highest seq sent or received; our next OFFER uses the next one */
  int busy;          /* a request is in flight: the rest wait (the official queue) */
  roap_req queue[USM__ROAP_QUEUE_MAX];
  size_t head, n;
  char *media_id;    /* from mediaConnections: sent back in every later request */
};

/* ---- reading ------------------------------------------------------------------ */

static const struct {
  const char *name;
  usm__roap_type type;
} TYPES[] = {
  {"OFFER", USM__ROAP_OFFER},
  {"ANSWER", USM__ROAP_ANSWER},
  {"OK", USM__ROAP_OK},
  {"ERROR", USM__ROAP_ERROR},
  {"TURN_DISCOVERY_REQUEST", USM__ROAP_TURN_DISCOVERY_REQUEST},
  {"TURN_DISCOVERY_RESPONSE", USM__ROAP_TURN_DISCOVERY_RESPONSE},
};

static const char *type_name(usm__roap_type t) {
  for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
    if (TYPES[i].type == t) return TYPES[i].name;
  return "UNKNOWN";
}

/* A non-negative integer, as a number or a decimal string; -1 otherwise. */
static int64_t read_int(const cJSON *v, int64_t max) {
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if (!isfinite(d) || d < 0 || d > (double)max || d != floor(d)) return -1;
    return (int64_t)d;
  }
  uint64_t n;
  if (!cJSON_IsString(v) || !usm__decimal(v->valuestring, strlen(v->valuestring), (uint64_t)max, &n)) return -1;
  return (int64_t)n;
}

usm_err usm__roap_parse(const cJSON *o, usm__roap_msg *out) {
  memset(out, 0, sizeof *out);
  out->type = USM__ROAP_UNKNOWN;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "messageType");
  if (!cJSON_IsObject(o) || !cJSON_IsString(t)) return USM_ERR_MALFORMED;
  for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
    if (strcmp(t->valuestring, TYPES[i].name) == 0) out->type = TYPES[i].type;
  if (out->type == USM__ROAP_UNKNOWN) return USM_ERR_MALFORMED;
  out->seq = read_int(cJSON_GetObjectItemCaseSensitive(o, "seq"), INT32_MAX);
  if (out->seq < 0) return USM_ERR_MALFORMED;
  const cJSON *sdps = cJSON_GetObjectItemCaseSensitive(o, "sdps");
  const cJSON *sdp = cJSON_GetArrayItem(sdps, 0);
  if (sdps && !cJSON_IsArray(sdps)) return USM_ERR_MALFORMED;
  if (sdp) {
    if (!cJSON_IsString(sdp)) return USM_ERR_MALFORMED;
    if (strlen(sdp->valuestring) > USM__ROAP_MAX_SDP) return USM_ERR_LIMIT;
    out->sdp = sdp->valuestring;
  }
  if ((out->type == USM__ROAP_OFFER || out->type == USM__ROAP_ANSWER) && !out->sdp) return USM_ERR_MALFORMED;
  const cJSON *tb = cJSON_GetObjectItemCaseSensitive(o, "tieBreaker");
  if (tb) {
    int64_t v = read_int(tb, UINT32_MAX);
    if (v < 0) return USM_ERR_MALFORMED;
    out->has_tie_breaker = 1;
    out->tie_breaker = (uint32_t)v;
  }
  const cJSON *et = cJSON_GetObjectItemCaseSensitive(o, "errorType");
  const cJSON *ec = cJSON_GetObjectItemCaseSensitive(o, "errorCause");
  out->error_type = cJSON_IsString(et) ? et->valuestring : NULL;
  out->error_cause = cJSON_IsString(ec) ? ec->valuestring : NULL;
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "headers");
  if (h && !cJSON_IsArray(h)) return USM_ERR_MALFORMED;
  out->headers = h;
  return USM_OK;
}

int usm__roap_has_header(const usm__roap_msg *msg, const char *name) {
  const cJSON *h;
  cJSON_ArrayForEach(h, msg->headers) {
    if (cJSON_IsString(h) && strcmp(h->valuestring, name) == 0) return 1;
  }
  return 0;
}

/* "name=value" among the headers: the value, or NULL. */
static const char *header_value(const usm__roap_msg *msg, const char *name) {
  size_t n = strlen(name);
  const cJSON *h;
  cJSON_ArrayForEach(h, msg->headers) {
    if (cJSON_IsString(h) && strncmp(h->valuestring, name, n) == 0 && h->valuestring[n] == '=')
      return h->valuestring + n + 1;
  }
  return NULL;
}

usm__glare usm__roap_glare(uint32_t ours, uint32_t theirs) {
  /* RFC-style tie break as ROAP does it: the larger tieBreaker keeps its offer */
  if (ours == theirs) return USM__GLARE_DOUBLE;
  return ours > theirs ? USM__GLARE_WE_WIN : USM__GLARE_THEY_WIN;
}

/* ---- the queue ------------------------------------------------------------------ */

static usm__roap *state(usm_meeting *m) {
  if (!m->roap) m->roap = calloc(1, sizeof *m->roap);
  return m->roap;
}

static void req_clear(roap_req *q) {
  free(q->body);
  memset(q, 0, sizeof *q);
}

void usm__roap_free(usm_meeting *m) {
  usm__roap *r = m->roap;
  if (!r) return;
  while (r->n) {
    req_clear(&r->queue[r->head]);
    r->head = (r->head + 1) % USM__ROAP_QUEUE_MAX;
    r->n--;
  }
  free(r->media_id);
  free(r);
  m->roap = NULL;
}

static void pump(usm_meeting *m);
static cJSON *message(const char *type, int64_t seq);
static usm_err enqueue(usm_meeting *m, req_kind kind, cJSON *msg, const usm__roap_media_state *st, long timeout_ms,
                       usm__roap_turn_cb turn_cb, usm__roap_reply_cb reply_cb, void *user);
static usm_err enqueue_at(usm_meeting *m, int front, req_kind kind, cJSON *msg, const usm__roap_media_state *st,
                          long timeout_ms, usm__roap_turn_cb turn_cb, usm__roap_reply_cb reply_cb, void *user);

/* Report a failure to the request's owner. 0 when m is gone. */
static int fail(usm_meeting *m, roap_req *q, usm_err err) {
  if (!usm__cb_begin(m->client)) return 0;
  usm__meeting_hold(m);
  if (q->turn_cb) q->turn_cb(m, err, NULL, q->user);
  if (q->reply_cb) q->reply_cb(m, err, NULL, q->user);
  int alive = !m->dead && !m->client->dead;
  usm__meeting_release(m);
  usm__cb_end(m->client);
  return alive;
}

/* The ROAP message inside a media answer's mediaConnections (last one
 * wins, as the official parser takes the last mediaId). */
static cJSON *answer_roap(usm_meeting *m, const cJSON *root) {
  const cJSON *mc, *conns = cJSON_GetObjectItemCaseSensitive(root, "mediaConnections");
  cJSON *roap = NULL;
  cJSON_ArrayForEach(mc, conns) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(mc, "mediaId");
    if (cJSON_IsString(id) && strlen(id->valuestring) <= MAX_MEDIA_ID && m->roap)
      usm__set_str(&m->roap->media_id, id->valuestring);
    const cJSON *sdp = cJSON_GetObjectItemCaseSensitive(mc, "remoteSdp");
    if (!cJSON_IsString(sdp)) continue;
    cJSON *inner = usm__json_parse(sdp->valuestring, strlen(sdp->valuestring));
    cJSON *msg = cJSON_DetachItemFromObjectCaseSensitive(inner, "roapMessage");
    cJSON_Delete(inner);
    if (msg) {
      cJSON_Delete(roap);
      roap = msg;
    }
  }
  return roap;
}

static void on_media(usm_meeting *m, usm__mreq *mq, const usm_http_result *res) {
  (void)mq;
  usm__roap *r = m->roap;
  if (!r || !r->busy || r->n == 0) return; /* left meanwhile */
  roap_req q = r->queue[r->head];
  r->head = (r->head + 1) % USM__ROAP_QUEUE_MAX;
  r->n--;
  r->busy = 0;
  int alive = 1;
  if (res->status.err != USM_OK) {
    char detail[512];
    usm__http_detail(res, detail, sizeof detail);
    usm__log(m->client, USM_LOG_WARN, "roap: media request failed: %s", detail);
    alive = fail(m, &q, res->status.err == USM_ERR_TIMEOUT ? USM_ERR_TIMEOUT : usm__locus_err(res, 0));
  } else {
    cJSON *root = usm__json_parse(res->status.body, res->body_len);
    cJSON *roap = answer_roap(m, root);
    usm_err e;
    if (cJSON_GetObjectItemCaseSensitive(root, "locus")) alive = usm__meeting_apply_dto(m, usm__locus_of(root), &e);
    cJSON_Delete(root);
    usm__roap_msg msg;
    usm_err pe = roap ? usm__roap_parse(roap, &msg) : USM_ERR_MALFORMED;
    if (alive && pe == USM_OK && msg.seq > (m->roap ? m->roap->last_seq : 0) && m->roap) m->roap->last_seq = msg.seq;
    if (!alive) {
      /* m is gone: nothing to report */
    } else if (q.kind == REQ_TURN) {
      if (pe != USM_OK || msg.type != USM__ROAP_TURN_DISCOVERY_RESPONSE) {
        alive = fail(m, &q, USM_ERR_ROAP);
      } else {
        usm__turn_info t = {header_value(&msg, "x-cisco-turn-url"), header_value(&msg, "x-cisco-turn-username"),
                            header_value(&msg, "x-cisco-turn-password")};
        int ok_needed = !usm__roap_has_header(&msg, "noOkInTransaction");
        if (usm__cb_begin(m->client)) {
          usm__meeting_hold(m);
          if (q.turn_cb) q.turn_cb(m, t.url ? USM_OK : USM_ERR_ROAP, t.url ? &t : NULL, q.user);
          alive = !m->dead && !m->client->dead;
          usm__meeting_release(m);
          usm__cb_end(m->client);
        }
        /* without noOkInTransaction the official client acknowledges with OK
         * seq 0, ahead of anything queued meanwhile: it ends this transaction */
        if (alive && ok_needed && m->roap &&
            enqueue_at(m, 1, REQ_OK, message(type_name(USM__ROAP_OK), 0), NULL, 0, NULL, NULL, NULL) != USM_OK)
          usm__log(m->client, USM_LOG_WARN, "roap: could not acknowledge TURN discovery");
      }
    } else if (q.reply_cb) {
      if (pe != USM_OK && q.kind == REQ_OFFER) {
        alive = fail(m, &q, USM_ERR_ROAP); /* an offer must be answered */
      } else if (usm__cb_begin(m->client)) {
        usm__meeting_hold(m);
        q.reply_cb(m, USM_OK, pe == USM_OK ? &msg : NULL, q.user);
        alive = !m->dead && !m->client->dead;
        usm__meeting_release(m);
        usm__cb_end(m->client);
      }
    }
    cJSON_Delete(roap);
  }
  free(q.body);
  if (alive) pump(m);
}

static void pump(usm_meeting *m) {
  usm__roap *r = m->roap;
  while (r && !r->busy && r->n) {
    roap_req *q = &r->queue[r->head];
    const char *self_url = m->locus ? m->locus->self_url : NULL;
    char url[4096];
    usm_err e = USM_ERR_WRONG_STATE;
    if (self_url && (size_t)snprintf(url, sizeof url, "%s/media", self_url) < sizeof url)
      e = usm__mreq_send_timed(m, "PUT", url, q->body, USM__MREQ_LOCUS, q->timeout_ms, on_media, NULL, NULL);
    if (e == USM_OK) {
      r->busy = 1;
      return;
    }
    roap_req failed = *q;
    r->head = (r->head + 1) % USM__ROAP_QUEUE_MAX;
    r->n--;
    int alive = fail(m, &failed, e);
    free(failed.body);
    if (!alive) return;
    r = m->roap;
  }
}

/* ---- building ------------------------------------------------------------------ */

static cJSON *message(const char *type, int64_t seq) {
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "messageType", type) || !cJSON_AddStringToObject(o, "version", "2") ||
      !cJSON_AddNumberToObject(o, "seq", (double)seq)) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static int add_sdp(cJSON *msg, const char *sdp) {
  cJSON *arr = cJSON_AddArrayToObject(msg, "sdps"), *s = cJSON_CreateString(sdp);
  if (!arr || !s || !cJSON_AddItemToArray(arr, s)) {
    cJSON_Delete(s);
    return 0;
  }
  return 1;
}

/* includeAnswerInHttpResponse + noOkInTransaction: the answer comes back in
 * the HTTP response and needs no OK. */
static int add_offer_headers(cJSON *msg) {
  const char *h[] = {"includeAnswerInHttpResponse", "noOkInTransaction"};
  cJSON *arr = cJSON_CreateStringArray(h, 2);
  return arr && cJSON_AddItemToObject(msg, "headers", arr);
}

/* The request body around @p msg (consumed). */
static char *media_body(usm_meeting *m, cJSON *msg, const usm__roap_media_state *st) {
  cJSON *local = cJSON_CreateObject();
  int ok = local && msg && cJSON_AddBoolToObject(local, "audioMuted", st && st->audio_muted) &&
           cJSON_AddBoolToObject(local, "videoMuted", st && st->video_muted) &&
           cJSON_AddItemToObject(local, "roapMessage", msg);
  if (!ok && !cJSON_GetObjectItemCaseSensitive(local, "roapMessage")) cJSON_Delete(msg);
  char *local_text = ok ? cJSON_PrintUnformatted(local) : NULL;
  cJSON_Delete(local);
  cJSON *o = local_text ? usm__meeting_device_body(m, 1) : NULL;
  cJSON *prefs = o ? cJSON_AddObjectToObject(o, "clientMediaPreferences") : NULL;
  cJSON *medias = o ? cJSON_AddArrayToObject(o, "localMedias") : NULL;
  cJSON *lm = cJSON_CreateObject();
  ok = o && prefs && medias && lm && cJSON_AddStringToObject(o, "correlationId", m->correlation_id) &&
       cJSON_AddTrueToObject(prefs, "preferTranscoding") && cJSON_AddNumberToObject(prefs, "ipver", 4) &&
       cJSON_AddStringToObject(lm, "localSdp", local_text) &&
       cJSON_AddStringToObject(lm, "mediaId", m->roap && m->roap->media_id ? m->roap->media_id : "") &&
       cJSON_AddItemToArray(medias, lm);
  if (!ok) cJSON_Delete(lm);
  char *body = ok ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  cJSON_free(local_text);
  return body;
}

static usm_err enqueue(usm_meeting *m, req_kind kind, cJSON *msg, const usm__roap_media_state *st, long timeout_ms,
                       usm__roap_turn_cb turn_cb, usm__roap_reply_cb reply_cb, void *user) {
  return enqueue_at(m, 0, kind, msg, st, timeout_ms, turn_cb, reply_cb, user);
}

/* @p front: next to go (only while nothing is in flight). */
static usm_err enqueue_at(usm_meeting *m, int front, req_kind kind, cJSON *msg, const usm__roap_media_state *st,
                          long timeout_ms, usm__roap_turn_cb turn_cb, usm__roap_reply_cb reply_cb, void *user) {
  usm__roap *r = state(m);
  if (!r) {
    cJSON_Delete(msg);
    return USM_ERR_NO_MEMORY;
  }
  if (r->n == USM__ROAP_QUEUE_MAX) {
    cJSON_Delete(msg);
    return USM_ERR_LIMIT;
  }
  char *body = media_body(m, msg, st);
  if (!body) return USM_ERR_NO_MEMORY;
  if (front && r->busy) front = 0;
  if (front) r->head = (r->head + USM__ROAP_QUEUE_MAX - 1) % USM__ROAP_QUEUE_MAX;
  roap_req *q = &r->queue[front ? r->head : (r->head + r->n) % USM__ROAP_QUEUE_MAX];
  *q = (roap_req){kind, usm__strdup(body), timeout_ms, turn_cb, reply_cb, user};
  cJSON_free(body);
  if (!q->body) return USM_ERR_NO_MEMORY;
  r->n++;
  usm__log(m->client, USM_LOG_DEBUG, "roap: queued a media request (%zu waiting)", r->n);
  pump(m);
  return USM_OK;
}

static usm_err joined(usm_meeting *m) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  if (m->state != USM_MEETING_JOINED || !m->locus || !m->locus->self_url) return USM_ERR_WRONG_STATE;
  return USM_OK;
}

static int sdp_ok(const char *sdp) { return sdp && sdp[0] && strlen(sdp) <= USM__ROAP_MAX_SDP; }

usm_err usm__roap_turn_discovery(usm_meeting *m, usm__roap_turn_cb cb, void *user) {
  usm_err e = joined(m);
  if (e != USM_OK) return e;
  cJSON *msg = message(type_name(USM__ROAP_TURN_DISCOVERY_REQUEST), 0);
  if (!msg || !add_offer_headers(msg)) {
    cJSON_Delete(msg);
    return USM_ERR_NO_MEMORY;
  }
  return enqueue(m, REQ_TURN, msg, NULL, USM__ROAP_TURN_TIMEOUT_MS, cb, NULL, user);
}

usm_err usm__roap_offer(usm_meeting *m, const char *sdp, uint32_t tie_breaker, const usm__roap_media_state *st,
                        usm__roap_reply_cb cb, void *user) {
  usm_err e = joined(m);
  if (e != USM_OK) return e;
  if (!sdp_ok(sdp)) return USM_ERR_INVALID_ARG;
  usm__roap *r = state(m);
  if (!r) return USM_ERR_NO_MEMORY;
  cJSON *msg = message(type_name(USM__ROAP_OFFER), r->last_seq + 1);
  if (!msg || !add_sdp(msg, sdp) || !cJSON_AddNumberToObject(msg, "tieBreaker", tie_breaker) ||
      !add_offer_headers(msg)) {
    cJSON_Delete(msg);
    return USM_ERR_NO_MEMORY;
  }
  r->last_seq++;
  return enqueue(m, REQ_OFFER, msg, st, USM__ROAP_OFFER_TIMEOUT_MS, NULL, cb, user);
}

usm_err usm__roap_answer(usm_meeting *m, int64_t seq, const char *sdp, const usm__roap_media_state *st,
                         usm__roap_reply_cb cb, void *user) {
  usm_err e = joined(m);
  if (e != USM_OK) return e;
  if (!sdp_ok(sdp) || seq < 0) return USM_ERR_INVALID_ARG;
  cJSON *msg = message(type_name(USM__ROAP_ANSWER), seq);
  if (!msg || !add_sdp(msg, sdp)) {
    cJSON_Delete(msg);
    return USM_ERR_NO_MEMORY;
  }
  usm__roap *r = state(m);
  if (r && seq > r->last_seq) r->last_seq = seq;
  return enqueue(m, REQ_ANSWER, msg, st, USM__ROAP_OFFER_TIMEOUT_MS, NULL, cb, user);
}

usm_err usm__roap_error(usm_meeting *m, int64_t seq, const char *error_type, usm__roap_reply_cb cb, void *user) {
  usm_err e = joined(m);
  if (e != USM_OK) return e;
  if (!error_type || seq < 0) return USM_ERR_INVALID_ARG;
  cJSON *msg = message(type_name(USM__ROAP_ERROR), seq);
  if (!msg || !cJSON_AddStringToObject(msg, "errorType", error_type)) {
    cJSON_Delete(msg);
    return USM_ERR_NO_MEMORY;
  }
  /* a refused server OFFER used its seq up too: our next OFFER goes above it */
  usm__roap *r = state(m);
  if (r && seq > r->last_seq) r->last_seq = seq;
  return enqueue(m, REQ_ERROR, msg, NULL, 0, NULL, cb, user);
}
