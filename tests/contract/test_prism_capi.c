/* The REST API through the C API against Prism mocking the official Webex
 * Meetings OpenAPI spec: every request must pass Prism's request validation,
 * the typed results must carry the spec's example values, and forced error
 * statuses must map to the documented usm_err codes (with retries). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <usm/usm.h>

#include "check.h"

extern char **environ;

#define READY_TIMEOUT_MS 30000
#define SERIES_ID "870f51ff287b41be84648412901e0402"
#define INSTANCE_ID SERIES_ID "_20191101T120000Z"
#define INVITEE_ID SERIES_ID "_2628982"

/* ---- Prism ---------------------------------------------------------------- */

static pid_t prism_pid = -1;
static char prism_log[256];

static void prism_stop(void) {
  if (prism_pid <= 0) return;
  kill(prism_pid, SIGTERM);
  waitpid(prism_pid, NULL, 0);
  prism_pid = -1;
}

/* A ctest timeout or ^C must not leave Prism running. */
static void on_signal(int sig) {
  if (prism_pid > 0) kill(prism_pid, SIGTERM);
  _exit(128 + sig);
}

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int port = -1;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

static int can_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Start Prism on a free port; its output goes to prism_log. @return the port or -1. */
static int prism_start(const char *spec) {
  int port = free_port();
  if (port < 0) return -1;
  const char *tmp = getenv("TMPDIR");
  snprintf(prism_log, sizeof prism_log, "%s/usm-prism-capi-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int fd = mkstemp(prism_log);
  if (fd < 0) return -1;
  char port_s[16];
  snprintf(port_s, sizeof port_s, "%d", port);
  char *argv[] = {"prism", "mock", "-h", "127.0.0.1", "-p", port_s, (char *)spec, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, fd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  int rc = posix_spawnp(&prism_pid, "prism", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fd);
  if (rc != 0) {
    fprintf(stderr, "cannot start prism: %s (is it on PATH?)\n", strerror(rc));
    prism_pid = -1;
    return -1;
  }
  for (long waited = 0; waited < READY_TIMEOUT_MS; waited += 100) {
    if (waitpid(prism_pid, NULL, WNOHANG) == prism_pid) {
      fprintf(stderr, "prism exited during startup; see %s\n", prism_log);
      prism_pid = -1;
      return -1;
    }
    if (can_connect(port)) return port;
    sleep_ms(100);
  }
  fprintf(stderr, "prism not ready after %d ms; see %s\n", READY_TIMEOUT_MS, prism_log);
  prism_stop();
  return -1;
}

/* Occurrences of @p needle in Prism's log so far. */
static int log_count(const char *needle) {
  FILE *f = fopen(prism_log, "r");
  if (!f) return -1;
  char line[4096];
  int n = 0;
  while (fgets(line, sizeof line, f))
    if (strstr(line, needle)) n++;
  fclose(f);
  return n;
}

/* log_count() once Prism has had a moment to flush lines that trail the response. */
static int log_count_settled(const char *needle, int expected) {
  int n = log_count(needle);
  for (int i = 0; i < 20 && n != expected; i++) {
    sleep_ms(100);
    n = log_count(needle);
  }
  return n;
}

/* ---- capturing results ------------------------------------------------------ */

/* What a callback saw, copied out (the library's pointers die with the callback). */
typedef struct outcome {
  int calls;
  usm_err err;
  int http_status;
  unsigned retries;
  int has_body;
  int has_result;
  char message[1024];
  char tracking_id[256];
  /* meeting, or the first list item */
  char id[128], number[32], title[128], type[32], state[32], start[40], tz[64], password[64];
  char series_id[128];
  int has_registration;
  /* invitee, or the first list item */
  char email[128], name[128], meeting_id[128];
  int co_host, panelist;
  size_t count;
  char last_id[128]; /* the last list item's id */
  int has_next;
} outcome;

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "(null)")

static void copy_status(outcome *o, const usm_rest_status *st, const void *result) {
  o->calls++;
  o->err = st->err;
  o->http_status = st->http_status;
  o->retries = st->retries;
  o->has_body = st->body != NULL;
  o->has_result = result != NULL;
  COPY(o->message, st->message);
  COPY(o->tracking_id, st->tracking_id);
  /* The documented contract: a result exactly when the status says success. */
  CHECK(st->message != NULL);
  if (st->err == USM_OK) CHECK_STR(st->message, "");
}

static void copy_meeting(outcome *o, const usm_rest_meeting *m) {
  COPY(o->id, m->id);
  COPY(o->number, m->meeting_number);
  COPY(o->title, m->title);
  COPY(o->type, m->meeting_type);
  COPY(o->state, m->state);
  COPY(o->start, m->start);
  COPY(o->tz, m->timezone);
  COPY(o->password, m->password);
  COPY(o->series_id, m->meeting_series_id);
  o->has_registration = m->has_registration;
}

static void copy_invitee(outcome *o, const usm_rest_invitee *inv) {
  COPY(o->id, inv->id);
  COPY(o->email, inv->email);
  COPY(o->name, inv->display_name);
  COPY(o->meeting_id, inv->meeting_id);
  o->co_host = inv->co_host;
  o->panelist = inv->panelist;
}

static void on_meeting(usm_client *c, const usm_rest_status *st, const usm_rest_meeting *m, void *user) {
  (void)c;
  outcome *o = user;
  copy_status(o, st, m);
  CHECK((st->err == USM_OK) == (m != NULL));
  if (m) copy_meeting(o, m);
}

static void on_meeting_list(usm_client *c, const usm_rest_status *st, const usm_rest_meeting_list *l,
                            void *user) {
  (void)c;
  outcome *o = user;
  copy_status(o, st, l);
  CHECK((st->err == USM_OK) == (l != NULL));
  if (!l) return;
  o->count = l->count;
  o->has_next = l->next_page != NULL;
  if (l->count) {
    copy_meeting(o, &l->items[0]);
    COPY(o->last_id, l->items[l->count - 1].id);
  }
}

static void on_invitee(usm_client *c, const usm_rest_status *st, const usm_rest_invitee *inv, void *user) {
  (void)c;
  outcome *o = user;
  copy_status(o, st, inv);
  CHECK((st->err == USM_OK) == (inv != NULL));
  if (inv) copy_invitee(o, inv);
}

static void on_invitee_list(usm_client *c, const usm_rest_status *st, const usm_rest_invitee_list *l,
                            void *user) {
  (void)c;
  outcome *o = user;
  copy_status(o, st, l);
  CHECK((st->err == USM_OK) == (l != NULL));
  if (!l) return;
  o->count = l->count;
  o->has_next = l->next_page != NULL;
  if (l->count) {
    copy_invitee(o, &l->items[0]);
    COPY(o->last_id, l->items[l->count - 1].id);
  }
}

static void on_done(usm_client *c, const usm_rest_status *st, void *user) {
  (void)c;
  copy_status(user, st, NULL);
}

/* ---- clients ---------------------------------------------------------------- */

static char api_url[64];

/* A client for the mock; @p header (or NULL) is sent with every request. */
static usm_client *client_for(const char *header) {
  const char *headers[] = {header, NULL};
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = "prism-test-token";
  o.api_url = api_url;
  o.max_retries = 1; /* keeps the forced 423/429/5xx cases fast */
  o.request_timeout_ms = 10000;
  o.extra_headers = header ? headers : NULL;
  usm_client *c = NULL;
  CHECK_INT(usm_client_create(&o, &c), USM_OK);
  return c;
}

/* Start an operation with @p started's result, run the loop dry, expect one callback. */
static void finish(usm_client *c, usm_err started, outcome *o) {
  CHECK_INT(started, USM_OK);
  if (started != USM_OK) {
    fprintf(stderr, "  start failed: %s\n", usm_client_last_error(c));
    return;
  }
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(o->calls, 1);
  if (o->err != USM_OK)
    fprintf(stderr, "  %s: %s (http %d, %u retries): %s\n", o->http_status ? "answered" : "failed",
            usm_err_name(o->err), o->http_status, o->retries, o->message);
}

/* ---- the contract ------------------------------------------------------------ */

static void test_meetings(usm_client *c) {
  /* create: invitees and extra_json must be shaped as the spec wants */
  usm_rest_invitee_params inv[2] = {
    {.email = "alice@example.com", .display_name = "Alice", .co_host = 1, .panelist = -1},
    {.email = "bob@example.com", .co_host = -1, .panelist = -1},
  };
  usm_rest_meeting_params p;
  usm_rest_meeting_params_init(&p);
  p.title = "Contract test";
  p.agenda = "Check the request shape";
  p.password = "BgJep@43";
  p.start = "2030-01-01T10:00:00Z";
  p.end = "2030-01-01T11:00:00Z";
  p.timezone = "Europe/Berlin";
  p.enabled_join_before_host = 1;
  p.join_before_host_minutes = 5;
  p.send_email = 0;
  p.invitees = inv;
  p.n_invitees = 2;
  p.extra_json = "{\"enabledAutoRecordMeeting\":false,\"meetingOptions\":{\"enabledChat\":true}}";
  outcome o = {0};
  finish(c, usm_rest_meetings_create(c, &p, on_meeting, &o), &o);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.http_status, 200);
  CHECK(o.has_body && o.has_result);
  CHECK_STR(o.id, SERIES_ID);
  CHECK_STR(o.number, "123456789");
  CHECK_STR(o.title, "Example Daily Meeting");
  CHECK_STR(o.type, "meetingSeries");
  CHECK_STR(o.state, "active");
  CHECK_STR(o.tz, "Asia/Shanghai");
  CHECK_STR(o.start, "2019-11-01T20:00:00+08:00");
  CHECK_STR(o.password, "BgJep@43");
  CHECK_INT(o.has_registration, 1);

  /* get, with the password header */
  memset(&o, 0, sizeof o);
  finish(c, usm_rest_meetings_get(c, SERIES_ID, "BgJep@43", on_meeting, &o), &o);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.http_status, 200);
  CHECK_STR(o.id, SERIES_ID);
  CHECK_STR(o.number, "123456789");
  CHECK_STR(o.start, "2019-11-01T12:00:00Z");
  CHECK_STR(o.tz, "UTC");

  /* list, with filters and a page size */
  usm_rest_meeting_list_params lp;
  usm_rest_meeting_list_params_init(&lp);
  lp.meeting_number = "123456789";
  lp.meeting_type = "scheduledMeeting";
  lp.state = "ready";
  lp.from = "2030-01-01T00:00:00Z";
  lp.to = "2030-02-01T00:00:00Z";
  lp.host_email = "john.andersen@example.com";
  lp.current = 0;
  lp.max = 5;
  memset(&o, 0, sizeof o);
  finish(c, usm_rest_meetings_list(c, &lp, on_meeting_list, &o), &o);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.http_status, 200);
  CHECK_INT(o.count, 4); /* static mode ignores max */
  CHECK_STR(o.id, INSTANCE_ID);
  CHECK_STR(o.series_id, SERIES_ID);
  CHECK_STR(o.type, "scheduledMeeting");
  CHECK_STR(o.state, "ready");
  CHECK_STR(o.last_id, SERIES_ID "_I_167549011372279170");
  CHECK_INT(o.has_next, 0); /* Prism sends "Link: string": no next page */

  /* update (PUT replaces the meeting) */
  usm_rest_meeting_params up;
  usm_rest_meeting_params_init(&up);
  up.title = "Contract test, moved";
  up.agenda = "Moved";
  up.password = "BgJep@43";
  up.start = "2030-01-02T10:00:00Z";
  up.end = "2030-01-02T11:00:00Z";
  up.timezone = "UTC";
  up.send_email = 0;
  memset(&o, 0, sizeof o);
  finish(c, usm_rest_meetings_update(c, INSTANCE_ID, &up, on_meeting, &o), &o);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.http_status, 200);
  CHECK_STR(o.id, "1d824a4a205042eba9574e00b711b226_20200127T120000Z");
  CHECK_STR(o.series_id, "1d824a4a205042eba9574e00b711b226");
  CHECK_STR(o.title, "Example Daily Meeting Modified");

  /* delete and end: 204 without a body */
  memset(&o, 0, sizeof o);
  finish(c, usm_rest_meetings_delete(c, INSTANCE_ID, 0, on_done, &o), &o);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.http_status, 204);
  CHECK_INT(o.has_body, 0);
  memset(&o, 0, sizeof o);
  finish(c, usm_rest_meetings_end(c, SERIES_ID, "contract test done", on_done, &o), &o);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.http_status, 204);
  memset(&o, 0, sizeof o);
  finish(c, usm_rest_meetings_end(c, SERIES_ID, NULL, on_done, &o), &o);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.http_status, 204);
}

static void test_invitees(usm_client *c) {
  usm_rest_invitee_params inv = {.email = "alice@example.com", .display_name = "Alice", .co_host = 1,
                            .panelist = 0};
  outcome o = {0};
  finish(c, usm_rest_invitees_add(c, SERIES_ID, &inv, 0, on_invitee, &o), &o);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.http_status, 200);
  CHECK_STR(o.id, INVITEE_ID);
  CHECK_STR(o.email, "john.andersen@example.com");
  CHECK_STR(o.name, "John Andersen");
  CHECK_STR(o.meeting_id, SERIES_ID);
  CHECK_INT(o.co_host, 0);
  CHECK_INT(o.panelist, 0);

  memset(&o, 0, sizeof o);
  finish(c, usm_rest_invitees_list(c, SERIES_ID, 10, NULL, on_invitee_list, &o), &o);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.http_status, 200);
  CHECK_INT(o.count, 2);
  CHECK_STR(o.id, SERIES_ID "_2628957");
  CHECK_STR(o.email, "john.andersen@example.com");
  CHECK_STR(o.meeting_id, SERIES_ID);
  CHECK_INT(o.has_next, 0);

  memset(&o, 0, sizeof o);
  finish(c, usm_rest_invitees_delete(c, INVITEE_ID, on_done, &o), &o);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.http_status, 204);
}

/* Forced statuses on GET /meetings/{id} (idempotent: 500 is retried too). */
static void test_forced_get(void) {
  static const struct {
    int status;
    usm_err err;
    unsigned retries;
  } cases[] = {
    {400, USM_ERR_BAD_REQUEST, 0}, {401, USM_ERR_UNAUTHORIZED, 0}, {403, USM_ERR_FORBIDDEN, 0},
    {404, USM_ERR_NOT_FOUND, 0},   {405, USM_ERR_HTTP, 0},         {409, USM_ERR_CONFLICT, 0},
    {410, USM_ERR_GONE, 0},        {423, USM_ERR_LOCKED, 1},       {429, USM_ERR_RATE_LIMITED, 1},
    {500, USM_ERR_SERVER, 1},      {502, USM_ERR_SERVER, 1},       {503, USM_ERR_SERVER, 1},
    {504, USM_ERR_SERVER, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char header[32];
    snprintf(header, sizeof header, "Prefer: code=%d", cases[i].status);
    usm_client *c = client_for(header);
    if (!c) continue;
    outcome o = {0};
    finish(c, usm_rest_meetings_get(c, SERIES_ID, NULL, on_meeting, &o), &o);
    CHECK_INT(o.err, cases[i].err);
    CHECK_INT(o.http_status, cases[i].status);
    CHECK_INT(o.retries, cases[i].retries);
    CHECK_INT(o.has_result, 0);
    CHECK(strstr(o.message, header + strlen("Prefer: code=")) != NULL); /* "HTTP <status>" */
    CHECK(strstr(usm_client_last_error(c), "HTTP") != NULL);
    usm_client_destroy(c);
  }
}

/* Forced statuses on POST /meetings: 403 means "no license"; a create is never retried after 500. */
static void test_forced_create(void) {
  static const struct {
    int status;
    usm_err err;
    unsigned retries;
  } cases[] = {
    {401, USM_ERR_UNAUTHORIZED, 0}, {403, USM_ERR_NO_LICENSE, 0}, {404, USM_ERR_NOT_FOUND, 0},
    {409, USM_ERR_CONFLICT, 0},     {423, USM_ERR_LOCKED, 1},     {429, USM_ERR_RATE_LIMITED, 1},
    {500, USM_ERR_SERVER, 0},       {502, USM_ERR_SERVER, 1},     {503, USM_ERR_SERVER, 1},
    {504, USM_ERR_SERVER, 1},
  };
  usm_rest_meeting_params p;
  usm_rest_meeting_params_init(&p);
  p.title = "Forced";
  p.start = "2030-01-01T10:00:00Z";
  p.end = "2030-01-01T11:00:00Z";
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char header[32];
    snprintf(header, sizeof header, "Prefer: code=%d", cases[i].status);
    usm_client *c = client_for(header);
    if (!c) continue;
    outcome o = {0};
    finish(c, usm_rest_meetings_create(c, &p, on_meeting, &o), &o);
    CHECK_INT(o.err, cases[i].err);
    CHECK_INT(o.http_status, cases[i].status);
    CHECK_INT(o.retries, cases[i].retries);
    usm_client_destroy(c);
  }

  /* The spec's 409 for invitees has a body: its message and trackingId reach the caller. */
  usm_client *c = client_for("Prefer: code=409");
  if (!c) return;
  usm_rest_invitee_params inv = {.email = "alice@example.com", .co_host = -1, .panelist = -1};
  outcome o = {0};
  finish(c, usm_rest_invitees_add(c, SERIES_ID, &inv, -1, on_invitee, &o), &o);
  CHECK_INT(o.err, USM_ERR_CONFLICT);
  CHECK_INT(o.http_status, 409);
  CHECK(strstr(o.message, "User is already a meeting invitee.") != NULL);
  CHECK_STR(o.tracking_id, "8E12317727354470B5258F5B28D93FB9_1562296858685");
  CHECK_INT(o.retries, 0); /* POST is not idempotent, and 409 is final anyway */
  usm_client_destroy(c);
}

/* Negative control: a body the spec rejects gets Prism's 400, so validation is really on. */
static void test_rejected_request(usm_client *c) {
  usm_rest_meeting_params p;
  usm_rest_meeting_params_init(&p);
  p.title = "T";
  p.start = "2030-01-01T10:00:00Z";
  p.end = "2030-01-01T11:00:00Z";
  p.extra_json = "{\"title\": 42}";
  outcome o = {0};
  finish(c, usm_rest_meetings_create(c, &p, on_meeting, &o), &o);
  CHECK_INT(o.err, USM_ERR_BAD_REQUEST);
  CHECK_INT(o.http_status, 400);
  CHECK(strstr(o.message, "The input parameters contain invalid items.") != NULL);
  CHECK_STR(o.tracking_id, "19085D1FCFEE445DA358375500D25E44_1598154356721");
}

int main(void) {
  const char *src = getenv("USM_SOURCE_DIR");
  char spec[4096];
  snprintf(spec, sizeof spec, "%s/../shared/openapi/webex-meeting.json", src ? src : ".");
  struct stat sb;
  if (!src || stat(spec, &sb) != 0) {
    fprintf(stderr, "FAIL: the OpenAPI spec is missing: %s (USM_SOURCE_DIR=%s); shared/ must sit beside the source tree\n",
            spec, src ? src : "(unset)");
    return 1;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  int port = prism_start(spec);
  if (port < 0) {
    fprintf(stderr, "FAIL: could not start prism\n");
    return 1;
  }
  snprintf(api_url, sizeof api_url, "http://127.0.0.1:%d", port);

  usm_client *c = client_for(NULL);
  if (c) {
    test_meetings(c);
    test_invitees(c);
    /* Every valid request so far passed Prism's request validation. */
    CHECK_INT(log_count("did not pass the validation rules"), 0);
    CHECK_INT(log_count("Violation: request"), 0);
    test_rejected_request(c);
    CHECK_INT(log_count_settled("did not pass the validation rules", 1), 1);
    usm_client_destroy(c);
  }
  test_forced_get();
  test_forced_create();
  /* Forced statuses must not hide request violations either. */
  CHECK_INT(log_count_settled("did not pass the validation rules", 1), 1);
  CHECK_INT(log_count("Violation: request"), 1);

  prism_stop();
  if (check_failures == 0)
    unlink(prism_log);
  else
    fprintf(stderr, "prism log kept: %s\n", prism_log);
  return check_done("test_prism_capi");
}
