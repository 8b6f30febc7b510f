/* The ICE agent's state, shared by its three files: ice_agent.c (lifecycle,
 * sockets, receive path, data, events), ice_gather.c (host, srflx and relay
 * candidates) and ice_checks.c (check list, STUN transactions, answering
 * checks, nomination, consent). Not for use outside those files. */
#ifndef USM_MEDIA_ICE_AGENT_INTERNAL_H
#define USM_MEDIA_ICE_AGENT_INTERNAL_H

#include "media/ice_agent.h"
#include "media/ice_candidate.h"
#include "media/stun.h"
#include "media/turn_client.h"

#define ICE_MAX_HOST_SOCKS 8
#define ICE_TX_BUF 800 /* a check: USERNAME (256 + 1 + 8) and fixed attributes */
#define ICE_RTO_MS 500 /* RFC 8445 §14.3 lower bound */
#define ICE_RTO_MAX_MS 4000
#define ICE_CHECK_MAX_SENDS 7
#define ICE_CONSENT_MAX_SENDS 3
#define ICE_SRFLX_MAX_SENDS 4
#define ICE_NOMINATE_WAIT_MS 500 /* regular nomination: wait this long for better pairs */
#define ICE_IDLE_TICK_MS 250
#define ICE_STATE_QUEUE 8

typedef struct ice_sock {
  uv_udp_t udp;
  usm__ice_agent *agent;
  usm__stun_addr addr; /* bound address */
} ice_sock;

typedef struct ice_local {
  usm__ice_candidate c;
  int sock;            /* index in socks[]; -1: the TURN relay */
  usm__stun_addr base; /* where it sends from (relay: the relayed address) */
  int reported;
} ice_local;

typedef enum ice_pair_state {
  PAIR_WAITING,
  PAIR_IN_PROGRESS,
  PAIR_SUCCEEDED,
  PAIR_FAILED
} ice_pair_state;

typedef struct ice_pair {
  int local, remote;
  uint64_t priority;
  ice_pair_state state;
  int nominated;
  int nominate_on_success; /* controlled: USE-CANDIDATE seen before our check succeeded */
  int peer_checked;        /* the peer sent us an authenticated check on this pair */
  uint64_t triggered;      /* 0, or the order in the triggered-check queue */
  uint32_t rtt_ms;
} ice_pair;

typedef enum ice_tx_kind { TX_CHECK, TX_CONSENT, TX_SRFLX } ice_tx_kind;

typedef struct ice_tx {
  int used;
  ice_tx_kind kind;
  int pair;            /* TX_CHECK */
  int local;           /* sent from this local candidate (a host one for TX_SRFLX) */
  usm__stun_addr to;   /* the peer or STUN server; a response must come from it */
  int use_candidate;
  int as_controlling;  /* the role the request claimed (for a 487) */
  uint8_t tid[USM__STUN_TID_LEN];
  uint64_t first_ms, next_ms;
  unsigned rto;
  int sends, max_sends;
  size_t len;
  uint8_t buf[ICE_TX_BUF];
} ice_tx;

/* The pair data goes on; kept apart from pairs[] so that it survives an ICE
 * restart until a new pair is selected. */
typedef struct ice_selected {
  int active;
  int local;
  usm__stun_addr remote;
  usm__ice_type remote_type;
  uint64_t priority;
  uint32_t rtt_ms;
} ice_selected;

struct usm__ice_agent {
  usm__ice_config cfg;
  char *stun_server, *turn_url, *turn_username, *turn_password, *turn_ca_file;
  usm__ice_state state;
  int controlling;
  uint64_t tie_breaker;
  char ufrag[9], pwd[25];
  char rufrag[USM__ICE_UFRAG_MAX + 1], rpwd[257];
  int have_remote_creds, remote_lite;

  ice_sock socks[ICE_MAX_HOST_SOCKS];
  size_t n_socks;
  ice_local locals[USM__ICE_MAX_LOCAL];
  size_t n_locals;
  usm__ice_candidate remotes[USM__ICE_MAX_REMOTE];
  size_t n_remotes;
  ice_pair pairs[USM__ICE_MAX_PAIRS];
  size_t n_pairs;
  ice_tx tx[USM__ICE_MAX_TRANSACTIONS];
  uint64_t trigger_seq;
  ice_selected sel;

  /* checks */
  int checks_started;
  uint64_t checks_deadline_ms, next_check_ms;
  uint64_t first_valid_ms; /* regular nomination clock; 0 = none yet */
  int nominating;          /* a USE-CANDIDATE check is out */
  int restarting;          /* ICE restart: sel is the old pair, kept for media until a new one */
  /* consent (RFC 7675) */
  uint64_t last_consent_ms, next_consent_ms;

  /* gathering */
  int gather_started, gather_pending, gather_done, gather_done_reported;
  uv_getaddrinfo_t stun_dns, turn_dns;
  int stun_dns_busy, turn_dns_busy;
  struct sockaddr_storage stun_sa;
  usm__turn *turn;
  usm__turn_transport turn_transport;
  char turn_host[USM__TURN_HOST_MAX + 1];
  usm__stun_addr turn_server;

  /* events queued for the next flush (callbacks never fire inside API calls) */
  usm__ice_state state_q[ICE_STATE_QUEUE];
  size_t n_state_q;

  uv_timer_t timer;
  int destroyed;
  int refs; /* open handles, pending getaddrinfo, the TURN client */

  uint64_t bytes_sent, bytes_received, packets_sent, packets_received;
  uint8_t rx[USM__ICE_MAX_DATAGRAM];
};

/* ice_agent.c */
void usm__ice_log(usm__ice_agent *a, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void usm__ice_set_state(usm__ice_agent *a, usm__ice_state s);
/* Fire queued callbacks; call last in every libuv callback. */
void usm__ice_flush(usm__ice_agent *a);
void usm__ice_unref(usm__ice_agent *a);
/* Send a datagram from local candidate @p local to @p to (a socket, or the relay). */
int usm__ice_send_from(usm__ice_agent *a, int local, const usm__stun_addr *to, const uint8_t *buf,
                       size_t len);
/* A datagram arrived on local candidate @p local (host socket or relay) from @p from. */
void usm__ice_on_datagram(usm__ice_agent *a, int local, const usm__stun_addr *from,
                          const uint8_t *buf, size_t len);
int usm__ice_addr_eq(const usm__stun_addr *x, const usm__stun_addr *y);
void usm__ice_addr_str(const usm__stun_addr *x, char *out, size_t cap);
void usm__ice_schedule(usm__ice_agent *a, unsigned ms);

/* ice_gather.c */
usm_err usm__ice_gather_start(usm__ice_agent *a);
/* Add a local candidate (no duplicate address); returns its index or -1. */
int usm__ice_add_local(usm__ice_agent *a, usm__ice_type type, const usm__stun_addr *addr,
                       const usm__stun_addr *base, int sock, const usm__stun_addr *server);
void usm__ice_gather_step_done(usm__ice_agent *a);
void usm__ice_gather_close(usm__ice_agent *a);

/* ice_checks.c */
void usm__ice_form_pairs(usm__ice_agent *a);
void usm__ice_tick(usm__ice_agent *a);
/* A STUN message for the agent (not the TURN client's) on @p local. */
void usm__ice_on_stun(usm__ice_agent *a, int local, const usm__stun_addr *from, const uint8_t *buf,
                      size_t len);
/* Whether non-STUN data from @p from on @p local is accepted. */
int usm__ice_data_allowed(const usm__ice_agent *a, int local, const usm__stun_addr *from);
void usm__ice_clear_checks(usm__ice_agent *a);
usm_err usm__ice_srflx_request(usm__ice_agent *a, int sock, const usm__stun_addr *server);
/* ice_agent.c: open and bind a host socket; its index in socks[] or -1. */
int usm__ice_open_sock(usm__ice_agent *a, const struct sockaddr *addr);

#endif
