/* The bot admin API: POST /admin/bots adds a media bot to a meeting's live
 * session (a JOINED participant with CSIs whose media the SFU forwards like
 * anyone's), DELETE /admin/bots/{id} takes it out again (it leaves; its
 * streams end with an RTCP BYE), GET /admin/bots lists them. The bots
 * themselves are in media_bot.c. See docs/local-cloud.md, "Bots". */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "locus_model.h"
#include "media_internal.h"
#include "source/test_signal.h"

#define BOT_SUBJECT "usm-cloud-bot-"
#define MAX_NAME 128

static const char *const KEYS[] = {"meetingNumber", "locusId", "name",  "audio", "video",
                                   "width",         "height",  "fps",   "echo"};

static void bad(cloud_req *q, cloud_resp *r, const char *why) {
  cloud_resp_error(r, q, 400, "The input parameters contain invalid items.", why);
}

/* An integer member in [lo, hi], @p def when absent: 0 ok, -1 wrong. */
static int integer(const cJSON *o, const char *key, unsigned lo, unsigned hi, unsigned def,
                   unsigned *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  *out = def;
  if (!v) return 0;
  if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
      v->valuedouble != (double)(unsigned)v->valuedouble)
    return -1;
  *out = (unsigned)v->valuedouble;
  return 0;
}

/* "audio": "tone" | null, "video": "pattern" | null; absent is the signal. */
static int source_kind(const cJSON *o, const char *key, const char *name, int *on) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  *on = 1;
  if (!v) return 0;
  if (cJSON_IsNull(v)) {
    *on = 0;
    return 0;
  }
  return cJSON_IsString(v) && strcmp(v->valuestring, name) == 0 ? 0 : -1;
}

static int printable(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) return 0;
  return 1;
}

/* Parses the body; the meeting's id in *number or *locus. NULL or the reason. */
static const char *parse(const cJSON *body, cloud_bot_cfg *c, const char **name, const char **number,
                         const char **locus) {
  if (!cJSON_IsObject(body)) return "The body must be a JSON object.";
  const cJSON *e;
  cJSON_ArrayForEach(e, body) {
    int known = 0;
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) known |= strcmp(e->string, KEYS[i]) == 0;
    if (!known) return "Unknown member (see docs/local-cloud.md, Bots).";
  }
  const cJSON *mn = cJSON_GetObjectItemCaseSensitive(body, "meetingNumber");
  const cJSON *li = cJSON_GetObjectItemCaseSensitive(body, "locusId");
  const cJSON *nm = cJSON_GetObjectItemCaseSensitive(body, "name");
  const cJSON *echo = cJSON_GetObjectItemCaseSensitive(body, "echo");
  if (!!mn == !!li || (mn && !cJSON_IsString(mn)) || (li && !cJSON_IsString(li)))
    return "Give the meeting as meetingNumber or locusId (a string), not both.";
  *number = mn ? mn->valuestring : NULL;
  *locus = li ? li->valuestring : NULL;
  *name = "Media Bot";
  if (nm) {
    if (!cJSON_IsString(nm) || !nm->valuestring[0] || strlen(nm->valuestring) > MAX_NAME ||
        !printable(nm->valuestring))
      return "name: 1 to 128 printable characters.";
    *name = nm->valuestring;
  }
  memset(c, 0, sizeof *c);
  if (source_kind(body, "audio", "tone", &c->audio) != 0) return "audio: \"tone\" or null.";
  if (source_kind(body, "video", "pattern", &c->video) != 0) return "video: \"pattern\" or null.";
  if (integer(body, "width", USM__PATTERN_MIN_SIZE, 1920, 640, &c->width) != 0 ||
      integer(body, "height", USM__PATTERN_MIN_SIZE, 1080, 360, &c->height) != 0 ||
      c->width % 2 || c->height % 2)
    return "width, height: even, 64..1920 x 64..1080.";
  if (integer(body, "fps", 1, 60, 30, &c->fps) != 0) return "fps: 1..60.";
  if (echo && !cJSON_IsBool(echo)) return "echo: true or false.";
  c->echo = cJSON_IsTrue(echo);
  return NULL;
}

/* A bot user with no participant in @p l yet (bot users are shared between
 * sessions), or a new one. */
static cloud_user *bot_user(cloud_store *s, const cloud_locus *l, const char *name) {
  for (size_t i = 0; i < s->users.len; i++) {
    cloud_user *u = s->users.items[i];
    if (u->type == CLOUD_USER_GUEST && !u->issuer && u->subject &&
        strncmp(u->subject, BOT_SUBJECT, sizeof BOT_SUBJECT - 1) == 0 &&
        !cloud_locus_participant_of(l, u))
      return cloud_guest_get(s, NULL, u->subject, name);
  }
  char subject[sizeof BOT_SUBJECT + CLOUD_UUID_SIZE];
  memcpy(subject, BOT_SUBJECT, sizeof BOT_SUBJECT - 1);
  cloud_uuid(subject + sizeof BOT_SUBJECT - 1);
  return cloud_guest_get(s, NULL, subject, name);
}

static cJSON *csis_json(const uint32_t csi[2]) {
  cJSON *a = cJSON_CreateArray();
  for (int k = 0; k < 2; k++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)csi[k]));
  return a;
}

/* POST /admin/bots -> {"id", "locusId", "csis"} */
static void add_bot(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cJSON *body = cloud_req_json(q);
  cloud_bot_cfg cfg;
  const char *name = NULL, *number = NULL, *locus_id = NULL;
  const char *why = parse(body, &cfg, &name, &number, &locus_id);
  if (why) {
    bad(q, r, why);
    cJSON_Delete(body);
    return;
  }
  cloud_store *s = &app->store;
  cloud_meeting *m = number ? cloud_meeting_by_number(s, number) : NULL;
  cloud_locus *l = number ? (m ? m->locus : NULL) : cloud_locus_by_id(s, locus_id);
  char err[200] = "";
  if (!app->media) {
    cloud_resp_error(r, q, 503, "The media server is not running.", NULL);
  } else if (number && !m) {
    cloud_resp_error(r, q, 404, "No such meeting.", NULL);
  } else if (!l || l->ended) {
    cloud_resp_error(r, q, 409, "The meeting has no live session: join it first.", NULL);
  } else if (cloud_media_bots_in(app->media, l->id) >= CLOUD_MEDIA_MAX_BOTS) {
    cloud_resp_error(r, q, 409, "Too many bots in this meeting.", "At most 4.");
  } else {
    cloud_user *u = bot_user(s, l, name);
    uint32_t csi[2];
    cloud_media_new_csis(app->media, l->id, csi);
    cloud_participant *p = NULL;
    if (!u || cloud_locus_add_bot(l, u, name, csi, &p) != CLOUD_LOCUS_OK) {
      cloud_resp_error(r, q, 503, "Cannot add a participant.", NULL);
    } else if (!cloud_media_bot_new(app->media, l->id, p->id, csi, &cfg, err, sizeof err)) {
      cloud_locus_leave(l, u, p->id);
      cloud_resp_error(r, q, 503, "Cannot start the bot's media.", err);
    } else {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "id", p->id);
      cJSON_AddStringToObject(o, "locusId", l->id);
      cJSON_AddItemToObject(o, "csis", csis_json(csi));
      cloud_resp_json(r, 200, o);
    }
  }
  cJSON_Delete(body);
}

/* DELETE /admin/bots/{id}: the bot leaves (its media ends with it). */
static void delete_bot(cloud_app *app, cloud_req *q, cloud_resp *r) {
  cloud_media_part *p = cloud_media_find(app->media, q->params[0]);
  cloud_locus *l = p && p->bot ? cloud_locus_by_id(&app->store, p->locus_id) : NULL;
  cloud_participant *cp = l ? cloud_locus_participant(l, p->part_id) : NULL;
  if (!cp || !cp->bot) {
    cloud_resp_error(r, q, 404, "No such bot.", NULL);
    return;
  }
  cloud_locus_leave(l, cp->user, cp->id);
  cloud_media_part_close(p); /* normally done by the locus change already */
  cloud_resp_json(r, 200, cJSON_CreateObject());
}

/* GET /admin/bots */
static void list_bots(cloud_app *app, cloud_req *q, cloud_resp *r) {
  (void)q;
  cJSON *root = cJSON_CreateObject();
  cJSON *list = cJSON_AddArrayToObject(root, "bots");
  for (size_t i = 0; app->media && i < app->media->parts.len; i++) {
    cloud_media_part *p = app->media->parts.items[i];
    if (!p->bot) continue;
    const cloud_locus *l = cloud_locus_by_id(&app->store, p->locus_id);
    const cloud_participant *cp = l ? cloud_locus_participant(l, p->part_id) : NULL;
    cJSON *o = cloud_media_bot_json(p);
    cJSON_AddStringToObject(o, "id", p->part_id);
    cJSON_AddStringToObject(o, "locusId", p->locus_id);
    if (cp && cp->alias) cJSON_AddStringToObject(o, "name", cp->alias);
    cJSON_AddItemToObject(o, "csis", csis_json(p->csi));
    cJSON_AddItemToArray(list, o);
  }
  cloud_resp_json(r, 200, root);
}

const cloud_route cloud_admin_bots_routes[] = {
    {CLOUD_POST, "/admin/bots", add_bot, 0},
    {CLOUD_GET, "/admin/bots", list_bots, 0},
    {CLOUD_DELETE, "/admin/bots/{id}", delete_bot, 0},
    {0, NULL, NULL, 0},
};
