/* RTP packets (RFC 3550 §5.1) with RFC 8285 header extensions: a zero-copy
 * parsed view into the caller's buffer, a builder that writes into a caller
 * buffer, and a packet buffer with declared headroom/tailroom so libsrtp can
 * protect it in place (STYLE.md pattern 12). */
#ifndef USM_MEDIA_RTP_H
#define USM_MEDIA_RTP_H

#include <stddef.h>
#include <stdint.h>

#include <srtp2/srtp.h>
#include <usm/common.h>

#define USM__RTP_VERSION 2
#define USM__RTP_HEADER_MIN 12
#define USM__RTP_MAX_CSRC 15
/* Room a packet buffer keeps after an RTP packet: srtp_protect() writes the
 * auth tag (and MKI) there, in place. */
#define USM__RTP_SRTP_TRAILER_ROOM SRTP_MAX_TRAILER_LEN
/* Room a packet buffer keeps in front of a packet for a transport header
 * (TURN ChannelData is 4 bytes); 0 is allowed too. */
#define USM__RTP_HEADROOM 4
/* RFC 8285 header-extension profiles. */
#define USM__RTP_EXT_ONE_BYTE 0xBEDEu
#define USM__RTP_EXT_TWO_BYTE 0x1000u /* 0x1000..0x100F: low 4 bits are "appbits" */
/* Bound on the extension elements a builder writes. */
#define USM__RTP_MAX_EXT_ELEMS 32

/* A parsed RTP packet. Pointers point into the parsed buffer: the view is
 * valid as long as that buffer is unchanged. */
typedef struct usm__rtp_view {
  uint8_t padding;        /* P bit */
  uint8_t extension;      /* X bit */
  uint8_t marker;         /* M bit */
  uint8_t pt;             /* payload type, 0..127 */
  uint8_t csrc_count;     /* CC, 0..15 */
  uint8_t pad_len;        /* padding bytes at the end (incl. the count byte); 0 without P */
  uint16_t seq;
  uint32_t timestamp;
  uint32_t ssrc;
  uint32_t csrc[USM__RTP_MAX_CSRC];
  uint16_t ext_profile;   /* "defined by profile" word; 0 without X */
  const uint8_t *ext;     /* extension body (after the 4-byte ext header); NULL without X */
  size_t ext_len;         /* bytes in ext, a multiple of 4 */
  size_t header_len;      /* fixed header + CSRCs + extension = payload offset */
  const uint8_t *payload;
  size_t payload_len;     /* excludes padding */
} usm__rtp_view;

/* Parse @p len bytes. USM_ERR_MALFORMED for a short packet, version != 2, CSRCs
 * or extension past the end, or a padding count of 0 or past the header. */
usm_err usm__rtp_parse(const uint8_t *buf, size_t len, usm__rtp_view *out);

/* RFC 5761 demultiplexing on one port: 1 when the second byte is an RTCP
 * packet type (192..223), else 0. */
int usm__rtp_is_rtcp(const uint8_t *buf, size_t len);

/* One RFC 8285 extension element. */
typedef struct usm__rtp_ext_elem {
  uint8_t id;             /* one-byte form: 1..14; two-byte form: 1..255 */
  uint8_t len;            /* data bytes: one-byte form 1..16; two-byte form 0..255 */
  const uint8_t *data;
} usm__rtp_ext_elem;

/* Iterator over a view's RFC 8285 elements. After next() returns 0, err is
 * USM_OK at the end or USM_ERR_MALFORMED if an element ran past the end. */
typedef struct usm__rtp_ext_iter {
  const uint8_t *p, *end;
  int two_byte;
  usm_err err;
} usm__rtp_ext_iter;

/* USM_ERR_MALFORMED unless the view has an extension with profile 0xBEDE or
 * 0x100x (an absent extension gives an empty iterator and USM_OK). */
usm_err usm__rtp_ext_iter_init(usm__rtp_ext_iter *it, const usm__rtp_view *v);
/* 1 and *out filled for the next element; 0 at the end or on error. */
int usm__rtp_ext_next(usm__rtp_ext_iter *it, usm__rtp_ext_elem *out);
/* Find element @p id: USM_OK with *out, USM_ERR_LIMIT when absent,
 * USM_ERR_MALFORMED when the extension block is bad. */
usm_err usm__rtp_ext_find(const usm__rtp_view *v, uint8_t id, usm__rtp_ext_elem *out);

/* What the builder writes. Extension: either RFC 8285 elements (ext_elems,
 * form chosen automatically: one-byte when every id is 1..14 and every len
 * 1..16 unless ext_two_byte is set) or a raw block (ext_raw with
 * ext_profile, a multiple of 4 bytes), or neither. */
typedef struct usm__rtp_header {
  uint8_t marker;
  uint8_t pt;
  uint16_t seq;
  uint32_t timestamp;
  uint32_t ssrc;
  uint8_t csrc_count;
  uint32_t csrc[USM__RTP_MAX_CSRC];
  const usm__rtp_ext_elem *ext_elems;
  size_t ext_count;
  uint8_t ext_two_byte;   /* force the two-byte form */
  uint8_t ext_appbits;    /* low 4 bits of the two-byte profile */
  uint16_t ext_profile;   /* raw block only */
  const uint8_t *ext_raw; /* raw block only */
  size_t ext_raw_len;
  uint8_t pad_len;        /* 0, or 1..255 padding bytes (P bit set) */
} usm__rtp_header;

/* Size of the packet usm__rtp_build() would write, or 0 when @p h is invalid. */
size_t usm__rtp_build_size(const usm__rtp_header *h, size_t payload_len);
/* Write header + payload (+ padding) into out[0..cap). USM_ERR_LIMIT when cap
 * is too small, USM_ERR_INVALID_ARG for a bad header (pt > 127, csrc_count > 15,
 * bad element id/len, raw length not a multiple of 4). @p payload may already sit
 * at its final offset in out (it is moved, not copied); extension data must not point into out. */
usm_err usm__rtp_build(const usm__rtp_header *h, const uint8_t *payload, size_t payload_len,
                       uint8_t *out, size_t cap, size_t *out_len);

/* A packet in caller-owned storage: [headroom][packet len][tailroom]. */
typedef struct usm__rtp_pkt {
  uint8_t *mem;
  size_t cap;
  size_t head;            /* packet starts at mem + head */
  size_t len;
  uint8_t is_protected;   /* set by usm__rtp_pkt_set_protected(): no more copies */
} usm__rtp_pkt;

/* Bind @p mem. USM_ERR_LIMIT when cap cannot hold headroom + the SRTP trailer room. */
usm_err usm__rtp_pkt_init(usm__rtp_pkt *p, uint8_t *mem, size_t cap, size_t headroom);
static inline uint8_t *usm__rtp_pkt_data(const usm__rtp_pkt *p) { return p->mem + p->head; }
/* Bytes after the packet. */
static inline size_t usm__rtp_pkt_tailroom(const usm__rtp_pkt *p) { return p->cap - p->head - p->len; }
/* Build into @p p, keeping USM__RTP_SRTP_TRAILER_ROOM free after it (else USM_ERR_LIMIT). */
usm_err usm__rtp_pkt_build(usm__rtp_pkt *p, const usm__rtp_header *h, const uint8_t *payload,
                           size_t payload_len);
/* After srtp_protect() in place: record the new length (must fit: else
 * USM_ERR_LIMIT) and mark the packet protected. */
usm_err usm__rtp_pkt_set_protected(usm__rtp_pkt *p, size_t new_len);
/* Copy the plain packet @p src into @p dst (bound to other storage, same
 * headroom) for a retransmission history. Call it BEFORE protecting src in
 * place: a protected src gives USM_ERR_WRONG_STATE (libdatachannel#1117). */
usm_err usm__rtp_pkt_copy(usm__rtp_pkt *dst, const usm__rtp_pkt *src);

#endif
