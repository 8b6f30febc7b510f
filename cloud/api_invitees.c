/* /v1/meetingInvitees: the host adds, lists, reads, updates and removes
 * a meeting's invitees. */
#include <string.h>

#include "app.h"
#include "meeting_input.h"
#include "meeting_json.h"
#include "paging.h"

static const char INVALID[] = "The input parameters contain invalid items.";
static const char NOT_FOUND[] = "The requested resource could not be found.";

/* The meeting @p id if the caller hosts it; else NULL after answering. */
static cloud_meeting *hosted(cloud_app *app, cloud_req *q, cloud_resp *r, const char *id) {
  cloud_meeting *m = cloud_meeting_by_id(&app->store, id);
  if (!m || !cloud_meeting_visible(m, q->user, NULL)) {
    cloud_resp_error(r, q, 404, NOT_FOUND, "Meeting not found.");
    return NULL;
  }
  if (m->host != q->user) {
    cloud_resp_error(r, q, 403, "Only the host may manage invitees.", NULL);
    return NULL;
  }
  return m;
}

/* The invitee in path parameter 0 of a meeting the caller hosts. */
static cloud_invitee *hosted_invitee(cloud_app *app, cloud_req *q, cloud_resp *r,
                                     cloud_meeting **m) {
  cloud_invitee *inv = cloud_invitee_by_id(&app->store, q->params[0], m);
  if (!inv || (*m)->host != q->user) {
    cloud_resp_error(r, q, 404, NOT_FOUND, "Invitee not found.");
    return NULL;
  }
  return inv;
}

/* POST /v1/meetingInvitees */
static void add(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cJSON *body = cloud_req_json(q);
  const cJSON *mid = cJSON_GetObjectItemCaseSensitive(body, "meetingId");
  cloud_invitee_input in;
  char err[200];
  if (!body || !cJSON_IsString(mid)) {
    cloud_resp_error(r, q, 400, INVALID, "meetingId and email are required.");
  } else if (cloud_invitee_input_parse(body, 1, &in, err, sizeof err) != 0) {
    cloud_resp_error(r, q, 400, INVALID, err);
  } else {
    cloud_meeting *m = hosted(app, q, r, mid->valuestring);
    cloud_invitee *inv = NULL;
    if (!m) {
      /* answered */
    } else if (cloud_invitee_by_email(m, in.email)) {
      cloud_resp_error(r, q, 409, "User is already a meeting invitee.", NULL);
    } else if (!(inv = cloud_invitee_add(m, in.email, in.display_name, in.co_host, in.panelist))) {
      cloud_resp_error(r, q, 403, "The meeting has too many invitees.", NULL);
    } else {
      cloud_resp_json(r, 200, cloud_invitee_json(m, inv));
    }
  }
  cJSON_Delete(body);
}

/* GET /v1/meetingInvitees?meetingId=... */
static void list(cloud_app *app, cloud_req *q, cloud_resp *r) {
  size_t max, offset;
  const char *mid = cloud_req_arg(q, "meetingId");
  if (!mid || cloud_page_parse(q, 100, &max, &offset) != 0) {
    cloud_resp_error(r, q, 400, INVALID, "meetingId is required; max must be 1..100.");
    return;
  }
  cloud_meeting *m = hosted(app, q, r, mid);
  if (!m) return;
  const char *panelist = cloud_req_arg(q, "panelist");
  cJSON *root = cJSON_CreateObject();
  cJSON *items = cJSON_AddArrayToObject(root, "items");
  size_t seen = 0;
  for (size_t i = 0; i < m->invitees.len; i++) {
    const cloud_invitee *inv = m->invitees.items[i];
    if (panelist && inv->panelist != (strcmp(panelist, "true") == 0)) continue;
    if (seen >= offset && seen < offset + max)
      cJSON_AddItemToArray(items, cloud_invitee_json(m, inv));
    seen++;
  }
  if (offset + max < seen) cloud_page_link(app, q, r, offset + max);
  cloud_resp_json(r, 200, root);
}

/* GET /v1/meetingInvitees/{meetingInviteeId} */
static void get(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_meeting *m;
  cloud_invitee *inv = hosted_invitee(app, q, r, &m);
  if (inv) cloud_resp_json(r, 200, cloud_invitee_json(m, inv));
}

/* PUT /v1/meetingInvitees/{meetingInviteeId} */
static void put(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_meeting *m;
  cloud_invitee *inv = hosted_invitee(app, q, r, &m);
  if (!inv) return;
  cJSON *body = cloud_req_json(q);
  cloud_invitee_input in;
  char err[200];
  const cloud_invitee *other = NULL;
  if (!body || cloud_invitee_input_parse(body, 1, &in, err, sizeof err) != 0) {
    cloud_resp_error(r, q, 400, INVALID, body ? err : "The body must be a JSON object.");
  } else if ((other = cloud_invitee_by_email(m, in.email)) && other != inv) {
    cloud_resp_error(r, q, 409, "User is already a meeting invitee.", NULL);
  } else if (cloud_meeting_set(&inv->email, in.email) != 0 ||
             (in.display_name && cloud_meeting_set(&inv->display_name, in.display_name) != 0)) {
    cloud_resp_error(r, q, 500, "Out of memory.", NULL);
  } else {
    inv->co_host = in.co_host;
    inv->panelist = in.panelist;
    cloud_resp_json(r, 200, cloud_invitee_json(m, inv));
  }
  cJSON_Delete(body);
}

/* DELETE /v1/meetingInvitees/{meetingInviteeId} */
static void remove_invitee(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_meeting *m;
  cloud_invitee *inv = hosted_invitee(app, q, r, &m);
  if (!inv) return;
  cloud_invitee_remove(m, inv);
  cloud_resp_empty(r, 204);
}

const cloud_route cloud_invitees_routes[] = {
    {CLOUD_POST, "/v1/meetingInvitees", add, 0},
    {CLOUD_GET, "/v1/meetingInvitees", list, 0},
    {CLOUD_GET, "/v1/meetingInvitees/{meetingInviteeId}", get, 0},
    {CLOUD_PUT, "/v1/meetingInvitees/{meetingInviteeId}", put, 0},
    {CLOUD_DELETE, "/v1/meetingInvitees/{meetingInviteeId}", remove_invitee, 0},
    {0, NULL, NULL, 0},
};
