/* Heap in use per joined meeting, for 1, 10 and 100 meetings joined by one
 * client in one process, with the Mercury channel online, against a usm-cloud
 * this program starts (tests/e2e/cloud_proc.c). For each count, a fresh
 * client of the demo host schedules the meetings (REST), then joins them
 * all; then each meeting gets 100 changes (the host toggling its own audio
 * mute, pushed back on Mercury). Heap = mallinfo2() uordblks + hblkhd after
 * malloc_trim(0). Baseline, in the same run: the same client with its REST
 * calls made and 0 meetings. Usage: bench_meeting_memory [USM_CLOUD_BIN [n...]]
 * (usm-cloud: argv[1] or $USM_CLOUD_BIN; n: meeting counts, 1..100). */
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <usm/usm.h>

#include "cloud_proc.h"

#define HOST_TOKEN "usm-demo-host-token"
#define CHANGES 100      /* mute toggles per meeting */
#define WINDOW 1         /* requests in flight at most: one connection, so the connection cache stays the same */
#define STEP_MS 60000    /* every wait is bounded */
#define MAX_MEETINGS 100

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static long heap(void) {
  malloc_trim(0);
  struct mallinfo2 mi = mallinfo2();
  return (long)(mi.uordblks + mi.hblkhd);
}

/* Wait for the loop's fd or its next timer (at most @p max_ms), then run it once. */
static void step(usm_client *c, int max_ms) {
  struct pollfd p = {.fd = usm_client_fd(c), .events = POLLIN};
  int t = usm_client_timeout(c);
  poll(&p, 1, t < 0 || t > max_ms ? max_ms : t);
  usm_client_process(c);
}

/* Run @p c's loop until *flag reaches @p want (at most STEP_MS); 1 if it did. */
static int run_until(usm_client *c, const int *flag, int want) {
  long deadline = now_ms() + STEP_MS;
  while (*flag < want && now_ms() < deadline) step(c, 20);
  return *flag >= want;
}

static void pump(usm_client *c, long ms) {
  long until = now_ms() + ms;
  while (now_ms() < until) step(c, 10);
}

/* ---- one meeting ----------------------------------------------------------- */

typedef struct bm {
  usm_meeting *m;
  char number[32];
  int busy;           /* a call of ours is in flight */
  int changes;        /* mute toggles completed */
  int mute_events;    /* USM_EVENT_MUTE seen */
  int failed;
} bm;

typedef struct world {
  usm_client *c;
  bm meetings[MAX_MEETINGS];
  int n;
  int done;           /* completions counted by the current wait */
  int online;         /* USM_EVENT_CONNECTION online seen */
  int in_flight;
} world;

static world W;

static void on_event(usm_meeting *m, const usm_event *ev, void *user) {
  (void)m;
  bm *b = user;
  if (ev->type == USM_EVENT_MUTE) b->mute_events++;
  if (ev->type == USM_EVENT_CONNECTION && ev->connection == USM_CONNECTION_ONLINE) W.online = 1;
}

static void on_done(usm_meeting *m, usm_err err, const char *msg, void *user) {
  (void)m;
  bm *b = user;
  if (err != USM_OK) {
    fprintf(stderr, "bench_meeting_memory: %s: %s (%s)\n", b->number, usm_err_name(err), msg);
    b->failed = 1;
  }
  b->busy = 0;
  W.in_flight--;
  W.done++;
}

/* ---- scheduling ----------------------------------------------------------- */

typedef struct sched {
  int *done;
  char *number;
  int ok;
} sched;

static void on_created(usm_client *c, const usm_rest_status *st, const usm_rest_meeting *m, void *user) {
  (void)c;
  sched *s = user;
  if (m && m->meeting_number) {
    snprintf(s->number, 32, "%s", m->meeting_number);
    s->ok = 1;
  } else {
    fprintf(stderr, "bench_meeting_memory: schedule failed: %s\n", st->message);
  }
  (*s->done)++;
}

static int schedule_all(int n) {
  char start[32], end[32];
  time_t t = time(NULL) + 3600;
  strftime(start, sizeof start, "%Y-%m-%dT%H:%M:00Z", gmtime(&t));
  t += 3600;
  strftime(end, sizeof end, "%Y-%m-%dT%H:%M:00Z", gmtime(&t));
  sched s[MAX_MEETINGS];
  int done = 0;
  for (int i = 0; i < n; i++) {
    usm_rest_meeting_params p;
    usm_rest_meeting_params_init(&p);
    p.title = "bench meeting";
    p.start = start;
    p.end = end;
    s[i] = (sched){&done, W.meetings[i].number, 0};
    if (usm_rest_meetings_create(W.c, &p, on_created, &s[i]) != USM_OK) return -1;
    if (!run_until(W.c, &done, i + 1) || !s[i].ok) return -1; /* one at a time: few connections */
  }
  return 0;
}

/* ---- the phases ------------------------------------------------------------ */

static usm_client *client(const cloud_proc *cp) {
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = HOST_TOKEN;
  o.discovery_url = cp->discovery_url;
  o.ca_file = cp->ca_file;
  o.request_timeout_ms = 20000;
  o.log_level = USM_LOG_ERROR;
  usm_client *c = NULL;
  return usm_client_create(&o, &c) == USM_OK ? c : NULL;
}

/* Create and join meetings [from, to), one at a time. */
static int join_range(int from, int to) {
  for (int i = from; i < to; i++) {
    bm *b = &W.meetings[i];
    W.done = 0;
    b->busy = 1;
    W.in_flight++;
    if (usm_meetings_create(W.c, b->number, USM_DEST_AUTO, on_done, b, &b->m) != USM_OK) return -1;
    usm_meeting_set_event_cb(b->m, on_event, b);
    if (!run_until(W.c, &W.done, 1) || b->failed) return -1;
    W.done = 0;
    b->busy = 1;
    W.in_flight++;
    if (usm_meeting_join(b->m, NULL, on_done, b) != USM_OK) return -1;
    if (!run_until(W.c, &W.done, 1) || b->failed || usm_meeting_get_state(b->m) != USM_MEETING_JOINED) return -1;
  }
  return 0;
}

/* CHANGES mute toggles per meeting, at most WINDOW requests and one per meeting in flight. */
static int changes_all(void) {
  long deadline = now_ms() + 4 * STEP_MS;
  int total = W.n * CHANGES;
  W.done = 0;
  while (W.done < total && now_ms() < deadline) {
    for (int i = 0; i < W.n && W.in_flight < WINDOW; i++) {
      bm *b = &W.meetings[i];
      if (b->busy || b->failed || b->changes >= CHANGES) continue;
      b->busy = 1;
      W.in_flight++;
      b->changes++;
      if (usm_meeting_mute(b->m, NULL, b->changes % 2, -1, on_done, b) != USM_OK) return -1;
    }
    step(W.c, 10);
  }
  for (int i = 0; i < W.n; i++)
    if (W.meetings[i].failed) return -1;
  return W.done == total ? 0 : -1;
}

static int mute_events(void) {
  int k = 0;
  for (int i = 0; i < W.n; i++) k += W.meetings[i].mute_events;
  return k;
}

static void phase(const cloud_proc *cp, int n, long process_base) {
  memset(&W, 0, sizeof W);
  W.n = n;
  long t0 = now_ms();
  W.c = client(cp);
  if (!W.c || schedule_all(n) != 0) {
    fprintf(stderr, "bench_meeting_memory: %d meetings: cannot schedule\n", n);
    exit(1);
  }
  long h0 = heap(); /* baseline: the client with its REST calls made, 0 meetings */
  if (join_range(0, 1) != 0 || !run_until(W.c, &W.online, 1)) {
    fprintf(stderr, "bench_meeting_memory: the first join or the event channel failed\n");
    exit(1);
  }
  pump(W.c, 300); /* the join's own Locus event arrives */
  long h1 = heap();
  if (join_range(1, n) != 0) {
    fprintf(stderr, "bench_meeting_memory: %d meetings: a join failed\n", n);
    exit(1);
  }
  pump(W.c, 300);
  long hn = heap();
  if (changes_all() != 0) {
    fprintf(stderr, "bench_meeting_memory: %d meetings: the changes failed\n", n);
    exit(1);
  }
  pump(W.c, 500); /* the last pushes arrive */
  long hs = heap();
  int mutes = mute_events();
  for (int i = 0; i < n; i++) usm_meeting_destroy(W.meetings[i].m);
  usm_client_destroy(W.c);
  long he = heap();
  long first = h1 - h0;
  printf("%4d  %10ld  %12ld  %12.0f  %10.0f  %12.0f  %7d  %9ld  %5.1f s\n", n, h0 - process_base, first,
         (double)(hn - h0) / n, n > 1 ? (double)(hn - h1) / (n - 1) : 0.0, (double)(hs - h0) / n, mutes,
         he - process_base, (double)(now_ms() - t0) / 1000.0);
}

int main(int argc, char **argv) {
  const char *bin = argc > 1 && argv[1][0] ? argv[1] : getenv("USM_CLOUD_BIN");
  if (!bin || !*bin) {
    printf("bench_meeting_memory: skipped (pass the usm-cloud binary as argv[1] or set USM_CLOUD_BIN)\n");
    return 0;
  }
  /* usm-cloud logs every request on the stderr it inherits: keep it quiet
   * unless USM_BENCH_VERBOSE is set */
  int saved = -1;
  if (!getenv("USM_BENCH_VERBOSE")) {
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    saved = devnull >= 0 ? dup(2) : -1;
    if (saved >= 0) dup2(devnull, 2);
    if (devnull >= 0) close(devnull);
  }
  cloud_proc cp;
  int started = cloud_proc_start(&cp, bin, NULL);
  if (saved >= 0) {
    dup2(saved, 2);
    close(saved);
  }
  if (started != 0) {
    fprintf(stderr, "bench_meeting_memory: cannot start %s\n", bin);
    return 1;
  }
  long base0 = heap();
  if (base0 == 0) printf("bench_meeting_memory: mallinfo2 reports no heap (a sanitizer build?): sizes read 0\n");
  printf("bench_meeting_memory: heap in use (mallinfo2 uordblks + hblkhd, after malloc_trim), bytes\n"
         "  client0: the client after its REST calls, 0 meetings (baseline, above the process)\n"
         "  first:   the first join (device, Mercury channel online, meeting) above client0\n"
         "  /mtg:    (n joined - client0) / n;  marginal: (n joined - 1 joined) / (n - 1)\n"
         "  steady:  after %d mute changes per meeting pushed on Mercury, (heap - client0) / n\n"
         "  after:   all destroyed, above the process at start\n",
         CHANGES);
  printf("%4s  %10s  %12s  %12s  %10s  %12s  %7s  %9s  %s\n", "n", "client0", "first", "/mtg", "marginal",
         "steady/mtg", "mutes", "after", "time");
  if (argc > 2) {
    for (int i = 2; i < argc; i++) {
      int n = atoi(argv[i]);
      if (n >= 1 && n <= MAX_MEETINGS) phase(&cp, n, base0);
    }
  } else {
    static const int counts[] = {1, 10, 100};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) phase(&cp, counts[i], base0);
  }
  cloud_proc_stop(&cp);
  return 0;
}
