#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hydra.h"
#include "rest/json.h"

/* The built-in demo world (docs/local-cloud.md lists it). */
static const char DEMO[] =
    "{\"captchaAfter\":3,\"users\":["
    "{\"email\":\"host@example.com\",\"name\":\"Hana Host\",\"licensed\":true,"
    "\"token\":\"usm-demo-host-token\",\"type\":\"person\"},"
    "{\"email\":\"alice@example.com\",\"name\":\"Alice Attendee\",\"licensed\":true,"
    "\"token\":\"usm-demo-alice-token\",\"type\":\"person\"},"
    "{\"email\":\"bob@example.com\",\"name\":\"Bob Unlicensed\",\"licensed\":false,"
    "\"token\":\"usm-demo-bob-token\",\"type\":\"person\"},"
    "{\"name\":\"Guest Issuer App\",\"token\":\"usm-demo-serviceapp-token\","
    "\"type\":\"serviceApp\"}],"
    "\"spaces\":[{\"id\":\"5a0c9d1e-7b3f-4e62-9d8a-1f2e3d4c5b6a\",\"title\":\"Design Team\","
    "\"members\":[\"host@example.com\",\"alice@example.com\"]}]}";

#define MAX_NAME 256

/* A string member of at most @p max bytes (1 ok, 0 absent, -1 wrong). */
static int str_member(const cJSON *o, const char *key, size_t max, const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) return 0;
  if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > max) return -1;
  *out = v->valuestring;
  return 1;
}

cloud_user *cloud_config_add_user(cloud_store *s, const cJSON *o, char *err, size_t errlen) {
  const char *email = NULL, *name = NULL, *token = NULL, *type = "person";
  if (!cJSON_IsObject(o)) {
    snprintf(err, errlen, "a user must be an object");
    return NULL;
  }
  if (str_member(o, "email", 254, &email) < 0 || (email && !cloud_email_valid(email))) {
    snprintf(err, errlen, "user email must be a valid address");
    return NULL;
  }
  if (str_member(o, "name", MAX_NAME, &name) < 1 || str_member(o, "token", 4096, &token) < 1 ||
      str_member(o, "type", 32, &type) < 0) {
    snprintf(err, errlen, "a user needs a name and a token (strings)");
    return NULL;
  }
  cloud_user_type t;
  if (strcmp(type, "person") == 0)
    t = CLOUD_USER_PERSON;
  else if (strcmp(type, "serviceApp") == 0)
    t = CLOUD_USER_SERVICE_APP;
  else {
    snprintf(err, errlen, "user type must be \"person\" or \"serviceApp\"");
    return NULL;
  }
  if (t == CLOUD_USER_PERSON && !email) {
    snprintf(err, errlen, "a person needs an email");
    return NULL;
  }
  const cJSON *lic = cJSON_GetObjectItemCaseSensitive(o, "licensed");
  const cJSON *exp = cJSON_GetObjectItemCaseSensitive(o, "expires");
  if ((lic && !cJSON_IsBool(lic)) ||
      (exp && (!cJSON_IsNumber(exp) || exp->valuedouble < 0 || exp->valuedouble > 1e11))) {
    snprintf(err, errlen, "licensed must be a boolean and expires a unix time in seconds");
    return NULL;
  }
  if (email && cloud_user_by_email(s, email)) {
    snprintf(err, errlen, "a user with email %s exists already", email);
    return NULL;
  }
  if (cloud_token_user(s, token, strlen(token))) {
    snprintf(err, errlen, "that token belongs to another user");
    return NULL;
  }
  cloud_user *u = cloud_user_add(s, t, email, name, cJSON_IsTrue(lic));
  if (!u) {
    snprintf(err, errlen, "cannot add the user (limit reached or out of memory)");
    return NULL;
  }
  if (cloud_token_add(s, u, token, exp ? (int64_t)exp->valuedouble : 0) != 0) {
    /* The user stays without a token: unusable but harmless. */
    snprintf(err, errlen, "cannot store the token");
    return NULL;
  }
  return u;
}

static int add_space(cloud_store *s, const cJSON *o, char *err, size_t errlen) {
  const char *id = NULL, *title = NULL;
  if (!cJSON_IsObject(o) || str_member(o, "title", MAX_NAME, &title) < 1 ||
      str_member(o, "id", 36, &id) < 0 || (id && !usm__uuid_valid(id, strlen(id)))) {
    snprintf(err, errlen, "a space needs a title and an optional UUID id");
    return -1;
  }
  if (id && cloud_space_by_id(s, id)) {
    snprintf(err, errlen, "two spaces share the id %s", id);
    return -1;
  }
  cloud_space *sp = cloud_space_add(s, id, title);
  if (!sp) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  const cJSON *members = cJSON_GetObjectItemCaseSensitive(o, "members"), *m;
  if (members && !cJSON_IsArray(members)) {
    snprintf(err, errlen, "space members must be an array of emails");
    return -1;
  }
  cJSON_ArrayForEach(m, members) {
    if (!cJSON_IsString(m) || !cloud_email_valid(m->valuestring)) {
      snprintf(err, errlen, "space members must be email addresses");
      return -1;
    }
    if (sp->members.len >= CLOUD_MAX_USERS || cloud_space_add_member(sp, m->valuestring) != 0) {
      snprintf(err, errlen, "too many space members");
      return -1;
    }
  }
  return 0;
}

int cloud_config_apply(cloud_store *s, const cJSON *root, char *err, size_t errlen) {
  if (!cJSON_IsObject(root)) {
    snprintf(err, errlen, "the config must be a JSON object");
    return -1;
  }
  const cJSON *ca = cJSON_GetObjectItemCaseSensitive(root, "captchaAfter");
  if (ca) {
    if (!cJSON_IsNumber(ca) || ca->valuedouble < 0 || ca->valuedouble > 1000) {
      snprintf(err, errlen, "captchaAfter must be a number 0..1000");
      return -1;
    }
    s->captcha_after = (int)ca->valuedouble;
  }
  const cJSON *users = cJSON_GetObjectItemCaseSensitive(root, "users");
  const cJSON *spaces = cJSON_GetObjectItemCaseSensitive(root, "spaces"), *e;
  if ((users && !cJSON_IsArray(users)) || (spaces && !cJSON_IsArray(spaces))) {
    snprintf(err, errlen, "users and spaces must be arrays");
    return -1;
  }
  cJSON_ArrayForEach(e, users) {
    if (!cloud_config_add_user(s, e, err, errlen)) return -1;
  }
  cJSON_ArrayForEach(e, spaces) {
    if (add_space(s, e, err, errlen) != 0) return -1;
  }
  return 0;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(CLOUD_MAX_CONFIG_BYTES + 1);
  size_t n = buf ? fread(buf, 1, CLOUD_MAX_CONFIG_BYTES + 1, f) : 0;
  fclose(f);
  if (!buf || n > CLOUD_MAX_CONFIG_BYTES) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

int cloud_config_load(cloud_store *s, const char *path) {
  size_t len = sizeof DEMO - 1;
  char *text = path ? read_file(path, &len) : NULL;
  if (path && !text) {
    fprintf(stderr, "usm-cloud: cannot read %s (missing, unreadable or over %u bytes)\n", path,
            CLOUD_MAX_CONFIG_BYTES);
    return -1;
  }
  cJSON *root = usm__json_parse(path ? text : DEMO, len);
  free(text);
  char err[300] = "not JSON";
  int rc = root ? cloud_config_apply(s, root, err, sizeof err) : -1;
  cJSON_Delete(root);
  if (rc != 0) fprintf(stderr, "usm-cloud: bad config %s: %s\n", path ? path : "(demo)", err);
  return rc;
}
