/* A scripted HTTP/1.1 peer for fault tests: answers each request with the
 * next scripted response, on its own thread, on 127.0.0.1.
 * Steps without a route are used in order, one per request. A step with a
 * route answers only requests it matches (the first unused matching step
 * wins), so concurrent or timer-driven requests get the right answer. In
 * bodies and headers "{BASE}" becomes "http://127.0.0.1:<port>". */
#ifndef USM_TEST_SCRIPTED_SERVER_H
#define USM_TEST_SCRIPTED_SERVER_H

#include <stddef.h>

typedef enum {
  SCRIPT_NORMAL,     /* send the response and close */
  SCRIPT_CLOSE_MID,  /* send half of the response, then close */
  SCRIPT_HANG,       /* read the request, never answer (until stopped) */
  SCRIPT_CHUNKED_BIG /* 200 with a chunked body of `big_bytes` bytes */
} script_action;

typedef struct script_step {
  script_action action;
  int status;
  const char *headers; /* extra header lines, each ending in \r\n, or NULL */
  const char *body;    /* or NULL */
  size_t big_bytes;
} script_step;

/* A step that answers only matching requests. */
typedef struct script_route {
  /* "METHOD /path": that method and path (the query is ignored); a trailing
   * '*' makes the path a prefix. NULL: any request. */
  const char *route;
  int sticky; /* answers every matching request instead of being used up */
  script_step step;
} script_route;

typedef struct script_request {
  char method[16];
  char path[1024];
  char headers[4096]; /* raw header block */
  char body[8192];
} script_request;

typedef struct scripted_server scripted_server;

/* Start serving @p steps (copied by reference: keep them alive). */
scripted_server *scripted_server_start(const script_step *steps, size_t n);
/* The same with routes: each request gets the first unused matching step. */
scripted_server *scripted_server_start_routes(const script_route *routes, size_t n);
int scripted_server_port(const scripted_server *s);
/* Number of requests received so far, and the i-th one. */
size_t scripted_server_count(scripted_server *s);
const script_request *scripted_server_request(scripted_server *s, size_t i);
void scripted_server_stop(scripted_server *s);

#endif
