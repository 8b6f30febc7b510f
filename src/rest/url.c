#include "rest/url.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct parsed {
  char *scheme, *host, *port;
} parsed;

static void parsed_free(parsed *p) {
  curl_free(p->scheme);
  curl_free(p->host);
  curl_free(p->port);
}

/* Parse with libcurl's own URL parser so we judge the URL exactly as curl
 * will use it (no second parser to disagree with). */
static int parse(const char *url, parsed *p) {
  memset(p, 0, sizeof *p);
  CURLU *u = curl_url();
  if (!u) return -1;
  int ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
           curl_url_get(u, CURLUPART_SCHEME, &p->scheme, 0) == CURLUE_OK &&
           curl_url_get(u, CURLUPART_HOST, &p->host, 0) == CURLUE_OK;
  if (ok) curl_url_get(u, CURLUPART_PORT, &p->port, CURLU_DEFAULT_PORT);
  curl_url_cleanup(u);
  if (!ok) {
    parsed_free(p);
    return -1;
  }
  return 0;
}

static int is_loopback(const char *host) {
  if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0) return 1;
  /* 127.0.0.0/8, written as a dotted quad */
  if (strncmp(host, "127.", 4) != 0) return 0;
  int dots = 0;
  for (const char *p = host; *p; p++) {
    if (*p == '.')
      dots++;
    else if (*p < '0' || *p > '9')
      return 0;
  }
  return dots == 3;
}

usm_err usm__url_check(const char *url) {
  if (!url || !*url) return USM_ERR_INVALID_ARG;
  /* Judge the scheme first: file:///x has no host but is refused as insecure. */
  if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0)
    return strstr(url, "://") ? USM_ERR_INSECURE_URL : USM_ERR_INVALID_ARG;
  parsed p;
  if (parse(url, &p) != 0) return USM_ERR_INVALID_ARG;
  usm_err e = USM_OK;
  if (strcasecmp(p.scheme, "https") == 0)
    e = USM_OK;
  else if (strcasecmp(p.scheme, "http") == 0)
    e = is_loopback(p.host) ? USM_OK : USM_ERR_INSECURE_URL;
  else
    e = USM_ERR_INSECURE_URL;
  parsed_free(&p);
  return e;
}

int usm__url_same_origin(const char *a, const char *b) {
  parsed pa, pb;
  if (parse(a, &pa) != 0) return 0;
  if (parse(b, &pb) != 0) {
    parsed_free(&pa);
    return 0;
  }
  int same = strcasecmp(pa.scheme, pb.scheme) == 0 && strcasecmp(pa.host, pb.host) == 0 &&
             pa.port && pb.port && strcmp(pa.port, pb.port) == 0;
  parsed_free(&pa);
  parsed_free(&pb);
  return same;
}

int usm__url_host(const char *url, char *out, size_t cap) {
  CURLU *u = curl_url();
  char *host = NULL, *port = NULL;
  int rc = -1;
  if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
    curl_url_get(u, CURLUPART_PORT, &port, 0); /* absent when it is the default */
    int n = port ? snprintf(out, cap, "%s:%s", host, port) : snprintf(out, cap, "%s", host);
    rc = n >= 0 && (size_t)n < cap ? 0 : -1;
  }
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return rc;
}

int usm__url_append_escaped(usm_strbuf *out, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char ch = *p;
    int plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                ch == '-' || ch == '.' || ch == '_' || ch == '~';
    if (plain) {
      if (usm__strbuf_append(out, p, 1) != 0) return -1;
    } else {
      char enc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
      if (usm__strbuf_append(out, enc, 3) != 0) return -1;
    }
  }
  return 0;
}

int usm__url_add_query(usm_strbuf *out, const char *key, const char *value) {
  if (!value) return 0;
  const char *sep = memchr(out->data ? out->data : "", '?', out->len) ? "&" : "?";
  if (usm__strbuf_printf(out, "%s%s=", sep, key) != 0) return -1;
  return usm__url_append_escaped(out, value);
}
