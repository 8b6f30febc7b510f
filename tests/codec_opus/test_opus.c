/* The Opus codec behind the codec interface, measured: SNR and correlation
 * of decoded tones (aligned by the encoder's lookahead), every frame size,
 * stereo, PLC versus FEC recovery at 10 % loss, DTX, bitrate changes, the
 * RFC 7587 fmtp table, bad params and garbage payloads. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec/codec.h"
#include "codec/opus.h"
#include "codec/opus_sdp.h"

#define RATE 48000
#define PI 3.14159265358979323846

/* Quality bounds, set with margin below what libopus 1.3.1 gives here
 * (measured: tone 19.5 dB, two tones 12.9 dB, stereo 24.6 dB, the worst
 * frame size 17.8 dB at 10 ms, correlation >= 0.97, FEC 4.2 dB over PLC;
 * docs/codecs.md). */
#define MIN_SNR_TONE_DB 15.0
#define MIN_SNR_TWO_TONE_DB 10.0
#define MIN_SNR_STEREO_DB 18.0
#define MIN_SNR_FRAME_SIZE_DB 14.0
#define MIN_CORR 0.9
#define MIN_FEC_GAIN_DB 2.0 /* FEC over PLC, on the lost frames only */

/* ---- signals and measures ---- */

typedef struct {
  double f[2], amp[2]; /* up to two tones per channel */
} tone;

/* Interleaved s16, n samples per channel; channel c gets tones t[c]. */
static int16_t *make_tones(size_t n, unsigned ch, const tone *t) {
  int16_t *pcm = calloc(n * ch, sizeof *pcm);
  if (!pcm) abort();
  for (size_t i = 0; i < n; i++)
    for (unsigned c = 0; c < ch; c++) {
      double v = 0;
      for (int k = 0; k < 2; k++) v += t[c].amp[k] * sin(2 * PI * t[c].f[k] * (double)i / RATE);
      pcm[i * ch + c] = (int16_t)lrint(v);
    }
  return pcm;
}

/* A "melody": the pitch jumps to a new random note every 20 ms (continuous
 * phase), so concealment cannot guess a lost frame from the one before. */
static int16_t *make_melody(size_t n, uint32_t seed) {
  int16_t *pcm = calloc(n, sizeof *pcm);
  if (!pcm) abort();
  double phase = 0, f = 440;
  for (size_t i = 0; i < n; i++) {
    if (i % 960 == 0) {
      seed = seed * 1103515245u + 12345u;
      f = 250.0 + (double)((seed >> 16) % 900);
    }
    phase += 2 * PI * f / RATE;
    pcm[i] = (int16_t)lrint(8000.0 * sin(phase) + 3000.0 * sin(2.0 * phase));
  }
  return pcm;
}

/* SNR (dB) and correlation of out against ref on channel c, samples
 * [from, to) of ref, with out delayed by `delay` samples. */
static void measure(const int16_t *ref, const int16_t *out, unsigned ch, unsigned c, size_t from, size_t to,
                    size_t delay, double *snr, double *corr) {
  double s = 0, e = 0, xy = 0, xx = 0, yy = 0;
  for (size_t i = from; i < to; i++) {
    double x = ref[i * ch + c], y = out[(i + delay) * ch + c];
    s += x * x;
    e += (x - y) * (x - y);
    xy += x * y;
    xx += x * x;
    yy += y * y;
  }
  if (snr) *snr = e > 0 ? 10 * log10(s / e) : 200;
  if (corr) *corr = xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0;
}

/* The codec's delay is the encoder lookahead (312 samples at 48 kHz) but not a
 * whole number of samples: the best integer alignment lies within a sample
 * or two of it, and one sample off costs several dB on a 1 kHz tone. */
#define LAG_SEARCH 2

static size_t best_lag(const int16_t *ref, const int16_t *out, unsigned ch, size_t from, size_t to, int la) {
  size_t best = (size_t)la;
  double best_snr = -1e9;
  for (int lag = la - LAG_SEARCH; lag <= la + LAG_SEARCH; lag++) {
    double snr = 0;
    measure(ref, out, ch, 0, from, to - LAG_SEARCH, (size_t)lag, &snr, NULL);
    if (snr > best_snr) {
      best_snr = snr;
      best = (size_t)lag;
    }
  }
  return best;
}

/* ---- encode/decode harness ---- */

#define MAX_PKT 1500

typedef struct {
  uint8_t data[MAX_PKT];
  size_t len;
  unsigned flags;
  uint32_t ts, dur;
} pkt;

typedef struct {
  pkt *p;
  size_t n, cap;
} pkt_list;

static usm_err collect(void *user, const usm__codec_payload *pl) {
  pkt_list *l = user;
  if (l->n == l->cap || pl->len > MAX_PKT) return USM_ERR_LIMIT;
  pkt *k = &l->p[l->n++];
  memcpy(k->data, pl->data, pl->len);
  k->len = pl->len;
  k->flags = pl->flags;
  k->ts = pl->timestamp;
  k->dur = pl->duration;
  return USM_OK;
}

static usm__codec_params audio_params(unsigned ch, unsigned frame_ms, uint32_t bitrate) {
  usm__codec_params p;
  memset(&p, 0, sizeof p);
  p.kind = USM__CODEC_KIND_AUDIO;
  p.audio.sample_rate = RATE;
  p.audio.channels = ch;
  p.audio.frame_ms = frame_ms;
  p.audio.bitrate = bitrate;
  return p;
}

/* Encodes n samples per channel of pcm in frames of frame_ms; one list entry
 * per frame (len 0 when the encoder sent nothing). Returns the lookahead. */
static int encode_all(const usm__codec_params *p, const int16_t *pcm, size_t n, pkt_list *out) {
  usm__codec_enc *e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_opus(), p, &e), USM_OK);
  if (!e) return 0;
  int la = -1;
  CHECK_INT(usm__opus_lookahead(e, &la), USM_OK);
  size_t fs = p->audio.frame_ms * (RATE / 1000), frames = n / fs;
  out->p = calloc(frames, sizeof *out->p);
  out->cap = frames;
  out->n = 0;
  for (size_t i = 0; i < frames; i++) {
    usm__codec_frame f = {.kind = USM__CODEC_KIND_AUDIO, .timestamp = (uint32_t)(i * fs)};
    f.u.audio.pcm = (int16_t *)(pcm + i * fs * p->audio.channels);
    f.u.audio.channels = p->audio.channels;
    f.u.audio.samples = fs;
    size_t before = out->n;
    CHECK_INT(usm__codec_encode(e, &f, collect, out), USM_OK);
    if (out->n == before) out->p[out->n++].len = 0; /* DTX: keep one entry per frame */
  }
  usm__codec_encoder_destroy(e);
  return la;
}

enum { RECOVER_PLC, RECOVER_FEC };

/* Decodes the list into a buffer of frames*fs samples per channel; frames
 * with lost[i] set are concealed (PLC) or rebuilt from the next packet (FEC). */
static int16_t *decode_all(const usm__codec_params *p, const pkt_list *l, const unsigned char *lost, int mode) {
  usm__codec_dec *d = NULL;
  CHECK_INT(usm__codec_decoder_create(usm__codec_opus(), p, &d), USM_OK);
  size_t fs = p->audio.frame_ms * (RATE / 1000);
  int16_t *out = calloc((l->n + 1) * fs * p->audio.channels, sizeof *out);
  if (!out || !d) abort();
  for (size_t i = 0; i < l->n; i++) {
    usm__codec_frame f = {.kind = USM__CODEC_KIND_AUDIO};
    f.u.audio.pcm = out + i * fs * p->audio.channels;
    f.u.audio.capacity = fs;
    int got = 0;
    usm_err r;
    if (lost && lost[i]) {
      f.u.audio.samples = fs;
      if (mode == RECOVER_FEC && i + 1 < l->n && !(lost[i + 1]))
        r = usm__opus_decode_fec(d, l->p[i + 1].data, l->p[i + 1].len, &f);
      else
        r = usm__codec_decode(d, NULL, 0, &f, &got);
    } else {
      r = usm__codec_decode(d, l->p[i].len ? l->p[i].data : NULL, l->p[i].len, &f, &got);
    }
    CHECK_INT(r, USM_OK);
    CHECK_INT(f.u.audio.samples, fs);
    CHECK_INT(f.u.audio.channels, p->audio.channels);
  }
  usm__codec_decoder_destroy(d);
  return out;
}

/* ---- tests ---- */

static double tone_snr(const tone *t, unsigned ch, unsigned frame_ms, uint32_t bitrate, double *corr_out,
                       double *snr_ch1) {
  size_t n = RATE * 2; /* 2 s */
  int16_t *ref = make_tones(n, ch, t);
  usm__codec_params p = audio_params(ch, frame_ms, bitrate);
  pkt_list l = {0};
  int la = encode_all(&p, ref, n, &l);
  int16_t *out = decode_all(&p, &l, NULL, RECOVER_PLC);
  size_t fs = frame_ms * (RATE / 1000), got = l.n * fs;
  double snr = 0, corr = 0;
  /* skip the first 200 ms (encoder warm-up) */
  size_t from = RATE / 5, to = got - (size_t)la - LAG_SEARCH;
  double snr_la = 0;
  measure(ref, out, ch, 0, from, to, (size_t)la, &snr_la, NULL);
  size_t lag = best_lag(ref, out, ch, from, to, la);
  measure(ref, out, ch, 0, from, to, lag, &snr, &corr);
  printf("  (delay %zu samples, lookahead %d; SNR at exactly the lookahead %.1f dB)\n", lag, la, snr_la);
  if (corr_out) *corr_out = corr;
  if (snr_ch1) measure(ref, out, ch, 1, from, to, lag, snr_ch1, NULL);
  free(ref);
  free(out);
  free(l.p);
  return snr;
}

static void test_tone_quality(void) {
  tone t1 = {{1000, 0}, {10000, 0}};
  double corr = 0;
  double snr = tone_snr(&t1, 1, 20, 32000, &corr, NULL);
  printf("1 kHz tone, mono, 20 ms, 32 kbit/s: SNR %.1f dB, correlation %.4f\n", snr, corr);
  CHECK(snr > MIN_SNR_TONE_DB);
  CHECK(corr > MIN_CORR);

  tone t2 = {{440, 2500}, {7000, 5000}};
  snr = tone_snr(&t2, 1, 20, 32000, &corr, NULL);
  printf("440 Hz + 2.5 kHz, mono, 20 ms, 32 kbit/s: SNR %.1f dB, correlation %.4f\n", snr, corr);
  CHECK(snr > MIN_SNR_TWO_TONE_DB);
  CHECK(corr > MIN_CORR);
}

static void test_stereo(void) {
  tone t[2] = {{{1000, 0}, {10000, 0}}, {{600, 0}, {8000, 0}}};
  double corr = 0, snr_r = 0;
  double snr_l = tone_snr(t, 2, 20, 64000, &corr, &snr_r);
  printf("stereo (1 kHz left, 600 Hz right), 20 ms, 64 kbit/s: SNR %.1f / %.1f dB, correlation L %.4f\n", snr_l,
         snr_r, corr);
  CHECK(snr_l > MIN_SNR_STEREO_DB);
  CHECK(snr_r > MIN_SNR_STEREO_DB);
  CHECK(corr > MIN_CORR);
}

static void test_frame_sizes(void) {
  static const unsigned sizes[] = {10, 20, 40, 60};
  tone t1 = {{1000, 0}, {10000, 0}};
  for (size_t i = 0; i < 4; i++) {
    double corr = 0;
    double snr = tone_snr(&t1, 1, sizes[i], 32000, &corr, NULL);
    printf("1 kHz tone, %u ms frames, 32 kbit/s: SNR %.1f dB, correlation %.4f\n", sizes[i], snr, corr);
    CHECK(snr > MIN_SNR_FRAME_SIZE_DB);
    CHECK(corr > MIN_CORR);
  }
  /* payload metadata: timestamp passed through, duration in samples, marker on the first */
  usm__codec_params p = audio_params(1, 40, 32000);
  int16_t *ref = make_tones(RATE / 5, 1, &t1);
  pkt_list l = {0};
  encode_all(&p, ref, RATE / 5, &l);
  CHECK_INT(l.n, 5);
  CHECK_INT(l.p[1].ts, 1920);
  CHECK_INT(l.p[1].dur, 1920);
  CHECK(l.p[0].flags & USM__CODEC_PAYLOAD_TALKSPURT);
  CHECK(!(l.p[1].flags & USM__CODEC_PAYLOAD_TALKSPURT));
  CHECK(l.p[1].flags & USM__CODEC_PAYLOAD_LAST);
  free(ref);
  free(l.p);
}

/* 10 % isolated losses: PLC only versus FEC from the next packet. */
static void test_loss_plc_vs_fec(void) {
  size_t n = RATE * 10, fs = 960, frames = n / fs;
  int16_t *ref = make_melody(n, 7);
  usm__codec_params p = audio_params(1, 20, 32000);
  p.audio.fec = 1;
  p.audio.expected_loss_pct = 10;
  pkt_list l = {0};
  int la = encode_all(&p, ref, n, &l);
  unsigned char *lost = calloc(frames, 1);
  uint32_t seed = 12345;
  size_t n_lost = 0;
  for (size_t i = 10; i + 2 < frames; i++) {
    seed = seed * 1103515245u + 12345u;
    if ((seed >> 16) % 100 < 10 && !lost[i - 1]) {
      lost[i] = 1;
      n_lost++;
    }
  }
  int16_t *plc = decode_all(&p, &l, lost, RECOVER_PLC);
  int16_t *fec = decode_all(&p, &l, lost, RECOVER_FEC);
  int16_t *clean = decode_all(&p, &l, NULL, RECOVER_PLC);
  size_t lag = best_lag(ref, clean, 1, RATE / 5, n - (size_t)la - LAG_SEARCH, la);
  /* SNR over the lost frames only (the output of frame i is ref[i*fs - lag ..]) */
  double s = 0, e_plc = 0, e_fec = 0, e_clean = 0;
  for (size_t i = 0; i < frames; i++) {
    if (!lost[i]) continue;
    for (size_t k = i * fs; k < (i + 1) * fs; k++) {
      double x = ref[k - lag];
      s += x * x;
      e_plc += (x - plc[k]) * (x - plc[k]);
      e_fec += (x - fec[k]) * (x - fec[k]);
      e_clean += (x - clean[k]) * (x - clean[k]);
    }
  }
  double snr_plc = 10 * log10(s / e_plc), snr_fec = 10 * log10(s / e_fec), snr_clean = 10 * log10(s / e_clean);
  double all_plc = 0, all_fec = 0;
  measure(ref, plc, 1, 0, RATE / 5, n - lag, lag, &all_plc, NULL);
  measure(ref, fec, 1, 0, RATE / 5, n - lag, lag, &all_fec, NULL);
  printf("10%% loss (%zu of %zu frames, melody, 32 kbit/s, FEC on): lost frames SNR: PLC %.1f dB, FEC %.1f dB, "
         "no loss %.1f dB; whole signal: PLC %.1f dB, FEC %.1f dB\n",
         n_lost, frames, snr_plc, snr_fec, snr_clean, all_plc, all_fec);
  CHECK(n_lost >= frames / 15);
  CHECK(snr_fec > snr_plc + MIN_FEC_GAIN_DB);
  CHECK(all_fec > all_plc);
  free(ref);
  free(lost);
  free(plc);
  free(fec);
  free(clean);
  free(l.p);
}

static void test_dtx(void) {
  size_t n = RATE * 3, fs = 960;
  int16_t *pcm = calloc(n, sizeof *pcm);
  /* 1 s of tone, 2 s of silence */
  for (size_t i = 0; i < RATE; i++) pcm[i] = (int16_t)lrint(8000 * sin(2 * PI * 500 * (double)i / RATE));
  usm__codec_params p = audio_params(1, 20, 32000);
  p.audio.dtx = 1;
  pkt_list l = {0};
  encode_all(&p, pcm, n, &l);
  size_t silent_frames = 0, sent = 0, bytes = 0;
  for (size_t i = RATE / fs + 25; i < l.n; i++) { /* after 0.5 s of silence */
    silent_frames++;
    if (l.p[i].len) sent++;
    bytes += l.p[i].len;
  }
  printf("DTX: %zu of %zu silent frames sent, %zu bytes\n", sent, silent_frames, bytes);
  CHECK(sent * 5 < silent_frames); /* under 20 % sent */
  CHECK(bytes < silent_frames * 3);

  /* without DTX every frame is sent */
  p.audio.dtx = 0;
  pkt_list l2 = {0};
  encode_all(&p, pcm, n, &l2);
  size_t sent2 = 0;
  for (size_t i = 0; i < l2.n; i++) sent2 += l2.p[i].len > 0;
  CHECK_INT(sent2, l2.n);
  free(l.p);
  free(l2.p);

  /* silence then speech: the first payload after the pause starts a talkspurt */
  for (size_t i = 0; i < n; i++) pcm[i] = i < 2 * RATE ? 0 : (int16_t)lrint(8000 * sin(2 * PI * 500 * (double)i / RATE));
  p.audio.dtx = 1;
  pkt_list l3 = {0};
  encode_all(&p, pcm, n, &l3);
  size_t first_talk = 2 * RATE / fs;
  int marked = 0;
  for (size_t i = first_talk; i < first_talk + 3 && i < l3.n; i++)
    if (l3.p[i].len && (l3.p[i].flags & USM__CODEC_PAYLOAD_TALKSPURT)) marked = 1;
  CHECK(marked);
  CHECK(!(l3.p[l3.n - 1].flags & USM__CODEC_PAYLOAD_TALKSPURT));
  free(l3.p);
  free(pcm);
}

typedef struct {
  size_t bytes[2];
  int phase;
  size_t last_len;
} size_acc;

static usm_err count_bytes(void *user, const usm__codec_payload *pl) {
  size_acc *a = user;
  a->bytes[a->phase] += pl->len;
  a->last_len = pl->len;
  return USM_OK;
}

/* Encodes 1 s of pcm (mono, 20 ms frames), switching to `second` bit/s
 * after `switch_at` frames (0: no switch). */
static void encode_second(usm__codec_enc *e, const int16_t *pcm, size_t switch_at, uint32_t second, size_acc *acc) {
  for (size_t i = 0; i < RATE / 960; i++) {
    if (switch_at && i == switch_at) {
      CHECK_INT(usm__codec_set_bitrate(e, second), USM_OK);
      acc->phase = 1;
    }
    usm__codec_frame f = {.kind = USM__CODEC_KIND_AUDIO, .timestamp = (uint32_t)(i * 960)};
    f.u.audio.pcm = (int16_t *)pcm + i * 960;
    f.u.audio.channels = 1;
    f.u.audio.samples = 960;
    CHECK_INT(usm__codec_encode(e, &f, count_bytes, acc), USM_OK);
  }
}

static void test_bitrate_change(void) {
  tone t2 = {{440, 2500}, {7000, 5000}};
  int16_t *pcm = make_tones(RATE, 1, &t2);
  /* VBR: 64 kbit/s for 0.5 s, then 12 kbit/s (VBR overshoots on tones, so
   * compare the two halves) */
  usm__codec_params p = audio_params(1, 20, 64000);
  usm__codec_enc *e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_opus(), &p, &e), USM_OK);
  size_acc acc = {{0, 0}, 0, 0};
  encode_second(e, pcm, 25, 12000, &acc);
  printf("bitrate change (VBR): 64 kbit/s target -> %.1f kbit/s, 12 kbit/s target -> %.1f kbit/s\n",
         acc.bytes[0] * 16 / 1000.0, acc.bytes[1] * 16 / 1000.0);
  CHECK(acc.bytes[1] * 2 < acc.bytes[0]);
  CHECK_INT(usm__codec_set_bitrate(e, 0), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__codec_set_bitrate(e, 1), USM_OK);        /* clamped to 6 kbit/s */
  CHECK_INT(usm__codec_set_bitrate(e, 10000000), USM_OK); /* clamped to 510 kbit/s */
  CHECK_INT(usm__codec_request_keyframe(e), USM_OK);      /* audio: no-op */
  CHECK_INT(usm__opus_set_fec(e, 1, 20), USM_OK);
  CHECK_INT(usm__opus_set_fec(e, 1, 101), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__opus_set_dtx(e, 1), USM_OK);
  usm__codec_encoder_destroy(e);

  /* CBR: every packet has exactly the target size, before and after */
  p.audio.cbr = 1;
  CHECK_INT(usm__codec_encoder_create(usm__codec_opus(), &p, &e), USM_OK);
  memset(&acc, 0, sizeof acc);
  encode_second(e, pcm, 25, 12000, &acc);
  CHECK_INT(acc.bytes[0], 25 * 160); /* 64000 * 0.02 / 8 */
  CHECK_INT(acc.bytes[1], 25 * 30);  /* 12000 * 0.02 / 8 */
  usm__codec_encoder_destroy(e);

  /* max_bitrate caps every later change */
  p.audio.max_bitrate = 16000;
  CHECK_INT(usm__codec_encoder_create(usm__codec_opus(), &p, &e), USM_OK);
  memset(&acc, 0, sizeof acc);
  CHECK_INT(usm__codec_set_bitrate(e, 128000), USM_OK);
  encode_second(e, pcm, 0, 0, &acc);
  CHECK_INT(acc.bytes[0], 50 * 40); /* 16000 * 0.02 / 8 */
  CHECK_INT(acc.last_len, 40);
  usm__codec_encoder_destroy(e);
  free(pcm);
}

static void test_fmtp(void) {
  static const struct {
    const char *in;
    usm_err r;
    unsigned minptime, ptime, maxptime;
    int fec, dtx, stereo, sprop_stereo, cbr;
    unsigned maxplay, maxavg, ignored;
  } cases[] = {
      {NULL, USM_OK, 0, 0, 0, 0, 0, 0, 0, 0, 48000, 0, 0},
      {"", USM_OK, 0, 0, 0, 0, 0, 0, 0, 0, 48000, 0, 0},
      {"minptime=10;useinbandfec=1", USM_OK, 10, 0, 0, 1, 0, 0, 0, 0, 48000, 0, 0},
      {"minptime=10; useinbandfec=1; usedtx=1; stereo=1; sprop-stereo=1", USM_OK, 10, 0, 0, 1, 1, 1, 1, 0, 48000, 0, 0},
      {"maxplaybackrate=16000;maxaveragebitrate=20000;cbr=1", USM_OK, 0, 0, 0, 0, 0, 0, 0, 1, 16000, 20000, 0},
      {"MaxPlaybackRate=24000;USEINBANDFEC=1", USM_OK, 0, 0, 0, 1, 0, 0, 0, 0, 24000, 0, 0},
      {"ptime=40;maxptime=60", USM_OK, 0, 40, 60, 0, 0, 0, 0, 0, 48000, 0, 0},
      {" stereo = 1 ;;; ", USM_OK, 0, 0, 0, 0, 0, 1, 0, 0, 48000, 0, 0},
      {"useinbandfec=2;usedtx=yes;stereo=", USM_OK, 0, 0, 0, 0, 0, 0, 0, 0, 48000, 0, 3},
      {"maxplaybackrate=4000;maxaveragebitrate=600000;minptime=0", USM_OK, 0, 0, 0, 0, 0, 0, 0, 0, 48000, 0, 3},
      {"maxaveragebitrate=99999999999999999999", USM_OK, 0, 0, 0, 0, 0, 0, 0, 0, 48000, 0, 1},
      {"useinbandfec=-1;minptime=+10;maxptime=1 0", USM_OK, 0, 0, 0, 0, 0, 0, 0, 0, 48000, 0, 3},
      {"garbage;x=y;=1;useinbandfec;=;;profile-level-id=42e01f", USM_OK, 0, 0, 0, 0, 0, 0, 0, 0, 48000, 0, 0},
      {"\x01\xff=\x80;usedtx=1", USM_OK, 0, 0, 0, 0, 1, 0, 0, 0, 48000, 0, 0},
      {"stereo=1;stereo=0", USM_OK, 0, 0, 0, 0, 0, 0, 0, 0, 48000, 0, 0}, /* the last one wins */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    usm__opus_fmtp f;
    usm_err r = usm__opus_fmtp_parse(cases[i].in, &f);
    if (r != cases[i].r) fprintf(stderr, "fmtp case %zu\n", i);
    CHECK_INT(r, cases[i].r);
    CHECK_INT(f.minptime, cases[i].minptime);
    CHECK_INT(f.ptime, cases[i].ptime);
    CHECK_INT(f.maxptime, cases[i].maxptime);
    CHECK_INT(f.useinbandfec, cases[i].fec);
    CHECK_INT(f.usedtx, cases[i].dtx);
    CHECK_INT(f.stereo, cases[i].stereo);
    CHECK_INT(f.sprop_stereo, cases[i].sprop_stereo);
    CHECK_INT(f.cbr, cases[i].cbr);
    CHECK_INT(f.maxplaybackrate, cases[i].maxplay);
    CHECK_INT(f.maxaveragebitrate, cases[i].maxavg);
    if (f.ignored != cases[i].ignored) fprintf(stderr, "fmtp case %zu ignored %u\n", i, f.ignored);
    CHECK_INT(f.ignored, cases[i].ignored);
  }
  /* too long */
  char *big = malloc(USM__OPUS_FMTP_MAX_LEN + 2);
  memset(big, 'a', USM__OPUS_FMTP_MAX_LEN + 1);
  big[USM__OPUS_FMTP_MAX_LEN + 1] = 0;
  usm__opus_fmtp f;
  CHECK_INT(usm__opus_fmtp_parse(big, &f), USM_ERR_LIMIT);
  big[USM__OPUS_FMTP_MAX_LEN] = 0;
  CHECK_INT(usm__opus_fmtp_parse(big, &f), USM_OK);
  free(big);
  CHECK_INT(usm__opus_fmtp_parse("a=1", NULL), USM_ERR_INVALID_ARG);

  /* to encoder params */
  usm__codec_params p = audio_params(2, 10, 64000);
  CHECK_INT(usm__opus_fmtp_parse("minptime=20;useinbandfec=1;usedtx=1;maxaveragebitrate=24000;maxplaybackrate=16000",
                                 &f),
            USM_OK);
  usm__opus_fmtp_to_encoder(&f, &p);
  CHECK_INT(p.audio.frame_ms, 20);
  CHECK_INT(p.audio.fec, 1);
  CHECK_INT(p.audio.dtx, 1);
  CHECK_INT(p.audio.force_mono, 1); /* stereo absent: the peer prefers mono */
  CHECK_INT(p.audio.max_bitrate, 24000);
  CHECK_INT(p.audio.bitrate, 24000);
  CHECK_INT(p.audio.max_bandwidth_hz, 16000);
  usm__codec_enc *e = NULL;
  CHECK_INT(usm__codec_encoder_create(usm__codec_opus(), &p, &e), USM_OK);
  usm__codec_encoder_destroy(e);

  p = audio_params(2, 60, 0);
  CHECK_INT(usm__opus_fmtp_parse("stereo=1;maxptime=40", &f), USM_OK);
  usm__opus_fmtp_to_encoder(&f, &p);
  CHECK_INT(p.audio.frame_ms, 40);
  CHECK_INT(p.audio.force_mono, 0);
  CHECK_INT(p.audio.max_bandwidth_hz, 0);
  p = audio_params(1, 0, 0);
  CHECK_INT(usm__opus_fmtp_parse("ptime=30", &f), USM_OK);
  usm__opus_fmtp_to_encoder(&f, &p);
  CHECK_INT(p.audio.frame_ms, 40);
  p = audio_params(1, 10, 0);
  CHECK_INT(usm__opus_fmtp_parse("minptime=100", &f), USM_OK);
  usm__opus_fmtp_to_encoder(&f, &p);
  CHECK_INT(p.audio.frame_ms, 60);
  p = audio_params(1, 0, 0);
  CHECK_INT(usm__opus_fmtp_parse(NULL, &f), USM_OK);
  usm__opus_fmtp_to_encoder(&f, &p);
  CHECK_INT(p.audio.frame_ms, 20);

  /* to decoder params */
  p = audio_params(1, 20, 0);
  CHECK_INT(usm__opus_fmtp_parse("sprop-stereo=1;ptime=60", &f), USM_OK);
  usm__opus_fmtp_to_decoder(&f, &p);
  CHECK_INT(p.audio.channels, 2);
  CHECK_INT(p.audio.frame_ms, 60);
  CHECK_INT(usm__opus_fmtp_parse("minptime=10;useinbandfec=1", &f), USM_OK);
  usm__opus_fmtp_to_decoder(&f, &p);
  CHECK_INT(p.audio.channels, 1);
}

static void test_bad_params(void) {
  const usm__codec_ops *ops = usm__codec_opus();
  CHECK_INT(ops->version, USM__CODEC_API_VERSION);
  CHECK_INT(ops->id, USM__CODEC_ID_OPUS);
  CHECK_INT(ops->kind, USM__CODEC_KIND_AUDIO);
  CHECK_STR(ops->name, "opus");
  CHECK_INT(ops->clock_rate, 48000);

  usm__codec_enc *e = (usm__codec_enc *)1;
  usm__codec_dec *d = (usm__codec_dec *)1;
  usm__codec_params p = audio_params(1, 20, 0);
  p.audio.sample_rate = 44100;
  CHECK_INT(usm__codec_encoder_create(ops, &p, &e), USM_ERR_INVALID_ARG);
  CHECK(e == NULL);
  CHECK_INT(usm__codec_decoder_create(ops, &p, &d), USM_ERR_INVALID_ARG);
  CHECK(d == NULL);
  p = audio_params(1, 25, 0);
  CHECK_INT(usm__codec_encoder_create(ops, &p, &e), USM_ERR_INVALID_ARG);
  p = audio_params(1, 5, 0);
  CHECK_INT(usm__codec_encoder_create(ops, &p, &e), USM_ERR_INVALID_ARG);
  p = audio_params(1, 120, 0);
  CHECK_INT(usm__codec_encoder_create(ops, &p, &e), USM_ERR_INVALID_ARG);
  p = audio_params(3, 20, 0);
  CHECK_INT(usm__codec_encoder_create(ops, &p, &e), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__codec_decoder_create(ops, &p, &d), USM_ERR_INVALID_ARG);
  p = audio_params(0, 20, 0);
  CHECK_INT(usm__codec_encoder_create(ops, &p, &e), USM_ERR_INVALID_ARG);
  p = audio_params(1, 20, 0);
  p.kind = USM__CODEC_KIND_VIDEO;
  CHECK_INT(usm__codec_encoder_create(ops, &p, &e), USM_ERR_INVALID_ARG);
  p = audio_params(1, 20, 0);
  p.audio.expected_loss_pct = 101;
  CHECK_INT(usm__codec_encoder_create(ops, &p, &e), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__codec_encoder_create(ops, NULL, &e), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__codec_encoder_create(ops, &p, NULL), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__codec_encoder_create(NULL, &p, &e), USM_ERR_INVALID_ARG);
  /* a table from another interface version is refused */
  usm__codec_ops old = *ops;
  old.version = USM__CODEC_API_VERSION + 1;
  CHECK_INT(usm__codec_encoder_create(&old, &p, &e), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__codec_decoder_create(&old, &p, &d), USM_ERR_INVALID_ARG);

  /* sample_rate 0 means 48 kHz */
  p = audio_params(1, 20, 0);
  p.audio.sample_rate = 0;
  CHECK_INT(usm__codec_encoder_create(ops, &p, &e), USM_OK);
  /* frames that do not match */
  int16_t pcm[2 * 2880] = {0};
  pkt_list l = {0};
  pkt one[1];
  l.p = one;
  l.cap = 1;
  usm__codec_frame f = {.kind = USM__CODEC_KIND_AUDIO};
  f.u.audio.pcm = pcm;
  f.u.audio.channels = 1;
  f.u.audio.samples = 441;
  CHECK_INT(usm__codec_encode(e, &f, collect, &l), USM_ERR_INVALID_ARG);
  f.u.audio.samples = 960;
  f.u.audio.channels = 2;
  CHECK_INT(usm__codec_encode(e, &f, collect, &l), USM_ERR_INVALID_ARG);
  f.u.audio.channels = 1;
  CHECK_INT(usm__codec_encode(e, &f, NULL, &l), USM_ERR_INVALID_ARG);
  f.kind = USM__CODEC_KIND_VIDEO;
  CHECK_INT(usm__codec_encode(e, &f, collect, &l), USM_ERR_INVALID_ARG);
  f.kind = USM__CODEC_KIND_AUDIO;
  f.u.audio.samples = 2880; /* any allowed size, not only the params' */
  CHECK_INT(usm__codec_encode(e, &f, collect, &l), USM_OK);
  CHECK_INT(l.n, 1);
  CHECK_INT(one[0].dur, 2880);
  /* the callback's error stops encode */
  CHECK_INT(usm__codec_encode(e, &f, collect, &l), USM_ERR_LIMIT);
  usm__codec_encoder_destroy(e);
  usm__codec_encoder_destroy(NULL);
  usm__codec_decoder_destroy(NULL);
  CHECK_INT(usm__codec_encode(NULL, &f, collect, &l), USM_ERR_INVALID_ARG);

  /* Opus-only calls on a handle that is not Opus's */
  usm__codec_ops other = *ops;
  usm__codec_enc fake_e = {&other};
  usm__codec_dec fake_d = {&other};
  int la = 0;
  CHECK_INT(usm__opus_set_fec(&fake_e, 1, 10), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__opus_set_dtx(&fake_e, 1), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__opus_lookahead(&fake_e, &la), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__opus_decode_fec(&fake_d, NULL, 0, &f), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__opus_set_fec(NULL, 1, 10), USM_ERR_INVALID_ARG);
}

static void test_decoder_errors(void) {
  usm__codec_params p = audio_params(2, 20, 0);
  usm__codec_dec *d = NULL;
  CHECK_INT(usm__codec_decoder_create(usm__codec_opus(), &p, &d), USM_OK);
  int16_t pcm[2 * USM__CODEC_AUDIO_MAX_SAMPLES + 16];
  usm__codec_frame f = {.kind = USM__CODEC_KIND_AUDIO};
  f.u.audio.pcm = pcm;
  f.u.audio.capacity = USM__CODEC_AUDIO_MAX_SAMPLES;
  int got = 1;

  /* code 3 with zero frames; code 3 with a count over 48; a truncated code 2 */
  static const uint8_t bad1[] = {0x03, 0x00}, bad2[] = {0x03, 0x3f, 1, 2, 3}, bad3[] = {0x02, 0xfc};
  CHECK_INT(usm__codec_decode(d, bad1, sizeof bad1, &f, &got), USM_ERR_MALFORMED);
  CHECK_INT(got, 0);
  CHECK_INT(usm__codec_decode(d, bad2, sizeof bad2, &f, &got), USM_ERR_MALFORMED);
  CHECK_INT(usm__codec_decode(d, bad3, sizeof bad3, &f, &got), USM_ERR_MALFORMED);
  CHECK_INT(usm__opus_decode_fec(d, bad1, sizeof bad1, &f), USM_ERR_MALFORMED);

  /* random garbage: an error or a bounded frame, never a crash */
  uint32_t seed = 99;
  uint8_t buf[1500];
  size_t ok = 0, bad = 0;
  for (int i = 0; i < 2000; i++) {
    seed = seed * 1103515245u + 12345u;
    size_t len = 1 + (seed >> 16) % sizeof buf;
    for (size_t k = 0; k < len; k++) {
      seed = seed * 1103515245u + 12345u;
      buf[k] = (uint8_t)(seed >> 24);
    }
    f.u.audio.samples = 0;
    usm_err r = usm__codec_decode(d, buf, len, &f, &got);
    if (r == USM_OK) {
      ok++;
      CHECK(f.u.audio.samples <= USM__CODEC_AUDIO_MAX_SAMPLES);
    } else {
      bad++;
      CHECK(r == USM_ERR_MALFORMED);
    }
  }
  printf("garbage payloads: %zu decoded, %zu refused\n", ok, bad);
  CHECK(bad > 0);

  /* output that does not fit capacity: USM_ERR_LIMIT */
  tone t1 = {{1000, 0}, {10000, 0}};
  int16_t *ref = make_tones(2880, 2, (tone[2]){t1, t1});
  usm__codec_params pe = audio_params(2, 60, 0);
  pkt_list l = {0};
  encode_all(&pe, ref, 2880, &l);
  CHECK_INT(l.n, 1);
  f.u.audio.capacity = 960;
  CHECK_INT(usm__codec_decode(d, l.p[0].data, l.p[0].len, &f, &got), USM_ERR_LIMIT);
  f.u.audio.capacity = 2880;
  CHECK_INT(usm__codec_decode(d, l.p[0].data, l.p[0].len, &f, &got), USM_OK);
  CHECK_INT(got, 1);
  CHECK_INT(f.u.audio.samples, 2880);

  /* a loss conceals the last packet's duration by default, or what is asked */
  f.u.audio.samples = 0;
  CHECK_INT(usm__codec_decode(d, NULL, 0, &f, &got), USM_OK);
  CHECK_INT(f.u.audio.samples, 2880);
  f.u.audio.samples = 480;
  CHECK_INT(usm__codec_decode(d, NULL, 0, &f, &got), USM_OK);
  CHECK_INT(f.u.audio.samples, 480);
  f.u.audio.samples = 500; /* not a multiple of 2.5 ms */
  CHECK_INT(usm__codec_decode(d, NULL, 0, &f, &got), USM_ERR_INVALID_ARG);
  f.u.audio.samples = 2880;
  f.u.audio.capacity = 960;
  CHECK_INT(usm__codec_decode(d, NULL, 0, &f, &got), USM_ERR_LIMIT);
  f.u.audio.capacity = 0;
  CHECK_INT(usm__codec_decode(d, l.p[0].data, l.p[0].len, &f, &got), USM_ERR_INVALID_ARG);
  f.u.audio.capacity = 2880;
  f.u.audio.pcm = NULL;
  CHECK_INT(usm__codec_decode(d, l.p[0].data, l.p[0].len, &f, &got), USM_ERR_INVALID_ARG);
  f.u.audio.pcm = pcm;
  /* FEC through the generic entry point; with no next packet it conceals */
  f.u.audio.samples = 960;
  CHECK_INT(usm__codec_decode_fec(d, l.p[0].data, l.p[0].len, &f), USM_OK);
  CHECK_INT(f.u.audio.samples, 960);
  f.u.audio.samples = 960;
  CHECK_INT(usm__codec_decode_fec(d, NULL, 0, &f), USM_OK);
  CHECK_INT(f.u.audio.samples, 960);
  /* the decoder still works after all that garbage */
  f.u.audio.samples = 0;
  CHECK_INT(usm__codec_decode(d, l.p[0].data, l.p[0].len, &f, NULL), USM_OK);
  CHECK_INT(f.u.audio.samples, 2880);
  usm__codec_decoder_destroy(d);
  free(ref);
  free(l.p);
}

int main(void) {
  test_tone_quality();
  test_stereo();
  test_frame_sizes();
  test_loss_plc_vs_fec();
  test_dtx();
  test_bitrate_change();
  test_fmtp();
  test_bad_params();
  test_decoder_errors();
  return check_done("test_opus");
}
