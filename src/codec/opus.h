/* The Opus codec (libopus, RFC 7587) behind the codec interface, plus the
 * Opus-only controls the rate controller and the jitter buffer need. */
#ifndef USM_CODEC_OPUS_H
#define USM_CODEC_OPUS_H

#include "codec/codec.h"

#define USM__OPUS_MIN_BITRATE 6000u
#define USM__OPUS_MAX_BITRATE 510000u /* RFC 7587 §7.1 maxaveragebitrate range */
#define USM__OPUS_DEFAULT_BITRATE_MONO 32000u
#define USM__OPUS_DEFAULT_BITRATE_STEREO 64000u
/* Largest payload the encoder writes: one packet stays inside one RTP packet
 * on a 1500-byte path (the encoder lowers its rate for that frame if needed). */
#define USM__OPUS_MAX_PAYLOAD 1200u
/* Expected loss assumed when FEC is on and none was given. */
#define USM__OPUS_DEFAULT_LOSS_PCT 10u

/* The ops table: 48 kHz mono/stereo, 10/20/40/60 ms frames,
 * OPUS_APPLICATION_VOIP, VBR unless cbr, FEC and DTX as the params say. */
const usm__codec_ops *usm__codec_opus(void);

/* In-band FEC on/off with the expected loss (0..100; 0 with on: the default).
 * USM_ERR_INVALID_ARG when e is not an Opus encoder. */
usm_err usm__opus_set_fec(usm__codec_enc *e, int on, unsigned loss_pct);
usm_err usm__opus_set_dtx(usm__codec_enc *e, int on);
/* The encoder's algorithmic delay in samples per channel (OPUS_GET_LOOKAHEAD). */
usm_err usm__opus_lookahead(usm__codec_enc *e, int *samples);

/* Recovers the frame lost just before next_payload from the LBRR (FEC) data
 * next_payload carries (opus_decode with decode_fec=1); when it carries none,
 * libopus conceals instead. Then decode next_payload itself as usual. out as
 * for a loss in decode(): out->u.audio.samples on entry is the lost duration
 * (0: the last packet's), a multiple of 2.5 ms. */
usm_err usm__opus_decode_fec(usm__codec_dec *d, const uint8_t *next_payload, size_t len,
                             usm__codec_frame *out);

#endif
