/* Joining in all its variants against a scripted peer: Locus error codes
 * (locked, PIN, not active, other), PIN and moderator, body redirects and
 * their limit, joining without a locus URL (/loci/call), the permission
 * token refresh, the end of a meeting, and the lobby's exits. */
#include <time.h>

#include "flow_util.h"

static void run(usm_client *c) { CHECK_INT(usm_client_run(c), USM_OK); }

#define JOINED_DTO WRAP(DTO("20", "false", "ACTIVE", HOST_NOT "," ME_HOST, ME_HOST))
#define R_JOIN(st, body) ROUTE("POST " LOCUS_PATH "/participant", st, body)

/* A READY meeting on @p s (catalog, device and info are the first routes). */
static usm_meeting *ready(usm_client *c, rec *r) {
  usm_meeting *m = NULL;
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, r, &m), USM_OK);
  usm_meeting_set_event_cb(m, on_event, r);
  run(c);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_READY);
  r->log[0] = '\0';
  return m;
}

static void test_join_errors(void) {
  script_route routes[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK),
    R_JOIN(423, LOCUS_ERR(2423005, "MEETING_IS_LOCKED")),
    R_JOIN(423, LOCUS_ERR(2423006, "Meeting requires a moderator pin or guest pin to join")),
    R_JOIN(403, LOCUS_ERR(2423016, "x")),
    R_JOIN(403, LOCUS_ERR(2423017, "x")),
    R_JOIN(403, LOCUS_ERR(2423018, "x")),
    R_JOIN(403, LOCUS_ERR(2403007, "INVALID_PERMISSION_TOKEN")),
    R_JOIN(409, LOCUS_ERR(2409001, "MEETING_NOT_ACTIVE")),
    R_JOIN(500, "{\"message\":\"oops\"}"),
    R_JOIN(200, "{\"locus\":{\"url\":\"{BASE}" LOCUS_PATH "\"}}"), /* no self in the answer */
    R_JOIN(200, "not json"),
    R_JOIN(200, JOINED_DTO),
  };
  scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = ready(c, &r);
  const usm_err want[] = {
    USM_ERR_MEETING_LOCKED, USM_ERR_MEETING_LOCKED, USM_ERR_MEETING_LOCKED, USM_ERR_MEETING_LOCKED,
    USM_ERR_MEETING_LOCKED, USM_ERR_JOIN_FAILED,    USM_ERR_MEETING_NOT_ACTIVE, USM_ERR_JOIN_FAILED,
    USM_ERR_JOIN_FAILED,    USM_ERR_BAD_RESPONSE,
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    r.log[0] = '\0';
    CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
    run(c);
    CHECK_INT(r.err, want[i]);
    char log[128];
    snprintf(log, sizeof log, "STATE:ready DONE:%s ", usm_err_name(want[i]));
    CHECK_STR(r.log, log);
    CHECK_INT(usm_meeting_get_state(m), USM_MEETING_READY);
    /* each a single request: a 423 is an answer here, not "try later"; a join is never repeated */
    CHECK_INT(count_req(s, "POST " LOCUS_PATH "/participant"), (int)i + 1);
  }
  CHECK(strstr(usm_meeting_last_error(m), "no usable locus") != NULL);
  /* a PIN and the moderator flag */
  r.log[0] = '\0';
  usm_join_options o;
  usm_join_options_init(&o);
  o.pin = "123456";
  o.moderator = 1;
  CHECK_INT(usm_meeting_join(m, &o, on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "STATE:joined ROSTER:joined:P1 ROSTER:joined:P2:host:self HOST:P2 DONE:USM_OK ");
  const script_request *rq = find_req(s, "POST " LOCUS_PATH "/participant", 10);
  CHECK(rq != NULL);
  CHECK_STR(body_cid(rq), based(s, "{\"device\":{\"url\":\"" DEVICE_URL "\",\"deviceType\":\"WEB\"},\"correlationId\":"
                                   "\"{CID}\",\"respOnlySdp\":true,\"allowMultiDevice\":true,\"supportsNativeLobby\":1,"
                                   "\"permissionToken\":\"" PTOKEN "\",\"moderator\":true,\"pin\":\"123456\"}"));
  /* each join gets its own correlationId */
  const script_request *first = find_req(s, "POST " LOCUS_PATH "/participant", 0);
  CHECK(first && rq && strncmp(strstr(first->body, "correlationId"), strstr(rq->body, "correlationId"), 55) != 0);
  /* bad options */
  usm_meeting_destroy(m);
  m = NULL;
  usm_client_destroy(c);
  scripted_server_stop(s);
}

static void test_bad_options(void) {
  script_route routes[] = {R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK)};
  scripted_server *s = scripted_server_start_routes(routes, 3);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = ready(c, &r);
  usm_join_options o;
  usm_join_options_init(&o);
  o.moderator = 2;
  CHECK_INT(usm_meeting_join(m, &o, on_done, &r), USM_ERR_INVALID_ARG);
  CHECK_STR(usm_meeting_last_error(m), "join: moderator must be 0 or 1");
  usm_join_options_init(&o);
  o.display_name = "bad\nname";
  CHECK_INT(usm_meeting_join(m, &o, on_done, &r), USM_ERR_INVALID_ARG);
  usm_join_options_init(&o);
  o.pin = "";
  CHECK_INT(usm_meeting_join(m, &o, on_done, &r), USM_ERR_INVALID_ARG);
  o.struct_size = 1;
  CHECK_INT(usm_meeting_join(m, &o, on_done, &r), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_READY);
  CHECK_INT(scripted_server_count(s), 3);
  CHECK_STR(r.log, "");
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

static void test_redirects(void) {
  script_route routes[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK),
    R_JOIN(404, "{\"errorCode\":2000002,\"location\":\"{BASE}/locus-b/api/v1/loci/L1/participant?theirs=1\"}"),
    ROUTE("POST /locus-b/api/v1/loci/L1/participant", 200, JOINED_DTO),
  };
  scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = ready(c, &r);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  run(c);
  CHECK_INT(r.err, USM_OK);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_JOINED);
  const script_request *a = find_req(s, "POST " LOCUS_PATH "/participant", 0), *b = find_req(s, "POST /locus-b", 0);
  CHECK(a && b);
  if (a && b) {
    CHECK_STR(b->path, "/locus-b/api/v1/loci/L1/participant?alternateRedirect=true"); /* our query, not theirs */
    CHECK_STR(a->body, b->body);                                                     /* the same request again */
    CHECK(strstr(b->headers, "Authorization: Bearer " TOKEN) != NULL);
  }
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* at most 5 redirects; an insecure location is never followed */
  const char *loop = "{\"errorCode\":2000002,\"location\":\"{BASE}" LOCUS_PATH "/participant\"}";
  script_route loops[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK),
    STICKY("POST " LOCUS_PATH "/participant", 404, loop),
  };
  s = scripted_server_start_routes(loops, 4);
  c = flow_client(s);
  r = (rec){0};
  m = ready(c, &r);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  run(c);
  CHECK_INT(r.err, USM_ERR_JOIN_FAILED);
  CHECK_INT(count_req(s, "POST " LOCUS_PATH "/participant"), 6);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);

  script_route evil[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK),
    R_JOIN(404, "{\"errorCode\":2000002,\"location\":\"http://evil.example.com/loci/L1/participant\"}"),
  };
  s = scripted_server_start_routes(evil, 4);
  c = flow_client(s);
  r = (rec){0};
  m = ready(c, &r);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  run(c);
  CHECK_INT(r.err, USM_ERR_JOIN_FAILED);
  CHECK_INT(scripted_server_count(s), 4);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

static void test_loci_call(void) {
  script_route routes[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_WITH(",\"permissionToken\":\"" PTOKEN "\"", "")),
    ROUTE("POST /locus/api/v1/loci/call", 200, JOINED_DTO),
    ROUTE("PUT " LOCUS_PATH "/participant/P2/leave", 200, "{}"),
  };
  scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = ready(c, &r);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  run(c);
  CHECK_INT(r.err, USM_OK);
  const script_request *rq = find_req(s, "POST /locus/api/v1/loci/call", 0);
  CHECK(rq != NULL);
  if (rq) {
    CHECK_STR(rq->path, "/locus/api/v1/loci/call?alternateRedirect=true");
    CHECK_STR(body_cid(rq), based(s, "{\"device\":{\"url\":\"" DEVICE_URL "\",\"deviceType\":\"WEB\"},\"correlationId\":"
                                     "\"{CID}\",\"respOnlySdp\":true,\"allowMultiDevice\":true,\"supportsNativeLobby\":1,"
                                     "\"permissionToken\":\"" PTOKEN "\",\"invitee\":{\"address\":\"" LINK "\"}}"));
  }
  /* the locus URL now comes from the DTO */
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_leave(m, on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "STATE:left DONE:USM_OK ");
  CHECK(find_req(s, "PUT " LOCUS_PATH "/participant/P2/leave", 0) != NULL);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* only a number known: "wbxmn:<number>" */
  script_route bynumber[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, "{\"meetingNumber\":\"" NUMBER "\"}"),
    ROUTE("POST /locus/api/v1/loci/call", 200, JOINED_DTO),
  };
  s = scripted_server_start_routes(bynumber, 4);
  c = flow_client(s);
  r = (rec){0};
  m = ready(c, &r);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  run(c);
  CHECK_INT(r.err, USM_OK);
  rq = find_req(s, "POST /locus/api/v1/loci/call", 0);
  CHECK(rq && strstr(rq->body, "\"invitee\":{\"address\":\"wbxmn:" NUMBER "\"}") && !strstr(rq->body, "permissionToken"));
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

/* A JWT-shaped token that expires @p in_ms from now. */
static void expiring_token(char *out, size_t cap, long long in_ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  long long exp = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + in_ms;
  char json[64], mid[128];
  snprintf(json, sizeof json, "{\"exp\":%lld}", exp);
  static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t n = strlen(json), o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned char)json[i] << 16 | (i + 1 < n ? (unsigned char)json[i + 1] << 8 : 0) |
                 (i + 2 < n ? (unsigned char)json[i + 2] : 0);
    mid[o++] = a[v >> 18 & 63];
    mid[o++] = a[v >> 12 & 63];
    if (i + 1 < n) mid[o++] = a[v >> 6 & 63];
    if (i + 2 < n) mid[o++] = a[v & 63];
  }
  mid[o] = '\0';
  snprintf(out, cap, "eyJhbGciOiJub25lIn0.%s.c2ln", mid);
}

static void test_token_refresh(void) {
  char old[256], info[2048];
  expiring_token(old, sizeof old, 10000); /* 10 s left: refresh */
  snprintf(info, sizeof info,
           "{\"meetingNumber\":\"" NUMBER "\",\"sipUrl\":\"" SIP "\",\"meetingJoinUrl\":\"" LINK "\",\"locusUrl\":"
           "\"{BASE}" LOCUS_PATH "\",\"permissionToken\":\"%s\"}",
           old);
  script_route routes[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, info), R_INFO(200, INFO_OK), R_JOIN(200, JOINED_DTO),
  };
  scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = ready(c, &r);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  run(c);
  CHECK_INT(r.err, USM_OK);
  CHECK_STR(req_line(s, 3), "POST /wbxappapi/v1/meetingInfo");
  char want[512];
  snprintf(want, sizeof want, "{\"supportHostKey\":true,\"supportCountryList\":true,\"permissionToken\":\"%s\","
                              "\"meetingKey\":\"" NUMBER "\"}",
           old);
  CHECK_STR(scripted_server_request(s, 3)->body, want);
  const script_request *rq = find_req(s, "POST " LOCUS_PATH "/participant", 0);
  CHECK(rq && strstr(rq->body, "\"permissionToken\":\"" PTOKEN "\"")); /* the fresh one */
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* the refresh answered "password required": the join is refused and the meeting locked out */
  script_route locked[] = {R_CATALOG, R_DEVICE, R_INFO(200, info), R_INFO(403, PW_REQUIRED)};
  s = scripted_server_start_routes(locked, 4);
  c = flow_client(s);
  r = (rec){0};
  m = ready(c, &r);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "STATE:locked_out PASSWORD:required DONE:USM_ERR_PASSWORD_REQUIRED ");
  CHECK_INT(count_req(s, "POST /locus"), 0);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* far from expiry, or not decodable: no refresh */
  char fresh[256], info2[2048];
  expiring_token(fresh, sizeof fresh, 31000);
  const char *tokens[] = {fresh, "opaque-token-without-dots"};
  for (int i = 0; i < 2; i++) {
    snprintf(info2, sizeof info2, "{\"meetingNumber\":\"" NUMBER "\",\"locusUrl\":\"{BASE}" LOCUS_PATH "\","
                                  "\"permissionToken\":\"%s\"}",
             tokens[i]);
    script_route plain[] = {R_CATALOG, R_DEVICE, R_INFO(200, info2), R_JOIN(200, JOINED_DTO)};
    s = scripted_server_start_routes(plain, 4);
    c = flow_client(s);
    r = (rec){0};
    m = ready(c, &r);
    CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
    run(c);
    CHECK_INT(r.err, USM_OK);
    CHECK_INT(count_req(s, "POST /wbxappapi"), 1);
    usm_meeting_destroy(m);
    usm_client_destroy(c);
    scripted_server_stop(s);
  }
}

static void test_end(void) {
  script_route routes[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK), R_JOIN(200, JOINED_DTO),
    ROUTE("PATCH " LOCUS_PATH "/controls", 200, WRAP(DTO("21", "true", "ACTIVE", HOST_NOT "," ME_HOST, ME_HOST))),
    ROUTE("POST " LOCUS_PATH "/end", 200, WRAP(DTO("22", "true", "INACTIVE", HOST_NOT "," ME_HOST, ME_HOST))),
  };
  scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = ready(c, &r);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  run(c);
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_lock(m, 1, on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "LOCK:1 DONE:USM_OK ");
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_end(m, on_done, &r), USM_OK);
  CHECK_INT(usm_meeting_leave(m, on_done, &r), USM_ERR_WRONG_STATE); /* the end is running */
  run(c);
  CHECK_STR(r.log, "STATE:ended DONE:USM_OK ");
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_ENDED);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_ERR_WRONG_STATE);
  CHECK_INT(usm_meeting_participant_count(m), 0);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

#define LOBBY WRAP(DTO("10", "false", "ACTIVE", HOST_IN "," ME_WAIT, ME_WAIT))

static void test_lobby_exits(void) {
  /* the host turns us away (self LEFT); the keep-alive stops at its first failure */
  script_route away[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK), R_JOIN(200, LOBBY),
    STICKY("GET " LOCUS_PATH "/participant/P2/keepAlive", 404, "{}"),
    ROUTE("GET " LOCUS_PATH, 200, DTO("11", "false", "ACTIVE", HOST_IN, ME_LEFT)),
  };
  scripted_server *s = scripted_server_start_routes(away, sizeof away / sizeof away[0]);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = ready(c, &r);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "STATE:in_lobby ROSTER:joined:P1:host ROSTER:joined:P2:lobby:self HOST:P1 DONE:USM_OK STATE:left ");
  CHECK_INT(count_req(s, "GET " LOCUS_PATH "/participant/P2/keepAlive"), 1);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_LEFT);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* the meeting ends while we wait; a failed poll is retried */
  script_route ended[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK), R_JOIN(200, LOBBY),
    STICKY("GET " LOCUS_PATH "/participant/P2/keepAlive", 200, "{}"),
    ROUTE("GET " LOCUS_PATH, 404, "{\"message\":\"gone for a moment\"}"),
    ROUTE("GET " LOCUS_PATH, 200, DTO("11", "false", "INACTIVE", HOST_IN "," ME_WAIT, ME_WAIT)),
  };
  s = scripted_server_start_routes(ended, sizeof ended / sizeof ended[0]);
  c = flow_client(s);
  r = (rec){0};
  m = ready(c, &r);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  run(c);
  CHECK(strstr(r.log, "DONE:USM_OK STATE:ended ") != NULL);
  CHECK_INT(count_req(s, "GET " LOCUS_PATH "?"), 0);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_ENDED);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* leaving the lobby ourselves stops the polling */
  script_route leave[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK), R_JOIN(200, LOBBY),
    ROUTE("PUT " LOCUS_PATH "/participant/P2/leave", 200, "{}"),
  };
  s = scripted_server_start_routes(leave, sizeof leave / sizeof leave[0]);
  c = flow_client(s);
  r = (rec){0};
  m = ready(c, &r);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  while (r.dones < 2) usm_client_process(c);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_IN_LOBBY);
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_leave(m, on_done, &r), USM_OK);
  run(c); /* returns: nothing keeps it any more */
  CHECK_STR(r.log, "STATE:left DONE:USM_OK ");
  CHECK_INT(count_req(s, "GET " LOCUS_PATH), 0);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

/* A password answer while a captcha is pending: the used-up captcha is
 * replaced before the completion (the official SDK's workaround). */
static void test_captcha_used_up(void) {
  script_route routes[] = {
    R_CATALOG, R_DEVICE, R_INFO(423, CAPTCHA("cap1")), R_INFO(403, PW_WRONG),
    ROUTE("POST /captchaservice/v1/captchas/refresh", 200,
          "{\"captchaID\":\"cap2\",\"verificationImageURL\":\"i2\",\"verificationAudioURL\":\"a2\"}"),
  };
  scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
  usm_client *c = flow_client(s);
  rec r = {0};
  usm_meeting *m = NULL;
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r, &m), USM_OK);
  usm_meeting_set_event_cb(m, on_event, &r);
  run(c);
  CHECK_STR(r.log, "STATE:locked_out PASSWORD:required:captcha=cap1 DONE:USM_ERR_CAPTCHA_REQUIRED ");
  r.log[0] = '\0';
  CHECK_INT(usm_meeting_set_password(m, "wrong", "111111", on_done, &r), USM_OK);
  run(c);
  CHECK_STR(r.log, "PASSWORD:required:captcha=cap2 DONE:USM_ERR_PASSWORD_REQUIRED ");
  CHECK(strstr(r.msg, "Wrong password.") != NULL);
  usm_captcha k;
  CHECK_INT(usm_meeting_captcha(m, &k), USM_OK);
  CHECK_STR(k.image_url, "i2");
  CHECK_INT(count_req(s, "POST /captchaservice"), 1);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

int main(void) {
  test_captcha_used_up();
  test_join_errors();
  test_bad_options();
  test_redirects();
  test_loci_call();
  test_token_refresh();
  test_end();
  test_lobby_exits();
  return check_done("test_meeting_join");
}
