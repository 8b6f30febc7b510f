#include "meeting/fsm.h"

#include <stdio.h>

#define S(x) USM_MEETING_##x
#define BIT(s) (1u << (s))
#define NONE (-1)

/* next[state][input]; NONE: ignored. Read a row as "in this state, ...". */
static const signed char next_state[9][USM__IN_COUNT] = {
  /*               INFO_OK   LOCKED         FAILED      TRANSIENT      JOIN_START   SELF_JOINED  SELF_LOBBY     SELF_LEFT  JOIN_FAILED ENDED */
  [S(RESOLVING)] = {S(READY), S(LOCKED_OUT), S(FAILED), S(FAILED),     NONE,        NONE,        NONE,          NONE,      NONE,       NONE},
  [S(LOCKED_OUT)] = {S(READY), S(LOCKED_OUT), S(FAILED), S(LOCKED_OUT), NONE,       NONE,        NONE,          NONE,      NONE,       NONE},
  [S(READY)] =     {NONE,     NONE,          NONE,      NONE,          S(JOINING),  NONE,        NONE,          NONE,      NONE,       NONE},
  /* JOINING: INFO_* are the permission-token refresh before the Locus join */
  [S(JOINING)] =   {S(JOINING), S(LOCKED_OUT), S(READY), S(READY),     NONE,        S(JOINED),   S(IN_LOBBY),   NONE,      S(READY),   S(ENDED)},
  [S(IN_LOBBY)] =  {NONE,     NONE,          NONE,      NONE,          NONE,        S(JOINED),   S(IN_LOBBY),   S(LEFT),   NONE,       S(ENDED)},
  [S(JOINED)] =    {NONE,     NONE,          NONE,      NONE,          NONE,        S(JOINED),   S(IN_LOBBY),   S(LEFT),   NONE,       S(ENDED)},
  [S(LEFT)] =      {NONE,     NONE,          NONE,      NONE,          S(JOINING),  NONE,        NONE,          NONE,      NONE,       NONE},
  [S(ENDED)] =     {NONE,     NONE,          NONE,      NONE,          NONE,        NONE,        NONE,          NONE,      NONE,       NONE},
  [S(FAILED)] =    {NONE,     NONE,          NONE,      NONE,          NONE,        NONE,        NONE,          NONE,      NONE,       NONE},
};

int usm__fsm_next(usm_meeting_state s, usm__input in) {
  if ((unsigned)s > S(FAILED) || (unsigned)in >= USM__IN_COUNT) return NONE;
  return next_state[s][in];
}

/* The states in which each call is allowed. */
static const unsigned allowed[USM__OP_COUNT] = {
  [USM__OP_SET_PASSWORD] = BIT(S(LOCKED_OUT)),
  [USM__OP_REFRESH_CAPTCHA] = BIT(S(LOCKED_OUT)),
  [USM__OP_JOIN] = BIT(S(READY)) | BIT(S(LEFT)),
  [USM__OP_LEAVE] = BIT(S(JOINED)) | BIT(S(IN_LOBBY)),
  [USM__OP_END] = BIT(S(JOINED)),
  [USM__OP_ADMIT] = BIT(S(JOINED)),
  [USM__OP_ASSIGN_HOST] = BIT(S(JOINED)),
  [USM__OP_INVITE] = BIT(S(JOINED)),
  [USM__OP_LOCK] = BIT(S(JOINED)),
  [USM__OP_MUTE] = BIT(S(JOINED)),
};

/* Calls that run as the meeting's one flow operation. */
static const unsigned flow_ops = 1u << USM__OP_SET_PASSWORD | 1u << USM__OP_REFRESH_CAPTCHA |
                                 1u << USM__OP_JOIN | 1u << USM__OP_LEAVE | 1u << USM__OP_END;

static const char *const op_names[USM__OP_COUNT] = {
  "set_password", "refresh_captcha", "join", "leave", "end", "admit", "assign_host", "invite", "lock", "mute",
};

const char *usm__op_name(usm__op op) { return (unsigned)op < USM__OP_COUNT ? op_names[op] : "?"; }

/* "ready or left" for a mask of states. */
static void list_states(unsigned mask, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  int n = 0, total = 0;
  for (int s = 0; s <= S(FAILED); s++) total += (mask >> s) & 1;
  for (int s = 0; s <= S(FAILED) && used < cap; s++) {
    if (!((mask >> s) & 1)) continue;
    const char *sep = n == 0 ? "" : n == total - 1 ? " or " : ", ";
    int w = snprintf(buf + used, cap - used, "%s%s", sep, usm_meeting_state_name((usm_meeting_state)s));
    if (w < 0) break;
    used += (size_t)w;
    n++;
  }
}

usm_err usm__fsm_guard(const usm__guard *g, usm__op op, char *why, size_t cap) {
  if ((unsigned)op >= USM__OP_COUNT) return USM_ERR_INVALID_ARG;
  const char *name = op_names[op];
  /* The official SDK refuses a join with CaptchaError/PasswordError before
   * it looks at anything else; libusm keeps those codes. */
  if (op == USM__OP_JOIN && g->captcha_pending) {
    snprintf(why, cap, "join: a captcha is pending; solve it with usm_meeting_set_password first");
    return USM_ERR_CAPTCHA_REQUIRED;
  }
  if (op == USM__OP_JOIN && g->password == USM_PASSWORD_REQUIRED) {
    snprintf(why, cap, "join: the meeting needs a password; give it with usm_meeting_set_password first");
    return USM_ERR_PASSWORD_REQUIRED;
  }
  if (!(allowed[op] & BIT(g->state))) {
    char states[96];
    list_states(allowed[op], states, sizeof states);
    snprintf(why, cap, "%s needs state %s; the meeting is %s", name, states, usm_meeting_state_name(g->state));
    return USM_ERR_WRONG_STATE;
  }
  if ((flow_ops >> op & 1u) && g->busy) {
    snprintf(why, cap, "%s: another operation of this meeting is still running", name);
    return USM_ERR_WRONG_STATE;
  }
  if (op == USM__OP_SET_PASSWORD) {
    if (g->password != USM_PASSWORD_REQUIRED && g->password != USM_PASSWORD_UNKNOWN) {
      snprintf(why, cap, "set_password: called with a password when none is required");
      return USM_ERR_WRONG_STATE;
    }
    if (g->captcha_pending && !g->captcha_code) {
      snprintf(why, cap, "set_password: a captcha is pending; give its code");
      return USM_ERR_INVALID_ARG;
    }
    if (!g->captcha_pending && g->captcha_code) {
      snprintf(why, cap, "set_password: called with a captcha code when no captcha is pending");
      return USM_ERR_INVALID_ARG;
    }
  }
  if (op == USM__OP_REFRESH_CAPTCHA && !g->captcha_pending) {
    snprintf(why, cap, "refresh_captcha: no captcha is pending");
    return USM_ERR_WRONG_STATE;
  }
  return USM_OK;
}
