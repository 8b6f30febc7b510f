/* ICE agent lifecycle and data path: create/destroy (handles closed, memory
 * freed from the close callbacks), credentials, remote candidates, the
 * receive demux of the host sockets, sending on the selected pair, ICE
 * restart, stats, and the event queue that keeps callbacks out of API
 * calls. Gathering is in ice_gather.c, checks in ice_checks.c. */
#include <arpa/inet.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/ice_agent_internal.h"
#include "media/packet_demux.h"

static const char ice_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void usm__ice_log(usm__ice_agent *a, int level, const char *fmt, ...) {
  if (!a->cfg.log || a->destroyed) return;
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  a->cfg.log(a->cfg.user, level, msg);
}

const char *usm__ice_state_name(usm__ice_state s) {
  static const char *const names[] = {"new", "gathering", "checking", "connected",
                                      "disconnected", "failed", "closed"};
  return (unsigned)s <= USM__ICE_CLOSED ? names[s] : "?";
}

int usm__ice_addr_eq(const usm__stun_addr *x, const usm__stun_addr *y) {
  return x->family == y->family && x->port == y->port &&
         memcmp(x->ip, y->ip, x->family == USM__STUN_FAMILY_IPV6 ? 16 : 4) == 0;
}

void usm__ice_addr_str(const usm__stun_addr *x, char *out, size_t cap) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (x->family == USM__STUN_FAMILY_IPV6) {
    inet_ntop(AF_INET6, x->ip, ip, sizeof ip);
    snprintf(out, cap, "[%s]:%u", ip, (unsigned)x->port);
  } else {
    inet_ntop(AF_INET, x->ip, ip, sizeof ip);
    snprintf(out, cap, "%s:%u", ip, (unsigned)x->port);
  }
}

static usm_err random_string(char *out, size_t n) {
  uint8_t r[32];
  if (n > sizeof r || RAND_bytes(r, (int)n) != 1) return USM_ERR_INTERNAL;
  for (size_t i = 0; i < n; i++) out[i] = ice_chars[r[i] & 63];
  out[n] = '\0';
  return USM_OK;
}

static usm_err new_credentials(usm__ice_agent *a) {
  usm_err e = random_string(a->ufrag, sizeof a->ufrag - 1);
  if (e == USM_OK) e = random_string(a->pwd, sizeof a->pwd - 1);
  if (e == USM_OK && RAND_bytes((uint8_t *)&a->tie_breaker, sizeof a->tie_breaker) != 1)
    e = USM_ERR_INTERNAL;
  return e;
}

/* ---- events ---- */

void usm__ice_set_state(usm__ice_agent *a, usm__ice_state s) {
  if (a->state == s || a->destroyed) return;
  usm__ice_log(a, USM_LOG_INFO, "ice: %s -> %s", usm__ice_state_name(a->state), usm__ice_state_name(s));
  a->state = s;
  if (a->n_state_q < ICE_STATE_QUEUE) a->state_q[a->n_state_q++] = s;
  else a->state_q[ICE_STATE_QUEUE - 1] = s; /* keep the latest */
  usm__ice_schedule(a, 0);
}

void usm__ice_flush(usm__ice_agent *a) {
  while (!a->destroyed && a->n_state_q > 0) {
    usm__ice_state s = a->state_q[0];
    memmove(a->state_q, a->state_q + 1, (a->n_state_q - 1) * sizeof a->state_q[0]);
    a->n_state_q--;
    if (a->cfg.on_state) a->cfg.on_state(a, s, a->cfg.user);
  }
  for (size_t i = 0; i < a->n_locals && !a->destroyed; i++) {
    ice_local *l = &a->locals[i];
    if (l->reported || !a->gather_started) continue;
    if (a->cfg.relay_only && l->c.type != USM__ICE_RELAY) continue;
    l->reported = 1;
    char buf[USM__ICE_CANDIDATE_MAX + 16];
    memcpy(buf, "candidate:", 10);
    if (usm__ice_candidate_format(&l->c, buf + 10, sizeof buf - 10, NULL) != USM_OK) continue;
    if (a->cfg.on_candidate) a->cfg.on_candidate(a, buf, a->cfg.user);
  }
  if (!a->destroyed && a->gather_done && !a->gather_done_reported) {
    a->gather_done_reported = 1;
    if (a->cfg.on_candidate) a->cfg.on_candidate(a, NULL, a->cfg.user);
  }
}

/* ---- lifetime ---- */

static void free_agent(usm__ice_agent *a) {
  free(a->stun_server);
  free(a->turn_url);
  free(a->turn_username);
  free(a->turn_password);
  free(a->turn_ca_file);
  free(a);
}

void usm__ice_unref(usm__ice_agent *a) {
  if (--a->refs == 0 && a->destroyed) free_agent(a);
}

static void on_closed(uv_handle_t *h) { usm__ice_unref(h->data); }
static void on_sock_closed(uv_handle_t *h) { usm__ice_unref(((ice_sock *)h->data)->agent); }

static void on_timer(uv_timer_t *t) {
  usm__ice_agent *a = t->data;
  if (a->destroyed) return;
  usm__ice_tick(a);
  usm__ice_flush(a);
}

void usm__ice_schedule(usm__ice_agent *a, unsigned ms) {
  if (a->destroyed) return;
  uint64_t due = uv_timer_get_due_in(&a->timer);
  if (uv_is_active((uv_handle_t *)&a->timer) && due <= ms) return;
  uv_timer_start(&a->timer, on_timer, ms, 0);
}

static char *dup_or_null(const char *s, int *oom) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (!d) *oom = 1;
  else memcpy(d, s, n);
  return d;
}

usm_err usm__ice_create(const usm__ice_config *cfg, usm__ice_agent **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  if (!cfg || !cfg->loop) return USM_ERR_INVALID_ARG;
  if (cfg->turn_url && (!cfg->turn_username || !cfg->turn_password)) return USM_ERR_INVALID_ARG;
  usm__ice_agent *a = calloc(1, sizeof *a);
  if (!a) return USM_ERR_NO_MEMORY;
  a->cfg = *cfg;
  int oom = 0;
  a->stun_server = dup_or_null(cfg->stun_server, &oom);
  a->turn_url = dup_or_null(cfg->turn_url, &oom);
  a->turn_username = dup_or_null(cfg->turn_username, &oom);
  a->turn_password = dup_or_null(cfg->turn_password, &oom);
  a->turn_ca_file = dup_or_null(cfg->turn_ca_file, &oom);
  if (oom) {
    free_agent(a);
    return USM_ERR_NO_MEMORY;
  }
  if (!a->cfg.check_timeout_ms) a->cfg.check_timeout_ms = 20000;
  if (!a->cfg.consent_interval_ms) a->cfg.consent_interval_ms = 5000;
  if (!a->cfg.consent_timeout_ms) a->cfg.consent_timeout_ms = 30000;
  a->controlling = cfg->controlling ? 1 : 0;
  a->state = USM__ICE_NEW;
  usm_err e = new_credentials(a);
  if (e != USM_OK) {
    free_agent(a);
    return e;
  }
  if (uv_timer_init(cfg->loop, &a->timer) != 0) {
    free_agent(a);
    return USM_ERR_INTERNAL;
  }
  a->timer.data = a;
  a->refs = 1;
  *out = a;
  return USM_OK;
}

const char *usm__ice_local_ufrag(const usm__ice_agent *a) { return a ? a->ufrag : NULL; }
const char *usm__ice_local_pwd(const usm__ice_agent *a) { return a ? a->pwd : NULL; }
usm__ice_state usm__ice_get_state(const usm__ice_agent *a) { return a ? a->state : USM__ICE_CLOSED; }

void usm__ice_destroy(usm__ice_agent *a) {
  if (!a || a->destroyed) return;
  a->state = USM__ICE_CLOSED;
  a->destroyed = 1;
  usm__ice_gather_close(a);
  for (size_t i = 0; i < a->n_socks; i++) uv_close((uv_handle_t *)&a->socks[i].udp, on_sock_closed);
  uv_close((uv_handle_t *)&a->timer, on_closed);
}

/* ---- I/O ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
  (void)suggested;
  usm__ice_agent *a = ((ice_sock *)h->data)->agent;
  *b = uv_buf_init((char *)a->rx, sizeof a->rx);
}

static int local_of_sock(const usm__ice_agent *a, int sock) {
  for (size_t i = 0; i < a->n_locals; i++)
    if (a->locals[i].sock == sock && a->locals[i].c.type == USM__ICE_HOST) return (int)i;
  return -1;
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                    unsigned flags) {
  ice_sock *s = u->data;
  usm__ice_agent *a = s->agent;
  if (a->destroyed || n <= 0 || !from || (flags & UV_UDP_PARTIAL)) return;
  usm__stun_addr src;
  if (usm__stun_addr_from_sockaddr(from, &src) != USM_OK) return;
  int local = local_of_sock(a, (int)(s - a->socks));
  if (local < 0) return;
  usm__ice_on_datagram(a, local, &src, (const uint8_t *)b->base, (size_t)n);
  usm__ice_flush(a);
}

void usm__ice_on_datagram(usm__ice_agent *a, int local, const usm__stun_addr *from,
                          const uint8_t *buf, size_t len) {
  usm__pkt_kind k = usm__packet_classify(buf, len);
  if (k == USM__PKT_STUN) {
    usm__ice_on_stun(a, local, from, buf, len);
    return;
  }
  if (k == USM__PKT_UNKNOWN || k == USM__PKT_ZRTP || k == USM__PKT_CHANNEL_DATA) return;
  if (!usm__ice_data_allowed(a, local, from)) return;
  a->bytes_received += len;
  a->packets_received++;
  if (a->cfg.on_data) a->cfg.on_data(a, buf, len, a->cfg.user);
}

int usm__ice_send_from(usm__ice_agent *a, int local, const usm__stun_addr *to, const uint8_t *buf,
                       size_t len) {
  if (local < 0 || (size_t)local >= a->n_locals || a->destroyed) return -1;
  const ice_local *l = &a->locals[local];
  if (l->sock < 0) {
    if (!a->turn) return -1;
    return usm__turn_send(a->turn, to, buf, len) == USM_OK ? 0 : -1;
  }
  struct sockaddr_storage sa;
  if (usm__stun_addr_to_sockaddr(to, (struct sockaddr *)&sa, sizeof sa) != USM_OK) return -1;
  uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
  int r = uv_udp_try_send(&a->socks[l->sock].udp, &b, 1, (const struct sockaddr *)&sa);
  return r < 0 && r != UV_EAGAIN ? -1 : 0; /* EAGAIN: dropped like any datagram */
}

/* ---- host sockets (used by ice_gather.c through this) ---- */

int usm__ice_open_sock(usm__ice_agent *a, const struct sockaddr *addr) {
  if (a->n_socks >= ICE_MAX_HOST_SOCKS) return -1;
  ice_sock *s = &a->socks[a->n_socks];
  memset(s, 0, sizeof *s);
  if (uv_udp_init(a->cfg.loop, &s->udp) != 0) return -1;
  s->udp.data = s;
  s->agent = a;
  a->refs++;
  a->n_socks++; /* closed with the others from now on */
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  if (uv_udp_bind(&s->udp, addr, 0) != 0 ||
      uv_udp_getsockname(&s->udp, (struct sockaddr *)&bound, &blen) != 0 ||
      usm__stun_addr_from_sockaddr((struct sockaddr *)&bound, &s->addr) != USM_OK ||
      uv_udp_recv_start(&s->udp, on_alloc, on_recv) != 0)
    return -1;
  return (int)(a->n_socks - 1);
}

/* ---- API ---- */

usm_err usm__ice_gather(usm__ice_agent *a) {
  if (!a || a->destroyed) return USM_ERR_INVALID_ARG;
  return usm__ice_gather_start(a);
}

usm_err usm__ice_set_remote_credentials(usm__ice_agent *a, const char *ufrag, const char *pwd,
                                        int ice_lite) {
  if (!a || !ufrag || !pwd || a->destroyed) return USM_ERR_INVALID_ARG;
  size_t ul = strlen(ufrag), pl = strlen(pwd);
  /* RFC 8839 §5.4: ufrag 4..256, pwd 22..256 ice-chars; accept shorter
   * passwords from old peers but nothing empty or over the bound */
  if (ul < 1 || ul > USM__ICE_UFRAG_MAX || pl < 1 || pl >= sizeof a->rpwd) return USM_ERR_INVALID_ARG;
  for (size_t i = 0; i < ul; i++)
    if (ufrag[i] == ':' || (unsigned char)ufrag[i] <= ' ') return USM_ERR_INVALID_ARG;
  /* New credentials from a peer we already check with: the peer restarted
   * ICE (RFC 8445 §9, e.g. a server OFFER with a new ufrag). Checks start
   * over against its new candidates; the old pair carries media until a new
   * one is nominated. */
  if (a->have_remote_creds && a->checks_started && (strcmp(a->rufrag, ufrag) != 0 || strcmp(a->rpwd, pwd) != 0)) {
    usm__ice_log(a, USM_LOG_INFO, "ice: the peer restarted ICE: checking again");
    usm__ice_clear_checks(a);
    a->n_remotes = 0;
  }
  memcpy(a->rufrag, ufrag, ul + 1);
  memcpy(a->rpwd, pwd, pl + 1);
  a->have_remote_creds = 1;
  a->remote_lite = ice_lite ? 1 : 0;
  if (a->remote_lite && !a->controlling) a->controlling = 1; /* a lite peer is always controlled */
  return USM_OK;
}

usm_err usm__ice_add_remote_candidate(usm__ice_agent *a, const char *candidate) {
  if (!a || !candidate || a->destroyed) return USM_ERR_INVALID_ARG;
  usm__ice_candidate c;
  usm_err e = usm__ice_candidate_parse(candidate, strlen(candidate), &c);
  if (e != USM_OK) return e;
  if (c.transport != USM__ICE_UDP || c.component != 1) return USM_OK; /* not for us */
  if (c.addr.port == 0) return USM_OK;
  for (size_t i = 0; i < a->n_remotes; i++)
    if (usm__ice_addr_eq(&a->remotes[i].addr, &c.addr)) {
      /* a check may have found it first as prflx: take the signalled type */
      if (a->remotes[i].type == USM__ICE_PRFLX) a->remotes[i] = c;
      return USM_OK;
    }
  if (a->n_remotes >= USM__ICE_MAX_REMOTE) return USM_ERR_LIMIT;
  a->remotes[a->n_remotes++] = c;
  usm__ice_form_pairs(a);
  return USM_OK;
}

usm_err usm__ice_start_checks(usm__ice_agent *a) {
  if (!a || a->destroyed) return USM_ERR_INVALID_ARG;
  if (!a->have_remote_creds) return USM_ERR_WRONG_STATE;
  if (a->checks_started) return USM_OK;
  uint64_t now = uv_now(a->cfg.loop);
  a->checks_started = 1;
  a->checks_deadline_ms = now + a->cfg.check_timeout_ms;
  a->next_check_ms = now;
  usm__ice_form_pairs(a);
  if (!a->sel.active) usm__ice_set_state(a, USM__ICE_CHECKING);
  usm__ice_schedule(a, 0);
  return USM_OK;
}

usm_err usm__ice_send(usm__ice_agent *a, const uint8_t *data, size_t len) {
  if (!a || (!data && len) || a->destroyed) return USM_ERR_INVALID_ARG;
  if (len > USM__ICE_MAX_DATAGRAM) return USM_ERR_LIMIT;
  if (!a->sel.active || (a->state != USM__ICE_CONNECTED && a->state != USM__ICE_DISCONNECTED &&
                         a->state != USM__ICE_CHECKING))
    return USM_ERR_WRONG_STATE;
  if (usm__ice_send_from(a, a->sel.local, &a->sel.remote, data, len) != 0) return USM_ERR_NETWORK;
  a->bytes_sent += len;
  a->packets_sent++;
  return USM_OK;
}

usm_err usm__ice_restart(usm__ice_agent *a) {
  if (!a || a->destroyed) return USM_ERR_INVALID_ARG;
  usm_err e = new_credentials(a);
  if (e != USM_OK) return e;
  usm__ice_clear_checks(a);
  a->n_remotes = 0;
  a->have_remote_creds = 0;
  a->rufrag[0] = a->rpwd[0] = '\0';
  a->controlling = a->cfg.controlling ? 1 : 0;
  /* the next usm__ice_gather reports the same local candidates again */
  for (size_t i = 0; i < a->n_locals; i++) a->locals[i].reported = 0;
  a->gather_done_reported = 0;
  return USM_OK;
}

usm_err usm__ice_get_stats(const usm__ice_agent *a, usm__ice_stats *out) {
  if (!a || !out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  out->bytes_sent = a->bytes_sent;
  out->bytes_received = a->bytes_received;
  out->packets_sent = a->packets_sent;
  out->packets_received = a->packets_received;
  if (!a->sel.active) return USM_ERR_WRONG_STATE;
  const ice_local *l = &a->locals[a->sel.local];
  usm__ice_addr_str(&l->c.addr, out->local, sizeof out->local);
  usm__ice_addr_str(&a->sel.remote, out->remote, sizeof out->remote);
  out->local_type = usm__ice_type_name(l->c.type);
  out->remote_type = usm__ice_type_name(a->sel.remote_type);
  out->rtt_ms = a->sel.rtt_ms;
  return USM_OK;
}
