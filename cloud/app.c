#include "app.h"

#include "media_server.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Every locus change goes out on Mercury, and ends the media of whoever left. */
static void locus_changed(void *user, struct cloud_locus *l) {
  cloud_app *app = user;
  cloud_mercury_locus_changed(app, l);
  cloud_media_locus_changed(app->media, l);
}

void cloud_app_init(cloud_app *app) {
  memset(app, 0, sizeof *app);
  cloud_store_init(&app->store);
  cloud_faults_init(&app->faults);
  cloud_mercury_init(&app->mercury, app);
  app->store.locus_changed = locus_changed;
  app->store.locus_changed_user = app;
}

void cloud_app_free(cloud_app *app) {
  cloud_store_free(&app->store);
  cloud_faults_free(&app->faults);
  cloud_mercury_free(&app->mercury);
}

void cloud_app_set_port(cloud_app *app, int port) {
  snprintf(app->host, sizeof app->host, "127.0.0.1:%d", port);
  snprintf(app->base, sizeof app->base, "https://%s", app->host);
}

static const char *method_name(cloud_method m) {
  static const char *const names[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "OTHER"};
  return names[m];
}

cloud_user *cloud_app_bearer_user(const cloud_app *app, const char *a) {
  if (!a || strncasecmp(a, "Bearer ", 7) != 0) return NULL;
  a += 7;
  while (*a == ' ') a++;
  return cloud_token_user(&app->store, a, strlen(a));
}

static void authenticate(cloud_app *app, cloud_req *q) {
  q->user = cloud_app_bearer_user(app, q->authorization);
}

static void serve(cloud_app *app, const cloud_route *const *tables, size_t n, int needs_auth,
                  cloud_req *q, cloud_resp *r) {
  int status = 404;
  const cloud_route *route = cloud_route_find(tables, n, q, &status);
  if (!route) {
    cloud_resp_error(r, q, status,
                     status == 404 ? "The requested resource could not be found."
                                   : "The requested method is not supported for this resource.",
                     NULL);
    return;
  }
  if (needs_auth && !(route->flags & CLOUD_ROUTE_NO_AUTH)) {
    authenticate(app, q);
    if (!q->user) {
      cloud_resp_error(r, q, 401,
                       "The request requires a valid access token set in the Authorization "
                       "request header.",
                       NULL);
      return;
    }
  }
  route->handler(app, q, r);
  if (r->status == 0) cloud_resp_error(r, q, 500, "Internal error.", NULL);
}

unsigned cloud_app_handle(cloud_app *app, cloud_listener listener, cloud_req *q, cloud_resp *r) {
  static const cloud_route *const public_tables[] = {
      cloud_discovery_routes,    cloud_people_routes,  cloud_meetings_routes, cloud_invitees_routes,
      cloud_meeting_info_routes, cloud_captcha_routes, cloud_locus_routes, cloud_media_routes};
  static const cloud_route *const admin_tables[] = {cloud_admin_routes, cloud_admin_mercury_routes,
                                                    cloud_admin_media_routes, cloud_admin_bots_routes};
  cloud_req_set_tracking_id(q);
  unsigned delay = 0;
  if (listener == CLOUD_LISTENER_ADMIN) {
    serve(app, admin_tables, sizeof admin_tables / sizeof admin_tables[0], 0, q, r);
  } else {
    delay = app->faults.latency_ms;
    int fail = cloud_faults_take(&app->faults, q->path);
    if (fail) {
      cloud_resp_error(r, q, fail, "Injected fault.", "usm-cloud failed this request on purpose.");
      r->retry_after = app->faults.retry_after;
    } else {
      serve(app, public_tables, sizeof public_tables / sizeof public_tables[0], 1, q, r);
    }
  }
  /* One line per request; never the query (it may carry ids) nor tokens,
   * and no control bytes from the path. */
  char path[120];
  size_t n = 0;
  for (const char *p = q->path ? q->path : ""; *p && n + 1 < sizeof path; p++)
    path[n++] = (*p > 0x20 && *p < 0x7f) ? *p : '?';
  path[n] = '\0';
  fprintf(stderr, "usm-cloud: %s%s %s -> %d\n", listener == CLOUD_LISTENER_ADMIN ? "admin " : "",
          method_name(q->method), path, r->status);
  /* A handler's own hold (the media server's holdOfferAnswer) adds up. */
  return delay + (r->hold_ms > CLOUD_MAX_LATENCY_MS ? CLOUD_MAX_LATENCY_MS : r->hold_ms);
}
