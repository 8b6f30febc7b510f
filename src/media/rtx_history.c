/* Send-side retransmission history (see rtx_history.h). */
#include "media/rtx_history.h"

#include <stdlib.h>

#include "media/bytes.h"

typedef struct rtx_slot {
  usm__rtp_pkt pkt;    /* bound to this slot's memory, no headroom */
  uint64_t stored_us;
  uint64_t resent_us;
  uint16_t seq;
  uint8_t used;
  uint8_t resent;      /* resent_us is valid */
} rtx_slot;

struct usm__rtx_history {
  usm__rtx_history_cfg cfg;
  rtx_slot *slots;
  uint8_t *mem;
  uint16_t newest;
  uint8_t any;         /* newest is valid */
  usm__rtx_history_stats stats;
};

static int is_pow2(uint32_t v) { return v && (v & (v - 1)) == 0; }

usm_err usm__rtx_history_create(const usm__rtx_history_cfg *cfg, usm__rtx_history **out) {
  if (!out) return USM_ERR_INVALID_ARG;
  *out = NULL;
  usm__rtx_history_cfg c = {0};
  if (cfg) c = *cfg;
  if (!c.packets) c.packets = USM__RTX_DEFAULT_PACKETS;
  if (!c.max_age_ms) c.max_age_ms = USM__RTX_DEFAULT_MAX_AGE_MS;
  if (!c.max_packet) c.max_packet = USM__RTX_DEFAULT_MAX_PACKET;
  if (!c.min_resend_ms) c.min_resend_ms = USM__RTX_DEFAULT_MIN_RESEND_MS;
  if (!is_pow2(c.packets) || c.packets < USM__RTX_MIN_PACKETS || c.packets > USM__RTX_MAX_PACKETS ||
      c.max_packet < USM__RTP_HEADER_MIN || c.max_packet > USM__RTX_MAX_PACKET_LIMIT)
    return USM_ERR_INVALID_ARG;
  usm__rtx_history *h = calloc(1, sizeof *h);
  if (!h) return USM_ERR_NO_MEMORY;
  /* each slot keeps SRTP trailer room too, as usm__rtp_pkt_copy() wants */
  size_t slot_bytes = (size_t)c.max_packet + USM__RTP_SRTP_TRAILER_ROOM;
  h->slots = calloc(c.packets, sizeof *h->slots);
  h->mem = malloc(slot_bytes * c.packets);
  if (!h->slots || !h->mem) {
    usm__rtx_history_destroy(h);
    return USM_ERR_NO_MEMORY;
  }
  h->cfg = c;
  for (uint32_t i = 0; i < c.packets; i++)
    (void)usm__rtp_pkt_init(&h->slots[i].pkt, h->mem + slot_bytes * i, slot_bytes, 0);
  *out = h;
  return USM_OK;
}

void usm__rtx_history_destroy(usm__rtx_history *h) {
  if (!h) return;
  free(h->slots);
  free(h->mem);
  free(h);
}

void usm__rtx_history_reset(usm__rtx_history *h) {
  if (!h) return;
  for (uint32_t i = 0; i < h->cfg.packets; i++) {
    h->slots[i].used = 0;
    h->slots[i].resent = 0;
  }
  h->any = 0;
}

static uint64_t elapsed_us(uint64_t now, uint64_t then) { return now > then ? now - then : 0; }

/* Held: the slot has this seq, it is within `packets` of the newest (the
 * count bound, also after a jump) and not older than max_age. */
static rtx_slot *held(const usm__rtx_history *h, uint16_t seq, uint64_t now_us) {
  rtx_slot *s = &h->slots[seq & (h->cfg.packets - 1)];
  if (!h->any || !s->used || s->seq != seq) return NULL;
  if ((uint16_t)(h->newest - seq) >= h->cfg.packets) return NULL;
  if (elapsed_us(now_us, s->stored_us) > (uint64_t)h->cfg.max_age_ms * 1000u) return NULL;
  return s;
}

usm_err usm__rtx_history_put(usm__rtx_history *h, const usm__rtp_pkt *pkt, uint64_t now_us) {
  if (!h || !pkt || !pkt->mem) return USM_ERR_INVALID_ARG;
  if (pkt->is_protected) return USM_ERR_WRONG_STATE; /* ciphertext would be resent */
  const uint8_t *p = usm__rtp_pkt_data(pkt);
  if (pkt->len < USM__RTP_HEADER_MIN || (p[0] >> 6) != USM__RTP_VERSION) return USM_ERR_MALFORMED;
  if (pkt->len > h->cfg.max_packet) return USM_ERR_LIMIT;
  uint16_t seq = usm__rd16(p + 2);
  if (h->any) {
    int d = (int16_t)(uint16_t)(seq - h->newest);
    if (d <= -(int)h->cfg.packets) { /* numbering restarted: old entries would alias */
      usm__rtx_history_reset(h);
      h->stats.restarts++;
    }
  }
  rtx_slot *s = &h->slots[seq & (h->cfg.packets - 1)];
  usm_err err = usm__rtp_pkt_copy(&s->pkt, pkt);
  if (err != USM_OK) return err;
  s->seq = seq;
  s->used = 1;
  s->resent = 0;
  s->stored_us = now_us;
  if (!h->any || (int16_t)(uint16_t)(seq - h->newest) > 0) h->newest = seq;
  h->any = 1;
  h->stats.stored++;
  return USM_OK;
}

usm_err usm__rtx_history_on_nack(usm__rtx_history *h, const uint16_t *seqs, size_t n, uint64_t now_us,
                                 uint32_t rtt_ms, uint16_t *out, size_t cap, usm__rtx_nack_result *res) {
  usm__rtx_nack_result r = {0};
  if (res) *res = r;
  if (!h || (n && !seqs) || (cap && !out)) return USM_ERR_INVALID_ARG;
  uint64_t interval_ms = (uint64_t)rtt_ms * 3u / 4u;
  if (interval_ms < h->cfg.min_resend_ms) interval_ms = h->cfg.min_resend_ms;
  for (size_t i = 0; i < n; i++) {
    rtx_slot *s = held(h, seqs[i], now_us);
    if (!s) {
      r.not_held++;
    } else if (s->resent && elapsed_us(now_us, s->resent_us) < interval_ms * 1000u) {
      r.throttled++; /* also a repeat within this list: it was just marked */
    } else if (r.resend >= cap) {
      r.no_room++;
    } else {
      out[r.resend++] = seqs[i];
      s->resent = 1;
      s->resent_us = now_us;
    }
  }
  h->stats.nacked += n;
  h->stats.resent += r.resend;
  h->stats.not_held += r.not_held;
  h->stats.throttled += r.throttled;
  if (res) *res = r;
  return USM_OK;
}

const usm__rtp_pkt *usm__rtx_history_find(const usm__rtx_history *h, uint16_t seq, uint64_t now_us) {
  if (!h) return NULL;
  rtx_slot *s = held(h, seq, now_us);
  return s ? &s->pkt : NULL;
}

size_t usm__rtx_history_count(const usm__rtx_history *h, uint64_t now_us) {
  if (!h) return 0;
  size_t n = 0;
  for (uint32_t i = 0; i < h->cfg.packets; i++)
    if (h->slots[i].used && held(h, h->slots[i].seq, now_us)) n++;
  return n;
}

void usm__rtx_history_get_stats(const usm__rtx_history *h, usm__rtx_history_stats *out) {
  if (!out) return;
  if (!h) {
    usm__rtx_history_stats z = {0};
    *out = z;
    return;
  }
  *out = h->stats;
}
