/* ROAP over Locus: reading messages (table), glare, and the media request
 * flow against a scripted Locus: TURN discovery (with and without the OK),
 * OFFER → ANSWER from the HTTP response, our ANSWER to a server OFFER,
 * ordering of queued requests, and failures. */
#include <cjson/cJSON.h>
#include <time.h>

#include "flow_util.h"
#include "meeting/meeting_internal.h"
#include "meeting/roap.h"

/* ---- parsing ------------------------------------------------------------------- */

static void test_parse(void) {
  static const struct {
    const char *json;
    usm_err err;
    usm__roap_type type;
    int64_t seq;
  } cases[] = {
    {"{\"messageType\":\"ANSWER\",\"seq\":1,\"sdps\":[\"v=0\"],\"version\":\"2\"}", USM_OK, USM__ROAP_ANSWER, 1},
    {"{\"messageType\":\"OFFER\",\"seq\":\"7\",\"sdps\":[\"v=0\"],\"tieBreaker\":4294967295}", USM_OK,
     USM__ROAP_OFFER, 7},
    {"{\"messageType\":\"TURN_DISCOVERY_RESPONSE\",\"seq\":\"0\",\"headers\":[\"noOkInTransaction\"]}", USM_OK,
     USM__ROAP_TURN_DISCOVERY_RESPONSE, 0},
    {"{\"messageType\":\"ERROR\",\"seq\":3,\"errorType\":\"CONFLICT\"}", USM_OK, USM__ROAP_ERROR, 3},
    {"{\"messageType\":\"OK\",\"seq\":2}", USM_OK, USM__ROAP_OK, 2},
    {"{\"messageType\":\"ANSWER\",\"seq\":1}", USM_ERR_MALFORMED, USM__ROAP_ANSWER, 0},        /* no SDP */
    {"{\"messageType\":\"OFFER\",\"seq\":1,\"sdps\":[5]}", USM_ERR_MALFORMED, USM__ROAP_OFFER, 0},
    {"{\"messageType\":\"OFFER\",\"seq\":1,\"sdps\":\"v=0\"}", USM_ERR_MALFORMED, USM__ROAP_OFFER, 0},
    {"{\"messageType\":\"HELLO\",\"seq\":1}", USM_ERR_MALFORMED, USM__ROAP_UNKNOWN, 0},
    {"{\"messageType\":\"OK\",\"seq\":-1}", USM_ERR_MALFORMED, USM__ROAP_OK, 0},
    {"{\"messageType\":\"OK\",\"seq\":1.5}", USM_ERR_MALFORMED, USM__ROAP_OK, 0},
    {"{\"messageType\":\"OK\",\"seq\":\"1x\"}", USM_ERR_MALFORMED, USM__ROAP_OK, 0},
    {"{\"messageType\":\"OK\",\"seq\":99999999999}", USM_ERR_MALFORMED, USM__ROAP_OK, 0},
    {"{\"messageType\":\"OK\"}", USM_ERR_MALFORMED, USM__ROAP_OK, 0},
    {"{\"messageType\":\"OFFER\",\"seq\":1,\"sdps\":[\"v=0\"],\"tieBreaker\":4294967296}", USM_ERR_MALFORMED,
     USM__ROAP_OFFER, 0},
    {"{\"messageType\":\"OK\",\"seq\":1,\"headers\":\"x\"}", USM_ERR_MALFORMED, USM__ROAP_OK, 0},
    {"[1]", USM_ERR_MALFORMED, USM__ROAP_UNKNOWN, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *o = cJSON_Parse(cases[i].json);
    usm__roap_msg msg;
    usm_err e = usm__roap_parse(o, &msg);
    if (e != cases[i].err) fprintf(stderr, "case %zu: %s\n", i, cases[i].json);
    CHECK_INT(e, cases[i].err);
    if (e == USM_OK) {
      CHECK_INT(msg.type, cases[i].type);
      CHECK_INT(msg.seq, cases[i].seq);
    }
    cJSON_Delete(o);
  }
  /* an SDP over the bound */
  size_t big = USM__ROAP_MAX_SDP + 1;
  char *sdp = malloc(big + 1);
  memset(sdp, 'a', big);
  sdp[big] = '\0';
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "messageType", "OFFER");
  cJSON_AddNumberToObject(o, "seq", 1);
  cJSON_AddItemToObject(o, "sdps", cJSON_CreateStringArray((const char *const[]){sdp}, 1));
  usm__roap_msg msg;
  CHECK_INT(usm__roap_parse(o, &msg), USM_ERR_LIMIT);
  cJSON_Delete(o);
  free(sdp);

  CHECK_INT(usm__roap_glare(5, 3), USM__GLARE_WE_WIN);
  CHECK_INT(usm__roap_glare(3, 5), USM__GLARE_THEY_WIN);
  CHECK_INT(usm__roap_glare(4, 4), USM__GLARE_DOUBLE);
}

/* ---- the flow ------------------------------------------------------------------ */

/* Drive the loop until @p r has @p replies replies (at most ~2 s). */
static void wait_replies(usm_client *c, const int *replies, int want) {
  for (int i = 0; i < 1000 && *replies < want; i++) {
    usm_client_process(c);
    nanosleep(&(struct timespec){0, 2000000}, NULL);
  }
}

#define SELF_MEDIA "PUT " LOCUS_PATH "/participant/P2/media"
#define JOINED_DTO DTO("10", "false", "ACTIVE", HOST_IN "," ME_IN, ME_IN)
/* mediaConnections[].remoteSdp is a JSON *string* holding {roapMessage} */
#define MEDIA_ANSWER(roap_escaped)                                                                              \
  "{\"locus\":" JOINED_DTO ",\"mediaConnections\":[{\"mediaId\":\"media-1\",\"remoteSdp\":\"{\\\"roapMessage\\\":" \
  roap_escaped "}\"}]}"
#define TURN_RESPONSE(ok_header)                                                                                \
  "{\\\"messageType\\\":\\\"TURN_DISCOVERY_RESPONSE\\\",\\\"seq\\\":\\\"0\\\",\\\"headers\\\":["                 \
  "\\\"x-cisco-turn-url=turns:127.0.0.1:443?transport=tcp\\\",\\\"x-cisco-turn-username=u1\\\","                \
  "\\\"x-cisco-turn-password=p1\\\"" ok_header "]}"
#define ANSWER_MSG "{\\\"messageType\\\":\\\"ANSWER\\\",\\\"seq\\\":1,\\\"sdps\\\":[\\\"v=0 answer\\\"]}"

typedef struct roap_rec {
  int turns, replies;
  usm_err err;
  char turn_url[128], turn_user[32], turn_pass[32];
  char reply[256];
  int order[8], n;
} roap_rec;

static void on_turn(usm_meeting *m, usm_err err, const usm__turn_info *t, void *user) {
  (void)m;
  roap_rec *r = user;
  r->turns++;
  r->err = err;
  if (t) {
    snprintf(r->turn_url, sizeof r->turn_url, "%s", t->url ? t->url : "");
    snprintf(r->turn_user, sizeof r->turn_user, "%s", t->username ? t->username : "");
    snprintf(r->turn_pass, sizeof r->turn_pass, "%s", t->password ? t->password : "");
  }
  if (r->n < 8) r->order[r->n++] = 0;
}

static void on_reply(usm_meeting *m, usm_err err, const usm__roap_msg *msg, void *user) {
  (void)m;
  roap_rec *r = user;
  r->replies++;
  r->err = err;
  snprintf(r->reply, sizeof r->reply, "%s", msg && msg->sdp ? msg->sdp : msg ? "(no sdp)" : "(none)");
  if (r->n < 8) r->order[r->n++] = 1;
}

/* A joined meeting on @p s (the routes must answer the join with JOINED_DTO). */
static usm_meeting *joined_meeting(usm_client *c) {
  rec r = {0};
  usm_meeting *m;
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &r, &m), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &r), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_JOINED);
  return m;
}

/* The localSdp string of the n-th media request, parsed, and its roapMessage. */
static cJSON *sent_roap(scripted_server *s, int nth, cJSON **outer) {
  const script_request *q = find_req(s, SELF_MEDIA, nth);
  CHECK(q != NULL);
  if (!q) return NULL;
  cJSON *body = cJSON_Parse(q->body);
  cJSON *lm = cJSON_GetArrayItem(cJSON_GetObjectItem(body, "localMedias"), 0);
  cJSON *local = cJSON_GetObjectItem(lm, "localSdp");
  CHECK(cJSON_IsString(local)); /* Locus requires a JSON string here */
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(body, "device"), "deviceType")), "WEB");
  CHECK(cJSON_IsString(cJSON_GetObjectItem(body, "correlationId")));
  *outer = cJSON_IsString(local) ? cJSON_Parse(local->valuestring) : NULL;
  cJSON_Delete(body);
  return cJSON_GetObjectItem(*outer, "roapMessage");
}

static void test_flow(void) {
  script_route routes[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK), ROUTE("POST " LOCUS_PATH "/participant", 200, WRAP(JOINED_DTO)),
    ROUTE(SELF_MEDIA, 200, MEDIA_ANSWER(TURN_RESPONSE(""))), /* no noOkInTransaction: we send OK seq 0 */
    ROUTE(SELF_MEDIA, 200, "{}"),                            /* the OK */
    ROUTE(SELF_MEDIA, 200, MEDIA_ANSWER(ANSWER_MSG)),        /* our OFFER */
    ROUTE(SELF_MEDIA, 200, "{}"),                            /* our ANSWER to a server offer */
  };
  scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
  usm_client *c = flow_client(s);
  usm_meeting *m = joined_meeting(c);
  roap_rec r = {0};
  CHECK_INT(usm__roap_turn_discovery(m, on_turn, &r), USM_OK);
  usm__roap_media_state st = {1, 0};
  CHECK_INT(usm__roap_offer(m, "v=0 offer", 77, &st, on_reply, &r), USM_OK); /* queued behind */
  wait_replies(c, &r.replies, 1);
  CHECK_INT(r.turns, 1);
  CHECK_STR(r.turn_url, "turns:127.0.0.1:443?transport=tcp");
  CHECK_STR(r.turn_user, "u1");
  CHECK_STR(r.turn_pass, "p1");
  CHECK_INT(r.replies, 1);
  CHECK_INT(r.err, USM_OK);
  CHECK_STR(r.reply, "v=0 answer");
  CHECK_INT(r.order[0], 0); /* in order */
  CHECK_INT(r.order[1], 1);
  cJSON *outer;
  cJSON *msg = sent_roap(s, 0, &outer);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(msg, "messageType")), "TURN_DISCOVERY_REQUEST");
  CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(msg, "seq")), 0);
  cJSON_Delete(outer);
  msg = sent_roap(s, 1, &outer);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(msg, "messageType")), "OK");
  CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(msg, "seq")), 0);
  cJSON_Delete(outer);
  msg = sent_roap(s, 2, &outer);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(msg, "messageType")), "OFFER");
  CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(msg, "seq")), 1); /* ROAP starts at 1 */
  CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(msg, "tieBreaker")), 77);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(msg, "sdps"), 0)), "v=0 offer");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(msg, "headers"), 0)),
            "includeAnswerInHttpResponse");
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(outer, "audioMuted")));
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(outer, "videoMuted")));
  cJSON_Delete(outer);

  /* a server OFFER (seq 5) answered with the same seq and the mediaId we were given */
  CHECK_INT(usm__roap_answer(m, 5, "v=0 our answer", &st, on_reply, &r), USM_OK);
  wait_replies(c, &r.replies, 2);
  CHECK_INT(r.replies, 2);
  CHECK_STR(r.reply, "(none)"); /* no ROAP message in that answer: fine for an ANSWER */
  const script_request *q = find_req(s, SELF_MEDIA, 3);
  CHECK(q && strstr(q->body, "\"mediaId\":\"media-1\""));
  msg = sent_roap(s, 3, &outer);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(msg, "messageType")), "ANSWER");
  CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(msg, "seq")), 5);
  cJSON_Delete(outer);
  /* an offer needs an SDP */
  CHECK_INT(usm__roap_offer(m, NULL, 1, &st, on_reply, &r), USM_ERR_INVALID_ARG);
  usm_meeting_destroy(m);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

static void test_failures(void) {
  script_route routes[] = {
    R_CATALOG, R_DEVICE, R_INFO(200, INFO_OK), ROUTE("POST " LOCUS_PATH "/participant", 200, WRAP(JOINED_DTO)),
    ROUTE(SELF_MEDIA, 400, LOCUS_ERR(2400001, "Bad SDP")),
    ROUTE(SELF_MEDIA, 200, "{\"mediaConnections\":[{\"mediaId\":\"x\",\"remoteSdp\":\"not json\"}]}"),
  };
  scripted_server *s = scripted_server_start_routes(routes, sizeof routes / sizeof routes[0]);
  usm_client *c = flow_client(s);
  rec fr = {0};
  usm_meeting *m;
  CHECK_INT(usm_meetings_create(c, NUMBER, USM_DEST_AUTO, on_done, &fr, &m), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  roap_rec r = {0};
  /* not joined yet */
  CHECK_INT(usm__roap_offer(m, "v=0", 1, NULL, on_reply, &r), USM_ERR_WRONG_STATE);
  CHECK_INT(usm_meeting_join(m, NULL, on_done, &fr), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(usm__roap_offer(m, "v=0 a", 1, NULL, on_reply, &r), USM_OK);
  CHECK_INT(usm__roap_offer(m, "v=0 b", 1, NULL, on_reply, &r), USM_OK);
  wait_replies(c, &r.replies, 2);
  CHECK_INT(r.replies, 2);
  CHECK_INT(r.err, USM_ERR_ROAP); /* an offer answered without a usable ANSWER */
  CHECK_STR(r.reply, "(none)");
  /* the queue is bounded */
  int refused = 0;
  for (int i = 0; i < USM__ROAP_QUEUE_MAX + 2; i++) refused += usm__roap_offer(m, "v=0", 1, NULL, NULL, NULL) == USM_ERR_LIMIT;
  CHECK(refused >= 1);
  usm_meeting_destroy(m); /* with requests queued and in flight: nothing leaks, nothing fires */
  usm_client_destroy(c);
  scripted_server_stop(s);
}

int main(void) {
  test_parse();
  test_flow();
  test_failures();
  return check_done("test_roap");
}
