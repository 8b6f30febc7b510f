/* The VP8 codec (libvpx, RFC 6386) behind the codec interface: a realtime
 * call encoder (one payload = one whole encoded frame; vp8_rtp.h splits it
 * into RTP packets) and a decoder that takes whole frames and never hands out
 * a picture whose reference chain is broken. */
#ifndef USM_CODEC_VP8_H
#define USM_CODEC_VP8_H

#include "codec/codec.h"

/* RTP clock of every video codec (RFC 7741 §4.1). */
#define USM__VP8_CLOCK_RATE 90000u

/* Encoder input and decoder output bounds (4K UHD). VP8 itself allows
 * 16383x16383; nobody sends that in a call and the decoder's memory grows
 * with it. The decoder's bound can be lowered through its params. */
#define USM__VP8_MAX_WIDTH 3840u
#define USM__VP8_MAX_HEIGHT 2160u
#define USM__VP8_MAX_FPS 120u
#define USM__VP8_DEFAULT_FPS 30u

/* Bitrate range (bit/s). Below the minimum VP8 output is mush at any size. */
#define USM__VP8_MIN_BITRATE 30000u
#define USM__VP8_MAX_BITRATE 20000000u

/* The ops table. Encoder: I420 frames of params width x height (a frame of
 * another size re-creates the encoder, which then starts with a keyframe),
 * one payload per frame flagged KEYFRAME|LAST, timestamp passed through.
 * Decoder: one whole frame per decode(); see docs/codecs.md. */
const usm__codec_ops *usm__codec_vp8(void);

/* The bitrate the encoder targets now (after clamping), bit/s.
 * USM_ERR_INVALID_ARG when e is not a VP8 encoder. */
usm_err usm__vp8_encoder_bitrate(usm__codec_enc *e, uint32_t *bps);

/* 1 when the decoder refuses delta frames until a keyframe arrives (start,
 * loss, a corrupt or refused frame): the caller should send a PLI. 0 when it
 * is decoding; also 0 for a handle that is not a VP8 decoder. */
int usm__vp8_decoder_needs_keyframe(const usm__codec_dec *d);

/* Lowers the largest picture the decoder accepts (default and ceiling
 * USM__VP8_MAX_WIDTH x USM__VP8_MAX_HEIGHT): a keyframe announcing more is
 * refused with USM_ERR_LIMIT before libvpx allocates for it. */
usm_err usm__vp8_decoder_set_max_size(usm__codec_dec *d, unsigned width, unsigned height);

#endif
