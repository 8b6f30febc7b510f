/* usm join: one live meeting, driven by session commands.
 *
 * The meeting info is fetched, the password given (--password) when the
 * meeting asks for one, and the meeting joined (unless --no-join). Then
 * session commands run one after another, from --script "cmd; cmd" and then
 * from stdin: password, captcha, join, admit, host, invite, lock, unlock,
 * mute, unmute, roster, state, wait, sleep, leave, end, quit. When they run
 * out, a joined session leaves. --events prints every meeting event (live
 * roster, connection of the event channel, dropped input). Media
 * (join_media.h): --send-audio/--send-video play a signal or a file,
 * --record writes what arrives, --stats shows the numbers every second, and
 * --duration leaves after that many seconds joined, commands or not. The
 * loop is embedded: poll() on stdin and usm_client_fd(). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "join_media.h"
#include "join_output.h"
#include "output.h"

enum {
  F_TYPE = CLI_CMD_FLAG_BASE, F_PASSWORD, F_CAPTCHA, F_NAME, F_PIN, F_MODERATOR, F_NO_JOIN, F_SCRIPT, F_EVENTS,
  F_SEND_AUDIO, F_SEND_VIDEO, F_LOOP, F_RECORD, F_RECORD_Y4M, F_STATS, F_VIDEO_CODEC, F_DURATION
};

static const char usage[] =
    "usm join DESTINATION [--type T] [--password P [--captcha-code C]] [--name N] [--pin P] [--moderator]\n"
    "         [--no-join] [--script 'CMD; CMD ...'] [--events]\n"
    "         [--send-audio tone|FILE.wav] [--send-video pattern|FILE.y4m] [--loop] [--record DIR [--record-y4m]]\n"
    "         [--stats] [--video-codec VP8|H264] [--duration SECONDS]";
static const cli_flag flags[] = {
  {"type", 't', 1, F_TYPE},       {"password", 'p', 1, F_PASSWORD}, {"captcha-code", 0, 1, F_CAPTCHA},
  {"name", 0, 1, F_NAME},         {"pin", 0, 1, F_PIN},             {"moderator", 0, 0, F_MODERATOR},
  {"no-join", 0, 0, F_NO_JOIN},   {"script", 0, 1, F_SCRIPT},       {"events", 0, 0, F_EVENTS},
  {"send-audio", 0, 1, F_SEND_AUDIO}, {"send-video", 0, 1, F_SEND_VIDEO}, {"loop", 0, 0, F_LOOP},
  {"record", 0, 1, F_RECORD},     {"record-y4m", 0, 0, F_RECORD_Y4M}, {"stats", 0, 0, F_STATS},
  {"video-codec", 0, 1, F_VIDEO_CODEC}, {"duration", 0, 1, F_DURATION},
  {NULL, 0, 0, 0},
};

#define MAX_LINE 1024
#define MAX_WAIT_MS 600000
#define MAX_DURATION_S 86400

typedef struct join_session {
  usm_client *client;
  usm_meeting *m;
  join_out out;
  usm_join_options jo;
  join_media media;
  long duration_ms; /* --duration: 0 none */
  long joined_at;   /* monotonic ms when the meeting last became JOINED, 0 while not joined */
  /* the operation in flight, or the condition being waited for */
  int busy;
  char op[32];
  int waiting;      /* a "wait"/"sleep" command */
  char wait_what[32];
  char wait_arg[512];
  long wait_until;  /* monotonic ms */
  int failures;
  int quit;
  /* commands not yet run */
  char *script;     /* remaining --script text (owned) */
  char *script_pos;
  char inbuf[MAX_LINE * 4];
  size_t inlen;
  int stdin_open;
} join_session;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* ---- callbacks ------------------------------------------------------- */

static void on_done(usm_meeting *m, usm_err err, const char *message, void *user) {
  (void)m;
  join_session *s = user;
  join_out_result(&s->out, s->op, err, message);
  if (err != USM_OK) s->failures++;
  s->busy = 0;
}

/* The first meeting-info answer: a password or captcha wait is not a failure
 * of the session, the commands decide what happens next. */
static void on_info(usm_meeting *m, usm_err err, const char *message, void *user) {
  join_session *s = user;
  join_out_result(&s->out, "info", err, message);
  if (err != USM_OK && err != USM_ERR_PASSWORD_REQUIRED && err != USM_ERR_CAPTCHA_REQUIRED) {
    s->failures++;
    s->quit = 1;
  }
  (void)m;
  s->busy = 0;
}

static void on_event(usm_meeting *m, const usm_event *ev, void *user) {
  join_session *s = user;
  join_out_event(&s->out, m, ev);
}

/* ---- participants by id, name or email ---------------------------------- */

static int find_who(const usm_meeting *m, const char *who, usm_participant *out) {
  for (size_t i = 0; i < usm_meeting_participant_count(m); i++) {
    usm_participant p;
    if (usm_meeting_participant(m, i, &p) != USM_OK) continue;
    if (strcmp(p.id, who) == 0 || (p.name && strcasecmp(p.name, who) == 0) ||
        (p.email && strcasecmp(p.email, who) == 0)) {
      *out = p;
      return 1;
    }
  }
  return 0;
}

/* ---- waiting ------------------------------------------------------------ */

static int wait_satisfied(join_session *s) {
  const char *w = s->wait_what;
  usm_meeting_state st = usm_meeting_get_state(s->m);
  if (strcmp(w, "sleep") == 0) return 0;
  if (strcmp(w, "participant") == 0) {
    usm_participant p;
    char name[512];
    snprintf(name, sizeof name, "%s", s->wait_arg);
    char *state = strrchr(name, ' ');
    const char *want = "in_meeting";
    if (state && (!strcmp(state + 1, "in_lobby") || !strcmp(state + 1, "in_meeting") || !strcmp(state + 1, "gone"))) {
      *state = '\0';
      want = state + 1;
    }
    int found = find_who(s->m, name, &p);
    if (!strcmp(want, "gone")) return !found || (!p.in_meeting && !p.in_lobby);
    return found && (!strcmp(want, "in_lobby") ? p.in_lobby : p.in_meeting);
  }
  if (strcmp(w, "host") == 0) {
    usm_participant me;
    return usm_meeting_self(s->m, &me) == USM_OK && me.is_host;
  }
  if (strcmp(w, "connection") == 0)
    return strcmp(usm_connection_state_name(usm_meeting_connection_state(s->m)), s->wait_arg) == 0;
  return strcmp(usm_meeting_state_name(st), w) == 0;
}

static void check_wait(join_session *s) {
  if (!s->waiting) return;
  int sleeping = strcmp(s->wait_what, "sleep") == 0;
  if (wait_satisfied(s) || (sleeping && now_ms() >= s->wait_until)) {
    s->waiting = 0;
    join_out_result(&s->out, "wait", USM_OK, "");
  } else if (now_ms() >= s->wait_until) {
    s->waiting = 0;
    s->failures++;
    char why[600];
    snprintf(why, sizeof why, "still not %s %s", s->wait_what, s->wait_arg);
    join_out_result(&s->out, "wait", USM_ERR_TIMEOUT, why);
  }
}

/* ---- commands ----------------------------------------------------------- */

static char *next_word(char **p) {
  while (**p == ' ' || **p == '\t') (*p)++;
  if (!**p) return NULL;
  char *w = *p;
  while (**p && **p != ' ' && **p != '\t') (*p)++;
  if (**p) *(*p)++ = '\0';
  return w;
}

static void start(join_session *s, const char *op, usm_err e) {
  snprintf(s->op, sizeof s->op, "%s", op);
  if (e == USM_OK) {
    s->busy = 1;
  } else {
    s->failures++;
    join_out_result(&s->out, op, e, usm_meeting_last_error(s->m));
  }
}

static void usage_fail(join_session *s, const char *cmd, const char *why) {
  s->failures++;
  join_out_result(&s->out, cmd, USM_ERR_INVALID_ARG, why);
}

static void run_command(join_session *s, char *line) {
  char *p = line;
  char *cmd = next_word(&p);
  if (!cmd || cmd[0] == '#') return;
  /* admit/host take the rest of the line: a name may hold spaces */
  char rest[MAX_LINE];
  snprintf(rest, sizeof rest, "%s", p + strspn(p, " \t"));
  for (size_t n = strlen(rest); n && (rest[n - 1] == ' ' || rest[n - 1] == '\t' || rest[n - 1] == '\r'); n--)
    rest[n - 1] = '\0';
  char *a1 = next_word(&p);
  char *a2 = next_word(&p);
  usm_participant who;
  if (!strcmp(cmd, "password")) {
    if (!a1) return usage_fail(s, cmd, "usage: password PASSWORD [CAPTCHA_CODE]");
    start(s, cmd, usm_meeting_set_password(s->m, a1, a2, on_done, s));
  } else if (!strcmp(cmd, "captcha")) {
    if (a1 && !strcmp(a1, "refresh"))
      start(s, "captcha refresh", usm_meeting_refresh_captcha(s->m, on_done, s));
    else
      join_out_captcha(&s->out, s->m);
  } else if (!strcmp(cmd, "join")) {
    start(s, cmd, usm_meeting_join(s->m, &s->jo, on_done, s));
  } else if (!strcmp(cmd, "admit") || !strcmp(cmd, "host")) {
    if (!a1) return usage_fail(s, cmd, "usage: admit|host PARTICIPANT (id, name or email)");
    const char *id = find_who(s->m, rest, &who) ? who.id : rest;
    start(s, cmd, !strcmp(cmd, "admit") ? usm_meeting_admit(s->m, id, on_done, s)
                                        : usm_meeting_assign_host(s->m, id, on_done, s));
  } else if (!strcmp(cmd, "invite")) {
    if (!a1) return usage_fail(s, cmd, "usage: invite EMAIL");
    start(s, cmd, usm_meeting_invite(s->m, a1, on_done, s));
  } else if (!strcmp(cmd, "mute") || !strcmp(cmd, "unmute")) {
    /* mute|unmute [WHO]: audio; oneself without WHO, another participant as host */
    const char *id = NULL;
    if (a1) id = find_who(s->m, rest, &who) ? who.id : rest;
    start(s, cmd, usm_meeting_mute(s->m, id, !strcmp(cmd, "mute"), -1, on_done, s));
  } else if (!strcmp(cmd, "lock") || !strcmp(cmd, "unlock")) {
    start(s, cmd, usm_meeting_lock(s->m, !strcmp(cmd, "lock"), on_done, s));
  } else if (!strcmp(cmd, "leave")) {
    start(s, cmd, usm_meeting_leave(s->m, on_done, s));
  } else if (!strcmp(cmd, "end")) {
    start(s, cmd, usm_meeting_end(s->m, on_done, s));
  } else if (!strcmp(cmd, "roster")) {
    join_out_roster(&s->out, s->m);
  } else if (!strcmp(cmd, "state")) {
    join_out_state(&s->out, s->m);
  } else if (!strcmp(cmd, "wait") || !strcmp(cmd, "sleep")) {
    /* wait joined|in_lobby|ready|left|ended|host [SECS]; wait participant WHO [in_meeting|in_lobby|gone] [SECS];
     * wait connection online|reconnecting|offline|... [SECS]; sleep MS */
    long ms = 30000;
    s->wait_arg[0] = '\0';
    if (!strcmp(cmd, "sleep")) {
      long v;
      if (!a1 || cli_parse_long(a1, 0, MAX_WAIT_MS, &v) != 0) return usage_fail(s, cmd, "usage: sleep MS");
      snprintf(s->wait_what, sizeof s->wait_what, "sleep");
      ms = v;
    } else {
      if (!a1) return usage_fail(s, cmd, "usage: wait STATE [SECS] | wait participant WHO [STATE] [SECS]");
      snprintf(s->wait_what, sizeof s->wait_what, "%s", a1);
      char *secs = a2;
      if (!strcmp(a1, "participant")) {
        if (!a2) return usage_fail(s, cmd, "usage: wait participant WHO [in_meeting|in_lobby|gone] [SECS]");
        /* WHO may hold spaces: everything after "participant" up to a trailing number of seconds */
        char *target = rest + strlen("participant");
        target += strspn(target, " \t");
        char *last = strrchr(target, ' ');
        long v;
        if (last && cli_parse_long(last + 1, 1, MAX_WAIT_MS / 1000, &v) == 0) {
          ms = v * 1000;
          *last = '\0';
        }
        snprintf(s->wait_arg, sizeof s->wait_arg, "%s", target);
        secs = NULL;
      } else if (!strcmp(a1, "connection")) {
        if (!a2) return usage_fail(s, cmd, "usage: wait connection idle|connecting|online|reconnecting|offline [SECS]");
        snprintf(s->wait_arg, sizeof s->wait_arg, "%s", a2);
        secs = next_word(&p);
      }
      long v;
      if (secs && cli_parse_long(secs, 1, MAX_WAIT_MS / 1000, &v) == 0) ms = v * 1000;
    }
    s->waiting = 1;
    s->wait_until = now_ms() + ms;
    check_wait(s);
  } else if (!strcmp(cmd, "quit")) {
    s->quit = 1;
  } else {
    usage_fail(s, cmd, "unknown command (password, captcha [refresh], join, admit, host, invite, lock, "
                       "unlock, mute, unmute, roster, state, wait, sleep, leave, end, quit)");
  }
}

/* The next command line, from the script first and then from stdin. */
static int next_command(join_session *s, char *line, size_t cap) {
  if (s->script_pos && *s->script_pos) {
    char *end = strchr(s->script_pos, ';');
    size_t n = end ? (size_t)(end - s->script_pos) : strlen(s->script_pos);
    snprintf(line, cap, "%.*s", (int)(n < cap ? n : cap - 1), s->script_pos);
    s->script_pos += n + (end ? 1 : 0);
    return 1;
  }
  char *nl = memchr(s->inbuf, '\n', s->inlen);
  if (!nl && (s->stdin_open || s->inlen == 0)) return 0;
  size_t n = nl ? (size_t)(nl - s->inbuf) : s->inlen;
  snprintf(line, cap, "%.*s", (int)(n < cap ? n : cap - 1), s->inbuf);
  size_t used = nl ? n + 1 : n;
  memmove(s->inbuf, s->inbuf + used, s->inlen - used);
  s->inlen -= used;
  return 1;
}

static void read_stdin(join_session *s) {
  if (s->inlen == sizeof s->inbuf) { /* a line longer than the buffer: drop it */
    s->inlen = 0;
    usage_fail(s, "input", "line too long");
  }
  ssize_t n = read(STDIN_FILENO, s->inbuf + s->inlen, sizeof s->inbuf - s->inlen);
  if (n > 0)
    s->inlen += (size_t)n;
  else if (n == 0 || (errno != EINTR && errno != EAGAIN))
    s->stdin_open = 0;
}

static int more_commands(const join_session *s) {
  return (s->script_pos && *s->script_pos) || s->stdin_open || s->inlen > 0;
}

/* Media and --duration, between commands: start the play once joined; leave
 * when the time is up. */
static void tick_media(join_session *s) {
  usm_meeting_state st = usm_meeting_get_state(s->m);
  if (st != USM_MEETING_JOINED) {
    s->joined_at = 0;
  } else if (!s->joined_at) {
    s->joined_at = now_ms();
  }
  usm_err e = join_media_poll(&s->media, s->m);
  if (e != USM_OK) { /* the user asked to send this: without it the session is pointless */
    s->failures++;
    join_out_result(&s->out, "play", e, usm_meeting_last_error(s->m));
    s->quit = 1;
  }
  if (s->duration_ms && s->joined_at && now_ms() - s->joined_at >= s->duration_ms) {
    join_out_result(&s->out, "duration", USM_OK, "");
    s->quit = 1;
  }
}

/* Commands ran out: a --duration session stays while joined or on its way in. */
static int stay(const join_session *s) {
  if (!s->duration_ms) return 0;
  usm_meeting_state st = usm_meeting_get_state(s->m);
  return st == USM_MEETING_JOINED || st == USM_MEETING_JOINING || st == USM_MEETING_IN_LOBBY;
}

static void loop(join_session *s) {
  char line[MAX_LINE];
  while (!s->quit) {
    tick_media(s);
    if (s->quit) break;
    if (!s->busy) check_wait(s);
    if (!s->busy && !s->waiting) {
      if (next_command(s, line, sizeof line)) {
        run_command(s, line);
        continue;
      }
      if (!more_commands(s) && !stay(s)) break;
    }
    struct pollfd fds[2] = {{.fd = usm_client_fd(s->client), .events = POLLIN},
                            {.fd = STDIN_FILENO, .events = POLLIN}};
    int want_stdin = s->stdin_open && !(s->script_pos && *s->script_pos);
    int timeout = usm_client_timeout(s->client);
    if (timeout < 0 || timeout > 100) timeout = 100;
    poll(fds, want_stdin ? 2 : 1, timeout);
    if (want_stdin && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) read_stdin(s);
    usm_client_process(s->client);
  }
}

/* Run one operation to completion (the prelude and the final leave). */
static void run_op(join_session *s, const char *op, usm_err started) {
  start(s, op, started);
  while (s->busy) {
    struct pollfd f = {.fd = usm_client_fd(s->client), .events = POLLIN};
    int t = usm_client_timeout(s->client);
    poll(&f, 1, t < 0 || t > 100 ? 100 : t);
    usm_client_process(s->client);
  }
}

int cmd_join(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, flags, usage, 1, 1, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  usm_dest_type type = USM_DEST_AUTO;
  const char *t = cli_arg(&a, F_TYPE);
  if (t && usm_dest_type_from_name(t, &type) != USM_OK) {
    rc = cli_usage_error(usage, "unknown destination type '%s'", t);
    cli_args_free(&a);
    return rc;
  }
  join_session s;
  memset(&s, 0, sizeof s);
  s.stdin_open = 1;
  join_out_init(&s.out, g->json, cli_arg(&a, F_EVENTS) != NULL, isatty(STDOUT_FILENO));
  usm_join_options_init(&s.jo);
  s.jo.display_name = cli_arg(&a, F_NAME);
  s.jo.pin = cli_arg(&a, F_PIN);
  s.jo.moderator = cli_arg(&a, F_MODERATOR) ? 1 : 0;
  if (cli_arg(&a, F_SCRIPT)) s.script = s.script_pos = strdup(cli_arg(&a, F_SCRIPT));
  s.media.send_audio = cli_arg(&a, F_SEND_AUDIO);
  s.media.send_video = cli_arg(&a, F_SEND_VIDEO);
  s.media.loop = cli_arg(&a, F_LOOP) != NULL;
  s.media.record_dir = cli_arg(&a, F_RECORD);
  s.media.record_y4m = cli_arg(&a, F_RECORD_Y4M) != NULL;
  s.media.stats = cli_arg(&a, F_STATS) != NULL;
  s.media.video_codec = cli_arg(&a, F_VIDEO_CODEC);
  const char *dur = cli_arg(&a, F_DURATION);
  char why[PATH_MAX + 256];
  if (dur && cli_parse_long(dur, 1, MAX_DURATION_S, &s.duration_ms) != 0) {
    rc = cli_usage_error(usage, "--duration needs seconds between 1 and %d", MAX_DURATION_S);
    goto out;
  }
  s.duration_ms *= 1000;
  if (join_media_check(&s.media, why, sizeof why) != 0) {
    rc = cli_usage_error(usage, "%s", why);
    goto out;
  }
  if (s.media.stats) join_out_enable_stats(&s.out, isatty(STDOUT_FILENO));

  rc = cli_client_open(g, &s.client);
  if (rc != CLI_EXIT_OK) goto out;
  usm_err e = usm_meetings_create(s.client, a.pos[0], type, on_info, &s, &s.m);
  if (e != USM_OK) {
    cli_print_error(g->json, e, usm_client_last_error(s.client), NULL, 0, 0);
    rc = CLI_EXIT_ERROR;
    goto out;
  }
  usm_meeting_set_event_cb(s.m, on_event, &s);
  if (join_media_start(&s.media, s.m, &s.jo, &s.out, why, sizeof why) != 0) {
    cli_print_error(g->json, USM_ERR_INTERNAL, why, NULL, 0, 0);
    rc = CLI_EXIT_ERROR;
    goto out;
  }
  run_op(&s, "info", USM_OK); /* already started: wait for on_info */
  const char *pw = cli_arg(&a, F_PASSWORD);
  if (!s.quit && pw && usm_meeting_get_state(s.m) == USM_MEETING_LOCKED_OUT)
    run_op(&s, "password", usm_meeting_set_password(s.m, pw, cli_arg(&a, F_CAPTCHA), on_done, &s));
  if (!s.quit && !cli_arg(&a, F_NO_JOIN) && usm_meeting_get_state(s.m) == USM_MEETING_READY)
    run_op(&s, "join", usm_meeting_join(s.m, &s.jo, on_done, &s));
  if (!s.quit) loop(&s);
  /* Never leave a ghost participant behind. */
  usm_media_stats final;
  usm_media_stats_init(&final);
  int have_final = join_media_wanted(&s.media) && usm_meeting_get_stats(s.m, &final) == USM_OK;
  usm_meeting_state st = usm_meeting_get_state(s.m);
  if (st == USM_MEETING_JOINED || st == USM_MEETING_IN_LOBBY)
    run_op(&s, "leave", usm_meeting_leave(s.m, on_done, &s));
  join_out_finish(&s.out);
  s.failures += join_media_finish(&s.media, s.m, have_final ? &final : NULL, g->json);
  rc = s.failures ? CLI_EXIT_ERROR : CLI_EXIT_OK;
out:
  join_out_finish(&s.out);
  if (s.media.rec) join_media_finish(&s.media, s.m, NULL, g->json); /* an early failure: close the files */
  usm_meeting_destroy(s.m);
  usm_client_destroy(s.client);
  free(s.script);
  cli_args_free(&a);
  return rc;
}
