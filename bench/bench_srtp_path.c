/* Per-packet cost of libusm's media path against bare libsrtp2 and bare
 * syscalls, measured in the same alternating rounds (GitHub issue 5).
 *
 * Send:    usm__rtp_session_send -> (callback) usm__srtp_protect_rtp
 *          [-> send() on a connected loopback UDP socket]
 * Receive: [recv() ->] usm__srtp_unprotect_rtp -> usm__rtp_session_recv_rtp
 *          (parse, source lookup, sequence and jitter tracking)
 * Baselines: srtp_protect / srtp_unprotect (libsrtp2 directly) of packets of
 * the same sizes, and send() / recv() alone. Both profiles libusm negotiates
 * (AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM) with fixed keys, audio (100 B
 * payload) and video (1200 B). Then the transport's own path between two
 * usm__transport on loopback (ICE + DTLS for real, on one libuv loop):
 * usm__rtp_session_send -> usm__transport_send_rtp -> protect -> ICE send,
 * and libuv recv -> ICE -> demux -> unprotect -> usm__rtp_session_recv_rtp.
 *
 * Syscalls go in batches of BATCH packets, so a batch always fits the
 * socket buffers; the other end's work (draining, or sending what is
 * received) is untimed. Single thread: packets/s is per core. Prints
 * medians; asserts nothing about time (it exits non-zero only when a path
 * fails or loses packets). */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <srtp2/srtp.h>
#include <uv.h>

#include "media/dtls.h"
#include "media/rtp.h"
#include "media/rtp_session.h"
#include "media/sdp_negotiate.h"
#include "media/srtp_session.h"
#include "media/transport.h"

#define ROUNDS 11
#define BATCH 64                 /* packets per syscall batch */
#define BATCHES 64               /* batches per variant per round */
#define NPKT (BATCH * BATCHES)   /* 4096 packets per variant per round */
#define SLOT 1536                /* one stored packet */
#define PT_AUDIO 111
#define PT_VIDEO 96

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median_ns(double *t) { /* t[ROUNDS]: seconds per round for NPKT packets */
  qsort(t, ROUNDS, sizeof t[0], cmp);
  return t[ROUNDS / 2] * 1e9 / NPKT;
}

static void die(const char *what, usm_err e) {
  fprintf(stderr, "bench_srtp_path: %s: %s\n", what, usm_err_name(e));
  exit(1);
}

/* ---- sockets -------------------------------------------------------------- */

/* Two UDP sockets on 127.0.0.1 connected to each other; both non-blocking. */
static void udp_pair(int fd[2]) {
  struct sockaddr_in a[2];
  for (int i = 0; i < 2; i++) {
    fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    memset(&a[i], 0, sizeof a[i]);
    a[i].sin_family = AF_INET;
    a[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a[i];
    int buf = 1 << 20; /* capped by net.core.rmem_max; BATCH fits the default too */
    if (fd[i] < 0 || setsockopt(fd[i], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf) != 0 ||
        bind(fd[i], (struct sockaddr *)&a[i], sizeof a[i]) != 0 ||
        getsockname(fd[i], (struct sockaddr *)&a[i], &l) != 0) {
      perror("bench_srtp_path: socket");
      exit(1);
    }
  }
  for (int i = 0; i < 2; i++)
    if (connect(fd[i], (struct sockaddr *)&a[1 - i], sizeof a[1 - i]) != 0) {
      perror("bench_srtp_path: connect");
      exit(1);
    }
}

static size_t drain(int fd) {
  uint8_t b[SLOT];
  size_t n = 0;
  while (recv(fd, b, sizeof b, 0) >= 0) n++;
  return n;
}

static unsigned long long lost; /* datagrams that did not arrive: reported, then exit 1 */

/* ---- the library's send callback ---------------------------------------------- */

typedef struct out_path {
  usm__srtp_session *srtp; /* protect with this ... */
  int fd;                  /* ... then send() here (-1: no syscall) */
  usm__transport *tr;      /* or hand it to the transport */
  uint8_t *store;          /* keep the SRTP packets (the receive side's input) */
  size_t *store_len, n;
} out_path;

static usm_err send_cb(void *user, uint8_t *pkt, size_t len, size_t cap) {
  out_path *p = user;
  if (p->tr) return usm__transport_send_rtp(p->tr, pkt, len, cap);
  size_t n = 0;
  usm_err e = usm__srtp_protect_rtp(p->srtp, pkt, len, cap, &n);
  if (e != USM_OK) return e;
  if (p->fd >= 0 && send(p->fd, pkt, n, 0) != (ssize_t)n) return USM_ERR_NETWORK;
  if (p->store) {
    memcpy(p->store + p->n * SLOT, pkt, n);
    p->store_len[p->n++] = n;
  }
  return USM_OK;
}

static usm_err send_rtcp_cb(void *user, uint8_t *pkt, size_t len, size_t cap) {
  (void)user, (void)pkt, (void)len, (void)cap;
  return USM_OK; /* no reports are sent here */
}

static unsigned long long delivered; /* on_rtp calls, all receivers */

static void on_rtp(void *user, const usm__rtp_in *in) {
  (void)user, (void)in;
  delivered++;
}

static usm__rtp_session *rtp_session(int sending, out_path *p) {
  usm__rtp_session_config c = {
    .cname = "bench@usm",
    .send = {sending, sending},
    .pt = {PT_AUDIO, PT_VIDEO},
    .recv_pt = {PT_AUDIO, PT_VIDEO},
    .send_rtp = send_cb,
    .send_rtcp = send_rtcp_cb,
    .on_rtp = on_rtp,
    .user = p,
  };
  usm__rtp_session *s = NULL;
  usm_err e = usm__rtp_session_create(&c, &s);
  if (e != USM_OK) die("usm__rtp_session_create", e);
  return s;
}

/* ---- keys --------------------------------------------------------------------- */

static const uint8_t KEY[16] = {0x3c, 0x11, 0x8e, 0x2a, 0x90, 0x47, 0xd5, 0x6b,
                                0x01, 0xfe, 0x73, 0x5c, 0xa8, 0x24, 0xcd, 0x9f};
static const uint8_t SALT[14] = {0x62, 0x9b, 0x0e, 0xd7, 0x15, 0x48, 0xa3, 0xf0, 0x2c, 0x81, 0x5e, 0xb6, 0x39, 0x74};

static usm__srtp_session *usm_srtp(usm__srtp_profile prof, usm__srtp_direction dir) {
  size_t kl, sl;
  usm__srtp_profile_lengths(prof, &kl, &sl);
  usm__srtp_session *s = NULL;
  usm_err e = usm__srtp_session_create(&s, dir, prof, KEY, kl, SALT, sl);
  if (e != USM_OK) die("usm__srtp_session_create", e);
  return s;
}

/* The same policy srtp_session.c builds, on libsrtp2 directly. Called after
 * a usm session exists, so libsrtp is initialised. */
static srtp_t bare_srtp(usm__srtp_profile prof, int inbound) {
  srtp_policy_t p;
  memset(&p, 0, sizeof p);
  if (prof == USM__SRTP_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
  }
  size_t kl, sl;
  usm__srtp_profile_lengths(prof, &kl, &sl);
  uint8_t master[30];
  memcpy(master, KEY, kl);
  memcpy(master + kl, SALT, sl);
  p.key = master;
  p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  srtp_t s = NULL;
  if (srtp_create(&s, &p) != srtp_err_status_ok) die("srtp_create", USM_ERR_SRTP);
  return s;
}

/* ---- one profile x one packet size --------------------------------------------- */

typedef struct result {
  double protect, lib_send, sendto, lib_sendto;     /* ns per packet */
  double unprotect, lib_recv, recvfrom, lib_recvfrom;
  size_t wire; /* SRTP packet bytes */
} result;

typedef struct setup {
  usm__srtp_profile prof;
  usm__media_kind kind;
  size_t payload_len;
  uint64_t frame_us; /* capture time step per packet */
} setup;

static void run(const setup *su, result *res) {
  static uint8_t srtp_pkts[NPKT * SLOT];
  static size_t srtp_len[NPKT];
  uint8_t payload[USM__RTP_MAX_PAYLOAD], buf[SLOT];
  for (size_t i = 0; i < su->payload_len; i++) payload[i] = (uint8_t)(i * 131 + 7);
  int fd[2];
  udp_pair(fd);

  /* the library: senders (protect only / protect + send), the generator of
   * the receive side's packets, receivers (no syscall / recv first) */
  out_path p_send = {.srtp = usm_srtp(su->prof, USM__SRTP_OUTBOUND), .fd = -1};
  out_path p_sendto = {.srtp = usm_srtp(su->prof, USM__SRTP_OUTBOUND), .fd = fd[0]};
  out_path p_gen = {.srtp = usm_srtp(su->prof, USM__SRTP_OUTBOUND), .fd = -1, .store = srtp_pkts,
                    .store_len = srtp_len};
  out_path p_none = {.fd = -1};
  usm__rtp_session *tx = rtp_session(1, &p_send), *tx_sys = rtp_session(1, &p_sendto),
                   *gen = rtp_session(1, &p_gen), *rx = rtp_session(0, &p_none), *rx_sys = rtp_session(0, &p_none);
  usm__srtp_session *in = usm_srtp(su->prof, USM__SRTP_INBOUND), *in_sys = usm_srtp(su->prof, USM__SRTP_INBOUND);
  /* bare libsrtp: one plain packet of the same layout (12-byte header +
   * payload), copied and given the next sequence number each time, as
   * libusm's builder writes each packet from the one payload */
  srtp_t bare_out = bare_srtp(su->prof, 0), bare_in = bare_srtp(su->prof, 1);
  uint8_t plain[SLOT];
  size_t plain_len = 0;
  usm__rtp_header h = {.pt = su->kind == USM__MEDIA_AUDIO ? PT_AUDIO : PT_VIDEO, .ssrc = 0x5eed0001u};
  usm_err be = usm__rtp_build(&h, payload, su->payload_len, plain, sizeof plain, &plain_len);
  if (be != USM_OK) die("usm__rtp_build", be);
  uint16_t bare_seq = 0;
  uint64_t cap_us = 1000000, t_rx = 1000000, t_rx_sys = 1000000;

  double t[8][ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    /* untimed: this round's SRTP packets for the receive side */
    p_gen.n = 0;
    for (size_t i = 0; i < NPKT; i++) {
      usm_err e = usm__rtp_session_send(gen, su->kind, payload, su->payload_len, cap_us + i * su->frame_us, 0);
      if (e != USM_OK) die("generator", e);
    }
    double acc[8] = {0};
    unsigned long long before = delivered;
    /* each pair alternates which goes first, so warm caches favour neither */
    for (int k = 0; k < 2; k++) {
      int lib = k ^ (r & 1);
      double t0 = now_s();
      if (!lib) { /* send: bare srtp_protect of a copy, sequence number patched */
        for (size_t i = 0; i < NPKT; i++) {
          memcpy(buf, plain, plain_len);
          buf[2] = (uint8_t)(bare_seq >> 8), buf[3] = (uint8_t)bare_seq;
          bare_seq++;
          int n = (int)plain_len;
          if (srtp_protect(bare_out, buf, &n) != srtp_err_status_ok) die("srtp_protect", USM_ERR_SRTP);
        }
      } else { /* send: libusm without the syscall */
        for (size_t i = 0; i < NPKT; i++) {
          usm_err e = usm__rtp_session_send(tx, su->kind, payload, su->payload_len, cap_us + i * su->frame_us, 0);
          if (e != USM_OK) die("usm__rtp_session_send", e);
        }
      }
      acc[lib] = now_s() - t0;
    }

    /* send: send() alone of the SRTP packets, and libusm with send(); the
     * receiver drains between batches, untimed */
    for (int k = 0; k < 2; k++) {
      int lib = k ^ (r & 1);
      for (size_t b = 0; b < BATCHES; b++) {
        double t0 = now_s();
        for (size_t i = b * BATCH; i < (b + 1) * BATCH; i++) {
          if (!lib) {
            if (send(fd[0], srtp_pkts + i * SLOT, srtp_len[i], 0) < 0) die("send", USM_ERR_NETWORK);
            continue;
          }
          usm_err e =
              usm__rtp_session_send(tx_sys, su->kind, payload, su->payload_len, cap_us + i * su->frame_us, 0);
          if (e != USM_OK) die("usm__rtp_session_send + send()", e);
        }
        acc[2 + lib] += now_s() - t0;
        lost += BATCH - drain(fd[1]);
      }
    }
    cap_us += NPKT * su->frame_us;

    for (int k = 0; k < 2; k++) {
      int lib = k ^ (r & 1);
      double t0 = now_s();
      for (size_t i = 0; i < NPKT; i++) {
        memcpy(buf, srtp_pkts + i * SLOT, srtp_len[i]);
        if (!lib) { /* receive: bare srtp_unprotect of this round's packets */
          int n = (int)srtp_len[i];
          if (srtp_unprotect(bare_in, buf, &n) != srtp_err_status_ok) die("srtp_unprotect", USM_ERR_SRTP);
          continue;
        }
        size_t n = 0; /* receive: libusm without the syscall */
        usm_err e = usm__srtp_unprotect_rtp(in, buf, srtp_len[i], &n);
        if (e != USM_OK) die("usm__srtp_unprotect_rtp", e);
        usm__rtp_session_recv_rtp(rx, buf, n, t_rx += su->frame_us);
      }
      acc[4 + lib] = now_s() - t0;
    }

    /* receive: recv() alone, and recv() + libusm; the peer's send() untimed */
    for (int k = 0; k < 2; k++) {
      int lib = k ^ (r & 1);
      for (size_t b = 0; b < BATCHES; b++) {
        for (size_t i = b * BATCH; i < (b + 1) * BATCH; i++)
          if (send(fd[0], srtp_pkts + i * SLOT, srtp_len[i], 0) < 0) die("send", USM_ERR_NETWORK);
        size_t got = 0;
        double t0 = now_s();
        for (size_t i = 0; i < BATCH; i++) {
          ssize_t n = recv(fd[1], buf, sizeof buf, 0);
          if (n < 0) break; /* EAGAIN: the datagram was dropped */
          got++;
          if (!lib) continue;
          size_t m = 0;
          usm_err e = usm__srtp_unprotect_rtp(in_sys, buf, (size_t)n, &m);
          if (e != USM_OK) die("recv() + usm__srtp_unprotect_rtp", e);
          usm__rtp_session_recv_rtp(rx_sys, buf, m, t_rx_sys += su->frame_us);
        }
        acc[6 + lib] += now_s() - t0;
        lost += BATCH - got;
      }
    }
    if (delivered - before != 2 * (unsigned long long)NPKT && r > 0) { /* round 0: RFC 3550 probation */
      fprintf(stderr, "bench_srtp_path: %llu of %d packets reached on_rtp\n", delivered - before, 2 * NPKT);
      exit(1);
    }
    for (int v = 0; v < 8; v++) t[v][r] = acc[v];
  }
  res->protect = median_ns(t[0]);
  res->lib_send = median_ns(t[1]);
  res->sendto = median_ns(t[2]);
  res->lib_sendto = median_ns(t[3]);
  res->unprotect = median_ns(t[4]);
  res->lib_recv = median_ns(t[5]);
  res->recvfrom = median_ns(t[6]);
  res->lib_recvfrom = median_ns(t[7]);
  res->wire = srtp_len[0];

  srtp_dealloc(bare_out);
  srtp_dealloc(bare_in);
  usm__srtp_session_destroy(in);
  usm__srtp_session_destroy(in_sys);
  usm__srtp_session_destroy(p_send.srtp);
  usm__srtp_session_destroy(p_sendto.srtp);
  usm__srtp_session_destroy(p_gen.srtp);
  usm__rtp_session_destroy(tx);
  usm__rtp_session_destroy(tx_sys);
  usm__rtp_session_destroy(gen);
  usm__rtp_session_destroy(rx);
  usm__rtp_session_destroy(rx_sys);
  close(fd[0]);
  close(fd[1]);
}

/* ---- two transports on loopback ------------------------------------------------- */

typedef struct peer {
  usm__transport *t;
  usm__dtls_ctx *ctx;
  int gathered;
  usm__transport_state state;
  usm__rtp_session *rtp;
  out_path out;
  uint64_t now_us;
} peer;

static void tr_state(usm__transport *t, usm__transport_state s, usm_err err, const char *detail, void *user) {
  (void)t, (void)err;
  peer *p = user;
  p->state = s;
  if (s == USM__TR_FAILED) fprintf(stderr, "bench_srtp_path: transport failed: %s\n", detail ? detail : "?");
}

static void tr_gathered(usm__transport *t, void *user) {
  (void)t;
  ((peer *)user)->gathered = 1;
}

static void tr_rtp(usm__transport *t, const uint8_t *pkt, size_t len, void *user) {
  (void)t;
  peer *p = user;
  usm__rtp_session_recv_rtp(p->rtp, pkt, len, p->now_us += 20000);
}

static void tr_rtcp(usm__transport *t, const uint8_t *pkt, size_t len, void *user) {
  (void)t, (void)pkt, (void)len, (void)user;
}

static char negotiated[32] = "?"; /* the SRTP profile, as the transport logs it */

static void tr_log(void *user, int level, const char *msg) {
  (void)user;
  const char *up = strstr(msg, "DTLS-SRTP up (");
  if (up) snprintf(negotiated, sizeof negotiated, "%.*s", (int)strcspn(up + 14, ")"), up + 14);
  if (level <= 1 || getenv("BENCH_SRTP_LOG")) fprintf(stderr, "bench_srtp_path: [%d] %s\n", level, msg);
}

static void peer_init(peer *p, uv_loop_t *loop, int controlled) {
  memset(p, 0, sizeof *p);
  char why[256] = "";
  usm_err e = usm__dtls_ctx_create(&p->ctx, why, sizeof why);
  if (e != USM_OK) die(why, e);
  usm__transport_config c = {.loop = loop,
                             .dtls = p->ctx,
                             .ice_controlled = controlled,
                             .loopback_only = 1,
                             .on_state = tr_state,
                             .on_gathered = tr_gathered,
                             .on_rtp = tr_rtp,
                             .on_rtcp = tr_rtcp,
                             .log = tr_log,
                             .user = p};
  e = usm__transport_create(&c, &p->t);
  if (e != USM_OK) die("usm__transport_create", e);
  p->out.tr = p->t;
  p->out.fd = -1;
  p->rtp = rtp_session(1, &p->out);
}

/* What an answer would give @p p about @p other (one BUNDLEd m-line). */
static void set_remote(peer *p, const peer *other, int dtls_client) {
  usm__sdp_local l;
  usm__transport_local(other->t, &l);
  usm__sdp_result r;
  memset(&r, 0, sizeof r);
  r.n_media = 1;
  r.bundle_tag = 0;
  usm__sdp_transport *rt = &r.media[0].transport;
  rt->ice_ufrag = l.ice_ufrag;
  rt->ice_pwd = l.ice_pwd;
  rt->fp_alg = l.fp_alg;
  rt->fp_value = l.fp_value;
  rt->dtls_client = dtls_client;
  rt->candidates = l.candidates;
  rt->n_candidates = l.n_candidates;
  rt->end_of_candidates = 1;
  rt->crypto_tag = -1;
  usm_err e = usm__transport_set_remote(p->t, &r);
  if (e != USM_OK) die("usm__transport_set_remote", e);
}

static void tick(uv_timer_t *t) { (void)t; }

/* UV_RUN_ONCE may block in poll right after the callback we wait for ran
 * (timers run before the poll): a ticking timer bounds every wait. */
static int run_until(uv_loop_t *loop, const int *a, const int *b, double timeout_s) {
  double end = now_s() + timeout_s;
  while (!(*a && *b) && now_s() < end) uv_run(loop, UV_RUN_ONCE);
  return *a && *b;
}

typedef struct tr_result {
  double send, recv, sendto; /* ns per packet; sendto: the unconnected baseline */
} tr_result;

/* @p fd[0] unconnected, sending to @p to (fd[1], unconnected too): what
 * uv_udp_try_send does on an ICE socket. */
static void unconnected_pair(int fd[2], struct sockaddr_in *to) {
  for (int i = 0; i < 2; i++) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd[i] < 0 || bind(fd[i], (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd[i], (struct sockaddr *)&a, &l) != 0) {
      perror("bench_srtp_path: socket");
      exit(1);
    }
    if (i == 1) *to = a;
  }
}

static void run_transport(uv_loop_t *loop, peer *a, const setup *su, tr_result *res) {
  uint8_t payload[USM__RTP_MAX_PAYLOAD], wire[SLOT];
  memset(payload, 0xa5, su->payload_len);
  memset(wire, 0x80, sizeof wire);
  size_t wire_len = USM__RTP_HEADER_MIN + su->payload_len + 16; /* GCM's tag */
  int fd[2];
  struct sockaddr_in to;
  unconnected_pair(fd, &to);
  double ts[ROUNDS], tr[ROUNDS], tu[ROUNDS];
  uint64_t cap_us = 1000000;
  for (int r = 0; r < ROUNDS; r++) {
    double s = 0, rv = 0, u = 0;
    for (size_t bt = 0; bt < BATCHES; bt++) {
      /* baseline: sendto() with the address, as libuv sends for ICE */
      double t0 = now_s();
      for (size_t i = 0; i < BATCH; i++)
        if (sendto(fd[0], wire, wire_len, 0, (struct sockaddr *)&to, sizeof to) < 0) die("sendto", USM_ERR_NETWORK);
      u += now_s() - t0;
      lost += BATCH - drain(fd[1]);

      unsigned long long want = delivered + BATCH;
      t0 = now_s();
      for (size_t i = 0; i < BATCH; i++) {
        usm_err e = usm__rtp_session_send(a->rtp, su->kind, payload, su->payload_len, cap_us += su->frame_us, 0);
        if (e != USM_OK) die("usm__rtp_session_send -> usm__transport_send_rtp", e);
      }
      double t1 = now_s();
      /* everything on the loop: libuv reads a bounded number per wakeup */
      for (int spin = 0; spin < 64 && delivered < want; spin++) uv_run(loop, UV_RUN_NOWAIT);
      double t2 = now_s();
      s += t1 - t0;
      rv += t2 - t1;
      if (delivered < want) lost += want - delivered, delivered = want;
    }
    ts[r] = s;
    tr[r] = rv;
    tu[r] = u;
  }
  res->send = median_ns(ts);
  res->recv = median_ns(tr);
  res->sendto = median_ns(tu);
  close(fd[0]);
  close(fd[1]);
}

/* @p gcm: the main table's AEAD_AES_128_GCM audio and video rows. */
static void transports(const result gcm[2]) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  peer a, b;
  peer_init(&a, &loop, 0);
  peer_init(&b, &loop, 1);
  tr_result res[2] = {{0}};
  uv_timer_t ticker;
  uv_timer_init(&loop, &ticker);
  uv_timer_start(&ticker, tick, 10, 10);
  usm_err e = usm__transport_gather(a.t);
  if (e == USM_OK) e = usm__transport_gather(b.t);
  if (e != USM_OK) die("usm__transport_gather", e);
  if (!run_until(&loop, &a.gathered, &b.gathered, 5)) die("gathering", USM_ERR_TIMEOUT);
  set_remote(&a, &b, 1);
  set_remote(&b, &a, 0);
  int ca = 0, cb = 0;
  double end = now_s() + 10;
  while (now_s() < end && !(ca && cb)) {
    uv_run(&loop, UV_RUN_ONCE);
    ca = a.state == USM__TR_CONNECTED;
    cb = b.state == USM__TR_CONNECTED;
    if (a.state == USM__TR_FAILED || b.state == USM__TR_FAILED) break;
  }
  uv_close((uv_handle_t *)&ticker, NULL);
  if (!(ca && cb)) {
    printf("transport: not measured (the two transports did not connect: %s / %s)\n",
           usm__transport_state_name(a.state), usm__transport_state_name(b.state));
  } else {
    /* GCM: the first of USM__DTLS_SRTP_PROFILES, so what two libusm ends agree on */
    static const setup ss[2] = {{USM__SRTP_AEAD_AES_128_GCM, USM__MEDIA_AUDIO, 100, 20000},
                                {USM__SRTP_AEAD_AES_128_GCM, USM__MEDIA_VIDEO, 1200, 3000}};
    /* warm-up: the first packets of a source are in RFC 3550 probation */
    run_transport(&loop, &a, &ss[0], &res[0]);
    for (int i = 0; i < 2; i++) run_transport(&loop, &a, &ss[i], &res[i]);
    usm__transport_stats st;
    usm__transport_get_stats(b.t, &st);
    printf("\ntransport: usm__rtp_session_send -> usm__transport_send_rtp -> protect -> ICE send (uv_udp_try_send);\n"
           "receive: uv_run -> ICE -> demux -> copy + unprotect -> usm__rtp_session_recv_rtp. Two usm__transport on\n"
           "loopback (ICE + DTLS-SRTP negotiated: %s), %d packets per round, median of %d rounds\n",
           negotiated, NPKT, ROUNDS);
    printf("%-6s %8s  %8s %8s %5s %10s  %8s %5s %10s\n", "kind", "payload", "sendto()", "send ns", "ratio",
           "send pkt/s", "recv ns", "ratio", "recv pkt/s");
    for (int i = 0; i < 2; i++)
      printf("%-6s %6zu B  %8.0f %8.0f %5.2f %10.0f  %8.0f %5.2f %10.0f\n",
             ss[i].kind == USM__MEDIA_AUDIO ? "audio" : "video", ss[i].payload_len, res[i].sendto, res[i].send,
             res[i].send / (gcm[i].protect + res[i].sendto), 1e9 / res[i].send, res[i].recv,
             res[i].recv / (gcm[i].unprotect + gcm[i].recvfrom), 1e9 / res[i].recv);
    printf("(send ratio: / (srtp_protect above + sendto() with the address on an unconnected socket, timed here);\n"
           " recv ratio: / (srtp_unprotect + recv() above); %llu SRTP packets received, %llu refused)\n",
           (unsigned long long)st.srtp_packets_received,
           (unsigned long long)(st.dropped_auth + st.dropped_replay + st.dropped_malformed));
  }
  usm__rtp_session_destroy(a.rtp);
  usm__rtp_session_destroy(b.rtp);
  usm__transport_destroy(a.t);
  usm__transport_destroy(b.t);
  uv_run(&loop, UV_RUN_DEFAULT); /* the handles close */
  usm__dtls_ctx_free(a.ctx);
  usm__dtls_ctx_free(b.ctx);
  if (uv_loop_close(&loop) != 0) fprintf(stderr, "bench_srtp_path: the loop still had handles\n");
}

int main(void) {
  static const setup ss[] = {
    {USM__SRTP_AES128_CM_SHA1_80, USM__MEDIA_AUDIO, 100, 20000},
    {USM__SRTP_AES128_CM_SHA1_80, USM__MEDIA_VIDEO, 1200, 3000},
    {USM__SRTP_AEAD_AES_128_GCM, USM__MEDIA_AUDIO, 100, 20000},
    {USM__SRTP_AEAD_AES_128_GCM, USM__MEDIA_VIDEO, 1200, 3000},
  };
  enum { N_SETUPS = sizeof ss / sizeof ss[0] };
  result res[N_SETUPS];
  for (size_t i = 0; i < N_SETUPS; i++) run(&ss[i], &res[i]);

  printf("bench_srtp_path: per-packet cost, single thread, median of %d alternating rounds of %d packets;\n"
         "loopback UDP, syscalls in batches of %d. ns per packet; pkt/s = 1e9 / ns (per core).\n",
         ROUNDS, NPKT, BATCH);
  printf("\nsend: libusm = usm__rtp_session_send -> usm__srtp_protect_rtp [-> send()];\n"
         "      baseline = srtp_protect (libsrtp2) [+ send() alone], same packet sizes\n");
  printf("%-24s %-5s %6s  %7s %7s %5s  %7s %9s %5s %10s\n", "profile", "kind", "wire", "protect", "libusm", "ratio",
         "send()", "libusm+sc", "ratio", "pkt/s+sc");
  for (size_t i = 0; i < N_SETUPS; i++) {
    const result *r = &res[i];
    printf("%-24s %-5s %4zu B  %7.0f %7.0f %5.2f  %7.0f %9.0f %5.2f %10.0f\n", usm__srtp_profile_name(ss[i].prof),
           ss[i].kind == USM__MEDIA_AUDIO ? "audio" : "video", r->wire, r->protect, r->lib_send,
           r->lib_send / r->protect, r->sendto, r->lib_sendto, r->lib_sendto / (r->protect + r->sendto),
           1e9 / r->lib_sendto);
  }
  printf("\nreceive: libusm = [recv() ->] usm__srtp_unprotect_rtp -> usm__rtp_session_recv_rtp;\n"
         "         baseline = srtp_unprotect (libsrtp2) [+ recv() alone] of the same packets\n");
  printf("%-24s %-5s %6s  %7s %7s %5s  %7s %9s %5s %10s\n", "profile", "kind", "wire", "unprot", "libusm", "ratio",
         "recv()", "libusm+sc", "ratio", "pkt/s+sc");
  for (size_t i = 0; i < N_SETUPS; i++) {
    const result *r = &res[i];
    printf("%-24s %-5s %4zu B  %7.0f %7.0f %5.2f  %7.0f %9.0f %5.2f %10.0f\n", usm__srtp_profile_name(ss[i].prof),
           ss[i].kind == USM__MEDIA_AUDIO ? "audio" : "video", r->wire, r->unprotect, r->lib_recv,
           r->lib_recv / r->unprotect, r->recvfrom, r->lib_recvfrom, r->lib_recvfrom / (r->unprotect + r->recvfrom),
           1e9 / r->lib_recvfrom);
  }
  printf("(ratio+sc: libusm with the syscall / (libsrtp + the syscall alone); pkt/s+sc: libusm with the syscall)\n");
  fflush(stdout);

  transports(&res[2]);
  if (lost) {
    fprintf(stderr, "bench_srtp_path: %llu datagrams lost on loopback: the numbers above are suspect\n", lost);
    return 1;
  }
  return 0;
}
