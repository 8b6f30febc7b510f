/* The media transport: ICE agent + DTLS endpoint + SRTP sessions on one
 * path, demultiplexed by first byte (RFC 7983). */
#include "media/transport.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "media/ice_agent.h"
#include "media/packet_demux.h"
#include "media/srtp_session.h"

#define MAX_CANDIDATES USM__ICE_MAX_LOCAL
/* RTP/RTCP larger than this is dropped (our MTU is far below). */
#define MAX_MEDIA_PACKET 8192
#define DEFAULT_TIMEOUT_MS 20000u

struct usm__transport {
  usm__transport_config cfg;
  usm__ice_agent *ice;
  usm__dtls *dtls;
  char *remote_fp_alg, *remote_fp; /* to tell whether a restart keeps DTLS */
  usm__srtp_session *srtp_in, *srtp_out;
  usm__transport_state state;
  uv_timer_t dtls_timer;
  int timer_ready;
  char *candidates[MAX_CANDIDATES];
  size_t n_candidates;
  int gathered;
  usm__transport_stats stats;
  uint8_t buf[MAX_MEDIA_PACKET]; /* unprotect works in place on a copy */
};

static void logf_(usm__transport *t, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void logf_(usm__transport *t, int level, const char *fmt, ...) {
  if (!t->cfg.log) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  t->cfg.log(t->cfg.user, level, msg);
}

const char *usm__transport_state_name(usm__transport_state s) {
  static const char *const names[] = {"new", "checking", "connected", "disconnected", "failed", "closed"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

static void set_state(usm__transport *t, usm__transport_state s, usm_err err, const char *detail) {
  if (t->state == s || t->state == USM__TR_CLOSED) return;
  logf_(t, 2, "transport: %s -> %s%s%s", usm__transport_state_name(t->state), usm__transport_state_name(s),
        detail ? ": " : "", detail ? detail : "");
  t->state = s;
  if (t->cfg.on_state) t->cfg.on_state(t, s, err, detail, t->cfg.user);
}

/* ---- DTLS ------------------------------------------------------------------ */

static void dtls_send(void *user, const uint8_t *data, size_t len) {
  usm__transport *t = user;
  if (usm__ice_send(t->ice, data, len) != USM_OK) logf_(t, 1, "transport: a DTLS datagram could not be sent");
}

static void arm_dtls_timer(usm__transport *t);

static void on_dtls_timer(uv_timer_t *h) {
  usm__transport *t = h->data;
  char why[256] = "";
  if (!t->dtls) return;
  if (usm__dtls_handle_timeout(t->dtls, why, sizeof why) != USM_OK) {
    set_state(t, USM__TR_FAILED, USM_ERR_DTLS, why[0] ? why : "DTLS handshake timed out");
    return;
  }
  arm_dtls_timer(t);
}

static void arm_dtls_timer(usm__transport *t) {
  long ms = t->dtls ? usm__dtls_timeout_ms(t->dtls) : -1;
  if (ms < 0)
    uv_timer_stop(&t->dtls_timer);
  else
    uv_timer_start(&t->dtls_timer, on_dtls_timer, (uint64_t)ms, 0);
}

/* After DTLS progress: keys ready means media may flow. */
static void dtls_progress(usm__transport *t) {
  arm_dtls_timer(t);
  if (t->srtp_out || usm__dtls_get_state(t->dtls) != USM__DTLS_CONNECTED) return;
  usm__srtp_profile profile;
  if (usm__dtls_srtp_sessions(t->dtls, &t->srtp_in, &t->srtp_out) != USM_OK) {
    set_state(t, USM__TR_FAILED, USM_ERR_SRTP, "SRTP sessions from the DTLS keys failed");
    return;
  }
  usm__dtls_profile(t->dtls, &profile);
  logf_(t, 2, "transport: DTLS-SRTP up (%s)", usm__srtp_profile_name(profile));
  set_state(t, USM__TR_CONNECTED, USM_OK, NULL);
}

static void start_dtls(usm__transport *t) {
  if (!t->dtls || usm__dtls_get_state(t->dtls) != USM__DTLS_NEW) return;
  char why[256] = "";
  if (usm__dtls_start(t->dtls, why, sizeof why) != USM_OK) {
    set_state(t, USM__TR_FAILED, USM_ERR_DTLS, why);
    return;
  }
  dtls_progress(t);
}

/* ---- datagrams from the path ----------------------------------------------------- */

static void on_media(usm__transport *t, const uint8_t *data, size_t len, int rtcp) {
  if (!t->srtp_in) return; /* before the keys: nothing we could read */
  if (len > sizeof t->buf) {
    t->stats.dropped_malformed++;
    return;
  }
  memcpy(t->buf, data, len);
  size_t plain = 0;
  usm_err e = rtcp ? usm__srtp_unprotect_rtcp(t->srtp_in, t->buf, len, &plain)
                   : usm__srtp_unprotect_rtp(t->srtp_in, t->buf, len, &plain);
  if (e != USM_OK) {
    if (e == USM_ERR_REPLAY)
      t->stats.dropped_replay++;
    else if (e == USM_ERR_SRTP)
      t->stats.dropped_auth++;
    else
      t->stats.dropped_malformed++;
    return;
  }
  t->stats.srtp_packets_received++;
  t->stats.srtp_bytes_received += len;
  if (rtcp && t->cfg.on_rtcp) t->cfg.on_rtcp(t, t->buf, plain, t->cfg.user);
  if (!rtcp && t->cfg.on_rtp) t->cfg.on_rtp(t, t->buf, plain, t->cfg.user);
}

static void on_data(usm__ice_agent *a, const uint8_t *data, size_t len, void *user) {
  (void)a;
  usm__transport *t = user;
  switch (usm__packet_classify(data, len)) {
  case USM__PKT_DTLS: {
    if (!t->dtls) return;
    char why[256] = "";
    usm_err e = usm__dtls_feed(t->dtls, data, len, why, sizeof why);
    if (e == USM_ERR_DTLS || e == USM_ERR_FINGERPRINT_MISMATCH) {
      set_state(t, USM__TR_FAILED, e, why);
      return;
    }
    dtls_progress(t);
    return;
  }
  case USM__PKT_RTP: on_media(t, data, len, 0); return;
  case USM__PKT_RTCP: on_media(t, data, len, 1); return;
  default: t->stats.dropped_malformed++; return; /* ZRTP, stray ChannelData, garbage */
  }
}

/* ---- ICE ------------------------------------------------------------------------ */

static void on_candidate(usm__ice_agent *a, const char *candidate, void *user) {
  (void)a;
  usm__transport *t = user;
  if (!candidate) {
    t->gathered = 1;
    if (t->cfg.on_gathered) t->cfg.on_gathered(t, t->cfg.user);
    return;
  }
  if (t->n_candidates == MAX_CANDIDATES) return;
  char *copy = usm__strdup(candidate);
  if (copy) t->candidates[t->n_candidates++] = copy;
}

static void on_ice_state(usm__ice_agent *a, usm__ice_state s, void *user) {
  (void)a;
  usm__transport *t = user;
  switch (s) {
  case USM__ICE_CHECKING: set_state(t, USM__TR_CHECKING, USM_OK, NULL); break;
  case USM__ICE_CONNECTED:
    if (t->srtp_out)
      set_state(t, USM__TR_CONNECTED, USM_OK, "consent restored");
    else
      start_dtls(t);
    break;
  case USM__ICE_DISCONNECTED: set_state(t, USM__TR_DISCONNECTED, USM_ERR_ICE_FAILED, "consent lost"); break;
  case USM__ICE_FAILED: set_state(t, USM__TR_FAILED, USM_ERR_ICE_FAILED, "no working candidate pair"); break;
  case USM__ICE_NEW:
  case USM__ICE_GATHERING:
  case USM__ICE_CLOSED: break;
  }
}

/* The agent logs with us as its user; pass it on with the transport's. */
static void ice_log(void *user, int level, const char *msg) {
  usm__transport *t = user;
  if (t->cfg.log) t->cfg.log(t->cfg.user, level, msg);
}

static void clear_candidates(usm__transport *t) {
  for (size_t i = 0; i < t->n_candidates; i++) free(t->candidates[i]);
  t->n_candidates = 0;
  t->gathered = 0;
}

usm_err usm__transport_create(const usm__transport_config *cfg, usm__transport **out) {
  *out = NULL;
  if (!cfg || !cfg->loop || !cfg->dtls) return USM_ERR_INVALID_ARG;
  usm__transport *t = calloc(1, sizeof *t);
  if (!t) return USM_ERR_NO_MEMORY;
  t->cfg = *cfg;
  usm__ice_config ic = {
    .loop = cfg->loop,
    .controlling = !cfg->ice_controlled, /* the offerer controls; an ice-lite server never does */
    .loopback_only = cfg->loopback_only,
    .turn_url = cfg->turn_url,
    .turn_username = cfg->turn_username,
    .turn_password = cfg->turn_password,
    .check_timeout_ms = cfg->ice_timeout_ms ? cfg->ice_timeout_ms : DEFAULT_TIMEOUT_MS,
    .on_state = on_ice_state,
    .on_candidate = on_candidate,
    .on_data = on_data,
    .log = ice_log,
    .user = t,
  };
  /* the config's strings were the caller's: the agent copies them */
  t->cfg.turn_url = t->cfg.turn_username = t->cfg.turn_password = NULL;
  usm_err e = usm__ice_create(&ic, &t->ice);
  if (e != USM_OK) {
    free(t);
    return e;
  }
  uv_timer_init(cfg->loop, &t->dtls_timer);
  t->dtls_timer.data = t;
  t->timer_ready = 1;
  *out = t;
  return USM_OK;
}

static void on_timer_closed(uv_handle_t *h) { free(h->data); }

void usm__transport_destroy(usm__transport *t) {
  if (!t) return;
  t->state = USM__TR_CLOSED; /* no more callbacks */
  usm__ice_destroy(t->ice);
  usm__dtls_destroy(t->dtls);
  usm__srtp_session_destroy(t->srtp_in);
  usm__srtp_session_destroy(t->srtp_out);
  clear_candidates(t);
  free(t->remote_fp_alg);
  free(t->remote_fp);
  uv_timer_stop(&t->dtls_timer);
  uv_close((uv_handle_t *)&t->dtls_timer, on_timer_closed); /* frees t */
}

usm_err usm__transport_gather(usm__transport *t) {
  clear_candidates(t);
  return usm__ice_gather(t->ice);
}

void usm__transport_local(const usm__transport *t, usm__sdp_local *l) {
  l->ice_ufrag = usm__ice_local_ufrag(t->ice);
  l->ice_pwd = usm__ice_local_pwd(t->ice);
  l->fp_alg = "sha-256";
  l->fp_value = usm__dtls_ctx_fingerprint(t->cfg.dtls);
  l->setup = USM__SDP_SETUP_ACTPASS;
  l->candidates = (const char *const *)t->candidates;
  l->n_candidates = t->n_candidates;
  l->end_of_candidates = t->gathered;
}

/* The transport the answer gives us: the BUNDLE tag's, else the first usable m-line's. */
static const usm__sdp_transport *remote_transport(const usm__sdp_result *r) {
  if (r->bundle_tag >= 0 && (size_t)r->bundle_tag < r->n_media && !r->media[r->bundle_tag].rejected)
    return &r->media[r->bundle_tag].transport;
  for (size_t i = 0; i < r->n_media; i++)
    if (!r->media[i].rejected) return &r->media[i].transport;
  return NULL;
}

static int same(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

usm_err usm__transport_set_remote(usm__transport *t, const usm__sdp_result *r) {
  const usm__sdp_transport *rt = remote_transport(r);
  if (!rt || !rt->ice_ufrag || !rt->ice_pwd) {
    logf_(t, 1, "transport: the answer has no usable m-line with ICE credentials");
    return USM_ERR_SDP;
  }
  if (!rt->fp_alg || !rt->fp_value) {
    /* SDES keys arrive in SIP-style SDPs without ICE; this transport is DTLS over ICE */
    logf_(t, 1, "transport: the answer has no DTLS fingerprint");
    return USM_ERR_SDP;
  }
  usm_err e = usm__ice_set_remote_credentials(t->ice, rt->ice_ufrag, rt->ice_pwd, rt->ice_lite);
  for (size_t i = 0; e == USM_OK && i < rt->n_candidates; i++) {
    usm_err ce = usm__ice_add_remote_candidate(t->ice, rt->candidates[i]);
    if (ce != USM_OK) logf_(t, 1, "transport: remote candidate ignored (%s)", usm_err_name(ce));
  }
  if (e != USM_OK) return e;
  /* a restart toward the same certificate keeps DTLS and SRTP */
  int keep = t->dtls && same(t->remote_fp, rt->fp_value) && same(t->remote_fp_alg, rt->fp_alg);
  if (!keep) {
    usm__dtls_destroy(t->dtls);
    t->dtls = NULL;
    usm__srtp_session_destroy(t->srtp_in);
    usm__srtp_session_destroy(t->srtp_out);
    t->srtp_in = t->srtp_out = NULL;
    usm__dtls_config dc = {.role = rt->dtls_client ? USM__DTLS_CLIENT : USM__DTLS_SERVER,
                           .fingerprint_alg = rt->fp_alg,
                           .fingerprint = rt->fp_value,
                           .send = dtls_send,
                           .user = t};
    e = usm__dtls_create(t->cfg.dtls, &dc, &t->dtls);
    if (e != USM_OK) return e;
    char *alg = usm__strdup(rt->fp_alg), *fp = usm__strdup(rt->fp_value);
    free(t->remote_fp_alg);
    free(t->remote_fp);
    t->remote_fp_alg = alg;
    t->remote_fp = fp;
    if (!alg || !fp) return USM_ERR_NO_MEMORY;
  }
  return usm__ice_start_checks(t->ice);
}

static usm_err send_protected(usm__transport *t, uint8_t *pkt, size_t len, size_t cap, int rtcp) {
  if (!t->srtp_out || (t->state != USM__TR_CONNECTED && t->state != USM__TR_DISCONNECTED))
    return USM_ERR_WRONG_STATE;
  size_t out = 0;
  usm_err e = rtcp ? usm__srtp_protect_rtcp(t->srtp_out, pkt, len, cap, &out)
                   : usm__srtp_protect_rtp(t->srtp_out, pkt, len, cap, &out);
  if (e != USM_OK) return e;
  e = usm__ice_send(t->ice, pkt, out);
  if (e == USM_OK) {
    t->stats.srtp_packets_sent++;
    t->stats.srtp_bytes_sent += out;
  }
  return e;
}

usm_err usm__transport_send_rtp(usm__transport *t, uint8_t *pkt, size_t len, size_t cap) {
  return send_protected(t, pkt, len, cap, 0);
}

usm_err usm__transport_send_rtcp(usm__transport *t, uint8_t *pkt, size_t len, size_t cap) {
  return send_protected(t, pkt, len, cap, 1);
}

usm_err usm__transport_restart(usm__transport *t) {
  usm_err e = usm__ice_restart(t->ice);
  if (e != USM_OK) return e;
  set_state(t, USM__TR_CHECKING, USM_OK, "ICE restart");
  return usm__transport_gather(t);
}

usm__transport_state usm__transport_get_state(const usm__transport *t) { return t->state; }

void usm__transport_get_stats(const usm__transport *t, usm__transport_stats *out) {
  *out = t->stats;
  usm__ice_stats is;
  if (usm__ice_get_stats(t->ice, &is) == USM_OK) {
    out->ice_rtt_ms = is.rtt_ms;
    snprintf(out->local_addr, sizeof out->local_addr, "%s", is.local);
    snprintf(out->remote_addr, sizeof out->remote_addr, "%s", is.remote);
    out->local_type = is.local_type;
    out->remote_type = is.remote_type;
  }
}
