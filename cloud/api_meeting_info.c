/* POST {webex-appapi-service}/meetingInfo: resolves a destination to a
 * meeting, applies the password and captcha rules, and hands out the
 * locus URL and a permission token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "locus_dto.h"
#include "password_gate.h"
#include "permission.h"
#include "rest/json.h"

#define MAX_KEY 2048

/* The wbxappapi error body: {code, message[, data]}. */
static void appapi_error(cloud_resp *r, int status, long code, const char *message, cJSON *data) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddNumberToObject(root, "code", (double)code);
  cJSON_AddStringToObject(root, "message", message);
  if (data) cJSON_AddItemToObject(root, "data", data);
  cloud_resp_json(r, status, root);
}

/* A string member of at most MAX_KEY bytes, or NULL. */
static const char *key(const cJSON *body, const char *name) {
  const char *s = usm__json_str(body, name);
  return s && s[0] && strlen(s) <= MAX_KEY ? s : NULL;
}

/* The meeting the request names, or NULL; *named is 0 when it names none. */
static cloud_meeting *resolve(cloud_store *s, const cJSON *body, int *named) {
  const char *sip = key(body, "sipUrl"), *link = key(body, "meetingUrl"),
             *user = key(body, "userId");
  const cJSON *mk = cJSON_GetObjectItemCaseSensitive(body, "meetingKey");
  char number[32] = "";
  if (cJSON_IsString(mk) && strlen(mk->valuestring) < sizeof number)
    snprintf(number, sizeof number, "%s", mk->valuestring);
  else if (cJSON_IsNumber(mk) && mk->valuedouble >= 0 && mk->valuedouble < 1e15)
    snprintf(number, sizeof number, "%.0f", mk->valuedouble);
  *named = number[0] || sip || link || user;
  if (number[0]) {
    /* Meeting numbers are often written with spaces: "123 456 7890". */
    char digits[32];
    size_t n = 0;
    for (const char *c = number; *c && n + 1 < sizeof digits; c++)
      if (*c != ' ') digits[n++] = *c;
    digits[n] = '\0';
    return cloud_meeting_by_number(s, digits);
  }
  if (link) return cloud_meeting_by_link(s, link);
  if (sip) return cloud_meeting_by_sip(s, sip);
  cloud_user *u = cloud_user_by_id(s, user);
  return u ? u->pmr : NULL;
}

static cJSON *partial_info(const cloud_meeting *m) {
  char buf[512];
  cJSON *data = cJSON_CreateObject();
  cJSON *info = cJSON_AddObjectToObject(data, "meetingInfo");
  cJSON_AddStringToObject(info, "meetingNumber", m->number);
  cloud_meeting_sip(m, buf, sizeof buf);
  cJSON_AddStringToObject(info, "sipUrl", buf);
  cloud_meeting_link(m, buf, sizeof buf);
  cJSON_AddStringToObject(info, "meetingJoinUrl", buf);
  return data;
}

static void captcha_reply(const cloud_app *app, cloud_resp *r, const cloud_captcha *c) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddNumberToObject(root, "code", 423005);
  cJSON_AddStringToObject(root, "message", "Too many wrong passwords. Captcha required.");
  cloud_captcha_add_urls(app, c, root, 1);
  cloud_resp_json(r, 423, root);
}

static void info_reply(cloud_app *app, cloud_req *q, cloud_resp *r, cloud_meeting *m) {
  cloud_locus *l = cloud_locus_for(&app->store, m);
  char *token = l ? cloud_permission_issue(&app->store, q->user, m) : NULL;
  if (!token) {
    appapi_error(r, 500, 500000, "Out of memory.", NULL);
    return;
  }
  char buf[512];
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "meetingNumber", m->number);
  cloud_meeting_sip(m, buf, sizeof buf);
  cJSON_AddStringToObject(o, "sipUrl", buf);
  cloud_meeting_link(m, buf, sizeof buf);
  cJSON_AddStringToObject(o, "meetingJoinUrl", buf);
  cloud_locus_url(app, l, buf, sizeof buf);
  cJSON_AddStringToObject(o, "locusUrl", buf);
  cJSON_AddStringToObject(o, "hostId", m->host->id);
  cJSON_AddStringToObject(o, "owner", m->host->id);
  cJSON_AddStringToObject(o, "permissionToken", token);
  cJSON_AddStringToObject(o, "confID", l->conf_id);
  cJSON_AddStringToObject(o, "meetingId", m->id);
  cJSON_AddStringToObject(o, "title", m->title ? m->title : "");
  if (m->space) {
    snprintf(buf, sizeof buf, "%s/conversation/api/v1/conversations/%s", app->base, m->space->id);
    cJSON_AddStringToObject(o, "conversationUrl", buf);
  }
  free(token);
  cloud_resp_json(r, 200, o);
}

/* POST /wbxappapi/v1/meetingInfo */
static void meeting_info(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cJSON *body = cloud_req_json(q);
  int named = 0;
  cloud_meeting *m = body ? resolve(&app->store, body, &named) : NULL;
  if (!named) {
    appapi_error(r, 400, 400000, "Not enough information to fetch meeting info.", NULL);
  } else if (!m) {
    appapi_error(r, 404, 404001, "Meeting not found.", NULL);
  } else {
    cloud_gate_input in = {key(body, "password"), key(body, "captchaID"),
                           key(body, "captchaVerifyCode")};
    const cloud_captcha *c = NULL;
    switch (cloud_gate_check(&app->store, m, q->user, &in, &c)) {
    case CLOUD_GATE_OPEN: info_reply(app, q, r, m); break;
    case CLOUD_GATE_PASSWORD_REQUIRED:
      appapi_error(r, 403, 403000, "Password required.", partial_info(m));
      break;
    case CLOUD_GATE_WRONG_PASSWORD:
      appapi_error(r, 403, 403004, "Wrong password.", partial_info(m));
      break;
    case CLOUD_GATE_CAPTCHA: captcha_reply(app, r, c); break;
    case CLOUD_GATE_NO_MEMORY: appapi_error(r, 500, 500000, "Out of memory.", NULL); break;
    }
  }
  cJSON_Delete(body);
}

const cloud_route cloud_meeting_info_routes[] = {
    {CLOUD_POST, "/wbxappapi/v1/meetingInfo", meeting_info, 0},
    {0, NULL, NULL, 0},
};
