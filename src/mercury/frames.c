/* Mercury frames: parse inbound envelopes, build authorization/ping/ack. */
#include "mercury/frames.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/json.h"

int usm__mframe_parse(const char *text, size_t len, usm__mframe *out) {
  memset(out, 0, sizeof *out);
  cJSON *root = usm__json_parse(text, len);
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return -1;
  }
  out->root = root;
  out->id = usm__json_str(root, "id");
  out->type = usm__json_str(root, "type");
  cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
  if (cJSON_IsObject(data)) {
    out->data = data;
    out->event_type = usm__json_str(data, "eventType");
  }
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive(root, "sequenceNumber");
  /* Only exact integers in the range a double holds exactly count. */
  if (cJSON_IsNumber(seq) && seq->valuedouble >= 0 && seq->valuedouble <= 9007199254740991.0 &&
      (double)(int64_t)seq->valuedouble == seq->valuedouble) {
    out->has_seq = 1;
    out->seq = (int64_t)seq->valuedouble;
  }
  return 0;
}

void usm__mframe_free(usm__mframe *f) {
  cJSON_Delete(f->root);
  memset(f, 0, sizeof *f);
}

int usm__mframe_is_auth_reply(const usm__mframe *f) {
  return !f->type && f->event_type &&
         (strcmp(f->event_type, "mercury.buffer_state") == 0 ||
          strcmp(f->event_type, "mercury.registration_status") == 0);
}

/* cJSON escapes every string, so a token or id cannot break the frame. */
static char *print_and_free(cJSON *o) {
  char *s = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  return s;
}

char *usm__mframe_authorization(const char *id, const char *token, const char *tracking_id) {
  size_t n = strlen(token) + sizeof "Bearer ";
  char *bearer = malloc(n);
  cJSON *o = cJSON_CreateObject();
  cJSON *data = cJSON_CreateObject();
  if (!bearer || !o || !data) {
    free(bearer);
    cJSON_Delete(o);
    cJSON_Delete(data);
    return NULL;
  }
  snprintf(bearer, n, "Bearer %s", token);
  cJSON_AddItemToObject(o, "id", cJSON_CreateString(id));
  cJSON_AddItemToObject(o, "type", cJSON_CreateString("authorization"));
  cJSON_AddItemToObject(data, "token", cJSON_CreateString(bearer));
  cJSON_AddItemToObject(o, "data", data);
  cJSON_AddItemToObject(o, "trackingId", cJSON_CreateString(tracking_id));
  /* The copy of the token in bearer is wiped before it is freed. */
  memset(bearer, 0, n);
  free(bearer);
  return print_and_free(o);
}

char *usm__mframe_ping(const char *id) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddItemToObject(o, "id", cJSON_CreateString(id));
  cJSON_AddItemToObject(o, "type", cJSON_CreateString("ping"));
  return print_and_free(o);
}

char *usm__mframe_ack(const char *message_id) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddItemToObject(o, "messageId", cJSON_CreateString(message_id));
  cJSON_AddItemToObject(o, "type", cJSON_CreateString("ack"));
  return print_and_free(o);
}

void usm__mframe_uuid(usm_client *c, char out[37]) {
  unsigned char b[16];
  for (int i = 0; i < 16; i += 4) {
    uint32_t r = usm__rand(c, 0xffffffffu);
    memcpy(b + i, &r, 4);
  }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  static const char hex[] = "0123456789abcdef";
  size_t k = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[k++] = '-';
    out[k++] = hex[b[i] >> 4];
    out[k++] = hex[b[i] & 15];
  }
  out[k] = '\0';
}
