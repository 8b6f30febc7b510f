/* The Locus DTO (PROTOCOL.md §3.2): the fields libusm uses, copied out of
 * the JSON into an owned, bounded form. Pure and fuzzed
 * (fuzz/fuzz_locus_dto.c). */
#ifndef USM_MEETING_LOCUS_DTO_H
#define USM_MEETING_LOCUS_DTO_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <usm/common.h>

#define USM__LOCUS_MAX_PARTICIPANTS 10000
#define USM__LOCUS_STR_MAX 4096
/* Devices and roles looked at per participant; more are ignored. */
#define USM__LOCUS_MAX_DEVICES 64
#define USM__LOCUS_MAX_ROLES 32
/* Capture source ids kept per participant (status.csis); more are ignored. */
#define USM__LOCUS_MAX_CSIS 8
/* A sequence is echoed back in requests: kept only up to this size as JSON (real ones are tiny). */
#define USM__LOCUS_MAX_SEQ_BYTES 16384

typedef enum usm__pstate { USM__P_OTHER, USM__P_IDLE, USM__P_JOINED, USM__P_LEFT } usm__pstate;

typedef struct usm__lpart {
  char *id;         /* never NULL */
  char *name, *email, *person_id;
  usm__pstate state;
  int in_lobby;     /* IDLE with a device whose intent is WAIT or OBSERVE */
  int is_host;      /* the MODERATOR role (controls.role.roles), else the "moderator" flag */
  int is_guest;
  int is_self;
  int audio_muted, video_muted; /* 1, 0, -1 unknown */
  uint32_t csis[USM__LOCUS_MAX_CSIS]; /* status.csis: the media server names this participant's
                                         streams with them (RTP CSRC) */
  size_t n_csis;
} usm__lpart;

typedef struct usm__locus {
  char *url;            /* never NULL; https (or loopback http) */
  char *sync_url;
  int ended;            /* fullState.state INACTIVE */
  int locked;           /* controls.lock.locked, else fullState.locked */
  char *sip_uri;        /* info.sipUri */
  char *meeting_number; /* info.webExMeetingId (number or string) */
  usm__lpart *roster;   /* participants JOINED or in the lobby, in DTO order */
  size_t n_roster;
  int has_self;
  usm__lpart self;
  int self_waiting;     /* self IDLE and our device's intent WAIT: in the lobby */
  char *keepalive_url;  /* of our device, while waiting */
  char *self_url;       /* self.url ({locusUrl}/participant/{id}): where media (ROAP) requests go */
  int keepalive_secs;   /* 0: none */
  cJSON *sequence;      /* a copy of the DTO's "sequence" object, sent back in delta requests */
  int has_seq;
  double last_seq;      /* the last of sequence.entries */
} usm__locus;

/*
 * Copy what libusm needs from a DTO object. @p device_url is this client's
 * device, to find our entry in self.devices (may be NULL: never waiting).
 * @return USM_OK; USM_ERR_BAD_RESPONSE when it is not an object with a usable
 *   "url"; USM_ERR_LIMIT beyond USM__LOCUS_MAX_PARTICIPANTS; USM_ERR_NO_MEMORY.
 *   On error @p out is empty (nothing to free).
 */
usm_err usm__locus_parse(const cJSON *dto, const char *device_url, usm__locus *out);

/* The roster entry (self included) whose csis hold @p csi, or NULL. */
const usm__lpart *usm__locus_by_csi(const usm__locus *l, uint32_t csi);

/* The same from bytes: a bare DTO or an answer {"locus": DTO, ...}. */
usm_err usm__locus_parse_text(const char *text, size_t len, const char *device_url, usm__locus *out);

/* The DTO inside an answer: root["locus"] when it is an object, else root. */
const cJSON *usm__locus_of(const cJSON *root);

void usm__locus_free(usm__locus *l);

/* Whether @p in should replace @p cur (the official SDK's isNewFullLocus):
 * yes when either has no sequence, else when in's last entry is greater. */
int usm__locus_newer(const usm__locus *cur, const usm__locus *in);

#endif
