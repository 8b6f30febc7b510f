/* /v1/meetings: create (scheduled and ad hoc), get, list, update, delete,
 * end; as the official OpenAPI spec describes them. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "hydra_ids.h"
#include "meeting_input.h"
#include "meeting_json.h"
#include "paging.h"
#include "timefmt.h"

#define ADHOC_START_S (5 * 60)
#define ADHOC_END_S (20 * 60)

static const char INVALID[] = "The input parameters contain invalid items.";
static const char NOT_FOUND[] = "The requested resource could not be found.";

/* The meeting in path parameter 0 as the caller may see it, or NULL after
 * answering 404 (or 403 when @p host_only and the caller is not the host). */
static cloud_meeting *find(cloud_app *app, cloud_req *q, cloud_resp *r, int host_only) {
  cloud_meeting *m = cloud_meeting_by_id(&app->store, q->params[0]);
  if (!m || !cloud_meeting_visible(m, q->user, q->password)) {
    cloud_resp_error(r, q, 404, NOT_FOUND, "Meeting not found.");
    return NULL;
  }
  if (host_only && m->host != q->user) {
    cloud_resp_error(r, q, 403, "Only the host may do this.", NULL);
    return NULL;
  }
  return m;
}

/* Space members (but @p except) become invitees. */
static int invite_space(cloud_store *s, cloud_meeting *m, const cloud_user *except, int co_host) {
  for (size_t i = 0; i < m->space->members.len; i++) {
    const char *email = m->space->members.items[i];
    if (cloud_email_eq(email, except->email) || cloud_invitee_by_email(m, email)) continue;
    const cloud_user *u = cloud_user_by_email(s, email);
    if (!cloud_invitee_add(m, email, u ? u->name : NULL, co_host, 0)) return -1;
  }
  return 0;
}

static int add_invitees(cloud_meeting *m, const cJSON *list) {
  const cJSON *e;
  cJSON_ArrayForEach(e, list) {
    cloud_invitee_input ii;
    char err[8];
    if (cloud_invitee_input_parse(e, 1, &ii, err, sizeof err) != 0) continue; /* checked before */
    if (cloud_invitee_by_email(m, ii.email)) continue;
    if (!cloud_invitee_add(m, ii.email, ii.display_name, ii.co_host, ii.panelist)) return -1;
  }
  return 0;
}

/* Fills a new meeting from the validated input. */
static int setup(cloud_app *app, cloud_meeting *m, const cloud_meeting_input *in,
                 cloud_user *caller) {
  if (cloud_meeting_input_apply(in, m) != 0) return -1;
  if (!m->timezone && cloud_meeting_set(&m->timezone, "UTC") != 0) return -1;
  if (m->kind == CLOUD_MEETING_ADHOC) {
    /* The API picks an instant meeting's title, times and invitees. */
    time_t now = (time_t)(cloud_now_ms() / 1000);
    m->start = now + ADHOC_START_S;
    m->end = now + ADHOC_END_S;
    if (!in->title && cloud_meeting_set(&m->title, caller->name) != 0) return -1;
    return cloud_meeting_set(&m->timezone, "UTC") || invite_space(&app->store, m, caller, 0);
  }
  if (add_invitees(m, in->invitees) != 0) return -1;
  if (m->space && !in->invitees) return invite_space(&app->store, m, caller, 1);
  return 0;
}

/* POST /v1/meetings */
static void create(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_user *u = q->user;
  if (u->type != CLOUD_USER_PERSON || !u->licensed) {
    cloud_resp_error(r, q, 403,
                     "The user does not have a Webex Meetings license and cannot create meetings.",
                     NULL);
    return;
  }
  cJSON *body = cloud_req_json(q);
  if (!body) {
    cloud_resp_error(r, q, 400, INVALID, "The request body must be a JSON object.");
    return;
  }
  cloud_meeting_input in;
  char err[200];
  int status = 400;
  if (cloud_meeting_input_parse(body, CLOUD_INPUT_CREATE, u, NULL, &in, &status, err, sizeof err) !=
      0) {
    cloud_resp_error(r, q, status, status == 400 ? INVALID : err, err);
    goto out;
  }
  cloud_space *space = NULL;
  if (in.room_id) {
    char uuid[CLOUD_UUID_SIZE];
    space = cloud_hydra_decode("ROOM", in.room_id, uuid) == 0 ? cloud_space_by_id(&app->store, uuid)
                                                              : NULL;
    if (!space || !cloud_space_has(space, u)) {
      cloud_resp_error(r, q, 404, NOT_FOUND, "Space not found.");
      goto out;
    }
    cloud_meeting *live = in.adhoc ? cloud_meeting_adhoc_of(&app->store, space) : NULL;
    if (live) { /* a space has one instant meeting at a time */
      cloud_resp_json(r, 200, cloud_meeting_json(live, 0));
      goto out;
    }
  }
  cloud_meeting *m =
      cloud_meeting_new(&app->store, in.adhoc ? CLOUD_MEETING_ADHOC : CLOUD_MEETING_SCHEDULED, u);
  if (!m) {
    cloud_resp_error(r, q, 403, "The local cloud holds too many meetings.", NULL);
    goto out;
  }
  m->space = space;
  if (setup(app, m, &in, u) != 0) {
    cloud_meeting_delete(&app->store, m);
    cloud_resp_error(r, q, 500, "Out of memory.", NULL);
    goto out;
  }
  cloud_resp_json(r, 200, cloud_meeting_json(m, 0));
out:
  cloud_meeting_input_free(&in);
  cJSON_Delete(body);
}

/* GET /v1/meetings/{meetingId} */
static void get(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_meeting *m = find(app, q, r, 0);
  if (m) cloud_resp_json(r, 200, cloud_meeting_json(m, 0));
}

static int list_filters_ok(const cloud_req *q, time_t *from, time_t *to) {
  static const char *const types[] = {"meetingSeries", "scheduledMeeting", "meeting", NULL};
  static const char *const states[] = {"active", "scheduled", "ready",   "lobby", "inProgress",
                                       "ended",  "missed",    "expired", NULL};
  const char *type = cloud_req_arg(q, "meetingType"), *state = cloud_req_arg(q, "state");
  int ok_type = !type, ok_state = !state;
  for (const char *const *t = types; type && *t; t++) ok_type |= strcmp(*t, type) == 0;
  for (const char *const *s = states; state && *s; s++) ok_state |= strcmp(*s, state) == 0;
  int exclusive = !!cloud_req_arg(q, "meetingNumber") + !!cloud_req_arg(q, "webLink") +
                  !!cloud_req_arg(q, "roomId");
  const char *f = cloud_req_arg(q, "from"), *t = cloud_req_arg(q, "to");
  *from = 0;
  *to = 0;
  return ok_type && ok_state && exclusive <= 1 && (!f || cloud_time_parse(f, from) == 0) &&
         (!t || cloud_time_parse(t, to) == 0);
}

static int matches(const cloud_req *q, const cloud_meeting *m, time_t from, time_t to) {
  if (m->kind == CLOUD_MEETING_PERSONAL_ROOM) return 0;
  const char *number = cloud_req_arg(q, "meetingNumber"), *link = cloud_req_arg(q, "webLink");
  const char *room = cloud_req_arg(q, "roomId"), *type = cloud_req_arg(q, "meetingType");
  const char *state = cloud_req_arg(q, "state"), *series = cloud_req_arg(q, "meetingSeriesId");
  char uuid[CLOUD_UUID_SIZE], buf[512];
  if (number || link || room) {
    /* A lookup finds any meeting the caller may see, not only its own. */
    if (!cloud_meeting_is_trusted(m, q->user)) return 0;
    if (number && strcmp(number, m->number) != 0) return 0;
    if (link && (cloud_meeting_link(m, buf, sizeof buf), strcmp(link, buf) != 0)) return 0;
    if (room && (!m->space || cloud_hydra_decode("ROOM", room, uuid) != 0 ||
                 strcmp(uuid, m->space->id) != 0))
      return 0;
  } else if (m->host != q->user) {
    return 0;
  }
  const char *mtype = m->kind == CLOUD_MEETING_ADHOC ? "meeting" : "meetingSeries";
  const char *mstate = cloud_meeting_state(m);
  if (type && strcmp(type, mtype) != 0) return 0;
  if (state && strcmp(state, mstate) != 0) return 0;
  if (series && strcmp(series, m->id) != 0) return 0;
  if (from && m->end <= from) return 0;
  if (to && m->start >= to) return 0;
  return 1;
}

static int by_start(const void *a, const void *b) {
  const cloud_meeting *x = *(cloud_meeting *const *)a, *y = *(cloud_meeting *const *)b;
  return (x->start > y->start) - (x->start < y->start);
}

/* GET /v1/meetings */
static void list(cloud_app *app, cloud_req *q, cloud_resp *r) {
  size_t max, offset;
  time_t from, to;
  if (cloud_page_parse(q, 10, &max, &offset) != 0 || !list_filters_ok(q, &from, &to)) {
    cloud_resp_error(r, q, 400, INVALID,
                     "Check max (1..100), meetingType, state, from/to (ISO 8601) and that only "
                     "one of meetingNumber, webLink and roomId is given.");
    return;
  }
  const char *host = cloud_req_arg(q, "hostEmail");
  if (host && !cloud_email_eq(host, q->user->email)) {
    cloud_resp_error(r, q, 403, "Only the caller's own meetings can be listed.", NULL);
    return;
  }
  cloud_vec found = {0};
  for (size_t i = 0; i < app->store.meetings.len; i++) {
    cloud_meeting *m = app->store.meetings.items[i];
    if (matches(q, m, from, to) && cloud_vec_push(&found, m) != 0) break;
  }
  if (found.len > 1) qsort(found.items, found.len, sizeof *found.items, by_start);
  cJSON *root = cJSON_CreateObject();
  cJSON *items = cJSON_AddArrayToObject(root, "items");
  for (size_t i = offset; i < found.len && i < offset + max; i++)
    cJSON_AddItemToArray(items, cloud_meeting_json(found.items[i], 1));
  if (offset + max < found.len) cloud_page_link(app, q, r, offset + max);
  cloud_vec_free(&found);
  cloud_resp_json(r, 200, root);
}

static void update(cloud_app *app, cloud_req *q, cloud_resp *r, cloud_input_mode mode) {
  cloud_meeting *m = find(app, q, r, 1);
  if (!m) return;
  cJSON *body = cloud_req_json(q);
  if (!body) {
    cloud_resp_error(r, q, 400, INVALID, "The request body must be a JSON object.");
    return;
  }
  cloud_meeting_input in;
  char err[200];
  int status = 400;
  if (cloud_meeting_input_parse(body, mode, q->user, m, &in, &status, err, sizeof err) != 0)
    cloud_resp_error(r, q, status, status == 400 ? INVALID : err, err);
  else if (cloud_meeting_input_apply(&in, m) != 0)
    cloud_resp_error(r, q, 500, "Out of memory.", NULL);
  else
    cloud_resp_json(r, 200, cloud_meeting_json(m, 1));
  cloud_meeting_input_free(&in);
  cJSON_Delete(body);
}

/* PUT /v1/meetings/{meetingId} */
static void put(cloud_app *app, cloud_req *q, cloud_resp *r) { update(app, q, r, CLOUD_INPUT_PUT); }

/* PATCH /v1/meetings/{meetingId} */
static void patch(cloud_app *app, cloud_req *q, cloud_resp *r) {
  update(app, q, r, CLOUD_INPUT_PATCH);
}

/* DELETE /v1/meetings/{meetingId} */
static void delete_meeting(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_meeting *m = find(app, q, r, 1);
  if (!m) return;
  cloud_meeting_delete(&app->store, m);
  cloud_resp_empty(r, 204);
}

/* POST /v1/meetings/{meetingId}/end */
static void end(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_meeting *m = find(app, q, r, 1);
  if (!m) return;
  if (m->ended) {
    cloud_resp_error(r, q, 409, "The meeting has ended already.", NULL);
    return;
  }
  cloud_meeting_end(&app->store, m);
  cloud_resp_empty(r, 204);
}

const cloud_route cloud_meetings_routes[] = {
    {CLOUD_POST, "/v1/meetings", create, 0},
    {CLOUD_GET, "/v1/meetings", list, 0},
    {CLOUD_GET, "/v1/meetings/{meetingId}", get, 0},
    {CLOUD_PUT, "/v1/meetings/{meetingId}", put, 0},
    {CLOUD_PATCH, "/v1/meetings/{meetingId}", patch, 0},
    {CLOUD_DELETE, "/v1/meetings/{meetingId}", delete_meeting, 0},
    {CLOUD_POST, "/v1/meetings/{meetingId}/end", end, 0},
    {0, NULL, NULL, 0},
};
