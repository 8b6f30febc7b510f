/* Pagination of list responses: "max" and an opaque "cursor" in the query,
 * and an RFC 5988 Link header (rel="next") to the following page. */
#ifndef USM_CLOUD_PAGING_H
#define USM_CLOUD_PAGING_H

#include <stddef.h>

#include "app.h"

/* Reads max (default @p def_max, 1..100) and cursor. 0, or -1 when one is
 * not a valid number. */
int cloud_page_parse(const cloud_req *q, size_t def_max, size_t *max, size_t *offset);
/* Points r->link at the page starting at @p next (same filters and max). */
void cloud_page_link(const cloud_app *app, const cloud_req *q, cloud_resp *r, size_t next);

#endif
