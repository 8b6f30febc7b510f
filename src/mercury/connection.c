/* The Mercury connection driver: a libwebsockets client on the client's own
 * libuv loop (foreign loop), the state machine of connection_fsm.c, pings,
 * acks, sequence checks and backoff. PROTOCOL.md §6, docs/mercury-connection.md. */
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mercury/connection_close.h"
#include "mercury/frames.h"
#include "mercury/mercury.h"
#include "rest/url.h"

#define SENDQ_MAX 256          /* frames waiting for the socket; more: restart */
#define BACKOFF_BASE_MS 1000L
#define BACKOFF_MAX_MS 32000L
#define FORCE_CLOSE_S 2        /* PROTOCOL forceCloseDelay: a close that hangs is cut */
#define MAX_URL_BYTES 4096
#define CLOSE_TOO_LARGE 1009
#define CLOSE_NORMAL 1000

typedef struct usm__mercury usm__mercury;

struct usm__mercury {
  usm_client *c;
  struct lws_context *ctx;
  SSL_CTX *ssl_ctx; /* ours, handed to lws; freed after the context */
  struct lws_protocols protos[2];
  struct lws *wsi; /* the current connection, or NULL */
  uintptr_t gen;   /* attempt number, in each wsi's opaque data: older wsis are stale */
  usm__mstate state;
  usm__mercury_handlers h;
  char *host, *path; /* from the URL given to start, path with the query appended */
  int port, tls;
  uv_timer_t backoff_timer, ping_timer, pong_timer;
  int timers_ready;
  unsigned failures; /* failed connects since the last time online */
  long backoff_base_ms, backoff_max_ms;
  char *q[SENDQ_MAX]; /* each LWS_PRE bytes of headroom, then NUL-terminated text */
  unsigned q_head, q_count;
  usm_strbuf rx;
  int rx_skip;       /* dropping the rest of an oversized message */
  char ping_id[37];
  int ping_out;      /* a ping waits for its pong */
  int have_seq;
  int64_t last_seq;
  int peer_code;     /* close frame from the server, 0: none yet */
  char peer_reason[124];
  int local_code;    /* our own close in progress, 0: none */
  char local_reason[64];
  int shutting_down;
};

/* ---- small helpers ---------------------------------------------------- */

static void q_clear(usm__mercury *m) {
  while (m->q_count) {
    free(m->q[m->q_head]);
    m->q[m->q_head] = NULL;
    m->q_head = (m->q_head + 1) % SENDQ_MAX;
    m->q_count--;
  }
  m->q_head = 0;
}

/* Queue @p text (consumed: wiped and freed here or after sending). */
static int q_push(usm__mercury *m, char *text) {
  if (!text) return -1;
  size_t n = strlen(text);
  char *b = m->q_count < SENDQ_MAX ? malloc(LWS_PRE + n + 1) : NULL;
  if (b) memcpy(b + LWS_PRE, text, n + 1);
  memset(text, 0, n); /* it may hold the token */
  free(text);
  if (!b) return -1;
  m->q[(m->q_head + m->q_count) % SENDQ_MAX] = b;
  m->q_count++;
  if (m->wsi) lws_callback_on_writable(m->wsi);
  return 0;
}

static void timers_stop(usm__mercury *m) {
  if (!m->timers_ready) return;
  uv_timer_stop(&m->backoff_timer);
  uv_timer_stop(&m->ping_timer);
  uv_timer_stop(&m->pong_timer);
}

/* ---- callbacks into the layer above ----------------------------------- */

/* Each returns 0 when the client was destroyed inside and nothing may follow. */
static int notify_change(usm__mercury *m, usm__mercury_change ch, usm__mercury_reason r, int code,
                         const char *detail) {
  usm_client *c = m->c;
  usm__log(c, ch == USM__MERCURY_ONLINE ? USM_LOG_INFO : USM_LOG_WARN, "mercury: %s (%d %s)",
           ch == USM__MERCURY_ONLINE ? "online" : ch == USM__MERCURY_RECONNECTING ? "reconnecting" : "offline",
           code, detail ? detail : "");
  if (!m->h.on_change || m->shutting_down) return !c->dead;
  if (usm__cb_begin(c)) {
    m->h.on_change(c, ch, r, code, detail ? detail : "", m->h.user);
    usm__cb_end(c);
  }
  return !c->dead;
}

static int notify_error(usm__mercury *m, usm_err e, const char *detail) {
  usm_client *c = m->c;
  usm__log(c, USM_LOG_WARN, "mercury: frame dropped: %s", detail);
  if (!m->h.on_error || m->shutting_down) return !c->dead;
  if (usm__cb_begin(c)) {
    m->h.on_error(c, e, detail, m->h.user);
    usm__cb_end(c);
  }
  return !c->dead;
}

static int notify_resync(usm__mercury *m, usm__mercury_resync why) {
  usm_client *c = m->c;
  if (!m->h.on_resync || m->shutting_down) return !c->dead;
  if (usm__cb_begin(c)) {
    m->h.on_resync(c, why, m->h.user);
    usm__cb_end(c);
  }
  return !c->dead;
}

/* ---- state machine ---------------------------------------------------- */

static int go(usm__mercury *m, usm__mevent e) {
  int next = usm__mfsm_next(m->state, e);
  if (next < 0) {
    usm__log(m->c, USM_LOG_ERROR, "mercury: event %s refused in state %s", usm__mevent_name(e),
             usm__mstate_name(m->state));
    return -1;
  }
  usm__log(m->c, USM_LOG_DEBUG, "mercury: %s --%s--> %s", usm__mstate_name(m->state), usm__mevent_name(e),
           usm__mstate_name((usm__mstate)next));
  m->state = (usm__mstate)next;
  return 0;
}

static long backoff_ms(usm__mercury *m) {
  long d = m->backoff_base_ms;
  for (unsigned i = 1; i < m->failures && d < m->backoff_max_ms; i++) d *= 2;
  if (d > m->backoff_max_ms) d = m->backoff_max_ms;
  /* ±20 % so that many clients dropped together do not return together. */
  return d * (80 + (long)usm__rand(m->c, 41)) / 100;
}

static void connect_now(usm__mercury *m);
static void on_backoff(uv_timer_t *t);

/* The connection is gone (or never came): decide between retry and offline.
 * Not called for a wsi we abandoned ourselves. */
static void lost(usm__mercury *m, usm__mclose_action act, int code, const char *detail) {
  usm_client *c = m->c;
  int was_online = m->state == USM__MS_ONLINE;
  m->wsi = NULL;
  m->gen++;
  m->ping_out = 0;
  q_clear(m);
  usm__strbuf_reset(&m->rx);
  m->rx_skip = 0;
  timers_stop(m);
  if (m->shutting_down || (m->state != USM__MS_CONNECTING && m->state != USM__MS_AUTHORIZING &&
                           m->state != USM__MS_ONLINE))
    return;
  usm__mercury_reason r = USM__MERCURY_R_NONE;
  switch (act) {
  case USM__MCLOSE_REPLACED: r = USM__MERCURY_R_REPLACED; break;
  case USM__MCLOSE_BAD_REQUEST: r = USM__MERCURY_R_BAD_REQUEST; break;
  case USM__MCLOSE_FORBIDDEN: r = USM__MERCURY_R_FORBIDDEN; break;
  case USM__MCLOSE_PERMANENT: r = USM__MERCURY_R_CLOSED; break;
  case USM__MCLOSE_REFRESH_TOKEN:
    if (!c->token_refresh_cb) r = USM__MERCURY_R_UNAUTHORIZED;
    break;
  case USM__MCLOSE_RECONNECT: break;
  }
  if (r != USM__MERCURY_R_NONE) {
    go(m, USM__ME_FATAL);
    notify_change(m, USM__MERCURY_OFFLINE, r, code, detail);
    return;
  }
  if (was_online) m->failures = 0;
  m->failures++;
  if (m->failures > c->mercury_max_retries) {
    go(m, USM__ME_GIVE_UP);
    notify_change(m, USM__MERCURY_OFFLINE, USM__MERCURY_R_RETRIES, code, detail);
    return;
  }
  go(m, USM__ME_LOST);
  long d = backoff_ms(m);
  if (!notify_change(m, USM__MERCURY_RECONNECTING, USM__MERCURY_R_NONE, code, detail)) return;
  if (act == USM__MCLOSE_REFRESH_TOKEN && c->token_refresh_cb && usm__cb_begin(c)) {
    c->token_refresh_cb(c, c->token_refresh_user);
    usm__cb_end(c);
    if (c->dead) return;
  }
  /* A callback may have stopped or restarted us. */
  if (m->state == USM__MS_RECONNECTING) uv_timer_start(&m->backoff_timer, on_backoff, (uint64_t)d, 0);
}

/* ---- timers ----------------------------------------------------------- */

/* Close our side with @p code/@p reason; CLIENT_CLOSED then calls lost(). */
static void close_local(usm__mercury *m, int code, const char *reason) {
  if (!m->wsi || m->local_code) return;
  m->local_code = code;
  snprintf(m->local_reason, sizeof m->local_reason, "%s", reason);
  lws_callback_on_writable(m->wsi);
  /* A peer that stops reading must not keep us waiting for the close
   * (PROTOCOL forceCloseDelay). */
  lws_set_timeout(m->wsi, PENDING_TIMEOUT_USER_OK, FORCE_CLOSE_S);
}

static void on_pong_timeout(uv_timer_t *t);

static void send_ping(usm__mercury *m) {
  usm__mframe_uuid(m->c, m->ping_id);
  if (q_push(m, usm__mframe_ping(m->ping_id)) != 0) {
    close_local(m, CLOSE_NORMAL, "done (forced)");
    return;
  }
  m->ping_out = 1;
  uv_timer_start(&m->pong_timer, on_pong_timeout, (uint64_t)m->c->mercury_pong_timeout_ms, 0);
}

static void on_backoff(uv_timer_t *t) {
  usm__mercury *m = t->data;
  if (go(m, USM__ME_RETRY) == 0) connect_now(m);
}

static void on_ping_due(uv_timer_t *t) {
  usm__mercury *m = t->data;
  if (m->state == USM__MS_ONLINE && !m->ping_out) send_ping(m);
}

static void on_pong_timeout(uv_timer_t *t) {
  usm__mercury *m = t->data;
  /* In AUTHORIZING this timer bounds the wait for buffer_state. */
  close_local(m, CLOSE_NORMAL, m->state == USM__MS_ONLINE ? "pong not received" : "authorization timeout");
}

/* ---- inbound messages ------------------------------------------------- */

static void handle_message(usm__mercury *m, const char *text, size_t len) {
  usm__mframe f;
  if (usm__mframe_parse(text, len, &f) != 0) {
    notify_error(m, USM_ERR_BAD_RESPONSE, "mercury frame is not a JSON object");
    return;
  }
  if (f.id) q_push(m, usm__mframe_ack(f.id)); /* every message with an id, pongs too */
  if (f.type && strcmp(f.type, "pong") == 0) {
    if (!m->ping_out || !f.id || strcmp(f.id, m->ping_id) != 0) {
      close_local(m, CLOSE_NORMAL, "pong mismatch");
    } else {
      m->ping_out = 0;
      uv_timer_stop(&m->pong_timer);
      uv_timer_start(&m->ping_timer, on_ping_due, (uint64_t)m->c->mercury_ping_interval_ms, 0);
    }
    usm__mframe_free(&f);
    return;
  }
  if (m->state == USM__MS_AUTHORIZING) {
    if (usm__mframe_is_auth_reply(&f)) {
      uv_timer_stop(&m->pong_timer);
      if (f.has_seq) m->have_seq = 1, m->last_seq = f.seq;
      usm__mframe_free(&f);
      if (go(m, USM__ME_AUTHORIZED) != 0) return;
      m->failures = 0;
      send_ping(m);
      if (!notify_change(m, USM__MERCURY_ONLINE, USM__MERCURY_R_NONE, 0, "authorized")) return;
      if (m->state == USM__MS_ONLINE) notify_resync(m, USM__MERCURY_RESYNC_CONNECTED);
      return;
    }
    usm__log(m->c, USM_LOG_WARN, "mercury: message before buffer_state ignored");
    usm__mframe_free(&f);
    return;
  }
  if (m->state != USM__MS_ONLINE) {
    usm__mframe_free(&f);
    return;
  }
  if (f.has_seq) {
    int gap = m->have_seq && f.seq != m->last_seq + 1;
    m->have_seq = 1;
    m->last_seq = f.seq;
    if (gap) {
      usm__log(m->c, USM_LOG_WARN, "mercury: sequence gap at %lld", (long long)f.seq);
      if (!notify_resync(m, USM__MERCURY_RESYNC_GAP) || m->state != USM__MS_ONLINE) {
        usm__mframe_free(&f);
        return;
      }
    }
  }
  if (f.event_type && m->h.on_event && usm__cb_begin(m->c)) {
    m->h.on_event(m->c, f.event_type, f.data, m->h.user);
    usm__cb_end(m->c);
  }
  usm__mframe_free(&f);
}

/* Reassemble fragments; anything over the bound is dropped and restarts the
 * connection (a stream we stopped reading cannot be resynchronised). */
static int on_receive(usm__mercury *m, struct lws *wsi, const char *in, size_t len) {
  int last = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
  if (m->rx_skip) return 0;
  if (usm__strbuf_append(&m->rx, in, len) != 0) {
    usm__strbuf_reset(&m->rx);
    m->rx_skip = 1;
    if (!notify_error(m, USM_ERR_RESPONSE_TOO_LARGE, "mercury frame over 1 MiB")) return 0;
    close_local(m, CLOSE_TOO_LARGE, "message too big");
    return 0;
  }
  if (!last) return 0;
  if (lws_frame_is_binary(wsi)) {
    usm__strbuf_reset(&m->rx);
    notify_error(m, USM_ERR_BAD_RESPONSE, "binary mercury frame");
    return 0;
  }
  /* Detach the buffer: a callback may re-enter (stop/start) and reset rx. */
  usm_strbuf msg = m->rx;
  usm__strbuf_init(&m->rx, USM__MERCURY_MAX_FRAME);
  if (msg.len) handle_message(m, msg.data, msg.len);
  else notify_error(m, USM_ERR_BAD_RESPONSE, "empty mercury frame");
  usm__strbuf_free(&msg);
  return 0;
}

/* ---- libwebsockets ---------------------------------------------------- */

static void opened(usm__mercury *m) {
  usm_client *c = m->c;
  if (go(m, USM__ME_OPENED) != 0) return;
  m->have_seq = 0;
  char id[37], tracking[80];
  usm__mframe_uuid(c, id);
  snprintf(tracking, sizeof tracking, "USM_%s_%llu", c->session_id, (unsigned long long)++c->tracking_counter);
  if (q_push(m, usm__mframe_authorization(id, c->access_token, tracking)) != 0) {
    close_local(m, CLOSE_NORMAL, "done (forced)");
    return;
  }
  uv_timer_start(&m->pong_timer, on_pong_timeout, (uint64_t)c->mercury_pong_timeout_ms, 0);
}

/* lws 4.1 kills a client wsi whose WRITEABLE returns -1 without sending the
 * lws_close_reason() frame, so the close frame is written here; lws's own
 * (unlisted since 4.0) write type 4 frames and masks it. */
#define WRITE_CLOSE ((enum lws_write_protocol)4)
static void send_close(struct lws *wsi, int code, const char *reason) {
  unsigned char b[LWS_PRE + 2 + 64];
  size_t rl = strnlen(reason, 64);
  b[LWS_PRE] = (unsigned char)(code >> 8);
  b[LWS_PRE + 1] = (unsigned char)(code & 0xff);
  memcpy(b + LWS_PRE + 2, reason, rl);
  lws_write(wsi, b + LWS_PRE, 2 + rl, WRITE_CLOSE);
}

static int on_writable(usm__mercury *m, struct lws *wsi) {
  if (m->local_code) {
    send_close(wsi, m->local_code, m->local_reason);
    return -1;
  }
  if (!m->q_count) return 0;
  char *b = m->q[m->q_head];
  m->q[m->q_head] = NULL;
  m->q_head = (m->q_head + 1) % SENDQ_MAX;
  m->q_count--;
  size_t n = strlen(b + LWS_PRE);
  int w = lws_write(wsi, (unsigned char *)b + LWS_PRE, n, LWS_WRITE_TEXT);
  memset(b + LWS_PRE, 0, n);
  free(b);
  if (w < (int)n) return -1;
  if (m->q_count) lws_callback_on_writable(wsi);
  return 0;
}

static void closed(usm__mercury *m, const char *why) {
  int code;
  const char *reason;
  usm__mclose_action act;
  if (m->local_code) {
    code = m->local_code;
    reason = m->local_reason;
    act = USM__MCLOSE_RECONNECT; /* our closes (pong, oversized) always retry */
  } else if (m->peer_code) {
    code = m->peer_code;
    reason = m->peer_reason;
    act = usm__mclose_classify(code, reason, m->state == USM__MS_ONLINE);
  } else {
    code = 1006;
    reason = why;
    act = USM__MCLOSE_RECONNECT;
  }
  char detail[200];
  snprintf(detail, sizeof detail, "%s", reason);
  lost(m, act, code, detail);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  (void)user;
  if (!wsi) return 0;
  struct lws_context *ctx = lws_get_context(wsi);
  usm__mercury *m = ctx ? lws_context_user(ctx) : NULL;
  int client_wsi = reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR || reason == LWS_CALLBACK_CLIENT_ESTABLISHED ||
                   reason == LWS_CALLBACK_CLIENT_RECEIVE || reason == LWS_CALLBACK_CLIENT_WRITEABLE ||
                   reason == LWS_CALLBACK_WS_PEER_INITIATED_CLOSE || reason == LWS_CALLBACK_CLIENT_CLOSED ||
                   reason == LWS_CALLBACK_WSI_DESTROY;
  if (!m || !client_wsi || m->shutting_down) return 0;
  /* Identity by attempt number, not pointer: lws may clear or reuse pointers. */
  if ((uintptr_t)lws_get_opaque_user_data(wsi) != m->gen + 1) {
    if (reason != LWS_CALLBACK_CLIENT_WRITEABLE && reason != LWS_CALLBACK_CLIENT_RECEIVE) return 0;
    /* An abandoned connection (stop, restart): close it politely. */
    if (reason == LWS_CALLBACK_CLIENT_WRITEABLE) send_close(wsi, CLOSE_NORMAL, "Done");
    return -1;
  }
  m->wsi = wsi;
  switch (reason) {
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
    char detail[160];
    snprintf(detail, sizeof detail, "connect failed: %.*s", in ? (int)strnlen(in, 120) : 0,
             in ? (const char *)in : "");
    lost(m, USM__MCLOSE_RECONNECT, 1006, detail);
    return 0;
  }
  case LWS_CALLBACK_CLIENT_ESTABLISHED: opened(m); return 0;
  case LWS_CALLBACK_CLIENT_RECEIVE: return on_receive(m, wsi, in, len);
  case LWS_CALLBACK_CLIENT_WRITEABLE: return on_writable(m, wsi);
  case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
    const unsigned char *p = in;
    if (len >= 2) {
      m->peer_code = (p[0] << 8) | p[1];
      size_t rl = len - 2 < sizeof m->peer_reason - 1 ? len - 2 : sizeof m->peer_reason - 1;
      memcpy(m->peer_reason, p + 2, rl);
      m->peer_reason[rl] = '\0';
      /* Reason text from the network goes to logs: keep it printable. */
      for (size_t i = 0; i < rl; i++)
        if ((unsigned char)m->peer_reason[i] < ' ' || m->peer_reason[i] == 0x7f) m->peer_reason[i] = '?';
    } else {
      m->peer_code = 1005;
      m->peer_reason[0] = '\0';
    }
    return 0;
  }
  case LWS_CALLBACK_CLIENT_CLOSED: closed(m, "closed"); return 0;
  case LWS_CALLBACK_WSI_DESTROY: closed(m, "connection lost"); return 0;
  default: return 0;
  }
}

/* ---- connect ---------------------------------------------------------- */

static int ensure_context(usm__mercury *m) {
  if (m->ctx) return 0;
  usm_client *c = m->c;
  m->protos[0] = (struct lws_protocols){.name = "usm-mercury", .callback = callback, .rx_buffer_size = 0};
  m->protos[1] = (struct lws_protocols){0};
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  void *loops[] = {&c->loop};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = m->protos;
  /* No DO_SSL_GLOBAL_INIT on the context: in lws 4.1.6 it re-allocates
   * process-wide OpenSSL ex-data indexes, and a context made earlier then
   * leaks its client SSL_CTX (upstream #2044; docs/mercury-connection.md).
   * The client TLS context is ours instead, handed over below; lws never
   * frees a provided one. No signal handlers: a library must not take
   * SIGSEGV/SIGFPE. */
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN |
                 LWS_SERVER_OPTION_DISABLE_IPV6;
  info.foreign_loops = loops;
  info.user = m;
  info.timeout_secs = (unsigned)((c->connect_timeout_ms + 999) / 1000);
  info.connect_timeout_secs = info.timeout_secs;
  m->ctx = lws_create_context(&info);
  if (!m->ctx) return -1;

  /* TLS 1.2+, trusting the client's CA file only when it has one (as the
   * REST client does), else the system store. lws still checks the peer's
   * certificate and host name on every connection. */
  m->ssl_ctx = SSL_CTX_new(TLS_client_method());
  if (!m->ssl_ctx || SSL_CTX_set_min_proto_version(m->ssl_ctx, TLS1_2_VERSION) != 1 ||
      (c->ca_file ? SSL_CTX_load_verify_locations(m->ssl_ctx, c->ca_file, NULL)
                  : SSL_CTX_set_default_verify_paths(m->ssl_ctx)) != 1)
    return -1;
  /* lws sets up client TLS only when this flag is in the info it is given;
   * on the vhost (not the context) it does not touch the global indexes. */
  struct lws_context_creation_info ti = info;
  ti.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  ti.provided_client_ssl_ctx = m->ssl_ctx;
  struct lws_vhost *vh = lws_get_vhost_by_name(m->ctx, "default");
  return vh && lws_init_vhost_client_ssl(&ti, vh) == 0 ? 0 : -1;
}

static void connect_now(usm__mercury *m) {
  usm_client *c = m->c;
  m->peer_code = 0;
  m->local_code = 0;
  m->rx_skip = 0;
  usm__strbuf_reset(&m->rx);
  if (ensure_context(m) != 0) {
    go(m, USM__ME_FATAL);
    notify_change(m, USM__MERCURY_OFFLINE, USM__MERCURY_R_INTERNAL, 0, "cannot create the websocket context");
    return;
  }
  struct lws_client_connect_info ci;
  memset(&ci, 0, sizeof ci);
  ci.context = m->ctx;
  ci.address = m->host;
  ci.port = m->port;
  ci.path = m->path;
  ci.host = m->host;
  ci.origin = m->host;
  ci.ssl_connection = m->tls ? LCCSCF_USE_SSL : 0;
  ci.protocol = NULL; /* Mercury uses no subprotocol */
  ci.local_protocol_name = m->protos[0].name;
  /* gen + 1 so that no live attempt is ever 0 (a wsi without opaque data). */
  ci.opaque_user_data = (void *)(m->gen + 1);
  usm__log(c, USM_LOG_INFO, "mercury: connecting to %s:%d", m->host, m->port);
  uintptr_t gen = m->gen;
  struct lws *w = lws_client_connect_via_info(&ci);
  if (w && gen == m->gen) m->wsi = w;
  /* A failure may already have been reported through CONNECTION_ERROR. */
  if (!w && gen == m->gen && m->state == USM__MS_CONNECTING)
    lost(m, USM__MCLOSE_RECONNECT, 1006, "connect failed");
}

/* ---- URL -------------------------------------------------------------- */

static const char QUERY[] = "outboundWireFormat=text&bufferStates=true&aliasHttpStatus=true";

static usm_err parse_url(usm__mercury *m, const char *url) {
  int tls;
  const char *p;
  if (strncmp(url, "wss://", 6) == 0) tls = 1, p = url + 6;
  else if (strncmp(url, "ws://", 5) == 0) tls = 0, p = url + 5;
  else return USM_ERR_INSECURE_URL;
  if (strnlen(url, MAX_URL_BYTES + 1) > MAX_URL_BYTES) return USM_ERR_LIMIT;
  /* The REST URL policy applies as-is: plain ws only to a loopback host. */
  usm_strbuf chk;
  usm__strbuf_init(&chk, 0);
  if (usm__strbuf_printf(&chk, "%s://%s", tls ? "https" : "http", p) != 0) {
    usm__strbuf_free(&chk);
    return USM_ERR_NO_MEMORY;
  }
  usm_err e = usm__url_check(chk.data);
  usm__strbuf_free(&chk);
  if (e != USM_OK) return e;
  size_t hl = strcspn(p, "/?#");
  const char *colon = memchr(p, ':', hl);
  if (p[0] == '[') return USM_ERR_INVALID_ARG; /* IPv6 literals: not needed by Mercury */
  size_t name_len = colon ? (size_t)(colon - p) : hl;
  long port = tls ? 443 : 80;
  if (colon) {
    char *end;
    port = strtol(colon + 1, &end, 10);
    if (end != p + hl || port <= 0 || port > 65535) return USM_ERR_INVALID_ARG;
  }
  if (name_len == 0) return USM_ERR_INVALID_ARG;
  const char *rest = p + hl;
  size_t rest_len = strcspn(rest, "#");
  usm_strbuf path;
  usm__strbuf_init(&path, 0);
  int bad = usm__strbuf_printf(&path, "%s%.*s%s%s", rest[0] == '/' ? "" : "/", (int)rest_len, rest,
                               memchr(rest, '?', rest_len) ? "&" : "?", QUERY) != 0;
  char *host = bad ? NULL : malloc(name_len + 1);
  if (!host) {
    usm__strbuf_free(&path);
    return USM_ERR_NO_MEMORY;
  }
  memcpy(host, p, name_len);
  host[name_len] = '\0';
  free(m->host);
  free(m->path);
  m->host = host;
  m->path = path.data; /* ownership moves */
  m->port = (int)port;
  m->tls = tls;
  return USM_OK;
}

/* ---- public (internal) API -------------------------------------------- */

static usm__mercury *get_or_make(usm_client *c) {
  if (c->mercury) return c->mercury;
  usm__mercury *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->c = c;
  m->backoff_base_ms = BACKOFF_BASE_MS;
  m->backoff_max_ms = BACKOFF_MAX_MS;
  usm__strbuf_init(&m->rx, USM__MERCURY_MAX_FRAME);
  uv_timer_init(&c->loop, &m->backoff_timer);
  uv_timer_init(&c->loop, &m->ping_timer);
  uv_timer_init(&c->loop, &m->pong_timer);
  m->backoff_timer.data = m->ping_timer.data = m->pong_timer.data = m;
  m->timers_ready = 1;
  c->mercury = m;
  return m;
}

/* Let go of the current connection without hearing about it again. */
static void abandon(usm__mercury *m) {
  timers_stop(m);
  q_clear(m);
  m->ping_out = 0;
  m->gen++; /* later callbacks of the current wsi are stale */
  if (m->wsi) {
    struct lws *w = m->wsi;
    m->wsi = NULL;
    /* The stale-wsi path answers WRITEABLE with -1, which closes it. */
    lws_callback_on_writable(w);
    lws_set_timeout(w, PENDING_TIMEOUT_USER_OK, FORCE_CLOSE_S);
  }
}

usm_err usm__mercury_start(usm_client *c, const char *ws_url, const usm__mercury_handlers *h) {
  if (!usm__client_ok(c) || !ws_url) return USM_ERR_INVALID_ARG;
  usm__mercury *m = get_or_make(c);
  if (!m) return USM_ERR_NO_MEMORY;
  usm_err e = parse_url(m, ws_url);
  if (e != USM_OK) return e;
  if (ensure_context(m) != 0) return USM_ERR_INTERNAL;
  if (h) m->h = *h;
  else memset(&m->h, 0, sizeof m->h);
  if (m->state != USM__MS_IDLE && m->state != USM__MS_OFFLINE) {
    abandon(m);
    go(m, USM__ME_STOP);
  }
  m->failures = 0;
  go(m, USM__ME_START);
  connect_now(m);
  return USM_OK;
}

void usm__mercury_stop(usm_client *c) {
  usm__mercury *m = c ? c->mercury : NULL;
  if (!m) return;
  abandon(m);
  go(m, USM__ME_STOP);
}

usm__mstate usm__mercury_state(const usm_client *c) {
  return c && c->mercury ? c->mercury->state : USM__MS_IDLE;
}

void usm__mercury_set_backoff(usm_client *c, long base_ms, long max_ms) {
  usm__mercury *m = get_or_make(c);
  if (!m || base_ms <= 0 || max_ms < base_ms) return;
  m->backoff_base_ms = base_ms;
  m->backoff_max_ms = max_ms;
}

void usm__mercury_shutdown(usm_client *c) {
  usm__mercury *m = c->mercury;
  if (!m) return;
  m->shutting_down = 1;
  timers_stop(m);
  q_clear(m);
  m->wsi = NULL;
  if (m->ctx) {
    /* With a foreign loop lws only starts closing its uv handles here; the
     * caller runs the loop until they are closed, then usm__mercury_free()
     * calls lws_context_destroy() again to free the context. */
    lws_context_destroy(m->ctx);
  }
  if (m->timers_ready) {
    uv_close((uv_handle_t *)&m->backoff_timer, NULL);
    uv_close((uv_handle_t *)&m->ping_timer, NULL);
    uv_close((uv_handle_t *)&m->pong_timer, NULL);
  }
}

void usm__mercury_free(usm_client *c) {
  usm__mercury *m = c->mercury;
  if (!m) return;
  if (m->ctx) lws_context_destroy(m->ctx); /* second stage, see shutdown */
  m->ctx = NULL;
  SSL_CTX_free(m->ssl_ctx); /* after lws: it held it until the context went */
  m->ssl_ctx = NULL;
  q_clear(m);
  usm__strbuf_free(&m->rx);
  free(m->host);
  free(m->path);
  free(m);
  c->mercury = NULL;
}
