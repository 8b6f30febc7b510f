/* The SDPs of the media server. The answer, Linus style: "o=linus",
 * a=ice-lite at session level, one host candidate 127.0.0.1 <port> per m-line (all BUNDLEd on one socket),
 * a=content:main/slides, a=label, b=TIAS, our ice-ufrag/pwd and sha-256
 * fingerprint, a=setup:passive (active only for a passive offer), rtcp-mux,
 * the offer's mids. Codecs come from the offer: opus/48000/2 (+
 * telephone-event), H264 packetization-mode=1 or VP8, whichever the offer
 * lists first (a H264 without mode 1 does not count). The
 * negotiation itself is libusm's (sdp_negotiate); we rewrite its answer.
 * Our own OFFER (a server-initiated renegotiation) is the current session
 * re-offered: the last SDP we sent with a=setup:actpass, a new o= version
 * and, for an ICE restart, new credentials; the client's ANSWER to it is
 * read back here too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/strbuf.h"
#include "media/sdp.h"
#include "media_internal.h"

/* 1 when the first video m-line lists VP8 before H264. */
static int vp8_first(const usm__sdp_session *s) {
  for (size_t i = 0; i < s->n_media; i++) {
    const usm__sdp_media *m = s->media[i];
    if (!m->type || strcmp(m->type, "video") != 0) continue;
    for (size_t f = 0; f < m->n_fmt; f++) {
      for (size_t c = 0; c < m->n_codec; c++) {
        const usm__sdp_codec *k = &m->codec[c];
        char pt[8];
        snprintf(pt, sizeof pt, "%d", k->pt);
        if (!k->name || strcmp(pt, m->fmt[f]) != 0) continue;
        if (strcasecmp(k->name, "VP8") == 0) return 1;
        if (strcasecmp(k->name, "H264") == 0) return 0;
      }
    }
    return 0;
  }
  return 0;
}

/* The offer's first ICE ufrag (media level, else session level) and its
 * video codec preference. */
static int offer_ufrag(const char *offer, size_t len, char *out, size_t cap, int *vp8, char *err,
                       size_t errlen) {
  usm__sdp_session *s = NULL;
  if (usm__sdp_parse(offer, len, &s, err, errlen) != USM_OK) return -1;
  const char *u = s->n_media && s->media[0]->c.ice_ufrag ? s->media[0]->c.ice_ufrag : s->c.ice_ufrag;
  snprintf(out, cap, "%s", u ? u : "");
  *vp8 = vp8_first(s);
  usm__sdp_free(s);
  return 0;
}

static void fill_neg(cloud_media_part *p, const usm__sdp_result *r) {
  memset(p->neg, 0, sizeof p->neg);
  for (size_t i = 0; i < r->n_media; i++) {
    const usm__sdp_media_result *m = &r->media[i];
    if (m->rejected || m->kind >= USM__SDP_KIND_OTHER || p->neg[m->kind].active) continue;
    cloud_media_neg *n = &p->neg[m->kind];
    n->active = 1;
    n->codec = m->codec;
    n->pt = m->pt;
    n->dtmf_pt = m->dtmf_pt;
    n->clock = m->clock ? m->clock : (m->kind == USM__SDP_KIND_AUDIO ? 48000 : 90000);
    n->sends = m->dir == USM__SDP_DIR_SENDRECV || m->dir == USM__SDP_DIR_SENDONLY;
    n->recvs = m->dir == USM__SDP_DIR_SENDRECV || m->dir == USM__SDP_DIR_RECVONLY;
    n->n_ssrcs = m->n_remote_ssrcs;
    memcpy(n->ssrcs, m->remote_ssrcs, sizeof n->ssrcs);
  }
}

/* Rewrites libusm's generic answer into what Linus sends. */
static int linus_style(cloud_media_part *p, const char *text, usm__dtls_role role, char **answer,
                       char *err, size_t errlen) {
  static const char *const labels[] = {"0", "1", "2", "3", "4", "5", "6", "7",
                                       "8", "9", "10", "11", "12", "13", "14", "15"};
  usm__sdp_session *s = NULL;
  if (usm__sdp_parse(text, strlen(text), &s, err, errlen) != USM_OK) return -1;
  char origin[128];
  snprintf(origin, sizeof origin, "linus %llu %d IN IP4 127.0.0.1",
           (unsigned long long)p->session_id, p->answer_version);
  s->origin = origin;
  s->c.ice_lite = 1;
  for (size_t i = 0; i < s->n_media; i++) {
    usm__sdp_media *m = s->media[i];
    if (m->port == 0) continue; /* rejected */
    m->port = (unsigned)p->port;
    m->c.conn = "IN IP4 127.0.0.1";
    if (!m->content) m->content = "main";
    m->label = labels[i % 16];
    m->c.setup = role == USM__DTLS_SERVER ? USM__SDP_SETUP_PASSIVE : USM__SDP_SETUP_ACTIVE;
  }
  size_t len = 0;
  usm_err e = usm__sdp_write(s, answer, &len);
  usm__sdp_free(s);
  if (e != USM_OK) {
    snprintf(err, errlen, "cannot write the answer");
    return -1;
  }
  return 0;
}

int cloud_media_sdp_answer(cloud_media_part *p, const char *offer, size_t len, char **answer,
                           char *err, size_t errlen) {
  *answer = NULL;
  char ufrag[USM__SDP_MAX_TOKEN + 1];
  int vp8 = 0;
  if (offer_ufrag(offer, len, ufrag, sizeof ufrag, &vp8, err, errlen) != 0) return -1;
  /* A new remote ufrag is an ICE restart: we take new credentials too. */
  char old_ufrag[sizeof p->ufrag], old_pwd[sizeof p->pwd];
  memcpy(old_ufrag, p->ufrag, sizeof old_ufrag);
  memcpy(old_pwd, p->pwd, sizeof old_pwd);
  int restart = p->remote_ufrag[0] && strcmp(ufrag, p->remote_ufrag) != 0;
  if (restart) {
    do cloud_media_part_new_ice(p);
    while (strcmp(p->ufrag, old_ufrag) == 0);
  }

  char cand[128];
  snprintf(cand, sizeof cand, "candidate:1 1 udp 2130706431 127.0.0.1 %d typ host", p->port);
  const char *cands[] = {cand};
  usm__sdp_local l;
  usm__sdp_local_init(&l);
  l.ice_ufrag = p->ufrag;
  l.ice_pwd = p->pwd;
  l.fp_alg = "sha-256";
  l.fp_value = usm__dtls_ctx_fingerprint(p->srv->dtls_ctx);
  l.cname = "linus";
  l.session_id = p->session_id;
  l.session_version = (unsigned)p->answer_version;
  /* the offerer's preference between the two */
  l.video_codecs[0] = vp8 ? USM__SDP_CODEC_VP8 : USM__SDP_CODEC_H264;
  l.video_codecs[1] = vp8 ? USM__SDP_CODEC_H264 : USM__SDP_CODEC_VP8;
  l.n_video_codecs = 2;
  l.candidates = cands;
  l.n_candidates = 1;
  l.end_of_candidates = 1;
  for (size_t i = 0; i < l.n_media; i++)
    l.media[i].tias = l.media[i].kind == USM__SDP_KIND_AUDIO ? 64000 : 4000000;

  char *text = NULL;
  usm__sdp_result *r = NULL;
  usm_err e = usm__sdp_answer_offer(&l, offer, len, &text, &r, err, errlen);
  const usm__sdp_transport *t = NULL;
  if (e == USM_OK) {
    for (size_t i = 0; i < r->n_media && !t; i++) {
      size_t k = r->bundle_tag >= 0 ? (size_t)r->bundle_tag : i;
      if (!r->media[k].rejected) t = &r->media[k].transport;
    }
    if (!t || !t->fp_alg || !t->fp_value) {
      snprintf(err, errlen, "the offer has no DTLS fingerprint");
      e = USM_ERR_SDP;
    } else if (!t->ice_ufrag || !t->ice_pwd || strlen(t->ice_ufrag) >= sizeof p->remote_ufrag ||
               strlen(t->ice_pwd) >= sizeof p->remote_pwd) {
      snprintf(err, errlen, "the offer has no usable ICE credentials");
      e = USM_ERR_SDP;
    } else if (strlen(t->fp_alg) >= sizeof p->remote_fp_alg ||
               strlen(t->fp_value) >= sizeof p->remote_fp) {
      snprintf(err, errlen, "the offer's fingerprint is too long");
      e = USM_ERR_SDP;
    }
  }
  if (e != USM_OK) {
    free(text);
    usm__sdp_result_free(r);
    memcpy(p->ufrag, old_ufrag, sizeof old_ufrag);
    memcpy(p->pwd, old_pwd, sizeof old_pwd);
    return -1;
  }
  /* The DTLS role: passive (server) unless the offer is passive. It stays
   * what it was while the DTLS session lives (renegotiation). */
  int same_dtls = p->dtls && strcmp(p->remote_fp, t->fp_value) == 0 &&
                  strcasecmp(p->remote_fp_alg, t->fp_alg) == 0;
  usm__dtls_role role = same_dtls ? p->role
                        : t->remote_setup == USM__SDP_SETUP_PASSIVE ? USM__DTLS_CLIENT
                                                                    : USM__DTLS_SERVER;
  int rc = linus_style(p, text, role, answer, err, errlen);
  if (rc == 0) {
    snprintf(p->remote_ufrag, sizeof p->remote_ufrag, "%s", t->ice_ufrag);
    snprintf(p->remote_pwd, sizeof p->remote_pwd, "%s", t->ice_pwd);
    if (!same_dtls) {
      snprintf(p->remote_fp_alg, sizeof p->remote_fp_alg, "%s", t->fp_alg);
      snprintf(p->remote_fp, sizeof p->remote_fp, "%s", t->fp_value);
      p->role = role;
      usm__dtls_destroy(p->dtls);
      p->dtls = NULL; /* the caller sets up the new one */
    }
    fill_neg(p, r);
    p->answer_version++;
    char *copy = usm__strdup(*answer);
    free(p->last_sdp);
    p->last_sdp = copy; /* NULL (no memory) only means no server offer later */
  } else {
    memcpy(p->ufrag, old_ufrag, sizeof old_ufrag);
    memcpy(p->pwd, old_pwd, sizeof old_pwd);
  }
  free(text);
  usm__sdp_result_free(r);
  return rc;
}

int cloud_media_sdp_offer(cloud_media_part *p, char **offer, char *err, size_t errlen) {
  *offer = NULL;
  if (!p->last_sdp) {
    snprintf(err, errlen, "nothing negotiated yet");
    return -1;
  }
  usm__sdp_session *s = NULL;
  if (usm__sdp_parse(p->last_sdp, strlen(p->last_sdp), &s, err, errlen) != USM_OK) return -1;
  char origin[128];
  snprintf(origin, sizeof origin, "linus %llu %d IN IP4 127.0.0.1",
           (unsigned long long)p->session_id, p->answer_version);
  s->origin = origin;
  s->c.ice_lite = 1;
  s->c.setup = USM__SDP_SETUP_NONE;
  if (s->c.ice_ufrag) s->c.ice_ufrag = p->ufrag;
  if (s->c.ice_pwd) s->c.ice_pwd = p->pwd;
  for (size_t i = 0; i < s->n_media; i++) {
    usm__sdp_media *m = s->media[i];
    if (m->port == 0) continue; /* rejected before: stays off */
    /* the offerer leaves the DTLS role to the answerer (RFC 5763) */
    m->c.setup = USM__SDP_SETUP_ACTPASS;
    if (m->c.ice_ufrag) m->c.ice_ufrag = p->ufrag; /* the current ones (new after a restart) */
    if (m->c.ice_pwd) m->c.ice_pwd = p->pwd;
  }
  size_t len = 0;
  usm_err e = usm__sdp_write(s, offer, &len);
  usm__sdp_free(s);
  if (e != USM_OK) {
    *offer = NULL;
    snprintf(err, errlen, "cannot write the offer");
    return -1;
  }
  p->answer_version++;
  return 0;
}

int cloud_media_sdp_read_answer(cloud_media_part *p, const char *offer, const char *answer,
                                char *err, size_t errlen) {
  usm__sdp_result *r = NULL;
  if (usm__sdp_read_answer(offer, strlen(offer), answer, strlen(answer), &r, err, errlen) !=
      USM_OK)
    return -1;
  const usm__sdp_transport *t = NULL;
  for (size_t i = 0; i < r->n_media && !t; i++) {
    size_t k = r->bundle_tag >= 0 ? (size_t)r->bundle_tag : i;
    if (!r->media[k].rejected) t = &r->media[k].transport;
  }
  int rc = -1;
  if (!t || !t->fp_alg || !t->fp_value || strlen(t->fp_alg) >= sizeof p->remote_fp_alg ||
      strlen(t->fp_value) >= sizeof p->remote_fp) {
    snprintf(err, errlen, "the answer has no usable DTLS fingerprint");
  } else if (!t->ice_ufrag || !t->ice_pwd || strlen(t->ice_ufrag) >= sizeof p->remote_ufrag ||
             strlen(t->ice_pwd) >= sizeof p->remote_pwd) {
    snprintf(err, errlen, "the answer has no usable ICE credentials");
  } else {
    /* The answer's a=setup decides: passive makes us the DTLS client. A
     * DTLS session with the same peer certificate and role lives on. */
    usm__dtls_role role = t->dtls_client ? USM__DTLS_CLIENT : USM__DTLS_SERVER;
    int same_dtls = p->dtls && role == p->role && strcmp(p->remote_fp, t->fp_value) == 0 &&
                    strcasecmp(p->remote_fp_alg, t->fp_alg) == 0;
    snprintf(p->remote_ufrag, sizeof p->remote_ufrag, "%s", t->ice_ufrag);
    snprintf(p->remote_pwd, sizeof p->remote_pwd, "%s", t->ice_pwd);
    fill_neg(p, r);
    rc = 0;
    if (!same_dtls) {
      snprintf(p->remote_fp_alg, sizeof p->remote_fp_alg, "%s", t->fp_alg);
      snprintf(p->remote_fp, sizeof p->remote_fp, "%s", t->fp_value);
      p->role = role;
      rc = cloud_media_part_dtls_setup(p, err, errlen);
    }
  }
  usm__sdp_result_free(r);
  return rc;
}
