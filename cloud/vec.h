/* A growable array of pointers: the tables of the in-memory store. */
#ifndef USM_CLOUD_VEC_H
#define USM_CLOUD_VEC_H

#include <stddef.h>

typedef struct cloud_vec {
  void **items;
  size_t len;
  size_t cap;
} cloud_vec;

/* 0, or -1 when out of memory (the vector is unchanged then). */
int cloud_vec_push(cloud_vec *v, void *item);
/* Removes item @p i, keeping the order of the others. */
void cloud_vec_remove_at(cloud_vec *v, size_t i);
/* Removes @p item if present; 1 when it was there. */
int cloud_vec_remove(cloud_vec *v, const void *item);
/* Frees the array (not the items). */
void cloud_vec_free(cloud_vec *v);

#endif
