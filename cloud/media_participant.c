/* One participant's media connection: its ICE credentials and its DTLS
 * endpoint. The cloud is the DTLS server (a=setup:passive) for actpass and
 * active offers, and the client only when the offer says passive; after the
 * handshake the endpoint's keys become the connection's SRTP sessions. */
#include <stdio.h>
#include <string.h>

#include "media_internal.h"

static void hex(char *out, size_t nbytes) {
  uint8_t raw[32];
  static const char digits[] = "0123456789abcdef";
  cloud_random(raw, nbytes);
  for (size_t i = 0; i < nbytes; i++) {
    out[2 * i] = digits[raw[i] >> 4];
    out[2 * i + 1] = digits[raw[i] & 15];
  }
  out[2 * nbytes] = '\0';
}

void cloud_media_part_new_ice(cloud_media_part *p) {
  /* RFC 8445 §5.3: ufrag at least 24 bits, pwd at least 128 bits of randomness */
  hex(p->ufrag, 4);
  hex(p->pwd, 12);
  p->ice = CLOUD_ICE_NEW;
  p->have_valid = p->have_selected = 0;
}

const char *cloud_media_ice_state_name(cloud_ice_state s) {
  static const char *const names[] = {"NEW", "CHECKING", "CONNECTED", "DISCONNECTED"};
  return names[s];
}

const char *cloud_media_dtls_state_name(const cloud_media_part *p) {
  static const char *const names[] = {"NEW", "HANDSHAKING", "CONNECTED", "CLOSED", "FAILED"};
  return p->dtls ? names[usm__dtls_get_state(p->dtls)] : "NONE";
}

static void dtls_send(void *user, const uint8_t *data, size_t len) {
  /* DTLS is not impaired: the tests impair media, not the session */
  cloud_media_send_raw(user, data, len);
}

static void dtls_timer_fired(uv_timer_t *t);

/* Re-arms the retransmission timer after any DTLS call. */
static void rearm(cloud_media_part *p) {
  if (uv_is_closing((uv_handle_t *)&p->dtls_timer)) return;
  long ms = p->dtls ? usm__dtls_timeout_ms(p->dtls) : -1;
  if (ms < 0)
    uv_timer_stop(&p->dtls_timer);
  else
    uv_timer_start(&p->dtls_timer, dtls_timer_fired, (uint64_t)ms, 0);
}

/* The handshake is done: SRTP sessions from its keys. */
static void maybe_connected(cloud_media_part *p) {
  if (!p->dtls || p->srtp_in || usm__dtls_get_state(p->dtls) != USM__DTLS_CONNECTED) return;
  if (usm__dtls_srtp_sessions(p->dtls, &p->srtp_in, &p->srtp_out) != USM_OK) {
    p->srtp_in = p->srtp_out = NULL;
    fprintf(stderr, "usm-cloud: media: no SRTP sessions for participant %s\n", p->part_id);
  }
}

static void dtls_timer_fired(uv_timer_t *t) {
  cloud_media_part *p = t->data;
  char why[256];
  if (p->dtls && usm__dtls_handle_timeout(p->dtls, why, sizeof why) != USM_OK)
    fprintf(stderr, "usm-cloud: media: DTLS of %s: %s\n", p->part_id, why);
  rearm(p);
}

int cloud_media_part_dtls_setup(cloud_media_part *p, char *err, size_t errlen) {
  usm__dtls_destroy(p->dtls);
  usm__srtp_session_destroy(p->srtp_in);
  usm__srtp_session_destroy(p->srtp_out);
  p->dtls = NULL;
  p->srtp_in = p->srtp_out = NULL;
  memset(p->in, 0, sizeof p->in);
  cloud_media_outs_forget(p); /* new keys: streams start over */
  usm__dtls_config cfg = {.role = p->role,
                          .fingerprint_alg = p->remote_fp_alg,
                          .fingerprint = p->remote_fp,
                          .send = dtls_send,
                          .user = p};
  if (usm__dtls_create(p->srv->dtls_ctx, &cfg, &p->dtls) != USM_OK) {
    snprintf(err, errlen, "unusable DTLS fingerprint");
    p->dtls = NULL;
    return -1;
  }
  /* A server waits for the ClientHello now; a client starts once ICE has
   * selected a pair (there is nowhere to send before). */
  if (p->role == USM__DTLS_SERVER || p->have_selected) {
    char why[256];
    if (usm__dtls_start(p->dtls, why, sizeof why) != USM_OK) {
      snprintf(err, errlen, "DTLS: %s", why);
      return -1;
    }
    rearm(p);
  }
  return 0;
}

void cloud_media_part_ice_selected(cloud_media_part *p) {
  if (!p->dtls || usm__dtls_get_state(p->dtls) != USM__DTLS_NEW) return;
  char why[256];
  if (usm__dtls_start(p->dtls, why, sizeof why) != USM_OK)
    fprintf(stderr, "usm-cloud: media: DTLS start for %s: %s\n", p->part_id, why);
  rearm(p);
}

void cloud_media_part_dtls_feed(cloud_media_part *p, const uint8_t *data, size_t len) {
  if (!p->dtls) return;
  char why[256] = "";
  usm_err e = usm__dtls_feed(p->dtls, data, len, why, sizeof why);
  if (e != USM_OK && e != USM_ERR_MALFORMED && e != USM_ERR_WRONG_STATE)
    fprintf(stderr, "usm-cloud: media: DTLS of %s failed: %s\n", p->part_id, why);
  maybe_connected(p);
  rearm(p);
}
