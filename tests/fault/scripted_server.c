#define _GNU_SOURCE /* strcasestr */
#include "scripted_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REQUESTS 256

struct scripted_server {
  int listen_fd;
  int port;
  struct entry {
    const char *route;
    int sticky;
    const script_step *step; /* the caller's: tests may fill bodies after start */
  } *steps;
  size_t n_steps;
  pthread_t thread;
  pthread_mutex_t lock;
  _Atomic int stop;
  size_t count;
  unsigned char *used;
  script_request reqs[MAX_REQUESTS];
};

static int route_matches(const char *route, const script_request *rq) {
  if (!route) return 1;
  size_t ml = strlen(rq->method);
  if (strncmp(route, rq->method, ml) != 0 || route[ml] != ' ') return 0;
  const char *want = route + ml + 1;
  size_t wl = strlen(want), pl = strcspn(rq->path, "?");
  if (wl > 0 && want[wl - 1] == '*') return strncmp(rq->path, want, wl - 1) == 0;
  return pl == wl && strncmp(rq->path, want, wl) == 0;
}

/* The first unused (or sticky) step that matches; NULL when none does. */
static const script_step *pick(scripted_server *s, const script_request *rq) {
  for (size_t i = 0; i < s->n_steps; i++) {
    const struct entry *e = &s->steps[i];
    if ((s->used[i] && !e->sticky) || !route_matches(e->route, rq)) continue;
    s->used[i] = 1;
    return e->step;
  }
  return NULL;
}

/* @p text with every "{BASE}" replaced; malloc'ed. */
static char *expand(const scripted_server *s, const char *text) {
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d", s->port);
  size_t n = 0;
  for (const char *p = strstr(text, "{BASE}"); p; p = strstr(p + 6, "{BASE}")) n++;
  char *out = malloc(strlen(text) + n * strlen(base) + 1), *w = out;
  if (!out) abort();
  for (const char *p = text;;) {
    const char *hit = strstr(p, "{BASE}");
    size_t k = hit ? (size_t)(hit - p) : strlen(p);
    memcpy(w, p, k);
    w += k;
    if (!hit) break;
    memcpy(w, base, strlen(base));
    w += strlen(base);
    p = hit + 6;
  }
  *w = '\0';
  return out;
}

static int wait_readable(scripted_server *s, int fd) {
  while (!s->stop) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 50);
    if (r > 0) return 1;
    if (r < 0) return 0;
  }
  return 0;
}

/* Read one request (headers + Content-Length body). */
static int read_request(scripted_server *s, int fd, script_request *rq) {
  char buf[16384];
  size_t len = 0;
  char *end = NULL;
  while (!end) {
    if (len == sizeof buf - 1 || !wait_readable(s, fd)) return -1;
    ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (n <= 0) return -1;
    len += (size_t)n;
    buf[len] = '\0';
    end = strstr(buf, "\r\n\r\n");
  }
  size_t head = (size_t)(end - buf) + 4;
  size_t clen = 0;
  for (char *h = strcasestr(buf, "\r\ncontent-length:"); h && h < end; h = NULL) clen = strtoul(h + 17, NULL, 10);
  while (len < head + clen && len < sizeof buf - 1) {
    if (!wait_readable(s, fd)) return -1;
    ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (n <= 0) return -1;
    len += (size_t)n;
  }
  buf[len] = '\0';
  memset(rq, 0, sizeof *rq);
  sscanf(buf, "%15s %1023s", rq->method, rq->path);
  size_t hl = head < sizeof rq->headers ? head : sizeof rq->headers - 1;
  memcpy(rq->headers, buf, hl);
  size_t bl = len - head < sizeof rq->body ? len - head : sizeof rq->body - 1;
  memcpy(rq->body, buf + head, bl);
  return 0;
}

static void send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static void respond(scripted_server *s, int fd, const script_step *st) {
  char head[4096];
  char *body_x = expand(s, st->body ? st->body : ""), *hdrs_x = expand(s, st->headers ? st->headers : "");
  const char *body = body_x;
  if (st->action == SCRIPT_HANG) {
    while (!s->stop) poll(NULL, 0, 20);
    goto out;
  }
  if (st->action == SCRIPT_CHUNKED_BIG) {
    int n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    send_all(fd, head, (size_t)n);
    char chunk[4096 + 16];
    memset(chunk, 'x', sizeof chunk);
    for (size_t sent = 0; sent < st->big_bytes && !s->stop; sent += 4096) {
      int hn = snprintf(head, sizeof head, "1000\r\n");
      send_all(fd, head, (size_t)hn);
      send_all(fd, chunk, 4096);
      send_all(fd, "\r\n", 2);
    }
    send_all(fd, "0\r\n\r\n", 5);
    goto out;
  }
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d Scripted\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n%s\r\n",
                   st->status, strlen(body), hdrs_x);
  if (st->action == SCRIPT_CLOSE_MID) {
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body) / 2);
    goto out;
  }
  send_all(fd, head, (size_t)n);
  send_all(fd, body, strlen(body));
out:
  free(body_x);
  free(hdrs_x);
}

static void *serve(void *arg) {
  scripted_server *s = arg;
  while (!s->stop) {
    if (!wait_readable(s, s->listen_fd)) break;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) continue;
    script_request rq;
    if (read_request(s, fd, &rq) == 0) {
      pthread_mutex_lock(&s->lock);
      size_t i = s->count;
      if (i < MAX_REQUESTS) s->reqs[i] = rq;
      s->count++;
      const script_step *st = pick(s, &rq);
      pthread_mutex_unlock(&s->lock);
      static const script_step missing = {SCRIPT_NORMAL, 599, NULL, "{\"message\":\"script exhausted\"}", 0};
      respond(s, fd, st ? st : &missing);
    }
    shutdown(fd, SHUT_RDWR);
    close(fd);
  }
  return NULL;
}

static scripted_server *start(struct entry *entries, size_t n) {
  scripted_server *s = calloc(1, sizeof *s);
  if (!s) abort();
  s->steps = entries;
  s->n_steps = n;
  s->used = calloc(n + 1, 1);
  if (!s->used) abort();
  pthread_mutex_init(&s->lock, NULL);
  s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->listen_fd, 16) != 0 ||
      getsockname(s->listen_fd, (struct sockaddr *)&a, &al) != 0) {
    close(s->listen_fd);
    free(s->used);
    free(s->steps);
    free(s);
    return NULL;
  }
  s->port = ntohs(a.sin_port);
  pthread_create(&s->thread, NULL, serve, s);
  return s;
}

scripted_server *scripted_server_start(const script_step *steps, size_t n) {
  struct entry *e = calloc(n + 1, sizeof *e);
  if (!e) abort();
  for (size_t i = 0; i < n; i++) e[i].step = &steps[i];
  return start(e, n);
}

scripted_server *scripted_server_start_routes(const script_route *routes, size_t n) {
  struct entry *e = calloc(n + 1, sizeof *e);
  if (!e) abort();
  for (size_t i = 0; i < n; i++) {
    e[i].route = routes[i].route;
    e[i].sticky = routes[i].sticky;
    e[i].step = &routes[i].step;
  }
  return start(e, n);
}

int scripted_server_port(const scripted_server *s) { return s->port; }

size_t scripted_server_count(scripted_server *s) {
  pthread_mutex_lock(&s->lock);
  size_t n = s->count;
  pthread_mutex_unlock(&s->lock);
  return n;
}

const script_request *scripted_server_request(scripted_server *s, size_t i) {
  return i < MAX_REQUESTS && i < scripted_server_count(s) ? &s->reqs[i] : NULL;
}

void scripted_server_stop(scripted_server *s) {
  if (!s) return;
  s->stop = 1;
  pthread_join(s->thread, NULL);
  close(s->listen_fd);
  pthread_mutex_destroy(&s->lock);
  free(s->used);
  free(s->steps);
  free(s);
}
