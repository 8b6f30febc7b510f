/* STUN message parsing and building (RFC 8489 §5 and §14, RFC 8656 §18).
 * The integrity attributes live in stun_auth.c. */
#include "media/bytes.h"
#include "media/stun.h"

#include <netinet/in.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/socket.h>


/* The types this codec understands: a comprehension-required type outside
 * this set is "unknown" (RFC 8489 §14). */
static int known_type(uint16_t t) {
  switch (t) {
  case USM__STUN_ATTR_MAPPED_ADDRESS:
  case USM__STUN_ATTR_USERNAME:
  case USM__STUN_ATTR_MESSAGE_INTEGRITY:
  case USM__STUN_ATTR_ERROR_CODE:
  case USM__STUN_ATTR_UNKNOWN_ATTRIBUTES:
  case USM__STUN_ATTR_CHANNEL_NUMBER:
  case USM__STUN_ATTR_LIFETIME:
  case USM__STUN_ATTR_XOR_PEER_ADDRESS:
  case USM__STUN_ATTR_DATA:
  case USM__STUN_ATTR_REALM:
  case USM__STUN_ATTR_NONCE:
  case USM__STUN_ATTR_XOR_RELAYED_ADDRESS:
  case USM__STUN_ATTR_REQUESTED_TRANSPORT:
  case USM__STUN_ATTR_DONT_FRAGMENT:
  case USM__STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
  case USM__STUN_ATTR_XOR_MAPPED_ADDRESS:
  case USM__STUN_ATTR_PRIORITY:
  case USM__STUN_ATTR_USE_CANDIDATE:
  case USM__STUN_ATTR_SOFTWARE:
  case USM__STUN_ATTR_FINGERPRINT:
  case USM__STUN_ATTR_ICE_CONTROLLED:
  case USM__STUN_ATTR_ICE_CONTROLLING:
    return 1;
  default:
    return 0;
  }
}

static int is_xor_addr(uint16_t t) {
  return t == USM__STUN_ATTR_XOR_MAPPED_ADDRESS || t == USM__STUN_ATTR_XOR_PEER_ADDRESS ||
         t == USM__STUN_ATTR_XOR_RELAYED_ADDRESS;
}

static int is_addr(uint16_t t) { return t == USM__STUN_ATTR_MAPPED_ADDRESS || is_xor_addr(t); }

/* Shared by parser and builder, so that whatever parses can be rebuilt. */
int usm__stun_value_ok(uint16_t type, const uint8_t *v, size_t len) {
  if (len > 0xFFFF) return 0;
  if (is_addr(type)) {
    if (len < 4) return 0;
    if (v[1] == USM__STUN_FAMILY_IPV4) return len == 8;
    if (v[1] == USM__STUN_FAMILY_IPV6) return len == 20;
    return 0;
  }
  switch (type) {
  case USM__STUN_ATTR_USERNAME:
    return len <= USM__STUN_MAX_USERNAME;
  case USM__STUN_ATTR_REALM:
  case USM__STUN_ATTR_NONCE:
  case USM__STUN_ATTR_SOFTWARE:
    return len <= USM__STUN_MAX_TEXT;
  case USM__STUN_ATTR_MESSAGE_INTEGRITY:
    return len == USM__STUN_MI_LEN;
  case USM__STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
    /* RFC 8489 §14.6: truncation to 16..32 bytes, a multiple of 4 */
    return len >= 16 && len <= 32 && len % 4 == 0;
  case USM__STUN_ATTR_ERROR_CODE:
    /* class 3..6, number 0..99 (RFC 8489 §14.8) */
    return len >= 4 && len <= 4 + USM__STUN_MAX_TEXT && (v[2] & 7) >= 3 && (v[2] & 7) <= 6 &&
           v[3] <= 99;
  case USM__STUN_ATTR_UNKNOWN_ATTRIBUTES:
    return len % 2 == 0;
  case USM__STUN_ATTR_CHANNEL_NUMBER:
    return len == 4 && usm__rd16(v) >= 0x4000 && usm__rd16(v) <= 0x4FFF;
  case USM__STUN_ATTR_FINGERPRINT:
  case USM__STUN_ATTR_LIFETIME:
  case USM__STUN_ATTR_PRIORITY:
  case USM__STUN_ATTR_REQUESTED_TRANSPORT:
    return len == 4;
  case USM__STUN_ATTR_ICE_CONTROLLED:
  case USM__STUN_ATTR_ICE_CONTROLLING:
    return len == 8;
  case USM__STUN_ATTR_USE_CANDIDATE:
  case USM__STUN_ATTR_DONT_FRAGMENT:
    return len == 0;
  default:
    return 1; /* DATA and unknown types: any bytes */
  }
}

int usm__stun_is_message(const uint8_t *buf, size_t len) {
  if (!buf || len < USM__STUN_HEADER_LEN || (buf[0] & 0xC0)) return 0;
  if (usm__rd32(buf + 4) != USM__STUN_MAGIC_COOKIE) return 0;
  size_t mlen = usm__rd16(buf + 2);
  return mlen % 4 == 0 && mlen + USM__STUN_HEADER_LEN == len;
}

/* The method's 12 bits are interleaved with the class's 2 (RFC 8489 §5). */
uint16_t usm__stun_type(uint16_t method, usm__stun_class cls) {
  unsigned m = method & 0xFFF, c = (unsigned)cls & 3;
  return (uint16_t)((m & 0x00F) | ((m & 0x070) << 1) | ((m & 0xF80) << 2) | ((c & 1) << 4) |
                    ((c & 2) << 7));
}

void usm__stun_split_type(uint16_t type, uint16_t *method, usm__stun_class *cls) {
  *method = (uint16_t)((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
  *cls = (usm__stun_class)(((type >> 4) & 1) | ((type >> 7) & 2));
}

const usm__stun_attr *usm__stun_find(const usm__stun_msg *m, uint16_t type) {
  if (!m) return NULL;
  for (size_t i = 0; i < m->n_attrs; i++)
    if (m->attrs[i].type == type) return &m->attrs[i];
  return NULL;
}

usm_err usm__stun_parse(const uint8_t *buf, size_t len, usm__stun_msg *out) {
  if (!buf || !out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (len > USM__STUN_MAX_MSG) return USM_ERR_LIMIT;
  if (len < USM__STUN_HEADER_LEN || (buf[0] & 0xC0)) return USM_ERR_MALFORMED;
  if (usm__rd32(buf + 4) != USM__STUN_MAGIC_COOKIE) return USM_ERR_MALFORMED;
  size_t mlen = usm__rd16(buf + 2);
  if (mlen % 4 || mlen + USM__STUN_HEADER_LEN != len) return USM_ERR_MALFORMED;
  usm__stun_split_type(usm__rd16(buf), &out->method, &out->cls);
  memcpy(out->tid, buf + 8, USM__STUN_TID_LEN);

  size_t off = USM__STUN_HEADER_LEN;
  while (off < len) {
    if (len - off < 4) return USM_ERR_MALFORMED;
    uint16_t t = usm__rd16(buf + off), l = usm__rd16(buf + off + 2);
    size_t padded = ((size_t)l + 3) & ~(size_t)3;
    if (padded > len - off - 4) return USM_ERR_MALFORMED;
    if (out->fp) return USM_ERR_MALFORMED; /* FINGERPRINT must be last */
    /* RFC 8489 §14.5/14.6: after MESSAGE-INTEGRITY only -SHA256 and
     * FINGERPRINT count; after -SHA256 only FINGERPRINT. */
    int skip = 0;
    if (out->mi256)
      skip = t != USM__STUN_ATTR_FINGERPRINT;
    else if (out->mi)
      skip = t != USM__STUN_ATTR_FINGERPRINT && t != USM__STUN_ATTR_MESSAGE_INTEGRITY_SHA256;
    if (!skip) {
      const uint8_t *v = buf + off + 4;
      if (out->n_attrs == USM__STUN_MAX_ATTRS) return USM_ERR_LIMIT;
      if (!usm__stun_value_ok(t, v, l)) return USM_ERR_MALFORMED;
      /* A second copy of a known attribute is either an attack on whoever
       * reads the other one, or a broken peer: refuse. */
      if (known_type(t) && t != USM__STUN_ATTR_XOR_PEER_ADDRESS && usm__stun_find(out, t))
        return USM_ERR_MALFORMED;
      if (!known_type(t) && t < 0x8000 && out->n_unknown < USM__STUN_MAX_UNKNOWN)
        out->unknown[out->n_unknown++] = t;
      usm__stun_attr *a = &out->attrs[out->n_attrs++];
      a->type = t;
      a->len = l;
      a->offset = (uint16_t)(off + 4);
      if (t == USM__STUN_ATTR_MESSAGE_INTEGRITY) out->mi = out->n_attrs;
      if (t == USM__STUN_ATTR_MESSAGE_INTEGRITY_SHA256) out->mi256 = out->n_attrs;
      if (t == USM__STUN_ATTR_FINGERPRINT) out->fp = out->n_attrs;
    }
    off += 4 + padded;
  }
  out->buf = buf;
  out->len = len;
  return USM_OK;
}

const uint8_t *usm__stun_attr_value(const usm__stun_msg *m, const usm__stun_attr *a) {
  return m && a ? m->buf + a->offset : NULL;
}

/* The XOR mask: the cookie, then (IPv6) the transaction id. */
static void xor_mask(const uint8_t *tid, uint8_t mask[16]) {
  usm__wr32(mask, USM__STUN_MAGIC_COOKIE);
  memcpy(mask + 4, tid, USM__STUN_TID_LEN);
}

usm_err usm__stun_attr_addr(const usm__stun_msg *m, const usm__stun_attr *a, usm__stun_addr *out) {
  if (!m || !a || !out || !is_addr(a->type)) return USM_ERR_INVALID_ARG;
  const uint8_t *v = m->buf + a->offset;
  size_t n = v[1] == USM__STUN_FAMILY_IPV4 ? 4 : 16;
  if (a->len != 4 + n) return USM_ERR_MALFORMED; /* the parser made sure; belt and braces */
  memset(out, 0, sizeof *out);
  out->family = v[1];
  out->port = usm__rd16(v + 2);
  memcpy(out->ip, v + 4, n);
  if (is_xor_addr(a->type)) {
    uint8_t mask[16];
    xor_mask(m->tid, mask);
    out->port ^= (uint16_t)(USM__STUN_MAGIC_COOKIE >> 16);
    for (size_t i = 0; i < n; i++) out->ip[i] ^= mask[i];
  }
  return USM_OK;
}

usm_err usm__stun_get_addr(const usm__stun_msg *m, uint16_t type, usm__stun_addr *out) {
  if (!is_addr(type)) return USM_ERR_INVALID_ARG;
  const usm__stun_attr *a = usm__stun_find(m, type);
  return a ? usm__stun_attr_addr(m, a, out) : USM_ERR_NOT_FOUND;
}

usm_err usm__stun_get_u32(const usm__stun_msg *m, uint16_t type, uint32_t *out) {
  const usm__stun_attr *a = usm__stun_find(m, type);
  if (!a) return USM_ERR_NOT_FOUND;
  if (a->len != 4 || !out) return USM_ERR_INVALID_ARG;
  *out = usm__rd32(m->buf + a->offset);
  return USM_OK;
}

usm_err usm__stun_get_u64(const usm__stun_msg *m, uint16_t type, uint64_t *out) {
  const usm__stun_attr *a = usm__stun_find(m, type);
  if (!a) return USM_ERR_NOT_FOUND;
  if (a->len != 8 || !out) return USM_ERR_INVALID_ARG;
  const uint8_t *v = m->buf + a->offset;
  *out = ((uint64_t)usm__rd32(v) << 32) | usm__rd32(v + 4);
  return USM_OK;
}

usm_err usm__stun_get_bytes(const usm__stun_msg *m, uint16_t type, const uint8_t **val, size_t *len) {
  const usm__stun_attr *a = usm__stun_find(m, type);
  if (!a) return USM_ERR_NOT_FOUND;
  if (!val || !len) return USM_ERR_INVALID_ARG;
  *val = m->buf + a->offset;
  *len = a->len;
  return USM_OK;
}

usm_err usm__stun_get_error(const usm__stun_msg *m, int *code, const uint8_t **reason,
                            size_t *reason_len) {
  const usm__stun_attr *a = usm__stun_find(m, USM__STUN_ATTR_ERROR_CODE);
  if (!a) return USM_ERR_NOT_FOUND;
  if (!code) return USM_ERR_INVALID_ARG;
  const uint8_t *v = m->buf + a->offset;
  *code = (v[2] & 7) * 100 + v[3];
  if (reason) *reason = v + 4;
  if (reason_len) *reason_len = a->len - 4u;
  return USM_OK;
}

usm_err usm__stun_get_unknown_list(const usm__stun_msg *m, uint16_t *types, size_t cap, size_t *n) {
  const usm__stun_attr *a = usm__stun_find(m, USM__STUN_ATTR_UNKNOWN_ATTRIBUTES);
  if (!a) return USM_ERR_NOT_FOUND;
  if ((!types && cap) || !n) return USM_ERR_INVALID_ARG;
  const uint8_t *v = m->buf + a->offset;
  size_t k = 0;
  for (size_t i = 0; i + 1 < a->len && k < cap; i += 2) types[k++] = usm__rd16(v + i);
  *n = k;
  return USM_OK;
}

usm_err usm__stun_get_channel(const usm__stun_msg *m, uint16_t *channel) {
  uint32_t v;
  usm_err e = usm__stun_get_u32(m, USM__STUN_ATTR_CHANNEL_NUMBER, &v);
  if (e == USM_OK && channel) *channel = (uint16_t)(v >> 16);
  return e;
}

usm_err usm__stun_addr_to_sockaddr(const usm__stun_addr *a, struct sockaddr *sa, size_t sa_len) {
  if (!a || !sa) return USM_ERR_INVALID_ARG;
  if (a->family == USM__STUN_FAMILY_IPV4) {
    struct sockaddr_in s4;
    if (sa_len < sizeof s4) return USM_ERR_LIMIT;
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    s4.sin_port = htons(a->port);
    memcpy(&s4.sin_addr, a->ip, 4);
    memcpy(sa, &s4, sizeof s4);
    return USM_OK;
  }
  if (a->family == USM__STUN_FAMILY_IPV6) {
    struct sockaddr_in6 s6;
    if (sa_len < sizeof s6) return USM_ERR_LIMIT;
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons(a->port);
    memcpy(&s6.sin6_addr, a->ip, 16);
    memcpy(sa, &s6, sizeof s6);
    return USM_OK;
  }
  return USM_ERR_INVALID_ARG;
}

usm_err usm__stun_addr_from_sockaddr(const struct sockaddr *sa, usm__stun_addr *out) {
  if (!sa || !out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (sa->sa_family == AF_INET) {
    struct sockaddr_in s4;
    memcpy(&s4, sa, sizeof s4);
    out->family = USM__STUN_FAMILY_IPV4;
    out->port = ntohs(s4.sin_port);
    memcpy(out->ip, &s4.sin_addr, 4);
    return USM_OK;
  }
  if (sa->sa_family == AF_INET6) {
    struct sockaddr_in6 s6;
    memcpy(&s6, sa, sizeof s6);
    out->family = USM__STUN_FAMILY_IPV6;
    out->port = ntohs(s6.sin6_port);
    memcpy(out->ip, &s6.sin6_addr, 16);
    return USM_OK;
  }
  return USM_ERR_INVALID_ARG;
}

/* ---- builder ---- */

usm_err usm__stun_new_tid(uint8_t tid[USM__STUN_TID_LEN]) {
  if (!tid) return USM_ERR_INVALID_ARG;
  return RAND_bytes(tid, USM__STUN_TID_LEN) == 1 ? USM_OK : USM_ERR_INTERNAL;
}

static usm_err fail(usm__stun_builder *b, usm_err e) {
  if (b->err == USM_OK) b->err = e;
  return b->err;
}

usm_err usm__stun_build_begin(usm__stun_builder *b, uint8_t *buf, size_t cap, uint16_t method,
                              usm__stun_class cls, const uint8_t *tid) {
  if (!b) return USM_ERR_INVALID_ARG;
  memset(b, 0, sizeof *b);
  b->buf = buf;
  b->cap = cap;
  if (!buf || method > 0xFFF || (unsigned)cls > 3) return fail(b, USM_ERR_INVALID_ARG);
  if (cap < USM__STUN_HEADER_LEN) return fail(b, USM_ERR_LIMIT);
  usm__wr16(buf, usm__stun_type(method, cls));
  usm__wr16(buf + 2, 0);
  usm__wr32(buf + 4, USM__STUN_MAGIC_COOKIE);
  if (tid)
    memcpy(buf + 8, tid, USM__STUN_TID_LEN);
  else if (usm__stun_new_tid(buf + 8) != USM_OK)
    return fail(b, USM_ERR_INTERNAL);
  b->len = USM__STUN_HEADER_LEN;
  return USM_OK;
}

const uint8_t *usm__stun_build_tid(const usm__stun_builder *b) {
  return b && b->buf && b->cap >= USM__STUN_HEADER_LEN ? b->buf + 8 : NULL;
}

uint8_t *usm__stun_build_reserve(usm__stun_builder *b, uint16_t type, size_t len) {
  if (!b || b->err != USM_OK) return NULL;
  size_t padded = (len + 3) & ~(size_t)3;
  if (len > 0xFFFF || b->n_attrs == USM__STUN_MAX_ATTRS || b->len + 4 + padded > b->cap ||
      b->len + 4 + padded > USM__STUN_MAX_MSG) {
    fail(b, USM_ERR_LIMIT);
    return NULL;
  }
  uint8_t *p = b->buf + b->len;
  usm__wr16(p, type);
  usm__wr16(p + 2, (uint16_t)len);
  memset(p + 4, 0, padded); /* zero padding */
  b->len += 4 + padded;
  b->n_attrs++;
  usm__wr16(b->buf + 2, (uint16_t)(b->len - USM__STUN_HEADER_LEN));
  return p + 4;
}

usm_err usm__stun_add_attr(usm__stun_builder *b, uint16_t type, const void *val, size_t len) {
  if (!b) return USM_ERR_INVALID_ARG;
  if (b->err != USM_OK) return b->err;
  if (type == USM__STUN_ATTR_MESSAGE_INTEGRITY || type == USM__STUN_ATTR_MESSAGE_INTEGRITY_SHA256 ||
      type == USM__STUN_ATTR_FINGERPRINT || (len && !val))
    return fail(b, USM_ERR_INVALID_ARG);
  if (b->has_mi || b->has_fp) return fail(b, USM_ERR_WRONG_STATE);
  if (len > 0xFFFF) return fail(b, USM_ERR_LIMIT);
  if (!usm__stun_value_ok(type, val, len)) return fail(b, USM_ERR_INVALID_ARG);
  uint8_t *p = usm__stun_build_reserve(b, type, len);
  if (!p) return b->err;
  if (len) memcpy(p, val, len);
  return USM_OK;
}

usm_err usm__stun_add_u32(usm__stun_builder *b, uint16_t type, uint32_t v) {
  uint8_t x[4];
  usm__wr32(x, v);
  return usm__stun_add_attr(b, type, x, sizeof x);
}

usm_err usm__stun_add_u64(usm__stun_builder *b, uint16_t type, uint64_t v) {
  uint8_t x[8];
  usm__wr32(x, (uint32_t)(v >> 32));
  usm__wr32(x + 4, (uint32_t)v);
  return usm__stun_add_attr(b, type, x, sizeof x);
}

usm_err usm__stun_add_flag(usm__stun_builder *b, uint16_t type) {
  return usm__stun_add_attr(b, type, NULL, 0);
}

usm_err usm__stun_add_addr(usm__stun_builder *b, uint16_t type, const usm__stun_addr *a) {
  if (!b) return USM_ERR_INVALID_ARG;
  if (!a || !is_addr(type) ||
      (a->family != USM__STUN_FAMILY_IPV4 && a->family != USM__STUN_FAMILY_IPV6))
    return fail(b, USM_ERR_INVALID_ARG);
  if (b->err != USM_OK) return b->err;
  uint8_t v[20];
  size_t n = a->family == USM__STUN_FAMILY_IPV4 ? 4 : 16;
  v[0] = 0;
  v[1] = a->family;
  usm__wr16(v + 2, a->port);
  memcpy(v + 4, a->ip, n);
  if (is_xor_addr(type)) {
    uint8_t mask[16];
    xor_mask(b->buf + 8, mask);
    v[2] ^= mask[0];
    v[3] ^= mask[1];
    for (size_t i = 0; i < n; i++) v[4 + i] ^= mask[i];
  }
  return usm__stun_add_attr(b, type, v, 4 + n);
}

usm_err usm__stun_add_error(usm__stun_builder *b, int code, const char *reason) {
  if (!b) return USM_ERR_INVALID_ARG;
  size_t rl = reason ? strlen(reason) : 0;
  if (code < 300 || code > 699) return fail(b, USM_ERR_INVALID_ARG);
  if (rl > USM__STUN_MAX_TEXT) return fail(b, USM_ERR_LIMIT);
  uint8_t v[4 + USM__STUN_MAX_TEXT];
  v[0] = v[1] = 0;
  v[2] = (uint8_t)(code / 100);
  v[3] = (uint8_t)(code % 100);
  if (rl) memcpy(v + 4, reason, rl);
  return usm__stun_add_attr(b, USM__STUN_ATTR_ERROR_CODE, v, 4 + rl);
}

usm_err usm__stun_add_unknown_list(usm__stun_builder *b, const uint16_t *types, size_t n) {
  if (!b) return USM_ERR_INVALID_ARG;
  if ((n && !types) || n > USM__STUN_MAX_UNKNOWN) return fail(b, USM_ERR_INVALID_ARG);
  uint8_t v[2 * USM__STUN_MAX_UNKNOWN];
  for (size_t i = 0; i < n; i++) usm__wr16(v + 2 * i, types[i]);
  return usm__stun_add_attr(b, USM__STUN_ATTR_UNKNOWN_ATTRIBUTES, v, 2 * n);
}

usm_err usm__stun_add_channel(usm__stun_builder *b, uint16_t channel) {
  return usm__stun_add_u32(b, USM__STUN_ATTR_CHANNEL_NUMBER, (uint32_t)channel << 16);
}

usm_err usm__stun_add_requested_transport(usm__stun_builder *b, uint8_t protocol) {
  return usm__stun_add_u32(b, USM__STUN_ATTR_REQUESTED_TRANSPORT, (uint32_t)protocol << 24);
}

usm_err usm__stun_build_finish(usm__stun_builder *b, size_t *out_len) {
  if (!b) return USM_ERR_INVALID_ARG;
  if (b->err != USM_OK) return b->err;
  if (out_len) *out_len = b->len;
  return USM_OK;
}
