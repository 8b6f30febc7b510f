/* SRTP/SRTCP sessions: libusm's one seam over libsrtp2. Every other media
 * file uses this interface, so moving to libsrtp 3 (whose protect/unprotect
 * take separate in/out lengths) touches srtp_session.c only.
 *
 * A session protects (outbound) or unprotects (inbound) the packets of any
 * SSRC with one master key and salt. Packets are transformed in place: the
 * caller states the buffer's capacity, and protect needs
 * usm__srtp_trailer_len() bytes past the packet (at most USM__SRTP_MAX_TRAILER).
 * Replay protection is on, with libsrtp's default window (128 packets).
 *
 * Threads: a session is used by one thread at a time. Creating sessions is
 * thread-safe (libsrtp's process-wide init runs once, see the .c file). */
#ifndef USM_MEDIA_SRTP_SESSION_H
#define USM_MEDIA_SRTP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <usm/common.h>

/* Protection profiles; the values are the DTLS-SRTP ids (RFC 5764, 7714). */
typedef enum usm__srtp_profile {
  USM__SRTP_AES128_CM_SHA1_80 = 0x0001,
  USM__SRTP_AES128_CM_SHA1_32 = 0x0002,
  USM__SRTP_AEAD_AES_128_GCM = 0x0007
} usm__srtp_profile;

typedef enum usm__srtp_direction {
  USM__SRTP_INBOUND,  /* unprotect what the peer sent */
  USM__SRTP_OUTBOUND  /* protect what we send */
} usm__srtp_direction;

#define USM__SRTP_MAX_KEY_LEN 16  /* AES-128 master key */
#define USM__SRTP_MAX_SALT_LEN 14 /* AES-CM master salt (GCM uses 12) */
/* Largest trailer any profile appends: SRTCP with GCM, a 16-byte tag plus the
 * 4-byte E-flag/index word. No MKI is ever used. */
#define USM__SRTP_MAX_TRAILER 20
#define USM__SRTP_RTP_HEADER_MIN 12
#define USM__SRTCP_HEADER_MIN 8

typedef struct usm__srtp_session usm__srtp_session;

/* Master key and salt lengths of @p profile; USM_ERR_INVALID_ARG if unknown. */
usm_err usm__srtp_profile_lengths(usm__srtp_profile profile, size_t *key_len, size_t *salt_len);
/* The profile's RFC name ("AES_CM_128_HMAC_SHA1_80"...), or NULL if unknown. */
const char *usm__srtp_profile_name(usm__srtp_profile profile);

/* A session from a master key and salt of exactly the profile's lengths (the
 * key material is copied, the caller may wipe its copy). USM_ERR_INVALID_ARG
 * for a wrong length or profile, USM_ERR_NO_MEMORY, USM_ERR_SRTP otherwise. */
usm_err usm__srtp_session_create(usm__srtp_session **out, usm__srtp_direction dir,
                                 usm__srtp_profile profile, const uint8_t *key, size_t key_len,
                                 const uint8_t *salt, size_t salt_len);
/* NULL is a no-op. */
void usm__srtp_session_destroy(usm__srtp_session *s);

usm__srtp_profile usm__srtp_session_profile(const usm__srtp_session *s);
usm__srtp_direction usm__srtp_session_direction(const usm__srtp_session *s);
/* Bytes that protect appends to an RTP (rtcp = 0) or RTCP (rtcp = 1) packet. */
size_t usm__srtp_trailer_len(const usm__srtp_session *s, int rtcp);

/* Protect the RTP/RTCP packet buf[0..len) in place; *out_len is the SRTP
 * length. USM_ERR_LIMIT if cap < len + trailer (buf untouched),
 * USM_ERR_MALFORMED for a packet that is not RTP/RTCP, USM_ERR_REPLAY if this
 * RTP sequence number was already protected, USM_ERR_WRONG_STATE on an
 * inbound session. */
usm_err usm__srtp_protect_rtp(usm__srtp_session *s, uint8_t *buf, size_t len, size_t cap,
                              size_t *out_len);
usm_err usm__srtp_protect_rtcp(usm__srtp_session *s, uint8_t *buf, size_t len, size_t cap,
                               size_t *out_len);
/* Unprotect buf[0..len) in place; *out_len is the plain length. USM_ERR_SRTP
 * for a bad tag (tampered, wrong key), USM_ERR_REPLAY for a replayed or too
 * old packet, USM_ERR_MALFORMED for a packet too short or not RTP/RTCP. On
 * error buf may have been changed and must be dropped. */
usm_err usm__srtp_unprotect_rtp(usm__srtp_session *s, uint8_t *buf, size_t len, size_t *out_len);
usm_err usm__srtp_unprotect_rtcp(usm__srtp_session *s, uint8_t *buf, size_t len, size_t *out_len);

#endif
