/* The meeting state machine: every (state, input) pair and every guard of
 * every call, against expectations written out here independently of the
 * tables in src/meeting/fsm.c. */
#include <usm/usm.h>

#include "check.h"
#include "meeting/fsm.h"

#define S(x) USM_MEETING_##x
#define NSTATES 9

typedef struct {
  usm_meeting_state from;
  usm__input in;
  usm_meeting_state to;
} step;

/* The only pairs that move (or keep) the state; everything else is ignored. */
static const step transitions[] = {
  {S(RESOLVING), USM__IN_INFO_OK, S(READY)},
  {S(RESOLVING), USM__IN_INFO_LOCKED, S(LOCKED_OUT)},
  {S(RESOLVING), USM__IN_INFO_FAILED, S(FAILED)},
  {S(RESOLVING), USM__IN_INFO_TRANSIENT, S(FAILED)},
  {S(LOCKED_OUT), USM__IN_INFO_OK, S(READY)},
  {S(LOCKED_OUT), USM__IN_INFO_LOCKED, S(LOCKED_OUT)},
  {S(LOCKED_OUT), USM__IN_INFO_FAILED, S(FAILED)},
  {S(LOCKED_OUT), USM__IN_INFO_TRANSIENT, S(LOCKED_OUT)}, /* a network hiccup keeps the captcha/password */
  {S(READY), USM__IN_JOIN_START, S(JOINING)},
  {S(LEFT), USM__IN_JOIN_START, S(JOINING)},
  {S(JOINING), USM__IN_INFO_OK, S(JOINING)}, /* token refreshed: on to Locus */
  {S(JOINING), USM__IN_INFO_LOCKED, S(LOCKED_OUT)},
  {S(JOINING), USM__IN_INFO_FAILED, S(READY)},
  {S(JOINING), USM__IN_INFO_TRANSIENT, S(READY)},
  {S(JOINING), USM__IN_SELF_JOINED, S(JOINED)},
  {S(JOINING), USM__IN_SELF_LOBBY, S(IN_LOBBY)},
  {S(JOINING), USM__IN_JOIN_FAILED, S(READY)},
  {S(JOINING), USM__IN_ENDED, S(ENDED)},
  {S(IN_LOBBY), USM__IN_SELF_JOINED, S(JOINED)}, /* admitted */
  {S(IN_LOBBY), USM__IN_SELF_LOBBY, S(IN_LOBBY)},
  {S(IN_LOBBY), USM__IN_SELF_LEFT, S(LEFT)},
  {S(IN_LOBBY), USM__IN_ENDED, S(ENDED)},
  {S(JOINED), USM__IN_SELF_JOINED, S(JOINED)},
  {S(JOINED), USM__IN_SELF_LOBBY, S(IN_LOBBY)}, /* moved back to the lobby */
  {S(JOINED), USM__IN_SELF_LEFT, S(LEFT)},
  {S(JOINED), USM__IN_ENDED, S(ENDED)},
};

static void test_transitions(void) {
  for (int s = 0; s < NSTATES; s++)
    for (int in = 0; in < USM__IN_COUNT; in++) {
      int want = -1;
      for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++)
        if ((int)transitions[i].from == s && (int)transitions[i].in == in) want = (int)transitions[i].to;
      int got = usm__fsm_next((usm_meeting_state)s, (usm__input)in);
      if (got != want) fprintf(stderr, "state %s input %d\n", usm_meeting_state_name((usm_meeting_state)s), in);
      CHECK_INT(got, want);
    }
  /* terminal states stay put */
  for (int in = 0; in < USM__IN_COUNT; in++) {
    CHECK_INT(usm__fsm_next(S(ENDED), (usm__input)in), -1);
    CHECK_INT(usm__fsm_next(S(FAILED), (usm__input)in), -1);
  }
  CHECK_INT(usm__fsm_next((usm_meeting_state)99, USM__IN_INFO_OK), -1);
  CHECK_INT(usm__fsm_next(S(READY), USM__IN_COUNT), -1);
}

/* Which states each call accepts (password not required, no captcha, idle). */
static unsigned states_for(usm__op op) {
  switch (op) {
    case USM__OP_SET_PASSWORD:
    case USM__OP_REFRESH_CAPTCHA: return 1u << S(LOCKED_OUT);
    case USM__OP_JOIN: return 1u << S(READY) | 1u << S(LEFT);
    case USM__OP_LEAVE: return 1u << S(JOINED) | 1u << S(IN_LOBBY);
    default: return 1u << S(JOINED);
  }
}

static void test_state_guards(void) {
  char why[256];
  for (int op = 0; op < USM__OP_COUNT; op++)
    for (int s = 0; s < NSTATES; s++) {
      usm__guard g = {.state = (usm_meeting_state)s, .password = USM_PASSWORD_UNKNOWN};
      /* the captcha calls need one pending; give it, with a code */
      if (op == USM__OP_SET_PASSWORD || op == USM__OP_REFRESH_CAPTCHA) g.captcha_pending = g.captcha_code = 1;
      why[0] = '\0';
      usm_err e = usm__fsm_guard(&g, (usm__op)op, why, sizeof why);
      int allowed = (states_for((usm__op)op) >> s) & 1;
      if (op == USM__OP_JOIN && g.captcha_pending) allowed = 0;
      CHECK_INT(e, allowed ? USM_OK : USM_ERR_WRONG_STATE);
      if (!allowed) {
        CHECK(strstr(why, usm__op_name((usm__op)op)) != NULL);
        CHECK(strstr(why, usm_meeting_state_name((usm_meeting_state)s)) != NULL);
      }
    }
  usm__guard g = {.state = S(IN_LOBBY)};
  CHECK_INT(usm__fsm_guard(&g, USM__OP_INVITE, why, sizeof why), USM_ERR_WRONG_STATE);
  CHECK_STR(why, "invite needs state joined; the meeting is in_lobby");
  g.state = S(JOINING);
  CHECK_INT(usm__fsm_guard(&g, USM__OP_LEAVE, why, sizeof why), USM_ERR_WRONG_STATE);
  CHECK_STR(why, "leave needs state in_lobby or joined; the meeting is joining");
  CHECK_INT(usm__fsm_guard(&g, (usm__op)USM__OP_COUNT, why, sizeof why), USM_ERR_INVALID_ARG);
}

static void test_busy(void) {
  char why[256];
  /* flow operations exclude each other; host actions do not wait for them */
  const struct {
    usm__op op;
    usm_meeting_state s;
    int flow;
  } t[] = {
    {USM__OP_SET_PASSWORD, S(LOCKED_OUT), 1}, {USM__OP_REFRESH_CAPTCHA, S(LOCKED_OUT), 1},
    {USM__OP_JOIN, S(READY), 1},             {USM__OP_LEAVE, S(JOINED), 1},
    {USM__OP_END, S(JOINED), 1},             {USM__OP_ADMIT, S(JOINED), 0},
    {USM__OP_ASSIGN_HOST, S(JOINED), 0},     {USM__OP_INVITE, S(JOINED), 0},
    {USM__OP_LOCK, S(JOINED), 0},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    usm__guard g = {.state = t[i].s, .password = USM_PASSWORD_REQUIRED, .captcha_pending = 1, .captcha_code = 1,
                    .busy = 1};
    if (t[i].op == USM__OP_JOIN) g.password = USM_PASSWORD_NOT_REQUIRED, g.captcha_pending = 0;
    usm_err e = usm__fsm_guard(&g, t[i].op, why, sizeof why);
    CHECK_INT(e, t[i].flow ? USM_ERR_WRONG_STATE : USM_OK);
    if (t[i].flow) CHECK(strstr(why, "another operation") != NULL);
  }
}

static void test_password_guards(void) {
  char why[256];
  usm__guard g = {.state = S(LOCKED_OUT)};
  /* a password only while REQUIRED or UNKNOWN */
  const struct {
    usm_password_status pw;
    usm_err want;
  } pw[] = {
    {USM_PASSWORD_UNKNOWN, USM_OK},
    {USM_PASSWORD_REQUIRED, USM_OK},
    {USM_PASSWORD_VERIFIED, USM_ERR_WRONG_STATE},
    {USM_PASSWORD_NOT_REQUIRED, USM_ERR_WRONG_STATE},
  };
  for (size_t i = 0; i < sizeof pw / sizeof pw[0]; i++) {
    g.password = pw[i].pw;
    CHECK_INT(usm__fsm_guard(&g, USM__OP_SET_PASSWORD, why, sizeof why), pw[i].want);
  }
  CHECK_STR(why, "set_password: called with a password when none is required");
  /* a captcha code exactly when a captcha is pending */
  g.password = USM_PASSWORD_REQUIRED;
  g.captcha_pending = 1, g.captcha_code = 0;
  CHECK_INT(usm__fsm_guard(&g, USM__OP_SET_PASSWORD, why, sizeof why), USM_ERR_INVALID_ARG);
  CHECK_STR(why, "set_password: a captcha is pending; give its code");
  g.captcha_pending = 0, g.captcha_code = 1;
  CHECK_INT(usm__fsm_guard(&g, USM__OP_SET_PASSWORD, why, sizeof why), USM_ERR_INVALID_ARG);
  CHECK_STR(why, "set_password: called with a captcha code when no captcha is pending");
  g.captcha_pending = 1, g.captcha_code = 1;
  CHECK_INT(usm__fsm_guard(&g, USM__OP_SET_PASSWORD, why, sizeof why), USM_OK);
  /* refresh only with a captcha pending */
  g.captcha_pending = 0;
  CHECK_INT(usm__fsm_guard(&g, USM__OP_REFRESH_CAPTCHA, why, sizeof why), USM_ERR_WRONG_STATE);
  CHECK_STR(why, "refresh_captcha: no captcha is pending");
  g.captcha_pending = 1;
  CHECK_INT(usm__fsm_guard(&g, USM__OP_REFRESH_CAPTCHA, why, sizeof why), USM_OK);
  /* join: refused while a captcha is pending or the password is required,
   * with the official SDK's error classes, whatever the state */
  for (int s = 0; s < NSTATES; s++) {
    usm__guard j = {.state = (usm_meeting_state)s, .password = USM_PASSWORD_REQUIRED, .captcha_pending = 1};
    CHECK_INT(usm__fsm_guard(&j, USM__OP_JOIN, why, sizeof why), USM_ERR_CAPTCHA_REQUIRED);
    j.captcha_pending = 0;
    CHECK_INT(usm__fsm_guard(&j, USM__OP_JOIN, why, sizeof why), USM_ERR_PASSWORD_REQUIRED);
  }
  usm__guard j = {.state = S(READY), .password = USM_PASSWORD_VERIFIED};
  CHECK_INT(usm__fsm_guard(&j, USM__OP_JOIN, why, sizeof why), USM_OK);
}

static void test_names(void) {
  const char *names[NSTATES] = {"resolving", "locked_out", "ready", "joining", "in_lobby",
                                "joined",    "left",       "ended", "failed"};
  for (int s = 0; s < NSTATES; s++) CHECK_STR(usm_meeting_state_name((usm_meeting_state)s), names[s]);
  CHECK_STR(usm_meeting_state_name((usm_meeting_state)42), "unknown");
  CHECK_STR(usm__op_name(USM__OP_ASSIGN_HOST), "assign_host");
  CHECK_STR(usm__op_name((usm__op)99), "?");
}

int main(void) {
  test_transitions();
  test_state_guards();
  test_busy();
  test_password_guards();
  test_names();
  return check_done("test_meeting_fsm");
}
