#include "server.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "mercury.h"

#define WRITE_CHUNK 16384
#define STOP_GRACE_MS 200

typedef struct listener {
  cloud_server *srv;
  cloud_listener which;
} listener;

struct cloud_server {
  struct lws_context *ctx;
  struct lws_vhost *public_vh;
  struct lws_vhost *admin_vh;
  cloud_app *app;
  uv_loop_t *loop;
  listener pub;
  listener adm;
  struct lws_protocols public_protocols[2];
  struct lws_protocols admin_protocols[2];
  uv_timer_t stop_timer; /* the Mercury close frames go out before the end */
  int stopping;
};

/* Holds a response back for the injected latency. Freed by libuv's close
 * callback, which may run after the connection is gone (wsi is then NULL). */
typedef struct delay {
  uv_timer_t timer;
  struct lws *wsi;
} delay;

/* Per connection (lws allocates and zeroes it; it survives keep-alive). */
typedef struct conn {
  cloud_req req;
  usm_strbuf body;
  cloud_resp resp;
  int ready; /* resp holds the answer */
  int headers_sent;
  size_t sent;
  int close_after; /* the request body was not read: close the connection */
  delay *delay;
  cloud_merc_conn *merc; /* a Mercury websocket (after the upgrade) */
  unsigned char wbuf[LWS_PRE + WRITE_CHUNK];
} conn;

static void delay_closed(uv_handle_t *h) { free(h->data); }

static void delay_fired(uv_timer_t *t) {
  delay *d = t->data;
  if (d->wsi) lws_callback_on_writable(d->wsi);
}

/* Forgets the current exchange; safe to call any number of times. */
static void conn_reset(conn *c) {
  if (c->delay) {
    c->delay->wsi = NULL;
    uv_timer_stop(&c->delay->timer);
    uv_close((uv_handle_t *)&c->delay->timer, delay_closed);
    c->delay = NULL;
  }
  cloud_req_free(&c->req);
  usm__strbuf_free(&c->body);
  cloud_resp_free(&c->resp);
  c->ready = c->headers_sent = c->close_after = 0;
  c->sent = 0;
}

static char *copy_header(struct lws *wsi, enum lws_token_indexes h) {
  int n = lws_hdr_total_length(wsi, h);
  if (n <= 0 || n > CLOUD_MAX_HEADER) return NULL;
  char *s = malloc((size_t)n + 1);
  if (s && lws_hdr_copy(wsi, s, n + 1, h) < 0) {
    free(s);
    return NULL;
  }
  return s;
}

/* Custom headers are looked up by lower-case name with its colon. */
static char *copy_custom(struct lws *wsi, const char *name) {
  int nlen = (int)strlen(name);
  int n = lws_hdr_custom_length(wsi, name, nlen);
  if (n <= 0 || n > CLOUD_MAX_HEADER) return NULL;
  char *s = malloc((size_t)n + 1);
  if (s && lws_hdr_custom_copy(wsi, s, n + 1, name, nlen) < 0) {
    free(s);
    return NULL;
  }
  return s;
}

/* Query arguments: lws keeps each "name=value" (already decoded) as one
 * fragment of WSI_TOKEN_HTTP_URI_ARGS. */
static void copy_args(struct lws *wsi, cloud_req *q) {
  char buf[CLOUD_MAX_HEADER];
  for (int i = 0; q->nargs < CLOUD_MAX_ARGS; i++) {
    int n = lws_hdr_copy_fragment(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n < 0) break;
    char *eq = strchr(buf, '=');
    if (eq) *eq = '\0';
    cloud_arg *a = &q->args[q->nargs];
    a->name = usm__strdup(buf);
    a->value = usm__strdup(eq ? eq + 1 : "");
    if (!a->name || !a->value) {
      free(a->name);
      free(a->value);
      a->name = a->value = NULL;
      break;
    }
    q->nargs++;
  }
}

static cloud_method method_of(struct lws *wsi) {
  char *uri;
  int len;
  switch (lws_http_get_uri_and_method(wsi, &uri, &len)) {
  case LWSHUMETH_GET: return CLOUD_GET;
  case LWSHUMETH_POST: return CLOUD_POST;
  case LWSHUMETH_PUT: return CLOUD_PUT;
  case LWSHUMETH_PATCH: return CLOUD_PATCH;
  case LWSHUMETH_DELETE: return CLOUD_DELETE;
  default: return CLOUD_METHOD_OTHER;
  }
}

/* Answers now (or after the injected latency). */
static void respond(cloud_server *srv, conn *c, struct lws *wsi, unsigned delay_ms) {
  c->ready = 1;
  if (delay_ms == 0) {
    lws_callback_on_writable(wsi);
    return;
  }
  delay *d = calloc(1, sizeof *d);
  if (!d || uv_timer_init(srv->loop, &d->timer) != 0) {
    free(d);
    lws_callback_on_writable(wsi);
    return;
  }
  d->timer.data = d;
  d->wsi = wsi;
  c->delay = d;
  uv_timer_start(&d->timer, delay_fired, delay_ms, 0);
}

static void dispatch(const listener *ls, conn *c, struct lws *wsi) {
  /* The body is in: lws's body timeout must not cut an injected latency. */
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
  c->req.body = c->body.data;
  c->req.body_len = c->body.len;
  unsigned delay_ms = cloud_app_handle(ls->srv->app, ls->which, &c->req, &c->resp);
  respond(ls->srv, c, wsi, delay_ms);
}

/* A request the server refuses before reading it whole (400, 411, 413,
 * 414): answered at once, then the connection is closed. */
static void refuse(const listener *ls, conn *c, struct lws *wsi, int status, const char *msg) {
  cloud_req_set_tracking_id(&c->req);
  cloud_resp_error(&c->resp, &c->req, status, msg, NULL);
  c->close_after = 1;
  fprintf(stderr, "usm-cloud: refused a request: %d %s\n", status, msg);
  respond(ls->srv, c, wsi, 0);
}

static int begin(const listener *ls, conn *c, struct lws *wsi, const char *path, size_t len) {
  conn_reset(c);
  usm__strbuf_init(&c->body, CLOUD_MAX_BODY);
  cloud_resp_init(&c->resp);
  if (len > CLOUD_MAX_PATH) {
    refuse(ls, c, wsi, 414, "The request path is too long.");
    return 0;
  }
  cloud_req *q = &c->req;
  q->method = method_of(wsi);
  q->path = usm__strdup(path);
  q->authorization = copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  q->content_type = copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
  q->password = copy_custom(wsi, "password:");
  q->client_tracking_id = copy_custom(wsi, "trackingid:");
  copy_args(wsi, q);
  if (!q->path) return -1;
  /* A body follows when the client announced one. */
  char *cl = copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  int cl_ok = !cl || (cl[0] && strspn(cl, "0123456789") == strlen(cl));
  long long length = cl && cl_ok ? strtoll(cl, NULL, 10) : 0;
  free(cl);
  if (!cl_ok) {
    refuse(ls, c, wsi, 400, "The Content-Length header is not a number.");
    return 0;
  }
  /* lws 4.1 does not decode chunked request bodies; every real client
   * (libcurl with a known size) sends Content-Length. */
  if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
    refuse(ls, c, wsi, 411, "Send the body with a Content-Length (chunked is not supported).");
    return 0;
  }
  if (length > (long long)CLOUD_MAX_BODY) {
    refuse(ls, c, wsi, 413, "The request body is too large.");
    return 0;
  }
  if (length > 0) return 0; /* wait for LWS_CALLBACK_HTTP_BODY_COMPLETION */
  dispatch(ls, c, wsi);
  return 0;
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end) {
  return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value,
                                     (int)strlen(value), p, end);
}

static int write_headers(conn *c, struct lws *wsi) {
  unsigned char buf[LWS_PRE + 4096];
  unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
  const cloud_resp *r = &c->resp;
  char num[16];
  if (lws_add_http_common_headers(wsi, (unsigned)r->status, r->content_type, r->len, &p, end) ||
      add_header(wsi, "TrackingID:", c->req.tracking_id, &p, end))
    return -1;
  if (r->retry_after >= 0) {
    snprintf(num, sizeof num, "%d", r->retry_after);
    if (add_header(wsi, "Retry-After:", num, &p, end)) return -1;
  }
  if (r->link && strlen(r->link) < 3000 && add_header(wsi, "Link:", r->link, &p, end)) return -1;
  if (c->close_after && add_header(wsi, "Connection:", "close", &p, end)) return -1;
  return lws_finalize_write_http_header(wsi, start, &p, end) ? -1 : 0;
}

/* One write per WRITEABLE callback, as lws wants. */
static int write_some(conn *c, struct lws *wsi) {
  if (!c->ready) return 0;
  if (!c->headers_sent) {
    if (write_headers(c, wsi)) return -1;
    c->headers_sent = 1;
    if (c->resp.len) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  } else if (c->sent < c->resp.len) {
    size_t n = c->resp.len - c->sent;
    if (n > WRITE_CHUNK) n = WRITE_CHUNK;
    memcpy(c->wbuf + LWS_PRE, c->resp.body + c->sent, n);
    int last = c->sent + n == c->resp.len;
    if (lws_write(wsi, c->wbuf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
      return -1;
    c->sent += n;
    if (!last) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  }
  int close_now = c->close_after;
  conn_reset(c);
  if (close_now) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int ws_allowed(const listener *ls, struct lws *wsi) {
  char uri[128];
  return ls && ls->which == CLOUD_LISTENER_PUBLIC &&
         lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) > 0 && cloud_mercury_path_ok(uri);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
  conn *c = user;
  struct lws_vhost *vh = lws_get_vhost(wsi);
  const listener *ls = vh ? lws_vhost_user(vh) : NULL;
  switch (reason) {
  case LWS_CALLBACK_HTTP:
    if (!c || !ls) return -1;
    return begin(ls, c, wsi, in ? (const char *)in : "/", in ? strlen(in) : 1);
  case LWS_CALLBACK_HTTP_BODY:
    if (!c || !ls || c->ready) return 0; /* refused already: drain and ignore */
    if (usm__strbuf_append(&c->body, in, len) != 0)
      refuse(ls, c, wsi, 413, "The request body is too large.");
    return 0;
  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    if (c && ls && !c->ready) dispatch(ls, c, wsi);
    return 0;
  case LWS_CALLBACK_HTTP_WRITEABLE: return c ? write_some(c, wsi) : 0;
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
  case LWS_CALLBACK_CLOSED_HTTP:
    if (c) conn_reset(c);
    return 0;
  /* Mercury clients send no subprotocol: lws binds their upgrade to the
   * vhost's default protocol, this one; only the public vhost's Mercury
   * paths are let through. */
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: return ws_allowed(ls, wsi) ? 0 : -1;
  case LWS_CALLBACK_ESTABLISHED:
  case LWS_CALLBACK_RECEIVE:
  case LWS_CALLBACK_SERVER_WRITEABLE:
  case LWS_CALLBACK_TIMER:
  case LWS_CALLBACK_CLOSED:
    if (!c || !ls) return reason == LWS_CALLBACK_CLOSED ? 0 : -1;
    return cloud_mercury_callback(&ls->srv->app->mercury, wsi, (int)reason, &c->merc, in, len);
  default: return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

static void lws_log(int level, const char *line) {
  (void)level;
  fprintf(stderr, "usm-cloud: lws: %s", line);
}

static struct lws_vhost *make_vhost(cloud_server *s, listener *ls, struct lws_protocols *protos,
                                    const char *name, int port, const cloud_server_options *o) {
  protos[0] = (struct lws_protocols){
      .name = "http", .callback = callback, .per_session_data_size = sizeof(conn)};
  protos[1] = (struct lws_protocols){0};
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.vhost_name = name;
  info.port = port;
  info.iface = "127.0.0.1"; /* loopback only, never anything else */
  info.protocols = protos;
  info.user = ls;
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  info.keepalive_timeout = 30;
  if (o) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = o->cert_file;
    info.ssl_private_key_filepath = o->key_file;
    info.alpn = "http/1.1"; /* HTTP/1.1 only: the websocket upgrade needs it */
  }
  return lws_create_vhost(s->ctx, &info);
}

cloud_server *cloud_server_start(uv_loop_t *loop, cloud_app *app, const cloud_server_options *o) {
  cloud_server *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->app = app;
  s->loop = loop;
  s->pub = (listener){s, CLOUD_LISTENER_PUBLIC};
  s->adm = (listener){s, CLOUD_LISTENER_ADMIN};
  lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  void *loops[] = {loop};
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                 LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.foreign_loops = loops;
  info.pcontext = &s->ctx;
  info.max_http_header_data = 8192;
  /* Larger than a TLS record (16 KiB): each read then empties OpenSSL's
   * buffer. With smaller reads, lws 4.1 on a foreign libuv loop left the
   * rest of a record's body bytes unread until the client gave up. */
  info.pt_serv_buf_size = 32768;
  info.timeout_secs = 20;
  s->ctx = lws_create_context(&info);
  if (!s->ctx) {
    fprintf(stderr, "usm-cloud: cannot create the libwebsockets context\n");
    free(s);
    return NULL;
  }
  s->public_vh = make_vhost(s, &s->pub, s->public_protocols, "public", o->port, o);
  s->admin_vh = s->public_vh
                    ? make_vhost(s, &s->adm, s->admin_protocols, "admin", o->admin_port, NULL)
                    : NULL;
  if (!s->public_vh || !s->admin_vh) {
    fprintf(stderr, "usm-cloud: cannot listen on 127.0.0.1 port %d / %d\n", o->port, o->admin_port);
    cloud_server_stop(s);
  }
  return s;
}

int cloud_server_port(const cloud_server *s) {
  return s->public_vh ? lws_get_vhost_listen_port(s->public_vh) : -1;
}

int cloud_server_admin_port(const cloud_server *s) {
  return s->admin_vh ? lws_get_vhost_listen_port(s->admin_vh) : -1;
}

static void destroy_context(cloud_server *s) {
  if (s->ctx) lws_context_destroy(s->ctx);
  s->public_vh = s->admin_vh = NULL;
}

static void stop_fired(uv_timer_t *t) {
  uv_close((uv_handle_t *)t, NULL);
  destroy_context(t->data);
}

void cloud_server_stop(cloud_server *s) {
  if (s->stopping) return;
  s->stopping = 1;
  /* lws sends no close frame while it destroys a context: Mercury clients
   * get 1001 "going away" first, and a moment for it to leave. */
  if (s->ctx && cloud_mercury_close_all(&s->app->mercury, 1001, "going away") > 0 &&
      uv_timer_init(s->loop, &s->stop_timer) == 0) {
    s->stop_timer.data = s;
    uv_timer_start(&s->stop_timer, stop_fired, STOP_GRACE_MS, 0);
    /* Called from outside lws: wake it so it arms the close timers. */
    lws_cancel_service(s->ctx);
    return;
  }
  destroy_context(s);
}

void cloud_server_free(cloud_server *s) {
  if (!s) return;
  /* With a foreign loop the first destroy only starts closing. */
  if (s->ctx) lws_context_destroy(s->ctx);
  free(s);
}
