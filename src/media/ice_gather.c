/* ICE candidate gathering (RFC 8445 §5.1.1): one UDP socket per usable
 * interface address (host), a Binding request to the configured STUN
 * server from each (server-reflexive), and one TURN allocation (relayed).
 * Only the configured servers are contacted. Names are resolved with
 * uv_getaddrinfo on the loop's thread pool. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/ice_agent_internal.h"

int usm__ice_add_local(usm__ice_agent *a, usm__ice_type type, const usm__stun_addr *addr,
                       const usm__stun_addr *base, int sock, const usm__stun_addr *server) {
  for (size_t i = 0; i < a->n_locals; i++)
    if (a->locals[i].c.type == type && usm__ice_addr_eq(&a->locals[i].c.addr, addr)) return (int)i;
  if (a->n_locals >= USM__ICE_MAX_LOCAL) return -1;
  ice_local *l = &a->locals[a->n_locals];
  memset(l, 0, sizeof *l);
  usm__ice_candidate *c = &l->c;
  c->component = 1;
  c->transport = USM__ICE_UDP;
  c->type = type;
  c->addr = *addr;
  /* distinct local preferences keep priorities unique (RFC 8445 §5.1.2.1) */
  c->priority = usm__ice_priority(usm__ice_type_preference(type), 65535 - (uint32_t)a->n_locals, 1);
  if (usm__ice_foundation(type, base, server, USM__ICE_UDP, c->foundation) != USM_OK) return -1;
  if (type != USM__ICE_HOST) {
    c->has_related = 1;
    c->related = *base;
  }
  l->sock = sock;
  l->base = type == USM__ICE_RELAY ? *addr : *base;
  a->n_locals++;
  usm__ice_form_pairs(a);
  usm__ice_schedule(a, 0); /* report it */
  return (int)(a->n_locals - 1);
}

void usm__ice_gather_step_done(usm__ice_agent *a) {
  if (a->gather_pending > 0 && --a->gather_pending == 0) {
    a->gather_done = 1;
    usm__ice_schedule(a, 0);
  }
}

/* ---- host candidates ---- */

static int is_link_local6(const uint8_t *ip) { return ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80; }

static void open_host(usm__ice_agent *a, const struct sockaddr *sa) {
  usm__stun_addr want;
  if (usm__stun_addr_from_sockaddr(sa, &want) != USM_OK) return;
  for (size_t i = 0; i < a->n_socks; i++) {
    usm__stun_addr s = a->socks[i].addr;
    s.port = 0;
    want.port = 0;
    if (usm__ice_addr_eq(&s, &want)) return; /* an alias of one we have */
  }
  int s = usm__ice_open_sock(a, sa);
  if (s < 0) {
    char str[80];
    usm__ice_addr_str(&want, str, sizeof str);
    usm__ice_log(a, USM_LOG_WARN, "ice: cannot bind %s", str);
    return;
  }
  usm__ice_add_local(a, USM__ICE_HOST, &a->socks[s].addr, &a->socks[s].addr, s, NULL);
}

static void gather_hosts(usm__ice_agent *a) {
  if (a->cfg.loopback_only) {
    struct sockaddr_in v4;
    uv_ip4_addr("127.0.0.1", 0, &v4);
    open_host(a, (const struct sockaddr *)&v4);
    if (a->cfg.ipv6) {
      struct sockaddr_in6 v6;
      uv_ip6_addr("::1", 0, &v6);
      open_host(a, (const struct sockaddr *)&v6);
    }
    return;
  }
  uv_interface_address_t *ifs = NULL;
  int n = 0;
  if (uv_interface_addresses(&ifs, &n) != 0) return;
  for (int i = 0; i < n && a->n_socks < ICE_MAX_HOST_SOCKS; i++) {
    const uv_interface_address_t *f = &ifs[i];
    if (f->is_internal) continue;
    if (f->address.address4.sin_family == AF_INET6) {
      if (!a->cfg.ipv6 || is_link_local6(f->address.address6.sin6_addr.s6_addr)) continue;
    } else if (f->address.address4.sin_family != AF_INET) {
      continue;
    }
    struct sockaddr_storage sa;
    memset(&sa, 0, sizeof sa);
    memcpy(&sa, &f->address, f->address.address4.sin_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                          : sizeof(struct sockaddr_in));
    ((struct sockaddr_in *)&sa)->sin_port = 0;
    open_host(a, (const struct sockaddr *)&sa);
  }
  uv_free_interface_addresses(ifs, n);
}

/* ---- "host:port" / "[v6]:port" ---- */

static int split_host_port(const char *s, char *host, size_t cap, char *port, size_t pcap,
                           const char *def_port) {
  const char *h = s, *he, *p = NULL;
  if (*s == '[') {
    h = s + 1;
    he = strchr(h, ']');
    if (!he) return -1;
    if (he[1] == ':') p = he + 2;
    else if (he[1]) return -1;
  } else {
    he = strrchr(s, ':');
    if (he && strchr(s, ':') != he) return -1; /* bare IPv6 needs brackets */
    if (he) p = he + 1;
    else he = s + strlen(s);
  }
  size_t hl = (size_t)(he - h);
  if (hl == 0 || hl >= cap) return -1;
  memcpy(host, h, hl);
  host[hl] = '\0';
  if (!p) p = def_port;
  if (!*p || strlen(p) >= pcap || strspn(p, "0123456789") != strlen(p)) return -1;
  strcpy(port, p);
  return 0;
}

/* ---- server-reflexive ---- */

static void on_stun_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  usm__ice_agent *a = req->data;
  a->stun_dns_busy = 0;
  if (a->destroyed || status < 0 || !res) {
    if (res) uv_freeaddrinfo(res);
    if (!a->destroyed) {
      usm__ice_log(a, USM_LOG_WARN, "ice: cannot resolve the STUN server");
      usm__ice_gather_step_done(a);
      usm__ice_flush(a);
    }
    usm__ice_unref(a);
    return;
  }
  usm__stun_addr server;
  int ok = usm__stun_addr_from_sockaddr(res->ai_addr, &server) == USM_OK;
  uv_freeaddrinfo(res);
  if (ok) {
    for (size_t i = 0; i < a->n_socks; i++) {
      if (a->socks[i].addr.family != server.family) continue;
      if (usm__ice_srflx_request(a, (int)i, &server) == USM_OK) a->gather_pending++;
    }
  }
  usm__ice_gather_step_done(a);
  usm__ice_flush(a);
  usm__ice_unref(a);
}

/* ---- relayed ---- */

static void turn_allocated(void *user, const usm__stun_addr *relayed, const usm__stun_addr *mapped) {
  usm__ice_agent *a = user;
  if (a->destroyed) return;
  usm__ice_add_local(a, USM__ICE_RELAY, relayed, mapped->family ? mapped : relayed, -1, &a->turn_server);
  usm__ice_gather_step_done(a);
  usm__ice_flush(a);
}

static int relay_local(const usm__ice_agent *a) {
  for (size_t i = 0; i < a->n_locals; i++)
    if (a->locals[i].sock < 0) return (int)i;
  return -1;
}

static void turn_error(void *user, usm_err err) {
  usm__ice_agent *a = user;
  if (a->destroyed) return;
  usm__ice_log(a, USM_LOG_WARN, "ice: TURN allocation failed or lost (%d)", (int)err);
  if (relay_local(a) < 0) usm__ice_gather_step_done(a);
  usm__ice_flush(a);
}

static void turn_data(void *user, const usm__stun_addr *peer, const uint8_t *data, size_t len) {
  usm__ice_agent *a = user;
  int l = relay_local(a);
  if (a->destroyed || l < 0) return;
  usm__ice_on_datagram(a, l, peer, data, len);
  usm__ice_flush(a);
}

static void turn_closed(void *user) { usm__ice_unref(user); }

static void turn_log(void *user, int level, const char *msg) {
  usm__ice_agent *a = user;
  if (a->cfg.log && !a->destroyed) a->cfg.log(a->cfg.user, level, msg);
}

static void on_turn_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  usm__ice_agent *a = req->data;
  a->turn_dns_busy = 0;
  if (a->destroyed || status < 0 || !res) {
    if (res) uv_freeaddrinfo(res);
    if (!a->destroyed) {
      usm__ice_log(a, USM_LOG_WARN, "ice: cannot resolve the TURN server");
      usm__ice_gather_step_done(a);
      usm__ice_flush(a);
    }
    usm__ice_unref(a);
    return;
  }
  usm__turn_config tc;
  memset(&tc, 0, sizeof tc);
  tc.loop = a->cfg.loop;
  tc.server = res->ai_addr;
  tc.transport = a->turn_transport;
  tc.server_name = a->turn_host;
  tc.ca_file = a->turn_ca_file;
  tc.username = a->turn_username;
  tc.password = a->turn_password;
  tc.on_allocated = turn_allocated;
  tc.on_error = turn_error;
  tc.on_data = turn_data;
  tc.on_closed = turn_closed;
  tc.log = turn_log;
  tc.user = a;
  usm__stun_addr_from_sockaddr(res->ai_addr, &a->turn_server);
  usm_err e = usm__turn_create(&tc, &a->turn);
  uv_freeaddrinfo(res);
  if (e == USM_OK) {
    a->refs++; /* released by turn_closed */
  } else {
    usm__ice_log(a, USM_LOG_WARN, "ice: TURN client failed to start (%d)", (int)e);
    usm__ice_gather_step_done(a);
  }
  usm__ice_flush(a);
  usm__ice_unref(a);
}

static int resolve(usm__ice_agent *a, uv_getaddrinfo_t *req, uv_getaddrinfo_cb cb, const char *host,
                   const char *port, int stream) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = a->cfg.ipv6 ? AF_UNSPEC : AF_INET;
  hints.ai_socktype = stream ? SOCK_STREAM : SOCK_DGRAM;
  req->data = a;
  if (uv_getaddrinfo(a->cfg.loop, req, cb, host, port, &hints) != 0) return -1;
  a->refs++;
  return 0;
}

usm_err usm__ice_gather_start(usm__ice_agent *a) {
  if (a->gather_started) {
    /* after a restart: report the same candidates again */
    usm__ice_schedule(a, 0);
    return USM_OK;
  }
  a->gather_started = 1;
  if (a->state == USM__ICE_NEW) usm__ice_set_state(a, USM__ICE_GATHERING);
  gather_hosts(a);
  if (a->n_socks == 0 || a->n_locals == 0) {
    usm__ice_log(a, USM_LOG_ERROR, "ice: no usable local address");
    return USM_ERR_NETWORK;
  }
  a->gather_pending = 1; /* this function's own step */
  char host[USM__TURN_HOST_MAX + 1], port[8];
  if (a->stun_server) {
    if (split_host_port(a->stun_server, host, sizeof host, port, sizeof port, "3478") == 0 &&
        resolve(a, &a->stun_dns, on_stun_resolved, host, port, 0) == 0) {
      a->stun_dns_busy = 1;
      a->gather_pending++;
    } else {
      usm__ice_log(a, USM_LOG_WARN, "ice: bad STUN server \"%s\"", a->stun_server);
    }
  }
  if (a->turn_url) {
    usm__turn_url u;
    if (usm__turn_parse_url(a->turn_url, &u) == USM_OK) {
      snprintf(port, sizeof port, "%u", (unsigned)u.port);
      memcpy(a->turn_host, u.host, sizeof a->turn_host);
      a->turn_transport = u.transport;
      if (resolve(a, &a->turn_dns, on_turn_resolved, u.host, port, u.transport != USM__TURN_UDP) == 0) {
        a->turn_dns_busy = 1;
        a->gather_pending++;
      }
    } else {
      usm__ice_log(a, USM_LOG_WARN, "ice: bad TURN URL");
    }
  }
  usm__ice_gather_step_done(a);
  usm__ice_schedule(a, 0);
  return USM_OK;
}

void usm__ice_gather_close(usm__ice_agent *a) {
  /* a cancelled request still calls back (UV_EAI_CANCELED), which unrefs */
  if (a->stun_dns_busy) uv_cancel((uv_req_t *)&a->stun_dns);
  if (a->turn_dns_busy) uv_cancel((uv_req_t *)&a->turn_dns);
  if (a->turn) {
    usm__turn_close(a->turn);
    a->turn = NULL;
  }
}
