/* SDP offer/answer for libusm's media transport: our offer text, reading the
 * remote answer, answering a remote offer. Codecs are matched by name, clock
 * rate, channels and (for H.264) fmtp; payload type numbers always come from
 * the SDP in hand. See docs/media-sdp.md for the rules. */
#include "media/sdp_negotiate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/reason.h"
#include "core/strbuf.h"

/* Payload types we put in our offers. */
enum { PT_OPUS = 111, PT_TEL = 126, PT_VP8 = 96, PT_H264 = 102 };

#define OPUS_FMTP "minptime=10;useinbandfec=1"
#define H264_PLI "42e01f"
#define TEL_FMTP "0-15"

/* ---- small helpers on the model ---- */

static usm__sdp_kind kind_of(const usm__sdp_media *m) {
  if (strcmp(m->type, "audio") == 0) return USM__SDP_KIND_AUDIO;
  if (strcmp(m->type, "video") == 0)
    return m->content && strcmp(m->content, "slides") == 0 ? USM__SDP_KIND_SLIDES : USM__SDP_KIND_VIDEO;
  return USM__SDP_KIND_OTHER;
}

/* Value of key in a "k=v;k=v" fmtp string, trimmed, into out; 0 when absent or too long. */
static int fmtp_param(const char *fmtp, const char *key, char *out, size_t outlen) {
  size_t klen = strlen(key);
  const char *p = fmtp;
  while (p && *p) {
    const char *end = strchr(p, ';');
    if (!end) end = p + strlen(p);
    while (p < end && *p == ' ') p++;
    const char *eq = memchr(p, '=', (size_t)(end - p));
    if (eq) {
      const char *ke = eq;
      while (ke > p && ke[-1] == ' ') ke--;
      if ((size_t)(ke - p) == klen && strncasecmp(p, key, klen) == 0) {
        const char *v = eq + 1, *ve = end;
        while (v < ve && *v == ' ') v++;
        while (ve > v && ve[-1] == ' ') ve--;
        if ((size_t)(ve - v) >= outlen) return 0;
        memcpy(out, v, (size_t)(ve - v));
        out[ve - v] = '\0';
        return 1;
      }
    }
    p = *end ? end + 1 : end;
  }
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* H.264 we can use: packetization-mode=1 and a Baseline or Constrained
 * Baseline profile-level-id (RFC 6184 §8.1; absent means 42000A). Any level. */
static int h264_ok(const char *fmtp, char pli_out[7]) {
  char pm[8], pli[8];
  if (!fmtp || !fmtp_param(fmtp, "packetization-mode", pm, sizeof pm) || strcmp(pm, "1") != 0) return 0;
  if (!fmtp_param(fmtp, "profile-level-id", pli, sizeof pli)) strcpy(pli, "42000a");
  if (strlen(pli) != 6) return 0;
  for (int i = 0; i < 6; i++)
    if (hexval(pli[i]) < 0) return 0;
  int idc = hexval(pli[0]) * 16 + hexval(pli[1]);
  int iop = hexval(pli[2]) * 16 + hexval(pli[3]);
  int ok = idc == 0x42 || (idc == 0x4d && (iop & 0x80)) || (idc == 0x58 && (iop & 0xc0) == 0xc0);
  if (ok && pli_out) memcpy(pli_out, pli, 7);
  return ok;
}

static usm__sdp_codec_id codec_id_of(const usm__sdp_codec *k) {
  if (!k || !k->name) return USM__SDP_CODEC_NONE;
  if (strcasecmp(k->name, "opus") == 0 && k->clock == 48000 && k->channels == 2) return USM__SDP_CODEC_OPUS;
  if (strcasecmp(k->name, "VP8") == 0 && k->clock == 90000 && k->channels <= 1) return USM__SDP_CODEC_VP8;
  if (strcasecmp(k->name, "H264") == 0 && k->clock == 90000 && k->channels <= 1 && h264_ok(k->fmtp, NULL))
    return USM__SDP_CODEC_H264;
  if (strcasecmp(k->name, "telephone-event") == 0 && k->clock == 8000) return USM__SDP_CODEC_TEL_EVENT;
  return USM__SDP_CODEC_NONE;
}

/* The first payload type of m (in m= order) carrying codec id; NULL when none. */
static const usm__sdp_codec *find_codec(const usm__sdp_media *m, usm__sdp_codec_id id) {
  for (size_t i = 0; i < m->n_fmt; i++) {
    char *end;
    long pt = strtol(m->fmt[i], &end, 10);
    if (*end || end == m->fmt[i] || pt < 0 || pt > 127) continue;
    const usm__sdp_codec *k = usm__sdp_codec_find(m, (int)pt);
    if (codec_id_of(k) == id) return k;
  }
  return NULL;
}

static unsigned fb_bits(const usm__sdp_media *m, int pt) {
  static const struct {
    const char *name;
    unsigned bit;
  } map[] = {{"nack", USM__SDP_FB_NACK},           {"nack pli", USM__SDP_FB_NACK_PLI},
             {"ccm fir", USM__SDP_FB_CCM_FIR},     {"goog-remb", USM__SDP_FB_GOOG_REMB},
             {"transport-cc", USM__SDP_FB_TRANSPORT_CC}};
  unsigned bits = 0;
  for (size_t i = 0; i < m->n_fb; i++) {
    if (m->fb[i].pt != pt && m->fb[i].pt != -1) continue;
    for (size_t j = 0; j < sizeof map / sizeof map[0]; j++)
      if (strcmp(m->fb[i].value, map[j].name) == 0) bits |= map[j].bit;
  }
  return bits;
}

static void write_fb(usm_strbuf *b, int pt, unsigned bits) {
  if (bits & USM__SDP_FB_GOOG_REMB) usm__strbuf_printf(b, "a=rtcp-fb:%d goog-remb\r\n", pt);
  if (bits & USM__SDP_FB_TRANSPORT_CC) usm__strbuf_printf(b, "a=rtcp-fb:%d transport-cc\r\n", pt);
  if (bits & USM__SDP_FB_CCM_FIR) usm__strbuf_printf(b, "a=rtcp-fb:%d ccm fir\r\n", pt);
  if (bits & USM__SDP_FB_NACK) usm__strbuf_printf(b, "a=rtcp-fb:%d nack\r\n", pt);
  if (bits & USM__SDP_FB_NACK_PLI) usm__strbuf_printf(b, "a=rtcp-fb:%d nack pli\r\n", pt);
}

static usm__sdp_dir eff_dir(const usm__sdp_session *s, const usm__sdp_media *m) {
  if (m->c.dir) return m->c.dir;
  return s->c.dir ? s->c.dir : USM__SDP_DIR_SENDRECV;
}
static int dir_sends(usm__sdp_dir d) { return d == USM__SDP_DIR_SENDRECV || d == USM__SDP_DIR_SENDONLY; }
static int dir_recvs(usm__sdp_dir d) { return d == USM__SDP_DIR_SENDRECV || d == USM__SDP_DIR_RECVONLY; }
static usm__sdp_dir make_dir(int send, int recv) {
  if (send && recv) return USM__SDP_DIR_SENDRECV;
  if (send) return USM__SDP_DIR_SENDONLY;
  return recv ? USM__SDP_DIR_RECVONLY : USM__SDP_DIR_INACTIVE;
}
/* Our direction given what we want and what the other side said. */
static usm__sdp_dir combine_dir(usm__sdp_dir ours, usm__sdp_dir theirs) {
  return make_dir(dir_sends(ours) && dir_recvs(theirs), dir_recvs(ours) && dir_sends(theirs));
}

static int has_attr_flag(const usm__sdp_media *m, const char *name) {
  for (size_t i = 0; i < m->c.n_extra; i++)
    if (m->c.extra[i].type == 'a' && strcmp(m->c.extra[i].text, name) == 0) return 1;
  return 0;
}

/* m-lines listed by the session's BUNDLE group, in its order (duplicates
 * dropped). -1 when a listed mid names no m-line. */
static int bundle_members(const usm__sdp_session *s, const char *g, size_t idx[USM__SDP_MAX_MEDIA],
                          size_t *n) {
  *n = 0;
  if (!g) return 0;
  const char *p = g + strlen("BUNDLE");
  for (;;) {
    while (*p == ' ') p++;
    if (!*p) return 0;
    const char *q = p;
    while (*q && *q != ' ') q++;
    size_t len = (size_t)(q - p), j;
    for (j = 0; j < s->n_media; j++) {
      const char *mid = s->media[j]->mid;
      if (mid && strlen(mid) == len && memcmp(mid, p, len) == 0) break;
    }
    if (j == s->n_media) return -1;
    size_t k;
    for (k = 0; k < *n && idx[k] != j; k++) {
    }
    if (k == *n) idx[(*n)++] = j;
    p = q;
  }
}

static int in_list(const size_t *idx, size_t n, size_t j) {
  for (size_t k = 0; k < n; k++)
    if (idx[k] == j) return 1;
  return 0;
}

static const usm__sdp_fp *pick_fp(const usm__sdp_common *c) {
  for (size_t i = 0; i < c->n_fp; i++)
    if (strcasecmp(c->fp[i].alg, "sha-256") == 0) return &c->fp[i];
  return c->n_fp ? &c->fp[0] : NULL;
}

/* The remote transport of m-line t (media level first, then session level). */
static void fill_transport(usm__sdp_transport *t, const usm__sdp_session *s, const usm__sdp_media *m) {
  t->ice_ufrag = m->c.ice_ufrag ? m->c.ice_ufrag : s->c.ice_ufrag;
  t->ice_pwd = m->c.ice_pwd ? m->c.ice_pwd : s->c.ice_pwd;
  t->ice_lite = m->c.ice_lite || s->c.ice_lite;
  const usm__sdp_fp *fp = pick_fp(&m->c);
  if (!fp) fp = pick_fp(&s->c);
  t->fp_alg = fp ? fp->alg : NULL;
  t->fp_value = fp ? fp->value : NULL;
  t->remote_setup = m->c.setup ? m->c.setup : s->c.setup;
  t->candidates = m->candidate;
  t->n_candidates = m->n_candidate;
  t->end_of_candidates = m->c.end_of_candidates || s->c.end_of_candidates;
  t->conn = m->c.conn ? m->c.conn : s->c.conn;
  t->port = m->port;
  t->crypto_tag = -1;
}

static void fill_remote_info(usm__sdp_media_result *r, const usm__sdp_media *m) {
  for (size_t i = 0; i < m->n_ssrc; i++) {
    const usm__sdp_ssrc *x = &m->ssrc[i];
    if (!r->remote_cname && strncmp(x->attr, "cname:", 6) == 0) r->remote_cname = x->attr + 6;
    size_t k;
    for (k = 0; k < r->n_remote_ssrcs && r->remote_ssrcs[k] != x->ssrc; k++) {
    }
    if (k == r->n_remote_ssrcs && k < USM__SDP_MAX_REMOTE_SSRCS) r->remote_ssrcs[r->n_remote_ssrcs++] = x->ssrc;
  }
  for (size_t i = 0; i < m->c.n_bw; i++) {
    if (strcmp(m->c.bw[i].type, "AS") == 0) r->remote_as = m->c.bw[i].value;
    if (strcmp(m->c.bw[i].type, "TIAS") == 0) r->remote_tias = m->c.bw[i].value;
  }
}

static void result_init(usm__sdp_media_result *r) {
  memset(r, 0, sizeof *r);
  r->pt = r->recv_pt = r->dtmf_pt = r->dtmf_recv_pt = -1;
  r->dir = USM__SDP_DIR_INACTIVE;
  r->transport.crypto_tag = -1;
}

void usm__sdp_result_free(usm__sdp_result *r) {
  if (!r) return;
  usm__sdp_free(r->local);
  usm__sdp_free(r->remote);
  free(r);
}

static usm__sdp_result *result_new(void) {
  usm__sdp_result *r = calloc(1, sizeof *r);
  if (r) r->bundle_tag = -1;
  return r;
}

/* ---- validating our capabilities ---- */

/* 1..256 printable bytes without spaces. */
static int safe_token(const char *s) {
  if (!s || !*s) return 0;
  size_t n = 0;
  for (; s[n]; n++)
    if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f || n >= USM__SDP_MAX_TOKEN) return 0;
  return 1;
}

/* 1..1024 printable bytes (spaces allowed, no line breaks). */
static int safe_text(const char *s) {
  if (!s || !*s) return 0;
  for (size_t n = 0; s[n]; n++)
    if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] == 0x7f || n >= 1024) return 0;
  return 1;
}

static usm_err check_local(const usm__sdp_local *l, char *err, size_t errlen) {
  if (!l) return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "no local capabilities");
  if (!safe_token(l->ice_ufrag) || !safe_token(l->ice_pwd))
    return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "bad or missing ICE ufrag/pwd");
  if (!l->fp_alg != !l->fp_value || (l->fp_alg && (!safe_token(l->fp_alg) || !safe_token(l->fp_value))))
    return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "bad fingerprint");
  if (!l->fp_alg && !l->n_crypto)
    return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "neither a fingerprint nor SDES crypto");
  if (l->cname && !safe_token(l->cname)) return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "bad cname");
  if (l->setup == USM__SDP_SETUP_HOLDCONN || (unsigned)l->setup > USM__SDP_SETUP_HOLDCONN)
    return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "bad setup role");
  if (l->n_media == 0 || l->n_media > USM__SDP_LOCAL_MAX_MEDIA)
    return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "need 1..3 media");
  unsigned seen = 0;
  int wants_video = 0;
  for (size_t i = 0; i < l->n_media; i++) {
    const usm__sdp_local_media *m = &l->media[i];
    if ((unsigned)m->kind > USM__SDP_KIND_SLIDES || (seen & (1u << m->kind)))
      return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "bad or repeated media kind");
    if (m->dir < USM__SDP_DIR_SENDRECV || m->dir > USM__SDP_DIR_INACTIVE)
      return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "bad media direction");
    seen |= 1u << m->kind;
    wants_video |= m->kind != USM__SDP_KIND_AUDIO;
  }
  if (l->n_video_codecs > USM__SDP_MAX_VIDEO_CODECS || (wants_video && !l->n_video_codecs))
    return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "need 1..2 video codecs");
  for (size_t i = 0; i < l->n_video_codecs; i++) {
    usm__sdp_codec_id id = l->video_codecs[i];
    if ((id != USM__SDP_CODEC_VP8 && id != USM__SDP_CODEC_H264) || (i && l->video_codecs[0] == id))
      return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "bad video codec list");
  }
  if ((l->n_candidates && !l->candidates) || (l->n_crypto && !l->crypto) ||
      l->n_candidates > USM__SDP_MAX_CANDIDATES || l->n_crypto > USM__SDP_MAX_CRYPTO)
    return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "bad candidate or crypto list");
  for (size_t i = 0; i < l->n_candidates; i++)
    if (!safe_text(l->candidates[i]) || strncmp(l->candidates[i], "candidate:", 10) != 0)
      return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "bad candidate %zu", i);
  for (size_t i = 0; i < l->n_crypto; i++)
    if (!safe_text(l->crypto[i])) return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "bad crypto %zu", i);
  return USM_OK;
}

void usm__sdp_local_init(usm__sdp_local *l) {
  memset(l, 0, sizeof *l);
  l->setup = USM__SDP_SETUP_ACTPASS;
  l->n_media = 3;
  l->media[0].kind = USM__SDP_KIND_AUDIO;
  l->media[1].kind = USM__SDP_KIND_VIDEO;
  l->media[2].kind = USM__SDP_KIND_SLIDES;
  for (size_t i = 0; i < 3; i++) l->media[i].dir = USM__SDP_DIR_SENDRECV;
  l->video_codecs[0] = USM__SDP_CODEC_H264; /* the transcoded Webex path requires it */
  l->video_codecs[1] = USM__SDP_CODEC_VP8;
  l->n_video_codecs = 2;
  l->telephone_event = 1;
  l->audio_fb = USM__SDP_FB_TRANSPORT_CC;
  l->video_fb = USM__SDP_FB_NACK | USM__SDP_FB_NACK_PLI | USM__SDP_FB_CCM_FIR | USM__SDP_FB_GOOG_REMB |
                USM__SDP_FB_TRANSPORT_CC;
}

/* ---- writing ---- */

static void write_session_head(usm_strbuf *b, const usm__sdp_local *l) {
  usm__strbuf_printf(b, "v=0\r\no=- %llu %u IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
                     (unsigned long long)l->session_id, l->session_version);
}

/* ICE, DTLS/SDES-independent lines shared by offer and answer m-lines. */
static void write_transport(usm_strbuf *b, const usm__sdp_local *l, usm__sdp_setup setup, int dtls) {
  usm__strbuf_printf(b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", l->ice_ufrag, l->ice_pwd);
  if (dtls) usm__strbuf_printf(b, "a=fingerprint:%s %s\r\na=setup:%s\r\n", l->fp_alg, l->fp_value, usm__sdp_setup_str(setup));
}

static void write_candidates(usm_strbuf *b, const usm__sdp_local *l) {
  for (size_t i = 0; i < l->n_candidates; i++) usm__strbuf_printf(b, "a=%s\r\n", l->candidates[i]);
  if (l->end_of_candidates) usm__strbuf_printf(b, "a=end-of-candidates\r\n");
}

static void write_ssrc(usm_strbuf *b, const usm__sdp_local *l, const usm__sdp_local_media *lm, usm__sdp_dir dir) {
  if (lm->ssrc && dir_sends(dir)) usm__strbuf_printf(b, "a=ssrc:%u cname:%s\r\n", (unsigned)lm->ssrc, l->cname ? l->cname : "usm");
}

static void write_codec(usm_strbuf *b, usm__sdp_codec_id id, int pt, const char *h264_pli, unsigned fb) {
  switch (id) {
  case USM__SDP_CODEC_OPUS:
    usm__strbuf_printf(b, "a=rtpmap:%d opus/48000/2\r\na=fmtp:%d " OPUS_FMTP "\r\n", pt, pt);
    break;
  case USM__SDP_CODEC_VP8: usm__strbuf_printf(b, "a=rtpmap:%d VP8/90000\r\n", pt); break;
  case USM__SDP_CODEC_H264:
    usm__strbuf_printf(b,
                       "a=rtpmap:%d H264/90000\r\na=fmtp:%d "
                       "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=%s\r\n",
                       pt, pt, h264_pli);
    break;
  case USM__SDP_CODEC_TEL_EVENT:
    usm__strbuf_printf(b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d " TEL_FMTP "\r\n", pt, pt);
    break;
  default: break;
  }
  write_fb(b, pt, fb);
}

/* Parses text we wrote ourselves; a failure means a bad capability string. */
static usm_err self_parse(const char *text, size_t len, usm__sdp_session **out, char *err, size_t errlen) {
  char why[128];
  usm_err e = usm__sdp_parse(text, len, out, why, sizeof why);
  if (e == USM_ERR_NO_MEMORY) return usm__fail_why(err, errlen, e, "out of memory");
  if (e != USM_OK) return usm__fail_why(err, errlen, USM_ERR_INVALID_ARG, "our SDP does not parse: %s", why);
  return USM_OK;
}

static usm_err finish_text(usm_strbuf *b, char **out, char *err, size_t errlen) {
  if (!b->data) return usm__fail_why(err, errlen, USM_ERR_NO_MEMORY, "out of memory");
  if (b->len > USM__SDP_MAX_BYTES) {
    usm__strbuf_free(b);
    return usm__fail_why(err, errlen, USM_ERR_LIMIT, "SDP larger than %u bytes", USM__SDP_MAX_BYTES);
  }
  *out = b->data;
  return USM_OK;
}

usm_err usm__sdp_write_offer(const usm__sdp_local *l, char **out, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm_err e = check_local(l, err, errlen);
  if (e != USM_OK) return e;
  usm__sdp_setup setup = l->setup ? l->setup : USM__SDP_SETUP_ACTPASS;
  const char *proto = l->fp_alg ? "UDP/TLS/RTP/SAVPF" : "RTP/SAVPF";
  usm_strbuf b;
  usm__strbuf_init(&b, 0);
  write_session_head(&b, l);
  usm__strbuf_printf(&b, "a=group:BUNDLE");
  for (size_t i = 0; i < l->n_media; i++) usm__strbuf_printf(&b, " %zu", i);
  usm__strbuf_printf(&b, "\r\n");
  for (size_t i = 0; i < l->n_media; i++) {
    const usm__sdp_local_media *lm = &l->media[i];
    int audio = lm->kind == USM__SDP_KIND_AUDIO;
    if (audio) {
      usm__strbuf_printf(&b, "m=audio 9 %s %d%s\r\n", proto, PT_OPUS, l->telephone_event ? " 126" : "");
    } else {
      usm__strbuf_printf(&b, "m=video 9 %s", proto);
      for (size_t k = 0; k < l->n_video_codecs; k++)
        usm__strbuf_printf(&b, " %d", l->video_codecs[k] == USM__SDP_CODEC_VP8 ? PT_VP8 : PT_H264);
      usm__strbuf_printf(&b, "\r\n");
    }
    usm__strbuf_printf(&b, "c=IN IP4 0.0.0.0\r\n");
    if (lm->tias) usm__strbuf_printf(&b, "b=TIAS:%u\r\n", (unsigned)lm->tias);
    usm__strbuf_printf(&b, "a=mid:%zu\r\na=content:%s\r\n", i, lm->kind == USM__SDP_KIND_SLIDES ? "slides" : "main");
    write_transport(&b, l, setup, l->fp_alg != NULL);
    usm__strbuf_printf(&b, "a=%s\r\na=rtcp-mux\r\n", usm__sdp_dir_str(lm->dir));
    if (audio) {
      write_codec(&b, USM__SDP_CODEC_OPUS, PT_OPUS, NULL, l->audio_fb);
      if (l->telephone_event) write_codec(&b, USM__SDP_CODEC_TEL_EVENT, PT_TEL, NULL, 0);
    } else {
      for (size_t k = 0; k < l->n_video_codecs; k++) {
        int vp8 = l->video_codecs[k] == USM__SDP_CODEC_VP8;
        write_codec(&b, l->video_codecs[k], vp8 ? PT_VP8 : PT_H264, H264_PLI, l->video_fb);
      }
    }
    write_ssrc(&b, l, lm, lm->dir);
    for (size_t k = 0; k < l->n_crypto; k++) usm__strbuf_printf(&b, "a=crypto:%s\r\n", l->crypto[k]);
    write_candidates(&b, l);
  }
  if ((e = finish_text(&b, out, err, errlen)) != USM_OK) return e;
  /* a capability string that breaks the SDP is caught here */
  usm__sdp_session *check = NULL;
  e = self_parse(*out, b.len, &check, err, errlen);
  usm__sdp_free(check);
  if (e != USM_OK) {
    free(*out);
    *out = NULL;
  }
  return e;
}

/* ---- reading an answer ---- */

/* DTLS role from the offerer's and answerer's a=setup (RFC 8842 §5). A
 * missing answer setup means "active" (RFC 4145 default). */
static int dtls_client_from_answer(usm__sdp_setup offered, usm__sdp_setup answered, int *client) {
  if (answered == USM__SDP_SETUP_NONE) answered = USM__SDP_SETUP_ACTIVE;
  if (offered == USM__SDP_SETUP_NONE) offered = USM__SDP_SETUP_ACTPASS;
  if (answered == USM__SDP_SETUP_ACTIVE && offered != USM__SDP_SETUP_ACTIVE) {
    *client = 0;
    return 1;
  }
  if (answered == USM__SDP_SETUP_PASSIVE && offered != USM__SDP_SETUP_PASSIVE) {
    *client = 1;
    return 1;
  }
  return 0;
}

/* "<tag> <suite> <key>" of one of our SDES strings. */
static int local_crypto(const char *s, uint32_t *tag, char *suite, size_t suitelen, const char **key) {
  char *end;
  unsigned long t = strtoul(s, &end, 10);
  if (end == s || *end != ' ' || t > 999999999) return 0;
  const char *p = end + 1, *q = strchr(p, ' ');
  if (!q || (size_t)(q - p) >= suitelen || q == p) return 0;
  memcpy(suite, p, (size_t)(q - p));
  suite[q - p] = '\0';
  *tag = (uint32_t)t;
  *key = q + 1;
  return **key != '\0';
}

static usm_err read_media(usm__sdp_result *r, size_t i, const size_t *bmem, size_t nb, char *err,
                          size_t errlen) {
  const usm__sdp_session *ls = r->local, *rs = r->remote;
  const usm__sdp_media *lm = ls->media[i], *rm = rs->media[i];
  usm__sdp_media_result *res = &r->media[i];
  result_init(res);
  res->kind = kind_of(lm);
  res->mid = lm->mid;
  if (strcmp(lm->type, rm->type) != 0)
    return usm__fail_why(err, errlen, USM_ERR_SDP, "m-line %zu: answer has %s, offer had %s", i, rm->type, lm->type);
  if (lm->mid && rm->mid && strcmp(lm->mid, rm->mid) != 0)
    return usm__fail_why(err, errlen, USM_ERR_SDP, "m-line %zu: answer mid %s, offer mid %s", i, rm->mid, lm->mid);
  res->bundled = rm->mid && in_list(bmem, nb, i);
  if (rm->port == 0 && !(res->bundled && has_attr_flag(rm, "bundle-only"))) {
    res->rejected = 1;
    return USM_OK;
  }
  for (size_t f = 0; f < rm->n_fmt; f++) {
    const usm__sdp_codec *rk = NULL;
    char *end;
    long pt = strtol(rm->fmt[f], &end, 10);
    if (!*end && end != rm->fmt[f] && pt >= 0 && pt <= 127) rk = usm__sdp_codec_find(rm, (int)pt);
    usm__sdp_codec_id id = codec_id_of(rk);
    const usm__sdp_codec *lk = id ? find_codec(lm, id) : NULL;
    if (!lk) continue; /* not something we offered on this m-line */
    if (id == USM__SDP_CODEC_TEL_EVENT) {
      if (res->dtmf_pt < 0) {
        res->dtmf_pt = rk->pt;
        res->dtmf_recv_pt = lk->pt;
      }
    } else if (!res->codec) {
      res->codec = id;
      res->pt = rk->pt;
      res->recv_pt = lk->pt;
      res->codec_name = rk->name;
      res->clock = rk->clock;
      res->channels = rk->channels;
      res->remote_fmtp = rk->fmtp;
      res->local_fmtp = lk->fmtp;
      res->rtcp_fb = fb_bits(rm, rk->pt) & fb_bits(lm, lk->pt);
    }
  }
  if (!res->codec) return usm__fail_why(err, errlen, USM_ERR_SDP, "m-line %zu (%s): no common codec", i, rm->type);
  res->dir = combine_dir(eff_dir(ls, lm), eff_dir(rs, rm));
  res->rtcp_mux = lm->rtcp_mux && rm->rtcp_mux;
  fill_remote_info(res, rm);
  size_t t = res->bundled && r->bundle_tag >= 0 ? (size_t)r->bundle_tag : i;
  usm__sdp_transport *tr = &res->transport;
  fill_transport(tr, rs, rs->media[t]);
  const usm__sdp_fp *our_fp = pick_fp(&lm->c);
  if (!our_fp) our_fp = pick_fp(&ls->c);
  if (our_fp && tr->fp_alg) {
    /* a bundled m-line uses the tag's transport: judge the role on the tag's offer */
    const usm__sdp_media *lt = ls->media[t];
    usm__sdp_setup offered = lt->c.setup ? lt->c.setup : ls->c.setup;
    if (!dtls_client_from_answer(offered, tr->remote_setup, &tr->dtls_client))
      return usm__fail_why(err, errlen, USM_ERR_SDP, "m-line %zu: a=setup:%s does not answer a=setup:%s", i,
                   usm__sdp_setup_str(tr->remote_setup), usm__sdp_setup_str(offered));
    return USM_OK;
  }
  tr->fp_alg = tr->fp_value = NULL;
  /* SDES: the answer echoes one of our tags with the same suite */
  for (size_t k = 0; k < rm->n_crypto; k++) {
    for (size_t o = 0; o < lm->n_crypto; o++) {
      if (rm->crypto[k].tag == lm->crypto[o].tag && strcmp(rm->crypto[k].suite, lm->crypto[o].suite) == 0) {
        tr->crypto_tag = (int)rm->crypto[k].tag;
        tr->crypto_suite = rm->crypto[k].suite;
        tr->local_key_params = lm->crypto[o].key_params;
        tr->remote_key_params = rm->crypto[k].key_params;
        return USM_OK;
      }
    }
  }
  return usm__fail_why(err, errlen, USM_ERR_SDP, "m-line %zu: no DTLS fingerprint and no matching a=crypto", i);
}

usm_err usm__sdp_read_answer(const char *offer, size_t offer_len, const char *answer,
                             size_t answer_len, usm__sdp_result **out, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (!out || !offer || !answer) return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm__sdp_result *r = result_new();
  if (!r) return usm__fail_why(err, errlen, USM_ERR_NO_MEMORY, "out of memory");
  usm_err e = self_parse(offer, offer_len, &r->local, err, errlen);
  if (e == USM_OK) e = usm__sdp_parse(answer, answer_len, &r->remote, err, errlen);
  if (e != USM_OK) {
    usm__sdp_result_free(r);
    return e;
  }
  const usm__sdp_session *ls = r->local, *rs = r->remote;
  if (ls->n_media != rs->n_media) {
    e = usm__fail_why(err, errlen, USM_ERR_SDP, "answer has %zu m-lines, offer had %zu", rs->n_media, ls->n_media);
    usm__sdp_result_free(r);
    return e;
  }
  size_t bmem[USM__SDP_MAX_MEDIA], nb = 0;
  r->bundle = usm__sdp_group_find(rs, "BUNDLE");
  if (bundle_members(rs, r->bundle, bmem, &nb) != 0) {
    usm__sdp_result_free(r);
    return usm__fail_why(err, errlen, USM_ERR_SDP, "a=group:BUNDLE names an unknown mid");
  }
  if (nb) r->bundle_tag = (int)bmem[0];
  size_t accepted = 0;
  r->n_media = rs->n_media;
  for (size_t i = 0; i < rs->n_media && e == USM_OK; i++) {
    e = read_media(r, i, bmem, nb, err, errlen);
    accepted += e == USM_OK && !r->media[i].rejected;
  }
  if (e == USM_OK && r->bundle_tag >= 0 && r->media[r->bundle_tag].rejected)
    e = usm__fail_why(err, errlen, USM_ERR_SDP, "the BUNDLE tag m-line is rejected");
  if (e == USM_OK && !accepted) e = usm__fail_why(err, errlen, USM_ERR_SDP, "every m-line was rejected");
  if (e != USM_OK) {
    usm__sdp_result_free(r);
    return e;
  }
  *out = r;
  return USM_OK;
}

/* ---- answering a remote offer ---- */

/* One decision per remote m-line, made before any text is written. */
typedef struct plan {
  const usm__sdp_local_media *lm; /* NULL: rejected */
  const usm__sdp_codec *rk, *dtmf;
  char pli[7];
  int dtls;
  int crypto_idx; /* remote a=crypto index, with our local_crypto[crypto_local] */
  size_t crypto_local;
  char suite[64];
  const char *our_key;
} plan;

static const usm__sdp_local_media *local_for(const usm__sdp_local *l, usm__sdp_kind kind, unsigned *used) {
  for (size_t i = 0; i < l->n_media; i++) {
    if (l->media[i].kind == kind && !(*used & (1u << i))) {
      *used |= 1u << i;
      return &l->media[i];
    }
  }
  return NULL;
}

static void plan_media(const usm__sdp_local *l, const usm__sdp_session *rs, const usm__sdp_media *rm,
                       int bundled, unsigned *used, plan *p) {
  memset(p, 0, sizeof *p);
  p->crypto_idx = -1;
  usm__sdp_kind kind = kind_of(rm);
  if (kind == USM__SDP_KIND_OTHER || (rm->port == 0 && !(bundled && has_attr_flag(rm, "bundle-only")))) return;
  /* security first: DTLS when both have fingerprints, else SDES */
  if (l->fp_alg && (rm->c.n_fp || rs->c.n_fp)) {
    if ((rm->c.setup ? rm->c.setup : rs->c.setup) == USM__SDP_SETUP_HOLDCONN) return;
    p->dtls = 1;
  } else {
    for (size_t k = 0; k < rm->n_crypto && p->crypto_idx < 0; k++) {
      for (size_t o = 0; o < l->n_crypto; o++) {
        uint32_t tag;
        if (local_crypto(l->crypto[o], &tag, p->suite, sizeof p->suite, &p->our_key) &&
            strcmp(p->suite, rm->crypto[k].suite) == 0) {
          p->crypto_idx = (int)k;
          p->crypto_local = o;
          break;
        }
      }
    }
    if (p->crypto_idx < 0) return;
  }
  if (kind == USM__SDP_KIND_AUDIO) {
    p->rk = find_codec(rm, USM__SDP_CODEC_OPUS);
    if (l->telephone_event) p->dtmf = find_codec(rm, USM__SDP_CODEC_TEL_EVENT);
  } else {
    for (size_t k = 0; k < l->n_video_codecs && !p->rk; k++) p->rk = find_codec(rm, l->video_codecs[k]);
    if (p->rk && codec_id_of(p->rk) == USM__SDP_CODEC_H264) h264_ok(p->rk->fmtp, p->pli);
  }
  if (!p->rk) return;
  p->lm = local_for(l, kind, used);
}

static void write_answer_media(usm_strbuf *b, const usm__sdp_local *l, const usm__sdp_media *rm, const plan *p,
                               usm__sdp_dir dir, int client) {
  if (!p->lm) {
    usm__strbuf_printf(b, "m=%s 0 %s%s%s\r\nc=IN IP4 0.0.0.0\r\n", rm->type, rm->proto, rm->n_fmt ? " " : "",
                       rm->n_fmt ? rm->fmt[0] : "");
    if (rm->mid) usm__strbuf_printf(b, "a=mid:%s\r\n", rm->mid);
    return;
  }
  usm__strbuf_printf(b, "m=%s 9 %s %d", rm->type, rm->proto, p->rk->pt);
  if (p->dtmf) usm__strbuf_printf(b, " %d", p->dtmf->pt);
  usm__strbuf_printf(b, "\r\nc=IN IP4 0.0.0.0\r\n");
  if (p->lm->tias) usm__strbuf_printf(b, "b=TIAS:%u\r\n", (unsigned)p->lm->tias);
  if (rm->mid) usm__strbuf_printf(b, "a=mid:%s\r\n", rm->mid);
  if (rm->content) usm__strbuf_printf(b, "a=content:%s\r\n", rm->content);
  write_transport(b, l, client ? USM__SDP_SETUP_ACTIVE : USM__SDP_SETUP_PASSIVE, p->dtls);
  usm__strbuf_printf(b, "a=%s\r\n", usm__sdp_dir_str(dir));
  if (rm->rtcp_mux) usm__strbuf_printf(b, "a=rtcp-mux\r\n");
  int audio = p->lm->kind == USM__SDP_KIND_AUDIO;
  unsigned fb = fb_bits(rm, p->rk->pt) & (audio ? l->audio_fb : l->video_fb);
  write_codec(b, codec_id_of(p->rk), p->rk->pt, p->pli, fb);
  if (p->dtmf) write_codec(b, USM__SDP_CODEC_TEL_EVENT, p->dtmf->pt, NULL, 0);
  write_ssrc(b, l, p->lm, dir);
  if (p->crypto_idx >= 0)
    usm__strbuf_printf(b, "a=crypto:%u %s %s\r\n", (unsigned)rm->crypto[p->crypto_idx].tag, p->suite, p->our_key);
  write_candidates(b, l);
}

usm_err usm__sdp_answer_offer(const usm__sdp_local *l, const char *offer, size_t offer_len,
                              char **answer_out, usm__sdp_result **out, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (!answer_out || !out || !offer) return USM_ERR_INVALID_ARG;
  *answer_out = NULL;
  *out = NULL;
  usm_err e = check_local(l, err, errlen);
  if (e != USM_OK) return e;
  usm__sdp_result *r = result_new();
  if (!r) return usm__fail_why(err, errlen, USM_ERR_NO_MEMORY, "out of memory");
  if ((e = usm__sdp_parse(offer, offer_len, &r->remote, err, errlen)) != USM_OK) {
    usm__sdp_result_free(r);
    return e;
  }
  const usm__sdp_session *rs = r->remote;
  size_t bmem[USM__SDP_MAX_MEDIA], nb = 0;
  r->bundle = usm__sdp_group_find(rs, "BUNDLE");
  if (bundle_members(rs, r->bundle, bmem, &nb) != 0) {
    usm__sdp_result_free(r);
    return usm__fail_why(err, errlen, USM_ERR_SDP, "a=group:BUNDLE names an unknown mid");
  }
  plan plans[USM__SDP_MAX_MEDIA];
  unsigned used = 0;
  size_t accepted = 0;
  for (size_t i = 0; i < rs->n_media; i++) {
    plan_media(l, rs, rs->media[i], rs->media[i]->mid && in_list(bmem, nb, i), &used, &plans[i]);
    accepted += plans[i].lm != NULL;
  }
  if (!accepted) {
    usm__sdp_result_free(r);
    return usm__fail_why(err, errlen, USM_ERR_SDP, "no usable m-line (no common codec or security)");
  }
  /* the bundle: accepted members in the offer's order; the first is the tag */
  usm_strbuf b;
  usm__strbuf_init(&b, 0);
  write_session_head(&b, l);
  size_t ours = 0;
  for (size_t k = 0; k < nb; k++) {
    if (!plans[bmem[k]].lm) continue;
    if (!ours++) {
      r->bundle_tag = (int)bmem[k];
      usm__strbuf_printf(&b, "a=group:BUNDLE");
    }
    usm__strbuf_printf(&b, " %s", rs->media[bmem[k]]->mid);
  }
  if (ours) usm__strbuf_printf(&b, "\r\n");
  int client[USM__SDP_MAX_MEDIA];
  for (size_t i = 0; i < rs->n_media; i++) {
    const usm__sdp_media *rm = rs->media[i];
    usm__sdp_media_result *res = &r->media[i];
    const plan *p = &plans[i];
    result_init(res);
    res->kind = kind_of(rm);
    res->mid = rm->mid;
    res->rejected = !p->lm;
    res->bundled = p->lm && rm->mid && in_list(bmem, nb, i);
    client[i] = 0;
    if (p->lm) {
      size_t t = res->bundled && r->bundle_tag >= 0 ? (size_t)r->bundle_tag : i;
      fill_transport(&res->transport, rs, rs->media[t]);
      /* actpass and passive offers make us active; active (or none, the
       * RFC 4145 default) makes us passive */
      usm__sdp_setup st = res->transport.remote_setup;
      client[i] = p->dtls && (st == USM__SDP_SETUP_ACTPASS || st == USM__SDP_SETUP_PASSIVE);
      res->transport.dtls_client = client[i];
      res->dir = combine_dir(p->lm->dir, eff_dir(rs, rm));
      res->codec = codec_id_of(p->rk);
      res->pt = res->recv_pt = p->rk->pt;
      res->codec_name = p->rk->name;
      res->clock = p->rk->clock;
      res->channels = p->rk->channels;
      res->remote_fmtp = p->rk->fmtp;
      res->rtcp_fb = fb_bits(rm, p->rk->pt) & (p->lm->kind == USM__SDP_KIND_AUDIO ? l->audio_fb : l->video_fb);
      if (p->dtmf) res->dtmf_pt = res->dtmf_recv_pt = p->dtmf->pt;
      res->rtcp_mux = rm->rtcp_mux;
      fill_remote_info(res, rm);
      if (!p->dtls) {
        res->transport.fp_alg = res->transport.fp_value = NULL;
        const usm__sdp_crypto *rc = &rm->crypto[p->crypto_idx];
        res->transport.crypto_tag = (int)rc->tag;
        res->transport.crypto_suite = rc->suite;
        res->transport.remote_key_params = rc->key_params;
      }
    }
    write_answer_media(&b, l, rm, p, res->dir, client[i]);
  }
  r->n_media = rs->n_media;
  char *text = NULL;
  size_t len = b.len;
  if ((e = finish_text(&b, &text, err, errlen)) == USM_OK) e = self_parse(text, len, &r->local, err, errlen);
  if (e != USM_OK) {
    free(text);
    usm__sdp_result_free(r);
    return e;
  }
  /* strings of our side point into our parsed answer */
  for (size_t i = 0; i < r->n_media; i++) {
    usm__sdp_media_result *res = &r->media[i];
    if (res->rejected || i >= r->local->n_media) continue;
    const usm__sdp_media *om = r->local->media[i];
    const usm__sdp_codec *k = usm__sdp_codec_find(om, res->pt);
    res->local_fmtp = k ? k->fmtp : NULL;
    if (res->transport.crypto_tag >= 0 && om->n_crypto) res->transport.local_key_params = om->crypto[0].key_params;
  }
  *answer_out = text;
  *out = r;
  return USM_OK;
}
