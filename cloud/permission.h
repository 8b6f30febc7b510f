/* Permission tokens: the meeting info hands one to each user it lets in;
 * Locus admits a join only with a valid one. JWT-shaped (HS256, iat/exp
 * in milliseconds, as the official SDK reads them), signed with a secret
 * of this process. */
#ifndef USM_CLOUD_PERMISSION_H
#define USM_CLOUD_PERMISSION_H

#include "meeting_store.h"

#define CLOUD_PERMISSION_TTL_MS (2 * 3600 * 1000LL)

/* A new token for @p u on @p m (malloc'd), or NULL when out of memory. */
char *cloud_permission_issue(const cloud_store *s, const cloud_user *u, const cloud_meeting *m);
/* 1 when @p token was issued by this process to @p u for @p m and has not
 * expired, else 0. */
int cloud_permission_valid(const cloud_store *s, const char *token, const cloud_user *u,
                           const cloud_meeting *m);

#endif
