/* Hydra ids: the base64url-encoded "ciscospark://<cluster>/<TYPE>/<id>"
 * strings of the Webex public REST API. Internal to libusm. */
#ifndef USM_HYDRA_H
#define USM_HYDRA_H

#include <stddef.h>

/* Longest encoded id accepted. Real ids are about 100 bytes; the bound keeps
 * decoding cheap and the decoded parts small. */
#define USM__HYDRA_MAX 512

/* The last three '/'-separated parts of a decoded id. Each is NUL-terminated
 * printable ASCII (0x21..0x7e). */
typedef struct usm__hydra_id {
  char cluster[128]; /* "us", "urn:TEAM:eu-central-1_k", ... (may be "") */
  char type[32];     /* "PEOPLE", "ROOM", ... exactly as encoded */
  char id[128];      /* usually a UUID; not validated here */
} usm__hydra_id;

/*
 * Decode the @p n bytes at @p s (no NUL needed).
 * Accepts the URL-safe and the standard base64 alphabets (also mixed), with
 * or without up to two '=' of trailing padding; anything else (spaces, stray
 * '=', other bytes) is refused, unlike the official SDK's lenient decoder.
 * Like the SDK, the "ciscospark://" prefix is not checked: only the last three
 * parts are kept.
 * @return 0 and fills @p out; -1 when @p s is empty, longer than
 *   USM__HYDRA_MAX, not base64, has fewer than three parts, or a kept part is
 *   too long or holds a byte outside 0x21..0x7e. @p out is untouched then.
 */
int usm__hydra_decode(const char *s, size_t n, usm__hydra_id *out);

/*
 * Encode "ciscospark://<cluster>/<type>/<id>" as unpadded base64url into
 * @p buf (NUL-terminated), the form the REST API uses.
 * @return the encoded length, or -1 when an argument is NULL or the result
 *   does not fit in @p cap bytes (including the NUL) or USM__HYDRA_MAX.
 */
int usm__hydra_encode(const char *cluster, const char *type, const char *id, char *buf,
                      size_t cap);

/* 1 when the @p n bytes at @p s are an RFC 4122 UUID as the SDK's UUID rule
 * has it: 8-4-4-4-12 hex digits, any case, version digit 1-5, variant nibble
 * 8, 9, a or b; else 0. */
int usm__uuid_valid(const char *s, size_t n);

#endif
