/* Device registration with WDM: POST {wdm}/devices once per client, on the
 * first meeting that needs it (after service discovery). Internal. */
#ifndef USM_MEETING_DEVICE_H
#define USM_MEETING_DEVICE_H

#include <cjson/cJSON.h>
#include <usm/client.h>

#include "rest/lazy.h"

typedef struct usm__device_info {
  char *url;      /* the device URL: Locus knows our device by it */
  char *ws_url;   /* Mercury (issue 4) */
  char *user_id;  /* the user's UUID (personal room of oneself) */
  char *org_id;
} usm__device_info;

/* The registration body (contract §2). Free with cJSON_free; NULL: out of memory. */
char *usm__device_body(void);
/* Fields of a registration answer; USM_ERR_BAD_RESPONSE without a usable url. */
usm_err usm__device_parse(const cJSON *root, usm__device_info *out);
void usm__device_info_free(usm__device_info *d);

/* Like usm__discovery_wait, for a registered device. */
usm_err usm__device_wait(usm_client *c, usm__ready_fn fn, void (*free_fn)(void *), void *ctx,
                         usm__waiter **w, int *ready);
/* The registered device, or NULL. */
const usm__device_info *usm__device(const usm_client *c);
void usm__device_free(usm_client *c);

#endif
