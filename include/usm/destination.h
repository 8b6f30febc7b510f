/* libusm: classify a meeting destination string. */
#ifndef USM_DESTINATION_H
#define USM_DESTINATION_H

/**
 * @file destination.h
 * What the user typed to join a meeting, classified the way the official
 * Webex SDKs do (see docs/destinations.md for the rules and every place
 * libusm deliberately differs). Pure functions: no I/O, no allocation,
 * thread-safe.
 */

#include <usm/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Kinds of destination. Append-only. */
typedef enum usm_dest_type {
  USM_DEST_AUTO = 0,            /**< As a hint: detect the kind. Never a result. */
  USM_DEST_MEETING_NUMBER = 1,  /**< Meeting number (official MEETING_ID), e.g. "2551234567". */
  USM_DEST_SIP_URI = 2,         /**< SIP URI, email-style address or phone number. */
  USM_DEST_MEETING_LINK = 3,    /**< A webex.com meeting URL. */
  USM_DEST_PERSON_ID = 4,       /**< Hydra PEOPLE id; the join flow resolves it to the person's address. */
  USM_DEST_PERSONAL_ROOM = 5    /**< A user's personal room: email, user UUID, Hydra PEOPLE id, or "" for oneself. */
} usm_dest_type;

/** Flags in usm_destination.flags. */
#define USM_DEST_F_PHONE 0x1u  /**< SIP_URI that is a phone number. */
#define USM_DEST_F_EMAIL 0x2u  /**< SIP_URI or PERSONAL_ROOM that is an email-style address. */
#define USM_DEST_F_UUID 0x4u   /**< PERSON_ID or PERSONAL_ROOM given as (or decoded to) a bare UUID. */

/** Longest destination accepted, in bytes (after trimming). */
#define USM_DEST_MAX 2048

/** A classified destination. Plain data owned by the caller. */
typedef struct usm_destination {
  usm_dest_type type;  /**< Never USM_DEST_AUTO after success. */
  unsigned flags;      /**< USM_DEST_F_* bits. */
  /**
   * The value to send: the trimmed input; a meeting number without
   * separators; a person's bare UUID (lower case) for PERSON_ID and for a
   * PERSONAL_ROOM given as Hydra id. NUL-terminated.
   */
  char value[USM_DEST_MAX + 1];
  /** For Hydra ids: the cluster they name ("us", "urn:TEAM:..."), else "". */
  char cluster[128];
} usm_destination;

/**
 * Classify @p input.
 * @param input NUL-terminated string; leading and trailing blanks are ignored.
 * @param hint USM_DEST_AUTO to detect, or the kind the caller asserts (then
 *        the input is checked against that kind only).
 * @param[out] out filled on success; untouched on failure.
 * @return USM_OK;
 *   USM_ERR_SPACE_ID_DEPRECATED for a space (Hydra ROOM) id or a conversation
 *   URL, whatever the hint;
 *   USM_ERR_INVALID_DESTINATION when the input is none of the accepted kinds
 *   (or not of the hinted kind);
 *   USM_ERR_INVALID_ARG for NULL pointers, an unknown hint, or control bytes;
 *   USM_ERR_LIMIT when longer than USM_DEST_MAX.
 */
USM_API usm_err usm_destination_parse(const char *input, usm_dest_type hint,
                                      usm_destination *out);

/** Lower-case name of @p type ("meeting_number", "sip_uri", ...); "unknown" otherwise. Static. */
USM_API const char *usm_dest_type_name(usm_dest_type type);

/**
 * Parse a type name as printed by usm_dest_type_name() (also "auto", and the
 * official names "MEETING_ID", "SIP_URI", "MEETING_LINK", "PERSONAL_ROOM",
 * case-insensitive).
 * @return USM_OK or USM_ERR_INVALID_ARG.
 */
USM_API usm_err usm_dest_type_from_name(const char *name, usm_dest_type *out);

#ifdef __cplusplus
}
#endif
#endif
