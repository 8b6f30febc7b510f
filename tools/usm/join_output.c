#include "join_output.h"

#include <stdio.h>

#include "output.h"
#include "stats_line.h"

#define MAX_LIVE_ROWS 40 /* a live roster longer than this is cut, with a "... N more" line */

void join_out_init(join_out *o, int json, int events, int tty) {
  o->json = json;
  o->events = events;
  o->live = !json && events && tty;
  o->drawn = 0;
  o->m = NULL;
  o->media = 0;
  o->stats_live = 0;
  o->stats_shown = 0;
  o->stats_text[0] = '\0';
}

void join_out_enable_stats(join_out *o, int tty) { o->stats_live = !o->json && tty; }

/* Server text on a terminal: control characters (escape sequences) become '?'. */
static void put_text(const char *s) {
  for (const unsigned char *p = (const unsigned char *)(s ? s : "-"); *p; p++)
    fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, stdout);
}

static const char *where(const usm_participant *p) {
  return p->in_meeting ? "in_meeting" : p->in_lobby ? "in_lobby" : "not_in_meeting";
}

/* ---- the live roster (terminal only) ----------------------------------------- */

static void erase_live(join_out *o) {
  if (o->stats_shown) { /* the stats line sits below the roster, the cursor at its end */
    printf("\r\033[K");
    o->stats_shown = 0;
  }
  if (!o->live || !o->drawn) return;
  /* up to the first line of the block, then clear to the end of the screen */
  printf("\033[%dA\r\033[J", o->drawn);
  o->drawn = 0;
}

static void draw_stats(join_out *o) {
  if (!o->stats_live || !o->stats_text[0]) return;
  fputs(o->stats_text, stdout);
  o->stats_shown = 1;
  fflush(stdout);
}

static void draw_live(join_out *o) {
  if (!o->live || !o->m) return draw_stats(o);
  const usm_meeting *m = o->m;
  size_t n = usm_meeting_participant_count(m);
  printf("-- %s, events %s, %zu in the roster --\n", usm_meeting_state_name(usm_meeting_get_state(m)),
         usm_connection_state_name(usm_meeting_connection_state(m)), n);
  int lines = 1;
  for (size_t i = 0; i < n; i++) {
    if (i == MAX_LIVE_ROWS) {
      printf("   ... %zu more\n", n - i);
      lines++;
      break;
    }
    usm_participant p;
    if (usm_meeting_participant(m, i, &p) != USM_OK) continue;
    printf("   ");
    put_text(p.name ? p.name : p.id);
    printf("  %s%s%s%s%s\n", where(&p), p.is_host ? " host" : "", p.audio_muted == 1 ? " muted" : "",
           p.video_muted == 1 ? " video-off" : "", p.is_self ? " (you)" : "");
    lines++;
  }
  o->drawn = lines;
  draw_stats(o);
  fflush(stdout);
}

void join_out_finish(join_out *o) {
  int had_stats = o->stats_shown;
  erase_live(o);
  if (had_stats) printf("%s\n", o->stats_text); /* the last numbers stay on screen */
  fflush(stdout);
}

static void join_out_stats(join_out *o, const usm_media_stats *st) {
  if (!st) return;
  if (o->json) {
    cli_stats_json(stdout, "stats", st);
  } else if (o->stats_live) {
    erase_live(o);
    cli_stats_line(st, o->stats_text, sizeof o->stats_text);
    draw_live(o);
  } else {
    char line[sizeof o->stats_text];
    cli_stats_line(st, line, sizeof line);
    printf("%s\n", line);
  }
  fflush(stdout);
}

void join_out_note(join_out *o, const char *line) {
  erase_live(o);
  if (o->json) {
    printf("{\"note\":");
    cli_json_string(stdout, line);
    printf("}\n");
  } else {
    put_text(line);
    printf("\n");
  }
  draw_live(o);
  fflush(stdout);
}

/* ---- results -------------------------------------------------------------------- */

void join_out_result(join_out *o, const char *op, usm_err err, const char *message) {
  erase_live(o);
  if (o->json) {
    printf("{\"result\":");
    cli_json_string(stdout, op);
    if (err == USM_OK) {
      printf(",\"ok\":true}\n");
    } else {
      printf(",\"ok\":false,\"error\":{\"code\":%d,\"name\":", (int)err);
      cli_json_string(stdout, usm_err_name(err));
      printf(",\"message\":");
      cli_json_string(stdout, message && *message ? message : usm_strerror(err));
      printf("}}\n");
    }
  } else if (err == USM_OK) {
    printf("ok %s\n", op);
  } else {
    printf("error %d (%s) %s: ", (int)err, usm_err_name(err), op);
    put_text(message && *message ? message : usm_strerror(err));
    printf("\n");
  }
  draw_live(o);
  fflush(stdout);
}

/* ---- events ------------------------------------------------------------------------ */

static const char *type_name(usm_event_type t) {
  static const char *const names[] = {"?", "state", "password", "roster", "host",
                                      "lock", "mute", "connection", "error", "roap", "media", "stats"};
  return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static const char *change_name(usm_roster_change c) {
  switch (c) {
  case USM_ROSTER_JOINED: return "joined";
  case USM_ROSTER_LEFT: return "left";
  case USM_ROSTER_CHANGED: return "changed";
  default: return NULL;
  }
}

static void participant_json(const usm_participant *p) {
  printf("{\"id\":");
  cli_json_string(stdout, p->id);
  printf(",\"name\":");
  cli_json_string(stdout, p->name);
  printf(",\"email\":");
  cli_json_string(stdout, p->email);
  printf(",\"inMeeting\":%s,\"inLobby\":%s,\"host\":%s,\"self\":%s,\"guest\":%s,\"audioMuted\":%d,"
         "\"videoMuted\":%d}",
         p->in_meeting ? "true" : "false", p->in_lobby ? "true" : "false", p->is_host ? "true" : "false",
         p->is_self ? "true" : "false", p->is_guest ? "true" : "false", p->audio_muted, p->video_muted);
}

static void event_json(const usm_meeting *m, const usm_event *ev) {
  printf("{\"event\":\"%s\",\"state\":\"%s\"", type_name(ev->type), usm_meeting_state_name(ev->state));
  if (ev->type == USM_EVENT_PASSWORD) printf(",\"passwordStatus\":%d", (int)usm_meeting_password_status(m));
  if (ev->type == USM_EVENT_LOCK) printf(",\"locked\":%s", ev->locked ? "true" : "false");
  const char *change = change_name(ev->change);
  if (ev->type == USM_EVENT_ROSTER && change) printf(",\"change\":\"%s\"", change);
  /* the channel's state now (for a CONNECTION event, the new one) */
  usm_connection_state cs = ev->type == USM_EVENT_CONNECTION ? ev->connection : usm_meeting_connection_state(m);
  printf(",\"connection\":\"%s\"", usm_connection_state_name(cs));
  if (ev->error != USM_OK) {
    printf(",\"error\":{\"code\":%d,\"name\":", (int)ev->error);
    cli_json_string(stdout, usm_err_name(ev->error));
    printf("}");
  }
  if (ev->detail) {
    printf(",\"detail\":");
    cli_json_string(stdout, ev->detail);
  }
  if (ev->type == USM_EVENT_MEDIA) printf(",\"media\":\"%s\"", usm_media_state_name(ev->media));
  if (ev->type == USM_EVENT_ROAP && ev->roap) {
    printf(",\"roap\":");
    cli_json_string(stdout, ev->roap); /* kept as text: the cloud's JSON is not re-validated here */
  }
  if (ev->type == USM_EVENT_HOST || ev->participant) {
    printf(",\"participant\":");
    if (ev->participant)
      participant_json(ev->participant);
    else
      printf("null");
  }
  printf("}\n");
}

/* One human line per event (when stdout is not a terminal, or without --events). */
static void event_line(const usm_meeting *m, const usm_event *ev) {
  const usm_participant *p = ev->participant;
  switch (ev->type) {
  case USM_EVENT_STATE:
    printf("state %s\n", usm_meeting_state_name(ev->state));
    break;
  case USM_EVENT_PASSWORD: {
    usm_captcha c;
    printf("password %s%s\n", usm_meeting_password_status(m) == USM_PASSWORD_REQUIRED ? "required" : "ok",
           usm_meeting_captcha(m, &c) == USM_OK ? " (captcha pending: see 'captcha')" : "");
    break;
  }
  case USM_EVENT_ROSTER:
  case USM_EVENT_HOST:
  case USM_EVENT_MUTE:
    printf("%s", type_name(ev->type));
    if (ev->type == USM_EVENT_ROSTER && change_name(ev->change)) printf(" %s", change_name(ev->change));
    if (!p) {
      printf(" none\n");
      break;
    }
    printf(" ");
    put_text(p->name ? p->name : p->id);
    if (ev->type == USM_EVENT_MUTE)
      printf(" audio %s video %s\n", p->audio_muted == 1 ? "muted" : "on", p->video_muted == 1 ? "muted" : "on");
    else
      printf(" %s%s\n", where(p), p->is_host ? " host" : "");
    break;
  case USM_EVENT_LOCK:
    printf("lock %s\n", ev->locked ? "locked" : "unlocked");
    break;
  case USM_EVENT_CONNECTION:
  case USM_EVENT_ERROR:
  case USM_EVENT_MEDIA:
    if (ev->type == USM_EVENT_CONNECTION)
      printf("connection %s", usm_connection_state_name(ev->connection));
    else if (ev->type == USM_EVENT_MEDIA)
      printf("media %s", usm_media_state_name(ev->media));
    else
      printf("error");
    if (ev->error != USM_OK) printf(" %s", usm_err_name(ev->error));
    if (ev->detail) {
      printf(": ");
      put_text(ev->detail);
    }
    printf("\n");
    break;
  case USM_EVENT_ROAP:
    printf("roap message\n");
    break;
  case USM_EVENT_STATS: /* join_out_stats */
    break;
  }
}

void join_out_event(join_out *o, const usm_meeting *m, const usm_event *ev) {
  if (ev->type == USM_EVENT_STATS) return join_out_stats(o, ev->stats);
  if (!o->events && ev->type != USM_EVENT_STATE && ev->type != USM_EVENT_PASSWORD &&
      !(o->media && ev->type == USM_EVENT_MEDIA))
    return;
  if (o->json) {
    event_json(m, ev);
  } else if (o->live) {
    o->m = m;
    erase_live(o);
    /* the roster shows joins, leaves, mutes and the host; only what it cannot show scrolls */
    if (ev->type == USM_EVENT_STATE || ev->type == USM_EVENT_PASSWORD || ev->type == USM_EVENT_LOCK ||
        ev->type == USM_EVENT_CONNECTION || ev->type == USM_EVENT_ERROR || ev->type == USM_EVENT_MEDIA)
      event_line(m, ev);
    draw_live(o);
  } else {
    erase_live(o); /* a live stats line, if any */
    event_line(m, ev);
    draw_live(o);
  }
  fflush(stdout);
}

void join_out_roster(join_out *o, const usm_meeting *m) {
  erase_live(o);
  size_t n = usm_meeting_participant_count(m);
  if (o->json) printf("{\"roster\":[");
  for (size_t i = 0; i < n; i++) {
    usm_participant p;
    if (usm_meeting_participant(m, i, &p) != USM_OK) continue;
    if (o->json) {
      if (i) printf(",");
      participant_json(&p);
    } else {
      printf("  %-36s ", p.id);
      put_text(p.name);
      printf("  %-14s%s%s%s\n", where(&p), p.is_host ? " host" : "", p.audio_muted == 1 ? " muted" : "",
             p.is_self ? " (you)" : "");
    }
  }
  if (o->json) printf("]}\n");
  draw_live(o);
  fflush(stdout);
}

void join_out_state(join_out *o, const usm_meeting *m) {
  erase_live(o);
  const char *num = usm_meeting_number(m), *sip = usm_meeting_sip_uri(m), *link = usm_meeting_link(m);
  const char *conn = usm_connection_state_name(usm_meeting_connection_state(m));
  if (o->json) {
    printf("{\"state\":\"%s\",\"passwordStatus\":%d,\"connection\":\"%s\",\"meetingNumber\":",
           usm_meeting_state_name(usm_meeting_get_state(m)), (int)usm_meeting_password_status(m), conn);
    cli_json_string(stdout, num);
    printf(",\"sipUri\":");
    cli_json_string(stdout, sip);
    printf(",\"link\":");
    cli_json_string(stdout, link);
    printf("}\n");
  } else {
    printf("state %s\nevents %s\nmeeting number %s\nsip uri %s\nlink %s\n",
           usm_meeting_state_name(usm_meeting_get_state(m)), conn, num ? num : "-", sip ? sip : "-",
           link ? link : "-");
  }
  draw_live(o);
  fflush(stdout);
}

void join_out_captcha(join_out *o, const usm_meeting *m) {
  usm_captcha c;
  if (usm_meeting_captcha(m, &c) != USM_OK) {
    join_out_result(o, "captcha", USM_ERR_WRONG_STATE, "no captcha is pending");
    return;
  }
  erase_live(o);
  if (o->json) {
    printf("{\"captcha\":{\"id\":");
    cli_json_string(stdout, c.id);
    printf(",\"image\":");
    cli_json_string(stdout, c.image_url);
    printf(",\"audio\":");
    cli_json_string(stdout, c.audio_url);
    printf("}}\n");
  } else {
    printf("captcha %s\n  image %s\n  audio %s\n", c.id, c.image_url, c.audio_url);
  }
  draw_live(o);
  fflush(stdout);
}
