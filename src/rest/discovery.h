/* Service discovery (U2C): GET {discovery_url}/catalog?format=hostmap, once
 * per client, on first use, cached; every URL of the join flow (hydra, wdm,
 * locus, webex-appapi-service) comes from it. Internal. */
#ifndef USM_REST_DISCOVERY_H
#define USM_REST_DISCOVERY_H

#include <cjson/cJSON.h>
#include <usm/client.h>

#include "rest/lazy.h"

/* Largest catalog accepted (real ones are tens of KiB) and the bounds on
 * what is kept from it. */
#define USM__CATALOG_MAX_BYTES ((size_t)1 << 20)
#define USM__CATALOG_MAX_SERVICES 256
#define USM__SERVICE_NAME_MAX 64
#define USM__SERVICE_URL_MAX 2048

typedef struct usm__service {
  char *name;
  char *url; /* no trailing '/' */
} usm__service;

typedef struct usm__catalog {
  usm__service *items;
  size_t count;
} usm__catalog;

/*
 * serviceLinks of a hostmap catalog. Links that are not strings, too long,
 * or not https:// (or http:// to loopback) are skipped, so a catalog can
 * never send the token somewhere insecure.
 * @return USM_OK (maybe with count 0), USM_ERR_BAD_RESPONSE when there is
 *   no serviceLinks object, USM_ERR_NO_MEMORY.
 */
usm_err usm__catalog_parse(const cJSON *root, usm__catalog *out);
void usm__catalog_free(usm__catalog *cat);
const char *usm__catalog_url(const usm__catalog *cat, const char *name);

/*
 * Call @p fn once the catalog is known (then *ready = 1 and nothing is
 * queued: go on at once) or has failed. See lazy.h for @p free_fn and @p w.
 * @return USM_OK or USM_ERR_NO_MEMORY (nothing queued).
 */
usm_err usm__discovery_wait(usm_client *c, usm__ready_fn fn, void (*free_fn)(void *), void *ctx,
                            usm__waiter **w, int *ready);

/* The URL of service @p name, or NULL (not discovered yet, or absent). */
const char *usm__service_url(const usm_client *c, const char *name);

/* The base of the public REST API: api_url when set, else the discovered
 * hydra service, else NULL (discovery needed first). */
const char *usm__api_base(const usm_client *c);

/* A service that must be present: its URL, or NULL with the reason written
 * to @p why (size @p cap) when the catalog has no usable URL for it. */
const char *usm__service_need(const usm_client *c, const char *name, char *why, size_t cap);

void usm__discovery_free(usm_client *c);

#endif
