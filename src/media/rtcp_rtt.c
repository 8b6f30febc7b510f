/* RTCP round-trip time and the NTP timestamp conversions behind it. */
#include "media/rtcp_rtt.h"

uint64_t usm__ntp_from_unix(uint64_t unix_sec, uint32_t nsec) {
  uint32_t sec = (uint32_t)(unix_sec + USM__NTP_UNIX_OFFSET); /* mod 2^32: era 1 after 2036 */
  uint32_t frac = (uint32_t)(((uint64_t)(nsec % 1000000000u) << 32) / 1000000000u);
  return ((uint64_t)sec << 32) | frac;
}

uint64_t usm__ntp_to_unix_us(uint64_t ntp) {
  uint32_t sec = (uint32_t)(ntp >> 32);
  uint64_t frac_us = (((ntp & 0xffffffffu) * 1000000u) + (1u << 31)) >> 32;
  /* seconds below the 1970 offset belong to era 1 (after 2036-02-07) */
  uint64_t unix_sec = sec >= USM__NTP_UNIX_OFFSET ? (uint64_t)sec - USM__NTP_UNIX_OFFSET
                                                  : (uint64_t)sec + (1ull << 32) - USM__NTP_UNIX_OFFSET;
  return unix_sec * 1000000u + frac_us;
}

uint32_t usm__ntp_mid32(uint64_t ntp) { return (uint32_t)(ntp >> 16); }

uint32_t usm__ntp_mid32_to_ms(uint32_t mid) {
  return (uint32_t)(((uint64_t)mid * 1000u + 32768u) >> 16);
}

uint32_t usm__ntp_ms_to_mid32(uint32_t ms) {
  return (uint32_t)((((uint64_t)ms << 16) + 500u) / 1000u);
}

uint32_t usm__rtcp_dlsr(uint32_t now_mid, uint32_t sr_arrival_mid, uint32_t lsr) {
  return lsr ? now_mid - sr_arrival_mid : 0;
}

usm_err usm__rtcp_rtt(uint32_t arrival_mid, uint32_t lsr, uint32_t dlsr, uint32_t *rtt_mid) {
  if (!rtt_mid) return USM_ERR_INVALID_ARG;
  if (lsr == 0) return USM_ERR_WRONG_STATE;
  uint32_t since_sr = arrival_mid - lsr; /* modular: fine across the 16.16 wrap */
  if (since_sr >= 0x80000000u || since_sr < dlsr) return USM_ERR_MALFORMED;
  *rtt_mid = since_sr - dlsr;
  return USM_OK;
}

usm_err usm__rtcp_rtt_ms(uint64_t arrival_ntp, uint64_t sr_sent_ntp, uint32_t lsr, uint32_t dlsr,
                         uint32_t *rtt_ms) {
  uint32_t mid = 0;
  if (!rtt_ms) return USM_ERR_INVALID_ARG;
  /* an LSR of an older SR would pair the wrong send time with this DLSR */
  if (lsr == 0 || lsr != usm__ntp_mid32(sr_sent_ntp)) return USM_ERR_WRONG_STATE;
  usm_err err = usm__rtcp_rtt(usm__ntp_mid32(arrival_ntp), lsr, dlsr, &mid);
  if (err == USM_OK) *rtt_ms = usm__ntp_mid32_to_ms(mid);
  return err;
}
