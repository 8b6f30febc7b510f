/* VP8 over RTP for the interop harness (test code, not the library): a
 * libvpx encoder of a solid-colour picture split into RFC 7741 packets, and
 * a receiver that reassembles RFC 7741 packets into frames, decodes them
 * with libvpx and measures the picture (size, mean Y/U/V). */
#ifndef USM_INTEROP_VP8_STREAM_H
#define USM_INTEROP_VP8_STREAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct vp8_sender vp8_sender;
typedef struct vp8_receiver vp8_receiver;

/* One RTP payload of a frame (descriptor included); @p last: the marker bit. */
typedef void (*vp8_packet_fn)(void *user, const uint8_t *payload, size_t len, int last);

vp8_sender *vp8_sender_create(unsigned width, unsigned height, const uint8_t yuv[3], unsigned fps);
void vp8_sender_destroy(vp8_sender *s);
/* Encode the next frame and hand out its packets (at most @p max_payload bytes each). 0 on success. */
int vp8_sender_frame(vp8_sender *s, size_t max_payload, vp8_packet_fn fn, void *user);

typedef struct vp8_stats {
  unsigned frames_decoded, decode_errors, frames_dropped; /* dropped: incomplete (a packet missing) */
  unsigned width, height;                               /* of the last decoded frame */
  double mean_yuv[3];                                   /* of the last decoded frame */
} vp8_stats;

vp8_receiver *vp8_receiver_create(void);
void vp8_receiver_destroy(vp8_receiver *r);
/* One received RTP payload of the stream. */
void vp8_receiver_packet(vp8_receiver *r, const uint8_t *payload, size_t len, uint16_t seq, int marker);
void vp8_receiver_stats(const vp8_receiver *r, vp8_stats *out);

#endif
