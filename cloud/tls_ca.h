/* The local cloud's own certificate authority: a private CA (EC P-256)
 * and a server certificate for 127.0.0.1, ::1 and localhost, kept in the
 * state folder and reused while valid. Clients trust ca.pem. */
#ifndef USM_CLOUD_TLS_CA_H
#define USM_CLOUD_TLS_CA_H

#include <stddef.h>

#define CLOUD_TLS_PATH_MAX 4096

typedef struct cloud_tls_files {
  char ca[CLOUD_TLS_PATH_MAX];     /* ca.pem (absolute path) */
  char cert[CLOUD_TLS_PATH_MAX];   /* server.pem */
  char key[CLOUD_TLS_PATH_MAX];    /* server-key.pem (0600) */
  char ca_key[CLOUD_TLS_PATH_MAX]; /* ca-key.pem (0600) */
} cloud_tls_files;

/*
 * Makes sure @p dir (created 0700 if missing) holds a CA and a server
 * certificate valid for at least one more day; creates what is missing or
 * stale (a new server certificate under the same CA when the CA is still
 * good, so clients keep trusting it). 0, or -1 with a message on stderr.
 */
int cloud_tls_ensure(const char *dir, cloud_tls_files *out);

#endif
