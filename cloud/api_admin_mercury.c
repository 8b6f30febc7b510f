/* The Mercury faults of the admin API: POST /admin/mercury changes the
 * open connections of a device, of a user, or all; GET lists them. */
#include <stdio.h>
#include <string.h>

#include "app.h"

/* An integer member in [lo, hi]: 1 present, 0 absent, -1 wrong. */
static int int_member(const cJSON *o, const char *key, double lo, double hi, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) return 0;
  if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
      v->valuedouble != (double)(long long)v->valuedouble)
    return -1;
  *out = v->valuedouble;
  return 1;
}

/* A boolean member: 1/0 when present, -1 absent, -2 wrong. */
static int bool_member(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) return -1;
  return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -2;
}

/* Close codes a server may send (RFC 6455 7.4: not 1004-1006, 1015). */
static int close_code_ok(double c) {
  return c >= 1000 && c <= 4999 && !(c >= 1004 && c <= 1006) && c != 1015 &&
         !(c > 1015 && c < 3000);
}

static int parse_close(const cJSON *body, cloud_merc_fault *f) {
  const cJSON *cl = cJSON_GetObjectItemCaseSensitive(body, "close");
  if (!cl) return 0;
  double code = 0;
  const cJSON *reason = cJSON_GetObjectItemCaseSensitive(cl, "reason");
  if (!cJSON_IsObject(cl) || int_member(cl, "code", 1000, 4999, &code) != 1 ||
      !close_code_ok(code) || (reason && !cJSON_IsString(reason)) ||
      (reason && strlen(reason->valuestring) >= sizeof f->close_reason))
    return -1;
  f->close_code = (int)code;
  snprintf(f->close_reason, sizeof f->close_reason, "%s", reason ? reason->valuestring : "");
  return 0;
}

static int parse(const cJSON *body, cloud_merc_fault *f) {
  double skip = 0, repeat = 0, size = 0, delay = -1;
  *f = (cloud_merc_fault){.drop = bool_member(body, "drop"),
                          .stop_pong = bool_member(body, "stopPong"),
                          .malformed = bool_member(body, "malformed"),
                          .deltas = bool_member(body, "deltas")};
  if (f->drop == -2 || f->stop_pong == -2 || f->malformed == -2 || f->deltas == -2 ||
      int_member(body, "skipSequence", 0, 1000, &skip) < 0 ||
      int_member(body, "repeatSequence", 0, 1000, &repeat) < 0 ||
      int_member(body, "oversized", 2, CLOUD_MERC_MAX_OVERSIZED, &size) < 0 ||
      int_member(body, "delayMs", 0, CLOUD_MERC_MAX_DELAY_MS, &delay) < 0 || parse_close(body, f))
    return -1;
  f->drop = f->drop == 1;
  f->malformed = f->malformed == 1;
  f->skip = (int)skip;
  f->repeat = (int)repeat;
  f->oversized = (size_t)size;
  f->delay_ms = (int)delay;
  return 0;
}

/* A string member or NULL; -1 when present but not a string. */
static int target(const cJSON *body, const char *key, const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
  *out = cJSON_IsString(v) ? v->valuestring : NULL;
  return v && !cJSON_IsString(v) ? -1 : 0;
}

/* POST /admin/mercury -> {"matched": n} */
static void set_faults(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cJSON *body = cloud_req_json(q);
  const char *device = NULL, *email = NULL;
  cloud_merc_fault f;
  if (!body || target(body, "device", &device) || target(body, "email", &email) ||
      parse(body, &f)) {
    cloud_resp_error(r, q, 400, "The input parameters contain invalid items.",
                     "See docs/local-cloud.md, Mercury faults.");
  } else {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "matched",
                            (double)cloud_mercury_apply(&app->mercury, device, email, &f));
    cloud_resp_json(r, 200, root);
  }
  cJSON_Delete(body);
}

/* GET /admin/mercury */
static void list(cloud_app *app, cloud_req *q, cloud_resp *r) {
  (void)q;
  cloud_resp_json(r, 200, cloud_mercury_json(&app->mercury));
}

const cloud_route cloud_admin_mercury_routes[] = {
    {CLOUD_POST, "/admin/mercury", set_faults, 0},
    {CLOUD_GET, "/admin/mercury", list, 0},
    {0, NULL, NULL, 0},
};
