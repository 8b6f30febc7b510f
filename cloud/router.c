#include "router.h"

#include <string.h>

/* Length of the segment starting at @p s (up to '/' or the end). */
static size_t seg_len(const char *s) { return strcspn(s, "/"); }

/* Matches @p path against @p pattern, filling q->params; 1 on a match. */
static int match(const char *pattern, const char *path, size_t path_len, cloud_req *q) {
  size_t used = 0;
  q->nparams = 0;
  const char *pe = path + path_len;
  while (*pattern && path < pe) {
    if (*pattern != '/' || *path != '/') return 0;
    pattern++, path++;
    size_t pl = seg_len(pattern), sl = (size_t)(pe - path);
    const char *slash = memchr(path, '/', sl);
    if (slash) sl = (size_t)(slash - path);
    if (pl >= 2 && pattern[0] == '{' && pattern[pl - 1] == '}') {
      if (sl == 0 || q->nparams == CLOUD_MAX_PARAMS || used + sl + 1 > sizeof q->param_buf)
        return 0;
      memcpy(q->param_buf + used, path, sl);
      q->param_buf[used + sl] = '\0';
      q->params[q->nparams++] = q->param_buf + used;
      used += sl + 1;
    } else if (pl != sl || memcmp(pattern, path, sl) != 0) {
      return 0;
    }
    pattern += pl;
    path += sl;
  }
  return !*pattern && path == pe;
}

const cloud_route *cloud_route_find(const cloud_route *const *tables, size_t ntables, cloud_req *q,
                                    int *status) {
  size_t len = q->path ? strlen(q->path) : 0;
  /* "/v1/meetings/" is "/v1/meetings". */
  if (len > 1 && q->path[len - 1] == '/') len--;
  int path_known = 0;
  for (size_t t = 0; t < ntables; t++) {
    for (const cloud_route *r = tables[t]; r->pattern; r++) {
      if (!match(r->pattern, q->path ? q->path : "", len, q)) continue;
      if (r->method == q->method) return r;
      path_known = 1;
    }
  }
  q->nparams = 0;
  *status = path_known ? 405 : 404;
  return NULL;
}
