/* libusm: the public Webex REST API for meetings and invitees. */
#ifndef USM_REST_H
#define USM_REST_H

/**
 * @file rest.h
 * Scheduled and ad hoc meetings (/v1/meetings) and their invitees
 * (/v1/meetingInvitees), as in the official Webex Meetings OpenAPI spec.
 *
 * Every call here is asynchronous and runs on the client's loop:
 * - it returns USM_OK and later calls its callback exactly once, on the loop
 *   thread, unless the client is destroyed first (then never);
 * - or it returns an error and the callback never fires.
 * Every pointer handed to a callback (status, results, their strings) is
 * owned by libusm and valid only until the callback returns: copy what you keep.
 * String fields the server did not send are NULL; flags it did not send are -1.
 * Result structs only ever grow at the end, and only libusm allocates them.
 */

#include <usm/client.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Outcome of one REST operation. */
typedef struct usm_rest_status {
  usm_err err;             /**< USM_OK or the mapped failure. */
  int http_status;         /**< Last HTTP status, 0 if no response arrived. */
  const char *message;     /**< Server's message (+ error descriptions) or local reason; never NULL, "" on success. */
  const char *tracking_id; /**< Server's trackingId (body or TrackingID header), or NULL. */
  const char *body;        /**< Raw response body (JSON), or NULL. */
  unsigned retries;        /**< How many times the request was retried. */
} usm_rest_status;

/** An invitee for creation requests. */
typedef struct usm_rest_invitee_params {
  const char *email;        /**< Required. */
  const char *display_name; /**< NULL: unset. */
  int co_host;              /**< -1: unset, 0/1. */
  int panelist;             /**< -1: unset, 0/1. */
} usm_rest_invitee_params;

/**
 * Fields for creating or replacing a meeting. Initialise with
 * usm_rest_meeting_params_init(): NULL strings and -1 flags are not sent.
 * Times are ISO 8601 strings ("2026-12-01T10:00:00Z").
 */
typedef struct usm_rest_meeting_params {
  size_t struct_size;        /**< Set by usm_rest_meeting_params_init(). */
  const char *title;         /**< At most 128 characters. */
  const char *agenda;        /**< At most 1300 characters. */
  const char *password; /**< Meeting password; NULL: the server generates one. */
  const char *start; /**< Start time (ISO 8601). */
  const char *end; /**< End time (ISO 8601), after start; 10 min to 23 h 59 min later. */
  const char *timezone;      /**< IANA zone, e.g. "Europe/Berlin". */
  const char *recurrence;    /**< RFC 2445 RRULE. */
  const char *room_id;       /**< Space id: with adhoc=1 starts the space's instant (USM) meeting. */
  int adhoc;                 /**< -1: unset; 1: ad hoc meeting for room_id (create only). */
  const char *template_id; /**< Meeting template id. */
  const char *scheduled_type; /**< "meeting", "webinar", "personalRoomMeeting". */
  const char *host_email;    /**< Admin scheduling on behalf of a user. */
  const char *site_url; /**< Webex site to schedule on; NULL: the user's preferred site. */
  int enabled_join_before_host; /**< -1, 0, 1 */
  int join_before_host_minutes; /**< -1: unset; 0, 5, 10 or 15. */
  int enable_connect_audio_before_host; /**< -1, 0, 1 */
  int exclude_password;      /**< -1, 0, 1 */
  int public_meeting;        /**< -1, 0, 1 */
  int send_email;            /**< -1, 0, 1 */
  const usm_rest_invitee_params *invitees; /**< Array of n_invitees, or NULL (create only). */
  size_t n_invitees;         /**< At most 1000. */
  /**
   * A JSON object whose members are added to (and override) the request
   * body, for the many options not listed above; NULL: none.
   */
  const char *extra_json;
} usm_rest_meeting_params;

/** Fill @p p with "unset" values. */
USM_API void usm_rest_meeting_params_init(usm_rest_meeting_params *p);

/** A meeting as the API returns it (MeetingSeriesObject). */
typedef struct usm_rest_meeting {
  const char *id; /**< Meeting id (series, instance `_I_…` or occurrence `_<date>`). */
  const char *meeting_number; /**< Meeting number, e.g. "123456789". */
  const char *title; /**< Title. */
  const char *agenda; /**< Agenda. */
  const char *password; /**< Meeting password (host view). */
  const char *phone_and_video_system_password; /**< 8-digit password for phones and video systems. */
  const char *meeting_type;  /**< "meetingSeries", "scheduledMeeting", "meeting". */
  const char *state;         /**< "active", "scheduled", "ready", "lobby", "inProgress", "ended", "missed", "expired". */
  const char *timezone; /**< IANA time zone of start and end. */
  const char *start; /**< Start time (ISO 8601). */
  const char *end; /**< End time (ISO 8601). */
  const char *recurrence; /**< RFC 2445 RRULE of a series. */
  const char *host_user_id; /**< Host's person id (Hydra PEOPLE id). */
  const char *host_display_name; /**< Host's display name. */
  const char *host_email; /**< Host's email. */
  const char *host_key; /**< 6-digit host key (claims the host role). */
  const char *site_url; /**< Webex site, e.g. "example.webex.com". */
  const char *web_link; /**< Join link; a meeting-link destination. */
  const char *sip_address; /**< SIP address "<number>@<site>"; a SIP destination. */
  const char *dial_in_ip_address; /**< IP address for video systems to dial. */
  const char *room_id; /**< Space id of a space (ad hoc) meeting. */
  const char *meeting_series_id; /**< Series id (update responses). */
  const char *scheduled_meeting_id; /**< Scheduled occurrence id (update responses). */
  const char *scheduled_type; /**< "meeting", "webinar" or "personalRoomMeeting". */
  int adhoc;                     /**< -1 when absent. */
  int enabled_join_before_host;  /**< -1 when absent. */
  int has_registration;          /**< -1 when absent. */
} usm_rest_meeting;

/** One page of meetings. */
typedef struct usm_rest_meeting_list {
  const usm_rest_meeting *items; /**< The meetings of this page. */
  size_t count; /**< Number of items. */
  /** The next page's URL from the Link header, or NULL on the last page. */
  const char *next_page;
} usm_rest_meeting_list;

/** Filters for listing meetings. Initialise with usm_rest_meeting_list_params_init(). */
typedef struct usm_rest_meeting_list_params {
  size_t struct_size; /**< Set by usm_rest_meeting_list_params_init(). */
  const char *meeting_number; /**< Mutually exclusive with web_link and room_id. */
  const char *web_link; /**< Find the meeting with this join link. */
  const char *room_id; /**< Meetings of this space. */
  const char *meeting_series_id; /**< Instances or occurrences of this series. */
  const char *meeting_type;   /**< "meetingSeries", "scheduledMeeting", "meeting". */
  const char *state; /**< "scheduled", "ready", "lobby", "inProgress", "ended", "missed", "expired". */
  const char *scheduled_type; /**< "meeting", "webinar", "personalRoomMeeting". */
  const char *from;           /**< ISO 8601 */
  const char *to; /**< ISO 8601 end of the time window. */
  const char *host_email; /**< Admin: meetings of this host. */
  const char *site_url; /**< Meetings on this site. */
  int current;                /**< -1: unset, 0/1 */
  int max;                    /**< Page size, 1..100; 0: server default. */
  /**
   * Fetch this page instead (a next_page from an earlier result); the
   * filters are then ignored. Must be on the API's own origin, so the token
   * never leaves for another host.
   */
  const char *page_url;
} usm_rest_meeting_list_params;

/** Fill @p p with "unset" values. */
USM_API void usm_rest_meeting_list_params_init(usm_rest_meeting_list_params *p);

/** An invitee as the API returns it. */
typedef struct usm_rest_invitee {
  const char *id; /**< Invitee id "<meetingId>_<n>". */
  const char *email; /**< Invitee's email. */
  const char *display_name; /**< Display name. */
  const char *meeting_id; /**< The meeting. */
  int co_host;   /**< -1 when absent. */
  int panelist;  /**< -1 when absent. */
} usm_rest_invitee;

/** One page of invitees. */
typedef struct usm_rest_invitee_list {
  const usm_rest_invitee *items; /**< The invitees of this page. */
  size_t count; /**< Number of items. */
  const char *next_page; /**< Or NULL. */
} usm_rest_invitee_list;

/** Completion of an operation that returns one meeting; @p m is NULL on failure. */
typedef void (*usm_rest_meeting_cb)(usm_client *client, const usm_rest_status *status,
                               const usm_rest_meeting *m, void *user);
/** Completion of a meeting listing; @p list is NULL on failure. */
typedef void (*usm_rest_meeting_list_cb)(usm_client *client, const usm_rest_status *status,
                                    const usm_rest_meeting_list *list, void *user);
/** Completion of an operation that returns one invitee; @p inv is NULL on failure. */
typedef void (*usm_rest_invitee_cb)(usm_client *client, const usm_rest_status *status,
                               const usm_rest_invitee *inv, void *user);
/** Completion of an invitee listing; @p list is NULL on failure. */
typedef void (*usm_rest_invitee_list_cb)(usm_client *client, const usm_rest_status *status,
                                    const usm_rest_invitee_list *list, void *user);
/** Completion of an operation with no result body. */
typedef void (*usm_rest_done_cb)(usm_client *client, const usm_rest_status *status, void *user);

/**
 * POST /meetings. Without a license the server refuses: status err is
 * USM_ERR_NO_LICENSE. With room_id + adhoc=1 this is how USM starts the
 * instant meeting of a space (title, start, end may then be left unset).
 */
USM_API usm_err usm_rest_meetings_create(usm_client *client, const usm_rest_meeting_params *params,
                                         usm_rest_meeting_cb cb, void *user);
/** GET /meetings/{id}. @p password may be NULL (sent as the "password" header). */
USM_API usm_err usm_rest_meetings_get(usm_client *client, const char *meeting_id,
                                      const char *password, usm_rest_meeting_cb cb, void *user);
/** GET /meetings with filters, or the page params->page_url. */
USM_API usm_err usm_rest_meetings_list(usm_client *client, const usm_rest_meeting_list_params *params,
                                       usm_rest_meeting_list_cb cb, void *user);
/** PUT /meetings/{id}: replaces the meeting (send title, start and end). */
USM_API usm_err usm_rest_meetings_update(usm_client *client, const char *meeting_id,
                                         const usm_rest_meeting_params *params, usm_rest_meeting_cb cb,
                                         void *user);
/** DELETE /meetings/{id}. @p send_email: -1 unset, 0/1. */
USM_API usm_err usm_rest_meetings_delete(usm_client *client, const char *meeting_id,
                                         int send_email, usm_rest_done_cb cb, void *user);
/** POST /meetings/{id}/end: ends a running meeting for everyone. @p reason may be NULL. */
USM_API usm_err usm_rest_meetings_end(usm_client *client, const char *meeting_id,
                                      const char *reason, usm_rest_done_cb cb, void *user);

/** POST /meetingInvitees. */
USM_API usm_err usm_rest_invitees_add(usm_client *client, const char *meeting_id,
                                      const usm_rest_invitee_params *invitee, int send_email,
                                      usm_rest_invitee_cb cb, void *user);
/** GET /meetingInvitees?meetingId=…  @p max: 0 server default, else 1..100; or fetch @p page_url. */
USM_API usm_err usm_rest_invitees_list(usm_client *client, const char *meeting_id, int max,
                                       const char *page_url, usm_rest_invitee_list_cb cb, void *user);
/** DELETE /meetingInvitees/{id}. */
USM_API usm_err usm_rest_invitees_delete(usm_client *client, const char *invitee_id,
                                         usm_rest_done_cb cb, void *user);

#ifdef __cplusplus
}
#endif
#endif
