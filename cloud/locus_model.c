#include "locus_model.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "timefmt.h"

static void changed(cloud_locus *l) {
  l->sequence++;
  l->last_active_ms = cloud_now_ms();
  cloud_store *s = l->store;
  if (s->locus_changed) s->locus_changed(s->locus_changed_user, l);
}

static void participant_free(cloud_participant *p) {
  free(p->device_url);
  free(p->correlation_id);
  free(p->alias);
  free(p);
}

void cloud_locus_free(cloud_store *s, cloud_locus *l) {
  cloud_vec_remove(&s->loci, l);
  if (l->meeting && l->meeting->locus == l) l->meeting->locus = NULL;
  for (size_t i = 0; i < l->participants.len; i++) participant_free(l->participants.items[i]);
  cloud_vec_free(&l->participants);
  cJSON_Delete(l->mercury_base);
  free(l);
}

cloud_locus *cloud_locus_by_id(const cloud_store *s, const char *id) {
  for (size_t i = 0; id && i < s->loci.len; i++) {
    cloud_locus *l = s->loci.items[i];
    if (strcmp(l->id, id) == 0) return l;
  }
  return NULL;
}

/* Makes room by dropping the oldest ended session. */
static void trim(cloud_store *s) {
  for (size_t i = 0; s->loci.len >= CLOUD_MAX_LOCI && i < s->loci.len; i++) {
    cloud_locus *l = s->loci.items[i];
    if (l->ended) {
      cloud_locus_free(s, l);
      return;
    }
  }
}

cloud_locus *cloud_locus_for(cloud_store *s, cloud_meeting *m) {
  if (m->locus && !(m->locus->ended && m->kind == CLOUD_MEETING_PERSONAL_ROOM)) return m->locus;
  trim(s);
  if (s->loci.len >= CLOUD_MAX_LOCI) return NULL;
  cloud_locus *l = calloc(1, sizeof *l);
  if (!l || cloud_vec_push(&s->loci, l) != 0) {
    free(l);
    return NULL;
  }
  cloud_uuid(l->id);
  l->store = s;
  l->meeting = m;
  l->host = m->host;
  l->sequence = 1;
  l->created_ms = l->last_active_ms = cloud_now_ms();
  cloud_digits(l->conf_id, 18, 1);
  m->locus = l;
  /* A personal room opens a new session after the last one ended; other
   * meetings stay over. */
  if (m->ended && m->kind == CLOUD_MEETING_PERSONAL_ROOM)
    m->ended = 0;
  else if (m->ended)
    l->ended = 1;
  return l;
}

cloud_participant *cloud_locus_participant(const cloud_locus *l, const char *id) {
  for (size_t i = 0; id && i < l->participants.len; i++) {
    cloud_participant *p = l->participants.items[i];
    if (strcmp(p->id, id) == 0) return p;
  }
  return NULL;
}

cloud_participant *cloud_locus_participant_of(const cloud_locus *l, const cloud_user *u) {
  for (size_t i = 0; i < l->participants.len; i++) {
    cloud_participant *p = l->participants.items[i];
    if (p->user == u) return p;
  }
  return NULL;
}

size_t cloud_locus_joined(const cloud_locus *l) {
  size_t n = 0;
  for (size_t i = 0; i < l->participants.len; i++)
    n += ((cloud_participant *)l->participants.items[i])->state == CLOUD_PART_JOINED;
  return n;
}

int cloud_participant_in_lobby(const cloud_participant *p) { return p->state == CLOUD_PART_IDLE; }

/* The requester's participant if it is joined and holds the host role. */
static int is_moderator(const cloud_locus *l, const cloud_user *u) {
  const cloud_participant *p = cloud_locus_participant_of(l, u);
  return p && p->state == CLOUD_PART_JOINED && p->moderator;
}

static int set_str(char **field, const char *value) {
  if (!value) return 0;
  return cloud_meeting_set(field, value);
}

static int pin_claims_host(const cloud_locus *l, const cloud_join *j) {
  const char *key = l->meeting->host_key;
  return j->moderator && j->pin && strlen(j->pin) == strlen(key) &&
         CRYPTO_memcmp(j->pin, key, strlen(key)) == 0;
}

static void give_host(cloud_locus *l, cloud_user *u) {
  for (size_t i = 0; i < l->participants.len; i++) {
    cloud_participant *p = l->participants.items[i];
    p->moderator = p->user == u;
  }
  l->host = u;
}

cloud_locus_rc cloud_locus_join(cloud_locus *l, cloud_user *u, const cloud_join *j,
                                cloud_participant **out) {
  *out = NULL;
  if (l->ended) return CLOUD_LOCUS_NOT_ACTIVE;
  int claim = pin_claims_host(l, j);
  if (l->locked && u != l->host && !claim) return CLOUD_LOCUS_LOCKED;
  cloud_participant *p = cloud_locus_participant_of(l, u);
  if (!p) {
    if (l->participants.len >= CLOUD_MAX_PARTICIPANTS) return CLOUD_LOCUS_FULL;
    p = calloc(1, sizeof *p);
    if (!p || cloud_vec_push(&l->participants, p) != 0) {
      free(p);
      return CLOUD_LOCUS_NO_MEMORY;
    }
    cloud_uuid(p->id);
    p->user = u;
    p->state = CLOUD_PART_LEFT;
  }
  if (set_str(&p->device_url, j->device_url) || set_str(&p->correlation_id, j->correlation_id) ||
      set_str(&p->alias, j->alias))
    return CLOUD_LOCUS_NO_MEMORY;
  if (claim) give_host(l, u);
  const cloud_meeting *m = l->meeting;
  if (u == l->host || cloud_meeting_is_trusted(m, u))
    p->state = CLOUD_PART_JOINED;
  else if (p->state != CLOUD_PART_JOINED)
    p->state = CLOUD_PART_IDLE; /* the lobby, until a moderator admits */
  p->moderator = u == l->host;
  changed(l);
  *out = p;
  return CLOUD_LOCUS_OK;
}

cloud_locus_rc cloud_locus_leave(cloud_locus *l, const cloud_user *u, const char *pid) {
  if (l->ended) return CLOUD_LOCUS_NOT_ACTIVE;
  cloud_participant *p = cloud_locus_participant(l, pid);
  if (!p) return CLOUD_LOCUS_NOT_FOUND;
  if (p->user != u && !is_moderator(l, u)) return CLOUD_LOCUS_NOT_MODERATOR;
  if (p->state == CLOUD_PART_LEFT) return CLOUD_LOCUS_OK;
  p->state = CLOUD_PART_LEFT;
  changed(l);
  return CLOUD_LOCUS_OK;
}

void cloud_locus_finish(cloud_locus *l) {
  if (l->ended) return;
  l->ended = 1;
  for (size_t i = 0; i < l->participants.len; i++)
    ((cloud_participant *)l->participants.items[i])->state = CLOUD_PART_LEFT;
  changed(l);
}

cloud_locus_rc cloud_locus_end(cloud_locus *l, const cloud_user *u) {
  if (l->ended) return CLOUD_LOCUS_NOT_ACTIVE;
  if (!is_moderator(l, u)) return CLOUD_LOCUS_NOT_MODERATOR;
  cloud_meeting_end(l->store, l->meeting);
  return CLOUD_LOCUS_OK;
}

cloud_locus_rc cloud_locus_admit(cloud_locus *l, const cloud_user *u, const char *const *pids,
                                 size_t n) {
  if (l->ended) return CLOUD_LOCUS_NOT_ACTIVE;
  if (!is_moderator(l, u)) return CLOUD_LOCUS_NOT_MODERATOR;
  if (n == 0) return CLOUD_LOCUS_BAD_TARGET;
  /* All or nothing: check every id before admitting anyone. */
  for (size_t i = 0; i < n; i++) {
    cloud_participant *p = cloud_locus_participant(l, pids[i]);
    if (!p || !cloud_participant_in_lobby(p)) return CLOUD_LOCUS_BAD_TARGET;
  }
  for (size_t i = 0; i < n; i++) cloud_locus_participant(l, pids[i])->state = CLOUD_PART_JOINED;
  changed(l);
  return CLOUD_LOCUS_OK;
}

cloud_locus_rc cloud_locus_lock(cloud_locus *l, const cloud_user *u, int locked) {
  if (l->ended) return CLOUD_LOCUS_NOT_ACTIVE;
  if (!is_moderator(l, u)) return CLOUD_LOCUS_NOT_MODERATOR;
  if (l->locked != !!locked) {
    l->locked = !!locked;
    changed(l);
  }
  return CLOUD_LOCUS_OK;
}

cloud_locus_rc cloud_locus_set_host(cloud_locus *l, const cloud_user *u, const char *pid) {
  if (l->ended) return CLOUD_LOCUS_NOT_ACTIVE;
  if (!is_moderator(l, u)) return CLOUD_LOCUS_NOT_MODERATOR;
  cloud_participant *p = cloud_locus_participant(l, pid);
  if (!p || p->state != CLOUD_PART_JOINED) return CLOUD_LOCUS_BAD_TARGET;
  if (p->user != l->host) {
    give_host(l, p->user);
    changed(l);
  }
  return CLOUD_LOCUS_OK;
}

cloud_locus_rc cloud_locus_mute(cloud_locus *l, const cloud_user *u, const char *pid, int audio,
                                int video) {
  if (l->ended) return CLOUD_LOCUS_NOT_ACTIVE;
  cloud_participant *p = cloud_locus_participant(l, pid);
  if (!p) return CLOUD_LOCUS_NOT_FOUND;
  if (p->user != u && !is_moderator(l, u)) return CLOUD_LOCUS_NOT_MODERATOR;
  int before_a = p->audio_muted, before_v = p->video_muted;
  if (audio >= 0) p->audio_muted = audio;
  if (video >= 0) p->video_muted = video;
  if (before_a != p->audio_muted || before_v != p->video_muted) changed(l);
  return CLOUD_LOCUS_OK;
}

cloud_locus_rc cloud_locus_invite(cloud_locus *l, const cloud_user *u, const char *email) {
  if (l->ended) return CLOUD_LOCUS_NOT_ACTIVE;
  const cloud_participant *p = cloud_locus_participant_of(l, u);
  if (!p || p->state != CLOUD_PART_JOINED) return CLOUD_LOCUS_NOT_JOINED;
  if (cloud_meeting_invite_live(l->meeting, email) != 0) return CLOUD_LOCUS_FULL;
  changed(l);
  return CLOUD_LOCUS_OK;
}

cloud_locus_rc cloud_locus_keepalive(const cloud_locus *l, const cloud_user *u, const char *pid) {
  const cloud_participant *p = cloud_locus_participant(l, pid);
  if (!p || p->user != u || l->ended || !cloud_participant_in_lobby(p))
    return CLOUD_LOCUS_NOT_FOUND;
  return CLOUD_LOCUS_OK;
}

void cloud_locus_set_csis(cloud_locus *l, const char *pid, const uint32_t csis[2]) {
  cloud_participant *p = cloud_locus_participant(l, pid);
  if (!p || (p->csis[0] == csis[0] && p->csis[1] == csis[1])) return;
  p->csis[0] = csis[0];
  p->csis[1] = csis[1];
  changed(l);
}

cloud_locus_rc cloud_locus_add_bot(cloud_locus *l, cloud_user *u, const char *alias,
                                   const uint32_t csis[2], cloud_participant **out) {
  *out = NULL;
  if (l->ended) return CLOUD_LOCUS_NOT_ACTIVE;
  cloud_participant *p = cloud_locus_participant_of(l, u);
  if (!p) {
    if (l->participants.len >= CLOUD_MAX_PARTICIPANTS) return CLOUD_LOCUS_FULL;
    p = calloc(1, sizeof *p);
    if (!p || cloud_vec_push(&l->participants, p) != 0) {
      free(p);
      return CLOUD_LOCUS_NO_MEMORY;
    }
    cloud_uuid(p->id);
    p->user = u;
  }
  if (set_str(&p->alias, alias)) return CLOUD_LOCUS_NO_MEMORY;
  p->state = CLOUD_PART_JOINED;
  p->moderator = 0;
  p->bot = 1;
  p->csis[0] = csis[0];
  p->csis[1] = csis[1];
  changed(l);
  *out = p;
  return CLOUD_LOCUS_OK;
}
