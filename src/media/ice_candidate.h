/* ICE candidates: the SDP "candidate" attribute value (RFC 8839 §5.1, with
 * RFC 6544 tcptype), candidate and pair priorities (RFC 8445 §5.1.2,
 * §6.1.2.3) and foundations (§5.1.1.3). Pure: no I/O, no global state.
 *
 * Addresses must be IPv4 or IPv6 literals: FQDN and mDNS (".local")
 * candidates are refused with USM_ERR_MALFORMED and the caller skips them. */
#ifndef USM_MEDIA_ICE_CANDIDATE_H
#define USM_MEDIA_ICE_CANDIDATE_H

#include <stddef.h>
#include <stdint.h>
#include <usm/common.h>

#include "media/stun.h"

#define USM__ICE_FOUNDATION_MAX 32 /* 1*32ice-char */
#define USM__ICE_UFRAG_MAX 256
#define USM__ICE_MAX_EXT 8         /* unknown extension pairs kept */
#define USM__ICE_EXT_NAME_MAX 32
#define USM__ICE_EXT_VALUE_MAX 64
#define USM__ICE_CANDIDATE_MAX 1024 /* longest attribute value parsed */

typedef enum usm__ice_type {
  USM__ICE_HOST = 0,
  USM__ICE_SRFLX,
  USM__ICE_PRFLX,
  USM__ICE_RELAY
} usm__ice_type;

typedef enum usm__ice_transport { USM__ICE_UDP = 0, USM__ICE_TCP } usm__ice_transport;

typedef enum usm__ice_tcptype {
  USM__ICE_TCPTYPE_NONE = 0, /* UDP, or TCP without a tcptype */
  USM__ICE_TCPTYPE_ACTIVE,
  USM__ICE_TCPTYPE_PASSIVE,
  USM__ICE_TCPTYPE_SO
} usm__ice_tcptype;

typedef struct usm__ice_ext {
  char name[USM__ICE_EXT_NAME_MAX + 1];
  char value[USM__ICE_EXT_VALUE_MAX + 1];
} usm__ice_ext;

typedef struct usm__ice_candidate {
  char foundation[USM__ICE_FOUNDATION_MAX + 1];
  uint16_t component; /* 1..256 */
  usm__ice_transport transport;
  uint32_t priority;
  usm__stun_addr addr; /* connection-address and port */
  usm__ice_type type;
  int has_related;
  usm__stun_addr related; /* raddr / rport */
  usm__ice_tcptype tcptype;
  int has_generation;
  uint32_t generation;
  char ufrag[USM__ICE_UFRAG_MAX + 1]; /* "" when absent */
  size_t n_ext;
  usm__ice_ext ext[USM__ICE_MAX_EXT]; /* other pairs, in order */
} usm__ice_candidate;

/*
 * Parse a candidate attribute value. A leading "a=" and "candidate:" are
 * accepted, as are trailing CR/LF. Tokens are separated by spaces.
 * @return USM_OK; USM_ERR_MALFORMED (grammar, range, hostname address);
 * USM_ERR_LIMIT (longer than USM__ICE_CANDIDATE_MAX, more than
 * USM__ICE_MAX_EXT unknown pairs, an over-long name or value);
 * USM_ERR_INVALID_ARG. On error *out is zeroed.
 */
usm_err usm__ice_candidate_parse(const char *s, size_t len, usm__ice_candidate *out);

/*
 * Format the attribute value without "candidate:" (the SDP writer emits
 * "a=candidate:" before it), NUL-terminated. *out_len (may be NULL) gets the
 * length without the NUL. @return USM_OK; USM_ERR_LIMIT when @p cap is too
 * small; USM_ERR_INVALID_ARG for a candidate that could not be parsed back.
 */
usm_err usm__ice_candidate_format(const usm__ice_candidate *c, char *out, size_t cap,
                                  size_t *out_len);

/* RFC 8445 §5.1.2.2 recommended type preferences: host 126, prflx 110,
 * srflx 100, relay 0. */
uint32_t usm__ice_type_preference(usm__ice_type type);
/* RFC 6544 §4.2 local preference for TCP candidates:
 * 2^13 * direction-pref (active 6 / passive 4 / so 2 for host) + other_pref
 * (0..8191). */
uint32_t usm__ice_tcp_local_preference(usm__ice_type type, usm__ice_tcptype tcptype,
                                       uint32_t other_pref);
/* 2^24 * type_pref + 2^8 * local_pref + (256 - component).
 * type_pref 0..126, local_pref 0..65535, component 1..256; clamped. */
uint32_t usm__ice_priority(uint32_t type_pref, uint32_t local_pref, uint16_t component);
/* Pair priority (§6.1.2.3): 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0), G the
 * controlling agent's candidate priority and D the controlled one's. */
uint64_t usm__ice_pair_priority(int local_controlling, uint32_t local_prio, uint32_t remote_prio);
/*
 * Foundation (§5.1.1.3): the same for candidates with the same type, base IP
 * address, STUN/TURN server IP (@p server may be NULL for host/prflx) and
 * transport. 8 ice-chars from a SHA-256 of those, NUL-terminated in
 * @p out (9 bytes).
 */
usm_err usm__ice_foundation(usm__ice_type type, const usm__stun_addr *base,
                            const usm__stun_addr *server, usm__ice_transport transport,
                            char out[9]);

const char *usm__ice_type_name(usm__ice_type type); /* "host", "srflx", ... */

#endif
