/* A minimal ice-lite peer for the ICE agent tests: one UDP socket on
 * loopback that answers authenticated Binding requests (XOR-MAPPED-ADDRESS,
 * MESSAGE-INTEGRITY, FINGERPRINT) and echoes every other datagram. Knobs
 * let a test stop answering (consent loss) or sign with a wrong key. */
#ifndef USM_TEST_ICE_LITE_RESPONDER_H
#define USM_TEST_ICE_LITE_RESPONDER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "media/stun.h"

typedef struct ice_lite_responder {
  uv_udp_t udp;
  char ufrag[64], pwd[64];
  int answering;        /* 0: drop every request */
  int wrong_key;        /* sign answers with a wrong password */
  int echo;             /* echo non-STUN datagrams */
  int stun_server;      /* also answer plain Binding requests (no USERNAME) ... */
  usm__stun_addr fake_mapped; /* ... with this XOR-MAPPED-ADDRESS */
  usm__stun_addr addr;  /* bound address */
  unsigned requests, bad_requests, use_candidate;
  uint64_t data_bytes;
  int closed;
} ice_lite_responder;

/* Bind @p ip (port 0) and start answering. 0 on success. */
int ice_lite_start(ice_lite_responder *r, uv_loop_t *loop, const char *ip, const char *ufrag,
                   const char *pwd);
/* Its host candidate, "candidate:1 1 udp 2130706431 IP PORT typ host". */
void ice_lite_candidate(const ice_lite_responder *r, char *out, size_t cap);
void ice_lite_close(ice_lite_responder *r);

#endif
