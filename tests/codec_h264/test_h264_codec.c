/* The H.264 codec (OpenH264) behind the codec interface, measured: a moving
 * test pattern at 640x360 through encode -> RFC 6184 packetize (1200 bytes)
 * -> shuffle -> assemble -> decode with PSNR; one lost packet -> no picture
 * until a keyframe is requested and decoded; keyframe requests and interval,
 * bitrate changes and clamping, resolution change, refused and malformed
 * input (never a crash, never a picture from a broken chain). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "codec/codec.h"
#include "codec/h264.h"
#include "codec/h264_rtp.h"
#include "h264_test_util.h"

/* PSNR bounds, with margin below what OpenH264 2.3.1 gives here (printed). */
#define MIN_PSNR_360P_DB 30.0 /* 640x360 at 1 Mbit/s */
#define TS_STEP 3000u         /* 90 kHz at 30 fps */
#define MTU_PAYLOAD 1200u

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

/* Frame n: a diagonal gradient with camera-like noise, a textured box moving
 * right and down, and the frame counter as black/white blocks. */
static void pic_draw(picture *p, unsigned n) {
  unsigned bw_ = p->w / 5 + 1, bh = p->h / 4 + 1;
  unsigned bx = (n * 6u) % (p->w - bw_ + 1), by = (n * 3u) % (p->h - bh + 1);
  unsigned cell = p->w / 40 + 1;
  for (unsigned y = 0; y < p->h; y++)
    for (unsigned x = 0; x < p->w; x++) {
      unsigned v = 16 + (x * 160u / p->w + y * 60u / p->h);
      if (x >= bx && x < bx + bw_ && y >= by && y < by + bh) {
        unsigned tx = (x - bx) / 4, ty = (y - by) / 4;
        v = 40 + ((tx * 7919u + ty * 104729u) % 180u);
      }
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

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
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

static usm__codec_params video_params(unsigned w, unsigned h, uint32_t bps, unsigned kf) {
  usm__codec_params p;
  memset(&p, 0, sizeof p);
  p.kind = USM__CODEC_KIND_VIDEO;
  p.video.width = w;
  p.video.height = h;
  p.video.fps = 30;
  p.video.bitrate = bps;
  p.video.keyframe_interval = kf;
  p.video.max_payload = MTU_PAYLOAD;
  return p;
}

/* ---- RTP capture ---- */

typedef struct rtp_pkt {
  uint8_t data[MTU_PAYLOAD];
  size_t len;
  uint16_t seq;
  uint32_t ts;
  int marker;
} rtp_pkt;

typedef struct rtp_out {
  rtp_pkt p[512];
  size_t n;
  uint16_t seq;
  uint32_t ts;
} rtp_out;

static usm_err on_rtp(void *user, const uint8_t *data, size_t len, int marker) {
  rtp_out *o = user;
  if (o->n >= 512 || len > MTU_PAYLOAD) return USM_ERR_LIMIT;
  rtp_pkt *p = &o->p[o->n++];
  memcpy(p->data, data, len);
  p->len = len;
  p->seq = o->seq++;
  p->ts = o->ts;
  p->marker = marker;
  return USM_OK;
}

static void shuffle(rtp_pkt *p, size_t n, unsigned *seed) {
  for (size_t i = n; i > 1; i--) {
    *seed = *seed * 1103515245u + 12345u;
    size_t j = (*seed >> 8) % i;
    rtp_pkt t = p[i - 1];
    p[i - 1] = p[j];
    p[j] = t;
  }
}

/* ---- tests ---- */

static void test_ops(void) {
  const usm__codec_ops *o = usm__codec_h264();
  CHECK(o != NULL);
  CHECK_INT(o->version, USM__CODEC_API_VERSION);
  CHECK_INT(o->id, USM__CODEC_ID_H264);
  CHECK_INT(o->kind, USM__CODEC_KIND_VIDEO);
  CHECK_STR(o->name, "H264");
  CHECK_INT(o->clock_rate, 90000);
  CHECK(o->decode_fec == NULL);
}

/* The whole send and receive path. Frames are packetized, each frame's
 * packets shuffled, then pushed; frame `lose_at` (if >= 0) loses one packet.
 * A keyframe is requested from the encoder as soon as the assembler or the
 * decoder asks for one (what the PLI path does). */
static void round_trip(int frames, int lose_at, double min_db) {
  usm__codec_params p = video_params(640, 360, 1000000, 0);
  usm__codec_enc *e = NULL;
  usm__codec_dec *d = NULL;
  usm__h264_asm *as = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_OK);
  CHECK_INT(usm__codec_decoder_create(usm__codec_h264(), &p, &d), USM_OK);
  CHECK_INT(usm__h264_asm_create(NULL, &as), USM_OK);
  if (!e || !d || !as) goto out;
  picture pic[2] = {pic_alloc(640, 360), pic_alloc(640, 360)};
  static rtp_out rtp;
  memset(&rtp, 0, sizeof rtp);
  rtp.seq = 65000; /* wraps during the run */
  unsigned seed = 42;
  payload pl = {0};
  double worst = 99, sum = 0, enc_ms = 0, dec_ms = 0;
  size_t bytes = 0, packets = 0;
  int decoded = 0, coded = 0, skipped = 0, keys = 0, pli = 0, first_after_loss = -1;
  int lost_ts_decoded = 0;
  for (int i = 0; i < frames; i++) {
    picture *src = &pic[i & 1];
    pic_draw(src, (unsigned)i);
    uint32_t ts = 0xFFFF0000u + (uint32_t)i * TS_STEP;
    usm__codec_frame f = pic_frame(src, ts);
    pl.count = 0;
    double t0 = now_ms();
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_OK);
    enc_ms += now_ms() - t0;
    CHECK(pl.count <= 1);
    if (pl.count == 0) {
      skipped++;
      continue;
    }
    coded++;
    CHECK(pl.flags & USM__CODEC_PAYLOAD_LAST);
    CHECK_INT(pl.ts, ts);
    CHECK_INT(pl.duration, TS_STEP);
    bytes += pl.len;
    int key = (pl.flags & USM__CODEC_PAYLOAD_KEYFRAME) != 0;
    if (i == 0) CHECK(key);
    keys += key;
    if (key) {
      /* constrained baseline: profile 66 with constraint_set1 */
      size_t pos = 0, n = 0;
      const uint8_t *nal = NULL;
      int saw_sps = 0;
      while (usm__h264_annexb_next(pl.data, pl.len, &pos, &nal, &n) == 1) {
        if ((nal[0] & 0x1f) != USM__H264_NAL_SPS) continue;
        usm__h264_sps sps;
        CHECK_INT(usm__h264_sps_parse(nal, n, &sps), USM_OK);
        CHECK_INT(sps.profile_idc, 66);
        CHECK(sps.constraints & 0x40);
        CHECK_INT(sps.width, 640);
        CHECK_INT(sps.height, 360);
        saw_sps = 1;
      }
      CHECK(saw_sps);
    }
    rtp.n = 0;
    rtp.ts = ts;
    CHECK_INT(usm__h264_packetize(pl.data, pl.len, MTU_PAYLOAD, (uint8_t[MTU_PAYLOAD]){0}, MTU_PAYLOAD, on_rtp, &rtp),
              USM_OK);
    packets += rtp.n;
    shuffle(rtp.p, rtp.n, &seed);
    size_t drop = i == lose_at ? rtp.n / 2 : (size_t)-1;
    for (size_t k = 0; k < rtp.n; k++) {
      if (k == drop) continue;
      CHECK_INT(usm__h264_asm_push(as, rtp.p[k].data, rtp.p[k].len, rtp.p[k].seq, rtp.p[k].ts, rtp.p[k].marker),
                USM_OK);
    }
    if (i == lose_at) {
      /* the NACK did not help */
      uint16_t miss[4];
      CHECK_INT(usm__h264_asm_missing(as, miss, 4), 1);
    }
    if (i == lose_at + 1) usm__h264_asm_give_up(as);
    usm__h264_frame af;
    while (usm__h264_asm_pop(as, &af)) {
      usm__codec_frame o = {.kind = USM__CODEC_KIND_VIDEO};
      int got = 0;
      t0 = now_ms();
      usm_err r = usm__codec_decode(d, af.data, af.len, &o, &got);
      dec_ms += now_ms() - t0;
      CHECK_INT(r, USM_OK);
      CHECK_INT(got, 1);
      if (!got) continue;
      /* which source frame is it? */
      int fi = (int)((af.timestamp - 0xFFFF0000u) / TS_STEP);
      CHECK(fi == i || fi == i - 1);
      if (lose_at >= 0 && fi == lose_at) lost_ts_decoded = 1;
      if (lose_at >= 0 && fi > lose_at && first_after_loss < 0) {
        first_after_loss = fi;
        CHECK(af.keyframe);
        CHECK(o.u.video.keyframe);
      }
      CHECK_INT(o.u.video.width, 640);
      CHECK_INT(o.u.video.height, 360);
      double q = psnr(&pic[fi & 1], &o.u.video);
      if (q < min_db) fprintf(stderr, "frame %d: PSNR %.2f dB\n", fi, q);
      CHECK(q > min_db);
      if (q < worst) worst = q;
      sum += q;
      decoded++;
    }
    if (usm__h264_asm_needs_keyframe(as) || usm__h264_decoder_needs_keyframe(d)) {
      CHECK_INT(usm__codec_request_keyframe(e), USM_OK);
      pli++;
    }
  }
  printf("640x360 @ 1000 kbit/s%s: %d coded (%d skipped, %d IDR), %d decoded, PSNR min %.2f mean %.2f dB, "
         "%.0f kbit/s sent in %zu packets, encode %.2f ms, decode %.2f ms per frame\n",
         lose_at >= 0 ? " with a lost packet" : "", coded, skipped, keys, decoded, worst,
         decoded ? sum / decoded : 0.0, (double)bytes * 8 * 30 / frames / 1000, packets, enc_ms / frames,
         decoded ? dec_ms / decoded : 0.0);
  if (lose_at < 0) {
    CHECK_INT(decoded, coded);
    CHECK_INT(keys, 1);
    CHECK_INT(pli, 0);
    CHECK(skipped <= frames / 10);
    CHECK((double)bytes * 8 * 30 / frames < 1000000 * 1.3); /* holds the rate */
  } else {
    CHECK(!lost_ts_decoded);
    CHECK(pli >= 1);
    CHECK(first_after_loss > lose_at + 1); /* the frames after the hole are not shown */
    CHECK_INT(keys, 2);
    CHECK(decoded >= coded - 6);
  }
  free(pl.data);
  pic_free(&pic[0]);
  pic_free(&pic[1]);
out:
  usm__h264_asm_destroy(as);
  usm__codec_encoder_destroy(e);
  usm__codec_decoder_destroy(d);
}

/* A few encoded access units for the decoder tests. */
typedef struct {
  payload f[40];
  int n;
} stream;

static void stream_free(stream *s) {
  for (int i = 0; i < 40; i++) free(s->f[i].data);
}

static void stream_make(stream *s, unsigned w, unsigned h, int n, int key_at) {
  memset(s, 0, sizeof s[0]);
  usm__codec_params p = video_params(w, h, 500000, 0);
  usm__codec_enc *e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_OK);
  if (!e) return;
  picture pic = pic_alloc(w, h);
  for (int i = 0; i < n && i < 40; i++) {
    if (i == key_at) CHECK_INT(usm__codec_request_keyframe(e), USM_OK);
    pic_draw(&pic, (unsigned)i);
    usm__codec_frame f = pic_frame(&pic, (uint32_t)i * TS_STEP);
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &s->f[s->n]), USM_OK);
    if (s->f[s->n].count) s->n++;
  }
  pic_free(&pic);
  usm__codec_encoder_destroy(e);
}

static void expect(usm__codec_dec *d, const uint8_t *data, size_t len, usm_err want, int want_got) {
  usm__codec_frame o = {.kind = USM__CODEC_KIND_VIDEO};
  int got = -1;
  CHECK_INT(usm__codec_decode(d, data, len, &o, &got), want);
  CHECK_INT(got, want_got);
}

static void test_decoder_guard(void) {
  stream s;
  stream_make(&s, 320, 180, 20, 10);
  CHECK(s.n >= 18);
  if (s.n < 18) goto out;
  int k2 = -1;
  for (int i = 1; i < s.n; i++)
    if (s.f[i].flags & USM__CODEC_PAYLOAD_KEYFRAME) k2 = i;
  CHECK(k2 > 0);
  CHECK(s.f[0].flags & USM__CODEC_PAYLOAD_KEYFRAME);
  usm__codec_params p = video_params(0, 0, 0, 0);
  usm__codec_dec *d = NULL;
  CHECK_INT(usm__codec_decoder_create(usm__codec_h264(), &p, &d), USM_OK);
  if (!d || k2 < 0) goto out_d;
  /* P frames before any IDR: refused, nothing handed out. */
  CHECK_INT(usm__h264_decoder_needs_keyframe(d), 1);
  expect(d, s.f[1].data, s.f[1].len, USM_ERR_WRONG_STATE, 0);
  for (int i = 0; i < 4; i++) expect(d, s.f[i].data, s.f[i].len, USM_OK, 1);
  CHECK_INT(usm__h264_decoder_needs_keyframe(d), 0);
  /* A loss: P frames refused until the next IDR. */
  expect(d, NULL, 0, USM_OK, 0);
  CHECK_INT(usm__h264_decoder_needs_keyframe(d), 1);
  for (int i = 5; i < k2; i++) expect(d, s.f[i].data, s.f[i].len, USM_ERR_WRONG_STATE, 0);
  expect(d, s.f[k2].data, s.f[k2].len, USM_OK, 1);
  CHECK_INT(usm__h264_decoder_needs_keyframe(d), 0);
  expect(d, s.f[k2 + 1].data, s.f[k2 + 1].len, USM_OK, 1);
  /* A truncated P frame: refused (or at least no picture), and the chain is broken. */
  usm__codec_frame o = {.kind = USM__CODEC_KIND_VIDEO};
  int got = 0;
  usm_err r = usm__codec_decode(d, s.f[k2 + 2].data, s.f[k2 + 2].len / 3, &o, &got);
  if (r == USM_OK) {
    /* OpenH264 may not notice a cut slice by itself; then the next one must
     * still decode to the right size. Either way nothing crashes. */
    CHECK(!got || (o.u.video.width == 320 && o.u.video.height == 180));
  } else {
    CHECK_INT(got, 0);
    CHECK_INT(usm__h264_decoder_needs_keyframe(d), 1);
  }
  /* Garbage: not Annex B, forbidden bit, SVC extension, empty. */
  const uint8_t junk[] = {0x12, 0x34, 0x56};
  const uint8_t fbit[] = {0, 0, 0, 1, 0xE5, 0x88};
  const uint8_t subset_sps[] = {0, 0, 0, 1, 0x6f, 0x53, 0, 0x1e};
  const uint8_t zeros[] = {0, 0, 0, 0};
  expect(d, junk, sizeof junk, USM_ERR_MALFORMED, 0);
  CHECK_INT(usm__h264_decoder_needs_keyframe(d), 1);
  expect(d, fbit, sizeof fbit, USM_ERR_MALFORMED, 0);
  expect(d, subset_sps, sizeof subset_sps, USM_ERR_MALFORMED, 0);
  expect(d, zeros, sizeof zeros, USM_ERR_MALFORMED, 0);
  /* An IDR whose SPS announces 4096x2304: refused before OpenH264 sees it. */
  sps_desc big = {.profile = 66, .constraints = 0xc0, .level = 51, .mbs_w = 256, .map_h = 144, .frame_mbs_only = 1};
  uint8_t au[128], nal[64];
  size_t n = sps_make(&big, nal);
  size_t len = au_add(au, 0, nal, n);
  len = au_add(au, len, (const uint8_t[]){0x68, 0xce, 0x3c, 0x80}, 4);
  len = au_add(au, len, (const uint8_t[]){0x65, 0x88, 0x84, 0x00, 0x33}, 5);
  expect(d, au, len, USM_ERR_LIMIT, 0);
  /* A broken SPS: refused. */
  au[5] ^= 0xFF;
  au[6] = 0xFF;
  au[7] = 0;
  au[8] = 0;
  au[9] = 0;
  au[10] = 0;
  expect(d, au, len, USM_ERR_MALFORMED, 0);
  /* Garbage that claims to be an IDR after a valid SPS/PPS: OpenH264 rejects
   * it or not, but never hands out a picture with a broken chain. */
  size_t pos = 0, nl = 0;
  const uint8_t *nn = NULL;
  uint8_t fake[512];
  size_t fl = 0;
  while (usm__h264_annexb_next(s.f[0].data, s.f[0].len, &pos, &nn, &nl) == 1) {
    unsigned t = nn[0] & 0x1f;
    if (t == 7 || t == 8) fl = au_add(fake, fl, nn, nl);
  }
  uint8_t body[200];
  nal_fill(body, sizeof body, 0x65, 77);
  fl = au_add(fake, fl, body, sizeof body);
  o = (usm__codec_frame){.kind = USM__CODEC_KIND_VIDEO};
  r = usm__codec_decode(d, fake, fl, &o, &got);
  CHECK(r == USM_OK || r == USM_ERR_MALFORMED);
  if (r != USM_OK) CHECK_INT(usm__h264_decoder_needs_keyframe(d), 1);
  /* Recovery on the next real IDR. */
  expect(d, s.f[0].data, s.f[0].len, USM_OK, 1);
  CHECK_INT(usm__h264_decoder_needs_keyframe(d), 0);
  /* Bad arguments. */
  CHECK_INT(usm__codec_decode(d, s.f[1].data, s.f[1].len, NULL, &got), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__h264_decoder_needs_keyframe(NULL), 0);
out_d:
  usm__codec_decoder_destroy(d);
out:
  stream_free(&s);
}

static void test_keyframes(void) {
  usm__codec_params p = video_params(160, 90, 200000, 10);
  usm__codec_enc *e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_OK);
  if (!e) return;
  picture pic = pic_alloc(160, 90);
  payload pl = {0};
  int keys = 0, requested_ok = 0;
  for (unsigned i = 0; i < 40; i++) {
    if (i == 23) CHECK_INT(usm__codec_request_keyframe(e), USM_OK);
    pic_draw(&pic, i);
    usm__codec_frame f = pic_frame(&pic, i * TS_STEP);
    pl.count = 0;
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_OK);
    if (!pl.count) continue;
    int key = (pl.flags & USM__CODEC_PAYLOAD_KEYFRAME) != 0;
    keys += key;
    if (i == 0) CHECK(key);
    if (i == 23) requested_ok = key;
  }
  CHECK(requested_ok);
  CHECK(keys >= 4 && keys <= 6); /* 0, 10, 20, 23, 30 (+/- where the interval restarts) */
  printf("keyframe interval 10 + request at 23: %d IDRs in 40 frames\n", keys);
  usm__codec_encoder_destroy(e);
  /* Interval 0: the first frame and the requested one only. */
  p.video.keyframe_interval = 0;
  e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_OK);
  keys = 0;
  for (unsigned i = 0; i < 60 && e; i++) {
    if (i == 40) CHECK_INT(usm__codec_request_keyframe(e), USM_OK);
    pic_draw(&pic, i * 7u); /* jumps: no scene-cut IDRs either */
    usm__codec_frame f = pic_frame(&pic, i * TS_STEP);
    pl.count = 0;
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_OK);
    if (pl.count && (pl.flags & USM__CODEC_PAYLOAD_KEYFRAME)) {
      keys++;
      CHECK(i == 0 || i == 40);
    }
  }
  CHECK_INT(keys, 2);
  usm__codec_encoder_destroy(e);
  free(pl.data);
  pic_free(&pic);
}

static double mean_bytes(usm__codec_enc *e, picture *pic, unsigned *n, int from, int to) {
  payload pl = {0};
  size_t sum = 0;
  for (int i = 0; i < to; i++, (*n)++) {
    pic_draw(pic, *n);
    usm__codec_frame f = pic_frame(pic, *n * TS_STEP);
    pl.count = 0;
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_OK);
    if (i >= from && pl.count) sum += pl.len;
  }
  free(pl.data);
  return (double)sum / (to - from);
}

static void test_bitrate(void) {
  usm__codec_params p = video_params(640, 360, 1500000, 0);
  usm__codec_enc *e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_OK);
  if (!e) return;
  picture pic = pic_alloc(640, 360);
  unsigned n = 0;
  double hi = mean_bytes(e, &pic, &n, 30, 60);
  CHECK_INT(usm__codec_set_bitrate(e, 250000), USM_OK);
  uint32_t now = 0;
  CHECK_INT(usm__h264_encoder_bitrate(e, &now), USM_OK);
  CHECK_INT(now, 250000);
  double lo = mean_bytes(e, &pic, &n, 30, 60);
  printf("bitrate 1500 -> 250 kbit/s: %.0f -> %.0f kbit/s measured (frames 30-59 after each)\n",
         hi * 8 * 30 / 1000, lo * 8 * 30 / 1000);
  CHECK(lo < hi / 3);
  CHECK(lo * 8 * 30 < 250000 * 1.5);
  CHECK_INT(usm__codec_set_bitrate(e, 1000), USM_OK);
  CHECK_INT(usm__h264_encoder_bitrate(e, &now), USM_OK);
  CHECK_INT(now, USM__H264_MIN_BITRATE);
  CHECK_INT(usm__codec_set_bitrate(e, 0), USM_ERR_INVALID_ARG);
  usm__codec_encoder_destroy(e);
  p.video.max_bitrate = 400000;
  e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_OK);
  CHECK_INT(usm__h264_encoder_bitrate(e, &now), USM_OK);
  CHECK_INT(now, 400000);
  CHECK_INT(usm__codec_set_bitrate(e, 900000), USM_OK);
  CHECK_INT(usm__h264_encoder_bitrate(e, &now), USM_OK);
  CHECK_INT(now, 400000);
  usm__codec_encoder_destroy(e);
  pic_free(&pic);
}

static void test_resolution_change(void) {
  usm__codec_params p = video_params(320, 180, 300000, 0);
  usm__codec_enc *e = NULL;
  usm__codec_dec *d = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_OK);
  CHECK_INT(usm__codec_decoder_create(usm__codec_h264(), &p, &d), USM_OK);
  if (!e || !d) goto out;
  picture a = pic_alloc(320, 180), b = pic_alloc(176, 144);
  payload pl = {0};
  for (unsigned i = 0; i < 12; i++) {
    picture *pic = i < 6 ? &a : &b;
    pic_draw(pic, i);
    usm__codec_frame f = pic_frame(pic, i * TS_STEP);
    pl.count = 0;
    CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_OK);
    if (!pl.count) continue;
    if (i == 0 || i == 6) CHECK(pl.flags & USM__CODEC_PAYLOAD_KEYFRAME);
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

static void test_bad_params(void) {
  usm__codec_enc *e = (usm__codec_enc *)1;
  usm__codec_params p = video_params(641, 360, 0, 0);
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_ERR_INVALID_ARG); /* odd width */
  CHECK(e == NULL);
  p = video_params(3842, 2160, 0, 0);
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_ERR_INVALID_ARG);
  p = video_params(0, 360, 0, 0);
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_ERR_INVALID_ARG);
  p = video_params(640, 360, 0, 0);
  p.video.fps = 61;
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_ERR_INVALID_ARG);
  p.kind = USM__CODEC_KIND_AUDIO;
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_ERR_INVALID_ARG);
  usm__codec_dec *d = NULL;
  CHECK_INT(usm__codec_decoder_create(usm__codec_h264(), &p, &d), USM_ERR_INVALID_ARG);
  /* Default bitrate, and a frame that does not match its own strides. */
  p = video_params(160, 90, 0, 0);
  CHECK_INT(usm__codec_encoder_create(usm__codec_h264(), &p, &e), USM_OK);
  uint32_t bps = 0;
  CHECK_INT(usm__h264_encoder_bitrate(e, &bps), USM_OK);
  CHECK(bps >= 100000);
  picture pic = pic_alloc(160, 90);
  usm__codec_frame f = pic_frame(&pic, 0);
  f.u.video.stride[0] = 100;
  payload pl = {0};
  CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_ERR_INVALID_ARG);
  f = pic_frame(&pic, 0);
  f.u.video.width = 161;
  CHECK_INT(usm__codec_encode(e, &f, on_payload, &pl), USM_ERR_INVALID_ARG);
  CHECK_INT(pl.count, 0);
  usm__codec_encoder_destroy(e);
  pic_free(&pic);
  CHECK_INT(usm__h264_encoder_bitrate(NULL, &bps), USM_ERR_INVALID_ARG);
}

int main(void) {
  test_ops();
  round_trip(60, -1, MIN_PSNR_360P_DB);
  round_trip(60, 20, MIN_PSNR_360P_DB);
  test_decoder_guard();
  test_keyframes();
  test_bitrate();
  test_resolution_change();
  test_bad_params();
  return check_done("test_h264_codec");
}
