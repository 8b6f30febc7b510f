/* The Mercury connection's states and the table of allowed transitions.
 * Pure data: the driver (connection.c) feeds events and acts on the result. */
#ifndef USM_MERCURY_CONNECTION_FSM_H
#define USM_MERCURY_CONNECTION_FSM_H

typedef enum usm__mstate {
  USM__MS_IDLE = 0,     /* never started, or stopped */
  USM__MS_CONNECTING,   /* TCP/TLS/websocket handshake in progress */
  USM__MS_AUTHORIZING,  /* authorization sent; waiting for buffer_state */
  USM__MS_ONLINE,       /* authorized; pinging */
  USM__MS_RECONNECTING, /* waiting out the backoff before the next connect */
  USM__MS_OFFLINE,      /* gave up, replaced or refused: no reconnect */
  USM__MS_COUNT
} usm__mstate;

typedef enum usm__mevent {
  USM__ME_START = 0,   /* the layer above wants a connection */
  USM__ME_OPENED,      /* websocket established, authorization queued */
  USM__ME_AUTHORIZED,  /* buffer_state / registration_status arrived */
  USM__ME_LOST,        /* transient failure: connect error, drop, pong timeout... */
  USM__ME_FATAL,       /* a close that must not be retried (4000, 4400, 4403...) */
  USM__ME_GIVE_UP,     /* a failure with the retry budget spent */
  USM__ME_RETRY,       /* the backoff timer fired */
  USM__ME_STOP,        /* the layer above is done */
  USM__ME_COUNT
} usm__mevent;

/* The next state, or -1 when the event is not allowed in @p s. */
int usm__mfsm_next(usm__mstate s, usm__mevent e);

const char *usm__mstate_name(usm__mstate s);
const char *usm__mevent_name(usm__mevent e);

#endif
