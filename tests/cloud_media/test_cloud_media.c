/* usm-cloud's media server end to end (issue 5): two participants join
 * through libusm's public API, then each plays its own media client with
 * libusm's internal pieces (sdp_negotiate offer, ROAP over PUT /media, an
 * ICE controlling check with the STUN codec, DTLS client, SRTP) and media
 * flows through the cloud's SFU both ways, with RTCP, impairments, dropIce
 * and an ICE restart; malformed ROAP bodies get 400. */
#include "mclient.h"

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
