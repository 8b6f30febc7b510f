#include "meeting/info.h"

#include <string.h>

#include "rest/json.h"
#include "rest/url.h"

/* The official SDK's POLICY_ERROR_CODES. */
static const long policy_codes[] = {403049, 403104, 403103, 403048, 403102, 403101};

usm_err usm__info_query_for(const usm_destination *d, const char *person_email, const char *user_id,
                            const char *org_id, usm__info_query *q) {
  memset(q, 0, sizeof *q);
  switch (d->type) {
    case USM_DEST_MEETING_NUMBER: q->key = "meetingKey", q->value = d->value; break;
    case USM_DEST_SIP_URI: q->key = "sipUrl", q->value = d->value; break;
    case USM_DEST_MEETING_LINK: q->key = "meetingUrl", q->value = d->value; break;
    case USM_DEST_PERSON_ID: q->key = "sipUrl", q->value = person_email; break;
    case USM_DEST_PERSONAL_ROOM:
      if (d->flags & USM_DEST_F_EMAIL) {
        q->key = "sipUrl", q->value = d->value;
      } else {
        q->key = "userId", q->value = user_id;
        q->org_id = org_id;
      }
      break;
    default: return USM_ERR_INVALID_ARG;
  }
  return q->value && q->value[0] ? USM_OK : USM_ERR_INVALID_ARG;
}

char *usm__info_body(const usm__info_query *q) {
  cJSON *o = cJSON_CreateObject();
  int ok = o && cJSON_AddTrueToObject(o, "supportHostKey") && cJSON_AddTrueToObject(o, "supportCountryList");
  const struct {
    const char *k, *v;
  } f[] = {
    {"permissionToken", q->permission_token}, {q->key, q->value}, {"orgId", q->org_id},
    {"password", q->password}, {"captchaID", q->captcha_id}, {"captchaVerifyCode", q->captcha_code},
  };
  for (size_t i = 0; ok && i < sizeof f / sizeof f[0]; i++)
    if (f[i].k && f[i].v) ok = cJSON_AddStringToObject(o, f[i].k, f[i].v) != NULL;
  char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  return s;
}

/* A string member of at most @p max bytes, else NULL. */
static const char *str_max(const cJSON *o, const char *key, size_t max) {
  const char *s = usm__json_str(o, key);
  return s && strnlen(s, max + 1) <= max ? s : NULL;
}

static const char *str(const cJSON *o, const char *key) { return str_max(o, key, USM__INFO_STR_MAX); }

static void take_info(const cJSON *o, usm__info_result *r) {
  r->meeting_number = str(o, "meetingNumber");
  r->sip_url = str(o, "sipUrl");
  r->join_url = str(o, "meetingJoinUrl");
  r->locus_url = str(o, "locusUrl");
  r->permission_token = str_max(o, "permissionToken", USM__INFO_TOKEN_MAX);
  r->host_id = str(o, "hostId");
  r->owner = str(o, "owner");
  r->meeting_id = str(o, "meetingId");
  r->title = str(o, "title");
}

static void bad(usm__info_result *r) {
  r->kind = USM__INFO_ERROR;
  r->err = USM_ERR_BAD_RESPONSE;
}

void usm__info_classify(int http_status, usm_err err, const char *body, size_t len, usm__info_result *r) {
  memset(r, 0, sizeof *r);
  r->err = err;
  r->root = body ? usm__json_parse(body, len) : NULL;
  const cJSON *root = cJSON_IsObject(r->root) ? r->root : NULL;
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "code");
  if (cJSON_IsNumber(code) && code->valuedouble > -1e9 && code->valuedouble < 1e9) r->code = (long)code->valuedouble;
  r->message = str(root, "message");

  if (err == USM_OK) {
    if (!root) return bad(r);
    take_info(root, r);
    /* The join needs a locus URL, or an address to call the meeting by. */
    if (r->locus_url && usm__url_check(r->locus_url) != USM_OK) return bad(r);
    if (!r->locus_url && !r->join_url && !r->sip_url && !r->meeting_number) return bad(r);
    r->kind = USM__INFO_OK;
    return;
  }
  if (http_status == 404) {
    r->kind = USM__INFO_NOT_FOUND;
    r->err = USM_ERR_NO_MEETING_INFO;
    return;
  }
  if (http_status == 403) {
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    take_info(cJSON_GetObjectItemCaseSensitive(data, "meetingInfo"), r);
    r->locus_url = r->permission_token = NULL; /* partial info never authorises a join */
    r->kind = USM__INFO_PASSWORD;
    r->err = USM_ERR_PASSWORD_REQUIRED;
    for (size_t i = 0; i < sizeof policy_codes / sizeof policy_codes[0]; i++)
      if (r->code == policy_codes[i]) {
        r->kind = USM__INFO_POLICY;
        r->err = USM_ERR_POLICY;
      }
    return;
  }
  if (http_status == 423) {
    r->captcha_id = str(root, "captchaID");
    r->captcha_image = str(root, "verificationImageURL");
    r->captcha_audio = str(root, "verificationAudioURL");
    r->captcha_refresh = str(root, "refreshURL");
    if (!r->captcha_id || !r->captcha_id[0]) return bad(r);
    r->kind = USM__INFO_CAPTCHA;
    r->err = USM_ERR_CAPTCHA_REQUIRED;
    r->password_required = r->code == 423005 || r->code == 423006;
    return;
  }
  r->kind = USM__INFO_ERROR;
}

void usm__info_result_free(usm__info_result *r) {
  cJSON_Delete(r->root);
  r->root = NULL;
}

usm_err usm__captcha_parse(const cJSON *root, const char **id, const char **image, const char **audio) {
  *id = str(root, "captchaID");
  *image = str(root, "verificationImageURL");
  *audio = str(root, "verificationAudioURL");
  return *id && (*id)[0] ? USM_OK : USM_ERR_BAD_RESPONSE;
}
