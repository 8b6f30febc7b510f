/* The close-code table of PROTOCOL.md §6.3, in one place. */
#include "mercury/connection_close.h"

#include <strings.h>

/* A 1000 (or logout 1050/3050) close with one of these reasons is transient. */
static int transient_reason(const char *r) {
  static const char *const ok[] = {"idle", "done (forced)", "pong not received", "pong mismatch"};
  for (unsigned i = 0; i < sizeof ok / sizeof ok[0]; i++)
    if (strcasecmp(r, ok[i]) == 0) return 1;
  return 0;
}

usm__mclose_action usm__mclose_classify(int code, const char *reason, int online) {
  if (!reason) reason = "";
  /* Older servers say "replaced" without the code. */
  if (code == 4000 || (code == 1005 && strcasecmp(reason, "replaced") == 0)) return USM__MCLOSE_REPLACED;
  if (code == 4401) return USM__MCLOSE_REFRESH_TOKEN;
  if (code == 4400) return USM__MCLOSE_BAD_REQUEST;
  if (code == 4403) return USM__MCLOSE_FORBIDDEN;
  /* Rewritten to 1008 by the SDK, which never retries it. */
  if (code == 1005 && strcasecmp(reason, "authentication failed") == 0) return USM__MCLOSE_PERMANENT;
  if (!online) return USM__MCLOSE_RECONNECT; /* before open anything else is a connection error */
  switch (code) {
  case 1000:
  case 1050:
  case 3050: return transient_reason(reason) ? USM__MCLOSE_RECONNECT : USM__MCLOSE_PERMANENT;
  case 1001:
  case 1005:
  case 1006:
  case 1011: return USM__MCLOSE_RECONNECT;
  default: return USM__MCLOSE_PERMANENT; /* 1003 and anything unexpected */
  }
}
