/* The local cloud as one object: its store, faults and public address,
 * and the dispatch of a request to the API modules. */
#ifndef USM_CLOUD_APP_H
#define USM_CLOUD_APP_H

#include "faults.h"
#include "mercury.h"
#include "router.h"
#include "store.h"

typedef enum cloud_listener { CLOUD_LISTENER_PUBLIC, CLOUD_LISTENER_ADMIN } cloud_listener;

struct cloud_app {
  cloud_store store;
  cloud_faults faults;
  /* The open Mercury websockets. */
  cloud_mercury mercury;
  /* The media server (ROAP, ICE, DTLS-SRTP, SFU); NULL when not started. */
  struct cloud_media *media;
  char host[64]; /* "127.0.0.1:PORT" of the public listener */
  char base[80]; /* "https://127.0.0.1:PORT" */
};

void cloud_app_init(cloud_app *app);
void cloud_app_free(cloud_app *app);
/* Called once the public port is known. */
void cloud_app_set_port(cloud_app *app, int port);

/* The user of an Authorization value "Bearer <token>", or NULL. */
cloud_user *cloud_app_bearer_user(const cloud_app *app, const char *authorization);

/* Serves @p q into @p r. Returns how long (ms) to hold the response
 * back (the injected latency). */
unsigned cloud_app_handle(cloud_app *app, cloud_listener listener, cloud_req *q, cloud_resp *r);

struct cloud_captcha;
/* Adds captchaID and the image/audio (and refresh) URLs of @p c to @p o. */
void cloud_captcha_add_urls(const cloud_app *app, const struct cloud_captcha *c, cJSON *o,
                            int with_refresh);

/* Route tables of the API modules (api_*.c). */
extern const cloud_route cloud_discovery_routes[];
extern const cloud_route cloud_people_routes[];
extern const cloud_route cloud_meetings_routes[];
extern const cloud_route cloud_invitees_routes[];
extern const cloud_route cloud_meeting_info_routes[];
extern const cloud_route cloud_captcha_routes[];
extern const cloud_route cloud_locus_routes[];
extern const cloud_route cloud_admin_routes[];
extern const cloud_route cloud_admin_mercury_routes[];
extern const cloud_route cloud_media_routes[];
extern const cloud_route cloud_admin_media_routes[];
extern const cloud_route cloud_admin_bots_routes[];

#endif
