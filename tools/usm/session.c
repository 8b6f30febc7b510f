#include "session.h"

#include <stdlib.h>
#include <string.h>

#include "output.h"

static char *dup_or_null(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

int cli_session_open(cli_session *s, const cli_globals *g) {
  memset(s, 0, sizeof *s);
  s->json = g->json;
  return cli_client_open(g, &s->client);
}

void cli_session_started(cli_session *s, usm_err e) {
  if (e == USM_OK || s->err != USM_OK) return;
  s->err = e;
  /* The detail of a refused call lives on the handle until the next call. */
  s->message = dup_or_null(usm_client_last_error(s->client));
}

void cli_session_fail(cli_session *s, const usm_rest_status *st) {
  if (s->err != USM_OK) return;
  s->err = st->err != USM_OK ? st->err : USM_ERR_INTERNAL;
  s->http_status = st->http_status;
  s->retries = st->retries;
  s->message = dup_or_null(st->message);
  s->tracking_id = dup_or_null(st->tracking_id);
}

void cli_session_succeeded(cli_session *s) { s->done = 1; }

void cli_session_on_done(usm_client *client, const usm_rest_status *st, void *user) {
  (void)client;
  cli_session *s = user;
  if (st->err != USM_OK) {
    cli_session_fail(s, st);
    return;
  }
  if (s->json)
    cli_print_ok_json();
  else if (s->done_text)
    puts(s->done_text);
  cli_session_succeeded(s);
}

int cli_session_finish(cli_session *s) {
  if (s->err == USM_OK) usm_client_run(s->client);
  if (s->err == USM_OK && !s->done) {
    /* The loop ran dry without the final callback: never report success for that. */
    s->err = USM_ERR_INTERNAL;
    s->message = dup_or_null("the operation ended without a result");
  }
  int rc = CLI_EXIT_OK;
  if (s->err != USM_OK) {
    cli_print_error(s->json, s->err, s->message, s->tracking_id, s->http_status, s->retries);
    rc = CLI_EXIT_ERROR;
  }
  usm_client_destroy(s->client);
  free(s->message);
  free(s->tracking_id);
  memset(s, 0, sizeof *s);
  return rc;
}
