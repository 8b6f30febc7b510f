/* One HTTP exchange as the API handlers see it: a parsed request and the
 * response they fill. Independent of libwebsockets (see server.c). */
#ifndef USM_CLOUD_HTTP_H
#define USM_CLOUD_HTTP_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define CLOUD_MAX_BODY (1u << 20) /* request bodies beyond this get 413 */
#define CLOUD_MAX_PATH 2048       /* longer request paths get 414 */
#define CLOUD_MAX_ARGS 32         /* query arguments kept per request */
#define CLOUD_MAX_PARAMS 4        /* {param} segments per route */
#define CLOUD_MAX_HEADER 4096     /* longest header value kept */

typedef enum cloud_method {
  CLOUD_GET,
  CLOUD_POST,
  CLOUD_PUT,
  CLOUD_PATCH,
  CLOUD_DELETE,
  CLOUD_METHOD_OTHER
} cloud_method;

typedef struct cloud_arg {
  char *name;
  char *value;
} cloud_arg;

struct cloud_user;

typedef struct cloud_req {
  cloud_method method;
  char *path;                     /* decoded, without the query */
  cloud_arg args[CLOUD_MAX_ARGS]; /* decoded query arguments */
  size_t nargs;
  char *authorization; /* header values, or NULL */
  char *password;      /* the "password" header of GET /v1/meetings/{id} */
  char *content_type;
  char *client_tracking_id; /* TrackingID sent by the client */
  const char *body;         /* NUL-terminated; may be NULL */
  size_t body_len;
  /* Filled while dispatching. */
  char tracking_id[160]; /* echoed in the TrackingID header and error bodies */
  const char *params[CLOUD_MAX_PARAMS];
  size_t nparams;
  char param_buf[CLOUD_MAX_PATH + CLOUD_MAX_PARAMS];
  struct cloud_user *user; /* the authenticated caller (public API) */
} cloud_req;

typedef struct cloud_resp {
  int status;               /* 0 until a handler answers */
  const char *content_type; /* static string */
  unsigned char *body;      /* malloc'd, or NULL */
  size_t len;
  int retry_after; /* seconds for Retry-After, or -1 */
  char *link;      /* Link header (pagination), or NULL */
  unsigned hold_ms; /* the handler asks to hold the answer back this long */
} cloud_resp;

void cloud_req_free(cloud_req *q);
/* Sets q->tracking_id: the client's TrackingID when it is a sane token
 * (echoed, so both logs share it), else a new one. */
void cloud_req_set_tracking_id(cloud_req *q);
void cloud_resp_init(cloud_resp *r);
void cloud_resp_free(cloud_resp *r);

/* Query argument @p name, or NULL. */
const char *cloud_req_arg(const cloud_req *q, const char *name);
/* The body as a JSON object, or NULL when absent or not an object. */
cJSON *cloud_req_json(const cloud_req *q);

/* Answers with @p root as JSON (takes ownership; NULL means out of memory). */
void cloud_resp_json(cloud_resp *r, int status, cJSON *root);
/* Answers with raw bytes (takes ownership of @p body). */
void cloud_resp_bytes(cloud_resp *r, int status, const char *content_type, unsigned char *body,
                      size_t len);
/* Answers with no body (204, or a status with nothing to say). */
void cloud_resp_empty(cloud_resp *r, int status);
/* Public REST error: {message, errors:[{description}], trackingId}. */
void cloud_resp_error(cloud_resp *r, const cloud_req *q, int status, const char *message,
                      const char *description);
/* Locus error: {message, errorCode, errors:[{description}], trackingId}. */
void cloud_resp_locus_error(cloud_resp *r, const cloud_req *q, int status, long error_code,
                            const char *message);

/* cJSON_AddStringToObject that tolerates NULL (adds nothing). */
void cloud_json_add_str(cJSON *o, const char *key, const char *value);
/* Number of Unicode code points in UTF-8 @p s (bytes that are not
 * continuation bytes); the API's length limits count characters. */
size_t cloud_utf8_chars(const char *s);

#endif
