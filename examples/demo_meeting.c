/* usm-demo: a whole meeting on a Webex cloud, with audio and video.
 *
 * Hana (host) schedules a meeting and invites Alice; Hana and Alice join
 * with audio and video both ways; Bob, who was not invited, gives the
 * password and waits in the lobby until Hana admits him; Hana makes Alice
 * the host, who invites Carol. All along, Hana sends libusm's test tone and
 * moving-bars pattern (usm_meeting_play), Alice a signal of her own (a WAV
 * written at startup) and a smaller pattern; each receives the other's
 * through the cloud's media server (ROAP, ICE, DTLS-SRTP, Opus, VP8/H.264),
 * shows a stats line per second and records what arrives (DIR/<who>-
 * received.wav, .ivf or .h264, .png). After ~10 s of media everyone leaves,
 * Alice ends the meeting, and a summary per party measures what arrived:
 * audio SNR against the sender's reference, video frames whose frame-number
 * strip reads back, loss, NACKs, PLIs, RTT, bit rates. Three clients, one
 * thread: each client's loop is embedded with usm_client_fd/_timeout/_process.
 *
 * The meeting API is the public one; the demo links the static library only
 * for the test signals' definitions (source/test_signal.h), to measure.
 *
 * Usage: usm-demo --discovery-url URL [--ca-file PEM] [--out DIR] [--media-seconds N]
 *        [--host-token T] [--alice-token T] [--bob-token T]
 * Defaults: ./demo-out, 10 s, the tokens of usm-cloud's built-in demo config. */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <sys/stat.h>
#include <usm/usm.h>

#include "demo_media.h"

#define STEP_TIMEOUT_MS 15000

typedef struct party {
  const char *name;
  usm_client *client;
  usm_meeting *meeting;
  int done;      /* the last operation finished */
  usm_err err;   /* and how */
  demo_media *media; /* Hana and Alice */
  uint64_t media_ms; /* media time, from the last stats event */
} party;

static party parties[3];
static int nparties;
static long t0;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("[%6.2fs] ", (now_ms() - t0) / 1000.0);
  vprintf(fmt, ap);
  printf("\n");
  fflush(stdout);
  va_end(ap);
}

static void die(const char *what, usm_err e, const char *detail) {
  fprintf(stderr, "usm-demo: %s failed: %s (%s) %s\n", what, usm_err_name(e), usm_strerror(e),
          detail ? detail : "");
  exit(1);
}

/* Let every client's loop work for up to @p max_ms. */
static void pump(int max_ms) {
  struct pollfd fds[3];
  int timeout = max_ms;
  for (int i = 0; i < nparties; i++) {
    fds[i] = (struct pollfd){.fd = usm_client_fd(parties[i].client), .events = POLLIN};
    int t = usm_client_timeout(parties[i].client);
    if (t >= 0 && t < timeout) timeout = t;
  }
  poll(fds, (nfds_t)nparties, timeout);
  for (int i = 0; i < nparties; i++) usm_client_process(parties[i].client);
}

/* Pump until @p done(arg) is true, or fail the demo after STEP_TIMEOUT_MS. */
static void wait_for(int (*done)(const void *), const void *arg, const char *what) {
  long deadline = now_ms() + STEP_TIMEOUT_MS;
  while (!done(arg)) {
    if (now_ms() > deadline) die(what, USM_ERR_TIMEOUT, "nothing happened in time");
    pump(50);
  }
}

static int flag_set(const void *flag) { return *(const int *)flag; }
static int media_connected(const void *m) { return usm_meeting_media_state(m) == USM_MEDIA_CONNECTED; }

static void print_media(party *p) {
  usm_media_stats st;
  usm_media_stats_init(&st);
  if (usm_meeting_get_stats(p->meeting, &st) != USM_OK) return;
  say("%s's media: %s -> %s (%s), ICE RTT %u ms, %llu SRTP packets refused", p->name, st.local_address,
      st.remote_address, st.local_type, st.ice_rtt_ms, (unsigned long long)st.srtp_dropped);
}
static void run_until(const int *flag, const char *what) { wait_for(flag_set, flag, what); }

static void op_done(usm_meeting *m, usm_err err, const char *message, void *user) {
  (void)m;
  party *p = user;
  p->err = err;
  p->done = 1;
  if (err != USM_OK) say("%s: %s: %s", p->name, usm_err_name(err), message);
}

/* Start an operation with op_done as its callback and wait for it. */
#define AWAIT(p, what, call)                                        \
  do {                                                              \
    (p)->done = 0;                                                  \
    usm_err e_ = (call);                                            \
    if (e_ != USM_OK) die(what, e_, usm_client_last_error((p)->client)); \
    run_until(&(p)->done, what);                                    \
  } while (0)

static void on_event(usm_meeting *m, const usm_event *ev, void *user) {
  (void)m;
  party *p = user;
  switch (ev->type) {
    case USM_EVENT_STATE: say("%s: now %s", p->name, usm_meeting_state_name(ev->state)); break;
    case USM_EVENT_ROSTER:
      if (ev->participant && !ev->participant->is_self) {
        const usm_participant *pt = ev->participant;
        const char *what = ev->change == USM_ROSTER_LEFT ? "left"
                           : pt->in_lobby                 ? "is waiting in the lobby"
                           : ev->change == USM_ROSTER_JOINED ? "joined"
                                                            : "is in the meeting";
        if (ev->change != USM_ROSTER_CHANGED || pt->in_meeting) say("%s sees %s %s", p->name, pt->name, what);
      }
      break;
    case USM_EVENT_HOST:
      if (ev->participant) say("%s sees the host is now %s", p->name, ev->participant->name);
      break;
    case USM_EVENT_STATS: {
      char line[320];
      demo_media_stats_line(ev->stats, line, sizeof line);
      p->media_ms = ev->stats->elapsed_ms;
      say("%-5s %s", p->name, line);
      break;
    }
    case USM_EVENT_MEDIA:
      say("%s: media %s%s%s", p->name, usm_media_state_name(ev->media), ev->detail ? " - " : "",
          ev->detail ? ev->detail : "");
      break;
    default: break;
  }
}

static party *add_party(const char *name, const char *token, const char *discovery, const char *ca) {
  party *p = &parties[nparties++];
  p->name = name;
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = token;
  o.discovery_url = discovery;
  o.ca_file = ca;
  usm_err e = usm_client_create(&o, &p->client);
  if (e != USM_OK) die("usm_client_create", e, NULL);
  return p;
}

typedef struct created {
  int done;
  usm_err err;
  char id[128], number[32], password[64], sip[256];
} created;

static void on_created(usm_client *c, const usm_rest_status *st, const usm_rest_meeting *m, void *user) {
  (void)c;
  created *cr = user;
  cr->err = st->err;
  if (m) {
    snprintf(cr->id, sizeof cr->id, "%s", m->id);
    snprintf(cr->number, sizeof cr->number, "%s", m->meeting_number ? m->meeting_number : "");
    snprintf(cr->password, sizeof cr->password, "%s", m->password ? m->password : "");
    snprintf(cr->sip, sizeof cr->sip, "%s", m->sip_address ? m->sip_address : "");
  } else {
    say("create: %s", st->message);
  }
  cr->done = 1;
}

typedef struct caps_wait {
  int done;
  int can_create;
} caps_wait;

static void on_caps(usm_client *c, usm_err err, const usm_capabilities *caps, void *user) {
  (void)c;
  caps_wait *w = user;
  w->can_create = err == USM_OK && caps && caps->can_create_meetings;
  w->done = 1;
}

static int find_participant(usm_meeting *m, const char *name, char *id, size_t cap) {
  for (size_t i = 0; i < usm_meeting_participant_count(m); i++) {
    usm_participant pt;
    if (usm_meeting_participant(m, i, &pt) == USM_OK && pt.name && strcmp(pt.name, name) == 0) {
      snprintf(id, cap, "%s", pt.id);
      return pt.in_lobby ? 2 : pt.in_meeting ? 1 : 0;
    }
  }
  return -1;
}

static void print_roster(party *p) {
  say("%s's roster:", p->name);
  for (size_t i = 0; i < usm_meeting_participant_count(p->meeting); i++) {
    usm_participant pt;
    if (usm_meeting_participant(p->meeting, i, &pt) != USM_OK) continue;
    printf("           - %-16s %-14s%s%s\n", pt.name ? pt.name : "?",
           pt.in_meeting ? "in meeting" : pt.in_lobby ? "in lobby" : "not in meeting", pt.is_host ? " host" : "",
           pt.is_self ? " (self)" : "");
  }
}

typedef struct roster_wait {
  party *watcher;
  const char *name;
  int want; /* 1 in the meeting, 2 in the lobby */
  char id[128];
} roster_wait;

static int roster_has(const void *arg) {
  roster_wait *w = (roster_wait *)arg;
  return find_participant(w->watcher->meeting, w->name, w->id, sizeof w->id) == w->want;
}

static int is_joined(const void *m) { return usm_meeting_get_state(m) == USM_MEETING_JOINED; }

/* Both media parties have had @p arg ms of media. */
static int media_time(const void *arg) {
  uint64_t want = *(const uint64_t *)arg;
  return parties[0].media_ms >= want && parties[1].media_ms >= want;
}

static void play(party *p, const char *audio, const char *video, unsigned w, unsigned h) {
  usm_play_options po;
  usm_play_options_init(&po);
  po.audio = audio;
  po.video = video;
  po.width = w;
  po.height = h;
  po.loop = 1;
  usm_err e = usm_meeting_play(p->meeting, &po);
  if (e != USM_OK) die("usm_meeting_play", e, usm_meeting_last_error(p->meeting));
  say("%s sends %s and %s (%ux%u)", p->name, audio, video, w, h);
}

static int is_host(const void *m) {
  usm_participant me;
  return usm_meeting_self(m, &me) == USM_OK && me.is_host;
}

int main(int argc, char **argv) {
  const char *discovery = NULL, *ca = NULL, *out = "demo-out";
  long media_seconds = 10;
  const char *host_token = "usm-demo-host-token", *alice_token = "usm-demo-alice-token",
             *bob_token = "usm-demo-bob-token";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--discovery-url")) discovery = argv[i + 1];
    else if (!strcmp(argv[i], "--ca-file")) ca = argv[i + 1];
    else if (!strcmp(argv[i], "--host-token")) host_token = argv[i + 1];
    else if (!strcmp(argv[i], "--alice-token")) alice_token = argv[i + 1];
    else if (!strcmp(argv[i], "--bob-token")) bob_token = argv[i + 1];
    else if (!strcmp(argv[i], "--out")) out = argv[i + 1];
    else if (!strcmp(argv[i], "--media-seconds")) media_seconds = strtol(argv[i + 1], NULL, 10);
    else {
      fprintf(stderr, "usage: usm-demo --discovery-url URL [--ca-file PEM] [--host-token T] ...\n");
      return 2;
    }
  }
  if (!discovery) {
    fprintf(stderr, "usage: usm-demo --discovery-url URL [--ca-file PEM]\n");
    return 2;
  }
  if (media_seconds < 3 || media_seconds > 600) {
    fprintf(stderr, "usm-demo: --media-seconds: 3..600\n");
    return 2;
  }
  if (mkdir(out, 0777) != 0 && errno != EEXIST) {
    perror(out);
    return 1;
  }
  char alice_wav[600];
  snprintf(alice_wav, sizeof alice_wav, "%s/alice-sends.wav", out);
  if (demo_write_alice_wav(alice_wav) != 0) {
    perror(alice_wav);
    return 1;
  }
  t0 = now_ms();
  printf("libusm %s demo against %s; media recorded in %s/\n\n", usm_version_string(), discovery, out);
  party *hana = add_party("Hana", host_token, discovery, ca);
  party *alice = add_party("Alice", alice_token, discovery, ca);
  party *bob = add_party("Bob", bob_token, discovery, ca);

  /* Who may start meetings? (An app would enable its "meet" button.) */
  caps_wait cw = {0};
  if (usm_client_capabilities(bob->client, on_caps, &cw) != USM_OK) die("capabilities", USM_ERR_INTERNAL, NULL);
  run_until(&cw.done, "capabilities");
  say("Bob may create meetings: %s", cw.can_create ? "yes" : "no (no license)");

  /* Hana schedules the meeting and invites Alice. */
  usm_rest_invitee_params inv = {"alice@example.com", "Alice Attendee", -1, -1};
  usm_rest_meeting_params mp;
  usm_rest_meeting_params_init(&mp);
  mp.title = "libusm demo";
  char start[32], end[32];
  time_t now = time(NULL);
  strftime(start, sizeof start, "%Y-%m-%dT%H:%M:00Z", gmtime(&(time_t){now + 600}));
  strftime(end, sizeof end, "%Y-%m-%dT%H:%M:00Z", gmtime(&(time_t){now + 4200}));
  mp.start = start;
  mp.end = end;
  mp.invitees = &inv;
  mp.n_invitees = 1;
  created cr = {0};
  if (usm_rest_meetings_create(hana->client, &mp, on_created, &cr) != USM_OK)
    die("create", USM_ERR_INTERNAL, usm_client_last_error(hana->client));
  run_until(&cr.done, "create");
  if (cr.err != USM_OK) die("create", cr.err, NULL);
  say("Hana scheduled meeting %s (SIP %s)", cr.number, cr.sip);

  /* Everyone resolves the meeting; Hana and Alice by number, Bob by SIP URI. */
  const char *dest[3] = {cr.number, cr.number, cr.sip};
  for (int i = 0; i < 3; i++) {
    party *p = &parties[i];
    p->done = 0;
    usm_err e = usm_meetings_create(p->client, dest[i], USM_DEST_AUTO, op_done, p, &p->meeting);
    if (e != USM_OK) die("usm_meetings_create", e, usm_client_last_error(p->client));
    usm_meeting_set_event_cb(p->meeting, on_event, p);
    run_until(&p->done, "meeting info");
  }
  if (usm_meeting_password_status(bob->meeting) != USM_PASSWORD_REQUIRED)
    die("password check", USM_ERR_INTERNAL, "Bob should need the password");
  say("Bob needs the password; he gives it");
  AWAIT(bob, "password", usm_meeting_set_password(bob->meeting, cr.password, NULL, op_done, bob));
  if (bob->err != USM_OK) die("password", bob->err, usm_meeting_last_error(bob->meeting));

  /* Hana and Alice: audio and video both ways, stats every second, and
   * what each receives recorded and measured against the other's signal. */
  usm_join_options jo, with_media;
  usm_join_options_init(&jo);
  usm_join_options_init(&with_media);
  with_media.media = USM_MEDIA_ALL;
  with_media.stats_interval_ms = 1000;
  hana->media = demo_media_create(out, "hana", demo_alice_sample);
  alice->media = demo_media_create(out, "alice", demo_tone_sample);
  if (!hana->media || !alice->media) die("demo_media_create", USM_ERR_NO_MEMORY, NULL);
  for (int i = 0; i < 2; i++) {
    usm_media_callbacks cb;
    demo_media_callbacks(parties[i].media, &cb);
    usm_err e = usm_meeting_set_media_callbacks(parties[i].meeting, &cb);
    if (e != USM_OK) die("usm_meeting_set_media_callbacks", e, NULL);
  }
  AWAIT(hana, "Hana joins", usm_meeting_join(hana->meeting, &with_media, op_done, hana));
  play(hana, "tone", "pattern", 640, 360);
  AWAIT(alice, "Alice joins", usm_meeting_join(alice->meeting, &with_media, op_done, alice));
  play(alice, alice_wav, "pattern", 320, 240);
  AWAIT(bob, "Bob joins", usm_meeting_join(bob->meeting, &jo, op_done, bob));
  if (usm_meeting_get_state(bob->meeting) != USM_MEETING_IN_LOBBY) die("lobby", USM_ERR_INTERNAL, "Bob not in lobby");

  roster_wait bob_w = {hana, "Bob Unlicensed", 2, ""};
  wait_for(roster_has, &bob_w, "Bob in Hana's lobby");
  say("Hana admits Bob");
  AWAIT(hana, "admit", usm_meeting_admit(hana->meeting, bob_w.id, op_done, hana));
  wait_for(is_joined, bob->meeting, "Bob admitted");
  roster_wait alice_w = {hana, "Alice Attendee", 1, ""};
  wait_for(roster_has, &alice_w, "Alice in Hana's roster");
  say("Hana makes Alice the host; Alice invites Carol");
  AWAIT(hana, "assign host", usm_meeting_assign_host(hana->meeting, alice_w.id, op_done, hana));
  wait_for(is_host, alice->meeting, "Alice sees she is host");
  AWAIT(alice, "invite", usm_meeting_invite(alice->meeting, "carol@example.com", op_done, alice));
  print_roster(alice);
  wait_for(media_connected, hana->meeting, "Hana's media");
  wait_for(media_connected, alice->meeting, "Alice's media");
  print_media(hana);
  print_media(alice);
  say("media flows; leaving after %ld s of it", media_seconds);
  uint64_t want_ms = (uint64_t)media_seconds * 1000;
  long deadline = now_ms() + media_seconds * 1000 + STEP_TIMEOUT_MS;
  while (!media_time(&want_ms)) {
    if (now_ms() > deadline) die("media", USM_ERR_TIMEOUT, "no stats events");
    pump(50);
  }
  usm_media_stats last[2];
  for (int i = 0; i < 2; i++) {
    usm_media_stats_init(&last[i]);
    usm_err e = usm_meeting_get_stats(parties[i].meeting, &last[i]);
    if (e != USM_OK) die("usm_meeting_get_stats", e, NULL);
  }

  AWAIT(bob, "Bob leaves", usm_meeting_leave(bob->meeting, op_done, bob));
  AWAIT(hana, "Hana leaves", usm_meeting_leave(hana->meeting, op_done, hana));
  AWAIT(alice, "Alice ends the meeting", usm_meeting_end(alice->meeting, op_done, alice));
  if (alice->err != USM_OK) die("end", alice->err, usm_meeting_last_error(alice->meeting));
  say("meeting ended");
  for (int i = 0; i < 2; i++) {
    usm_meeting_set_media_callbacks(parties[i].meeting, NULL);
    demo_media_close(parties[i].media);
  }
  printf("\nWhat each received:\n");
  demo_media_summary(hana->media, "Hana (from Alice: 660 Hz + beep at 0.5 s, pattern 320x240)", &last[0]);
  demo_media_summary(alice->media, "Alice (from Hana: the 440 Hz tone + beep at 0 s, pattern 640x360)", &last[1]);

  for (int i = 0; i < nparties; i++) {
    usm_meeting_destroy(parties[i].meeting);
    usm_client_destroy(parties[i].client);
    demo_media_destroy(parties[i].media);
  }
  printf("\nusm-demo: done\n");
  return 0;
}
