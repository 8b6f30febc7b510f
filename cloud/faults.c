#include "faults.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

void cloud_faults_init(cloud_faults *f) {
  memset(f, 0, sizeof *f);
  f->retry_after = -1;
}

void cloud_faults_free(cloud_faults *f) {
  free(f->path_prefix);
  cloud_faults_init(f);
}

/* An integer member in [lo, hi]; 1 when present and valid, 0 when absent,
 * -1 when present but wrong. */
static int int_member(const cJSON *o, const char *key, int lo, int hi, int *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) return 0;
  if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
      v->valuedouble != (double)(int)v->valuedouble)
    return -1;
  *out = (int)v->valuedouble;
  return 1;
}

int cloud_faults_set(cloud_faults *f, const cJSON *body, char *err, size_t errlen) {
  cloud_faults n;
  cloud_faults_init(&n);
  int latency = 0;
  if (int_member(body, "latencyMs", 0, CLOUD_MAX_LATENCY_MS, &latency) < 0) {
    snprintf(err, errlen, "latencyMs must be an integer 0..%d", CLOUD_MAX_LATENCY_MS);
    return -1;
  }
  n.latency_ms = (unsigned)latency;
  const cJSON *fail = cJSON_GetObjectItemCaseSensitive(body, "failNext");
  if (fail) {
    if (!cJSON_IsObject(fail) || int_member(fail, "count", 0, 1000000, &n.fail_count) < 1 ||
        int_member(fail, "status", 400, 599, &n.fail_status) < 1) {
      snprintf(err, errlen, "failNext needs count (0..1000000) and status (400..599)");
      return -1;
    }
    if (int_member(fail, "retryAfter", 0, 86400, &n.retry_after) < 0) {
      snprintf(err, errlen, "retryAfter must be an integer 0..86400");
      return -1;
    }
    const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(fail, "pathPrefix");
    if (prefix) {
      if (!cJSON_IsString(prefix) || prefix->valuestring[0] != '/' ||
          strlen(prefix->valuestring) > 1024) {
        snprintf(err, errlen, "pathPrefix must be a path starting with /");
        return -1;
      }
      if (!(n.path_prefix = usm__strdup(prefix->valuestring))) {
        snprintf(err, errlen, "out of memory");
        return -1;
      }
    }
  }
  cloud_faults_free(f);
  *f = n;
  return 0;
}

int cloud_faults_take(cloud_faults *f, const char *path) {
  if (f->fail_count <= 0) return 0;
  if (f->path_prefix && strncmp(path, f->path_prefix, strlen(f->path_prefix)) != 0) return 0;
  f->fail_count--;
  return f->fail_status;
}

cJSON *cloud_faults_json(const cloud_faults *f) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "latencyMs", f->latency_ms);
  if (f->fail_count > 0) {
    cJSON *fail = cJSON_AddObjectToObject(o, "failNext");
    cJSON_AddNumberToObject(fail, "count", f->fail_count);
    cJSON_AddNumberToObject(fail, "status", f->fail_status);
    if (f->retry_after >= 0) cJSON_AddNumberToObject(fail, "retryAfter", f->retry_after);
    if (f->path_prefix) cJSON_AddStringToObject(fail, "pathPrefix", f->path_prefix);
  }
  return o;
}
