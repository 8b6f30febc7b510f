/* SDP model: bounded line parser, CRLF serializer and model comparison
 * (RFC 8866 syntax; the attributes of RFC 8839 ICE, 8842 DTLS setup, 8122
 * fingerprint, 4568 SDES, 8285 extmap, 5576 ssrc, 8843 BUNDLE, 4585 rtcp-fb).
 * Typed attributes are validated; anything else is kept verbatim. */
#include "media/sdp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/decimal.h"
#include "core/strbuf.h"

/* ---- arena: every string of a session lives here, freed at once ---- */

struct usm__sdp_arena {
  struct usm__sdp_arena *next;
  size_t used, cap;
  max_align_t data[];
};

#define ARENA_BLOCK ((size_t)32768)

static void *arena_alloc(usm__sdp_session *s, size_t n) {
  size_t a = sizeof(max_align_t);
  n = (n + a - 1) / a * a;
  usm__sdp_arena *b = s->arena;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
    b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->next = s->arena;
    b->used = 0;
    b->cap = cap;
    s->arena = b;
  }
  void *p = (char *)b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

void usm__sdp_free(usm__sdp_session *s) {
  if (!s) return;
  usm__sdp_arena *b = s->arena;
  while (b) {
    usm__sdp_arena *next = b->next;
    free(b);
    b = next;
  }
  free(s);
}

/* ---- spans and tokens ---- */

typedef struct span {
  const char *p;
  size_t n;
} span;

static int span_eq(span a, const char *lit) {
  size_t n = strlen(lit);
  return a.n == n && memcmp(a.p, lit, n) == 0;
}

static void skip_sp(span *r) {
  while (r->n && r->p[0] == ' ') {
    r->p++;
    r->n--;
  }
}

/* Next space-separated token; 0 when none is left. */
static int next_tok(span *rest, span *tok) {
  skip_sp(rest);
  if (!rest->n) return 0;
  size_t i = 0;
  while (i < rest->n && rest->p[i] != ' ') i++;
  tok->p = rest->p;
  tok->n = i;
  rest->p += i;
  rest->n -= i;
  return 1;
}

/* Decimal digits only (1..10), value <= max. */
static int parse_uint(span t, uint32_t max, uint32_t *out) {
  uint64_t v;
  if (t.n > 10 || !usm__decimal(t.p, t.n, max, &v)) return 0;
  *out = (uint32_t)v;
  return 1;
}

/* ---- parse context ---- */

typedef struct ctx {
  usm__sdp_session *s;
  char *err;
  size_t errlen;
  unsigned line;
} ctx;

__attribute__((format(printf, 3, 4))) static usm_err fail(ctx *c, usm_err e, const char *fmt, ...) {
  if (c->err && c->errlen) {
    int n = snprintf(c->err, c->errlen, "line %u: ", c->line);
    if (n >= 0 && (size_t)n < c->errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return e;
}

#define NOMEM(c) fail((c), USM_ERR_NO_MEMORY, "out of memory")

static const char *dup_span(ctx *c, span v) {
  char *p = arena_alloc(c->s, v.n + 1);
  if (!p) return NULL;
  if (v.n) memcpy(p, v.p, v.n);
  p[v.n] = '\0';
  return p;
}

/* A single token (no spaces) of 1..USM__SDP_MAX_TOKEN bytes, stored once. */
static usm_err set_token(ctx *c, const char **field, span v, const char *what) {
  if (*field) return fail(c, USM_ERR_SDP, "duplicate a=%s", what);
  if (v.n == 0 || memchr(v.p, ' ', v.n)) return fail(c, USM_ERR_SDP, "bad a=%s value", what);
  if (v.n > USM__SDP_MAX_TOKEN) return fail(c, USM_ERR_LIMIT, "a=%s too long", what);
  if (!(*field = dup_span(c, v))) return NOMEM(c);
  return USM_OK;
}

/* Stores a non-empty verbatim value into list[*n] (bound cap). */
static usm_err push_str(ctx *c, const char **list, size_t *n, size_t cap, span v,
                        const char *what) {
  if (v.n == 0) return fail(c, USM_ERR_SDP, "empty %s", what);
  if (*n >= cap) return fail(c, USM_ERR_LIMIT, "more than %zu %s", cap, what);
  if (!(list[*n] = dup_span(c, v))) return NOMEM(c);
  (*n)++;
  return USM_OK;
}

static usm_err add_extra(ctx *c, usm__sdp_common *cm, char type, span text) {
  if (cm->n_extra >= USM__SDP_MAX_EXTRA)
    return fail(c, USM_ERR_LIMIT, "more than %u unknown lines", USM__SDP_MAX_EXTRA);
  const char *t = dup_span(c, text);
  if (!t) return NOMEM(c);
  cm->extra[cm->n_extra].type = type;
  cm->extra[cm->n_extra].text = t;
  cm->n_extra++;
  return USM_OK;
}

/* ---- typed attributes ---- */

static usm_err parse_fingerprint(ctx *c, usm__sdp_common *cm, span v) {
  span alg, val, more;
  if (!next_tok(&v, &alg) || !next_tok(&v, &val) || next_tok(&v, &more))
    return fail(c, USM_ERR_SDP, "a=fingerprint needs '<alg> <hex>'");
  if (alg.n > USM__SDP_MAX_TOKEN || val.n > USM__SDP_MAX_TOKEN)
    return fail(c, USM_ERR_LIMIT, "a=fingerprint too long");
  for (size_t i = 0; i < val.n; i++) {
    char ch = val.p[i];
    int ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') || ch == ':';
    if (!ok) return fail(c, USM_ERR_SDP, "a=fingerprint value is not hex");
  }
  if (cm->n_fp >= USM__SDP_MAX_FPS)
    return fail(c, USM_ERR_LIMIT, "more than %u a=fingerprint", USM__SDP_MAX_FPS);
  usm__sdp_fp *f = &cm->fp[cm->n_fp];
  if (!(f->alg = dup_span(c, alg)) || !(f->value = dup_span(c, val))) return NOMEM(c);
  cm->n_fp++;
  return USM_OK;
}

static usm_err parse_setup(ctx *c, usm__sdp_common *cm, span v) {
  static const char *const names[] = {"", "actpass", "active", "passive", "holdconn"};
  if (cm->setup != USM__SDP_SETUP_NONE) return fail(c, USM_ERR_SDP, "duplicate a=setup");
  for (int i = 1; i < 5; i++) {
    if (span_eq(v, names[i])) {
      cm->setup = (usm__sdp_setup)i;
      return USM_OK;
    }
  }
  return fail(c, USM_ERR_SDP, "unknown a=setup value");
}

static usm_err parse_extmap(ctx *c, usm__sdp_common *cm, span v) {
  span idt, dir = {NULL, 0};
  if (!next_tok(&v, &idt)) return fail(c, USM_ERR_SDP, "empty a=extmap");
  const char *slash = memchr(idt.p, '/', idt.n);
  if (slash) {
    dir.p = slash + 1;
    dir.n = idt.n - (size_t)(slash - idt.p) - 1;
    idt.n = (size_t)(slash - idt.p);
    if (dir.n == 0 || dir.n > USM__SDP_MAX_TOKEN) return fail(c, USM_ERR_SDP, "bad a=extmap direction");
  }
  uint32_t id;
  if (!parse_uint(idt, 65535, &id) || id == 0) return fail(c, USM_ERR_SDP, "bad a=extmap id");
  skip_sp(&v);
  if (v.n == 0) return fail(c, USM_ERR_SDP, "a=extmap without URI");
  if (cm->n_extmap >= USM__SDP_MAX_EXTMAPS)
    return fail(c, USM_ERR_LIMIT, "more than %u a=extmap", USM__SDP_MAX_EXTMAPS);
  usm__sdp_extmap *e = &cm->extmap[cm->n_extmap];
  e->id = id;
  if (dir.n && !(e->dir = dup_span(c, dir))) return NOMEM(c);
  if (!(e->uri = dup_span(c, v))) return NOMEM(c);
  cm->n_extmap++;
  return USM_OK;
}

static int set_dir(usm__sdp_common *cm, span name) {
  static const char *const names[] = {"", "sendrecv", "sendonly", "recvonly", "inactive"};
  for (int i = 1; i < 5; i++) {
    if (span_eq(name, names[i])) {
      if (cm->dir != USM__SDP_DIR_NONE) return -1;
      cm->dir = (usm__sdp_dir)i;
      return 1;
    }
  }
  return 0;
}

/* The payload-type token of rtpmap/fmtp/rtcp-fb: 0..127, or -1 for "*"
 * when star is allowed; -2 when it is something else. */
static int pt_of(span t, int star) {
  uint32_t v;
  if (star && span_eq(t, "*")) return -1;
  if (parse_uint(t, 127, &v)) return (int)v;
  return -2;
}

static usm__sdp_codec *codec_get(usm__sdp_media *m, int pt) {
  for (size_t i = 0; i < m->n_codec; i++)
    if (m->codec[i].pt == pt) return &m->codec[i];
  if (m->n_codec >= USM__SDP_MAX_CODECS) return NULL;
  usm__sdp_codec *k = &m->codec[m->n_codec++];
  k->pt = pt;
  return k;
}

/* "111 opus/48000/2". rtpmap, fmtp and rtcp-fb whose payload type is not
 * 0..127 (or "*") set *typed = 0: the line is kept as an extra. */
static usm_err parse_rtpmap(ctx *c, usm__sdp_media *m, span v, int *typed) {
  span pt_t, enc, more;
  if (!next_tok(&v, &pt_t) || pt_of(pt_t, 0) < 0) {
    *typed = 0;
    return USM_OK;
  }
  int pt = pt_of(pt_t, 0);
  if (!next_tok(&v, &enc) || next_tok(&v, &more)) return fail(c, USM_ERR_SDP, "a=rtpmap needs '<pt> <name>/<rate>'");
  span parts[4];
  size_t np = 0, start = 0;
  for (size_t i = 0; i <= enc.n; i++) {
    if (i == enc.n || enc.p[i] == '/') {
      if (np == 4) return fail(c, USM_ERR_SDP, "bad a=rtpmap encoding");
      parts[np].p = enc.p + start;
      parts[np].n = i - start;
      np++;
      start = i + 1;
    }
  }
  uint32_t clock, ch = 0;
  if (np < 2 || np > 3 || parts[0].n == 0 || parts[0].n > USM__SDP_MAX_TOKEN ||
      !parse_uint(parts[1], UINT32_MAX, &clock) || clock == 0 ||
      (np == 3 && (!parse_uint(parts[2], 255, &ch) || ch == 0)))
    return fail(c, USM_ERR_SDP, "bad a=rtpmap encoding");
  usm__sdp_codec *k = codec_get(m, pt);
  if (!k) return fail(c, USM_ERR_LIMIT, "more than %u payload types", USM__SDP_MAX_CODECS);
  if (k->name) return fail(c, USM_ERR_SDP, "duplicate a=rtpmap for %d", pt);
  if (!(k->name = dup_span(c, parts[0]))) return NOMEM(c);
  k->clock = clock;
  k->channels = ch;
  return USM_OK;
}

static usm_err parse_fmtp(ctx *c, usm__sdp_media *m, span v, int *typed) {
  span pt_t;
  if (!next_tok(&v, &pt_t) || pt_of(pt_t, 0) < 0) {
    *typed = 0;
    return USM_OK;
  }
  int pt = pt_of(pt_t, 0);
  skip_sp(&v);
  usm__sdp_codec *k = codec_get(m, pt);
  if (!k) return fail(c, USM_ERR_LIMIT, "more than %u payload types", USM__SDP_MAX_CODECS);
  if (k->fmtp) return fail(c, USM_ERR_SDP, "duplicate a=fmtp for %d", pt);
  if (!(k->fmtp = dup_span(c, v))) return NOMEM(c);
  return USM_OK;
}

static usm_err parse_rtcpfb(ctx *c, usm__sdp_media *m, span v, int *typed) {
  span pt_t;
  if (!next_tok(&v, &pt_t) || pt_of(pt_t, 1) < -1) {
    *typed = 0;
    return USM_OK;
  }
  skip_sp(&v);
  if (v.n == 0) return fail(c, USM_ERR_SDP, "a=rtcp-fb without a type");
  if (m->n_fb >= USM__SDP_MAX_RTCPFB)
    return fail(c, USM_ERR_LIMIT, "more than %u a=rtcp-fb", USM__SDP_MAX_RTCPFB);
  m->fb[m->n_fb].pt = pt_of(pt_t, 1);
  if (!(m->fb[m->n_fb].value = dup_span(c, v))) return NOMEM(c);
  m->n_fb++;
  return USM_OK;
}

static usm_err parse_ssrc(ctx *c, usm__sdp_media *m, span v) {
  span id;
  uint32_t ssrc;
  if (!next_tok(&v, &id) || !parse_uint(id, UINT32_MAX, &ssrc)) return fail(c, USM_ERR_SDP, "bad a=ssrc");
  skip_sp(&v);
  if (m->n_ssrc >= USM__SDP_MAX_SSRCS) return fail(c, USM_ERR_LIMIT, "more than %u a=ssrc", USM__SDP_MAX_SSRCS);
  m->ssrc[m->n_ssrc].ssrc = ssrc;
  if (!(m->ssrc[m->n_ssrc].attr = dup_span(c, v))) return NOMEM(c);
  m->n_ssrc++;
  return USM_OK;
}

static usm_err parse_crypto(ctx *c, usm__sdp_media *m, span v) {
  span tag_t, suite, key;
  uint32_t tag;
  if (!next_tok(&v, &tag_t) || !parse_uint(tag_t, 999999999, &tag) || !next_tok(&v, &suite) ||
      !next_tok(&v, &key))
    return fail(c, USM_ERR_SDP, "a=crypto needs '<tag> <suite> <key-params>'");
  if (suite.n > USM__SDP_MAX_TOKEN) return fail(c, USM_ERR_LIMIT, "a=crypto suite too long");
  skip_sp(&v);
  if (m->n_crypto >= USM__SDP_MAX_CRYPTO)
    return fail(c, USM_ERR_LIMIT, "more than %u a=crypto", USM__SDP_MAX_CRYPTO);
  usm__sdp_crypto *k = &m->crypto[m->n_crypto];
  k->tag = tag;
  if (!(k->suite = dup_span(c, suite)) || !(k->key_params = dup_span(c, key))) return NOMEM(c);
  if (v.n && !(k->session_params = dup_span(c, v))) return NOMEM(c);
  m->n_crypto++;
  return USM_OK;
}

/* Attributes valid at both levels; *done = 1 when handled. */
static usm_err parse_common_attr(ctx *c, usm__sdp_common *cm, span name, int has_val, span v,
                                 int *done) {
  *done = 1;
  if (!has_val) {
    if (span_eq(name, "ice-lite")) {
      cm->ice_lite = 1;
      return USM_OK;
    }
    if (span_eq(name, "end-of-candidates")) {
      cm->end_of_candidates = 1;
      return USM_OK;
    }
    int d = set_dir(cm, name);
    if (d < 0) return fail(c, USM_ERR_SDP, "more than one direction attribute");
    if (d > 0) return USM_OK;
  } else {
    if (span_eq(name, "ice-ufrag")) return set_token(c, &cm->ice_ufrag, v, "ice-ufrag");
    if (span_eq(name, "ice-pwd")) return set_token(c, &cm->ice_pwd, v, "ice-pwd");
    if (span_eq(name, "fingerprint")) return parse_fingerprint(c, cm, v);
    if (span_eq(name, "setup")) return parse_setup(c, cm, v);
    if (span_eq(name, "extmap")) return parse_extmap(c, cm, v);
  }
  *done = 0;
  return USM_OK;
}

static usm_err parse_media_attr(ctx *c, usm__sdp_media *m, span name, int has_val, span v,
                                int *done) {
  *done = 1;
  if (!has_val) {
    if (span_eq(name, "rtcp-mux")) {
      m->rtcp_mux = 1;
      return USM_OK;
    }
    if (span_eq(name, "rtcp-rsize")) {
      m->rtcp_rsize = 1;
      return USM_OK;
    }
  } else {
    if (span_eq(name, "mid")) return set_token(c, &m->mid, v, "mid");
    if (span_eq(name, "content")) return set_token(c, &m->content, v, "content");
    if (span_eq(name, "label")) return set_token(c, &m->label, v, "label");
    if (span_eq(name, "rtpmap")) return parse_rtpmap(c, m, v, done);
    if (span_eq(name, "fmtp")) return parse_fmtp(c, m, v, done);
    if (span_eq(name, "rtcp-fb")) return parse_rtcpfb(c, m, v, done);
    if (span_eq(name, "ssrc")) return parse_ssrc(c, m, v);
    if (span_eq(name, "crypto")) return parse_crypto(c, m, v);
    if (span_eq(name, "ssrc-group"))
      return push_str(c, m->ssrc_group, &m->n_ssrc_group, USM__SDP_MAX_GROUPS, v, "a=ssrc-group");
    if (span_eq(name, "msid")) return push_str(c, m->msid, &m->n_msid, USM__SDP_MAX_GROUPS, v, "a=msid");
  }
  *done = 0;
  return USM_OK;
}

static usm_err parse_attr(ctx *c, usm__sdp_media *m, span line) {
  usm__sdp_common *cm = m ? &m->c : &c->s->c;
  if (++cm->n_attrs > USM__SDP_MAX_ATTRS)
    return fail(c, USM_ERR_LIMIT, "more than %u attributes", USM__SDP_MAX_ATTRS);
  const char *colon = memchr(line.p, ':', line.n);
  span name = {line.p, colon ? (size_t)(colon - line.p) : line.n};
  span v = {colon ? colon + 1 : NULL, colon ? line.n - name.n - 1 : 0};
  if (name.n == 0) return fail(c, USM_ERR_SDP, "empty attribute name");
  int done = 0;
  usm_err e;
  if (m && colon && span_eq(name, "candidate")) {
    if (v.n == 0) return fail(c, USM_ERR_SDP, "empty a=candidate");
    /* kept whole ("candidate:..."); the ICE layer parses it */
    return push_str(c, m->candidate, &m->n_candidate, USM__SDP_MAX_CANDIDATES, line, "a=candidate");
  }
  if ((e = parse_common_attr(c, cm, name, colon != NULL, v, &done)) != USM_OK || done) return e;
  if (m) {
    if ((e = parse_media_attr(c, m, name, colon != NULL, v, &done)) != USM_OK || done) return e;
  } else if (colon && span_eq(name, "group")) {
    return push_str(c, c->s->group, &c->s->n_group, USM__SDP_MAX_GROUPS, v, "a=group");
  }
  return add_extra(c, cm, 'a', line);
}

/* "m=<media> <port>[/<n>] <proto> <fmt> ..." */
static usm_err parse_mline(ctx *c, span v, usm__sdp_media **out) {
  usm__sdp_session *s = c->s;
  if (s->n_media >= USM__SDP_MAX_MEDIA) return fail(c, USM_ERR_LIMIT, "more than %u m-lines", USM__SDP_MAX_MEDIA);
  span type, port_t, proto, f;
  if (!next_tok(&v, &type) || !next_tok(&v, &port_t) || !next_tok(&v, &proto))
    return fail(c, USM_ERR_SDP, "m= needs '<media> <port> <proto> <fmt>...'");
  if (type.n > USM__SDP_MAX_TOKEN || proto.n > USM__SDP_MAX_TOKEN) return fail(c, USM_ERR_LIMIT, "m= token too long");
  usm__sdp_media *m = arena_alloc(s, sizeof *m);
  if (!m) return NOMEM(c);
  span pn = {NULL, 0};
  const char *slash = memchr(port_t.p, '/', port_t.n);
  if (slash) {
    pn.p = slash + 1;
    pn.n = port_t.n - (size_t)(slash - port_t.p) - 1;
    port_t.n = (size_t)(slash - port_t.p);
  }
  uint32_t port, np = 0;
  if (!parse_uint(port_t, 65535, &port) || (slash && (!parse_uint(pn, 65535, &np) || np == 0)))
    return fail(c, USM_ERR_SDP, "bad m= port");
  m->port = port;
  m->nports = np;
  if (!(m->type = dup_span(c, type)) || !(m->proto = dup_span(c, proto))) return NOMEM(c);
  while (next_tok(&v, &f)) {
    if (m->n_fmt >= USM__SDP_MAX_FORMATS)
      return fail(c, USM_ERR_LIMIT, "more than %u formats on an m-line", USM__SDP_MAX_FORMATS);
    if (f.n > USM__SDP_MAX_TOKEN) return fail(c, USM_ERR_LIMIT, "m= format too long");
    if (!(m->fmt[m->n_fmt++] = dup_span(c, f))) return NOMEM(c);
  }
  s->media[s->n_media++] = m;
  *out = m;
  return USM_OK;
}

static usm_err parse_bw(ctx *c, usm__sdp_common *cm, span v) {
  const char *colon = memchr(v.p, ':', v.n);
  if (!colon) return fail(c, USM_ERR_SDP, "b= needs '<type>:<value>'");
  span type = {v.p, (size_t)(colon - v.p)}, val = {colon + 1, v.n - type.n - 1};
  uint32_t n;
  if (type.n == 0 || type.n > USM__SDP_MAX_TOKEN || memchr(type.p, ' ', type.n) ||
      !parse_uint(val, UINT32_MAX, &n))
    return fail(c, USM_ERR_SDP, "bad b= line");
  if (cm->n_bw >= USM__SDP_MAX_BW) return fail(c, USM_ERR_LIMIT, "more than %u b= lines", USM__SDP_MAX_BW);
  cm->bw[cm->n_bw].value = n;
  if (!(cm->bw[cm->n_bw].type = dup_span(c, type))) return NOMEM(c);
  cm->n_bw++;
  return USM_OK;
}

static usm_err set_once(ctx *c, const char **field, span v, const char *what) {
  if (*field) return fail(c, USM_ERR_SDP, "duplicate %s", what);
  if (!(*field = dup_span(c, v))) return NOMEM(c);
  return USM_OK;
}

static usm_err parse_line(ctx *c, char type, span v, usm__sdp_media **cur) {
  usm__sdp_session *s = c->s;
  usm__sdp_media *m = *cur;
  usm__sdp_common *cm = m ? &m->c : &s->c;
  switch (type) {
  case 'v': return fail(c, USM_ERR_SDP, "duplicate v=");
  case 'm': return parse_mline(c, v, cur);
  case 'a': return parse_attr(c, m, v);
  case 'b': return parse_bw(c, cm, v);
  case 'c':
    if (v.n == 0) return fail(c, USM_ERR_SDP, "empty c=");
    return set_once(c, &cm->conn, v, "c=");
  case 'o':
  case 's':
  case 't':
    if (m) return fail(c, USM_ERR_SDP, "%c= inside a media section", type);
    if (type == 'o') return v.n ? set_once(c, &s->origin, v, "o=") : fail(c, USM_ERR_SDP, "empty o=");
    if (type == 's') return set_once(c, &s->name, v, "s=");
    if (!s->timing) return set_once(c, &s->timing, v, "t=");
    return add_extra(c, cm, type, v); /* further time descriptions */
  default: return add_extra(c, cm, type, v);
  }
}

usm_err usm__sdp_parse(const char *text, size_t len, usm__sdp_session **out, char *err,
                       size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (!out || (!text && len)) return USM_ERR_INVALID_ARG;
  *out = NULL;
  ctx c = {NULL, err, errlen, 0};
  if (len > USM__SDP_MAX_BYTES) return fail(&c, USM_ERR_LIMIT, "SDP larger than %u bytes", USM__SDP_MAX_BYTES);
  if (len && memchr(text, '\0', len)) return fail(&c, USM_ERR_SDP, "NUL byte in SDP");
  c.s = calloc(1, sizeof *c.s);
  if (!c.s) return NOMEM(&c);
  usm__sdp_media *cur = NULL;
  size_t pos = 0;
  unsigned lines = 0;
  int saw_v = 0;
  usm_err e = USM_OK;
  while (pos < len && e == USM_OK) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    span l = {text + pos, end - pos};
    pos = nl ? end + 1 : len;
    c.line++;
    /* CR of CRLF and trailing blanks are not content */
    while (l.n && (l.p[l.n - 1] == '\r' || l.p[l.n - 1] == ' ' || l.p[l.n - 1] == '\t')) l.n--;
    if (l.n == 0) continue;
    if (++lines > USM__SDP_MAX_LINES) {
      e = fail(&c, USM_ERR_LIMIT, "more than %u lines", USM__SDP_MAX_LINES);
      break;
    }
    if (l.n > USM__SDP_MAX_LINE) {
      e = fail(&c, USM_ERR_LIMIT, "line longer than %u bytes", USM__SDP_MAX_LINE);
      break;
    }
    for (size_t i = 0; i < l.n; i++) {
      unsigned char ch = (unsigned char)l.p[i];
      if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
        e = fail(&c, USM_ERR_SDP, "control character");
        break;
      }
    }
    if (e != USM_OK) break;
    if (l.n < 2 || l.p[1] != '=' || l.p[0] < 'a' || l.p[0] > 'z') {
      e = fail(&c, USM_ERR_SDP, "not a '<type>=<value>' line");
      break;
    }
    span v = {l.p + 2, l.n - 2};
    if (!saw_v) {
      if (l.p[0] != 'v') e = fail(&c, USM_ERR_SDP, "SDP must start with v=");
      else if (!span_eq(v, "0")) e = fail(&c, USM_ERR_SDP, "unsupported SDP version");
      saw_v = 1;
      continue;
    }
    e = parse_line(&c, l.p[0], v, &cur);
  }
  if (e == USM_OK && !saw_v) e = fail(&c, USM_ERR_SDP, "empty SDP");
  if (e == USM_OK && !c.s->origin) e = fail(&c, USM_ERR_SDP, "missing o=");
  if (e != USM_OK) {
    usm__sdp_free(c.s);
    return e;
  }
  *out = c.s;
  return USM_OK;
}

/* ---- lookups ---- */

const usm__sdp_codec *usm__sdp_codec_find(const usm__sdp_media *m, int pt) {
  for (size_t i = 0; i < m->n_codec; i++)
    if (m->codec[i].pt == pt) return &m->codec[i];
  return NULL;
}

const char *usm__sdp_group_find(const usm__sdp_session *s, const char *semantics) {
  size_t n = strlen(semantics);
  for (size_t i = 0; i < s->n_group; i++) {
    const char *g = s->group[i];
    if (strncmp(g, semantics, n) == 0 && (g[n] == ' ' || g[n] == '\0')) return g;
  }
  return NULL;
}

const char *usm__sdp_dir_str(usm__sdp_dir d) {
  static const char *const names[] = {"", "sendrecv", "sendonly", "recvonly", "inactive"};
  return (unsigned)d < 5 ? names[d] : "";
}

const char *usm__sdp_setup_str(usm__sdp_setup s) {
  static const char *const names[] = {"", "actpass", "active", "passive", "holdconn"};
  return (unsigned)s < 5 ? names[s] : "";
}

/* ---- writer ---- */

typedef struct writer {
  usm_strbuf b;
  int failed;
} writer;

__attribute__((format(printf, 2, 3))) static void w(writer *wr, const char *fmt, ...) {
  if (wr->failed) return;
  va_list ap;
  va_start(ap, fmt);
  if (usm__strbuf_vprintf(&wr->b, fmt, ap) != 0) wr->failed = 1;
  va_end(ap);
}

/* Extra lines of one level: 'a' lines when attrs, else the other letters
 * in "only" (NULL: every non-'a' letter not in "skip"). */
static void write_extra(writer *wr, const usm__sdp_common *cm, int attrs, const char *only,
                        const char *skip) {
  for (size_t i = 0; i < cm->n_extra; i++) {
    char t = cm->extra[i].type;
    if (attrs ? t != 'a' : (t == 'a' || (only && !strchr(only, t)) || (skip && strchr(skip, t))))
      continue;
    w(wr, "%c=%s\r\n", t, cm->extra[i].text);
  }
}

static void write_conn_bw(writer *wr, const usm__sdp_common *cm) {
  if (cm->conn) w(wr, "c=%s\r\n", cm->conn);
  for (size_t i = 0; i < cm->n_bw; i++) w(wr, "b=%s:%u\r\n", cm->bw[i].type, (unsigned)cm->bw[i].value);
}

static void write_common_attrs(writer *wr, const usm__sdp_common *cm) {
  if (cm->ice_lite) w(wr, "a=ice-lite\r\n");
  if (cm->ice_ufrag) w(wr, "a=ice-ufrag:%s\r\n", cm->ice_ufrag);
  if (cm->ice_pwd) w(wr, "a=ice-pwd:%s\r\n", cm->ice_pwd);
  for (size_t i = 0; i < cm->n_fp; i++) w(wr, "a=fingerprint:%s %s\r\n", cm->fp[i].alg, cm->fp[i].value);
  if (cm->setup) w(wr, "a=setup:%s\r\n", usm__sdp_setup_str(cm->setup));
  if (cm->dir) w(wr, "a=%s\r\n", usm__sdp_dir_str(cm->dir));
  for (size_t i = 0; i < cm->n_extmap; i++) {
    const usm__sdp_extmap *e = &cm->extmap[i];
    w(wr, "a=extmap:%u%s%s %s\r\n", e->id, e->dir ? "/" : "", e->dir ? e->dir : "", e->uri);
  }
}

static void write_media(writer *wr, const usm__sdp_media *m) {
  w(wr, "m=%s %u", m->type, m->port);
  if (m->nports) w(wr, "/%u", m->nports);
  w(wr, " %s", m->proto);
  for (size_t i = 0; i < m->n_fmt; i++) w(wr, " %s", m->fmt[i]);
  w(wr, "\r\n");
  write_extra(wr, &m->c, 0, "i", NULL);
  write_conn_bw(wr, &m->c);
  write_extra(wr, &m->c, 0, NULL, "i");
  if (m->mid) w(wr, "a=mid:%s\r\n", m->mid);
  if (m->content) w(wr, "a=content:%s\r\n", m->content);
  if (m->label) w(wr, "a=label:%s\r\n", m->label);
  write_common_attrs(wr, &m->c);
  if (m->rtcp_mux) w(wr, "a=rtcp-mux\r\n");
  if (m->rtcp_rsize) w(wr, "a=rtcp-rsize\r\n");
  for (size_t i = 0; i < m->n_codec; i++) {
    const usm__sdp_codec *k = &m->codec[i];
    if (k->name) {
      w(wr, "a=rtpmap:%d %s/%u", k->pt, k->name, (unsigned)k->clock);
      if (k->channels) w(wr, "/%u", k->channels);
      w(wr, "\r\n");
    }
    if (k->fmtp) w(wr, "a=fmtp:%d%s%s\r\n", k->pt, k->fmtp[0] ? " " : "", k->fmtp);
  }
  for (size_t i = 0; i < m->n_fb; i++) {
    if (m->fb[i].pt < 0) w(wr, "a=rtcp-fb:* %s\r\n", m->fb[i].value);
    else w(wr, "a=rtcp-fb:%d %s\r\n", m->fb[i].pt, m->fb[i].value);
  }
  for (size_t i = 0; i < m->n_ssrc_group; i++) w(wr, "a=ssrc-group:%s\r\n", m->ssrc_group[i]);
  for (size_t i = 0; i < m->n_ssrc; i++) {
    const usm__sdp_ssrc *x = &m->ssrc[i];
    w(wr, "a=ssrc:%u%s%s\r\n", (unsigned)x->ssrc, x->attr[0] ? " " : "", x->attr);
  }
  for (size_t i = 0; i < m->n_msid; i++) w(wr, "a=msid:%s\r\n", m->msid[i]);
  for (size_t i = 0; i < m->n_crypto; i++) {
    const usm__sdp_crypto *k = &m->crypto[i];
    w(wr, "a=crypto:%u %s %s%s%s\r\n", (unsigned)k->tag, k->suite, k->key_params,
      k->session_params ? " " : "", k->session_params ? k->session_params : "");
  }
  write_extra(wr, &m->c, 1, NULL, NULL);
  for (size_t i = 0; i < m->n_candidate; i++) w(wr, "a=%s\r\n", m->candidate[i]);
  if (m->c.end_of_candidates) w(wr, "a=end-of-candidates\r\n");
}

usm_err usm__sdp_write(const usm__sdp_session *s, char **out, size_t *out_len) {
  if (!s || !out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  writer wr = {{0}, 0};
  usm__strbuf_init(&wr.b, 0);
  w(&wr, "v=0\r\n");
  if (s->origin) w(&wr, "o=%s\r\n", s->origin);
  if (s->name) w(&wr, "s=%s\r\n", s->name[0] ? s->name : " ");
  write_extra(&wr, &s->c, 0, "iuep", NULL);
  write_conn_bw(&wr, &s->c);
  if (s->timing) w(&wr, "t=%s\r\n", s->timing);
  write_extra(&wr, &s->c, 0, NULL, "iuep");
  for (size_t i = 0; i < s->n_group; i++) w(&wr, "a=group:%s\r\n", s->group[i]);
  write_common_attrs(&wr, &s->c);
  write_extra(&wr, &s->c, 1, NULL, NULL);
  if (s->c.end_of_candidates) w(&wr, "a=end-of-candidates\r\n");
  for (size_t i = 0; i < s->n_media; i++) write_media(&wr, s->media[i]);
  if (wr.failed) {
    usm__strbuf_free(&wr.b);
    return USM_ERR_NO_MEMORY;
  }
  if (wr.b.len > USM__SDP_MAX_BYTES) {
    usm__strbuf_free(&wr.b);
    return USM_ERR_LIMIT;
  }
  if (out_len) *out_len = wr.b.len;
  *out = wr.b.data;
  return USM_OK;
}

/* ---- comparison ---- */

static int str_eq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

/* Extra lines: the writer groups them by type letter (RFC 8866 line
 * order), so the order is compared within each letter only. */
static int extra_eq(const usm__sdp_common *a, const usm__sdp_common *b) {
  for (char t = 'a'; t <= 'z'; t++) {
    size_t i = 0, j = 0;
    for (;;) {
      while (i < a->n_extra && a->extra[i].type != t) i++;
      while (j < b->n_extra && b->extra[j].type != t) j++;
      if (i == a->n_extra || j == b->n_extra) break;
      if (!str_eq(a->extra[i].text, b->extra[j].text)) return 0;
      i++;
      j++;
    }
    if (i != a->n_extra || j != b->n_extra) return 0;
  }
  return 1;
}

static int common_eq(const usm__sdp_common *a, const usm__sdp_common *b) {
  if (!str_eq(a->conn, b->conn) || !str_eq(a->ice_ufrag, b->ice_ufrag) ||
      !str_eq(a->ice_pwd, b->ice_pwd) || a->ice_lite != b->ice_lite ||
      a->end_of_candidates != b->end_of_candidates || a->setup != b->setup || a->dir != b->dir ||
      a->n_bw != b->n_bw || a->n_fp != b->n_fp || a->n_extmap != b->n_extmap ||
      a->n_extra != b->n_extra)
    return 0;
  for (size_t i = 0; i < a->n_bw; i++)
    if (!str_eq(a->bw[i].type, b->bw[i].type) || a->bw[i].value != b->bw[i].value) return 0;
  for (size_t i = 0; i < a->n_fp; i++)
    if (!str_eq(a->fp[i].alg, b->fp[i].alg) || !str_eq(a->fp[i].value, b->fp[i].value)) return 0;
  for (size_t i = 0; i < a->n_extmap; i++)
    if (a->extmap[i].id != b->extmap[i].id || !str_eq(a->extmap[i].dir, b->extmap[i].dir) ||
        !str_eq(a->extmap[i].uri, b->extmap[i].uri))
      return 0;
  return extra_eq(a, b);
}

static int strs_eq(const char *const *a, size_t na, const char *const *b, size_t nb) {
  if (na != nb) return 0;
  for (size_t i = 0; i < na; i++)
    if (!str_eq(a[i], b[i])) return 0;
  return 1;
}

static int media_eq(const usm__sdp_media *a, const usm__sdp_media *b) {
  if (!str_eq(a->type, b->type) || a->port != b->port || a->nports != b->nports ||
      !str_eq(a->proto, b->proto) || !str_eq(a->mid, b->mid) || !str_eq(a->content, b->content) ||
      !str_eq(a->label, b->label) || a->rtcp_mux != b->rtcp_mux || a->rtcp_rsize != b->rtcp_rsize ||
      a->n_codec != b->n_codec || a->n_fb != b->n_fb || a->n_ssrc != b->n_ssrc ||
      a->n_crypto != b->n_crypto || !common_eq(&a->c, &b->c) ||
      !strs_eq(a->fmt, a->n_fmt, b->fmt, b->n_fmt) ||
      !strs_eq(a->ssrc_group, a->n_ssrc_group, b->ssrc_group, b->n_ssrc_group) ||
      !strs_eq(a->msid, a->n_msid, b->msid, b->n_msid) ||
      !strs_eq(a->candidate, a->n_candidate, b->candidate, b->n_candidate))
    return 0;
  for (size_t i = 0; i < a->n_codec; i++) {
    const usm__sdp_codec *x = &a->codec[i], *y = &b->codec[i];
    if (x->pt != y->pt || !str_eq(x->name, y->name) || x->clock != y->clock ||
        x->channels != y->channels || !str_eq(x->fmtp, y->fmtp))
      return 0;
  }
  for (size_t i = 0; i < a->n_fb; i++)
    if (a->fb[i].pt != b->fb[i].pt || !str_eq(a->fb[i].value, b->fb[i].value)) return 0;
  for (size_t i = 0; i < a->n_ssrc; i++)
    if (a->ssrc[i].ssrc != b->ssrc[i].ssrc || !str_eq(a->ssrc[i].attr, b->ssrc[i].attr)) return 0;
  for (size_t i = 0; i < a->n_crypto; i++) {
    const usm__sdp_crypto *x = &a->crypto[i], *y = &b->crypto[i];
    if (x->tag != y->tag || !str_eq(x->suite, y->suite) || !str_eq(x->key_params, y->key_params) ||
        !str_eq(x->session_params, y->session_params))
      return 0;
  }
  return 1;
}

int usm__sdp_equal(const usm__sdp_session *a, const usm__sdp_session *b) {
  if (!a || !b) return a == b;
  if (!str_eq(a->origin, b->origin) || !str_eq(a->name, b->name) || !str_eq(a->timing, b->timing) ||
      !strs_eq(a->group, a->n_group, b->group, b->n_group) || !common_eq(&a->c, &b->c) ||
      a->n_media != b->n_media)
    return 0;
  for (size_t i = 0; i < a->n_media; i++)
    if (!media_eq(a->media[i], b->media[i])) return 0;
  return 1;
}
