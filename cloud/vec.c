#include "vec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int cloud_vec_push(cloud_vec *v, void *item) {
  if (v->len == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 8;
    if (cap > SIZE_MAX / sizeof *v->items) return -1;
    void **p = realloc(v->items, cap * sizeof *p);
    if (!p) return -1;
    v->items = p;
    v->cap = cap;
  }
  v->items[v->len++] = item;
  return 0;
}

void cloud_vec_remove_at(cloud_vec *v, size_t i) {
  if (i >= v->len) return;
  memmove(v->items + i, v->items + i + 1, (v->len - i - 1) * sizeof *v->items);
  v->len--;
}

int cloud_vec_remove(cloud_vec *v, const void *item) {
  for (size_t i = 0; i < v->len; i++) {
    if (v->items[i] == item) {
      cloud_vec_remove_at(v, i);
      return 1;
    }
  }
  return 0;
}

void cloud_vec_free(cloud_vec *v) {
  free(v->items);
  v->items = NULL;
  v->len = v->cap = 0;
}
