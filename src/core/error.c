/* Static descriptions of usm_err values. */
#include <stdlib.h>
#include <usm/common.h>

/* The official SDK's SpaceIDDeprecatedError text, verbatim, because users and
 * support articles search for it. */
#define SPACE_ID_MESSAGE                                                                     \
  "Using the space ID as a destination is no longer supported. Please refer to the "       \
  "[migration guide](https://github.com/webex/webex-js-sdk/wiki/"                          \
  "Migration-to-Unified-Space-Meetings) to migrate to use the meeting ID or SIP address."

static const struct {
  usm_err code;
  const char *name;
  const char *text;
} errors[] = {
  {USM_OK, "USM_OK", "success"},
  {USM_ERR_INVALID_ARG, "USM_ERR_INVALID_ARG", "invalid argument"},
  {USM_ERR_INVALID_HANDLE, "USM_ERR_INVALID_HANDLE", "invalid or destroyed handle"},
  {USM_ERR_NO_MEMORY, "USM_ERR_NO_MEMORY", "out of memory"},
  {USM_ERR_WRONG_STATE, "USM_ERR_WRONG_STATE", "operation not allowed in the current state"},
  {USM_ERR_INTERNAL, "USM_ERR_INTERNAL", "internal error"},
  {USM_ERR_LIMIT, "USM_ERR_LIMIT", "size or count limit exceeded"},
  {USM_ERR_CANCELLED, "USM_ERR_CANCELLED", "operation cancelled"},
  {USM_ERR_MALFORMED, "USM_ERR_MALFORMED", "malformed input from the network was dropped"},
  {USM_ERR_EVENTS_REPLACED, "USM_ERR_EVENTS_REPLACED",
   "the event channel was replaced by another connection of this device"},
  {USM_ERR_EVENTS_REFUSED, "USM_ERR_EVENTS_REFUSED", "the event channel refused this client"},
  {USM_ERR_SDP, "USM_ERR_SDP", "invalid SDP, or no codec or transport in common"},
  {USM_ERR_ROAP, "USM_ERR_ROAP", "the media offer/answer (ROAP) failed"},
  {USM_ERR_ICE_FAILED, "USM_ERR_ICE_FAILED", "ICE found no working path to the media server"},
  {USM_ERR_DTLS, "USM_ERR_DTLS", "the DTLS handshake failed"},
  {USM_ERR_FINGERPRINT_MISMATCH, "USM_ERR_FINGERPRINT_MISMATCH",
   "the peer's DTLS certificate does not match its SDP fingerprint"},
  {USM_ERR_SRTP, "USM_ERR_SRTP", "SRTP protection or authentication failed"},
  {USM_ERR_REPLAY, "USM_ERR_REPLAY", "a replayed SRTP packet was dropped"},
  {USM_ERR_CODEC, "USM_ERR_CODEC", "an encoder or decoder failed, or the negotiated codec is not available"},
  {USM_ERR_INVALID_DESTINATION, "USM_ERR_INVALID_DESTINATION",
   "invalid destination: expected a meeting number, SIP URI, phone number, meeting link, "
   "person ID or personal room"},
  {USM_ERR_NETWORK, "USM_ERR_NETWORK", "network error"},
  {USM_ERR_TLS, "USM_ERR_TLS", "TLS error (certificate not trusted or handshake failed)"},
  {USM_ERR_TIMEOUT, "USM_ERR_TIMEOUT", "timed out"},
  {USM_ERR_RESPONSE_TOO_LARGE, "USM_ERR_RESPONSE_TOO_LARGE", "server response too large"},
  {USM_ERR_BAD_RESPONSE, "USM_ERR_BAD_RESPONSE", "malformed server response"},
  {USM_ERR_INSECURE_URL, "USM_ERR_INSECURE_URL",
   "insecure or unsupported URL (https required except on loopback)"},
  {USM_ERR_BAD_REQUEST, "USM_ERR_BAD_REQUEST", "the server rejected the request as invalid"},
  {USM_ERR_UNAUTHORIZED, "USM_ERR_UNAUTHORIZED", "access token missing, invalid or expired"},
  {USM_ERR_FORBIDDEN, "USM_ERR_FORBIDDEN", "not allowed"},
  {USM_ERR_NOT_FOUND, "USM_ERR_NOT_FOUND", "not found"},
  {USM_ERR_CONFLICT, "USM_ERR_CONFLICT", "conflicts with the current state of the resource"},
  {USM_ERR_GONE, "USM_ERR_GONE", "the resource no longer exists"},
  {USM_ERR_LOCKED, "USM_ERR_LOCKED", "resource temporarily locked; try again later"},
  {USM_ERR_RATE_LIMITED, "USM_ERR_RATE_LIMITED", "rate limited; try again later"},
  {USM_ERR_HTTP, "USM_ERR_HTTP", "HTTP error"},
  {USM_ERR_SERVER, "USM_ERR_SERVER", "server error"},
  {USM_ERR_PASSWORD_REQUIRED, "USM_ERR_PASSWORD_REQUIRED",
   "the meeting requires a password (or host key), or the one given was wrong"},
  {USM_ERR_CAPTCHA_REQUIRED, "USM_ERR_CAPTCHA_REQUIRED",
   "too many wrong passwords: solve the captcha and give the password again"},
  {USM_ERR_MEETING_LOCKED, "USM_ERR_MEETING_LOCKED",
   "the meeting is locked, or a PIN or moderator flag is needed to join"},
  {USM_ERR_NOT_HOST, "USM_ERR_NOT_HOST", "only the host may do this"},
  {USM_ERR_POLICY, "USM_ERR_POLICY", "the site's policy does not allow this user to join"},
  {USM_ERR_NO_MEETING_INFO, "USM_ERR_NO_MEETING_INFO", "no meeting found for this destination"},
  {USM_ERR_JOIN_FAILED, "USM_ERR_JOIN_FAILED", "the cloud refused to join the meeting"},
  {USM_ERR_MEETING_NOT_ACTIVE, "USM_ERR_MEETING_NOT_ACTIVE", "the meeting has ended or is not active"},
  {USM_ERR_NOT_JOINED, "USM_ERR_NOT_JOINED", "the user is not in the meeting; join first"},
  {USM_ERR_IN_LOBBY, "USM_ERR_IN_LOBBY", "the user is still in the lobby or not joined"},
  {USM_ERR_NO_LICENSE, "USM_ERR_NO_LICENSE",
   "this user has no meetings license and cannot create meetings"},
  {USM_ERR_SPACE_ID_DEPRECATED, "USM_ERR_SPACE_ID_DEPRECATED", SPACE_ID_MESSAGE},
};

static int find(usm_err err) {
  for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
    if (errors[i].code == err) return (int)i;
  return -1;
}

const char *usm_strerror(usm_err err) {
  int i = find(err);
  return i < 0 ? "unknown error" : errors[i].text;
}

const char *usm_err_name(usm_err err) {
  int i = find(err);
  return i < 0 ? "USM_ERR_UNKNOWN" : errors[i].name;
}

unsigned usm_version(void) { return USM_VERSION_NUM; }
const char *usm_version_string(void) { return USM_VERSION_STRING; }
void usm_free(void *ptr) { free(ptr); }
