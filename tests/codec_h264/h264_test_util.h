/* Helpers shared by the H.264 tests: an RBSP bit writer that builds SPS NAL
 * units (with emulation prevention), so that sizes, cropping, interlace and
 * high-profile fields can be chosen, and Annex B access unit building. */
#ifndef USM_TEST_H264_UTIL_H
#define USM_TEST_H264_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct bw {
  uint8_t b[256];
  size_t bit;
} bw;

static inline void bw_put(bw *w, unsigned v, unsigned n) {
  while (n--) {
    if ((v >> n) & 1u) w->b[w->bit >> 3] |= (uint8_t)(0x80u >> (w->bit & 7u));
    w->bit++;
  }
}

static inline void bw_ue(bw *w, unsigned v) {
  unsigned x = v + 1, n = 0;
  while ((x >> n) > 1) n++;
  bw_put(w, 0, n);
  bw_put(w, x, n + 1);
}

static inline void bw_se(bw *w, int v) { bw_ue(w, v > 0 ? (unsigned)(2 * v - 1) : (unsigned)(-2 * v)); }

typedef struct sps_desc {
  unsigned profile, constraints, level;
  unsigned mbs_w, map_h;  /* in macroblocks / map units */
  int frame_mbs_only;
  unsigned crop[4];       /* left right top bottom, in crop units; all 0: no cropping */
  unsigned chroma;        /* high profiles only */
  int scaling;            /* high profiles: write one 4x4 and one 8x8 scaling list */
  unsigned poc_type;
} sps_desc;

/* Writes the SPS NAL unit (header 0x67) into out; returns its length. */
static inline size_t sps_make(const sps_desc *d, uint8_t *out) {
  bw w;
  memset(&w, 0, sizeof w);
  bw_put(&w, d->profile, 8);
  bw_put(&w, d->constraints, 8);
  bw_put(&w, d->level, 8);
  bw_ue(&w, 0); /* sps_id */
  if (d->profile == 100) {
    bw_ue(&w, d->chroma);
    if (d->chroma == 3) bw_put(&w, 0, 1);
    bw_ue(&w, 0);
    bw_ue(&w, 0);
    bw_put(&w, 0, 1);
    bw_put(&w, d->scaling ? 1 : 0, 1);
    if (d->scaling) {
      unsigned lists = d->chroma != 3 ? 8 : 12;
      for (unsigned i = 0; i < lists; i++) {
        int present = i == 0 || i == 6;
        bw_put(&w, (unsigned)present, 1);
        if (present)
          for (unsigned j = 0; j < (i < 6 ? 16u : 64u); j++) bw_se(&w, j % 3 == 0 ? 3 : -1);
      }
    }
  }
  bw_ue(&w, 0); /* log2_max_frame_num_minus4 */
  bw_ue(&w, d->poc_type);
  if (d->poc_type == 0) bw_ue(&w, 2);
  if (d->poc_type == 1) {
    bw_put(&w, 0, 1);
    bw_se(&w, -1);
    bw_se(&w, 2);
    bw_ue(&w, 2);
    bw_se(&w, 1);
    bw_se(&w, -3);
  }
  bw_ue(&w, 1); /* max_num_ref_frames */
  bw_put(&w, 0, 1);
  bw_ue(&w, d->mbs_w - 1);
  bw_ue(&w, d->map_h - 1);
  bw_put(&w, d->frame_mbs_only ? 1 : 0, 1);
  if (!d->frame_mbs_only) bw_put(&w, 0, 1);
  bw_put(&w, 1, 1);
  int crop = d->crop[0] || d->crop[1] || d->crop[2] || d->crop[3];
  bw_put(&w, crop ? 1 : 0, 1);
  if (crop)
    for (int i = 0; i < 4; i++) bw_ue(&w, d->crop[i]);
  bw_put(&w, 0, 1); /* vui_parameters_present_flag */
  bw_put(&w, 1, 1); /* rbsp_stop_one_bit */
  size_t n = (w.bit + 7) / 8, o = 0, zeros = 0;
  out[o++] = 0x67;
  for (size_t i = 0; i < n; i++) {
    if (zeros >= 2 && w.b[i] <= 3) {
      out[o++] = 3;
      zeros = 0;
    }
    zeros = w.b[i] == 0 ? zeros + 1 : 0;
    out[o++] = w.b[i];
  }
  return o;
}

/* Appends a 4-byte start code and the NAL unit to au (cap checked by caller). */
static inline size_t au_add(uint8_t *au, size_t len, const uint8_t *nal, size_t n) {
  static const uint8_t sc[4] = {0, 0, 0, 1};
  memcpy(au + len, sc, 4);
  memcpy(au + len + 4, nal, n);
  return len + 4 + n;
}

/* A fake NAL unit: header byte, then n-1 bytes that never form 00 00 0x. */
static inline void nal_fill(uint8_t *nal, size_t n, uint8_t hdr, unsigned seed) {
  nal[0] = hdr;
  for (size_t i = 1; i < n; i++) nal[i] = (uint8_t)(1u + (seed * 31u + i * 7u) % 250u);
}

#endif
