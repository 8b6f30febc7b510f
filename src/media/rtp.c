/* RTP packet parse/build (RFC 3550 §5.1, RFC 8285 extensions) and the
 * in-place packet buffer. No allocation: views point into the caller's bytes. */
#include "media/bytes.h"
#include "media/rtp.h"

#include <string.h>


usm_err usm__rtp_parse(const uint8_t *buf, size_t len, usm__rtp_view *out) {
  if (!buf || !out) return USM_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (len < USM__RTP_HEADER_MIN) return USM_ERR_MALFORMED;
  if ((buf[0] >> 6) != USM__RTP_VERSION) return USM_ERR_MALFORMED;
  out->padding = (buf[0] >> 5) & 1;
  out->extension = (buf[0] >> 4) & 1;
  out->csrc_count = buf[0] & 0x0f;
  out->marker = buf[1] >> 7;
  out->pt = buf[1] & 0x7f;
  out->seq = usm__rd16(buf + 2);
  out->timestamp = usm__rd32(buf + 4);
  out->ssrc = usm__rd32(buf + 8);

  size_t off = USM__RTP_HEADER_MIN;
  /* every step is checked against len before the bytes are read */
  if (len - off < (size_t)out->csrc_count * 4) return USM_ERR_MALFORMED;
  for (unsigned i = 0; i < out->csrc_count; i++, off += 4) out->csrc[i] = usm__rd32(buf + off);

  if (out->extension) {
    if (len - off < 4) return USM_ERR_MALFORMED;
    out->ext_profile = usm__rd16(buf + off);
    size_t words = usm__rd16(buf + off + 2);
    off += 4;
    if ((len - off) / 4 < words) return USM_ERR_MALFORMED;
    out->ext = buf + off;
    out->ext_len = words * 4;
    off += out->ext_len;
  }
  out->header_len = off;

  size_t end = len;
  if (out->padding) {
    /* the count includes itself, so 0 is invalid; padding may not reach into the header */
    uint8_t pad = buf[len - 1];
    if (pad == 0 || pad > len - off) return USM_ERR_MALFORMED;
    out->pad_len = pad;
    end -= pad;
  }
  out->payload = buf + off;
  out->payload_len = end - off;
  return USM_OK;
}

int usm__rtp_is_rtcp(const uint8_t *buf, size_t len) {
  /* RFC 5761 §4: RTCP packet types 192..223 never collide with RTP PTs 0..95 (with M) */
  return buf && len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

/* ---- RFC 8285 elements ---- */

usm_err usm__rtp_ext_iter_init(usm__rtp_ext_iter *it, const usm__rtp_view *v) {
  if (!it || !v) return USM_ERR_INVALID_ARG;
  it->p = it->end = NULL;
  it->two_byte = 0;
  it->err = USM_OK;
  if (!v->extension || !v->ext) return USM_OK;
  if (v->ext_profile == USM__RTP_EXT_ONE_BYTE)
    it->two_byte = 0;
  else if ((v->ext_profile & 0xfff0u) == USM__RTP_EXT_TWO_BYTE)
    it->two_byte = 1;
  else {
    it->err = USM_ERR_MALFORMED;
    return USM_ERR_MALFORMED;
  }
  it->p = v->ext;
  it->end = v->ext + v->ext_len;
  return USM_OK;
}

int usm__rtp_ext_next(usm__rtp_ext_iter *it, usm__rtp_ext_elem *out) {
  if (!it || !out || it->err != USM_OK || !it->p) return 0;
  while (it->p < it->end) {
    size_t left = (size_t)(it->end - it->p);
    uint8_t b = it->p[0];
    uint8_t id = it->two_byte ? b : (uint8_t)(b >> 4);
    if (id == 0) { /* a padding byte (RFC 8285 §4.1), its length nibble ignored */
      it->p++;
      continue;
    }
    if (!it->two_byte) {
      if (id == 15) { /* RFC 8285 §4.2: reserved, stop processing the block */
        it->p = it->end;
        return 0;
      }
      size_t n = (size_t)(b & 0x0f) + 1;
      if (left - 1 < n) break;
      out->id = id;
      out->len = (uint8_t)n;
      out->data = it->p + 1;
      it->p += 1 + n;
      return 1;
    }
    if (left < 2) break;
    size_t n = it->p[1];
    if (left - 2 < n) break;
    out->id = b;
    out->len = (uint8_t)n;
    out->data = it->p + 2;
    it->p += 2 + n;
    return 1;
  }
  if (it->p < it->end) it->err = USM_ERR_MALFORMED;
  it->p = it->end;
  return 0;
}

usm_err usm__rtp_ext_find(const usm__rtp_view *v, uint8_t id, usm__rtp_ext_elem *out) {
  usm__rtp_ext_iter it;
  usm__rtp_ext_elem e;
  usm_err err = usm__rtp_ext_iter_init(&it, v);
  if (err != USM_OK) return err;
  if (!out || id == 0) return USM_ERR_INVALID_ARG;
  while (usm__rtp_ext_next(&it, &e))
    if (e.id == id) {
      *out = e;
      return USM_OK;
    }
  return it.err != USM_OK ? it.err : USM_ERR_LIMIT;
}

/* ---- build ---- */

static int use_two_byte(const usm__rtp_header *h) {
  if (h->ext_two_byte) return 1;
  for (size_t i = 0; i < h->ext_count; i++)
    if (h->ext_elems[i].id > 14 || h->ext_elems[i].len < 1 || h->ext_elems[i].len > 16) return 1;
  return 0;
}

/* Bytes of the extension body (without its 4-byte header, padded to 4), or
 * SIZE_MAX when the header's extension fields are invalid. */
static size_t ext_body_size(const usm__rtp_header *h) {
  if (h->ext_count) {
    if (!h->ext_elems || h->ext_raw || h->ext_count > USM__RTP_MAX_EXT_ELEMS) return SIZE_MAX;
    int two = use_two_byte(h);
    size_t n = 0;
    for (size_t i = 0; i < h->ext_count; i++) {
      const usm__rtp_ext_elem *e = &h->ext_elems[i];
      if (e->id == 0 || (e->len && !e->data)) return SIZE_MAX;
      if (!two && e->id == 15) return SIZE_MAX;
      n += (two ? 2u : 1u) + e->len;
    }
    return (n + 3) & ~(size_t)3;
  }
  if (h->ext_raw) {
    if (h->ext_raw_len % 4 || h->ext_raw_len / 4 > 0xffff) return SIZE_MAX;
    return h->ext_raw_len;
  }
  return 0;
}

static int has_ext(const usm__rtp_header *h) { return h->ext_count || h->ext_raw; }

size_t usm__rtp_build_size(const usm__rtp_header *h, size_t payload_len) {
  if (!h || h->pt > 127 || h->csrc_count > USM__RTP_MAX_CSRC) return 0;
  size_t ext = ext_body_size(h);
  if (ext == SIZE_MAX) return 0;
  size_t fixed = USM__RTP_HEADER_MIN + 4u * h->csrc_count + (has_ext(h) ? 4 + ext : 0) + h->pad_len;
  if (payload_len > SIZE_MAX - fixed) return 0;
  return fixed + payload_len;
}

usm_err usm__rtp_build(const usm__rtp_header *h, const uint8_t *payload, size_t payload_len,
                       uint8_t *out, size_t cap, size_t *out_len) {
  if (!h || !out || !out_len || (payload_len && !payload)) return USM_ERR_INVALID_ARG;
  size_t total = usm__rtp_build_size(h, payload_len);
  if (total == 0) return USM_ERR_INVALID_ARG;
  if (total > cap) return USM_ERR_LIMIT;
  size_t ext = ext_body_size(h);

  size_t off = USM__RTP_HEADER_MIN + 4u * h->csrc_count + (has_ext(h) ? 4 + ext : 0);
  /* payload first: memmove allows a payload that already sits at its offset */
  if (payload_len && payload != out + off) memmove(out + off, payload, payload_len);

  out[0] = (uint8_t)((USM__RTP_VERSION << 6) | (h->pad_len ? 0x20 : 0) | (has_ext(h) ? 0x10 : 0) |
                     h->csrc_count);
  out[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
  usm__wr16(out + 2, h->seq);
  usm__wr32(out + 4, h->timestamp);
  usm__wr32(out + 8, h->ssrc);
  uint8_t *p = out + USM__RTP_HEADER_MIN;
  for (unsigned i = 0; i < h->csrc_count; i++, p += 4) usm__wr32(p, h->csrc[i]);

  if (h->ext_count) {
    int two = use_two_byte(h);
    usm__wr16(p, (uint16_t)(two ? (USM__RTP_EXT_TWO_BYTE | (h->ext_appbits & 0x0f)) : USM__RTP_EXT_ONE_BYTE));
    usm__wr16(p + 2, (uint16_t)(ext / 4));
    uint8_t *q = p + 4;
    for (size_t i = 0; i < h->ext_count; i++) {
      const usm__rtp_ext_elem *e = &h->ext_elems[i];
      if (two) {
        *q++ = e->id;
        *q++ = e->len;
      } else {
        *q++ = (uint8_t)((e->id << 4) | (e->len - 1));
      }
      if (e->len) memcpy(q, e->data, e->len);
      q += e->len;
    }
    memset(q, 0, (size_t)(p + 4 + ext - q)); /* zero padding to the word boundary */
    p += 4 + ext;
  } else if (h->ext_raw) {
    usm__wr16(p, h->ext_profile);
    usm__wr16(p + 2, (uint16_t)(ext / 4));
    if (ext) memmove(p + 4, h->ext_raw, ext);
    p += 4 + ext;
  }

  if (h->pad_len) {
    uint8_t *pad = out + off + payload_len;
    memset(pad, 0, h->pad_len - 1u);
    pad[h->pad_len - 1] = h->pad_len;
  }
  *out_len = total;
  return USM_OK;
}

/* ---- packet buffer with headroom / tailroom ---- */

usm_err usm__rtp_pkt_init(usm__rtp_pkt *p, uint8_t *mem, size_t cap, size_t headroom) {
  if (!p || !mem) return USM_ERR_INVALID_ARG;
  if (cap < headroom || cap - headroom < USM__RTP_SRTP_TRAILER_ROOM) return USM_ERR_LIMIT;
  p->mem = mem;
  p->cap = cap;
  p->head = headroom;
  p->len = 0;
  p->is_protected = 0;
  return USM_OK;
}

usm_err usm__rtp_pkt_build(usm__rtp_pkt *p, const usm__rtp_header *h, const uint8_t *payload,
                           size_t payload_len) {
  if (!p || !p->mem) return USM_ERR_INVALID_ARG;
  size_t room = p->cap - p->head - USM__RTP_SRTP_TRAILER_ROOM;
  size_t n = 0;
  usm_err err = usm__rtp_build(h, payload, payload_len, p->mem + p->head, room, &n);
  if (err != USM_OK) return err;
  p->len = n;
  p->is_protected = 0;
  return USM_OK;
}

usm_err usm__rtp_pkt_set_protected(usm__rtp_pkt *p, size_t new_len) {
  if (!p || !p->mem) return USM_ERR_INVALID_ARG;
  if (new_len > p->cap - p->head) return USM_ERR_LIMIT;
  p->len = new_len;
  p->is_protected = 1;
  return USM_OK;
}

usm_err usm__rtp_pkt_copy(usm__rtp_pkt *dst, const usm__rtp_pkt *src) {
  if (!dst || !src || !dst->mem || !src->mem || dst->mem == src->mem) return USM_ERR_INVALID_ARG;
  if (src->is_protected) return USM_ERR_WRONG_STATE; /* would store ciphertext for NACKs */
  /* the copy keeps its own trailer room so a retransmission can be protected in place too */
  if (dst->cap - dst->head < USM__RTP_SRTP_TRAILER_ROOM ||
      src->len > dst->cap - dst->head - USM__RTP_SRTP_TRAILER_ROOM)
    return USM_ERR_LIMIT;
  memcpy(dst->mem + dst->head, src->mem + src->head, src->len);
  dst->len = src->len;
  dst->is_protected = 0;
  return USM_OK;
}
