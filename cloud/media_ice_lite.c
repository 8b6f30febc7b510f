/* The ice-lite responder (RFC 8445 §2.5, §7.3): we never check, we answer.
 * A Binding request must carry USERNAME "<our ufrag>:<theirs>" and a
 * MESSAGE-INTEGRITY made with our password (else 401, or 400 when either is
 * missing); FINGERPRINT, when present, must be right (else it is dropped).
 * The success response carries XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and
 * FINGERPRINT. USE-CANDIDATE selects the sender's address for media; later
 * checks on it are the client's consent (RFC 7675). */
#include <string.h>

#include "media/stun.h"
#include "media_internal.h"

static int same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b) {
  return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

int cloud_media_ice_trusted(const cloud_media_part *p, const struct sockaddr_in *from) {
  return (p->have_selected && same_addr(&p->selected, from)) ||
         (p->have_valid && same_addr(&p->valid, from));
}

/* An error response (no integrity: the request could not be authenticated). */
static void reply_error(cloud_media_part *p, const usm__stun_msg *req, int code, const char *reason,
                        const struct sockaddr_in *to) {
  uint8_t out[256];
  usm__stun_builder b;
  size_t len = 0;
  usm__stun_build_begin(&b, out, sizeof out, USM__STUN_BINDING, USM__STUN_ERROR, req->tid);
  usm__stun_add_error(&b, code, reason);
  if (code == 420) usm__stun_add_unknown_list(&b, req->unknown, req->n_unknown);
  usm__stun_add_fingerprint(&b);
  if (usm__stun_build_finish(&b, &len) != USM_OK) return;
  uv_buf_t buf = uv_buf_init((char *)out, (unsigned)len);
  (void)uv_udp_try_send(&p->sock, &buf, 1, (const struct sockaddr *)to);
  p->ice_refused++;
}

static void reply_success(cloud_media_part *p, const usm__stun_msg *req,
                          const struct sockaddr_in *to) {
  uint8_t out[256];
  usm__stun_builder b;
  usm__stun_addr mapped;
  size_t len = 0;
  if (usm__stun_addr_from_sockaddr((const struct sockaddr *)to, &mapped) != USM_OK) return;
  usm__stun_build_begin(&b, out, sizeof out, USM__STUN_BINDING, USM__STUN_SUCCESS, req->tid);
  usm__stun_add_addr(&b, USM__STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped);
  usm__stun_add_integrity(&b, (const uint8_t *)p->pwd, strlen(p->pwd));
  usm__stun_add_fingerprint(&b);
  if (usm__stun_build_finish(&b, &len) != USM_OK) return;
  uv_buf_t buf = uv_buf_init((char *)out, (unsigned)len);
  (void)uv_udp_try_send(&p->sock, &buf, 1, (const struct sockaddr *)to);
  p->ice_ok++;
}

/* USERNAME is "<our ufrag>:<remote ufrag>": is the first part ours? */
static int username_ours(const cloud_media_part *p, const usm__stun_msg *m) {
  const uint8_t *u;
  size_t n, ours = strlen(p->ufrag);
  if (usm__stun_get_bytes(m, USM__STUN_ATTR_USERNAME, &u, &n) != USM_OK) return 0;
  return n > ours && u[ours] == ':' && memcmp(u, p->ufrag, ours) == 0;
}

void cloud_media_ice_on_stun(cloud_media_part *p, const uint8_t *buf, size_t len,
                             const struct sockaddr_in *from) {
  usm__stun_msg m;
  if (usm__stun_parse(buf, len, &m) != USM_OK) return;
  /* Only requests are answered; indications (keep-alives) and responses to
   * nothing we sent are dropped. */
  if (m.method != USM__STUN_BINDING || m.cls != USM__STUN_REQUEST) return;
  if (m.fp && usm__stun_check_fingerprint(&m) != USM_OK) return;
  if (m.n_unknown) {
    reply_error(p, &m, 420, "Unknown Attribute", from);
    return;
  }
  if (!m.mi || !usm__stun_find(&m, USM__STUN_ATTR_USERNAME)) {
    reply_error(p, &m, 400, "Bad Request", from);
    return;
  }
  if (!username_ours(p, &m) ||
      usm__stun_check_integrity(&m, (const uint8_t *)p->pwd, strlen(p->pwd)) != USM_OK) {
    reply_error(p, &m, 401, "Unauthorized", from);
    return;
  }
  reply_success(p, &m, from);
  p->valid = *from;
  p->have_valid = 1;
  if (p->ice == CLOUD_ICE_NEW) p->ice = CLOUD_ICE_CHECKING;
  int nominated = usm__stun_find(&m, USM__STUN_ATTR_USE_CANDIDATE) != NULL;
  if (nominated) {
    int first = !p->have_selected || p->ice != CLOUD_ICE_CONNECTED;
    p->selected = *from;
    p->have_selected = 1;
    p->ice = CLOUD_ICE_CONNECTED;
    p->last_consent_ms = cloud_media_now_ms();
    if (first) cloud_media_part_ice_selected(p);
  } else if (p->have_selected && same_addr(&p->selected, from)) {
    p->last_consent_ms = cloud_media_now_ms(); /* consent freshness */
    if (p->ice == CLOUD_ICE_DISCONNECTED) p->ice = CLOUD_ICE_CONNECTED;
  }
}
