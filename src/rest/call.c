#include "rest/call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "rest/discovery.h"
#include "rest/http.h"
#include "rest/json.h"
#include "rest/meeting_parse.h"
#include "rest/url.h"

typedef struct op {
  usm__result_kind kind;
  usm__result_cb cb;
  void *user;
  int is_create;
  int idempotent;
  char method[8];
  /* owned copies: the request may wait for service discovery */
  char *path, *page_url, *body, *password;
} op;

static void op_free(op *o) {
  free(o->path);
  free(o->page_url);
  free(o->body);
  free(o->password);
  free(o);
}

static void op_free_v(void *o) { op_free(o); }

/* Parse a successful body into the typed result and call the application. */
static void deliver(usm_client *c, op *o, usm_rest_status *st, const usm_http_result *r) {
  cJSON *root = NULL;
  void *items = NULL;
  size_t count = 0;
  union {
    usm_rest_meeting meeting;
    usm_rest_invitee invitee;
  } one;
  usm_rest_meeting_list mlist = {0};
  usm_rest_invitee_list ilist = {0};
  const void *result = NULL;

  if (st->err == USM_OK && o->kind != USM__RESULT_NONE) {
    root = usm__json_parse(r->status.body, r->body_len);
    usm_err e = root ? USM_OK : USM_ERR_BAD_RESPONSE;
    switch (o->kind) {
      case USM__RESULT_MEETING:
        if (e == USM_OK) e = usm__parse_meeting(root, &one.meeting);
        result = &one.meeting;
        break;
      case USM__RESULT_INVITEE:
        if (e == USM_OK) e = usm__parse_invitee(root, &one.invitee);
        result = &one.invitee;
        break;
      case USM__RESULT_MEETING_LIST:
        if (e == USM_OK) e = usm__parse_meeting_items(root, (usm_rest_meeting **)&items, &count);
        mlist.items = items;
        mlist.count = count;
        mlist.next_page = r->link_next;
        result = &mlist;
        break;
      case USM__RESULT_INVITEE_LIST:
        if (e == USM_OK) e = usm__parse_invitee_items(root, (usm_rest_invitee **)&items, &count);
        ilist.items = items;
        ilist.count = count;
        ilist.next_page = r->link_next;
        result = &ilist;
        break;
      case USM__RESULT_NONE: break;
    }
    if (e != USM_OK) {
      st->err = e;
      st->message = e == USM_ERR_LIMIT ? "too many items in the response"
                                       : "the response is not the JSON object the API documents";
      result = NULL;
    }
  }
  if (st->err != USM_OK) {
    result = NULL;
    usm__set_error(c, "%s%s%s", st->message, st->tracking_id ? " trackingId=" : "",
                   st->tracking_id ? st->tracking_id : "");
  } else {
    usm__clear_error(c);
  }
  if (usm__cb_begin(c)) {
    switch (o->kind) {
      case USM__RESULT_NONE: o->cb.none(c, st, o->user); break;
      case USM__RESULT_MEETING: o->cb.meeting(c, st, result, o->user); break;
      case USM__RESULT_MEETING_LIST: o->cb.meeting_list(c, st, result, o->user); break;
      case USM__RESULT_INVITEE: o->cb.invitee(c, st, result, o->user); break;
      case USM__RESULT_INVITEE_LIST: o->cb.invitee_list(c, st, result, o->user); break;
    }
    usm__cb_end(c);
  }
  free(items);
  cJSON_Delete(root);
}

static void on_done(usm_client *c, const usm_http_result *r, void *ctx) {
  op *o = ctx;
  usm_rest_status st = r->status;
  if (o->is_create && st.err == USM_ERR_FORBIDDEN) st.err = USM_ERR_NO_LICENSE;
  deliver(c, o, &st, r);
  op_free(o);
}

/* The callback learns of a failure that happened after the call returned. */
static void fail_late(usm_client *c, op *o, usm_err err, const char *message) {
  usm_http_result r = {0};
  r.status.err = err;
  r.status.message = message;
  deliver(c, o, &r.status, &r);
  op_free(o);
}

/* Resolve the URL against the API base and start; on error @p o is still the caller's. */
static usm_err start(usm_client *c, op *o, const char *base) {
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = USM_OK;
  if (o->page_url) {
    if (!usm__url_same_origin(o->page_url, base)) {
      usm__set_error(c, "page_url must be an https URL on the API's own origin");
      e = USM_ERR_INSECURE_URL;
    } else if (usm__strbuf_printf(&url, "%s", o->page_url) != 0) {
      e = USM_ERR_NO_MEMORY;
    }
  } else if (usm__strbuf_printf(&url, "%s/%s", base, o->path) != 0) {
    e = USM_ERR_NO_MEMORY;
  }
  if (e == USM_OK) {
    usm_http_call call = {
      .method = o->method,
      .url = url.data,
      .body = o->body,
      .password = o->password,
      .idempotent = o->idempotent,
      .done = on_done,
      .ctx_free = op_free_v,
      .ctx = o,
    };
    e = usm__http_start(c, &call);
  }
  usm__strbuf_free(&url);
  return e;
}

static void on_discovered(usm_client *c, usm_err err, const char *message, void *ctx) {
  op *o = ctx;
  const char *base = usm__api_base(c);
  if (err == USM_OK && !base) {
    err = USM_ERR_BAD_RESPONSE;
    message = "service discovery: the catalog has no usable \"hydra\" URL";
  }
  if (err != USM_OK) {
    fail_late(c, o, err, message);
    return;
  }
  usm_err e = start(c, o, base);
  if (e != USM_OK) {
    char why[256]; /* the client's last error is rewritten on delivery */
    snprintf(why, sizeof why, "%s", e == USM_ERR_INSECURE_URL ? usm_client_last_error(c) : usm_strerror(e));
    fail_late(c, o, e, why);
  }
}

static char *dup_opt(const char *s, int *oom) {
  char *d = usm__strdup(s);
  if (s && !d) *oom = 1;
  return d;
}

usm_err usm__rest_send(usm_client *c, const usm__rest_req *req) {
  if (!req->cb.none || (!req->path == !req->page_url) || strlen(req->method) >= sizeof(((op *)0)->method))
    return USM_ERR_INVALID_ARG;
  op *o = calloc(1, sizeof *o);
  if (!o) return USM_ERR_NO_MEMORY;
  o->kind = req->kind;
  o->cb = req->cb;
  o->user = req->user;
  o->is_create = req->is_create;
  o->idempotent = req->idempotent;
  strcpy(o->method, req->method);
  int oom = 0;
  o->path = dup_opt(req->path, &oom);
  o->page_url = dup_opt(req->page_url, &oom);
  o->body = dup_opt(req->body, &oom);
  o->password = dup_opt(req->password, &oom);
  if (oom) {
    op_free(o);
    return USM_ERR_NO_MEMORY;
  }
  const char *base = usm__api_base(c);
  usm_err e;
  if (base) {
    e = start(c, o, base);
  } else {
    int ready;
    usm__waiter *w; /* never cancelled: only the client's destruction drops it */
    e = usm__discovery_wait(c, on_discovered, op_free_v, o, &w, &ready);
    /* ready without a hydra URL: the catalog lacks it; say so now */
    if (e == USM_OK && ready) {
      usm__set_error(c, "service discovery: the catalog has no usable \"hydra\" URL");
      e = USM_ERR_BAD_RESPONSE;
    }
  }
  if (e != USM_OK) op_free(o);
  return e;
}

/* Valid UTF-8 text of at most max_chars code points; newlines and tabs allowed. */
int usm__text_ok(const char *s, size_t max_chars) {
  size_t chars = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; chars++) {
    if (chars >= max_chars) return 0;
    unsigned char b = *p;
    int extra = b < 0x80 ? 0 : (b & 0xe0) == 0xc0 ? 1 : (b & 0xf0) == 0xe0 ? 2 : (b & 0xf8) == 0xf0 ? 3 : -1;
    if (extra < 0 || (b < 0x20 && b != '\n' && b != '\t' && b != '\r') || b == 0x7f) return 0;
    p++;
    for (int i = 0; i < extra; i++, p++)
      if ((*p & 0xc0) != 0x80) return 0;
  }
  return 1;
}

usm_err usm__arg_error(usm_client *c, const char *what) {
  usm__set_error(c, "invalid argument: %s", what);
  return USM_ERR_INVALID_ARG;
}

int usm__arg_ok(const char *s, size_t max) {
  if (!s || !s[0]) return 0;
  size_t n = strnlen(s, max + 1);
  if (n > max) return 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
  return 1;
}

usm_err usm__rest_path(usm_strbuf *path, const char *collection, const char *id, const char *suffix) {
  if (usm__strbuf_printf(path, "%s", collection) != 0) return USM_ERR_NO_MEMORY;
  if (id && (usm__strbuf_append(path, "/", 1) != 0 || usm__url_append_escaped(path, id) != 0))
    return USM_ERR_NO_MEMORY;
  if (suffix && usm__strbuf_printf(path, "/%s", suffix) != 0) return USM_ERR_NO_MEMORY;
  return USM_OK;
}

usm_err usm__page_url_ok(usm_client *c, const char *page_url) {
  if (!usm__arg_ok(page_url, 4096)) return usm__arg_error(c, "page_url");
  usm_err e = usm__url_check(page_url);
  if (e != USM_OK) usm__set_error(c, "page_url must be an https URL on the API's own origin");
  return e;
}
