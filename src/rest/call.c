#include "rest/call.h"

#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "rest/http.h"
#include "rest/json.h"
#include "rest/meeting_parse.h"
#include "rest/url.h"

typedef struct op {
  usm__result_kind kind;
  usm__result_cb cb;
  void *user;
  int is_create;
} op;

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
  free(o);
}

usm_err usm__rest_send(usm_client *c, const usm__rest_req *req) {
  if (!req->cb.none) return USM_ERR_INVALID_ARG;
  op *o = calloc(1, sizeof *o);
  if (!o) return USM_ERR_NO_MEMORY;
  o->kind = req->kind;
  o->cb = req->cb;
  o->user = req->user;
  o->is_create = req->is_create;
  usm_http_call call = {
    .method = req->method,
    .url = req->url,
    .body = req->body,
    .password = req->password,
    .idempotent = req->idempotent,
    .done = on_done,
    .ctx_free = free,
    .ctx = o,
  };
  usm_err e = usm__http_start(c, &call);
  if (e != USM_OK) free(o);
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

usm_err usm__rest_url(usm_client *c, usm_strbuf *url, const char *collection, const char *id,
                      const char *suffix) {
  if (usm__strbuf_printf(url, "%s/%s", c->api_url, collection) != 0) return USM_ERR_NO_MEMORY;
  if (id && (usm__strbuf_append(url, "/", 1) != 0 || usm__url_append_escaped(url, id) != 0))
    return USM_ERR_NO_MEMORY;
  if (suffix && usm__strbuf_printf(url, "/%s", suffix) != 0) return USM_ERR_NO_MEMORY;
  return USM_OK;
}

usm_err usm__page_url_ok(usm_client *c, const char *page_url) {
  if (!usm__arg_ok(page_url, 4096)) return usm__arg_error(c, "page_url");
  usm_err e = usm__url_check(page_url);
  if (e == USM_OK && !usm__url_same_origin(page_url, c->api_url)) e = USM_ERR_INSECURE_URL;
  if (e != USM_OK) usm__set_error(c, "page_url must be an https URL on the API's own origin");
  return e;
}
