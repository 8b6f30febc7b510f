/* ROAP over Locus (PROTOCOL.md §5): the signalling half of media. Our
 * messages go out as `PUT {self.url}/media` with the ROAP message inside
 * `localMedias[0].localSdp`, a JSON *string*; answers come back in the HTTP
 * response (includeAnswerInHttpResponse), server offers over Mercury
 * (locus.message.roap). One request at a time per meeting, in order, as the
 * official SDK's queue does. Loop thread only. */
#ifndef USM_MEETING_ROAP_H
#define USM_MEETING_ROAP_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <usm/meeting.h>

/* Requests queued behind the one in flight; more is USM_ERR_LIMIT. */
#define USM__ROAP_QUEUE_MAX 8
/* An SDP larger than this is refused both ways. */
#define USM__ROAP_MAX_SDP (64 * 1024)
/* Timeouts (official TURN_DISCOVERY_TIMEOUT, ROAP_OFFER_ANSWER_EXCHANGE_TIMEOUT). */
#define USM__ROAP_TURN_TIMEOUT_MS 10000L
#define USM__ROAP_OFFER_TIMEOUT_MS 35000L

typedef enum usm__roap_type {
  USM__ROAP_OFFER,
  USM__ROAP_ANSWER,
  USM__ROAP_OK,
  USM__ROAP_ERROR,
  USM__ROAP_TURN_DISCOVERY_REQUEST,
  USM__ROAP_TURN_DISCOVERY_RESPONSE,
  USM__ROAP_UNKNOWN
} usm__roap_type;

/* A ROAP message as read from the wire; strings point into the cJSON it came from. */
typedef struct usm__roap_msg {
  usm__roap_type type;
  int64_t seq;            /* a number, or a decimal string ("0") as in the official tests */
  const char *sdp;        /* sdps[0], or NULL */
  int has_tie_breaker;
  uint32_t tie_breaker;
  const char *error_type; /* ERROR: "CONFLICT", "DOUBLECONFLICT", ... */
  const char *error_cause;
  const cJSON *headers;   /* array of strings, or NULL */
} usm__roap_msg;

/* Read @p o ({messageType, seq, sdps, ...}). USM_ERR_MALFORMED when it is
 * not a ROAP message; USM_ERR_LIMIT for an SDP over USM__ROAP_MAX_SDP. */
usm_err usm__roap_parse(const cJSON *o, usm__roap_msg *out);
/* Whether the headers hold @p name exactly. */
int usm__roap_has_header(const usm__roap_msg *msg, const char *name);

/* TURN credentials from TURN discovery (owned by the caller of the callback
 * only during it). */
typedef struct usm__turn_info {
  const char *url;      /* x-cisco-turn-url: turns:host:443?transport=tcp */
  const char *username; /* x-cisco-turn-username */
  const char *password; /* x-cisco-turn-password */
} usm__turn_info;

typedef void (*usm__roap_turn_cb)(usm_meeting *m, usm_err err, const usm__turn_info *turn, void *user);
/* @p msg: the server's answer (ANSWER, or ERROR with its error_type) or NULL on a transport error. */
typedef void (*usm__roap_reply_cb)(usm_meeting *m, usm_err err, const usm__roap_msg *msg, void *user);

/* What every media request says about our media besides the ROAP message. */
typedef struct usm__roap_media_state {
  int audio_muted, video_muted;
} usm__roap_media_state;

/* TURN discovery (seq 0). An OK is sent after it unless the server said
 * noOkInTransaction. USM_ERR_WRONG_STATE when not joined. */
usm_err usm__roap_turn_discovery(usm_meeting *m, usm__roap_turn_cb cb, void *user);

/* Send our OFFER (the next seq, starting at 1) and get the ANSWER from the
 * response. @p tie_breaker: ours, for glare. */
usm_err usm__roap_offer(usm_meeting *m, const char *sdp, uint32_t tie_breaker, const usm__roap_media_state *st,
                        usm__roap_reply_cb cb, void *user);

/* Answer a server OFFER (same seq), or refuse it with ERROR @p error_type. */
usm_err usm__roap_answer(usm_meeting *m, int64_t seq, const char *sdp, const usm__roap_media_state *st,
                         usm__roap_reply_cb cb, void *user);
usm_err usm__roap_error(usm_meeting *m, int64_t seq, const char *error_type, usm__roap_reply_cb cb, void *user);

/* Glare (both sides offered): which side's offer survives. */
typedef enum usm__glare { USM__GLARE_WE_WIN, USM__GLARE_THEY_WIN, USM__GLARE_DOUBLE } usm__glare;
usm__glare usm__roap_glare(uint32_t ours, uint32_t theirs);

/* The meeting's ROAP state: queue and sequence; freed with the meeting. */
typedef struct usm__roap usm__roap;
void usm__roap_free(usm_meeting *m);

#endif
