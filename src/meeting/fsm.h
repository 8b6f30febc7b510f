/* The meeting state machine as data: which calls each state allows, and
 * where each outcome leads. Pure; docs/meetings.md has the same tables. */
#ifndef USM_MEETING_FSM_H
#define USM_MEETING_FSM_H

#include <stddef.h>
#include <usm/meeting.h>

/* Calls of the application that the state guards. */
typedef enum usm__op {
  USM__OP_SET_PASSWORD,
  USM__OP_REFRESH_CAPTCHA,
  USM__OP_JOIN,
  USM__OP_LEAVE,
  USM__OP_END,
  USM__OP_ADMIT,
  USM__OP_ASSIGN_HOST,
  USM__OP_INVITE,
  USM__OP_LOCK,
  USM__OP_MUTE,
  USM__OP_COUNT
} usm__op;

/* Outcomes that move the state. */
typedef enum usm__input {
  USM__IN_INFO_OK,        /* meeting info answered 200 */
  USM__IN_INFO_LOCKED,    /* 403 password / 423 captcha */
  USM__IN_INFO_FAILED,    /* any other definite failure (404, policy, 401, bad answer) */
  USM__IN_INFO_TRANSIENT, /* network, timeout, 5xx, 429: worth trying again */
  USM__IN_JOIN_START,     /* usm_meeting_join accepted */
  USM__IN_SELF_JOINED,    /* a DTO shows self JOINED */
  USM__IN_SELF_LOBBY,     /* a DTO shows self IDLE with our device's intent WAIT */
  USM__IN_SELF_LEFT,      /* self LEFT (left, removed), or our leave succeeded */
  USM__IN_JOIN_FAILED,    /* the join request failed */
  USM__IN_ENDED,          /* fullState INACTIVE, or our end succeeded */
  USM__IN_COUNT
} usm__input;

/* The state after @p in in @p s, or -1 when @p in means nothing there (ignored). */
int usm__fsm_next(usm_meeting_state s, usm__input in);

/* What a guard knows about the meeting. */
typedef struct usm__guard {
  usm_meeting_state state;
  usm_password_status password;
  int captcha_pending;
  int busy;         /* a flow operation (create, password, captcha, join, leave, end) runs */
  int captcha_code; /* SET_PASSWORD: a captcha code was given */
} usm__guard;

/*
 * May @p op be called now? USM_OK, or the refusal with its reason in @p why:
 * USM_ERR_WRONG_STATE; for JOIN also USM_ERR_CAPTCHA_REQUIRED /
 * USM_ERR_PASSWORD_REQUIRED (as the official SDK rejects such a join);
 * for SET_PASSWORD USM_ERR_INVALID_ARG when the captcha code does not match
 * whether a captcha is pending.
 */
usm_err usm__fsm_guard(const usm__guard *g, usm__op op, char *why, size_t cap);

const char *usm__op_name(usm__op op);

#endif
