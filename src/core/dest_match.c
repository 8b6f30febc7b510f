/* Address matchers for the destination classifier. They accept exactly the
 * strings the official SDK's regular expressions accept (see
 * docs/destinations.md), written as plain scanners: no regex engine, no
 * backtracking blow-up, linear in the input. */
#include "core/dest_match.h"

#include <string.h>

size_t usm__js_space_len(const char *p, const char *end) {
  if (p >= end) return 0;
  size_t avail = (size_t)(end - p);
  const unsigned char *u = (const unsigned char *)p;
  if (u[0] == ' ' || (u[0] >= 0x09 && u[0] <= 0x0d)) return 1;
  if (avail >= 2 && u[0] == 0xc2 && u[1] == 0xa0) return 2; /* U+00A0 */
  if (avail < 3) return 0;
  if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80) return 3; /* U+1680 */
  if (u[0] == 0xe2 && u[1] == 0x80 &&
      ((u[2] >= 0x80 && u[2] <= 0x8a) || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf))
    return 3;                                                 /* U+2000-200A, 2028, 2029, 202F */
  if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f) return 3; /* U+205F */
  if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80) return 3; /* U+3000 */
  if (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) return 3; /* U+FEFF */
  return 0;
}

static int has_js_space(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (usm__js_space_len(s + i, s + n)) return 1;
  return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* ---- SIP ---------------------------------------------------------------- */

/* "user" or "user:password": user has no ':', both parts non-empty. The
 * caller has excluded '@', '>' and whitespace. */
static int user_password_ok(const char *s, size_t n) {
  if (n == 0 || s[0] == ':') return 0;
  const char *colon = memchr(s, ':', n);
  return !colon || colon + 1 < s + n;
}

/* Length of the leading run of bytes not in @p stop (and not NUL). */
static size_t span_not(const char *p, const char *end, const char *stop) {
  size_t k = 0;
  while (p + k < end && p[k] != '\0' && !strchr(stop, p[k])) k++;
  return k;
}

int usm__sip_match(const char *s, size_t n, int *email) {
  if (email) *email = 0;
  /* No part of the SDK's rule admits whitespace. */
  if (!s || n == 0 || has_js_space(s, n)) return 0;
  const char *end = s + n;
  const char *at = memchr(s, '@', n); /* user and password exclude '@' */
  if (!at) return 0;
  size_t pre = (size_t)(at - s);
  if (memchr(s, '>', pre)) return 0;
  /* A "sip:"/"sips:" scheme reads the same as a user "sip" with a password,
   * so only a leading bare ':' needs its own case. */
  if (!user_password_ok(s, pre) && !(pre > 0 && s[0] == ':' && user_password_ok(s + 1, pre - 1)))
    return 0;

  const char *p = at + 1;
  const char *host = p;
  while (p < end && (is_digit(*p) || is_alpha(*p) || *p == '_' || *p == '-' || *p == '.')) p++;
  if (p == host) return 0;
  int host_dot = memchr(host, '.', (size_t)(p - host)) != NULL;
  int extra = 0;
  if (p < end && *p == ':') { /* port */
    const char *d = ++p;
    while (p < end && is_digit(*p)) p++;
    if (p == d) return 0;
    extra = 1;
  }
  while (p < end && *p == ';') { /* ;name or ;name=value; a value may hold '=' and '>' */
    size_t k = span_not(++p, end, "=?>;");
    if (k == 0) return 0;
    p += k;
    if (p < end && *p == '=') {
      k = span_not(++p, end, "?;");
      if (k == 0) return 0;
      p += k;
    }
    extra = 1;
  }
  if (p < end && *p == '?') { /* headers: k=v joined by '&', none empty */
    p++;
    for (;;) {
      size_t k = span_not(p, end, "&=>");
      if (k == 0) return 0;
      p += k;
      if (p == end || *p != '=') return 0;
      k = span_not(++p, end, "&=>");
      if (k == 0) return 0;
      p += k;
      if (p == end || *p != '&') break;
      p++;
    }
    extra = 1;
  }
  if (p != end) return 0;
  if (email) *email = !memchr(s, ':', pre) && !extra && host_dot;
  return 1;
}

/* ---- NANP phone numbers ------------------------------------------------- */

typedef struct cursor {
  const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
  size_t k;
  while ((k = usm__js_space_len(c->p, c->end)) != 0) c->p += k;
}

/* Optional blanks, then optionally one '.' or '-' and more blanks. */
static void skip_sep(cursor *c) {
  skip_ws(c);
  if (c->p < c->end && (*c->p == '.' || *c->p == '-')) {
    c->p++;
    skip_ws(c);
  }
}

/* Area code (NPA: [2-9][0-8]x, not x11) or exchange (NXX: [2-9]xx, not x11). */
static int take_triple(cursor *c, int area) {
  if (c->end - c->p < 3) return 0;
  const char *d = c->p;
  if (!is_digit(d[0]) || !is_digit(d[1]) || !is_digit(d[2])) return 0;
  if (d[0] < '2' || (area && d[1] == '9') || (d[1] == '1' && d[2] == '1')) return 0;
  c->p += 3;
  return 1;
}

static int starts_with(const cursor *c, const char *word) {
  size_t k = strlen(word);
  return (size_t)(c->end - c->p) >= k && memcmp(c->p, word, k) == 0;
}

/* Exchange, subscriber number, optional extension, end of input. */
static int phone_tail(cursor c) {
  if (!take_triple(&c, 0)) return 0;
  skip_sep(&c);
  for (int i = 0; i < 4; i++, c.p++)
    if (c.p == c.end || !is_digit(*c.p)) return 0;
  if (c.p == c.end) return 1;
  skip_ws(&c);
  /* Longest keyword first; a shorter one would leave letters behind. */
  static const char *const words[] = {"extension", "ext.", "ext", "x.", "x", "#"};
  size_t w = 0;
  while (w < sizeof words / sizeof words[0] && !starts_with(&c, words[w])) w++;
  if (w == sizeof words / sizeof words[0]) return 0;
  c.p += strlen(words[w]);
  skip_ws(&c);
  if (c.p == c.end) return 0;
  while (c.p < c.end && is_digit(*c.p)) c.p++;
  return c.p == c.end;
}

/* "(NPA)" or "NPA", a separator, then the tail. */
static int area_then_tail(cursor c) {
  if (c.p < c.end && *c.p == '(') {
    c.p++;
    skip_ws(&c);
    if (!take_triple(&c, 1)) return 0;
    skip_ws(&c);
    if (c.p == c.end || *c.p != ')') return 0;
    c.p++;
  } else if (!take_triple(&c, 1)) {
    return 0;
  }
  skip_sep(&c);
  return phone_tail(c);
}

int usm__nanp_match(const char *s, size_t n) {
  if (!s || n == 0) return 0;
  cursor c = {s, s + n};
  /* Neither an area code nor an exchange starts with '+' or '1', so such a
   * number must begin with the country code, and then needs an area code. */
  if (*c.p == '+' || *c.p == '1') {
    if (*c.p == '+') c.p++;
    if (c.p == c.end || *c.p != '1') return 0;
    c.p++;
    skip_sep(&c);
    return area_then_tail(c);
  }
  return phone_tail(c) || area_then_tail(c);
}

/* ---- E.164 -------------------------------------------------------------- */

int usm__e164_match(const char *s, size_t n) {
  if (!s || n < 3 || s[0] != '+') return 0;
  size_t digits = 0;
  int after_sep = 1; /* no separator right after '+' */
  for (size_t i = 1; i < n; i++) {
    if (is_digit(s[i])) {
      if (digits == 0 && s[i] == '0') return 0;
      digits++;
      after_sep = 0;
    } else if (s[i] == ' ' || s[i] == '-' || s[i] == '.') {
      if (after_sep) return 0;
      after_sep = 1;
    } else {
      return 0;
    }
  }
  return !after_sep && digits >= 2 && digits <= 15;
}

/* ---- email -------------------------------------------------------------- */

static int email_domain_ok(const char *d, size_t n) {
  if (n > 0 && d[0] == '[') { /* [1.2.3.4], each part 1-3 digits */
    size_t i = 1;
    for (int part = 0; part < 4; part++) {
      size_t k = 0;
      while (i < n && is_digit(d[i]) && k < 4) i++, k++;
      if (k < 1 || k > 3) return 0;
      if (i == n || d[i] != (part < 3 ? '.' : ']')) return 0;
      i++;
    }
    return i == n;
  }
  /* label.label...tld: labels of letters, digits and '-', tld 2+ letters */
  const char *last = NULL;
  for (size_t i = 0; i < n; i++)
    if (d[i] == '.') last = d + i;
  if (!last) return 0;
  size_t tld = (size_t)(d + n - last - 1);
  if (tld < 2) return 0;
  for (size_t i = 0; i < tld; i++)
    if (!is_alpha(last[1 + i])) return 0;
  size_t label = 0;
  for (const char *p = d; p < last + 1; p++) {
    if (*p == '.') {
      if (label == 0) return 0;
      label = 0;
    } else if (is_alpha(*p) || is_digit(*p) || *p == '-') {
      label++;
    } else {
      return 0;
    }
  }
  return 1;
}

int usm__email_match(const char *s, size_t n) {
  if (!s || n == 0) return 0;
  const char *at = NULL; /* the domain has no '@', so it is the last one */
  for (size_t i = 0; i < n; i++)
    if (s[i] == '@') at = s + i;
  if (!at || !email_domain_ok(at + 1, (size_t)(s + n - at - 1))) return 0;
  size_t local = (size_t)(at - s);
  if (s[0] == '"') { /* "anything but line breaks", at least one byte */
    if (local < 3 || at[-1] != '"') return 0;
    for (size_t i = 1; i + 1 < local; i++) {
      const unsigned char *u = (const unsigned char *)s + i;
      if (u[0] == '\n' || u[0] == '\r') return 0;
      if (i + 3 < local && u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9))
        return 0; /* U+2028, U+2029 */
    }
    return 1;
  }
  /* dot-atom: non-empty atoms joined by single dots */
  if (has_js_space(s, local)) return 0;
  size_t atom = 0;
  for (size_t i = 0; i < local; i++) {
    if (s[i] == '.') {
      if (atom == 0) return 0;
      atom = 0;
    } else if (s[i] == '\0' || strchr("<>()[]\\,;:@\"", s[i])) {
      return 0;
    } else {
      atom++;
    }
  }
  return atom > 0;
}
