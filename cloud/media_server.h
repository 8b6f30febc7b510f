/* usm-cloud's media server, as Webex's Linus behaves towards a client: one
 * UDP socket per participant media connection on 127.0.0.1 (a bounded port
 * range), ice-lite, DTLS-SRTP (we are the DTLS server unless the offer says
 * passive), an SFU that forwards every participant's audio and video to the
 * others of the same locus, RTCP termination, and per-participant network
 * impairments for tests. See docs/local-cloud.md, "Media". Loop thread only. */
#ifndef USM_CLOUD_MEDIA_SERVER_H
#define USM_CLOUD_MEDIA_SERVER_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <uv.h>

struct cloud_app;
struct cloud_locus;
typedef struct cloud_media cloud_media;

#define CLOUD_MEDIA_DEFAULT_PORT_LO 40000
#define CLOUD_MEDIA_DEFAULT_PORT_HI 40999

typedef struct cloud_media_options {
  int port_lo, port_hi;    /* inclusive UDP port range on 127.0.0.1 */
  const char *turn_url;    /* NULL: TURN discovery answers without TURN */
  const char *turn_user;
  const char *turn_password;
} cloud_media_options;

/* A media server on @p loop for @p app (strings of @p o are copied). NULL
 * with the reason in @p err (no memory, no DTLS context). */
cloud_media *cloud_media_create(uv_loop_t *loop, struct cloud_app *app, const cloud_media_options *o,
                                char *err, size_t errlen);
/* Closes every socket and timer; the loop must then run before
 * cloud_media_free. Idempotent. */
void cloud_media_stop(cloud_media *m);
/* Frees what is left (after stop and a loop run). NULL is a no-op. */
void cloud_media_free(cloud_media *m);

/* After a locus change: participants who left (or whose locus ended or is
 * gone) lose their media connection. */
void cloud_media_locus_changed(cloud_media *m, const struct cloud_locus *l);

#endif
