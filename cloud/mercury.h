/* Mercury, the live event channel: one websocket per device at the path of
 * its webSocketUrl ("/mercury/<device-uuid>"), authorized by its first
 * message, then buffer_state, pongs, and a Locus event on every change of a
 * locus to every connected device of its participants. */
#ifndef USM_CLOUD_MERCURY_H
#define USM_CLOUD_MERCURY_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "vec.h"

#define CLOUD_MERC_PATH "/mercury/"
#define CLOUD_MERC_MAX_FRAME (64u * 1024)     /* inbound; beyond: close 1009 */
#define CLOUD_MERC_MAX_QUEUE 256              /* frames waiting per connection */
#define CLOUD_MERC_MAX_QUEUE_BYTES (8u << 20) /* bytes waiting per connection */
#define CLOUD_MERC_MAX_PER_USER 16            /* authorized connections per user */
#define CLOUD_MERC_MAX_CONNS 1024             /* connections in all */
#define CLOUD_MERC_AUTH_SECS 10               /* to send the authorization */
#define CLOUD_MERC_MAX_OVERSIZED (4u << 20)   /* the "oversized" fault */
#define CLOUD_MERC_MAX_DELAY_MS 60000

struct lws;
struct cloud_app;
struct cloud_locus;
typedef struct cloud_merc_conn cloud_merc_conn;

typedef struct cloud_mercury {
  struct cloud_app *app;
  cloud_vec conns; /* cloud_merc_conn*, open websockets */
} cloud_mercury;

void cloud_mercury_init(cloud_mercury *m, struct cloud_app *app);
/* Frees what is left (lws closes every websocket before this). */
void cloud_mercury_free(cloud_mercury *m);

/* Whether @p path (no query) is a Mercury path; the upgrade is refused
 * elsewhere. */
int cloud_mercury_path_ok(const char *path);
/*
 * The websocket callbacks of one connection (server.c forwards the ws
 * reasons of the public vhost); *@p slot is the connection's state in the
 * lws session data. Returns what the lws callback must return.
 */
int cloud_mercury_callback(cloud_mercury *m, struct lws *wsi, int reason, cloud_merc_conn **slot,
                           void *in, size_t len);

/* The store's locus_changed hook (@p app is the cloud_app). */
void cloud_mercury_locus_changed(void *app, struct cloud_locus *l);

struct cloud_user;
/* Sends the event @p data (a copy, in an envelope) to every authorized
 * connection of @p user, as a Locus event (the faults apply); e.g. the
 * media server's locus.message.roap. Returns how many got it. */
size_t cloud_mercury_send_user(cloud_mercury *m, const struct cloud_user *user, const cJSON *data);

/* Faults for matching connections (see POST /admin/mercury). -1: leave. */
typedef struct cloud_merc_fault {
  int drop;
  int close_code; /* 0: none */
  char close_reason[124];
  int stop_pong;
  int skip;
  int repeat;
  int malformed;
  size_t oversized; /* 0: none */
  int delay_ms;
  int deltas;
} cloud_merc_fault;

/* Closes every connection with @p code (shutdown: 1001); returns how many. */
size_t cloud_mercury_close_all(cloud_mercury *m, int code, const char *reason);

/* Applies @p f to the connections of @p device, or of user @p email, or
 * all (both NULL). Returns how many matched. */
size_t cloud_mercury_apply(cloud_mercury *m, const char *device, const char *email,
                           const cloud_merc_fault *f);
/* {"connections":[{device,email,online,acked,sent,pings}]} */
cJSON *cloud_mercury_json(const cloud_mercury *m);

#endif
