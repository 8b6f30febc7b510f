/* libusm: a meeting the user takes part in: meeting info, password and
 * captcha, join (and the lobby), host actions, leave. */
#ifndef USM_MEETING_H
#define USM_MEETING_H

/**
 * @file meeting.h
 * A usm_meeting is one meeting seen by one client: created from a
 * destination (meeting number, SIP URI, meeting link, person ID), it fetches
 * the meeting info, asks for a password (and a captcha after wrong tries)
 * when the meeting needs one, joins (possibly through the lobby), and offers
 * the host's actions. See docs/meetings.md for the state machine.
 *
 * Threading and callbacks follow client.h: loop thread only; an error return
 * means the callback never fires; USM_OK means it fires exactly once unless
 * the meeting or its client is destroyed first. Pointers handed to callbacks
 * are valid during the callback only.
 */

#include <usm/client.h>
#include <usm/destination.h>
#include <usm/media.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque meeting handle, owned by the application; release with usm_meeting_destroy(). */
typedef struct usm_meeting usm_meeting;

/** Where the meeting stands for this user. Append-only. */
typedef enum usm_meeting_state {
  USM_MEETING_RESOLVING = 0, /**< Fetching the meeting info. */
  USM_MEETING_LOCKED_OUT = 1, /**< Info incomplete: a password (and maybe a captcha) is needed. */
  USM_MEETING_READY = 2,     /**< Info known; may join. */
  USM_MEETING_JOINING = 3,   /**< Join request in flight. */
  USM_MEETING_IN_LOBBY = 4,  /**< Waiting to be admitted by the host. */
  USM_MEETING_JOINED = 5,    /**< In the meeting. */
  USM_MEETING_LEFT = 6,      /**< Left (may join again). */
  USM_MEETING_ENDED = 7,     /**< The meeting ended for everyone. */
  USM_MEETING_FAILED = 8     /**< Unusable: see usm_meeting_last_error(). */
} usm_meeting_state;

/** The official SDK's PASSWORD_STATUS. */
typedef enum usm_password_status {
  USM_PASSWORD_UNKNOWN = 0,     /**< Not known yet. */
  USM_PASSWORD_REQUIRED = 1,    /**< A password or host key must be given (usm_meeting_set_password). */
  USM_PASSWORD_VERIFIED = 2,    /**< A password was given and accepted. */
  USM_PASSWORD_NOT_REQUIRED = 3 /**< This user needs none (no password, invitee, member of the space). */
} usm_password_status;

/** A captcha the cloud asks for after too many wrong passwords. */
typedef struct usm_captcha {
  const char *id;        /**< captchaID, sent back with the answer. */
  const char *image_url; /**< PNG showing the code. */
  const char *audio_url; /**< WAV speaking the code. */
  const char *refresh_url; /**< Used by usm_meeting_refresh_captcha(). */
} usm_captcha;

/** A member of the roster. */
typedef struct usm_participant {
  const char *id;           /**< Locus participant id. */
  const char *name;         /**< Display name, or NULL. */
  const char *email;        /**< Or NULL (guests, phones). */
  const char *person_id;    /**< The person's UUID, or NULL. */
  int in_meeting;           /**< 1: state JOINED. */
  int in_lobby;             /**< 1: waiting for admission. */
  int is_host;              /**< 1: holds the host (moderator) role. */
  int is_self;              /**< 1: this client's user. */
  int is_guest;             /**< 1: a guest (not a member of the org). */
  int audio_muted;          /**< 1 muted, 0 not, -1 unknown. */
  int video_muted;          /**< 1 muted, 0 not, -1 unknown. */
} usm_participant;

/** Kinds of meeting events. Append-only. */
typedef enum usm_event_type {
  USM_EVENT_STATE = 1,        /**< usm_meeting_state() changed; see event.state. */
  USM_EVENT_PASSWORD = 2,     /**< Password status or captcha changed. */
  USM_EVENT_ROSTER = 3,       /**< A participant joined, left or changed; see event.participant. */
  USM_EVENT_HOST = 4,         /**< The host changed; see event.participant (the new host). */
  USM_EVENT_LOCK = 5,         /**< The meeting was locked or unlocked; see event.locked. */
  USM_EVENT_MUTE = 6,         /**< A participant's audio or video mute changed; see event.participant (after its USM_EVENT_ROSTER). */
  USM_EVENT_CONNECTION = 7,   /**< The client's live event channel changed state; see event.connection, event.error. */
  USM_EVENT_ERROR = 8,        /**< Input from the cloud was dropped (malformed or oversized); see event.error, event.detail. */
  USM_EVENT_ROAP = 9,         /**< A media (ROAP) message from the cloud for this meeting; see event.roap. */
  USM_EVENT_MEDIA = 10,       /**< The media connection changed state; see event.media, event.error, event.detail. */
  USM_EVENT_STATS = 11        /**< Media statistics, every usm_join_options.stats_interval_ms; see event.stats. */
} usm_event_type;

/**
 * State of the client's live event channel (Mercury), shared by its meetings
 * (docs/mercury-connection.md). While it is not ONLINE, a meeting in the
 * lobby or joined fetches its state from Locus every few seconds instead, so
 * events keep coming, later. Append-only.
 */
typedef enum usm_connection_state {
  USM_CONNECTION_IDLE = 0,        /**< Not started: no meeting has joined yet. */
  USM_CONNECTION_CONNECTING = 1,  /**< Opening the channel for the first time. */
  USM_CONNECTION_ONLINE = 2,      /**< Events flow; every meeting is resynced after each (re)connect. */
  USM_CONNECTION_RECONNECTING = 3, /**< Lost; reconnecting after a backoff (1 s doubling to 32 s, with jitter). */
  USM_CONNECTION_OFFLINE = 4      /**< Given up; event.error says why (e.g. USM_ERR_EVENTS_REPLACED). */
} usm_connection_state;

/** What a USM_EVENT_ROSTER reports. Append-only. */
typedef enum usm_roster_change {
  USM_ROSTER_NONE = 0,    /**< Not a roster event. */
  USM_ROSTER_JOINED = 1,  /**< Entered the roster: joined, or entered the lobby. */
  USM_ROSTER_LEFT = 2,    /**< Left the roster (the participant shown is the last known entry). */
  USM_ROSTER_CHANGED = 3  /**< Still there, something changed (admitted, muted, host role, name). */
} usm_roster_change;

/** One event; valid during the callback only. */
typedef struct usm_event {
  usm_event_type type;                 /**< What happened. */
  usm_meeting_state state;             /**< Current state (every event). */
  const usm_participant *participant;  /**< ROSTER: who; HOST: the new host, NULL when none; else NULL. */
  int locked;                          /**< LOCK: 1 locked, 0 unlocked. */
  usm_roster_change change;            /**< ROSTER: joined, left or changed; else USM_ROSTER_NONE. */
  usm_connection_state connection;     /**< CONNECTION: the new state; else the current one. */
  usm_err error;                       /**< CONNECTION (OFFLINE, RECONNECTING): why; ERROR: what was wrong; else USM_OK. */
  const char *detail;                  /**< CONNECTION, ERROR: text for logs (close code, reason); else NULL. */
  const char *roap;                    /**< ROAP: the message object ({messageType, seq, sdps, ...}) as JSON text; else NULL. */
  usm_media_state media;               /**< MEDIA: the new state; else USM_MEDIA_IDLE. */
  const usm_media_stats *stats;        /**< STATS: the numbers now; else NULL. */
} usm_event;

/**
 * Called on the loop thread for every change of the meeting that the
 * application did not make synchronously: the call that starts a join moves
 * the state to JOINING without an event; everything after it is reported.
 */
typedef void (*usm_event_cb)(usm_meeting *m, const usm_event *ev, void *user);

/**
 * Completion of an asynchronous meeting operation.
 * @param m the meeting.
 * @param err USM_OK or why it failed.
 * @param message detail ("" on success); also in usm_meeting_last_error().
 * @param user the pointer given with the call.
 */
typedef void (*usm_meeting_done_cb)(usm_meeting *m, usm_err err, const char *message, void *user);

/**
 * Create a meeting object from a destination and start fetching its info.
 * The destination is parsed first (usm_destination_parse): a space ID fails
 * here with USM_ERR_SPACE_ID_DEPRECATED. Person IDs are resolved to the
 * person's address through the people API.
 * The client registers its device (once per client) and discovers the
 * cloud's services first when it has not yet.
 * @param client the client; the meeting lives on its loop.
 * @param destination what the user typed (see docs/destinations.md).
 * @param type USM_DEST_AUTO to detect, or the kind asserted.
 * @param cb completes when the info is known: USM_OK (state READY),
 *   USM_ERR_PASSWORD_REQUIRED or USM_ERR_CAPTCHA_REQUIRED (state LOCKED_OUT:
 *   call usm_meeting_set_password), or another error (state FAILED), e.g.
 *   USM_ERR_NO_MEETING_INFO, USM_ERR_POLICY. May be NULL.
 * @param user passed to @p cb.
 * @param[out] out the new handle, also on asynchronous failure; NULL on a
 *   synchronous error (detail in usm_client_last_error()).
 */
USM_API usm_err usm_meetings_create(usm_client *client, const char *destination, usm_dest_type type,
                                    usm_meeting_done_cb cb, void *user, usm_meeting **out);

/**
 * Destroy the meeting object (without leaving: call usm_meeting_leave first
 * if joined). Pending callbacks never fire. Safe inside callbacks. NULL: no-op.
 * Destroying the client first stops the meeting (no more callbacks; calls
 * return USM_ERR_INVALID_HANDLE, accessors show the last state) but the
 * handle must still be released with this.
 */
USM_API void usm_meeting_destroy(usm_meeting *m);

/** Receive every event of this meeting; NULL stops. */
USM_API void usm_meeting_set_event_cb(usm_meeting *m, usm_event_cb cb, void *user);

/**
 * Give the meeting password (or the host key), plus the captcha code when
 * one is pending. Only in state LOCKED_OUT.
 * @param cb USM_OK: verified, state READY; USM_ERR_PASSWORD_REQUIRED: wrong;
 *   USM_ERR_CAPTCHA_REQUIRED: too many wrong tries (or wrong code): a captcha
 *   is now pending (usm_meeting_captcha()).
 * @param m the meeting.
 * @param password the password or host key; required while
 *   usm_meeting_password_status() is USM_PASSWORD_REQUIRED, may be NULL while
 *   it is UNKNOWN (a captcha alone).
 * @param captcha_code the code of the pending captcha, or NULL when none is pending.
 * @param user passed to @p cb.
 * @return USM_ERR_WRONG_STATE when no password is required (or another
 *   operation of the meeting runs);
 *   USM_ERR_INVALID_ARG when a captcha is pending and @p captcha_code is NULL,
 *   or none is pending and it is not NULL.
 */
USM_API usm_err usm_meeting_set_password(usm_meeting *m, const char *password, const char *captcha_code,
                                         usm_meeting_done_cb cb, void *user);

/** Ask for a new captcha (new id, image and audio). USM_ERR_WRONG_STATE when none is pending. */
USM_API usm_err usm_meeting_refresh_captcha(usm_meeting *m, usm_meeting_done_cb cb, void *user);

/** Join options. Initialise with usm_join_options_init(). */
typedef struct usm_join_options {
  size_t struct_size;       /**< Set by usm_join_options_init(). */
  const char *display_name; /**< Shown to others (Locus alias); NULL: the account's name. */
  const char *pin;          /**< Host or guest PIN for personal rooms, or NULL. */
  int moderator;            /**< 1: join as moderator (with pin = host PIN). */
  unsigned media;           /**< USM_MEDIA_* bits: the media to send and receive once joined; 0: none. */
  unsigned audio_channels;  /**< Audio we send: 1 (default) or 2 (coded as stereo when the answer's Opus fmtp has stereo=1, else mono). */
  uint32_t audio_max_bitrate; /**< Cap in bit/s; 0: 64000, the cloud's audio limit (never above it). */
  uint32_t video_max_bitrate; /**< Cap in bit/s; 0: 4000000, the cloud's video limit (never above it). */
  const char *video_codec;  /**< Preferred video codec, "VP8" or "H264"; NULL: VP8 first. Both are offered;
                                 the answer decides. */
  unsigned stats_interval_ms; /**< USM_EVENT_STATS every this many ms (>= 100) while media runs; 0: none. */
} usm_join_options;

/** Fill @p o with defaults. */
USM_API void usm_join_options_init(usm_join_options *o);

/**
 * Join. Only in state READY or LEFT (USM_ERR_WRONG_STATE otherwise, or
 * USM_ERR_PASSWORD_REQUIRED / USM_ERR_CAPTCHA_REQUIRED while those are pending).
 * The state becomes JOINING at once (without an event).
 * @param m the meeting.
 * @param opts NULL: defaults.
 * @param cb USM_OK when joined or placed in the lobby (check
 *   usm_meeting_state: JOINED or IN_LOBBY; the admission later arrives as a
 *   USM_EVENT_STATE to JOINED). USM_ERR_MEETING_LOCKED for a locked meeting
 *   or a missing PIN.
 * @param user passed to @p cb.
 */
USM_API usm_err usm_meeting_join(usm_meeting *m, const usm_join_options *opts, usm_meeting_done_cb cb,
                                 void *user);

/** Leave (state JOINED or IN_LOBBY). */
USM_API usm_err usm_meeting_leave(usm_meeting *m, usm_meeting_done_cb cb, void *user);

/** Host only: end the meeting for everyone. USM_ERR_NOT_HOST otherwise (from the cloud). */
USM_API usm_err usm_meeting_end(usm_meeting *m, usm_meeting_done_cb cb, void *user);

/** Host only: admit a participant waiting in the lobby. */
USM_API usm_err usm_meeting_admit(usm_meeting *m, const char *participant_id, usm_meeting_done_cb cb,
                                  void *user);

/** Host only: make another participant the host. */
USM_API usm_err usm_meeting_assign_host(usm_meeting *m, const char *participant_id, usm_meeting_done_cb cb,
                                        void *user);

/** Invite someone by email while in the meeting. USM_ERR_INVALID_ARG for a malformed address. */
USM_API usm_err usm_meeting_invite(usm_meeting *m, const char *email, usm_meeting_done_cb cb, void *user);

/** Host only: lock (1) or unlock (0) the meeting. */
USM_API usm_err usm_meeting_lock(usm_meeting *m, int locked, usm_meeting_done_cb cb, void *user);

/**
 * Mute or unmute a participant's audio and/or video in the roster (Locus
 * controls; others see a USM_EVENT_MUTE). Oneself while JOINED; another
 * participant: host only (USM_ERR_NOT_HOST from the cloud otherwise).
 * Muting oneself also stops sending that media at once (audio and video
 * frames given to usm_meeting_send_* are dropped) until unmuted; a remote
 * mute of oneself by the host does the same when its event arrives.
 * @param m the meeting.
 * @param participant_id NULL for oneself.
 * @param audio 1 mute, 0 unmute, -1 leave as is.
 * @param video 1 mute, 0 unmute, -1 leave as is (not both -1).
 * @param cb completes with the cloud's answer.
 * @param user passed to @p cb.
 */
USM_API usm_err usm_meeting_mute(usm_meeting *m, const char *participant_id, int audio, int video,
                                 usm_meeting_done_cb cb, void *user);

/* ---- state accessors (loop thread; strings valid until the next event or call) ---- */

/** Current state. */
USM_API usm_meeting_state usm_meeting_get_state(const usm_meeting *m);
/** Password status (official PASSWORD_STATUS). */
USM_API usm_password_status usm_meeting_password_status(const usm_meeting *m);
/** The pending captcha: USM_OK and @p out filled, or USM_ERR_WRONG_STATE when none is pending. */
USM_API usm_err usm_meeting_captcha(const usm_meeting *m, usm_captcha *out);
/** Meeting number, SIP URI and join link from the meeting info; NULL until known. */
USM_API const char *usm_meeting_number(const usm_meeting *m);
/** SIP URI of the meeting, or NULL. */
USM_API const char *usm_meeting_sip_uri(const usm_meeting *m);
/** Join link of the meeting, or NULL. */
USM_API const char *usm_meeting_link(const usm_meeting *m);
/** Number of roster entries (0 before joining). */
USM_API size_t usm_meeting_participant_count(const usm_meeting *m);
/** Roster entry @p i (0-based): USM_OK, or USM_ERR_INVALID_ARG when out of range. */
USM_API usm_err usm_meeting_participant(const usm_meeting *m, size_t i, usm_participant *out);
/** This user's own roster entry: USM_OK, or USM_ERR_WRONG_STATE before joining. */
USM_API usm_err usm_meeting_self(const usm_meeting *m, usm_participant *out);
/** Detail of the meeting's last failure, or "". Valid until the next call on the meeting. */
USM_API const char *usm_meeting_last_error(const usm_meeting *m);
/** Name of a state ("ready", "in_lobby", ...); static. */
USM_API const char *usm_meeting_state_name(usm_meeting_state s);
/** State of the meeting's media connection. */
USM_API usm_media_state usm_meeting_media_state(const usm_meeting *m);
/** State of the live event channel serving this meeting's client. */
USM_API usm_connection_state usm_meeting_connection_state(const usm_meeting *m);
/** Name of a connection state ("online", "reconnecting", ...); static. */
USM_API const char *usm_connection_state_name(usm_connection_state s);

/* ---- capabilities of the signed-in user ---- */

/** What the signed-in user may do. */
typedef struct usm_capabilities {
  int can_create_meetings; /**< 1: has a meetings license and a site to host on (the "meet" button). */
  int is_guest;            /**< 1: a guest (Service App) identity. */
  const char *display_name; /**< Or NULL. */
  const char *email;       /**< Or NULL. */
  const char *site_url;    /**< Default hosting site, or NULL. */
} usm_capabilities;

/** Completion of usm_client_capabilities(); @p caps is NULL on failure. */
typedef void (*usm_capabilities_cb)(usm_client *client, usm_err err, const usm_capabilities *caps, void *user);

/** Ask the cloud what the signed-in user may do (people/me and hosting sites). */
USM_API usm_err usm_client_capabilities(usm_client *client, usm_capabilities_cb cb, void *user);

#ifdef __cplusplus
}
#endif
#endif
