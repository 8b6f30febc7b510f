#include "join_output.h"

#include <stdio.h>

#include "output.h"

void join_out_init(join_out *o, int json, int events) {
  o->json = json;
  o->events = events;
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

static const char *where(const usm_participant *p) {
  return p->in_meeting ? "in_meeting" : p->in_lobby ? "in_lobby" : "not_in_meeting";
}

void join_out_result(const join_out *o, const char *op, usm_err err, const char *message) {
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
    printf("error %d (%s) %s: %s\n", (int)err, usm_err_name(err), op,
           message && *message ? message : usm_strerror(err));
  }
  fflush(stdout);
}

void join_out_event(const join_out *o, const usm_meeting *m, const usm_event *ev) {
  if (!o->events && ev->type != USM_EVENT_STATE && ev->type != USM_EVENT_PASSWORD) return;
  static const char *names[] = {"?", "state", "password", "roster", "host", "lock"};
  const char *type = (unsigned)ev->type < sizeof names / sizeof names[0] ? names[ev->type] : "?";
  if (o->json) {
    printf("{\"event\":\"%s\",\"state\":\"%s\"", type, usm_meeting_state_name(ev->state));
    if (ev->type == USM_EVENT_PASSWORD) printf(",\"passwordStatus\":%d", (int)usm_meeting_password_status(m));
    if (ev->type == USM_EVENT_LOCK) printf(",\"locked\":%s", ev->locked ? "true" : "false");
    if (ev->participant) {
      printf(",\"participant\":");
      participant_json(ev->participant);
    }
    printf("}\n");
  } else if (ev->type == USM_EVENT_STATE) {
    printf("state %s\n", usm_meeting_state_name(ev->state));
  } else if (ev->type == USM_EVENT_PASSWORD) {
    usm_captcha c;
    printf("password %s%s\n",
           usm_meeting_password_status(m) == USM_PASSWORD_REQUIRED ? "required" : "ok",
           usm_meeting_captcha(m, &c) == USM_OK ? " (captcha pending: see 'captcha')" : "");
  } else if (ev->participant) {
    printf("%s %s %s%s\n", type, ev->participant->name ? ev->participant->name : ev->participant->id,
           where(ev->participant), ev->participant->is_host ? " host" : "");
  } else if (ev->type == USM_EVENT_LOCK) {
    printf("lock %s\n", ev->locked ? "locked" : "unlocked");
  }
  fflush(stdout);
}

void join_out_roster(const join_out *o, const usm_meeting *m) {
  size_t n = usm_meeting_participant_count(m);
  if (o->json) printf("{\"roster\":[");
  for (size_t i = 0; i < n; i++) {
    usm_participant p;
    if (usm_meeting_participant(m, i, &p) != USM_OK) continue;
    if (o->json) {
      if (i) printf(",");
      participant_json(&p);
    } else {
      printf("  %-36s %-24s %-14s%s%s\n", p.id, p.name ? p.name : "-", where(&p), p.is_host ? " host" : "",
             p.is_self ? " (you)" : "");
    }
  }
  if (o->json) printf("]}\n");
  fflush(stdout);
}

void join_out_state(const join_out *o, const usm_meeting *m) {
  const char *num = usm_meeting_number(m), *sip = usm_meeting_sip_uri(m), *link = usm_meeting_link(m);
  if (o->json) {
    printf("{\"state\":\"%s\",\"passwordStatus\":%d,\"meetingNumber\":", usm_meeting_state_name(usm_meeting_get_state(m)),
           (int)usm_meeting_password_status(m));
    cli_json_string(stdout, num);
    printf(",\"sipUri\":");
    cli_json_string(stdout, sip);
    printf(",\"link\":");
    cli_json_string(stdout, link);
    printf("}\n");
  } else {
    printf("state %s\nmeeting number %s\nsip uri %s\nlink %s\n", usm_meeting_state_name(usm_meeting_get_state(m)),
           num ? num : "-", sip ? sip : "-", link ? link : "-");
  }
  fflush(stdout);
}

void join_out_captcha(const join_out *o, const usm_meeting *m) {
  usm_captcha c;
  if (usm_meeting_captcha(m, &c) != USM_OK) {
    join_out_result(o, "captcha", USM_ERR_WRONG_STATE, "no captcha is pending");
    return;
  }
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
  fflush(stdout);
}
