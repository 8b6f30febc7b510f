/* Joining (PROTOCOL.md §3.1), leaving and ending. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/client_internal.h"
#include "meeting/device.h"
#include "meeting/info.h"
#include "meeting/jwt.h"
#include "meeting/meeting_internal.h"
#include "rest/call.h"
#include "rest/discovery.h"
#include "rest/json.h"
#include "rest/url.h"

#define MAX_ALIAS 256
#define MAX_PIN 64

void usm_join_options_init(usm_join_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->struct_size = sizeof *o;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A fresh random (version 4) UUID for the join's correlationId. */
static void new_correlation_id(usm_meeting *m) {
  unsigned char b[16];
  if (uv_random(NULL, NULL, b, sizeof b, 0, NULL) != 0)
    for (size_t i = 0; i < sizeof b; i++) b[i] = (unsigned char)usm__rand(m->client, 256);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(m->correlation_id, sizeof m->correlation_id,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
           b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* {"device":{...},"correlationId":...} shared by join and leave. */
cJSON *usm__meeting_device_body(usm_meeting *m, int url_first) {
  const usm__device_info *dev = usm__device(m->client);
  cJSON *o = cJSON_CreateObject(), *d = cJSON_AddObjectToObject(o, "device");
  int ok = o && d && dev;
  if (ok && url_first) ok = cJSON_AddStringToObject(d, "url", dev->url) && cJSON_AddStringToObject(d, "deviceType", "WEB");
  if (ok && !url_first) ok = cJSON_AddStringToObject(d, "deviceType", "WEB") && cJSON_AddStringToObject(d, "url", dev->url);
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static void on_join(usm_meeting *m, usm__mreq *q, const usm_http_result *r) {
  (void)q;
  char detail[1024];
  if (r->status.err != USM_OK) {
    usm_err e = usm__locus_err(r, 1);
    usm__http_detail(r, detail, sizeof detail);
    if (usm__meeting_input(m, USM__IN_JOIN_FAILED)) usm__op_complete(m, e, detail);
    return;
  }
  cJSON *root = usm__json_parse(r->status.body, r->body_len);
  usm_err e = USM_OK;
  int alive = usm__meeting_apply_dto(m, usm__locus_of(root), &e);
  cJSON_Delete(root);
  if (!alive) return;
  if (e == USM_OK && (m->state == USM_MEETING_JOINED || m->state == USM_MEETING_IN_LOBBY)) {
    usm__op_complete(m, USM_OK, "");
    return;
  }
  if (m->state == USM_MEETING_ENDED) {
    usm__op_complete(m, USM_ERR_MEETING_NOT_ACTIVE, "the meeting is not active");
    return;
  }
  snprintf(detail, sizeof detail, "%s", e != USM_OK ? "the join answer holds no usable locus"
                                                    : "the join answer shows us neither joined nor waiting");
  if (usm__meeting_input(m, USM__IN_JOIN_FAILED)) usm__op_complete(m, e != USM_OK ? e : USM_ERR_JOIN_FAILED, detail);
}

usm_err usm__join_locus(usm_meeting *m) {
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  int via_call = !m->locus_url;
  const char *address = m->link ? m->link : m->sip_uri;
  char why[256], wbxmn[USM__INFO_STR_MAX + 8]; /* "wbxmn:" + a bounded number */
  if (via_call) {
    /* no locus yet: call the meeting by its address (the official SDK's /loci/call) */
    const char *locus = usm__service_need(m->client, "locus", why, sizeof why);
    if (!locus) {
      usm__meeting_set_error(m, "%s", why);
      return USM_ERR_BAD_RESPONSE;
    }
    if (!address && m->number) {
      snprintf(wbxmn, sizeof wbxmn, "wbxmn:%s", m->number);
      address = wbxmn;
    }
    if (!address) {
      usm__meeting_set_error(m, "join: the meeting info names no locus and no address");
      return USM_ERR_JOIN_FAILED;
    }
    if (usm__strbuf_printf(&url, "%s/loci/call?alternateRedirect=true", locus)) {
      usm__strbuf_free(&url);
      return USM_ERR_NO_MEMORY;
    }
  } else if (usm__strbuf_printf(&url, "%s/participant?alternateRedirect=true", m->locus_url)) {
    return USM_ERR_NO_MEMORY;
  }
  new_correlation_id(m);
  cJSON *o = usm__meeting_device_body(m, 1);
  int ok = o && cJSON_AddStringToObject(o, "correlationId", m->correlation_id) &&
           cJSON_AddTrueToObject(o, "respOnlySdp") && cJSON_AddTrueToObject(o, "allowMultiDevice") &&
           cJSON_AddNumberToObject(o, "supportsNativeLobby", 1);
  if (ok && m->token) ok = cJSON_AddStringToObject(o, "permissionToken", m->token) != NULL;
  if (ok && m->moderator) ok = cJSON_AddTrueToObject(o, "moderator") != NULL;
  if (ok && m->pin) ok = cJSON_AddStringToObject(o, "pin", m->pin) != NULL;
  if (ok && m->alias) ok = cJSON_AddStringToObject(o, "alias", m->alias) != NULL;
  if (ok && via_call) {
    cJSON *inv = cJSON_AddObjectToObject(o, "invitee");
    ok = inv && cJSON_AddStringToObject(inv, "address", address);
  }
  char *body = ok ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  usm_err e = body ? usm__mreq_send(m, "POST", url.data, body, USM__MREQ_LOCUS | USM__MREQ_FINAL_423, on_join, NULL, NULL)
                   : USM_ERR_NO_MEMORY;
  cJSON_free(body);
  usm__strbuf_free(&url);
  return e;
}

/* The media settings of the join options (fields after `media`; an older
 * caller's struct_size leaves them at their defaults). */
static usm_err copy_media_options(usm_meeting *m, const usm_join_options *o, char *why, size_t cap) {
  usm_join_options d;
  usm_join_options_init(&d);
  if (o->struct_size >= sizeof *o) d = *o;
  if (d.audio_channels > 2) {
    snprintf(why, cap, "join: audio_channels must be 0, 1 or 2");
    return USM_ERR_INVALID_ARG;
  }
  if (d.video_codec && strcmp(d.video_codec, "VP8") != 0 && strcmp(d.video_codec, "H264") != 0) {
    snprintf(why, cap, "join: video_codec must be \"VP8\", \"H264\" or NULL");
    return USM_ERR_INVALID_ARG;
  }
  if (d.stats_interval_ms && d.stats_interval_ms < 100) {
    snprintf(why, cap, "join: stats_interval_ms must be 0 or at least 100");
    return USM_ERR_INVALID_ARG;
  }
  m->audio_channels = d.audio_channels ? d.audio_channels : 1;
  m->audio_max_bitrate = d.audio_max_bitrate;
  m->video_max_bitrate = d.video_max_bitrate;
  snprintf(m->video_codec, sizeof m->video_codec, "%s", d.video_codec ? d.video_codec : "VP8");
  m->stats_interval_ms = d.stats_interval_ms;
  return USM_OK;
}

static usm_err copy_options(usm_meeting *m, const usm_join_options *o, char *why, size_t cap) {
  usm_join_options def;
  usm_join_options_init(&def);
  if (!o) o = &def;
  /* struct_size tells which fields the caller's header had (media came later) */
  if (o->struct_size < offsetof(usm_join_options, media)) {
    snprintf(why, cap, "join: usm_join_options not initialised with usm_join_options_init()");
    return USM_ERR_INVALID_ARG;
  }
  if (o->display_name && (!usm__arg_ok(o->display_name, MAX_ALIAS) || !usm__text_ok(o->display_name, MAX_ALIAS))) {
    snprintf(why, cap, "join: display_name must be 1..256 bytes of UTF-8 without control characters");
    return USM_ERR_INVALID_ARG;
  }
  if (o->pin && !usm__arg_ok(o->pin, MAX_PIN)) {
    snprintf(why, cap, "join: pin must be 1..64 bytes without control characters");
    return USM_ERR_INVALID_ARG;
  }
  if (o->moderator != 0 && o->moderator != 1) {
    snprintf(why, cap, "join: moderator must be 0 or 1");
    return USM_ERR_INVALID_ARG;
  }
  if (usm__set_str(&m->alias, o->display_name) || usm__set_str(&m->pin, o->pin)) return USM_ERR_NO_MEMORY;
  m->moderator = o->moderator;
  unsigned media = o->struct_size >= offsetof(usm_join_options, media) + sizeof o->media ? o->media : 0;
  if (media & ~USM_MEDIA_ALL) {
    snprintf(why, cap, "join: media holds unknown bits (use USM_MEDIA_*)");
    return USM_ERR_INVALID_ARG;
  }
  m->media_flags = media;
  return copy_media_options(m, o, why, cap);
}

usm_err usm_meeting_join(usm_meeting *m, const usm_join_options *opts, usm_meeting_done_cb cb, void *user) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  usm__strbuf_reset(&m->last_error);
  usm__guard g = {.state = m->state, .password = m->password, .captcha_pending = m->captcha.pending, .busy = m->busy};
  char why[256];
  usm_err e = usm__fsm_guard(&g, USM__OP_JOIN, why, sizeof why);
  if (e == USM_OK) e = copy_options(m, opts, why, sizeof why);
  if (e == USM_OK && !usm__device(m->client)) {
    snprintf(why, sizeof why, "join: the client has no registered device");
    e = USM_ERR_WRONG_STATE;
  }
  if (e != USM_OK) {
    usm__meeting_set_error(m, "%s", e == USM_ERR_NO_MEMORY ? usm_strerror(e) : why);
    return e;
  }
  usm_meeting_state was = m->state;
  m->state = (usm_meeting_state)usm__fsm_next(was, USM__IN_JOIN_START); /* no event: the caller knows */
  m->busy = 1;
  m->op_cb = cb;
  m->op_user = user;
  /* An expiring permission token is renewed first (official SDK: ≤ 30 s left). */
  if (m->token && usm__token_needs_refresh(m->token, now_ms()))
    e = usm__info_start(m, USM__INFO_FOR_JOIN, NULL, NULL);
  else
    e = usm__join_locus(m);
  if (e != USM_OK) {
    m->state = was;
    m->busy = 0;
    m->op_cb = NULL;
    if (!usm__strbuf_str(&m->last_error)[0]) usm__meeting_set_error(m, "join: %s", usm_strerror(e));
    return e;
  }
  /* Open the event channel now: the sync after it comes online catches up
   * on anything that happened between the join answer and the first event. */
  usm__events_start(m);
  return USM_OK;
}

/* ---- leave and end ---------------------------------------------------------- */

static void on_left(usm_meeting *m, usm__mreq *q, const usm_http_result *r) {
  (void)q;
  char detail[1024] = "";
  usm_err e = r->status.err;
  usm__input in = USM__IN_SELF_LEFT;
  if (e != USM_OK) {
    e = usm__locus_err(r, 0);
    usm__http_detail(r, detail, sizeof detail);
    in = e == USM_ERR_MEETING_NOT_ACTIVE ? USM__IN_ENDED : USM__IN_COUNT;
  }
  if (in != USM__IN_COUNT && !usm__meeting_input(m, in)) return;
  usm__op_complete(m, e, detail);
}

static void on_ended(usm_meeting *m, usm__mreq *q, const usm_http_result *r) {
  (void)q;
  char detail[1024] = "";
  usm_err e = r->status.err;
  if (e != USM_OK) {
    e = usm__locus_err(r, 0);
    usm__http_detail(r, detail, sizeof detail);
  }
  if ((e == USM_OK || e == USM_ERR_MEETING_NOT_ACTIVE) && !usm__meeting_input(m, USM__IN_ENDED)) return;
  usm__op_complete(m, e, detail);
}

/* Guard a flow call on a joined (or waiting) meeting and start it. */
static usm_err flow_call(usm_meeting *m, usm__op op, usm_meeting_done_cb cb, void *user, const char *method,
                         const char *url, const char *body, unsigned flags, usm__mreq_fn on_done) {
  m->busy = 1;
  m->op_cb = cb;
  m->op_user = user;
  usm_err e = usm__mreq_send(m, method, url, body, flags, on_done, NULL, NULL);
  if (e != USM_OK) {
    m->busy = 0;
    m->op_cb = NULL;
    usm__meeting_set_error(m, "%s: %s", usm__op_name(op), usm_strerror(e));
  }
  return e;
}

static usm_err guard(usm_meeting *m, usm__op op) {
  usm__strbuf_reset(&m->last_error);
  usm__guard g = {.state = m->state, .password = m->password, .captcha_pending = m->captcha.pending, .busy = m->busy};
  char why[256];
  usm_err e = usm__fsm_guard(&g, op, why, sizeof why);
  if (e == USM_OK && (!m->locus_url || !m->locus)) {
    snprintf(why, sizeof why, "%s: no locus known", usm__op_name(op));
    e = USM_ERR_WRONG_STATE;
  }
  if (e != USM_OK) usm__meeting_set_error(m, "%s", why);
  return e;
}

usm_err usm_meeting_leave(usm_meeting *m, usm_meeting_done_cb cb, void *user) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  usm_err e = guard(m, USM__OP_LEAVE);
  if (e != USM_OK) return e;
  if (!m->locus->has_self) {
    usm__meeting_set_error(m, "leave: the locus names no self");
    return USM_ERR_WRONG_STATE;
  }
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  cJSON *o = usm__meeting_device_body(m, 0);
  int ok = o && cJSON_AddNullToObject(o, "usingResource") &&
           cJSON_AddStringToObject(o, "correlationId", m->correlation_id);
  char *body = ok ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  e = !body || usm__strbuf_printf(&url, "%s/participant/", m->locus_url) ||
              usm__url_append_escaped(&url, m->locus->self.id) || usm__strbuf_printf(&url, "/leave")
          ? USM_ERR_NO_MEMORY
          : flow_call(m, USM__OP_LEAVE, cb, user, "PUT", url.data, body, USM__MREQ_LOCUS | USM__MREQ_IDEMPOTENT,
                      on_left);
  cJSON_free(body);
  usm__strbuf_free(&url);
  return e;
}

usm_err usm_meeting_end(usm_meeting *m, usm_meeting_done_cb cb, void *user) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  usm_err e = guard(m, USM__OP_END);
  if (e != USM_OK) return e;
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  e = usm__strbuf_printf(&url, "%s/end", m->locus_url)
          ? USM_ERR_NO_MEMORY
          : flow_call(m, USM__OP_END, cb, user, "POST", url.data, NULL, USM__MREQ_LOCUS | USM__MREQ_IDEMPOTENT,
                      on_ended);
  usm__strbuf_free(&url);
  return e;
}
