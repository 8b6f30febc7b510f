#include "paging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "rest/url.h"

#define MAX_CURSOR 1000000L

static int number(const char *s, long lo, long hi, size_t *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < lo || v > hi) return -1;
  *out = (size_t)v;
  return 0;
}

int cloud_page_parse(const cloud_req *q, size_t def_max, size_t *max, size_t *offset) {
  const char *m = cloud_req_arg(q, "max"), *c = cloud_req_arg(q, "cursor");
  *max = def_max;
  *offset = 0;
  if (m && number(m, 1, 100, max) != 0) return -1;
  if (c && number(c, 0, MAX_CURSOR, offset) != 0) return -1;
  return 0;
}

void cloud_page_link(const cloud_app *app, const cloud_req *q, cloud_resp *r, size_t next) {
  usm_strbuf b;
  usm__strbuf_init(&b, 3000);
  char cursor[24];
  snprintf(cursor, sizeof cursor, "%zu", next);
  int rc = usm__strbuf_printf(&b, "<%s%s", app->base, q->path);
  for (size_t i = 0; rc == 0 && i < q->nargs; i++) {
    const char *name = q->args[i].name;
    /* Filter names are plain words; anything else is dropped, not echoed. */
    if (strcmp(name, "cursor") == 0 || !name[0] ||
        name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")])
      continue;
    rc = usm__url_add_query(&b, name, q->args[i].value);
  }
  if (rc == 0) rc = usm__url_add_query(&b, "cursor", cursor);
  if (rc == 0) rc = usm__strbuf_printf(&b, ">; rel=\"next\"");
  if (rc == 0) {
    free(r->link);
    r->link = b.data; /* ownership moves to the response */
    b.data = NULL;
  }
  usm__strbuf_free(&b);
}
