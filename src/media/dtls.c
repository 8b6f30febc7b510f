/* DTLS 1.2 endpoints for DTLS-SRTP over OpenSSL with no sockets (see dtls.h).
 * Received datagrams go into a memory BIO; outgoing ones leave through a
 * small BIO of ours that hands every write (one record = one datagram) to the
 * caller's send callback, so datagram boundaries are kept. */
#include "media/dtls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "media/dtls_cert.h"

/* RFC 5764 4.2 (the RFC 5705 exporter label). Every other DTLS-SRTP stack
 * (browsers, webrtcbin, Janus) uses exactly this string: any other label
 * still "works" between two libusm endpoints but gives keys no peer has. */
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"
#define DEFAULT_INITIAL_TIMEOUT_MS 1000u  /* RFC 6347 4.2.4.1 */
#define MAX_TIMEOUT_US (60u * 1000 * 1000) /* RFC 6347: at least 60 s cap */
#define DEFAULT_MAX_RETRANSMITS 6u        /* 1+2+4+8+16+32 s, then fail at ~64 s */
/* OpenSSL treats a timer with under 15 ms left as expired (and retransmits
 * at once when a read finds nothing), so a shorter start would resend the
 * flight immediately. */
#define MIN_INITIAL_TIMEOUT_MS 50u
/* ECDHE only, AEAD first; the CBC suites are for older peers. Our own
 * certificate is ECDSA; the RSA suites are for servers with an RSA one. */
#define CIPHERS                                                                         \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                          \
  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                          \
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                          \
  "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA"

struct usm__dtls_ctx {
  SSL_CTX *ssl_ctx;
  BIO_METHOD *bio_method; /* our datagram-out BIO type */
  usm__dtls_cert cert;
  unsigned refs; /* the owner's + one per endpoint; loop thread only */
};

struct usm__dtls {
  usm__dtls_ctx *ctx;
  SSL *ssl;
  BIO *rbio; /* memory BIO the received datagram is written to; owned by ssl */
  usm__dtls_state state;
  usm__dtls_role role;
  usm__dtls_send_fn send;
  void *user;
  const EVP_MD *fp_md;
  uint8_t fp[EVP_MAX_MD_SIZE];
  size_t fp_len;
  int fp_mismatch; /* set by the verify callback */
  unsigned mtu, initial_timeout_us, max_retransmits, retransmits;
  usm__srtp_profile profile;
  size_t key_len, salt_len;
  uint8_t km[2 * (USM__SRTP_MAX_KEY_LEN + USM__SRTP_MAX_SALT_LEN)]; /* exported */
};

__attribute__((format(printf, 3, 4))) static void set_why(char *why, size_t cap, const char *fmt,
                                                          ...) {
  if (!why || cap == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, cap, fmt, ap);
  va_end(ap);
}

/* OpenSSL's first queued reason (the root cause), then an empty queue. */
static void openssl_reason(char *buf, size_t cap, const char *fallback) {
  unsigned long e = ERR_get_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  if (r) snprintf(buf, cap, "%s", r);
  else if (e) ERR_error_string_n(e, buf, cap);
  else snprintf(buf, cap, "%s", fallback);
  ERR_clear_error();
}

/* ---- the datagram-out BIO ---- */

static int bio_write(BIO *b, const char *data, int len) {
  usm__dtls *d = BIO_get_data(b);
  if (!d || len < 0) return -1;
  d->send(d->user, (const uint8_t *)data, (size_t)len);
  return len;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  (void)ptr;
  (void)num;
  switch (cmd) {
    case BIO_CTRL_FLUSH: return 1; /* every write already left */
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU: {
      usm__dtls *d = BIO_get_data(b);
      return d ? (long)d->mtu : USM__DTLS_MTU;
    }
    default: return 0; /* no pending bytes, no peer address, no MTU overhead */
  }
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static int bio_destroy(BIO *b) {
  BIO_set_data(b, NULL);
  return 1;
}

/* ---- verification: the peer is who its SDP fingerprint says ---- */

static int fingerprint_matches(const usm__dtls *d, X509 *x) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  return x && X509_digest(x, d->fp_md, md, &n) == 1 && n == d->fp_len &&
         CRYPTO_memcmp(md, d->fp, n) == 0;
}

/* Self-signed certificates are the norm (RFC 5763 5): no chain is checked.
 * The leaf's fingerprint is compared here, so an impostor's handshake is
 * aborted with a bad_certificate alert before any key is derived, and again
 * once the handshake is complete. */
static int verify_cb(int preverify_ok, X509_STORE_CTX *store) {
  (void)preverify_ok;
  if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
  SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
  usm__dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
  if (!d) return 0;
  if (!fingerprint_matches(d, X509_STORE_CTX_get_current_cert(store))) {
    d->fp_mismatch = 1;
    return 0;
  }
  return 1;
}

/* Retransmission timer (replaces OpenSSL's fixed 1 s start): doubling from
 * the configured start, capped at 60 s. */
static unsigned int timer_cb(SSL *ssl, unsigned int timer_us) {
  usm__dtls *d = SSL_get_app_data(ssl);
  unsigned start = d ? d->initial_timeout_us : DEFAULT_INITIAL_TIMEOUT_MS * 1000u;
  if (timer_us == 0) return start;
  return timer_us >= MAX_TIMEOUT_US / 2 ? MAX_TIMEOUT_US : timer_us * 2;
}

/* ---- context ---- */

usm_err usm__dtls_ctx_create(usm__dtls_ctx **out, char *why, size_t why_cap) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm__dtls_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return USM_ERR_NO_MEMORY;
  ctx->refs = 1;
  usm_err e = usm__dtls_cert_generate(&ctx->cert, why, why_cap);
  if (e != USM_OK) {
    free(ctx);
    return e;
  }
  ERR_clear_error();
  /* One SSL_CTX per client, never a shared or global one: its certificate
   * is the client's identity, and OpenSSL's context-wide settings (verify
   * callback, profiles) then belong to one owner only, as for Mercury's TLS
   * context (docs/mercury-connection.md). */
  ctx->ssl_ctx = SSL_CTX_new(DTLS_method());
  /* No BIO_get_new_index(): it hands out a process-wide number per call (and
   * runs out past 255 in some OpenSSL versions); nothing looks our BIO up by
   * type, so the plain source/sink type is enough. */
  ctx->bio_method = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "usm dtls out");
  SSL_CTX *s = ctx->ssl_ctx;
  if (!s || !ctx->bio_method || BIO_meth_set_write(ctx->bio_method, bio_write) != 1 ||
      BIO_meth_set_ctrl(ctx->bio_method, bio_ctrl) != 1 ||
      BIO_meth_set_create(ctx->bio_method, bio_create) != 1 ||
      BIO_meth_set_destroy(ctx->bio_method, bio_destroy) != 1 ||
      SSL_CTX_set_min_proto_version(s, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(s, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(s, CIPHERS) != 1 ||
      SSL_CTX_use_certificate(s, ctx->cert.x509) != 1 ||
      SSL_CTX_use_PrivateKey(s, ctx->cert.key) != 1 || SSL_CTX_check_private_key(s) != 1 ||
      SSL_CTX_set_tlsext_use_srtp(s, USM__DTLS_SRTP_PROFILES) != 0 /* 0 is success */) {
    char r[160];
    openssl_reason(r, sizeof r, "unknown");
    set_why(why, why_cap, "DTLS context setup failed: %s", r);
    ctx->refs = 0;
    usm__dtls_ctx_free(ctx);
    return USM_ERR_DTLS;
  }
  SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
  /* No tickets, no session cache, no renegotiation: every handshake is a
   * full one, so the fingerprint check always sees a certificate and the
   * SRTP keys never change under the sessions. Path MTU is ours to set. */
  SSL_CTX_set_options(s, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_QUERY_MTU);
  SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
  *out = ctx;
  return USM_OK;
}

static void ctx_unref(usm__dtls_ctx *ctx) {
  if (ctx->refs > 1) {
    ctx->refs--;
    return;
  }
  SSL_CTX_free(ctx->ssl_ctx);
  BIO_meth_free(ctx->bio_method);
  usm__dtls_cert_clear(&ctx->cert);
  free(ctx);
}

void usm__dtls_ctx_free(usm__dtls_ctx *ctx) {
  if (ctx) ctx_unref(ctx);
}

const char *usm__dtls_ctx_fingerprint(const usm__dtls_ctx *ctx) {
  return ctx ? ctx->cert.fingerprint : NULL;
}

/* ---- endpoint ---- */

usm_err usm__dtls_create(usm__dtls_ctx *ctx, const usm__dtls_config *cfg, usm__dtls **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  if (!ctx || !cfg || !cfg->send || !cfg->fingerprint ||
      (cfg->role != USM__DTLS_CLIENT && cfg->role != USM__DTLS_SERVER))
    return USM_ERR_INVALID_ARG;
  const EVP_MD *md = usm__fingerprint_md(cfg->fingerprint_alg);
  if (!md) return USM_ERR_SDP;
  usm__dtls *d = calloc(1, sizeof *d);
  if (!d) return USM_ERR_NO_MEMORY;
  d->fp_md = md;
  d->fp_len = (size_t)EVP_MD_get_size(md);
  if (usm__fingerprint_parse(cfg->fingerprint, d->fp, d->fp_len) != USM_OK) {
    free(d);
    return USM_ERR_SDP;
  }
  d->ctx = ctx;
  ctx->refs++;
  d->state = USM__DTLS_NEW;
  d->role = cfg->role;
  d->send = cfg->send;
  d->user = cfg->user;
  unsigned t = cfg->initial_timeout_ms ? cfg->initial_timeout_ms : DEFAULT_INITIAL_TIMEOUT_MS;
  if (t < MIN_INITIAL_TIMEOUT_MS) t = MIN_INITIAL_TIMEOUT_MS;
  d->initial_timeout_us = t >= MAX_TIMEOUT_US / 1000 ? MAX_TIMEOUT_US : t * 1000u;
  d->max_retransmits = cfg->max_retransmits ? cfg->max_retransmits : DEFAULT_MAX_RETRANSMITS;

  usm_err e = USM_ERR_NO_MEMORY;
  BIO *wbio = NULL;
  ERR_clear_error();
  d->ssl = SSL_new(ctx->ssl_ctx);
  d->rbio = BIO_new(BIO_s_mem());
  wbio = BIO_new(ctx->bio_method);
  if (!d->ssl || !d->rbio || !wbio) goto fail;
  BIO_set_mem_eof_return(d->rbio, -1); /* empty = "try again", not EOF */
  BIO_set_data(wbio, d);
  SSL_set_bio(d->ssl, d->rbio, wbio); /* ssl owns both now */
  wbio = NULL;
  SSL_set_app_data(d->ssl, d);
  e = USM_ERR_INVALID_ARG;
  if (cfg->srtp_profiles && SSL_set_tlsext_use_srtp(d->ssl, cfg->srtp_profiles) != 0) goto fail;
  d->mtu = cfg->mtu ? cfg->mtu : USM__DTLS_MTU;
  if (SSL_set_mtu(d->ssl, d->mtu) <= 0) goto fail; /* returns the MTU set, 0 if too small */
  DTLS_set_timer_cb(d->ssl, timer_cb);
  if (d->role == USM__DTLS_CLIENT) SSL_set_connect_state(d->ssl);
  else SSL_set_accept_state(d->ssl);
  *out = d;
  return USM_OK;
fail:
  ERR_clear_error();
  BIO_free(wbio);
  if (d->ssl) SSL_free(d->ssl);
  else BIO_free(d->rbio);
  d->ssl = NULL; /* before the unref, which may free the context */
  ctx_unref(ctx);
  free(d);
  return e;
}

void usm__dtls_destroy(usm__dtls *d) {
  if (!d) return;
  SSL_free(d->ssl); /* and both BIOs; SSL_free sends nothing */
  OPENSSL_cleanse(d->km, sizeof d->km);
  ctx_unref(d->ctx);
  free(d);
}

static usm_err fail_handshake(usm__dtls *d, char *why, size_t cap) {
  d->state = USM__DTLS_FAILED;
  if (d->fp_mismatch) {
    ERR_clear_error();
    set_why(why, cap, "the peer's DTLS certificate does not match its SDP fingerprint");
    return USM_ERR_FINGERPRINT_MISMATCH;
  }
  char r[160];
  openssl_reason(r, sizeof r, "connection failed");
  set_why(why, cap, "DTLS handshake failed: %s", r);
  return USM_ERR_DTLS;
}

static int map_profile(unsigned long id, usm__srtp_profile *p) {
  switch (id) {
    case SRTP_AES128_CM_SHA1_80: *p = USM__SRTP_AES128_CM_SHA1_80; return 1;
    case SRTP_AES128_CM_SHA1_32: *p = USM__SRTP_AES128_CM_SHA1_32; return 1;
    case SRTP_AEAD_AES_128_GCM: *p = USM__SRTP_AEAD_AES_128_GCM; return 1;
    default: return 0;
  }
}

/* The handshake finished: check the profile and the peer, export the keys. */
static usm_err connected(usm__dtls *d, char *why, size_t cap) {
  SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
  if (!p || !map_profile(p->id, &d->profile)) {
    d->state = USM__DTLS_FAILED;
    set_why(why, cap, "DTLS handshake failed: the peer negotiated no usable SRTP profile");
    return USM_ERR_DTLS;
  }
  if (!fingerprint_matches(d, SSL_get0_peer_certificate(d->ssl))) {
    d->fp_mismatch = 1;
    return fail_handshake(d, why, cap);
  }
  usm__srtp_profile_lengths(d->profile, &d->key_len, &d->salt_len);
  size_t total = 2 * (d->key_len + d->salt_len);
  if (SSL_export_keying_material(d->ssl, d->km, total, EXPORTER_LABEL, strlen(EXPORTER_LABEL),
                                 NULL, 0, 0) != 1)
    return fail_handshake(d, why, cap);
  d->state = USM__DTLS_CONNECTED;
  return USM_OK;
}

/* Let OpenSSL process what is in the read BIO. */
static usm_err drive(usm__dtls *d, char *why, size_t cap) {
  ERR_clear_error();
  if (d->state == USM__DTLS_HANDSHAKING) {
    int r = SSL_do_handshake(d->ssl);
    if (r == 1) return connected(d, why, cap);
    int err = SSL_get_error(d->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return USM_OK;
    return fail_handshake(d, why, cap);
  }
  /* Connected: a retransmitted flight of the peer is answered inside
   * SSL_read; application data is not used by DTLS-SRTP and is dropped. */
  unsigned char buf[2048];
  for (;;) {
    int n = SSL_read(d->ssl, buf, (int)sizeof buf);
    if (n > 0) continue;
    int err = SSL_get_error(d->ssl, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return USM_OK;
    if (err == SSL_ERROR_ZERO_RETURN) { /* close_notify */
      ERR_clear_error();
      d->state = USM__DTLS_CLOSED;
      return USM_OK;
    }
    d->state = USM__DTLS_FAILED;
    char r[160];
    openssl_reason(r, sizeof r, "connection failed");
    set_why(why, cap, "DTLS connection failed: %s", r);
    return USM_ERR_DTLS;
  }
}

usm_err usm__dtls_start(usm__dtls *d, char *why, size_t why_cap) {
  if (!d) return USM_ERR_INVALID_ARG;
  if (d->state != USM__DTLS_NEW) return USM_ERR_WRONG_STATE;
  d->state = USM__DTLS_HANDSHAKING;
  return drive(d, why, why_cap);
}

usm_err usm__dtls_feed(usm__dtls *d, const uint8_t *data, size_t len, char *why, size_t why_cap) {
  if (!d || (!data && len)) return USM_ERR_INVALID_ARG;
  if (d->state == USM__DTLS_CLOSED) return USM_OK; /* late records after close */
  if (d->state != USM__DTLS_HANDSHAKING && d->state != USM__DTLS_CONNECTED)
    return USM_ERR_WRONG_STATE;
  if (len > USM__DTLS_MAX_DATAGRAM) return USM_ERR_LIMIT;
  /* RFC 7983: DTLS records start with a content type in 20..63; a record
   * header is 13 bytes. Anything else never reaches OpenSSL. */
  if (len < 13 || data[0] < 20 || data[0] > 63) return USM_ERR_MALFORMED;
  (void)BIO_reset(d->rbio); /* one datagram at a time, never leftovers */
  if (BIO_write(d->rbio, data, (int)len) != (int)len) {
    ERR_clear_error();
    return USM_ERR_NO_MEMORY;
  }
  usm_err e = drive(d, why, why_cap);
  (void)BIO_reset(d->rbio);
  return e;
}

long usm__dtls_timeout_ms(usm__dtls *d) {
  if (!d || (d->state != USM__DTLS_HANDSHAKING && d->state != USM__DTLS_CONNECTED)) return -1;
  struct timeval tv;
  if (DTLSv1_get_timeout(d->ssl, &tv) != 1) return -1;
  return (long)tv.tv_sec * 1000 + (long)(tv.tv_usec + 999) / 1000;
}

usm_err usm__dtls_handle_timeout(usm__dtls *d, char *why, size_t why_cap) {
  if (!d) return USM_ERR_INVALID_ARG;
  if (usm__dtls_timeout_ms(d) != 0) return USM_OK; /* none, or not due yet */
  if (d->state == USM__DTLS_HANDSHAKING && d->retransmits >= d->max_retransmits) {
    d->state = USM__DTLS_FAILED;
    set_why(why, why_cap, "DTLS handshake timed out (%u retransmissions unanswered)",
            d->retransmits);
    return USM_ERR_DTLS;
  }
  ERR_clear_error();
  int r = DTLSv1_handle_timeout(d->ssl);
  if (r < 0) return fail_handshake(d, why, why_cap);
  if (r > 0) d->retransmits++;
  return USM_OK;
}

usm__dtls_state usm__dtls_get_state(const usm__dtls *d) {
  return d ? d->state : USM__DTLS_FAILED;
}

usm_err usm__dtls_profile(const usm__dtls *d, usm__srtp_profile *profile) {
  if (!d || !profile) return USM_ERR_INVALID_ARG;
  if (d->state != USM__DTLS_CONNECTED) return USM_ERR_WRONG_STATE;
  *profile = d->profile;
  return USM_OK;
}

usm_err usm__dtls_srtp_sessions(usm__dtls *d, usm__srtp_session **inbound,
                                usm__srtp_session **outbound) {
  if (!d || !inbound || !outbound) return USM_ERR_INVALID_ARG;
  *inbound = *outbound = NULL;
  if (d->state != USM__DTLS_CONNECTED) return USM_ERR_WRONG_STATE;
  /* RFC 5764 4.2: client_write_key | server_write_key | client_write_salt |
   * server_write_salt. The client sends with the client's keys. */
  size_t k = d->key_len, s = d->salt_len;
  const uint8_t *client_key = d->km, *server_key = d->km + k;
  const uint8_t *client_salt = d->km + 2 * k, *server_salt = d->km + 2 * k + s;
  int client = d->role == USM__DTLS_CLIENT;
  usm_err e = usm__srtp_session_create(outbound, USM__SRTP_OUTBOUND, d->profile,
                                       client ? client_key : server_key, k,
                                       client ? client_salt : server_salt, s);
  if (e != USM_OK) return e;
  e = usm__srtp_session_create(inbound, USM__SRTP_INBOUND, d->profile,
                               client ? server_key : client_key, k,
                               client ? server_salt : client_salt, s);
  if (e != USM_OK) {
    usm__srtp_session_destroy(*outbound);
    *outbound = NULL;
  }
  return e;
}

usm_err usm__dtls_shutdown(usm__dtls *d) {
  if (!d) return USM_ERR_INVALID_ARG;
  if (d->state == USM__DTLS_CONNECTED) {
    ERR_clear_error();
    (void)SSL_shutdown(d->ssl); /* sends close_notify; no wait for the peer's */
    ERR_clear_error();
  }
  if (d->state != USM__DTLS_FAILED) d->state = USM__DTLS_CLOSED;
  return USM_OK;
}
