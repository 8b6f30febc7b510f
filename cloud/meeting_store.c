#include "meeting_store.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "captcha.h"
#include "core/strbuf.h"
#include "locus_model.h"

int cloud_meeting_set(char **field, const char *value) {
  char *copy = NULL;
  if (value && !(copy = usm__strdup(value))) return -1;
  free(*field);
  *field = copy;
  return 0;
}

cloud_meeting *cloud_meeting_new(cloud_store *s, cloud_meeting_kind kind, cloud_user *host) {
  if (s->meetings.len >= CLOUD_MAX_MEETINGS) return NULL;
  cloud_meeting *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->kind = kind;
  m->host = host;
  /* Ids and numbers are random; retry the (unlikely) collisions. */
  do cloud_hex_id(m->id, 16);
  while (cloud_meeting_by_id(s, m->id));
  do cloud_digits(m->number, 10, 1);
  while (cloud_meeting_by_number(s, m->number));
  cloud_hex_id(m->mtid, 16);
  cloud_digits(m->host_key, 6, 0);
  cloud_digits(m->video_password, 8, 1);
  char pw[9];
  cloud_password(pw);
  if (cloud_meeting_set(&m->password, pw) != 0 || cloud_vec_push(&s->meetings, m) != 0) {
    cloud_meeting_free(m);
    return NULL;
  }
  return m;
}

static void free_strings(cloud_vec *v) {
  for (size_t i = 0; i < v->len; i++) free(v->items[i]);
  cloud_vec_free(v);
}

static void invitee_free(cloud_invitee *inv) {
  free(inv->email);
  free(inv->display_name);
  free(inv);
}

void cloud_meeting_free(cloud_meeting *m) {
  if (!m) return;
  for (size_t i = 0; i < m->invitees.len; i++) invitee_free(m->invitees.items[i]);
  cloud_vec_free(&m->invitees);
  free_strings(&m->live_invitees);
  free_strings(&m->tries);
  cJSON_Delete(m->options);
  free(m->room_name);
  free(m->title);
  free(m->agenda);
  free(m->password);
  free(m->timezone);
  free(m->recurrence);
  free(m);
}

void cloud_meeting_delete(cloud_store *s, cloud_meeting *m) {
  for (size_t i = s->loci.len; i-- > 0;) {
    cloud_locus *l = s->loci.items[i];
    if (l->meeting == m) cloud_locus_free(s, l);
  }
  cloud_captcha_drop_meeting(s, m->id);
  for (size_t i = 0; i < s->users.len; i++) {
    cloud_user *u = s->users.items[i];
    if (u->pmr == m) u->pmr = NULL;
  }
  cloud_vec_remove(&s->meetings, m);
  cloud_meeting_free(m);
}

cloud_meeting *cloud_meeting_by_id(const cloud_store *s, const char *id) {
  for (size_t i = 0; id && i < s->meetings.len; i++) {
    cloud_meeting *m = s->meetings.items[i];
    if (strcmp(m->id, id) == 0) return m;
  }
  return NULL;
}

cloud_meeting *cloud_meeting_by_number(const cloud_store *s, const char *number) {
  for (size_t i = 0; number && i < s->meetings.len; i++) {
    cloud_meeting *m = s->meetings.items[i];
    if (strcmp(m->number, number) == 0) return m;
  }
  return NULL;
}

cloud_meeting *cloud_meeting_by_link(const cloud_store *s, const char *url) {
  char link[512];
  for (size_t i = 0; url && i < s->meetings.len; i++) {
    cloud_meeting *m = s->meetings.items[i];
    cloud_meeting_link(m, link, sizeof link);
    /* Scheduled links match exactly; personal room links ignore case. */
    if (m->kind == CLOUD_MEETING_PERSONAL_ROOM ? strcasecmp(link, url) == 0
                                               : strcmp(link, url) == 0)
      return m;
  }
  return NULL;
}

cloud_meeting *cloud_meeting_by_sip(const cloud_store *s, const char *sip) {
  if (!sip) return NULL;
  if (strncasecmp(sip, "sips:", 5) == 0)
    sip += 5;
  else if (strncasecmp(sip, "sip:", 4) == 0)
    sip += 4;
  const char *at = strchr(sip, '@');
  if (!at || at == sip) return NULL;
  size_t local = (size_t)(at - sip);
  if (strcasecmp(at + 1, CLOUD_SITE) == 0) {
    for (size_t i = 0; i < s->meetings.len; i++) {
      cloud_meeting *m = s->meetings.items[i];
      /* "<number>@site" reaches any meeting; "<room>@site" a personal room. */
      if (strlen(m->number) == local && strncmp(m->number, sip, local) == 0) return m;
      if (m->room_name && strlen(m->room_name) == local &&
          strncasecmp(m->room_name, sip, local) == 0)
        return m;
    }
    return NULL;
  }
  /* A person's address: their personal room. */
  cloud_user *u = cloud_user_by_email(s, sip);
  return u ? u->pmr : NULL;
}

cloud_meeting *cloud_meeting_adhoc_of(const cloud_store *s, const cloud_space *space) {
  for (size_t i = 0; i < s->meetings.len; i++) {
    cloud_meeting *m = s->meetings.items[i];
    if (m->kind == CLOUD_MEETING_ADHOC && m->space == space && !m->ended) return m;
  }
  return NULL;
}

void cloud_meeting_sip(const cloud_meeting *m, char *out, size_t cap) {
  snprintf(out, cap, "%s@%s", m->kind == CLOUD_MEETING_PERSONAL_ROOM ? m->room_name : m->number,
           CLOUD_SITE);
}

void cloud_meeting_link(const cloud_meeting *m, char *out, size_t cap) {
  if (m->kind == CLOUD_MEETING_PERSONAL_ROOM)
    snprintf(out, cap, "https://%s/meet/%s", CLOUD_SITE, m->room_name);
  else
    snprintf(out, cap, "https://%s/%s/j.php?MTID=m%s", CLOUD_SITE, CLOUD_SITE_NAME, m->mtid);
}

const char *cloud_meeting_state(const cloud_meeting *m) {
  if (m->ended) return "ended";
  if (m->locus && !m->locus->ended && cloud_locus_joined(m->locus) > 0) return "inProgress";
  /* "active" is a series state; an instant meeting is a single instance. */
  return m->kind == CLOUD_MEETING_ADHOC ? "ready" : "active";
}

cloud_invitee *cloud_invitee_add(cloud_meeting *m, const char *email, const char *name, int co_host,
                                 int panelist) {
  if (m->invitees.len >= CLOUD_MAX_INVITEES) return NULL;
  cloud_invitee *inv = calloc(1, sizeof *inv);
  if (!inv) return NULL;
  inv->email = usm__strdup(email);
  inv->display_name = usm__strdup(name ? name : email);
  if (!inv->email || !inv->display_name || cloud_vec_push(&m->invitees, inv) != 0) {
    invitee_free(inv);
    return NULL;
  }
  snprintf(inv->id, sizeof inv->id, "%s_%u", m->id, ++m->next_invitee);
  inv->co_host = co_host;
  inv->panelist = panelist;
  return inv;
}

cloud_invitee *cloud_invitee_by_email(const cloud_meeting *m, const char *email) {
  for (size_t i = 0; i < m->invitees.len; i++) {
    cloud_invitee *inv = m->invitees.items[i];
    if (cloud_email_eq(inv->email, email)) return inv;
  }
  return NULL;
}

cloud_invitee *cloud_invitee_by_id(const cloud_store *s, const char *id, cloud_meeting **owner) {
  /* "<meeting id>_<n>": find the meeting first. */
  const char *us = id ? strchr(id, '_') : NULL;
  if (!us || us - id != CLOUD_MEETING_ID_SIZE - 1) return NULL;
  char mid[CLOUD_MEETING_ID_SIZE];
  memcpy(mid, id, sizeof mid - 1);
  mid[sizeof mid - 1] = '\0';
  cloud_meeting *m = cloud_meeting_by_id(s, mid);
  for (size_t i = 0; m && i < m->invitees.len; i++) {
    cloud_invitee *inv = m->invitees.items[i];
    if (strcmp(inv->id, id) == 0) {
      if (owner) *owner = m;
      return inv;
    }
  }
  return NULL;
}

void cloud_invitee_remove(cloud_meeting *m, cloud_invitee *inv) {
  if (cloud_vec_remove(&m->invitees, inv)) invitee_free(inv);
}

int cloud_meeting_invite_live(cloud_meeting *m, const char *email) {
  for (size_t i = 0; i < m->live_invitees.len; i++)
    if (cloud_email_eq(m->live_invitees.items[i], email)) return 0;
  if (m->live_invitees.len >= CLOUD_MAX_LIVE_INVITEES) return -1;
  char *e = usm__strdup(email);
  if (!e || cloud_vec_push(&m->live_invitees, e) != 0) {
    free(e);
    return -1;
  }
  return 0;
}

int cloud_meeting_is_invitee(const cloud_meeting *m, const cloud_user *u) {
  if (!u->email) return 0;
  if (cloud_invitee_by_email(m, u->email)) return 1;
  for (size_t i = 0; i < m->live_invitees.len; i++)
    if (cloud_email_eq(m->live_invitees.items[i], u->email)) return 1;
  return 0;
}

int cloud_meeting_is_member(const cloud_meeting *m, const cloud_user *u) {
  return m->space && cloud_space_has(m->space, u);
}

int cloud_meeting_is_trusted(const cloud_meeting *m, const cloud_user *u) {
  return u == m->host || cloud_meeting_is_invitee(m, u) || cloud_meeting_is_member(m, u);
}

int cloud_meeting_visible(const cloud_meeting *m, const cloud_user *u, const char *password) {
  if (m->kind == CLOUD_MEETING_PERSONAL_ROOM) return 0;
  if (cloud_meeting_is_trusted(m, u)) return 1;
  return password && m->password && strlen(password) == strlen(m->password) &&
         CRYPTO_memcmp(password, m->password, strlen(password)) == 0;
}

void cloud_meeting_end(cloud_store *s, cloud_meeting *m) {
  if (m->locus && !m->locus->ended) cloud_locus_finish(m->locus);
  m->ended = 1;
  cloud_captcha_drop_meeting(s, m->id);
  free_strings(&m->tries);
}
