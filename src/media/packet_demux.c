/* RFC 7983 demultiplexing, TURN ChannelData framing and RFC 4571 framing. */
#include "media/bytes.h"
#include "media/packet_demux.h"

#include <string.h>

#include "media/stun.h"


usm__pkt_kind usm__packet_classify(const uint8_t *buf, size_t len) {
  if (!buf || len == 0) return USM__PKT_UNKNOWN;
  uint8_t b = buf[0];
  if (b <= 3) return USM__PKT_STUN;
  if (b >= 16 && b <= 19) return USM__PKT_ZRTP;
  if (b >= 20 && b <= 63) return USM__PKT_DTLS;
  if (b >= 64 && b <= 79) return USM__PKT_CHANNEL_DATA;
  if (b >= 128 && b <= 191) {
    if (len < 2) return USM__PKT_UNKNOWN;
    /* RTCP packet types 192..223 sit where RTP has M + PT; RTP payload
     * types 64..95 are therefore never used when multiplexing (RFC 5761). */
    return buf[1] >= 192 && buf[1] <= 223 ? USM__PKT_RTCP : USM__PKT_RTP;
  }
  return USM__PKT_UNKNOWN;
}

usm_err usm__channel_data_parse(const uint8_t *buf, size_t len, int stream, uint16_t *channel,
                                const uint8_t **data, size_t *data_len, size_t *consumed) {
  if (!buf || !channel || !data || !data_len) return USM_ERR_INVALID_ARG;
  if (len < USM__CHANNEL_HEADER_LEN) return USM_ERR_MALFORMED;
  uint16_t ch = usm__rd16(buf);
  size_t n = usm__rd16(buf + 2);
  if (ch < USM__CHANNEL_MIN || ch > USM__CHANNEL_MAX) return USM_ERR_MALFORMED;
  size_t frame = USM__CHANNEL_HEADER_LEN + (stream ? ((n + 3) & ~(size_t)3) : n);
  if (frame > len) return USM_ERR_MALFORMED;
  *channel = ch;
  *data = buf + USM__CHANNEL_HEADER_LEN;
  *data_len = n;
  if (consumed) *consumed = stream ? frame : len;
  return USM_OK;
}

usm_err usm__channel_data_build(uint8_t *out, size_t cap, uint16_t channel, const uint8_t *data,
                                size_t data_len, int stream, size_t *out_len) {
  if (!out || (data_len && !data) || channel < USM__CHANNEL_MIN || channel > USM__CHANNEL_MAX)
    return USM_ERR_INVALID_ARG;
  if (data_len > 0xFFFF) return USM_ERR_LIMIT;
  size_t padded = stream ? ((data_len + 3) & ~(size_t)3) : data_len;
  if (cap < USM__CHANNEL_HEADER_LEN || padded > cap - USM__CHANNEL_HEADER_LEN) return USM_ERR_LIMIT;
  out[0] = (uint8_t)(channel >> 8);
  out[1] = (uint8_t)channel;
  out[2] = (uint8_t)(data_len >> 8);
  out[3] = (uint8_t)data_len;
  if (data_len) memmove(out + USM__CHANNEL_HEADER_LEN, data, data_len);
  memset(out + USM__CHANNEL_HEADER_LEN + data_len, 0, padded - data_len);
  if (out_len) *out_len = USM__CHANNEL_HEADER_LEN + padded;
  return USM_OK;
}

usm_err usm__turn_stream_frame_len(const uint8_t *buf, size_t len, size_t *frame_len) {
  if (!buf || !frame_len) return USM_ERR_INVALID_ARG;
  if (len < 4) return USM_ERR_WRONG_STATE;
  size_t n = usm__rd16(buf + 2);
  if (buf[0] <= 3) { /* STUN: top two bits 00 */
    if (n % 4) return USM_ERR_MALFORMED;
    if (USM__STUN_HEADER_LEN + n > USM__STUN_MAX_MSG) return USM_ERR_LIMIT;
    *frame_len = USM__STUN_HEADER_LEN + n;
    return USM_OK;
  }
  if (usm__rd16(buf) >= USM__CHANNEL_MIN && usm__rd16(buf) <= USM__CHANNEL_MAX) {
    *frame_len = USM__CHANNEL_HEADER_LEN + ((n + 3) & ~(size_t)3);
    return USM_OK;
  }
  return USM_ERR_MALFORMED;
}

void usm__rfc4571_init(usm__rfc4571_deframer *d) {
  if (!d) return;
  d->have = 0;
  d->failed = 0;
}

usm_err usm__rfc4571_feed(usm__rfc4571_deframer *d, const uint8_t *in, size_t in_len,
                          size_t *consumed, const uint8_t **frame, size_t *frame_len) {
  if (!d || (!in && in_len) || !consumed || !frame || !frame_len) return USM_ERR_INVALID_ARG;
  *consumed = 0;
  *frame = NULL;
  *frame_len = 0;
  if (d->failed) return USM_ERR_LIMIT;
  size_t used = 0;
  /* the length prefix, one byte at a time if need be */
  while (d->have < 2 && used < in_len) d->buf[d->have++] = in[used++];
  if (d->have < 2) {
    *consumed = used;
    return USM_OK;
  }
  size_t want = usm__rd16(d->buf);
  if (want > USM__RFC4571_MAX_FRAME) {
    d->failed = 1;
    *consumed = used;
    return USM_ERR_LIMIT;
  }
  size_t got = d->have - 2, take = want - got;
  if (take > in_len - used) take = in_len - used;
  if (take) memcpy(d->buf + d->have, in + used, take);
  d->have += take;
  used += take;
  *consumed = used;
  if (d->have - 2 == want) {
    *frame = d->buf + 2;
    *frame_len = want;
    d->have = 0; /* the frame stays in buf until the next call */
  }
  return USM_OK;
}

usm_err usm__rfc4571_frame(uint8_t *out, size_t cap, const uint8_t *payload, size_t len,
                           size_t *out_len) {
  if (!out || (len && !payload)) return USM_ERR_INVALID_ARG;
  if (len > 0xFFFF || cap < 2 || len > cap - 2) return USM_ERR_LIMIT;
  out[0] = (uint8_t)(len >> 8);
  out[1] = (uint8_t)len;
  if (len) memmove(out + 2, payload, len);
  if (out_len) *out_len = len + 2;
  return USM_OK;
}
