/* What arrived on a media socket, and where it ends: the RFC 7983 first-byte
 * classifier (STUN, ZRTP, DTLS, TURN ChannelData, RTP/RTCP with RFC 5761
 * RTP-vs-RTCP), TURN ChannelData framing (RFC 8656 §12.5), the TURN-over-TCP
 * frame length, and the RFC 4571 two-byte length framing of ICE-TCP.
 * Pure: no I/O, no global state. */
#ifndef USM_MEDIA_PACKET_DEMUX_H
#define USM_MEDIA_PACKET_DEMUX_H

#include <stddef.h>
#include <stdint.h>
#include <usm/common.h>

typedef enum usm__pkt_kind {
  USM__PKT_UNKNOWN = 0, /* drop it */
  USM__PKT_STUN,        /* first byte 0..3 */
  USM__PKT_ZRTP,        /* 16..19 */
  USM__PKT_DTLS,        /* 20..63 */
  USM__PKT_CHANNEL_DATA,/* 64..79: TURN ChannelData */
  USM__PKT_RTP,         /* 128..191, second byte not 192..223 */
  USM__PKT_RTCP         /* 128..191, second byte 192..223 (RFC 5761 §4) */
} usm__pkt_kind;

/* Classify by the first byte(s); RTP/RTCP needs at least 2 bytes. */
usm__pkt_kind usm__packet_classify(const uint8_t *buf, size_t len);

/* ---- TURN ChannelData: channel (0x4000..0x4FFF), length, data, and over
 * TCP/TLS padding to a multiple of 4 (none is sent over UDP). ---- */
#define USM__CHANNEL_MIN 0x4000
#define USM__CHANNEL_MAX 0x4FFF
#define USM__CHANNEL_HEADER_LEN 4

/*
 * Parse one ChannelData message at the start of @p buf. Over UDP
 * (@p stream 0) the datagram may hold trailing bytes (padding), which are
 * ignored; over a stream (@p stream 1) the frame must hold the padding too.
 * @p consumed (may be NULL) gets the frame size (UDP: @p len).
 * @return USM_OK; USM_ERR_MALFORMED (short, bad channel number).
 */
usm_err usm__channel_data_parse(const uint8_t *buf, size_t len, int stream, uint16_t *channel,
                                const uint8_t **data, size_t *data_len, size_t *consumed);
/* Write a ChannelData message (zero padding when @p stream); USM_ERR_LIMIT
 * when it does not fit in @p cap or @p data_len is over 65535. */
usm_err usm__channel_data_build(uint8_t *out, size_t cap, uint16_t channel, const uint8_t *data,
                                size_t data_len, int stream, size_t *out_len);

/*
 * TURN over TCP/TLS carries STUN messages and ChannelData back to back with
 * no other framing. From the first 4 bytes of @p buf, the size of the next
 * frame (STUN: 20 + length; ChannelData: 4 + length padded to 4).
 * @return USM_OK; USM_ERR_WRONG_STATE with fewer than 4 bytes (read more);
 * USM_ERR_MALFORMED (neither kind: close the connection); USM_ERR_LIMIT
 * (a STUN message over USM__STUN_MAX_MSG).
 */
usm_err usm__turn_stream_frame_len(const uint8_t *buf, size_t len, size_t *frame_len);

/* ---- RFC 4571: each packet prefixed by a 16-bit big-endian length. ---- */
/* Bound on one frame; larger ones are refused (close the connection). */
#define USM__RFC4571_MAX_FRAME 8192

typedef struct usm__rfc4571_deframer {
  size_t have;                            /* bytes in buf: prefix, then payload */
  int failed;                             /* an over-long frame was announced */
  uint8_t buf[2 + USM__RFC4571_MAX_FRAME];
} usm__rfc4571_deframer;

void usm__rfc4571_init(usm__rfc4571_deframer *d);
/*
 * Feed stream bytes. Consumes up to the end of the next frame and reports
 * how much in *consumed; when a frame is complete, *frame / *frame_len point
 * at it (inside @p d, valid until the next call), else *frame is NULL. Call
 * again with the rest until all input is consumed.
 * @return USM_OK; USM_ERR_LIMIT for a frame over USM__RFC4571_MAX_FRAME (the
 * deframer is then unusable until usm__rfc4571_init); USM_ERR_INVALID_ARG.
 */
usm_err usm__rfc4571_feed(usm__rfc4571_deframer *d, const uint8_t *in, size_t in_len,
                          size_t *consumed, const uint8_t **frame, size_t *frame_len);
/* Write the 2-byte prefix and the payload; USM_ERR_LIMIT when over bounds. */
usm_err usm__rfc4571_frame(uint8_t *out, size_t cap, const uint8_t *payload, size_t len,
                           size_t *out_len);

#endif
