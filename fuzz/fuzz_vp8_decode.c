/* Arbitrary frames into the VP8 decoder through the codec interface. The
 * first byte picks the decoder's size bound (so libvpx never allocates for a
 * huge picture); the rest is a sequence of [length: 2 bytes, big endian]
 * [frame] records, length 0 being a loss. Checks that every call returns OK,
 * MALFORMED, LIMIT or WRONG_STATE, that a picture comes out only with OK,
 * within the bound and from an intact chain, and reads every pixel of it
 * (ASan guards the planes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/vp8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned bounds[][2] = {{64, 64}, {176, 144}, {320, 240}, {640, 480}};

/* Touch every pixel so ASan sees any plane shorter than its stride says. */
static unsigned sum_planes(const usm__video_frame *v) {
  unsigned s = 0;
  for (int i = 0; i < 3; i++) {
    unsigned w = i ? (v->width + 1) / 2 : v->width, h = i ? (v->height + 1) / 2 : v->height;
    for (unsigned y = 0; y < h; y++)
      for (unsigned x = 0; x < w; x++) s += v->plane[i][(size_t)y * (size_t)v->stride[i] + x];
  }
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const unsigned *b = bounds[data[0] % (sizeof bounds / sizeof bounds[0])];
  usm__codec_params p;
  memset(&p, 0, sizeof p);
  p.kind = USM__CODEC_KIND_VIDEO;
  usm__codec_dec *d = NULL;
  if (usm__codec_decoder_create(usm__codec_vp8(), &p, &d) != USM_OK) return 0;
  if (usm__vp8_decoder_set_max_size(d, b[0], b[1]) != USM_OK) abort();
  volatile unsigned sink = 0;
  size_t pos = 1;
  while (pos + 2 <= size) {
    size_t len = (size_t)data[pos] << 8 | data[pos + 1];
    pos += 2;
    if (len > size - pos) len = size - pos;
    usm__codec_frame f = {.kind = USM__CODEC_KIND_VIDEO};
    int got = -1;
    int was_broken = usm__vp8_decoder_needs_keyframe(d);
    usm_err r = usm__codec_decode(d, len ? data + pos : NULL, len, &f, &got);
    pos += len;
    if (r != USM_OK && r != USM_ERR_MALFORMED && r != USM_ERR_LIMIT && r != USM_ERR_WRONG_STATE) abort();
    if (got != 0 && got != 1) abort();
    if (r != USM_OK && got) abort();
    if (!got) continue;
    /* A picture: within the bound, and a delta only on an intact chain. */
    if (f.u.video.width == 0 || f.u.video.height == 0 || f.u.video.width > b[0] || f.u.video.height > b[1]) abort();
    if (was_broken && !f.u.video.keyframe) abort();
    if (usm__vp8_decoder_needs_keyframe(d)) abort();
    sink += sum_planes(&f.u.video);
  }
  (void)sink;
  usm__codec_decoder_destroy(d);
  return 0;
}
