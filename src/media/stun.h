/* STUN message codec (RFC 8489, RFC 5389) with the ICE (RFC 8445) and TURN
 * (RFC 8656) attributes: a zero-copy parser, a builder into a caller buffer,
 * and MESSAGE-INTEGRITY / FINGERPRINT (stun_auth.c). Pure: no I/O, no
 * timers, no global state. The ICE agent sits on top of this.
 *
 * Bounds: a message is at most USM__STUN_MAX_MSG bytes and holds at most
 * USM__STUN_MAX_ATTRS attributes (USM_ERR_LIMIT beyond either). */
#ifndef USM_MEDIA_STUN_H
#define USM_MEDIA_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <usm/common.h>

struct sockaddr;

#define USM__STUN_HEADER_LEN 20
#define USM__STUN_MAGIC_COOKIE 0x2112A442u
#define USM__STUN_TID_LEN 12
/* Enough for a TURN Data/Send indication carrying a full-size media packet. */
#define USM__STUN_MAX_MSG 8192
#define USM__STUN_MAX_ATTRS 32
/* Comprehension-required attributes we do not understand, kept for a 420. */
#define USM__STUN_MAX_UNKNOWN 8
/* RFC 8489 §14: USERNAME < 513 bytes; REALM, NONCE, SOFTWARE, reason < 763. */
#define USM__STUN_MAX_USERNAME 513
#define USM__STUN_MAX_TEXT 763
#define USM__STUN_MI_LEN 20  /* HMAC-SHA1 */
#define USM__STUN_MAX_KEY 512

/* Methods (RFC 8489 Binding, RFC 8656 TURN). */
#define USM__STUN_BINDING 0x001
#define USM__STUN_ALLOCATE 0x003
#define USM__STUN_REFRESH 0x004
#define USM__STUN_SEND 0x006
#define USM__STUN_DATA 0x007
#define USM__STUN_CREATE_PERMISSION 0x008
#define USM__STUN_CHANNEL_BIND 0x009

typedef enum usm__stun_class {
  USM__STUN_REQUEST = 0,
  USM__STUN_INDICATION = 1,
  USM__STUN_SUCCESS = 2,
  USM__STUN_ERROR = 3
} usm__stun_class;

/* Attribute types. Below 0x8000 they are comprehension-required. */
#define USM__STUN_ATTR_MAPPED_ADDRESS 0x0001
#define USM__STUN_ATTR_USERNAME 0x0006
#define USM__STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define USM__STUN_ATTR_ERROR_CODE 0x0009
#define USM__STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define USM__STUN_ATTR_CHANNEL_NUMBER 0x000C
#define USM__STUN_ATTR_LIFETIME 0x000D
#define USM__STUN_ATTR_XOR_PEER_ADDRESS 0x0012
#define USM__STUN_ATTR_DATA 0x0013
#define USM__STUN_ATTR_REALM 0x0014
#define USM__STUN_ATTR_NONCE 0x0015
#define USM__STUN_ATTR_XOR_RELAYED_ADDRESS 0x0016
#define USM__STUN_ATTR_REQUESTED_TRANSPORT 0x0019
#define USM__STUN_ATTR_DONT_FRAGMENT 0x001A
#define USM__STUN_ATTR_MESSAGE_INTEGRITY_SHA256 0x001C
#define USM__STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define USM__STUN_ATTR_PRIORITY 0x0024
#define USM__STUN_ATTR_USE_CANDIDATE 0x0025
#define USM__STUN_ATTR_SOFTWARE 0x8022
#define USM__STUN_ATTR_FINGERPRINT 0x8028
#define USM__STUN_ATTR_ICE_CONTROLLED 0x8029
#define USM__STUN_ATTR_ICE_CONTROLLING 0x802A

/* REQUESTED-TRANSPORT protocol numbers. */
#define USM__STUN_TRANSPORT_UDP 17

#define USM__STUN_FAMILY_IPV4 0x01
#define USM__STUN_FAMILY_IPV6 0x02

/* A transport address as STUN carries it (network byte order in ip[]). */
typedef struct usm__stun_addr {
  uint8_t family; /* USM__STUN_FAMILY_IPV4 or _IPV6 */
  uint16_t port;
  uint8_t ip[16]; /* first 4 bytes for IPv4 */
} usm__stun_addr;

typedef struct usm__stun_attr {
  uint16_t type;
  uint16_t len;    /* value length, without padding */
  uint16_t offset; /* of the value, from the start of the message */
} usm__stun_attr;

/* A parsed message. Zero-copy: it points into the caller's buffer, which
 * must outlive it. attrs[] holds the attributes the receiver processes, in
 * order: those after MESSAGE-INTEGRITY (other than MESSAGE-INTEGRITY-SHA256
 * and FINGERPRINT) are skipped, as RFC 8489 §14.5 says. */
typedef struct usm__stun_msg {
  const uint8_t *buf;
  size_t len; /* 20 + the header's length field */
  uint16_t method;
  usm__stun_class cls;
  uint8_t tid[USM__STUN_TID_LEN];
  size_t n_attrs;
  usm__stun_attr attrs[USM__STUN_MAX_ATTRS];
  /* index + 1 in attrs[] of the integrity attributes; 0 when absent */
  size_t mi, mi256, fp;
  /* comprehension-required types we do not know: answer 420 with these */
  size_t n_unknown;
  uint16_t unknown[USM__STUN_MAX_UNKNOWN];
} usm__stun_msg;

/* Quick test (no full parse): 20+ bytes, top two bits zero, the magic
 * cookie, a length that is a multiple of 4 and equal to len - 20. */
int usm__stun_is_message(const uint8_t *buf, size_t len);

/* The type field for a method and class, and back. */
uint16_t usm__stun_type(uint16_t method, usm__stun_class cls);
void usm__stun_split_type(uint16_t type, uint16_t *method, usm__stun_class *cls);

/*
 * Parse one message of exactly @p len bytes (a whole datagram, or one frame
 * cut from a stream). Checks the header, every attribute's length and
 * padding, the formats of the attributes above, the order rules (nothing
 * after FINGERPRINT; after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256
 * and FINGERPRINT are processed), and that no known attribute other than
 * XOR-PEER-ADDRESS appears twice. Integrity and fingerprint are NOT checked
 * here: see usm__stun_check_*.
 * @return USM_OK (unknown comprehension-required attributes are listed in
 * out->unknown; a request with any must get a 420), USM_ERR_MALFORMED,
 * USM_ERR_LIMIT (too long, too many attributes), USM_ERR_INVALID_ARG.
 */
usm_err usm__stun_parse(const uint8_t *buf, size_t len, usm__stun_msg *out);

/* Typed access. The parser has checked the formats, so these fail only with
 * USM_ERR_NOT_FOUND (absent) or USM_ERR_INVALID_ARG (wrong kind of type). */
const usm__stun_attr *usm__stun_find(const usm__stun_msg *m, uint16_t type);
const uint8_t *usm__stun_attr_value(const usm__stun_msg *m, const usm__stun_attr *a);
/* MAPPED-ADDRESS or one of the XOR-*-ADDRESS (un-XORed here). */
usm_err usm__stun_attr_addr(const usm__stun_msg *m, const usm__stun_attr *a, usm__stun_addr *out);
usm_err usm__stun_get_addr(const usm__stun_msg *m, uint16_t type, usm__stun_addr *out);
usm_err usm__stun_get_u32(const usm__stun_msg *m, uint16_t type, uint32_t *out);
usm_err usm__stun_get_u64(const usm__stun_msg *m, uint16_t type, uint64_t *out);
/* USERNAME, REALM, NONCE, SOFTWARE, DATA or any other attribute's raw value. */
usm_err usm__stun_get_bytes(const usm__stun_msg *m, uint16_t type, const uint8_t **val, size_t *len);
/* ERROR-CODE: code 300..699 and the reason (UTF-8, not NUL-terminated). */
usm_err usm__stun_get_error(const usm__stun_msg *m, int *code, const uint8_t **reason,
                            size_t *reason_len);
/* UNKNOWN-ATTRIBUTES: up to @p cap types into @p types; *n gets the count stored. */
usm_err usm__stun_get_unknown_list(const usm__stun_msg *m, uint16_t *types, size_t cap, size_t *n);
/* CHANNEL-NUMBER's channel (0x4000..0x4FFF). */
usm_err usm__stun_get_channel(const usm__stun_msg *m, uint16_t *channel);

/* Conversions to and from struct sockaddr_in / sockaddr_in6. */
usm_err usm__stun_addr_to_sockaddr(const usm__stun_addr *a, struct sockaddr *sa, size_t sa_len);
usm_err usm__stun_addr_from_sockaddr(const struct sockaddr *sa, usm__stun_addr *out);

/*
 * Builder: writes one message into a caller buffer. Errors are sticky: the
 * first failure (USM_ERR_LIMIT when the buffer or an attribute bound is
 * exceeded, USM_ERR_INVALID_ARG for a bad value, USM_ERR_WRONG_STATE for an
 * attribute after MESSAGE-INTEGRITY or FINGERPRINT) is kept and returned by
 * every later call, including usm__stun_build_finish. The header's length is
 * kept current after each attribute. MESSAGE-INTEGRITY and FINGERPRINT are
 * added with usm__stun_add_integrity / usm__stun_add_fingerprint, last.
 */
typedef struct usm__stun_builder {
  uint8_t *buf;
  size_t cap, len;
  size_t n_attrs;
  int has_mi, has_fp;
  usm_err err;
} usm__stun_builder;

/* Transaction id: 96 bits from OpenSSL RAND_bytes. */
usm_err usm__stun_new_tid(uint8_t tid[USM__STUN_TID_LEN]);

/* Start a message; a NULL @p tid draws a fresh random one (read it back with
 * usm__stun_build_tid). @p cap is at least USM__STUN_HEADER_LEN. */
usm_err usm__stun_build_begin(usm__stun_builder *b, uint8_t *buf, size_t cap, uint16_t method,
                              usm__stun_class cls, const uint8_t *tid);
const uint8_t *usm__stun_build_tid(const usm__stun_builder *b);
/* Any attribute but the integrity ones; known types must have a valid value. */
usm_err usm__stun_add_attr(usm__stun_builder *b, uint16_t type, const void *val, size_t len);
usm_err usm__stun_add_u32(usm__stun_builder *b, uint16_t type, uint32_t v);
usm_err usm__stun_add_u64(usm__stun_builder *b, uint16_t type, uint64_t v);
usm_err usm__stun_add_flag(usm__stun_builder *b, uint16_t type); /* USE-CANDIDATE, DONT-FRAGMENT */
/* MAPPED-ADDRESS or an XOR-*-ADDRESS (XORed here). */
usm_err usm__stun_add_addr(usm__stun_builder *b, uint16_t type, const usm__stun_addr *a);
usm_err usm__stun_add_error(usm__stun_builder *b, int code, const char *reason);
usm_err usm__stun_add_unknown_list(usm__stun_builder *b, const uint16_t *types, size_t n);
usm_err usm__stun_add_channel(usm__stun_builder *b, uint16_t channel); /* CHANNEL-NUMBER */
usm_err usm__stun_add_requested_transport(usm__stun_builder *b, uint8_t protocol);
/* The total length of the finished message in *out_len. */
usm_err usm__stun_build_finish(usm__stun_builder *b, size_t *out_len);

/* Shared by stun.c and stun_auth.c only. Whether @p v is a valid value for
 * a known @p type (unknown types: any bytes). */
int usm__stun_value_ok(uint16_t type, const uint8_t *v, size_t len);
/* Append an attribute header and @p len zeroed value bytes (plus padding);
 * NULL (and b->err set) when over a bound. No order rules checked. */
uint8_t *usm__stun_build_reserve(usm__stun_builder *b, uint16_t type, size_t len);

/* ---- stun_auth.c: MESSAGE-INTEGRITY and FINGERPRINT ---- */

/* Long-term key MD5(username ":" realm ":" password). The password must
 * already be SASLprep'ed (OpaqueString) by the caller; we do not prepare it. */
usm_err usm__stun_long_term_key(const uint8_t *username, size_t username_len, const uint8_t *realm,
                                size_t realm_len, const uint8_t *password, size_t password_len,
                                uint8_t key[16]);
/* Append MESSAGE-INTEGRITY (HMAC-SHA1). Short-term: key = the password. */
usm_err usm__stun_add_integrity(usm__stun_builder *b, const uint8_t *key, size_t key_len);
/* Append FINGERPRINT (CRC-32 XOR 0x5354554e); it must be the last attribute. */
usm_err usm__stun_add_fingerprint(usm__stun_builder *b);
/* Verify MESSAGE-INTEGRITY (or -SHA256) in constant time.
 * @return USM_OK; USM_ERR_NOT_FOUND when absent; USM_ERR_UNAUTHORIZED when
 * wrong (answer 401); USM_ERR_INVALID_ARG; USM_ERR_INTERNAL (OpenSSL). */
usm_err usm__stun_check_integrity(const usm__stun_msg *m, const uint8_t *key, size_t key_len);
usm_err usm__stun_check_integrity_sha256(const usm__stun_msg *m, const uint8_t *key, size_t key_len);
/* @return USM_OK; USM_ERR_NOT_FOUND when absent; USM_ERR_MALFORMED when wrong. */
usm_err usm__stun_check_fingerprint(const usm__stun_msg *m);

#endif
