/* Applying Locus DTOs to the meeting (state, roster, host, lock events) and
 * the host's Locus calls: admit, assign host, invite, lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "core/dest_match.h"
#include "meeting/device.h"
#include "meeting/media_internal.h"
#include "meeting/meeting_internal.h"
#include "meeting/roster.h"
#include "rest/call.h"
#include "rest/json.h"
#include "rest/url.h"

#define MAX_ID 256
#define MAX_EMAIL 320

/* The state input a DTO means, or USM__IN_COUNT for none. */
static usm__input input_of(const usm__locus *l) {
  if (l->ended) return USM__IN_ENDED;
  if (!l->has_self) return USM__IN_COUNT;
  if (l->self.state == USM__P_JOINED) return USM__IN_SELF_JOINED;
  if (l->self_waiting) return USM__IN_SELF_LOBBY;
  if (l->self.state == USM__P_LEFT) return USM__IN_SELF_LEFT;
  return USM__IN_COUNT;
}

/* USM_EVENT_ROSTER, then USM_EVENT_MUTE when the change was a mute. */
static int roster_event(void *ctx, usm_roster_change change, const usm__lpart *p, const usm__lpart *was) {
  usm_meeting *m = ctx;
  usm_participant view;
  usm__lpart_view(p, &view);
  usm_event ev = {.type = USM_EVENT_ROSTER, .state = m->state, .participant = &view, .change = change};
  if (!usm__meeting_emit(m, &ev)) return 0;
  if (!was || (was->audio_muted == p->audio_muted && was->video_muted == p->video_muted)) return 1;
  if (p->is_self) /* muted by the host, or our own request confirmed: send accordingly */
    usm__media_set_muted(m, p->audio_muted == 1, p->video_muted == 1);
  usm__lpart_view(p, &view); /* the application may not keep or change it */
  usm_event mute = {.type = USM_EVENT_MUTE, .state = m->state, .participant = &view};
  return usm__meeting_emit(m, &mute);
}

static int same_id(const usm__lpart *a, const usm__lpart *b) {
  if (!a || !b) return a == b;
  return strcmp(a->id, b->id) == 0;
}

/* Roster, host and lock differences between @p old and the current locus. */
static int emit_changes(usm_meeting *m, const usm__locus *old) {
  if (!usm__roster_diff(old, m->locus, roster_event, m)) return 0;
  const usm__lpart *was = usm__roster_host(old), *host = usm__roster_host(m->locus);
  if (!same_id(was, host)) {
    usm_participant view;
    if (host) usm__lpart_view(host, &view);
    usm_event ev = {.type = USM_EVENT_HOST, .state = m->state, .participant = host ? &view : NULL};
    if (!usm__meeting_emit(m, &ev)) return 0;
  }
  int was_locked = old ? old->locked : 0;
  if (m->locus->locked != was_locked) {
    usm_event ev = {.type = USM_EVENT_LOCK, .state = m->state, .locked = m->locus->locked};
    if (!usm__meeting_emit(m, &ev)) return 0;
  }
  return 1;
}

/* Held deltas after a full DTO: those it completes apply now. */
static int release_held(usm_meeting *m) {
  usm__delta_result res;
  if (usm__locus_delta_release(m->locus_json, &m->ooo, &res) != USM_OK)
    usm__log(m->client, USM_LOG_WARN, "locus: held deltas could not be merged; syncing");
  if (res.need_sync)
    usm__watch_sync(m);
  else
    usm__watch_hold(m, m->ooo.n > 0);
  usm_err e;
  return res.applied ? usm__meeting_apply_dto(m, m->locus_json, &e) : 1;
}

int usm__meeting_apply_dto(usm_meeting *m, const cJSON *dto, usm_err *err) {
  *err = USM_OK;
  if (m->state != USM_MEETING_JOINING && m->state != USM_MEETING_IN_LOBBY && m->state != USM_MEETING_JOINED)
    return 1; /* a late answer after leaving: nothing to show */
  const usm__device_info *dev = usm__device(m->client);
  usm__locus *cur = calloc(1, sizeof *cur);
  if (!cur) {
    *err = USM_ERR_NO_MEMORY;
    return 1;
  }
  *err = usm__locus_parse(dto, dev ? dev->url : NULL, cur);
  if (*err != USM_OK || !usm__locus_newer(m->locus, cur)) {
    if (*err != USM_OK) usm__log(m->client, USM_LOG_WARN, "locus: unusable DTO (%s)", usm_err_name(*err));
    usm__locus_free(cur);
    free(cur);
    return 1;
  }
  if (!m->locus_url || strcmp(m->locus_url, cur->url) != 0) usm__set_str(&m->locus_url, cur->url);
  int replaced = dto != m->locus_json;
  if (replaced) {
    /* the new working copy for Mercury deltas; without one, a delta means a sync */
    cJSON_Delete(m->locus_json);
    m->locus_json = cJSON_Duplicate(dto, 1);
  }
  usm__locus *old = m->locus;
  m->locus = cur;
  int alive = 1;
  usm__input in = input_of(cur);
  if (in != USM__IN_COUNT) alive = usm__meeting_input(m, in);
  /* LEFT and ENDED drop the roster; then there is nothing more to show */
  if (alive && m->locus) alive = emit_changes(m, old);
  usm__locus_free(old);
  free(old);
  if (alive && replaced && m->locus_json && m->ooo.n) alive = release_held(m);
  return alive;
}

int usm__meeting_apply_delta(usm_meeting *m, cJSON *delta) {
  if (!m->locus_json) {
    cJSON_Delete(delta);
    usm__watch_sync(m);
    return 1;
  }
  usm__delta_result res;
  usm_err e = usm__locus_delta_feed(m->locus_json, &m->ooo, delta, &res);
  if (e != USM_OK) usm__log(m->client, USM_LOG_WARN, "locus: delta not applied (%s)", usm_err_name(e));
  if (res.need_sync) {
    usm__watch_sync(m);
  } else {
    usm__watch_hold(m, m->ooo.n > 0);
  }
  if (res.applied == 0) return 1;
  usm_err pe;
  return usm__meeting_apply_dto(m, m->locus_json, &pe);
}

/* ---- host actions ------------------------------------------------------------ */

static void on_action(usm_meeting *m, usm__mreq *q, const usm_http_result *r) {
  char detail[1024] = "";
  usm_err e = r->status.err;
  if (e != USM_OK) {
    e = usm__locus_err(r, 0);
    usm__http_detail(r, detail, sizeof detail);
    if (e == USM_ERR_MEETING_NOT_ACTIVE && !usm__meeting_input(m, USM__IN_ENDED)) return;
  } else {
    cJSON *root = usm__json_parse(r->status.body, r->body_len);
    usm_err pe;
    int alive = usm__meeting_apply_dto(m, usm__locus_of(root), &pe);
    cJSON_Delete(root);
    if (!alive) return;
    /* the cloud acted; a DTO we cannot read only costs us the update */
  }
  usm__meeting_call(m, q->cb, q->user, e, detail);
}

/* Guard, build "{locus_url}[/suffix]" and send @p o (consumed) with the sequence added when @p seq. */
static usm_err action(usm_meeting *m, usm__op op, const char *method, const char *suffix, const char *id,
                      const char *tail, cJSON *o, int seq, usm_meeting_done_cb cb, void *user) {
  usm__strbuf_reset(&m->last_error);
  usm__guard g = {.state = m->state, .password = m->password, .captcha_pending = m->captcha.pending, .busy = m->busy};
  char why[256];
  usm_err e = usm__fsm_guard(&g, op, why, sizeof why);
  if (e == USM_OK && !m->locus_url) {
    snprintf(why, sizeof why, "%s: no locus known", usm__op_name(op));
    e = USM_ERR_WRONG_STATE;
  }
  if (e != USM_OK) {
    cJSON_Delete(o);
    usm__meeting_set_error(m, "%s", why);
    return e;
  }
  /* "delta" requests carry the last sequence seen, as the official SDK does */
  if (seq && o && m->locus && m->locus->sequence) {
    cJSON *s = cJSON_Duplicate(m->locus->sequence, 1);
    if (!s || !cJSON_AddItemToObject(o, "sequence", s)) {
      cJSON_Delete(s);
      cJSON_Delete(o);
      return USM_ERR_NO_MEMORY;
    }
  }
  char *body = o ? cJSON_PrintUnformatted(o) : NULL;
  int oom = o && !body;
  cJSON_Delete(o);
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  oom |= usm__strbuf_printf(&url, "%s%s", m->locus_url, suffix) != 0;
  if (id) oom |= usm__url_append_escaped(&url, id) != 0;
  if (tail) oom |= usm__strbuf_printf(&url, "%s", tail) != 0;
  e = oom ? USM_ERR_NO_MEMORY : usm__mreq_send(m, method, url.data, body, USM__MREQ_LOCUS, on_action, cb, user);
  if (e != USM_OK) usm__meeting_set_error(m, "%s: %s", usm__op_name(op), usm_strerror(e));
  usm__strbuf_free(&url);
  cJSON_free(body);
  return e;
}

static usm_err id_arg(usm_meeting *m, const char *id, const char *what) {
  if (usm__arg_ok(id, MAX_ID)) return USM_OK;
  usm__meeting_set_error(m, "%s: participant_id must be 1..256 bytes without control characters", what);
  return USM_ERR_INVALID_ARG;
}

usm_err usm_meeting_admit(usm_meeting *m, const char *participant_id, usm_meeting_done_cb cb, void *user) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  if (id_arg(m, participant_id, "admit")) return USM_ERR_INVALID_ARG;
  cJSON *o = cJSON_CreateObject(), *admit = cJSON_AddObjectToObject(o, "admit");
  cJSON *ids = admit ? cJSON_AddArrayToObject(admit, "participantIds") : NULL;
  cJSON *id = cJSON_CreateString(participant_id);
  if (!ids || !id || !cJSON_AddItemToArray(ids, id)) {
    cJSON_Delete(id);
    cJSON_Delete(o);
    return USM_ERR_NO_MEMORY;
  }
  return action(m, USM__OP_ADMIT, "PUT", "/controls", NULL, NULL, o, 1, cb, user);
}

usm_err usm_meeting_assign_host(usm_meeting *m, const char *participant_id, usm_meeting_done_cb cb, void *user) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  if (id_arg(m, participant_id, "assign_host")) return USM_ERR_INVALID_ARG;
  cJSON *o = cJSON_CreateObject(), *role = cJSON_AddObjectToObject(o, "role");
  if (!role || !cJSON_AddTrueToObject(role, "moderator")) {
    cJSON_Delete(o);
    return USM_ERR_NO_MEMORY;
  }
  return action(m, USM__OP_ASSIGN_HOST, "PATCH", "/participant/", participant_id, "/controls", o, 1, cb, user);
}

usm_err usm_meeting_invite(usm_meeting *m, const char *email, usm_meeting_done_cb cb, void *user) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  /* the official SDK's VALID_EMAIL_ADDRESS rule (dest_match.c) */
  if (!email || strnlen(email, MAX_EMAIL + 1) > MAX_EMAIL || !usm__email_match(email, strlen(email)) ||
      !usm__arg_ok(email, MAX_EMAIL)) {
    usm__strbuf_reset(&m->last_error);
    usm__meeting_set_error(m, "invite: not a valid email address");
    return USM_ERR_INVALID_ARG;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON *list = cJSON_AddArrayToObject(o, "invitees"), *inv = list ? cJSON_CreateObject() : NULL;
  if (inv && !cJSON_AddItemToArray(list, inv)) {
    cJSON_Delete(inv);
    inv = NULL;
  }
  if (!inv || !cJSON_AddStringToObject(inv, "address", email) || !cJSON_AddTrueToObject(o, "alertIfActive")) {
    cJSON_Delete(o);
    return USM_ERR_NO_MEMORY;
  }
  return action(m, USM__OP_INVITE, "PUT", "", NULL, NULL, o, 1, cb, user);
}

usm_err usm_meeting_mute(usm_meeting *m, const char *participant_id, int audio, int video, usm_meeting_done_cb cb,
                         void *user) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  usm__strbuf_reset(&m->last_error);
  if (audio < -1 || audio > 1 || video < -1 || video > 1 || (audio < 0 && video < 0)) {
    usm__meeting_set_error(m, "mute: audio and video must be -1, 0 or 1, not both -1");
    return USM_ERR_INVALID_ARG;
  }
  if (participant_id && id_arg(m, participant_id, "mute")) return USM_ERR_INVALID_ARG;
  if (!participant_id) {
    if (!m->locus || !m->locus->has_self) {
      usm__meeting_set_error(m, "mute: not in the meeting");
      return m->state == USM_MEETING_JOINED ? USM_ERR_WRONG_STATE : USM_ERR_NOT_JOINED;
    }
    participant_id = m->locus->self.id;
  }
  if (m->locus && m->locus->has_self && strcmp(participant_id, m->locus->self.id) == 0)
    usm__media_set_muted(m, audio, video); /* a mute stops sending at once, before the cloud answers */
  cJSON *o = cJSON_CreateObject();
  int ok = o != NULL;
  const char *const keys[] = {"audio", "video"};
  const int want[] = {audio, video};
  for (int i = 0; i < 2 && ok; i++) {
    if (want[i] < 0) continue;
    cJSON *k = cJSON_AddObjectToObject(o, keys[i]);
    ok = k && cJSON_AddBoolToObject(k, "muted", want[i]);
  }
  if (!ok) {
    cJSON_Delete(o);
    return USM_ERR_NO_MEMORY;
  }
  return action(m, USM__OP_MUTE, "PATCH", "/participant/", participant_id, "/controls", o, 0, cb, user);
}

usm_err usm_meeting_lock(usm_meeting *m, int locked, usm_meeting_done_cb cb, void *user) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  if (locked != 0 && locked != 1) {
    usm__meeting_set_error(m, "lock: locked must be 0 or 1");
    return USM_ERR_INVALID_ARG;
  }
  cJSON *o = cJSON_CreateObject(), *lock = cJSON_AddObjectToObject(o, "lock");
  if (!lock || !cJSON_AddBoolToObject(lock, "locked", locked)) {
    cJSON_Delete(o);
    return USM_ERR_NO_MEMORY;
  }
  /* the contract's lock body carries no sequence */
  return action(m, USM__OP_LOCK, "PATCH", "/controls", NULL, NULL, o, 0, cb, user);
}
