/* Routes: method + path pattern ("/v1/meetings/{id}") -> handler. */
#ifndef USM_CLOUD_ROUTER_H
#define USM_CLOUD_ROUTER_H

#include "http.h"

typedef struct cloud_app cloud_app;
typedef void (*cloud_handler)(cloud_app *app, cloud_req *q, cloud_resp *r);

enum {
  CLOUD_ROUTE_NO_AUTH = 1 /* served without an access token */
};

typedef struct cloud_route {
  cloud_method method;
  const char *pattern; /* NULL ends a table */
  cloud_handler handler;
  int flags;
} cloud_route;

/*
 * Finds the route of @p q in the NULL-pattern-terminated tables. Each
 * "{name}" segment matches one non-empty segment, copied into q->params in
 * order. Returns the route, or NULL with *status 404 (no such path) or 405
 * (path known, method not).
 */
const cloud_route *cloud_route_find(const cloud_route *const *tables, size_t ntables, cloud_req *q,
                                    int *status);

#endif
