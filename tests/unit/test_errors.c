/* usm_err: every value has a name and a description; values never move. */
#include <usm/usm.h>

#include "check.h"

int main(void) {
  /* Pinned numbers: bindings hard-code them, so a change here is an ABI break. */
  CHECK_INT(USM_OK, 0);
  CHECK_INT(USM_ERR_INVALID_ARG, 1);
  CHECK_INT(USM_ERR_INVALID_HANDLE, 2);
  CHECK_INT(USM_ERR_INVALID_DESTINATION, 100);
  CHECK_INT(USM_ERR_NETWORK, 200);
  CHECK_INT(USM_ERR_TLS, 201);
  CHECK_INT(USM_ERR_BAD_REQUEST, 400);
  CHECK_INT(USM_ERR_UNAUTHORIZED, 401);
  CHECK_INT(USM_ERR_RATE_LIMITED, 429);
  CHECK_INT(USM_ERR_SERVER, 500);
  CHECK_INT(USM_ERR_NO_LICENSE, 1403);
  CHECK_INT(USM_ERR_SPACE_ID_DEPRECATED, 30105);
  CHECK_INT(USM_ERR_PASSWORD_REQUIRED, 300);
  CHECK_INT(USM_ERR_IN_LOBBY, 30104);

  static const usm_err all[] = {
    USM_OK, USM_ERR_INVALID_ARG, USM_ERR_INVALID_HANDLE, USM_ERR_NO_MEMORY, USM_ERR_WRONG_STATE,
    USM_ERR_INTERNAL, USM_ERR_LIMIT, USM_ERR_CANCELLED, USM_ERR_INVALID_DESTINATION, USM_ERR_NETWORK,
    USM_ERR_TLS, USM_ERR_TIMEOUT, USM_ERR_RESPONSE_TOO_LARGE, USM_ERR_BAD_RESPONSE, USM_ERR_INSECURE_URL,
    USM_ERR_BAD_REQUEST, USM_ERR_UNAUTHORIZED, USM_ERR_FORBIDDEN, USM_ERR_NOT_FOUND, USM_ERR_CONFLICT,
    USM_ERR_GONE, USM_ERR_LOCKED, USM_ERR_RATE_LIMITED, USM_ERR_HTTP, USM_ERR_SERVER, USM_ERR_NO_LICENSE,
    USM_ERR_SPACE_ID_DEPRECATED, USM_ERR_PASSWORD_REQUIRED, USM_ERR_CAPTCHA_REQUIRED, USM_ERR_MEETING_LOCKED,
    USM_ERR_NOT_HOST, USM_ERR_POLICY, USM_ERR_NO_MEETING_INFO, USM_ERR_JOIN_FAILED, USM_ERR_MEETING_NOT_ACTIVE,
    USM_ERR_NOT_JOINED, USM_ERR_IN_LOBBY, USM_ERR_MALFORMED, USM_ERR_EVENTS_REPLACED,
    USM_ERR_EVENTS_REFUSED, USM_ERR_SDP, USM_ERR_ROAP, USM_ERR_ICE_FAILED, USM_ERR_DTLS,
    USM_ERR_FINGERPRINT_MISMATCH, USM_ERR_SRTP, USM_ERR_REPLAY, USM_ERR_CODEC,
  };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    const char *text = usm_strerror(all[i]);
    const char *name = usm_err_name(all[i]);
    CHECK(text && strlen(text) > 3 && strcmp(text, "unknown error") != 0);
    CHECK(name && strncmp(name, "USM_", 4) == 0 && strcmp(name, "USM_ERR_UNKNOWN") != 0);
    for (size_t j = 0; j < i; j++) CHECK(strcmp(name, usm_err_name(all[j])) != 0);
  }
  CHECK_STR(usm_strerror((usm_err)123456), "unknown error");
  CHECK_STR(usm_err_name((usm_err)-1), "USM_ERR_UNKNOWN");
  CHECK_STR(usm_strerror(USM_ERR_SPACE_ID_DEPRECATED),
            "Using the space ID as a destination is no longer supported. Please refer to the "
            "[migration guide](https://github.com/webex/webex-js-sdk/wiki/"
            "Migration-to-Unified-Space-Meetings) to migrate to use the meeting ID or SIP address.");

  CHECK_INT(usm_version(), USM_VERSION_NUM);
  CHECK_STR(usm_version_string(), USM_VERSION_STRING);
  usm_free(NULL);
  return check_done("test_errors");
}
