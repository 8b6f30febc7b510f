/* Bandwidth estimator driven by arbitrary events: receiver reports (any
 * fraction, RTT, packet count), REMBs (any value, including 0 and huge),
 * sent rates, time steps forward and a little back. Checks the target stays
 * within [min, max] and under a recent REMB (unless that is below min), and
 * that the audio/video split keeps its bounds for the totals it produces. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/bwe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_split(uint32_t total, uint32_t am, uint32_t vmin, uint32_t vmax) {
  uint32_t a, v;
  usm__bwe_split(total, am, vmin, vmax, &a, &v);
  uint32_t vn = vmin < vmax ? vmin : vmax;
  uint32_t fl = am < USM__BWE_AUDIO_FLOOR_BPS ? am : USM__BWE_AUDIO_FLOOR_BPS;
  if (a > am || a < fl || v > vmax || v < vn) abort();
  uint64_t bound = total > (uint64_t)fl + vn ? total : (uint64_t)fl + vn;
  if ((uint64_t)a + v > bound) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 12) return 0;
  usm__bwe_cfg c = {rd32(data) % 8000000u, rd32(data + 4) % 2000000u, rd32(data + 8) % 8000000u};
  data += 12;
  size -= 12;
  usm__bwe *b = NULL;
  usm_err e = usm__bwe_create(&c, &b);
  uint32_t mn = c.min_bps ? c.min_bps : USM__BWE_DEFAULT_MIN_BPS;
  uint32_t mx = c.max_bps ? c.max_bps : USM__BWE_DEFAULT_MAX_BPS;
  if (mn > mx) {
    if (e != USM_ERR_INVALID_ARG || b) abort();
    return 0;
  }
  if (e != USM_OK) abort();
  uint64_t now = 1000000, remb = 0, remb_at = 0;
  int have_remb = 0;
  size_t i = 0;
  while (i + 5 <= size) {
    uint8_t op = data[i];
    uint32_t arg = rd32(data + i + 1);
    i += 5;
    switch (op % 6) {
      case 0: /* report: fraction, rtt, packets from the argument */
        usm__bwe_on_report(b, (uint8_t)arg, (arg >> 8) % 4096u, op & 0x80 ? arg >> 20 : arg % 64u, now);
        break;
      case 1: /* REMB: small, typical or huge */
        remb = op & 0x80 ? (uint64_t)arg << (op & 0x1F) : arg;
        remb_at = now;
        have_remb = 1;
        usm__bwe_on_remb(b, remb, now);
        break;
      case 2:
        usm__bwe_on_sent(b, op & 0x80 ? usm__bwe_target(b) : arg % 10000000u, now);
        break;
      case 3: /* time forward, up to ~65 s */
        now += arg % 65536000u;
        break;
      case 4: /* time back a little (a clock the caller got wrong) */
        now = now > (arg % 3000000u) ? now - arg % 3000000u : 0;
        break;
      default:
        check_split(usm__bwe_target(b), arg % 600000u, (arg >> 4) % 300000u, op & 0x80 ? 0 : arg % 5000000u);
        break;
    }
    uint32_t t = usm__bwe_target(b);
    if (t < mn || t > mx) abort();
    /* a REMB within its timeout caps; once it expired, a clock that goes
     * back does not bring the cap back */
    if (have_remb && now >= remb_at && now - remb_at > (uint64_t)USM__BWE_REMB_TIMEOUT_MS * 1000u) have_remb = 0;
    if (have_remb && now >= remb_at && now - remb_at <= (uint64_t)USM__BWE_REMB_TIMEOUT_MS * 1000u && remb >= mn &&
        t > remb)
      abort();
    usm__bwe_stats st;
    usm__bwe_get_stats(b, &st);
    if (st.target_bps != t || st.loss_pct > 100) abort();
  }
  usm__bwe_destroy(b);
  return 0;
}
