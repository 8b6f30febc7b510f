#include "meeting/roster.h"

#include <stdlib.h>
#include <string.h>

static int str_eq(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

int usm__lpart_differs(const usm__lpart *a, const usm__lpart *b) {
  return !str_eq(a->name, b->name) || !str_eq(a->email, b->email) || !str_eq(a->person_id, b->person_id) ||
         a->state != b->state || a->in_lobby != b->in_lobby || a->is_host != b->is_host ||
         a->is_guest != b->is_guest || a->is_self != b->is_self || a->audio_muted != b->audio_muted ||
         a->video_muted != b->video_muted;
}

static int by_id(const void *a, const void *b) {
  const usm__lpart *const *x = a, *const *y = b;
  return strcmp((*x)->id, (*y)->id);
}

/* Entries of @p l sorted by id, or NULL when empty or out of memory. */
static const usm__lpart **sorted(const usm__locus *l) {
  if (!l || l->n_roster == 0) return NULL;
  const usm__lpart **v = malloc(l->n_roster * sizeof *v);
  if (!v) return NULL;
  for (size_t i = 0; i < l->n_roster; i++) v[i] = &l->roster[i];
  qsort(v, l->n_roster, sizeof *v, by_id);
  return v;
}

/* @p id in @p l: by binary search in @p index, or linearly without one. */
static const usm__lpart *find(const usm__locus *l, const usm__lpart **index, const char *id) {
  if (!l) return NULL;
  if (!index) {
    for (size_t i = 0; i < l->n_roster; i++)
      if (strcmp(l->roster[i].id, id) == 0) return &l->roster[i];
    return NULL;
  }
  usm__lpart key = {.id = (char *)id};
  const usm__lpart *kp = &key;
  const usm__lpart **hit = bsearch(&kp, index, l->n_roster, sizeof *index, by_id);
  return hit ? *hit : NULL;
}

int usm__roster_diff(const usm__locus *old, const usm__locus *cur, usm__roster_fn fn, void *ctx) {
  const usm__lpart **old_ix = sorted(old), **cur_ix = sorted(cur);
  int go = 1;
  for (size_t i = 0; go && cur && i < cur->n_roster; i++) {
    const usm__lpart *p = &cur->roster[i], *was = find(old, old_ix, p->id);
    if (!was)
      go = fn(ctx, USM_ROSTER_JOINED, p, NULL);
    else if (usm__lpart_differs(was, p))
      go = fn(ctx, USM_ROSTER_CHANGED, p, was);
  }
  for (size_t i = 0; go && old && i < old->n_roster; i++)
    if (!find(cur, cur_ix, old->roster[i].id)) go = fn(ctx, USM_ROSTER_LEFT, &old->roster[i], NULL);
  free(old_ix);
  free(cur_ix);
  return go;
}

const usm__lpart *usm__roster_host(const usm__locus *l) {
  for (size_t i = 0; l && i < l->n_roster; i++)
    if (l->roster[i].is_host && l->roster[i].state == USM__P_JOINED) return &l->roster[i];
  return NULL;
}

void usm__lpart_view(const usm__lpart *p, usm_participant *out) {
  memset(out, 0, sizeof *out);
  out->id = p->id;
  out->name = p->name;
  out->email = p->email;
  out->person_id = p->person_id;
  out->in_meeting = p->state == USM__P_JOINED;
  out->in_lobby = p->in_lobby;
  out->is_host = p->is_host;
  out->is_self = p->is_self;
  out->is_guest = p->is_guest;
  out->audio_muted = p->audio_muted;
  out->video_muted = p->video_muted;
}
