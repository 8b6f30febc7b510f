/* From destination to meeting info: device, person lookup, POST meetingInfo,
 * and the password / captcha state machine of PROTOCOL.md §2.4. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "core/hydra.h"
#include "meeting/device.h"
#include "meeting/info.h"
#include "meeting/meeting_internal.h"
#include "rest/call.h"
#include "rest/discovery.h"
#include "rest/json.h"
#include "rest/url.h"

#define MAX_PASSWORD 1024
#define MAX_CAPTCHA_CODE 64

static usm_err send_info(usm_meeting *m, const char *password, const char *captcha_code);
static usm_err refresh_start(usm_meeting *m);

/* Worth another try (keeps a locked-out meeting locked out) or final. */
static usm__input failure_input(usm_err err) {
  return err == USM_ERR_NETWORK || err == USM_ERR_TIMEOUT || err == USM_ERR_SERVER || err == USM_ERR_RATE_LIMITED ||
                 err == USM_ERR_NO_MEMORY
             ? USM__IN_INFO_TRANSIENT
             : USM__IN_INFO_FAILED;
}

/* The information flow failed before any meeting-info answer. */
static void early_failure(usm_meeting *m, usm_err err, const char *msg) {
  usm__input in = failure_input(err);
  char copy[1024];
  snprintf(copy, sizeof copy, "%s", msg && msg[0] ? msg : usm_strerror(err));
  if (usm__meeting_input(m, in)) usm__op_complete(m, err, copy);
}

/* ---- resolving the destination --------------------------------------------- */

/* "<id part>" of a Hydra id, or the value itself when it is not one. */
static char *bare_id(const char *v) {
  usm__hydra_id h;
  if (v && usm__hydra_decode(v, strlen(v), &h) == 0) return usm__strdup(h.id);
  return usm__strdup(v);
}

static void on_person(usm_meeting *m, usm__mreq *q, const usm_http_result *r) {
  (void)q;
  char detail[1024];
  if (r->status.err != USM_OK) {
    usm__http_detail(r, detail, sizeof detail);
    if (r->status.http_status == 404) {
      char msg[1100];
      snprintf(msg, sizeof msg, "no such person: %s", detail);
      early_failure(m, USM_ERR_NO_MEETING_INFO, msg);
    } else {
      early_failure(m, r->status.err, detail);
    }
    return;
  }
  cJSON *root = usm__json_parse(r->status.body, r->body_len);
  usm_err e = USM_OK;
  const char *why = NULL;
  if (m->dest.type == USM_DEST_PERSON_ID) {
    const cJSON *emails = cJSON_GetObjectItemCaseSensitive(root, "emails");
    const cJSON *first = cJSON_IsArray(emails) ? cJSON_GetArrayItem(emails, 0) : NULL;
    const char *email = cJSON_IsString(first) && strlen(first->valuestring) <= 1024 ? first->valuestring : NULL;
    if (!email || !email[0]) {
      e = USM_ERR_INVALID_DESTINATION;
      why = "Hydra Id Lookup was an invalid hydra person id.";
    } else if (usm__set_str(&m->person_email, email) != 0) {
      e = USM_ERR_NO_MEMORY;
    }
  } else { /* personal room of a person given by id */
    const char *id = usm__json_str(root, "id"), *org = usm__json_str(root, "orgId");
    if (!id || !org || strlen(id) > 1024 || strlen(org) > 1024) {
      e = USM_ERR_BAD_RESPONSE;
      why = "the people API answered without id and orgId";
    } else {
      free(m->pmr_user);
      free(m->pmr_org);
      m->pmr_user = bare_id(id);
      m->pmr_org = bare_id(org);
      if (!m->pmr_user || !m->pmr_org) e = USM_ERR_NO_MEMORY;
    }
  }
  cJSON_Delete(root);
  if (e == USM_OK) e = send_info(m, NULL, NULL);
  if (e != USM_OK) early_failure(m, e, why ? why : usm_strerror(e));
}

static usm_err lookup_person(usm_meeting *m, const char *uuid, const char *cluster) {
  const char *base = usm__api_base(m->client);
  if (!base) {
    usm__meeting_set_error(m, "service discovery: the catalog has no usable \"hydra\" URL");
    return USM_ERR_BAD_RESPONSE;
  }
  char hydra[USM__HYDRA_MAX + 1];
  if (usm__hydra_encode(cluster[0] ? cluster : "us", "PEOPLE", uuid, hydra, sizeof hydra) < 0)
    return USM_ERR_INVALID_DESTINATION;
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = usm__strbuf_printf(&url, "%s/people/", base) || usm__url_append_escaped(&url, hydra)
                  ? USM_ERR_NO_MEMORY
                  : usm__mreq_send(m, "GET", url.data, NULL, USM__MREQ_IDEMPOTENT, on_person, NULL, NULL);
  usm__strbuf_free(&url);
  return e;
}

/* Resolve what the destination needs, then ask for the info. */
static usm_err resolve(usm_meeting *m) {
  const usm_destination *d = &m->dest;
  if (d->type == USM_DEST_PERSON_ID && !m->person_email) return lookup_person(m, d->value, d->cluster);
  if (d->type == USM_DEST_PERSONAL_ROOM && !(d->flags & USM_DEST_F_EMAIL) && !m->pmr_user) {
    if (d->value[0]) return lookup_person(m, d->value, d->cluster);
    /* "": one's own room, known from the device registration */
    const usm__device_info *dev = usm__device(m->client);
    if (!dev || !dev->user_id || !dev->org_id) {
      usm__meeting_set_error(m, "the device registration named no userId and orgId");
      return USM_ERR_BAD_RESPONSE;
    }
    if (usm__set_str(&m->pmr_user, dev->user_id) || usm__set_str(&m->pmr_org, dev->org_id)) return USM_ERR_NO_MEMORY;
  }
  return send_info(m, NULL, NULL);
}

static void on_device(usm_client *c, usm_err err, const char *message, void *ctx) {
  (void)c;
  usm_meeting *m = ctx;
  m->waiter = NULL;
  if (err == USM_OK) err = resolve(m);
  if (err != USM_OK)
    early_failure(m, err, message && message[0] ? message : usm__strbuf_str(&m->last_error));
}

usm_err usm__info_start(usm_meeting *m, usm__info_purpose why, const char *password, const char *captcha_code) {
  m->info_for = why;
  if (why != USM__INFO_FOR_CREATE) return send_info(m, password, captcha_code);
  int ready;
  usm_err e = usm__device_wait(m->client, on_device, NULL, m, &m->waiter, &ready);
  if (e == USM_OK && ready) e = resolve(m);
  return e;
}

/* ---- meeting info ----------------------------------------------------------- */

/* Copy what the info names; a field the answer lacks keeps its old value. */
static int keep_info(usm_meeting *m, const usm__info_result *r, int full) {
  struct {
    char **dst;
    const char *src;
  } f[] = {
    {&m->number, r->meeting_number}, {&m->sip_uri, r->sip_url}, {&m->link, r->join_url},
    {&m->locus_url, r->locus_url},   {&m->token, r->permission_token}, {&m->host_id, r->host_id ? r->host_id : r->owner},
    {&m->meeting_id, r->meeting_id}, {&m->title, r->title},
  };
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
    if (!f[i].src && !(full && f[i].dst == &m->token)) continue;
    if (usm__set_str(f[i].dst, f[i].src) != 0) return -1;
  }
  return 0;
}

static int set_captcha(usm_meeting *m, const char *id, const char *image, const char *audio, const char *refresh) {
  usm__captcha k = {.pending = 1};
  k.id = usm__strdup(id);
  k.image = usm__strdup(image);
  k.audio = usm__strdup(audio);
  k.refresh = usm__strdup(refresh);
  if (!k.id || (image && !k.image) || (audio && !k.audio) || (refresh && !k.refresh)) {
    usm__captcha_clear(&k);
    return -1;
  }
  usm__captcha_clear(&m->captcha);
  m->captcha = k;
  return 0;
}

static void info_detail(const usm_http_result *h, const usm__info_result *r, char *buf, size_t cap) {
  int n = snprintf(buf, cap, "%s", h->status.message && h->status.message[0] ? h->status.message
                                                                             : usm_strerror(r->err));
  if (n >= 0 && (size_t)n < cap && r->code) n += snprintf(buf + n, cap - (size_t)n, " (code %ld)", r->code);
  if (n >= 0 && (size_t)n < cap && h->status.tracking_id)
    snprintf(buf + n, cap - (size_t)n, " trackingId=%s", h->status.tracking_id);
}

/* The answer was good: finish the operation it was for. */
static void info_ok(usm_meeting *m) {
  if (m->info_for != USM__INFO_FOR_JOIN) {
    usm__op_complete(m, USM_OK, "");
    return;
  }
  usm_err e = usm__join_locus(m);
  if (e != USM_OK && usm__meeting_input(m, USM__IN_JOIN_FAILED))
    usm__op_complete(m, e, usm_strerror(e));
}

static void on_info(usm_meeting *m, usm__mreq *q, const usm_http_result *h) {
  (void)q;
  usm__info_result r;
  usm__info_classify(h->status.http_status, h->status.err, h->status.body, h->body_len, &r);
  char detail[1024];
  info_detail(h, &r, detail, sizeof detail);
  usm_password_status pw_was = m->password;
  int captcha_was = m->captcha.pending, oom = 0;
  usm__input in;
  switch (r.kind) {
    case USM__INFO_OK:
      oom = keep_info(m, &r, 1);
      m->password = pw_was == USM_PASSWORD_REQUIRED || pw_was == USM_PASSWORD_VERIFIED ? USM_PASSWORD_VERIFIED
                                                                                       : USM_PASSWORD_NOT_REQUIRED;
      usm__captcha_clear(&m->captcha);
      in = USM__IN_INFO_OK;
      break;
    case USM__INFO_PASSWORD:
      oom = keep_info(m, &r, 0);
      m->password = USM_PASSWORD_REQUIRED;
      in = USM__IN_INFO_LOCKED;
      break;
    case USM__INFO_CAPTCHA:
      oom = set_captcha(m, r.captcha_id, r.captcha_image, r.captcha_audio, r.captcha_refresh);
      if (r.password_required) m->password = USM_PASSWORD_REQUIRED;
      in = USM__IN_INFO_LOCKED;
      break;
    case USM__INFO_POLICY:
      oom = keep_info(m, &r, 0);
      in = USM__IN_INFO_FAILED;
      break;
    default: in = failure_input(r.err);
  }
  usm_err err = oom ? USM_ERR_NO_MEMORY : r.err;
  int refresh = r.kind == USM__INFO_PASSWORD && m->captcha.pending;
  usm__info_result_free(&r);
  if (oom) in = USM__IN_INFO_TRANSIENT;
  usm__log(m->client, USM_LOG_INFO, "meeting: info answered %s", usm_err_name(err));
  if (!usm__meeting_input(m, in)) return;
  if ((m->password != pw_was || m->captcha.pending != captcha_was || r.kind == USM__INFO_CAPTCHA) &&
      !usm__emit_password(m))
    return;
  if (err == USM_OK) {
    info_ok(m);
    return;
  }
  /* A password answer while a captcha is pending: the captcha was used up;
   * fetch a new one first, as the official SDK does (WEBEX-224862). */
  if (refresh) {
    usm__meeting_set_error(m, "%s", detail);
    m->after_refresh = err;
    if (refresh_start(m) == USM_OK) return;
    m->after_refresh = USM_OK;
  }
  usm__op_complete(m, err, detail);
}

static usm_err send_info(usm_meeting *m, const char *password, const char *captcha_code) {
  char why[256];
  const char *svc = usm__service_need(m->client, "webex-appapi-service", why, sizeof why);
  if (!svc) {
    usm__meeting_set_error(m, "%s", why);
    return USM_ERR_BAD_RESPONSE;
  }
  usm__info_query q;
  if (usm__info_query_for(&m->dest, m->person_email, m->pmr_user, m->pmr_org, &q) != USM_OK) return USM_ERR_INTERNAL;
  if (m->info_for == USM__INFO_FOR_JOIN) q.permission_token = m->token;
  q.password = password;
  if (captcha_code) {
    q.captcha_id = m->captcha.id;
    q.captcha_code = captcha_code;
  }
  char *body = usm__info_body(&q);
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = !body || usm__strbuf_printf(&url, "%s/meetingInfo", svc) ? USM_ERR_NO_MEMORY
              : usm__mreq_send(m, "POST", url.data, body, USM__MREQ_FINAL_423, on_info, NULL, NULL);
  usm__strbuf_free(&url);
  cJSON_free(body);
  return e;
}

/* ---- password and captcha ---------------------------------------------------- */

static usm__guard guard_of(const usm_meeting *m) {
  usm__guard g = {.state = m->state, .password = m->password, .captcha_pending = m->captcha.pending, .busy = m->busy};
  return g;
}

usm_err usm_meeting_set_password(usm_meeting *m, const char *password, const char *captcha_code,
                                 usm_meeting_done_cb cb, void *user) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  usm__strbuf_reset(&m->last_error);
  usm__guard g = guard_of(m);
  g.captcha_code = captcha_code != NULL;
  char why[256];
  usm_err e = usm__fsm_guard(&g, USM__OP_SET_PASSWORD, why, sizeof why);
  if (e == USM_OK && !password && m->password == USM_PASSWORD_REQUIRED) {
    snprintf(why, sizeof why, "set_password: the password (or host key) is required");
    e = USM_ERR_INVALID_ARG;
  }
  if (e == USM_OK && password && !usm__arg_ok(password, MAX_PASSWORD)) {
    snprintf(why, sizeof why, "set_password: the password is empty, too long or has control characters");
    e = USM_ERR_INVALID_ARG;
  }
  if (e == USM_OK && captcha_code && !usm__arg_ok(captcha_code, MAX_CAPTCHA_CODE)) {
    snprintf(why, sizeof why, "set_password: the captcha code is empty, too long or has control characters");
    e = USM_ERR_INVALID_ARG;
  }
  if (e != USM_OK) {
    usm__meeting_set_error(m, "%s", why);
    return e;
  }
  m->busy = 1;
  m->op_cb = cb;
  m->op_user = user;
  e = usm__info_start(m, USM__INFO_FOR_PASSWORD, password, captcha_code);
  if (e != USM_OK) {
    m->busy = 0;
    m->op_cb = NULL;
    if (!usm__strbuf_str(&m->last_error)[0]) usm__meeting_set_error(m, "set_password: %s", usm_strerror(e));
  }
  return e;
}

static void on_refresh(usm_meeting *m, usm__mreq *q, const usm_http_result *h) {
  (void)q;
  char detail[1024];
  usm_err err = h->status.err;
  if (err == USM_OK) {
    cJSON *root = usm__json_parse(h->status.body, h->body_len);
    const char *id, *image, *audio;
    err = usm__captcha_parse(root, &id, &image, &audio);
    if (err == USM_OK && set_captcha(m, id, image, audio, m->captcha.refresh) != 0) err = USM_ERR_NO_MEMORY;
    cJSON_Delete(root);
    snprintf(detail, sizeof detail, "the captcha refresh answer has no captchaID");
    if (err == USM_OK && !usm__emit_password(m)) return;
  } else {
    usm__http_detail(h, detail, sizeof detail);
  }
  if (m->after_refresh != USM_OK) {
    /* the refresh was ours: report the password answer that caused it */
    err = m->after_refresh;
    m->after_refresh = USM_OK;
    snprintf(detail, sizeof detail, "%s", usm__strbuf_str(&m->last_error));
  }
  usm__op_complete(m, err, detail);
}

static usm_err refresh_start(usm_meeting *m) {
  const char *ref = m->captcha.refresh;
  char host[300];
  if (!ref || usm__url_check(ref) != USM_OK || usm__url_host(ref, host, sizeof host) != 0) {
    usm__meeting_set_error(m, "refresh_captcha: the captcha has no usable refreshURL");
    return USM_ERR_INSECURE_URL;
  }
  cJSON *o = cJSON_CreateObject();
  char *body = o && cJSON_AddStringToObject(o, "captchaId", m->captcha.id) ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = !body || usm__strbuf_printf(&url, "%s%ssiteFullName=", ref, strchr(ref, '?') ? "&" : "?") ||
                      usm__url_append_escaped(&url, host)
                  ? USM_ERR_NO_MEMORY
                  : usm__mreq_send(m, "POST", url.data, body, 0, on_refresh, NULL, NULL);
  usm__strbuf_free(&url);
  cJSON_free(body);
  return e;
}

usm_err usm_meeting_refresh_captcha(usm_meeting *m, usm_meeting_done_cb cb, void *user) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  usm__strbuf_reset(&m->last_error);
  usm__guard g = guard_of(m);
  char why[256];
  usm_err e = usm__fsm_guard(&g, USM__OP_REFRESH_CAPTCHA, why, sizeof why);
  if (e != USM_OK) {
    usm__meeting_set_error(m, "%s", why);
    return e;
  }
  m->busy = 1;
  m->op_cb = cb;
  m->op_user = user;
  m->after_refresh = USM_OK;
  e = refresh_start(m);
  if (e != USM_OK) {
    m->busy = 0;
    m->op_cb = NULL;
  }
  return e;
}
