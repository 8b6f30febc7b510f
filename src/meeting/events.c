/* The meeting layer's side of Mercury: one event channel per client, started
 * by the client's first join, whose Locus events update the meetings they
 * name and whose state changes reach every active meeting. PROTOCOL.md §3.5
 * (routing, full DTO vs delta) and §6 (connection); docs/mercury.md. */
#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "meeting/device.h"
#include "meeting/media_internal.h"
#include "meeting/meeting_internal.h"
#include "mercury/mercury.h"

/* Meetings that care about the channel: those with a locus to follow. */
static int active(const usm_meeting *m) {
  return m->state == USM_MEETING_JOINING || m->state == USM_MEETING_IN_LOBBY || m->state == USM_MEETING_JOINED;
}

/* Run @p fn on every active meeting of @p c (that @p match accepts), each
 * held so that a callback destroying any of them cannot pull the list from
 * under us. */
typedef int (*meeting_fn)(usm_meeting *m, void *arg);

static void for_each(usm_client *c, int (*match)(const usm_meeting *m, const void *arg), const void *match_arg,
                     meeting_fn fn, void *arg) {
  size_t n = 0;
  for (usm_meeting *m = c->meetings; m; m = m->next) n += active(m) && (!match || match(m, match_arg));
  if (n == 0) return;
  usm_meeting **v = malloc(n * sizeof *v);
  if (!v) {
    usm__log(c, USM_LOG_WARN, "events: out of memory; an event was not delivered");
    return;
  }
  size_t k = 0;
  for (usm_meeting *m = c->meetings; m && k < n; m = m->next)
    if (active(m) && (!match || match(m, match_arg))) v[k++] = usm__meeting_hold(m);
  for (size_t i = 0; i < k; i++)
    if (usm__meeting_ok(v[i]) && active(v[i]) && !c->dead) fn(v[i], arg);
  for (size_t i = 0; i < k; i++) usm__meeting_release(v[i]);
  free(v);
}

/* ---- connection state -------------------------------------------------------- */

typedef struct conn_change {
  usm_connection_state state;
  usm_err error;
  const char *detail;
} conn_change;

static int emit_connection(usm_meeting *m, void *arg) {
  const conn_change *cc = arg;
  usm_event ev = {.type = USM_EVENT_CONNECTION,
                  .state = m->state,
                  .connection = cc->state,
                  .error = cc->error,
                  .detail = cc->detail};
  if (!usm__meeting_emit(m, &ev)) return 0;
  usm__watch_update(m); /* polling stands in while the channel is not online */
  return 1;
}

static void set_state(usm_client *c, usm_connection_state s, usm_err err, const char *detail) {
  c->events_state = (int)s;
  c->events_error = err;
  conn_change cc = {s, err, detail};
  for_each(c, NULL, NULL, emit_connection, &cc);
}

static usm_err reason_err(usm__mercury_reason r) {
  switch (r) {
  case USM__MERCURY_R_REPLACED: return USM_ERR_EVENTS_REPLACED;
  case USM__MERCURY_R_FORBIDDEN:
  case USM__MERCURY_R_BAD_REQUEST: return USM_ERR_EVENTS_REFUSED;
  case USM__MERCURY_R_UNAUTHORIZED: return USM_ERR_UNAUTHORIZED;
  case USM__MERCURY_R_INTERNAL: return USM_ERR_INTERNAL;
  case USM__MERCURY_R_NONE:
  case USM__MERCURY_R_CLOSED:
  case USM__MERCURY_R_RETRIES: break;
  }
  return USM_ERR_NETWORK;
}

static void on_change(usm_client *c, usm__mercury_change change, usm__mercury_reason reason, int close_code,
                      const char *detail, void *user) {
  (void)user;
  (void)close_code;
  switch (change) {
  case USM__MERCURY_ONLINE: set_state(c, USM_CONNECTION_ONLINE, USM_OK, detail); break;
  case USM__MERCURY_RECONNECTING: set_state(c, USM_CONNECTION_RECONNECTING, USM_ERR_NETWORK, detail); break;
  case USM__MERCURY_OFFLINE: set_state(c, USM_CONNECTION_OFFLINE, reason_err(reason), detail); break;
  }
}

/* ---- resync ------------------------------------------------------------------ */

static int resync(usm_meeting *m, void *arg) {
  (void)arg;
  usm__watch_sync(m);
  return 1;
}

static void on_resync(usm_client *c, usm__mercury_resync why, void *user) {
  (void)user;
  usm__log(c, USM_LOG_INFO, "events: resync every meeting (%s)",
           why == USM__MERCURY_RESYNC_GAP ? "sequence gap" : "connected");
  for_each(c, NULL, NULL, resync, NULL);
}

/* ---- dropped frames ------------------------------------------------------------ */

typedef struct dropped {
  usm_err err;
  const char *detail;
} dropped;

static int emit_error(usm_meeting *m, void *arg) {
  const dropped *d = arg;
  usm_event ev = {.type = USM_EVENT_ERROR,
                  .state = m->state,
                  .error = d->err,
                  .detail = d->detail};
  return usm__meeting_emit(m, &ev);
}

static void on_error(usm_client *c, usm_err err, const char *detail, void *user) {
  (void)user;
  /* frames.c reports what could not be parsed as a bad response */
  dropped d = {err == USM_ERR_BAD_RESPONSE ? USM_ERR_MALFORMED : err, detail};
  for_each(c, NULL, NULL, emit_error, &d);
}

/* ---- Locus events ------------------------------------------------------------------ */

static const char *str_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int same_locus(const usm_meeting *m, const void *url) {
  return m->locus_url && strcmp(m->locus_url, (const char *)url) == 0;
}

static int same_correlation(const usm_meeting *m, const void *id) {
  return strcmp(m->correlation_id, (const char *)id) == 0;
}

typedef struct locus_event {
  const cJSON *locus;
  int delta;
} locus_event;

static int apply(usm_meeting *m, void *arg) {
  const locus_event *le = arg;
  usm_err err = USM_OK;
  if (!le->delta) return usm__meeting_apply_dto(m, le->locus, &err);
  cJSON *copy = cJSON_Duplicate(le->locus, 1);
  if (!copy) {
    usm__watch_sync(m); /* we lost a change: fetch the state instead */
    return 1;
  }
  return usm__meeting_apply_delta(m, copy);
}

typedef struct roap_event {
  const char *text;
  const cJSON *msg;
} roap_event;

/* libusm's media session answers it; the application sees it too. */
static int emit_roap(usm_meeting *m, void *arg) {
  const roap_event *re = arg;
  usm__roap_msg msg;
  if (usm__roap_parse(re->msg, &msg) == USM_OK)
    usm__media_on_roap(m, &msg);
  else
    usm__log(m->client, USM_LOG_WARN, "events: a ROAP message that does not parse was ignored");
  if (!usm__meeting_ok(m)) return 0;
  usm_event ev = {.type = USM_EVENT_ROAP, .state = m->state, .roap = re->text};
  return usm__meeting_emit(m, &ev);
}

static void on_roap(usm_client *c, const cJSON *data) {
  const char *corr = str_of(data, "correlationId");
  const cJSON *msg = cJSON_GetObjectItemCaseSensitive(data, "message");
  if (!corr || !cJSON_IsObject(msg)) {
    on_error(c, USM_ERR_MALFORMED, "locus.message.roap without correlationId or message", NULL);
    return;
  }
  char *text = cJSON_PrintUnformatted(msg);
  if (!text) return;
  roap_event re = {text, msg};
  for_each(c, same_correlation, corr, emit_roap, &re);
  cJSON_free(text);
}

void usm__events_feed(usm_client *c, const char *type, const cJSON *data) {
  if (strncmp(type, "locus.", 6) != 0) return; /* not ours (conversation, presence, ...) */
  if (strcmp(type, "locus.message.roap") == 0) {
    on_roap(c, data);
    return;
  }
  const cJSON *locus = cJSON_GetObjectItemCaseSensitive(data, "locus");
  const char *url = str_of(data, "locusUrl");
  if (!url) url = str_of(locus, "url");
  if (!cJSON_IsObject(locus) || !url) {
    on_error(c, USM_ERR_MALFORMED, "locus event without a locus object or url", NULL);
    return;
  }
  /* locus.difference, and anything carrying a baseSequence, is a delta (§3.5) */
  locus_event le = {locus, strcmp(type, "locus.difference") == 0 ||
                               cJSON_GetObjectItemCaseSensitive(locus, "baseSequence") != NULL};
  for_each(c, same_locus, url, apply, &le);
}

static void on_event(usm_client *c, const char *type, const cJSON *data, void *user) {
  (void)user;
  usm__events_feed(c, type, data);
}

/* ---- start --------------------------------------------------------------------------- */

static const usm__mercury_handlers handlers = {
  .on_event = on_event, .on_change = on_change, .on_resync = on_resync, .on_error = on_error};

void usm__events_start(usm_meeting *m) {
  usm_client *c = m->client;
  const usm__device_info *dev = usm__device(c);
  if (!dev || !dev->ws_url) return; /* no event channel offered: polling only */
  usm__mstate s = usm__mercury_state(c);
  /* Running, or refused for good (replaced, forbidden): a new join changes neither. */
  if (s != USM__MS_IDLE && !(s == USM__MS_OFFLINE && c->events_error == USM_ERR_NETWORK)) return;
  usm_err e = usm__mercury_start(c, dev->ws_url, &handlers);
  if (e != USM_OK) {
    usm__log(c, USM_LOG_WARN, "events: cannot open the event channel (%s); polling Locus", usm_err_name(e));
    c->events_state = USM_CONNECTION_OFFLINE;
    c->events_error = e;
    return;
  }
  c->events_state = USM_CONNECTION_CONNECTING;
  c->events_error = USM_OK;
}

int usm__events_online(const usm_client *c) { return c->events_state == USM_CONNECTION_ONLINE; }

usm_connection_state usm_meeting_connection_state(const usm_meeting *m) {
  return usm__meeting_ok(m) ? (usm_connection_state)m->client->events_state : USM_CONNECTION_IDLE;
}

const char *usm_connection_state_name(usm_connection_state s) {
  static const char *const names[] = {"idle", "connecting", "online", "reconnecting", "offline"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}
