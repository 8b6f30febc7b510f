#include "meeting/locus_dto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "rest/json.h"
#include "rest/url.h"

/* A bounded copy of a string member; *oom set when the copy failed. */
static char *dup_str(const cJSON *o, const char *key, int *oom) {
  const char *s = usm__json_str(o, key);
  if (!s || strnlen(s, USM__LOCUS_STR_MAX + 1) > USM__LOCUS_STR_MAX) return NULL;
  char *d = usm__strdup(s);
  if (!d) *oom = 1;
  return d;
}

static const cJSON *get(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

static int str_is(const cJSON *o, const char *key, const char *want) {
  const char *s = usm__json_str(o, key);
  return s && strcmp(s, want) == 0;
}

static void lpart_free(usm__lpart *p) {
  free(p->id);
  free(p->name);
  free(p->email);
  free(p->person_id);
  memset(p, 0, sizeof *p);
}

static int is_host(const cJSON *p) {
  const cJSON *roles = get(get(get(p, "controls"), "role"), "roles");
  int n = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, roles) {
    if (n++ >= USM__LOCUS_MAX_ROLES) break;
    if (str_is(r, "type", "MODERATOR")) return usm__json_bool(r, "hasRole") == 1;
  }
  return usm__json_bool(p, "moderator") == 1;
}

/* Our device's entry and whether any device waits (WAIT or OBSERVE). */
static const cJSON *scan_devices(const cJSON *p, const char *device_url, int *any_wait) {
  const cJSON *mine = NULL, *d;
  int n = 0;
  *any_wait = 0;
  cJSON_ArrayForEach(d, get(p, "devices")) {
    if (n++ >= USM__LOCUS_MAX_DEVICES) break;
    const cJSON *intent = get(d, "intent");
    if (str_is(intent, "type", "WAIT") || str_is(intent, "type", "OBSERVE")) *any_wait = 1;
    if (!mine && device_url && str_is(d, "url", device_url)) mine = d;
  }
  return mine;
}

static int parse_part(const cJSON *p, const char *device_url, usm__lpart *out) {
  int oom = 0;
  memset(out, 0, sizeof *out);
  out->id = dup_str(p, "id", &oom);
  if (!out->id) return oom ? -1 : 1; /* no id: not a participant we can name */
  const cJSON *person = get(p, "person");
  out->name = dup_str(person, "name", &oom);
  out->email = dup_str(person, "email", &oom);
  out->person_id = dup_str(person, "id", &oom);
  if (!out->person_id) out->person_id = dup_str(p, "identity", &oom);
  const char *st = usm__json_str(p, "state");
  out->state = !st ? USM__P_OTHER
               : strcmp(st, "JOINED") == 0 ? USM__P_JOINED
               : strcmp(st, "IDLE") == 0   ? USM__P_IDLE
               : strcmp(st, "LEFT") == 0   ? USM__P_LEFT
                                           : USM__P_OTHER;
  int wait;
  scan_devices(p, device_url, &wait);
  out->in_lobby = out->state == USM__P_IDLE && wait;
  out->is_host = is_host(p);
  out->is_guest = usm__json_bool(p, "guest") == 1;
  const cJSON *ctl = get(p, "controls");
  out->audio_muted = usm__json_bool(get(ctl, "audio"), "muted");
  out->video_muted = usm__json_bool(get(ctl, "video"), "muted");
  const cJSON *csi;
  cJSON_ArrayForEach(csi, get(get(p, "status"), "csis")) {
    /* CSIs are 32-bit; anything else is not one */
    if (out->n_csis == USM__LOCUS_MAX_CSIS) break;
    if (cJSON_IsNumber(csi) && csi->valuedouble >= 1 && csi->valuedouble <= 4294967295.0 &&
        csi->valuedouble == (double)(uint32_t)csi->valuedouble)
      out->csis[out->n_csis++] = (uint32_t)csi->valuedouble;
  }
  if (oom) {
    lpart_free(out);
    return -1;
  }
  return 0;
}

static usm_err parse_self(const cJSON *self, const char *device_url, usm__locus *out) {
  int rc = parse_part(self, device_url, &out->self);
  if (rc < 0) return USM_ERR_NO_MEMORY;
  if (rc > 0) return USM_OK; /* a self without id is no self */
  out->has_self = 1;
  out->self.is_self = 1;
  int url_oom = 0;
  /* media (ROAP) requests go to {self.url}/media: only a URL we would call anyway */
  out->self_url = dup_str(self, "url", &url_oom);
  if (url_oom) return USM_ERR_NO_MEMORY;
  if (out->self_url && usm__url_check(out->self_url) != USM_OK) {
    free(out->self_url);
    out->self_url = NULL;
  }
  int wait;
  const cJSON *mine = scan_devices(self, device_url, &wait);
  out->self_waiting = out->self.state == USM__P_IDLE && str_is(get(mine, "intent"), "type", "WAIT");
  if (out->self_waiting) {
    int oom = 0;
    out->keepalive_url = dup_str(mine, "keepAliveUrl", &oom);
    if (oom) return USM_ERR_NO_MEMORY;
    const cJSON *secs = get(mine, "keepAliveSecs");
    if (cJSON_IsNumber(secs) && secs->valuedouble >= 0 && secs->valuedouble <= 86400)
      out->keepalive_secs = (int)secs->valuedouble;
    /* never send the token to a URL we would not call otherwise */
    if (out->keepalive_url && usm__url_check(out->keepalive_url) != USM_OK) {
      free(out->keepalive_url);
      out->keepalive_url = NULL;
    }
  }
  return USM_OK;
}

static usm_err parse_roster(const cJSON *parts, const char *device_url, usm__locus *out) {
  size_t n = 0;
  const cJSON *p;
  cJSON_ArrayForEach(p, parts) {
    if (++n > USM__LOCUS_MAX_PARTICIPANTS) return USM_ERR_LIMIT;
  }
  if (n == 0) return USM_OK;
  out->roster = calloc(n, sizeof *out->roster);
  if (!out->roster) return USM_ERR_NO_MEMORY;
  const char *self_id = out->has_self ? out->self.id : NULL;
  cJSON_ArrayForEach(p, parts) {
    usm__lpart *e = &out->roster[out->n_roster];
    int rc = parse_part(p, device_url, e);
    if (rc < 0) return USM_ERR_NO_MEMORY;
    if (rc > 0) continue;
    if (e->state != USM__P_JOINED && !e->in_lobby) { /* left, invited, declined: not in the roster */
      lpart_free(e);
      continue;
    }
    e->is_self = self_id && strcmp(e->id, self_id) == 0;
    out->n_roster++;
  }
  return USM_OK;
}

static usm_err parse_sequence(const cJSON *dto, usm__locus *out) {
  const cJSON *seq = get(dto, "sequence");
  if (!cJSON_IsObject(seq)) return USM_OK;
  const cJSON *entries = get(seq, "entries");
  int n = cJSON_IsArray(entries) ? cJSON_GetArraySize(entries) : 0;
  const cJSON *last = n > 0 ? cJSON_GetArrayItem(entries, n - 1) : NULL;
  if (cJSON_IsNumber(last)) {
    out->has_seq = 1;
    out->last_seq = last->valuedouble;
  }
  /* it travels back to the server in our requests: keep it small */
  char *text = cJSON_PrintUnformatted(seq);
  if (!text) return USM_ERR_NO_MEMORY;
  size_t len = strlen(text);
  cJSON_free(text);
  if (len <= USM__LOCUS_MAX_SEQ_BYTES && !(out->sequence = cJSON_Duplicate(seq, 1))) return USM_ERR_NO_MEMORY;
  return USM_OK;
}

static usm_err parse_info(const cJSON *dto, usm__locus *out) {
  const cJSON *info = get(dto, "info");
  int oom = 0;
  out->sip_uri = dup_str(info, "sipUri", &oom);
  const cJSON *num = get(info, "webExMeetingId");
  if (cJSON_IsString(num)) {
    out->meeting_number = dup_str(info, "webExMeetingId", &oom);
  } else if (cJSON_IsNumber(num) && num->valuedouble >= 0 && num->valuedouble < 1e15) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.0f", num->valuedouble);
    if (!(out->meeting_number = usm__strdup(buf))) oom = 1;
  }
  return oom ? USM_ERR_NO_MEMORY : USM_OK;
}

usm_err usm__locus_parse(const cJSON *dto, const char *device_url, usm__locus *out) {
  memset(out, 0, sizeof *out);
  if (!cJSON_IsObject(dto)) return USM_ERR_BAD_RESPONSE;
  int oom = 0;
  out->url = dup_str(dto, "url", &oom);
  if (!out->url || usm__url_check(out->url) != USM_OK) {
    usm__locus_free(out);
    return oom ? USM_ERR_NO_MEMORY : USM_ERR_BAD_RESPONSE;
  }
  out->sync_url = dup_str(dto, "syncUrl", &oom);
  const cJSON *full = get(dto, "fullState");
  out->ended = str_is(full, "state", "INACTIVE");
  int lock = usm__json_bool(get(get(dto, "controls"), "lock"), "locked");
  if (lock < 0) lock = usm__json_bool(full, "locked");
  out->locked = lock == 1;
  usm_err e = oom ? USM_ERR_NO_MEMORY : USM_OK;
  const cJSON *self = get(dto, "self");
  if (e == USM_OK && cJSON_IsObject(self)) e = parse_self(self, device_url, out);
  if (e == USM_OK) e = parse_roster(get(dto, "participants"), device_url, out);
  if (e == USM_OK) e = parse_sequence(dto, out);
  if (e == USM_OK) e = parse_info(dto, out);
  if (e != USM_OK) usm__locus_free(out);
  return e;
}

const cJSON *usm__locus_of(const cJSON *root) {
  const cJSON *l = get(root, "locus");
  return cJSON_IsObject(l) ? l : root;
}

usm_err usm__locus_parse_text(const char *text, size_t len, const char *device_url, usm__locus *out) {
  memset(out, 0, sizeof *out);
  cJSON *root = usm__json_parse(text, len);
  if (!root) return USM_ERR_BAD_RESPONSE;
  usm_err e = usm__locus_parse(usm__locus_of(root), device_url, out);
  cJSON_Delete(root);
  return e;
}

void usm__locus_free(usm__locus *l) {
  if (!l) return;
  free(l->url);
  free(l->sync_url);
  free(l->sip_uri);
  free(l->meeting_number);
  free(l->keepalive_url);
  free(l->self_url);
  for (size_t i = 0; i < l->n_roster; i++) lpart_free(&l->roster[i]);
  free(l->roster);
  lpart_free(&l->self);
  cJSON_Delete(l->sequence);
  memset(l, 0, sizeof *l);
}

int usm__locus_newer(const usm__locus *cur, const usm__locus *in) {
  if (!cur || !cur->has_seq || !in->has_seq) return 1;
  return in->last_seq > cur->last_seq;
}

const usm__lpart *usm__locus_by_csi(const usm__locus *l, uint32_t csi) {
  if (!l || !csi) return NULL;
  for (size_t i = 0; i < l->n_roster; i++)
    for (size_t k = 0; k < l->roster[i].n_csis; k++)
      if (l->roster[i].csis[k] == csi) return &l->roster[i];
  for (size_t k = 0; l->has_self && k < l->self.n_csis; k++)
    if (l->self.csis[k] == csi) return &l->self;
  return NULL;
}
