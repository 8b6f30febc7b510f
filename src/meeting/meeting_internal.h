/* The meeting handle's layout and the helpers its modules share. Internal. */
#ifndef USM_MEETING_INTERNAL_H
#define USM_MEETING_INTERNAL_H

#include <stdint.h>
#include <usm/meeting.h>

#include "core/strbuf.h"
#include "meeting/fsm.h"
#include "meeting/locus_dto.h"
#include "mercury/locus_merge.h"
#include "rest/http.h"
#include "rest/lazy.h"

#define USM_MEETING_MAGIC 0x75736d4du /* "usmM" */

typedef struct usm__mreq usm__mreq;
struct usm__lobby;
struct usm__watch;
struct usm__roap;
struct usm__media;

/* What the running meeting-info fetch is for. */
typedef enum usm__info_purpose { USM__INFO_FOR_CREATE, USM__INFO_FOR_PASSWORD, USM__INFO_FOR_JOIN } usm__info_purpose;

typedef struct usm__captcha {
  int pending;
  char *id, *image, *audio, *refresh;
} usm__captcha;

struct usm_meeting {
  uint32_t magic;
  usm_client *client;        /* NULL once the client is destroyed (detached) */
  usm_meeting *next, *prev;  /* the client's list */
  int hold;                  /* > 0 while a call into the application is on the stack */
  int dead;                  /* destroyed while held: released when the hold drops to 0 */
  usm_event_cb event_cb;
  void *event_user;
  usm_strbuf last_error;

  usm_destination dest;
  usm_meeting_state state;
  usm_password_status password;
  usm__captcha captcha;

  /* The one running flow operation (create, set_password, refresh_captcha,
   * join, leave, end) and its callback. Host actions run beside it. */
  int busy;
  usm_meeting_done_cb op_cb;
  void *op_user;
  usm__info_purpose info_for;
  usm_err after_refresh; /* a password answer waiting for the captcha it refreshed */
  usm__waiter *waiter;   /* waiting for the client's device (and discovery) */
  usm__mreq *reqs;       /* requests in flight */

  /* the destination resolved through the people API */
  char *person_email, *pmr_user, *pmr_org;

  /* meeting info */
  char *number, *sip_uri, *link, *locus_url, *token, *host_id, *meeting_id, *title;

  /* joining */
  char *alias, *pin;
  int moderator;
  char correlation_id[37];
  usm__locus *locus; /* the last DTO applied: roster, self, sequence; NULL outside lobby/joined */
  cJSON *locus_json; /* the same DTO as JSON: the working copy that Mercury deltas merge into */
  usm__ooo_queue ooo; /* deltas that arrived before their base */
  struct usm__lobby *lobby;
  struct usm__watch *watch;
  struct usm__roap *roap; /* media signalling queue and sequence (roap.c); per join */
  unsigned media_flags;   /* USM_MEDIA_* asked for at join */
  struct usm__media *media; /* the media session while joined (media.c) */
  /* media settings from the join options (media.c reads them) */
  unsigned audio_channels;
  uint32_t audio_max_bitrate, video_max_bitrate;
  char video_codec[8];      /* preferred: "VP8" or "H264" */
  unsigned stats_interval_ms;
  usm_media_callbacks media_cb; /* receive callbacks (usm_meeting_set_media_callbacks) */
  struct usm__player *player;   /* usm_meeting_play's source (media_play.c) */
};

/* ---- meeting.c ---------------------------------------------------------- */

/* A live handle with a live client. */
int usm__meeting_ok(const usm_meeting *m);
void usm__meeting_set_error(usm_meeting *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Replace *dst by a copy of @p src (NULL clears); -1 out of memory (dst unchanged). */
int usm__set_str(char **dst, const char *src);
void usm__captcha_clear(usm__captcha *k);

/* Calls into the application. Each returns 0 when the meeting was destroyed
 * or its client is going away meanwhile: the caller must then return at
 * once without touching @p m again. */
int usm__meeting_emit(usm_meeting *m, const usm_event *ev);
/* Around any other call into the application (media frames): enter gives 0
 * when no call may be made now; leave gives 0 when @p m is gone. */
int usm__meeting_enter(usm_meeting *m);
int usm__meeting_leave(usm_meeting *m);
int usm__meeting_call(usm_meeting *m, usm_meeting_done_cb cb, void *user, usm_err err, const char *msg);
/* End the flow operation: clear busy, record the error, call its callback. */
int usm__op_complete(usm_meeting *m, usm_err err, const char *msg);
/* Feed the state machine; on a change start/stop the lobby, drop the
 * roster on LEFT/ENDED and emit USM_EVENT_STATE. */
int usm__meeting_input(usm_meeting *m, usm__input in);
int usm__emit_password(usm_meeting *m);

/* Keep @p m allocated across calls that may destroy it (returns m); the
 * release frees it if it was destroyed meanwhile. */
usm_meeting *usm__meeting_hold(usm_meeting *m);
void usm__meeting_release(usm_meeting *m);

/* The client's destroy: every meeting becomes an inert handle. */
void usm__meetings_detach(usm_client *c);

/* ---- mreq.c: the meeting's HTTP requests --------------------------------- */

#define USM__MREQ_LOCUS 1u      /* Locus: follow errorCode 2000002 redirects; ask for no HTTP redirects */
#define USM__MREQ_FINAL_423 2u  /* 423 is an answer, never retried */
#define USM__MREQ_IDEMPOTENT 4u /* may be retried after a 500 */

/* The answer to one request (after redirects); @p q is freed afterwards. */
typedef void (*usm__mreq_fn)(usm_meeting *m, usm__mreq *q, const usm_http_result *r);

struct usm__mreq {
  usm__mreq *next, *prev;
  usm_meeting *m;
  usm__mreq_fn on_done;
  usm_meeting_done_cb cb; /* host actions: the application's callback */
  void *user;
  char method[8];
  char *url, *body;
  unsigned flags, redirects;
  long timeout_ms; /* 0: the client's request timeout */
};

usm_err usm__mreq_send(usm_meeting *m, const char *method, const char *url, const char *body, unsigned flags,
                       usm__mreq_fn on_done, usm_meeting_done_cb cb, void *user);
/* The same with its own whole-request timeout (0: the client's). */
usm_err usm__mreq_send_timed(usm_meeting *m, const char *method, const char *url, const char *body, unsigned flags,
                             long timeout_ms, usm__mreq_fn on_done, usm_meeting_done_cb cb, void *user);
void usm__mreq_cancel_all(usm_meeting *m);
/* The Locus "errorCode" of a failed answer, or 0. */
long usm__locus_error_code(const usm_http_result *r);
/* usm_err for a failed Locus answer; @p join: the join request. */
usm_err usm__locus_err(const usm_http_result *r, int join);
/* "HTTP 423: ... (errorCode 2423005) trackingId=..." into @p buf. */
void usm__http_detail(const usm_http_result *r, char *buf, size_t cap);

/* ---- resolve.c: meeting info, password, captcha --------------------------- */

usm_err usm__info_start(usm_meeting *m, usm__info_purpose why, const char *password, const char *captcha_code);

/* ---- join.c --------------------------------------------------------------- */

/* {"device":{url, deviceType},"correlationId"...} as Locus wants it in join,
 * leave and media requests; NULL: out of memory or no device. */
cJSON *usm__meeting_device_body(usm_meeting *m, int url_first);
/* The Locus join itself (after any token refresh). */
usm_err usm__join_locus(usm_meeting *m);

/* ---- locus.c: DTOs and the Locus calls after the join ---------------------- */

/* Apply a full DTO (from a join, an action, a sync or Mercury) if it is
 * newer than the working copy. 0 when m is gone; *err gets
 * USM_ERR_BAD_RESPONSE (etc.) when it does not parse. */
int usm__meeting_apply_dto(usm_meeting *m, const cJSON *dto, usm_err *err);
/* Merge a Mercury delta (owned) into the working copy, with the official
 * sequence rules; may hold it, or start a sync. 0 when m is gone. */
int usm__meeting_apply_delta(usm_meeting *m, cJSON *delta);

/* ---- lobby.c: the lobby keep-alive ------------------------------------------ */

usm_err usm__lobby_start(usm_meeting *m);
void usm__lobby_stop(usm_meeting *m);

/* ---- locus_watch.c: keeping the locus fresh: sync, and polling without Mercury -- */

/* Start, retune or stop polling to suit m->state and the event channel
 * (polling only while the channel is not online). */
void usm__watch_update(usm_meeting *m);
void usm__watch_stop(usm_meeting *m);
/* Fetch the state now (syncUrl, else the full DTO); one at a time. */
void usm__watch_sync(usm_meeting *m);
/* Deltas are held: sync in 10..15 s unless they resolve (official OOO timer). */
void usm__watch_hold(usm_meeting *m, int held);

/* ---- events.c: the client's Mercury channel, as meetings see it ------------- */

/* Open the client's event channel if it is not running (at join). */
void usm__events_start(usm_meeting *m);
int usm__events_online(const usm_client *c);
/* One Mercury event (data.eventType and data) to the meetings it names: what
 * the channel's on_event does, callable on its own by the benchmark. */
void usm__events_feed(usm_client *c, const char *type, const cJSON *data);

#endif
