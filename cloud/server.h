/* The HTTP(S) listeners of usm-cloud: libwebsockets on a libuv loop the
 * caller owns. A TLS vhost serves the public API on 127.0.0.1; a plain
 * HTTP vhost serves the admin API on 127.0.0.1. */
#ifndef USM_CLOUD_SERVER_H
#define USM_CLOUD_SERVER_H

#include <uv.h>

#include "app.h"

typedef struct cloud_server cloud_server;

typedef struct cloud_server_options {
  int port;       /* public listener; 0 = ephemeral */
  int admin_port; /* admin listener; 0 = ephemeral */
  const char *cert_file;
  const char *key_file;
} cloud_server_options;

/* Listens and serves @p app on @p loop. NULL when it cannot start at all;
 * when it cannot listen, the ports read as -1 (a message went to stderr)
 * and the server is freed like a running one (after the loop ran). */
cloud_server *cloud_server_start(uv_loop_t *loop, cloud_app *app, const cloud_server_options *o);
int cloud_server_port(const cloud_server *s);
int cloud_server_admin_port(const cloud_server *s);
/* Starts closing every connection and listener; the loop must then run
 * until it has no more handles, before cloud_server_free(). */
void cloud_server_stop(cloud_server *s);
void cloud_server_free(cloud_server *s);

#endif
