/* Users, spaces and settings of the local cloud: from a JSON file, or
 * the built-in demo world when none is given. */
#ifndef USM_CLOUD_CONFIG_H
#define USM_CLOUD_CONFIG_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "store.h"

#define CLOUD_MAX_CONFIG_BYTES (4u << 20)

/* Loads @p path (NULL: the demo config) into @p s. 0, or -1 with a message
 * on stderr. */
int cloud_config_load(cloud_store *s, const char *path);
/* Loads an already parsed config object. 0, or -1 with the reason in @p err. */
int cloud_config_apply(cloud_store *s, const cJSON *root, char *err, size_t errlen);
/* Adds one user of the config shape {"email","name","licensed","token",
 * "type","expires"}. The user, or NULL with the reason in @p err. */
cloud_user *cloud_config_add_user(cloud_store *s, const cJSON *u, char *err, size_t errlen);

#endif
