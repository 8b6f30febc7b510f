/* SDP (RFC 8866) session model, bounded parser and serializer for the media
 * layer. The model keeps every attribute WebRTC offer/answer needs as typed
 * fields and every other line verbatim ("extra"), so parse -> write -> parse
 * gives an equal model. Pure functions; no I/O. See docs/media-sdp.md. */
#ifndef USM_MEDIA_SDP_H
#define USM_MEDIA_SDP_H

#include <stddef.h>
#include <stdint.h>

#include <usm/common.h>

/* Bounds on what the parser accepts. Exceeding one gives USM_ERR_LIMIT;
 * malformed input gives USM_ERR_SDP. */
#define USM__SDP_MAX_BYTES 65536u   /* whole SDP text */
#define USM__SDP_MAX_LINES 4096u    /* lines in the SDP */
#define USM__SDP_MAX_LINE 4096u     /* bytes in one line */
#define USM__SDP_MAX_TOKEN 256u     /* mid, ufrag, pwd, proto, fingerprint ... */
#define USM__SDP_MAX_MEDIA 16u      /* m-lines */
#define USM__SDP_MAX_ATTRS 512u     /* a= lines per level (session or one m-line) */
#define USM__SDP_MAX_FORMATS 64u    /* formats on one m-line */
#define USM__SDP_MAX_CODECS 64u     /* distinct payload types with rtpmap/fmtp per m-line */
#define USM__SDP_MAX_RTCPFB 128u    /* a=rtcp-fb per m-line */
#define USM__SDP_MAX_CANDIDATES 64u /* a=candidate per m-line */
#define USM__SDP_MAX_SSRCS 64u      /* a=ssrc lines per m-line */
#define USM__SDP_MAX_GROUPS 8u      /* a=group (session), a=ssrc-group, a=msid (m-line) */
#define USM__SDP_MAX_EXTMAPS 32u    /* a=extmap per level */
#define USM__SDP_MAX_CRYPTO 8u      /* a=crypto per m-line */
#define USM__SDP_MAX_FPS 4u         /* a=fingerprint per level */
#define USM__SDP_MAX_BW 8u          /* b= per level */
#define USM__SDP_MAX_EXTRA 64u      /* unknown lines kept per level */

typedef enum usm__sdp_dir {
  USM__SDP_DIR_NONE = 0, /* no direction attribute (means sendrecv) */
  USM__SDP_DIR_SENDRECV,
  USM__SDP_DIR_SENDONLY,
  USM__SDP_DIR_RECVONLY,
  USM__SDP_DIR_INACTIVE
} usm__sdp_dir;

typedef enum usm__sdp_setup {
  USM__SDP_SETUP_NONE = 0, /* no a=setup */
  USM__SDP_SETUP_ACTPASS,
  USM__SDP_SETUP_ACTIVE,
  USM__SDP_SETUP_PASSIVE,
  USM__SDP_SETUP_HOLDCONN
} usm__sdp_setup;

/* A line kept verbatim: its type letter and the text after "x=". */
typedef struct usm__sdp_line {
  char type;
  const char *text;
} usm__sdp_line;

typedef struct usm__sdp_bw {
  const char *type; /* "AS", "TIAS", "CT", ... */
  uint32_t value;
} usm__sdp_bw;

typedef struct usm__sdp_fp {
  const char *alg;   /* "sha-256" */
  const char *value; /* "AB:CD:..." */
} usm__sdp_fp;

/* One payload type's a=rtpmap and a=fmtp (either may be absent). */
typedef struct usm__sdp_codec {
  int pt;           /* 0..127 */
  const char *name; /* encoding name as written; NULL: no a=rtpmap */
  uint32_t clock;
  unsigned channels; /* 0: not written */
  const char *fmtp;  /* parameters after "a=fmtp:<pt> "; NULL: no a=fmtp */
} usm__sdp_codec;

typedef struct usm__sdp_rtcpfb {
  int pt; /* -1 for "*" */
  const char *value; /* "nack pli", "goog-remb" ... */
} usm__sdp_rtcpfb;

typedef struct usm__sdp_ssrc {
  uint32_t ssrc;
  const char *attr; /* "cname:..." or "msid:..." or "" */
} usm__sdp_ssrc;

typedef struct usm__sdp_extmap {
  unsigned id;
  const char *dir; /* NULL when absent */
  const char *uri; /* URI and any extension attributes, verbatim */
} usm__sdp_extmap;

/* RFC 4568 SDES: a=crypto:<tag> <suite> <key-params> [<session-params>] */
typedef struct usm__sdp_crypto {
  uint32_t tag;
  const char *suite;
  const char *key_params;
  const char *session_params; /* NULL when absent */
} usm__sdp_crypto;

/* What may appear at session level and at media level. */
typedef struct usm__sdp_common {
  const char *conn; /* c= value, e.g. "IN IP4 0.0.0.0" */
  usm__sdp_bw bw[USM__SDP_MAX_BW];
  size_t n_bw;
  const char *ice_ufrag, *ice_pwd;
  int ice_lite;
  int end_of_candidates;
  usm__sdp_fp fp[USM__SDP_MAX_FPS];
  size_t n_fp;
  usm__sdp_setup setup;
  usm__sdp_dir dir;
  usm__sdp_extmap extmap[USM__SDP_MAX_EXTMAPS];
  size_t n_extmap;
  usm__sdp_line extra[USM__SDP_MAX_EXTRA];
  size_t n_extra;
  size_t n_attrs; /* a= lines seen (bound check only; not compared) */
} usm__sdp_common;

typedef struct usm__sdp_media {
  const char *type; /* "audio", "video", "application" ... */
  unsigned port;
  unsigned nports; /* 0: not written */
  const char *proto;
  const char *fmt[USM__SDP_MAX_FORMATS];
  size_t n_fmt;
  const char *mid;
  const char *content; /* "main", "slides" ... */
  const char *label;
  int rtcp_mux, rtcp_rsize;
  usm__sdp_codec codec[USM__SDP_MAX_CODECS];
  size_t n_codec;
  usm__sdp_rtcpfb fb[USM__SDP_MAX_RTCPFB];
  size_t n_fb;
  usm__sdp_ssrc ssrc[USM__SDP_MAX_SSRCS];
  size_t n_ssrc;
  const char *ssrc_group[USM__SDP_MAX_GROUPS];
  size_t n_ssrc_group;
  const char *msid[USM__SDP_MAX_GROUPS];
  size_t n_msid;
  usm__sdp_crypto crypto[USM__SDP_MAX_CRYPTO];
  size_t n_crypto;
  const char *candidate[USM__SDP_MAX_CANDIDATES]; /* "candidate:..." (no "a=") */
  size_t n_candidate;
  usm__sdp_common c;
} usm__sdp_media;

typedef struct usm__sdp_arena usm__sdp_arena;

/* A parsed SDP. Every string is owned by the session (its arena). */
typedef struct usm__sdp_session {
  usm__sdp_arena *arena;
  const char *origin; /* o= value */
  const char *name;   /* s= value */
  const char *timing; /* first t= value; NULL when absent */
  const char *group[USM__SDP_MAX_GROUPS]; /* a=group values, e.g. "BUNDLE 0 1" */
  size_t n_group;
  usm__sdp_common c;
  usm__sdp_media *media[USM__SDP_MAX_MEDIA];
  size_t n_media;
} usm__sdp_session;

/* Parses text[0..len). Accepts CRLF and bare LF. On failure *out is NULL and
 * a short reason goes to err (may be NULL). Returns USM_ERR_SDP (malformed),
 * USM_ERR_LIMIT (a bound above), USM_ERR_NO_MEMORY or USM_ERR_INVALID_ARG. */
usm_err usm__sdp_parse(const char *text, size_t len, usm__sdp_session **out, char *err,
                       size_t errlen);
void usm__sdp_free(usm__sdp_session *s);

/* Writes s as CRLF text, malloc'd and NUL-terminated (free with free()).
 * USM_ERR_LIMIT when the text would exceed USM__SDP_MAX_BYTES. */
usm_err usm__sdp_write(const usm__sdp_session *s, char **out, size_t *out_len);

/* 1 when both models hold the same content (extra lines compared in order
 * within each type letter). */
int usm__sdp_equal(const usm__sdp_session *a, const usm__sdp_session *b);

/* Lookups on a parsed m-line. */
const usm__sdp_codec *usm__sdp_codec_find(const usm__sdp_media *m, int pt);
/* The first value of group "semantics" (e.g. "BUNDLE") at session level, or NULL. */
const char *usm__sdp_group_find(const usm__sdp_session *s, const char *semantics);
/* Keywords as written in SDP ("sendrecv", "actpass"); "" for NONE. */
const char *usm__sdp_dir_str(usm__sdp_dir d);
const char *usm__sdp_setup_str(usm__sdp_setup s);

#endif
