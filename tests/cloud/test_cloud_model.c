/* Unit tests of usm-cloud's model: time parsing, routing, the password and
 * captcha gate, Locus rules and sequences, permission tokens, config,
 * faults, the meeting input checks and Mercury's Locus deltas. No sockets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "check.h"
#include "config.h"
#include "hydra_ids.h"
#include "locus_model.h"
#include "meeting_input.h"
#include "mercury_events.h"
#include "password_gate.h"
#include "permission.h"
#include "rest/json.h"
#include "timefmt.h"

static void test_time(void) {
  time_t t;
  CHECK_INT(cloud_time_parse("2030-01-15T10:00:00Z", &t), 0);
  CHECK_INT(t, 1894701600);
  CHECK_INT(cloud_time_parse("2030-01-15T11:30:00+01:30", &t), 0);
  CHECK_INT(t, 1894701600);
  CHECK_INT(cloud_time_parse("2030-01-15T10:00Z", &t), 0);
  CHECK_INT(cloud_time_parse("2030-01-15T10:00:00.123456Z", &t), 0);
  CHECK_INT(cloud_time_parse("2028-02-29T00:00:00Z", &t), 0);
  const char *bad[] = {"",
                       "2030-01-15",
                       "2030-13-01T00:00:00Z",
                       "2029-02-29T00:00:00Z",
                       "2030-01-15T24:00:00Z",
                       "2030-01-15T10:00:00ZZ",
                       "1969-12-31T23:59:59Z",
                       "2030-01-15T10:00:00+25:00",
                       "2030-01-15 10:00:00Z",
                       "tomorrow",
                       "2030-01-15T10:00:00.Z"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_INT(cloud_time_parse(bad[i], &t), -1);
  char out[CLOUD_TIME_SIZE];
  cloud_time_format(1894701600, out);
  CHECK_STR(out, "2030-01-15T10:00:00Z");
  cloud_time_format_ms(1894701600123LL, out);
  CHECK_STR(out, "2030-01-15T10:00:00.123Z");
}

static void h_a(cloud_app *a, cloud_req *q, cloud_resp *r) {
  (void)a, (void)q;
  r->status = 1;
}
static void h_b(cloud_app *a, cloud_req *q, cloud_resp *r) {
  (void)a, (void)q;
  r->status = 2;
}

static void test_router(void) {
  static const cloud_route table[] = {{CLOUD_GET, "/v1/x", h_a, 0},
                                      {CLOUD_GET, "/v1/x/{id}", h_b, 0},
                                      {CLOUD_PUT, "/v1/x/{id}/y/{z}", h_a, 0},
                                      {0, NULL, NULL, 0}};
  const cloud_route *tables[] = {table};
  cloud_req q;
  memset(&q, 0, sizeof q);
  int st = 0;
  char path[64];
  q.path = path;
  q.method = CLOUD_GET;
  strcpy(path, "/v1/x/");
  CHECK(cloud_route_find(tables, 1, &q, &st) == &table[0]);
  strcpy(path, "/v1/x/abc");
  CHECK(cloud_route_find(tables, 1, &q, &st) == &table[1]);
  CHECK_STR(q.params[0], "abc");
  q.method = CLOUD_PUT;
  strcpy(path, "/v1/x/a/y/b");
  CHECK(cloud_route_find(tables, 1, &q, &st) == &table[2]);
  CHECK_INT(q.nparams, 2);
  CHECK_STR(q.params[1], "b");
  CHECK(cloud_route_find(tables, 1, &q, &st) && st == 0);
  strcpy(path, "/v1/x/a");
  CHECK(!cloud_route_find(tables, 1, &q, &st) && st == 405);
  strcpy(path, "/v1/x//y/b");
  CHECK(!cloud_route_find(tables, 1, &q, &st) && st == 404);
  strcpy(path, "/v1/xy");
  q.method = CLOUD_GET;
  CHECK(!cloud_route_find(tables, 1, &q, &st) && st == 404);
}

typedef struct world {
  cloud_store s;
  cloud_user *host, *alice, *bob, *app;
  cloud_meeting *m;
} world;

static void world_init(world *w) {
  cloud_store_init(&w->s);
  CHECK_INT(cloud_config_load(&w->s, NULL), 0);
  w->host = cloud_user_by_email(&w->s, "host@example.com");
  w->alice = cloud_user_by_email(&w->s, "alice@example.com");
  w->bob = cloud_user_by_email(&w->s, "bob@example.com");
  w->app = cloud_token_user(&w->s, "usm-demo-serviceapp-token", 25);
  CHECK(w->host && w->alice && w->bob && w->app);
  w->m = cloud_meeting_new(&w->s, CLOUD_MEETING_SCHEDULED, w->host);
  CHECK(w->m && cloud_meeting_set(&w->m->password, "Secret12") == 0);
}

static cloud_gate try_pw(world *w, const cloud_user *u, const char *pw, const char *cid,
                         const char *code, const cloud_captcha **c) {
  cloud_gate_input in = {pw, cid, code};
  return cloud_gate_check(&w->s, w->m, u, &in, c);
}

static void test_gate(void) {
  world w;
  world_init(&w);
  const cloud_captcha *c = NULL;
  CHECK_INT(try_pw(&w, w.host, NULL, NULL, NULL, &c), CLOUD_GATE_OPEN);
  CHECK_INT(try_pw(&w, w.alice, NULL, NULL, NULL, &c), CLOUD_GATE_PASSWORD_REQUIRED);
  CHECK_INT(try_pw(&w, w.alice, "Secret12", NULL, NULL, &c), CLOUD_GATE_OPEN);
  CHECK_INT(try_pw(&w, w.alice, w.m->host_key, NULL, NULL, &c), CLOUD_GATE_OPEN);
  CHECK_INT(try_pw(&w, w.alice, "x", NULL, NULL, &c), CLOUD_GATE_WRONG_PASSWORD);
  CHECK_INT(try_pw(&w, w.alice, "secret12", NULL, NULL, &c), CLOUD_GATE_WRONG_PASSWORD);
  CHECK_INT(try_pw(&w, w.alice, "x", NULL, NULL, &c), CLOUD_GATE_CAPTCHA);
  CHECK(c && strlen(c->code) == 6);
  char id[CLOUD_MEETING_ID_SIZE], code[8];
  snprintf(id, sizeof id, "%s", c->id);
  snprintf(code, sizeof code, "%s", c->code);
  /* Other users are not affected by alice's tries. */
  CHECK_INT(try_pw(&w, w.bob, "x", NULL, NULL, &c), CLOUD_GATE_WRONG_PASSWORD);
  /* Right password without the code: a new captcha, the old one is gone. */
  CHECK_INT(try_pw(&w, w.alice, "Secret12", NULL, NULL, &c), CLOUD_GATE_CAPTCHA);
  CHECK(cloud_captcha_by_id(&w.s, id) == NULL);
  snprintf(id, sizeof id, "%s", c->id);
  snprintf(code, sizeof code, "%s", c->code);
  CHECK_INT(try_pw(&w, w.alice, "Secret12", "nope", code, &c), CLOUD_GATE_CAPTCHA);
  snprintf(id, sizeof id, "%s", c->id);
  snprintf(code, sizeof code, "%s", c->code);
  char wrong[8];
  snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
  CHECK_INT(try_pw(&w, w.alice, "Secret12", id, wrong, &c), CLOUD_GATE_CAPTCHA);
  snprintf(id, sizeof id, "%s", c->id);
  snprintf(code, sizeof code, "%s", c->code);
  CHECK_INT(try_pw(&w, w.alice, "bad", id, code, &c), CLOUD_GATE_CAPTCHA);
  snprintf(id, sizeof id, "%s", c->id);
  snprintf(code, sizeof code, "%s", c->code);
  CHECK_INT(try_pw(&w, w.alice, "Secret12", id, code, &c), CLOUD_GATE_OPEN);
  CHECK_INT(w.s.captchas.len, 0);
  CHECK_INT(try_pw(&w, w.alice, "x", NULL, NULL, &c), CLOUD_GATE_WRONG_PASSWORD);
  /* Invitees and space members pass; captchaAfter 0 never asks. */
  CHECK(cloud_invitee_add(w.m, "bob@example.com", NULL, 0, 0) != NULL);
  CHECK_INT(try_pw(&w, w.bob, NULL, NULL, NULL, &c), CLOUD_GATE_OPEN);
  w.s.captcha_after = 0;
  for (int i = 0; i < 10; i++)
    CHECK_INT(try_pw(&w, w.alice, "x", NULL, NULL, &c), CLOUD_GATE_WRONG_PASSWORD);
  cloud_store_free(&w.s);
}

static void test_locus(void) {
  world w;
  world_init(&w);
  cloud_locus *l = cloud_locus_for(&w.s, w.m);
  CHECK(l && cloud_locus_for(&w.s, w.m) == l);
  uint64_t seq = l->sequence;
  cloud_join j = {"https://d/1", "corr", NULL, 0, NULL};
  cloud_participant *h, *a, *b;
  CHECK_INT(cloud_locus_join(l, w.host, &j, &h), CLOUD_LOCUS_OK);
  CHECK(h->state == CLOUD_PART_JOINED && h->moderator);
  CHECK(l->sequence == ++seq);
  CHECK_INT(cloud_locus_join(l, w.alice, &j, &a), CLOUD_LOCUS_OK);
  CHECK(cloud_participant_in_lobby(a) && !a->moderator);
  CHECK(l->sequence == ++seq);
  CHECK_INT(cloud_locus_keepalive(l, w.alice, a->id), CLOUD_LOCUS_OK);
  CHECK_INT(cloud_locus_keepalive(l, w.host, a->id), CLOUD_LOCUS_NOT_FOUND);
  const char *ids[] = {a->id};
  CHECK_INT(cloud_locus_admit(l, w.alice, ids, 1), CLOUD_LOCUS_NOT_MODERATOR);
  CHECK_INT(cloud_locus_admit(l, w.host, ids, 1), CLOUD_LOCUS_OK);
  CHECK(a->state == CLOUD_PART_JOINED && l->sequence == ++seq);
  CHECK_INT(cloud_locus_admit(l, w.host, ids, 1), CLOUD_LOCUS_BAD_TARGET);
  CHECK_INT(cloud_locus_set_host(l, w.host, a->id), CLOUD_LOCUS_OK);
  CHECK(a->moderator && !h->moderator && l->host == w.alice && l->sequence == ++seq);
  CHECK_INT(cloud_locus_lock(l, w.host, 1), CLOUD_LOCUS_NOT_MODERATOR);
  CHECK_INT(cloud_locus_lock(l, w.alice, 1), CLOUD_LOCUS_OK);
  CHECK(l->sequence == ++seq);
  CHECK_INT(cloud_locus_lock(l, w.alice, 1), CLOUD_LOCUS_OK);
  CHECK(l->sequence == seq); /* no change, no new sequence */
  CHECK_INT(cloud_locus_join(l, w.bob, &j, &b), CLOUD_LOCUS_LOCKED);
  cloud_join claim = {"https://d/2", NULL, NULL, 1, w.m->host_key};
  CHECK_INT(cloud_locus_join(l, w.bob, &claim, &b), CLOUD_LOCUS_OK);
  CHECK(b->moderator && !a->moderator && l->host == w.bob && l->sequence == ++seq);
  CHECK_INT(cloud_locus_mute(l, w.alice, h->id, 1, -1), CLOUD_LOCUS_NOT_MODERATOR);
  CHECK_INT(cloud_locus_mute(l, w.bob, h->id, 1, -1), CLOUD_LOCUS_OK);
  CHECK(h->audio_muted && l->sequence == ++seq);
  CHECK_INT(cloud_locus_invite(l, w.alice, "carol@example.com"), CLOUD_LOCUS_OK);
  CHECK(l->sequence == ++seq);
  CHECK_INT(cloud_locus_leave(l, w.alice, h->id), CLOUD_LOCUS_NOT_MODERATOR);
  CHECK_INT(cloud_locus_leave(l, w.alice, a->id), CLOUD_LOCUS_OK);
  CHECK(a->state == CLOUD_PART_LEFT && l->sequence == ++seq);
  char aid[CLOUD_UUID_SIZE];
  snprintf(aid, sizeof aid, "%s", a->id);
  CHECK_INT(cloud_locus_lock(l, w.bob, 0), CLOUD_LOCUS_OK);
  seq++;
  CHECK_INT(cloud_locus_join(l, w.alice, &j, &a), CLOUD_LOCUS_OK);
  CHECK(strcmp(a->id, aid) == 0 && cloud_participant_in_lobby(a)); /* same id, lobby again */
  seq++;
  CHECK_INT(cloud_locus_end(l, w.alice), CLOUD_LOCUS_NOT_MODERATOR);
  CHECK_INT(cloud_locus_end(l, w.bob), CLOUD_LOCUS_OK);
  CHECK(l->ended && w.m->ended && l->sequence == ++seq);
  CHECK_STR(cloud_meeting_state(w.m), "ended");
  CHECK_INT(cloud_locus_join(l, w.host, &j, &h), CLOUD_LOCUS_NOT_ACTIVE);
  CHECK_INT(cloud_locus_lock(l, w.bob, 1), CLOUD_LOCUS_NOT_ACTIVE);
  CHECK(cloud_locus_for(&w.s, w.m) == l); /* a scheduled meeting stays over */
  /* A personal room opens a new session after the last one ended. */
  cloud_meeting *pmr = w.host->pmr;
  cloud_locus *p1 = cloud_locus_for(&w.s, pmr);
  CHECK_INT(cloud_locus_join(p1, w.host, &j, &h), CLOUD_LOCUS_OK);
  CHECK_INT(cloud_locus_end(p1, w.host), CLOUD_LOCUS_OK);
  cloud_locus *p2 = cloud_locus_for(&w.s, pmr);
  CHECK(p2 && p2 != p1 && !p2->ended && !pmr->ended);
  cloud_store_free(&w.s);
}

static void test_permission(void) {
  world w;
  world_init(&w);
  char *t = cloud_permission_issue(&w.s, w.alice, w.m);
  CHECK(t && strchr(t, '.'));
  CHECK(cloud_permission_valid(&w.s, t, w.alice, w.m));
  CHECK(!cloud_permission_valid(&w.s, t, w.bob, w.m));
  CHECK(!cloud_permission_valid(&w.s, t, w.alice, w.host->pmr));
  CHECK(!cloud_permission_valid(&w.s, NULL, w.alice, w.m));
  CHECK(!cloud_permission_valid(&w.s, "a.b.c", w.alice, w.m));
  CHECK(!cloud_permission_valid(&w.s, "....", w.alice, w.m));
  size_t n = strlen(t);
  t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
  CHECK(!cloud_permission_valid(&w.s, t, w.alice, w.m));
  free(t);
  t = cloud_permission_issue(&w.s, w.alice, w.m);
  w.s.secret[0] ^= 1; /* another process's secret */
  CHECK(!cloud_permission_valid(&w.s, t, w.alice, w.m));
  free(t);
  cloud_store_free(&w.s);
}

static int config_rejects(const char *text) {
  cloud_store s;
  cloud_store_init(&s);
  cJSON *root = usm__json_parse(text, strlen(text));
  char err[300];
  int rc = cloud_config_apply(&s, root, err, sizeof err);
  cJSON_Delete(root);
  cloud_store_free(&s);
  return rc != 0;
}

static void test_config(void) {
  CHECK(config_rejects("[]"));
  CHECK(config_rejects("{\"users\":{}}"));
  CHECK(
      config_rejects("{\"users\":[{\"name\":\"x\",\"token\":\"t\"}]}")); /* person without email */
  CHECK(config_rejects("{\"users\":[{\"email\":\"bad\",\"name\":\"x\",\"token\":\"t\"}]}"));
  CHECK(config_rejects(
      "{\"users\":[{\"email\":\"a@b.co\",\"name\":\"x\",\"token\":\"t\",\"type\":\"admin\"}]}"));
  CHECK(
      config_rejects("{\"users\":[{\"email\":\"a@b.co\",\"name\":\"x\",\"token\":\"t\"},"
                     "{\"email\":\"c@b.co\",\"name\":\"y\",\"token\":\"t\"}]}"));
  CHECK(config_rejects("{\"spaces\":[{\"title\":\"s\",\"id\":\"not-a-uuid\"}]}"));
  CHECK(config_rejects("{\"spaces\":[{\"title\":\"s\",\"members\":[3]}]}"));
  CHECK(config_rejects("{\"captchaAfter\":-1}"));
  CHECK(
      !config_rejects("{\"captchaAfter\":5,\"users\":[{\"email\":\"a@b.co\",\"name\":\"x\","
                      "\"token\":\"t\",\"licensed\":true,\"expires\":4102444800}],"
                      "\"spaces\":[{\"title\":\"s\",\"members\":[\"a@b.co\"]}]}"));
  CHECK(cloud_email_valid("a.b+c@d-e.example.com"));
  CHECK(!cloud_email_valid("a@b") && !cloud_email_valid("@b.c") && !cloud_email_valid("a b@c.d") &&
        !cloud_email_valid("a@b@c.d") && !cloud_email_valid("a@.c"));
  char h[CLOUD_HYDRA_SIZE], uuid[CLOUD_UUID_SIZE];
  cloud_hydra_encode("ROOM", "5a0c9d1e-7b3f-4e62-9d8a-1f2e3d4c5b6a", h);
  CHECK_INT(cloud_hydra_decode("ROOM", h, uuid), 0);
  CHECK_STR(uuid, "5a0c9d1e-7b3f-4e62-9d8a-1f2e3d4c5b6a");
  CHECK_INT(cloud_hydra_decode("PEOPLE", h, uuid), -1);
}

static void test_faults(void) {
  cloud_faults f;
  cloud_faults_init(&f);
  char err[200];
  const char *set =
      "{\"latencyMs\":5,\"failNext\":{\"count\":2,\"status\":503,\"pathPrefix\":\"/v1/m\"}}";
  cJSON *b = usm__json_parse(set, strlen(set));
  CHECK_INT(cloud_faults_set(&f, b, err, sizeof err), 0);
  cJSON_Delete(b);
  CHECK_INT(f.latency_ms, 5);
  CHECK_INT(cloud_faults_take(&f, "/v1/people"), 0);
  CHECK_INT(cloud_faults_take(&f, "/v1/meetings"), 503);
  CHECK_INT(cloud_faults_take(&f, "/v1/m"), 503);
  CHECK_INT(cloud_faults_take(&f, "/v1/meetings"), 0);
  b = cJSON_CreateObject();
  CHECK_INT(cloud_faults_set(&f, b, err, sizeof err), 0);
  cJSON_Delete(b);
  CHECK_INT(f.latency_ms, 0);
  cloud_faults_free(&f);
}

static int input_status(const char *body, cloud_input_mode mode, const cloud_user *u) {
  cJSON *b = usm__json_parse(body, strlen(body));
  cloud_meeting_input in;
  int status = 0;
  char err[200];
  int rc = cloud_meeting_input_parse(b, mode, u, NULL, &in, &status, err, sizeof err);
  cloud_meeting_input_free(&in);
  cJSON_Delete(b);
  return rc == 0 ? 0 : status;
}

static void test_input(void) {
  world w;
  world_init(&w);
  const cloud_user *u = w.host;
  CHECK_INT(
      input_status(
          "{\"title\":\"t\",\"start\":\"2031-01-01T10:00:00Z\",\"end\":\"2031-01-01T11:00:00Z\"}",
          CLOUD_INPUT_CREATE, u),
      0);
  /* 128 characters of 2 bytes each are fine; 129 are not. */
  char body[2048];
  char title[600] = "";
  for (int i = 0; i < 128; i++) strcat(title, "\xc3\xa9");
  snprintf(body, sizeof body,
           "{\"title\":\"%s\",\"start\":\"2031-01-01T10:00:00Z\",\"end\":\"2031-01-01T11:00:00Z\"}",
           title);
  CHECK_INT(input_status(body, CLOUD_INPUT_CREATE, u), 0);
  strcat(title, "x");
  snprintf(body, sizeof body,
           "{\"title\":\"%s\",\"start\":\"2031-01-01T10:00:00Z\",\"end\":\"2031-01-01T11:00:00Z\"}",
           title);
  CHECK_INT(input_status(body, CLOUD_INPUT_CREATE, u), 400);
  CHECK_INT(
      input_status(
          "{\"title\":\"t\",\"start\":\"2031-01-01T10:00:00Z\",\"end\":\"2031-01-02T10:00:00Z\"}",
          CLOUD_INPUT_CREATE, u),
      400); /* 24 h */
  CHECK_INT(input_status("{\"adhoc\":true,\"roomId\":\"r\"}", CLOUD_INPUT_CREATE, u), 0);
  CHECK_INT(input_status("{\"title\":\"t\"}", CLOUD_INPUT_PATCH, u), 0);
  CHECK_INT(input_status("{\"title\":\"t\",\"invitees\":[]}", CLOUD_INPUT_PATCH, u), 400);
  CHECK_INT(
      input_status("{\"title\":\"t\",\"hostEmail\":\"alice@example.com\"}", CLOUD_INPUT_PATCH, u),
      403);
  CHECK_INT(input_status("{\"meetingOptions\":{\"noteType\":\"x\"}}", CLOUD_INPUT_PATCH, u), 400);
  CHECK_INT(input_status("{\"visualWatermarkOpacity\":90}", CLOUD_INPUT_PATCH, u), 400);
  CHECK_INT(input_status("{\"integrationTags\":[\"a\",1]}", CLOUD_INPUT_PATCH, u), 400);
  cloud_store_free(&w.s);
}

/* A viewer-less DTO: sequence n, participants "id:identity:state:moderator". */
static cJSON *dto(int n, int locked, const char *const *parts, size_t np) {
  char text[1024];
  int len = snprintf(text, sizeof text,
                     "{\"url\":\"u\",\"info\":{\"a\":1},\"controls\":{\"lock\":{\"locked\":%s}},"
                     "\"sequence\":{\"entries\":[%d],\"rangeStart\":0,\"rangeEnd\":0},"
                     "\"participants\":[",
                     locked ? "true" : "false", n);
  for (size_t i = 0; i < np; i++) {
    char id[16], who[16], state[16];
    int mod = 0;
    if (sscanf(parts[i], "%15[^:]:%15[^:]:%15[^:]:%d", id, who, state, &mod) != 4) return NULL;
    len += snprintf(text + len, sizeof text - (size_t)len,
                    "%s{\"id\":\"%s\",\"identity\":\"%s\",\"state\":\"%s\",\"moderator\":%s}",
                    i ? "," : "", id, who, state, mod ? "true" : "false");
  }
  snprintf(text + len, sizeof text - (size_t)len, "]}");
  return cJSON_Parse(text);
}

static void test_mercury_events(void) {
  const char *p1[] = {"h:H:JOINED:1"};
  const char *p2[] = {"h:H:JOINED:1", "a:A:IDLE:0"};
  const char *p3[] = {"h:H:JOINED:1", "a:A:LEFT:0"};
  cJSON *s2 = dto(2, 0, p1, 1), *s3 = dto(3, 0, p2, 2), *s4 = dto(4, 1, p2, 2),
        *s5 = dto(5, 1, p3, 2);
  cJSON *s7 = dto(7, 1, p3, 2);
  cloud_merc_change first = {NULL, s2}, lobby = {s2, s3}, lock = {s3, s4}, leave = {s4, s5};
  CHECK_STR(cloud_merc_event_type(&first), "locus.participant_joined");
  CHECK_STR(cloud_merc_event_type(&lobby), "locus.participant_updated");
  CHECK_STR(cloud_merc_event_type(&lock), "locus.controls_updated");
  CHECK_STR(cloud_merc_event_type(&leave), "locus.participant_left");
  CHECK(cloud_merc_delta(&first, "H") == NULL); /* no base */
  cloud_merc_change gap = {s5, s7};
  CHECK(cloud_merc_delta(&gap, "H") == NULL); /* not consecutive */
  /* Recipients: joined and lobby; who left only in the change that made it so. */
  CHECK(cloud_merc_is_recipient(&lobby, "A") && cloud_merc_is_recipient(&lobby, "H"));
  CHECK(!cloud_merc_is_recipient(&first, "A") && !cloud_merc_is_recipient(&lobby, "X"));
  CHECK(cloud_merc_is_recipient(&leave, "A"));
  cloud_merc_change after_leave = {s5, s5};
  CHECK(!cloud_merc_is_recipient(&after_leave, "A"));
  cJSON *d = cloud_merc_delta(&lobby, "A");
  const cJSON *parts = cJSON_GetObjectItem(d, "participants");
  CHECK(cJSON_GetArraySize(parts) == 1);
  CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(parts, 0), "id")->valuestring, "a");
  CHECK(cJSON_HasObjectItem(d, "self") && !cJSON_HasObjectItem(d, "controls"));
  CHECK(!cJSON_HasObjectItem(d, "info")); /* unchanged top-level objects stay out */
  const cJSON *base = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "baseSequence"), "entries");
  CHECK(cJSON_GetArrayItem(base, 0)->valueint == 2);
  cJSON_Delete(d);
  d = cloud_merc_delta(&lock, "H");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(d, "participants")) == 0);
  CHECK(cJSON_HasObjectItem(d, "controls") && !cJSON_HasObjectItem(d, "self"));
  cJSON_Delete(d);
  /* The sequence number goes in when the frame is written. */
  size_t len = 0;
  char *text = cloud_merc_envelope(cJSON_CreateObject(), &len);
  char buf[512];
  CHECK(text && len + CLOUD_MERC_SEQ_TAIL < sizeof buf);
  if (text && len + CLOUD_MERC_SEQ_TAIL < sizeof buf) {
    memcpy(buf, text, len);
    len = cloud_merc_close_envelope(buf, len, 42);
    cJSON *env = cJSON_ParseWithLength(buf, len);
    CHECK(env && cJSON_GetObjectItem(env, "sequenceNumber")->valueint == 42 &&
          cJSON_IsObject(cJSON_GetObjectItem(env, "headers")));
    cJSON_Delete(env);
  }
  cJSON_free(text);
  cJSON_Delete(s2);
  cJSON_Delete(s3);
  cJSON_Delete(s4);
  cJSON_Delete(s5);
  cJSON_Delete(s7);
}

int main(void) {
  test_time();
  test_router();
  test_gate();
  test_locus();
  test_permission();
  test_config();
  test_faults();
  test_input();
  test_mercury_events();
  return check_done("test_cloud_model");
}
