/* TURN client (RFC 8656) on a libuv loop: one allocation over UDP, TCP or
 * TLS (OpenSSL memory BIOs on a uv_tcp_t, certificate verification on),
 * long-term credentials (401 -> REALM/NONCE -> retry, 438 stale nonce),
 * Refresh before expiry, CreatePermission, ChannelBind, Send/Data
 * indications and ChannelData. Used by the ICE agent for relay candidates.
 *
 * Threads: loop thread only. Callbacks fire from the loop, never from
 * inside a usm__turn_* call. After usm__turn_close only on_closed fires. */
#ifndef USM_MEDIA_TURN_CLIENT_H
#define USM_MEDIA_TURN_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <usm/common.h>
#include <uv.h>

#include "media/stun.h"

#define USM__TURN_MAX_PEERS 16    /* permissions and channels each */
#define USM__TURN_HOST_MAX 255

typedef enum usm__turn_transport { USM__TURN_UDP, USM__TURN_TCP, USM__TURN_TLS } usm__turn_transport;

typedef struct usm__turn_url {
  char host[USM__TURN_HOST_MAX + 1]; /* name or IP literal, without brackets */
  uint16_t port;                      /* default 3478, or 5349 for turns: */
  usm__turn_transport transport;
} usm__turn_url;

/* "turn:host[:port][?transport=udp|tcp]" or "turns:host[:port][?transport=tcp]"
 * (IPv6 literals in brackets). turn: defaults to UDP, turns: is TLS over TCP.
 * @return USM_OK; USM_ERR_INVALID_ARG (grammar, transport=udp with turns:). */
usm_err usm__turn_parse_url(const char *url, usm__turn_url *out);

typedef struct usm__turn usm__turn;

typedef struct usm__turn_config {
  uv_loop_t *loop;
  const struct sockaddr *server; /* resolved address of the TURN server */
  usm__turn_transport transport;
  const char *server_name;       /* TLS: SNI and the name (or IP) checked in the certificate */
  const char *ca_file;           /* TLS: PEM trust anchors; NULL = the system store */
  const char *username, *password;
  /* The allocation works: relayed address, and the server-reflexive one. */
  void (*on_allocated)(void *user, const usm__stun_addr *relayed, const usm__stun_addr *mapped);
  /* Allocation refused or lost (connection closed, refresh failed). */
  void (*on_error)(void *user, usm_err err);
  /* A datagram from a peer (Data indication or ChannelData). */
  void (*on_data)(void *user, const usm__stun_addr *peer, const uint8_t *data, size_t len);
  void (*on_closed)(void *user); /* after usm__turn_close: every handle closed */
  void (*log)(void *user, int level, const char *msg);
  void *user;
} usm__turn_config;

/* Opens the socket/connection and starts the Allocate. Strings are copied. */
usm_err usm__turn_create(const usm__turn_config *cfg, usm__turn **out);
/* CreatePermission for the peer's IP (refreshed while the allocation lives). */
usm_err usm__turn_permit(usm__turn *t, const usm__stun_addr *peer);
/* ChannelBind for the peer (implies a permission); later sends use ChannelData. */
usm_err usm__turn_bind_channel(usm__turn *t, const usm__stun_addr *peer);
/* Relay @p data to @p peer: ChannelData once bound, else a Send indication.
 * USM_ERR_WRONG_STATE before the allocation; USM_ERR_LIMIT over 65535 bytes. */
usm_err usm__turn_send(usm__turn *t, const usm__stun_addr *peer, const uint8_t *data, size_t len);
/* Best-effort Refresh(lifetime 0), then closes; on_closed fires later. */
void usm__turn_close(usm__turn *t);

#endif
