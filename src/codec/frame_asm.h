/* The codec-independent core of the RTP frame assemblers (VP8, vp8_rtp.c;
 * H.264, h264_rtp.c): slots keyed by RTP timestamp, sequence number
 * ownership, the anchor and "late" packets, padding-only packets, eviction,
 * the reference chain, the missing list and give-up. A payload format parses
 * each payload itself, tells the core what it found (usm__fasm_in) and writes
 * its bytes where the core says; on pop it picks with the core, assembles the
 * sorted packets itself and reports the outcome. Pure: no sockets, no clock.
 *
 * Model. Sequence numbers are compared through an anchor: the next sequence
 * number expected after the last frame handed over (before the first frame, a
 * point well before the first packet seen). key(seq) = seq - anchor mod 2^16;
 * key >= 2^15 is older than the anchor ("late"), which handles the 16-bit
 * wrap. A 64 KiB owner map (sequence number -> slot) makes duplicate
 * detection and the missing list O(1) per sequence number. A frame that is
 * given up (evicted, refused, corrupt) breaks the reference chain: delta
 * frames are then discarded until a keyframe is handed over, and want_kf asks
 * for one. */
#ifndef USM_CODEC_FRAME_ASM_H
#define USM_CODEC_FRAME_ASM_H

#include <stddef.h>
#include <stdint.h>

#include <usm/common.h>

/* Slots at most (owner[] holds slot index + 1 in a byte, 0xFF is padding). */
#define USM__FASM_MAX_SLOTS 16u
/* key(seq) at or above this: before the anchor. */
#define USM__FASM_KEY_LATE 0x8000u

enum { USM__FASM_EMPTY = 0, USM__FASM_ACTIVE, USM__FASM_DEAD };

/* One received packet of an ACTIVE slot. */
typedef struct usm__fasm_pkt {
  uint16_t seq;
  uint16_t key;           /* filled by usm__fasm_sort() */
  uint32_t off, len;      /* its bytes in the slot's data buffer */
  uint8_t kind, tag;      /* the payload format's own notes (H.264: FU-A state) */
} usm__fasm_pkt;

/* One frame. A DEAD slot was given up but still owns its sequence numbers,
 * so that its late packets are absorbed instead of starting a new frame. */
typedef struct usm__fasm_slot {
  uint8_t state;
  uint8_t have_start, have_end;
  uint8_t keyframe;       /* keyframe data seen */
  uint8_t non_key;        /* delta data seen: certainly not a keyframe */
  uint8_t lo_param;       /* the packet at lo can only begin a frame */
  uint32_t ts;
  uint16_t lo, hi;        /* lowest / highest sequence number owned */
  uint16_t start_seq, end_seq;
  size_t nseen;           /* sequence numbers owned */
  uint8_t *data;
  size_t data_len, data_cap;
  usm__fasm_pkt *pkts;    /* ACTIVE only, arrival order */
  size_t npkts, pkts_cap;
} usm__fasm_slot;

/* Same fields as usm__vp8_asm_stats and usm__h264_asm_stats. */
typedef struct usm__fasm_stats {
  uint64_t packets, duplicates, late, malformed;
  uint64_t frames_delivered, keyframes_delivered, frames_dropped, restarts;
} usm__fasm_stats;

/* Copy into a payload format's stats struct (the same field names). */
#define USM__FASM_STATS_COPY(dst, src)                 \
  do {                                                 \
    (dst)->packets = (src)->packets;                   \
    (dst)->duplicates = (src)->duplicates;             \
    (dst)->late = (src)->late;                         \
    (dst)->malformed = (src)->malformed;               \
    (dst)->frames_delivered = (src)->frames_delivered; \
    (dst)->keyframes_delivered = (src)->keyframes_delivered; \
    (dst)->frames_dropped = (src)->frames_dropped;     \
    (dst)->restarts = (src)->restarts;                 \
  } while (0)

typedef struct usm__fasm {
  size_t max_frame_bytes, max_packets, max_frames;
  uint8_t infer_start;    /* no start bit (H.264): see usm__fasm_complete() */
  usm__fasm_slot slots[USM__FASM_MAX_SLOTS];
  uint8_t owner[65536];   /* 0 free, slot index + 1, or padding */
  uint16_t filler[64];
  size_t nfiller, filler_head;
  uint8_t started, have_floor, chain, want_kf;
  uint16_t anchor;
  uint8_t have_last;      /* a frame was handed over: last_ts is set */
  uint32_t last_ts;
  uint32_t stale_run;
  uint8_t *out;
  size_t out_cap;
  usm__fasm_stats stats;
} usm__fasm;

/* What the payload format found in one (valid, non-empty) payload. */
typedef struct usm__fasm_in {
  uint16_t seq;
  uint32_t ts;
  uint8_t marker;
  uint8_t is_start;       /* carries the frame's first bytes (VP8: S=1, PID 0) */
  uint8_t key, non_key;   /* holds keyframe / delta data; both in one frame is refused */
  uint8_t lo_param;       /* can only begin a frame (H.264: SPS or AUD first) */
  uint8_t kind, tag;      /* kept in usm__fasm_pkt */
  size_t bytes;           /* bytes it adds to the frame */
} usm__fasm_in;

/* Bounds already checked by the caller; f is zeroed memory. */
void usm__fasm_init(usm__fasm *f, size_t max_frame_bytes, size_t max_packets, size_t max_frames,
                    int infer_start);
/* Free the buffers (not f itself). */
void usm__fasm_free(usm__fasm *f);
void usm__fasm_reset(usm__fasm *f);
uint16_t usm__fasm_key(const usm__fasm *f, uint16_t seq);

/* First half of a push, before the payload is parsed: late packets, a
 * restarted sender, duplicates and padding-only packets (len 0). Returns 1
 * when the payload is to be parsed and passed to usm__fasm_add(), else 0 with
 * the push's result in *ret. */
int usm__fasm_admit(usm__fasm *f, size_t len, uint16_t seq, uint32_t ts, usm_err *ret);
/* Second half: put the packet in its frame. *slot is the slot index when the
 * packet was absorbed (its sequence number owned), else -1; *dst is where
 * in->bytes are to be written when the frame keeps data, else NULL. Results
 * as the push functions document. */
usm_err usm__fasm_add(usm__fasm *f, const usm__fasm_in *in, long *slot, uint8_t **dst);

/* Decode order. The next frame to hand over: an ACTIVE, complete slot that
 * is a keyframe, or a delta frame while the chain is intact that follows the
 * anchor across padding (or for which @p follows, if any, says 1); -1 when
 * none. */
long usm__fasm_pick(usm__fasm *f, int (*follows)(const void *ctx, const usm__fasm *f, size_t idx),
                    const void *ctx);
/* Sort the slot's packets into sequence order. */
void usm__fasm_sort(usm__fasm *f, usm__fasm_slot *s);
/* Copy the sorted packets into f->out (*len bytes). USM_ERR_NO_MEMORY. */
usm_err usm__fasm_concat(usm__fasm *f, const usm__fasm_slot *s, size_t *len);
/* The picked frame was corrupt: it is lost and the chain breaks. */
void usm__fasm_corrupt(usm__fasm *f, size_t idx);
/* The picked frame was handed over (@p keyframe: it restores the chain). */
void usm__fasm_delivered(usm__fasm *f, size_t idx, int keyframe);
/* The anchor is reached from @p seq across padding-only packets (or is it). */
int usm__fasm_follows_anchor(const usm__fasm *f, uint16_t seq);

size_t usm__fasm_missing(const usm__fasm *f, uint16_t *out, size_t cap, size_t window);
void usm__fasm_give_up(usm__fasm *f);
size_t usm__fasm_buffered(const usm__fasm *f);

#endif
