/* RFC 7587 §6.1 Opus fmtp parameters: parsing the remote's a=fmtp value (as
 * src/media/sdp_negotiate.h hands it over in remote_fmtp) and turning it into
 * encoder and decoder params. Pure functions. */
#ifndef USM_CODEC_OPUS_SDP_H
#define USM_CODEC_OPUS_SDP_H

#include <stdint.h>

#include "codec/codec.h"

/* Longest fmtp value parsed; longer ones are refused (USM_ERR_LIMIT). */
#define USM__OPUS_FMTP_MAX_LEN 1024u

/* What the remote said. The remote's fmtp describes what it wants to
 * RECEIVE (stereo, useinbandfec, usedtx, maxplaybackrate, maxaveragebitrate,
 * cbr, minptime/maxptime/ptime) and, in sprop-*, what it SENDS. Absent
 * parameters keep the RFC defaults. */
typedef struct usm__opus_fmtp {
  unsigned minptime, maxptime, ptime; /* ms, 3..120; 0: absent */
  int useinbandfec;                   /* default 0 */
  int usedtx;                         /* default 0 */
  int stereo;                         /* default 0: prefers mono */
  int sprop_stereo;                   /* default 0 */
  int cbr;                            /* default 0 */
  unsigned maxplaybackrate;           /* Hz, 8000..48000; default 48000 */
  unsigned sprop_maxcapturerate;      /* Hz, 8000..48000; default 48000 */
  unsigned maxaveragebitrate;         /* bit/s, 6000..510000; 0: absent */
  unsigned ignored;                   /* known parameters with a bad value (each kept at its default) */
} usm__opus_fmtp;

void usm__opus_fmtp_init(usm__opus_fmtp *f);

/* Parses "key=value;key=value" (spaces around items tolerated, keys compared
 * case-insensitively, unknown keys and items without '=' skipped as RFC 7587
 * asks). A known key with a value out of its range or not a plain number is
 * ignored and counted in f->ignored. fmtp NULL: the defaults. USM_ERR_LIMIT
 * past USM__OPUS_FMTP_MAX_LEN; USM_ERR_INVALID_ARG when f is NULL. */
usm_err usm__opus_fmtp_parse(const char *fmtp, usm__opus_fmtp *f);

/* Adjusts our encoder params (p->audio already holds our choices) to the
 * remote's wishes: force_mono unless stereo=1, fec from useinbandfec, dtx
 * from usedtx, cbr, max_bandwidth_hz from maxplaybackrate, max_bitrate (and
 * bitrate) capped by maxaveragebitrate, frame_ms moved into
 * [minptime, maxptime] (ptime picks it when frame_ms is 0). */
void usm__opus_fmtp_to_encoder(const usm__opus_fmtp *remote, usm__codec_params *p);

/* Our decoder params: channels 2 when the remote announced sprop-stereo=1,
 * else 1; frame_ms (the concealment default) from ptime when set. */
void usm__opus_fmtp_to_decoder(const usm__opus_fmtp *remote, usm__codec_params *p);

#endif
