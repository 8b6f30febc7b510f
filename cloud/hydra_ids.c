#include "hydra_ids.h"

#include <stdio.h>
#include <string.h>

#include "core/hydra.h"

void cloud_hydra_encode(const char *type, const char *uuid, char out[CLOUD_HYDRA_SIZE]) {
  if (usm__hydra_encode("us", type, uuid, out, CLOUD_HYDRA_SIZE) < 0) out[0] = '\0';
}

int cloud_hydra_decode(const char *type, const char *id, char uuid[37]) {
  if (!id) return -1;
  size_t n = strlen(id);
  usm__hydra_id h;
  if (usm__uuid_valid(id, n)) {
    memcpy(uuid, id, 37);
    return 0;
  }
  if (usm__hydra_decode(id, n, &h) != 0 || strcmp(h.type, type) != 0 ||
      !usm__uuid_valid(h.id, strlen(h.id)))
    return -1;
  memcpy(uuid, h.id, 37);
  return 0;
}
