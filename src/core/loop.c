/* Driving the client's libuv loop: embedded, blocking, or on a library thread.
 * See docs/threads.md for the model this implements. */
#include <stdlib.h>

#include "core/client_internal.h"
#include "rest/http.h"

int usm__cb_begin(usm_client *c) {
  if (c->dead) return 0;
  c->cb_depth++;
  return 1;
}

void usm__cb_end(usm_client *c) { c->cb_depth--; }

/* Runs posted functions in order. Items posted while draining wait for the
 * next wake-up, so one busy poster cannot starve the loop. */
void usm__loop_async_cb(uv_async_t *h) {
  usm_client *c = h->data;
  pthread_mutex_lock(&c->post_lock);
  usm_post_item *it = c->post_head;
  c->post_head = c->post_tail = NULL;
  pthread_mutex_unlock(&c->post_lock);
  while (it) {
    usm_post_item *next = it->next;
    if (usm__cb_begin(c)) {
      it->fn(c, it->user);
      usm__cb_end(c);
    }
    free(it);
    it = next;
  }
}

int usm_client_fd(const usm_client *c) {
  if (!usm__client_ok(c)) return -1;
  return uv_backend_fd(&c->loop);
}

int usm_client_timeout(const usm_client *c) {
  if (!usm__client_ok(c)) return -1;
  return uv_backend_timeout(&c->loop);
}

/* After uv_run returns: a destroy requested from a callback completes here. */
static int finish_if_destroyed(usm_client *c) {
  if (!c->dead) return 0;
  usm__client_free(c);
  return 1;
}

usm_err usm_client_process(usm_client *c) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  if (c->thread_running || c->running) return USM_ERR_WRONG_STATE;
  c->running = 1;
  uv_run(&c->loop, UV_RUN_NOWAIT);
  c->running = 0;
  finish_if_destroyed(c);
  return USM_OK;
}

/* Outstanding work that keeps usm_client_run() going: requests in flight
 * (and their retry timers), posted functions not yet run, and waits that
 * expect an answer without a request in flight (a meeting's lobby). */
static int busy(usm_client *c) {
  pthread_mutex_lock(&c->post_lock);
  int posts = c->post_head != NULL;
  pthread_mutex_unlock(&c->post_lock);
  return posts || usm__http_busy(c) || c->run_refs > 0;
}

usm_err usm_client_run(usm_client *c) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  if (c->thread_running || c->running) return USM_ERR_WRONG_STATE;
  c->running = 1;
  c->stop_requested = 0;
  /* The wake-up handle keeps the loop alive forever, so the end of the run
   * is decided here: stop requested, destroyed, or nothing outstanding. */
  while (!c->stop_requested && !c->dead && busy(c)) uv_run(&c->loop, UV_RUN_ONCE);
  c->running = 0;
  c->stop_requested = 0;
  finish_if_destroyed(c);
  return USM_OK;
}

void usm_client_stop(usm_client *c) {
  if (!usm__client_ok(c)) return;
  c->stop_requested = 1;
  uv_stop(&c->loop);
}

static void *loop_thread(void *arg) {
  usm_client *c = arg;
  while (!c->stop_requested && !c->dead) uv_run(&c->loop, UV_RUN_DEFAULT);
  if (c->dead) {
    /* Destroyed from one of its own callbacks: nobody will join us. */
    pthread_detach(pthread_self());
    c->thread_running = 0;
    usm__client_free(c);
  }
  return NULL;
}

usm_err usm_client_start_thread(usm_client *c) {
  if (!usm__client_ok(c)) return USM_ERR_INVALID_HANDLE;
  if (c->thread_running || c->running) return USM_ERR_WRONG_STATE;
  c->stop_requested = 0;
  c->thread_running = 1;
  if (pthread_create(&c->thread, NULL, loop_thread, c) != 0) {
    c->thread_running = 0;
    return USM_ERR_INTERNAL;
  }
  return USM_OK;
}

usm_err usm_client_post(usm_client *c, usm_post_fn fn, void *user) {
  if (!c || c->magic != USM_CLIENT_MAGIC) return USM_ERR_INVALID_HANDLE;
  if (!fn) return USM_ERR_INVALID_ARG;
  usm_post_item *it = malloc(sizeof *it);
  if (!it) return USM_ERR_NO_MEMORY;
  it->next = NULL;
  it->fn = fn;
  it->user = user;
  pthread_mutex_lock(&c->post_lock);
  if (c->post_closed) {
    pthread_mutex_unlock(&c->post_lock);
    free(it);
    return USM_ERR_WRONG_STATE;
  }
  if (c->post_tail)
    c->post_tail->next = it;
  else
    c->post_head = it;
  c->post_tail = it;
  /* uv_async_send is the one libuv call that is safe from any thread. */
  uv_async_send(&c->wake);
  pthread_mutex_unlock(&c->post_lock);
  return USM_OK;
}

static void stop_from_loop(usm_client *c, void *user) {
  (void)user;
  c->stop_requested = 1;
  uv_stop(&c->loop);
}

void usm_client_destroy(usm_client *c) {
  if (!c || c->magic != USM_CLIENT_MAGIC || c->dead) return;
  if (c->cb_depth > 0) {
    /* Inside one of our callbacks: finish when the loop unwinds. */
    c->dead = 1;
    pthread_mutex_lock(&c->post_lock);
    c->post_closed = 1;
    pthread_mutex_unlock(&c->post_lock);
    uv_stop(&c->loop);
    return;
  }
  if (c->thread_running) {
    /* Ask the loop thread to stop, then wait for it. */
    if (usm_client_post(c, stop_from_loop, NULL) == USM_OK) pthread_join(c->thread, NULL);
    c->thread_running = 0;
  }
  c->dead = 1;
  usm__client_free(c);
}
