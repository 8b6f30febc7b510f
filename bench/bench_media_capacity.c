/* How many audio-only meetings one libusm process sustains without loss.
 *
 * One process, two clients (host and alice), their loops on this thread.
 * Each meeting: the host sends the tone (Opus, 20 ms) through
 * usm_meeting_send_audio(), alice receives and decodes it; both through the
 * media server of a usm-cloud this program starts, on the same 2 cores. So
 * N meetings are 2N media connections in this process (N sending, N
 * receiving). N ramps 2, 4, 8, ...; the meetings of a step stay for the
 * next. After each ramp, 1 s to settle, then WINDOW_MS measured: RTP packets
 * the hosts sent and alice received (stats), packets lost (RTCP-style
 * counter), audio made up by concealment, audio frames alice's callbacks got
 * (expected: 50 per second per meeting), the loop's worst lateness, and the
 * CPU of this process and of the cloud.
 *
 * A step passes with loss < 0.5 % and no concealment growth (at most one
 * 20 ms frame per meeting over the window, for jitter buffer moves). The
 * ramp stops at the first failing step, at MAX_MEETINGS, or when the next
 * step would pass the time budget. Usage: bench_media_capacity
 * [USM_CLOUD_BIN [max]] (or $USM_CLOUD_BIN). */
#include "bench_media_party.h"

#define WINDOW_MS 5000
#define SETTLE_MS 1000
#define BUDGET_MS 100000L /* the whole run stays under 2 minutes */

static mb_world W;

typedef struct totals {
  unsigned long long tx, rx, cb, concealed_ms;
  long long lost;
} totals;

static totals sum(void) {
  totals t = {0};
  for (int i = 0; i < W.n; i++) {
    usm_media_stats h, a;
    if (!mb_stats(&W.mt[i].host, &h) || !mb_stats(&W.mt[i].alice, &a)) continue;
    t.tx += h.audio_sent.packets;
    t.rx += a.audio_received.packets;
    t.lost += a.audio_received.lost;
    t.concealed_ms += a.audio_received.concealed_ms;
    t.cb += W.mt[i].alice.audio_cb;
  }
  return t;
}

/* Settle, then measure the n meetings there are for WINDOW_MS; 1 when the step passes. */
static int measure(int n, long join_ms) {
  mb_exchange(&W, SETTLE_MS, 0, 0);
  totals a = sum();
  W.max_gap_ms = 0;
  double c0 = mb_process_cpu(), h0 = W.loop_cpu[0], al0 = W.loop_cpu[1], cl0 = mb_pid_cpu(W.w.cloud.pid);
  long w0 = mb_now_ms();
  mb_exchange(&W, WINDOW_MS, 0, 0);
  double secs = (double)(mb_now_ms() - w0) / 1000.0;
  double cpu = (mb_process_cpu() - c0) / secs, host = (W.loop_cpu[0] - h0) / secs,
         alice = (W.loop_cpu[1] - al0) / secs, cloud = (mb_pid_cpu(W.w.cloud.pid) - cl0) / secs;
  totals b = sum();
  unsigned long long tx = b.tx - a.tx, rx = b.rx - a.rx, cb = b.cb - a.cb, conc = b.concealed_ms - a.concealed_ms;
  long long lost = b.lost - a.lost;
  double loss = tx ? 100.0 * (1.0 - (double)rx / (double)tx) : 100.0;
  double frames = 100.0 * (double)cb / (secs * 50.0 * n);
  int pass = tx > 0 && loss < 0.5 && conc <= 20ull * (unsigned long long)n;
  printf("%4d  %7llu  %7llu  %7.2f  %6lld  %6llu ms  %8.1f%%  %8ld  %6.3f  %6.3f  %6.3f  %6.3f  %s  (joins %.1f s)\n", n,
         tx, rx, loss, lost, conc, frames, W.max_gap_ms, cpu, host, alice, cloud, pass ? "ok" : "FAIL",
         (double)join_ms / 1000.0);
  fflush(stdout);
  return pass;
}

int main(int argc, char **argv) {
  const char *bin = argc > 1 && argv[1][0] ? argv[1] : getenv("USM_CLOUD_BIN");
  if (!bin || !*bin) {
    printf("bench_media_capacity: skipped (pass the usm-cloud binary as argv[1] or set USM_CLOUD_BIN)\n");
    return 0;
  }
  int max = argc > 2 ? atoi(argv[2]) : MB_MAX_MEETINGS;
  if (max < 2 || max > MB_MAX_MEETINGS) max = MB_MAX_MEETINGS;
  long t_start = mb_now_ms();
  double load0 = mb_loadavg();
  if (mb_start(&W, bin, 0) != 0) {
    fprintf(stderr, "bench_media_capacity: cannot start %s or its clients\n", bin);
    return 1;
  }
  printf("bench_media_capacity: audio-only meetings in one process (host sends the tone, alice receives),\n"
         "  %d ms measured per step after %d ms to settle; loss = 1 - received/sent RTP packets;\n"
         "  cpu = cores busy (CPU s / s) of this process and of usm-cloud (same 2 cores)\n",
         WINDOW_MS, SETTLE_MS);
  printf("%4s  %7s  %7s  %7s  %6s  %9s  %9s  %8s  %6s  %6s  %6s  %s\n", "n", "sent", "recv", "loss%", "lost",
         "conceal", "frames%", "late ms", "cpu", "host", "alice", "cloud");
  int best = 0;
  long step_ms = 0;
  for (int n = 2; n <= max; n *= 2) {
    long t0 = mb_now_ms();
    if (t0 - t_start + 2 * step_ms > BUDGET_MS) {
      printf("  (stopped: the next step would pass the %ld s budget)\n", BUDGET_MS / 1000);
      break;
    }
    if (mb_add_meetings(&W, n - W.n, USM_MEDIA_AUDIO_SEND, USM_MEDIA_AUDIO_RECV) != 0) {
      printf("%4d  the meetings or their media did not come up: stopped\n", n);
      break;
    }
    int pass = measure(n, mb_now_ms() - t0);
    step_ms = mb_now_ms() - t0;
    if (!pass) {
      /* one step back half-way: leave the last meetings */
      int mid = (best + n) / 2;
      if (best && mid > best && mb_now_ms() - t_start + step_ms < BUDGET_MS) {
        for (int i = mid; i < W.n; i++) {
          usm_meeting_destroy(W.mt[i].host.m);
          usm_meeting_destroy(W.mt[i].alice.m);
        }
        W.n = mid;
        if (measure(mid, 0)) best = mid;
      }
      break;
    }
    best = n;
  }
  printf("bench_media_capacity: load average %.2f at the start, %.2f at the end (2 cores; above ~1 others share them)\n",
         load0, mb_loadavg());
  printf("bench_media_capacity: largest n with < 0.5 %% loss and no concealment growth: %d meetings "
         "(%d media connections in this process)\n",
         best, 2 * best);
  mb_stop(&W);
  return 0;
}
