/* A minimal ice-lite peer for the ICE agent tests (see the header). */
#include "ice_lite_responder.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "media/packet_demux.h"

static uint8_t rx_buf[65536];

static void on_alloc(uv_handle_t *h, size_t n, uv_buf_t *b) {
  (void)h;
  (void)n;
  *b = uv_buf_init((char *)rx_buf, sizeof rx_buf);
}

static void answer(ice_lite_responder *r, const usm__stun_msg *m, const struct sockaddr *from) {
  usm__stun_addr src;
  if (usm__stun_addr_from_sockaddr(from, &src) != USM_OK) return;
  uint8_t out[512];
  usm__stun_builder b;
  usm__stun_build_begin(&b, out, sizeof out, USM__STUN_BINDING, USM__STUN_SUCCESS, m->tid);
  usm__stun_add_addr(&b, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, &src);
  const char *key = r->wrong_key ? "not-the-right-password!!" : r->pwd;
  usm__stun_add_integrity(&b, (const uint8_t *)key, strlen(key));
  usm__stun_add_fingerprint(&b);
  size_t len;
  if (usm__stun_build_finish(&b, &len) != USM_OK) return;
  uv_buf_t ub = uv_buf_init((char *)out, (unsigned)len);
  uv_udp_try_send(&r->udp, &ub, 1, from);
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                    unsigned flags) {
  ice_lite_responder *r = u->data;
  if (n <= 0 || !from || (flags & UV_UDP_PARTIAL)) return;
  const uint8_t *p = (const uint8_t *)b->base;
  if (usm__packet_classify(p, (size_t)n) != USM__PKT_STUN) {
    r->data_bytes += (uint64_t)n;
    if (r->echo) {
      uv_buf_t ub = uv_buf_init(b->base, (unsigned)n);
      uv_udp_try_send(&r->udp, &ub, 1, from);
    }
    return;
  }
  usm__stun_msg m;
  if (usm__stun_parse(p, (size_t)n, &m) != USM_OK || m.cls != USM__STUN_REQUEST ||
      m.method != USM__STUN_BINDING)
    return;
  r->requests++;
  if (r->stun_server && !usm__stun_find(&m, USM__STUN_ATTR_USERNAME)) {
    /* a plain STUN server: no integrity, a made-up reflexive address */
    uint8_t out[128];
    usm__stun_builder sb;
    size_t len;
    usm__stun_build_begin(&sb, out, sizeof out, USM__STUN_BINDING, USM__STUN_SUCCESS, m.tid);
    usm__stun_add_addr(&sb, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, &r->fake_mapped);
    if (usm__stun_build_finish(&sb, &len) == USM_OK) {
      uv_buf_t ub = uv_buf_init((char *)out, (unsigned)len);
      uv_udp_try_send(&r->udp, &ub, 1, from);
    }
    return;
  }
  const uint8_t *user;
  size_t ul, fl = strlen(r->ufrag);
  if (usm__stun_check_fingerprint(&m) != USM_OK ||
      usm__stun_get_bytes(&m, USM__STUN_ATTR_USERNAME, &user, &ul) != USM_OK || ul <= fl ||
      memcmp(user, r->ufrag, fl) != 0 || user[fl] != ':' ||
      usm__stun_check_integrity(&m, (const uint8_t *)r->pwd, strlen(r->pwd)) != USM_OK) {
    r->bad_requests++;
    return;
  }
  if (usm__stun_find(&m, USM__STUN_ATTR_USE_CANDIDATE)) r->use_candidate++;
  if (r->answering) answer(r, &m, from);
}

int ice_lite_start(ice_lite_responder *r, uv_loop_t *loop, const char *ip, const char *ufrag,
                   const char *pwd) {
  memset(r, 0, sizeof *r);
  snprintf(r->ufrag, sizeof r->ufrag, "%s", ufrag);
  snprintf(r->pwd, sizeof r->pwd, "%s", pwd);
  r->answering = 1;
  r->echo = 1;
  struct sockaddr_storage sa;
  if (strchr(ip, ':')) uv_ip6_addr(ip, 0, (struct sockaddr_in6 *)&sa);
  else uv_ip4_addr(ip, 0, (struct sockaddr_in *)&sa);
  if (uv_udp_init(loop, &r->udp) != 0) return -1;
  r->udp.data = r;
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  if (uv_udp_bind(&r->udp, (struct sockaddr *)&sa, 0) != 0 ||
      uv_udp_getsockname(&r->udp, (struct sockaddr *)&bound, &blen) != 0 ||
      usm__stun_addr_from_sockaddr((struct sockaddr *)&bound, &r->addr) != USM_OK ||
      uv_udp_recv_start(&r->udp, on_alloc, on_recv) != 0) {
    ice_lite_close(r);
    return -1;
  }
  return 0;
}

void ice_lite_candidate(const ice_lite_responder *r, char *out, size_t cap) {
  char ip[INET6_ADDRSTRLEN];
  inet_ntop(r->addr.family == USM__STUN_FAMILY_IPV6 ? AF_INET6 : AF_INET, r->addr.ip, ip, sizeof ip);
  snprintf(out, cap, "candidate:1 1 udp 2130706431 %s %u typ host", ip, (unsigned)r->addr.port);
}

static void on_close(uv_handle_t *h) { ((ice_lite_responder *)h->data)->closed = 1; }

void ice_lite_close(ice_lite_responder *r) {
  if (!uv_is_closing((uv_handle_t *)&r->udp)) uv_close((uv_handle_t *)&r->udp, on_close);
}
