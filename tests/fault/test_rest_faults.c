/* The REST client against a scripted peer: error mapping with the server's
 * message and trackingId, Retry-After and 5xx retries, oversized bodies,
 * broken and silent servers, pagination, request shape, log hygiene, and
 * destruction with requests in flight. */
#include <stdio.h>
#include <stdlib.h>
#include <usm/usm.h>
#include <uv.h>

#include "check.h"
#include "scripted_server.h"

#define TOKEN "SECRET-TOKEN-abcdef0123456789"

typedef struct outcome {
  int calls;
  usm_err err;
  int http_status;
  unsigned retries;
  char message[1024];
  char tracking_id[256];
  char first_id[128];
  char next_page[1024];
  size_t count;
} outcome;

static void copy_status(outcome *o, const usm_rest_status *st) {
  o->calls++;
  o->err = st->err;
  o->http_status = st->http_status;
  o->retries = st->retries;
  snprintf(o->message, sizeof o->message, "%s", st->message);
  snprintf(o->tracking_id, sizeof o->tracking_id, "%s", st->tracking_id ? st->tracking_id : "");
}

static void on_meeting(usm_client *c, const usm_rest_status *st, const usm_rest_meeting *m, void *user) {
  (void)c;
  outcome *o = user;
  copy_status(o, st);
  CHECK((st->err == USM_OK) == (m != NULL));
  if (m) snprintf(o->first_id, sizeof o->first_id, "%s", m->id);
}

static void on_list(usm_client *c, const usm_rest_status *st, const usm_rest_meeting_list *l, void *user) {
  (void)c;
  outcome *o = user;
  copy_status(o, st);
  if (!l) return;
  o->count = l->count;
  if (l->count) snprintf(o->first_id, sizeof o->first_id, "%s", l->items[0].id);
  snprintf(o->next_page, sizeof o->next_page, "%s", l->next_page ? l->next_page : "");
}

static char logs[65536];
static size_t logs_len;
static void capture_log(void *user, usm_log_level level, const char *msg) {
  (void)user;
  (void)level;
  int n = snprintf(logs + logs_len, sizeof logs - logs_len, "%s\n", msg);
  if (n > 0 && (size_t)n < sizeof logs - logs_len) logs_len += (size_t)n;
}

static usm_client *client_for(scripted_server *s, void (*tweak)(usm_client_options *)) {
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", scripted_server_port(s));
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = TOKEN;
  o.api_url = url;
  o.max_retries = 3;
  o.log_cb = capture_log;
  o.log_level = USM_LOG_DEBUG;
  if (tweak) tweak(&o);
  usm_client *c = NULL;
  CHECK_INT(usm_client_create(&o, &c), USM_OK);
  return c;
}

/* One GET /meetings/abc against a script; returns the outcome. */
static outcome get_with(const script_step *steps, size_t n, void (*tweak)(usm_client_options *),
                        size_t *requests) {
  outcome o = {0};
  scripted_server *s = scripted_server_start(steps, n);
  usm_client *c = client_for(s, tweak);
  CHECK_INT(usm_rest_meetings_get(c, "abc", NULL, on_meeting, &o), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(o.calls, 1);
  usm_client_destroy(c);
  if (requests) *requests = scripted_server_count(s);
  scripted_server_stop(s);
  return o;
}

#define MEETING_OK "{\"id\":\"m1\",\"title\":\"T\"}"
#define ERR_BODY(msg) "{\"message\":\"" msg "\",\"errors\":[{\"description\":\"" msg "\"}],\"trackingId\":\"TRK_1\"}"

static void test_error_mapping(void) {
  static const struct {
    int status;
    usm_err err;
  } t[] = {
    {400, USM_ERR_BAD_REQUEST}, {401, USM_ERR_UNAUTHORIZED}, {403, USM_ERR_FORBIDDEN},
    {404, USM_ERR_NOT_FOUND},   {405, USM_ERR_HTTP},         {409, USM_ERR_CONFLICT},
    {410, USM_ERR_GONE},        {415, USM_ERR_HTTP},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    script_step st[] = {{SCRIPT_NORMAL, t[i].status, NULL, ERR_BODY("Nope."), 0}};
    size_t reqs;
    outcome o = get_with(st, 1, NULL, &reqs);
    CHECK_INT(o.err, t[i].err);
    CHECK_INT(o.http_status, t[i].status);
    CHECK_INT(reqs, 1); /* never retried */
    CHECK(strstr(o.message, "Nope.") != NULL);
    CHECK_STR(o.tracking_id, "TRK_1");
  }
  /* trackingId from the header when the body has none */
  script_step hdr[] = {{SCRIPT_NORMAL, 404, "TrackingID: HDR_TRK_9\r\n", "", 0}};
  outcome o = get_with(hdr, 1, NULL, NULL);
  CHECK_INT(o.err, USM_ERR_NOT_FOUND);
  CHECK_STR(o.tracking_id, "HDR_TRK_9");
  CHECK(strstr(o.message, "404") != NULL);
}

static void no_retries(usm_client_options *o) { o->max_retries = 0; }
static void two_retries(usm_client_options *o) { o->max_retries = 2; }

static void test_retries(void) {
  size_t reqs;
  /* 429 with Retry-After, then success */
  script_step rl[] = {{SCRIPT_NORMAL, 429, "Retry-After: 1\r\n", ERR_BODY("slow down"), 0},
                      {SCRIPT_NORMAL, 200, NULL, MEETING_OK, 0}};
  uint64_t t0 = uv_hrtime();
  outcome o = get_with(rl, 2, NULL, &reqs);
  uint64_t waited_ms = (uv_hrtime() - t0) / 1000000;
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.retries, 1);
  CHECK_INT(reqs, 2);
  CHECK_STR(o.first_id, "m1");
  CHECK(waited_ms >= 900); /* honoured the server's 1 s; only a lower bound is meaningful */

  /* 423 then success, immediately allowed */
  script_step lk[] = {{SCRIPT_NORMAL, 423, "Retry-After: 0\r\n", "", 0}, {SCRIPT_NORMAL, 200, NULL, MEETING_OK, 0}};
  o = get_with(lk, 2, NULL, &reqs);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.retries, 1);

  /* 503 forever: bounded by max_retries */
  script_step down[] = {{SCRIPT_NORMAL, 503, "Retry-After: 0\r\n", ERR_BODY("down"), 0},
                        {SCRIPT_NORMAL, 503, "Retry-After: 0\r\n", ERR_BODY("down"), 0},
                        {SCRIPT_NORMAL, 503, "Retry-After: 0\r\n", ERR_BODY("down"), 0},
                        {SCRIPT_NORMAL, 503, "Retry-After: 0\r\n", ERR_BODY("down"), 0}};
  o = get_with(down, 4, two_retries, &reqs);
  CHECK_INT(o.err, USM_ERR_SERVER);
  CHECK_INT(o.http_status, 503);
  CHECK_INT(o.retries, 2);
  CHECK_INT(reqs, 3);

  /* 429 with no retries allowed */
  o = get_with(rl, 2, no_retries, &reqs);
  CHECK_INT(o.err, USM_ERR_RATE_LIMITED);
  CHECK_INT(reqs, 1);

  /* Retry-After beyond the limit: fail at once, say why */
  script_step far[] = {{SCRIPT_NORMAL, 429, "Retry-After: 3600\r\n", ERR_BODY("later"), 0}};
  o = get_with(far, 1, NULL, &reqs);
  CHECK_INT(o.err, USM_ERR_RATE_LIMITED);
  CHECK_INT(reqs, 1);
  CHECK(strstr(o.message, "Retry-After") != NULL);

  /* 500 on an idempotent GET is retried (with backoff, no Retry-After) */
  script_step e500[] = {{SCRIPT_NORMAL, 500, NULL, ERR_BODY("oops"), 0}, {SCRIPT_NORMAL, 200, NULL, MEETING_OK, 0}};
  o = get_with(e500, 2, NULL, &reqs);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(reqs, 2);

  /* 500 on POST /meetings is not: it may have created the meeting */
  scripted_server *s = scripted_server_start(e500, 2);
  usm_client *c = client_for(s, NULL);
  usm_rest_meeting_params p;
  usm_rest_meeting_params_init(&p);
  p.title = "T";
  p.start = "2030-01-01T10:00:00Z";
  p.end = "2030-01-01T11:00:00Z";
  outcome oc = {0};
  CHECK_INT(usm_rest_meetings_create(c, &p, on_meeting, &oc), USM_OK);
  usm_client_run(c);
  CHECK_INT(oc.err, USM_ERR_SERVER);
  CHECK_INT(oc.retries, 0);
  CHECK_INT(scripted_server_count(s), 1);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

static void small_body(usm_client_options *o) { o->max_body_bytes = 1024; }
static void short_timeout(usm_client_options *o) { o->request_timeout_ms = 300; }

static void test_bad_servers(void) {
  static char big[8192];
  memset(big, 'a', sizeof big - 1);
  script_step large[] = {{SCRIPT_NORMAL, 200, NULL, big, 0}};
  outcome o = get_with(large, 1, small_body, NULL);
  CHECK_INT(o.err, USM_ERR_RESPONSE_TOO_LARGE);

  script_step chunked[] = {{SCRIPT_CHUNKED_BIG, 200, NULL, NULL, 64 * 1024}};
  o = get_with(chunked, 1, small_body, NULL);
  CHECK_INT(o.err, USM_ERR_RESPONSE_TOO_LARGE);

  script_step notjson[] = {{SCRIPT_NORMAL, 200, NULL, "<html>hello</html>", 0}};
  o = get_with(notjson, 1, NULL, NULL);
  CHECK_INT(o.err, USM_ERR_BAD_RESPONSE);
  CHECK_INT(o.http_status, 200);

  script_step noid[] = {{SCRIPT_NORMAL, 200, NULL, "{\"title\":\"no id\"}", 0}};
  o = get_with(noid, 1, NULL, NULL);
  CHECK_INT(o.err, USM_ERR_BAD_RESPONSE);

  script_step cut[] = {{SCRIPT_CLOSE_MID, 200, NULL, MEETING_OK MEETING_OK, 0}};
  o = get_with(cut, 1, NULL, NULL);
  CHECK_INT(o.err, USM_ERR_NETWORK);

  script_step hang[] = {{SCRIPT_HANG, 0, NULL, NULL, 0}};
  o = get_with(hang, 1, short_timeout, NULL);
  CHECK_INT(o.err, USM_ERR_TIMEOUT);
  CHECK_INT(o.http_status, 0);

  /* nobody listening */
  scripted_server *s = scripted_server_start(NULL, 0);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", scripted_server_port(s));
  scripted_server_stop(s); /* port now closed */
  usm_client_options opt;
  usm_client_options_init(&opt);
  opt.access_token = TOKEN;
  opt.api_url = url;
  usm_client *c = NULL;
  CHECK_INT(usm_client_create(&opt, &c), USM_OK);
  outcome oc = {0};
  CHECK_INT(usm_rest_meetings_get(c, "abc", NULL, on_meeting, &oc), USM_OK);
  usm_client_run(c);
  CHECK_INT(oc.err, USM_ERR_NETWORK);
  CHECK(strlen(usm_client_last_error(c)) > 0);
  usm_client_destroy(c);
}

static void test_license_and_shape(void) {
  script_step st[] = {{SCRIPT_NORMAL, 403, NULL, ERR_BODY("User has no meetings license."), 0},
                      {SCRIPT_NORMAL, 200, NULL, MEETING_OK, 0}};
  scripted_server *s = scripted_server_start(st, 2);
  usm_client *c = client_for(s, NULL);
  usm_rest_invitee_params inv = {"bob@example.com", "Bob", 1, -1};
  usm_rest_meeting_params p;
  usm_rest_meeting_params_init(&p);
  p.title = "Weekly";
  p.start = "2030-01-01T10:00:00Z";
  p.end = "2030-01-01T11:00:00Z";
  p.invitees = &inv;
  p.n_invitees = 1;
  p.enabled_join_before_host = 1;
  p.extra_json = "{\"title\":\"Overridden\",\"meetingOptions\":{\"enabledChat\":true}}";
  outcome o = {0};
  CHECK_INT(usm_rest_meetings_create(c, &p, on_meeting, &o), USM_OK);
  usm_client_run(c);
  CHECK_INT(o.err, USM_ERR_NO_LICENSE);
  CHECK_INT(o.http_status, 403);
  CHECK(strstr(o.message, "license") != NULL);
  CHECK(strstr(usm_client_last_error(c), "TRK_1") != NULL);

  const script_request *rq = scripted_server_request(s, 0);
  CHECK(rq != NULL);
  if (rq) {
    CHECK_STR(rq->method, "POST");
    CHECK_STR(rq->path, "/v1/meetings");
    CHECK(strstr(rq->headers, "Authorization: Bearer " TOKEN "\r\n") != NULL);
    CHECK(strstr(rq->headers, "Content-Type: application/json") != NULL);
    CHECK(strstr(rq->headers, "TrackingID: USM_") != NULL);
    CHECK(strstr(rq->body, "\"title\":\"Overridden\"") != NULL);
    CHECK(strstr(rq->body, "\"enabledChat\":true") != NULL);
    CHECK(strstr(rq->body, "\"invitees\":[{\"email\":\"bob@example.com\",\"displayName\":\"Bob\",\"coHost\":true}]"));
    CHECK(strstr(rq->body, "\"enabledJoinBeforeHost\":true") != NULL);
    CHECK(strstr(rq->body, "sendEmail") == NULL); /* unset stays unset */
  }
  /* password header and escaping of the id */
  o = (outcome){0};
  CHECK_INT(usm_rest_meetings_get(c, "a/b c", "pw 1", on_meeting, &o), USM_OK);
  usm_client_run(c);
  CHECK_INT(o.err, USM_OK);
  rq = scripted_server_request(s, 1);
  if (rq) {
    CHECK_STR(rq->path, "/v1/meetings/a%2Fb%20c");
    CHECK(strstr(rq->headers, "password: pw 1\r\n") != NULL);
  }
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* the token never reaches the log, though the log saw the requests */
  CHECK(logs_len > 0);
  CHECK(strstr(logs, TOKEN) == NULL);
  CHECK(strstr(logs, "/v1/meetings") != NULL);
}

static void test_pagination(void) {
  /* The Link header names the server's own port, known once it listens. */
  static char hdr[256];
  script_step st[2] = {{SCRIPT_NORMAL, 200, hdr, "{\"items\":[{\"id\":\"p1\"}]}", 0},
                       {SCRIPT_NORMAL, 200, NULL, "{\"items\":[{\"id\":\"p2\"},{\"id\":\"p3\"}]}", 0}};
  scripted_server *s = scripted_server_start(st, 2);
  snprintf(hdr, sizeof hdr, "Link: <http://127.0.0.1:%d/v1/meetings?cursor=2&max=1>; rel=\"next\"\r\n",
           scripted_server_port(s));
  usm_client *c = client_for(s, NULL);
  usm_rest_meeting_list_params lp;
  usm_rest_meeting_list_params_init(&lp);
  lp.max = 1;
  lp.state = "scheduled";
  outcome o = {0};
  CHECK_INT(usm_rest_meetings_list(c, &lp, on_list, &o), USM_OK);
  usm_client_run(c);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.count, 1);
  CHECK_STR(o.first_id, "p1");
  CHECK(strstr(o.next_page, "cursor=2") != NULL);
  const script_request *rq = scripted_server_request(s, 0);
  if (rq) CHECK_STR(rq->path, "/v1/meetings?state=scheduled&max=1");

  usm_rest_meeting_list_params next;
  usm_rest_meeting_list_params_init(&next);
  char page[1024];
  snprintf(page, sizeof page, "%s", o.next_page);
  next.page_url = page;
  o = (outcome){0};
  CHECK_INT(usm_rest_meetings_list(c, &next, on_list, &o), USM_OK);
  usm_client_run(c);
  CHECK_INT(o.count, 2);
  CHECK(o.next_page[0] == '\0');
  rq = scripted_server_request(s, 1);
  if (rq) CHECK_STR(rq->path, "/v1/meetings?cursor=2&max=1");

  /* a page URL on another origin would carry the token away: refused */
  next.page_url = "http://127.0.0.2:9/v1/meetings?cursor=3";
  CHECK_INT(usm_rest_meetings_list(c, &next, on_list, &o), USM_ERR_INSECURE_URL);
  next.page_url = "https://evil.example.com/v1/meetings";
  CHECK_INT(usm_rest_meetings_list(c, &next, on_list, &o), USM_ERR_INSECURE_URL);
  /* mutually exclusive filters */
  lp.meeting_number = "123";
  lp.room_id = "r";
  CHECK_INT(usm_rest_meetings_list(c, &lp, on_list, &o), USM_ERR_INVALID_ARG);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

static int destroy_cb_calls;
static void destroy_inside(usm_client *c, const usm_rest_status *st, const usm_rest_meeting *m, void *user) {
  (void)st;
  (void)m;
  (void)user;
  destroy_cb_calls++;
  usm_client_destroy(c); /* deferred until the callback returns */
}

static void never(usm_client *c, const usm_rest_status *st, const usm_rest_meeting *m, void *user) {
  (void)c;
  (void)st;
  (void)m;
  (void)user;
  CHECK(!"callback after destroy");
}

static void never_inv(usm_client *c, const usm_rest_status *st, const usm_rest_invitee *i, void *user) {
  never(c, st, NULL, user);
  (void)i;
}
static void never_inv_list(usm_client *c, const usm_rest_status *st, const usm_rest_invitee_list *l, void *user) {
  never(c, st, NULL, user);
  (void)l;
}

static void test_lifecycle(void) {
  /* destroy with a request in flight: prompt, no callback, nothing leaked */
  script_step hang[] = {{SCRIPT_HANG, 0, NULL, NULL, 0}};
  scripted_server *s = scripted_server_start(hang, 1);
  usm_client *c = client_for(s, NULL);
  CHECK_INT(usm_rest_meetings_get(c, "abc", NULL, never, NULL), USM_OK);
  for (int i = 0; i < 50 && scripted_server_count(s) == 0; i++) {
    usm_client_process(c);
    uv_sleep(10);
  }
  CHECK_INT(scripted_server_count(s), 1);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* destroy from inside the completion callback; the second request never completes */
  script_step two[] = {{SCRIPT_NORMAL, 200, NULL, MEETING_OK, 0}, {SCRIPT_HANG, 0, NULL, NULL, 0}};
  s = scripted_server_start(two, 2);
  c = client_for(s, NULL);
  CHECK_INT(usm_rest_meetings_get(c, "one", NULL, destroy_inside, NULL), USM_OK);
  CHECK_INT(usm_rest_meetings_get(c, "two", NULL, never, NULL), USM_OK);
  usm_client_run(c); /* returns after the deferred destroy; c is gone */
  CHECK_INT(destroy_cb_calls, 1);
  scripted_server_stop(s);

  /* synchronous errors: the callback never fires */
  s = scripted_server_start(NULL, 0);
  c = client_for(s, NULL);
  usm_rest_meeting_params p;
  usm_rest_meeting_params_init(&p);
  CHECK_INT(usm_rest_meetings_create(c, &p, never, NULL), USM_ERR_INVALID_ARG); /* no title/start/end */
  CHECK(strstr(usm_client_last_error(c), "required") != NULL);
  p.adhoc = 1;
  CHECK_INT(usm_rest_meetings_create(c, &p, never, NULL), USM_ERR_INVALID_ARG); /* adhoc without room */
  p.room_id = "room";
  p.extra_json = "[1]";
  CHECK_INT(usm_rest_meetings_create(c, &p, never, NULL), USM_ERR_INVALID_ARG);
  p.extra_json = NULL;
  p.join_before_host_minutes = 7;
  CHECK_INT(usm_rest_meetings_create(c, &p, never, NULL), USM_ERR_INVALID_ARG);
  p.join_before_host_minutes = -1;
  p.send_email = 2;
  CHECK_INT(usm_rest_meetings_create(c, &p, never, NULL), USM_ERR_INVALID_ARG);
  usm_rest_meeting_params up;
  usm_rest_meeting_params_init(&up);
  up.room_id = "r";
  CHECK_INT(usm_rest_meetings_update(c, "id", &up, never, NULL), USM_ERR_INVALID_ARG); /* creation-only */
  char longtitle[200];
  memset(longtitle, 'x', sizeof longtitle - 1);
  longtitle[sizeof longtitle - 1] = '\0';
  usm_rest_meeting_params_init(&up);
  up.title = longtitle;
  CHECK_INT(usm_rest_meetings_update(c, "id", &up, never, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_rest_meetings_get(c, "", NULL, never, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_rest_meetings_get(c, "a\nb", NULL, never, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_rest_meetings_get(c, "id", NULL, NULL, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_rest_meetings_get(NULL, "id", NULL, never, NULL), USM_ERR_INVALID_HANDLE);
  CHECK_INT(usm_rest_meetings_delete(c, "id", 5, (usm_rest_done_cb)NULL, NULL), USM_ERR_INVALID_ARG);
  usm_rest_invitee_params bad = {"not-an-email", NULL, -1, -1};
  CHECK_INT(usm_rest_invitees_add(c, "m", &bad, -1, never_inv, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_rest_invitees_list(c, NULL, 0, NULL, never_inv_list, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_rest_invitees_list(c, "m", 101, NULL, never_inv_list, NULL), USM_ERR_INVALID_ARG);
  usm_client_run(c);
  CHECK_INT(scripted_server_count(s), 0);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

int main(void) {
  test_error_mapping();
  test_retries();
  test_bad_servers();
  test_license_and_shape();
  test_pagination();
  test_lifecycle();
  return check_done("test_rest_faults");
}
