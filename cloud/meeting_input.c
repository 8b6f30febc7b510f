#include "meeting_input.h"

#include <stdio.h>
#include <string.h>

#include "http.h"
#include "timefmt.h"

#define MIN_DURATION_S (10 * 60)
#define MAX_DURATION_S (24 * 3600 - 60)
#define PAST_TOLERANCE_S 60

typedef enum opt_type { OPT_BOOL, OPT_NUM, OPT_ENUM, OPT_STRING, OPT_STRINGS, OPT_OBJECT } opt_type;

typedef struct opt {
  const char *key;
  opt_type type;
  double lo, hi;             /* OPT_NUM range; OPT_STRING(S) max length */
  const char *const *values; /* OPT_ENUM, NULL-terminated */
  const struct opt *sub;     /* OPT_OBJECT members */
} opt;

static const char *const NOTE_TYPES[] = {"allowAll", "allowOne", NULL};
static const char *const AUDIO_TYPES[] = {"webexAudio", "VoIP", "other", "none", NULL};
static const char *const TONES[] = {"beep", "announceName", "noTone", NULL};
static const char *const JOIN_SECURITY[] = {"allowJoin", "allowJoinWithLobby", "blockFromJoin",
                                            NULL};

static const opt MEETING_OPTIONS[] = {
    {"enabledChat", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledVideo", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledPolling", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledNote", OPT_BOOL, 0, 0, NULL, NULL},
    {"noteType", OPT_ENUM, 0, 0, NOTE_TYPES, NULL},
    {"enabledFileTransfer", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledUCFRichMedia", OPT_BOOL, 0, 0, NULL, NULL},
    {NULL, OPT_BOOL, 0, 0, NULL, NULL},
};

static const opt ATTENDEE_PRIVILEGES[] = {
    {"enabledShareContent", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledSaveDocument", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledPrintDocument", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledAnnotate", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledViewParticipantList", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledViewThumbnails", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledRemoteControl", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledViewAnyDocument", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledViewAnyPage", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledContactOperatorPrivately", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledChatHost", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledChatPresenter", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledChatOtherParticipants", OPT_BOOL, 0, 0, NULL, NULL},
    {NULL, OPT_BOOL, 0, 0, NULL, NULL},
};

static const opt AUDIO_OPTIONS[] = {
    {"audioConnectionType", OPT_ENUM, 0, 0, AUDIO_TYPES, NULL},
    {"enabledTollFreeCallIn", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledGlobalCallIn", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledAudienceCallBack", OPT_BOOL, 0, 0, NULL, NULL},
    {"entryAndExitTone", OPT_ENUM, 0, 0, TONES, NULL},
    {"allowHostToUnmuteParticipants", OPT_BOOL, 0, 0, NULL, NULL},
    {"allowAttendeeToUnmuteSelf", OPT_BOOL, 0, 0, NULL, NULL},
    {"muteAttendeeUponEntry", OPT_BOOL, 0, 0, NULL, NULL},
    {NULL, OPT_BOOL, 0, 0, NULL, NULL},
};

/* The options the meeting object echoes back as they were given. */
static const opt OPTIONS[] = {
    {"enabledAutoRecordMeeting", OPT_BOOL, 0, 0, NULL, NULL},
    {"allowAnyUserToBeCoHost", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledJoinBeforeHost", OPT_BOOL, 0, 0, NULL, NULL},
    {"enableConnectAudioBeforeHost", OPT_BOOL, 0, 0, NULL, NULL},
    {"joinBeforeHostMinutes", OPT_NUM, 0, 15, NULL, NULL},
    {"excludePassword", OPT_BOOL, 0, 0, NULL, NULL},
    {"publicMeeting", OPT_BOOL, 0, 0, NULL, NULL},
    {"reminderTime", OPT_NUM, 0, 10080, NULL, NULL},
    {"unlockedMeetingJoinSecurity", OPT_ENUM, 0, 0, JOIN_SECURITY, NULL},
    {"sessionTypeId", OPT_NUM, 0, 1000000, NULL, NULL},
    {"enabledWebcastView", OPT_BOOL, 0, 0, NULL, NULL},
    {"panelistPassword", OPT_STRING, 0, 64, NULL, NULL},
    {"enableAutomaticLock", OPT_BOOL, 0, 0, NULL, NULL},
    {"automaticLockMinutes", OPT_NUM, 0, 60, NULL, NULL},
    {"allowFirstUserToBeCoHost", OPT_BOOL, 0, 0, NULL, NULL},
    {"allowAuthenticatedDevices", OPT_BOOL, 0, 0, NULL, NULL},
    {"meetingOptions", OPT_OBJECT, 0, 0, NULL, MEETING_OPTIONS},
    {"attendeePrivileges", OPT_OBJECT, 0, 0, NULL, ATTENDEE_PRIVILEGES},
    {"audioConnectionOptions", OPT_OBJECT, 0, 0, NULL, AUDIO_OPTIONS},
    {"integrationTags", OPT_STRINGS, 0, 256, NULL, NULL},
    {"enabledBreakoutSessions", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledAudioWatermark", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledVisualWatermark", OPT_BOOL, 0, 0, NULL, NULL},
    {"visualWatermarkOpacity", OPT_NUM, 5, 80, NULL, NULL},
    {"requireAttendeeLogin", OPT_BOOL, 0, 0, NULL, NULL},
    {"restrictToInvitees", OPT_BOOL, 0, 0, NULL, NULL},
    {"enabledLiveStream", OPT_BOOL, 0, 0, NULL, NULL},
    {NULL, OPT_BOOL, 0, 0, NULL, NULL},
};

/* Members only POST /v1/meetings takes (the spec's UpdateMeetingObject
 * has none of them). */
static const char *const CREATE_ONLY[] = {"adhoc",
                                          "roomId",
                                          "templateId",
                                          "invitees",
                                          "siteUrl",
                                          "scheduledType",
                                          "registration",
                                          "simultaneousInterpretation",
                                          "breakoutSessions",
                                          NULL};

/* Spec defaults for a new meeting. */
static const char DEFAULT_OPTIONS[] =
    "{\"enabledAutoRecordMeeting\":false,\"allowAnyUserToBeCoHost\":false,"
    "\"enabledJoinBeforeHost\":false,\"enableConnectAudioBeforeHost\":false,"
    "\"joinBeforeHostMinutes\":0,\"excludePassword\":false,\"publicMeeting\":false,"
    "\"reminderTime\":10,\"unlockedMeetingJoinSecurity\":\"allowJoinWithLobby\","
    "\"enableAutomaticLock\":false,\"allowFirstUserToBeCoHost\":false,"
    "\"allowAuthenticatedDevices\":false,\"enabledBreakoutSessions\":false,"
    "\"meetingOptions\":{\"enabledChat\":true,\"enabledVideo\":true,\"enabledPolling\":false,"
    "\"enabledNote\":true,\"noteType\":\"allowAll\",\"enabledFileTransfer\":false,"
    "\"enabledUCFRichMedia\":false},"
    "\"attendeePrivileges\":{\"enabledShareContent\":true,\"enabledSaveDocument\":false,"
    "\"enabledPrintDocument\":false,\"enabledAnnotate\":false,"
    "\"enabledViewParticipantList\":true,\"enabledViewThumbnails\":false,"
    "\"enabledRemoteControl\":true,\"enabledViewAnyDocument\":false,"
    "\"enabledViewAnyPage\":false,\"enabledContactOperatorPrivately\":false,"
    "\"enabledChatHost\":true,\"enabledChatPresenter\":true,"
    "\"enabledChatOtherParticipants\":true},"
    "\"audioConnectionOptions\":{\"audioConnectionType\":\"webexAudio\","
    "\"enabledTollFreeCallIn\":false,\"enabledGlobalCallIn\":true,"
    "\"enabledAudienceCallBack\":false,\"entryAndExitTone\":\"beep\","
    "\"allowHostToUnmuteParticipants\":false,\"allowAttendeeToUnmuteSelf\":true,"
    "\"muteAttendeeUponEntry\":true}}";

cJSON *cloud_meeting_default_options(void) {
  return cJSON_ParseWithLengthOpts(DEFAULT_OPTIONS, sizeof DEFAULT_OPTIONS - 1, NULL, 0);
}

/* Sets *status and "<key> <what>" as the reason; returns -1. */
static int fail(int *status, int code, char *err, size_t errlen, const char *key,
                const char *what) {
  *status = code;
  snprintf(err, errlen, "%s %s", key, what);
  return -1;
}

/* Checks @p v against @p o; 0 or -1 with a description. */
static int check_opt(const opt *o, const cJSON *v, char *err, size_t errlen, int *status) {
  switch (o->type) {
  case OPT_BOOL:
    if (!cJSON_IsBool(v)) return fail(status, 400, err, errlen, o->key, "must be a boolean.");
    return 0;
  case OPT_NUM:
    if (!cJSON_IsNumber(v) || v->valuedouble < o->lo || v->valuedouble > o->hi ||
        v->valuedouble != (double)(long)v->valuedouble)
      return fail(status, 400, err, errlen, o->key, "is not a valid number.");
    /* The spec allows only these join-before-host minutes. */
    if (strcmp(o->key, "joinBeforeHostMinutes") == 0 && (long)v->valuedouble % 5 != 0)
      return fail(status, 400, err, errlen, o->key, "must be 0, 5, 10 or 15.");
    return 0;
  case OPT_ENUM:
    for (const char *const *e = o->values; cJSON_IsString(v) && *e; e++)
      if (strcmp(*e, v->valuestring) == 0) return 0;
    return fail(status, 400, err, errlen, o->key, "has a value the API does not know.");
  case OPT_STRING:
    if (!cJSON_IsString(v) || strlen(v->valuestring) > (size_t)o->hi)
      return fail(status, 400, err, errlen, o->key, "must be a short string.");
    return 0;
  case OPT_STRINGS: {
    const cJSON *e;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > 20)
      return fail(status, 400, err, errlen, o->key, "must be an array of strings.");
    cJSON_ArrayForEach(e, v) {
      if (!cJSON_IsString(e) || strlen(e->valuestring) > (size_t)o->hi)
        return fail(status, 400, err, errlen, o->key, "must be an array of strings.");
    }
    return 0;
  }
  case OPT_OBJECT:
    if (!cJSON_IsObject(v)) return fail(status, 400, err, errlen, o->key, "must be an object.");
    for (const opt *s = o->sub; s->key; s++) {
      const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, s->key);
      if (m && check_opt(s, m, err, errlen, status) != 0) return -1;
    }
    return 0;
  }
  return -1;
}

/* Copies the known members of @p v (an OPT_OBJECT) only. */
static cJSON *copy_known(const opt *o, const cJSON *v) {
  if (o->type != OPT_OBJECT) return cJSON_Duplicate(v, 1);
  cJSON *c = cJSON_CreateObject();
  for (const opt *s = o->sub; s->key; s++) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, s->key);
    if (m) cJSON_AddItemToObject(c, s->key, cJSON_Duplicate(m, 1));
  }
  return c;
}

/* A string member: 1 present and valid, 0 absent, -1 invalid. */
static int text(const cJSON *body, const char *key, size_t min_chars, size_t max_chars,
                const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
  if (!v) return 0;
  if (!cJSON_IsString(v)) return -1;
  size_t n = cloud_utf8_chars(v->valuestring);
  if (n < min_chars || n > max_chars) return -1;
  for (const char *c = v->valuestring; *c; c++)
    if ((unsigned char)*c < 0x20 && *c != '\n' && *c != '\r' && *c != '\t') return -1;
  *out = v->valuestring;
  return 1;
}

int cloud_invitee_input_parse(const cJSON *o, int email_required, cloud_invitee_input *out,
                              char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  const cJSON *email = cJSON_GetObjectItemCaseSensitive(o, "email");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "displayName");
  const cJSON *co = cJSON_GetObjectItemCaseSensitive(o, "coHost");
  const cJSON *pan = cJSON_GetObjectItemCaseSensitive(o, "panelist");
  if (!cJSON_IsObject(o) || (email_required && !email) ||
      (email && (!cJSON_IsString(email) || !cloud_email_valid(email->valuestring)))) {
    snprintf(err, errlen, "An invitee needs a valid email address.");
    return -1;
  }
  if ((name && (!cJSON_IsString(name) || cloud_utf8_chars(name->valuestring) > 256)) ||
      (co && !cJSON_IsBool(co)) || (pan && !cJSON_IsBool(pan))) {
    snprintf(err, errlen, "displayName must be a string; coHost and panelist booleans.");
    return -1;
  }
  out->email = email ? email->valuestring : NULL;
  out->display_name = name ? name->valuestring : NULL;
  out->co_host = cJSON_IsTrue(co);
  out->panelist = cJSON_IsTrue(pan);
  return 0;
}

static int parse_times(const cJSON *body, cloud_input_mode mode, const cloud_meeting *current,
                       cloud_meeting_input *in, int *status, char *err, size_t errlen) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(body, "start");
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "end");
  if (!s && !e) {
    if (mode == CLOUD_INPUT_PATCH) return 0;
    return fail(status, 400, err, errlen, "title, start and end", "are required.");
  }
  if (mode != CLOUD_INPUT_PATCH && (!s || !e))
    return fail(status, 400, err, errlen, "title, start and end", "are required.");
  time_t start = current ? current->start : 0, end = current ? current->end : 0;
  if ((s && (!cJSON_IsString(s) || cloud_time_parse(s->valuestring, &start) != 0)) ||
      (e && (!cJSON_IsString(e) || cloud_time_parse(e->valuestring, &end) != 0)))
    return fail(status, 400, err, errlen, "start and end", "must be ISO 8601 date-times.");
  if (s && start < (time_t)(cloud_now_ms() / 1000) - PAST_TOLERANCE_S)
    return fail(status, 400, err, errlen, "start", "cannot be in the past.");
  if (end <= start) return fail(status, 400, err, errlen, "end", "must be after start.");
  if (end - start < MIN_DURATION_S || end - start > MAX_DURATION_S)
    return fail(status, 400, err, errlen, "The duration",
                "must be between 10 minutes and 23 hours 59 minutes.");
  in->has_times = 1;
  in->start = start;
  in->end = end;
  return 0;
}

static int parse_options(const cJSON *body, cloud_meeting_input *in, int *status, char *err,
                         size_t errlen) {
  for (const opt *o = OPTIONS; o->key; o++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, o->key);
    if (!v) continue;
    if (check_opt(o, v, err, errlen, status) != 0) return -1;
    if (!in->options && !(in->options = cJSON_CreateObject()))
      return fail(status, 500, err, errlen, "The server", "ran out of memory.");
    cJSON_AddItemToObject(in->options, o->key, copy_known(o, v));
  }
  return 0;
}

static int parse_create_only(const cJSON *body, const cloud_user *caller, cloud_meeting_input *in,
                             int *status, char *err, size_t errlen) {
  const cJSON *adhoc = cJSON_GetObjectItemCaseSensitive(body, "adhoc");
  if (adhoc && !cJSON_IsBool(adhoc))
    return fail(status, 400, err, errlen, "adhoc", "must be a boolean.");
  in->adhoc = cJSON_IsTrue(adhoc);
  if (text(body, "roomId", 1, 512, &in->room_id) < 0)
    return fail(status, 400, err, errlen, "roomId", "must be a space id.");
  if (in->adhoc && !in->room_id)
    return fail(status, 400, err, errlen, "roomId", "is required for an ad hoc meeting.");
  const char *site = NULL, *host = NULL, *type = NULL;
  if (text(body, "siteUrl", 1, 256, &site) < 0 || (site && strcmp(site, CLOUD_SITE) != 0))
    return fail(status, 400, err, errlen, "siteUrl", "must be " CLOUD_SITE ".");
  if (text(body, "scheduledType", 1, 64, &type) < 0 || (type && strcmp(type, "meeting") != 0))
    return fail(status, 400, err, errlen, "scheduledType",
                "must be meeting: the local cloud schedules meetings only.");
  if (text(body, "hostEmail", 1, 254, &host) < 0)
    return fail(status, 400, err, errlen, "hostEmail", "must be an email address.");
  /* Scheduling on behalf of someone else needs admin rights nobody has here. */
  if (host && !cloud_email_eq(host, caller->email))
    return fail(status, 403, err, errlen, "hostEmail", "may only be the caller's own address.");
  const cJSON *inv = cJSON_GetObjectItemCaseSensitive(body, "invitees"), *e;
  if (inv && (!cJSON_IsArray(inv) || cJSON_GetArraySize(inv) > CLOUD_MAX_INVITEES))
    return fail(status, 400, err, errlen, "invitees", "must be an array of at most 1000 invitees.");
  cJSON_ArrayForEach(e, inv) {
    cloud_invitee_input ii;
    if (cloud_invitee_input_parse(e, 1, &ii, err, errlen) != 0) {
      *status = 400;
      return -1;
    }
  }
  in->invitees = inv;
  return 0;
}

int cloud_meeting_input_parse(const cJSON *body, cloud_input_mode mode, const cloud_user *caller,
                              const cloud_meeting *current, cloud_meeting_input *in, int *status,
                              char *err, size_t errlen) {
  memset(in, 0, sizeof *in);
  if (mode == CLOUD_INPUT_CREATE) {
    if (parse_create_only(body, caller, in, status, err, errlen) != 0) return -1;
  } else {
    for (const char *const *k = CREATE_ONLY; *k; k++)
      if (cJSON_HasObjectItem(body, *k))
        return fail(status, 400, err, errlen, *k, "cannot be changed by an update.");
    const char *host = NULL;
    if (text(body, "hostEmail", 1, 254, &host) < 0 ||
        (host && !cloud_email_eq(host, caller->email)))
      return fail(status, 403, err, errlen, "hostEmail", "may only be the caller's own address.");
  }
  int required = mode != CLOUD_INPUT_PATCH && !in->adhoc;
  int t = text(body, "title", 1, 128, &in->title);
  if (t < 0 || (t == 0 && required))
    return fail(status, 400, err, errlen, "title", "is required and at most 128 characters.");
  if (text(body, "agenda", 0, 1300, &in->agenda) < 0)
    return fail(status, 400, err, errlen, "agenda", "must be at most 1300 characters.");
  if (text(body, "password", 1, 64, &in->password) < 0)
    return fail(status, 400, err, errlen, "password", "must be 1 to 64 characters.");
  if (text(body, "timezone", 1, 64, &in->timezone) < 0)
    return fail(status, 400, err, errlen, "timezone", "must be an IANA time zone name.");
  if (text(body, "recurrence", 1, 1024, &in->recurrence) < 0)
    return fail(status, 400, err, errlen, "recurrence", "must be an RFC 2445 rule.");
  /* An ad hoc meeting takes its own times. */
  if (!in->adhoc && parse_times(body, mode, current, in, status, err, errlen) != 0) return -1;
  return parse_options(body, in, status, err, errlen);
}

void cloud_meeting_input_free(cloud_meeting_input *in) {
  cJSON_Delete(in->options);
  in->options = NULL;
}

int cloud_meeting_input_apply(const cloud_meeting_input *in, cloud_meeting *m) {
  if ((in->title && cloud_meeting_set(&m->title, in->title)) ||
      (in->agenda && cloud_meeting_set(&m->agenda, in->agenda)) ||
      (in->password && cloud_meeting_set(&m->password, in->password)) ||
      (in->timezone && cloud_meeting_set(&m->timezone, in->timezone)) ||
      (in->recurrence && cloud_meeting_set(&m->recurrence, in->recurrence)))
    return -1;
  if (in->has_times) {
    m->start = in->start;
    m->end = in->end;
  }
  if (!m->options && !(m->options = cloud_meeting_default_options())) return -1;
  const cJSON *v;
  cJSON_ArrayForEach(v, in->options) {
    cJSON *copy = cJSON_Duplicate(v, 1);
    if (!copy) return -1;
    /* Objects merge member by member; everything else replaces. */
    cJSON *old = cJSON_GetObjectItemCaseSensitive(m->options, v->string);
    if (cJSON_IsObject(old) && cJSON_IsObject(copy)) {
      cJSON *mem = copy->child;
      while (mem) {
        cJSON *next = mem->next;
        /* cJSON frees the item's own key while replacing: use a copy. */
        char key[64];
        snprintf(key, sizeof key, "%s", mem->string);
        cJSON_DetachItemViaPointer(copy, mem);
        if (cJSON_HasObjectItem(old, key))
          cJSON_ReplaceItemInObjectCaseSensitive(old, key, mem);
        else
          cJSON_AddItemToObject(old, key, mem);
        mem = next;
      }
      cJSON_Delete(copy);
    } else if (old) {
      cJSON_ReplaceItemInObjectCaseSensitive(m->options, v->string, copy);
    } else {
      cJSON_AddItemToObject(m->options, v->string, copy);
    }
  }
  return 0;
}
