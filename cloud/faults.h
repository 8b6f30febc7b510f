/* Faults injected on the public listener, set through the admin API:
 * a latency on every response and failures of the next N requests. */
#ifndef USM_CLOUD_FAULTS_H
#define USM_CLOUD_FAULTS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define CLOUD_MAX_LATENCY_MS 60000

typedef struct cloud_faults {
  unsigned latency_ms;
  int fail_count;
  int fail_status;
  int retry_after;   /* seconds, or -1 */
  char *path_prefix; /* fail only requests under it; NULL: all */
} cloud_faults;

void cloud_faults_init(cloud_faults *f);
void cloud_faults_free(cloud_faults *f);
/*
 * Replaces the faults with @p body: {"latencyMs":N, "failNext":{"count":N,
 * "status":S, "retryAfter":secs, "pathPrefix":"/v1/..."}}; every member is
 * optional and {} clears everything. 0, or -1 with a reason in @p err (the
 * faults are unchanged then).
 */
int cloud_faults_set(cloud_faults *f, const cJSON *body, char *err, size_t errlen);
/* The status to fail a request for @p path with (consuming one of the
 * count), or 0 to serve it normally. */
int cloud_faults_take(cloud_faults *f, const char *path);
/* The current faults as JSON (for /admin/state). */
cJSON *cloud_faults_json(const cloud_faults *f);

#endif
