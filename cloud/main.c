/* usm-cloud: a local Webex cloud on loopback for libusm's tests and demos.
 * See docs/local-cloud.md. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app.h"
#include "config.h"
#include "media_server.h"
#include "server.h"
#include "tls_ca.h"

typedef struct options {
  int port;
  int admin_port;
  const char *state_dir;
  const char *config;
  int captcha_after; /* -1: from the config */
  cloud_media_options media;
} options;

static void usage(FILE *f) {
  fprintf(f,
          "usage: usm-cloud [--port N] [--admin-port N] [--state-dir DIR] [--config FILE]\n"
          "                 [--captcha-after N] [--media-ports LO-HI]\n"
          "                 [--turn-url URL --turn-user U --turn-password P]\n"
          "  --port N           public HTTPS port on 127.0.0.1 (0: ephemeral; default 0)\n"
          "  --admin-port N     admin HTTP port on 127.0.0.1 (0: ephemeral; default 0)\n"
          "  --state-dir DIR    where the CA and certificates live (default ./usm-cloud-state)\n"
          "  --config FILE      users and spaces (default: the built-in demo world)\n"
          "  --captcha-after N  wrong passwords before a captcha (0: never; default 3)\n"
          "  --media-ports LO-HI  UDP ports of the media server on 127.0.0.1 (default %d-%d)\n"
          "  --turn-url URL, --turn-user U, --turn-password P\n"
          "                     what TURN discovery answers (default: no TURN)\n",
          CLOUD_MEDIA_DEFAULT_PORT_LO, CLOUD_MEDIA_DEFAULT_PORT_HI);
}

static int parse_int(const char *s, long lo, long hi, int *out) {
  char *end;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s || !*s || *end || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

/* "LO-HI", 1 <= LO <= HI <= 65535. */
static int parse_range(const char *s, int *lo, int *hi) {
  char buf[32];
  const char *dash = s ? strchr(s, '-') : NULL;
  if (!dash || (size_t)(dash - s) >= sizeof buf) return -1;
  memcpy(buf, s, (size_t)(dash - s));
  buf[dash - s] = '\0';
  if (parse_int(buf, 1, 65535, lo) != 0 || parse_int(dash + 1, 1, 65535, hi) != 0 || *lo > *hi)
    return -1;
  return 0;
}

static int parse_args(int argc, char **argv, options *o) {
  *o = (options){0, 0, "./usm-cloud-state", NULL, -1,
                 {CLOUD_MEDIA_DEFAULT_PORT_LO, CLOUD_MEDIA_DEFAULT_PORT_HI, NULL, NULL, NULL}};
  for (int i = 1; i < argc; i += 2) { /* every option takes one value */
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    } else if (strcmp(a, "--port") == 0) {
      bad = parse_int(v, 0, 65535, &o->port);
    } else if (strcmp(a, "--admin-port") == 0) {
      bad = parse_int(v, 0, 65535, &o->admin_port);
    } else if (strcmp(a, "--captcha-after") == 0) {
      bad = parse_int(v, 0, 1000, &o->captcha_after);
    } else if (strcmp(a, "--state-dir") == 0 && v && *v) {
      o->state_dir = v;
    } else if (strcmp(a, "--config") == 0 && v && *v) {
      o->config = v;
    } else if (strcmp(a, "--media-ports") == 0) {
      bad = parse_range(v, &o->media.port_lo, &o->media.port_hi);
    } else if (strcmp(a, "--turn-url") == 0 && v && *v && strlen(v) < 1024) {
      o->media.turn_url = v;
    } else if (strcmp(a, "--turn-user") == 0 && v && *v && strlen(v) < 1024) {
      o->media.turn_user = v;
    } else if (strcmp(a, "--turn-password") == 0 && v && *v && strlen(v) < 1024) {
      o->media.turn_password = v;
    } else {
      bad = 1;
    }
    if (bad) {
      fprintf(stderr, "usm-cloud: bad argument %s%s%s\n", a, v ? " " : "", v ? v : "");
      usage(stderr);
      return -1;
    }
  }
  if (!o->media.turn_url != !o->media.turn_user || !o->media.turn_url != !o->media.turn_password) {
    fprintf(stderr, "usm-cloud: --turn-url, --turn-user and --turn-password go together\n");
    usage(stderr);
    return -1;
  }
  return 0;
}

typedef struct run {
  uv_signal_t sigint;
  uv_signal_t sigterm;
  cloud_server *server;
  cloud_media *media;
  int stopping;
} run;

static void on_signal(uv_signal_t *h, int signum) {
  run *r = h->data;
  if (r->stopping) return;
  r->stopping = 1;
  fprintf(stderr, "usm-cloud: signal %d, shutting down\n", signum);
  cloud_server_stop(r->server);
  cloud_media_stop(r->media);
  uv_close((uv_handle_t *)&r->sigint, NULL);
  uv_close((uv_handle_t *)&r->sigterm, NULL);
}

/* Prints the one line on stdout that tells a test harness where we are. */
static void ready_line(const cloud_app *app, const cloud_tls_files *tls, int admin_port) {
  cJSON *o = cJSON_CreateObject();
  char url[160], admin[64];
  snprintf(url, sizeof url, "%s/u2c/api/v1", app->base);
  snprintf(admin, sizeof admin, "http://127.0.0.1:%d", admin_port);
  cJSON_AddStringToObject(o, "url", app->base);
  cJSON_AddStringToObject(o, "discoveryUrl", url);
  cJSON_AddStringToObject(o, "caFile", tls->ca);
  cJSON_AddStringToObject(o, "adminUrl", admin);
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (text) printf("USM_CLOUD_READY %s\n", text);
  fflush(stdout);
  cJSON_free(text);
}

int main(int argc, char **argv) {
  options o;
  if (parse_args(argc, argv, &o) != 0) return 2;
  signal(SIGPIPE, SIG_IGN); /* a vanished client or reader must not kill us */

  static cloud_app app;
  static cloud_tls_files tls;
  cloud_app_init(&app);
  int rc = 1;
  if (cloud_config_load(&app.store, o.config) != 0) goto out_app;
  if (o.captcha_after >= 0) app.store.captcha_after = o.captcha_after;
  if (cloud_tls_ensure(o.state_dir, &tls) != 0) goto out_app;

  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) goto out_app;
  run r = {0};
  char why[300];
  if (!(r.media = cloud_media_create(&loop, &app, &o.media, why, sizeof why))) {
    fprintf(stderr, "usm-cloud: media: %s\n", why);
    goto out_loop;
  }
  app.media = r.media;
  cloud_server_options so = {o.port, o.admin_port, tls.cert, tls.key};
  r.server = cloud_server_start(&loop, &app, &so);
  if (!r.server) {
    cloud_media_stop(r.media);
    goto out_loop;
  }
  int port = cloud_server_port(r.server), admin_port = cloud_server_admin_port(r.server);
  if (port > 0 && admin_port > 0) {
    cloud_app_set_port(&app, port);
    uv_signal_init(&loop, &r.sigint);
    uv_signal_init(&loop, &r.sigterm);
    r.sigint.data = r.sigterm.data = &r;
    uv_signal_start(&r.sigint, on_signal, SIGINT);
    uv_signal_start(&r.sigterm, on_signal, SIGTERM);
    ready_line(&app, &tls, admin_port);
    rc = 0;
  } else {
    cloud_media_stop(r.media);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  cloud_server_free(r.server);
out_loop:
  /* Whatever lws left closing finishes here. */
  uv_run(&loop, UV_RUN_DEFAULT);
  app.media = NULL;
  cloud_media_free(r.media);
  if (uv_loop_close(&loop) != 0) fprintf(stderr, "usm-cloud: the loop still had handles\n");
out_app:
  cloud_app_free(&app);
  return rc;
}
