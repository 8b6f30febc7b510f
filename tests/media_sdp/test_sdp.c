/* Unit tests for the SDP model (src/media/sdp.c) and offer/answer
 * negotiation (src/media/sdp_negotiate.c): table-driven parses of SDPs
 * modelled on Chrome, Firefox, GStreamer webrtcbin, Linus and ffmpeg/SIP,
 * round trips, negotiation in both directions, garbage and every bound. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/strbuf.h"
#include "media/sdp.h"
#include "media/sdp_negotiate.h"

static char *load(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", SDP_DATA_DIR, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  char *buf = malloc(USM__SDP_MAX_BYTES + 1);
  size_t n = fread(buf, 1, USM__SDP_MAX_BYTES, f);
  fclose(f);
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

static usm__sdp_session *parse_ok(const char *text) {
  char err[128];
  usm__sdp_session *s = NULL;
  usm_err e = usm__sdp_parse(text, strlen(text), &s, err, sizeof err);
  if (e != USM_OK) fprintf(stderr, "parse failed: %s\n", err);
  CHECK_INT(e, USM_OK);
  return s;
}

/* parse -> write -> parse gives an equal model, and writing is stable. */
static void check_round_trip(const char *text, const char *what) {
  usm__sdp_session *a = parse_ok(text), *b = NULL;
  if (!a) return;
  char *out = NULL, *out2 = NULL;
  size_t len = 0;
  CHECK_INT(usm__sdp_write(a, &out, &len), USM_OK);
  if (out) {
    CHECK_INT(strlen(out), len);
    b = parse_ok(out);
    if (!usm__sdp_equal(a, b)) fprintf(stderr, "round trip differs: %s\n", what);
    CHECK(usm__sdp_equal(a, b));
    CHECK_INT(usm__sdp_write(b, &out2, NULL), USM_OK);
    CHECK(out2 && strcmp(out, out2) == 0);
  }
  free(out);
  free(out2);
  usm__sdp_free(a);
  usm__sdp_free(b);
}

/* ---- table-driven parse tests ---- */

typedef struct parse_case {
  const char *file;
  size_t n_media;
  const char *types;  /* m-line types, first letter each: "ava" */
  const char *bundle; /* session a=group:BUNDLE value or NULL */
  int ice_lite;
  size_t cands0;      /* candidates on m-line 0 */
  size_t crypto0;
  const char *mid0;
  const char *proto0;
} parse_case;

static const parse_case parse_cases[] = {
    {"chrome_offer.sdp", 3, "ava", "BUNDLE 0 1 2", 0, 2, 0, "0", "UDP/TLS/RTP/SAVPF"},
    {"firefox_offer.sdp", 2, "av", "BUNDLE 0 1", 0, 2, 0, "0", "UDP/TLS/RTP/SAVPF"},
    {"gstreamer_offer.sdp", 2, "va", "BUNDLE video0 audio1", 0, 0, 0, "video0", "UDP/TLS/RTP/SAVPF"},
    {"gstreamer_answer.sdp", 3, "avv", "BUNDLE 0 1", 0, 2, 0, "0", "UDP/TLS/RTP/SAVPF"},
    {"linus_answer.sdp", 3, "avv", NULL, 1, 1, 0, "0", "UDP/TLS/RTP/SAVPF"},
    {"sip_sdes.sdp", 2, "av", NULL, 0, 0, 2, NULL, "RTP/SAVP"},
};

static void test_parse_table(void) {
  for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
    const parse_case *pc = &parse_cases[i];
    char *text = load(pc->file, NULL);
    usm__sdp_session *s = parse_ok(text);
    if (s) {
      CHECK_INT(s->n_media, pc->n_media);
      for (size_t m = 0; m < s->n_media && m < strlen(pc->types); m++) CHECK_INT(s->media[m]->type[0], pc->types[m]);
      const char *g = usm__sdp_group_find(s, "BUNDLE");
      if (pc->bundle) CHECK_STR(g, pc->bundle);
      else CHECK(g == NULL);
      CHECK_INT(s->c.ice_lite, pc->ice_lite);
      CHECK_INT(s->media[0]->n_candidate, pc->cands0);
      CHECK_INT(s->media[0]->n_crypto, pc->crypto0);
      if (pc->mid0) CHECK_STR(s->media[0]->mid, pc->mid0);
      else CHECK(s->media[0]->mid == NULL);
      CHECK_STR(s->media[0]->proto, pc->proto0);
    }
    usm__sdp_free(s);
    check_round_trip(text, pc->file);
    free(text);
  }
}

static void test_parse_details(void) {
  char *text = load("chrome_offer.sdp", NULL);
  usm__sdp_session *s = parse_ok(text);
  if (s) {
    const usm__sdp_media *a = s->media[0], *v = s->media[1];
    CHECK_STR(a->c.ice_ufrag, "Xq9A");
    CHECK_INT(a->c.setup, USM__SDP_SETUP_ACTPASS);
    CHECK_INT(a->c.dir, USM__SDP_DIR_SENDRECV);
    CHECK(a->rtcp_mux && a->rtcp_rsize);
    CHECK_INT(a->n_fmt, 8);
    const usm__sdp_codec *k = usm__sdp_codec_find(a, 111);
    CHECK(k && strcmp(k->name, "opus") == 0 && k->clock == 48000 && k->channels == 2);
    CHECK_STR(k ? k->fmtp : NULL, "minptime=10;useinbandfec=1");
    CHECK_STR(a->candidate[0], "candidate:1467250027 1 udp 2122260223 192.168.1.20 56143 typ host generation 0 network-id 1");
    CHECK_INT(a->c.n_extmap, 4);
    CHECK_STR(a->c.fp[0].alg, "sha-256");
    CHECK_INT(a->n_ssrc, 2);
    CHECK_INT(a->ssrc[0].ssrc, 3735928559u);
    CHECK_STR(a->ssrc[0].attr, "cname:4TOk42mSjXCkVIa6");
    CHECK_INT(a->n_msid, 1);
    CHECK_INT(v->n_fmt, 23);
    CHECK_INT(v->n_fb, 50);
    CHECK_INT(v->fb[0].pt, 96);
    CHECK_STR(v->fb[0].value, "goog-remb");
    CHECK_STR(v->ssrc_group[0], "FID 2863311530 2863311531");
    CHECK_STR(s->media[2]->fmt[0], "webrtc-datachannel");
    /* unknown attributes kept in order */
    CHECK_STR(a->c.extra[0].text, "rtcp:9 IN IP4 0.0.0.0");
    CHECK_STR(s->c.extra[0].text, "extmap-allow-mixed");
  }
  usm__sdp_free(s);
  free(text);

  text = load("firefox_offer.sdp", NULL);
  s = parse_ok(text);
  if (s) {
    CHECK_INT(s->c.n_fp, 1); /* Firefox: session-level fingerprint */
    CHECK_INT(s->media[0]->c.n_fp, 0);
    CHECK(s->media[0]->c.end_of_candidates);
    CHECK_STR(s->media[0]->c.extmap[1].dir, "recvonly");
    CHECK_INT(s->media[0]->c.extmap[1].id, 2);
    const usm__sdp_codec *k = usm__sdp_codec_find(s->media[0], 101);
    CHECK(k && k->channels == 1 && strcmp(k->fmtp, "0-15") == 0);
  }
  usm__sdp_free(s);
  free(text);

  text = load("sip_sdes.sdp", NULL);
  s = parse_ok(text);
  if (s) {
    const usm__sdp_media *a = s->media[0];
    CHECK_INT(a->port, 5004);
    CHECK_INT(a->crypto[0].tag, 1);
    CHECK_STR(a->crypto[0].suite, "AES_CM_128_HMAC_SHA1_80");
    CHECK_STR(a->crypto[0].key_params, "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32");
    CHECK(a->crypto[0].session_params == NULL);
    CHECK_STR(a->crypto[1].session_params, "KDR=1 UNENCRYPTED_SRTCP");
    CHECK_STR(a->c.bw[0].type, "AS");
    CHECK_INT(a->c.bw[0].value, 64);
    CHECK_STR(s->c.conn, "IN IP4 192.0.2.10");
    CHECK_STR(s->name, "No Name");
  }
  usm__sdp_free(s);
  free(text);

  text = load("linus_answer.sdp", NULL);
  s = parse_ok(text);
  if (s) {
    CHECK_STR(s->origin, "linus 0 1 IN IP4 173.37.38.37");
    CHECK_STR(s->c.bw[0].type, "TIAS");
    CHECK_INT(s->c.bw[0].value, 1328000);
    CHECK_STR(s->media[2]->content, "slides");
    CHECK_STR(s->media[2]->label, "300");
    CHECK_INT(s->media[1]->fb[0].pt, -1);
    CHECK_STR(s->media[1]->fb[0].value, "nack pli");
  }
  usm__sdp_free(s);
  free(text);
}

/* CRLF and bare LF give the same model; unknown lines survive a write. */
static void test_line_endings_and_unknown(void) {
  char *crlf = load("chrome_offer.sdp", NULL);
  size_t n = strlen(crlf), j = 0;
  char *lf = malloc(n + 1);
  for (size_t i = 0; i < n; i++)
    if (crlf[i] != '\r') lf[j++] = crlf[i];
  lf[j] = '\0';
  usm__sdp_session *a = parse_ok(crlf), *b = parse_ok(lf);
  CHECK(usm__sdp_equal(a, b));
  usm__sdp_free(a);
  usm__sdp_free(b);
  free(crlf);
  free(lf);

  const char *odd = "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\ni=session info\nt=0 0\nr=7d 1h 0 25h\n"
                    "a=x-session-thing:1\nm=audio 9 RTP/AVP 0\ni=audio title\nk=prompt\n"
                    "a=x-custom:foo bar\na=rtpmap:webrtc x\na=ptime:20\nx=unknown type letter\n\n\n";
  usm__sdp_session *s = parse_ok(odd);
  if (s) {
    char *out = NULL;
    CHECK_INT(usm__sdp_write(s, &out, NULL), USM_OK);
    CHECK(out && strstr(out, "\r\ni=session info\r\n") && strstr(out, "\r\nr=7d 1h 0 25h\r\n"));
    CHECK(out && strstr(out, "\r\na=x-custom:foo bar\r\n") && strstr(out, "\r\na=rtpmap:webrtc x\r\n"));
    CHECK(out && strstr(out, "\r\nk=prompt\r\n") && strstr(out, "\r\nx=unknown type letter\r\n"));
    CHECK(out && strstr(out, "a=x-session-thing:1\r\nm=audio"));
    free(out);
  }
  usm__sdp_free(s);
  check_round_trip(odd, "odd lines");
  check_round_trip("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=\r\nm=video 0/2 RTP/AVP\r\na=fmtp:96\r\na=ssrc:1\r\n", "empty values");
}

/* ---- garbage and bounds ---- */

static void expect_err(const char *text, size_t len, usm_err want, const char *what) {
  static usm__sdp_session dummy;
  char err[128] = "unset";
  usm__sdp_session *s = &dummy; /* must be reset to NULL */
  usm_err e = usm__sdp_parse(text, len, &s, err, sizeof err);
  if (e != want) fprintf(stderr, "case '%s': got %d (%s)\n", what, (int)e, err);
  CHECK_INT(e, want);
  CHECK(s == NULL);
  CHECK(err[0] != '\0' && strcmp(err, "unset") != 0);
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define AUDIO "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"

static void expect_str_err(const char *text, usm_err want) { expect_err(text, strlen(text), want, text); }

static void test_garbage(void) {
  expect_str_err("", USM_ERR_SDP);
  expect_str_err("\r\n\r\n", USM_ERR_SDP);
  expect_str_err("o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n", USM_ERR_SDP);
  expect_str_err("v=1\r\no=x\r\n", USM_ERR_SDP);
  expect_str_err("v=0\r\ns=-\r\n", USM_ERR_SDP); /* no o= */
  expect_str_err(HEAD "garbage\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "A=foo\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "a=\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "a=:x\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "a=foo\x01" "bar\r\n", USM_ERR_SDP);
  expect_err(HEAD "a=foo\0bar\r\n", sizeof(HEAD "a=foo\0bar\r\n") - 1, USM_ERR_SDP, "NUL");
  expect_str_err(HEAD "v=0\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "o=- 2 2 IN IP4 0.0.0.0\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "o=- 2 2 IN IP4 0.0.0.0\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "t=0 0\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "m=audio\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "m=audio 70000 RTP/AVP 0\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "m=audio x RTP/AVP 0\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "m=audio 9/0 RTP/AVP 0\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "c=\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "c=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "b=AS\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "b=AS:-1\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "b=AS:99999999999\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=rtpmap:111 opus\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=rtpmap:111 opus/0\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=rtpmap:111 opus/48000/2/1\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=rtpmap:111 opus/48000/2 extra\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=rtpmap:111 opus/48000/2\r\na=rtpmap:111 opus/48000/2\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=fmtp:111 a=1\r\na=fmtp:111 a=2\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=rtcp-fb:111\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=mid:0\r\na=mid:1\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=mid:a b\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=setup:sometimes\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=setup:active\r\na=setup:active\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=sendrecv\r\na=recvonly\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=fingerprint:sha-256\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=fingerprint:sha-256 ZZ:11\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=fingerprint:sha-256 AB:11 more\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=ssrc:abc cname:x\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=ssrc:4294967296 cname:x\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:abc\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=extmap:0 urn:x\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=extmap:1\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=extmap:1/ urn:x\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=ice-ufrag:\r\n", USM_ERR_SDP);
  expect_str_err(HEAD AUDIO "a=candidate:\r\n", USM_ERR_SDP);
  expect_str_err(HEAD "a=group:\r\n", USM_ERR_SDP);
  CHECK_INT(usm__sdp_parse("v=0", 3, NULL, NULL, 0), USM_ERR_INVALID_ARG);
}

/* Repeats line n times after prefix; "%u" in line becomes the index. */
static char *repeat(const char *prefix, const char *line, size_t n, const char *suffix) {
  usm_strbuf b;
  usm__strbuf_init(&b, 0);
  usm__strbuf_printf(&b, "%s", prefix);
  for (size_t i = 0; i < n; i++) {
    for (const char *p = line; *p; p++) {
      if (p[0] == '%' && p[1] == 'u') {
        usm__strbuf_printf(&b, "%zu", i);
        p++;
      } else {
        usm__strbuf_append(&b, p, 1);
      }
    }
  }
  usm__strbuf_printf(&b, "%s", suffix);
  return b.data;
}

static void check_bound(const char *prefix, const char *line, size_t max, const char *what) {
  char *ok = repeat(prefix, line, max, "");
  char *over = repeat(prefix, line, max + 1, "");
  char err[128];
  usm__sdp_session *s = NULL;
  usm_err e = usm__sdp_parse(ok, strlen(ok), &s, err, sizeof err);
  if (e != USM_OK) fprintf(stderr, "bound %s at max: %s\n", what, err);
  CHECK_INT(e, USM_OK);
  usm__sdp_free(s);
  expect_err(over, strlen(over), USM_ERR_LIMIT, what);
  free(ok);
  free(over);
}

static void test_bounds(void) {
  check_bound(HEAD, "m=audio 9 RTP/AVP 0\r\n", USM__SDP_MAX_MEDIA, "m-lines");
  check_bound(HEAD AUDIO, "a=x-attr:%u\r\na=sendonly:%u\r\n", USM__SDP_MAX_EXTRA / 2, "extra");
  check_bound(HEAD AUDIO, "a=candidate:%u 1 udp 1 10.0.0.1 %u typ host\r\n", USM__SDP_MAX_CANDIDATES, "candidates");
  check_bound(HEAD AUDIO, "a=ssrc:%u cname:%u\r\n", USM__SDP_MAX_SSRCS, "ssrc");
  check_bound(HEAD AUDIO, "a=rtcp-fb:%u nack\r\na=rtcp-fb:%u nack pli\r\n", USM__SDP_MAX_RTCPFB / 2, "rtcp-fb");
  check_bound(HEAD AUDIO, "a=rtpmap:%u x/8000\r\na=fmtp:%u a=1\r\n", USM__SDP_MAX_CODECS, "codecs");
  check_bound(HEAD AUDIO, "a=crypto:%u AES_CM_128_HMAC_SHA1_80 inline:%u\r\n", USM__SDP_MAX_CRYPTO, "crypto");
  check_bound(HEAD AUDIO, "a=extmap:1%u urn:x:%u\r\n", USM__SDP_MAX_EXTMAPS, "extmap");
  check_bound(HEAD AUDIO, "a=fingerprint:sha-256 %u%u\r\n", USM__SDP_MAX_FPS, "fingerprint");
  check_bound(HEAD AUDIO, "b=X%u:%u\r\n", USM__SDP_MAX_BW, "b=");
  check_bound(HEAD, "a=group:BUNDLE %u %u\r\n", USM__SDP_MAX_GROUPS, "groups");
  check_bound(HEAD AUDIO, "a=msid:s%u t%u\r\n", USM__SDP_MAX_GROUPS, "msid");
  check_bound(HEAD AUDIO, "a=ssrc-group:FID %u %u\r\n", USM__SDP_MAX_GROUPS, "ssrc-group");
  /* attributes per level (flags: no other bound applies first) */
  check_bound(HEAD AUDIO, "a=rtcp-mux\r\n", USM__SDP_MAX_ATTRS, "attrs per m-line");
  check_bound(HEAD, "a=ice-lite\r\n", USM__SDP_MAX_ATTRS, "attrs per session");
  check_bound("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", "i=%u%u\r\n", USM__SDP_MAX_EXTRA, "session extras");

  /* formats per m-line */
  usm_strbuf b;
  usm__strbuf_init(&b, 0);
  usm__strbuf_printf(&b, HEAD "m=video 9 RTP/AVP");
  for (unsigned i = 0; i < USM__SDP_MAX_FORMATS; i++) usm__strbuf_printf(&b, " %u", i);
  usm__sdp_session *s = parse_ok(b.data);
  CHECK(s != NULL);
  usm__sdp_free(s);
  usm__strbuf_printf(&b, " 127\r\n");
  expect_err(b.data, b.len, USM_ERR_LIMIT, "formats");
  usm__strbuf_free(&b);

  /* lines: blank lines do not count, content lines do */
  char *many = repeat("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", "\r\n", 10000, "");
  s = parse_ok(many);
  usm__sdp_free(s);
  free(many);
  usm__strbuf_init(&b, 0);
  usm__strbuf_printf(&b, "v=0\no=- 1 1 IN IP4 0.0.0.0\n");
  for (unsigned i = 0; i < USM__SDP_MAX_MEDIA; i++) {
    usm__strbuf_printf(&b, "m=audio 9 RTP/AVP 0\n");
    for (unsigned k = 0; k < USM__SDP_MAX_LINES / USM__SDP_MAX_MEDIA; k++) usm__strbuf_printf(&b, "a=rtcp-mux\n");
  }
  CHECK(b.len <= USM__SDP_MAX_BYTES);
  expect_err(b.data, b.len, USM_ERR_LIMIT, "lines");
  usm__strbuf_free(&b);

  /* total size */
  char *big = malloc(USM__SDP_MAX_BYTES + 2);
  memset(big, 'a', USM__SDP_MAX_BYTES + 1);
  memcpy(big, "v=0\r\n", 5);
  big[USM__SDP_MAX_BYTES + 1] = '\0';
  expect_err(big, USM__SDP_MAX_BYTES + 1, USM_ERR_LIMIT, "size");
  free(big);

  /* line length and token length */
  char line[USM__SDP_MAX_LINE + 64];
  snprintf(line, sizeof line, HEAD "a=x:");
  size_t n = strlen(line);
  memset(line + n, 'y', USM__SDP_MAX_LINE - 4);
  line[n + USM__SDP_MAX_LINE - 4] = '\0';
  s = parse_ok(line);
  usm__sdp_free(s);
  strcat(line, "z");
  expect_err(line, strlen(line), USM_ERR_LIMIT, "line length");
  snprintf(line, sizeof line, HEAD AUDIO "a=mid:");
  n = strlen(line);
  memset(line + n, 'm', USM__SDP_MAX_TOKEN);
  line[n + USM__SDP_MAX_TOKEN] = '\0';
  s = parse_ok(line);
  usm__sdp_free(s);
  strcat(line, "m");
  expect_err(line, strlen(line), USM_ERR_LIMIT, "mid length");
}

/* ---- negotiation ---- */

static const char *const our_cands[] = {"candidate:1 1 udp 2130706431 192.168.1.9 50000 typ host",
                                        "candidate:2 1 udp 1694498815 198.51.100.4 50000 typ srflx raddr 192.168.1.9 rport 50000"};
#define OUR_FP "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"

static void local_default(usm__sdp_local *l) {
  usm__sdp_local_init(l);
  l->ice_ufrag = "usmU";
  l->ice_pwd = "usmpasswordusmpassword00";
  l->fp_alg = "sha-256";
  l->fp_value = OUR_FP;
  l->cname = "usmcname";
  l->session_id = 42;
  l->session_version = 1;
  l->media[0].ssrc = 1111;
  l->media[1].ssrc = 2222;
  l->media[2].ssrc = 3333;
  l->media[0].tias = 64000;
  l->candidates = our_cands;
  l->n_candidates = 2;
  l->end_of_candidates = 1;
}

static char *our_offer(const usm__sdp_local *l) {
  char err[128], *text = NULL;
  usm_err e = usm__sdp_write_offer(l, &text, err, sizeof err);
  if (e != USM_OK) fprintf(stderr, "offer: %s\n", err);
  CHECK_INT(e, USM_OK);
  return text;
}

static void test_offer(void) {
  usm__sdp_local l;
  local_default(&l);
  char *offer = our_offer(&l);
  if (!offer) return;
  usm__sdp_session *s = parse_ok(offer);
  if (s) {
    CHECK_INT(s->n_media, 3);
    CHECK_STR(usm__sdp_group_find(s, "BUNDLE"), "BUNDLE 0 1 2");
    const usm__sdp_media *a = s->media[0], *v = s->media[1], *sl = s->media[2];
    CHECK_STR(a->type, "audio");
    CHECK_STR(a->proto, "UDP/TLS/RTP/SAVPF");
    CHECK_INT(a->n_fmt, 2);
    CHECK_STR(a->fmt[0], "111");
    CHECK_STR(usm__sdp_codec_find(a, 111)->fmtp, "minptime=10;useinbandfec=1");
    CHECK_STR(usm__sdp_codec_find(a, 126)->name, "telephone-event");
    CHECK_INT(a->c.setup, USM__SDP_SETUP_ACTPASS);
    CHECK_STR(a->c.fp[0].value, OUR_FP);
    CHECK_STR(a->c.ice_ufrag, "usmU");
    CHECK(a->rtcp_mux);
    CHECK_INT(a->c.bw[0].value, 64000);
    CHECK_INT(a->n_candidate, 2);
    CHECK(a->c.end_of_candidates);
    CHECK_INT(a->ssrc[0].ssrc, 1111);
    CHECK_STR(a->ssrc[0].attr, "cname:usmcname");
    CHECK_STR(v->fmt[0], "102"); /* H264 preferred by default */
    CHECK_STR(v->fmt[1], "96");
    CHECK_STR(usm__sdp_codec_find(v, 102)->fmtp, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
    CHECK_INT(v->n_fb, 10);
    CHECK_STR(v->content, "main");
    CHECK_STR(sl->content, "slides");
    CHECK_STR(sl->mid, "2");
  }
  usm__sdp_free(s);
  check_round_trip(offer, "our offer");
  free(offer);

  /* SDES-only offer, audio only, VP8 only */
  static const char *const crypto[] = {"1 AES_CM_128_HMAC_SHA1_80 inline:T1VSS0VZMDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz"};
  local_default(&l);
  l.fp_alg = l.fp_value = NULL;
  l.crypto = crypto;
  l.n_crypto = 1;
  l.n_media = 2;
  l.video_codecs[0] = USM__SDP_CODEC_VP8;
  l.n_video_codecs = 1;
  offer = our_offer(&l);
  s = offer ? parse_ok(offer) : NULL;
  if (s) {
    CHECK_STR(s->media[0]->proto, "RTP/SAVPF");
    CHECK_INT(s->media[0]->n_crypto, 1);
    CHECK_INT(s->media[0]->c.n_fp, 0);
    CHECK_INT(s->media[1]->n_fmt, 1);
    CHECK_STR(s->media[1]->fmt[0], "96");
  }
  usm__sdp_free(s);
  free(offer);

  /* bad local capabilities */
  char err[128], *text = NULL;
  local_default(&l);
  l.ice_ufrag = "has space";
  CHECK_INT(usm__sdp_write_offer(&l, &text, err, sizeof err), USM_ERR_INVALID_ARG);
  local_default(&l);
  static const char *const bad_cand[] = {"candidate:1 1 udp 1 1.2.3.4 5 typ host\r\na=evil"};
  l.candidates = bad_cand;
  l.n_candidates = 1;
  CHECK_INT(usm__sdp_write_offer(&l, &text, err, sizeof err), USM_ERR_INVALID_ARG);
  local_default(&l);
  l.fp_alg = l.fp_value = NULL;
  CHECK_INT(usm__sdp_write_offer(&l, &text, err, sizeof err), USM_ERR_INVALID_ARG);
  local_default(&l);
  l.media[2].kind = USM__SDP_KIND_VIDEO;
  CHECK_INT(usm__sdp_write_offer(&l, &text, err, sizeof err), USM_ERR_INVALID_ARG);
  local_default(&l);
  l.n_video_codecs = 0;
  CHECK_INT(usm__sdp_write_offer(&l, &text, err, sizeof err), USM_ERR_INVALID_ARG);
  CHECK(text == NULL);
}

static usm__sdp_result *read_answer(const char *offer, const char *answer, usm_err want, const char *why) {
  char err[160];
  usm__sdp_result *r = NULL;
  usm_err e = usm__sdp_read_answer(offer, strlen(offer), answer, strlen(answer), &r, err, sizeof err);
  if (e != want) fprintf(stderr, "read_answer: got %d (%s), wanted %d\n", (int)e, err, (int)want);
  CHECK_INT(e, want);
  if (why) {
    if (!strstr(err, why)) fprintf(stderr, "reason '%s' lacks '%s'\n", err, why);
    CHECK(strstr(err, why) != NULL);
  }
  if (e != USM_OK) CHECK(r == NULL);
  return r;
}

static void test_answer_linus(void) {
  usm__sdp_local l;
  local_default(&l);
  char *offer = our_offer(&l);
  char *answer = load("linus_answer.sdp", NULL);
  usm__sdp_result *r = offer ? read_answer(offer, answer, USM_OK, NULL) : NULL;
  if (r) {
    CHECK_INT(r->n_media, 3);
    CHECK_INT(r->bundle_tag, -1);
    CHECK(r->bundle == NULL);
    const usm__sdp_media_result *a = &r->media[0], *v = &r->media[1], *s = &r->media[2];
    CHECK_INT(a->kind, USM__SDP_KIND_AUDIO);
    CHECK(!a->rejected);
    CHECK_INT(a->codec, USM__SDP_CODEC_OPUS);
    CHECK_INT(a->pt, 98); /* Linus's number, not ours */
    CHECK_INT(a->recv_pt, 111);
    CHECK_STR(a->codec_name, "opus");
    CHECK_INT(a->clock, 48000);
    CHECK_INT(a->channels, 2);
    CHECK_STR(a->remote_fmtp, "maxplaybackrate=48000;maxaveragebitrate=64000;stereo=1");
    CHECK_STR(a->local_fmtp, "minptime=10;useinbandfec=1");
    CHECK_INT(a->dtmf_pt, 99);
    CHECK_INT(a->dtmf_recv_pt, 126);
    CHECK_INT(a->rtcp_fb, 0); /* we offered transport-cc; Linus lists none */
    CHECK_INT(a->dir, USM__SDP_DIR_SENDRECV);
    CHECK(a->rtcp_mux);
    CHECK_INT(a->remote_tias, 64000);
    CHECK(a->transport.ice_lite);
    CHECK_STR(a->transport.ice_ufrag, "JjBjSJLh");
    CHECK_STR(a->transport.ice_pwd, "VLhnm47ZazD63oSVS7gXqWlNbJ1Yp/8D");
    CHECK_STR(a->transport.fp_alg, "sha-256"); /* session level */
    CHECK_INT(a->transport.remote_setup, USM__SDP_SETUP_PASSIVE);
    CHECK_INT(a->transport.dtls_client, 1);
    CHECK_INT(a->transport.n_candidates, 1);
    CHECK_STR(a->transport.candidates[0], "candidate:0 1 UDP 2130706431 173.37.38.37 33434 typ host");
    CHECK_STR(a->transport.conn, "IN IP4 173.37.38.37");
    CHECK_INT(a->transport.port, 33434);
    CHECK_INT(v->kind, USM__SDP_KIND_VIDEO);
    CHECK_INT(v->codec, USM__SDP_CODEC_H264);
    CHECK_INT(v->pt, 107);
    CHECK_INT(v->recv_pt, 102);
    CHECK_INT(v->rtcp_fb, USM__SDP_FB_NACK_PLI);
    CHECK_INT(s->kind, USM__SDP_KIND_SLIDES);
    CHECK_INT(s->pt, 118);
    CHECK_STR(s->mid, "2");
  }
  usm__sdp_result_free(r);
  free(answer);
  free(offer);
}

static void test_answer_gstreamer(void) {
  usm__sdp_local l;
  local_default(&l);
  char *offer = our_offer(&l);
  char *answer = load("gstreamer_answer.sdp", NULL);
  usm__sdp_result *r = offer ? read_answer(offer, answer, USM_OK, NULL) : NULL;
  if (r) {
    CHECK_STR(r->bundle, "BUNDLE 0 1");
    CHECK_INT(r->bundle_tag, 0);
    const usm__sdp_media_result *a = &r->media[0], *v = &r->media[1], *s = &r->media[2];
    CHECK_INT(a->pt, 111);
    CHECK_STR(a->codec_name, "OPUS");
    CHECK_INT(a->dtmf_pt, -1);
    CHECK_INT(a->rtcp_fb, USM__SDP_FB_TRANSPORT_CC);
    CHECK_INT(a->n_remote_ssrcs, 1);
    CHECK_INT(a->remote_ssrcs[0], 305419896u);
    CHECK_STR(a->remote_cname, "user1@host-gst");
    CHECK_INT(a->transport.dtls_client, 0); /* answer is active */
    CHECK(a->bundled);
    /* VP8-only answer to our H264+VP8 offer */
    CHECK_INT(v->codec, USM__SDP_CODEC_VP8);
    CHECK_INT(v->pt, 96);
    CHECK_INT(v->recv_pt, 96);
    CHECK_INT(v->rtcp_fb, USM__SDP_FB_NACK | USM__SDP_FB_NACK_PLI | USM__SDP_FB_CCM_FIR);
    CHECK_INT(v->dir, USM__SDP_DIR_SENDONLY); /* they only receive */
    CHECK(v->bundled);
    CHECK_INT(v->transport.n_candidates, 2); /* the bundle tag's */
    CHECK(s->rejected);
    CHECK(!s->bundled);
    CHECK_INT(s->pt, -1);
  }
  usm__sdp_result_free(r);
  free(answer);
  free(offer);
}

/* An answer to the default offer, with pieces to vary. */
typedef struct ans_opts {
  const char *setup;    /* "a=setup:..." line or "" */
  const char *fp;       /* fingerprint line or "" */
  const char *bundle;   /* "a=group:..." line or "" */
  const char *audio;    /* audio m-line formats + codec lines */
  const char *video;    /* video m-line formats + codec lines */
  unsigned slides_port;
} ans_opts;

#define ANS_FP "a=fingerprint:sha-256 01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20\r\n"
#define ANS_OPUS "111\r\na=rtpmap:111 opus/48000/2\r\n"
#define ANS_H264 "102\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1;profile-level-id=42e01f\r\na=rtcp-fb:102 nack\r\n"

static char *make_answer(const ans_opts *o) {
  usm_strbuf b;
  usm__strbuf_init(&b, 0);
  usm__strbuf_printf(&b, "v=0\r\no=- 9 9 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n%s%s", o->bundle, o->fp);
  const char *fmts[3] = {o->audio, o->video, o->video};
  const char *types[3] = {"audio", "video", "video"};
  for (int i = 0; i < 3; i++) {
    unsigned port = i == 2 ? o->slides_port : 9;
    usm__strbuf_printf(&b, "m=%s %u UDP/TLS/RTP/SAVPF %s", types[i], port, fmts[i]);
    usm__strbuf_printf(&b, "c=IN IP4 0.0.0.0\r\na=mid:%d\r\n%sa=ice-ufrag:U%d\r\na=ice-pwd:remotepasswordremotepass\r\na=rtcp-mux\r\n"
                           "a=candidate:%d 1 udp 1 10.0.0.%d 4000 typ host\r\n",
                       i, o->setup, i, i, i + 1);
    if (i == 2) usm__strbuf_printf(&b, "a=content:slides\r\n");
  }
  return b.data;
}

static void test_answer_cases(void) {
  usm__sdp_local l;
  local_default(&l);
  char *offer = our_offer(&l);
  if (!offer) return;
  ans_opts base = {"a=setup:active\r\n", ANS_FP, "", ANS_OPUS, ANS_H264, 9};
  ans_opts o;
  char *ans;
  usm__sdp_result *r;

  /* H264-only answer */
  ans = make_answer(&base);
  r = read_answer(offer, ans, USM_OK, NULL);
  if (r) {
    CHECK_INT(r->media[1].codec, USM__SDP_CODEC_H264);
    CHECK_INT(r->media[1].pt, 102);
    CHECK_INT(r->media[1].rtcp_fb, USM__SDP_FB_NACK);
    CHECK_STR(r->media[1].remote_fmtp, "packetization-mode=1;profile-level-id=42e01f");
    CHECK_INT(r->media[2].codec, USM__SDP_CODEC_H264);
    CHECK_INT(r->media[0].transport.dtls_client, 0);
    CHECK_STR(r->media[1].transport.ice_ufrag, "U1"); /* no bundle: own transport */
    CHECK_INT(r->media[0].n_remote_ssrcs, 0);
  }
  usm__sdp_result_free(r);
  free(ans);

  /* setup roles */
  struct {
    const char *setup;
    usm_err want;
    int client;
  } roles[] = {{"a=setup:active\r\n", USM_OK, 0},
               {"a=setup:passive\r\n", USM_OK, 1},
               {"", USM_OK, 0},
               {"a=setup:actpass\r\n", USM_ERR_SDP, 0},
               {"a=setup:holdconn\r\n", USM_ERR_SDP, 0}};
  for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
    o = base;
    o.setup = roles[i].setup;
    ans = make_answer(&o);
    r = read_answer(offer, ans, roles[i].want, roles[i].want ? "setup" : NULL);
    if (r) CHECK_INT(r->media[0].transport.dtls_client, roles[i].client);
    usm__sdp_result_free(r);
    free(ans);
  }
  /* we offered active: the answer must be passive */
  usm__sdp_local la;
  local_default(&la);
  la.setup = USM__SDP_SETUP_ACTIVE;
  char *offer_active = our_offer(&la);
  ans = make_answer(&base);
  r = offer_active ? read_answer(offer_active, ans, USM_ERR_SDP, "setup") : NULL;
  usm__sdp_result_free(r);
  free(ans);
  o = base;
  o.setup = "a=setup:passive\r\n";
  ans = make_answer(&o);
  r = offer_active ? read_answer(offer_active, ans, USM_OK, NULL) : NULL;
  if (r) CHECK_INT(r->media[1].transport.dtls_client, 1);
  usm__sdp_result_free(r);
  free(ans);
  free(offer_active);

  /* missing fingerprint */
  o = base;
  o.fp = "";
  ans = make_answer(&o);
  r = read_answer(offer, ans, USM_ERR_SDP, "fingerprint");
  free(ans);

  /* no common codec: PCMU only on audio; VP9 only on video */
  o = base;
  o.audio = "0\r\na=rtpmap:0 PCMU/8000\r\n";
  ans = make_answer(&o);
  r = read_answer(offer, ans, USM_ERR_SDP, "no common codec");
  free(ans);
  o = base;
  o.video = "98\r\na=rtpmap:98 VP9/90000\r\n";
  ans = make_answer(&o);
  r = read_answer(offer, ans, USM_ERR_SDP, "no common codec");
  free(ans);
  /* H264 with packetization-mode 0 does not match ours */
  o = base;
  o.video = "102\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 profile-level-id=42e01f\r\n";
  ans = make_answer(&o);
  r = read_answer(offer, ans, USM_ERR_SDP, "no common codec");
  free(ans);
  /* High profile does not match */
  o = base;
  o.video = "102\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1;profile-level-id=640c1f\r\n";
  ans = make_answer(&o);
  r = read_answer(offer, ans, USM_ERR_SDP, "no common codec");
  free(ans);
  /* a codec we did not offer on that m-line (opus on the video m-line's PT) */
  o = base;
  o.audio = "0 111\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:111 opus/48000/1\r\n";
  ans = make_answer(&o);
  r = read_answer(offer, ans, USM_ERR_SDP, "no common codec");
  free(ans);

  /* rejected slides m-line */
  o = base;
  o.slides_port = 0;
  ans = make_answer(&o);
  r = read_answer(offer, ans, USM_OK, NULL);
  if (r) {
    CHECK(r->media[2].rejected);
    CHECK(!r->media[1].rejected);
    CHECK_INT(r->media[2].dir, USM__SDP_DIR_INACTIVE);
  }
  usm__sdp_result_free(r);
  free(ans);

  /* bundle: every m-line takes the tag's transport */
  o = base;
  o.bundle = "a=group:BUNDLE 1 0 2\r\n";
  ans = make_answer(&o);
  r = read_answer(offer, ans, USM_OK, NULL);
  if (r) {
    CHECK_INT(r->bundle_tag, 1);
    for (int i = 0; i < 3; i++) {
      CHECK(r->media[i].bundled);
      CHECK_STR(r->media[i].transport.ice_ufrag, "U1");
      CHECK_STR(r->media[i].transport.candidates[0], "candidate:1 1 udp 1 10.0.0.2 4000 typ host");
    }
  }
  usm__sdp_result_free(r);
  free(ans);
  /* bundle naming an unknown mid; bundle tag rejected */
  o = base;
  o.bundle = "a=group:BUNDLE 0 7\r\n";
  ans = make_answer(&o);
  r = read_answer(offer, ans, USM_ERR_SDP, "BUNDLE");
  free(ans);
  o = base;
  o.bundle = "a=group:BUNDLE 2 0\r\n";
  o.slides_port = 0;
  ans = make_answer(&o);
  r = read_answer(offer, ans, USM_ERR_SDP, "BUNDLE");
  free(ans);

  /* structure: wrong count, wrong type, wrong mid, every m-line rejected */
  r = read_answer(offer, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n", USM_ERR_SDP, "m-lines");
  ans = make_answer(&base);
  char *p = strstr(ans, "m=video");
  if (p) memcpy(p, "m=audio", 7);
  r = read_answer(offer, ans, USM_ERR_SDP, "offer had");
  free(ans);
  ans = make_answer(&base);
  p = strstr(ans, "a=mid:1");
  if (p) p[6] = '7';
  r = read_answer(offer, ans, USM_ERR_SDP, "mid");
  free(ans);
  r = read_answer(offer,
                  "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 0 UDP/TLS/RTP/SAVPF 111\r\n"
                  "m=video 0 UDP/TLS/RTP/SAVPF 102\r\nm=video 0 UDP/TLS/RTP/SAVPF 102\r\n",
                  USM_ERR_SDP, "rejected");
  r = read_answer(offer, "v=0\r\nxyz\r\n", USM_ERR_SDP, "line 2");
  (void)r;
  free(offer);
}

/* SDES offer and a SIP-style answer echoing our tag. */
static void test_answer_sdes(void) {
  static const char *const crypto[] = {"1 AES_CM_128_HMAC_SHA1_80 inline:T1VSS0VZMDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz",
                                       "2 AES_CM_128_HMAC_SHA1_32 inline:T1VSS0VZMDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz"};
  usm__sdp_local l;
  local_default(&l);
  l.fp_alg = l.fp_value = NULL;
  l.crypto = crypto;
  l.n_crypto = 2;
  l.n_media = 1;
  char *offer = our_offer(&l);
  if (!offer) return;
  const char *ans = "v=0\r\no=- 3 3 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
                    "m=audio 5004 RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
                    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:UkVNT1RFS0VZMDEyMzQ1Njc4OTAxMjM0NTY3ODkw\r\n";
  usm__sdp_result *r = read_answer(offer, ans, USM_OK, NULL);
  if (r) {
    const usm__sdp_transport *t = &r->media[0].transport;
    CHECK_INT(t->crypto_tag, 2);
    CHECK_STR(t->crypto_suite, "AES_CM_128_HMAC_SHA1_32");
    CHECK_STR(t->local_key_params, "inline:T1VSS0VZMDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz");
    CHECK_STR(t->remote_key_params, "inline:UkVNT1RFS0VZMDEyMzQ1Njc4OTAxMjM0NTY3ODkw");
    CHECK(t->fp_alg == NULL);
    CHECK(t->ice_ufrag == NULL);
    CHECK_STR(t->conn, "IN IP4 192.0.2.10");
    CHECK_INT(t->port, 5004);
  }
  usm__sdp_result_free(r);
  /* a tag we never offered */
  const char *bad = "v=0\r\no=- 3 3 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\n"
                    "m=audio 5004 RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
                    "a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:UkVNT1RFS0VZMDEyMzQ1Njc4OTAxMjM0NTY3ODkw\r\n";
  r = read_answer(offer, bad, USM_ERR_SDP, "crypto");
  free(offer);
}

static usm__sdp_result *answer_offer(const usm__sdp_local *l, const char *offer, char **text, usm_err want) {
  char err[160];
  usm__sdp_result *r = NULL;
  *text = NULL;
  usm_err e = usm__sdp_answer_offer(l, offer, strlen(offer), text, &r, err, sizeof err);
  if (e != want) fprintf(stderr, "answer_offer: got %d (%s), wanted %d\n", (int)e, err, (int)want);
  CHECK_INT(e, want);
  if (e != USM_OK) CHECK(r == NULL && *text == NULL);
  return r;
}

static void test_answer_remote_offers(void) {
  usm__sdp_local l;
  local_default(&l);
  char *text;

  /* Chrome */
  char *offer = load("chrome_offer.sdp", NULL);
  usm__sdp_result *r = answer_offer(&l, offer, &text, USM_OK);
  if (r) {
    CHECK_INT(r->n_media, 3);
    const usm__sdp_media_result *a = &r->media[0], *v = &r->media[1], *d = &r->media[2];
    CHECK_INT(a->pt, 111);
    CHECK_INT(a->recv_pt, 111);
    CHECK_INT(a->dtmf_pt, 126); /* the 8000 Hz one, not 110/48000 */
    CHECK_INT(a->rtcp_fb, USM__SDP_FB_TRANSPORT_CC);
    CHECK_STR(a->local_fmtp, "minptime=10;useinbandfec=1");
    CHECK_INT(a->transport.dtls_client, 1); /* actpass: we are active */
    CHECK_INT(a->n_remote_ssrcs, 1);
    CHECK_INT(v->codec, USM__SDP_CODEC_H264);
    CHECK_INT(v->pt, 102); /* the first packetization-mode=1 baseline H264 */
    CHECK_INT(v->rtcp_fb, 0x1f);
    CHECK_STR(v->local_fmtp, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f");
    CHECK_INT(v->n_remote_ssrcs, 2);
    CHECK_INT(d->kind, USM__SDP_KIND_OTHER);
    CHECK(d->rejected);
    CHECK_INT(r->bundle_tag, 0);
    usm__sdp_session *s = parse_ok(text);
    if (s) {
      CHECK_STR(usm__sdp_group_find(s, "BUNDLE"), "BUNDLE 0 1");
      CHECK_INT(s->media[0]->c.setup, USM__SDP_SETUP_ACTIVE);
      CHECK_INT(s->media[2]->port, 0);
      CHECK_STR(s->media[2]->fmt[0], "webrtc-datachannel");
      CHECK_INT(s->media[1]->n_fmt, 1);
      CHECK_INT(s->media[0]->n_fmt, 2);
      CHECK_STR(s->media[1]->mid, "1");
    }
    usm__sdp_free(s);
    check_round_trip(text, "answer to chrome");
    /* our answer read back against Chrome's offer agrees on everything */
    usm__sdp_result *back = read_answer(offer, text, USM_OK, NULL);
    if (back) {
      CHECK_INT(back->media[0].pt, 111);
      CHECK_INT(back->media[1].pt, 102);
      CHECK_INT(back->media[1].rtcp_fb, 0x1f);
      CHECK_INT(back->media[0].transport.dtls_client, 0);
      CHECK(back->media[2].rejected);
    }
    usm__sdp_result_free(back);
  }
  usm__sdp_result_free(r);
  free(text);
  free(offer);

  /* Firefox: session-level fingerprint; VP8 preferred by us this time */
  l.video_codecs[0] = USM__SDP_CODEC_VP8;
  l.video_codecs[1] = USM__SDP_CODEC_H264;
  offer = load("firefox_offer.sdp", NULL);
  r = answer_offer(&l, offer, &text, USM_OK);
  if (r) {
    CHECK_INT(r->media[0].pt, 109);
    CHECK_INT(r->media[0].dtmf_pt, 101);
    CHECK_STR(r->media[0].remote_fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
    CHECK_STR(r->media[0].transport.fp_alg, "sha-256");
    CHECK(r->media[0].transport.end_of_candidates);
    CHECK_INT(r->media[1].codec, USM__SDP_CODEC_VP8);
    CHECK_INT(r->media[1].pt, 120);
    check_round_trip(text, "answer to firefox");
  }
  usm__sdp_result_free(r);
  free(text);
  /* H264 preferred: Firefox's 126 (97 has packetization-mode 0) */
  l.video_codecs[0] = USM__SDP_CODEC_H264;
  l.video_codecs[1] = USM__SDP_CODEC_VP8;
  r = answer_offer(&l, offer, &text, USM_OK);
  if (r) CHECK_INT(r->media[1].pt, 126);
  usm__sdp_result_free(r);
  free(text);
  free(offer);

  /* GStreamer: video first, mids video0/audio1, uppercase OPUS; no slides
   * m-line offered, so ours is unused */
  offer = load("gstreamer_offer.sdp", NULL);
  r = answer_offer(&l, offer, &text, USM_OK);
  if (r) {
    CHECK_INT(r->media[0].kind, USM__SDP_KIND_VIDEO);
    CHECK_INT(r->media[0].codec, USM__SDP_CODEC_VP8);
    CHECK_INT(r->media[0].rtcp_fb, USM__SDP_FB_NACK | USM__SDP_FB_NACK_PLI | USM__SDP_FB_CCM_FIR);
    CHECK_STR(r->media[0].mid, "video0");
    CHECK_INT(r->media[1].codec, USM__SDP_CODEC_OPUS);
    CHECK_INT(r->media[1].pt, 97);
    CHECK_INT(r->media[1].rtcp_fb, 0);
    CHECK(r->media[1].bundled);
    CHECK_INT(r->bundle_tag, 0);
    CHECK(text && strstr(text, "a=group:BUNDLE video0 audio1\r\n"));
  }
  usm__sdp_result_free(r);
  free(text);
  /* direction: we only receive video */
  l.media[1].dir = USM__SDP_DIR_RECVONLY;
  r = answer_offer(&l, offer, &text, USM_OK);
  if (r) {
    CHECK_INT(r->media[0].dir, USM__SDP_DIR_RECVONLY);
    CHECK(text && strstr(text, "a=recvonly\r\n") && !strstr(text, "a=ssrc:2222"));
  }
  usm__sdp_result_free(r);
  free(text);
  free(offer);

  /* a Linus SDP used as an offer: passive setup makes us active */
  local_default(&l);
  offer = load("linus_answer.sdp", NULL);
  r = answer_offer(&l, offer, &text, USM_OK);
  if (r) {
    CHECK_INT(r->media[2].kind, USM__SDP_KIND_SLIDES);
    CHECK(!r->media[2].rejected);
    CHECK_INT(r->media[2].transport.dtls_client, 1); /* remote passive */
    CHECK(text && strstr(text, "a=content:slides\r\n"));
    CHECK(text && strstr(text, "profile-level-id=42000C"));
  }
  usm__sdp_result_free(r);
  free(text);
  free(offer);

  /* SIP/SDES offer */
  offer = load("sip_sdes.sdp", NULL);
  r = answer_offer(&l, offer, &text, USM_ERR_SDP); /* DTLS-only: nothing usable */
  static const char *const crypto[] = {"7 AES_CM_128_HMAC_SHA1_80 inline:T1VSS0VZMDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz"};
  l.fp_alg = l.fp_value = NULL;
  l.crypto = crypto;
  l.n_crypto = 1;
  r = answer_offer(&l, offer, &text, USM_OK);
  if (r) {
    CHECK(r->media[0].rejected); /* PCMU/PCMA only */
    CHECK(!r->media[1].rejected);
    CHECK_INT(r->media[1].codec, USM__SDP_CODEC_H264);
    CHECK_INT(r->media[1].pt, 96);
    CHECK_INT(r->media[1].transport.crypto_tag, 1);
    CHECK_STR(r->media[1].transport.crypto_suite, "AES_CM_128_HMAC_SHA1_80");
    CHECK_STR(r->media[1].transport.local_key_params, "inline:T1VSS0VZMDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz");
    CHECK_STR(r->media[1].transport.remote_key_params, "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^31");
    CHECK_INT(r->media[1].remote_as, 2000);
    CHECK(text && strstr(text, "m=video 9 RTP/SAVP 96\r\n"));
    CHECK(text && strstr(text, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:T1VSS0VZ"));
    CHECK(text && strstr(text, "m=audio 0 RTP/SAVP 0\r\n"));
  }
  usm__sdp_result_free(r);
  free(text);
  free(offer);

  /* no common codec at all */
  local_default(&l);
  r = answer_offer(&l,
                   "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" ANS_FP
                   "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n"
                   "m=video 9 UDP/TLS/RTP/SAVPF 104\r\na=rtpmap:104 H264/90000\r\na=fmtp:104 packetization-mode=0\r\n",
                   &text, USM_ERR_SDP);
  /* garbage offer */
  r = answer_offer(&l, "v=0\r\no=x\r\nm=audio\r\n", &text, USM_ERR_SDP);
  (void)r;
}

int main(void) {
  test_parse_table();
  test_parse_details();
  test_line_endings_and_unknown();
  test_garbage();
  test_bounds();
  test_offer();
  test_answer_linus();
  test_answer_gstreamer();
  test_answer_cases();
  test_answer_sdes();
  test_answer_remote_offers();
  return check_done("test_sdp");
}
