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

#define MAX_REQUESTS 64

struct scripted_server {
  int listen_fd;
  int port;
  const script_step *steps;
  size_t n_steps;
  pthread_t thread;
  pthread_mutex_t lock;
  _Atomic int stop;
  size_t count;
  script_request reqs[MAX_REQUESTS];
};

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
  char head[2048];
  const char *body = st->body ? st->body : "";
  if (st->action == SCRIPT_HANG) {
    while (!s->stop) poll(NULL, 0, 20);
    return;
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
    return;
  }
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d Scripted\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n%s\r\n",
                   st->status, strlen(body), st->headers ? st->headers : "");
  if (st->action == SCRIPT_CLOSE_MID) {
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body) / 2);
    return;
  }
  send_all(fd, head, (size_t)n);
  send_all(fd, body, strlen(body));
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
      pthread_mutex_unlock(&s->lock);
      static const script_step missing = {SCRIPT_NORMAL, 599, NULL, "{\"message\":\"script exhausted\"}", 0};
      respond(s, fd, i < s->n_steps ? &s->steps[i] : &missing);
    }
    shutdown(fd, SHUT_RDWR);
    close(fd);
  }
  return NULL;
}

scripted_server *scripted_server_start(const script_step *steps, size_t n) {
  scripted_server *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->steps = steps;
  s->n_steps = n;
  pthread_mutex_init(&s->lock, NULL);
  s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->listen_fd, 16) != 0 ||
      getsockname(s->listen_fd, (struct sockaddr *)&a, &al) != 0) {
    close(s->listen_fd);
    free(s);
    return NULL;
  }
  s->port = ntohs(a.sin_port);
  pthread_create(&s->thread, NULL, serve, s);
  return s;
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
  free(s);
}
