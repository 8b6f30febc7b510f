/* The life of one REST command: a client, the operations started on it, the
 * loop run until nothing is pending, and the outcome turned into an exit status. */
#ifndef USM_CLI_SESSION_H
#define USM_CLI_SESSION_H

#include <usm/usm.h>

#include "options.h"

typedef struct cli_session {
  usm_client *client;
  int json;
  int done;           /* the final callback succeeded */
  usm_err err;        /* first failure, copied out of the callback */
  int http_status;
  unsigned retries;
  char *message;
  char *tracking_id;
  const char *done_text; /* printed by cli_session_on_done on success without --json */
} cli_session;

/* @return an exit status; 0 when the client is ready. */
int cli_session_open(cli_session *s, const cli_globals *g);

/* Record the result of starting an operation; a start error counts as the failure. */
void cli_session_started(cli_session *s, usm_err e);
/* From a callback: keep a copy of the failed @p st (its strings die with the callback). */
void cli_session_fail(cli_session *s, const usm_rest_status *st);
/* From the last callback of a successful command. */
void cli_session_succeeded(cli_session *s);

/* usm_rest_done_cb for operations without a result body; @p user is the session.
 * Prints {"ok":true} with --json, else done_text. */
void cli_session_on_done(usm_client *client, const usm_rest_status *st, void *user);

/* Run the loop until nothing is pending, report any failure, destroy the client.
 * @return the exit status. */
int cli_session_finish(cli_session *s);

#endif
