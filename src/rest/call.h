/* One REST call from start to the application's callback: shared by the
 * meetings and invitees modules. */
#ifndef USM_REST_CALL_H
#define USM_REST_CALL_H

#include <usm/rest.h>

#include "core/strbuf.h"

typedef enum usm__result_kind {
  USM__RESULT_NONE,
  USM__RESULT_MEETING,
  USM__RESULT_MEETING_LIST,
  USM__RESULT_INVITEE,
  USM__RESULT_INVITEE_LIST
} usm__result_kind;

typedef union usm__result_cb {
  usm_rest_done_cb none;
  usm_rest_meeting_cb meeting;
  usm_rest_meeting_list_cb meeting_list;
  usm_rest_invitee_cb invitee;
  usm_rest_invitee_list_cb invitee_list;
} usm__result_cb;

typedef struct usm__rest_req {
  const char *method;
  const char *path;      /* relative to the API base: "meetings/abc?x=1" */
  const char *page_url;  /* or an absolute next-page URL, which must share the base's origin */
  const char *body;      /* JSON or NULL */
  const char *password;  /* header, or NULL */
  int idempotent;
  int is_create;         /* 403 means "no license" */
  usm__result_kind kind;
  usm__result_cb cb;
  void *user;
} usm__rest_req;

/* Validates nothing but the callback and a page URL's origin; starts the
 * request on the API base (usm__api_base). With no api_url configured and the
 * catalog not known yet, it first waits for service discovery; a discovery
 * failure then reaches the callback. */
usm_err usm__rest_send(usm_client *c, const usm__rest_req *req);

/* "<collection>[/<escaped id>[/<suffix>]]" into @p path (relative to the API base). */
usm_err usm__rest_path(usm_strbuf *path, const char *collection, const char *id, const char *suffix);

/* Valid UTF-8 of at most max_chars code points; newlines and tabs allowed. */
int usm__text_ok(const char *s, size_t max_chars);

/* Record "invalid argument: <what>" as the client's last error; returns USM_ERR_INVALID_ARG. */
usm_err usm__arg_error(usm_client *c, const char *what);

/* An id or short text argument from the application: non-empty, bounded, no control bytes. */
int usm__arg_ok(const char *s, size_t max);

/* A page URL from an earlier result: bounded, https (or loopback http). Its
 * origin is checked against the API base by usm__rest_send. */
usm_err usm__page_url_ok(usm_client *c, const char *page_url);

#endif
