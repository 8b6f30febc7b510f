/* Event logs of the live-event tests: every event a meeting reports is
 * recorded (time, type, participant snapshot), checked on arrival against a
 * model built from the events so far (no duplicate, no event that changes
 * nothing), and matched afterwards against expected sequences and against
 * the roster the cloud holds. */
#ifndef USM_E2E_EV_LOG_H
#define USM_E2E_EV_LOG_H

#include <stddef.h>
#include <usm/usm.h>

#include "e2e_world.h"

/* Fixed capacity: the log never allocates after ev_log_init (the reconnect
 * cycle test measures the heap). */
#define EV_MAX_RECS 2048
#define EV_MAX_MODEL 64
#define EV_ID 128

typedef struct ev_rec {
  long t_ms;
  usm_event_type type;
  usm_meeting_state state;
  usm_roster_change change;
  int has_p;
  char pid[EV_ID], name[EV_ID];
  int in_meeting, in_lobby, is_host, is_self, audio, video;
  int locked;
  usm_connection_state conn;
  usm_connection_state conn_now; /* usm_meeting_connection_state() during the callback */
  usm_err error;
  char detail[160];
} ev_rec;

typedef struct ev_part {
  char id[EV_ID], name[EV_ID];
  int in_meeting, in_lobby, is_host, audio, video;
  int mute_a, mute_v; /* last mute reported by USM_EVENT_MUTE (or at JOINED) */
} ev_part;

typedef struct ev_log {
  const char *who;
  usm_meeting *m;
  ev_rec *recs;
  size_t n;
  int overflow;
  ev_part model[EV_MAX_MODEL];
  size_t nmodel;
  char host_id[EV_ID];
  int locked;
  int state;
  int conn;
  int violations;
  char violation[4][256];
} ev_log;

/* Patterns: -1 (or NULL) means "any"; change USM_ROSTER_NONE means joined or changed. */
typedef struct ev_pat {
  usm_event_type type;
  usm_roster_change change;
  const char *name;
  int where; /* 1 in_meeting, 2 in_lobby, -1 any */
  int is_host, audio, locked, conn, state, error;
} ev_pat;

ev_pat ev_roster(usm_roster_change change, const char *name, int where);
ev_pat ev_mute(const char *name, int audio);
ev_pat ev_host(const char *name);
ev_pat ev_lock(int locked);
ev_pat ev_conn(usm_connection_state s);
ev_pat ev_state(usm_meeting_state s);
ev_pat ev_error(usm_err e);

/* 0 on success. */
int ev_log_init(ev_log *l, const char *who);
void ev_log_free(ev_log *l);
/* Record @p m's events into @p l. */
void ev_attach(ev_log *l, usm_meeting *m);

int ev_match(const ev_rec *r, const ev_pat *p);
/* Index of the first match at or after @p from, or -1. */
long ev_find(const ev_log *l, size_t from, ev_pat p);
size_t ev_count(const ev_log *l, ev_pat p);
/* Pump @p w until a match at or after @p from shows up (at most @p ms); index or -1. */
long ev_wait(e2e_world *w, const ev_log *l, size_t from, ev_pat p, long ms);
/* Each pattern matches exactly once, in this order; prints what is wrong. 1 when so. */
int ev_in_order(const ev_log *l, const ev_pat *pats, size_t n);
/* No violation recorded, no overflow, and the model built from the events
 * equals the meeting's roster (accessors). 1 when so; prints what is wrong. */
int ev_consistent(const ev_log *l);
/* The meeting's roster equals the cloud's (GET locus as @p token, the meeting's user):
 * ids, in meeting / in lobby, host role, audio mute. 1 when so; @p why gets the first difference. */
int ev_matches_server(const e2e_world *w, const ev_log *l, const char *token, char *why, size_t cap);
/* Every event's `connection` is the channel's current state (the header's
 * "else the current one"); prints the first mismatch. 1 when so. */
int ev_connection_field_ok(const ev_log *l);
/* Pump until ev_matches_server (at most @p ms); 1 when it does; prints the difference otherwise. */
int ev_wait_server(e2e_world *w, const ev_log *l, const char *token, long ms);
/* Print the log to stderr. */
void ev_dump(const ev_log *l);
const char *ev_type_name(usm_event_type t);

/* Latencies (ms) of pushed events: median of what was added. */
typedef struct ev_lat {
  long v[256];
  size_t n;
} ev_lat;
void ev_lat_add(ev_lat *s, long ms);
long ev_lat_median(const ev_lat *s);

#endif
