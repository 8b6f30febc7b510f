/* What `usm join` prints: command results, meeting events, the roster, as
 * human lines or one JSON object per line (--json). With --events every
 * event is printed; a human session on a terminal instead keeps a live
 * roster at the bottom of the screen, redrawn in place (ANSI) on each change. */
#ifndef USM_CLI_JOIN_OUTPUT_H
#define USM_CLI_JOIN_OUTPUT_H

#include <usm/usm.h>

typedef struct join_out {
  int json;
  int events; /* print every event, not only state changes */
  int live;   /* human --events on a terminal: redraw the roster in place */
  int drawn;  /* lines of the live roster now on screen */
  const usm_meeting *m; /* the meeting whose roster is drawn (set by the first event) */
  int media;            /* media was asked for: media state changes are printed without --events too */
  int stats_live;       /* --stats on a terminal: one status line rewritten in place (\r) */
  int stats_shown;      /* that line is on screen now */
  char stats_text[320];
} join_out;

/* @p tty: stdout is a terminal (isatty), which turns on the live roster for human --events. */
void join_out_init(join_out *o, int json, int events, int tty);
/* "ok <op>" / "error <code> (<NAME>) <op>: message", or {"result":op,"ok":...}. */
void join_out_result(join_out *o, const char *op, usm_err err, const char *message);
/* One event: a JSON object (--json), a line, or a redraw of the live roster. */
void join_out_event(join_out *o, const usm_meeting *m, const usm_event *ev);
void join_out_roster(join_out *o, const usm_meeting *m);
void join_out_state(join_out *o, const usm_meeting *m);
void join_out_captcha(join_out *o, const usm_meeting *m);
/* --stats: each USM_EVENT_STATS becomes a line ({"stats":...} with --json); on a
 * terminal (@p tty) the line is rewritten in place below everything else. */
void join_out_enable_stats(join_out *o, int tty);
/* A line of the tool's own ({"note":...} with --json), e.g. what is being recorded. */
void join_out_note(join_out *o, const char *line);
/* Take the live roster off the screen (before exiting); a live stats line stays. */
void join_out_finish(join_out *o);

#endif
