/* A joined meeting's media: ROAP signalling (roap.c) drives the SDP offer and
 * answer, the transport (ICE + DTLS-SRTP) carries the RTP session.
 *
 *   joined -> TURN discovery -> gather -> OFFER -> ANSWER -> ICE/DTLS -> CONNECTED
 *   transport FAILED -> ICE restart (new credentials, new OFFER), at most
 *   MAX_RESTARTS times in a row -> FAILED
 *   server OFFER (Mercury locus.message.roap) -> our ANSWER (glare: tieBreaker)
 *
 * Teardown is deferred to the loop (a close callback), so a callback into the
 * application that destroys the meeting never frees the transport under its
 * own feet. docs/media-transport.md. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "core/client_internal.h"
#include "media/dtls.h"
#include "media/rtp_session.h"
#include "media/transport.h"
#include "meeting/media_internal.h"
#include "meeting/meeting_internal.h"
#include "meeting/roap.h"

#define RTCP_INTERVAL_MS 1000 /* reports every second: stats stay fresh for the application */
#define MAX_RESTARTS 3
/* The cloud's media limits (PROTOCOL.md §5.3 bandwidthLimits); never above. */
#define AUDIO_CAP_BPS 64000u
#define VIDEO_CAP_BPS 4000000u

struct usm__media {
  usm_meeting *m;
  unsigned flags;               /* USM_MEDIA_* */
  usm_media_state state;
  usm__transport *tr;
  usm__rtp_session *rtp;
  usm__sdp_result *neg;
  int closed;                   /* timers closed, of 2 */
  char *offer;                  /* our outstanding or last offer */
  uint32_t tie_breaker;
  int offering;                 /* an OFFER is in flight */
  int restarts;
  unsigned version;             /* SDP o= version, bumped per offer */
  uint64_t session_id;
  char *turn_url, *turn_user, *turn_pass;
  uv_timer_t rtcp_timer;
  uv_timer_t stats_timer;
  usm__media_tap tap;
  void *tap_user;
  usm__sender *out;
  usm__receiver *in;
  int video_pt;                 /* negotiated, to tell our sent video packets */
  uint64_t connected_us;        /* first CONNECTED, 0 before */
  uint64_t rx_bytes_at[USM__MEDIA_KINDS], rx_tick_us; /* received bit rate over the last second */
  uint32_t rx_bps[USM__MEDIA_KINDS];
};

/* ---- helpers ---------------------------------------------------------------------- */

static uint64_t now_us(const usm__media *md) { return uv_now(&md->m->client->loop) * 1000u; }

static void log_cb(void *user, int level, const char *msg) {
  usm__media *md = user;
  if (md->m && md->m->client) usm__log(md->m->client, (usm_log_level)level, "%s", msg);
}

/* USM_EVENT_MEDIA; 0 when the meeting is gone. */
static int set_state(usm__media *md, usm_media_state s, usm_err err, const char *detail) {
  if (md->state == s && s != USM_MEDIA_RESTARTED) return 1;
  md->state = s;
  usm_meeting *m = md->m;
  usm__log(m->client, USM_LOG_INFO, "media: %s%s%s", usm_media_state_name(s), detail ? " - " : "",
           detail ? detail : "");
  usm_event ev = {.type = USM_EVENT_MEDIA, .state = m->state, .media = s, .error = err, .detail = detail};
  return usm__meeting_emit(m, &ev);
}

static usm__dtls_ctx *client_dtls(usm_client *c, char *why, size_t cap) {
  if (!c->dtls && usm__dtls_ctx_create(&c->dtls, why, cap) != USM_OK) return NULL;
  return c->dtls;
}

static usm__sdp_dir dir_of(unsigned flags, unsigned send, unsigned recv) {
  if ((flags & send) && (flags & recv)) return USM__SDP_DIR_SENDRECV;
  if (flags & send) return USM__SDP_DIR_SENDONLY;
  if (flags & recv) return USM__SDP_DIR_RECVONLY;
  return USM__SDP_DIR_INACTIVE;
}

/* Our side of the SDP: capabilities, transport, directions and SSRCs. */
static void local_sdp(usm__media *md, usm__sdp_local *l) {
  usm__sdp_local_init(l);
  usm__transport_local(md->tr, l);
  l->session_id = md->session_id;
  l->session_version = md->version;
  l->cname = md->m->correlation_id;
  /* both video codecs, the application's choice first; feedback we act on
   * (transport-cc is not implemented: not offered) */
  int h264_first = strcmp(md->m->video_codec, "H264") == 0;
  l->video_codecs[0] = h264_first ? USM__SDP_CODEC_H264 : USM__SDP_CODEC_VP8;
  l->video_codecs[1] = h264_first ? USM__SDP_CODEC_VP8 : USM__SDP_CODEC_H264;
  l->n_video_codecs = 2;
  l->audio_fb = 0;
  l->video_fb = USM__SDP_FB_NACK | USM__SDP_FB_NACK_PLI | USM__SDP_FB_CCM_FIR | USM__SDP_FB_GOOG_REMB;
  for (size_t i = 0; i < l->n_media; i++) {
    usm__sdp_local_media *lm = &l->media[i];
    if (lm->kind == USM__SDP_KIND_AUDIO) {
      lm->dir = dir_of(md->flags, USM_MEDIA_AUDIO_SEND, USM_MEDIA_AUDIO_RECV);
      lm->ssrc = usm__rtp_session_ssrc(md->rtp, USM__MEDIA_AUDIO);
    } else if (lm->kind == USM__SDP_KIND_VIDEO) {
      lm->dir = dir_of(md->flags, USM_MEDIA_VIDEO_SEND, USM_MEDIA_VIDEO_RECV);
      lm->ssrc = usm__rtp_session_ssrc(md->rtp, USM__MEDIA_VIDEO);
    } else {
      lm->dir = USM__SDP_DIR_RECVONLY; /* slides: we may watch a share, we do not share */
    }
  }
}

/* Payload types from a negotiation into the RTP session. */
static void apply_negotiation(usm__media *md, usm__sdp_result *r) {
  int pt[USM__MEDIA_KINDS] = {-1, -1}, recv_pt[USM__MEDIA_KINDS] = {-1, -1};
  for (size_t i = 0; i < r->n_media; i++) {
    const usm__sdp_media_result *mr = &r->media[i];
    int k = mr->kind == USM__SDP_KIND_AUDIO ? USM__MEDIA_AUDIO : mr->kind == USM__SDP_KIND_VIDEO ? USM__MEDIA_VIDEO : -1;
    if (k < 0 || mr->rejected) continue;
    pt[k] = mr->pt;
    recv_pt[k] = mr->recv_pt;
  }
  usm__rtp_session_set_payload_types(md->rtp, pt, recv_pt);
  md->video_pt = pt[USM__MEDIA_VIDEO];
  usm__sender_configure(md->out, r);
  usm__receiver_configure(md->in, r);
  usm__sdp_result_free(md->neg);
  md->neg = r;
}

/* ---- RTCP ------------------------------------------------------------------------- */

/* Received bit rate per kind over the last tick. */
static void measure_received(usm__media *md, uint64_t now) {
  for (int k = 0; k < USM__MEDIA_KINDS; k++) {
    usm__stream_stats st;
    usm__rtp_session_recv_stats(md->rtp, (usm__media_kind)k, &st);
    uint64_t bytes = st.bytes >= md->rx_bytes_at[k] ? st.bytes - md->rx_bytes_at[k] : 0; /* a source left */
    if (md->rx_tick_us && now > md->rx_tick_us) md->rx_bps[k] = (uint32_t)(bytes * 8u * 1000000u / (now - md->rx_tick_us));
    md->rx_bytes_at[k] = st.bytes;
  }
  md->rx_tick_us = now;
}

static void on_rtcp_timer(uv_timer_t *t) {
  usm__media *md = t->data;
  if (!md->m || !md->rtp) return;
  uint64_t now = now_us(md);
  usm_err e = usm__rtp_session_report(md->rtp, now);
  if (e != USM_OK && e != USM_ERR_WRONG_STATE) usm__log(md->m->client, USM_LOG_DEBUG, "media: report not sent (%s)", usm_err_name(e));
  usm__sender_tick(md->out, now);
  measure_received(md, now);
}

static void on_stats_timer(uv_timer_t *t) {
  usm__media *md = t->data;
  if (!md->m) return;
  usm_media_stats st;
  usm_media_stats_init(&st);
  usm_meeting_get_stats(md->m, &st);
  usm_event ev = {.type = USM_EVENT_STATS, .state = md->m->state, .media = md->state, .stats = &st};
  usm__meeting_emit(md->m, &ev);
}

static usm_err send_rtp(void *user, uint8_t *pkt, size_t len, size_t cap) {
  usm__media *md = user;
  if (!md->tr) return USM_ERR_WRONG_STATE;
  /* keep a plain copy of our video for NACKs before SRTP encrypts it in place */
  if (len >= 12 && md->video_pt >= 0 && (pkt[1] & 0x7f) == md->video_pt)
    usm__sender_on_packet(md->out, USM__MEDIA_VIDEO, pkt, len, now_us(md));
  return usm__transport_send_rtp(md->tr, pkt, len, cap);
}

static usm_err resend_rtp(void *user, uint8_t *pkt, size_t len, size_t cap) {
  usm__media *md = user;
  return md->tr ? usm__transport_send_rtp(md->tr, pkt, len, cap) : USM_ERR_WRONG_STATE;
}

static void on_feedback(void *user, usm__media_kind kind, const usm__rtcp_pkt *pkt) {
  usm__media *md = user;
  if (md->m) usm__sender_on_feedback(md->out, kind, pkt, now_us(md));
}

static void on_bye(void *user, uint32_t ssrc) {
  usm__media *md = user;
  if (md->m && md->in) usm__receiver_forget(md->in, ssrc);
}

static void on_report(void *user, usm__media_kind kind, const usm__rtcp_report_block *b, uint32_t rtt_ms) {
  usm__media *md = user;
  if (md->m) usm__sender_on_report(md->out, kind, b, rtt_ms, now_us(md));
}

static usm_err send_rtcp(void *user, uint8_t *pkt, size_t len, size_t cap) {
  usm__media *md = user;
  return md->tr ? usm__transport_send_rtcp(md->tr, pkt, len, cap) : USM_ERR_WRONG_STATE;
}

static void on_payload(void *user, const usm__rtp_in *in) {
  usm__media *md = user;
  if (md->tap) md->tap(md->m, in->kind, in->ssrc, in->payload, in->len, in->timestamp, in->seq, in->marker, md->tap_user);
  if (md->m) usm__receiver_on_rtp(md->in, in);
}

static void on_rtp(usm__transport *t, const uint8_t *pkt, size_t len, void *user) {
  (void)t;
  usm__media *md = user;
  if (md->m && md->rtp) usm__rtp_session_recv_rtp(md->rtp, pkt, len, now_us(md));
}

static void on_rtcp(usm__transport *t, const uint8_t *pkt, size_t len, void *user) {
  (void)t;
  usm__media *md = user;
  if (md->m && md->rtp) usm__rtp_session_recv_rtcp(md->rtp, pkt, len, now_us(md));
}

/* ---- offer / answer ------------------------------------------------------------------ */

static void fail(usm__media *md, usm_err err, const char *detail) { set_state(md, USM_MEDIA_FAILED, err, detail); }

static void send_offer(usm__media *md);

static void on_answer(usm_meeting *m, usm_err err, const usm__roap_msg *msg, void *user) {
  usm__media *md = user;
  if (m->media != md) return; /* stopped meanwhile */
  md->offering = 0;
  if (err != USM_OK || !msg) {
    fail(md, err == USM_OK ? USM_ERR_ROAP : err, "the media offer was not answered");
    return;
  }
  if (msg->type == USM__ROAP_ERROR) {
    int glare = msg->error_type && (strcmp(msg->error_type, "CONFLICT") == 0 || strcmp(msg->error_type, "DOUBLECONFLICT") == 0);
    if (glare) {
      send_offer(md); /* the server's offer wins or both retry: offer again with a new seq */
      return;
    }
    char detail[256];
    snprintf(detail, sizeof detail, "ROAP ERROR %s%s%s", msg->error_type ? msg->error_type : "?",
             msg->error_cause ? ": " : "", msg->error_cause ? msg->error_cause : "");
    fail(md, USM_ERR_ROAP, detail);
    return;
  }
  if (msg->type != USM__ROAP_ANSWER || !msg->sdp) {
    fail(md, USM_ERR_ROAP, "the media server did not answer the offer with an SDP");
    return;
  }
  char why[256] = "";
  usm__sdp_result *r = NULL;
  usm_err e = usm__sdp_read_answer(md->offer, strlen(md->offer), msg->sdp, strlen(msg->sdp), &r, why, sizeof why);
  if (e == USM_OK) {
    apply_negotiation(md, r);
    e = usm__transport_set_remote(md->tr, md->neg);
    if (e != USM_OK) snprintf(why, sizeof why, "the answer's transport is unusable (%s)", usm_err_name(e));
  }
  if (e != USM_OK) fail(md, e, why);
}

static void send_offer(usm__media *md) {
  usm__sdp_local l;
  char why[256] = "";
  md->version++;
  local_sdp(md, &l);
  free(md->offer);
  md->offer = NULL;
  usm_err e = usm__sdp_write_offer(&l, &md->offer, why, sizeof why);
  if (e == USM_OK) {
    RAND_bytes((unsigned char *)&md->tie_breaker, sizeof md->tie_breaker);
    usm__roap_media_state st = {!(md->flags & USM_MEDIA_AUDIO_SEND), !(md->flags & USM_MEDIA_VIDEO_SEND)};
    e = usm__roap_offer(md->m, md->offer, md->tie_breaker, &st, on_answer, md);
    if (e != USM_OK) snprintf(why, sizeof why, "the offer could not be sent (%s)", usm_err_name(e));
  }
  if (e != USM_OK) {
    fail(md, e == USM_ERR_SDP ? USM_ERR_SDP : USM_ERR_ROAP, why);
    return;
  }
  md->offering = 1;
}

/* A server OFFER: answer it unless our own offer wins the glare. */
void usm__media_on_roap(usm_meeting *m, const usm__roap_msg *msg) {
  usm__media *md = m->media;
  if (!md || !md->tr || msg->type != USM__ROAP_OFFER) return;
  if (md->offering) {
    usm__glare g = usm__roap_glare(md->tie_breaker, msg->has_tie_breaker ? msg->tie_breaker : 0);
    if (g != USM__GLARE_THEY_WIN) {
      usm__roap_error(m, msg->seq, g == USM__GLARE_DOUBLE ? "DOUBLECONFLICT" : "CONFLICT", NULL, NULL);
      return;
    }
  }
  usm__sdp_local l;
  local_sdp(md, &l);
  char why[256] = "", *answer = NULL;
  usm__sdp_result *r = NULL;
  usm_err e = usm__sdp_answer_offer(&l, msg->sdp, strlen(msg->sdp), &answer, &r, why, sizeof why);
  if (e == USM_OK) {
    usm__roap_media_state st = {!(md->flags & USM_MEDIA_AUDIO_SEND), !(md->flags & USM_MEDIA_VIDEO_SEND)};
    e = usm__roap_answer(m, msg->seq, answer, &st, NULL, NULL);
  }
  free(answer);
  if (e != USM_OK) {
    /* Nothing was applied: refuse this offer, the current session goes on
     * (an unusable offer must not take down working media). */
    usm__sdp_result_free(r);
    usm__log(m->client, USM_LOG_WARN, "media: the server's offer (seq %lld) was refused: %s", (long long)msg->seq,
             why[0] ? why : usm_err_name(e));
    usm__roap_error(m, msg->seq, "FAILED", NULL, NULL);
    return;
  }
  apply_negotiation(md, r);
  e = usm__transport_set_remote(md->tr, md->neg);
  if (e != USM_OK) fail(md, e, "the server's media offer has an unusable transport");
}

/* ---- transport -------------------------------------------------------------------------- */

static void on_gathered(usm__transport *t, void *user) {
  (void)t;
  usm__media *md = user;
  if (md->m && !md->offering) send_offer(md);
}

static void on_transport(usm__transport *t, usm__transport_state s, usm_err err, const char *detail, void *user) {
  usm__media *md = user;
  if (!md->m) return;
  switch (s) {
  case USM__TR_CHECKING: set_state(md, USM_MEDIA_CHECKING, USM_OK, detail); break;
  case USM__TR_CONNECTED:
    md->restarts = 0;
    if (!md->connected_us) md->connected_us = now_us(md);
    uv_timer_start(&md->rtcp_timer, on_rtcp_timer, 200, RTCP_INTERVAL_MS);
    if (md->m->stats_interval_ms)
      uv_timer_start(&md->stats_timer, on_stats_timer, md->m->stats_interval_ms, md->m->stats_interval_ms);
    set_state(md, USM_MEDIA_CONNECTED, USM_OK, detail);
    break;
  case USM__TR_DISCONNECTED: set_state(md, USM_MEDIA_DISCONNECTED, err, detail); break;
  case USM__TR_FAILED:
    uv_timer_stop(&md->rtcp_timer);
    uv_timer_stop(&md->stats_timer);
    if (err == USM_ERR_ICE_FAILED && md->restarts < MAX_RESTARTS && !md->offering) {
      /* a new path may exist (another interface, the server back): ICE restart */
      md->restarts++;
      if (usm__transport_restart(t) == USM_OK) {
        set_state(md, USM_MEDIA_RESTARTED, err, detail);
        return;
      }
    }
    fail(md, err, detail);
    break;
  case USM__TR_NEW:
  case USM__TR_CLOSED: break;
  }
}

/* ---- start / stop -------------------------------------------------------------------------- */

static void start_transport(usm__media *md) {
  char why[256] = "";
  usm_meeting *m = md->m;
  usm__dtls_ctx *dtls = client_dtls(m->client, why, sizeof why);
  if (!dtls) {
    fail(md, USM_ERR_DTLS, why);
    return;
  }
  usm__transport_config tc = {
    .loop = &m->client->loop,
    .dtls = dtls,
    .turn_url = md->turn_url,
    .turn_username = md->turn_user,
    .turn_password = md->turn_pass,
    .on_state = on_transport,
    .on_gathered = on_gathered,
    .on_rtp = on_rtp,
    .on_rtcp = on_rtcp,
    .log = log_cb,
    .user = md,
  };
  usm_err e = usm__transport_create(&tc, &md->tr);
  if (e == USM_OK) e = usm__transport_gather(md->tr);
  if (e != USM_OK) fail(md, e, "the media transport could not start");
}

static void on_turn(usm_meeting *m, usm_err err, const usm__turn_info *turn, void *user) {
  usm__media *md = user;
  if (m->media != md) return;
  if (err == USM_OK && turn) {
    md->turn_url = usm__strdup(turn->url);
    md->turn_user = usm__strdup(turn->username);
    md->turn_pass = usm__strdup(turn->password);
  } else {
    /* no TURN: host and reflexive candidates may still reach the server */
    usm__log(m->client, USM_LOG_INFO, "media: no TURN server (%s)", usm_err_name(err));
  }
  start_transport(md);
}

int usm__media_start(usm_meeting *m) {
  if (!m->media_flags || m->media) return 1;
  usm__media *md = calloc(1, sizeof *md);
  if (!md) {
    usm_event ev = {.type = USM_EVENT_MEDIA, .state = m->state, .media = USM_MEDIA_FAILED, .error = USM_ERR_NO_MEMORY};
    return usm__meeting_emit(m, &ev);
  }
  md->m = m;
  md->flags = m->media_flags;
  RAND_bytes((unsigned char *)&md->session_id, sizeof md->session_id);
  md->session_id &= 0x7fffffffffffffffULL; /* o= sess-id: a positive 63-bit number */
  md->video_pt = -1;
  uv_timer_init(&m->client->loop, &md->rtcp_timer);
  md->rtcp_timer.data = md;
  uv_timer_init(&m->client->loop, &md->stats_timer);
  md->stats_timer.data = md;
  usm__rtp_session_config rc = {
    .cname = m->correlation_id,
    .send = {(md->flags & USM_MEDIA_AUDIO_SEND) != 0, (md->flags & USM_MEDIA_VIDEO_SEND) != 0},
    .pt = {-1, -1},
    .recv_pt = {-1, -1},
    .send_rtp = send_rtp,
    .send_rtcp = send_rtcp,
    .on_rtp = on_payload,
    .on_feedback = on_feedback,
    .on_report = on_report,
    .on_bye = on_bye,
    .user = md,
  };
  m->media = md;
  usm_err e = usm__rtp_session_create(&rc, &md->rtp);
  if (e == USM_OK) {
    usm__sender_cfg sc = {
      .rtp = md->rtp,
      .resend = resend_rtp,
      .log = log_cb,
      .user = md,
      .audio_channels = m->audio_channels,
      .audio_max_bps = m->audio_max_bitrate && m->audio_max_bitrate < AUDIO_CAP_BPS ? m->audio_max_bitrate : AUDIO_CAP_BPS,
      .video_max_bps = m->video_max_bitrate && m->video_max_bitrate < VIDEO_CAP_BPS ? m->video_max_bitrate : VIDEO_CAP_BPS,
    };
    e = usm__sender_create(&sc, &md->out);
  }
  if (e == USM_OK) {
    usm__receiver_cfg rcv = {.m = m, .loop = &m->client->loop, .rtp = md->rtp};
    e = usm__receiver_create(&rcv, &md->in);
  }
  if (e == USM_OK) e = usm__roap_turn_discovery(m, on_turn, md);
  if (e != USM_OK) {
    fail(md, e, "media could not start");
    return m->media == md; /* still alive */
  }
  return set_state(md, USM_MEDIA_CHECKING, USM_OK, "offer/answer");
}

static void on_closed(uv_handle_t *h) {
  usm__media *md = h->data;
  if (++md->closed < 2) return; /* both timers */
  usm__sender_destroy(md->out);
  usm__transport_destroy(md->tr);
  usm__rtp_session_destroy(md->rtp);
  usm__sdp_result_free(md->neg);
  free(md->offer);
  free(md->turn_url);
  free(md->turn_user);
  free(md->turn_pass);
  free(md);
}

void usm__media_stop(usm_meeting *m) {
  usm__media *md = m->media;
  if (!md) return;
  /* tell the media server our streams end (RTCP BYE) while the path is up */
  if (md->state == USM_MEDIA_CONNECTED && md->rtp) usm__rtp_session_bye(md->rtp, "left", now_us(md));
  m->media = NULL;
  md->m = NULL; /* callbacks until the close see a stopped session */
  usm__receiver_destroy(md->in);
  md->in = NULL;
  uv_timer_stop(&md->rtcp_timer);
  uv_timer_stop(&md->stats_timer);
  uv_close((uv_handle_t *)&md->rtcp_timer, on_closed);
  uv_close((uv_handle_t *)&md->stats_timer, on_closed);
}

/* ---- for the codec layer and the public API ------------------------------------------------------ */

usm_err usm__media_send(usm_meeting *m, usm__media_kind kind, const uint8_t *payload, size_t len, int marker) {
  usm__media *md = m->media;
  if (!md || md->state != USM_MEDIA_CONNECTED) return USM_ERR_WRONG_STATE;
  return usm__rtp_session_send(md->rtp, kind, payload, len, now_us(md), marker);
}

void usm__media_set_tap(usm_meeting *m, usm__media_tap tap, void *user) {
  if (!m->media) return;
  m->media->tap = tap;
  m->media->tap_user = user;
}

void usm__media_set_muted(usm_meeting *m, int audio, int video) {
  if (m->media && m->media->out) usm__sender_set_muted(m->media->out, audio, video);
}

/* ---- the public frames API ------------------------------------------------------------ */

/* Whether @p m may send @p flag: USM_OK, or the error to return. */
static usm_err may_send(const usm_meeting *m, unsigned flag) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  return m->media_flags & flag ? USM_OK : USM_ERR_WRONG_STATE;
}

usm_err usm_meeting_send_audio(usm_meeting *m, const usm_audio_frame *f) {
  usm_err e = may_send(m, USM_MEDIA_AUDIO_SEND);
  if (e != USM_OK) return e;
  if (!f || !f->data || (f->channels != 1 && f->channels != 2) || f->samples > USM__CODEC_AUDIO_RATE ||
      (f->format != USM_SAMPLE_S16 && f->format != USM_SAMPLE_FLOAT))
    return USM_ERR_INVALID_ARG;
  usm__media *md = m->media;
  if (!md || md->state != USM_MEDIA_CONNECTED) return USM_OK; /* nobody to send to yet: dropped */
  return usm__sender_audio(md->out, f, now_us(md));
}

static int picture_ok(const usm_video_frame *f) {
  /* even sizes: 4:2:0 chroma covers 2x2 pixels (and H.264 crops in 2-pixel units) */
  if (!f || f->width < 16 || f->height < 16 || f->width > 3840 || f->height > 2160 || ((f->width | f->height) & 1u))
    return 0;
  unsigned cw = (f->width + 1) / 2;
  return f->plane[0] && f->plane[1] && f->plane[2] && f->stride[0] >= (int)f->width && f->stride[1] >= (int)cw &&
         f->stride[2] >= (int)cw;
}

usm_err usm_meeting_send_video(usm_meeting *m, const usm_video_frame *f) {
  usm_err e = may_send(m, USM_MEDIA_VIDEO_SEND);
  if (e != USM_OK) return e;
  if (!picture_ok(f)) return USM_ERR_INVALID_ARG;
  usm__media *md = m->media;
  if (!md || md->state != USM_MEDIA_CONNECTED) return USM_OK;
  return usm__sender_video(md->out, f, now_us(md));
}

void usm_media_callbacks_init(usm_media_callbacks *cb) {
  if (!cb) return;
  memset(cb, 0, sizeof *cb);
  cb->struct_size = sizeof *cb;
}

usm_err usm_meeting_set_media_callbacks(usm_meeting *m, const usm_media_callbacks *cb) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  if (cb && cb->struct_size < sizeof *cb) return USM_ERR_INVALID_ARG;
  if (cb)
    m->media_cb = *cb;
  else
    usm_media_callbacks_init(&m->media_cb);
  return USM_OK;
}

/* ---- statistics ---------------------------------------------------------------------------- */

static void copy_stats(usm_stream_stats *out, const usm__stream_stats *in) {
  out->packets = in->packets;
  out->bytes = in->bytes;
  out->lost = in->lost;
  out->jitter_ms = in->jitter_ms;
  out->rtt_ms = in->rtt_ms;
  out->nacks = in->nacks;
  out->plis = in->plis;
  out->firs = in->firs;
  out->reports = in->reports;
  out->fraction_lost_pct = (uint32_t)in->fraction_lost * 100u / 256u;
}

usm_err usm_meeting_get_stats(const usm_meeting *m, usm_media_stats *out) {
  if (!usm__meeting_ok(m)) return USM_ERR_INVALID_HANDLE;
  if (!out || out->struct_size < sizeof *out) return USM_ERR_INVALID_ARG;
  usm_media_stats_init(out);
  const usm__media *md = m->media;
  if (!md) return USM_OK;
  out->state = md->state;
  if (!md->rtp || !md->out) return USM_OK; /* media failed to start: nothing to count */
  usm_stream_stats *sent[USM__MEDIA_KINDS] = {&out->audio_sent, &out->video_sent};
  usm_stream_stats *recv[USM__MEDIA_KINDS] = {&out->audio_received, &out->video_received};
  for (int k = 0; k < USM__MEDIA_KINDS; k++) {
    usm__stream_stats s;
    usm__rtp_session_send_stats(md->rtp, (usm__media_kind)k, &s);
    copy_stats(sent[k], &s);
    usm__sender_stats(md->out, (usm__media_kind)k, sent[k]);
    usm__rtp_session_recv_stats(md->rtp, (usm__media_kind)k, &s);
    copy_stats(recv[k], &s);
    recv[k]->bitrate_kbps = md->rx_bps[k] / 1000u;
    if (md->in) usm__receiver_stats(md->in, (usm__media_kind)k, recv[k]);
  }
  out->available_send_kbps = usm__sender_available_bps(md->out) / 1000u;
  out->elapsed_ms = md->connected_us ? (now_us(md) - md->connected_us) / 1000u : 0;
  if (md->tr) {
    usm__transport_stats ts;
    usm__transport_get_stats(md->tr, &ts);
    out->srtp_dropped = ts.dropped_auth + ts.dropped_replay + ts.dropped_malformed;
    out->ice_rtt_ms = ts.ice_rtt_ms;
    snprintf(out->local_address, sizeof out->local_address, "%s", ts.local_addr);
    snprintf(out->remote_address, sizeof out->remote_address, "%s", ts.remote_addr);
    snprintf(out->local_type, sizeof out->local_type, "%s", ts.local_type ? ts.local_type : "");
  }
  return USM_OK;
}

usm_media_state usm_meeting_media_state(const usm_meeting *m) {
  return usm__meeting_ok(m) && m->media ? m->media->state : USM_MEDIA_IDLE;
}

void usm_media_stats_init(usm_media_stats *s) {
  if (!s) return;
  memset(s, 0, sizeof *s);
  s->struct_size = sizeof *s;
}

const char *usm_media_state_name(usm_media_state s) {
  static const char *const names[] = {"idle", "checking", "connected", "disconnected", "failed", "restarted"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}
