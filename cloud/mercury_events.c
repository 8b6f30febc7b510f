#include "mercury_events.h"

#include <stdio.h>
#include <string.h>

#include "ids.h"
#include "timefmt.h"

/* Top-level objects a delta may carry (besides participants and self). */
static const char *const TOP[] = {"info", "host", "fullState", "controls"};

char *cloud_merc_envelope(cJSON *data, size_t *len) {
  char id[CLOUD_UUID_SIZE], tracking[CLOUD_UUID_SIZE + 16];
  cloud_uuid(id);
  cloud_uuid(tracking + 10);
  memcpy(tracking, "usm-cloud_", 10);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", id);
  if (!o || !cJSON_AddItemToObject(o, "data", data)) {
    cJSON_Delete(o);
    cJSON_Delete(data);
    return NULL;
  }
  cJSON_AddNumberToObject(o, "timestamp", (double)cloud_now_ms());
  cJSON_AddStringToObject(o, "trackingId", tracking);
  cJSON_AddObjectToObject(o, "headers");
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!text) return NULL;
  *len = strlen(text) - 1; /* without the closing brace */
  return text;
}

size_t cloud_merc_close_envelope(char *text, size_t len, unsigned long long seq) {
  int n = snprintf(text + len, CLOUD_MERC_SEQ_TAIL, ",\"sequenceNumber\":%llu}", seq);
  return len + (size_t)(n > 0 ? n : 0);
}

static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static const cJSON *participant_by(const cJSON *dto, const char *key, const char *value) {
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(dto, "participants")) {
    if (streq(str(p, key), value)) return p;
  }
  return NULL;
}

static const cJSON *member(const cJSON *o, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

static int same(const cJSON *a, const cJSON *b) {
  if (!a || !b) return a == b;
  return cJSON_Compare(a, b, 1);
}

/* Whether any participant changed in the way @p test says. */
typedef int (*part_test)(const cJSON *before, const cJSON *after);

static int any_participant(const cloud_merc_change *c, part_test test) {
  const cJSON *p;
  cJSON_ArrayForEach(p, member(c->after, "participants")) {
    const cJSON *old = participant_by(c->before, "id", str(p, "id"));
    if (test(old, p)) return 1;
  }
  return 0;
}

static int now_in_state(const cJSON *old, const cJSON *p, const char *state) {
  return streq(str(p, "state"), state) && !(old && streq(str(old, "state"), state));
}
static int left(const cJSON *old, const cJSON *p) { return now_in_state(old, p, "LEFT"); }
static int joined(const cJSON *old, const cJSON *p) { return now_in_state(old, p, "JOINED"); }
static int roles(const cJSON *old, const cJSON *p) {
  return old && !same(member(old, "moderator"), member(p, "moderator"));
}
static int controls(const cJSON *old, const cJSON *p) {
  return old && !same(member(old, "controls"), member(p, "controls"));
}

const char *cloud_merc_event_type(const cloud_merc_change *c) {
  if (any_participant(c, left)) return "locus.participant_left";
  if (any_participant(c, joined)) return "locus.participant_joined";
  if (any_participant(c, roles)) return "locus.participant_roles_updated";
  if (any_participant(c, controls)) return "locus.participant_controls_updated";
  if (c->before && !same(member(c->before, "controls"), member(c->after, "controls")))
    return "locus.controls_updated";
  return "locus.participant_updated";
}

int cloud_merc_is_recipient(const cloud_merc_change *c, const char *uid) {
  const cJSON *p = participant_by(c->after, "identity", uid);
  if (!p) return 0;
  if (!streq(str(p, "state"), "LEFT")) return 1;
  const cJSON *old = participant_by(c->before, "identity", uid);
  return !old || !streq(str(old, "state"), "LEFT");
}

static double first_entry(const cJSON *dto) {
  const cJSON *e = cJSON_GetArrayItem(member(member(dto, "sequence"), "entries"), 0);
  return cJSON_IsNumber(e) ? e->valuedouble : -1;
}

cJSON *cloud_merc_delta(const cloud_merc_change *c, const char *uid) {
  if (!c->before || first_entry(c->before) < 0 ||
      first_entry(c->after) != first_entry(c->before) + 1)
    return NULL;
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "url", str(c->after, "url") ? str(c->after, "url") : "");
  cJSON_AddItemToObject(d, "baseSequence", cJSON_Duplicate(member(c->before, "sequence"), 1));
  cJSON_AddItemToObject(d, "sequence", cJSON_Duplicate(member(c->after, "sequence"), 1));
  cJSON *parts = cJSON_AddArrayToObject(d, "participants");
  const cJSON *p;
  cJSON_ArrayForEach(p, member(c->after, "participants")) {
    const cJSON *old = participant_by(c->before, "id", str(p, "id"));
    if (old && same(old, p)) continue;
    cJSON_AddItemToArray(parts, cJSON_Duplicate(p, 1));
    if (streq(str(p, "identity"), uid)) cJSON_AddItemToObject(d, "self", cJSON_Duplicate(p, 1));
  }
  /* The model never drops a participant; should one vanish anyway, say so. */
  cJSON_ArrayForEach(p, member(c->before, "participants")) {
    if (participant_by(c->after, "id", str(p, "id"))) continue;
    cJSON *gone = cJSON_Duplicate(p, 1);
    cJSON_AddBoolToObject(gone, "removed", 1);
    cJSON_AddItemToArray(parts, gone);
  }
  for (size_t i = 0; i < sizeof TOP / sizeof TOP[0]; i++) {
    const cJSON *now = member(c->after, TOP[i]);
    if (now && !same(member(c->before, TOP[i]), now))
      cJSON_AddItemToObject(d, TOP[i], cJSON_Duplicate(now, 1));
  }
  return d;
}
