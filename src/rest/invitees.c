/* /v1/meetingInvitees: add, list, delete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_internal.h"
#include "rest/call.h"
#include "rest/json.h"
#include "rest/url.h"

#define MAX_ID 256
#define MAX_SHORT 1024
#define MAX_NAME_CHARS 128

usm_err usm_rest_invitees_add(usm_client *c, const char *meeting_id, const usm_rest_invitee_params *inv,
                              int send_email, usm_rest_invitee_cb cb, void *user) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  usm__clear_error(c);
  if (!usm__arg_ok(meeting_id, MAX_ID)) return usm__arg_error(c, "meeting id");
  if (!inv || !cb) return usm__arg_error(c, "invitee and callback are required");
  if (!usm__arg_ok(inv->email, MAX_SHORT) || !strchr(inv->email, '@')) return usm__arg_error(c, "invitee email");
  if (inv->display_name && !usm__text_ok(inv->display_name, MAX_NAME_CHARS))
    return usm__arg_error(c, "display name (at most 128 characters)");
  if (inv->co_host < -1 || inv->co_host > 1 || inv->panelist < -1 || inv->panelist > 1 || send_email < -1 ||
      send_email > 1)
    return usm__arg_error(c, "flags must be -1, 0 or 1");
  cJSON *o = cJSON_CreateObject();
  int ok = o && cJSON_AddStringToObject(o, "meetingId", meeting_id) &&
           cJSON_AddStringToObject(o, "email", inv->email);
  if (ok && inv->display_name) ok = cJSON_AddStringToObject(o, "displayName", inv->display_name) != NULL;
  if (ok && inv->co_host != -1) ok = cJSON_AddBoolToObject(o, "coHost", inv->co_host) != NULL;
  if (ok && inv->panelist != -1) ok = cJSON_AddBoolToObject(o, "panelist", inv->panelist) != NULL;
  if (ok && send_email != -1) ok = cJSON_AddBoolToObject(o, "sendEmail", send_email) != NULL;
  char *body = ok ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  if (!body) return USM_ERR_NO_MEMORY;
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = usm__rest_path(&url, "meetingInvitees", NULL, NULL);
  if (e == USM_OK) {
    usm__rest_req req = {.method = "POST", .path = url.data, .body = body, .kind = USM__RESULT_INVITEE,
                         .cb.invitee = cb, .user = user};
    e = usm__rest_send(c, &req);
  }
  usm__strbuf_free(&url);
  cJSON_free(body);
  return e;
}

usm_err usm_rest_invitees_list(usm_client *c, const char *meeting_id, int max, const char *page_url,
                               usm_rest_invitee_list_cb cb, void *user) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  usm__clear_error(c);
  if (!cb) return usm__arg_error(c, "callback is required");
  if (max < 0 || max > 100) return usm__arg_error(c, "max must be 1..100 (0: server default)");
  if (!page_url && !usm__arg_ok(meeting_id, MAX_ID)) return usm__arg_error(c, "meeting id");
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e;
  if (page_url) {
    e = usm__page_url_ok(c, page_url);
  } else {
    e = usm__rest_path(&url, "meetingInvitees", NULL, NULL);
    if (e == USM_OK && usm__url_add_query(&url, "meetingId", meeting_id) != 0) e = USM_ERR_NO_MEMORY;
    char num[16];
    snprintf(num, sizeof num, "%d", max);
    if (e == USM_OK && max > 0 && usm__url_add_query(&url, "max", num) != 0) e = USM_ERR_NO_MEMORY;
  }
  if (e == USM_OK) {
    usm__rest_req req = {.method = "GET", .path = page_url ? NULL : url.data, .page_url = page_url, .idempotent = 1,
                         .kind = USM__RESULT_INVITEE_LIST, .cb.invitee_list = cb, .user = user};
    e = usm__rest_send(c, &req);
  }
  usm__strbuf_free(&url);
  return e;
}

usm_err usm_rest_invitees_delete(usm_client *c, const char *invitee_id, usm_rest_done_cb cb, void *user) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  usm__clear_error(c);
  if (!usm__arg_ok(invitee_id, MAX_ID)) return usm__arg_error(c, "invitee id");
  if (!cb) return usm__arg_error(c, "callback is required");
  usm_strbuf url;
  usm__strbuf_init(&url, 0);
  usm_err e = usm__rest_path(&url, "meetingInvitees", invitee_id, NULL);
  if (e == USM_OK) {
    usm__rest_req req = {.method = "DELETE", .path = url.data, .idempotent = 1, .kind = USM__RESULT_NONE,
                         .cb.none = cb, .user = user};
    e = usm__rest_send(c, &req);
  }
  usm__strbuf_free(&url);
  return e;
}
