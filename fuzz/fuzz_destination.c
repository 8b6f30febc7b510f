/* libFuzzer target for usm_destination_parse, the type-name helpers and the
 * Hydra decoder. Any broken invariant aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <usm/destination.h>

#include "core/hydra.h"

static int is_nul_terminated(const char *s, size_t cap) { return memchr(s, '\0', cap) != NULL; }

static int untouched(const usm_destination *d) {
  const unsigned char *p = (const unsigned char *)d;
  for (size_t i = 0; i < sizeof *d; i++)
    if (p[i] != 0x5a) return 0;
  return 1;
}

/* Checks one call and returns its result. */
static usm_err check_parse(const char *in, int hint, usm_destination *d) {
  memset(d, 0x5a, sizeof *d);
  usm_err err = usm_destination_parse(in, (usm_dest_type)hint, d);
  if (hint < USM_DEST_AUTO || hint > USM_DEST_PERSONAL_ROOM) {
    if (err != USM_ERR_INVALID_ARG) abort();
  }
  switch (err) {
  case USM_OK:
    break;
  case USM_ERR_INVALID_ARG:
  case USM_ERR_INVALID_DESTINATION:
  case USM_ERR_LIMIT:
  case USM_ERR_SPACE_ID_DEPRECATED:
    if (!untouched(d)) abort(); /* documented: untouched on failure */
    return err;
  default:
    abort();
  }
  if (d->type == USM_DEST_AUTO || (int)d->type < 0 || (int)d->type > USM_DEST_PERSONAL_ROOM)
    abort();
  if (hint != USM_DEST_AUTO && (int)d->type != hint) abort();
  if (!is_nul_terminated(d->value, sizeof d->value)) abort();
  if (!is_nul_terminated(d->cluster, sizeof d->cluster)) abort();
  if (d->flags & ~(USM_DEST_F_PHONE | USM_DEST_F_EMAIL | USM_DEST_F_UUID)) abort();
  size_t len = strlen(d->value);
  if (len == 0 && d->type != USM_DEST_PERSONAL_ROOM) abort();
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)d->value[i];
    if (c < 0x20 || c == 0x7f) abort();
    if (c == ' ' && (i == 0 || i + 1 == len)) abort(); /* trimmed */
    if (d->type == USM_DEST_MEETING_NUMBER && (c < '0' || c > '9')) abort();
  }
  if (d->flags & USM_DEST_F_UUID) {
    if (!usm__uuid_valid(d->value, len)) abort();
    for (size_t i = 0; i < len; i++)
      if (d->value[i] >= 'A' && d->value[i] <= 'F') abort();
  }
  if (d->cluster[0] && !(d->flags & USM_DEST_F_UUID)) abort();
  if ((d->flags & USM_DEST_F_PHONE) && d->type != USM_DEST_SIP_URI) abort();
  if ((d->flags & USM_DEST_F_EMAIL) && !strchr(d->value, '@')) abort();
  usm_dest_type back;
  if (usm_dest_type_from_name(usm_dest_type_name(d->type), &back) != USM_OK || back != d->type)
    abort();
  return err;
}

static int hint_independent(usm_err err) {
  return err == USM_ERR_SPACE_ID_DEPRECATED || err == USM_ERR_LIMIT || err == USM_ERR_INVALID_ARG;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *in = malloc(size + 1);
  if (!in) return 0;
  if (size) memcpy(in, data, size);
  in[size] = '\0';
  usm_destination *d = malloc(sizeof *d);
  if (!d) {
    free(in);
    return 0;
  }

  usm_err first = check_parse(in, USM_DEST_AUTO, d);
  for (int hint = USM_DEST_MEETING_NUMBER; hint <= USM_DEST_PERSONAL_ROOM; hint++) {
    usm_err err = check_parse(in, hint, d);
    /* Spaces, over-long input and control bytes are refused whatever the hint. */
    if ((hint_independent(first) || hint_independent(err)) && err != first) abort();
  }
  (void)check_parse(in, USM_DEST_PERSONAL_ROOM + 1, d);
  (void)check_parse(in, -1, d);

  usm_dest_type t;
  if (usm_dest_type_from_name(in, &t) == USM_OK &&
      ((int)t < USM_DEST_AUTO || (int)t > USM_DEST_PERSONAL_ROOM))
    abort();

  usm__hydra_id id;
  if (usm__hydra_decode(in, size, &id) == 0) {
    if (!is_nul_terminated(id.cluster, sizeof id.cluster) ||
        !is_nul_terminated(id.type, sizeof id.type) || !is_nul_terminated(id.id, sizeof id.id))
      abort();
    char enc[USM__HYDRA_MAX + 1];
    (void)usm__hydra_encode(id.cluster, id.type, id.id, enc, sizeof enc);
  }
  free(d);
  free(in);
  return 0;
}
