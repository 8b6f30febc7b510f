/* H.264 (constrained baseline) through Cisco's OpenH264 behind the codec
 * interface: a realtime call encoder (one payload = one whole Annex B access
 * unit; h264_rtp.h splits it into RTP packets) and a decoder that takes whole
 * access units and never hands out a picture whose reference chain is broken.
 * See docs/codec-h264.md. */
#ifndef USM_CODEC_H264_H
#define USM_CODEC_H264_H

#include "codec/codec.h"

/* RTP clock of every video codec (RFC 6184 §8.2.1). */
#define USM__H264_CLOCK_RATE 90000u

/* Encoder input and decoder output bounds (4K UHD, level 5.1's frame size). */
#define USM__H264_MAX_WIDTH 3840u
#define USM__H264_MAX_HEIGHT 2160u
/* OpenH264 takes at most 60 fps (its MAX_FRAME_RATE). */
#define USM__H264_MAX_FPS 60u
#define USM__H264_DEFAULT_FPS 30u

/* Bitrate range (bit/s), as for VP8. */
#define USM__H264_MIN_BITRATE 30000u
#define USM__H264_MAX_BITRATE 20000000u

/* The ops table ("H264", 90 kHz). Encoder: I420 frames of params width x
 * height (even sizes only: 4:2:0 cropping works in 2-pixel units; a frame of
 * another size re-creates the encoder, which then starts with an IDR), one
 * payload per coded frame flagged LAST and, for an IDR, KEYFRAME; a frame the
 * rate control skips gives no payload. Decoder: one whole Annex B access unit
 * per decode(); decode(NULL, 0) reports a lost one. */
const usm__codec_ops *usm__codec_h264(void);

/* The bitrate the encoder targets now (after clamping), bit/s.
 * USM_ERR_INVALID_ARG when e is not an H.264 encoder. */
usm_err usm__h264_encoder_bitrate(usm__codec_enc *e, uint32_t *bps);

/* 1 when the decoder refuses non-IDR access units until an IDR arrives
 * (start, a reported loss, a corrupt or refused access unit): the caller
 * should send a PLI. 0 when it is decoding; also 0 for a handle that is not an
 * H.264 decoder. */
int usm__h264_decoder_needs_keyframe(const usm__codec_dec *d);

#endif
