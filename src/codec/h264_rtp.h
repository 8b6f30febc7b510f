/* The H.264 RTP payload format (RFC 6184, packetization-mode 1, i.e.
 * non-interleaved): a packetizer that turns one Annex B access unit into
 * single NAL unit, STAP-A and FU-A payloads, and a bounded access-unit
 * assembler that takes packets in any order (duplicated, missing, wrapped),
 * hands over only complete access units whose reference chain is intact, lists
 * the missing sequence numbers for NACK and says when a keyframe (IDR) is
 * needed (PLI). Also the small bitstream helpers both directions and the
 * decoder share: Annex B NAL iteration and SPS picture size. Pure: no
 * sockets, no clock. */
#ifndef USM_CODEC_H264_RTP_H
#define USM_CODEC_H264_RTP_H

#include <stddef.h>
#include <stdint.h>

#include <usm/common.h>

/* NAL unit types (H.264 Table 7-1) and RFC 6184 payload types. */
#define USM__H264_NAL_SLICE 1u
#define USM__H264_NAL_IDR 5u
#define USM__H264_NAL_SEI 6u
#define USM__H264_NAL_SPS 7u
#define USM__H264_NAL_PPS 8u
#define USM__H264_NAL_AUD 9u
#define USM__H264_NAL_STAP_A 24u
#define USM__H264_NAL_FU_A 28u

/* Bounds shared by both directions. */
#define USM__H264_MAX_FRAME_BYTES (1024u * 1024u)
#define USM__H264_MAX_PACKETS 2048u
/* Assembler slots (access units being assembled or waiting for an older one). */
#define USM__H264_DEFAULT_FRAMES 8u
#define USM__H264_MAX_FRAMES 16u
/* usm__h264_asm_missing() looks at most this many sequence numbers back from
 * the highest one received: a longer gap is better served by a keyframe. */
#define USM__H264_MISSING_WINDOW 1024u
/* Smallest max_payload the packetizer takes: FU indicator, FU header, 1 byte. */
#define USM__H264_MIN_PAYLOAD 3u

/* ---- Annex B and SPS (H.264 §7.3.2.1.1, Annex B) ---- */

/* The next NAL unit of an Annex B byte stream; *pos starts at 0 and is
 * advanced. Returns 1 with the NAL unit in *nal and *nal_len (never empty:
 * trailing zero bytes are dropped and empty NAL units skipped), 0 at the end,
 * -1 when the bytes are not Annex B (non-zero data outside a NAL unit, e.g.
 * no start code). */
int usm__h264_annexb_next(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **nal,
                          size_t *nal_len);

typedef struct usm__h264_sps {
  uint8_t profile_idc, constraints, level_idc;
  unsigned sps_id;
  unsigned coded_width, coded_height; /* in whole macroblocks (what the decoder allocates) */
  unsigned width, height;             /* after frame cropping */
} usm__h264_sps;

/* Parse a sequence parameter set NAL unit (header byte included) far enough
 * for its picture size. USM_ERR_MALFORMED for a truncated or invalid one
 * (also a coded size over 65535 in either direction). */
usm_err usm__h264_sps_parse(const uint8_t *nal, size_t len, usm__h264_sps *out);

/* ---- packetizer ---- */

/* Receives one payload; it is valid during the call only. A non-OK return
 * stops usm__h264_packetize(), which returns it. */
typedef usm_err (*usm__h264_packet_cb)(void *user, const uint8_t *payload, size_t len, int marker);

/* Split the Annex B access unit @p au (3- or 4-byte start codes) into RTP
 * payloads of at most @p max_payload bytes, in order: a NAL unit that fits
 * alone and whose neighbours do not fit with it goes as a single NAL unit
 * packet, runs of consecutive NAL units that fit together go as one STAP-A,
 * a NAL unit too big for a packet goes as FU-A fragments of even size.
 * marker is 1 on the last payload. Each payload is written into @p scratch
 * (scratch_cap >= max_payload, else USM_ERR_LIMIT before any callback).
 * The whole access unit is planned before the first callback.
 * USM_ERR_INVALID_ARG: NULL, no NAL units, not Annex B, a NAL unit with the
 * forbidden bit or a type that cannot be sent in mode 1 (0, 24..31),
 * max_payload not in USM__H264_MIN_PAYLOAD..65535; USM_ERR_LIMIT: over
 * USM__H264_MAX_FRAME_BYTES or USM__H264_MAX_PACKETS packets. */
usm_err usm__h264_packetize(const uint8_t *au, size_t len, size_t max_payload, uint8_t *scratch,
                            size_t scratch_cap, usm__h264_packet_cb cb, void *user);

/* ---- access-unit assembler ---- */

typedef struct usm__h264_asm usm__h264_asm;

/* Bounds; 0 picks the default (which is also the maximum). */
typedef struct usm__h264_asm_cfg {
  size_t max_frame_bytes; /* Annex B bytes per access unit, <= USM__H264_MAX_FRAME_BYTES */
  size_t max_packets;     /* per access unit, <= USM__H264_MAX_PACKETS */
  size_t max_frames;      /* slots, <= USM__H264_MAX_FRAMES; default USM__H264_DEFAULT_FRAMES */
} usm__h264_asm_cfg;

/* An access unit handed to the decoder: Annex B, every NAL unit behind a
 * 4-byte start code. data is owned by the assembler and valid until the next
 * call on it. */
typedef struct usm__h264_frame {
  const uint8_t *data;
  size_t len;
  uint32_t timestamp;
  uint16_t first_seq, last_seq;
  uint8_t keyframe;       /* holds an IDR slice */
  uint16_t width, height; /* from an SPS in the access unit (cropped), else 0 */
} usm__h264_frame;

typedef struct usm__h264_asm_stats {
  uint64_t packets;            /* accepted into an access unit */
  uint64_t duplicates;
  uint64_t late;               /* older than the last access unit handed over */
  uint64_t malformed;          /* bad payload or inconsistent with its access unit */
  uint64_t frames_delivered;
  uint64_t keyframes_delivered;
  uint64_t frames_dropped;     /* given up, refused, or undecodable (chain broken) */
  uint64_t restarts;           /* long runs of "late" packets taken as a restarted sender */
} usm__h264_asm_stats;

/* NULL cfg for the defaults. USM_ERR_INVALID_ARG for an out-of-range bound. */
usm_err usm__h264_asm_create(const usm__h264_asm_cfg *cfg, usm__h264_asm **out);
void usm__h264_asm_destroy(usm__h264_asm *a);
/* Forget everything (a new stream, e.g. after an SSRC change). Buffers stay. */
void usm__h264_asm_reset(usm__h264_asm *a);

/* Feed one RTP packet's payload (after the RTP header and padding). An empty
 * payload is a padding-only packet: it fills its sequence number, nothing
 * more. USM_OK also for duplicates and late packets (counted in the stats);
 * USM_ERR_MALFORMED for a bad payload (forbidden bit, types 0 and 25..31, a
 * STAP-A whose lengths do not add up, an FU-A with S and E or an aggregated
 * type) or a packet that contradicts its access unit (dropped);
 * USM_ERR_LIMIT when the access unit went over a bound (it is dropped, which
 * breaks the chain); USM_ERR_NO_MEMORY. */
usm_err usm__h264_asm_push(usm__h264_asm *a, const uint8_t *payload, size_t len, uint16_t seq,
                           uint32_t timestamp, int marker);
/* The next decodable access unit in decode order: 1 and *out, or 0. Call
 * until 0 after each push. Non-IDR access units come only when every one
 * since the last IDR was handed over. */
int usm__h264_asm_pop(usm__h264_asm *a, usm__h264_frame *out);
/* Missing sequence numbers (oldest first) between the last access unit handed
 * over and the highest packet received, at most @p cap of them, within
 * USM__H264_MISSING_WINDOW. Returns how many were written. */
size_t usm__h264_asm_missing(const usm__h264_asm *a, uint16_t *out, size_t cap);
/* 1 when an access unit was lost (or non-IDR ones arrive without an IDR):
 * ask the sender for a keyframe (PLI). Cleared when an IDR is handed over. */
int usm__h264_asm_needs_keyframe(const usm__h264_asm *a);
/* The caller stops waiting for retransmissions (NACK timed out): access
 * units older than the newest complete one are dropped and the chain breaks
 * (needs keyframe). */
void usm__h264_asm_give_up(usm__h264_asm *a);
/* Access units being assembled or waiting. */
size_t usm__h264_asm_buffered(const usm__h264_asm *a);
void usm__h264_asm_get_stats(const usm__h264_asm *a, usm__h264_asm_stats *out);

#endif
