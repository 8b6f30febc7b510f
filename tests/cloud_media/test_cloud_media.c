/* usm-cloud's media server end to end (issue 5): two participants join
 * through libusm's public API, then each plays its own media client with
 * libusm's internal pieces (sdp_negotiate offer, ROAP over PUT /media, an
 * ICE controlling check with the STUN codec, DTLS client, SRTP) and media
 * flows through the cloud's SFU both ways, with RTCP, impairments, dropIce
 * and an ICE restart; malformed ROAP bodies get 400. */
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

static size_t collect(char *d, size_t size, size_t n, void *u) {
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

static int put_json(const char *url, const char *token, const char *json, char **out) {
  CURL *e = curl_easy_init();
  buf b = {0};
  char auth[256];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  struct curl_slist *h = curl_slist_append(NULL, auth);
  h = curl_slist_append(h, "Content-Type: application/json");
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
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
} mclient;

static void dtls_out(void *user, const uint8_t *d, size_t len) {
  mclient *c = user;
  sendto(c->fd, d, len, 0, (struct sockaddr *)&c->cloud, sizeof c->cloud);
}

/* One datagram within @p ms; its length or -1. */
static ssize_t recv_ms(mclient *c, uint8_t *b, size_t cap, int ms) {
  struct pollfd p = {c->fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return -1;
  return recv(c->fd, b, cap, 0);
}

static void mclient_init(mclient *c, const char *name, const char *token, const char *pid,
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

static void mclient_free(mclient *c) {
  usm__srtp_session_destroy(c->in);
  usm__srtp_session_destroy(c->out);
  usm__dtls_destroy(c->dtls);
  usm__dtls_ctx_free(c->ctx);
  free(c->offer);
  close(c->fd);
}

/* The body of a media request carrying @p roap (a JSON object text). */
static char *media_body(const mclient *c, const char *roap) {
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
static int roap(mclient *c, const char *roap_text, cJSON **msg) {
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

static void new_creds(mclient *c, int n) {
  snprintf(c->ufrag, sizeof c->ufrag, "u%s%d", c->name, n);
  snprintf(c->pwd, sizeof c->pwd, "pwd%s%dabcdefghijklmnopqrstuv", c->name, n);
}

/* OFFER @p seq and read the ANSWER: the cloud's ICE credentials and address. */
static int offer_setup(mclient *c, int seq, int passive);
static int offer(mclient *c, int seq) { return offer_setup(c, seq, 0); }

static int offer_setup(mclient *c, int seq, int passive) {
  usm__sdp_local l;
  usm__sdp_local_init(&l);
  if (passive) l.setup = USM__SDP_SETUP_PASSIVE;
  l.ice_ufrag = c->ufrag;
  l.ice_pwd = c->pwd;
  l.fp_alg = "sha-256";
  l.fp_value = usm__dtls_ctx_fingerprint(c->ctx);
  l.media[0].ssrc = c->assrc;
  l.media[1].ssrc = c->vssrc;
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
      CHECK_INT(r->media[1].codec, USM__SDP_CODEC_H264);
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
static int ice_check(mclient *c, const char *rufrag, const char *rpwd, int nominate) {
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
static int handshake(mclient *c) {
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

static void send_rtp(mclient *c, int video, const char *payload) {
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

static void send_rtcp(mclient *c, uint8_t *b, size_t len, size_t cap) {
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
static void drain(mclient *c, int ms, const char *prefix, uint32_t rr_ssrc, seen *s) {
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

/* ---- the scenario ---- */

/* The locus URL and the participant ids of host and alice from /admin/state. */
static int find_locus(char *url, size_t cap, char *host_id, char *alice_id) {
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

static cJSON *admin_media(void) {
  char *text = NULL;
  CHECK_INT(e2e_admin_get(&w, "/admin/media", &text), 200);
  cJSON *o = cJSON_Parse(text ? text : "");
  free(text);
  return o;
}

static cJSON *admin_part(cJSON *root, const char *pid) {
  cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItem(root, "participants")) {
    if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p, "participantId")), pid) == 0) return p;
  }
  return NULL;
}

static void malformed(mclient *a, mclient *b) {
  static const char *const bodies[] = {
      "this is not JSON",
      "{}",
      "{\"localMedias\":[]}",
      "{\"localMedias\":{}}",
      "{\"localMedias\":[{\"localSdp\":{\"roapMessage\":{}}}]}",                       /* not a string */
      "{\"localMedias\":[{\"localSdp\":\"not json\"}]}",
      "{\"localMedias\":[{\"localSdp\":\"{}\"}]}",
      "{\"localMedias\":[{\"localSdp\":\"{\\\"roapMessage\\\":{\\\"messageType\\\":\\\"HELLO\\\",\\\"seq\\\":1}}\"}]}",
      "{\"localMedias\":[{\"localSdp\":\"{\\\"roapMessage\\\":{\\\"messageType\\\":\\\"OFFER\\\",\\\"seq\\\":1}}\"}]}",
      "{\"localMedias\":[{\"localSdp\":\"{\\\"roapMessage\\\":{\\\"messageType\\\":\\\"OFFER\\\",\\\"seq\\\":-4,\\\"sdps\\\":[\\\"v=0\\\"]}}\"}]}",
      "{\"localMedias\":[{\"localSdp\":\"{\\\"roapMessage\\\":{\\\"messageType\\\":\\\"OFFER\\\",\\\"seq\\\":1,\\\"sdps\\\":[\\\"garbage\\\"]}}\"}]}",
      "{\"localMedias\":[{\"localSdp\":\"{\\\"roapMessage\\\":{\\\"messageType\\\":\\\"OFFER\\\",\\\"seq\\\":1,\\\"sdps\\\":[7]}}\"}]}",
      "{\"localMedias\":[{\"localSdp\":\"{\\\"roapMessage\\\":{\\\"messageType\\\":\\\"ANSWER\\\",\\\"seq\\\":1,\\\"sdps\\\":[\\\"v=0\\\"]}}\"}]}",
      "{\"localMedias\":[{\"localSdp\":\"{\\\"roapMessage\\\":{\\\"messageType\\\":\\\"OFFER\\\",\\\"seq\\\":1}}\",\"mediaId\":5}]}",
  };
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    char *out = NULL;
    int st = put_json(a->media_url, a->token, bodies[i], &out);
    CHECK_INT(st, 400);
    if (st != 400) fprintf(stderr, "body %zu: %s\n", i, out ? out : "");
    CHECK(out && strstr(out, "\"errorCode\"") != NULL);
    free(out);
  }
  /* an offer with no codec in common (PCMU, VP9) */
  const char *no_codec =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\n"
      "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 "
      "AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA\r\n"
      "a=setup:actpass\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\n";
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "messageType", "OFFER");
  cJSON_AddNumberToObject(o, "seq", 9);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "sdps"), cJSON_CreateString(no_codec));
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  char *body = media_body(a, text), *out = NULL;
  CHECK_INT(put_json(a->media_url, a->token, body, &out), 400);
  CHECK(out && strstr(out, "INVALID_SDP") != NULL);
  free(out);
  /* someone else's participant: 403; an unknown one: 404; POST: 405 */
  CHECK_INT(put_json(b->media_url, a->token, body, NULL), 403);
  char url[600];
  snprintf(url, sizeof url, "%s", a->media_url);
  char *pid = strstr(url, a->pid);
  if (pid) memcpy(pid, "00000000", 8);
  CHECK_INT(put_json(url, a->token, body, NULL), 404);
  CHECK_INT(cloud_proc_post(&w.cloud, a->media_url, a->token, body, NULL, NULL), 405);
  free(body);
  free(text);
}

static void scenario(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  usm_client *alice = e2e_client(&w, E2E_ALICE_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, "alice@example.com", number, sip, password), 0);
  usm_meeting *mh = NULL, *ma = NULL;
  CHECK_INT(e2e_meeting(&w, host, number, &mh), USM_OK);
  CHECK_INT(e2e_meeting(&w, alice, sip, &ma), USM_OK);
  e2e_op op = {0};
  if (!mh || !ma) goto done;
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(mh, NULL, e2e_op_done, &op)), USM_OK);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(ma, NULL, e2e_op_done, &op)), USM_OK);

  char locus[512] = "", hid[64] = "", aid[64] = "";
  CHECK_INT(find_locus(locus, sizeof locus, hid, aid), 3);
  mclient A, B;
  mclient_init(&A, "A", E2E_HOST_TOKEN, hid, locus);
  mclient_init(&B, "B", E2E_ALICE_TOKEN, aid, locus);

  /* TURN discovery without TURN configured: only noOkInTransaction */
  cJSON *msg = NULL;
  CHECK_INT(roap(&A, "{\"messageType\":\"TURN_DISCOVERY_REQUEST\",\"version\":\"2\",\"seq\":0,"
                     "\"headers\":[\"includeAnswerInHttpResponse\",\"noOkInTransaction\"]}",
                 &msg),
            200);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(msg, "messageType")), "TURN_DISCOVERY_RESPONSE");
  cJSON *hs = cJSON_GetObjectItem(msg, "headers");
  CHECK_INT(cJSON_GetArraySize(hs), 1);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(hs, 0)), "noOkInTransaction");
  CHECK_INT(strlen(A.media_id), 36);
  cJSON_Delete(msg);
  char first_media_id[64];
  snprintf(first_media_id, sizeof first_media_id, "%s", A.media_id);

  malformed(&A, &B);

  new_creds(&A, 1);
  new_creds(&B, 1);
  if (offer(&A, 1) != 0 || offer(&B, 1) != 0) goto out;
  CHECK_STR(A.media_id, first_media_id); /* the TURN discovery's connection, echoed */
  CHECK(A.cloud.sin_port != B.cloud.sin_port);

  /* ICE: a wrong password is refused; a nominated check selects the pair */
  CHECK_INT(ice_check(&A, A.rufrag, "wrong-password-0123456789", 1), 401);
  CHECK_INT(ice_check(&A, A.rufrag, A.rpwd, 1), 200);
  CHECK_INT(ice_check(&B, B.rufrag, B.rpwd, 1), 200);
  if (handshake(&A) != 0 || handshake(&B) != 0) goto out;

  /* A -> B and B -> A, audio and video */
  for (int i = 0; i < 10; i++) {
    char p[64];
    snprintf(p, sizeof p, "from-A audio %d", i);
    send_rtp(&A, 0, p);
    snprintf(p, sizeof p, "from-A video %d", i);
    send_rtp(&A, 1, p);
    snprintf(p, sizeof p, "from-B audio %d", i);
    send_rtp(&B, 0, p);
  }
  seen sb = {0}, sa = {0};
  drain(&B, 700, "from-A", 0, &sb);
  drain(&A, 300, "from-B", 0, &sa);
  CHECK_INT(sb.audio, 10);
  CHECK_INT(sb.video, 10);
  CHECK_INT(sb.ssrc_mismatch, 0);
  CHECK_INT(sb.bad, 0);
  CHECK(sb.audio_ssrc && sb.audio_ssrc != A.assrc && sb.audio_ssrc != sb.video_ssrc);
  CHECK(sb.video_ssrc && sb.video_ssrc != A.vssrc);
  CHECK_INT(sa.audio, 10);
  CHECK(sa.audio_ssrc && sa.audio_ssrc != B.assrc);
  CHECK(sb.rtcp > 0); /* the cloud's SRs for the forwarded streams */

  /* RTCP: A's SR gets an RR about A's audio back */
  uint8_t rb[256];
  size_t len = 0;
  usm__rtcp_sender_info si = {0x83aa7e8000000000ull, 1234, 10, 100};
  CHECK_INT(usm__rtcp_build_sr(A.assrc, &si, NULL, 0, rb, sizeof rb - 32, &len), USM_OK);
  send_rtcp(&A, rb, len, sizeof rb);
  seen ra = {0};
  for (long until = e2e_now_ms() + 5000; !ra.rr_for && e2e_now_ms() < until;)
    drain(&A, 200, "none", A.assrc, &ra);
  CHECK(ra.rr_for > 0);

  /* PLI from B about A's video (as B sees it) reaches A with A's own SSRC */
  CHECK_INT(usm__rtcp_build_rr(B.vssrc, NULL, 0, rb, 100, &len), USM_OK);
  size_t pl = 0;
  CHECK_INT(usm__rtcp_build_pli(B.vssrc, sb.video_ssrc, rb + len, 100, &pl), USM_OK);
  send_rtcp(&B, rb, len + pl, sizeof rb);
  seen pa = {0};
  drain(&A, 400, "none", 0, &pa);
  CHECK(pa.pli_for > 0);
  CHECK_INT(pa.pli_media, A.vssrc);

  /* impairment: 100% loss towards B, then 50% */
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media",
                             "{\"email\":\"alice@example.com\",\"direction\":\"down\",\"loss\":100}"),
            200);
  for (int i = 0; i < 20; i++) send_rtp(&A, 0, "from-A audio lost");
  seen l100 = {0};
  drain(&B, 400, "from-A", 0, &l100);
  CHECK_INT(l100.rtp, 0);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media",
                             "{\"email\":\"alice@example.com\",\"direction\":\"down\",\"loss\":50}"),
            200);
  for (int i = 0; i < 400; i++) {
    send_rtp(&A, 0, "from-A audio half");
    if (i % 50 == 49) poll(NULL, 0, 5);
  }
  seen l50 = {0};
  drain(&B, 600, "from-A", 0, &l50);
  fprintf(stderr, "50%% loss: %d of 400 arrived\n", l50.rtp);
  CHECK(l50.rtp > 140 && l50.rtp < 260);
  /* jitter + duplication: everything arrives, some twice */
  char cmd[300];
  snprintf(cmd, sizeof cmd, "{\"participant\":\"%s\",\"direction\":\"down\",\"jitterMs\":30,\"duplicate\":100}", B.pid);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", cmd), 200);
  for (int i = 0; i < 20; i++) send_rtp(&A, 0, "from-A audio jitter");
  seen lj = {0};
  drain(&B, 500, "from-A", 0, &lj);
  CHECK_INT(lj.rtp, 20); /* duplicates fail SRTP replay checks on B */
  CHECK(lj.bad >= 1);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", "{\"email\":\"alice@example.com\"}"), 200);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", "{\"loss\":500}"), 400);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", "{\"direction\":\"sideways\"}"), 400);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", "{\"burstLoss\":{\"length\":3,\"every\":2}}"), 400);

  /* stats */
  cJSON *st = admin_media();
  cJSON *pa_ = admin_part(st, A.pid), *pb_ = admin_part(st, B.pid);
  CHECK(pa_ && pb_);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(pa_, "ice"), "state")), "CONNECTED");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(pa_, "dtls"), "state")), "CONNECTED");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(pa_, "dtls"), "role")), "server");
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(pa_, "audio"), "packetsIn")) >= 400);
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(pb_, "audio"), "packetsOut")) >= 100);
  CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(pa_, "srtpAuthFailures")) == 0);
  cJSON_Delete(st);

  /* dropIce: the old credentials are refused; an ICE restart (new OFFER) works */
  snprintf(cmd, sizeof cmd, "{\"participant\":\"%s\",\"dropIce\":true}", A.pid);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/media", cmd), 200);
  CHECK_INT(ice_check(&A, A.rufrag, A.rpwd, 0), 401);
  char old_rufrag[64];
  snprintf(old_rufrag, sizeof old_rufrag, "%s", A.rufrag);
  new_creds(&A, 2);
  if (offer(&A, 2) != 0) goto out;
  CHECK(strcmp(old_rufrag, A.rufrag) != 0);
  CHECK_STR(A.media_id, first_media_id);
  CHECK_INT(ice_check(&A, A.rufrag, A.rpwd, 1), 200);
  /* DTLS and SRTP survive the restart */
  send_rtp(&A, 0, "from-A audio after restart");
  seen rs = {0};
  drain(&B, 400, "from-A", 0, &rs);
  CHECK_INT(rs.rtp, 1);
  CHECK_INT(rs.audio_ssrc, sb.audio_ssrc); /* the same stable SSRC */

  /* alice leaves: her media connection goes */
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_leave(ma, e2e_op_done, &op)), USM_OK);
  st = admin_media();
  CHECK(admin_part(st, B.pid) == NULL);
  CHECK(admin_part(st, A.pid) != NULL);
  cJSON_Delete(st);
out:
  mclient_free(&A);
  mclient_free(&B);
done:
  usm_meeting_destroy(mh);
  usm_meeting_destroy(ma);
}

/* With --turn-*: TURN discovery hands the credentials out. A passive offer
 * makes the cloud the DTLS client; SRTP then works both ways (SR -> RR). */
static void turn_and_passive(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, "alice@example.com", number, sip, password), 0);
  usm_meeting *mh = NULL;
  CHECK_INT(e2e_meeting(&w, host, number, &mh), USM_OK);
  e2e_op op = {0};
  if (!mh) return;
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(mh, NULL, e2e_op_done, &op)), USM_OK);
  char locus[512] = "", hid[64] = "", aid[64] = "";
  CHECK(find_locus(locus, sizeof locus, hid, aid) & 1);
  mclient A;
  mclient_init(&A, "P", E2E_HOST_TOKEN, hid, locus);
  cJSON *msg = NULL;
  CHECK_INT(roap(&A, "{\"messageType\":\"TURN_DISCOVERY_REQUEST\",\"version\":\"2\",\"seq\":\"0\"}", &msg),
            200);
  cJSON *hs = cJSON_GetObjectItem(msg, "headers");
  CHECK_INT(cJSON_GetArraySize(hs), 4);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(hs, 0)), "x-cisco-turn-url=turns:127.0.0.1:443?transport=tcp");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(hs, 1)), "x-cisco-turn-username=tu");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(hs, 2)), "x-cisco-turn-password=tp");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(hs, 3)), "noOkInTransaction");
  cJSON_Delete(msg);
  /* OK needs nothing; the connection is echoed */
  CHECK_INT(roap(&A, "{\"messageType\":\"OK\",\"version\":\"2\",\"seq\":0}", &msg), 200);
  CHECK(msg == NULL);
  CHECK_INT(strlen(A.media_id), 36);
  new_creds(&A, 1);
  if (offer_setup(&A, 1, 1) == 0) {
    char why[256];
    CHECK_INT(usm__dtls_start(A.dtls, why, sizeof why), USM_OK); /* we wait as the server */
    CHECK_INT(ice_check(&A, A.rufrag, A.rpwd, 1), 200); /* now the cloud says hello */
    long deadline = e2e_now_ms() + 8000;
    while (usm__dtls_get_state(A.dtls) != USM__DTLS_CONNECTED &&
           usm__dtls_get_state(A.dtls) != USM__DTLS_FAILED && e2e_now_ms() < deadline) {
      uint8_t in[4096];
      ssize_t n = recv_ms(&A, in, sizeof in, 50);
      if (n > 0 && in[0] >= 20 && in[0] <= 63) usm__dtls_feed(A.dtls, in, (size_t)n, why, sizeof why);
      usm__dtls_handle_timeout(A.dtls, why, sizeof why);
    }
    CHECK_INT(usm__dtls_get_state(A.dtls), USM__DTLS_CONNECTED);
    if (usm__dtls_get_state(A.dtls) == USM__DTLS_CONNECTED &&
        usm__dtls_srtp_sessions(A.dtls, &A.in, &A.out) == USM_OK) {
      for (int i = 0; i < 3; i++) send_rtp(&A, 0, "lonely audio"); /* nobody to forward to */
      uint8_t rb[256];
      size_t len = 0;
      usm__rtcp_sender_info si = {0x83aa7e8000000000ull, 1234, 1, 12};
      CHECK_INT(usm__rtcp_build_sr(A.assrc, &si, NULL, 0, rb, sizeof rb - 32, &len), USM_OK);
      send_rtcp(&A, rb, len, sizeof rb);
      seen ra = {0};
      /* a slow cloud (valgrind) may still be finishing its side of the handshake */
      for (long until = e2e_now_ms() + 6000; !ra.rr_for && e2e_now_ms() < until;)
        drain(&A, 200, "none", A.assrc, &ra);
      CHECK(ra.rr_for > 0);
      cJSON *st = admin_media();
      cJSON *pa = admin_part(st, A.pid);
      CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(pa, "dtls"), "role")), "client");
      CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(pa, "audio"), "packetsIn")), 3);
      cJSON_Delete(st);
    }
  }
  /* the host ends the meeting: the connection goes */
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_leave(mh, e2e_op_done, &op)), USM_OK);
  cJSON *st = admin_media();
  CHECK(admin_part(st, A.pid) == NULL);
  cJSON_Delete(st);
  mclient_free(&A);
  usm_meeting_destroy(mh);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (e2e_start(&w, NULL) != 0) {
    fprintf(stderr, "cannot start usm-cloud\n");
    return 1;
  }
  scenario();
  e2e_stop(&w);
  static const char *const turn[] = {"--turn-url", "turns:127.0.0.1:443?transport=tcp", "--turn-user", "tu",
                                     "--turn-password", "tp", "--media-ports", "41000-41999", NULL};
  if (e2e_start(&w, turn) != 0) {
    fprintf(stderr, "cannot start usm-cloud with TURN\n");
    return 1;
  }
  turn_and_passive();
  e2e_stop(&w);
  curl_global_cleanup();
  return check_done("test_cloud_media");
}
