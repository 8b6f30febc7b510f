/* Hydra ids of the public REST API: base64url("ciscospark://us/<TYPE>/<uuid>"). */
#ifndef USM_CLOUD_HYDRA_IDS_H
#define USM_CLOUD_HYDRA_IDS_H

#include <stddef.h>

#define CLOUD_HYDRA_SIZE 128

/* Encodes @p uuid as a Hydra id of @p type ("PEOPLE", "ORGANIZATION", "ROOM"). */
void cloud_hydra_encode(const char *type, const char *uuid, char out[CLOUD_HYDRA_SIZE]);
/* The UUID inside Hydra id @p id of @p type (a bare UUID is accepted too),
 * or -1 when @p id is neither. */
int cloud_hydra_decode(const char *type, const char *id, char uuid[37]);

#endif
