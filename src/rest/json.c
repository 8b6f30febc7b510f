#include "rest/json.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

#define MAX_ERROR_MESSAGE 2048
#define MAX_ERROR_DESCRIPTIONS 8

cJSON *usm__json_parse(const char *text, size_t len) {
  if (!text || len == 0) return NULL;
  return cJSON_ParseWithLengthOpts(text, len, NULL, 0);
}

const char *usm__json_str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

int usm__json_bool(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (cJSON_IsTrue(v)) return 1;
  if (cJSON_IsFalse(v)) return 0;
  return -1;
}

void usm__rest_error_parse(const char *body, size_t len, usm__rest_error_info *out) {
  memset(out, 0, sizeof *out);
  cJSON *root = usm__json_parse(body, len);
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return;
  }
  usm_strbuf b;
  usm__strbuf_init(&b, MAX_ERROR_MESSAGE);
  const char *msg = usm__json_str(root, "message");
  if (msg) usm__strbuf_append(&b, msg, strlen(msg));
  const cJSON *errs = cJSON_GetObjectItemCaseSensitive(root, "errors");
  int n = 0, added = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, errs) {
    if (n++ >= MAX_ERROR_DESCRIPTIONS) break;
    const char *d = usm__json_str(e, "description");
    if (!d || (msg && strcmp(d, msg) == 0)) continue;
    /* "message: first description; second description" */
    int punct = b.len && strchr(".:;!?", b.data[b.len - 1]);
    const char *sep = b.len == 0 ? "" : !added && msg ? (punct ? " " : ": ") : "; ";
    added = 1;
    usm__strbuf_append(&b, sep, strlen(sep));
    usm__strbuf_append(&b, d, strlen(d));
  }
  if (b.len) out->message = usm__strdup(b.data);
  usm__strbuf_free(&b);
  const char *tid = usm__json_str(root, "trackingId");
  if (tid && strlen(tid) < 256) out->tracking_id = usm__strdup(tid);
  cJSON_Delete(root);
}

void usm__rest_error_info_free(usm__rest_error_info *info) {
  free(info->message);
  free(info->tracking_id);
  info->message = info->tracking_id = NULL;
}
