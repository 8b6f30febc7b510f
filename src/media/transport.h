/* One media transport: the meeting's BUNDLEd 5-tuple. ICE finds the path,
 * DTLS on it derives the SRTP keys (or SDES gives them), and every datagram
 * on the path is told apart by its first byte (RFC 7983): STUN stays in the
 * ICE agent, DTLS goes to the DTLS endpoint, RTP and RTCP are unprotected and
 * handed up. Loop thread only. docs/media-transport.md. */
#ifndef USM_MEDIA_TRANSPORT_H
#define USM_MEDIA_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <usm/common.h>
#include <uv.h>

#include "media/dtls.h"
#include "media/sdp_negotiate.h"

typedef struct usm__transport usm__transport;

typedef enum usm__transport_state {
  USM__TR_NEW,          /* created; gathering or waiting for the answer */
  USM__TR_CHECKING,     /* ICE checks (and then the DTLS handshake) under way */
  USM__TR_CONNECTED,    /* SRTP keys in place: media flows */
  USM__TR_DISCONNECTED, /* consent lost for a while; ICE still trying */
  USM__TR_FAILED,       /* ICE failed, DTLS failed or the fingerprint did not match */
  USM__TR_CLOSED
} usm__transport_state;

typedef struct usm__transport_config {
  uv_loop_t *loop;
  usm__dtls_ctx *dtls;          /* the client's DTLS context (certificate); borrowed */
  int ice_controlled;           /* 0: controlling (the offerer, and always against ice-lite); 1: controlled (answering a full agent's offer) */
  int loopback_only;            /* host candidates on loopback only */
  const char *turn_url, *turn_username, *turn_password; /* from TURN discovery, or NULL */
  unsigned ice_timeout_ms;      /* 0: 20000 (official ICE_AND_DTLS_CONNECTION_TIMEOUT) */
  /* @p err and @p detail explain FAILED (USM_ERR_ICE_FAILED, USM_ERR_DTLS,
   * USM_ERR_FINGERPRINT_MISMATCH). No callback may destroy the transport:
   * defer that to the loop. */
  void (*on_state)(usm__transport *t, usm__transport_state s, usm_err err, const char *detail, void *user);
  /* Gathering finished: the local candidates are ready for the offer. */
  void (*on_gathered)(usm__transport *t, void *user);
  /* A decrypted RTP or RTCP packet (valid during the call). */
  void (*on_rtp)(usm__transport *t, const uint8_t *pkt, size_t len, void *user);
  void (*on_rtcp)(usm__transport *t, const uint8_t *pkt, size_t len, void *user);
  void (*log)(void *user, int level, const char *msg);
  void *user;
} usm__transport_config;

usm_err usm__transport_create(const usm__transport_config *cfg, usm__transport **out);
/* No callback fires once it returns; handles close on the loop. NULL: no-op. */
void usm__transport_destroy(usm__transport *t);

/* Start gathering candidates (on_gathered when done). */
usm_err usm__transport_gather(usm__transport *t);
/* What our offer needs: ICE credentials, DTLS fingerprint, candidates. The
 * strings stay valid until the next gather or restart. */
void usm__transport_local(const usm__transport *t, usm__sdp_local *l);

/* The remote side from a negotiated exchange (the BUNDLE tag's transport):
 * ICE credentials and candidates, the DTLS role and fingerprint (or the SDES
 * keys). Starts the checks. USM_ERR_SDP when it lacks what we need. */
usm_err usm__transport_set_remote(usm__transport *t, const usm__sdp_result *r);

/* Protect in place and send. @p cap: the buffer's size (room for the SRTP
 * trailer). USM_ERR_WRONG_STATE before CONNECTED. */
usm_err usm__transport_send_rtp(usm__transport *t, uint8_t *pkt, size_t len, size_t cap);
usm_err usm__transport_send_rtcp(usm__transport *t, uint8_t *pkt, size_t len, size_t cap);

/* ICE restart: new credentials and candidates (on_gathered again); the
 * caller makes a new offer and sets the new remote. DTLS is kept when the
 * remote fingerprint stays the same (RFC 8445: restart is ICE only). */
usm_err usm__transport_restart(usm__transport *t);

usm__transport_state usm__transport_get_state(const usm__transport *t);
const char *usm__transport_state_name(usm__transport_state s);

typedef struct usm__transport_stats {
  uint64_t srtp_packets_sent, srtp_packets_received, srtp_bytes_sent, srtp_bytes_received;
  uint64_t dropped_auth, dropped_replay, dropped_malformed; /* SRTP/SRTCP refused */
  uint32_t ice_rtt_ms;
  char local_addr[64], remote_addr[64];
  const char *local_type, *remote_type; /* "host", "srflx", "relay", "prflx" */
} usm__transport_stats;
void usm__transport_get_stats(const usm__transport *t, usm__transport_stats *out);

#endif
