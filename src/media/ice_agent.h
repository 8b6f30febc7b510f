/* libusm's own ICE agent (RFC 8445) on the client's libuv loop: host,
 * server-reflexive and TURN-relayed candidates (RFC 8656, TURN over UDP,
 * TCP or TLS), paced connectivity checks, nomination, consent freshness
 * (RFC 7675) and ICE restart. One data stream, one component (BUNDLE and
 * rtcp-mux are assumed). libnice is not used: it forces a GLib main loop.
 *
 * Threads: everything runs on the loop thread of cfg->loop; callbacks fire
 * from the loop, never from inside a usm__ice_* call (events are queued and
 * flushed from the agent's own libuv callbacks). A callback may call
 * usm__ice_destroy on its own agent.
 *
 * Never contacts anything but the configured STUN/TURN servers and the
 * remote candidates it is given (no public defaults, no UPnP). */
#ifndef USM_MEDIA_ICE_AGENT_H
#define USM_MEDIA_ICE_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <usm/common.h>
#include <uv.h>

/* Bounds (USM_ERR_LIMIT beyond them). */
#define USM__ICE_MAX_LOCAL 16
#define USM__ICE_MAX_REMOTE 32
#define USM__ICE_MAX_PAIRS 100
#define USM__ICE_MAX_TRANSACTIONS 32
#define USM__ICE_MTU 1500           /* usual datagram */
#define USM__ICE_MAX_DATAGRAM 65536 /* largest datagram read */
#define USM__ICE_TA_MS 50           /* check pacing */

typedef struct usm__ice_agent usm__ice_agent;

typedef enum usm__ice_state {
  USM__ICE_NEW,
  USM__ICE_GATHERING,
  USM__ICE_CHECKING,
  USM__ICE_CONNECTED,
  USM__ICE_DISCONNECTED, /* consent lost for a while, still trying */
  USM__ICE_FAILED,
  USM__ICE_CLOSED
} usm__ice_state;

typedef struct usm__ice_config {
  uv_loop_t *loop;
  int controlling;               /* 1 against an ice-lite server (Webex Linus, usm-cloud) */
  int loopback_only;             /* only 127.0.0.1/::1 host candidates (tests, local cloud) */
  int ipv6;                      /* also gather IPv6 host candidates */
  int relay_only;                /* iceTransportPolicy "relay": pair and report relayed candidates only */
  const char *stun_server;       /* "host:port" for a server-reflexive candidate, or NULL */
  const char *turn_url;          /* "turn:host:port?transport=udp" / "turns:host:443?transport=tcp", or NULL */
  const char *turn_username, *turn_password;
  const char *turn_ca_file;      /* turns: PEM trust anchors instead of the system store (tests); NULL = system */
  unsigned check_timeout_ms;     /* FAILED when no pair works; default 20000 */
  unsigned consent_interval_ms;  /* RFC 7675: default 5000, jittered +-20 % */
  unsigned consent_timeout_ms;   /* RFC 7675: default 30000 -> FAILED; DISCONNECTED after ~2 missed */
  void (*on_state)(usm__ice_agent *a, usm__ice_state s, void *user);
  /* "candidate:..." value; NULL = gathering done */
  void (*on_candidate)(usm__ice_agent *a, const char *candidate, void *user);
  /* non-STUN datagrams (DTLS, RTP, RTCP) from the selected/valid pairs */
  void (*on_data)(usm__ice_agent *a, const uint8_t *data, size_t len, void *user);
  void (*log)(void *user, int level, const char *msg); /* optional; level as usm_log_level */
  void *user;
} usm__ice_config;

/* Random ufrag (8 ice-chars) and pwd (24) via RAND_bytes. The config's
 * strings are copied. */
usm_err usm__ice_create(const usm__ice_config *cfg, usm__ice_agent **out);
const char *usm__ice_local_ufrag(const usm__ice_agent *a);
const char *usm__ice_local_pwd(const usm__ice_agent *a);
/* Host (+srflx, +relay) candidates, reported via on_candidate, then NULL. */
usm_err usm__ice_gather(usm__ice_agent *a);
usm_err usm__ice_set_remote_credentials(usm__ice_agent *a, const char *ufrag, const char *pwd,
                                        int ice_lite);
/* "candidate:..." (or "a=candidate:...") value; UDP only, others are
 * ignored with USM_OK. USM_ERR_LIMIT past USM__ICE_MAX_REMOTE. */
usm_err usm__ice_add_remote_candidate(usm__ice_agent *a, const char *candidate);
/* Needs remote credentials; checks start once local candidates exist. */
usm_err usm__ice_start_checks(usm__ice_agent *a);
/* On the selected pair; through TURN (ChannelData or Send) if relayed.
 * USM_ERR_WRONG_STATE before CONNECTED (DISCONNECTED still sends). */
usm_err usm__ice_send(usm__ice_agent *a, const uint8_t *data, size_t len);
/* New ufrag/pwd, drop remote state and pairs; local candidates are kept
 * and re-reported by the next usm__ice_gather. The caller re-offers. */
usm_err usm__ice_restart(usm__ice_agent *a);
usm__ice_state usm__ice_get_state(const usm__ice_agent *a);
const char *usm__ice_state_name(usm__ice_state s);

typedef struct usm__ice_stats {
  char local[64], remote[64]; /* "ip:port" of the selected pair ("[ip]:port" for IPv6) */
  const char *local_type, *remote_type;
  uint32_t rtt_ms;
  uint64_t bytes_sent, bytes_received, packets_sent, packets_received;
} usm__ice_stats;
/* USM_ERR_WRONG_STATE when no pair is selected. */
usm_err usm__ice_get_stats(const usm__ice_agent *a, usm__ice_stats *out);

/* Closes every uv handle; memory is freed from the close callbacks; no
 * callback fires after it returns. Safe from inside a callback. */
void usm__ice_destroy(usm__ice_agent *a);

#endif
