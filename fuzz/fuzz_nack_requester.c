/* NACK requester, retransmission history and PLI limiter driven by arbitrary
 * operations: received sequence numbers (near the stream or anywhere), ticks
 * with time steps and output bounds, RTT changes, keyframe clears, resets,
 * NACK lists answered by the history. Checks the lists stay within their
 * bounds, a tick before the due time does nothing, and every NACKed or
 * resent number is distinct within one answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/nack_requester.h"
#include "media/pli_limiter.h"
#include "media/rtp.h"
#include "media/rtx_history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX 300

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static void check_distinct(const uint16_t *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (v[i] == v[j]) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  usm__nack_cfg c = {0};
  c.max_missing = data[0] % 2 ? 1u + data[0] % 64u : 0; /* small lists are easier to fill */
  c.max_retries = data[1] % 12u;
  c.max_age_ms = (uint32_t)data[2] * 10u;
  c.reorder_wait_ms = data[3] % 50u;
  uint32_t bound = c.max_missing ? c.max_missing : USM__NACK_DEFAULT_MAX_MISSING;
  data += 4;
  size -= 4;
  usm__nack_requester *r = NULL;
  usm__rtx_history *h = NULL;
  usm__rtx_history_cfg hc = {0};
  hc.packets = 16;
  hc.max_packet = 64;
  if (usm__nack_create(&c, &r) != USM_OK) abort();
  if (usm__rtx_history_create(&hc, &h) != USM_OK) abort();
  usm__pli_limiter pl;
  usm__pli_limiter_init(&pl, 0, 1);
  uint8_t mem[256];
  usm__rtp_pkt pkt;
  if (usm__rtp_pkt_init(&pkt, mem, sizeof mem, 0) != USM_OK) abort();
  uint64_t now = 0;
  uint32_t rtt = 0;
  uint16_t last = 0, tx_seq = 0;
  uint16_t out[OUT_MAX], again[OUT_MAX];
  size_t i = 0;
  while (i + 3 <= size) {
    uint8_t op = data[i];
    uint16_t arg = rd16(data + i + 1);
    i += 3;
    switch (op % 8) {
      case 0: /* near the stream */
        last = (uint16_t)(last + (int8_t)(arg & 0xFF));
        (void)usm__nack_on_packet(r, last, now);
        break;
      case 1: /* anywhere */
        last = arg;
        (void)usm__nack_on_packet(r, last, now);
        break;
      case 2: { /* tick: time step in ms (maybe 0), output bound */
        size_t cap = (size_t)(op >> 3) * 10u;
        if (cap > OUT_MAX) cap = OUT_MAX;
        uint64_t step = (uint64_t)(arg % 2000u) * 1000u;
        uint64_t due = usm__nack_next_due_us(r, rtt);
        size_t before = usm__nack_missing_count(r);
        now += step;
        int kf = 0;
        size_t n = usm__nack_tick(r, now, rtt, out, cap, &kf);
        if (n > cap || usm__nack_missing_count(r) > bound) abort();
        if (now < due && (n || kf || usm__nack_missing_count(r) != before)) abort();
        check_distinct(out, n);
        uint8_t fs;
        if (kf) (void)usm__pli_limiter_want(&pl, now, &fs);
        (void)usm__pli_limiter_poll(&pl, now, &fs);
        /* the history answers the list */
        usm__rtx_nack_result res;
        if (usm__rtx_history_on_nack(h, out, n, now, rtt, again, cap, &res) != USM_OK) abort();
        if (res.resend + res.not_held + res.throttled + res.no_room != n || res.resend > cap) abort();
        check_distinct(again, res.resend);
        for (size_t k = 0; k < res.resend; k++)
          if (!usm__rtx_history_find(h, again[k], now)) abort();
        break;
      }
      case 3:
        rtt = arg;
        break;
      case 4:
        usm__nack_clear_before(r, (uint16_t)(last - (arg & 0x3FF)));
        break;
      case 5: { /* the sender sends a packet (seq near its own, or anywhere) */
        usm__rtp_header hd = {0};
        hd.seq = op & 0x80 ? arg : tx_seq++;
        hd.pt = 96;
        uint8_t payload[32] = {0};
        if (usm__rtp_pkt_build(&pkt, &hd, payload, arg % 33u) != USM_OK) abort();
        if (usm__rtx_history_put(h, &pkt, now) != USM_OK) abort();
        if (usm__rtx_history_count(h, now) > 16) abort();
        break;
      }
      case 6:
        if (op & 0x80) usm__nack_reset(r);
        else usm__rtx_history_reset(h);
        usm__pli_limiter_reset(&pl);
        break;
      default: /* time goes back a little (a clock the caller got wrong) */
        now = now > arg ? now - arg : 0;
        usm__pli_limiter_keyframe_received(&pl);
        break;
    }
    if (usm__nack_missing_count(r) > bound) abort();
  }
  usm__nack_destroy(r);
  usm__rtx_history_destroy(h);
  return 0;
}
