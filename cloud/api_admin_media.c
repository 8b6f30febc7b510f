/* The media admin API: POST /admin/media sets the network impairments of a
 * participant's media (or drops its ICE session), makes the media server
 * send it an OFFER over Mercury, or holds back the answer to its next
 * OFFER; GET /admin/media lists every media connection with its ICE, DTLS
 * and ROAP state and counters. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "locus_model.h"
#include "media_internal.h"

/* A number member in [lo, hi]: 1 present, 0 absent, -1 wrong. */
static int num(const cJSON *o, const char *key, double lo, double hi, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) return 0;
  if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi)) return -1;
  *out = v->valuedouble;
  return 1;
}

static int parse_burst(const cJSON *b, cloud_impair_cfg *c) {
  if (!b) return 0;
  if (!cJSON_IsObject(b)) return -1;
  double p = 0, r = 100, bad = 100, good = 0, len = 0, every = 0;
  int gp = num(b, "p", 0, 100, &p), gr = num(b, "r", 0, 100, &r);
  int fl = num(b, "length", 1, 1000, &len), fe = num(b, "every", 1, 100000, &every);
  if (gp < 0 || gr < 0 || fl < 0 || fe < 0 || num(b, "lossBad", 0, 100, &bad) < 0 ||
      num(b, "lossGood", 0, 100, &good) < 0)
    return -1;
  if (fl || fe) { /* fixed bursts: {"length": n, "every": m} */
    if (!fl || !fe || len > every || gp || gr) return -1;
    c->burst_len = (unsigned)len;
    c->burst_every = (unsigned)every;
    return 0;
  }
  if (!gp) return -1; /* Gilbert-Elliott: {"p", "r"?, "lossBad"?, "lossGood"?} */
  c->ge = 1;
  c->ge_p = p;
  c->ge_r = r;
  c->ge_loss_bad = bad;
  c->ge_loss_good = good;
  return 0;
}

static const char *const IMPAIR_KEYS[] = {"loss",      "burstLoss", "jitterMs",
                                          "reorder",   "duplicate", "bandwidthKbps"};

/* 1 when the body sets impairments, 0 when it does not, -1 when wrong. */
static int parse_cfg(const cJSON *body, cloud_impair_cfg *c) {
  memset(c, 0, sizeof *c);
  int any = 0;
  for (size_t i = 0; i < sizeof IMPAIR_KEYS / sizeof IMPAIR_KEYS[0]; i++)
    any |= cJSON_HasObjectItem(body, IMPAIR_KEYS[i]);
  double jitter = 0, bw = 0;
  if (num(body, "loss", 0, 100, &c->loss) < 0 || num(body, "jitterMs", 0, 10000, &jitter) < 0 ||
      num(body, "reorder", 0, 100, &c->reorder) < 0 ||
      num(body, "duplicate", 0, 100, &c->duplicate) < 0 ||
      num(body, "bandwidthKbps", 0, 10000000, &bw) < 0 ||
      parse_burst(cJSON_GetObjectItemCaseSensitive(body, "burstLoss"), c) < 0)
    return -1;
  c->jitter_ms = (unsigned)jitter;
  c->bw_kbps = (unsigned)bw;
  return any;
}

static int matches(const cloud_media_part *p, const char *email, const char *participant) {
  if (p->bot) return 0; /* bots have no network to impair nor ROAP to renegotiate */
  if (participant) return strcmp(p->part_id, participant) == 0;
  if (email) return p->user && cloud_email_eq(p->user->email, email);
  return 1;
}

/* POST /admin/media -> {"matched": n} */
static void set_media(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cJSON *body = cloud_req_json(q);
  const cJSON *email = cJSON_GetObjectItemCaseSensitive(body, "email");
  const cJSON *part = cJSON_GetObjectItemCaseSensitive(body, "participant");
  const cJSON *dir = cJSON_GetObjectItemCaseSensitive(body, "direction");
  const cJSON *drop = cJSON_GetObjectItemCaseSensitive(body, "dropIce");
  const cJSON *offer = cJSON_GetObjectItemCaseSensitive(body, "offer");
  const cJSON *restart = cJSON_GetObjectItemCaseSensitive(body, "iceRestart");
  const cJSON *hold = cJSON_GetObjectItemCaseSensitive(body, "holdOfferAnswer");
  const cJSON *raw = cJSON_GetObjectItemCaseSensitive(body, "roap");
  double tb = 0, hold_ms = 0;
  int has_tb = num(body, "tieBreaker", 0, 4294967295.0, &tb);
  /* holdOfferAnswer: true (3 s) or a number of ms */
  if (cJSON_IsTrue(hold)) hold_ms = 3000;
  int hold_ok = !hold || cJSON_IsBool(hold) ||
                num(body, "holdOfferAnswer", 0, CLOUD_MEDIA_MAX_HOLD_MS, &hold_ms) == 1;
  cloud_impair_cfg cfg;
  int set = body ? parse_cfg(body, &cfg) : -1;
  int up = 1, down = 1;
  if (cJSON_IsString(dir)) {
    up = strcmp(dir->valuestring, "down") != 0;
    down = strcmp(dir->valuestring, "up") != 0;
    if (!up && !down) set = -1;
    if (strcmp(dir->valuestring, "both") && strcmp(dir->valuestring, "up") &&
        strcmp(dir->valuestring, "down"))
      set = -1;
  }
  if (set < 0 || (email && !cJSON_IsString(email)) || (part && !cJSON_IsString(part)) ||
      (dir && !cJSON_IsString(dir)) || (drop && !cJSON_IsBool(drop)) ||
      (offer && !cJSON_IsBool(offer)) || (restart && !cJSON_IsBool(restart)) || has_tb < 0 ||
      !hold_ok || ((has_tb || restart) && !cJSON_IsTrue(offer)) || (raw && !cJSON_IsObject(raw))) {
    cloud_resp_error(r, q, 400, "The input parameters contain invalid items.",
                     "See docs/local-cloud.md, Media.");
    cJSON_Delete(body);
    return;
  }
  /* Without dropIce, offer or holdOfferAnswer, the body is the new
   * impairment ({} clears it). */
  int apply = set == 1 || !(cJSON_IsTrue(drop) || cJSON_IsTrue(offer) || hold || raw);
  size_t n = 0, offered = 0;
  cJSON *failures = cJSON_CreateArray();
  for (size_t i = 0; app->media && i < app->media->parts.len; i++) {
    cloud_media_part *p = app->media->parts.items[i];
    if (!matches(p, cJSON_IsString(email) ? email->valuestring : NULL,
                 cJSON_IsString(part) ? part->valuestring : NULL))
      continue;
    n++;
    if (apply && up) cloud_impair_set(&p->impair[CLOUD_DIR_UP], &cfg);
    if (apply && down) cloud_impair_set(&p->impair[CLOUD_DIR_DOWN], &cfg);
    if (cJSON_IsTrue(drop)) cloud_media_part_new_ice(p); /* the old ufrag/pwd stop working */
    if (hold) p->hold_next_ms = (unsigned)hold_ms;
    char why[200] = "";
    if (raw && cloud_media_roap_push(p, raw, why, sizeof why) != 0)
      fprintf(stderr, "usm-cloud: media: ROAP push to %s: %s\n", p->part_id, why);
    if (cJSON_IsTrue(offer)) {
      uint32_t t = has_tb ? (uint32_t)tb : cloud_media_rand32();
      if (cloud_media_offer_send(p, t, cJSON_IsTrue(restart), why, sizeof why) == 0) {
        offered++;
      } else {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "participantId", p->part_id);
        cJSON_AddStringToObject(f, "reason", why);
        cJSON_AddItemToArray(failures, f);
      }
    }
  }
  cJSON *root = cJSON_CreateObject();
  cJSON_AddNumberToObject(root, "matched", (double)n);
  if (cJSON_IsTrue(offer)) {
    cJSON_AddNumberToObject(root, "offered", (double)offered);
    cJSON_AddItemToObject(root, "failures", failures);
    failures = NULL;
  }
  cJSON_Delete(failures);
  cloud_resp_json(r, 200, root);
  cJSON_Delete(body);
}

static cJSON *kind_json(const cloud_kind_stats *s) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "packetsIn", (double)s->packets_in);
  cJSON_AddNumberToObject(o, "bytesIn", (double)s->bytes_in);
  cJSON_AddNumberToObject(o, "packetsOut", (double)s->packets_out);
  cJSON_AddNumberToObject(o, "bytesOut", (double)s->bytes_out);
  return o;
}

static cJSON *part_json(const cloud_media_part *p) {
  static const char *const KINDS[] = {"audio", "video", "slides"};
  char addr[64] = "";
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "locusId", p->locus_id);
  cJSON_AddStringToObject(o, "participantId", p->part_id);
  if (p->user && p->user->email) cJSON_AddStringToObject(o, "email", p->user->email);
  cJSON_AddStringToObject(o, "mediaId", p->media_id);
  cJSON *csis = cJSON_AddArrayToObject(o, "csis");
  for (int k = 0; k < 2; k++) cJSON_AddItemToArray(csis, cJSON_CreateNumber((double)p->csi[k]));
  if (p->bot) { /* no network: its media and what it did */
    for (int k = 0; k < CLOUD_MEDIA_KINDS; k++)
      cJSON_AddItemToObject(o, KINDS[k], kind_json(&p->stats[k]));
    cJSON_AddItemToObject(o, "bot", cloud_media_bot_json(p));
    return o;
  }
  cJSON_AddNumberToObject(o, "port", p->port);
  cJSON *ice = cJSON_AddObjectToObject(o, "ice");
  cJSON_AddStringToObject(ice, "state", cloud_media_ice_state_name(p->ice));
  cJSON_AddStringToObject(ice, "ufrag", p->ufrag);
  if (p->have_selected) {
    uv_ip4_name(&p->selected, addr, sizeof addr);
    size_t n = strlen(addr);
    snprintf(addr + n, sizeof addr - n, ":%d", ntohs(p->selected.sin_port));
    cJSON_AddStringToObject(ice, "selected", addr);
  }
  cJSON_AddNumberToObject(ice, "checksAnswered", (double)p->ice_ok);
  cJSON_AddNumberToObject(ice, "checksRefused", (double)p->ice_refused);
  cJSON *dtls = cJSON_AddObjectToObject(o, "dtls");
  cJSON_AddStringToObject(dtls, "state", cloud_media_dtls_state_name(p));
  cJSON_AddStringToObject(dtls, "role", p->role == USM__DTLS_SERVER ? "server" : "client");
  for (int k = 0; k < CLOUD_MEDIA_KINDS; k++)
    cJSON_AddItemToObject(o, KINDS[k], kind_json(&p->stats[k]));
  cJSON_AddNumberToObject(o, "rtcpIn", (double)p->rtcp_in);
  cJSON_AddNumberToObject(o, "rtcpOut", (double)p->rtcp_out);
  cJSON_AddNumberToObject(o, "srtpAuthFailures", (double)p->srtp_auth_failures);
  cJSON_AddNumberToObject(o, "replays", (double)p->replays);
  cJSON_AddNumberToObject(o, "dropped", (double)p->dropped);
  cJSON_AddNumberToObject(o, "rembOut", (double)p->remb_out);
  cJSON_AddNumberToObject(o, "nackIn", (double)p->nack_in);
  cJSON_AddNumberToObject(o, "nackServed", (double)p->nack_served);
  cJSON_AddNumberToObject(o, "nackRelayed", (double)p->nack_relayed);
  cJSON_AddNumberToObject(o, "nackThrottled", (double)p->nack_throttled);
  cJSON_AddNumberToObject(o, "nackFailed", (double)p->nack_failed);
  size_t histories = 0;
  for (size_t i = 0; i < CLOUD_MEDIA_MAX_OUT; i++) histories += p->out[i].rtx != NULL;
  cJSON_AddNumberToObject(o, "rtxHistories", (double)histories);
  cJSON_AddItemToObject(o, "roap", cloud_media_offer_json(p));
  cJSON *imp = cJSON_AddObjectToObject(o, "impairment");
  cJSON_AddItemToObject(imp, "up", cloud_impair_json(&p->impair[CLOUD_DIR_UP]));
  cJSON_AddItemToObject(imp, "down", cloud_impair_json(&p->impair[CLOUD_DIR_DOWN]));
  return o;
}

/* GET /admin/media */
static void get_media(cloud_app *app, cloud_req *q, cloud_resp *r) {
  (void)q;
  cJSON *root = cJSON_CreateObject();
  cJSON *list = cJSON_AddArrayToObject(root, "participants");
  if (app->media) cJSON_AddNumberToObject(root, "rtxHistories", (double)app->media->rtx_histories);
  for (size_t i = 0; app->media && i < app->media->parts.len; i++)
    cJSON_AddItemToArray(list, part_json(app->media->parts.items[i]));
  cloud_resp_json(r, 200, root);
}

const cloud_route cloud_admin_media_routes[] = {
    {CLOUD_POST, "/admin/media", set_media, 0},
    {CLOUD_GET, "/admin/media", get_media, 0},
    {0, NULL, NULL, 0},
};
