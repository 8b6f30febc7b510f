/* The whole join flow against a scripted peer speaking the wire contract:
 * discovery -> device -> meeting info 403 -> three wrong passwords -> 423
 * captcha -> refresh -> right password + code -> READY -> join -> lobby ->
 * (polls) admitted -> assign host -> invite -> non-host errors -> leave.
 * Also the destination resolutions (person ID, personal rooms) and the
 * meeting-info failures. Every request's path and body is checked. */
#include "core/hydra.h"
#include "flow_util.h"

static void run(usm_client *c) { CHECK_INT(usm_client_run(c), USM_OK); }

static void test_full_flow(void) {
  script_route routes[] = {
    R_CATALOG,
    R_DEVICE,
    R_INFO(403, PW_REQUIRED),
    R_INFO(403, PW_WRONG),
    R_INFO(403, PW_WRONG),
    R_INFO(423, CAPTCHA("cap1")),
    ROUTE("POST /captchaservice/v1/captchas/refresh", 200,
          "{\"captchaID\":\"cap2\",\"verificationImageURL\":\"{BASE}/captchaservice/v1/captchas/cap2/image\","
          "\"verificationAudioURL\":\"{BASE}/captchaservice/v1/captchas/cap2/audio\"}"),
    R_INFO(200, INFO_OK),
    ROUTE("POST " LOCUS_PATH "/participant", 200, WRAP(DTO("10", "false", "ACTIVE", HOST_IN "," ME_WAIT, ME_WAIT))),
    STICKY("GET " LOCUS_PATH "/participant/P2/keepAlive", 200, "{}"),
    ROUTE("GET " LOCUS_PATH, 200, DTO("11", "false", "ACTIVE", HOST_IN "," ME_WAIT, ME_WAIT)),
    ROUTE("GET " LOCUS_PATH, 200, DTO("12", "false", "ACTIVE", HOST_NOT "," ME_HOST, ME_HOST)),
    ROUTE("PATCH " LOCUS_PATH "/participant/P1/controls", 200, WRAP(DTO("13", "false", "ACTIVE", HOST_IN "," ME_IN, ME_IN))),
    ROUTE("PUT " LOCUS_PATH, 200, WRAP(DTO("14", "false", "ACTIVE", HOST_IN "," ME_IN, ME_IN))),
    ROUTE("PUT " LOCUS_PATH "/controls", 403, LOCUS_ERR(2403001, "REQUESTING_PARTICIPANT_NOT_MODERATOR")),
    ROUTE("PATCH " LOCUS_PATH "/controls", 403, LOCUS_ERR(2403001, "REQUESTING_PARTICIPANT_NOT_MODERATOR")),
    ROUTE("POST " LOCUS_PATH "/end", 403, LOCUS_ERR(2403001, "REQUESTING_PARTICIPANT_NOT_MODERATOR")),
    ROUTE("PUT " LOCUS_PATH "/participant/P2/leave", 200, WRAP(DTO("15", "false", "ACTIVE", HOST_IN "," ME_LEFT, ME_LEFT))),
  };
  scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = NULL;

  /* create: discovery, device, info -> 403 password required */
  CHECK_INT(usm_meetings_create(c, "255-123-4567", USM_DEST_MEETING_NUMBER, on_done, &r, &m), USM_OK);
  CHECK(m != NULL);
  usm_meeting_set_event_cb(m, on_event, &r);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_RESOLVING);
  run(c);
  CHECK_STR(r.log, "STATE:locked_out PASSWORD:required DONE:USM_ERR_PASSWORD_REQUIRED ");
  CHECK(strstr(r.msg, "Password required.") && strstr(r.msg, "(code 403000)"));
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_LOCKED_OUT);
  CHECK_STR(usm_meeting_number(m), NUMBER);
  CHECK_STR(usm_meeting_sip_uri(m), SIP);
  CHECK_STR(usm_meeting_link(m), LINK);
  CHECK_STR(req_line(s, 0), "GET /u2c/api/v1/catalog?format=hostmap");
  CHECK_STR(req_line(s, 1), "POST /wdm/api/v1/devices?includeUpstreamServices=all");
  CHECK_STR(req_line(s, 2), "POST /wbxappapi/v1/meetingInfo");
  CHECK(strstr(scripted_server_request(s, 1)->body, "\"deviceType\":\"WEB\"") != NULL);
  CHECK_STR(scripted_server_request(s, 2)->body,
            "{\"supportHostKey\":true,\"supportCountryList\":true,\"meetingKey\":\"" NUMBER "\"}");
  CHECK(strstr(scripted_server_request(s, 2)->headers, "Authorization: Bearer " TOKEN "\r\n") != NULL);

  /* the guards while locked out */
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_ERR_PASSWORD_REQUIRED);
  CHECK(strstr(usm_meeting_last_error(m), "password") != NULL);
  CHECK_INT(usm_meeting_refresh_captcha(m, on_done, &r), USM_ERR_WRONG_STATE);
  CHECK_STR(usm_meeting_last_error(m), "refresh_captcha: no captcha is pending");
  CHECK_INT(usm_meeting_set_password(m, "pw", "123456", on_done, &r), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_meeting_set_password(m, NULL, NULL, on_done, &r), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_meeting_leave(m, on_done, &r), USM_ERR_WRONG_STATE);
  CHECK_STR(usm_meeting_last_error(m), "leave needs state in_lobby or joined; the meeting is locked_out");
  usm_captcha k;
  CHECK_INT(usm_meeting_captcha(m, &k), USM_ERR_WRONG_STATE);

  /* two wrong passwords: still locked out, no new event (nothing changed) */
  const char *wrong[] = {"wrong-1", "wrong-2"};
  for (int i = 0; i < 2; i++) {
    r.log[0] = '\0';
    CHECK_INT(usm_meeting_set_password(m, wrong[i], NULL, on_done, &r), USM_OK);
    CHECK_INT(usm_meeting_set_password(m, "again", NULL, on_done, &r), USM_ERR_WRONG_STATE); /* one at a time */
    run(c);
    CHECK_STR(r.log, "DONE:USM_ERR_PASSWORD_REQUIRED ");
    CHECK(strstr(r.msg, "Wrong password.") != NULL);
  }
  CHECK_STR(scripted_server_request(s, 3)->body,
            "{\"supportHostKey\":true,\"supportCountryList\":true,\"meetingKey\":\"" NUMBER "\",\"password\":\"wrong-1\"}");
  /* the third: captcha */
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_set_password(m, "wrong-3", NULL, on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "PASSWORD:required:captcha=cap1 DONE:USM_ERR_CAPTCHA_REQUIRED ");
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_LOCKED_OUT);
  CHECK_INT(usm_meeting_captcha(m, &k), USM_OK);
  CHECK_STR(k.id, "cap1");
  CHECK_STR(k.image_url, based(s, "{BASE}/captchaservice/v1/captchas/cap1/image"));
  CHECK_STR(k.audio_url, based(s, "{BASE}/captchaservice/v1/captchas/cap1/audio"));
  CHECK_STR(k.refresh_url, based(s, "{BASE}/captchaservice/v1/captchas/refresh?captchaID=cap1"));
  CHECK_INT(usm_meeting_set_password(m, "right", NULL, on_done, &r), USM_ERR_INVALID_ARG); /* code needed */
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_ERR_CAPTCHA_REQUIRED);

  /* refresh: a new id, image and audio; the refresh URL stays */
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_refresh_captcha(m, on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "PASSWORD:required:captcha=cap2 DONE:USM_OK ");
  const script_request *rq = find_req(s, "POST /captchaservice/v1/captchas/refresh", 0);
  CHECK(rq != NULL);
  if (rq) {
    char want[200];
    snprintf(want, sizeof want, "/captchaservice/v1/captchas/refresh?captchaID=cap1&siteFullName=127.0.0.1%%3A%d",
             scripted_server_port(s));
    CHECK_STR(rq->path, want);
    CHECK_STR(rq->body, "{\"captchaId\":\"cap1\"}");
  }
  CHECK_INT(usm_meeting_captcha(m, &k), USM_OK);
  CHECK_STR(k.id, "cap2");
  CHECK_STR(k.image_url, based(s, "{BASE}/captchaservice/v1/captchas/cap2/image"));
  CHECK_STR(k.refresh_url, based(s, "{BASE}/captchaservice/v1/captchas/refresh?captchaID=cap1"));

  /* right password and code: READY, password VERIFIED, captcha gone */
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_set_password(m, "right", "123456", on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "STATE:ready PASSWORD:verified DONE:USM_OK ");
  CHECK_STR(find_req(s, "POST /wbxappapi/v1/meetingInfo", 4)->body,
            "{\"supportHostKey\":true,\"supportCountryList\":true,\"meetingKey\":\"" NUMBER "\",\"password\":\"right\","
            "\"captchaID\":\"cap2\",\"captchaVerifyCode\":\"123456\"}");
  CHECK_INT(usm_meeting_password_status(m), USM_PASSWORD_VERIFIED);
  CHECK_INT(usm_meeting_captcha(m, &k), USM_ERR_WRONG_STATE);
  CHECK_INT(usm_meeting_set_password(m, "again", NULL, on_done, &r), USM_ERR_WRONG_STATE);
  CHECK_INT(usm_meeting_participant_count(m), 0);
  usm_participant me;
  CHECK_INT(usm_meeting_self(m, &me), USM_ERR_WRONG_STATE);

  /* join: the lobby, keep-alives, polls until admitted (the host also hands us the host role) */
  r.log[0] = '\0';
  usm_join_options jo;
  usm_join_options_init(&jo);
  jo.display_name = "Tess Tester";
  CHECK_INT(usm_meeting_join(m, &jo, on_done, &r), USM_OK);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_JOINING);
  CHECK_INT(usm_meeting_join(m, &jo, on_done, &r), USM_ERR_WRONG_STATE);
  run(c); /* returns once admitted: the lobby keeps it running */
  CHECK_STR(r.log, "STATE:in_lobby ROSTER:joined:P1:host ROSTER:joined:P2:lobby:self HOST:P1 DONE:USM_OK "
                   "STATE:joined ROSTER:changed:P1 ROSTER:changed:P2:host:self HOST:P2 ");
  CHECK_INT(r.state_at_done, USM_MEETING_IN_LOBBY);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_JOINED);
  rq = find_req(s, "POST " LOCUS_PATH "/participant", 0);
  CHECK(rq != NULL);
  if (rq) {
    CHECK_STR(rq->path, LOCUS_PATH "/participant?alternateRedirect=true");
    CHECK_STR(body_cid(rq), based(s, "{\"device\":{\"url\":\"" DEVICE_URL "\",\"deviceType\":\"WEB\"},\"correlationId\":"
                                     "\"{CID}\",\"respOnlySdp\":true,\"allowMultiDevice\":true,\"supportsNativeLobby\":1,"
                                     "\"permissionToken\":\"" PTOKEN "\",\"alias\":\"Tess Tester\"}"));
    CHECK(strstr(rq->headers, "cisco-no-http-redirect: true\r\n") != NULL);
  }
  CHECK_INT(count_req(s, "GET " LOCUS_PATH "?"), 0);
  CHECK_INT(count_req(s, "GET " LOCUS_PATH "/participant/P2/keepAlive"), count_req(s, "GET " LOCUS_PATH "/p"));
  CHECK(count_req(s, "GET " LOCUS_PATH "/participant/P2/keepAlive") >= 3); /* every 750 ms for ~4 s */
  CHECK_INT(count_req(s, "GET " LOCUS_PATH), 2 + count_req(s, "GET " LOCUS_PATH "/"));
  CHECK_INT(usm_meeting_participant_count(m), 2);
  CHECK_INT(usm_meeting_self(m, &me), USM_OK);
  CHECK_STR(me.id, "P2");
  CHECK_INT(me.in_meeting, 1);
  CHECK_INT(me.is_host, 1);
  CHECK_INT(me.is_self, 1);
  usm_participant p;
  CHECK_INT(usm_meeting_participant(m, 0, &p), USM_OK);
  CHECK_STR(p.name, "Name P1");
  CHECK_STR(p.email, "P1@example.com");
  CHECK_STR(p.person_id, "person-P1");
  CHECK_INT(usm_meeting_participant(m, 2, &p), USM_ERR_INVALID_ARG);

  /* assign host back to P1: a delta request with the last sequence */
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_assign_host(m, "P1", on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "ROSTER:changed:P1:host ROSTER:changed:P2:self HOST:P1 DONE:USM_OK ");
  rq = find_req(s, "PATCH " LOCUS_PATH "/participant/P1/controls", 0);
  CHECK(rq && strcmp(rq->body, "{\"role\":{\"moderator\":true},\"sequence\":{\"entries\":[12],\"rangeStart\":0,"
                               "\"rangeEnd\":0}}") == 0);

  /* invite: validated locally, then PUT {locusUrl} */
  CHECK_INT(usm_meeting_invite(m, "not-an-email", on_done, &r), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_meeting_invite(m, "a@b", on_done, &r), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_meeting_invite(m, NULL, on_done, &r), USM_ERR_INVALID_ARG);
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_invite(m, "new.person@example.com", on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "DONE:USM_OK ");
  rq = find_req(s, "PUT " LOCUS_PATH, 0);
  CHECK(rq && strcmp(rq->path, LOCUS_PATH) == 0);
  CHECK(rq && strcmp(rq->body, "{\"invitees\":[{\"address\":\"new.person@example.com\"}],\"alertIfActive\":true,"
                               "\"sequence\":{\"entries\":[13],\"rangeStart\":0,\"rangeEnd\":0}}") == 0);

  /* not the host any more: admit, lock and end are refused by the cloud */
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_admit(m, "P9", on_done, &r), USM_OK);
  CHECK_INT(usm_meeting_lock(m, 1, on_done, &r), USM_OK); /* host actions may run side by side */
  run(c);
  CHECK_STR(r.log, "DONE:USM_ERR_NOT_HOST DONE:USM_ERR_NOT_HOST ");
  CHECK(strstr(r.msg, "(errorCode 2403001)") && strstr(r.msg, "trackingId=LT_1"));
  CHECK(strstr(usm_meeting_last_error(m), "REQUESTING_PARTICIPANT_NOT_MODERATOR") != NULL);
  rq = find_req(s, "PUT " LOCUS_PATH "/controls", 0);
  CHECK(rq && strcmp(rq->body, "{\"admit\":{\"participantIds\":[\"P9\"]},\"sequence\":{\"entries\":[14],"
                               "\"rangeStart\":0,\"rangeEnd\":0}}") == 0);
  rq = find_req(s, "PATCH " LOCUS_PATH "/controls", 0);
  CHECK(rq && strcmp(rq->body, "{\"lock\":{\"locked\":true}}") == 0);
  CHECK_INT(usm_meeting_lock(m, 2, on_done, &r), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_meeting_admit(m, "", on_done, &r), USM_ERR_INVALID_ARG);
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_end(m, on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "DONE:USM_ERR_NOT_HOST ");
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_JOINED);
  rq = find_req(s, "POST " LOCUS_PATH "/end", 0);
  CHECK(rq && rq->body[0] == '\0' && strstr(rq->headers, "Content-Length: 0\r\n"));

  /* leave: the join's correlationId and device */
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_leave(m, on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "STATE:left DONE:USM_OK ");
  rq = find_req(s, "PUT " LOCUS_PATH "/participant/P2/leave", 0);
  const script_request *join = find_req(s, "POST " LOCUS_PATH "/participant", 0);
  if (rq && join) {
    char cid[64] = "";
    const char *p0 = strstr(join->body, "\"correlationId\":\"");
    if (p0) snprintf(cid, 37, "%s", p0 + 17);
    char want[512];
    snprintf(want, sizeof want, "{\"device\":{\"deviceType\":\"WEB\",\"url\":\"%s\"},\"usingResource\":null,"
                                "\"correlationId\":\"%s\"}",
             based(s, DEVICE_URL), cid);
    CHECK_STR(rq->body, want);
  }
  CHECK_INT(usm_meeting_participant_count(m), 0);
  CHECK_INT(usm_meeting_self(m, &me), USM_ERR_WRONG_STATE);
  CHECK_INT(usm_meeting_admit(m, "P1", on_done, &r), USM_ERR_WRONG_STATE);
  CHECK_STR(usm_meeting_last_error(m), "admit needs state joined; the meeting is left");
  CHECK_INT(scripted_server_count(s), count_req(s, "")); /* every request answered from the script */
  CHECK_INT(count_req(s, "GET /u2c"), 1);
  CHECK_INT(count_req(s, "POST /wdm"), 1);

  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
  CHECK(strstr(flow_logs, TOKEN) == NULL);
  CHECK(strstr(flow_logs, "right") == NULL); /* nor the password */
}

/* create -> run -> the outcome; the meeting is returned for more checks */
static usm_meeting *resolve(usm_client *c, const char *dest, usm_dest_type type, rec *r) {
  usm_meeting *m = NULL;
  CHECK_INT(usm_meetings_create(c, dest, type, on_done, r, &m), USM_OK);
  if (m) usm_meeting_set_event_cb(m, on_event, r);
  run(c);
  CHECK_INT(r->dones, 1);
  return m;
}

static void test_person_id(void) {
  char hydra[256], path[400];
  usm__hydra_encode("us", "PEOPLE", "01824b9b-adef-4b10-b5c1-8a2fe2fb7c0e", hydra, sizeof hydra);
  snprintf(path, sizeof path, "GET /v1/people/%s", hydra);
  script_route routes[] = {
    R_CATALOG, R_DEVICE,
    ROUTE(path, 200, "{\"id\":\"x\",\"emails\":[\"jane@example.com\",\"j2@example.com\"],\"displayName\":\"Jane\"}"),
    R_INFO(200, INFO_OK),
  };
  scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = resolve(c, hydra, USM_DEST_AUTO, &r);
  CHECK_STR(r.log, "STATE:ready PASSWORD:not_required DONE:USM_OK ");
  CHECK_STR(req_line(s, 2), path + 0);
  CHECK_STR(find_req(s, "POST /wbxappapi", 0)->body,
            "{\"supportHostKey\":true,\"supportCountryList\":true,\"sipUrl\":\"jane@example.com\"}");
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* a person without emails, and an unknown person */
  script_route noemail[] = {R_CATALOG, R_DEVICE, ROUTE(path, 200, "{\"id\":\"x\",\"emails\":[]}")};
  s = scripted_server_start_routes(noemail, 3);
  c = flow_client(s);
  r = (rec){0};
  m = resolve(c, hydra, USM_DEST_PERSON_ID, &r);
  CHECK_STR(r.log, "STATE:failed DONE:USM_ERR_INVALID_DESTINATION ");
  CHECK_STR(r.msg, "Hydra Id Lookup was an invalid hydra person id.");
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_FAILED);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_ERR_WRONG_STATE);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);

  script_route unknown[] = {R_CATALOG, R_DEVICE, ROUTE(path, 404, "{\"message\":\"Person not found.\"}")};
  s = scripted_server_start_routes(unknown, 3);
  c = flow_client(s);
  r = (rec){0};
  m = resolve(c, hydra, USM_DEST_AUTO, &r);
  CHECK_INT(r.err, USM_ERR_NO_MEETING_INFO);
  CHECK(strstr(r.msg, "no such person") != NULL);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

static void test_personal_rooms(void) {
  /* oneself: userId and orgId of the device registration */
  script_route self[] = {R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK)};
  scripted_server *s = scripted_server_start_routes(self, 3);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = resolve(c, "", USM_DEST_PERSONAL_ROOM, &r);
  CHECK_INT(r.err, USM_OK);
  CHECK_STR(find_req(s, "POST /wbxappapi", 0)->body, "{\"supportHostKey\":true,\"supportCountryList\":true,"
                                                     "\"userId\":\"user-uuid-1\",\"orgId\":\"org-uuid-1\"}");
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* a person's UUID: looked up for its org; the Hydra ids are decoded */
  char people[256], org[256], path[400], person[600];
  usm__hydra_encode("us", "PEOPLE", "01824b9b-adef-4b10-b5c1-8a2fe2fb7c0e", people, sizeof people);
  usm__hydra_encode("us", "ORGANIZATION", "9a1b2c3d-0000-4000-8000-000000000001", org, sizeof org);
  snprintf(path, sizeof path, "GET /v1/people/%s", people);
  snprintf(person, sizeof person, "{\"id\":\"%s\",\"emails\":[\"jane@example.com\"],\"orgId\":\"%s\"}", people, org);
  script_route byid[] = {R_CATALOG, R_DEVICE, ROUTE(path, 200, person), R_INFO(200, INFO_OK)};
  s = scripted_server_start_routes(byid, 4);
  c = flow_client(s);
  r = (rec){0};
  m = resolve(c, "01824B9B-ADEF-4B10-B5C1-8A2FE2FB7C0E", USM_DEST_PERSONAL_ROOM, &r);
  CHECK_INT(r.err, USM_OK);
  CHECK_STR(find_req(s, "POST /wbxappapi", 0)->body,
            "{\"supportHostKey\":true,\"supportCountryList\":true,\"userId\":\"01824b9b-adef-4b10-b5c1-8a2fe2fb7c0e\","
            "\"orgId\":\"9a1b2c3d-0000-4000-8000-000000000001\"}");
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* an email: asked by sipUrl, no lookup */
  script_route byemail[] = {R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK)};
  s = scripted_server_start_routes(byemail, 3);
  c = flow_client(s);
  r = (rec){0};
  m = resolve(c, "jane@example.com", USM_DEST_PERSONAL_ROOM, &r);
  CHECK_INT(r.err, USM_OK);
  CHECK_INT(scripted_server_count(s), 3);
  CHECK_STR(find_req(s, "POST /wbxappapi", 0)->body,
            "{\"supportHostKey\":true,\"supportCountryList\":true,\"sipUrl\":\"jane@example.com\"}");
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

static void test_info_failures(void) {
  const struct {
    int status;
    const char *body;
    usm_err err;
    const char *log;
  } t[] = {
    {404, "{\"code\":404001,\"message\":\"Meeting not found.\"}", USM_ERR_NO_MEETING_INFO,
     "STATE:failed DONE:USM_ERR_NO_MEETING_INFO "},
    {403, "{\"code\":403049,\"message\":\"Policy.\"," PARTIAL "}", USM_ERR_POLICY, "STATE:failed DONE:USM_ERR_POLICY "},
    {401, "{\"message\":\"The request requires a valid access token.\"}", USM_ERR_UNAUTHORIZED,
     "STATE:failed DONE:USM_ERR_UNAUTHORIZED "},
    {200, "{\"unexpected\":true}", USM_ERR_BAD_RESPONSE, "STATE:failed DONE:USM_ERR_BAD_RESPONSE "},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    script_route routes[] = {R_CATALOG, R_DEVICE, R_INFO(t[i].status, t[i].body)};
    scripted_server *s = scripted_server_start_routes(routes, 3);
    usm_client *c = flow_client(s);
    rec r = {0};
    usm_meeting *m = resolve(c, SIP, USM_DEST_AUTO, &r);
    CHECK_STR(r.log, t[i].log);
    CHECK_INT(r.err, t[i].err);
    CHECK_INT(usm_meeting_get_state(m), USM_MEETING_FAILED);
    CHECK_INT(scripted_server_count(s), 3); /* never retried */
    if (t[i].err == USM_ERR_POLICY) CHECK_STR(usm_meeting_number(m), NUMBER); /* the partial info */
    usm_meeting_destroy(m);
    usm_client_destroy(c);
    scripted_server_stop(s);
  }
  /* a catalog without the meeting services, a failed device registration */
  script_route nowdm[] = {ROUTE("GET /u2c/api/v1/catalog", 200, "{\"serviceLinks\":{\"hydra\":\"{BASE}/v1\"}}")};
  scripted_server *s = scripted_server_start_routes(nowdm, 1);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = resolve(c, SIP, USM_DEST_AUTO, &r);
  CHECK_INT(r.err, USM_ERR_BAD_RESPONSE);
  CHECK(strstr(r.msg, "\"wdm\"") != NULL);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
  script_route nodev[] = {R_CATALOG, ROUTE("POST /wdm/api/v1/devices", 400, "{\"message\":\"bad device\"}")};
  s = scripted_server_start_routes(nodev, 2);
  c = flow_client(s);
  r = (rec){0};
  m = resolve(c, SIP, USM_DEST_AUTO, &r);
  CHECK_INT(r.err, USM_ERR_BAD_REQUEST);
  CHECK(strstr(r.msg, "device registration failed") && strstr(r.msg, "bad device"));
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_FAILED);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

static void test_sync_errors(void) {
  scripted_server *s = scripted_server_start_routes(NULL, 0);
  usm_client *c = flow_client(s);
  usm_meeting *m = (usm_meeting *)1;
  const char *room = "Y2lzY29zcGFyazovL3VzL1JPT00vYzEwODQ5YzAtNTZlMy0yMmViLWE4Y2ItZTllNzcwN2JjY2I4";
  CHECK_INT(usm_meetings_create(c, room, USM_DEST_AUTO, on_done, NULL, &m), USM_ERR_SPACE_ID_DEPRECATED);
  CHECK(m == NULL);
  CHECK(strstr(usm_client_last_error(c), "migration guide") != NULL);
  CHECK_INT(usm_meetings_create(c, "not a destination", USM_DEST_AUTO, on_done, NULL, &m),
            USM_ERR_INVALID_DESTINATION);
  CHECK_INT(usm_meetings_create(c, NULL, USM_DEST_AUTO, on_done, NULL, &m), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_meetings_create(c, SIP, USM_DEST_AUTO, on_done, NULL, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_meetings_create(NULL, SIP, USM_DEST_AUTO, on_done, NULL, &m), USM_ERR_INVALID_HANDLE);
  CHECK_INT(scripted_server_count(s), 0); /* nothing was sent */
  /* handles that are not meetings */
  CHECK_INT(usm_meeting_join(NULL, NULL, on_done, NULL), USM_ERR_INVALID_HANDLE);
  CHECK_INT(usm_meeting_get_state(NULL), USM_MEETING_FAILED);
  CHECK_STR(usm_meeting_last_error(NULL), "");
  CHECK(usm_meeting_number(NULL) == NULL);
  usm_meeting_destroy(NULL);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

int main(void) {
  test_full_flow();
  test_person_id();
  test_personal_rooms();
  test_info_failures();
  test_sync_errors();
  return check_done("test_meeting_flow");
}
