/* Destination classification: what a user typed to join a meeting.
 * The rules and every difference from the official SDK are in
 * docs/destinations.md; keep the two in step. */
#include <string.h>
#include <usm/destination.h>

#include "core/dest_match.h"
#include "core/hydra.h"

typedef struct span {
  const char *s;
  size_t n;
} span;

/* How the result's value is derived from its source bytes. */
typedef enum value_form { FORM_COPY, FORM_DIGITS, FORM_LOWER } value_form;

typedef struct result {
  usm_dest_type type;
  unsigned flags;
  value_form form;
  span src;
  const char *cluster; /* NUL-terminated, shorter than usm_destination.cluster */
} result;

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Case-insensitive ASCII comparison of a span with a literal. */
static int span_ieq(span a, const char *lit) {
  size_t k = strlen(lit);
  if (a.n != k) return 0;
  for (size_t i = 0; i < k; i++)
    if (lower(a.s[i]) != lower(lit[i])) return 0;
  return 1;
}

/* ---- step 0: trimming and byte checks ----------------------------------- */

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static usm_err trim_and_check(const char *input, span *out) {
  const char *p = input;
  while (is_blank(*p)) p++;
  const char *last = p; /* one past the last non-blank byte */
  int pending_ctl = 0;  /* a \t, \r or \n since that byte: bad if more follows */
  for (const char *q = p; *q; q++) {
    unsigned char c = (unsigned char)*q;
    if (is_blank((char)c)) {
      if (c != ' ') pending_ctl = 1;
      continue;
    }
    if (pending_ctl || c < 0x20 || c == 0x7f) return USM_ERR_INVALID_ARG;
    last = q + 1;
  }
  if ((size_t)(last - p) > USM_DEST_MAX) return USM_ERR_LIMIT;
  out->s = p;
  out->n = (size_t)(last - p);
  return USM_OK;
}

/* ---- URLs ---------------------------------------------------------------- */

typedef struct url_parts {
  int has_scheme;
  span host; /* without userinfo and port */
  span path; /* from the first '/' after the host up to '?' or '#'; may be empty */
} url_parts;

/* Bytes RFC 3986 never allows unescaped (plus blanks and controls) make the
 * string "not a URL"; non-ASCII bytes are let through for IRIs. */
static int url_byte_ok(unsigned char c) {
  return c > 0x20 && c != 0x7f && !strchr("\"<>\\^`{|}", (char)c);
}

/* "443/..." after a colon: the colon was a port separator, not a scheme's. */
static int looks_like_port(const char *p, const char *end) {
  const char *d = p;
  while (p < end && is_digit(*p)) p++;
  return p > d && (p == end || *p == '/' || *p == '?' || *p == '#');
}

/* A DNS-style name with no empty label, or a bracketed IPv6 literal. */
static int host_ok(span h) {
  if (h.n == 0) return 0;
  if (h.s[0] == '[') {
    if (h.n < 3 || h.s[h.n - 1] != ']') return 0;
    for (size_t i = 1; i + 1 < h.n; i++)
      if (!is_digit(h.s[i]) && !strchr("abcdefABCDEF:.", h.s[i])) return 0;
    return 1;
  }
  if (h.s[0] == '.' || h.s[h.n - 1] == '.') return 0;
  for (size_t i = 0; i < h.n; i++) {
    char c = h.s[i];
    if (c == '.' && h.s[i + 1] == '.') return 0; /* i + 1 < n: the last byte is not '.' */
    if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '-' && c != '_') return 0;
  }
  return 1;
}

/* Splits an http(s) URL, or a scheme-less "host[:port]/path" read as https.
 * Returns -1 for another scheme, a missing "//", a bad host or port, or a
 * byte URLs do not allow. */
static int parse_url(span in, url_parts *u) {
  const char *s = in.s, *end = in.s + in.n;
  for (size_t i = 0; i < in.n; i++)
    if (!url_byte_ok((unsigned char)s[i])) return -1;
  memset(u, 0, sizeof *u);
  const char *p = s;
  size_t i = 0;
  if (in.n > 0 && is_alpha(s[0]))
    while (i < in.n && (is_alpha(s[i]) || is_digit(s[i]) || strchr("+-.", s[i]))) i++;
  if (i > 0 && i < in.n && s[i] == ':' && !looks_like_port(s + i + 1, end)) {
    span scheme = {s, i};
    if (!span_ieq(scheme, "http") && !span_ieq(scheme, "https")) return -1;
    if (in.n - i < 3 || s[i + 1] != '/' || s[i + 2] != '/') return -1;
    p = s + i + 3;
    u->has_scheme = 1;
  }
  const char *auth = p;
  while (p < end && *p != '/' && *p != '?' && *p != '#') p++;
  const char *host = auth, *host_end = p;
  for (const char *q = auth; q < host_end; q++)
    if (*q == '@') host = q + 1; /* userinfo ends at the last '@' */
  /* A port follows the host's first ':', or the ']' of an IPv6 literal. */
  const char *colon;
  if (host < host_end && *host == '[') {
    const char *close = memchr(host, ']', (size_t)(host_end - host));
    if (!close) return -1;
    colon = close + 1 < host_end ? close + 1 : NULL;
    if (colon && *colon != ':') return -1;
  } else {
    colon = memchr(host, ':', (size_t)(host_end - host));
  }
  if (colon) {
    for (const char *q = colon + 1; q < host_end; q++)
      if (!is_digit(*q)) return -1;
    if (host_end - colon - 1 > 5) return -1;
    host_end = colon;
  }
  u->host.s = host;
  u->host.n = (size_t)(host_end - host);
  if (!host_ok(u->host)) return -1;
  if (p < end && *p == '/') {
    const char *path = p;
    while (p < end && *p != '?' && *p != '#') p++;
    u->path.s = path;
    u->path.n = (size_t)(p - path);
  }
  return 0;
}

/* webex.com or any subdomain of it: a strict suffix match. */
static int host_is_webex(span h) {
  static const char dot_webex[] = ".webex.com";
  size_t k = sizeof dot_webex - 1;
  if (span_ieq(h, dot_webex + 1)) return 1;
  return h.n > k && span_ieq((span){h.s + h.n - k, k}, dot_webex);
}

/* Auto-detection: a webex.com host and a path other than "/". */
static int is_webex_meeting_link(span in) {
  url_parts u;
  return parse_url(in, &u) == 0 && host_is_webex(u.host) && u.path.n > 1;
}

/* With the MEETING_LINK hint: any host (custom domains); a scheme-less string
 * needs a path, or every bare word would be a "link". */
static int is_any_meeting_link(span in) {
  url_parts u;
  return parse_url(in, &u) == 0 && (u.has_scheme || u.path.n > 1);
}

/* An http(s) URL (scheme optional, as for links) whose path holds
 * "/conversations/<uuid>" followed by the end of the path or another segment:
 * the conversation service's URL of a space. */
static int is_conversation_url(span in) {
  static const char seg[] = "/conversations/";
  const size_t k = sizeof seg - 1;
  url_parts u;
  if (parse_url(in, &u) != 0) return 0;
  for (size_t i = 0; i + k + 36 <= u.path.n; i++) {
    const char *p = u.path.s + i;
    if (memcmp(p, seg, k) != 0 || !usm__uuid_valid(p + k, 36)) continue;
    if (i + k + 36 == u.path.n || p[k + 36] == '/') return 1;
  }
  return 0;
}

/* ---- meeting numbers ----------------------------------------------------- */

/* Digits with single separators from @p seps between groups; returns the
 * digit count, or 0 when the shape is wrong. */
static size_t grouped_digits(span in, const char *seps) {
  size_t digits = 0;
  int after_sep = 1; /* the first byte must be a digit */
  for (size_t i = 0; i < in.n; i++) {
    if (is_digit(in.s[i])) {
      digits++;
      after_sep = 0;
    } else if (in.s[i] != '\0' && strchr(seps, in.s[i]) && !after_sep) {
      after_sep = 1;
    } else {
      return 0;
    }
  }
  return after_sep ? 0 : digits;
}

/* ---- the classifier ------------------------------------------------------ */

static void emit(usm_destination *out, const result *r) {
  memset(out, 0, sizeof *out);
  out->type = r->type;
  out->flags = r->flags;
  size_t o = 0; /* src.n <= USM_DEST_MAX, so value always has room */
  for (size_t i = 0; i < r->src.n && o < USM_DEST_MAX; i++) {
    char c = r->src.s[i];
    if (r->form == FORM_DIGITS && !is_digit(c)) continue;
    out->value[o++] = r->form == FORM_LOWER ? lower(c) : c;
  }
  out->value[o] = '\0';
  size_t cl = 0;
  while (cl + 1 < sizeof out->cluster && r->cluster[cl]) cl++;
  memcpy(out->cluster, r->cluster, cl);
  out->cluster[cl] = '\0';
}

static result make(usm_dest_type type, unsigned flags, value_form form, span src) {
  result r = {type, flags, form, src, ""};
  return r;
}

/* With the SIP_URI hint: a SIP address, a NANP number or an E.164 number. */
static int classify_sip(span in, result *r) {
  int email = 0;
  if (usm__sip_match(in.s, in.n, &email)) {
    *r = make(USM_DEST_SIP_URI, email ? USM_DEST_F_EMAIL : 0, FORM_COPY, in);
    return 1;
  }
  if (usm__nanp_match(in.s, in.n) || usm__e164_match(in.s, in.n)) {
    *r = make(USM_DEST_SIP_URI, USM_DEST_F_PHONE, FORM_COPY, in);
    return 1;
  }
  return 0;
}

usm_err usm_destination_parse(const char *input, usm_dest_type hint, usm_destination *out) {
  if (!input || !out) return USM_ERR_INVALID_ARG;
  /* Through int: the enum's underlying type may be unsigned. */
  if ((int)hint < (int)USM_DEST_AUTO || (int)hint > (int)USM_DEST_PERSONAL_ROOM)
    return USM_ERR_INVALID_ARG;
  span in;
  usm_err err = trim_and_check(input, &in);
  if (err != USM_OK) return err;

  result r;
  if (in.n == 0) {
    if (hint != USM_DEST_PERSONAL_ROOM) return USM_ERR_INVALID_DESTINATION;
    r = make(USM_DEST_PERSONAL_ROOM, 0, FORM_COPY, in); /* "": one's own room */
    emit(out, &r);
    return USM_OK;
  }

  /* Spaces are refused whatever the hint: that is the USM migration. */
  usm__hydra_id hy;
  int hydra = usm__hydra_decode(in.s, in.n, &hy) == 0 && usm__uuid_valid(hy.id, strlen(hy.id));
  if (hydra && strcmp(hy.type, "ROOM") == 0) return USM_ERR_SPACE_ID_DEPRECATED;
  if (is_conversation_url(in)) return USM_ERR_SPACE_ID_DEPRECATED;
  int person = hydra && strcmp(hy.type, "PEOPLE") == 0;
  span uuid = {hy.id, person ? strlen(hy.id) : 0};
  size_t digits;
  int email;

  switch (hint) {
  case USM_DEST_AUTO:
    if (is_webex_meeting_link(in)) {
      r = make(USM_DEST_MEETING_LINK, 0, FORM_COPY, in);
    } else if (usm__sip_match(in.s, in.n, &email)) {
      r = make(USM_DEST_SIP_URI, email ? USM_DEST_F_EMAIL : 0, FORM_COPY, in);
    } else if ((digits = grouped_digits(in, " ")) >= 9 && digits <= 11) {
      r = make(USM_DEST_MEETING_NUMBER, 0, FORM_DIGITS, in);
    } else if (usm__nanp_match(in.s, in.n)) {
      r = make(USM_DEST_SIP_URI, USM_DEST_F_PHONE, FORM_COPY, in);
    } else if (person) {
      r = make(USM_DEST_PERSON_ID, USM_DEST_F_UUID, FORM_LOWER, uuid);
      r.cluster = hy.cluster;
    } else {
      return USM_ERR_INVALID_DESTINATION;
    }
    break;
  case USM_DEST_MEETING_NUMBER:
    if ((digits = grouped_digits(in, " -")) < 6 || digits > 20) return USM_ERR_INVALID_DESTINATION;
    r = make(USM_DEST_MEETING_NUMBER, 0, FORM_DIGITS, in);
    break;
  case USM_DEST_SIP_URI:
    if (!classify_sip(in, &r)) return USM_ERR_INVALID_DESTINATION;
    break;
  case USM_DEST_MEETING_LINK:
    if (!is_any_meeting_link(in)) return USM_ERR_INVALID_DESTINATION;
    r = make(USM_DEST_MEETING_LINK, 0, FORM_COPY, in);
    break;
  case USM_DEST_PERSON_ID:
  case USM_DEST_PERSONAL_ROOM:
    if (hint == USM_DEST_PERSONAL_ROOM && usm__email_match(in.s, in.n)) {
      r = make(hint, USM_DEST_F_EMAIL, FORM_COPY, in);
    } else if (person) {
      r = make(hint, USM_DEST_F_UUID, FORM_LOWER, uuid);
      r.cluster = hy.cluster;
    } else if (usm__uuid_valid(in.s, in.n)) {
      r = make(hint, USM_DEST_F_UUID, FORM_LOWER, in);
    } else {
      return USM_ERR_INVALID_DESTINATION;
    }
    break;
  default:
    return USM_ERR_INVALID_ARG;
  }
  emit(out, &r);
  return USM_OK;
}

/* ---- type names ---------------------------------------------------------- */

static const struct {
  usm_dest_type type;
  const char *name;
} type_names[] = {
  {USM_DEST_AUTO, "auto"},
  {USM_DEST_MEETING_NUMBER, "meeting_number"},
  {USM_DEST_SIP_URI, "sip_uri"},
  {USM_DEST_MEETING_LINK, "meeting_link"},
  {USM_DEST_PERSON_ID, "person_id"},
  {USM_DEST_PERSONAL_ROOM, "personal_room"},
  /* The official SDK's DESTINATION_TYPE spelling; the others match ours
   * once case is ignored. */
  {USM_DEST_MEETING_NUMBER, "meeting_id"},
};

const char *usm_dest_type_name(usm_dest_type type) {
  for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
    if (type_names[i].type == type) return type_names[i].name;
  return "unknown";
}

usm_err usm_dest_type_from_name(const char *name, usm_dest_type *out) {
  if (!name || !out) return USM_ERR_INVALID_ARG;
  for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
    const char *want = type_names[i].name;
    size_t k = 0;
    while (want[k] && lower(name[k]) == want[k]) k++; /* stops at name's NUL too */
    if (!want[k] && !name[k]) {
      *out = type_names[i].type;
      return USM_OK;
    }
  }
  return USM_ERR_INVALID_ARG;
}
