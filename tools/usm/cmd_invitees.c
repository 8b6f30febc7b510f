/* usm invitees add|list|delete: the /meetingInvitees REST API. */
#include <stdio.h>

#include "commands.h"
#include "output.h"
#include "session.h"

enum { F_NAME = CLI_CMD_FLAG_BASE, F_COHOST, F_PANELIST, F_SEND_EMAIL, F_MAX };

static const char add_usage[] =
    "usm invitees add MEETING_ID EMAIL [--name N] [--cohost] [--panelist] [--send-email yes|no]";
static const cli_flag add_flags[] = {
  {"name", 0, 1, F_NAME},
  {"cohost", 0, 0, F_COHOST},
  {"panelist", 0, 0, F_PANELIST},
  {"send-email", 0, 1, F_SEND_EMAIL},
  {NULL, 0, 0, 0},
};

static const char list_usage[] = "usm invitees list MEETING_ID [--max N]";
static const cli_flag list_flags[] = {{"max", 0, 1, F_MAX}, {NULL, 0, 0, 0}};

static const char delete_usage[] = "usm invitees delete INVITEE_ID";
static const cli_flag no_flags[] = {{NULL, 0, 0, 0}};

static void on_invitee(usm_client *client, const usm_rest_status *st, const usm_rest_invitee *inv, void *user) {
  (void)client;
  cli_session *s = user;
  if (st->err != USM_OK || !inv) {
    cli_session_fail(s, st);
    return;
  }
  if (s->json)
    cli_print_body(st->body);
  else
    cli_print_invitee(inv);
  cli_session_succeeded(s);
}

static void on_list(usm_client *client, const usm_rest_status *st, const usm_rest_invitee_list *list,
                    void *user) {
  (void)client;
  cli_session *s = user;
  if (st->err != USM_OK || !list) {
    cli_session_fail(s, st);
    return;
  }
  if (s->json) {
    cli_print_body(st->body);
  } else {
    for (size_t i = 0; i < list->count; i++) cli_print_invitee_row(&list->items[i]);
  }
  cli_session_succeeded(s);
}

static int run_add(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, add_flags, add_usage, 2, 2, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  const char *v = cli_arg(&a, F_SEND_EMAIL);
  int send_email = v ? cli_parse_yes_no(v) : -1;
  if (v && send_email < 0) {
    rc = cli_usage_error(add_usage, "--send-email needs yes or no");
  } else {
    usm_rest_invitee_params inv = {
      .email = a.pos[1],
      .display_name = cli_arg(&a, F_NAME),
      .co_host = cli_arg(&a, F_COHOST) ? 1 : -1,
      .panelist = cli_arg(&a, F_PANELIST) ? 1 : -1,
    };
    cli_session s;
    rc = cli_session_open(&s, g);
    if (rc == CLI_EXIT_OK) {
      cli_session_started(&s, usm_rest_invitees_add(s.client, a.pos[0], &inv, send_email, on_invitee, &s));
      rc = cli_session_finish(&s);
    }
  }
  cli_args_free(&a);
  return rc;
}

static int run_list(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, list_flags, list_usage, 1, 1, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  const char *max = cli_arg(&a, F_MAX);
  long n = 0;
  if (max && cli_parse_long(max, 1, 100, &n) != 0) {
    rc = cli_usage_error(list_usage, "--max needs a number between 1 and 100");
  } else {
    cli_session s;
    rc = cli_session_open(&s, g);
    if (rc == CLI_EXIT_OK) {
      cli_session_started(&s, usm_rest_invitees_list(s.client, a.pos[0], (int)n, NULL, on_list, &s));
      rc = cli_session_finish(&s);
    }
  }
  cli_args_free(&a);
  return rc;
}

static int run_delete(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, no_flags, delete_usage, 1, 1, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  cli_session s;
  char text[512];
  rc = cli_session_open(&s, g);
  if (rc == CLI_EXIT_OK) {
    snprintf(text, sizeof text, "deleted invitee %s", a.pos[0]);
    s.done_text = text;
    cli_session_started(&s, usm_rest_invitees_delete(s.client, a.pos[0], cli_session_on_done, &s));
    rc = cli_session_finish(&s);
  }
  cli_args_free(&a);
  return rc;
}

static const cli_command subcommands[] = {
  {"add", run_add},
  {"list", run_list},
  {"delete", run_delete},
  {NULL, NULL},
};

int cmd_invitees(int argc, char **argv, cli_globals *g) {
  static const char usage[] = "usm invitees add|list|delete ... (--help for details)";
  static const char help[] =
      "usage: usm invitees COMMAND ...\n"
      "  add MEETING_ID EMAIL [--name N] [--cohost] [--panelist] [--send-email yes|no]\n"
      "  list MEETING_ID [--max N]\n"
      "  delete INVITEE_ID\n";
  return cli_dispatch(argc, argv, subcommands, usage, help, g);
}
