/* usm meetings create|get|list|update|delete|end: the /meetings REST API. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "output.h"
#include "session.h"

/* --all stops here even if the server keeps sending next links. */
#define MAX_PAGES 50

enum {
  F_TITLE = CLI_CMD_FLAG_BASE,
  F_START,
  F_END,
  F_PASSWORD,
  F_AGENDA,
  F_TIMEZONE,
  F_ROOM_ID,
  F_ADHOC,
  F_INVITEE,
  F_EXTRA_JSON,
  F_MEETING_NUMBER,
  F_WEB_LINK,
  F_STATE,
  F_TYPE,
  F_FROM,
  F_TO,
  F_MAX,
  F_ALL,
  F_SEND_EMAIL,
  F_REASON
};

#define FLAG_TITLE {"title", 0, 1, F_TITLE}
#define FLAG_START {"start", 0, 1, F_START}
#define FLAG_END {"end", 0, 1, F_END}
#define FLAG_PASSWORD {"password", 0, 1, F_PASSWORD}
#define FLAG_AGENDA {"agenda", 0, 1, F_AGENDA}
#define FLAG_TIMEZONE {"timezone", 0, 1, F_TIMEZONE}
#define FLAG_ROOM_ID {"room-id", 0, 1, F_ROOM_ID}
#define FLAG_END_OF_TABLE {NULL, 0, 0, 0}

/* ---- results ------------------------------------------------------------ */

/* Completion of create, get and update: @p user is the session. */
static void on_meeting(usm_client *client, const usm_rest_status *st, const usm_rest_meeting *m, void *user) {
  (void)client;
  cli_session *s = user;
  if (st->err != USM_OK || !m) {
    cli_session_fail(s, st);
    return;
  }
  if (s->json)
    cli_print_body(st->body);
  else
    cli_print_meeting(m);
  cli_session_succeeded(s);
}

/* ---- create ------------------------------------------------------------- */

static const char create_usage[] =
    "usm meetings create --title T --start ISO --end ISO [--password P] [--agenda A] "
    "[--timezone Z] [--room-id R --adhoc] [--invitee EMAIL ...] [--extra-json JSON]";
static const cli_flag create_flags[] = {
  FLAG_TITLE, FLAG_START, FLAG_END, FLAG_PASSWORD, FLAG_AGENDA, FLAG_TIMEZONE, FLAG_ROOM_ID,
  {"adhoc", 0, 0, F_ADHOC},
  {"invitee", 0, 1, F_INVITEE},
  {"extra-json", 0, 1, F_EXTRA_JSON},
  FLAG_END_OF_TABLE,
};

static int create_with(const cli_args *a, cli_globals *g) {
  usm_rest_meeting_params p;
  usm_rest_meeting_params_init(&p);
  p.title = cli_arg(a, F_TITLE);
  p.start = cli_arg(a, F_START);
  p.end = cli_arg(a, F_END);
  p.password = cli_arg(a, F_PASSWORD);
  p.agenda = cli_arg(a, F_AGENDA);
  p.timezone = cli_arg(a, F_TIMEZONE);
  p.room_id = cli_arg(a, F_ROOM_ID);
  p.extra_json = cli_arg(a, F_EXTRA_JSON);
  if (cli_arg(a, F_ADHOC)) p.adhoc = 1;
  if (p.adhoc == 1 && !p.room_id) return cli_usage_error(create_usage, "--adhoc needs --room-id");
  /* Ad hoc meetings get server defaults; --extra-json may carry the fields itself. */
  if (p.adhoc != 1 && !p.extra_json && (!p.title || !p.start || !p.end))
    return cli_usage_error(create_usage, "--title, --start and --end are required");

  size_t n = cli_arg_count(a, F_INVITEE);
  usm_rest_invitee_params *inv = n ? calloc(n, sizeof *inv) : NULL;
  if (n && !inv) {
    cli_print_error(g->json, USM_ERR_NO_MEMORY, NULL, NULL, 0, 0);
    return CLI_EXIT_ERROR;
  }
  for (size_t i = 0; i < n; i++) {
    inv[i].email = cli_arg_nth(a, F_INVITEE, i);
    inv[i].co_host = inv[i].panelist = -1;
  }
  p.invitees = inv;
  p.n_invitees = n;

  cli_session s;
  int rc = cli_session_open(&s, g);
  if (rc == CLI_EXIT_OK) {
    cli_session_started(&s, usm_rest_meetings_create(s.client, &p, on_meeting, &s));
    rc = cli_session_finish(&s);
  }
  free(inv);
  return rc;
}

static int run_create(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, create_flags, create_usage, 0, 0, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  rc = create_with(&a, g);
  cli_args_free(&a);
  return rc;
}

/* ---- get ---------------------------------------------------------------- */

static const char get_usage[] = "usm meetings get ID [--password P]";
static const cli_flag get_flags[] = {FLAG_PASSWORD, FLAG_END_OF_TABLE};

static int run_get(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, get_flags, get_usage, 1, 1, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  cli_session s;
  rc = cli_session_open(&s, g);
  if (rc == CLI_EXIT_OK) {
    cli_session_started(&s, usm_rest_meetings_get(s.client, a.pos[0], cli_arg(&a, F_PASSWORD),
                                                  on_meeting, &s));
    rc = cli_session_finish(&s);
  }
  cli_args_free(&a);
  return rc;
}

/* ---- list --------------------------------------------------------------- */

static const char list_usage[] =
    "usm meetings list [--meeting-number N|--web-link L|--room-id R] [--state S] [--type T] "
    "[--from F] [--to T] [--max N] [--all]";
static const cli_flag list_flags[] = {
  {"meeting-number", 0, 1, F_MEETING_NUMBER},
  {"web-link", 0, 1, F_WEB_LINK},
  FLAG_ROOM_ID,
  {"state", 0, 1, F_STATE},
  {"type", 0, 1, F_TYPE},
  {"from", 0, 1, F_FROM},
  {"to", 0, 1, F_TO},
  {"max", 0, 1, F_MAX},
  {"all", 0, 0, F_ALL},
  FLAG_END_OF_TABLE,
};

typedef struct list_ctx {
  cli_session s;
  int all;
  int pages;
} list_ctx;

static void on_list(usm_client *client, const usm_rest_status *st, const usm_rest_meeting_list *list,
                    void *user) {
  list_ctx *x = user;
  if (st->err != USM_OK || !list) {
    cli_session_fail(&x->s, st);
    return;
  }
  if (x->s.json) {
    cli_print_body(st->body); /* with --all: one body per page */
  } else {
    for (size_t i = 0; i < list->count; i++) cli_print_meeting_row(&list->items[i]);
  }
  x->pages++;
  if (x->all && list->next_page && x->pages < MAX_PAGES) {
    /* next_page is only valid during this callback; the call copies it. */
    usm_rest_meeting_list_params p;
    usm_rest_meeting_list_params_init(&p);
    p.page_url = list->next_page;
    cli_session_started(&x->s, usm_rest_meetings_list(client, &p, on_list, x));
    return;
  }
  if (x->all && list->next_page) fprintf(stderr, "usm: stopped after %d pages\n", MAX_PAGES);
  cli_session_succeeded(&x->s);
}

static int list_with(const cli_args *a, cli_globals *g) {
  usm_rest_meeting_list_params p;
  usm_rest_meeting_list_params_init(&p);
  p.meeting_number = cli_arg(a, F_MEETING_NUMBER);
  p.web_link = cli_arg(a, F_WEB_LINK);
  p.room_id = cli_arg(a, F_ROOM_ID);
  p.state = cli_arg(a, F_STATE);
  p.meeting_type = cli_arg(a, F_TYPE);
  p.from = cli_arg(a, F_FROM);
  p.to = cli_arg(a, F_TO);
  if (!!p.meeting_number + !!p.web_link + !!p.room_id > 1)
    return cli_usage_error(list_usage, "--meeting-number, --web-link and --room-id exclude each other");
  const char *max = cli_arg(a, F_MAX);
  long n = 0;
  if (max && cli_parse_long(max, 1, 100, &n) != 0)
    return cli_usage_error(list_usage, "--max needs a number between 1 and 100");
  p.max = (int)n;

  list_ctx x = {.all = cli_arg(a, F_ALL) != NULL};
  int rc = cli_session_open(&x.s, g);
  if (rc != CLI_EXIT_OK) return rc;
  cli_session_started(&x.s, usm_rest_meetings_list(x.s.client, &p, on_list, &x));
  return cli_session_finish(&x.s);
}

static int run_list(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, list_flags, list_usage, 0, 0, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  rc = list_with(&a, g);
  cli_args_free(&a);
  return rc;
}

/* ---- update ------------------------------------------------------------- */

static const char update_usage[] =
    "usm meetings update ID [--title T] [--start ISO] [--end ISO] [--agenda A] [--password P] "
    "[--timezone Z]";
static const cli_flag update_flags[] = {
  FLAG_TITLE, FLAG_START, FLAG_END, FLAG_AGENDA, FLAG_PASSWORD, FLAG_TIMEZONE, FLAG_END_OF_TABLE,
};

typedef struct update_ctx {
  cli_session s;
  const char *id;
  const cli_args *a; /* the overriding flags */
} update_ctx;

static const char *pick(const cli_args *a, int id, const char *current) {
  const char *v = cli_arg(a, id);
  return v ? v : current;
}

/* PUT replaces the meeting, so the GET result supplies every field not overridden. */
static void on_current(usm_client *client, const usm_rest_status *st, const usm_rest_meeting *m, void *user) {
  update_ctx *x = user;
  if (st->err != USM_OK || !m) {
    cli_session_fail(&x->s, st);
    return;
  }
  usm_rest_meeting_params p;
  usm_rest_meeting_params_init(&p);
  p.title = pick(x->a, F_TITLE, m->title);
  p.start = pick(x->a, F_START, m->start);
  p.end = pick(x->a, F_END, m->end);
  p.agenda = pick(x->a, F_AGENDA, m->agenda);
  p.password = pick(x->a, F_PASSWORD, m->password);
  p.timezone = pick(x->a, F_TIMEZONE, m->timezone);
  /* The request body is built before this returns, while m is still valid. */
  cli_session_started(&x->s, usm_rest_meetings_update(client, x->id, &p, on_meeting, &x->s));
}

static int run_update(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, update_flags, update_usage, 1, 1, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  int any = 0;
  for (const cli_flag *f = update_flags; f->name; f++) any |= cli_arg(&a, f->id) != NULL;
  if (!any) {
    rc = cli_usage_error(update_usage, "nothing to update");
  } else {
    update_ctx x = {.id = a.pos[0], .a = &a};
    rc = cli_session_open(&x.s, g);
    if (rc == CLI_EXIT_OK) {
      cli_session_started(&x.s, usm_rest_meetings_get(x.s.client, x.id, NULL, on_current, &x));
      rc = cli_session_finish(&x.s);
    }
  }
  cli_args_free(&a);
  return rc;
}

/* ---- delete and end ----------------------------------------------------- */

static const char delete_usage[] = "usm meetings delete ID [--send-email yes|no]";
static const cli_flag delete_flags[] = {{"send-email", 0, 1, F_SEND_EMAIL}, FLAG_END_OF_TABLE};

static const char end_usage[] = "usm meetings end ID [--reason R]";
static const cli_flag end_flags[] = {{"reason", 0, 1, F_REASON}, FLAG_END_OF_TABLE};

static int run_delete(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, delete_flags, delete_usage, 1, 1, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  const char *v = cli_arg(&a, F_SEND_EMAIL);
  int send_email = v ? cli_parse_yes_no(v) : -1;
  if (v && send_email < 0) {
    rc = cli_usage_error(delete_usage, "--send-email needs yes or no");
  } else {
    cli_session s;
    char text[512];
    rc = cli_session_open(&s, g);
    if (rc == CLI_EXIT_OK) {
      snprintf(text, sizeof text, "deleted meeting %s", a.pos[0]);
      s.done_text = text;
      cli_session_started(&s, usm_rest_meetings_delete(s.client, a.pos[0], send_email,
                                                       cli_session_on_done, &s));
      rc = cli_session_finish(&s);
    }
  }
  cli_args_free(&a);
  return rc;
}

static int run_end(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, end_flags, end_usage, 1, 1, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  cli_session s;
  char text[512];
  rc = cli_session_open(&s, g);
  if (rc == CLI_EXIT_OK) {
    snprintf(text, sizeof text, "ended meeting %s", a.pos[0]);
    s.done_text = text;
    cli_session_started(&s, usm_rest_meetings_end(s.client, a.pos[0], cli_arg(&a, F_REASON),
                                                  cli_session_on_done, &s));
    rc = cli_session_finish(&s);
  }
  cli_args_free(&a);
  return rc;
}

/* ---- dispatch ----------------------------------------------------------- */

static const cli_command subcommands[] = {
  {"create", run_create}, {"get", run_get},       {"list", run_list},
  {"update", run_update}, {"delete", run_delete}, {"end", run_end},
  {NULL, NULL},
};

int cmd_meetings(int argc, char **argv, cli_globals *g) {
  static const char usage[] = "usm meetings create|get|list|update|delete|end ... (--help for details)";
  static const char help[] =
      "usage: usm meetings COMMAND ...\n"
      "  create --title T --start ISO --end ISO [--password P] [--agenda A] [--timezone Z]\n"
      "         [--room-id R --adhoc] [--invitee EMAIL ...] [--extra-json JSON]\n"
      "  get ID [--password P]\n"
      "  list [--meeting-number N|--web-link L|--room-id R] [--state S] [--type T]\n"
      "       [--from F] [--to T] [--max N] [--all]\n"
      "  update ID [--title T] [--start ISO] [--end ISO] [--agenda A] [--password P] [--timezone Z]\n"
      "  delete ID [--send-email yes|no]\n"
      "  end ID [--reason R]\n";
  return cli_dispatch(argc, argv, subcommands, usage, help, g);
}
