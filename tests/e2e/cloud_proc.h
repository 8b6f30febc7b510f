/* Start and stop a usm-cloud process for end-to-end tests and the demo. */
#ifndef USM_CLOUD_PROC_H
#define USM_CLOUD_PROC_H

#include <sys/types.h>

typedef struct cloud_proc {
  pid_t pid;
  int out_fd;              /* the cloud's stdout, kept open so it never gets SIGPIPE */
  char url[256];           /* https://127.0.0.1:PORT */
  char discovery_url[256]; /* url/u2c/api/v1 */
  char ca_file[1024];
  char admin_url[256];
  char state_dir[1024];
} cloud_proc;

/* Start @p binary (path to usm-cloud) with a fresh state folder and any
 * extra arguments (NULL-terminated, may be NULL); waits at most 20 s for the
 * ready line. 0 on success. */
int cloud_proc_start(cloud_proc *cp, const char *binary, const char *const *extra_args);
/* SIGTERM, wait (bounded), SIGKILL if needed, remove the state folder. */
void cloud_proc_stop(cloud_proc *cp);
/* SIGKILL at once (a crash), without cleaning up the state folder. */
void cloud_proc_kill(cloud_proc *cp);
/* POST a JSON body to the admin endpoint (path like "/admin/faults"); HTTP status or -1. */
int cloud_proc_admin(const cloud_proc *cp, const char *path, const char *json);
/* POST @p json to a public URL with "Authorization: Bearer <token>"; body in *out if out != NULL.
 * HTTP status or -1. */
int cloud_proc_post(const cloud_proc *cp, const char *url, const char *token, const char *json,
                    unsigned char **out, size_t *len);
/* GET a public URL of the cloud with its CA (no token); body in malloc'd *out. HTTP status or -1. */
int cloud_proc_fetch(const cloud_proc *cp, const char *url, unsigned char **out, size_t *len);

#endif
