#include "cloud_proc.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void copy_str(char *dst, size_t cap, const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  snprintf(dst, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

int cloud_proc_start(cloud_proc *cp, const char *binary, const char *const *extra) {
  memset(cp, 0, sizeof *cp);
  cp->out_fd = -1;
  snprintf(cp->state_dir, sizeof cp->state_dir, "/tmp/usm-cloud-test-XXXXXX");
  if (!mkdtemp(cp->state_dir)) return -1;
  const char *argv[32] = {binary, "--port", "0", "--admin-port", "0", "--state-dir", cp->state_dir};
  int argc = 7;
  for (int i = 0; extra && extra[i] && argc < 30; i++) argv[argc++] = extra[i];
  argv[argc] = NULL;

  int out[2];
  if (pipe(out) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  int rc = posix_spawn(&cp->pid, binary, &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    fprintf(stderr, "cloud_proc: cannot start %s: %s\n", binary, strerror(rc));
    return -1;
  }
  /* Read stdout until the ready line, at most 20 s. */
  char buf[4096];
  size_t len = 0;
  long deadline = now_ms() + 20000;
  char *line = NULL;
  while (!line && now_ms() < deadline && len < sizeof buf - 1) {
    struct pollfd p = {.fd = out[0], .events = POLLIN};
    if (poll(&p, 1, 200) <= 0) continue;
    ssize_t n = read(out[0], buf + len, sizeof buf - 1 - len);
    if (n <= 0) break;
    len += (size_t)n;
    buf[len] = '\0';
    char *r = strstr(buf, "USM_CLOUD_READY ");
    if (r && strchr(r, '\n')) line = r + strlen("USM_CLOUD_READY ");
  }
  /* The cloud prints only the ready line on stdout (logs go to stderr);
   * keep the pipe open until stop so a stray write cannot kill it. */
  cp->out_fd = out[0];
  if (!line) {
    fprintf(stderr, "cloud_proc: no ready line from %s\n", binary);
    cloud_proc_stop(cp);
    return -1;
  }
  *strchr(line, '\n') = '\0';
  cJSON *j = cJSON_ParseWithOpts(line, NULL, 0);
  copy_str(cp->url, sizeof cp->url, j, "url");
  copy_str(cp->discovery_url, sizeof cp->discovery_url, j, "discoveryUrl");
  copy_str(cp->ca_file, sizeof cp->ca_file, j, "caFile");
  copy_str(cp->admin_url, sizeof cp->admin_url, j, "adminUrl");
  cJSON_Delete(j);
  if (!cp->url[0] || !cp->ca_file[0] || !cp->admin_url[0]) {
    cloud_proc_stop(cp);
    return -1;
  }
  return 0;
}

static void rm_state(cloud_proc *cp) {
  if (!cp->state_dir[0]) return;
  static const char *files[] = {"ca.pem", "server.pem", "server-key.pem", "ca-key.pem", NULL};
  char path[1200];
  for (int i = 0; files[i]; i++) {
    snprintf(path, sizeof path, "%s/%s", cp->state_dir, files[i]);
    unlink(path);
  }
  if (rmdir(cp->state_dir) != 0 && errno == ENOTEMPTY) {
    /* unknown extra files: leave the folder, it is under /tmp */
  }
  cp->state_dir[0] = '\0';
}

void cloud_proc_stop(cloud_proc *cp) {
  if (cp->pid > 0) {
    kill(cp->pid, SIGTERM);
    long deadline = now_ms() + 10000;
    int st;
    while (waitpid(cp->pid, &st, WNOHANG) == 0) {
      if (now_ms() > deadline) {
        kill(cp->pid, SIGKILL);
        waitpid(cp->pid, &st, 0);
        break;
      }
      poll(NULL, 0, 20);
    }
    cp->pid = 0;
  }
  if (cp->out_fd >= 0) close(cp->out_fd);
  cp->out_fd = -1;
  rm_state(cp);
}

void cloud_proc_kill(cloud_proc *cp) {
  if (cp->pid > 0) {
    kill(cp->pid, SIGKILL);
    waitpid(cp->pid, NULL, 0);
    cp->pid = 0;
  }
  if (cp->out_fd >= 0) close(cp->out_fd);
  cp->out_fd = -1;
}

static size_t collect(char *data, size_t size, size_t n, void *userp) {
  struct {
    unsigned char *p;
    size_t len;
  } *b = userp;
  size_t add = size * n;
  if (b->len + add > (8u << 20)) return 0;
  unsigned char *np = realloc(b->p, b->len + add + 1);
  if (!np) return 0;
  memcpy(np + b->len, data, add);
  b->p = np;
  b->len += add;
  b->p[b->len] = 0;
  return add;
}

static int request(const cloud_proc *cp, const char *url, const char *token, const char *json,
                   unsigned char **out, size_t *len) {
  CURL *e = curl_easy_init();
  if (!e) return -1;
  struct {
    unsigned char *p;
    size_t len;
  } b = {0};
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  char auth[1100];
  if (token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_CAINFO, cp->ca_file);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  if (json) curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
  long status = -1;
  if (curl_easy_perform(e) == CURLE_OK) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(e);
  if (out) {
    *out = b.p;
    *len = b.len;
  } else {
    free(b.p);
  }
  return (int)status;
}

int cloud_proc_admin(const cloud_proc *cp, const char *path, const char *json) {
  char url[512];
  snprintf(url, sizeof url, "%s%s", cp->admin_url, path);
  return request(cp, url, NULL, json ? json : "{}", NULL, NULL);
}

int cloud_proc_post(const cloud_proc *cp, const char *url, const char *token, const char *json,
                    unsigned char **out, size_t *len) {
  return request(cp, url, token, json, out, len);
}

int cloud_proc_fetch(const cloud_proc *cp, const char *url, unsigned char **out, size_t *len) {
  return request(cp, url, NULL, NULL, out, len);
}
