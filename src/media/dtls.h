/* DTLS 1.2 endpoints for DTLS-SRTP (RFC 5763/5764), with no sockets: the
 * caller feeds received datagrams in, gets datagrams to send through a
 * callback, and drives retransmission from its own timer. After the
 * handshake the endpoint hands out ready SRTP sessions.
 *
 *   usm__dtls_ctx   one per client: its own SSL_CTX and its self-signed
 *                   ECDSA P-256 certificate (fingerprint for a=fingerprint)
 *   usm__dtls       one per media transport: client or server role as the
 *                   SDP a=setup decided, the peer's expected fingerprint
 *
 * Threads: a context and its endpoints are used on one thread (the client's
 * loop thread). The send callback runs inside usm__dtls_start / feed /
 * handle_timeout / shutdown and must not destroy or re-enter the endpoint
 * (queue the datagram or send it at once; never feed from inside it). */
#ifndef USM_MEDIA_DTLS_H
#define USM_MEDIA_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include "media/srtp_session.h"

#define USM__DTLS_MTU 1200
/* Largest datagram accepted from the network (a full DTLS record). */
#define USM__DTLS_MAX_DATAGRAM 16384
/* The SRTP profiles offered or accepted, most preferred first. */
#define USM__DTLS_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

typedef struct usm__dtls_ctx usm__dtls_ctx;
typedef struct usm__dtls usm__dtls;

typedef enum usm__dtls_role {
  USM__DTLS_CLIENT, /* a=setup:active: sends the ClientHello */
  USM__DTLS_SERVER  /* a=setup:passive: waits for it */
} usm__dtls_role;

typedef enum usm__dtls_state {
  USM__DTLS_NEW,         /* created, usm__dtls_start not called yet */
  USM__DTLS_HANDSHAKING,
  USM__DTLS_CONNECTED,   /* SRTP keys ready */
  USM__DTLS_CLOSED,      /* close_notify sent or received */
  USM__DTLS_FAILED       /* handshake failed, timed out or fingerprint mismatch */
} usm__dtls_state;

/* One outgoing datagram (data valid during the call only). */
typedef void (*usm__dtls_send_fn)(void *user, const uint8_t *data, size_t len);

typedef struct usm__dtls_config {
  usm__dtls_role role;
  const char *fingerprint_alg;   /* from the peer's a=fingerprint: "sha-256" (or -384, -512) */
  const char *fingerprint;       /* "AB:CD:..." */
  usm__dtls_send_fn send;
  void *user;
  /* Optional (0 / NULL = default). */
  const char *srtp_profiles;     /* OpenSSL names, default USM__DTLS_SRTP_PROFILES */
  unsigned mtu;                  /* default USM__DTLS_MTU */
  unsigned initial_timeout_ms;   /* first retransmission, then doubling to 60 s; default 1000, at least 50 */
  unsigned max_retransmits;      /* fail after this many; default 6 (about a minute) */
} usm__dtls_config;

/* A client's DTLS context: a new SSL_CTX (DTLS 1.2 only, use_srtp, peer
 * certificate required) with a new certificate. @p why (may be NULL) gets
 * OpenSSL's reason on error (USM_ERR_DTLS). */
usm_err usm__dtls_ctx_create(usm__dtls_ctx **out, char *why, size_t why_cap);
/* The context is freed when it and all its endpoints are gone. NULL is a no-op. */
void usm__dtls_ctx_free(usm__dtls_ctx *ctx);
/* Our certificate's SHA-256 fingerprint, "AB:CD:...", for "a=fingerprint:sha-256 ...". */
const char *usm__dtls_ctx_fingerprint(const usm__dtls_ctx *ctx);

/* An endpoint. USM_ERR_INVALID_ARG without a send callback or for an unknown
 * profile name, USM_ERR_SDP for an unsupported hash or a malformed
 * fingerprint. */
usm_err usm__dtls_create(usm__dtls_ctx *ctx, const usm__dtls_config *cfg, usm__dtls **out);
/* NULL is a no-op. Sends nothing (call usm__dtls_shutdown first for close_notify). */
void usm__dtls_destroy(usm__dtls *d);

/* Begin: the client sends its ClientHello; the server waits for one. */
usm_err usm__dtls_start(usm__dtls *d, char *why, size_t why_cap);
/* One received datagram (RFC 7983: first byte 20..63). Returns USM_OK when it
 * was consumed (progress, application data dropped, a retransmission
 * answered, close_notify seen), USM_ERR_MALFORMED for something that is not
 * DTLS (no state change), USM_ERR_LIMIT if over USM__DTLS_MAX_DATAGRAM,
 * USM_ERR_WRONG_STATE before start or after failure, and on a fatal
 * handshake error USM_ERR_DTLS or USM_ERR_FINGERPRINT_MISMATCH (the state is
 * then FAILED; the reason is in why). */
usm_err usm__dtls_feed(usm__dtls *d, const uint8_t *data, size_t len, char *why, size_t why_cap);
/* Milliseconds until usm__dtls_handle_timeout is due (0 = now), or -1 when no
 * retransmission timer runs. Re-read it after every start/feed/timeout call. */
long usm__dtls_timeout_ms(usm__dtls *d);
/* Retransmit if the timer expired (a no-op otherwise). USM_ERR_DTLS when the
 * retransmissions are used up: the handshake timed out. */
usm_err usm__dtls_handle_timeout(usm__dtls *d, char *why, size_t why_cap);

usm__dtls_state usm__dtls_get_state(const usm__dtls *d);
/* The negotiated profile; USM_ERR_WRONG_STATE before CONNECTED. */
usm_err usm__dtls_profile(const usm__dtls *d, usm__srtp_profile *profile);
/* New SRTP sessions from the exported keys (RFC 5764 4.2): inbound with the
 * peer's write key, outbound with ours. The caller owns both; may be called
 * again for a fresh pair. USM_ERR_WRONG_STATE before CONNECTED. */
usm_err usm__dtls_srtp_sessions(usm__dtls *d, usm__srtp_session **inbound,
                                usm__srtp_session **outbound);
/* Send close_notify (once) and move to CLOSED. */
usm_err usm__dtls_shutdown(usm__dtls *d);

#endif
