#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "rest/json.h"
#include "timefmt.h"

void cloud_req_free(cloud_req *q) {
  free(q->path);
  for (size_t i = 0; i < q->nargs; i++) {
    free(q->args[i].name);
    free(q->args[i].value);
  }
  free(q->authorization);
  free(q->password);
  free(q->content_type);
  free(q->client_tracking_id);
  memset(q, 0, sizeof *q);
}

void cloud_req_set_tracking_id(cloud_req *q) {
  const char *t = q->client_tracking_id;
  size_t n = t ? strlen(t) : 0;
  int ok = n > 0 && n < sizeof q->tracking_id;
  for (size_t i = 0; ok && i < n; i++) ok = t[i] > 0x20 && t[i] < 0x7f;
  if (ok) {
    memcpy(q->tracking_id, t, n + 1);
    return;
  }
  /* The real cloud's style: 32 upper-case hex digits, "_", milliseconds. */
  char hex[33];
  cloud_hex_id(hex, 16);
  for (char *c = hex; *c; c++)
    if (*c >= 'a') *c = (char)(*c - 'a' + 'A');
  snprintf(q->tracking_id, sizeof q->tracking_id, "%s_%lld", hex, (long long)cloud_now_ms());
}

void cloud_resp_init(cloud_resp *r) {
  memset(r, 0, sizeof *r);
  r->retry_after = -1;
}

void cloud_resp_free(cloud_resp *r) {
  free(r->body);
  free(r->link);
  cloud_resp_init(r);
}

const char *cloud_req_arg(const cloud_req *q, const char *name) {
  for (size_t i = 0; i < q->nargs; i++)
    if (strcmp(q->args[i].name, name) == 0) return q->args[i].value;
  return NULL;
}

cJSON *cloud_req_json(const cloud_req *q) {
  cJSON *root = usm__json_parse(q->body, q->body_len);
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

void cloud_resp_bytes(cloud_resp *r, int status, const char *content_type, unsigned char *body,
                      size_t len) {
  free(r->body);
  r->status = status;
  r->content_type = content_type;
  r->body = body;
  r->len = body ? len : 0;
}

void cloud_resp_empty(cloud_resp *r, int status) { cloud_resp_bytes(r, status, NULL, NULL, 0); }

void cloud_resp_json(cloud_resp *r, int status, cJSON *root) {
  char *text = root ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  if (!text) {
    static const char oom[] = "{\"message\":\"Out of memory.\"}";
    char *copy = malloc(sizeof oom);
    if (copy) memcpy(copy, oom, sizeof oom);
    cloud_resp_bytes(r, 500, "application/json", (unsigned char *)copy, copy ? sizeof oom - 1 : 0);
    return;
  }
  cloud_resp_bytes(r, status, "application/json;charset=UTF-8", (unsigned char *)text,
                   strlen(text));
}

static cJSON *error_body(const cloud_req *q, const char *message, const char *description) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "message", message);
  cJSON *errors = cJSON_AddArrayToObject(root, "errors");
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "description", description ? description : message);
  cJSON_AddItemToArray(errors, e);
  cJSON_AddStringToObject(root, "trackingId", q->tracking_id);
  return root;
}

void cloud_resp_error(cloud_resp *r, const cloud_req *q, int status, const char *message,
                      const char *description) {
  cloud_resp_json(r, status, error_body(q, message, description));
}

void cloud_resp_locus_error(cloud_resp *r, const cloud_req *q, int status, long error_code,
                            const char *message) {
  cJSON *root = error_body(q, message, message);
  cJSON_AddNumberToObject(root, "errorCode", (double)error_code);
  cloud_resp_json(r, status, root);
}

void cloud_json_add_str(cJSON *o, const char *key, const char *value) {
  if (value) cJSON_AddStringToObject(o, key, value);
}

size_t cloud_utf8_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) n++;
  return n;
}
