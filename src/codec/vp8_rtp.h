/* The VP8 RTP payload format (RFC 7741): a packetizer that splits one
 * encoded frame into evenly sized payloads with a 15-bit PictureID
 * descriptor, and a bounded frame assembler that takes packets in any order
 * (duplicated, missing, wrapped), hands over only complete frames whose
 * reference chain is intact, lists the missing sequence numbers for NACK and
 * says when a keyframe is needed (PLI). Pure: no sockets, no clock. */
#ifndef USM_CODEC_VP8_RTP_H
#define USM_CODEC_VP8_RTP_H

#include <stddef.h>
#include <stdint.h>

#include <usm/common.h>

/* The descriptor we write: X=1, I=1, M=1 (15-bit PictureID), no L/T/K. */
#define USM__VP8_DESC_LEN 4
/* Longest descriptor another sender may use (X, I with M, L, T/K). */
#define USM__VP8_DESC_MAX 6
/* Bounds shared by both directions. */
#define USM__VP8_MAX_FRAME_BYTES (1024u * 1024u)
#define USM__VP8_MAX_PACKETS 2048u
/* Assembler slots (frames being assembled or waiting for an older one). */
#define USM__VP8_DEFAULT_FRAMES 8u
#define USM__VP8_MAX_FRAMES 16u
/* usm__vp8_asm_missing() looks at most this many sequence numbers back from
 * the highest one received: a longer gap is better served by a keyframe. */
#define USM__VP8_MISSING_WINDOW 1024u
/* VP8 frame header sizes (RFC 6386 §9.1): 3-byte tag, +7 for keyframes. */
#define USM__VP8_TAG_LEN 3
#define USM__VP8_KEY_HEADER_LEN 10

/* ---- packetizer ---- */

/* Iterator over the payloads of one frame. Fields are private. */
typedef struct usm__vp8_packetizer {
  const uint8_t *frame;
  size_t len, off;
  size_t count, index;  /* packets in all / already written */
  size_t base, extra;   /* every chunk is base bytes, the first `extra` one more */
  uint16_t picture_id;
} usm__vp8_packetizer;

/* Plan @p frame (@p len bytes, whose 3-byte VP8 tag must agree with @p keyframe
 * and, for a keyframe, carry the start code) as payloads of at most
 * @p max_payload bytes each. @p picture_id is taken mod 2^15; the caller
 * increments it per frame. The frame must stay valid while iterating.
 * USM_ERR_INVALID_ARG: NULL, empty or inconsistent frame, max_payload not in
 * DESC_LEN+1..65535; USM_ERR_LIMIT: over USM__VP8_MAX_FRAME_BYTES or
 * USM__VP8_MAX_PACKETS packets. */
usm_err usm__vp8_packetizer_init(usm__vp8_packetizer *p, const uint8_t *frame, size_t len,
                                 int keyframe, uint16_t picture_id, size_t max_payload);
/* Packets the frame takes. */
size_t usm__vp8_packetizer_count(const usm__vp8_packetizer *p);
/* 1 while packets remain. */
int usm__vp8_packetizer_more(const usm__vp8_packetizer *p);
/* Write the next payload (descriptor + chunk) into out[0..cap): USM_OK with
 * *out_len and *marker (1 on the frame's last packet); USM_ERR_LIMIT when cap
 * is too small (nothing consumed); USM_ERR_WRONG_STATE when none remain. */
usm_err usm__vp8_packetizer_next(usm__vp8_packetizer *p, uint8_t *out, size_t cap, size_t *out_len,
                                 int *marker);

/* Receives one payload; it is valid during the call only. A non-OK return
 * stops usm__vp8_packetize(), which returns it. */
typedef usm_err (*usm__vp8_packet_cb)(void *user, const uint8_t *payload, size_t len, int marker);
/* The whole frame in one call: each payload is written into @p scratch
 * (scratch_cap >= max_payload, else USM_ERR_LIMIT before any callback) and
 * passed to @p cb. Errors of init as above. */
usm_err usm__vp8_packetize(const uint8_t *frame, size_t len, int keyframe, uint16_t picture_id,
                           size_t max_payload, uint8_t *scratch, size_t scratch_cap,
                           usm__vp8_packet_cb cb, void *user);

/* ---- descriptor parsing (both PictureID widths, any optional fields) ---- */

typedef struct usm__vp8_desc {
  uint8_t start;          /* S */
  uint8_t non_ref;        /* N */
  uint8_t partition;      /* PID, 0..7 */
  uint8_t pid_bits;       /* 0 (no PictureID), 7 or 15 */
  uint16_t picture_id;
  uint8_t has_tl0, has_tid, has_keyidx;
  uint8_t tl0picidx, tid, layer_sync, keyidx;
  size_t len;             /* descriptor bytes; the VP8 data follows */
} usm__vp8_desc;

/* Parse the descriptor at the front of an RTP payload. USM_ERR_MALFORMED when
 * it runs past the end or nothing follows it. */
usm_err usm__vp8_desc_parse(const uint8_t *p, size_t len, usm__vp8_desc *out);

/* ---- frame assembler ---- */

typedef struct usm__vp8_asm usm__vp8_asm;

/* Bounds; 0 picks the default (which is also the maximum). */
typedef struct usm__vp8_asm_cfg {
  size_t max_frame_bytes; /* <= USM__VP8_MAX_FRAME_BYTES */
  size_t max_packets;     /* per frame, <= USM__VP8_MAX_PACKETS */
  size_t max_frames;      /* slots, <= USM__VP8_MAX_FRAMES; default USM__VP8_DEFAULT_FRAMES */
} usm__vp8_asm_cfg;

/* A frame handed to the decoder. data is owned by the assembler and valid
 * until the next call on it. */
typedef struct usm__vp8_frame {
  const uint8_t *data;
  size_t len;
  uint32_t timestamp;
  uint16_t first_seq, last_seq;
  uint8_t keyframe;
  uint8_t pid_bits;       /* 0, 7 or 15 */
  uint16_t picture_id;
  uint16_t width, height; /* keyframes only: 14-bit sizes (scaling bits dropped) */
} usm__vp8_frame;

typedef struct usm__vp8_asm_stats {
  uint64_t packets;            /* accepted into a frame */
  uint64_t duplicates;
  uint64_t late;               /* older than the last frame handed over */
  uint64_t malformed;          /* bad descriptor or inconsistent with its frame */
  uint64_t frames_delivered;
  uint64_t keyframes_delivered;
  uint64_t frames_dropped;     /* given up, refused, or undecodable (chain broken) */
  uint64_t restarts;           /* long runs of "late" packets taken as a restarted sender */
} usm__vp8_asm_stats;

/* NULL cfg for the defaults. USM_ERR_INVALID_ARG for an out-of-range bound. */
usm_err usm__vp8_asm_create(const usm__vp8_asm_cfg *cfg, usm__vp8_asm **out);
void usm__vp8_asm_destroy(usm__vp8_asm *a);
/* Forget everything (a new stream, e.g. after an SSRC change). Buffers stay. */
void usm__vp8_asm_reset(usm__vp8_asm *a);

/* Feed one RTP packet's payload (after the RTP header and padding). An empty
 * payload is a padding-only packet: it fills its sequence number, nothing
 * more. USM_OK also for duplicates and late packets (counted in the stats);
 * USM_ERR_MALFORMED for a bad descriptor or a packet that contradicts its
 * frame (dropped); USM_ERR_LIMIT when the frame went over a bound (the frame
 * is dropped, which breaks the chain); USM_ERR_NO_MEMORY. */
usm_err usm__vp8_asm_push(usm__vp8_asm *a, const uint8_t *payload, size_t len, uint16_t seq,
                          uint32_t timestamp, int marker);
/* The next decodable frame in decode order: 1 and *out, or 0. Call until 0
 * after each push. Delta frames come only when every frame since the last
 * keyframe was handed over. */
int usm__vp8_asm_pop(usm__vp8_asm *a, usm__vp8_frame *out);
/* Missing sequence numbers (oldest first) between the last frame handed over
 * and the highest packet received, at most @p cap of them, within
 * USM__VP8_MISSING_WINDOW. Returns how many were written. */
size_t usm__vp8_asm_missing(const usm__vp8_asm *a, uint16_t *out, size_t cap);
/* 1 when a frame was lost (or deltas arrive without a keyframe): ask the
 * sender for a keyframe (PLI). Cleared when a keyframe is handed over. */
int usm__vp8_asm_needs_keyframe(const usm__vp8_asm *a);
/* The caller stops waiting for retransmissions (NACK timed out): frames older
 * than the newest complete one are dropped; a delta frame after them is then
 * undecodable and the chain breaks (needs keyframe). */
void usm__vp8_asm_give_up(usm__vp8_asm *a);
/* Frames being assembled or waiting. */
size_t usm__vp8_asm_buffered(const usm__vp8_asm *a);
void usm__vp8_asm_get_stats(const usm__vp8_asm *a, usm__vp8_asm_stats *out);

#endif
