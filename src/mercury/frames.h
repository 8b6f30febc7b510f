/* Mercury frames: parsing what the server sends, building what the client sends
 * (PROTOCOL.md §6.1-6.2). Pure functions; no I/O. */
#ifndef USM_MERCURY_FRAMES_H
#define USM_MERCURY_FRAMES_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "core/client_internal.h"

/* The largest inbound message accepted (after reassembly). */
#define USM__MERCURY_MAX_FRAME ((size_t)1 << 20)

/* One parsed inbound message. Every pointer points into root. */
typedef struct usm__mframe {
  cJSON *root;
  const char *id;         /* "id", or NULL */
  const char *type;       /* top-level "type" ("pong"...), or NULL for events */
  const char *event_type; /* data.eventType, or NULL */
  cJSON *data;            /* "data" when it is an object, or NULL */
  int has_seq;
  int64_t seq;            /* "sequenceNumber" when has_seq */
} usm__mframe;

/* 0, or -1 when the text is not a JSON object (out is then zeroed). */
int usm__mframe_parse(const char *text, size_t len, usm__mframe *out);
void usm__mframe_free(usm__mframe *f);

/* The reply that authorizes the connection: no type, and eventType
 * mercury.buffer_state or mercury.registration_status. */
int usm__mframe_is_auth_reply(const usm__mframe *f);

/* Outbound frames, as malloc'd NUL-terminated JSON text; NULL: no memory. */
char *usm__mframe_authorization(const char *id, const char *token, const char *tracking_id);
char *usm__mframe_ping(const char *id);
char *usm__mframe_ack(const char *message_id);

/* A random (version 4) UUID in lower-case text, from the client's generator. */
void usm__mframe_uuid(usm_client *c, char out[37]);

#endif
