#include "ev_log.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- patterns ------------------------------------------------------------- */

static ev_pat any(usm_event_type t) {
  ev_pat p = {.type = t, .change = USM_ROSTER_NONE, .name = NULL, .where = -1,
              .is_host = -1, .audio = -1, .locked = -1, .conn = -1, .state = -1, .error = -1};
  return p;
}

ev_pat ev_roster(usm_roster_change change, const char *name, int where) {
  ev_pat p = any(USM_EVENT_ROSTER);
  p.change = change;
  p.name = name;
  p.where = where;
  return p;
}

ev_pat ev_mute(const char *name, int audio) {
  ev_pat p = any(USM_EVENT_MUTE);
  p.name = name;
  p.audio = audio;
  return p;
}

ev_pat ev_host(const char *name) {
  ev_pat p = any(USM_EVENT_HOST);
  p.name = name;
  return p;
}

ev_pat ev_lock(int locked) {
  ev_pat p = any(USM_EVENT_LOCK);
  p.locked = locked;
  return p;
}

ev_pat ev_conn(usm_connection_state s) {
  ev_pat p = any(USM_EVENT_CONNECTION);
  p.conn = (int)s;
  return p;
}

ev_pat ev_state(usm_meeting_state s) {
  ev_pat p = any(USM_EVENT_STATE);
  p.state = (int)s;
  return p;
}

ev_pat ev_error(usm_err e) {
  ev_pat p = any(USM_EVENT_ERROR);
  p.error = (int)e;
  return p;
}

const char *ev_type_name(usm_event_type t) {
  static const char *const names[] = {"?",    "state",      "password", "roster", "host",
                                      "lock", "mute",       "connection", "error", "roap"};
  return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

int ev_match(const ev_rec *r, const ev_pat *p) {
  if (r->type != p->type) return 0;
  if (p->change != USM_ROSTER_NONE && r->change != p->change) return 0;
  if (p->type == USM_EVENT_ROSTER && p->change == USM_ROSTER_NONE && r->change == USM_ROSTER_LEFT) return 0;
  if (p->name && (!r->has_p || strcmp(r->name, p->name) != 0)) return 0;
  if (p->where == 1 && !(r->has_p && r->in_meeting)) return 0;
  if (p->where == 2 && !(r->has_p && r->in_lobby)) return 0;
  if (p->is_host >= 0 && (!r->has_p || r->is_host != p->is_host)) return 0;
  if (p->audio >= 0 && (!r->has_p || r->audio != p->audio)) return 0;
  if (p->locked >= 0 && r->locked != p->locked) return 0;
  if (p->conn >= 0 && (int)r->conn != p->conn) return 0;
  if (p->state >= 0 && (int)r->state != p->state) return 0;
  if (p->error >= 0 && (int)r->error != p->error) return 0;
  return 1;
}

static void pat_str(const ev_pat *p, char *buf, size_t cap) {
  snprintf(buf, cap, "%s change=%d name=%s where=%d audio=%d locked=%d conn=%d state=%d error=%d",
           ev_type_name(p->type), (int)p->change, p->name ? p->name : "*", p->where, p->audio, p->locked,
           p->conn, p->state, p->error);
}

/* ---- the log and its model -------------------------------------------------- */

int ev_log_init(ev_log *l, const char *who) {
  memset(l, 0, sizeof *l);
  l->who = who;
  l->state = -1;
  l->conn = -1;
  l->recs = calloc(EV_MAX_RECS, sizeof *l->recs);
  return l->recs ? 0 : -1;
}

void ev_log_free(ev_log *l) {
  free(l->recs);
  l->recs = NULL;
}

__attribute__((format(printf, 2, 3))) static void violation(ev_log *l, const char *fmt, ...) {
  if (l->violations < 4) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->violation[l->violations], sizeof l->violation[0], fmt, ap);
    va_end(ap);
  }
  l->violations++;
}

static ev_part *model_find(ev_log *l, const char *id) {
  for (size_t i = 0; i < l->nmodel; i++)
    if (strcmp(l->model[i].id, id) == 0) return &l->model[i];
  return NULL;
}

static void snap(ev_part *p, const ev_rec *r) {
  snprintf(p->id, sizeof p->id, "%s", r->pid);
  snprintf(p->name, sizeof p->name, "%s", r->name);
  p->in_meeting = r->in_meeting;
  p->in_lobby = r->in_lobby;
  p->is_host = r->is_host;
  p->audio = r->audio;
  p->video = r->video;
}

static int differs(const ev_part *p, const ev_rec *r) {
  return strcmp(p->name, r->name) != 0 || p->in_meeting != r->in_meeting || p->in_lobby != r->in_lobby ||
         p->is_host != r->is_host || p->audio != r->audio || p->video != r->video;
}

/* Check @p r against what the events so far said, then apply it. */
static void model_apply(ev_log *l, const ev_rec *r) {
  ev_part *p = r->has_p ? model_find(l, r->pid) : NULL;
  switch (r->type) {
  case USM_EVENT_STATE:
    if ((int)r->state == l->state) violation(l, "#%zu state %d reported twice", l->n, (int)r->state);
    l->state = (int)r->state;
    if (r->state == USM_MEETING_LEFT || r->state == USM_MEETING_ENDED) {
      /* the roster is dropped with the meeting; later events start afresh */
      l->nmodel = 0;
      l->host_id[0] = '\0';
      l->locked = 0;
    }
    break;
  case USM_EVENT_ROSTER:
    if (!r->has_p) {
      violation(l, "#%zu roster event without participant", l->n);
    } else if (r->change == USM_ROSTER_JOINED) {
      if (p) {
        violation(l, "#%zu %s joined twice", l->n, r->name);
      } else if (l->nmodel < EV_MAX_MODEL) {
        p = &l->model[l->nmodel++];
        snap(p, r);
        p->mute_a = r->audio;
        p->mute_v = r->video;
      }
    } else if (r->change == USM_ROSTER_LEFT) {
      if (!p) violation(l, "#%zu %s left but was not in the roster", l->n, r->name);
      else *p = l->model[--l->nmodel];
    } else if (r->change == USM_ROSTER_CHANGED) {
      if (!p) violation(l, "#%zu %s changed but is not in the roster", l->n, r->name);
      else if (!differs(p, r)) violation(l, "#%zu %s changed, but nothing did (duplicate)", l->n, r->name);
      else snap(p, r);
    } else {
      violation(l, "#%zu roster event with change %d", l->n, (int)r->change);
    }
    break;
  case USM_EVENT_HOST: {
    const char *id = r->has_p ? r->pid : "";
    if (strcmp(id, l->host_id) == 0) violation(l, "#%zu host %s reported twice", l->n, r->has_p ? r->name : "none");
    snprintf(l->host_id, sizeof l->host_id, "%s", id);
    break;
  }
  case USM_EVENT_LOCK:
    if (r->locked == l->locked) violation(l, "#%zu lock %d reported twice", l->n, r->locked);
    l->locked = r->locked;
    break;
  case USM_EVENT_MUTE:
    if (!p) {
      violation(l, "#%zu mute of %s, who is not in the roster", l->n, r->has_p ? r->name : "nobody");
    } else {
      if (p->mute_a == r->audio && p->mute_v == r->video)
        violation(l, "#%zu mute of %s changes nothing (duplicate)", l->n, r->name);
      if (p->audio != r->audio || p->video != r->video)
        violation(l, "#%zu mute of %s before its roster change", l->n, r->name);
      p->mute_a = r->audio;
      p->mute_v = r->video;
    }
    break;
  case USM_EVENT_CONNECTION:
    if ((int)r->conn == l->conn && r->conn != USM_CONNECTION_RECONNECTING)
      violation(l, "#%zu connection %s reported twice", l->n, usm_connection_state_name(r->conn));
    l->conn = (int)r->conn;
    break;
  default:
    break;
  }
}

static void on_event(usm_meeting *m, const usm_event *ev, void *user) {
  ev_log *l = user;
  if (l->n == EV_MAX_RECS) {
    l->overflow = 1;
    return;
  }
  ev_rec *r = &l->recs[l->n];
  memset(r, 0, sizeof *r);
  r->t_ms = e2e_now_ms();
  r->type = ev->type;
  r->state = ev->state;
  r->change = ev->change;
  r->locked = ev->locked;
  r->conn = ev->connection;
  r->conn_now = usm_meeting_connection_state(m);
  r->error = ev->error;
  if (ev->detail) snprintf(r->detail, sizeof r->detail, "%s", ev->detail);
  if (ev->participant) {
    const usm_participant *p = ev->participant;
    r->has_p = 1;
    snprintf(r->pid, sizeof r->pid, "%s", p->id ? p->id : "");
    snprintf(r->name, sizeof r->name, "%s", p->name ? p->name : (p->id ? p->id : ""));
    r->in_meeting = p->in_meeting;
    r->in_lobby = p->in_lobby;
    r->is_host = p->is_host;
    r->is_self = p->is_self;
    r->audio = p->audio_muted;
    r->video = p->video_muted;
  }
  model_apply(l, r);
  l->n++;
}

void ev_attach(ev_log *l, usm_meeting *m) {
  l->m = m;
  usm_meeting_set_event_cb(m, on_event, l);
}

/* ---- queries ---------------------------------------------------------------- */

long ev_find(const ev_log *l, size_t from, ev_pat p) {
  for (size_t i = from; i < l->n; i++)
    if (ev_match(&l->recs[i], &p)) return (long)i;
  return -1;
}

size_t ev_count(const ev_log *l, ev_pat p) {
  size_t n = 0;
  for (size_t i = 0; i < l->n; i++) n += (size_t)ev_match(&l->recs[i], &p);
  return n;
}

long ev_wait(e2e_world *w, const ev_log *l, size_t from, ev_pat p, long ms) {
  long deadline = e2e_now_ms() + ms;
  long i;
  while ((i = ev_find(l, from, p)) < 0 && e2e_now_ms() < deadline) e2e_pump(w, 5);
  return i;
}

int ev_in_order(const ev_log *l, const ev_pat *pats, size_t n) {
  long prev = -1;
  int ok = 1;
  char buf[300];
  for (size_t k = 0; k < n; k++) {
    size_t c = ev_count(l, pats[k]);
    long at = ev_find(l, (size_t)(prev + 1), pats[k]);
    if (c != 1 || at < 0) {
      pat_str(&pats[k], buf, sizeof buf);
      fprintf(stderr, "%s: expected step %zu (%s) once after #%ld: seen %zu times, next at %ld\n", l->who, k, buf,
              prev, c, at);
      ok = 0;
    }
    if (at >= 0) prev = at;
  }
  if (!ok) ev_dump(l);
  return ok;
}

void ev_dump(const ev_log *l) {
  fprintf(stderr, "--- events of %s (%zu%s)\n", l->who, l->n, l->overflow ? ", overflow" : "");
  long t0 = l->n ? l->recs[0].t_ms : 0;
  for (size_t i = 0; i < l->n; i++) {
    const ev_rec *r = &l->recs[i];
    fprintf(stderr, "  #%zu +%ldms %s state=%s", i, r->t_ms - t0, ev_type_name(r->type),
            usm_meeting_state_name(r->state));
    if (r->type == USM_EVENT_ROSTER) fprintf(stderr, " change=%d", (int)r->change);
    if (r->has_p)
      fprintf(stderr, " [%s%s%s%s audio=%d video=%d]", r->name, r->in_meeting ? " in_meeting" : "",
              r->in_lobby ? " in_lobby" : "", r->is_host ? " host" : "", r->audio, r->video);
    if (r->type == USM_EVENT_LOCK) fprintf(stderr, " locked=%d", r->locked);
    if (r->type == USM_EVENT_CONNECTION || r->type == USM_EVENT_ERROR)
      fprintf(stderr, " conn=%s error=%s detail=%s", usm_connection_state_name(r->conn), usm_err_name(r->error),
              r->detail);
    fprintf(stderr, "\n");
  }
}

int ev_consistent(const ev_log *l) {
  int ok = 1;
  if (l->violations || l->overflow) {
    fprintf(stderr, "%s: %d violation(s)%s\n", l->who, l->violations, l->overflow ? ", log overflow" : "");
    for (int i = 0; i < l->violations && i < 4; i++) fprintf(stderr, "  %s\n", l->violation[i]);
    ok = 0;
  }
  size_t n = usm_meeting_participant_count(l->m);
  if (n != l->nmodel) {
    fprintf(stderr, "%s: roster has %zu entries, events say %zu\n", l->who, n, l->nmodel);
    ok = 0;
  }
  for (size_t i = 0; i < n; i++) {
    usm_participant p;
    if (usm_meeting_participant(l->m, i, &p) != USM_OK) continue;
    const ev_part *e = NULL;
    for (size_t k = 0; k < l->nmodel; k++)
      if (strcmp(l->model[k].id, p.id) == 0) e = &l->model[k];
    if (!e || e->in_meeting != p.in_meeting || e->in_lobby != p.in_lobby || e->is_host != p.is_host ||
        e->audio != p.audio_muted || e->video != p.video_muted) {
      fprintf(stderr, "%s: roster entry %s (%s) differs from what the events said\n", l->who,
              p.name ? p.name : "-", p.id);
      ok = 0;
    }
    if (e && e->audio != e->mute_a) {
      fprintf(stderr, "%s: %s's audio mute changed without a mute event\n", l->who, e->name);
      ok = 0;
    }
  }
  if (!ok) ev_dump(l);
  return ok;
}

int ev_connection_field_ok(const ev_log *l) {
  for (size_t i = 0; i < l->n; i++) {
    const ev_rec *r = &l->recs[i];
    if (r->type != USM_EVENT_CONNECTION && r->conn != r->conn_now) {
      fprintf(stderr, "%s: event #%zu (%s) has connection=%s, but the channel is %s\n", l->who, i,
              ev_type_name(r->type), usm_connection_state_name(r->conn), usm_connection_state_name(r->conn_now));
      return 0;
    }
  }
  return 1;
}

/* ---- the cloud's view ----------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The URL of the locus holding participant @p pid (admin state). */
static int locus_url_of(const e2e_world *w, const char *pid, char *url, size_t cap) {
  char *body = NULL;
  int st = e2e_admin_get(w, "/admin/state", &body);
  cJSON *root = st == 200 && body ? cJSON_Parse(body) : NULL;
  free(body);
  int found = 0;
  const cJSON *l, *p;
  cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(root, "loci")) {
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(l, "participants")) {
      const char *id = jstr(p, "id");
      if (!found && id && strcmp(id, pid) == 0 && jstr(l, "url")) {
        snprintf(url, cap, "%s", jstr(l, "url"));
        found = 1;
      }
    }
  }
  cJSON_Delete(root);
  return found;
}

static int jbool(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}

static int server_host(const cJSON *p) {
  const cJSON *r;
  const cJSON *roles = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "controls"), "role"), "roles");
  cJSON_ArrayForEach(r, roles) {
    const char *t = jstr(r, "type");
    if (t && strcmp(t, "MODERATOR") == 0) return jbool(r, "hasRole") == 1;
  }
  return jbool(p, "moderator") == 1;
}

int ev_matches_server(const e2e_world *w, const ev_log *l, const char *token, char *why, size_t cap) {
  usm_participant self;
  snprintf(why, cap, "ok");
  if (usm_meeting_self(l->m, &self) != USM_OK) {
    snprintf(why, cap, "no self entry");
    return 0;
  }
  char url[512];
  if (!locus_url_of(w, self.id, url, sizeof url)) {
    snprintf(why, cap, "no locus holds %s", self.id);
    return 0;
  }
  unsigned char *body = NULL;
  size_t len = 0;
  int st = cloud_proc_post(&w->cloud, url, token, NULL, &body, &len);
  cJSON *dto = st == 200 && body ? cJSON_ParseWithLength((const char *)body, len) : NULL;
  free(body);
  if (!dto) {
    snprintf(why, cap, "GET locus: HTTP %d", st);
    return 0;
  }
  int ok = 1;
  size_t nserver = 0;
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(dto, "participants")) {
    const char *id = jstr(p, "id"), *state = jstr(p, "state");
    if (!id || !state) continue;
    int joined = strcmp(state, "JOINED") == 0, lobby = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(p, "devices")) {
      const char *t = jstr(cJSON_GetObjectItemCaseSensitive(d, "intent"), "type");
      if (t && strcmp(state, "IDLE") == 0 && (strcmp(t, "WAIT") == 0 || strcmp(t, "OBSERVE") == 0)) lobby = 1;
    }
    if (!joined && !lobby) continue;
    nserver++;
    const cJSON *ctl = cJSON_GetObjectItemCaseSensitive(p, "controls");
    int audio = jbool(cJSON_GetObjectItemCaseSensitive(ctl, "audio"), "muted");
    int host = server_host(p);
    usm_participant c;
    int found = 0;
    for (size_t i = 0; !found && i < usm_meeting_participant_count(l->m); i++)
      found = usm_meeting_participant(l->m, i, &c) == USM_OK && strcmp(c.id, id) == 0;
    const cJSON *person = cJSON_GetObjectItemCaseSensitive(p, "person");
    const char *name = jstr(person, "name");
    if (!found) {
      if (ok) snprintf(why, cap, "%s is missing (server: %s)", name ? name : id, joined ? "joined" : "lobby");
      ok = 0;
    } else if (c.in_meeting != joined || c.in_lobby != lobby || c.is_host != host || c.audio_muted != audio) {
      if (ok)
        snprintf(why, cap, "%s: client in_meeting=%d in_lobby=%d host=%d audio=%d, server %d %d %d %d",
                 name ? name : id, c.in_meeting, c.in_lobby, c.is_host, c.audio_muted, joined, lobby, host, audio);
      ok = 0;
    }
  }
  if (ok && nserver != usm_meeting_participant_count(l->m)) {
    snprintf(why, cap, "client roster has %zu entries, server %zu", usm_meeting_participant_count(l->m), nserver);
    ok = 0;
  }
  cJSON_Delete(dto);
  return ok;
}

int ev_wait_server(e2e_world *w, const ev_log *l, const char *token, long ms) {
  char why[512];
  long deadline = e2e_now_ms() + ms;
  for (;;) {
    if (ev_matches_server(w, l, token, why, sizeof why)) return 1;
    if (e2e_now_ms() > deadline) break;
    e2e_pump(w, 200);
  }
  fprintf(stderr, "%s: roster differs from the cloud's: %s\n", l->who, why);
  ev_dump(l);
  return 0;
}

/* ---- latencies ---------------------------------------------------------------- */

void ev_lat_add(ev_lat *s, long ms) {
  if (s->n < sizeof s->v / sizeof s->v[0]) s->v[s->n++] = ms < 0 ? 0 : ms;
}

static int cmp_long(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

long ev_lat_median(const ev_lat *s) {
  if (!s->n) return -1;
  long v[256];
  memcpy(v, s->v, s->n * sizeof v[0]);
  qsort(v, s->n, sizeof v[0], cmp_long);
  return v[s->n / 2];
}
