#include "mercury.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "core/strbuf.h"
#include "locus_dto.h"
#include "mercury_events.h"
#include "timefmt.h"

#define PONG_ID_MAX 128
#define MAX_PENDING 1000 /* skipped / repeated sequence numbers to come */

enum msg_kind {
  MSG_EVENT, /* a Locus event: delayed, skipped or repeated by the faults */
  MSG_PLAIN, /* buffer_state: next sequence number, no faults */
  MSG_RAW    /* a fault frame sent as is, without sequence number */
};

typedef struct merc_msg {
  struct merc_msg *next;
  int64_t due_ms;
  enum msg_kind kind;
  size_t len;
  unsigned char buf[]; /* LWS_PRE, the text, CLOUD_MERC_SEQ_TAIL */
} merc_msg;

struct cloud_merc_conn {
  cloud_mercury *m;
  struct lws *wsi;
  char device[CLOUD_UUID_SIZE];
  cloud_user *user; /* once authorized */
  int online;       /* authorized and not closing */
  unsigned long long seq;
  unsigned long sent, acked, pings;
  merc_msg *head, *tail;
  size_t qlen, qbytes;
  char pong_id[PONG_ID_MAX + 1];
  int pong_pending;
  int close_code; /* a close frame to send on the next write */
  char close_reason[124];
  int stop_pong, skip, repeat, deltas;
  unsigned delay_ms;
  usm_strbuf rx; /* one inbound message, bounded */
};

void cloud_mercury_init(cloud_mercury *m, cloud_app *app) {
  memset(m, 0, sizeof *m);
  m->app = app;
}

static void conn_free(cloud_merc_conn *c) {
  while (c->head) {
    merc_msg *n = c->head->next;
    free(c->head);
    c->head = n;
  }
  usm__strbuf_free(&c->rx);
  free(c);
}

void cloud_mercury_free(cloud_mercury *m) {
  for (size_t i = 0; i < m->conns.len; i++) conn_free(m->conns.items[i]);
  cloud_vec_free(&m->conns);
}

int cloud_mercury_path_ok(const char *path) {
  size_t n = strlen(CLOUD_MERC_PATH);
  if (strncmp(path, CLOUD_MERC_PATH, n) != 0) return 0;
  path += n;
  return strlen(path) == CLOUD_UUID_SIZE - 1 &&
         strspn(path, "0123456789abcdef-") == CLOUD_UUID_SIZE - 1;
}

static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Cuts the TCP connection at once, without a close frame. */
static void kill_now(cloud_merc_conn *c) {
  c->online = 0;
  if (c->wsi) lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Sends a close frame from outside this connection's callbacks. lws 4.1
 * sends one only when a callback other than WRITEABLE returns -1 (a failed
 * WRITEABLE marks the socket unusable), so the timer callback does it. */
static void close_later(cloud_merc_conn *c, int code, const char *reason) {
  c->online = 0;
  if (c->close_code || !c->wsi) return;
  c->close_code = code;
  snprintf(c->close_reason, sizeof c->close_reason, "%s", reason);
  lws_set_timer_usecs(c->wsi, 1);
}

/* Closes from inside this connection's callback: the caller returns -1. */
static int close_now(cloud_merc_conn *c, int code, const char *reason) {
  c->online = 0;
  lws_close_reason(c->wsi, (enum lws_close_status)code, (unsigned char *)reason, strlen(reason));
  return -1;
}

/* A frame of @p len bytes to fill, or NULL (the connection is closing, or
 * its queue is full: a client that does not read is dropped). */
static merc_msg *msg_new(cloud_merc_conn *c, size_t len, enum msg_kind kind) {
  if (!c->wsi || c->close_code) return NULL;
  if (c->qlen >= CLOUD_MERC_MAX_QUEUE || len > CLOUD_MERC_MAX_QUEUE_BYTES - c->qbytes) {
    fprintf(stderr, "usm-cloud: mercury: dropping a device that does not read its events\n");
    kill_now(c);
    return NULL;
  }
  merc_msg *g = malloc(sizeof *g + LWS_PRE + len + CLOUD_MERC_SEQ_TAIL);
  if (!g) return NULL;
  g->next = NULL;
  g->kind = kind;
  g->len = len;
  g->due_ms = cloud_now_ms() + (kind == MSG_EVENT ? (int64_t)c->delay_ms : 0);
  return g;
}

static void msg_push(cloud_merc_conn *c, merc_msg *g) {
  if (c->tail)
    c->tail->next = g;
  else
    c->head = g;
  c->tail = g;
  c->qlen++;
  c->qbytes += g->len;
  lws_callback_on_writable(c->wsi);
}

/* Queues @p text (an envelope without its closing brace, or a raw frame);
 * frees it. */
static void send_text(cloud_merc_conn *c, char *text, size_t len, enum msg_kind kind) {
  merc_msg *g = text ? msg_new(c, len, kind) : NULL;
  if (g) {
    memcpy(g->buf + LWS_PRE, text, len);
    msg_push(c, g);
  }
  cJSON_free(text);
}

static void send_data(cloud_merc_conn *c, cJSON *data, enum msg_kind kind) {
  size_t len = 0;
  char *text = cloud_merc_envelope(data, &len);
  send_text(c, text, len, kind);
}

static unsigned long long next_seq(cloud_merc_conn *c, enum msg_kind kind) {
  if (kind == MSG_EVENT && c->repeat > 0 && c->seq > 0) {
    c->repeat--;
    return c->seq;
  }
  c->seq += 1 + (kind == MSG_EVENT ? (unsigned)c->skip : 0);
  if (kind == MSG_EVENT) c->skip = 0;
  return c->seq;
}

static int write_pong(cloud_merc_conn *c) {
  unsigned char buf[LWS_PRE + PONG_ID_MAX + 64 + CLOUD_MERC_SEQ_TAIL];
  char *p = (char *)buf + LWS_PRE;
  /* The id was checked to need no JSON escaping. */
  size_t len =
      (size_t)snprintf(p, PONG_ID_MAX + 64, "{\"id\":\"%s\",\"type\":\"pong\"", c->pong_id);
  len = cloud_merc_close_envelope(p, len, next_seq(c, MSG_PLAIN));
  c->pong_pending = 0;
  c->sent++;
  return lws_write(c->wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len ? -1 : 0;
}

/* One frame per WRITEABLE, as lws wants: a pong, or the head of
 * the queue once due. */
static int writable(cloud_merc_conn *c) {
  struct lws *wsi = c->wsi;
  if (c->close_code) return 0; /* the timer closes it */
  if (c->pong_pending) {
    if (write_pong(c)) return -1;
  } else if (c->head) {
    merc_msg *g = c->head;
    int64_t now = cloud_now_ms();
    if (g->due_ms > now) {
      lws_set_timer_usecs(wsi, (lws_usec_t)(g->due_ms - now) * 1000);
      return 0;
    }
    c->head = g->next;
    if (!c->head) c->tail = NULL;
    c->qlen--;
    c->qbytes -= g->len;
    size_t len = g->len;
    if (g->kind != MSG_RAW) {
      len = cloud_merc_close_envelope((char *)g->buf + LWS_PRE, len, next_seq(c, g->kind));
      c->sent++;
    }
    int n = lws_write(wsi, g->buf + LWS_PRE, len, LWS_WRITE_TEXT);
    free(g);
    if (n < (int)len) return -1;
  }
  if (c->pong_pending || c->head) lws_callback_on_writable(wsi);
  return 0;
}

static size_t user_connections(const cloud_mercury *m, const cloud_user *u, const char *device) {
  size_t n = 0;
  for (size_t i = 0; i < m->conns.len; i++) {
    const cloud_merc_conn *o = m->conns.items[i];
    n += o->online && o->user == u && strcmp(o->device, device) != 0;
  }
  return n;
}

static int authorize(cloud_merc_conn *c, const cJSON *msg) {
  cloud_mercury *m = c->m;
  const char *token = str(cJSON_GetObjectItemCaseSensitive(msg, "data"), "token");
  if (!token) return close_now(c, 4400, "bad request");
  cloud_user *u = cloud_app_bearer_user(m->app, token);
  if (!u) return close_now(c, 4401, "unauthorized");
  const cloud_device *d = cloud_device_by_id(&m->app->store, c->device);
  if (!d || d->user != u) return close_now(c, 4403, "forbidden");
  if (user_connections(m, u, c->device) >= CLOUD_MERC_MAX_PER_USER)
    return close_now(c, 1008, "too many connections");
  /* A newer connection of the device replaces the older. */
  for (size_t i = 0; i < m->conns.len; i++) {
    cloud_merc_conn *o = m->conns.items[i];
    if (o != c && o->user && strcmp(o->device, c->device) == 0) close_later(o, 4000, "replaced");
  }
  c->user = u;
  c->online = 1;
  lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0);
  cJSON *data = cJSON_CreateObject();
  cJSON_AddStringToObject(data, "eventType", "mercury.buffer_state");
  cJSON_AddStringToObject(data, "buffer", "UNKNOWN");
  send_data(c, data, MSG_PLAIN);
  return 0;
}

/* A ping id is echoed as is: only plain token characters are accepted. */
static int id_ok(const char *id) {
  return id && *id && strlen(id) <= PONG_ID_MAX &&
         strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") ==
             strlen(id);
}

static int handle(cloud_merc_conn *c, const cJSON *msg) {
  const char *type = str(msg, "type");
  if (!c->user) {
    if (!cJSON_IsObject(msg) || !type || strcmp(type, "authorization") != 0)
      return close_now(c, 4400, "bad request");
    return authorize(c, msg);
  }
  if (!type) return 0; /* anything else from an authorized client is ignored */
  if (strcmp(type, "ping") == 0) {
    c->pings++;
    const char *id = str(msg, "id");
    if (id_ok(id) && !c->stop_pong) {
      snprintf(c->pong_id, sizeof c->pong_id, "%s", id);
      c->pong_pending = 1;
      lws_callback_on_writable(c->wsi);
    }
  } else if (strcmp(type, "ack") == 0 && str(msg, "messageId")) {
    c->acked++;
  }
  return 0;
}

static int receive(cloud_merc_conn *c, const void *in, size_t len) {
  if (c->close_code) return 0;
  if (usm__strbuf_append(&c->rx, in, len) != 0) return close_now(c, 1009, "message too big");
  if (!lws_is_final_fragment(c->wsi) || lws_remaining_packet_payload(c->wsi)) return 0;
  cJSON *msg = cJSON_ParseWithLength(usm__strbuf_str(&c->rx), c->rx.len);
  usm__strbuf_reset(&c->rx);
  int rc = handle(c, msg);
  cJSON_Delete(msg);
  return rc;
}

static int open_conn(cloud_mercury *m, struct lws *wsi, cloud_merc_conn **slot) {
  char uri[128];
  if (m->conns.len >= CLOUD_MERC_MAX_CONNS ||
      lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || !cloud_mercury_path_ok(uri))
    return -1;
  cloud_merc_conn *c = calloc(1, sizeof *c);
  if (!c || cloud_vec_push(&m->conns, c) != 0) {
    free(c);
    return -1;
  }
  c->m = m;
  c->wsi = wsi;
  c->deltas = 1;
  memcpy(c->device, uri + strlen(CLOUD_MERC_PATH), CLOUD_UUID_SIZE); /* checked: 36 + NUL */
  usm__strbuf_init(&c->rx, CLOUD_MERC_MAX_FRAME);
  lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, CLOUD_MERC_AUTH_SECS);
  *slot = c;
  return 0;
}

int cloud_mercury_callback(cloud_mercury *m, struct lws *wsi, int reason, cloud_merc_conn **slot,
                           void *in, size_t len) {
  if (reason == LWS_CALLBACK_ESTABLISHED) return open_conn(m, wsi, slot);
  cloud_merc_conn *c = *slot;
  if (!c) return 0;
  switch (reason) {
  case LWS_CALLBACK_RECEIVE: return receive(c, in, len);
  case LWS_CALLBACK_SERVER_WRITEABLE: return writable(c);
  case LWS_CALLBACK_TIMER:
    if (c->close_code) return close_now(c, c->close_code, c->close_reason);
    lws_callback_on_writable(wsi);
    return 0;
  case LWS_CALLBACK_CLOSED:
    cloud_vec_remove(&m->conns, c);
    conn_free(c);
    *slot = NULL;
    return 0;
  default: return 0;
  }
}

void cloud_mercury_locus_changed(void *appv, cloud_locus *l) {
  cloud_app *app = appv;
  cloud_mercury *m = &app->mercury;
  cJSON *after = cloud_locus_dto(app, l, NULL);
  if (!after) return;
  cloud_merc_change ch = {l->mercury_base, after};
  const char *type = cloud_merc_event_type(&ch);
  char url[300];
  cloud_locus_url(app, l, url, sizeof url);
  for (size_t i = 0; i < m->conns.len; i++) {
    cloud_merc_conn *c = m->conns.items[i];
    if (!c->online || !cloud_merc_is_recipient(&ch, c->user->id)) continue;
    cJSON *locus = c->deltas ? cloud_merc_delta(&ch, c->user->id) : NULL;
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "eventType", locus ? "locus.difference" : type);
    cJSON_AddItemToObject(data, "locus", locus ? locus : cloud_locus_dto(app, l, c->user));
    cJSON_AddStringToObject(data, "locusUrl", url);
    send_data(c, data, MSG_EVENT);
  }
  cJSON_Delete(l->mercury_base);
  /* An ended session changes no more: no base is needed for a delta. */
  l->mercury_base = l->ended ? NULL : after;
  if (l->ended) cJSON_Delete(after);
}

size_t cloud_mercury_send_user(cloud_mercury *m, const cloud_user *user, const cJSON *data) {
  size_t n = 0;
  for (size_t i = 0; user && i < m->conns.len; i++) {
    cloud_merc_conn *c = m->conns.items[i];
    if (!c->online || c->user != user) continue;
    cJSON *copy = cJSON_Duplicate(data, 1);
    if (!copy) break;
    send_data(c, copy, MSG_EVENT);
    n++;
  }
  return n;
}

/* A text frame of exactly @p n bytes that is a valid JSON string. */
static void send_oversized(cloud_merc_conn *c, size_t n) {
  merc_msg *g = n >= 2 ? msg_new(c, n, MSG_RAW) : NULL;
  if (!g) return;
  unsigned char *p = g->buf + LWS_PRE;
  memset(p, 'x', n);
  p[0] = p[n - 1] = '"';
  msg_push(c, g);
}

size_t cloud_mercury_close_all(cloud_mercury *m, int code, const char *reason) {
  for (size_t i = 0; i < m->conns.len; i++) close_later(m->conns.items[i], code, reason);
  return m->conns.len;
}

static int matches(const cloud_merc_conn *c, const char *device, const char *email) {
  if (device) return strcmp(c->device, device) == 0;
  if (email) return c->user && c->user->email && cloud_email_eq(c->user->email, email);
  return 1;
}

size_t cloud_mercury_apply(cloud_mercury *m, const char *device, const char *email,
                           const cloud_merc_fault *f) {
  static const char NOT_JSON[] = "{this is not JSON";
  size_t n = 0;
  for (size_t i = 0; i < m->conns.len; i++) {
    cloud_merc_conn *c = m->conns.items[i];
    if (c->close_code || !matches(c, device, email)) continue;
    n++;
    if (f->stop_pong >= 0) c->stop_pong = f->stop_pong;
    if (f->delay_ms >= 0) c->delay_ms = (unsigned)f->delay_ms;
    if (f->deltas >= 0) c->deltas = f->deltas;
    c->skip = c->skip + f->skip > MAX_PENDING ? MAX_PENDING : c->skip + f->skip;
    c->repeat = c->repeat + f->repeat > MAX_PENDING ? MAX_PENDING : c->repeat + f->repeat;
    if (f->malformed) {
      merc_msg *g = msg_new(c, sizeof NOT_JSON - 1, MSG_RAW);
      if (g) {
        memcpy(g->buf + LWS_PRE, NOT_JSON, sizeof NOT_JSON - 1);
        msg_push(c, g);
      }
    }
    if (f->oversized) send_oversized(c, f->oversized);
    if (f->close_code) close_later(c, f->close_code, f->close_reason);
    if (f->drop) kill_now(c);
  }
  return n;
}

cJSON *cloud_mercury_json(const cloud_mercury *m) {
  cJSON *root = cJSON_CreateObject();
  cJSON *list = cJSON_AddArrayToObject(root, "connections");
  for (size_t i = 0; i < m->conns.len; i++) {
    const cloud_merc_conn *c = m->conns.items[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device", c->device);
    if (c->user && c->user->email)
      cJSON_AddStringToObject(o, "email", c->user->email);
    else
      cJSON_AddNullToObject(o, "email");
    cJSON_AddBoolToObject(o, "online", c->online);
    cJSON_AddNumberToObject(o, "acked", (double)c->acked);
    cJSON_AddNumberToObject(o, "sent", (double)c->sent);
    cJSON_AddNumberToObject(o, "pings", (double)c->pings);
    cJSON_AddNumberToObject(o, "sequenceNumber", (double)c->seq);
    cJSON_AddItemToArray(list, o);
  }
  return root;
}
