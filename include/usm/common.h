/* libusm: shared definitions (export macro, errors, memory, logging). */
#ifndef USM_COMMON_H
#define USM_COMMON_H

/**
 * @file common.h
 * Error codes, version query, memory release and log levels shared by every module.
 */

#include <stddef.h>
#include <usm/version.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @cond INTERNAL */
#if defined(USM_BUILDING)
#define USM_API __attribute__((visibility("default")))
#else
#define USM_API
#endif
/** @endcond */

/**
 * Result of every libusm call.
 *
 * Append-only: values are never renumbered or removed, so bindings may
 * hard-code them. Where a value matches an official Webex SDK code (30105) or
 * an HTTP status (400..504) it uses that number on purpose.
 */
typedef enum usm_err {
  USM_OK = 0,                     /**< Success. */
  USM_ERR_INVALID_ARG = 1,        /**< A NULL pointer, bad value or malformed string was passed. */
  USM_ERR_INVALID_HANDLE = 2,     /**< The handle is not a live libusm object. */
  USM_ERR_NO_MEMORY = 3,          /**< An allocation failed. */
  USM_ERR_WRONG_STATE = 4,        /**< The call is not allowed in the object's current state. */
  USM_ERR_INTERNAL = 5,           /**< A bug or unexpected failure inside libusm or a dependency. */
  USM_ERR_LIMIT = 6,              /**< A documented size or count bound was exceeded. */
  USM_ERR_CANCELLED = 7,          /**< The operation was cancelled. */
  USM_ERR_MALFORMED = 8,          /**< Input from the network (packet, SDP, websocket frame) is malformed; it was dropped. */
  USM_ERR_INVALID_DESTINATION = 100, /**< The destination is none of the accepted kinds (official ParameterError). */
  USM_ERR_NETWORK = 200,          /**< Could not resolve, connect, send or receive. */
  USM_ERR_TLS = 201,              /**< TLS failed: certificate not trusted, wrong host name, handshake error. */
  USM_ERR_TIMEOUT = 202,          /**< No complete answer within the configured time. */
  USM_ERR_RESPONSE_TOO_LARGE = 203, /**< The server's answer exceeded the configured body bound. */
  USM_ERR_BAD_RESPONSE = 204,     /**< The server's answer was not what the protocol promises (bad JSON, missing field). */
  USM_ERR_INSECURE_URL = 205,     /**< Plain http:// to a host that is not loopback, or an unsupported scheme. */
  USM_ERR_BAD_REQUEST = 400,      /**< HTTP 400: the server rejected the input (validation). */
  USM_ERR_UNAUTHORIZED = 401,     /**< HTTP 401: the access token is missing, invalid or expired. */
  USM_ERR_FORBIDDEN = 403,        /**< HTTP 403: the user may not do this. */
  USM_ERR_NOT_FOUND = 404,        /**< HTTP 404: no such meeting, invitee or resource. */
  USM_ERR_CONFLICT = 409,         /**< HTTP 409: conflicts with the resource's state. */
  USM_ERR_GONE = 410,             /**< HTTP 410: the resource no longer exists. */
  USM_ERR_LOCKED = 423,           /**< HTTP 423: temporarily locked, and still so after the allowed retries. */
  USM_ERR_RATE_LIMITED = 429,     /**< HTTP 429: rate limited, and still so after the allowed retries. */
  USM_ERR_HTTP = 499,             /**< Any other HTTP 4xx status. */
  USM_ERR_SERVER = 500,           /**< HTTP 5xx, still failing after the allowed retries. */
  USM_ERR_PASSWORD_REQUIRED = 300, /**< The meeting needs a password (or it was wrong) (official PasswordError). */
  USM_ERR_CAPTCHA_REQUIRED = 301, /**< Too many wrong passwords: a captcha must be solved (official CaptchaError). */
  USM_ERR_MEETING_LOCKED = 302,   /**< Locked, or a PIN / moderator flag is needed to join (official IntentToJoinError). */
  USM_ERR_NOT_HOST = 303,         /**< Only the host may do this. */
  USM_ERR_POLICY = 304,           /**< The site's policy forbids this user to join (official PermissionError). */
  USM_ERR_NO_MEETING_INFO = 305,  /**< No meeting matches the destination (official NoMeetingInfoError). */
  USM_ERR_JOIN_FAILED = 306,      /**< The cloud refused the join (official JoinMeetingError). */
  USM_ERR_NO_LICENSE = 1403,      /**< HTTP 403 on meeting creation: the user has no meetings license. */
  USM_ERR_MEETING_NOT_ACTIVE = 30101, /**< The meeting ended or is not active (official 30101). */
  USM_ERR_NOT_JOINED = 30102,     /**< The user is not in the meeting (official 30102). */
  USM_ERR_IN_LOBBY = 30104,       /**< The user is still in the lobby (official 30104). */
  USM_ERR_EVENTS_REPLACED = 250,  /**< The event channel was closed because another connection of this device replaced it (Mercury 4000). */
  USM_ERR_EVENTS_REFUSED = 251,   /**< The event channel refused this client (Mercury 4400/4403); it will not reconnect. */
  USM_ERR_SDP = 600,              /**< The SDP is invalid, or offer and answer share no usable codec or transport. */
  USM_ERR_ROAP = 601,             /**< The ROAP offer/answer failed (error message, glare not resolved, or timeout). */
  USM_ERR_ICE_FAILED = 602,       /**< No ICE candidate pair works, or connectivity was lost and not restored. */
  USM_ERR_DTLS = 603,             /**< The DTLS handshake failed or timed out. */
  USM_ERR_FINGERPRINT_MISMATCH = 604, /**< The peer's DTLS certificate does not match the fingerprint in its SDP. */
  USM_ERR_SRTP = 605,             /**< SRTP/SRTCP protection failed: bad authentication tag, wrong key or bad packet. */
  USM_ERR_REPLAY = 606,           /**< An SRTP/SRTCP packet was a replay (or too old) and was dropped. */
  USM_ERR_CODEC = 607,            /**< An encoder or decoder failed, or the negotiated codec is not available. */
  USM_ERR_SPACE_ID_DEPRECATED = 30105 /**< A space (room) id or conversation URL was given as destination (official code 30105). */
} usm_err;

/**
 * A static, human-readable description of @p err.
 * For USM_ERR_SPACE_ID_DEPRECATED it is the official SDK message.
 * @return never NULL; unknown codes give "unknown error". Thread-safe.
 */
USM_API const char *usm_strerror(usm_err err);

/**
 * The short symbolic name of @p err, e.g. "USM_ERR_NOT_FOUND".
 * @return never NULL ("USM_ERR_UNKNOWN" for unknown codes). Thread-safe.
 */
USM_API const char *usm_err_name(usm_err err);

/** The runtime library version as USM_VERSION_NUM (may differ from the headers). Thread-safe. */
USM_API unsigned usm_version(void);
/** The runtime library version as "MAJOR.MINOR.PATCH"; static storage. Thread-safe. */
USM_API const char *usm_version_string(void);

/**
 * Release memory that a libusm call documented as "free with usm_free".
 * NULL is a no-op. Thread-safe.
 */
USM_API void usm_free(void *ptr);

/** Log levels, most severe first. A client logs nothing unless given a callback. */
typedef enum usm_log_level {
  USM_LOG_ERROR = 0,
  USM_LOG_WARN = 1,
  USM_LOG_INFO = 2,
  USM_LOG_DEBUG = 3
} usm_log_level;

#ifdef __cplusplus
}
#endif
#endif
