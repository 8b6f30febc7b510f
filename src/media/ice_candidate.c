/* ICE candidate attribute parsing and formatting, priorities and
 * foundations (RFC 8445, RFC 8839 §5.1, RFC 6544). */
#include "media/ice_candidate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/decimal.h"

static const char *const type_names[] = {"host", "srflx", "prflx", "relay"};
static const char *const tcptype_names[] = {"", "active", "passive", "so"};

const char *usm__ice_type_name(usm__ice_type type) {
  return (unsigned)type < 4 ? type_names[type] : "unknown";
}

/* A token: [p, p + n). */
typedef struct tok {
  const char *p;
  size_t n;
} tok;

static int tok_is(tok t, const char *lit) {
  return t.n == strlen(lit) && memcmp(t.p, lit, t.n) == 0;
}

static int tok_is_nocase(tok t, const char *lit) {
  if (t.n != strlen(lit)) return 0;
  for (size_t i = 0; i < t.n; i++) {
    char c = t.p[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != lit[i]) return 0;
  }
  return 1;
}

/* Next space-separated token from *cur (< end); 0 at the end. */
static int next_tok(const char **cur, const char *end, tok *t) {
  const char *p = *cur;
  while (p < end && *p == ' ') p++;
  if (p == end) return 0;
  t->p = p;
  while (p < end && *p != ' ') p++;
  t->n = (size_t)(p - t->p);
  *cur = p;
  return 1;
}

/* Unsigned decimal, 1..10 digits, at most @p max. */
static int tok_uint(tok t, uint64_t max, uint64_t *out) { return t.n <= 10 && usm__decimal(t.p, t.n, max, out); }

static int ice_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

static int ice_chars(const char *p, size_t n, size_t max) {
  if (n == 0 || n > max) return 0;
  for (size_t i = 0; i < n; i++)
    if (!ice_char(p[i])) return 0;
  return 1;
}

/* Visible bytes of an SDP byte-string: no controls, no space, no DEL. */
static int visible(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c <= 0x20 || c == 0x7F) return 0;
  }
  return 1;
}

static int tok_ip(tok t, usm__stun_addr *a) {
  char s[INET6_ADDRSTRLEN];
  if (t.n == 0 || t.n >= sizeof s) return 0;
  memcpy(s, t.p, t.n);
  s[t.n] = '\0';
  memset(a->ip, 0, sizeof a->ip);
  if (memchr(s, ':', t.n)) {
    a->family = USM__STUN_FAMILY_IPV6;
    return inet_pton(AF_INET6, s, a->ip) == 1;
  }
  a->family = USM__STUN_FAMILY_IPV4;
  return inet_pton(AF_INET, s, a->ip) == 1;
}

static int copy_tok(tok t, char *dst, size_t max) {
  if (t.n > max) return 0;
  memcpy(dst, t.p, t.n);
  dst[t.n] = '\0';
  return 1;
}

static usm_err parse(const char *s, size_t len, usm__ice_candidate *c) {
  if (len > USM__ICE_CANDIDATE_MAX) return USM_ERR_LIMIT;
  if (len >= 2 && memcmp(s, "a=", 2) == 0) s += 2, len -= 2;
  if (len >= 10 && tok_is_nocase((tok){s, 10}, "candidate:")) s += 10, len -= 10;
  while (len && (s[len - 1] == '\r' || s[len - 1] == '\n' || s[len - 1] == ' ')) len--;
  for (size_t i = 0; i < len; i++) /* spaces separate; other controls are malformed */
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) return USM_ERR_MALFORMED;
  const char *cur = s, *end = s + len;
  tok t;
  uint64_t v;

  if (!next_tok(&cur, end, &t) || !ice_chars(t.p, t.n, USM__ICE_FOUNDATION_MAX))
    return USM_ERR_MALFORMED;
  copy_tok(t, c->foundation, USM__ICE_FOUNDATION_MAX);
  if (!next_tok(&cur, end, &t) || !tok_uint(t, 256, &v) || v == 0) return USM_ERR_MALFORMED;
  c->component = (uint16_t)v;
  if (!next_tok(&cur, end, &t)) return USM_ERR_MALFORMED;
  if (tok_is_nocase(t, "udp"))
    c->transport = USM__ICE_UDP;
  else if (tok_is_nocase(t, "tcp"))
    c->transport = USM__ICE_TCP;
  else
    return USM_ERR_MALFORMED; /* other transports are not ours to use */
  if (!next_tok(&cur, end, &t) || !tok_uint(t, UINT32_MAX, &v)) return USM_ERR_MALFORMED;
  c->priority = (uint32_t)v;
  if (!next_tok(&cur, end, &t) || !tok_ip(t, &c->addr)) return USM_ERR_MALFORMED;
  if (!next_tok(&cur, end, &t) || !tok_uint(t, 65535, &v)) return USM_ERR_MALFORMED;
  c->addr.port = (uint16_t)v;
  if (!next_tok(&cur, end, &t) || !tok_is(t, "typ")) return USM_ERR_MALFORMED;
  if (!next_tok(&cur, end, &t)) return USM_ERR_MALFORMED;
  int found = 0;
  for (unsigned i = 0; i < 4 && !found; i++)
    if (tok_is(t, type_names[i])) c->type = (usm__ice_type)i, found = 1;
  if (!found) return USM_ERR_MALFORMED;

  int has_raddr = 0, has_rport = 0, has_tcptype = 0, has_ufrag = 0;
  tok name, val;
  while (next_tok(&cur, end, &name)) {
    if (!next_tok(&cur, end, &val)) return USM_ERR_MALFORMED; /* a name without a value */
    if (!visible(name.p, name.n) || !visible(val.p, val.n)) return USM_ERR_MALFORMED;
    if (tok_is(name, "raddr")) {
      if (has_raddr++ || !tok_ip(val, &c->related)) return USM_ERR_MALFORMED;
    } else if (tok_is(name, "rport")) {
      if (has_rport++ || !tok_uint(val, 65535, &v)) return USM_ERR_MALFORMED;
      c->related.port = (uint16_t)v;
    } else if (tok_is(name, "tcptype")) {
      if (has_tcptype++ || c->transport != USM__ICE_TCP) return USM_ERR_MALFORMED;
      if (tok_is(val, "active"))
        c->tcptype = USM__ICE_TCPTYPE_ACTIVE;
      else if (tok_is(val, "passive"))
        c->tcptype = USM__ICE_TCPTYPE_PASSIVE;
      else if (tok_is(val, "so"))
        c->tcptype = USM__ICE_TCPTYPE_SO;
      else
        return USM_ERR_MALFORMED;
    } else if (tok_is(name, "generation")) {
      if (c->has_generation++ || !tok_uint(val, UINT32_MAX, &v)) return USM_ERR_MALFORMED;
      c->generation = (uint32_t)v;
    } else if (tok_is(name, "ufrag")) {
      if (has_ufrag++) return USM_ERR_MALFORMED;
      if (!copy_tok(val, c->ufrag, USM__ICE_UFRAG_MAX)) return USM_ERR_LIMIT;
    } else {
      if (c->n_ext == USM__ICE_MAX_EXT) return USM_ERR_LIMIT;
      usm__ice_ext *x = &c->ext[c->n_ext++];
      if (!copy_tok(name, x->name, USM__ICE_EXT_NAME_MAX) ||
          !copy_tok(val, x->value, USM__ICE_EXT_VALUE_MAX))
        return USM_ERR_LIMIT;
    }
  }
  if (has_raddr != has_rport) return USM_ERR_MALFORMED; /* they come together */
  c->has_related = has_raddr;
  if (!has_raddr) memset(&c->related, 0, sizeof c->related);
  return USM_OK;
}

usm_err usm__ice_candidate_parse(const char *s, size_t len, usm__ice_candidate *out) {
  if (!out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (!s && len) return USM_ERR_INVALID_ARG;
  usm_err e = s ? parse(s, len, out) : USM_ERR_MALFORMED;
  if (e != USM_OK) memset(out, 0, sizeof *out);
  return e;
}

/* Bounded append for the formatter. */
typedef struct out_buf {
  char *p;
  size_t cap, len;
  int over;
} out_buf;

static void put(out_buf *o, const char *s, size_t n) {
  if (o->over || n >= o->cap - o->len) { /* keep room for the NUL */
    o->over = 1;
    return;
  }
  memcpy(o->p + o->len, s, n);
  o->len += n;
  o->p[o->len] = '\0';
}

static void puts_(out_buf *o, const char *s) { put(o, s, strlen(s)); }

static void putu(out_buf *o, const char *before, uint32_t v) {
  char num[16];
  int n = snprintf(num, sizeof num, "%u", (unsigned)v);
  puts_(o, before);
  put(o, num, (size_t)n);
}

static int put_ip(out_buf *o, const char *before, const usm__stun_addr *a) {
  char s[INET6_ADDRSTRLEN];
  int af = a->family == USM__STUN_FAMILY_IPV4 ? AF_INET : a->family == USM__STUN_FAMILY_IPV6 ? AF_INET6 : -1;
  if (af < 0 || !inet_ntop(af, a->ip, s, sizeof s)) return 0;
  puts_(o, before);
  puts_(o, s);
  return 1;
}

static int str_ok(const char *s, size_t max, int need) {
  size_t n = strnlen(s, max + 1);
  return n <= max && (n || !need) && visible(s, n);
}

usm_err usm__ice_candidate_format(const usm__ice_candidate *c, char *out, size_t cap,
                                  size_t *out_len) {
  if (!c || !out || cap == 0) return USM_ERR_INVALID_ARG;
  out[0] = '\0';
  /* refuse what parse would refuse, so that format -> parse round-trips */
  if (!ice_chars(c->foundation, strnlen(c->foundation, USM__ICE_FOUNDATION_MAX + 1),
                 USM__ICE_FOUNDATION_MAX) ||
      c->component < 1 || c->component > 256 || (unsigned)c->transport > USM__ICE_TCP ||
      (unsigned)c->type > USM__ICE_RELAY || (unsigned)c->tcptype > USM__ICE_TCPTYPE_SO ||
      (c->tcptype && c->transport != USM__ICE_TCP) ||
      !str_ok(c->ufrag, USM__ICE_UFRAG_MAX, 0) || c->n_ext > USM__ICE_MAX_EXT)
    return USM_ERR_INVALID_ARG;
  for (size_t i = 0; i < c->n_ext; i++) {
    const usm__ice_ext *x = &c->ext[i];
    if (!str_ok(x->name, USM__ICE_EXT_NAME_MAX, 1) || !str_ok(x->value, USM__ICE_EXT_VALUE_MAX, 1))
      return USM_ERR_INVALID_ARG;
    static const char *const reserved[] = {"raddr", "rport", "tcptype", "generation", "ufrag"};
    for (size_t k = 0; k < 5; k++)
      if (strcmp(x->name, reserved[k]) == 0) return USM_ERR_INVALID_ARG;
  }
  out_buf o = {out, cap, 0, 0};
  puts_(&o, c->foundation);
  putu(&o, " ", c->component);
  puts_(&o, c->transport == USM__ICE_TCP ? " tcp" : " udp");
  putu(&o, " ", c->priority);
  if (!put_ip(&o, " ", &c->addr)) return USM_ERR_INVALID_ARG;
  putu(&o, " ", c->addr.port);
  puts_(&o, " typ ");
  puts_(&o, type_names[c->type]);
  if (c->has_related) {
    if (!put_ip(&o, " raddr ", &c->related)) return USM_ERR_INVALID_ARG;
    putu(&o, " rport ", c->related.port);
  }
  if (c->tcptype) {
    puts_(&o, " tcptype ");
    puts_(&o, tcptype_names[c->tcptype]);
  }
  if (c->has_generation) putu(&o, " generation ", c->generation);
  if (c->ufrag[0]) {
    puts_(&o, " ufrag ");
    puts_(&o, c->ufrag);
  }
  for (size_t i = 0; i < c->n_ext; i++) {
    puts_(&o, " ");
    puts_(&o, c->ext[i].name);
    puts_(&o, " ");
    puts_(&o, c->ext[i].value);
  }
  if (o.over) {
    out[0] = '\0';
    return USM_ERR_LIMIT;
  }
  if (out_len) *out_len = o.len;
  return USM_OK;
}

uint32_t usm__ice_type_preference(usm__ice_type type) {
  switch (type) {
  case USM__ICE_HOST:
    return 126;
  case USM__ICE_PRFLX:
    return 110;
  case USM__ICE_SRFLX:
    return 100;
  default:
    return 0;
  }
}

uint32_t usm__ice_tcp_local_preference(usm__ice_type type, usm__ice_tcptype tcptype,
                                       uint32_t other_pref) {
  /* RFC 6544 §4.2: behind a NAT simultaneous-open works best; otherwise
   * active, then passive. */
  int natted = type == USM__ICE_SRFLX || type == USM__ICE_PRFLX;
  uint32_t dir;
  switch (tcptype) {
  case USM__ICE_TCPTYPE_ACTIVE:
    dir = natted ? 4 : 6;
    break;
  case USM__ICE_TCPTYPE_PASSIVE:
    dir = natted ? 2 : 4;
    break;
  case USM__ICE_TCPTYPE_SO:
    dir = natted ? 6 : 2;
    break;
  default:
    dir = 0;
  }
  if (other_pref > 8191) other_pref = 8191;
  return (dir << 13) + other_pref;
}

uint32_t usm__ice_priority(uint32_t type_pref, uint32_t local_pref, uint16_t component) {
  if (type_pref > 126) type_pref = 126;
  if (local_pref > 65535) local_pref = 65535;
  if (component < 1) component = 1;
  if (component > 256) component = 256;
  return (type_pref << 24) + (local_pref << 8) + (256u - component);
}

uint64_t usm__ice_pair_priority(int local_controlling, uint32_t local_prio, uint32_t remote_prio) {
  uint64_t g = local_controlling ? local_prio : remote_prio;
  uint64_t d = local_controlling ? remote_prio : local_prio;
  uint64_t mn = g < d ? g : d, mx = g < d ? d : g;
  return (mn << 32) + 2 * mx + (g > d ? 1 : 0);
}

usm_err usm__ice_foundation(usm__ice_type type, const usm__stun_addr *base,
                            const usm__stun_addr *server, usm__ice_transport transport,
                            char out[9]) {
  if (!base || !out || (unsigned)type > USM__ICE_RELAY || (unsigned)transport > USM__ICE_TCP)
    return USM_ERR_INVALID_ARG;
  /* type | transport | base family + IP | server family + IP (ports left out) */
  uint8_t in[2 + 17 + 17] = {0};
  in[0] = (uint8_t)type;
  in[1] = (uint8_t)transport;
  in[2] = base->family;
  memcpy(in + 3, base->ip, 16);
  if (server) {
    in[19] = server->family;
    memcpy(in + 20, server->ip, 16);
  }
  if (base->family == USM__STUN_FAMILY_IPV4) memset(in + 7, 0, 12);
  if (server && server->family == USM__STUN_FAMILY_IPV4) memset(in + 24, 0, 12);
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (!EVP_Digest(in, sizeof in, md, &n, EVP_sha256(), NULL) || n < 4) return USM_ERR_INTERNAL;
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 4; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  out[8] = '\0';
  return USM_OK;
}
