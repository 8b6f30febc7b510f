/* A DTLS-SRTP server endpoint fed arbitrary datagrams. The input is a list
 * of datagrams, each preceded by a 2-byte big-endian length. Whatever the
 * bytes, feed returns one of its documented codes and never crashes; the
 * endpoint can never reach CONNECTED without a peer that holds the key of
 * the certificate whose fingerprint it expects. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/dtls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_send(void *user, const uint8_t *d, size_t n) {
  (void)user;
  (void)d;
  if (n == 0 || n > 16384 + 64) abort();
}

/* One context for the run: certificate generation is slow. */
static usm__dtls_ctx *ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx && usm__dtls_ctx_create(&ctx, NULL, 0) != USM_OK) abort();
  usm__dtls_config cfg = {.role = (size && (data[0] & 1)) ? USM__DTLS_CLIENT : USM__DTLS_SERVER,
                          .fingerprint_alg = "sha-256",
                          .fingerprint = usm__dtls_ctx_fingerprint(ctx),
                          .send = on_send};
  usm__dtls *d = NULL;
  if (usm__dtls_create(ctx, &cfg, &d) != USM_OK) abort();
  char why[128];
  usm__dtls_start(d, why, sizeof why);
  size_t off = size ? 1 : 0;
  while (off + 2 <= size) {
    size_t n = (size_t)data[off] << 8 | data[off + 1];
    off += 2;
    if (n > size - off) n = size - off;
    usm_err e = usm__dtls_feed(d, data + off, n, why, sizeof why);
    if (e != USM_OK && e != USM_ERR_MALFORMED && e != USM_ERR_DTLS && e != USM_ERR_WRONG_STATE &&
        e != USM_ERR_FINGERPRINT_MISMATCH && e != USM_ERR_LIMIT)
      abort();
    off += n;
  }
  if (usm__dtls_get_state(d) == USM__DTLS_CONNECTED) abort();
  usm__dtls_shutdown(d);
  usm__dtls_destroy(d);
  return 0;
}
