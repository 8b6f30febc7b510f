/* What a websocket close means for the Mercury connection (PROTOCOL.md §6.3). */
#ifndef USM_MERCURY_CONNECTION_CLOSE_H
#define USM_MERCURY_CONNECTION_CLOSE_H

typedef enum usm__mclose_action {
  USM__MCLOSE_RECONNECT = 0,  /* transient: back off and connect again */
  USM__MCLOSE_REFRESH_TOKEN,  /* 4401: ask the app for a token, then reconnect */
  USM__MCLOSE_REPLACED,       /* 4000: a newer connection took over; stay offline */
  USM__MCLOSE_BAD_REQUEST,    /* 4400: stay offline */
  USM__MCLOSE_FORBIDDEN,      /* 4403: stay offline */
  USM__MCLOSE_PERMANENT       /* a deliberate close (or an unexpected code once online) */
} usm__mclose_action;

/* @p code is the close code from the peer (1005: none given, 1006: no close
 * frame); @p reason its text ("" if none); @p online whether the connection had
 * been authorized (the SDK's "after open"). */
usm__mclose_action usm__mclose_classify(int code, const char *reason, int online);

#endif
