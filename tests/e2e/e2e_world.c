#include "e2e_world.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STEP_MS 15000

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

long e2e_now_ms(void) { return now_ms(); }

int e2e_start(e2e_world *w, const char *const *args) {
  memset(w, 0, sizeof *w);
  const char *bin = getenv("USM_CLOUD_BIN");
  if (!bin) {
    fprintf(stderr, "e2e: USM_CLOUD_BIN is not set\n");
    return -1;
  }
  return cloud_proc_start(&w->cloud, bin, args);
}

void e2e_stop(e2e_world *w) {
  for (int i = 0; i < w->nclients; i++) usm_client_destroy(w->clients[i]);
  w->nclients = 0;
  cloud_proc_stop(&w->cloud);
}

usm_client *e2e_client_opts(e2e_world *w, const usm_client_options *opts) {
  if (w->nclients == E2E_MAX_CLIENTS) return NULL;
  usm_client_options o = *opts;
  if (!o.discovery_url) o.discovery_url = w->cloud.discovery_url;
  if (!o.ca_file) o.ca_file = w->cloud.ca_file;
  usm_client *c = NULL;
  if (usm_client_create(&o, &c) != USM_OK) return NULL;
  w->paused[w->nclients] = 0;
  w->clients[w->nclients++] = c;
  return c;
}

usm_client *e2e_client(e2e_world *w, const char *token) {
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = token;
  o.request_timeout_ms = 10000;
  return e2e_client_opts(w, &o);
}

void e2e_pause(e2e_world *w, const usm_client *c, int paused) {
  for (int i = 0; i < w->nclients; i++)
    if (w->clients[i] == c) w->paused[i] = paused;
}

typedef struct body_buf {
  char *p;
  size_t len;
} body_buf;

static size_t collect(char *data, size_t size, size_t n, void *userp) {
  body_buf *b = userp;
  size_t add = size * n;
  if (b->len + add > (8u << 20)) return 0;
  char *np = realloc(b->p, b->len + add + 1);
  if (!np) return 0;
  memcpy(np + b->len, data, add);
  b->p = np;
  b->len += add;
  b->p[b->len] = '\0';
  return add;
}

int e2e_admin_get(const e2e_world *w, const char *path, char **out) {
  *out = NULL;
  char url[512];
  snprintf(url, sizeof url, "%s%s", w->cloud.admin_url, path);
  CURL *e = curl_easy_init();
  if (!e) return -1;
  body_buf b = {0};
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
  long status = -1;
  if (curl_easy_perform(e) == CURLE_OK) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(e);
  *out = b.p;
  return (int)status;
}

int e2e_guest_token(const e2e_world *w, const char *subject, const char *name, char *token, size_t cap) {
  char url[512], body[512];
  snprintf(url, sizeof url, "%s/v1/guests/token", w->cloud.url);
  snprintf(body, sizeof body, "{\"subject\":\"%s\",\"displayName\":\"%s\"}", subject, name);
  unsigned char *out = NULL;
  size_t len = 0;
  int st = cloud_proc_post(&w->cloud, url, E2E_SERVICE_APP_TOKEN, body, &out, &len);
  const char *at = out && st == 200 ? strstr((char *)out, "\"accessToken\":\"") : NULL;
  size_t n = 0;
  if (at) {
    at += strlen("\"accessToken\":\"");
    while (at[n] && at[n] != '"' && n + 1 < cap) n++;
    memcpy(token, at, n);
  }
  if (cap) token[n] = '\0';
  free(out);
  return n > 0 ? 0 : -1;
}

void e2e_pump(e2e_world *w, long ms) {
  long until = now_ms() + ms;
  do {
    struct pollfd fds[E2E_MAX_CLIENTS];
    int timeout = 20;
    nfds_t n = 0;
    for (int i = 0; i < w->nclients; i++) {
      if (w->paused[i]) continue;
      fds[n++] = (struct pollfd){.fd = usm_client_fd(w->clients[i]), .events = POLLIN};
      int t = usm_client_timeout(w->clients[i]);
      if (t >= 0 && t < timeout) timeout = t;
    }
    poll(fds, n, timeout);
    for (int i = 0; i < w->nclients; i++)
      if (!w->paused[i]) usm_client_process(w->clients[i]);
  } while (now_ms() < until);
}

int e2e_run_until(e2e_world *w, const int *flag, long ms) {
  long deadline = now_ms() + ms;
  while (!*flag && now_ms() < deadline) e2e_pump(w, 0);
  return *flag != 0;
}

void e2e_op_done(usm_meeting *m, usm_err err, const char *message, void *user) {
  (void)m;
  e2e_op *op = user;
  op->err = err;
  snprintf(op->message, sizeof op->message, "%s", message ? message : "");
  op->done = 1;
}

usm_err e2e_await(e2e_world *w, e2e_op *op, usm_err started) {
  if (started != USM_OK) return started;
  if (!e2e_run_until(w, &op->done, STEP_MS)) return USM_ERR_TIMEOUT;
  return op->err;
}

usm_err e2e_meeting(e2e_world *w, usm_client *c, const char *dest, usm_meeting **out) {
  e2e_op op = {0};
  usm_err e = usm_meetings_create(c, dest, USM_DEST_AUTO, e2e_op_done, &op, out);
  if (e != USM_OK) return e;
  return e2e_await(w, &op, USM_OK);
}

typedef struct sched {
  int done;
  usm_err err;
  char *number, *sip, *password;
} sched;

static void on_created(usm_client *c, const usm_rest_status *st, const usm_rest_meeting *m, void *user) {
  (void)c;
  sched *s = user;
  s->err = st->err;
  if (m) {
    snprintf(s->number, 32, "%s", m->meeting_number ? m->meeting_number : "");
    snprintf(s->sip, 256, "%s", m->sip_address ? m->sip_address : "");
    snprintf(s->password, 64, "%s", m->password ? m->password : "");
  } else {
    fprintf(stderr, "e2e: schedule failed: %s\n", st->message);
  }
  s->done = 1;
}

int e2e_schedule(e2e_world *w, usm_client *c, const char *invitee, char number[32], char sip[256],
                 char password[64]) {
  usm_rest_invitee_params inv = {invitee, NULL, -1, -1};
  usm_rest_meeting_params p;
  usm_rest_meeting_params_init(&p);
  char start[32], end[32];
  time_t t = time(NULL) + 3600;
  strftime(start, sizeof start, "%Y-%m-%dT%H:%M:00Z", gmtime(&t));
  t += 3600;
  strftime(end, sizeof end, "%Y-%m-%dT%H:%M:00Z", gmtime(&t));
  p.title = "e2e meeting";
  p.start = start;
  p.end = end;
  if (invitee) {
    p.invitees = &inv;
    p.n_invitees = 1;
  }
  sched s = {0, USM_OK, number, sip, password};
  if (usm_rest_meetings_create(c, &p, on_created, &s) != USM_OK) return -1;
  if (!e2e_run_until(w, &s.done, STEP_MS)) return -1;
  return s.err == USM_OK && number[0] ? 0 : -1;
}

static int where(const usm_meeting *m, const char *name, char id[128]) {
  for (size_t i = 0; i < usm_meeting_participant_count(m); i++) {
    usm_participant p;
    if (usm_meeting_participant(m, i, &p) != USM_OK || !p.name || strcmp(p.name, name) != 0) continue;
    if (id) snprintf(id, 128, "%s", p.id);
    return p.in_meeting ? 1 : p.in_lobby ? 2 : 0;
  }
  return -1;
}

int e2e_wait_participant(e2e_world *w, usm_meeting *m, const char *name, int want, char id[128]) {
  long deadline = now_ms() + STEP_MS;
  while (where(m, name, id) != want) {
    if (now_ms() > deadline) return 0;
    e2e_pump(w, 20);
  }
  return 1;
}

int e2e_wait_state(e2e_world *w, usm_meeting *m, usm_meeting_state st) {
  long deadline = now_ms() + STEP_MS;
  while (usm_meeting_get_state(m) != st) {
    if (now_ms() > deadline) return 0;
    e2e_pump(w, 20);
  }
  return 1;
}
