/* TURN client (RFC 8656): one allocation over UDP, TCP or TLS on a libuv
 * loop. Requests are kept in a small table and retransmitted over UDP
 * (RFC 8489 RTO, bounded); over TCP/TLS they are sent once and time out.
 * The byte stream of TCP/TLS is cut into STUN and ChannelData frames with
 * usm__turn_stream_frame_len (TURN-TCP has no other framing). */
#include "media/turn_client.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/packet_demux.h"

#define TICK_MS 100
#define MAX_TX 8
#define TX_BUF 2400           /* USERNAME + REALM + NONCE at their bounds fit */
#define UDP_RTO_MS 250
#define UDP_MAX_SENDS 7
#define STREAM_TIMEOUT_MS 20000
#define MAX_AUTH_RETRIES 3
#define PERM_REFRESH_MS 240000 /* permissions live 300 s */
#define CHAN_REFRESH_MS 540000 /* channels live 600 s */
#define RX_CAP (USM__CHANNEL_HEADER_LEN + 65535 + 3 + 16)
#define READ_CHUNK 16384

typedef enum turn_state { T_CONNECTING, T_ALLOCATING, T_ALLOCATED, T_FAILED } turn_state;

typedef struct turn_tx {
  int used;
  uint8_t tid[USM__STUN_TID_LEN];
  uint16_t method;
  usm__stun_addr peer;   /* CreatePermission, ChannelBind */
  uint16_t channel;      /* ChannelBind */
  uint32_t lifetime;     /* Refresh */
  int auth_retries;
  int sends;
  uint64_t next_ms, deadline_ms;
  unsigned rto;
  size_t len;
  uint8_t buf[TX_BUF];
} turn_tx;

typedef struct turn_perm {
  int used, installed, pending;
  usm__stun_addr ip; /* port ignored */
  uint64_t refresh_ms;
} turn_perm;

typedef struct turn_chan {
  int used, bound, pending;
  uint16_t number;
  usm__stun_addr peer;
  uint64_t refresh_ms;
} turn_chan;

typedef struct turn_write {
  uv_write_t req;
  uint8_t data[]; /* copy of what is written */
} turn_write;

struct usm__turn {
  usm__turn_config cfg;
  char *username, *password, *server_name, *ca_file;
  struct sockaddr_storage server;
  turn_state state;
  int closing, handles;
  union {
    uv_udp_t udp;
    uv_tcp_t tcp;
  } sock;
  uv_timer_t timer;
  uv_connect_t connect_req;
  /* long-term credentials */
  int have_key;
  uint8_t key[16];
  uint8_t realm[USM__STUN_MAX_TEXT];
  size_t realm_len;
  uint8_t nonce[USM__STUN_MAX_TEXT];
  size_t nonce_len;
  uint64_t refresh_ms; /* next allocation Refresh */
  turn_tx tx[MAX_TX];
  turn_perm perms[USM__TURN_MAX_PEERS];
  turn_chan chans[USM__TURN_MAX_PEERS];
  uint16_t next_channel;
  /* TLS */
  SSL_CTX *ssl_ctx;
  SSL *ssl;
  BIO *rbio, *wbio;
  int tls_ready;
  /* stream reassembly (TCP/TLS) */
  uint8_t *acc;
  size_t acc_len;
  uint8_t rbuf[READ_CHUNK];
};

static uint64_t now_ms(const usm__turn *t) { return uv_now(t->cfg.loop); }

static void tlog(usm__turn *t, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void tlog(usm__turn *t, int level, const char *fmt, ...) {
  if (!t->cfg.log) return;
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  t->cfg.log(t->cfg.user, level, msg);
}

/* ---- URL ---- */

usm_err usm__turn_parse_url(const char *url, usm__turn_url *out) {
  if (!url || !out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  const char *p;
  int secure = 0;
  if (strncmp(url, "turns:", 6) == 0) {
    secure = 1;
    p = url + 6;
  } else if (strncmp(url, "turn:", 5) == 0) {
    p = url + 5;
  } else {
    return USM_ERR_INVALID_ARG;
  }
  const char *host = p, *host_end;
  if (*p == '[') {
    host = ++p;
    host_end = strchr(p, ']');
    if (!host_end) return USM_ERR_INVALID_ARG;
    p = host_end + 1;
  } else {
    while (*p && *p != ':' && *p != '?') p++;
    host_end = p;
  }
  size_t hl = (size_t)(host_end - host);
  if (hl == 0 || hl > USM__TURN_HOST_MAX) return USM_ERR_INVALID_ARG;
  memcpy(out->host, host, hl);
  out->port = secure ? 5349 : 3478;
  if (*p == ':') {
    p++;
    unsigned long port = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 6) port = port * 10 + (unsigned long)(*p++ - '0'), digits++;
    if (!digits || port == 0 || port > 65535) return USM_ERR_INVALID_ARG;
    out->port = (uint16_t)port;
  }
  out->transport = secure ? USM__TURN_TLS : USM__TURN_UDP;
  if (*p == '?') {
    p++;
    if (strcmp(p, "transport=udp") == 0) {
      if (secure) return USM_ERR_INVALID_ARG;
      out->transport = USM__TURN_UDP;
    } else if (strcmp(p, "transport=tcp") == 0) {
      out->transport = secure ? USM__TURN_TLS : USM__TURN_TCP;
    } else {
      return USM_ERR_INVALID_ARG;
    }
  } else if (*p) {
    return USM_ERR_INVALID_ARG;
  }
  return USM_OK;
}

/* ---- lifetime ---- */

static void on_handle_closed(uv_handle_t *h) {
  usm__turn *t = h->data;
  if (--t->handles > 0) return;
  void (*cb)(void *) = t->cfg.on_closed;
  void *user = t->cfg.user;
  if (t->ssl) SSL_free(t->ssl); /* frees the BIOs */
  if (t->ssl_ctx) SSL_CTX_free(t->ssl_ctx);
  free(t->acc);
  free(t->username);
  free(t->password);
  free(t->server_name);
  free(t->ca_file);
  free(t);
  if (cb) cb(user);
}

static void fail(usm__turn *t, usm_err err) {
  if (t->state == T_FAILED) return;
  t->state = T_FAILED;
  tlog(t, USM_LOG_WARN, "turn: failed (%d)", (int)err);
  if (!t->closing && t->cfg.on_error) t->cfg.on_error(t->cfg.user, err);
}

/* ---- sending to the server ---- */

static void on_write(uv_write_t *req, int status) {
  turn_write *w = (turn_write *)req;
  usm__turn *t = req->handle->data;
  free(w);
  if (status < 0 && status != UV_ECANCELED && !t->closing) fail(t, USM_ERR_NETWORK);
}

static int stream_write(usm__turn *t, const uint8_t *data, size_t len) {
  if (t->closing) return -1;
  turn_write *w = malloc(sizeof *w + len);
  if (!w) return -1;
  memcpy(w->data, data, len);
  uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)len);
  if (uv_write(&w->req, (uv_stream_t *)&t->sock.tcp, &b, 1, on_write) != 0) {
    free(w);
    return -1;
  }
  return 0;
}

static void tls_flush(usm__turn *t) {
  uint8_t out[READ_CHUNK];
  int n;
  while ((n = BIO_read(t->wbio, out, (int)sizeof out)) > 0) stream_write(t, out, (size_t)n);
}

static int send_raw(usm__turn *t, const uint8_t *data, size_t len) {
  if (t->closing && t->cfg.transport != USM__TURN_UDP) return -1;
  switch (t->cfg.transport) {
  case USM__TURN_UDP: {
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int r = uv_udp_try_send(&t->sock.udp, &b, 1, (const struct sockaddr *)&t->server);
    return r < 0 ? -1 : 0; /* EAGAIN: lost like any datagram; retransmission covers it */
  }
  case USM__TURN_TCP:
    return stream_write(t, data, len);
  case USM__TURN_TLS:
    if (!t->tls_ready) return -1;
    if (SSL_write(t->ssl, data, (int)len) <= 0) return -1;
    tls_flush(t);
    return 0;
  }
  return -1;
}

/* ---- requests ---- */

static turn_tx *tx_find(usm__turn *t, const uint8_t *tid) {
  for (size_t i = 0; i < MAX_TX; i++)
    if (t->tx[i].used && memcmp(t->tx[i].tid, tid, USM__STUN_TID_LEN) == 0) return &t->tx[i];
  return NULL;
}

/* (Re)build a request in its slot with a fresh tid and the current nonce. */
static usm_err tx_build(usm__turn *t, turn_tx *x) {
  usm__stun_builder b;
  usm__stun_build_begin(&b, x->buf, sizeof x->buf, x->method, USM__STUN_REQUEST, NULL);
  memcpy(x->tid, usm__stun_build_tid(&b), USM__STUN_TID_LEN);
  switch (x->method) {
  case USM__STUN_ALLOCATE:
    usm__stun_add_requested_transport(&b, USM__STUN_TRANSPORT_UDP);
    break;
  case USM__STUN_REFRESH:
    usm__stun_add_u32(&b, USM__STUN_ATTR_LIFETIME, x->lifetime);
    break;
  case USM__STUN_CREATE_PERMISSION:
    usm__stun_add_addr(&b, USM__STUN_ATTR_XOR_PEER_ADDRESS, &x->peer);
    break;
  case USM__STUN_CHANNEL_BIND:
    usm__stun_add_channel(&b, x->channel);
    usm__stun_add_addr(&b, USM__STUN_ATTR_XOR_PEER_ADDRESS, &x->peer);
    break;
  default:
    break;
  }
  if (t->have_key) {
    usm__stun_add_attr(&b, USM__STUN_ATTR_USERNAME, t->username, strlen(t->username));
    usm__stun_add_attr(&b, USM__STUN_ATTR_REALM, t->realm, t->realm_len);
    usm__stun_add_attr(&b, USM__STUN_ATTR_NONCE, t->nonce, t->nonce_len);
    usm__stun_add_integrity(&b, t->key, sizeof t->key);
  }
  usm__stun_add_fingerprint(&b);
  return usm__stun_build_finish(&b, &x->len);
}

static void tx_send(usm__turn *t, turn_tx *x) {
  uint64_t now = now_ms(t);
  x->sends = 1;
  if (t->cfg.transport == USM__TURN_UDP) {
    x->rto = UDP_RTO_MS;
    x->next_ms = now + x->rto;
    x->deadline_ms = now + (uint64_t)UDP_RTO_MS * ((1u << (UDP_MAX_SENDS - 1)) - 1) + 16u * UDP_RTO_MS;
  } else {
    x->next_ms = UINT64_MAX;
    x->deadline_ms = now + STREAM_TIMEOUT_MS;
  }
  send_raw(t, x->buf, x->len);
}

static usm_err tx_start(usm__turn *t, uint16_t method, const usm__stun_addr *peer, uint16_t channel,
                        uint32_t lifetime) {
  turn_tx *x = NULL;
  for (size_t i = 0; i < MAX_TX && !x; i++)
    if (!t->tx[i].used) x = &t->tx[i];
  if (!x) return USM_ERR_LIMIT;
  memset(x, 0, offsetof(turn_tx, buf));
  x->used = 1;
  x->method = method;
  if (peer) x->peer = *peer;
  x->channel = channel;
  x->lifetime = lifetime;
  usm_err e = tx_build(t, x);
  if (e != USM_OK) {
    x->used = 0;
    return e;
  }
  tx_send(t, x);
  return USM_OK;
}

static void start_allocate(usm__turn *t) {
  t->state = T_ALLOCATING;
  if (tx_start(t, USM__STUN_ALLOCATE, NULL, 0, 0) != USM_OK) fail(t, USM_ERR_INTERNAL);
}

static int same_ip(const usm__stun_addr *a, const usm__stun_addr *b) {
  return a->family == b->family && memcmp(a->ip, b->ip, a->family == USM__STUN_FAMILY_IPV4 ? 4 : 16) == 0;
}
static int same_addr(const usm__stun_addr *a, const usm__stun_addr *b) {
  return same_ip(a, b) && a->port == b->port;
}

static turn_perm *perm_find(usm__turn *t, const usm__stun_addr *peer) {
  for (size_t i = 0; i < USM__TURN_MAX_PEERS; i++)
    if (t->perms[i].used && same_ip(&t->perms[i].ip, peer)) return &t->perms[i];
  return NULL;
}
static turn_chan *chan_by_peer(usm__turn *t, const usm__stun_addr *peer) {
  for (size_t i = 0; i < USM__TURN_MAX_PEERS; i++)
    if (t->chans[i].used && same_addr(&t->chans[i].peer, peer)) return &t->chans[i];
  return NULL;
}
static turn_chan *chan_by_number(usm__turn *t, uint16_t n) {
  for (size_t i = 0; i < USM__TURN_MAX_PEERS; i++)
    if (t->chans[i].used && t->chans[i].number == n) return &t->chans[i];
  return NULL;
}

static void on_allocate_ok(usm__turn *t, const usm__stun_msg *m) {
  usm__stun_addr relayed, mapped;
  uint32_t lifetime = 600;
  if (usm__stun_get_addr(m, USM__STUN_ATTR_XOR_RELAYED_ADDRESS, &relayed) != USM_OK) {
    fail(t, USM_ERR_BAD_RESPONSE);
    return;
  }
  if (usm__stun_get_addr(m, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped) != USM_OK) memset(&mapped, 0, sizeof mapped);
  usm__stun_get_u32(m, USM__STUN_ATTR_LIFETIME, &lifetime);
  if (lifetime < 120) lifetime = 120;
  t->refresh_ms = now_ms(t) + (uint64_t)(lifetime - 60) * 1000;
  t->state = T_ALLOCATED;
  tlog(t, USM_LOG_INFO, "turn: allocated, lifetime %u s", (unsigned)lifetime);
  /* permissions asked before the allocation went out unauthenticated: redo */
  for (size_t i = 0; i < USM__TURN_MAX_PEERS; i++) t->perms[i].refresh_ms = 0;
  if (t->cfg.on_allocated && !t->closing) t->cfg.on_allocated(t->cfg.user, &relayed, &mapped);
}

static void handle_response(usm__turn *t, const usm__stun_msg *m) {
  turn_tx *x = tx_find(t, m->tid);
  if (!x) return;
  if (usm__stun_check_fingerprint(m) == USM_ERR_MALFORMED) return;
  int code = 0;
  if (m->cls == USM__STUN_ERROR) {
    const uint8_t *reason;
    size_t rl;
    if (usm__stun_get_error(m, &code, &reason, &rl) != USM_OK) return;
  }
  /* 401 and 438 carry the new REALM/NONCE and no integrity we could check
   * before having the key; everything else must pass integrity once we
   * have a key. */
  /* a 401 to a request that already carried our key: wrong credentials
   * (RFC 8489 §9.2.5); no integrity can be checked on it, give up */
  if (code == 401 && t->have_key && x->method == USM__STUN_ALLOCATE && x->auth_retries > 0) {
    x->used = 0;
    tlog(t, USM_LOG_WARN, "turn: credentials refused (401)");
    fail(t, USM_ERR_UNAUTHORIZED);
    return;
  }
  if ((code == 401 || code == 438) && x->auth_retries < MAX_AUTH_RETRIES) {
    const uint8_t *v;
    size_t vl;
    if (usm__stun_get_bytes(m, USM__STUN_ATTR_NONCE, &v, &vl) != USM_OK || vl > sizeof t->nonce) return;
    memcpy(t->nonce, v, vl);
    t->nonce_len = vl;
    if (usm__stun_get_bytes(m, USM__STUN_ATTR_REALM, &v, &vl) == USM_OK && vl <= sizeof t->realm) {
      memcpy(t->realm, v, vl);
      t->realm_len = vl;
    }
    if (code == 401 || !t->have_key) {
      if (t->realm_len == 0) return;
      if (usm__stun_long_term_key((const uint8_t *)t->username, strlen(t->username), t->realm,
                                  t->realm_len, (const uint8_t *)t->password, strlen(t->password),
                                  t->key) != USM_OK)
        return;
      t->have_key = 1;
    }
    x->auth_retries++;
    if (tx_build(t, x) == USM_OK) tx_send(t, x);
    return;
  }
  if (t->have_key && usm__stun_check_integrity(m, t->key, sizeof t->key) != USM_OK) return;
  turn_tx done = *x; /* copy the few fields needed; the slot is free again */
  x->used = 0;
  if (done.method == USM__STUN_ALLOCATE) {
    if (code) {
      tlog(t, USM_LOG_WARN, "turn: Allocate refused with %d", code);
      fail(t, code == 401 ? USM_ERR_UNAUTHORIZED : code == 403 ? USM_ERR_FORBIDDEN : USM_ERR_NETWORK);
    } else {
      on_allocate_ok(t, m);
    }
  } else if (done.method == USM__STUN_REFRESH) {
    uint32_t lifetime = 600;
    if (code) {
      if (done.lifetime) fail(t, USM_ERR_NETWORK);
      return;
    }
    usm__stun_get_u32(m, USM__STUN_ATTR_LIFETIME, &lifetime);
    if (lifetime < 120) lifetime = 120;
    t->refresh_ms = now_ms(t) + (uint64_t)(lifetime - 60) * 1000;
  } else if (done.method == USM__STUN_CREATE_PERMISSION) {
    turn_perm *p = perm_find(t, &done.peer);
    if (p) {
      p->pending = 0;
      p->installed = !code;
      p->refresh_ms = now_ms(t) + (code ? 5000 : PERM_REFRESH_MS);
    }
  } else if (done.method == USM__STUN_CHANNEL_BIND) {
    turn_chan *c = chan_by_number(t, done.channel);
    if (c) {
      c->pending = 0;
      c->bound = !code;
      c->refresh_ms = now_ms(t) + (code ? 5000 : CHAN_REFRESH_MS);
      if (code) tlog(t, USM_LOG_WARN, "turn: ChannelBind refused with %d", code);
    }
  }
}

static void handle_frame(usm__turn *t, const uint8_t *buf, size_t len, int stream) {
  usm__pkt_kind k = usm__packet_classify(buf, len);
  if (k == USM__PKT_CHANNEL_DATA) {
    uint16_t ch;
    const uint8_t *d;
    size_t dl;
    if (usm__channel_data_parse(buf, len, stream, &ch, &d, &dl, NULL) != USM_OK) return;
    turn_chan *c = chan_by_number(t, ch);
    if (c && t->cfg.on_data && !t->closing) t->cfg.on_data(t->cfg.user, &c->peer, d, dl);
    return;
  }
  if (k != USM__PKT_STUN) return;
  usm__stun_msg m;
  if (usm__stun_parse(buf, len, &m) != USM_OK) return;
  if (m.cls == USM__STUN_SUCCESS || m.cls == USM__STUN_ERROR) {
    handle_response(t, &m);
  } else if (m.cls == USM__STUN_INDICATION && m.method == USM__STUN_DATA) {
    usm__stun_addr peer;
    const uint8_t *d;
    size_t dl;
    if (usm__stun_get_addr(&m, USM__STUN_ATTR_XOR_PEER_ADDRESS, &peer) != USM_OK) return;
    if (usm__stun_get_bytes(&m, USM__STUN_ATTR_DATA, &d, &dl) != USM_OK) return;
    if (t->cfg.on_data && !t->closing) t->cfg.on_data(t->cfg.user, &peer, d, dl);
  }
}

/* ---- receiving ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
  (void)suggested;
  usm__turn *t = h->data;
  *b = uv_buf_init((char *)t->rbuf, sizeof t->rbuf);
}

static void on_udp_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                        unsigned flags) {
  usm__turn *t = u->data;
  if (n <= 0 || !from || (flags & UV_UDP_PARTIAL) || t->closing) return;
  usm__stun_addr src, srv;
  if (usm__stun_addr_from_sockaddr(from, &src) != USM_OK ||
      usm__stun_addr_from_sockaddr((const struct sockaddr *)&t->server, &srv) != USM_OK ||
      !same_addr(&src, &srv))
    return; /* only the server speaks on this socket */
  handle_frame(t, (const uint8_t *)b->base, (size_t)n, 0);
}

static void stream_feed(usm__turn *t, const uint8_t *p, size_t n) {
  while (n > 0 && !t->closing && t->state != T_FAILED) {
    size_t room = RX_CAP - t->acc_len, take = n < room ? n : room;
    memcpy(t->acc + t->acc_len, p, take);
    t->acc_len += take;
    p += take;
    n -= take;
    for (;;) {
      size_t flen;
      usm_err e = usm__turn_stream_frame_len(t->acc, t->acc_len, &flen);
      if (e == USM_ERR_WRONG_STATE) break;
      if (e != USM_OK || flen > RX_CAP) {
        fail(t, USM_ERR_BAD_RESPONSE);
        return;
      }
      if (t->acc_len < flen) break;
      handle_frame(t, t->acc, flen, 1);
      if (t->closing) return;
      memmove(t->acc, t->acc + flen, t->acc_len - flen);
      t->acc_len -= flen;
    }
  }
}

static void on_tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  usm__turn *t = s->data;
  if (t->closing) return;
  if (n < 0) {
    uv_read_stop(s);
    fail(t, USM_ERR_NETWORK);
    return;
  }
  if (n == 0) return;
  if (t->cfg.transport == USM__TURN_TCP) {
    stream_feed(t, (const uint8_t *)b->base, (size_t)n);
    return;
  }
  if (BIO_write(t->rbio, b->base, (int)n) != (int)n) {
    fail(t, USM_ERR_TLS);
    return;
  }
  if (!t->tls_ready) {
    int r = SSL_do_handshake(t->ssl);
    tls_flush(t);
    if (r != 1) {
      int err = SSL_get_error(t->ssl, r);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        long v = SSL_get_verify_result(t->ssl);
        tlog(t, USM_LOG_ERROR, "turn: TLS handshake failed (verify %ld: %s)", v, X509_verify_cert_error_string(v));
        fail(t, USM_ERR_TLS);
      }
      return;
    }
    t->tls_ready = 1;
    start_allocate(t);
  }
  uint8_t plain[READ_CHUNK];
  int r;
  while (!t->closing && (r = SSL_read(t->ssl, plain, (int)sizeof plain)) > 0) stream_feed(t, plain, (size_t)r);
  if (!t->closing) tls_flush(t);
}

static void on_connect(uv_connect_t *req, int status) {
  usm__turn *t = req->handle->data;
  if (status == UV_ECANCELED || t->closing) return;
  if (status < 0) {
    tlog(t, USM_LOG_WARN, "turn: connect failed: %s", uv_strerror(status));
    fail(t, USM_ERR_NETWORK);
    return;
  }
  uv_read_start((uv_stream_t *)&t->sock.tcp, on_alloc, on_tcp_read);
  if (t->cfg.transport == USM__TURN_TCP) {
    start_allocate(t);
  } else {
    SSL_do_handshake(t->ssl);
    tls_flush(t);
  }
}

/* ---- timer: retransmissions, refreshes ---- */

static void on_tick(uv_timer_t *tm) {
  usm__turn *t = tm->data;
  if (t->closing) return;
  uint64_t now = now_ms(t);
  for (size_t i = 0; i < MAX_TX && !t->closing; i++) {
    turn_tx *x = &t->tx[i];
    if (!x->used) continue;
    if (now >= x->deadline_ms) {
      x->used = 0;
      tlog(t, USM_LOG_WARN, "turn: request 0x%03x timed out", x->method);
      if (x->method == USM__STUN_ALLOCATE || (x->method == USM__STUN_REFRESH && x->lifetime)) {
        fail(t, USM_ERR_TIMEOUT);
      } else if (x->method == USM__STUN_CREATE_PERMISSION) {
        turn_perm *p = perm_find(t, &x->peer);
        if (p) p->pending = 0, p->refresh_ms = now + 5000;
      } else if (x->method == USM__STUN_CHANNEL_BIND) {
        turn_chan *c = chan_by_number(t, x->channel);
        if (c) c->pending = 0, c->refresh_ms = now + 5000;
      }
    } else if (now >= x->next_ms && x->sends < UDP_MAX_SENDS) {
      x->sends++;
      x->rto *= 2;
      x->next_ms = now + x->rto;
      send_raw(t, x->buf, x->len);
    }
  }
  if (t->state != T_ALLOCATED || t->closing) return;
  if (now >= t->refresh_ms) {
    t->refresh_ms = now + 30000; /* until the answer sets the real one */
    tx_start(t, USM__STUN_REFRESH, NULL, 0, 600);
  }
  for (size_t i = 0; i < USM__TURN_MAX_PEERS; i++) {
    turn_perm *p = &t->perms[i];
    if (p->used && !p->pending && now >= p->refresh_ms &&
        tx_start(t, USM__STUN_CREATE_PERMISSION, &p->ip, 0, 0) == USM_OK)
      p->pending = 1;
    turn_chan *c = &t->chans[i];
    if (c->used && !c->pending && now >= c->refresh_ms &&
        tx_start(t, USM__STUN_CHANNEL_BIND, &c->peer, c->number, 0) == USM_OK)
      c->pending = 1;
  }
}

/* ---- API ---- */

static char *dup_or_null(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static usm_err tls_setup(usm__turn *t) {
  t->ssl_ctx = SSL_CTX_new(TLS_client_method());
  if (!t->ssl_ctx) return USM_ERR_TLS;
  SSL_CTX_set_min_proto_version(t->ssl_ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(t->ssl_ctx, SSL_VERIFY_PEER, NULL);
  int ok = t->ca_file ? SSL_CTX_load_verify_locations(t->ssl_ctx, t->ca_file, NULL)
                      : SSL_CTX_set_default_verify_paths(t->ssl_ctx);
  if (ok != 1) return USM_ERR_TLS;
  t->ssl = SSL_new(t->ssl_ctx);
  t->rbio = BIO_new(BIO_s_mem());
  t->wbio = BIO_new(BIO_s_mem());
  if (!t->ssl || !t->rbio || !t->wbio) {
    BIO_free(t->rbio);
    BIO_free(t->wbio);
    t->rbio = t->wbio = NULL;
    return USM_ERR_NO_MEMORY;
  }
  SSL_set_bio(t->ssl, t->rbio, t->wbio);
  SSL_set_connect_state(t->ssl);
  const char *name = t->server_name;
  if (!name || !*name) return USM_ERR_INVALID_ARG;
  X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);
  unsigned char ipbuf[16];
  if (inet_pton(AF_INET, name, ipbuf) == 1 || inet_pton(AF_INET6, name, ipbuf) == 1) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, name) != 1) return USM_ERR_TLS;
  } else {
    SSL_set_tlsext_host_name(t->ssl, name);
    if (SSL_set1_host(t->ssl, name) != 1) return USM_ERR_TLS;
  }
  return USM_OK;
}

static void free_unstarted(usm__turn *t) {
  if (t->ssl) SSL_free(t->ssl);
  if (t->ssl_ctx) SSL_CTX_free(t->ssl_ctx);
  free(t->acc);
  free(t->username);
  free(t->password);
  free(t->server_name);
  free(t->ca_file);
  free(t);
}

usm_err usm__turn_create(const usm__turn_config *cfg, usm__turn **out) {
  if (!cfg || !out || !cfg->loop || !cfg->server || !cfg->username || !cfg->password)
    return USM_ERR_INVALID_ARG;
  if (strlen(cfg->username) >= USM__STUN_MAX_USERNAME || strlen(cfg->password) > 256)
    return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm__turn *t = calloc(1, sizeof *t);
  if (!t) return USM_ERR_NO_MEMORY;
  t->cfg = *cfg;
  t->username = dup_or_null(cfg->username);
  t->password = dup_or_null(cfg->password);
  t->server_name = dup_or_null(cfg->server_name);
  t->ca_file = dup_or_null(cfg->ca_file);
  t->next_channel = USM__CHANNEL_MIN;
  size_t sl = cfg->server->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  memcpy(&t->server, cfg->server, sl);
  if (!t->username || !t->password || (cfg->server_name && !t->server_name) ||
      (cfg->ca_file && !t->ca_file)) {
    free_unstarted(t);
    return USM_ERR_NO_MEMORY;
  }
  if (cfg->transport != USM__TURN_UDP) {
    t->acc = malloc(RX_CAP);
    if (!t->acc) {
      free_unstarted(t);
      return USM_ERR_NO_MEMORY;
    }
  }
  if (cfg->transport == USM__TURN_TLS) {
    usm_err e = tls_setup(t);
    if (e != USM_OK) {
      free_unstarted(t);
      return e;
    }
  }
  /* from here on, memory is released by the close callbacks */
  uv_timer_init(cfg->loop, &t->timer);
  t->timer.data = t;
  t->handles = 1;
  int r;
  if (cfg->transport == USM__TURN_UDP) {
    r = uv_udp_init(cfg->loop, &t->sock.udp);
    if (r == 0) {
      t->handles++;
      t->sock.udp.data = t;
      struct sockaddr_storage any;
      memset(&any, 0, sizeof any);
      any.ss_family = t->server.ss_family;
      r = uv_udp_bind(&t->sock.udp, (const struct sockaddr *)&any, 0);
      if (r == 0) r = uv_udp_recv_start(&t->sock.udp, on_alloc, on_udp_recv);
    }
  } else {
    r = uv_tcp_init(cfg->loop, &t->sock.tcp);
    if (r == 0) {
      t->handles++;
      t->sock.tcp.data = t;
      uv_tcp_nodelay(&t->sock.tcp, 1);
      r = uv_tcp_connect(&t->connect_req, &t->sock.tcp, (const struct sockaddr *)&t->server, on_connect);
    }
  }
  if (r == 0) r = uv_timer_start(&t->timer, on_tick, TICK_MS, TICK_MS);
  if (r != 0) {
    tlog(t, USM_LOG_ERROR, "turn: socket setup failed: %s", uv_strerror(r));
    t->cfg.on_closed = NULL;
    usm__turn_close(t);
    return USM_ERR_NETWORK;
  }
  if (cfg->transport == USM__TURN_UDP) start_allocate(t);
  else t->state = T_CONNECTING;
  *out = t;
  return USM_OK;
}

usm_err usm__turn_permit(usm__turn *t, const usm__stun_addr *peer) {
  if (!t || !peer || t->closing) return USM_ERR_INVALID_ARG;
  if (perm_find(t, peer)) return USM_OK;
  for (size_t i = 0; i < USM__TURN_MAX_PEERS; i++) {
    turn_perm *p = &t->perms[i];
    if (p->used) continue;
    memset(p, 0, sizeof *p);
    p->used = 1;
    p->ip = *peer;
    p->ip.port = 0;
    if (t->state == T_ALLOCATED && tx_start(t, USM__STUN_CREATE_PERMISSION, &p->ip, 0, 0) == USM_OK)
      p->pending = 1;
    return USM_OK;
  }
  return USM_ERR_LIMIT;
}

usm_err usm__turn_bind_channel(usm__turn *t, const usm__stun_addr *peer) {
  if (!t || !peer || t->closing) return USM_ERR_INVALID_ARG;
  usm_err e = usm__turn_permit(t, peer);
  if (e != USM_OK) return e;
  if (chan_by_peer(t, peer)) return USM_OK;
  if (t->next_channel > USM__CHANNEL_MAX) return USM_ERR_LIMIT;
  for (size_t i = 0; i < USM__TURN_MAX_PEERS; i++) {
    turn_chan *c = &t->chans[i];
    if (c->used) continue;
    memset(c, 0, sizeof *c);
    c->used = 1;
    c->peer = *peer;
    c->number = t->next_channel++;
    if (t->state == T_ALLOCATED &&
        tx_start(t, USM__STUN_CHANNEL_BIND, &c->peer, c->number, 0) == USM_OK)
      c->pending = 1;
    return USM_OK;
  }
  return USM_ERR_LIMIT;
}

usm_err usm__turn_send(usm__turn *t, const usm__stun_addr *peer, const uint8_t *data, size_t len) {
  if (!t || !peer || (!data && len)) return USM_ERR_INVALID_ARG;
  if (t->closing || t->state != T_ALLOCATED) return USM_ERR_WRONG_STATE;
  if (len > 65535) return USM_ERR_LIMIT;
  int stream = t->cfg.transport != USM__TURN_UDP;
  turn_chan *c = chan_by_peer(t, peer);
  if (c && c->bound) {
    uint8_t *buf = malloc(len + USM__CHANNEL_HEADER_LEN + 4);
    if (!buf) return USM_ERR_NO_MEMORY;
    size_t out_len;
    usm_err e = usm__channel_data_build(buf, len + USM__CHANNEL_HEADER_LEN + 4, c->number, data, len,
                                        stream, &out_len);
    if (e == USM_OK && send_raw(t, buf, out_len) != 0) e = USM_ERR_NETWORK;
    free(buf);
    return e;
  }
  if (len > USM__STUN_MAX_MSG - 64) return USM_ERR_LIMIT;
  uint8_t buf[USM__STUN_MAX_MSG];
  usm__stun_builder b;
  usm__stun_build_begin(&b, buf, sizeof buf, USM__STUN_SEND, USM__STUN_INDICATION, NULL);
  usm__stun_add_addr(&b, USM__STUN_ATTR_XOR_PEER_ADDRESS, peer);
  usm__stun_add_attr(&b, USM__STUN_ATTR_DATA, data, len);
  size_t out_len;
  usm_err e = usm__stun_build_finish(&b, &out_len);
  if (e != USM_OK) return e;
  return send_raw(t, buf, out_len) == 0 ? USM_OK : USM_ERR_NETWORK;
}

void usm__turn_close(usm__turn *t) {
  if (!t || t->closing) return;
  if (t->state == T_ALLOCATED) {
    /* best effort: release the allocation now rather than at expiry */
    turn_tx x;
    memset(&x, 0, sizeof x);
    x.method = USM__STUN_REFRESH;
    x.lifetime = 0;
    if (tx_build(t, &x) == USM_OK) send_raw(t, x.buf, x.len);
  }
  t->closing = 1;
  uv_close((uv_handle_t *)&t->timer, on_handle_closed);
  if (t->handles > 1) uv_close((uv_handle_t *)&t->sock, on_handle_closed);
}
