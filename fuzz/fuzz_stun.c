/* STUN/TURN parsing on arbitrary bytes. When a message parses: every typed
 * getter runs, integrity and fingerprint are checked with a fixed key, and
 * the message is rebuilt (integrity with the same key) and re-parsed, which
 * must give the same attributes and verify. The same bytes also go through
 * the RFC 7983 classifier, ChannelData parsing and both stream deframers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/packet_demux.h"
#include "media/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[] = "VOkJxbRl1RmTxUk/WvJxBt";
#define KEY_LEN (sizeof key - 1)

static void getters(const usm__stun_msg *m) {
  for (size_t i = 0; i < m->n_attrs; i++) {
    const usm__stun_attr *a = &m->attrs[i];
    if ((size_t)a->offset + a->len > m->len) abort();
    usm__stun_addr ad;
    uint16_t t = a->type;
    if (t == USM__STUN_ATTR_MAPPED_ADDRESS || t == USM__STUN_ATTR_XOR_MAPPED_ADDRESS ||
        t == USM__STUN_ATTR_XOR_PEER_ADDRESS || t == USM__STUN_ATTR_XOR_RELAYED_ADDRESS) {
      if (usm__stun_attr_addr(m, a, &ad) != USM_OK) abort();
      if (ad.family != USM__STUN_FAMILY_IPV4 && ad.family != USM__STUN_FAMILY_IPV6) abort();
    }
  }
  int code;
  const uint8_t *p;
  size_t n;
  if (usm__stun_get_error(m, &code, &p, &n) == USM_OK && (code < 300 || code > 699)) abort();
  uint16_t types[8];
  (void)usm__stun_get_unknown_list(m, types, 8, &n);
  uint32_t u32;
  uint64_t u64;
  uint16_t ch;
  (void)usm__stun_get_u32(m, USM__STUN_ATTR_PRIORITY, &u32);
  (void)usm__stun_get_u64(m, USM__STUN_ATTR_ICE_CONTROLLING, &u64);
  if (usm__stun_get_channel(m, &ch) == USM_OK && (ch < 0x4000 || ch > 0x4FFF)) abort();
  (void)usm__stun_get_bytes(m, USM__STUN_ATTR_USERNAME, &p, &n);
}

static void rebuild(const usm__stun_msg *m) {
  static uint8_t out[USM__STUN_MAX_MSG];
  usm__stun_builder b;
  if (usm__stun_build_begin(&b, out, sizeof out, m->method, m->cls, m->tid) != USM_OK) abort();
  size_t kept = 0;
  for (size_t i = 0; i < m->n_attrs; i++) {
    const usm__stun_attr *a = &m->attrs[i];
    if (a->type == USM__STUN_ATTR_MESSAGE_INTEGRITY ||
        a->type == USM__STUN_ATTR_MESSAGE_INTEGRITY_SHA256 || a->type == USM__STUN_ATTR_FINGERPRINT)
      continue;
    if (usm__stun_add_attr(&b, a->type, usm__stun_attr_value(m, a), a->len) != USM_OK) abort();
    kept++;
  }
  if (m->mi && usm__stun_add_integrity(&b, key, KEY_LEN) != USM_OK) abort();
  if (m->fp && usm__stun_add_fingerprint(&b) != USM_OK) abort();
  size_t n = 0;
  if (usm__stun_build_finish(&b, &n) != USM_OK || n > m->len) abort();

  usm__stun_msg r;
  if (usm__stun_parse(out, n, &r) != USM_OK) abort();
  if (r.method != m->method || r.cls != m->cls || memcmp(r.tid, m->tid, sizeof r.tid)) abort();
  if (r.n_attrs != kept + (m->mi ? 1 : 0) + (m->fp ? 1 : 0)) abort();
  if (r.n_unknown != m->n_unknown) abort();
  /* the same attributes, in the same order, with the same values */
  for (size_t i = 0, j = 0; i < m->n_attrs; i++) {
    const usm__stun_attr *y = &m->attrs[i];
    if (y->type == USM__STUN_ATTR_MESSAGE_INTEGRITY ||
        y->type == USM__STUN_ATTR_MESSAGE_INTEGRITY_SHA256 || y->type == USM__STUN_ATTR_FINGERPRINT)
      continue;
    const usm__stun_attr *x = &r.attrs[j++];
    if (x->type != y->type || x->len != y->len ||
        memcmp(usm__stun_attr_value(&r, x), usm__stun_attr_value(m, y), x->len) != 0)
      abort();
  }
  if (m->mi && usm__stun_check_integrity(&r, key, KEY_LEN) != USM_OK) abort();
  if (m->fp && usm__stun_check_fingerprint(&r) != USM_OK) abort();
}

static void streams(const uint8_t *data, size_t size) {
  static usm__rfc4571_deframer d;
  usm__rfc4571_init(&d);
  size_t pos = 0, chunk = size ? (size_t)(data[0] % 7) + 1 : 1;
  while (pos < size) {
    size_t give = size - pos < chunk ? size - pos : chunk, used = 0, fl = 0;
    const uint8_t *f;
    usm_err e = usm__rfc4571_feed(&d, data + pos, give, &used, &f, &fl);
    if (used > give) abort();
    if (e != USM_OK) break;
    if (f && fl > USM__RFC4571_MAX_FRAME) abort();
    if (used == 0) abort(); /* must always make progress */
    pos += used;
  }
  /* TURN-TCP: walk the frames */
  pos = 0;
  for (int i = 0; i < 64 && pos < size; i++) {
    size_t fl = 0;
    if (usm__turn_stream_frame_len(data + pos, size - pos, &fl) != USM_OK) break;
    if (fl < 4 || fl > size - pos) break;
    if (data[pos] >= 64) {
      uint16_t ch;
      const uint8_t *p;
      size_t n, used;
      if (usm__channel_data_parse(data + pos, fl, 1, &ch, &p, &n, &used) != USM_OK || used != fl)
        abort();
    }
    pos += fl;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  usm__stun_msg m;
  usm_err e = usm__stun_parse(data, size, &m);
  if (e == USM_OK) {
    if (m.n_attrs > USM__STUN_MAX_ATTRS || m.len != size) abort();
    getters(&m);
    usm_err i1 = usm__stun_check_integrity(&m, key, KEY_LEN);
    usm_err i2 = usm__stun_check_integrity_sha256(&m, key, KEY_LEN);
    usm_err f = usm__stun_check_fingerprint(&m);
    if (i1 != USM_OK && i1 != USM_ERR_NOT_FOUND && i1 != USM_ERR_UNAUTHORIZED) abort();
    if (i2 != USM_OK && i2 != USM_ERR_NOT_FOUND && i2 != USM_ERR_UNAUTHORIZED) abort();
    if (f != USM_OK && f != USM_ERR_NOT_FOUND && f != USM_ERR_MALFORMED) abort();
    rebuild(&m);
  } else if (e != USM_ERR_MALFORMED && e != USM_ERR_LIMIT) {
    abort();
  }
  usm__pkt_kind k = usm__packet_classify(data, size);
  if (k == USM__PKT_STUN && (size == 0 || data[0] > 3)) abort();
  uint16_t ch;
  const uint8_t *p;
  size_t n, used;
  for (int stream = 0; stream < 2; stream++)
    if (usm__channel_data_parse(data, size, stream, &ch, &p, &n, &used) == USM_OK &&
        (used > size || p + n > data + size))
      abort();
  streams(data, size);
  return 0;
}
