/* Heap per joined meeting with media flowing, against a usm-cloud this
 * program starts.
 *
 * One process, two clients (host and alice), their loops on this thread.
 * For each mode and count n: n meetings are scheduled and joined by both
 * (2n joined meetings), media comes up, then both send (the tone, and in
 * the video mode the pattern 640x360@30) and receive each other for
 * MEDIA_MS; heap is read while media flows. Heap = mallinfo2() uordblks +
 * hblkhd after malloc_trim(0). Per joined meeting = (heap - heap before the
 * joins) / 2n: one participant's meeting, sending and receiving. Baseline in
 * the same run: the same joins without media. Targets (issue): < 2 MB
 * audio-only, < 8 MB with video. Usage: bench_media_memory [USM_CLOUD_BIN
 * [none|audio|video|h264 N]] (or $USM_CLOUD_BIN; a mode and N: that phase only). See docs/benchmarks-media.md for where it goes. */
#include "bench_media_party.h"

#define MEDIA_MS 3000
#define MB (1024.0 * 1024.0)

static mb_world W;

static void drop_meetings(void) {
  for (int i = 0; i < W.n; i++) {
    usm_meeting_destroy(W.mt[i].host.m);
    usm_meeting_destroy(W.mt[i].alice.m);
  }
  W.n = 0;
  mb_pump(&W, 300);
}

/* Per joined meeting, bytes; -1 on failure. */
static double phase(const char *name, unsigned media, const char *codec, int n, double target_mb) {
  int video = (media & USM_MEDIA_VIDEO_SEND) != 0;
  mb_video_codec = codec;
  mb_pump(&W, 100);
  long h0 = mb_heap(), r0 = mb_rss();
  if (mb_add_meetings(&W, n, media, media) != 0) {
    printf("%-12s %3d: the meetings or their media did not come up\n", name, n);
    drop_meetings();
    return -1;
  }
  long hj = mb_heap();
  if (media) mb_exchange(&W, MEDIA_MS, video, 1);
  else mb_pump(&W, MEDIA_MS);
  long hm = mb_heap(), rm = mb_rss();
  unsigned long long arx = 0, vrx = 0;
  for (int i = 0; i < W.n; i++) {
    arx += W.mt[i].host.audio_cb + W.mt[i].alice.audio_cb;
    vrx += W.mt[i].host.video_cb + W.mt[i].alice.video_cb;
  }
  double per = (double)(hm - h0) / (2.0 * n);
  printf("%-12s %3d  %10.0f  %10.0f  %8.2f MB  %s  %8.2f MB  | received %llu audio, %llu video frames\n", name, n,
         (double)(hj - h0) / (2.0 * n), per, per / MB,
         target_mb <= 0 ? "      " : per / MB < target_mb ? "< tgt " : "> TGT ", (double)(rm - r0) / (2.0 * n) / MB,
         arx, vrx);
  fflush(stdout);
  drop_meetings();
  return per;
}

int main(int argc, char **argv) {
  const char *bin = argc > 1 && argv[1][0] ? argv[1] : getenv("USM_CLOUD_BIN");
  if (!bin || !*bin) {
    printf("bench_media_memory: skipped (pass the usm-cloud binary as argv[1] or set USM_CLOUD_BIN)\n");
    return 0;
  }
  if (mb_start(&W, bin, 1) != 0) {
    fprintf(stderr, "bench_media_memory: cannot start %s or its clients\n", bin);
    return 1;
  }
  if (mb_heap() == 0) printf("bench_media_memory: mallinfo2 reports no heap (a sanitizer build?): sizes read 0\n");
  printf("bench_media_memory: heap per joined meeting (mallinfo2 uordblks + hblkhd after malloc_trim), bytes;\n"
         "  n meetings, each joined by host and alice (2n joined meetings), both sending and receiving;\n"
         "  joined: right after media connected; flowing: after %d ms of media both ways\n"
         "  rss/mtg: growth of the resident set / 2n (pages touched; later phases reuse freed pages)\n",
         MEDIA_MS);
  printf("%-12s %3s  %10s  %10s  %11s  %6s  %11s\n", "mode", "n", "joined", "flowing", "(MB)", "", "rss/mtg");
  if (argc > 3) { /* one phase, e.g. under heaptrack: mode (none, audio, video) and n */
    int h264 = strcmp(argv[2], "h264") == 0;
    unsigned media = strcmp(argv[2], "video") == 0 || h264 ? USM_MEDIA_ALL
                     : strcmp(argv[2], "audio") == 0       ? USM_MEDIA_AUDIO_SEND | USM_MEDIA_AUDIO_RECV
                                                           : 0;
    int n = atoi(argv[3]);
    if (n >= 1 && n <= MB_MAX_MEETINGS) phase(argv[2], media, h264 ? "H264" : NULL, n, 0);
    mb_stop(&W);
    return 0;
  }
  /* the client's first join (device, Mercury channel) is not a meeting's cost */
  if (mb_add_meetings(&W, 1, 0, 0) != 0) {
    fprintf(stderr, "bench_media_memory: the first join failed\n");
    mb_stop(&W);
    return 1;
  }
  drop_meetings();
  static const int counts[] = {1, 4, 16};
  double none = 0, audio = 0, av = 0;
  for (size_t i = 0; i < 3; i++) {
    double v = phase("no media", 0, NULL, counts[i], 0);
    if (v > 0) none = v;
  }
  for (size_t i = 0; i < 3; i++) {
    double v = phase("audio", USM_MEDIA_AUDIO_SEND | USM_MEDIA_AUDIO_RECV, NULL, counts[i], 2.0);
    if (v > 0) audio = v;
  }
  /* 16 VP8 encoders and decoders per side are more than 2 cores keep up
   * with in real time: video stops at 8 */
  static const int vcounts[] = {1, 4, 8};
  for (size_t i = 0; i < 3; i++) {
    double v = phase("audio+video", USM_MEDIA_ALL, NULL, vcounts[i], 8.0);
    if (v > 0) av = v;
  }
  /* the same with H.264 (OpenH264) instead of VP8, for comparison */
  phase("a+v H.264", USM_MEDIA_ALL, "H264", 4, 8.0);
  if (audio > 0 && av > 0)
    printf("bench_media_memory: at the largest n, per joined meeting: no media %.2f MB, audio %.2f MB (target 2), "
           "audio+video %.2f MB (target 8); media adds %.2f / %.2f MB to a join\n",
           none / MB, audio / MB, av / MB, (audio - none) / MB, (av - none) / MB);
  mb_stop(&W);
  return 0;
}
