/* Arbitrary payloads into the Opus decoder through the codec interface. The
 * first byte picks the channel count, the output capacity and the frame size
 * concealed on a loss; the rest is a sequence of [length byte][payload]
 * records (length 0: a loss; length 255: FEC recovery from the following
 * record). Checks that every call returns OK, MALFORMED or LIMIT and that the
 * output never exceeds the capacity given (ASan guards the buffer itself). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/opus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t capacities[] = {120, 480, 960, 2880, USM__CODEC_AUDIO_MAX_SAMPLES};

static void check_result(usm_err r, const usm__codec_frame *f, size_t cap, unsigned ch) {
  if (r != USM_OK && r != USM_ERR_MALFORMED && r != USM_ERR_LIMIT && r != USM_ERR_INVALID_ARG) abort();
  if (r == USM_OK && (f->u.audio.samples > cap || f->u.audio.channels != ch)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned ch = (data[0] & 1u) + 1u;
  size_t cap = capacities[(data[0] >> 1) % (sizeof capacities / sizeof capacities[0])];
  size_t loss_samples = 120u * ((data[0] >> 4) % 8u); /* 0 (the last duration) .. 17.5 ms */
  usm__codec_params p;
  memset(&p, 0, sizeof p);
  p.kind = USM__CODEC_KIND_AUDIO;
  p.audio.channels = ch;
  p.audio.frame_ms = 20;
  usm__codec_dec *d = NULL;
  if (usm__codec_decoder_create(usm__codec_opus(), &p, &d) != USM_OK) return 0;
  /* exactly the capacity, so ASan catches any write past it */
  int16_t *pcm = malloc(cap * ch * sizeof *pcm);
  if (!pcm) {
    usm__codec_decoder_destroy(d);
    return 0;
  }
  size_t pos = 1;
  while (pos < size) {
    size_t len = data[pos++];
    usm__codec_frame f = {.kind = USM__CODEC_KIND_AUDIO};
    f.u.audio.pcm = pcm;
    f.u.audio.capacity = cap;
    int got = 0;
    usm_err r;
    if (len == 0) {
      f.u.audio.samples = loss_samples;
      r = usm__codec_decode(d, NULL, 0, &f, &got);
    } else if (len == 255) {
      size_t n = pos < size ? data[pos] : 0; /* the next record, not consumed */
      const uint8_t *next = pos + 1 + n <= size ? data + pos + 1 : NULL;
      f.u.audio.samples = loss_samples;
      r = usm__opus_decode_fec(d, next, next ? n : 0, &f);
    } else {
      if (len > size - pos) len = size - pos;
      r = usm__codec_decode(d, data + pos, len, &f, &got);
      pos += len;
      if (r == USM_OK && !got) abort();
    }
    check_result(r, &f, cap, ch);
  }
  free(pcm);
  usm__codec_decoder_destroy(d);
  return 0;
}
