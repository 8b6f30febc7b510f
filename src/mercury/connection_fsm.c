/* The Mercury connection's transition table. Anything not listed is a bug in
 * the driver, which refuses it instead of guessing. */
#include "mercury/connection_fsm.h"

#define X (-1)
#define I USM__MS_IDLE
#define C USM__MS_CONNECTING
#define A USM__MS_AUTHORIZING
#define O USM__MS_ONLINE
#define R USM__MS_RECONNECTING
#define F USM__MS_OFFLINE

static const signed char table[USM__MS_COUNT][USM__ME_COUNT] = {
    /*               START OPENED AUTHZD LOST FATAL GIVEUP RETRY STOP */
    /* IDLE      */ {C,    X,     X,     X,   X,    X,     X,    I},
    /* CONNECTING*/ {X,    A,     X,     R,   F,    F,     X,    I},
    /* AUTHORIZ. */ {X,    X,     O,     R,   F,    F,     X,    I},
    /* ONLINE    */ {X,    X,     X,     R,   F,    F,     X,    I},
    /* RECONNECT.*/ {X,    X,     X,     X,   F,    F,     C,    I},
    /* OFFLINE   */ {C,    X,     X,     X,   X,    X,     X,    I},
};

int usm__mfsm_next(usm__mstate s, usm__mevent e) {
  if ((unsigned)s >= USM__MS_COUNT || (unsigned)e >= USM__ME_COUNT) return -1;
  return table[s][e];
}

const char *usm__mstate_name(usm__mstate s) {
  static const char *const n[USM__MS_COUNT] = {"idle",   "connecting",   "authorizing",
                                               "online", "reconnecting", "offline"};
  return (unsigned)s < USM__MS_COUNT ? n[s] : "?";
}

const char *usm__mevent_name(usm__mevent e) {
  static const char *const n[USM__ME_COUNT] = {"start", "opened", "authorized", "lost",
                                               "fatal", "give-up", "retry",     "stop"};
  return (unsigned)e < USM__ME_COUNT ? n[e] : "?";
}
