/* The scripted Mercury server (see ws_server.h). The test thread sets flags
 * under the lock and wakes the service thread with lws_cancel_service(). */
#include "ws_server.h"

#include <cjson/cJSON.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OUTQ 64
#define SENT_IDS 256

typedef struct session {
  struct lws *wsi;
  long long seq;
  char *outq[OUTQ];
  int out_head, out_count;
} session;

struct ws_server {
  pthread_t thread;
  pthread_mutex_t lock;
  struct lws_context *ctx;
  struct lws_vhost *vh;
  struct lws_protocols protos[2];
  int stop;
  int port;
  char dir[64], cert[96], key[96];
  /* settings */
  char token[128];
  int want_token, buffer_state, pongs;
  int close_auth_code;
  char close_auth_reason[64];
  /* pending one-shot actions */
  int do_buffer_state, do_events, do_skip, do_close, do_drop, do_malformed;
  size_t do_oversized;
  char close_reason[64];
  session *cur;
  ws_stats st;
  long long next_id;
  long long sent_ids[SENT_IDS];
};

static void push(session *p, char *text) {
  if (!text) return;
  if (p->out_count >= OUTQ) {
    free(text);
    return;
  }
  p->outq[(p->out_head + p->out_count++) % OUTQ] = text;
  lws_callback_on_writable(p->wsi);
}

/* An envelope with a fresh id; caller holds the lock. */
static char *envelope(ws_server *s, session *p, const char *event_type, int skip) {
  long long id = ++s->next_id;
  s->sent_ids[id % SENT_IDS] = id;
  s->st.ids_sent++;
  p->seq += 1 + skip;
  char *out = malloc(512);
  if (out)
    snprintf(out, 512,
             "{\"id\":\"srv-%lld\",\"data\":{\"eventType\":\"%s\",\"n\":%lld},\"timestamp\":1,"
             "\"trackingId\":\"t\",\"headers\":{},\"sequenceNumber\":%lld}",
             id, event_type, id, p->seq);
  return out;
}

static void on_client_frame(ws_server *s, session *p, const char *in, size_t len) {
  cJSON *o = cJSON_ParseWithLength(in, len);
  const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(o, "type"));
  const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(o, "id"));
  pthread_mutex_lock(&s->lock);
  if (type && strcmp(type, "authorization") == 0) {
    s->st.auths++;
    const char *tok = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "token"));
    if (tok && strncmp(tok, "Bearer ", 7) == 0) snprintf(s->st.last_token, sizeof s->st.last_token, "%s", tok + 7);
    if (s->close_auth_code) {
      s->do_close = s->close_auth_code;
      snprintf(s->close_reason, sizeof s->close_reason, "%s", s->close_auth_reason);
      s->close_auth_code = 0;
      lws_callback_on_writable(p->wsi);
    } else if (s->want_token && (!tok || strcmp(s->st.last_token, s->token) != 0)) {
      s->do_close = 4401;
      snprintf(s->close_reason, sizeof s->close_reason, "unauthorized");
      lws_callback_on_writable(p->wsi);
    } else if (s->buffer_state) {
      push(p, envelope(s, p, "mercury.buffer_state", 0));
    }
  } else if (type && strcmp(type, "ping") == 0) {
    s->st.pings++;
    if (s->pongs && id) {
      char *out = malloc(256);
      long long n = ++s->next_id;
      s->sent_ids[n % SENT_IDS] = n;
      s->st.ids_sent++;
      /* The pong echoes the ping's id; acks for it name that id. */
      if (out) snprintf(out, 256, "{\"id\":\"%.64s\",\"type\":\"pong\",\"sequenceNumber\":%lld}", id, p->seq);
      push(p, out);
    }
  } else if (type && strcmp(type, "ack") == 0) {
    s->st.acks++;
    const char *mid = cJSON_GetStringValue(cJSON_GetObjectItem(o, "messageId"));
    long long n;
    if (mid && sscanf(mid, "srv-%lld", &n) == 1 && n > 0 && s->sent_ids[n % SENT_IDS] == n) s->st.acks_matched++;
    else if (mid && strncmp(mid, "srv-", 4) != 0) s->st.acks_matched++; /* a pong's (client) id */
  }
  pthread_mutex_unlock(&s->lock);
  cJSON_Delete(o);
}

static int write_text(struct lws *wsi, const char *text, size_t n) {
  unsigned char *b = malloc(LWS_PRE + n);
  if (!b) return -1;
  memcpy(b + LWS_PRE, text, n);
  int w = lws_write(wsi, b + LWS_PRE, n, LWS_WRITE_TEXT);
  free(b);
  return w < (int)n ? -1 : 0;
}

/* One frame or action per WRITEABLE, then ask again while work remains. */
static int writable(ws_server *s, session *p) {
  pthread_mutex_lock(&s->lock);
  int mine = s->cur == p;
  if (mine && s->do_drop) {
    s->do_drop = 0;
    pthread_mutex_unlock(&s->lock);
    shutdown(lws_get_socket_fd(p->wsi), SHUT_RDWR);
    return -1;
  }
  if (mine && s->do_close) {
    int code = s->do_close;
    s->do_close = 0;
    char reason[64];
    snprintf(reason, sizeof reason, "%s", s->close_reason);
    pthread_mutex_unlock(&s->lock);
    lws_close_reason(p->wsi, (enum lws_close_status)code, (unsigned char *)reason, strlen(reason));
    return -1;
  }
  char *text = NULL;
  size_t big = 0;
  if (p->out_count) {
    text = p->outq[p->out_head];
    p->out_head = (p->out_head + 1) % OUTQ;
    p->out_count--;
  } else if (mine && s->do_buffer_state) {
    s->do_buffer_state = 0;
    text = envelope(s, p, "mercury.buffer_state", 0);
  } else if (mine && s->do_malformed) {
    s->do_malformed = 0;
    text = strdup("{\"id\":\"x\", this is not json");
  } else if (mine && s->do_oversized) {
    big = s->do_oversized;
    s->do_oversized = 0;
  } else if (mine && s->do_events) {
    s->do_events--;
    s->st.events_sent++;
    text = envelope(s, p, "locus.participant_joined", s->do_skip);
    s->do_skip = 0;
  }
  int more = p->out_count || (mine && (s->do_buffer_state || s->do_malformed || s->do_oversized || s->do_events));
  pthread_mutex_unlock(&s->lock);
  int rc = 0;
  if (big) {
    char *b = malloc(big);
    if (!b) return -1;
    memset(b, 'a', big);
    b[0] = '"';
    b[big - 1] = '"';
    rc = write_text(p->wsi, b, big);
    free(b);
  } else if (text) {
    rc = write_text(p->wsi, text, strlen(text));
    free(text);
  }
  if (more) lws_callback_on_writable(p->wsi);
  return rc;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  ws_server *s = lws_context_user(lws_get_context(wsi));
  session *p = user;
  switch (reason) {
  case LWS_CALLBACK_ESTABLISHED:
    memset(p, 0, sizeof *p);
    p->wsi = wsi;
    pthread_mutex_lock(&s->lock);
    s->st.connections++;
    s->cur = p;
    pthread_mutex_unlock(&s->lock);
    return 0;
  case LWS_CALLBACK_RECEIVE: on_client_frame(s, p, in, len); return 0;
  case LWS_CALLBACK_SERVER_WRITEABLE: return writable(s, p);
  case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    if (getenv("WS_DEBUG")) fprintf(stderr, "server: peer close len %zu\n", len);
    if (len >= 2) {
      const unsigned char *b = in;
      pthread_mutex_lock(&s->lock);
      s->st.client_close_code = (b[0] << 8) | b[1];
      snprintf(s->st.client_close_reason, sizeof s->st.client_close_reason, "%.*s", (int)(len - 2), (const char *)in + 2);
      pthread_mutex_unlock(&s->lock);
    }
    return 0;
  case LWS_CALLBACK_CLOSED:
    if (getenv("WS_DEBUG")) fprintf(stderr, "server: closed\n");
    pthread_mutex_lock(&s->lock);
    if (s->cur == p) s->cur = NULL;
    pthread_mutex_unlock(&s->lock);
    while (p->out_count) {
      free(p->outq[p->out_head]);
      p->out_head = (p->out_head + 1) % OUTQ;
      p->out_count--;
    }
    return 0;
  case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
    pthread_mutex_lock(&s->lock);
    if (s->cur) lws_callback_on_writable(s->cur->wsi);
    pthread_mutex_unlock(&s->lock);
    return 0;
  default: return 0;
  }
}

static void *service(void *arg) {
  ws_server *s = arg;
  for (;;) {
    pthread_mutex_lock(&s->lock);
    int stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    if (stop || lws_service(s->ctx, 0) < 0) break;
  }
  return NULL;
}

ws_server *ws_server_start(void) {
  ws_server *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  pthread_mutex_init(&s->lock, NULL);
  s->buffer_state = 1;
  s->pongs = 1;
  snprintf(s->dir, sizeof s->dir, "/tmp/usm-merc-XXXXXX");
  if (!mkdtemp(s->dir)) goto fail;
  snprintf(s->cert, sizeof s->cert, "%s/cert.pem", s->dir);
  snprintf(s->key, sizeof s->key, "%s/key.pem", s->dir);
  char cmd[512];
  /* CN and SANs both 127.0.0.1: lws checks the name with X509_check_host. */
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 -subj /CN=127.0.0.1 "
           "-addext subjectAltName=IP:127.0.0.1,DNS:127.0.0.1 >/dev/null 2>&1",
           s->key, s->cert);
  if (system(cmd) != 0) goto fail;
  s->protos[0] = (struct lws_protocols){.name = "mercury", .callback = callback,
                                        .per_session_data_size = sizeof(session), .rx_buffer_size = 0};
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = 0;
  info.iface = "127.0.0.1";
  info.protocols = s->protos;
  info.user = s;
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.ssl_cert_filepath = s->cert;
  info.ssl_private_key_filepath = s->key;
  s->ctx = lws_create_context(&info);
  if (!s->ctx) goto fail;
  s->vh = lws_get_vhost_by_name(s->ctx, "default");
  s->port = s->vh ? lws_get_vhost_listen_port(s->vh) : -1;
  if (s->port <= 0 || pthread_create(&s->thread, NULL, service, s) != 0) {
    lws_context_destroy(s->ctx);
    goto fail;
  }
  return s;
fail:
  fprintf(stderr, "ws_server: cannot start\n");
  pthread_mutex_destroy(&s->lock);
  free(s);
  return NULL;
}

#define SET(body)                \
  do {                           \
    pthread_mutex_lock(&s->lock); \
    body;                        \
    pthread_mutex_unlock(&s->lock); \
    lws_cancel_service(s->ctx);  \
  } while (0)

void ws_server_stop(ws_server *s) {
  if (!s) return;
  SET(s->stop = 1);
  pthread_join(s->thread, NULL);
  lws_context_destroy(s->ctx);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", s->dir);
  if (system(cmd) != 0) fprintf(stderr, "ws_server: cannot remove %s\n", s->dir);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

int ws_server_port(const ws_server *s) { return s->port; }
const char *ws_server_cert(const ws_server *s) { return s->cert; }

void ws_server_stats(ws_server *s, ws_stats *out) {
  pthread_mutex_lock(&s->lock);
  *out = s->st;
  pthread_mutex_unlock(&s->lock);
}


void ws_server_set_token(ws_server *s, const char *token) {
  SET(s->want_token = token != NULL; snprintf(s->token, sizeof s->token, "%s", token ? token : ""));
}
void ws_server_set_buffer_state(ws_server *s, int send) { SET(s->buffer_state = send); }
void ws_server_set_pongs(ws_server *s, int answer) { SET(s->pongs = answer); }
void ws_server_close_on_auth(ws_server *s, int code, const char *reason) {
  SET(s->close_auth_code = code; snprintf(s->close_auth_reason, sizeof s->close_auth_reason, "%s", reason));
}
void ws_server_send_buffer_state(ws_server *s) { SET(s->do_buffer_state = 1); }
void ws_server_send_events(ws_server *s, int n) { SET(s->do_events += n); }
void ws_server_skip_sequence(ws_server *s) { SET(s->do_skip = 1); }
void ws_server_close(ws_server *s, int code, const char *reason) {
  SET(s->do_close = code; snprintf(s->close_reason, sizeof s->close_reason, "%s", reason));
}
void ws_server_drop(ws_server *s) { SET(s->do_drop = 1); }
void ws_server_malformed(ws_server *s) { SET(s->do_malformed = 1); }
void ws_server_oversized(ws_server *s, size_t n) { SET(s->do_oversized = n); }
