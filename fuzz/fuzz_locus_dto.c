/* The Locus DTO parser and the roster diff on arbitrary bytes. The input is
 * one DTO (bare or as {"locus": DTO}), or two separated by a NUL byte: the
 * second is then diffed against the first, as when a poll answer replaces
 * the last DTO. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meeting/locus_dto.h"
#include "meeting/roster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEVICE "https://wdm.example.com/wdm/api/v1/devices/d1"

static void check(const usm__locus *l) {
  if (!l->url || l->n_roster > USM__LOCUS_MAX_PARTICIPANTS) abort();
  for (size_t i = 0; i < l->n_roster; i++) {
    const usm__lpart *p = &l->roster[i];
    /* the roster holds the joined and the waiting only */
    if (!p->id || (p->state != USM__P_JOINED && !p->in_lobby)) abort();
    usm_participant v;
    usm__lpart_view(p, &v);
    if (v.id != p->id || v.audio_muted < -1 || v.audio_muted > 1) abort();
  }
  if (l->self_waiting && (!l->has_self || l->self.state != USM__P_IDLE)) abort();
  if (l->keepalive_url && !l->self_waiting) abort();
  const usm__lpart *h = usm__roster_host(l);
  if (h && !h->is_host) abort();
}

static int count(void *ctx, usm_roster_change change, const usm__lpart *p, const usm__lpart *was) {
  (void)was;
  if (!p || !p->id || change < USM_ROSTER_JOINED || change > USM_ROSTER_CHANGED) abort();
  ((size_t *)ctx)[change]++;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  const char *nul = memchr(text, '\0', size);
  size_t first = nul ? (size_t)(nul - text) : size;
  usm__locus a, b;
  if (usm__locus_parse_text(text, first, DEVICE, &a) != USM_OK) return 0;
  check(&a);
  size_t n[4] = {0};
  usm__roster_diff(NULL, &a, count, n);
  if (n[USM_ROSTER_JOINED] != a.n_roster || n[USM_ROSTER_LEFT] || n[USM_ROSTER_CHANGED]) abort();
  memset(n, 0, sizeof n);
  usm__roster_diff(&a, &a, count, n);
  if (n[USM_ROSTER_LEFT] || n[USM_ROSTER_JOINED] > 0) abort(); /* duplicates may only "change" */
  if (nul && usm__locus_parse_text(nul + 1, size - first - 1, DEVICE, &b) == USM_OK) {
    check(&b);
    memset(n, 0, sizeof n);
    usm__roster_diff(&a, &b, count, n);
    if (n[USM_ROSTER_JOINED] > b.n_roster || n[USM_ROSTER_LEFT] > a.n_roster) abort();
    (void)usm__locus_newer(&a, &b);
    usm__locus_free(&b);
  }
  usm__locus_free(&a);
  return 0;
}
