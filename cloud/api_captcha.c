/* The captcha service: the image and audio of a pending captcha (public
 * URLs, like the real ones) and its refresh. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "captcha_media.h"
#include "password_gate.h"
#include "rest/json.h"

void cloud_captcha_add_urls(const cloud_app *app, const cloud_captcha *c, cJSON *o,
                            int with_refresh) {
  char url[300];
  cJSON_AddStringToObject(o, "captchaID", c->id);
  snprintf(url, sizeof url, "%s/captchaservice/v1/captchas/%s/image", app->base, c->id);
  cJSON_AddStringToObject(o, "verificationImageURL", url);
  snprintf(url, sizeof url, "%s/captchaservice/v1/captchas/%s/audio", app->base, c->id);
  cJSON_AddStringToObject(o, "verificationAudioURL", url);
  if (!with_refresh) return;
  snprintf(url, sizeof url, "%s/captchaservice/v1/captchas/refresh?captchaID=%s", app->base, c->id);
  cJSON_AddStringToObject(o, "refreshURL", url);
}

static void not_found(cloud_req *q, cloud_resp *r) {
  cloud_resp_error(r, q, 404, "The requested resource could not be found.",
                   "No such captcha (it may have been refreshed or solved).");
}

static const cloud_captcha *find(cloud_app *app, cloud_req *q, cloud_resp *r, const char *id) {
  const cloud_captcha *c = cloud_captcha_by_id(&app->store, id);
  if (!c) not_found(q, r);
  return c;
}

static void media(cloud_app *app, cloud_req *q, cloud_resp *r,
                  int (*render)(const char *, unsigned char **, size_t *), const char *type) {
  const cloud_captcha *c = find(app, q, r, q->params[0]);
  if (!c) return;
  unsigned char *data = NULL;
  size_t len = 0;
  if (render(c->code, &data, &len) != 0) {
    cloud_resp_error(r, q, 500, "Cannot render the captcha.", NULL);
    return;
  }
  cloud_resp_bytes(r, 200, type, data, len);
}

/* GET /captchaservice/v1/captchas/{id}/image */
static void image(cloud_app *app, cloud_req *q, cloud_resp *r) {
  media(app, q, r, cloud_captcha_png, "image/png");
}

/* GET /captchaservice/v1/captchas/{id}/audio */
static void audio(cloud_app *app, cloud_req *q, cloud_resp *r) {
  media(app, q, r, cloud_captcha_wav, "audio/wav");
}

/* The try record @p c is pending for, when that is @p u's; else NULL. */
static cloud_try *pending_try(cloud_app *app, const cloud_user *u, const cloud_captcha *c,
                              cloud_meeting **m) {
  *m = cloud_meeting_by_id(&app->store, c->meeting_id);
  if (!*m || strcmp(c->user_id, u->id) != 0) return NULL;
  cloud_try *t = cloud_gate_try(*m, u, 0);
  return t && strcmp(t->captcha_id, c->id) == 0 ? t : NULL;
}

/* POST /captchaservice/v1/captchas/refresh?captchaID=<id>&siteFullName=...
 * with {"captchaId": <id>}: a new captcha replaces the caller's own. */
static void refresh(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cJSON *body = cloud_req_json(q);
  const char *id = cloud_req_arg(q, "captchaID");
  if (!id) id = usm__json_str(body, "captchaId");
  const cloud_captcha *c = cloud_captcha_by_id(&app->store, id);
  cloud_meeting *m = NULL;
  cloud_try *t = c ? pending_try(app, q->user, c, &m) : NULL;
  cJSON_Delete(body);
  if (!t) { /* unknown, replaced, solved, or someone else's */
    not_found(q, r);
    return;
  }
  const cloud_captcha *n = cloud_captcha_issue(&app->store, m, t);
  if (!n) {
    cloud_resp_error(r, q, 500, "Out of memory.", NULL);
    return;
  }
  cJSON *root = cJSON_CreateObject();
  cloud_captcha_add_urls(app, n, root, 0);
  cloud_resp_json(r, 200, root);
}

const cloud_route cloud_captcha_routes[] = {
    {CLOUD_GET, "/captchaservice/v1/captchas/{id}/image", image, CLOUD_ROUTE_NO_AUTH},
    {CLOUD_GET, "/captchaservice/v1/captchas/{id}/audio", audio, CLOUD_ROUTE_NO_AUTH},
    {CLOUD_POST, "/captchaservice/v1/captchas/refresh", refresh, 0},
    {0, NULL, NULL, 0},
};
