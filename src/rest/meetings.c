/* /v1/meetings: create, get, list, update (PUT), delete, end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "rest/call.h"
#include "rest/json.h"
#include "rest/url.h"

#define MAX_ID 256
#define MAX_SHORT 1024          /* emails, zones, URLs, times */
#define MAX_TITLE_CHARS 128     /* OpenAPI: title at most 128 characters */
#define MAX_AGENDA_CHARS 1300   /* OpenAPI: agenda at most 1300 characters */
#define MAX_INVITEES 1000       /* OpenAPI: at most 1000 invitees */
#define MAX_EXTRA_JSON (64 * 1024)

void usm_rest_meeting_params_init(usm_rest_meeting_params *p) {
  if (!p) return;
  memset(p, 0, sizeof *p);
  p->struct_size = sizeof *p;
  p->adhoc = p->enabled_join_before_host = p->join_before_host_minutes = -1;
  p->enable_connect_audio_before_host = p->exclude_password = p->public_meeting = p->send_email = -1;
}

void usm_rest_meeting_list_params_init(usm_rest_meeting_list_params *p) {
  if (!p) return;
  memset(p, 0, sizeof *p);
  p->struct_size = sizeof *p;
  p->current = -1;
}

typedef struct builder {
  usm_client *c;
  cJSON *o;
  usm_err err;
} builder;

static void fail(builder *b, usm_err e, const char *what) {
  if (b->err != USM_OK) return;
  b->err = e;
  usm__set_error(b->c, "%s", what);
}

static void add_str(builder *b, const char *key, const char *v, size_t max) {
  if (!v || b->err) return;
  if (!usm__arg_ok(v, max)) {
    fail(b, USM_ERR_INVALID_ARG, key);
    return;
  }
  if (!cJSON_AddStringToObject(b->o, key, v)) fail(b, USM_ERR_NO_MEMORY, "out of memory");
}

static void add_text(builder *b, const char *key, const char *v, size_t max_chars) {
  if (!v || b->err) return;
  if (!usm__text_ok(v, max_chars)) {
    fail(b, USM_ERR_INVALID_ARG, key);
    return;
  }
  if (!cJSON_AddStringToObject(b->o, key, v)) fail(b, USM_ERR_NO_MEMORY, "out of memory");
}

static void add_flag(builder *b, const char *key, int v) {
  if (v == -1 || b->err) return;
  if (v != 0 && v != 1) {
    fail(b, USM_ERR_INVALID_ARG, key);
    return;
  }
  if (!cJSON_AddBoolToObject(b->o, key, v)) fail(b, USM_ERR_NO_MEMORY, "out of memory");
}

static void add_invitees(builder *b, const usm_rest_meeting_params *p) {
  if (!p->invitees || p->n_invitees == 0 || b->err) return;
  if (p->n_invitees > MAX_INVITEES) {
    fail(b, USM_ERR_LIMIT, "more than 1000 invitees");
    return;
  }
  cJSON *arr = cJSON_AddArrayToObject(b->o, "invitees");
  if (!arr) {
    fail(b, USM_ERR_NO_MEMORY, "out of memory");
    return;
  }
  for (size_t i = 0; i < p->n_invitees && !b->err; i++) {
    const usm_rest_invitee_params *in = &p->invitees[i];
    if (!usm__arg_ok(in->email, MAX_SHORT) || !strchr(in->email, '@')) {
      fail(b, USM_ERR_INVALID_ARG, "invitee email");
      return;
    }
    builder ib = {b->c, cJSON_CreateObject(), USM_OK};
    if (!ib.o || !cJSON_AddItemToArray(arr, ib.o)) {
      cJSON_Delete(ib.o);
      fail(b, USM_ERR_NO_MEMORY, "out of memory");
      return;
    }
    add_str(&ib, "email", in->email, MAX_SHORT);
    add_text(&ib, "displayName", in->display_name, MAX_TITLE_CHARS);
    add_flag(&ib, "coHost", in->co_host);
    add_flag(&ib, "panelist", in->panelist);
    if (ib.err) b->err = ib.err;
  }
}

/* Members of extra_json are added to the body, replacing same-named keys. */
static void merge_extra(builder *b, const char *extra) {
  if (!extra || b->err) return;
  size_t n = strnlen(extra, MAX_EXTRA_JSON + 1);
  cJSON *x = n <= MAX_EXTRA_JSON ? usm__json_parse(extra, n) : NULL;
  if (!cJSON_IsObject(x)) {
    cJSON_Delete(x);
    fail(b, USM_ERR_INVALID_ARG, "extra_json is not a JSON object");
    return;
  }
  while (x->child) {
    cJSON *item = cJSON_DetachItemViaPointer(x, x->child);
    char *key = item->string;
    cJSON_DeleteItemFromObjectCaseSensitive(b->o, key);
    if (!cJSON_AddItemToObject(b->o, key, item)) {
      cJSON_Delete(item);
      fail(b, USM_ERR_NO_MEMORY, "out of memory");
      break;
    }
  }
  cJSON_Delete(x);
}

static usm_err meeting_body(usm_client *c, const usm_rest_meeting_params *p, int create, char **out) {
  *out = NULL;
  if (p->struct_size < sizeof(usm_rest_meeting_params))
    return usm__arg_error(c, "usm_rest_meeting_params not initialised with usm_rest_meeting_params_init()");
  if (!create && (p->adhoc != -1 || p->room_id || p->template_id || p->invitees || p->site_url ||
                  p->scheduled_type)) {
    usm__set_error(c, "adhoc, room_id, template_id, invitees, site_url and scheduled_type are "
                      "creation-only");
    return USM_ERR_INVALID_ARG;
  }
  if (create && p->adhoc == 1 && !p->room_id) {
    usm__set_error(c, "an ad hoc meeting needs room_id");
    return USM_ERR_INVALID_ARG;
  }
  /* The API requires title, start and end, except for ad hoc meetings where it fills them in. */
  if (create && p->adhoc != 1 && (!p->title || !p->start || !p->end) && !p->extra_json) {
    usm__set_error(c, "title, start and end are required");
    return USM_ERR_INVALID_ARG;
  }
  if (p->join_before_host_minutes != -1 && p->join_before_host_minutes != 0 &&
      p->join_before_host_minutes != 5 && p->join_before_host_minutes != 10 &&
      p->join_before_host_minutes != 15) {
    usm__set_error(c, "join_before_host_minutes must be 0, 5, 10 or 15");
    return USM_ERR_INVALID_ARG;
  }
  builder b = {c, cJSON_CreateObject(), USM_OK};
  if (!b.o) return USM_ERR_NO_MEMORY;
  add_flag(&b, "adhoc", p->adhoc);
  add_str(&b, "roomId", p->room_id, MAX_ID);
  add_str(&b, "templateId", p->template_id, MAX_ID);
  add_text(&b, "title", p->title, MAX_TITLE_CHARS);
  add_text(&b, "agenda", p->agenda, MAX_AGENDA_CHARS);
  add_str(&b, "password", p->password, MAX_SHORT);
  add_str(&b, "start", p->start, MAX_SHORT);
  add_str(&b, "end", p->end, MAX_SHORT);
  add_str(&b, "timezone", p->timezone, MAX_SHORT);
  add_str(&b, "recurrence", p->recurrence, MAX_SHORT);
  add_str(&b, "scheduledType", p->scheduled_type, MAX_SHORT);
  add_str(&b, "hostEmail", p->host_email, MAX_SHORT);
  add_str(&b, "siteUrl", p->site_url, MAX_SHORT);
  add_flag(&b, "enabledJoinBeforeHost", p->enabled_join_before_host);
  if (p->join_before_host_minutes != -1 && !b.err &&
      !cJSON_AddNumberToObject(b.o, "joinBeforeHostMinutes", p->join_before_host_minutes))
    fail(&b, USM_ERR_NO_MEMORY, "out of memory");
  add_flag(&b, "enableConnectAudioBeforeHost", p->enable_connect_audio_before_host);
  add_flag(&b, "excludePassword", p->exclude_password);
  add_flag(&b, "publicMeeting", p->public_meeting);
  add_flag(&b, "sendEmail", p->send_email);
  add_invitees(&b, p);
  merge_extra(&b, p->extra_json);
  if (b.err == USM_OK && !(*out = cJSON_PrintUnformatted(b.o))) b.err = USM_ERR_NO_MEMORY;
  if (b.err == USM_ERR_INVALID_ARG) {
    usm_strbuf m;
    usm__strbuf_init(&m, 0);
    usm__strbuf_printf(&m, "invalid meeting field: %s", usm_client_last_error(c));
    usm__set_error(c, "%s", usm__strbuf_str(&m));
    usm__strbuf_free(&m);
  }
  cJSON_Delete(b.o);
  return b.err;
}

static usm_err send_and_free(usm_client *c, usm__rest_req *req, usm_strbuf *url, char *body) {
  if (!req->page_url) req->path = url->data;
  req->body = body;
  usm_err e = usm__rest_send(c, req);
  usm__strbuf_free(url);
  cJSON_free(body);
  return e;
}

usm_err usm_rest_meetings_create(usm_client *c, const usm_rest_meeting_params *p, usm_rest_meeting_cb cb, void *user) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  usm__clear_error(c);
  if (!p || !cb) return usm__arg_error(c, "params and callback are required");
  char *body;
  usm_err e = meeting_body(c, p, 1, &body);
  if (e != USM_OK) return e;
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  if ((e = usm__rest_path(&url, "meetings", NULL, NULL)) != USM_OK) {
    cJSON_free(body);
    usm__strbuf_free(&url);
    return e;
  }
  usm__rest_req req = {.method = "POST", .is_create = 1, .kind = USM__RESULT_MEETING,
                       .cb.meeting = cb, .user = user};
  return send_and_free(c, &req, &url, body);
}

usm_err usm_rest_meetings_get(usm_client *c, const char *id, const char *password, usm_rest_meeting_cb cb,
                              void *user) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  usm__clear_error(c);
  if (!usm__arg_ok(id, MAX_ID)) return usm__arg_error(c, "meeting id");
  if (!cb) return usm__arg_error(c, "callback is required");
  if (password && !usm__arg_ok(password, MAX_SHORT)) return usm__arg_error(c, "password");
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = usm__rest_path(&url, "meetings", id, NULL);
  if (e != USM_OK) {
    usm__strbuf_free(&url);
    return e;
  }
  usm__rest_req req = {.method = "GET", .password = password, .idempotent = 1,
                       .kind = USM__RESULT_MEETING, .cb.meeting = cb, .user = user};
  return send_and_free(c, &req, &url, NULL);
}

static usm_err list_url(usm_client *c, const usm_rest_meeting_list_params *p, usm_strbuf *url) {
  if (p->struct_size < sizeof(usm_rest_meeting_list_params))
    return usm__arg_error(c, "usm_rest_meeting_list_params not initialised with usm_rest_meeting_list_params_init()");
  if (p->page_url) {
    return usm__page_url_ok(c, p->page_url); /* sent as is: see usm_rest_meetings_list */
  }
  if (!!p->meeting_number + !!p->web_link + !!p->room_id > 1) {
    usm__set_error(c, "meeting_number, web_link and room_id are mutually exclusive");
    return USM_ERR_INVALID_ARG;
  }
  if (p->max < 0 || p->max > 100) return usm__arg_error(c, "max must be 1..100 (0: server default)");
  if (p->current < -1 || p->current > 1) return usm__arg_error(c, "current must be -1, 0 or 1");
  const struct {
    const char *key, *value;
  } q[] = {
    {"meetingNumber", p->meeting_number}, {"webLink", p->web_link},   {"roomId", p->room_id},
    {"meetingSeriesId", p->meeting_series_id}, {"meetingType", p->meeting_type},
    {"state", p->state},               {"scheduledType", p->scheduled_type},
    {"from", p->from},                 {"to", p->to},
    {"hostEmail", p->host_email},      {"siteUrl", p->site_url},
  };
  usm_err e = usm__rest_path(url, "meetings", NULL, NULL);
  for (size_t i = 0; e == USM_OK && i < sizeof q / sizeof q[0]; i++) {
    if (q[i].value && !usm__arg_ok(q[i].value, MAX_SHORT)) return usm__arg_error(c, q[i].key);
    if (usm__url_add_query(url, q[i].key, q[i].value) != 0) e = USM_ERR_NO_MEMORY;
  }
  char num[16];
  if (e == USM_OK && p->current != -1 && usm__url_add_query(url, "current", p->current ? "true" : "false"))
    e = USM_ERR_NO_MEMORY;
  if (e == USM_OK && p->max > 0) {
    snprintf(num, sizeof num, "%d", p->max);
    if (usm__url_add_query(url, "max", num)) e = USM_ERR_NO_MEMORY;
  }
  return e;
}

usm_err usm_rest_meetings_list(usm_client *c, const usm_rest_meeting_list_params *p, usm_rest_meeting_list_cb cb,
                               void *user) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  usm__clear_error(c);
  if (!p || !cb) return usm__arg_error(c, "params and callback are required");
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = list_url(c, p, &url);
  if (e != USM_OK) {
    usm__strbuf_free(&url);
    return e;
  }
  usm__rest_req req = {.method = "GET", .page_url = p->page_url, .idempotent = 1,
                       .kind = USM__RESULT_MEETING_LIST, .cb.meeting_list = cb, .user = user};
  return send_and_free(c, &req, &url, NULL);
}

usm_err usm_rest_meetings_update(usm_client *c, const char *id, const usm_rest_meeting_params *p,
                                 usm_rest_meeting_cb cb, void *user) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  usm__clear_error(c);
  if (!usm__arg_ok(id, MAX_ID)) return usm__arg_error(c, "meeting id");
  if (!p || !cb) return usm__arg_error(c, "params and callback are required");
  char *body;
  usm_err e = meeting_body(c, p, 0, &body);
  if (e != USM_OK) return e;
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  if ((e = usm__rest_path(&url, "meetings", id, NULL)) != USM_OK) {
    cJSON_free(body);
    usm__strbuf_free(&url);
    return e;
  }
  usm__rest_req req = {.method = "PUT", .idempotent = 1, .kind = USM__RESULT_MEETING,
                       .cb.meeting = cb, .user = user};
  return send_and_free(c, &req, &url, body);
}

usm_err usm_rest_meetings_delete(usm_client *c, const char *id, int send_email, usm_rest_done_cb cb, void *user) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  usm__clear_error(c);
  if (!usm__arg_ok(id, MAX_ID)) return usm__arg_error(c, "meeting id");
  if (!cb) return usm__arg_error(c, "callback is required");
  if (send_email < -1 || send_email > 1) return usm__arg_error(c, "send_email must be -1, 0 or 1");
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = usm__rest_path(&url, "meetings", id, NULL);
  if (e == USM_OK && send_email != -1 &&
      usm__url_add_query(&url, "sendEmail", send_email ? "true" : "false") != 0)
    e = USM_ERR_NO_MEMORY;
  if (e != USM_OK) {
    usm__strbuf_free(&url);
    return e;
  }
  usm__rest_req req = {.method = "DELETE", .idempotent = 1, .kind = USM__RESULT_NONE,
                       .cb.none = cb, .user = user};
  return send_and_free(c, &req, &url, NULL);
}

usm_err usm_rest_meetings_end(usm_client *c, const char *id, const char *reason, usm_rest_done_cb cb, void *user) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  usm__clear_error(c);
  if (!usm__arg_ok(id, MAX_ID)) return usm__arg_error(c, "meeting id");
  if (!cb) return usm__arg_error(c, "callback is required");
  if (reason && !usm__text_ok(reason, MAX_SHORT)) return usm__arg_error(c, "reason");
  cJSON *o = cJSON_CreateObject();
  if (!o || (reason && !cJSON_AddStringToObject(o, "reason", reason))) {
    cJSON_Delete(o);
    return USM_ERR_NO_MEMORY;
  }
  char *body = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!body) return USM_ERR_NO_MEMORY;
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = usm__rest_path(&url, "meetings", id, "end");
  if (e != USM_OK) {
    cJSON_free(body);
    usm__strbuf_free(&url);
    return e;
  }
  /* Ending twice is harmless, so a 500 may be retried. */
  usm__rest_req req = {.method = "POST", .idempotent = 1, .kind = USM__RESULT_NONE,
                       .cb.none = cb, .user = user};
  return send_and_free(c, &req, &url, body);
}
