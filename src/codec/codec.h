/* The internal codec interface (STYLE.md pattern 10): every codec (Opus now,
 * VP8 and H.264 later) is one versioned ops table. An encoder turns one raw
 * frame into zero or more payloads handed to a callback; a decoder turns one
 * payload, or a loss, into one raw frame. Audio is interleaved s16 at 48 kHz;
 * video is I420. Handles are single-threaded: use one from one thread. See
 * docs/codecs.md. */
#ifndef USM_CODEC_CODEC_H
#define USM_CODEC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <usm/common.h>

/* Bumped whenever usm__codec_ops, the params or the frame layout change. */
#define USM__CODEC_API_VERSION 1u

/* The only audio sample rate inside libusm (Opus's, RFC 7587's RTP clock). */
#define USM__CODEC_AUDIO_RATE 48000u
/* Largest audio frame any codec takes or returns: 120 ms at 48 kHz, per channel. */
#define USM__CODEC_AUDIO_MAX_SAMPLES 5760u
#define USM__CODEC_AUDIO_MAX_CHANNELS 2u

typedef enum usm__codec_kind { USM__CODEC_KIND_AUDIO = 0, USM__CODEC_KIND_VIDEO } usm__codec_kind;

typedef enum usm__codec_id {
  USM__CODEC_ID_NONE = 0,
  USM__CODEC_ID_OPUS,
  USM__CODEC_ID_VP8,
  USM__CODEC_ID_H264
} usm__codec_id;

/* Encoder and decoder settings. Zero means "the codec's default" unless
 * stated; the fields of the other kind are ignored. */
typedef struct usm__codec_params {
  usm__codec_kind kind;
  struct {
    unsigned sample_rate;       /* must be USM__CODEC_AUDIO_RATE (0 is taken as that) */
    unsigned channels;          /* 1 or 2: the frames' layout */
    unsigned frame_ms;          /* encoder frame duration (Opus: 10, 20, 40, 60); 0: 20 */
    uint32_t bitrate;           /* target bit/s; 0: codec default */
    uint32_t max_bitrate;       /* cap on every later set_bitrate; 0: codec maximum */
    unsigned max_bandwidth_hz;  /* highest audio rate the peer plays (maxplaybackrate); 0: full band */
    int force_mono;             /* code a stereo input as mono (peer asked stereo=0) */
    int fec;                    /* in-band FEC (Opus LBRR) */
    unsigned expected_loss_pct; /* 0..100: how much redundancy FEC spends */
    int dtx;                    /* discontinuous transmission on silence */
    int cbr;                    /* constant bitrate instead of VBR */
  } audio;
  struct {
    unsigned width, height;     /* encoder input size; the decoder learns it from the stream */
    unsigned fps;               /* nominal frame rate */
    uint32_t bitrate;           /* target bit/s */
    uint32_t max_bitrate;       /* cap on every later set_bitrate; 0: none */
    unsigned keyframe_interval; /* frames between forced keyframes; 0: only on request */
    size_t max_payload;         /* largest payload the packetizer wants (path MTU budget); 0: default */
  } video;
} usm__codec_params;

typedef struct usm__audio_frame {
  int16_t *pcm;      /* interleaved s16 at 48 kHz; encode never writes through it */
  unsigned channels; /* 1 or 2 */
  size_t samples;    /* per channel */
  size_t capacity;   /* decode: samples per channel pcm can hold */
} usm__audio_frame;

typedef struct usm__video_frame {
  uint8_t *plane[3];     /* Y, U, V (I420); decoder output points into decoder memory,
                            valid until the next decode or destroy */
  int stride[3];         /* bytes per row of each plane */
  unsigned width, height;
  int keyframe;          /* decode: this picture came from a keyframe */
} usm__video_frame;

typedef struct usm__codec_frame {
  usm__codec_kind kind;
  uint32_t timestamp;    /* in the codec's RTP clock (48 kHz / 90 kHz); passed through to payloads */
  union {
    usm__audio_frame audio;
    usm__video_frame video;
  } u;
} usm__codec_frame;

/* Payload flags. */
#define USM__CODEC_PAYLOAD_KEYFRAME 0x01u  /* video: decodable without earlier frames */
#define USM__CODEC_PAYLOAD_LAST 0x02u      /* the frame's last payload (RTP marker for video) */
#define USM__CODEC_PAYLOAD_TALKSPURT 0x04u /* audio: first payload after a DTX pause (RTP marker) */

/* One encoded payload. data is valid only during the callback. */
typedef struct usm__codec_payload {
  const uint8_t *data;
  size_t len;
  uint32_t timestamp; /* the frame's timestamp */
  uint32_t duration;  /* in clock units (audio: samples per channel) */
  unsigned flags;     /* USM__CODEC_PAYLOAD_* */
} usm__codec_payload;

/* Receives payloads from encode(). A non-OK return stops the encode call,
 * which returns that value. */
typedef usm_err (*usm__codec_payload_cb)(void *user, const usm__codec_payload *p);

typedef struct usm__codec_ops usm__codec_ops;

/* Every implementation's handle starts with one of these (its first member),
 * so the generic helpers below can dispatch. */
typedef struct usm__codec_enc {
  const usm__codec_ops *ops;
} usm__codec_enc;
typedef struct usm__codec_dec {
  const usm__codec_ops *ops;
} usm__codec_dec;

struct usm__codec_ops {
  unsigned version;       /* USM__CODEC_API_VERSION the table was built against */
  usm__codec_id id;
  usm__codec_kind kind;
  const char *name;       /* SDP encoding name: "opus", "VP8", "H264" */
  uint32_t clock_rate;    /* RTP clock: 48000 or 90000 */

  /* USM_ERR_INVALID_ARG for params the codec does not support. */
  usm_err (*encoder_create)(const usm__codec_params *p, usm__codec_enc **out);
  /* Encodes f (its kind and layout must match the params); calls cb for each
   * payload, possibly zero times (DTX, or an encoder that buffers). */
  usm_err (*encode)(usm__codec_enc *e, const usm__codec_frame *f, usm__codec_payload_cb cb,
                    void *user);
  /* New target bit/s, clamped to the codec's range and the params' max_bitrate. */
  usm_err (*set_bitrate)(usm__codec_enc *e, uint32_t bps);
  /* The next encoded frame is a keyframe. Audio codecs: a no-op returning USM_OK. */
  usm_err (*request_keyframe)(usm__codec_enc *e);
  void (*encoder_destroy)(usm__codec_enc *e); /* NULL is fine */

  usm_err (*decoder_create)(const usm__codec_params *p, usm__codec_dec **out);
  /* Decodes one payload into out; payload NULL (len 0) reports a loss and
   * conceals it. Audio: out->u.audio.pcm/capacity are the caller's; on a loss
   * out->u.audio.samples on entry is the duration to conceal (0: the last
   * packet's). Video: *got is 0 while no complete picture is ready.
   * USM_ERR_MALFORMED for a payload the codec rejects (state is kept);
   * USM_ERR_LIMIT when the output does not fit capacity. */
  usm_err (*decode)(usm__codec_dec *d, const uint8_t *payload, size_t len, usm__codec_frame *out,
                    int *got);
  /* Optional (NULL when the codec has no in-band redundancy): rebuilds the
   * frame lost just before next_payload from the redundancy it carries, in
   * the same out convention as a loss in decode(). */
  usm_err (*decode_fec)(usm__codec_dec *d, const uint8_t *next_payload, size_t len,
                        usm__codec_frame *out);
  void (*decoder_destroy)(usm__codec_dec *d); /* NULL is fine */
};

/* Generic entry points: check the table's version, then dispatch. */
static inline usm_err usm__codec_encoder_create(const usm__codec_ops *ops, const usm__codec_params *p,
                                                usm__codec_enc **out) {
  if (!ops || ops->version != USM__CODEC_API_VERSION || !ops->encoder_create) return USM_ERR_INVALID_ARG;
  return ops->encoder_create(p, out);
}
static inline usm_err usm__codec_decoder_create(const usm__codec_ops *ops, const usm__codec_params *p,
                                                usm__codec_dec **out) {
  if (!ops || ops->version != USM__CODEC_API_VERSION || !ops->decoder_create) return USM_ERR_INVALID_ARG;
  return ops->decoder_create(p, out);
}
static inline usm_err usm__codec_encode(usm__codec_enc *e, const usm__codec_frame *f,
                                        usm__codec_payload_cb cb, void *user) {
  return e ? e->ops->encode(e, f, cb, user) : USM_ERR_INVALID_ARG;
}
static inline usm_err usm__codec_set_bitrate(usm__codec_enc *e, uint32_t bps) {
  return e ? e->ops->set_bitrate(e, bps) : USM_ERR_INVALID_ARG;
}
static inline usm_err usm__codec_request_keyframe(usm__codec_enc *e) {
  return e ? e->ops->request_keyframe(e) : USM_ERR_INVALID_ARG;
}
static inline void usm__codec_encoder_destroy(usm__codec_enc *e) {
  if (e) e->ops->encoder_destroy(e);
}
static inline usm_err usm__codec_decode(usm__codec_dec *d, const uint8_t *payload, size_t len,
                                        usm__codec_frame *out, int *got) {
  return d ? d->ops->decode(d, payload, len, out, got) : USM_ERR_INVALID_ARG;
}
/* USM_ERR_WRONG_STATE when the codec has no FEC. */
static inline usm_err usm__codec_decode_fec(usm__codec_dec *d, const uint8_t *next_payload, size_t len,
                                            usm__codec_frame *out) {
  if (!d) return USM_ERR_INVALID_ARG;
  return d->ops->decode_fec ? d->ops->decode_fec(d, next_payload, len, out) : USM_ERR_WRONG_STATE;
}
static inline void usm__codec_decoder_destroy(usm__codec_dec *d) {
  if (d) d->ops->decoder_destroy(d);
}

#endif
