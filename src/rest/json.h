/* cJSON helpers. cJSON's global error pointer (cJSON_GetErrorPtr) is never
 * used: it is not thread-safe. */
#ifndef USM_REST_JSON_H
#define USM_REST_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Parse exactly @p len bytes; NULL when it is not JSON. */
cJSON *usm__json_parse(const char *text, size_t len);

/* The string member @p key of object @p o, or NULL (absent or not a string). */
const char *usm__json_str(const cJSON *o, const char *key);
/* Boolean member: 1, 0, or -1 when absent or not a boolean. */
int usm__json_bool(const cJSON *o, const char *key);

/* What the API says about a failure: {message, errors:[{description}], trackingId}. */
typedef struct usm__rest_error_info {
  char *message;     /* "message" plus each distinct error description, or NULL */
  char *tracking_id; /* or NULL */
} usm__rest_error_info;

void usm__rest_error_parse(const char *body, size_t len, usm__rest_error_info *out);
void usm__rest_error_info_free(usm__rest_error_info *info);

#endif
