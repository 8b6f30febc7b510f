/* SDP offer/answer (RFC 3264, RFC 8829-style WebRTC SDP) for one audio, one
 * video and one slides (a=content:slides) m-line: writing our offer, reading
 * the remote answer, and answering a remote offer. Payload types are mapped
 * from the SDP, never assumed. Pure functions; no I/O. See docs/media-sdp.md. */
#ifndef USM_MEDIA_SDP_NEGOTIATE_H
#define USM_MEDIA_SDP_NEGOTIATE_H

#include <stddef.h>
#include <stdint.h>

#include "media/sdp.h"

typedef enum usm__sdp_kind {
  USM__SDP_KIND_AUDIO = 0,
  USM__SDP_KIND_VIDEO,  /* main video */
  USM__SDP_KIND_SLIDES, /* video with a=content:slides (Webex share) */
  USM__SDP_KIND_OTHER   /* application, text...: always rejected */
} usm__sdp_kind;

typedef enum usm__sdp_codec_id {
  USM__SDP_CODEC_NONE = 0,
  USM__SDP_CODEC_OPUS,     /* opus/48000/2 */
  USM__SDP_CODEC_VP8,      /* VP8/90000 */
  USM__SDP_CODEC_H264,     /* H264/90000, packetization-mode=1, (constrained) baseline */
  USM__SDP_CODEC_TEL_EVENT /* telephone-event/8000 (RFC 4733 DTMF) */
} usm__sdp_codec_id;

/* rtcp-fb kinds, as a bit set. */
#define USM__SDP_FB_NACK 0x01u         /* "nack" */
#define USM__SDP_FB_NACK_PLI 0x02u     /* "nack pli" */
#define USM__SDP_FB_CCM_FIR 0x04u      /* "ccm fir" */
#define USM__SDP_FB_GOOG_REMB 0x08u    /* "goog-remb" */
#define USM__SDP_FB_TRANSPORT_CC 0x10u /* "transport-cc" */

#define USM__SDP_LOCAL_MAX_MEDIA 3u
#define USM__SDP_MAX_VIDEO_CODECS 2u

typedef struct usm__sdp_local_media {
  usm__sdp_kind kind; /* AUDIO, VIDEO or SLIDES; at most one of each */
  usm__sdp_dir dir;   /* what we want: SENDRECV, SENDONLY, RECVONLY or INACTIVE */
  uint32_t ssrc;      /* our sending SSRC (a=ssrc cname); 0: none */
  uint32_t tias;      /* b=TIAS in bit/s; 0: none */
} usm__sdp_local_media;

/* Our capabilities. Strings are borrowed for the duration of a call and must
 * hold no spaces or line breaks (candidates and crypto may hold spaces). */
typedef struct usm__sdp_local {
  const char *ice_ufrag, *ice_pwd;  /* required */
  const char *fp_alg, *fp_value;    /* DTLS fingerprint; NULL: SDES only (needs crypto) */
  usm__sdp_setup setup;             /* our role when offering; NONE means actpass */
  const char *cname;                /* a=ssrc:<n> cname:<cname>; NULL: "usm" */
  uint64_t session_id;              /* o= sess-id; 0 is fine */
  unsigned session_version;         /* o= sess-version; bump on each new offer */
  usm__sdp_local_media media[USM__SDP_LOCAL_MAX_MEDIA];
  size_t n_media;
  usm__sdp_codec_id video_codecs[USM__SDP_MAX_VIDEO_CODECS]; /* VP8 / H264, preferred first */
  size_t n_video_codecs;
  int telephone_event;              /* offer/accept telephone-event/8000 on audio */
  unsigned audio_fb, video_fb;      /* USM__SDP_FB_* we support */
  const char *const *candidates;    /* "candidate:..." strings (no "a="); may be NULL */
  size_t n_candidates;
  int end_of_candidates;
  const char *const *crypto;        /* SDES "<tag> <suite> inline:<key>" values; may be NULL */
  size_t n_crypto;
} usm__sdp_local;

/* Fills *l with the defaults: audio, video and slides sendrecv; H264 then VP8;
 * telephone-event on; audio fb transport-cc; video fb nack, nack pli, ccm fir,
 * goog-remb, transport-cc. The caller sets ICE, fingerprint and candidates. */
void usm__sdp_local_init(usm__sdp_local *l);

/* The transport the remote side described for one m-line (media level first,
 * then session level; for a bundled m-line, the BUNDLE-tag m-line's). */
typedef struct usm__sdp_transport {
  const char *ice_ufrag, *ice_pwd; /* NULL when absent */
  int ice_lite;
  const char *fp_alg, *fp_value;   /* NULL when SDES is used */
  usm__sdp_setup remote_setup;     /* as written (NONE: absent) */
  int dtls_client;                 /* 1: we start the DTLS handshake (we are "active") */
  const char *const *candidates;   /* "candidate:..." strings */
  size_t n_candidates;
  int end_of_candidates;
  const char *conn;                /* c= value */
  unsigned port;                   /* m= port */
  int crypto_tag;                  /* chosen SDES tag, -1: none */
  const char *crypto_suite;
  const char *local_key_params, *remote_key_params; /* "inline:..." */
} usm__sdp_transport;

#define USM__SDP_MAX_REMOTE_SSRCS 8u

typedef struct usm__sdp_media_result {
  usm__sdp_kind kind;
  const char *mid;       /* NULL when the m-line has none */
  int rejected;          /* port 0 (by the answerer), or no usable codec */
  usm__sdp_dir dir;      /* negotiated, from our point of view */
  usm__sdp_codec_id codec;
  int pt;                /* payload type we send with (the remote's number) */
  int recv_pt;           /* payload type the remote sends us (our number) */
  const char *codec_name; /* as the remote wrote it, e.g. "opus", "H264" */
  uint32_t clock;
  unsigned channels;     /* 0: not written */
  const char *remote_fmtp, *local_fmtp; /* NULL when absent */
  unsigned rtcp_fb;      /* USM__SDP_FB_* both sides listed for the codec */
  int dtmf_pt, dtmf_recv_pt; /* telephone-event, -1: not negotiated */
  uint32_t remote_ssrcs[USM__SDP_MAX_REMOTE_SSRCS];
  size_t n_remote_ssrcs;
  const char *remote_cname;
  int rtcp_mux;          /* both sides use rtcp-mux */
  int bundled;           /* in the remote's BUNDLE group */
  uint32_t remote_as, remote_tias; /* b=AS (kbit/s) and b=TIAS (bit/s); 0: absent */
  usm__sdp_transport transport;
} usm__sdp_media_result;

/* The outcome of one offer/answer exchange. All strings point into the two
 * sessions it owns; free with usm__sdp_result_free. */
typedef struct usm__sdp_result {
  usm__sdp_session *local, *remote;
  usm__sdp_media_result media[USM__SDP_MAX_MEDIA];
  size_t n_media;
  int bundle_tag;   /* index of the m-line whose transport the bundle uses; -1: none */
  const char *bundle; /* the remote "BUNDLE ..." group value; NULL when absent */
} usm__sdp_result;

void usm__sdp_result_free(usm__sdp_result *r);

/* Our offer (payload types chosen by us: opus 111, telephone-event 126,
 * VP8 96, H264 102). *out is malloc'd text (free()). USM_ERR_INVALID_ARG
 * when *l is incomplete or holds unsafe strings. */
usm_err usm__sdp_write_offer(const usm__sdp_local *l, char **out, char *err, size_t errlen);

/* Reads the remote answer to our offer (both as text). USM_ERR_SDP when the
 * answer is malformed, does not match the offer, shares no codec on an
 * accepted m-line, rejects every m-line, or has no DTLS fingerprint (and no
 * accepted SDES crypto); USM_ERR_LIMIT past a parser bound;
 * USM_ERR_INVALID_ARG when the offer text does not parse. */
usm_err usm__sdp_read_answer(const char *offer, size_t offer_len, const char *answer,
                             size_t answer_len, usm__sdp_result **out, char *err, size_t errlen);

/* Answers a remote offer: *answer_out is malloc'd text (free()), *out the
 * results (payload types are the remote's). m-lines we cannot use are
 * rejected (port 0); USM_ERR_SDP when none is usable. */
usm_err usm__sdp_answer_offer(const usm__sdp_local *l, const char *offer, size_t offer_len,
                              char **answer_out, usm__sdp_result **out, char *err, size_t errlen);

#endif
