/* Inside the media server: the server, one participant's media connection,
 * its streams and impairments, shared by the cloud/media_*.c files only. */
#ifndef USM_CLOUD_MEDIA_INTERNAL_H
#define USM_CLOUD_MEDIA_INTERNAL_H

#include <netinet/in.h>
#include <stdint.h>
#include <uv.h>

#include "ids.h"
#include "media/dtls.h"
#include "media/rtp.h"
#include "media/rtp_seq.h"
#include "media/rtx_history.h"
#include "media/sdp_negotiate.h"
#include "media/srtp_session.h"
#include "media_server.h"
#include "vec.h"

/* Bounds. */
#define CLOUD_MEDIA_MAX_PARTS 256     /* media connections in all */
#define CLOUD_MEDIA_MAX_PER_LOCUS 16  /* media connections per locus */
#define CLOUD_MEDIA_MAX_DATAGRAM 1500 /* larger RTP/RTCP is dropped; nothing larger is sent */
#define CLOUD_MEDIA_BUF (CLOUD_MEDIA_MAX_DATAGRAM + 64)
#define CLOUD_MEDIA_MAX_IN 8          /* incoming streams (SSRCs) tracked per connection */
#define CLOUD_MEDIA_MAX_OUT (CLOUD_MEDIA_MAX_PER_LOCUS * 3) /* forwarded streams per receiver */
#define CLOUD_MEDIA_MAX_QUEUE 256     /* datagrams held by one impairment queue */
#define CLOUD_MEDIA_MAX_QUEUE_MS 2000 /* longest a datagram may be held */
#define CLOUD_MEDIA_CONSENT_MS 30000  /* RFC 7675: consent lost after 30 s without checks */
#define CLOUD_MEDIA_TICK_MS 500       /* housekeeping: RTCP reports, consent, sweep */
#define CLOUD_MEDIA_KINDS 3           /* audio, video, slides (usm__sdp_kind order) */
#define CLOUD_MEDIA_MAX_BOTS 4        /* media bots per locus (POST /admin/bots) */
/* REMB to a sender without an uplink cap: the answer's b=TIAS, audio 64k + video 4M */
#define CLOUD_MEDIA_REMB_BPS 4064000u
#define CLOUD_MEDIA_REMB_EVERY 2      /* ticks between REMBs: every second */
/* Per receiver video out-stream: what the SFU sent it, to answer its NACKs
 * (its copy passed our replay check once; the sender's resend would not). */
#define CLOUD_MEDIA_RTX_PACKETS 512u  /* packets kept (a power of two) */
#define CLOUD_MEDIA_RTX_AGE_MS 1000u  /* and no older than this */
/* Histories in the whole server (~0.85 MB each); beyond, NACKs are relayed. */
#define CLOUD_MEDIA_MAX_RTX_HISTORIES 64u

typedef enum cloud_ice_state {
  CLOUD_ICE_NEW,       /* no valid check yet (or forgotten by dropIce) */
  CLOUD_ICE_CHECKING,  /* valid checks, nothing nominated */
  CLOUD_ICE_CONNECTED, /* USE-CANDIDATE seen: the pair is selected */
  CLOUD_ICE_DISCONNECTED /* consent expired */
} cloud_ice_state;

/* Our latest server-initiated OFFER (POST /admin/media "offer"). */
typedef enum cloud_offer_state {
  CLOUD_OFFER_NONE,       /* never offered */
  CLOUD_OFFER_PENDING,    /* sent over Mercury, not answered yet */
  CLOUD_OFFER_ANSWERED,   /* the client's ANSWER was applied */
  CLOUD_OFFER_REFUSED,    /* the client sent ERROR (CONFLICT, DOUBLECONFLICT, ...) */
  CLOUD_OFFER_BAD_ANSWER, /* an ANSWER we could not use */
  CLOUD_OFFER_SUPERSEDED  /* glare: the client's OFFER won (larger tieBreaker) */
} cloud_offer_state;

#define CLOUD_MEDIA_MAX_HOLD_MS 10000 /* holdOfferAnswer: the longest hold */

typedef enum cloud_dir { CLOUD_DIR_UP, CLOUD_DIR_DOWN } cloud_dir;

/* One impairment setting (see POST /admin/media). */
typedef struct cloud_impair_cfg {
  double loss;        /* % of datagrams dropped at random */
  int ge;             /* Gilbert-Elliott burst loss on */
  double ge_p, ge_r;  /* % chance per datagram: good->bad, bad->good */
  double ge_loss_bad, ge_loss_good; /* % loss in each state */
  unsigned burst_len, burst_every; /* fixed bursts: drop burst_len of every burst_every */
  unsigned jitter_ms; /* uniform extra delay 0..jitter_ms */
  double reorder;     /* % held back by jitter_ms + 20 ms more */
  double duplicate;   /* % sent twice */
  unsigned bw_kbps;   /* link rate; 0 = unlimited */
} cloud_impair_cfg;

typedef struct cloud_impair_item {
  uint64_t due_us;
  size_t len;
  uint8_t *data;
} cloud_impair_item;

typedef void (*cloud_impair_deliver)(void *user, uint8_t *data, size_t len);

/* One direction's impairment and its bounded delay queue. */
typedef struct cloud_impair {
  cloud_impair_cfg cfg;
  int ge_bad;
  uint64_t burst_pos;
  uint64_t link_free_us; /* when the capped link is free again */
  uint64_t rng;
  cloud_impair_item queue[CLOUD_MEDIA_MAX_QUEUE]; /* sorted by due_us */
  size_t n;
  uv_timer_t timer;
  int timer_on;
  cloud_impair_deliver deliver;
  void *user;
  uint64_t dropped, delayed, duplicated, overflow;
} cloud_impair;

/* What one m-line negotiated. */
typedef struct cloud_media_neg {
  int active;                /* accepted */
  usm__sdp_codec_id codec;
  int pt, dtmf_pt;           /* the participant's payload types (dtmf -1: none) */
  uint32_t clock;
  int sends, recvs;          /* from our side: we send to / receive from the participant */
  uint32_t ssrcs[USM__SDP_MAX_REMOTE_SSRCS];
  size_t n_ssrcs;
} cloud_media_neg;

/* A stream the participant sends us. */
typedef struct cloud_in_stream {
  int used;
  uint32_t ssrc;
  int kind;
  usm__rtp_rx rx;
  uint32_t lsr;        /* middle 32 bits of the last SR's NTP time */
  uint64_t lsr_at_us;  /* when it came */
  uint64_t last_us;
} cloud_in_stream;

/* A stream we forward to the participant: one per sender and media kind. */
typedef struct cloud_out_stream {
  int used;
  char from[CLOUD_UUID_SIZE]; /* the sender's participant id */
  int kind;
  uint32_t ssrc;       /* what this receiver sees, stable */
  uint32_t src_ssrc;   /* the sender's current SSRC */
  int started;
  uint16_t seq_off;    /* out = in + off */
  uint32_t ts_off;
  uint16_t last_seq;
  uint32_t last_ts;
  uint64_t last_us;
  uint32_t clock;
  uint32_t packets, octets;
  usm__rtx_history *rtx; /* video and slides: made on the first packet, see cloud_media_out_forget() */
} cloud_out_stream;

typedef struct cloud_kind_stats {
  uint64_t packets_in, bytes_in, packets_out, bytes_out;
} cloud_kind_stats;

typedef struct cloud_media_part cloud_media_part;
typedef struct cloud_bot cloud_bot;

/* A connection's ICE side, kept to undo an ICE-restart offer. */
typedef struct cloud_ice_snapshot {
  char ufrag[16], pwd[40];
  cloud_ice_state ice;
  struct sockaddr_in valid, selected;
  int have_valid, have_selected;
} cloud_ice_snapshot;

struct cloud_media {
  uv_loop_t *loop;
  struct cloud_app *app;
  int port_lo, port_hi, next_port;
  char *turn_url, *turn_user, *turn_password;
  usm__dtls_ctx *dtls_ctx;
  cloud_vec parts; /* cloud_media_part* */
  uv_timer_t tick;
  int stopped;
  int closing_handles; /* handles of the server itself still closing */
  cloud_vec dying; /* parts whose handles are closing */
  unsigned ticks;
  size_t rtx_histories; /* allocated, at most CLOUD_MEDIA_MAX_RTX_HISTORIES */
  uint8_t rx[CLOUD_MEDIA_BUF * 2];
};

struct cloud_media_part {
  cloud_media *srv;
  char locus_id[CLOUD_UUID_SIZE];
  char part_id[CLOUD_UUID_SIZE];
  char media_id[CLOUD_UUID_SIZE];
  struct cloud_user *user;
  int negotiated; /* an OFFER was answered */
  int answer_version;
  uint64_t session_id;

  /* ROAP */
  int64_t last_seq;  /* highest seq seen or sent; our next OFFER takes the next one */
  char *last_sdp;    /* our last SDP (answer or offer): the base of our next offer */
  cloud_offer_state offer_state;
  int64_t offer_seq; /* of our latest OFFER (0: none) */
  uint32_t offer_tb;
  int offer_restart; /* it restarted ICE */
  char *offer_sdp;   /* while PENDING */
  char offer_error[32]; /* REFUSED: the client's errorType */
  cloud_ice_snapshot before_offer; /* ICE before an ICE-restart offer, for its rollback */
  unsigned hold_next_ms; /* holdOfferAnswer: the next client OFFER's answer waits */
  uint64_t offers_sent, answers_in, errors_in;

  uv_udp_t sock;
  int port;
  int handles_open; /* uv handles not yet closed */

  /* ICE (lite, controlled) */
  char ufrag[16], pwd[40];
  char remote_ufrag[64], remote_pwd[128];
  cloud_ice_state ice;
  struct sockaddr_in valid;    /* last address with a valid check */
  int have_valid;
  struct sockaddr_in selected; /* nominated (USE-CANDIDATE) */
  int have_selected;
  uint64_t last_consent_ms;
  uint64_t ice_ok, ice_refused;

  /* DTLS */
  usm__dtls *dtls;
  usm__dtls_role role;
  char remote_fp_alg[16], remote_fp[200];
  uv_timer_t dtls_timer;
  usm__srtp_session *srtp_in, *srtp_out;

  /* what was negotiated, per usm__sdp_kind */
  cloud_media_neg neg[CLOUD_MEDIA_KINDS];
  uint32_t our_ssrc; /* sender SSRC of our RTCP */
  cloud_in_stream in[CLOUD_MEDIA_MAX_IN];
  cloud_out_stream out[CLOUD_MEDIA_MAX_OUT];

  cloud_impair impair[2]; /* CLOUD_DIR_UP, CLOUD_DIR_DOWN */

  cloud_kind_stats stats[CLOUD_MEDIA_KINDS];
  uint64_t rtcp_in, rtcp_out, srtp_auth_failures, replays, dropped;
  uint64_t remb_out;
  /* NACKs from this receiver, in sequence numbers: asked, resent from the
   * out-stream's history, relayed to the sender (not held), held but resent
   * moments ago, held but could not be protected again */
  uint64_t nack_in, nack_served, nack_relayed, nack_throttled, nack_failed;

  /* CSIs (audio, video): the CSRC of what is forwarded from this
   * participant, published in the Locus DTO as status.csis */
  uint32_t csi[2];
  /* Non-NULL: a media bot (media_bot.c): no socket, ICE or DTLS; its RTP
   * enters the forward path as plaintext. */
  cloud_bot *bot;
};

/* ---- media_server.c ---- */
uint64_t cloud_media_now_ms(void);
uint64_t cloud_media_now_us(void);
/* The connection of participant @p part_id, or NULL. */
cloud_media_part *cloud_media_find(cloud_media *m, const char *part_id);
/* A new connection with its socket bound in the range. NULL: no port, limit, memory. */
cloud_media_part *cloud_media_part_new(cloud_media *m, const char *locus_id, const char *part_id,
                                       struct cloud_user *user, char *err, size_t errlen);
/* Closes and frees @p p (asynchronously: its handles close first). */
void cloud_media_part_close(cloud_media_part *p);
/* Sends one datagram to the participant's selected (or validated) address. */
void cloud_media_send_raw(cloud_media_part *p, const uint8_t *data, size_t len);
/* Sends a datagram through the downlink impairment. */
void cloud_media_send(cloud_media_part *p, const uint8_t *data, size_t len);
/* A fresh random uint32 (never 0). */
uint32_t cloud_media_rand32(void);
/* Two fresh CSIs (audio, video), unique among the connections of @p locus_id. */
void cloud_media_new_csis(cloud_media *m, const char *locus_id, uint32_t csi[2]);
/* A bot's connection: no socket; the caller adds @p handles uv handles
 * (whose data is the part) and sets p->bot. NULL with the reason in @p err. */
cloud_media_part *cloud_media_part_new_bot(cloud_media *m, const char *locus_id, const char *part_id,
                                           const uint32_t csi[2], char *err, size_t errlen);
/* Bots of @p locus_id. */
size_t cloud_media_bots_in(const cloud_media *m, const char *locus_id);

/* ---- media_participant.c ---- */
/* New local ICE credentials (creation, dropIce, ICE restart). */
void cloud_media_part_new_ice(cloud_media_part *p);
/* (Re)creates the DTLS endpoint for the negotiated role and fingerprint. 0 or -1. */
int cloud_media_part_dtls_setup(cloud_media_part *p, char *err, size_t errlen);
/* One DTLS datagram from the participant. */
void cloud_media_part_dtls_feed(cloud_media_part *p, const uint8_t *data, size_t len);
/* ICE selected a pair: a DTLS client starts its handshake now. */
void cloud_media_part_ice_selected(cloud_media_part *p);
const char *cloud_media_dtls_state_name(const cloud_media_part *p);
const char *cloud_media_ice_state_name(cloud_ice_state s);

/* ---- media_ice_lite.c ---- */
void cloud_media_ice_on_stun(cloud_media_part *p, const uint8_t *buf, size_t len,
                             const struct sockaddr_in *from);
/* Whether media from @p from may be accepted. */
int cloud_media_ice_trusted(const cloud_media_part *p, const struct sockaddr_in *from);

/* ---- media_forward.c ---- */
/* One SRTP or SRTCP datagram from @p p after the uplink impairment. */
void cloud_media_forward_in(void *part, uint8_t *data, size_t len);
/* Periodic RTCP: SR for forwarded streams, RR for received ones. */
void cloud_media_rtcp_tick(cloud_media_part *p);
/* Plain RTP @p data (@p len, @p wire_len as it arrived) from @p p: counted
 * and forwarded to the others of its locus (to @p only when not NULL: a
 * retransmission). The view is parsed here; @p data is not changed. */
void cloud_media_forward_plain(cloud_media_part *p, const uint8_t *data, size_t len, size_t wire_len,
                               cloud_media_part *only);
/* A REMB to @p p naming the SSRCs it sends: its uplink cap, else
 * CLOUD_MEDIA_REMB_BPS. Nothing when it sends nothing. */
void cloud_media_remb_tick(cloud_media_part *p);
/* Frees @p o's history and clears the stream (its slot is free again). */
void cloud_media_out_forget(cloud_media_part *r, cloud_out_stream *o);
/* cloud_media_out_forget() on every out-stream of @p r. */
void cloud_media_outs_forget(cloud_media_part *r);
/* Asks networked sender @p s for a keyframe of its stream @p ssrc (PLI). */
void cloud_media_request_keyframe(cloud_media_part *s, uint32_t ssrc);
/* @p s's streams end: an RTCP BYE to every receiver of its locus for the
 * SSRC it saw them under, and the receivers forget them. */
void cloud_media_streams_end(cloud_media_part *s);

/* ---- media_bot.c ---- */
typedef struct cloud_bot_cfg {
  int audio, video;   /* send these kinds */
  unsigned width, height, fps;
  int echo;           /* re-send the first non-bot sender's media instead */
} cloud_bot_cfg;
/* A bot connection for participant @p part_id of @p locus_id, its timers
 * started. NULL with the reason in @p err (limits, memory, codec). */
cloud_media_part *cloud_media_bot_new(cloud_media *m, const char *locus_id, const char *part_id,
                                      const uint32_t csi[2], const cloud_bot_cfg *cfg, char *err,
                                      size_t errlen);
/* Closing: BYE to the receivers; the timers close with @p cb. */
void cloud_media_bot_close(cloud_media_part *p, uv_close_cb cb);
void cloud_media_bot_free(cloud_bot *b);
/* RTP from @p from (a networked participant of the same locus) reaches bot
 * @p p: echo mode re-sends it. */
void cloud_media_bot_heard(cloud_media_part *p, cloud_media_part *from, int kind,
                           const usm__rtp_view *v);
/* A receiver's PLI / FIR for the bot's stream of @p kind. */
void cloud_media_bot_keyframe(cloud_media_part *p, int kind);
/* Receiver @p r's NACK for the bot's stream of @p kind (sequence numbers as
 * the bot sent them): retransmitted to @p r alone from the history. */
void cloud_media_bot_nack(cloud_media_part *p, cloud_media_part *r, int kind, const uint16_t *seqs,
                          size_t n);
cJSON *cloud_media_bot_json(const cloud_media_part *p);

/* ---- media_impair.c ---- */
int cloud_impair_init(cloud_impair *im, uv_loop_t *loop, cloud_impair_deliver deliver, void *user);
/* Replaces the settings (queued datagrams stay queued). */
void cloud_impair_set(cloud_impair *im, const cloud_impair_cfg *cfg);
/* Drops, delays, duplicates or passes one datagram (copied when held). */
void cloud_impair_push(cloud_impair *im, const uint8_t *data, size_t len);
/* Frees the queue and closes the timer (@p cb on close). */
void cloud_impair_close(cloud_impair *im, uv_close_cb cb);
cJSON *cloud_impair_json(const cloud_impair *im);

/* ---- media_sdp.c ---- */
/* The answer SDP to @p offer for @p p (malloc'd text in *answer); fills
 * p->neg, the remote ICE credentials, fingerprint and the DTLS role.
 * -1 with the reason in @p err when the SDP is unusable. */
int cloud_media_sdp_answer(cloud_media_part *p, const char *offer, size_t len, char **answer,
                           char *err, size_t errlen);
/* Our OFFER re-offering the current session (malloc'd text in *offer): the
 * last SDP we sent, a=setup:actpass, the current ICE credentials, the next
 * o= version. -1 with the reason in @p err (nothing negotiated yet). */
int cloud_media_sdp_offer(cloud_media_part *p, char **offer, char *err, size_t errlen);
/* Applies the client's @p answer to our @p offer: remote ICE credentials,
 * negotiated payload types, the DTLS role from its a=setup (a new DTLS
 * endpoint when the role or the fingerprint changed). -1 with @p err. */
int cloud_media_sdp_read_answer(cloud_media_part *p, const char *offer, const char *answer,
                                char *err, size_t errlen);

/* ---- media_roap.c ---- */
/* Sends the participant our OFFER over Mercury (locus.message.roap): the
 * current session as Linus would re-offer it (the negotiated codecs,
 * a=setup:actpass), new ICE credentials when @p ice_restart. -1 with the
 * reason in @p err (nothing negotiated yet, no Mercury connection, memory). */
int cloud_media_offer_send(cloud_media_part *p, uint32_t tie_breaker, int ice_restart, char *err,
                           size_t errlen);
/* The client's ANSWER (seq @p seq) to our OFFER. 0; -1 when the SDP is
 * unusable, -2 when no OFFER of that seq is pending (reason in @p err). */
int cloud_media_offer_answered(cloud_media_part *p, int64_t seq, const char *sdp, char *err,
                               size_t errlen);
/* The client's ERROR for seq @p seq (CONFLICT, DOUBLECONFLICT, ...). */
void cloud_media_offer_refused(cloud_media_part *p, int64_t seq, const char *error_type);
/* A client OFFER with @p tie_breaker (@p has_tb) while ours is PENDING:
 * NULL when the client's offer goes ahead (ours is superseded), else the
 * errorType ("CONFLICT", "DOUBLECONFLICT") to answer it with. */
const char *cloud_media_offer_glare(cloud_media_part *p, int has_tb, uint32_t tie_breaker);
/* Pushes @p message as it is (a test's malformed ROAP) in a
 * locus.message.roap to the participant. -1 with @p err. */
int cloud_media_roap_push(cloud_media_part *p, const cJSON *message, char *err, size_t errlen);
/* {lastSeq, holdOfferAnswerMs, serverOffer: {state, seq, tieBreaker,
 * iceRestart, errorType?}, offersSent, answersIn, errorsIn} */
cJSON *cloud_media_offer_json(const cloud_media_part *p);
const char *cloud_media_offer_state_name(cloud_offer_state s);

#endif
