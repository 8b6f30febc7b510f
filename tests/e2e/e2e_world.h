/* Shared plumbing of the end-to-end tests: a started usm-cloud, clients of
 * its demo users, and a way to wait for asynchronous outcomes. */
#ifndef USM_E2E_WORLD_H
#define USM_E2E_WORLD_H

#include <usm/usm.h>

#include "cloud_proc.h"

#define E2E_HOST_TOKEN "usm-demo-host-token"
#define E2E_ALICE_TOKEN "usm-demo-alice-token"
#define E2E_BOB_TOKEN "usm-demo-bob-token"
#define E2E_SERVICE_APP_TOKEN "usm-demo-serviceapp-token"

#define E2E_MAX_CLIENTS 16

typedef struct e2e_world {
  cloud_proc cloud;
  usm_client *clients[E2E_MAX_CLIENTS];
  int paused[E2E_MAX_CLIENTS]; /* 1: e2e_pump leaves this client's loop alone */
  int nclients;
} e2e_world;

/* Completion record for usm_meeting_done_cb (e2e_op_done). */
typedef struct e2e_op {
  int done;
  usm_err err;
  char message[512];
} e2e_op;

/* Start usm-cloud (binary from $USM_CLOUD_BIN) with extra args; 0 on success. */
int e2e_start(e2e_world *w, const char *const *cloud_args);
void e2e_stop(e2e_world *w);
/* A client of @p token against the cloud (through discovery), tracked for cleanup. */
usm_client *e2e_client(e2e_world *w, const char *token);
/* A client with @p opts (discovery URL and CA file filled in when NULL), tracked for cleanup. */
usm_client *e2e_client_opts(e2e_world *w, const usm_client_options *opts);
/* Stop (1) or resume (0) running @p c's loop in e2e_pump: the client then
 * notices nothing (a dropped socket, events) until it runs again. */
void e2e_pause(e2e_world *w, const usm_client *c, int paused);
/* GET an admin path ("/admin/state"); malloc'd NUL-terminated body in *out. HTTP status or -1. */
int e2e_admin_get(const e2e_world *w, const char *path, char **out);
/* A guest token minted by the demo Service App for @p subject / @p name. 0 on success. */
int e2e_guest_token(const e2e_world *w, const char *subject, const char *name, char *token, size_t cap);
/* Milliseconds of CLOCK_MONOTONIC. */
long e2e_now_ms(void);
/* Run every client's loop until *flag != 0, at most @p ms; 1 if the flag was set. */
int e2e_run_until(e2e_world *w, const int *flag, long ms);
/* Run every client's loop for @p ms. */
void e2e_pump(e2e_world *w, long ms);
/* usm_meeting_done_cb filling an e2e_op. */
void e2e_op_done(usm_meeting *m, usm_err err, const char *message, void *user);
/* Start @p started (the return of an async call using e2e_op_done with @p op) and wait (15 s). */
usm_err e2e_await(e2e_world *w, e2e_op *op, usm_err started);
/* Create a meeting object for @p dest and wait for its info; returns the info outcome. */
usm_err e2e_meeting(e2e_world *w, usm_client *c, const char *dest, usm_meeting **out);
/* Schedule a meeting as @p c (REST, through discovery); fills number, sip, password. 0 on success. */
int e2e_schedule(e2e_world *w, usm_client *c, const char *invitee_email, char number[32], char sip[256],
                 char password[64]);
/* Wait until @p m's roster shows @p name in_meeting (want 1) or in_lobby (want 2); copies its id. */
int e2e_wait_participant(e2e_world *w, usm_meeting *m, const char *name, int want, char id[128]);
/* Wait until usm_meeting_get_state(m) == st (at most 15 s). */
int e2e_wait_state(e2e_world *w, usm_meeting *m, usm_meeting_state st);

#endif
