/* Compound RTCP (RFC 3550 §6, RFC 4585 feedback, RFC 5104 FIR, REMB draft,
 * transport-wide CC draft): validation of a whole compound packet, an
 * iterator over its packets, zero-copy views of each packet type, and
 * builders that write into a caller buffer. */
#ifndef USM_MEDIA_RTCP_H
#define USM_MEDIA_RTCP_H

#include <stddef.h>
#include <stdint.h>

#include <srtp2/srtp.h>
#include <usm/common.h>

enum {
  USM__RTCP_SR = 200,
  USM__RTCP_RR = 201,
  USM__RTCP_SDES = 202,
  USM__RTCP_BYE = 203,
  USM__RTCP_APP = 204,
  USM__RTCP_RTPFB = 205,
  USM__RTCP_PSFB = 206
};
enum {
  USM__RTCP_FB_NACK = 1,   /* RTPFB */
  USM__RTCP_FB_TWCC = 15,  /* RTPFB, draft-holmer-rmcat-transport-wide-cc-extensions */
  USM__RTCP_FB_PLI = 1,    /* PSFB */
  USM__RTCP_FB_FIR = 4,    /* PSFB */
  USM__RTCP_FB_AFB = 15    /* PSFB application layer feedback: REMB */
};

/* Room a buffer keeps after an RTCP compound for srtp_protect_rtcp() in place
 * (auth tag + MKI + the E|SRTCP-index word). */
#define USM__RTCP_SRTCP_TRAILER_ROOM (SRTP_MAX_TRAILER_LEN + 4)
/* Bounds on counts taken from the network or given to the builders. */
#define USM__RTCP_MAX_REPORT_BLOCKS 31
#define USM__RTCP_MAX_SDES_CHUNKS 31
#define USM__RTCP_MAX_BYE_SSRCS 31
#define USM__RTCP_MAX_NACK_ITEMS 256   /* PID+BLP words in one NACK */
#define USM__RTCP_MAX_FIR_ENTRIES 64
#define USM__RTCP_MAX_REMB_SSRCS 255
#define USM__RTCP_MAX_SDES_TEXT 255

/* ---- compound validation and iteration ---- */

/* One packet of a compound. data/len cover the whole packet including its
 * header and padding; body/body_len the part after the 4-byte header without padding. */
typedef struct usm__rtcp_pkt {
  uint8_t pt;
  uint8_t count;            /* RC, SC or FMT (5 bits) */
  uint8_t padding;
  const uint8_t *data;
  size_t len;
  const uint8_t *body;
  size_t body_len;
} usm__rtcp_pkt;

typedef struct usm__rtcp_iter {
  const uint8_t *buf;
  size_t len, off;
} usm__rtcp_iter;

/* Check a whole compound (RFC 3550 A.2): every packet version 2 and at least
 * the 4-byte header, lengths add up exactly to @p len, padding only on the last
 * packet with a count of 1..(packet length - 4), the first packet SR or RR, or
 * (reduced-size RTCP, RFC 5506) RTPFB or PSFB. Then iterate. USM_ERR_MALFORMED otherwise. */
usm_err usm__rtcp_iter_init(usm__rtcp_iter *it, const uint8_t *buf, size_t len);
/* 1 and *out for the next packet, 0 at the end. Never fails after a successful init. */
int usm__rtcp_iter_next(usm__rtcp_iter *it, usm__rtcp_pkt *out);

/* ---- SR / RR ---- */

typedef struct usm__rtcp_report_block {
  uint32_t ssrc;
  uint8_t fraction_lost;
  int32_t cumulative_lost;  /* 24-bit signed on the wire */
  uint32_t ext_highest_seq;
  uint32_t jitter;
  uint32_t lsr;             /* middle 32 bits of the NTP time of the last SR, 0 if none */
  uint32_t dlsr;            /* delay since that SR, 1/65536 s */
} usm__rtcp_report_block;

typedef struct usm__rtcp_sender_info {
  uint64_t ntp;             /* 32.32 NTP time */
  uint32_t rtp_ts;
  uint32_t packet_count;
  uint32_t octet_count;
} usm__rtcp_sender_info;

/* An SR or RR. Report blocks are read with usm__rtcp_report_block_get(). */
typedef struct usm__rtcp_report {
  uint8_t is_sr;
  uint32_t ssrc;
  usm__rtcp_sender_info si; /* SR only */
  uint8_t rb_count;
  const uint8_t *rb;        /* rb_count * 24 bytes */
  const uint8_t *ext;       /* profile-specific extension after the blocks, may be empty */
  size_t ext_len;
} usm__rtcp_report;

usm_err usm__rtcp_parse_report(const usm__rtcp_pkt *p, usm__rtcp_report *out);
/* Block @p i (< rb_count) of a parsed report; USM_ERR_INVALID_ARG past the end. */
usm_err usm__rtcp_report_block_get(const usm__rtcp_report *r, size_t i, usm__rtcp_report_block *out);

/* ---- SDES (CNAME only; other items are skipped) ---- */

typedef struct usm__rtcp_sdes_chunk {
  uint32_t ssrc;
  const char *cname;        /* not NUL-terminated; NULL when the chunk has no CNAME */
  size_t cname_len;
} usm__rtcp_sdes_chunk;

typedef struct usm__rtcp_sdes_iter {
  const uint8_t *p, *end;
  uint8_t left;             /* chunks still to read */
  usm_err err;
} usm__rtcp_sdes_iter;

/* Checks the whole packet first (SC chunks, each items + a null item padded to
 * 32 bits, nothing left over); USM_ERR_MALFORMED otherwise. */
usm_err usm__rtcp_sdes_iter_init(usm__rtcp_sdes_iter *it, const usm__rtcp_pkt *p);
int usm__rtcp_sdes_next(usm__rtcp_sdes_iter *it, usm__rtcp_sdes_chunk *out);

/* ---- BYE ---- */

typedef struct usm__rtcp_bye {
  uint8_t ssrc_count;
  const uint8_t *ssrcs;     /* ssrc_count * 4 bytes; read with usm__rtcp_bye_ssrc() */
  const char *reason;       /* not NUL-terminated; NULL without a reason */
  size_t reason_len;
} usm__rtcp_bye;

usm_err usm__rtcp_parse_bye(const usm__rtcp_pkt *p, usm__rtcp_bye *out);
uint32_t usm__rtcp_bye_ssrc(const usm__rtcp_bye *b, size_t i);

/* ---- feedback (RFC 4585 §6.1 common part) ---- */

typedef struct usm__rtcp_fb {
  uint8_t pt;               /* RTPFB or PSFB */
  uint8_t fmt;
  uint32_t sender_ssrc;
  uint32_t media_ssrc;
  const uint8_t *fci;
  size_t fci_len;
} usm__rtcp_fb;

usm_err usm__rtcp_parse_fb(const usm__rtcp_pkt *p, usm__rtcp_fb *out);

/* Generic NACK (RTPFB 1): FCI is PID+BLP words. */
/* Number of PID+BLP items; USM_ERR_MALFORMED when the FCI is empty or not a
 * multiple of 4, USM_ERR_LIMIT above USM__RTCP_MAX_NACK_ITEMS. */
usm_err usm__rtcp_nack_count(const usm__rtcp_fb *fb, size_t *items);
/* The lost sequence numbers, PID first then BLP bits low to high, item by item.
 * USM_ERR_LIMIT when @p cap is too small (17 per item is always enough). */
usm_err usm__rtcp_nack_seqs(const usm__rtcp_fb *fb, uint16_t *seqs, size_t cap, size_t *n);

/* FIR (PSFB 4, RFC 5104 §4.3.1). */
typedef struct usm__rtcp_fir_entry {
  uint32_t ssrc;
  uint8_t seq_nr;
} usm__rtcp_fir_entry;
/* Number of entries (FCI multiple of 8, 1..USM__RTCP_MAX_FIR_ENTRIES). */
usm_err usm__rtcp_fir_count(const usm__rtcp_fb *fb, size_t *n);
usm_err usm__rtcp_fir_get(const usm__rtcp_fb *fb, size_t i, usm__rtcp_fir_entry *out);

/* REMB (PSFB 15 with unique id "REMB", draft-alvestrand-rmcat-remb). */
typedef struct usm__rtcp_remb {
  uint64_t bitrate;         /* bit/s, mantissa << exp; UINT64_MAX if that overflows */
  uint8_t ssrc_count;
  const uint8_t *ssrcs;     /* read with usm__rtcp_remb_ssrc() */
} usm__rtcp_remb;
/* USM_ERR_MALFORMED when the FCI is not a well-formed REMB (another AFB gives that too). */
usm_err usm__rtcp_parse_remb(const usm__rtcp_fb *fb, usm__rtcp_remb *out);
uint32_t usm__rtcp_remb_ssrc(const usm__rtcp_remb *r, size_t i);

/* Transport-wide CC feedback (RTPFB 15). */
typedef struct usm__rtcp_twcc {
  uint16_t base_seq;
  uint16_t status_count;
  int32_t reference_time;   /* signed 24 bits, units of 64 ms */
  uint8_t fb_count;
  const uint8_t *chunks;    /* packet chunks, then receive deltas */
  size_t chunks_len;
} usm__rtcp_twcc;
enum { USM__TWCC_NOT_RECEIVED = 0, USM__TWCC_SMALL_DELTA = 1, USM__TWCC_LARGE_DELTA = 2 };
usm_err usm__rtcp_parse_twcc(const usm__rtcp_fb *fb, usm__rtcp_twcc *out);
/* Decode every packet status and receive delta: status[i] for base_seq + i,
 * delta_250us[i] (0 for not received). USM_ERR_LIMIT when cap < status_count,
 * USM_ERR_MALFORMED for reserved symbols or chunks/deltas past the end. */
usm_err usm__rtcp_twcc_decode(const usm__rtcp_twcc *t, uint8_t *status, int32_t *delta_250us,
                              size_t cap);

/* ---- builders: each writes one packet into out[0..cap) and its length into
 * *out_len; USM_ERR_LIMIT when cap is too small or a count is above its bound.
 * Append packets one after another to make a compound. ---- */

usm_err usm__rtcp_build_sr(uint32_t ssrc, const usm__rtcp_sender_info *si,
                           const usm__rtcp_report_block *rb, size_t n, uint8_t *out, size_t cap,
                           size_t *out_len);
usm_err usm__rtcp_build_rr(uint32_t ssrc, const usm__rtcp_report_block *rb, size_t n, uint8_t *out,
                           size_t cap, size_t *out_len);
/* Chunks with a CNAME (cname NULL / cname_len 0: an empty chunk). cname_len <= 255. */
usm_err usm__rtcp_build_sdes(const usm__rtcp_sdes_chunk *chunks, size_t n, uint8_t *out, size_t cap,
                             size_t *out_len);
/* reason may be NULL; reason_len <= 255. */
usm_err usm__rtcp_build_bye(const uint32_t *ssrcs, size_t n, const char *reason, size_t reason_len,
                            uint8_t *out, size_t cap, size_t *out_len);
/* From a list of lost sequence numbers (any order, duplicates ignored): each
 * joins the first item whose PID it follows by 1..16, else starts a new item. */
usm_err usm__rtcp_build_nack(uint32_t sender_ssrc, uint32_t media_ssrc, const uint16_t *seqs, size_t n,
                             uint8_t *out, size_t cap, size_t *out_len);
usm_err usm__rtcp_build_pli(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t *out, size_t cap,
                            size_t *out_len);
usm_err usm__rtcp_build_fir(uint32_t sender_ssrc, const usm__rtcp_fir_entry *e, size_t n, uint8_t *out,
                            size_t cap, size_t *out_len);
/* The bitrate is rounded down to what 18 bits of mantissa can say. */
usm_err usm__rtcp_build_remb(uint32_t sender_ssrc, uint64_t bitrate, const uint32_t *ssrcs, size_t n,
                             uint8_t *out, size_t cap, size_t *out_len);

#endif
