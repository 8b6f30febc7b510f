/* The meeting handle: creation, destruction, accessors, and the one place
 * that calls into the application (events and completions). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "meeting/media_internal.h"
#include "meeting/media_play.h"
#include "meeting/meeting_internal.h"
#include "meeting/roap.h"
#include "meeting/roster.h"
#include "rest/call.h"

int usm__meeting_ok(const usm_meeting *m) {
  return m && m->magic == USM_MEETING_MAGIC && !m->dead && m->client && usm__client_ok(m->client);
}

static int valid(const usm_meeting *m) { return m && m->magic == USM_MEETING_MAGIC && !m->dead; }

void usm__meeting_set_error(usm_meeting *m, const char *fmt, ...) {
  usm__strbuf_reset(&m->last_error);
  va_list ap;
  va_start(ap, fmt);
  (void)usm__strbuf_vprintf(&m->last_error, fmt, ap);
  va_end(ap);
}

int usm__set_str(char **dst, const char *src) {
  char *d = NULL;
  if (src && !(d = usm__strdup(src))) return -1;
  free(*dst);
  *dst = d;
  return 0;
}

/* Stop everything that could call back: requests, waits, timers. */
static void quiesce(usm_meeting *m) {
  usm_client *c = m->client;
  if (!c) return;
  usm__mreq_cancel_all(m);
  usm__lazy_cancel(m->waiter);
  m->waiter = NULL;
  usm__lobby_stop(m);
  usm__watch_stop(m);
  usm__media_stop(m);
  usm__play_stop(m);
  if (m->prev)
    m->prev->next = m->next;
  else
    c->meetings = m->next;
  if (m->next) m->next->prev = m->prev;
  m->next = m->prev = NULL;
}

static void drop_locus(usm_meeting *m) {
  usm__locus_free(m->locus);
  free(m->locus);
  m->locus = NULL;
  cJSON_Delete(m->locus_json);
  m->locus_json = NULL;
  usm__ooo_clear(&m->ooo);
  usm__play_stop(m); /* a source plays for one join */
  usm__media_stop(m);
  usm__roap_free(m); /* a new join starts a new ROAP session */
}

void usm__captcha_clear(usm__captcha *k) {
  free(k->id);
  free(k->image);
  free(k->audio);
  free(k->refresh);
  memset(k, 0, sizeof *k);
}

static void meeting_free(usm_meeting *m) {
  drop_locus(m);
  usm__captcha_clear(&m->captcha);
  char **strs[] = {&m->person_email, &m->pmr_user, &m->pmr_org, &m->number,  &m->sip_uri,
                   &m->link,         &m->locus_url, &m->token,  &m->host_id, &m->meeting_id,
                   &m->title,        &m->alias,    &m->pin};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) free(*strs[i]);
  usm__strbuf_free(&m->last_error);
  m->magic = 0;
  free(m);
}

void usm__meetings_detach(usm_client *c) {
  while (c->meetings) {
    usm_meeting *m = c->meetings;
    quiesce(m); /* unlinks m */
    m->client = NULL;
    m->busy = 0;
  }
}

void usm_meeting_destroy(usm_meeting *m) {
  if (!valid(m)) return;
  quiesce(m);
  m->dead = 1;
  if (m->hold == 0) meeting_free(m);
}

usm_meeting *usm__meeting_hold(usm_meeting *m) {
  m->hold++;
  return m;
}

void usm__meeting_release(usm_meeting *m) {
  if (--m->hold == 0 && m->dead) meeting_free(m);
}

/* ---- calls into the application ------------------------------------------ */

int usm__meeting_enter(usm_meeting *m) {
  if (m->dead || !m->client || !usm__cb_begin(m->client)) return 0;
  m->hold++;
  return 1;
}

/* After the call: 0 when the meeting or the client is gone. */
int usm__meeting_leave(usm_meeting *m) {
  usm_client *c = m->client;
  m->hold--;
  usm__cb_end(c);
  if (m->dead) {
    if (m->hold == 0) meeting_free(m);
    return 0;
  }
  return !c->dead;
}

static int alive(const usm_meeting *m) { return !m->dead && m->client && !m->client->dead; }

int usm__meeting_emit(usm_meeting *m, const usm_event *ev) {
  if (!m->event_cb) return alive(m);
  if (!usm__meeting_enter(m)) return 0;
  usm_event e = *ev; /* every event tells the channel's current state */
  if (e.type != USM_EVENT_CONNECTION) e.connection = (usm_connection_state)m->client->events_state;
  m->event_cb(m, &e, m->event_user);
  return usm__meeting_leave(m);
}

int usm__meeting_call(usm_meeting *m, usm_meeting_done_cb cb, void *user, usm_err err, const char *msg) {
  if (err != USM_OK) {
    char copy[1024]; /* msg may be the last error itself */
    snprintf(copy, sizeof copy, "%s", msg && msg[0] ? msg : usm_strerror(err));
    usm__meeting_set_error(m, "%s", copy);
  }
  if (!cb) return alive(m);
  if (!usm__meeting_enter(m)) return 0;
  cb(m, err, err == USM_OK ? "" : usm__strbuf_str(&m->last_error), user);
  return usm__meeting_leave(m);
}

int usm__op_complete(usm_meeting *m, usm_err err, const char *msg) {
  usm_meeting_done_cb cb = m->op_cb;
  void *user = m->op_user;
  m->busy = 0;
  m->op_cb = NULL;
  m->op_user = NULL;
  return usm__meeting_call(m, cb, user, err, msg);
}

int usm__meeting_input(usm_meeting *m, usm__input in) {
  int next = usm__fsm_next(m->state, in);
  if (next < 0 || next == (int)m->state) return alive(m);
  usm_meeting_state was = m->state;
  m->state = (usm_meeting_state)next;
  usm__log(m->client, USM_LOG_INFO, "meeting: %s -> %s", usm_meeting_state_name(was),
           usm_meeting_state_name(m->state));
  if (was == USM_MEETING_IN_LOBBY) usm__lobby_stop(m);
  if (m->state == USM_MEETING_IN_LOBBY && usm__lobby_start(m) != USM_OK)
    usm__log(m->client, USM_LOG_WARN, "meeting: cannot keep the lobby alive (out of memory)");
  usm__watch_update(m);
  if (m->state == USM_MEETING_LEFT || m->state == USM_MEETING_ENDED) drop_locus(m);
  usm_event ev = {.type = USM_EVENT_STATE, .state = m->state};
  if (!usm__meeting_emit(m, &ev)) return 0;
  /* media follows the join: the offer needs self.url from the joined DTO */
  if (m->state == USM_MEETING_JOINED) return usm__media_start(m);
  return 1;
}

int usm__emit_password(usm_meeting *m) {
  usm_event ev = {.type = USM_EVENT_PASSWORD, .state = m->state};
  return usm__meeting_emit(m, &ev);
}

/* ---- creation -------------------------------------------------------------- */

usm_err usm_meetings_create(usm_client *c, const char *destination, usm_dest_type type, usm_meeting_done_cb cb,
                            void *user, usm_meeting **out) {
  if (out) *out = NULL;
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  usm__clear_error(c);
  if (!destination || !out) return usm__arg_error(c, "destination and out are required");
  usm_meeting *m = calloc(1, sizeof *m);
  if (!m) return USM_ERR_NO_MEMORY;
  usm_err e = usm_destination_parse(destination, type, &m->dest);
  if (e != USM_OK) {
    usm__set_error(c, "destination: %s", usm_strerror(e));
    free(m);
    return e;
  }
  m->magic = USM_MEETING_MAGIC;
  m->client = c;
  usm__ooo_init(&m->ooo);
  usm__strbuf_init(&m->last_error, 0);
  m->state = USM_MEETING_RESOLVING;
  m->password = USM_PASSWORD_UNKNOWN;
  m->next = c->meetings;
  if (c->meetings) c->meetings->prev = m;
  c->meetings = m;
  m->busy = 1;
  m->op_cb = cb;
  m->op_user = user;
  e = usm__info_start(m, USM__INFO_FOR_CREATE, NULL, NULL);
  if (e != USM_OK) {
    usm__set_error(c, "%s", usm__strbuf_str(&m->last_error)[0] ? usm__strbuf_str(&m->last_error) : usm_strerror(e));
    quiesce(m);
    meeting_free(m);
    return e;
  }
  usm__log(c, USM_LOG_INFO, "meeting: resolving a %s destination", usm_dest_type_name(m->dest.type));
  *out = m;
  return USM_OK;
}

void usm_meeting_set_event_cb(usm_meeting *m, usm_event_cb cb, void *user) {
  if (!valid(m)) return;
  m->event_cb = cb;
  m->event_user = cb ? user : NULL;
}

/* ---- accessors ------------------------------------------------------------- */

usm_meeting_state usm_meeting_get_state(const usm_meeting *m) { return valid(m) ? m->state : USM_MEETING_FAILED; }

usm_password_status usm_meeting_password_status(const usm_meeting *m) {
  return valid(m) ? m->password : USM_PASSWORD_UNKNOWN;
}

usm_err usm_meeting_captcha(const usm_meeting *m, usm_captcha *out) {
  if (!valid(m)) return USM_ERR_INVALID_HANDLE;
  if (!out) return USM_ERR_INVALID_ARG;
  if (!m->captcha.pending) return USM_ERR_WRONG_STATE;
  out->id = m->captcha.id;
  out->image_url = m->captcha.image;
  out->audio_url = m->captcha.audio;
  out->refresh_url = m->captcha.refresh;
  return USM_OK;
}

const char *usm_meeting_number(const usm_meeting *m) {
  if (!valid(m)) return NULL;
  return m->number ? m->number : m->locus ? m->locus->meeting_number : NULL;
}

const char *usm_meeting_sip_uri(const usm_meeting *m) {
  if (!valid(m)) return NULL;
  return m->sip_uri ? m->sip_uri : m->locus ? m->locus->sip_uri : NULL;
}

const char *usm_meeting_link(const usm_meeting *m) { return valid(m) ? m->link : NULL; }

size_t usm_meeting_participant_count(const usm_meeting *m) {
  return valid(m) && m->locus ? m->locus->n_roster : 0;
}

usm_err usm_meeting_participant(const usm_meeting *m, size_t i, usm_participant *out) {
  if (!valid(m)) return USM_ERR_INVALID_HANDLE;
  if (!out || !m->locus || i >= m->locus->n_roster) return USM_ERR_INVALID_ARG;
  usm__lpart_view(&m->locus->roster[i], out);
  return USM_OK;
}

usm_err usm_meeting_self(const usm_meeting *m, usm_participant *out) {
  if (!valid(m)) return USM_ERR_INVALID_HANDLE;
  if (!out) return USM_ERR_INVALID_ARG;
  if (!m->locus || !m->locus->has_self) return USM_ERR_WRONG_STATE;
  usm__lpart_view(&m->locus->self, out);
  return USM_OK;
}

const char *usm_meeting_last_error(const usm_meeting *m) {
  return valid(m) ? usm__strbuf_str(&m->last_error) : "";
}

const char *usm_meeting_state_name(usm_meeting_state s) {
  static const char *const names[] = {"resolving", "locked_out", "ready",  "joining", "in_lobby",
                                      "joined",    "left",       "ended", "failed"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}
