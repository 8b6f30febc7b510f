/* What `usm join` prints: command results, meeting events, the roster, as
 * human lines or one JSON object per line (--json). */
#ifndef USM_CLI_JOIN_OUTPUT_H
#define USM_CLI_JOIN_OUTPUT_H

#include <usm/usm.h>

typedef struct join_out {
  int json;
  int events; /* print every event, not only state changes */
} join_out;

void join_out_init(join_out *o, int json, int events);
/* "ok <op>" / "error <code> (<NAME>) <op>: message", or {"result":op,"ok":...}. */
void join_out_result(const join_out *o, const char *op, usm_err err, const char *message);
void join_out_event(const join_out *o, const usm_meeting *m, const usm_event *ev);
void join_out_roster(const join_out *o, const usm_meeting *m);
void join_out_state(const join_out *o, const usm_meeting *m);
void join_out_captcha(const join_out *o, const usm_meeting *m);

#endif
