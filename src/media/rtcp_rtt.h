/* Round-trip time from a receiver report (RFC 3550 §6.4.1): RTT = A - LSR - DLSR,
 * all in the "middle 32 bits" NTP format (16.16 seconds), plus the NTP
 * conversions it needs. All arithmetic is modulo 2^32, so it stays correct
 * across the 16.16 wrap (every 18.2 hours) and the NTP era rollover in 2036. */
#ifndef USM_MEDIA_RTCP_RTT_H
#define USM_MEDIA_RTCP_RTT_H

#include <stdint.h>

#include <usm/common.h>

/* Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch). */
#define USM__NTP_UNIX_OFFSET 2208988800u

/* 64-bit NTP time (32.32) of a Unix time; the seconds wrap mod 2^32 (NTP era 1 from 2036). */
uint64_t usm__ntp_from_unix(uint64_t unix_sec, uint32_t nsec);
/* Back to Unix microseconds (rounded): NTP era 0, or era 1 after
 * the 2036 rollover (NTP seconds below the 1970 offset are taken as era 1). */
uint64_t usm__ntp_to_unix_us(uint64_t ntp);
/* The middle 32 bits: low 16 bits of the seconds, high 16 bits of the fraction. */
uint32_t usm__ntp_mid32(uint64_t ntp);
/* 16.16 seconds to milliseconds and back (rounded to nearest). */
uint32_t usm__ntp_mid32_to_ms(uint32_t mid);
uint32_t usm__ntp_ms_to_mid32(uint32_t ms);

/* DLSR to put in our report block: time since the SR from that source arrived
 * (both as middle-32 NTP of our clock), mod 2^32. 0 when we have no SR (lsr 0). */
uint32_t usm__rtcp_dlsr(uint32_t now_mid, uint32_t sr_arrival_mid, uint32_t lsr);

/* RTT in 16.16 seconds from a report block's LSR/DLSR and the arrival time of
 * the report (middle-32 NTP of the clock we stamped our SRs with).
 * USM_ERR_WRONG_STATE when lsr is 0 (the peer has no SR of ours yet);
 * USM_ERR_MALFORMED when arrival - lsr < dlsr (impossible: a bogus block or a
 * clock step) or arrival - lsr is "negative" (>= 2^31, i.e. the LSR is in the future). */
usm_err usm__rtcp_rtt(uint32_t arrival_mid, uint32_t lsr, uint32_t dlsr, uint32_t *rtt_mid);
/* The same from full NTP times, checking that the block answers the SR we sent
 * at @p sr_sent_ntp (USM_ERR_WRONG_STATE when lsr is 0 or names another SR);
 * the result in milliseconds. */
usm_err usm__rtcp_rtt_ms(uint64_t arrival_ntp, uint64_t sr_sent_ntp, uint32_t lsr, uint32_t dlsr,
                         uint32_t *rtt_ms);

#endif
