/* ICE candidate attribute parsing on arbitrary text. A candidate that
 * parses must format, and the formatted text must parse back to the same
 * candidate; its priorities and foundation are computed too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/ice_candidate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  usm__ice_candidate c, c2;
  usm_err e = usm__ice_candidate_parse((const char *)data, size, &c);
  if (e != USM_OK) {
    if (e != USM_ERR_MALFORMED && e != USM_ERR_LIMIT) abort();
    return 0;
  }
  static char out[4 * USM__ICE_CANDIDATE_MAX];
  size_t n = 0;
  if (usm__ice_candidate_format(&c, out, sizeof out, &n) != USM_OK) abort();
  if (n != strlen(out)) abort();
  if (usm__ice_candidate_parse(out, n, &c2) != USM_OK) abort();
  if (memcmp(&c, &c2, sizeof c) != 0) abort();
  /* a buffer one short must fail cleanly */
  if (usm__ice_candidate_format(&c, out, n, &n) != USM_ERR_LIMIT) abort();
  uint32_t prio = usm__ice_priority(usm__ice_type_preference(c.type),
                                    usm__ice_tcp_local_preference(c.type, c.tcptype, c.priority & 8191),
                                    c.component);
  if (usm__ice_pair_priority(1, prio, c.priority) != usm__ice_pair_priority(0, c.priority, prio))
    abort();
  char f[9];
  if (usm__ice_foundation(c.type, &c.addr, c.has_related ? &c.related : NULL, c.transport, f) !=
      USM_OK)
    abort();
  return 0;
}
