/* CPU per meeting with media, against ffmpeg doing the same encode and send,
 * both measured in the same run.
 *
 * libusm: one process, one meeting on a usm-cloud this program starts: the
 * host sends the tone (Opus 20 ms) and, in the second mode, the pattern
 * 640x360@30 (VP8) through usm_meeting_send_audio()/_video(); alice, a second
 * client in the same process, receives and decodes. Both clients' loops run
 * on this thread. Measured over SECONDS of media: the process's user+sys CPU
 * (getrusage: encode, packetize, SRTP, ICE consent, RTCP, BWE on the sending
 * side; SRTP, jitter buffer, decode on the receiving side; this program's
 * poll loop), and split by thread CPU time around each client's calls (the
 * host's loop plus its send calls = "sender"; alice's loop = "receiver").
 * The tone and the pictures are rendered before the clock starts.
 *
 * ffmpeg: the same tone (WAV) and pictures (Y4M) written to files, encoded
 * with libopus (voip, 32 kbit/s VBR, 20 ms, in-band FEC at 10 % like ours)
 * and libvpx VP8 (realtime, cpu-used -8, CBR at the bitrate libusm actually
 * sent in that round, no lag, error resilient, one thread, like ours) and
 * sent as RTP to UDP sinks of this process; its CPU is the child's rusage
 * (wait4), less its start-up (a run over the first FF_SHORT_MS of the same
 * files). It reads at the native rate (-re) like a live sender
 * ($USM_BENCH_FFMPEG_RE=0: as fast as it can).
 *
 * Printed: CPU seconds per second of media (= cores), medians of ROUNDS
 * rounds, and the ratios libusm / ffmpeg. Usage: bench_media_cpu
 * [USM_CLOUD_BIN] (or $USM_CLOUD_BIN); $USM_BENCH_FFMPEG overrides "ffmpeg";
 * $USM_BENCH_SECONDS (2..30, default 6) and $USM_BENCH_ROUNDS (1..9, default 3). */
#define _DEFAULT_SOURCE /* wait4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench_media_party.h"

extern char **environ;

#define MAX_ROUNDS 9
#define FF_SHORT_MS 500u /* ffmpeg's start-up run */

static mb_world W;
static char dir[64];
static unsigned seconds = 6;

/* ---- the content as files, for ffmpeg --------------------------------------- */

static void put_le(FILE *f, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; i++) fputc((int)(v >> (8 * i)) & 0xff, f);
}

static int write_wav(const char *path) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  uint32_t data = seconds * USM__TONE_RATE * 2u;
  fwrite("RIFF", 1, 4, f);
  put_le(f, 36 + data, 4);
  fwrite("WAVEfmt ", 1, 8, f);
  put_le(f, 16, 4);
  put_le(f, 1, 2); /* PCM */
  put_le(f, 1, 2); /* mono */
  put_le(f, USM__TONE_RATE, 4);
  put_le(f, USM__TONE_RATE * 2u, 4);
  put_le(f, 2, 2);
  put_le(f, 16, 2);
  fwrite("data", 1, 4, f);
  put_le(f, data, 4);
  for (unsigned s = 0; s < seconds; s++)
    for (unsigned i = 0; i < USM__TONE_RATE; i++) put_le(f, (uint16_t)W.tone[i], 2);
  return fclose(f) == 0 ? 0 : -1;
}

static int write_y4m(const char *path) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  fprintf(f, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", MB_W, MB_H, MB_FPS);
  for (unsigned i = 0; i < W.n_pics; i++) {
    fputs("FRAME\n", f);
    fwrite(W.pics + MB_PIC * i, 1, MB_PIC, f);
  }
  return fclose(f) == 0 ? 0 : -1;
}

/* ---- ffmpeg ---------------------------------------------------------------- */

typedef struct ff_result {
  double cpu;             /* user + sys seconds */
  unsigned long packets;  /* RTP packets the sinks got */
  unsigned long long bytes; /* and their bytes (RTP headers included) */
  int ok;
} ff_result;

static int udp_sink(int *port) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  int big = 4 << 20;
  if (s < 0) return -1;
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &al) != 0) {
    close(s);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return s;
}

static int ff_realtime = 1;

/* Run ffmpeg on the first @p media_ms of the files: audio always, video at
 * @p video_kbps when non-zero. */
static ff_result run_ffmpeg(const char *ffmpeg, unsigned video_kbps, unsigned media_ms) {
  ff_result r = {0};
  int pa = 0, pv = 0;
  int sa = udp_sink(&pa), sv = udp_sink(&pv);
  char wav[128], y4m[128], ua[64], uv[64], br[32], minr[32], maxr[32], buf[32], dur[32];
  snprintf(dur, sizeof dur, "%u.%03u", media_ms / 1000, media_ms % 1000);
  snprintf(wav, sizeof wav, "%s/tone.wav", dir);
  snprintf(y4m, sizeof y4m, "%s/pattern.y4m", dir);
  /* RTP over plain UDP (no RTCP), payloads up to 1200 bytes like ours */
  snprintf(ua, sizeof ua, "udp://127.0.0.1:%d?pkt_size=1212", pa);
  snprintf(uv, sizeof uv, "udp://127.0.0.1:%d?pkt_size=1212", pv);
  snprintf(br, sizeof br, "%uk", video_kbps);
  snprintf(minr, sizeof minr, "%uk", video_kbps);
  snprintf(maxr, sizeof maxr, "%uk", video_kbps);
  snprintf(buf, sizeof buf, "%uk", video_kbps); /* 1 s, like our rc_buf_sz */
  const char *argv[80];
  int n = 0;
  argv[n++] = ffmpeg;
  argv[n++] = "-hide_banner";
  argv[n++] = "-loglevel";
  argv[n++] = "error";
  argv[n++] = "-nostdin";
  if (ff_realtime) argv[n++] = "-re";
  argv[n++] = "-i";
  argv[n++] = wav;
  if (video_kbps) {
    if (ff_realtime) argv[n++] = "-re";
    argv[n++] = "-i";
    argv[n++] = y4m;
  }
  argv[n++] = "-t";
  argv[n++] = dur;
  const char *audio[] = {"-map", "0:a", "-c:a", "libopus", "-application", "voip", "-b:a", "32k", "-vbr", "on",
                         "-frame_duration", "20", "-fec", "1", "-packet_loss", "10", "-f", "rtp", ua};
  for (size_t i = 0; i < sizeof audio / sizeof audio[0]; i++) argv[n++] = audio[i];
  if (video_kbps) {
    argv[n++] = "-t";
    argv[n++] = dur;
    const char *video[] = {"-map", "1:v", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "-8",
                           "-threads", "1", "-b:v", br, "-minrate", minr, "-maxrate", maxr, "-bufsize", buf,
                           "-qmin", "2", "-qmax", "56", "-lag-in-frames", "0", "-error-resilient", "1",
                           "-static-thresh", "1", "-noise-sensitivity", "0", "-undershoot-pct", "100",
                           "-overshoot-pct", "15", "-g", "100000", "-auto-alt-ref", "0",
                           "-strict", "experimental", "-f", "rtp", uv};
    for (size_t i = 0; i < sizeof video / sizeof video[0]; i++) argv[n++] = video[i];
  }
  argv[n] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int err = sa < 0 || sv < 0 ? -1 : posix_spawnp(&pid, ffmpeg, &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) {
    fprintf(stderr, "bench_media_cpu: cannot run %s\n", ffmpeg);
    if (sa >= 0) close(sa);
    if (sv >= 0) close(sv);
    return r;
  }
  long deadline = mb_now_ms() + (long)seconds * 1000L + 30000;
  int status = 0;
  struct rusage ru;
  for (;;) {
    pid_t w = wait4(pid, &status, WNOHANG, &ru);
    if (w == pid) break;
    if (mb_now_ms() > deadline) {
      kill(pid, SIGKILL);
      wait4(pid, &status, 0, &ru);
      status = -1;
      break;
    }
    struct pollfd p[2] = {{.fd = sa, .events = POLLIN}, {.fd = sv, .events = POLLIN}};
    poll(p, 2, 10);
    char pkt[2048];
    for (int i = 0; i < 2; i++)
      for (ssize_t got; (got = recv(p[i].fd, pkt, sizeof pkt, 0)) > 0;) {
        r.packets++;
        r.bytes += (unsigned long long)got;
      }
  }
  close(sa);
  close(sv);
  r.cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
          (double)ru.ru_stime.tv_usec / 1e6;
  r.ok = status == 0;
  if (!r.ok) fprintf(stderr, "bench_media_cpu: ffmpeg failed (status %d); run it with USM_BENCH_VERBOSE\n", status);
  return r;
}

/* ---- libusm ------------------------------------------------------------------- */

typedef struct usm_result {
  double cpu, sender, receiver, cloud; /* seconds of CPU over the round */
  double audio_kbps, video_kbps;       /* payload the host sent */
  unsigned video_target_kbps;          /* what the host's encoder aimed at, at the end */
  unsigned long long audio_rx, video_rx; /* frames alice's callbacks got */
} usm_result;

static usm_result run_usm(int video) {
  usm_result r = {0};
  mb_meeting *mt = &W.mt[0];
  usm_media_stats s0, s1;
  mb_stats(&mt->host, &s0);
  unsigned long long a0 = mt->alice.audio_cb, v0 = mt->alice.video_cb;
  double c0 = mb_process_cpu(), h0 = W.loop_cpu[0], al0 = W.loop_cpu[1], cl0 = mb_pid_cpu(W.w.cloud.pid);
  mb_exchange(&W, (long)seconds * 1000L, video, 0);
  r.cpu = mb_process_cpu() - c0;
  r.sender = W.loop_cpu[0] - h0;
  r.receiver = W.loop_cpu[1] - al0;
  r.cloud = mb_pid_cpu(W.w.cloud.pid) - cl0;
  mb_stats(&mt->host, &s1);
  r.audio_kbps = (double)(s1.audio_sent.bytes - s0.audio_sent.bytes) * 8 / 1000 / seconds;
  r.video_kbps = (double)(s1.video_sent.bytes - s0.video_sent.bytes) * 8 / 1000 / seconds;
  r.video_target_kbps = s1.video_sent.target_bitrate_kbps;
  r.audio_rx = mt->alice.audio_cb - a0;
  r.video_rx = mt->alice.video_cb - v0;
  return r;
}

static void mode(const char *name, int video, const char *ffmpeg, int rounds) {
  unsigned host = USM_MEDIA_AUDIO_SEND | (video ? USM_MEDIA_VIDEO_SEND : 0);
  unsigned alice = USM_MEDIA_AUDIO_RECV | (video ? USM_MEDIA_VIDEO_RECV : 0);
  if (mb_add_meetings(&W, 1, host, alice) != 0) {
    fprintf(stderr, "bench_media_cpu: %s: the meeting or its media did not come up\n", name);
    exit(1);
  }
  mb_exchange(&W, 2000, video, 0); /* warm up: encoder made, bandwidth estimate settled */
  double cpu[MAX_ROUNDS], snd[MAX_ROUNDS], rcv[MAX_ROUNDS], ff[MAX_ROUNDS], cl[MAX_ROUNDS], rs[MAX_ROUNDS],
      rp[MAX_ROUNDS], akb[MAX_ROUNDS], vkb[MAX_ROUNDS], ffraw[MAX_ROUNDS];
  int nff = 0;
  for (int i = 0; i < rounds; i++) {
    usm_result u = run_usm(video);
    cpu[i] = u.cpu / seconds;
    snd[i] = u.sender / seconds;
    rcv[i] = u.receiver / seconds;
    cl[i] = u.cloud / seconds;
    akb[i] = u.audio_kbps;
    vkb[i] = u.video_kbps;
    /* ffmpeg aims at the bitrate our encoder aimed at; its start-up is
     * taken out: (CPU for SECONDS - CPU for the first FF_SHORT_MS) per second */
    unsigned kbps = video ? (u.video_target_kbps ? u.video_target_kbps : 600) : 0;
    ff_result f = {0}, f0 = {0};
    if (ffmpeg) {
      f = run_ffmpeg(ffmpeg, kbps, seconds * 1000u);
      f0 = run_ffmpeg(ffmpeg, kbps, FF_SHORT_MS);
    }
    double fps_cpu = 0;
    if (f.ok && f0.ok && f.cpu > f0.cpu) {
      fps_cpu = (f.cpu - f0.cpu) / (seconds - FF_SHORT_MS / 1000.0);
      ff[nff] = fps_cpu;
      ffraw[nff] = f.cpu / seconds;
      rs[nff] = snd[i] / fps_cpu;
      rp[nff] = cpu[i] / fps_cpu;
      nff++;
    }
    printf("  %-12s round %d: libusm %.4f (sender %.4f, receiver %.4f)  ffmpeg %.4f (raw %.4f, start-up %.3f s)  "
           "cloud %.4f | sent a %.0f v %.0f kbit/s (v target %u), alice got %llu audio %llu video frames, "
           "ffmpeg sent %lu packets %.0f kbit/s\n",
           name, i + 1, cpu[i], snd[i], rcv[i], fps_cpu, f.cpu / seconds, f0.cpu, cl[i], u.audio_kbps,
           u.video_kbps, u.video_target_kbps, u.audio_rx, u.video_rx, f.packets, (double)f.bytes * 8 / 1000 / seconds);
    fflush(stdout);
  }
  double mc = mb_median(cpu, rounds), ms = mb_median(snd, rounds), mr = mb_median(rcv, rounds);
  double mcl = mb_median(cl, rounds), ma = mb_median(akb, rounds), mv = mb_median(vkb, rounds);
  if (nff) {
    double mf = mb_median(ff, nff), mfr = mb_median(ffraw, nff), mrs = mb_median(rs, nff), mrp = mb_median(rp, nff);
    printf("%-12s libusm %.4f  sender %.4f  receiver %.4f  ffmpeg %.4f (raw %.4f)  | sender/ffmpeg %.2f  "
           "libusm/ffmpeg %.2f  | cloud %.4f  (a %.0f v %.0f kbit/s)\n",
           name, mc, ms, mr, mf, mfr, mrs, mrp, mcl, ma, mv);
  } else {
    printf("%-12s libusm %.4f  sender %.4f  receiver %.4f  ffmpeg n/a  | cloud %.4f  (a %.0f v %.0f kbit/s)\n", name,
           mc, ms, mr, mcl, ma, mv);
  }
  for (int i = 0; i < W.n; i++) {
    usm_meeting_destroy(W.mt[i].host.m);
    usm_meeting_destroy(W.mt[i].alice.m);
  }
  W.n = 0;
  mb_pump(&W, 300);
}

static unsigned env_uint(const char *name, unsigned lo, unsigned hi, unsigned dflt) {
  const char *v = getenv(name);
  unsigned x = v ? (unsigned)atoi(v) : dflt;
  return x < lo || x > hi ? dflt : x;
}

static int have_ffmpeg(const char *ffmpeg) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "'%s' -hide_banner -encoders 2>/dev/null | grep -q libvpx", ffmpeg);
  return strchr(ffmpeg, '\'') == NULL && system(cmd) == 0;
}

int main(int argc, char **argv) {
  const char *bin = argc > 1 && argv[1][0] ? argv[1] : getenv("USM_CLOUD_BIN");
  if (!bin || !*bin) {
    printf("bench_media_cpu: skipped (pass the usm-cloud binary as argv[1] or set USM_CLOUD_BIN)\n");
    return 0;
  }
  seconds = env_uint("USM_BENCH_SECONDS", 2, 30, 6);
  int rounds = (int)env_uint("USM_BENCH_ROUNDS", 1, MAX_ROUNDS, 3);
  ff_realtime = env_uint("USM_BENCH_FFMPEG_RE", 0, 1, 1);
  const char *ffmpeg = getenv("USM_BENCH_FFMPEG") ? getenv("USM_BENCH_FFMPEG") : "ffmpeg";
  if (!have_ffmpeg(ffmpeg)) {
    printf("bench_media_cpu: %s with libvpx not found: libusm only, no ratio\n", ffmpeg);
    ffmpeg = NULL;
  }
  if (mb_start(&W, bin, seconds) != 0) {
    fprintf(stderr, "bench_media_cpu: cannot start %s or its clients\n", bin);
    return 1;
  }
  snprintf(dir, sizeof dir, "/tmp/bench_media_cpu.XXXXXX");
  char wav[128], y4m[128];
  int files = mkdtemp(dir) != NULL;
  snprintf(wav, sizeof wav, "%s/tone.wav", dir);
  snprintf(y4m, sizeof y4m, "%s/pattern.y4m", dir);
  if (ffmpeg && (!files || write_wav(wav) != 0 || write_y4m(y4m) != 0)) {
    fprintf(stderr, "bench_media_cpu: cannot write the content files\n");
    ffmpeg = NULL;
  }
  printf("bench_media_cpu: CPU seconds per second of media (user+sys), %u s of media per round, median of %d\n"
         "  libusm:   this process: host sends, alice receives and decodes, one meeting via usm-cloud\n"
         "  sender:   thread CPU in the host's loop and send calls (encode, RTP, SRTP, RTCP, BWE, ICE)\n"
         "  receiver: thread CPU in alice's loop (SRTP, jitter buffer, decode, RTCP)\n"
         "  ffmpeg:   same tone/pictures from files, same encoder settings, RTP to a local UDP sink\n"
         "  cloud:    usm-cloud (the media server forwarding both), for reference\n",
         seconds, rounds);
  mode("audio", 0, ffmpeg, rounds);
  mode("audio+video", 1, ffmpeg, rounds);
  printf("bench_media_cpu: load average %.2f at the end (2 cores; CPU times hold under load, ratios less so)\n",
         mb_loadavg());
  mb_stop(&W);
  unlink(wav);
  unlink(y4m);
  rmdir(dir);
  return 0;
}
