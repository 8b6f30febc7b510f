/* A participant's media client made of libusm's internal pieces, for the
 * media server's tests: sdp_negotiate offer, ROAP over PUT /media, an ICE
 * controlling check with the STUN codec, a DTLS client, SRTP, RTP and RTCP.
 * Header-only so the CHECKs count in the including test (check.h); it owns
 * the test's e2e world `w`. */
#ifndef USM_TEST_CLOUD_MEDIA_MCLIENT_H
#define USM_TEST_CLOUD_MEDIA_MCLIENT_H

#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "e2e_world.h"
#include "media/dtls.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/sdp_negotiate.h"
#include "media/srtp_session.h"
#include "media/stun.h"

static e2e_world w;

/* ---- HTTP: PUT with a bearer token (cloud_proc only POSTs) ---- */

typedef struct buf {
  char *p;
  size_t n;
} buf;

static inline size_t collect(char *d, size_t size, size_t n, void *u) {
  buf *b = u;
  size_t add = size * n;
  char *p = realloc(b->p, b->n + add + 1);
  if (!p) return 0;
  memcpy(p + b->n, d, add);
  b->p = p;
  b->n += add;
  b->p[b->n] = '\0';
  return add;
}

/* @p method (GET, PUT, POST, DELETE) on @p url with an optional bearer
 * token and JSON body; the status, the response body in *out (free()). */
static inline int http_json(const char *method, const char *url, const char *token, const char *json,
                            char **out) {
  CURL *e = curl_easy_init();
  buf b = {0};
  char auth[256];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  if (token) h = curl_slist_append(h, auth);
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  if (json) curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(e, CURLOPT_CAINFO, w.cloud.ca_file);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
  long status = -1;
  if (curl_easy_perform(e) == CURLE_OK) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(e);
  if (out)
    *out = b.p;
  else
    free(b.p);
  return (int)status;
}

static inline int put_json(const char *url, const char *token, const char *json, char **out) {
  return http_json("PUT", url, token, json, out);
}

/* @p method on the admin listener's @p path. */
static inline int admin_json(const char *method, const char *path, const char *json, char **out) {
  char url[512];
  snprintf(url, sizeof url, "%s%s", w.cloud.admin_url, path);
  return http_json(method, url, NULL, json, out);
}

/* ---- one participant's media client ---- */

typedef struct mclient {
  const char *name, *token;
  char pid[64];
  char media_url[512];
  char media_id[64];
  int fd;
  struct sockaddr_in local, cloud;
  char ufrag[16], pwd[40];
  char rufrag[64], rpwd[128];
  usm__dtls_ctx *ctx;
  usm__dtls *dtls;
  usm__srtp_session *in, *out;
  uint32_t assrc, vssrc;
  int apt, vpt;
  uint16_t aseq, vseq;
  char *offer;
  int vp8; /* offer VP8 only (what the cloud's bots send) instead of H264 + VP8 */
} mclient;

static inline void dtls_out(void *user, const uint8_t *d, size_t len) {
  mclient *c = user;
  sendto(c->fd, d, len, 0, (struct sockaddr *)&c->cloud, sizeof c->cloud);
}

/* One datagram within @p ms; its length or -1. */
static inline ssize_t recv_ms(mclient *c, uint8_t *b, size_t cap, int ms) {
  struct pollfd p = {c->fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return -1;
  return recv(c->fd, b, cap, 0);
}

static inline void mclient_init(mclient *c, const char *name, const char *token, const char *pid,
                         const char *locus_url) {
  memset(c, 0, sizeof *c);
  c->name = name;
  c->token = token;
  snprintf(c->pid, sizeof c->pid, "%s", pid);
  snprintf(c->media_url, sizeof c->media_url, "%s/participant/%s/media", locus_url, pid);
  c->fd = socket(AF_INET, SOCK_DGRAM, 0);
  c->local.sin_family = AF_INET;
  c->local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(c->fd, (struct sockaddr *)&c->local, sizeof c->local);
  socklen_t sl = sizeof c->local;
  getsockname(c->fd, (struct sockaddr *)&c->local, &sl);
  CHECK_INT(usm__dtls_ctx_create(&c->ctx, NULL, 0), USM_OK);
  c->assrc = 0x1000 + (uint32_t)(c->local.sin_port);
  c->vssrc = 0x2000 + (uint32_t)(c->local.sin_port);
  c->aseq = 100;
  c->vseq = 5000;
}

static inline void mclient_free(mclient *c) {
  usm__srtp_session_destroy(c->in);
  usm__srtp_session_destroy(c->out);
  usm__dtls_destroy(c->dtls);
  usm__dtls_ctx_free(c->ctx);
  free(c->offer);
  close(c->fd);
}

/* The body of a media request carrying @p roap (a JSON object text). */
static inline char *media_body(const mclient *c, const char *roap) {
  cJSON *inner = cJSON_Parse(roap);
  cJSON *ls = cJSON_CreateObject();
  cJSON_AddBoolToObject(ls, "audioMuted", 0);
  cJSON_AddBoolToObject(ls, "videoMuted", 0);
  cJSON_AddItemToObject(ls, "roapMessage", inner);
  cJSON_AddItemToObject(ls, "reachability", cJSON_CreateObject());
  char *ls_text = cJSON_PrintUnformatted(ls);
  cJSON_Delete(ls);
  cJSON *b = cJSON_CreateObject();
  cJSON *dev = cJSON_AddObjectToObject(b, "device");
  cJSON_AddStringToObject(dev, "url", "https://example.invalid/device");
  cJSON_AddStringToObject(dev, "deviceType", "WEB");
  cJSON_AddStringToObject(b, "correlationId", "c0ffee");
  cJSON_AddBoolToObject(cJSON_AddObjectToObject(b, "clientMediaPreferences"), "preferTranscoding", 1);
  cJSON *lm = cJSON_CreateObject();
  cJSON_AddStringToObject(lm, "localSdp", ls_text);
  cJSON_AddStringToObject(lm, "mediaId", c->media_id);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(b, "localMedias"), lm);
  free(ls_text);
  char *text = cJSON_PrintUnformatted(b);
  cJSON_Delete(b);
  return text;
}

/* PUTs @p roap; returns the status and the answer's roapMessage (or NULL). */
static inline int roap(mclient *c, const char *roap_text, cJSON **msg) {
  char *body = media_body(c, roap_text), *out = NULL;
  int st = put_json(c->media_url, c->token, body, &out);
  free(body);
  *msg = NULL;
  cJSON *root = out ? cJSON_Parse(out) : NULL;
  free(out);
  CHECK(st != 200 || cJSON_GetObjectItem(root, "locus"));
  cJSON *mc = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "mediaConnections"), 0);
  cJSON *id = cJSON_GetObjectItem(mc, "mediaId"), *rs = cJSON_GetObjectItem(mc, "remoteSdp");
  if (cJSON_IsString(id)) snprintf(c->media_id, sizeof c->media_id, "%s", id->valuestring);
  if (cJSON_IsString(rs)) {
    cJSON *inner = cJSON_Parse(rs->valuestring);
    *msg = cJSON_DetachItemFromObject(inner, "roapMessage");
    cJSON_Delete(inner);
  }
  cJSON_Delete(root);
  return st;
}

static inline void new_creds(mclient *c, int n) {
  snprintf(c->ufrag, sizeof c->ufrag, "u%s%d", c->name, n);
  snprintf(c->pwd, sizeof c->pwd, "pwd%s%dabcdefghijklmnopqrstuv", c->name, n);
}

/* OFFER @p seq and read the ANSWER: the cloud's ICE credentials and address. */
static inline int offer_setup(mclient *c, int seq, int passive);
static inline int offer(mclient *c, int seq) { return offer_setup(c, seq, 0); }

static inline int offer_setup(mclient *c, int seq, int passive) {
  usm__sdp_local l;
  usm__sdp_local_init(&l);
  if (passive) l.setup = USM__SDP_SETUP_PASSIVE;
  l.ice_ufrag = c->ufrag;
  l.ice_pwd = c->pwd;
  l.fp_alg = "sha-256";
  l.fp_value = usm__dtls_ctx_fingerprint(c->ctx);
  l.media[0].ssrc = c->assrc;
  l.media[1].ssrc = c->vssrc;
  if (c->vp8) {
    l.video_codecs[0] = USM__SDP_CODEC_VP8;
    l.n_video_codecs = 1;
  }
  l.session_version = (unsigned)seq;
  free(c->offer);
  c->offer = NULL;
  CHECK_INT(usm__sdp_write_offer(&l, &c->offer, NULL, 0), USM_OK);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "messageType", "OFFER");
  cJSON_AddStringToObject(o, "version", "2");
  cJSON_AddNumberToObject(o, "seq", seq);
  cJSON_AddNumberToObject(o, "tieBreaker", 12345);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "sdps"), cJSON_CreateString(c->offer));
  cJSON *hs = cJSON_AddArrayToObject(o, "headers");
  cJSON_AddItemToArray(hs, cJSON_CreateString("includeAnswerInHttpResponse"));
  cJSON_AddItemToArray(hs, cJSON_CreateString("noOkInTransaction"));
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  cJSON *msg = NULL;
  int st = roap(c, text, &msg);
  free(text);
  CHECK_INT(st, 200);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(msg, "messageType")), "ANSWER");
  CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(msg, "seq")), seq);
  const char *ans = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(msg, "sdps"), 0));
  int ok = ans != NULL;
  CHECK(ok);
  if (ans) {
    /* Linus's shape */
    CHECK(strstr(ans, "o=linus ") != NULL);
    CHECK(strstr(ans, "\r\na=ice-lite\r\n") != NULL);
    CHECK(strstr(ans, passive ? "a=setup:active" : "a=setup:passive") != NULL);
    CHECK(strstr(ans, "a=content:main") != NULL);
    CHECK(strstr(ans, "a=content:slides") != NULL);
    CHECK(strstr(ans, "a=rtcp-mux") != NULL);
    CHECK(strstr(ans, "a=group:BUNDLE 0 1 2") != NULL);
    CHECK(strstr(ans, "a=fingerprint:sha-256 ") != NULL);
    CHECK(strstr(ans, "opus/48000/2") != NULL);
    if (c->vp8)
      CHECK(strstr(ans, "VP8/90000") != NULL && strstr(ans, "H264/90000") == NULL);
    else
      CHECK(strstr(ans, "H264/90000") != NULL && strstr(ans, "packetization-mode=1") != NULL);
    usm__sdp_result *r = NULL;
    char err[200] = "";
    usm_err e = usm__sdp_read_answer(c->offer, strlen(c->offer), ans, strlen(ans), &r, err, sizeof err);
    CHECK_INT(e, USM_OK);
    if (e != USM_OK) fprintf(stderr, "answer: %s\n%s\n", err, ans);
    ok = e == USM_OK;
    if (ok) {
      const usm__sdp_transport *t = &r->media[0].transport;
      CHECK(t->ice_lite);
      CHECK_INT(t->dtls_client, !passive); /* the cloud takes the other role */
      snprintf(c->rufrag, sizeof c->rufrag, "%s", t->ice_ufrag);
      snprintf(c->rpwd, sizeof c->rpwd, "%s", t->ice_pwd);
      int port = 0;
      CHECK_INT(t->n_candidates, 1);
      if (t->n_candidates) {
        const char *p = strstr(t->candidates[0], "127.0.0.1 ");
        if (p) port = atoi(p + 10);
        CHECK(strstr(t->candidates[0], "typ host") != NULL);
      }
      CHECK(port > 0);
      c->cloud.sin_family = AF_INET;
      c->cloud.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      c->cloud.sin_port = htons((uint16_t)port);
      c->apt = r->media[0].pt;
      c->vpt = r->media[1].pt;
      CHECK_INT(r->media[0].codec, USM__SDP_CODEC_OPUS);
      CHECK_INT(r->media[1].codec, c->vp8 ? USM__SDP_CODEC_VP8 : USM__SDP_CODEC_H264);
      if (!c->dtls) {
        usm__dtls_config cfg = {.role = passive ? USM__DTLS_SERVER : USM__DTLS_CLIENT,
                                .fingerprint_alg = t->fp_alg,
                                .fingerprint = t->fp_value,
                                .send = dtls_out,
                                .user = c,
                                .initial_timeout_ms = 200};
        CHECK_INT(usm__dtls_create(c->ctx, &cfg, &c->dtls), USM_OK);
      }
    }
    usm__sdp_result_free(r);
  }
  cJSON_Delete(msg);
  return ok ? 0 : -1;
}

/* A Binding request with @p ufrag/@p pwd of the cloud: 2xx class, 4xx code, or -1. */
static inline int ice_check(mclient *c, const char *rufrag, const char *rpwd, int nominate) {
  uint8_t b[512];
  char user[200];
  snprintf(user, sizeof user, "%s:%s", rufrag, c->ufrag);
  usm__stun_builder sb;
  size_t len = 0;
  usm__stun_build_begin(&sb, b, sizeof b, USM__STUN_BINDING, USM__STUN_REQUEST, NULL);
  uint8_t tid[USM__STUN_TID_LEN];
  memcpy(tid, usm__stun_build_tid(&sb), sizeof tid);
  usm__stun_add_attr(&sb, USM__STUN_ATTR_USERNAME, user, strlen(user));
  usm__stun_add_u32(&sb, USM__STUN_ATTR_PRIORITY, 1845501695u);
  usm__stun_add_u64(&sb, USM__STUN_ATTR_ICE_CONTROLLING, 0x1122334455667788ull);
  if (nominate) usm__stun_add_flag(&sb, USM__STUN_ATTR_USE_CANDIDATE);
  usm__stun_add_integrity(&sb, (const uint8_t *)rpwd, strlen(rpwd));
  usm__stun_add_fingerprint(&sb);
  if (usm__stun_build_finish(&sb, &len) != USM_OK) return -1;
  sendto(c->fd, b, len, 0, (struct sockaddr *)&c->cloud, sizeof c->cloud);
  for (int i = 0; i < 50; i++) {
    uint8_t in[2048];
    ssize_t n = recv_ms(c, in, sizeof in, 100);
    usm__stun_msg m;
    if (n <= 0 || !usm__stun_is_message(in, (size_t)n) || usm__stun_parse(in, (size_t)n, &m) != USM_OK ||
        memcmp(m.tid, tid, sizeof tid) != 0)
      continue;
    CHECK_INT(usm__stun_check_fingerprint(&m), USM_OK);
    if (m.cls == USM__STUN_ERROR) {
      int code = 0;
      const uint8_t *reason;
      size_t rl;
      usm__stun_get_error(&m, &code, &reason, &rl);
      return code;
    }
    CHECK_INT(usm__stun_check_integrity(&m, (const uint8_t *)rpwd, strlen(rpwd)), USM_OK);
    usm__stun_addr a;
    CHECK_INT(usm__stun_get_addr(&m, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, &a), USM_OK);
    CHECK_INT(a.port, ntohs(c->local.sin_port));
    return 200;
  }
  return -1;
}

/* The DTLS handshake as client, then SRTP sessions. */
static inline int handshake(mclient *c) {
  char why[256] = "";
  CHECK_INT(usm__dtls_start(c->dtls, why, sizeof why), USM_OK);
  long deadline = e2e_now_ms() + 8000;
  while (usm__dtls_get_state(c->dtls) == USM__DTLS_HANDSHAKING && e2e_now_ms() < deadline) {
    uint8_t in[4096];
    long t = usm__dtls_timeout_ms(c->dtls);
    ssize_t n = recv_ms(c, in, sizeof in, t < 0 || t > 100 ? 100 : (int)t);
    if (n > 0 && in[0] >= 20 && in[0] <= 63) usm__dtls_feed(c->dtls, in, (size_t)n, why, sizeof why);
    usm__dtls_handle_timeout(c->dtls, why, sizeof why);
  }
  CHECK_INT(usm__dtls_get_state(c->dtls), USM__DTLS_CONNECTED);
  if (usm__dtls_get_state(c->dtls) != USM__DTLS_CONNECTED) {
    fprintf(stderr, "%s: DTLS: %s\n", c->name, why);
    return -1;
  }
  CHECK_INT(usm__dtls_srtp_sessions(c->dtls, &c->in, &c->out), USM_OK);
  return 0;
}

static inline void send_rtp(mclient *c, int video, const char *payload) {
  uint8_t b[1500];
  usm__rtp_header h = {.pt = (uint8_t)(video ? c->vpt : c->apt),
                       .seq = video ? c->vseq++ : c->aseq++,
                       .timestamp = 1000u * (video ? c->vseq : c->aseq),
                       .ssrc = video ? c->vssrc : c->assrc};
  size_t len = 0, out = 0;
  CHECK_INT(usm__rtp_build(&h, (const uint8_t *)payload, strlen(payload), b, sizeof b, &len), USM_OK);
  CHECK_INT(usm__srtp_protect_rtp(c->out, b, len, sizeof b, &out), USM_OK);
  sendto(c->fd, b, out, 0, (struct sockaddr *)&c->cloud, sizeof c->cloud);
}

static inline void send_rtcp(mclient *c, uint8_t *b, size_t len, size_t cap) {
  size_t out = 0;
  CHECK_INT(usm__srtp_protect_rtcp(c->out, b, len, cap, &out), USM_OK);
  sendto(c->fd, b, out, 0, (struct sockaddr *)&c->cloud, sizeof c->cloud);
}

/* What one receiver saw. */
typedef struct seen {
  int rtp, audio, video, bad, rtcp, rr_for, pli_for;
  uint32_t audio_ssrc, video_ssrc, ssrc_mismatch;
  uint32_t pli_media;
} seen;

/* Reads for @p ms: RTP whose payload starts with @p prefix, RTCP RR blocks
 * about @p rr_ssrc, PLIs. */
static inline void drain(mclient *c, int ms, const char *prefix, uint32_t rr_ssrc, seen *s) {
  long until = e2e_now_ms() + ms;
  while (e2e_now_ms() < until) {
    uint8_t b[2048];
    ssize_t n = recv_ms(c, b, sizeof b, 20);
    if (n <= 0) continue;
    size_t plain = 0;
    if (usm__rtp_is_rtcp(b, (size_t)n)) {
      if (usm__srtp_unprotect_rtcp(c->in, b, (size_t)n, &plain) != USM_OK) {
        s->bad++;
        continue;
      }
      s->rtcp++;
      usm__rtcp_iter it;
      usm__rtcp_pkt k;
      if (usm__rtcp_iter_init(&it, b, plain) != USM_OK) {
        s->bad++;
        continue;
      }
      while (usm__rtcp_iter_next(&it, &k)) {
        usm__rtcp_report rep;
        usm__rtcp_fb fb;
        if (k.pt == USM__RTCP_RR && usm__rtcp_parse_report(&k, &rep) == USM_OK) {
          for (size_t i = 0; i < rep.rb_count; i++) {
            usm__rtcp_report_block rb;
            usm__rtcp_report_block_get(&rep, i, &rb);
            if (rb.ssrc == rr_ssrc) s->rr_for++;
          }
        } else if (k.pt == USM__RTCP_PSFB && usm__rtcp_parse_fb(&k, &fb) == USM_OK &&
                   fb.fmt == USM__RTCP_FB_PLI) {
          s->pli_for++;
          s->pli_media = fb.media_ssrc;
        }
      }
      continue;
    }
    usm__rtp_view v;
    if (usm__srtp_unprotect_rtp(c->in, b, (size_t)n, &plain) != USM_OK ||
        usm__rtp_parse(b, plain, &v) != USM_OK) {
      s->bad++;
      continue;
    }
    if (v.payload_len < strlen(prefix) || memcmp(v.payload, prefix, strlen(prefix)) != 0) continue;
    s->rtp++;
    int video = strstr((const char *)v.payload, "video") != NULL;
    uint32_t *want = video ? &s->video_ssrc : &s->audio_ssrc;
    if (!*want) *want = v.ssrc;
    if (*want != v.ssrc) s->ssrc_mismatch++;
    if (video) {
      s->video++;
      CHECK_INT(v.pt, c->vpt);
    } else {
      s->audio++;
      CHECK_INT(v.pt, c->apt);
    }
  }
}

/* ---- the cloud's state ---- */

/* The locus URL and the participant ids of host and alice from /admin/state. */
static inline int find_locus(char *url, size_t cap, char *host_id, char *alice_id) {
  char *state = NULL;
  CHECK_INT(e2e_admin_get(&w, "/admin/state", &state), 200);
  cJSON *root = cJSON_Parse(state ? state : "");
  free(state);
  cJSON *l, *p;
  int found = 0;
  cJSON_ArrayForEach(l, cJSON_GetObjectItem(root, "loci")) {
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(l, "participants")) {
      const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(p, "name"));
      const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(p, "id"));
      if (!name || !id) continue;
      if (strcmp(name, "Hana Host") == 0) snprintf(host_id, 64, "%s", id), found |= 1;
      if (strcmp(name, "Alice Attendee") == 0) snprintf(alice_id, 64, "%s", id), found |= 2;
    }
    if (found & 1) {
      snprintf(url, cap, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(l, "url")));
      break;
    }
  }
  cJSON_Delete(root);
  return found;
}

static inline cJSON *admin_media(void) {
  char *text = NULL;
  CHECK_INT(e2e_admin_get(&w, "/admin/media", &text), 200);
  cJSON *o = cJSON_Parse(text ? text : "");
  free(text);
  return o;
}

static inline cJSON *admin_part(cJSON *root, const char *pid) {
  cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItem(root, "participants")) {
    if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p, "participantId")), pid) == 0) return p;
  }
  return NULL;
}


#endif
