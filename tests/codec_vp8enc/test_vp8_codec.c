/* The VP8 codec behind the codec interface, measured: PSNR of a moving test
 * pattern through encode -> decode at 640x360 and small/odd sizes, keyframe
 * interval and requests, bitrate changes, resolution changes, truncated and
 * lost frames (never a picture from a broken chain), bad params and handles. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "codec/codec.h"
#include "codec/opus.h"
#include "codec/vp8.h"

/* PSNR bounds, set with margin below what libvpx 1.12 gives here (measured
 * minimum per frame: see docs/codecs.md). */
#define MIN_PSNR_360P_DB 34.0 /* 640x360, 1 Mbit/s: measured 37.3 */
#define MIN_PSNR_SMALL_DB 32.0 /* 160x90, 200 kbit/s: measured 36.0 */
#define MIN_PSNR_ODD_DB 38.0   /* 33x17, 100 kbit/s: measured 42.6 */
#define TS_STEP 3000u          /* 90 kHz at 30 fps */

/* ---- test pattern and measures ---- */

typedef struct {
  unsigned w, h;
  int stride[3];
  uint8_t *plane[3];
} picture;

static picture pic_alloc(unsigned w, unsigned h) {
  picture p = {.w = w, .h = h};
  for (int i = 0; i < 3; i++) {
    unsigned pw = i ? (w + 1) / 2 : w, ph = i ? (h + 1) / 2 : h;
    p.stride[i] = (int)(pw + 24); /* wider than the row: strides are honoured */
    p.plane[i] = calloc((size_t)p.stride[i] * ph, 1);
    if (!p.plane[i]) abort();
  }
  return p;
}

static void pic_free(picture *p) {
  for (int i = 0; i < 3; i++) free(p->plane[i]);
}

/* Frame n: a diagonal gradient with noise, a textured box moving right and
 * down, and the frame counter as 8 black/white blocks in the top-left corner. */
static void pic_draw(picture *p, unsigned n) {
  unsigned bw = p->w / 5 + 1, bh = p->h / 4 + 1;
  unsigned bx = (n * 6u) % (p->w - bw + 1), by = (n * 3u) % (p->h - bh + 1);
  unsigned cell = p->w / 40 + 1;
  for (unsigned y = 0; y < p->h; y++)
    for (unsigned x = 0; x < p->w; x++) {
      unsigned v = 16 + (x * 160u / p->w + y * 60u / p->h);
      if (x >= bx && x < bx + bw && y >= by && y < by + bh) {
        unsigned tx = (x - bx) / 4, ty = (y - by) / 4;
        v = 40 + ((tx * 7919u + ty * 104729u) % 180u); /* texture moves with the box */
      }
      /* camera-like noise, new every frame: keeps the encoder at its target rate */
      uint32_t hsh = (x * 73856093u) ^ (y * 19349663u) ^ (n * 83492791u);
      hsh = (hsh ^ (hsh >> 13)) * 0x5bd1e995u;
      v = v + ((hsh >> 24) % 13u) - 6u;
      if (y < cell && x < 8 * cell) v = (n >> (x / cell)) & 1u ? 235 : 16;
      p->plane[0][(size_t)y * (size_t)p->stride[0] + x] = (uint8_t)v;
    }
  for (unsigned y = 0; y < (p->h + 1) / 2; y++)
    for (unsigned x = 0; x < (p->w + 1) / 2; x++) {
      p->plane[1][(size_t)y * (size_t)p->stride[1] + x] = (uint8_t)(64 + (x * 128u) / ((p->w + 1) / 2));
      p->plane[2][(size_t)y * (size_t)p->stride[2] + x] = (uint8_t)(64 + (y * 128u) / ((p->h + 1) / 2));
    }
}

static usm__codec_frame pic_frame(const picture *p, uint32_t ts) {
  usm__codec_frame f;
  memset(&f, 0, sizeof f);
  f.kind = USM__CODEC_KIND_VIDEO;
  f.timestamp = ts;
  for (int i = 0; i < 3; i++) {
    f.u.video.plane[i] = p->plane[i];
    f.u.video.stride[i] = p->stride[i];
  }
  f.u.video.width = p->w;
  f.u.video.height = p->h;
  return f;
}

/* PSNR over all three planes of a decoded frame against the source. */
static double psnr(const picture *src, const usm__video_frame *v) {
  double se = 0, n = 0;
  for (int i = 0; i < 3; i++) {
    unsigned pw = i ? (src->w + 1) / 2 : src->w, ph = i ? (src->h + 1) / 2 : src->h;
    for (unsigned y = 0; y < ph; y++)
      for (unsigned x = 0; x < pw; x++) {
        double d = (double)src->plane[i][(size_t)y * (size_t)src->stride[i] + x] -
                   (double)v->plane[i][(size_t)y * (size_t)v->stride[i] + x];
        se += d * d;
        n += 1;
      }
  }
  return se == 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 / (se / n));
}

/* ---- encoder output capture ---- */

typedef struct {
  uint8_t *data;
  size_t len;
  unsigned flags;
  uint32_t ts, duration;
  int count;
} payload;

static usm_err on_payload(void *user, const usm__codec_payload *p) {
  payload *out = user;
  uint8_t *d = realloc(out->data, p->len);
  if (!d) return USM_ERR_NO_MEMORY;
  memcpy(d, p->data, p->len);
  out->data = d;
  out->len = p->len;
  out->flags = p->flags;
  out->ts = p->timestamp;
  out->duration = p->duration;
  out->count++;
  return USM_OK;
}

static usm_err fail_cb(void *user, const usm__codec_payload *p) {
  (void)user;
  (void)p;
  return USM_ERR_CANCELLED;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static usm__codec_params video_params(unsigned w, unsigned h, uint32_t bps, unsigned kf) {
  usm__codec_params p;
  memset(&p, 0, sizeof p);
  p.kind = USM__CODEC_KIND_VIDEO;
  p.video.width = w;
  p.video.height = h;
  p.video.fps = 30;
  p.video.bitrate = bps;
  p.video.keyframe_interval = kf;
  return p;
}

/* A pre-encoded stream: frames[i] with its flags. */
typedef struct {
  payload f[64];
  int n;
} stream;

static void stream_free(stream *s) {
  for (int i = 0; i < s->n; i++) free(s->f[i].data);
}

/* Encodes n frames at w x h; a keyframe is requested before each frame
 * listed in key_at (terminated by -1). */
static void stream_make(stream *s, unsigned w, unsigned h, uint32_t bps, int n, const int *key_at) {
  memset(s, 0, sizeof *s);
  usm__codec_params p = video_params(w, h, bps, 0);
  usm__codec_enc *e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_OK);
  picture pic = pic_alloc(w, h);
  for (int i = 0; i < n && i < 64 && e; i++) {
    for (const int *k = key_at; *k >= 0; k++)
      if (*k == i) CHECK_INT(usm__codec_request_keyframe(e), USM_OK);
    pic_draw(&pic, (unsigned)i);
    usm__codec_frame f = pic_frame(&pic, (uint32_t)i * TS_STEP);
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &s->f[i]), USM_OK);
    CHECK_INT(s->f[i].count, 1);
    s->n = i + 1;
  }
  pic_free(&pic);
  usm__codec_encoder_destroy(e);
}

/* ---- tests ---- */

static void test_ops(void) {
  const usm__codec_ops *o = usm__codec_vp8();
  CHECK(o != NULL);
  CHECK_INT(o->version, USM__CODEC_API_VERSION);
  CHECK_INT(o->id, USM__CODEC_ID_VP8);
  CHECK_INT(o->kind, USM__CODEC_KIND_VIDEO);
  CHECK_STR(o->name, "VP8");
  CHECK_INT(o->clock_rate, 90000);
  CHECK(o->decode_fec == NULL);
}

/* Encodes and decodes `frames` frames; every one must come back with PSNR
 * above min_db. Prints the measured minimum and mean. */
static void round_trip(unsigned w, unsigned h, uint32_t bps, int frames, double min_db) {
  usm__codec_params p = video_params(w, h, bps, 0);
  usm__codec_enc *e = NULL;
  usm__codec_dec *d = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_OK);
  CHECK_INT(usm__codec_decoder_create(usm__codec_vp8(), &p, &d), USM_OK);
  if (!e || !d) goto out;
  picture pic = pic_alloc(w, h);
  double worst = 99, sum = 0, enc_ms = 0, dec_ms = 0;
  size_t bytes = 0;
  payload pl = {0};
  for (int i = 0; i < frames; i++) {
    pic_draw(&pic, (unsigned)i);
    usm__codec_frame f = pic_frame(&pic, 1000u + (uint32_t)i * TS_STEP);
    pl.count = 0;
    double t0 = now_ms();
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_OK);
    enc_ms += now_ms() - t0;
    CHECK_INT(pl.count, 1);
    CHECK(pl.flags & USM__CODEC_PAYLOAD_LAST);
    CHECK_INT(!!(pl.flags & USM__CODEC_PAYLOAD_KEYFRAME), i == 0);
    CHECK_INT(pl.ts, 1000u + (uint32_t)i * TS_STEP);
    CHECK_INT(pl.duration, TS_STEP);
    bytes += pl.len;
    usm__codec_frame o = {.kind = USM__CODEC_KIND_VIDEO};
    int got = 0;
    t0 = now_ms();
    CHECK_INT(usm__codec_decode(d, pl.data, pl.len, &o, &got), USM_OK);
    dec_ms += now_ms() - t0;
    CHECK_INT(got, 1);
    if (!got) continue;
    CHECK_INT(o.u.video.width, w);
    CHECK_INT(o.u.video.height, h);
    CHECK_INT(o.u.video.keyframe, i == 0);
    double q = psnr(&pic, &o.u.video);
    if (q < min_db) fprintf(stderr, "%ux%u frame %d: PSNR %.2f dB\n", w, h, i, q);
    CHECK(q > min_db);
    if (q < worst) worst = q;
    sum += q;
  }
  printf("%ux%u @ %u kbit/s: PSNR min %.2f mean %.2f dB, %.0f kbit/s sent, encode %.2f ms, decode %.2f ms per frame\n",
         w, h, bps / 1000, worst, sum / frames, (double)bytes * 8 * 30 / frames / 1000, enc_ms / frames,
         dec_ms / frames);
  free(pl.data);
  pic_free(&pic);
out:
  usm__codec_encoder_destroy(e);
  usm__codec_decoder_destroy(d);
}

static void test_keyframes(void) {
  /* Every 10th frame by params; frame 23 by request. */
  usm__codec_params p = video_params(160, 90, 200000, 10);
  usm__codec_enc *e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_OK);
  picture pic = pic_alloc(160, 90);
  payload pl = {0};
  for (unsigned i = 0; i < 45 && e; i++) {
    if (i == 23) CHECK_INT(usm__codec_request_keyframe(e), USM_OK);
    pic_draw(&pic, i);
    usm__codec_frame f = pic_frame(&pic, i * TS_STEP);
    pl.count = 0;
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_OK);
    /* 0, 10, 20, 23 (requested), then 33, 43: the interval restarts at a requested one */
    int want = i == 0 || i == 10 || i == 20 || i == 23 || i == 33 || i == 43;
    if (!!(pl.flags & USM__CODEC_PAYLOAD_KEYFRAME) != want) fprintf(stderr, "frame %u: keyframe %d\n", i, !want);
    CHECK_INT(!!(pl.flags & USM__CODEC_PAYLOAD_KEYFRAME), want);
  }
  usm__codec_encoder_destroy(e);

  /* Interval 0: only the first frame and the requested one. */
  p.video.keyframe_interval = 0;
  e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_OK);
  int keys = 0;
  for (unsigned i = 0; i < 90 && e; i++) {
    if (i == 50) CHECK_INT(usm__codec_request_keyframe(e), USM_OK);
    pic_draw(&pic, i * 7u); /* jumps: no scene-cut keyframes either */
    usm__codec_frame f = pic_frame(&pic, i * TS_STEP);
    pl.count = 0;
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_OK);
    if (pl.flags & USM__CODEC_PAYLOAD_KEYFRAME) {
      keys++;
      CHECK(i == 0 || i == 50);
    }
  }
  CHECK_INT(keys, 2);
  usm__codec_encoder_destroy(e);
  free(pl.data);
  pic_free(&pic);
}

/* Mean payload bytes over frames [from, to) while encoding frames with
 * counters starting at *n. */
static double mean_bytes(usm__codec_enc *e, picture *pic, unsigned *n, int from, int to) {
  payload pl = {0};
  size_t sum = 0;
  for (int i = 0; i < to; i++, (*n)++) {
    pic_draw(pic, *n);
    usm__codec_frame f = pic_frame(pic, *n * TS_STEP);
    pl.count = 0;
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_OK);
    if (i >= from) sum += pl.len;
  }
  free(pl.data);
  return (double)sum / (to - from);
}

static void test_bitrate(void) {
  usm__codec_params p = video_params(640, 360, 1500000, 0);
  usm__codec_enc *e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_OK);
  if (!e) return;
  picture pic = pic_alloc(640, 360);
  unsigned n = 0;
  double hi = mean_bytes(e, &pic, &n, 30, 60);
  CHECK_INT(usm__codec_set_bitrate(e, 250000), USM_OK);
  uint32_t now = 0;
  CHECK_INT(usm__vp8_encoder_bitrate(e, &now), USM_OK);
  CHECK_INT(now, 250000);
  double lo = mean_bytes(e, &pic, &n, 30, 60);
  printf("bitrate 1500 -> 250 kbit/s: %.0f -> %.0f kbit/s measured (frames 30-59 after each)\n",
         hi * 8 * 30 / 1000, lo * 8 * 30 / 1000);
  CHECK(lo < hi / 3);
  CHECK(lo * 8 * 30 < 250000 * 1.5); /* within half again of the target */
  /* Clamped: below the minimum and above max_bitrate. */
  CHECK_INT(usm__codec_set_bitrate(e, 1000), USM_OK);
  CHECK_INT(usm__vp8_encoder_bitrate(e, &now), USM_OK);
  CHECK_INT(now, USM__VP8_MIN_BITRATE);
  CHECK_INT(usm__codec_set_bitrate(e, 0), USM_ERR_INVALID_ARG);
  usm__codec_encoder_destroy(e);
  p.video.max_bitrate = 400000;
  e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_OK);
  CHECK_INT(usm__vp8_encoder_bitrate(e, &now), USM_OK);
  CHECK_INT(now, 400000);
  CHECK_INT(usm__codec_set_bitrate(e, 900000), USM_OK);
  CHECK_INT(usm__vp8_encoder_bitrate(e, &now), USM_OK);
  CHECK_INT(now, 400000);
  usm__codec_encoder_destroy(e);
  pic_free(&pic);
}

static void test_resolution_change(void) {
  usm__codec_params p = video_params(320, 180, 300000, 0);
  usm__codec_enc *e = NULL;
  usm__codec_dec *d = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_OK);
  CHECK_INT(usm__codec_decoder_create(usm__codec_vp8(), &p, &d), USM_OK);
  if (!e || !d) goto out;
  picture a = pic_alloc(320, 180), b = pic_alloc(176, 144);
  payload pl = {0};
  for (unsigned i = 0; i < 12; i++) {
    picture *pic = i < 6 ? &a : &b;
    pic_draw(pic, i);
    usm__codec_frame f = pic_frame(pic, i * TS_STEP);
    pl.count = 0;
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_OK);
    CHECK_INT(!!(pl.flags & USM__CODEC_PAYLOAD_KEYFRAME), i == 0 || i == 6);
    usm__codec_frame o = {.kind = USM__CODEC_KIND_VIDEO};
    int got = 0;
    CHECK_INT(usm__codec_decode(d, pl.data, pl.len, &o, &got), USM_OK);
    CHECK_INT(got, 1);
    if (!got) continue;
    CHECK_INT(o.u.video.width, pic->w);
    CHECK_INT(o.u.video.height, pic->h);
    CHECK(psnr(pic, &o.u.video) > 28.0);
  }
  free(pl.data);
  pic_free(&a);
  pic_free(&b);
out:
  usm__codec_encoder_destroy(e);
  usm__codec_decoder_destroy(d);
}

/* Decodes s->f[i] and checks the result and whether a picture came out. */
static void expect(usm__codec_dec *d, const uint8_t *data, size_t len, usm_err want, int want_got) {
  usm__codec_frame o = {.kind = USM__CODEC_KIND_VIDEO};
  int got = -1;
  usm_err r = usm__codec_decode(d, data, len, &o, &got);
  CHECK_INT(r, want);
  CHECK_INT(got, want_got);
}

static void test_broken_chain(void) {
  static const int keys[] = {10, 20, -1};
  stream s;
  stream_make(&s, 640, 360, 800000, 30, keys);
  if (s.n != 30) goto out;
  CHECK(s.f[10].flags & USM__CODEC_PAYLOAD_KEYFRAME);
  CHECK(s.f[20].flags & USM__CODEC_PAYLOAD_KEYFRAME);
  usm__codec_params p = video_params(0, 0, 0, 0);
  usm__codec_dec *d = NULL;
  CHECK_INT(usm__codec_decoder_create(usm__codec_vp8(), &p, &d), USM_OK);
  if (!d) goto out;

  /* Deltas before any keyframe: refused. */
  CHECK_INT(usm__vp8_decoder_needs_keyframe(d), 1);
  expect(d, s.f[1].data, s.f[1].len, USM_ERR_WRONG_STATE, 0);
  for (int i = 0; i < 5; i++) expect(d, s.f[i].data, s.f[i].len, USM_OK, 1);
  CHECK_INT(usm__vp8_decoder_needs_keyframe(d), 0);

  /* Frame 5 truncated in its token partition: libvpx reads past its end,
   * the frame is flagged corrupt and refused; its successors too. */
  expect(d, s.f[5].data, s.f[5].len / 2, USM_ERR_MALFORMED, 0);
  CHECK_INT(usm__vp8_decoder_needs_keyframe(d), 1);
  for (int i = 6; i < 10; i++) expect(d, s.f[i].data, s.f[i].len, USM_ERR_WRONG_STATE, 0);
  for (int i = 10; i < 14; i++) expect(d, s.f[i].data, s.f[i].len, USM_OK, 1);
  CHECK_INT(usm__vp8_decoder_needs_keyframe(d), 0);

  /* Frame 14 lost (NULL payload): no frame, no error, but 15.. are refused. */
  expect(d, NULL, 0, USM_OK, 0);
  CHECK_INT(usm__vp8_decoder_needs_keyframe(d), 1);
  for (int i = 15; i < 20; i++) expect(d, s.f[i].data, s.f[i].len, USM_ERR_WRONG_STATE, 0);
  expect(d, s.f[20].data, s.f[20].len, USM_OK, 1);

  /* Truncations of every size across a delta frame and a keyframe: an error
   * or (when libvpx cannot tell, i.e. only the last few bytes are gone) a
   * picture; never a crash. Count how many libvpx notices. */
  int caught = 0, total = 0;
  for (int which = 0; which < 2; which++) {
    int idx = which ? 20 : 21;
    for (size_t cut = 1; cut < s.f[idx].len; cut += 1 + s.f[idx].len / 97) {
      expect(d, s.f[20].data, s.f[20].len, USM_OK, 1); /* back to a good state */
      if (idx == 21) expect(d, s.f[21].data, s.f[21].len, USM_OK, 1), expect(d, s.f[20].data, s.f[20].len, USM_OK, 1);
      usm__codec_frame o = {.kind = USM__CODEC_KIND_VIDEO};
      int got = -1;
      usm_err r = usm__codec_decode(d, s.f[idx].data, s.f[idx].len - cut, &o, &got);
      total++;
      if (r != USM_OK) {
        caught++;
        CHECK_INT(got, 0);
        CHECK(r == USM_ERR_MALFORMED);
        CHECK_INT(usm__vp8_decoder_needs_keyframe(d), 1);
      }
    }
  }
  printf("truncated frames refused: %d of %d\n", caught, total);
  CHECK(caught >= total * 9 / 10);

  /* Headers: too short, bad start code, first partition past the end, a
   * size over the bound. */
  expect(d, s.f[20].data, s.f[20].len, USM_OK, 1);
  expect(d, s.f[20].data, 2, USM_ERR_MALFORMED, 0);
  expect(d, s.f[20].data, 9, USM_ERR_MALFORMED, 0);
  uint8_t bad[64];
  memcpy(bad, s.f[20].data, sizeof bad);
  bad[4] = 0x02;
  expect(d, bad, sizeof bad, USM_ERR_MALFORMED, 0);
  memcpy(bad, s.f[20].data, sizeof bad);
  expect(d, bad, sizeof bad, USM_ERR_MALFORMED, 0); /* first partition longer than 64 bytes */
  memcpy(bad, s.f[20].data, sizeof bad);
  bad[6] = 0xff;
  bad[7] = 0x3f; /* 16383 wide */
  expect(d, bad, sizeof bad, USM_ERR_LIMIT, 0);
  CHECK_INT(usm__vp8_decoder_set_max_size(d, 320, 240), USM_OK);
  expect(d, s.f[20].data, s.f[20].len, USM_ERR_LIMIT, 0);
  CHECK_INT(usm__vp8_decoder_set_max_size(d, 0, 240), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__vp8_decoder_set_max_size(d, 640, 360), USM_OK);
  expect(d, s.f[20].data, s.f[20].len, USM_OK, 1);
  /* Wrong output kind, and a NULL output. */
  usm__codec_frame audio = {.kind = USM__CODEC_KIND_AUDIO};
  int got = 0;
  CHECK_INT(usm__codec_decode(d, s.f[21].data, s.f[21].len, &audio, &got), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__codec_decode(d, s.f[21].data, s.f[21].len, NULL, &got), USM_ERR_INVALID_ARG);
  usm__codec_decoder_destroy(d);
out:
  stream_free(&s);
}

static void test_bad_params(void) {
  usm__codec_enc *e = (usm__codec_enc *)1;
  usm__codec_params p = video_params(640, 360, 0, 0);
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), NULL, &e), USM_ERR_INVALID_ARG);
  CHECK(e == NULL);
  p.video.width = 0;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_ERR_INVALID_ARG);
  p.video.width = 640;
  p.video.height = 0;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_ERR_INVALID_ARG);
  p.video.height = USM__VP8_MAX_HEIGHT + 1;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_ERR_INVALID_ARG);
  p.video.height = 360;
  p.video.width = 16383;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_ERR_INVALID_ARG);
  p.video.width = 640;
  p.video.fps = USM__VP8_MAX_FPS + 1;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_ERR_INVALID_ARG);
  p.video.fps = 0; /* default 30 */
  p.kind = USM__CODEC_KIND_AUDIO;
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_ERR_INVALID_ARG);
  usm__codec_dec *d = NULL;
  CHECK_INT(usm__codec_decoder_create(usm__codec_vp8(), &p, &d), USM_ERR_INVALID_ARG);
  p.kind = USM__CODEC_KIND_VIDEO;

  /* Default bitrate at 640x360 30 fps: about 0.1 bit per pixel. */
  CHECK_INT(usm__codec_encoder_create(usm__codec_vp8(), &p, &e), USM_OK);
  uint32_t bps = 0;
  CHECK_INT(usm__vp8_encoder_bitrate(e, &bps), USM_OK);
  CHECK_INT(bps, 691200);
  picture pic = pic_alloc(640, 360);
  pic_draw(&pic, 0);
  payload pl = {0};
  usm__codec_frame f = pic_frame(&pic, 0);
  f.u.video.stride[0] = 639;
  CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_ERR_INVALID_ARG);
  f = pic_frame(&pic, 0);
  f.u.video.plane[2] = NULL;
  CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_ERR_INVALID_ARG);
  f = pic_frame(&pic, 0);
  f.u.video.width = 0;
  CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_ERR_INVALID_ARG);
  f = pic_frame(&pic, 0);
  f.kind = USM__CODEC_KIND_AUDIO;
  CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_ERR_INVALID_ARG);
  f = pic_frame(&pic, 0);
  CHECK_INT(usm__codec_encode(e, &f, NULL, &pl), USM_ERR_INVALID_ARG);
  CHECK_INT(pl.count, 0);
  /* A callback error stops encode and is returned. */
  CHECK_INT(usm__codec_encode(e, &f, fail_cb, NULL), USM_ERR_CANCELLED);
  CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_OK);
  CHECK_INT(pl.count, 1);
  free(pl.data);
  pic_free(&pic);

  /* Another codec's handles are refused, and ours by the Opus table. */
  usm__codec_params ap;
  memset(&ap, 0, sizeof ap);
  ap.kind = USM__CODEC_KIND_AUDIO;
  ap.audio.channels = 1;
  usm__codec_enc *oe = NULL;
  usm__codec_dec *od = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_opus(), &ap, &oe), USM_OK);
  CHECK_INT(usm__codec_decoder_create(usm__codec_opus(), &ap, &od), USM_OK);
  CHECK_INT(usm__codec_vp8()->set_bitrate(oe, 100000), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__codec_vp8()->request_keyframe(oe), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__vp8_encoder_bitrate(oe, &bps), USM_ERR_INVALID_ARG);
  usm__codec_vp8()->encoder_destroy(oe); /* not ours: ignored */
  usm__codec_frame vf = {.kind = USM__CODEC_KIND_VIDEO};
  int got = 0;
  CHECK_INT(usm__codec_vp8()->decode(od, NULL, 0, &vf, &got), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__vp8_decoder_needs_keyframe(od), 0);
  CHECK_INT(usm__vp8_decoder_set_max_size(od, 64, 64), USM_ERR_INVALID_ARG);
  usm__codec_vp8()->decoder_destroy(od); /* not ours: ignored */
  CHECK_INT(usm__codec_opus()->request_keyframe(e), USM_ERR_INVALID_ARG);
  usm__codec_encoder_destroy(oe);
  usm__codec_decoder_destroy(od);
  usm__codec_encoder_destroy(e);
  usm__codec_encoder_destroy(NULL);
  usm__codec_decoder_destroy(NULL);
}

int main(void) {
  test_ops();
  round_trip(640, 360, 1000000, 60, MIN_PSNR_360P_DB);
  round_trip(160, 90, 200000, 30, MIN_PSNR_SMALL_DB);
  round_trip(33, 17, 100000, 30, MIN_PSNR_ODD_DB);
  test_keyframes();
  test_bitrate();
  test_resolution_change();
  test_broken_chain();
  test_bad_params();
  return check_done("test_vp8_codec");
}
