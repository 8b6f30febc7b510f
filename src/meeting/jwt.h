/* The expiry of a meeting's permission token. Webex's tokens are JWTs whose
 * "exp" is in MILLISECONDS (the official SDK compares it with Date.getTime()).
 * Only read, never verified: the server does that. Pure. */
#ifndef USM_MEETING_JWT_H
#define USM_MEETING_JWT_H

#include <stdint.h>

/* Longest token looked at. */
#define USM__JWT_MAX 16384
/* Refresh at join when this little time is left (official SDK: 30 s). */
#define USM__TOKEN_REFRESH_MS 30000

/* "exp" of the JSON in the token's middle part (base64url), in ms: 0 and
 * *exp_ms set, or -1 when the token is not three dot-separated parts, the
 * middle is not base64url JSON, or exp is missing or not a number >= 0. */
int usm__jwt_exp_ms(const char *token, int64_t *exp_ms);

/* 1 when the expiry decodes and at most USM__TOKEN_REFRESH_MS remain at
 * @p now_ms (ms since the epoch); 0 otherwise, also when it does not decode. */
int usm__token_needs_refresh(const char *token, int64_t now_ms);

#endif
