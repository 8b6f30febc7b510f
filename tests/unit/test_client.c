/* The client handle and its loop: options, the three ways to drive the loop,
 * the thread-safe post, and destruction from inside callbacks. */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <usm/usm.h>
#include <uv.h>

#include "check.h"

static usm_client *make(void) {
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = "token";
  usm_client *c = NULL;
  CHECK_INT(usm_client_create(&o, &c), USM_OK);
  return c;
}

static void test_options(void) {
  usm_client_options o;
  usm_client_options_init(&o);
  CHECK_INT(o.struct_size, sizeof o);
  CHECK(o.max_retries == 3 && o.request_timeout_ms == 30000 && o.max_body_bytes == 4u << 20);
  usm_client *c = (usm_client *)1;
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INVALID_ARG); /* no token */
  CHECK(c == NULL);
  o.access_token = "has space";
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INVALID_ARG);
  o.access_token = "tok";
  o.api_url = "http://api.example.com/v1";
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INSECURE_URL);
  o.api_url = "gopher://127.0.0.1/";
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INSECURE_URL);
  o.api_url = "::not a url::";
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INVALID_ARG);
  o.api_url = NULL;
  o.discovery_url = "http://u2c.example.com";
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INSECURE_URL);
  o.discovery_url = NULL;
  const char *bad_headers[] = {"X-Ok: 1", "Evil: a\r\nInjected: b", NULL};
  o.extra_headers = bad_headers;
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INVALID_ARG);
  const char *no_colon[] = {"NoColon", NULL};
  o.extra_headers = no_colon;
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INVALID_ARG);
  o.extra_headers = NULL;
  o.request_timeout_ms = 0;
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INVALID_ARG);
  o.request_timeout_ms = 1000;
  o.struct_size = 8; /* an older, smaller struct we do not know */
  CHECK_INT(usm_client_create(&o, &c), USM_ERR_INVALID_ARG);
  CHECK_INT(usm_client_create(NULL, &c), USM_ERR_INVALID_ARG);

  c = make();
  CHECK_STR(usm_client_last_error(c), "");
  int x;
  usm_client_set_user(c, &x);
  CHECK(usm_client_get_user(c) == &x);
  CHECK(usm_client_fd(c) >= 0);
  (void)usm_client_timeout(c);
  CHECK_INT(usm_client_run(c), USM_OK); /* nothing to do: returns at once */
  CHECK_INT(usm_client_process(c), USM_OK);
  usm_client_destroy(c);
  usm_client_destroy(NULL);
  CHECK_INT(usm_client_process(NULL), USM_ERR_INVALID_HANDLE);
  CHECK_INT(usm_client_post(NULL, NULL, NULL), USM_ERR_INVALID_HANDLE);
}

typedef struct counter {
  atomic_int n;
  pthread_t loop_thread;
  atomic_int wrong_thread;
} counter;

static void count_fn(usm_client *c, void *user) {
  (void)c;
  counter *k = user;
  if (k->loop_thread && !pthread_equal(pthread_self(), k->loop_thread)) k->wrong_thread = 1;
  k->n++;
}

static void stop_fn(usm_client *c, void *user) {
  count_fn(c, user);
  usm_client_stop(c);
}

typedef struct poster {
  usm_client *c;
  counter *k;
  int n;
  atomic_int failures;
} poster;

static void *post_many(void *arg) {
  poster *p = arg;
  for (int i = 0; i < p->n; i++)
    if (usm_client_post(p->c, count_fn, p->k) != USM_OK) p->failures++;
  return NULL;
}

static void test_post_and_run(void) {
  /* posts from two foreign threads, run on this one until a stop is posted */
  usm_client *c = make();
  counter k = {0};
  k.loop_thread = pthread_self();
  poster p = {c, &k, 500, 0};
  pthread_t t1, t2;
  pthread_create(&t1, NULL, post_many, &p);
  pthread_create(&t2, NULL, post_many, &p);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  CHECK_INT(p.failures, 0);
  CHECK_INT(usm_client_post(c, stop_fn, &k), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(k.n, 1001);
  CHECK_INT(k.wrong_thread, 0);
  CHECK_INT(usm_client_post(c, NULL, NULL), USM_ERR_INVALID_ARG);
  /* queued but never run: discarded by destroy, without leaks */
  CHECK_INT(usm_client_post(c, count_fn, &k), USM_OK);
  usm_client_destroy(c);
  CHECK_INT(k.n, 1001);
}

static void test_embedded_loop(void) {
  /* the application polls usm_client_fd() and calls usm_client_process() */
  usm_client *c = make();
  counter k = {0};
  poster p = {c, &k, 100, 0};
  pthread_t t;
  pthread_create(&t, NULL, post_many, &p);
  for (int i = 0; i < 1000 && k.n < 100; i++) {
    struct pollfd pf = {.fd = usm_client_fd(c), .events = POLLIN};
    int timeout = usm_client_timeout(c);
    poll(&pf, 1, timeout < 0 || timeout > 20 ? 20 : timeout);
    CHECK_INT(usm_client_process(c), USM_OK);
  }
  pthread_join(t, NULL);
  for (int i = 0; i < 100 && k.n < 100; i++) {
    struct pollfd pf = {.fd = usm_client_fd(c), .events = POLLIN};
    poll(&pf, 1, 10);
    usm_client_process(c);
  }
  CHECK_INT(k.n, 100);
  usm_client_destroy(c);
}

static void mark_thread(usm_client *c, void *user) {
  counter *k = user;
  k->loop_thread = pthread_self();
  count_fn(c, user);
}

static void test_library_thread(void) {
  usm_client *c = make();
  counter k = {0};
  CHECK_INT(usm_client_start_thread(c), USM_OK);
  CHECK_INT(usm_client_start_thread(c), USM_ERR_WRONG_STATE);
  CHECK_INT(usm_client_process(c), USM_ERR_WRONG_STATE);
  CHECK_INT(usm_client_run(c), USM_ERR_WRONG_STATE);
  CHECK_INT(usm_client_post(c, mark_thread, &k), USM_OK);
  for (int i = 0; i < 200; i++) CHECK_INT(usm_client_post(c, count_fn, &k), USM_OK);
  for (int i = 0; i < 500 && k.n < 201; i++) uv_sleep(2);
  CHECK_INT(k.n, 201);
  CHECK(!pthread_equal(k.loop_thread, pthread_self()));
  CHECK_INT(k.wrong_thread, 0);
  usm_client_destroy(c); /* stops and joins the thread */
}

static void destroy_fn(usm_client *c, void *user) {
  counter *k = user;
  k->n++;
  usm_client_destroy(c);
  /* destroy deferred: the handle may still be read here, nothing more runs */
  CHECK_INT(usm_client_post(c, count_fn, k), USM_ERR_WRONG_STATE);
}

static void test_destroy_in_callback(void) {
  usm_client *c = make();
  counter k = {0};
  CHECK_INT(usm_client_post(c, destroy_fn, &k), USM_OK);
  CHECK_INT(usm_client_post(c, count_fn, &k), USM_OK); /* must never run */
  usm_client_run(c);                                    /* frees c on the way out */
  CHECK_INT(k.n, 1);

  /* the same on the library thread: the thread frees the client itself */
  c = make();
  counter k2 = {0};
  CHECK_INT(usm_client_start_thread(c), USM_OK);
  CHECK_INT(usm_client_post(c, destroy_fn, &k2), USM_OK);
  for (int i = 0; i < 500 && k2.n < 1; i++) uv_sleep(2);
  uv_sleep(50); /* let the detached thread finish freeing */
  CHECK_INT(k2.n, 1);
}

int main(void) {
  test_options();
  test_post_and_run();
  test_embedded_loop();
  test_library_thread();
  test_destroy_in_callback();
  return check_done("test_client");
}
