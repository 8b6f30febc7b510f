/* A scripted Mercury (WSS) server for the connection tests: libwebsockets
 * server API, its own context on its own thread, a self-signed certificate. */
#ifndef USM_TEST_WS_SERVER_H
#define USM_TEST_WS_SERVER_H

#include <stddef.h>

typedef struct ws_server ws_server;

/* What the server does and saw. Read/write only through the functions below. */
typedef struct ws_stats {
  int connections;      /* websockets established */
  int auths;            /* authorization frames received */
  int pings;            /* pings received */
  int acks;             /* acks received */
  int acks_matched;     /* acks whose messageId the server had sent */
  int ids_sent;         /* messages sent with an id */
  int events_sent;
  int client_close_code; /* last close frame from the client */
  char client_close_reason[64];
  char last_token[128]; /* from the last authorization ("Bearer " removed) */
} ws_stats;

/* Starts with a fresh certificate in a temporary directory; NULL on failure. */
ws_server *ws_server_start(void);
void ws_server_stop(ws_server *s);
int ws_server_port(const ws_server *s);
const char *ws_server_cert(const ws_server *s); /* the PEM to trust */
void ws_server_stats(ws_server *s, ws_stats *out);

/* Settings (apply to later frames). */
void ws_server_set_token(ws_server *s, const char *token); /* NULL: any token */
void ws_server_set_buffer_state(ws_server *s, int send);   /* answer authorization (default 1) */
void ws_server_set_pongs(ws_server *s, int answer);        /* default 1 */
void ws_server_close_on_auth(ws_server *s, int code, const char *reason); /* one-shot */

/* One-shot actions on the current connection. */
void ws_server_send_buffer_state(ws_server *s);
void ws_server_send_events(ws_server *s, int n);
void ws_server_skip_sequence(ws_server *s);   /* the next event jumps by one */
void ws_server_close(ws_server *s, int code, const char *reason);
void ws_server_drop(ws_server *s);            /* TCP gone, no close frame */
void ws_server_malformed(ws_server *s);
void ws_server_oversized(ws_server *s, size_t n);

#endif
