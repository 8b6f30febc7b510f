/* Opus (RFC 6716) through libopus, as a usm__codec_ops table (RFC 7587
 * payloads: one Opus packet per RTP payload). Encoder: 48 kHz mono/stereo,
 * OPUS_APPLICATION_VOIP (speech-tuned, what calls carry), VBR, optional
 * in-band FEC and DTX. Decoder: packet loss concealment when a payload is
 * missing, FEC recovery from the following packet. */
#include "codec/opus.h"

#include <opus.h>
#include <stdlib.h>
#include <string.h>

typedef struct opus_enc {
  usm__codec_enc base; /* first: the generic handle */
  OpusEncoder *enc;
  unsigned channels;
  uint32_t max_bitrate;
  int dtx;
  int in_dtx;          /* the last frame was not sent (DTX): the next payload starts a talkspurt */
  uint8_t buf[USM__OPUS_MAX_PAYLOAD];
} opus_enc;

typedef struct opus_dec {
  usm__codec_dec base;
  OpusDecoder *dec;
  unsigned channels;
  int default_samples; /* the params' frame duration: concealment length before any packet */
} opus_dec;

static const usm__codec_ops opus_ops;

static int frame_samples_ok(size_t n) { return n == 480 || n == 960 || n == 1920 || n == 2880; }

/* Checks what encoder and decoder share: kind, rate, channels, frame size. */
static usm_err check_params(const usm__codec_params *p) {
  if (!p || p->kind != USM__CODEC_KIND_AUDIO) return USM_ERR_INVALID_ARG;
  if (p->audio.sample_rate != 0 && p->audio.sample_rate != USM__CODEC_AUDIO_RATE) return USM_ERR_INVALID_ARG;
  if (p->audio.channels != 1 && p->audio.channels != 2) return USM_ERR_INVALID_ARG;
  unsigned ms = p->audio.frame_ms;
  if (ms != 0 && ms != 10 && ms != 20 && ms != 40 && ms != 60) return USM_ERR_INVALID_ARG;
  if (p->audio.expected_loss_pct > 100) return USM_ERR_INVALID_ARG;
  return USM_OK;
}

static uint32_t clamp_bitrate(const opus_enc *e, uint32_t bps) {
  if (bps < USM__OPUS_MIN_BITRATE) bps = USM__OPUS_MIN_BITRATE;
  if (bps > e->max_bitrate) bps = e->max_bitrate;
  return bps;
}

/* maxplaybackrate (RFC 7587 §6.1) to the widest band worth coding. */
static opus_int32 bandwidth_for(unsigned hz) {
  if (hz == 0 || hz > 24000) return OPUS_BANDWIDTH_FULLBAND;
  if (hz > 16000) return OPUS_BANDWIDTH_SUPERWIDEBAND;
  if (hz > 12000) return OPUS_BANDWIDTH_WIDEBAND;
  if (hz > 8000) return OPUS_BANDWIDTH_MEDIUMBAND;
  return OPUS_BANDWIDTH_NARROWBAND;
}

static opus_enc *as_enc(usm__codec_enc *e) { return e && e->ops == &opus_ops ? (opus_enc *)e : NULL; }
static opus_dec *as_dec(usm__codec_dec *d) { return d && d->ops == &opus_ops ? (opus_dec *)d : NULL; }

static usm_err apply_fec(opus_enc *e, int on, unsigned loss_pct) {
  if (loss_pct > 100) return USM_ERR_INVALID_ARG;
  if (on && loss_pct == 0) loss_pct = USM__OPUS_DEFAULT_LOSS_PCT;
  /* libopus spends LBRR bits only when it expects loss: the two go together. */
  if (opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(on ? 1 : 0)) != OPUS_OK ||
      opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC((opus_int32)loss_pct)) != OPUS_OK)
    return USM_ERR_INTERNAL;
  return USM_OK;
}

static usm_err apply_dtx(opus_enc *e, int on) {
  if (opus_encoder_ctl(e->enc, OPUS_SET_DTX(on ? 1 : 0)) != OPUS_OK) return USM_ERR_INTERNAL;
  e->dtx = on ? 1 : 0;
  return USM_OK;
}

static void enc_destroy(usm__codec_enc *base) {
  opus_enc *e = as_enc(base);
  if (!e) return;
  opus_encoder_destroy(e->enc);
  free(e);
}

static usm_err enc_create(const usm__codec_params *p, usm__codec_enc **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm_err r = check_params(p);
  if (r != USM_OK) return r;
  opus_enc *e = calloc(1, sizeof *e);
  if (!e) return USM_ERR_NO_MEMORY;
  e->base.ops = &opus_ops;
  e->channels = p->audio.channels;
  int err = OPUS_OK;
  e->enc = opus_encoder_create((opus_int32)USM__CODEC_AUDIO_RATE, (int)e->channels, OPUS_APPLICATION_VOIP, &err);
  if (!e->enc || err != OPUS_OK) {
    free(e);
    return err == OPUS_ALLOC_FAIL ? USM_ERR_NO_MEMORY : USM_ERR_INTERNAL;
  }
  e->max_bitrate = USM__OPUS_MAX_BITRATE;
  if (p->audio.max_bitrate && p->audio.max_bitrate < e->max_bitrate) e->max_bitrate = p->audio.max_bitrate;
  if (e->max_bitrate < USM__OPUS_MIN_BITRATE) e->max_bitrate = USM__OPUS_MIN_BITRATE;
  uint32_t bps = p->audio.bitrate;
  if (!bps) bps = e->channels == 2 ? USM__OPUS_DEFAULT_BITRATE_STEREO : USM__OPUS_DEFAULT_BITRATE_MONO;
  int ok = opus_encoder_ctl(e->enc, OPUS_SET_BITRATE((opus_int32)clamp_bitrate(e, bps))) == OPUS_OK &&
           opus_encoder_ctl(e->enc, OPUS_SET_VBR(p->audio.cbr ? 0 : 1)) == OPUS_OK &&
           opus_encoder_ctl(e->enc, OPUS_SET_MAX_BANDWIDTH(bandwidth_for(p->audio.max_bandwidth_hz))) == OPUS_OK &&
           opus_encoder_ctl(e->enc, OPUS_SET_FORCE_CHANNELS(p->audio.force_mono ? 1 : OPUS_AUTO)) == OPUS_OK;
  if (ok) ok = apply_fec(e, p->audio.fec, p->audio.expected_loss_pct) == USM_OK;
  if (ok) ok = apply_dtx(e, p->audio.dtx) == USM_OK;
  if (!ok) {
    enc_destroy(&e->base);
    return USM_ERR_INTERNAL;
  }
  e->in_dtx = 1; /* the first payload starts a talkspurt (RTP marker) */
  *out = &e->base;
  return USM_OK;
}

static usm_err encode(usm__codec_enc *base, const usm__codec_frame *f, usm__codec_payload_cb cb, void *user) {
  opus_enc *e = as_enc(base);
  if (!e || !f || !cb || f->kind != USM__CODEC_KIND_AUDIO) return USM_ERR_INVALID_ARG;
  const usm__audio_frame *a = &f->u.audio;
  if (!a->pcm || a->channels != e->channels || !frame_samples_ok(a->samples)) return USM_ERR_INVALID_ARG;
  opus_int32 n = opus_encode(e->enc, a->pcm, (int)a->samples, e->buf, (opus_int32)sizeof e->buf);
  if (n < 0) return USM_ERR_INTERNAL;
  /* With DTX, a packet of 1-2 bytes means "nothing to send" (RFC 7587 §3.1.3). */
  if (e->dtx && n <= 2) {
    e->in_dtx = 1;
    return USM_OK;
  }
  usm__codec_payload pl = {.data = e->buf,
                           .len = (size_t)n,
                           .timestamp = f->timestamp,
                           .duration = (uint32_t)a->samples,
                           .flags = USM__CODEC_PAYLOAD_LAST | (e->in_dtx ? USM__CODEC_PAYLOAD_TALKSPURT : 0u)};
  e->in_dtx = 0;
  return cb(user, &pl);
}

static usm_err set_bitrate(usm__codec_enc *base, uint32_t bps) {
  opus_enc *e = as_enc(base);
  if (!e || bps == 0) return USM_ERR_INVALID_ARG;
  return opus_encoder_ctl(e->enc, OPUS_SET_BITRATE((opus_int32)clamp_bitrate(e, bps))) == OPUS_OK
             ? USM_OK
             : USM_ERR_INTERNAL;
}

static usm_err request_keyframe(usm__codec_enc *base) { return as_enc(base) ? USM_OK : USM_ERR_INVALID_ARG; }

usm_err usm__opus_set_fec(usm__codec_enc *base, int on, unsigned loss_pct) {
  opus_enc *e = as_enc(base);
  return e ? apply_fec(e, on, loss_pct) : USM_ERR_INVALID_ARG;
}

usm_err usm__opus_set_dtx(usm__codec_enc *base, int on) {
  opus_enc *e = as_enc(base);
  return e ? apply_dtx(e, on) : USM_ERR_INVALID_ARG;
}

usm_err usm__opus_lookahead(usm__codec_enc *base, int *samples) {
  opus_enc *e = as_enc(base);
  opus_int32 la = 0;
  if (!e || !samples) return USM_ERR_INVALID_ARG;
  if (opus_encoder_ctl(e->enc, OPUS_GET_LOOKAHEAD(&la)) != OPUS_OK) return USM_ERR_INTERNAL;
  *samples = (int)la;
  return USM_OK;
}

static void dec_destroy(usm__codec_dec *base) {
  opus_dec *d = as_dec(base);
  if (!d) return;
  opus_decoder_destroy(d->dec);
  free(d);
}

static usm_err dec_create(const usm__codec_params *p, usm__codec_dec **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm_err r = check_params(p);
  if (r != USM_OK) return r;
  opus_dec *d = calloc(1, sizeof *d);
  if (!d) return USM_ERR_NO_MEMORY;
  d->base.ops = &opus_ops;
  d->channels = p->audio.channels;
  d->default_samples = (int)((p->audio.frame_ms ? p->audio.frame_ms : 20u) * (USM__CODEC_AUDIO_RATE / 1000u));
  int err = OPUS_OK;
  d->dec = opus_decoder_create((opus_int32)USM__CODEC_AUDIO_RATE, (int)d->channels, &err);
  if (!d->dec || err != OPUS_OK) {
    free(d);
    return err == OPUS_ALLOC_FAIL ? USM_ERR_NO_MEMORY : USM_ERR_INTERNAL;
  }
  *out = &d->base;
  return USM_OK;
}

/* Validates the output frame; *want is the concealment length for a loss. */
static usm_err check_out(opus_dec *d, usm__codec_frame *out, int *want) {
  if (!out || out->kind != USM__CODEC_KIND_AUDIO || !out->u.audio.pcm || out->u.audio.capacity == 0)
    return USM_ERR_INVALID_ARG;
  size_t n = out->u.audio.samples;
  if (n == 0) {
    opus_int32 last = 0;
    if (opus_decoder_ctl(d->dec, OPUS_GET_LAST_PACKET_DURATION(&last)) != OPUS_OK || last <= 0)
      last = d->default_samples;
    n = (size_t)last;
  }
  /* libopus conceals in multiples of 2.5 ms, at most 120 ms. */
  if (n % 120 != 0 || n > USM__CODEC_AUDIO_MAX_SAMPLES) return USM_ERR_INVALID_ARG;
  if (n > out->u.audio.capacity) return USM_ERR_LIMIT;
  *want = (int)n;
  return USM_OK;
}

static usm_err finish(opus_dec *d, usm__codec_frame *out, int n) {
  if (n == OPUS_INVALID_PACKET || n == OPUS_BAD_ARG || n == OPUS_BUFFER_TOO_SMALL) return USM_ERR_MALFORMED;
  if (n < 0) return USM_ERR_INTERNAL;
  out->u.audio.samples = (size_t)n;
  out->u.audio.channels = d->channels;
  return USM_OK;
}

static usm_err decode(usm__codec_dec *base, const uint8_t *payload, size_t len, usm__codec_frame *out, int *got) {
  opus_dec *d = as_dec(base);
  if (got) *got = 0;
  if (!d) return USM_ERR_INVALID_ARG;
  if (!payload || len == 0) { /* a loss: conceal */
    int want = 0;
    usm_err r = check_out(d, out, &want);
    if (r != USM_OK) return r;
    r = finish(d, out, opus_decode(d->dec, NULL, 0, out->u.audio.pcm, want, 0));
    if (r == USM_OK && got) *got = 1;
    return r;
  }
  if (!out || out->kind != USM__CODEC_KIND_AUDIO || !out->u.audio.pcm || out->u.audio.capacity == 0)
    return USM_ERR_INVALID_ARG;
  /* Longer than any valid packet needs (120 ms of 1275-byte frames): refuse
   * before libopus parses it. */
  if (len > 48u * 1275u + 100u) return USM_ERR_MALFORMED;
  int n = opus_decoder_get_nb_samples(d->dec, payload, (opus_int32)len);
  if (n <= 0 || n > (int)USM__CODEC_AUDIO_MAX_SAMPLES) return USM_ERR_MALFORMED;
  if ((size_t)n > out->u.audio.capacity) return USM_ERR_LIMIT;
  usm_err r = finish(d, out, opus_decode(d->dec, payload, (opus_int32)len, out->u.audio.pcm, n, 0));
  if (r == USM_OK && got) *got = 1;
  return r;
}

usm_err usm__opus_decode_fec(usm__codec_dec *base, const uint8_t *next_payload, size_t len, usm__codec_frame *out) {
  opus_dec *d = as_dec(base);
  if (!d) return USM_ERR_INVALID_ARG;
  int want = 0;
  usm_err r = check_out(d, out, &want);
  if (r != USM_OK) return r;
  if (!next_payload || len == 0) /* nothing to recover from: plain concealment */
    return finish(d, out, opus_decode(d->dec, NULL, 0, out->u.audio.pcm, want, 0));
  if (len > 48u * 1275u + 100u || opus_packet_get_nb_frames(next_payload, (opus_int32)len) <= 0)
    return USM_ERR_MALFORMED;
  return finish(d, out, opus_decode(d->dec, next_payload, (opus_int32)len, out->u.audio.pcm, want, 1));
}

static const usm__codec_ops opus_ops = {
    .version = USM__CODEC_API_VERSION,
    .id = USM__CODEC_ID_OPUS,
    .kind = USM__CODEC_KIND_AUDIO,
    .name = "opus",
    .clock_rate = USM__CODEC_AUDIO_RATE,
    .encoder_create = enc_create,
    .encode = encode,
    .set_bitrate = set_bitrate,
    .request_keyframe = request_keyframe,
    .encoder_destroy = enc_destroy,
    .decoder_create = dec_create,
    .decode = decode,
    .decode_fec = usm__opus_decode_fec,
    .decoder_destroy = dec_destroy,
};

const usm__codec_ops *usm__codec_opus(void) { return &opus_ops; }
