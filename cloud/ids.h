/* Random and derived identifiers of the local cloud (UUIDs, meeting ids
 * and numbers, tokens), all from OpenSSL's CSPRNG. */
#ifndef USM_CLOUD_IDS_H
#define USM_CLOUD_IDS_H

#include <stddef.h>

#define CLOUD_UUID_SIZE 37 /* 36 characters + NUL */

/* Fills @p buf with @p n random bytes; aborts the process if the CSPRNG
 * fails (there is no safe way to go on without randomness). */
void cloud_random(void *buf, size_t n);
/* A random version-4 UUID, lower case. */
void cloud_uuid(char out[CLOUD_UUID_SIZE]);
/* A name-based UUID (version 5 layout over SHA-256 of @p ns + @p name), so
 * configured users and spaces keep their ids across restarts. */
void cloud_uuid_from(const char *ns, const char *name, char out[CLOUD_UUID_SIZE]);
/* @p nbytes random bytes as lower-case hex into @p out (2*nbytes + 1). */
void cloud_hex_id(char *out, size_t nbytes);
/* @p n random decimal digits (+ NUL); with @p no_leading_zero the first is
 * never '0' (meeting numbers). */
void cloud_digits(char *out, size_t n, int no_leading_zero);
/* A password that satisfies the usual site rules: 8 characters with upper
 * and lower case letters and digits. @p out holds 9 bytes. */
void cloud_password(char out[9]);

#endif
