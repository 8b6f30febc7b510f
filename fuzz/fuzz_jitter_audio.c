/* Arbitrary packet and pull sequences into the audio jitter buffer. The
 * first byte picks the frame size, the FEC look-ahead and the payload bound;
 * then 8-byte records: op (bit 0: pull or insert), time step, sequence and
 * timestamp deltas, SSRC change, payload length. Checks the invariants:
 * every pull answered with a valid action, payloads within the pool bound,
 * target within [min, max], at most capacity packets held, a delay above
 * max + one frame only on a pull that dropped frames. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/jitter_audio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  usm__audio_jb_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.frame_ms = (data[0] & 1u) ? 10 : 20;
  cfg.fec = (data[0] >> 1) & 1u;
  cfg.max_payload = 16u + (data[0] >> 2) * 8u;
  usm__audio_jb *jb = NULL;
  if (usm__audio_jb_create(&cfg, &jb) != USM_OK) abort();
  const unsigned cap = USM__AJB_DEFAULT_MAX_DELAY_MS / cfg.frame_ms + 16u;
  uint64_t now = 1000000;
  uint16_t seq = 0;
  uint32_t ts = 0, ssrc = 1;
  uint8_t payload[256];
  memset(payload, 0xA5, sizeof payload);
  for (size_t pos = 1; pos + 8 <= size; pos += 8) {
    const uint8_t *r = data + pos;
    /* time mostly moves forward by up to ~65 ms; 0xFF jumps a lot */
    now += r[1] == 0xFF ? 10000000u : (uint64_t)r[1] * 256u;
    if (r[0] & 1u) {
      usm__ajb_frame f;
      if (usm__audio_jb_pull(jb, now, &f) != USM_OK) abort();
      if (f.action > USM__AJB_CONCEAL) abort();
      if ((f.action == USM__AJB_PLAY || f.action == USM__AJB_FEC) &&
          (!f.payload || f.len == 0 || f.len > cfg.max_payload))
        abort();
      if (f.samples != cfg.frame_ms * 48u) abort();
      usm__ajb_stats st;
      usm__audio_jb_stats(jb, &st);
      if (st.target_ms < USM__AJB_DEFAULT_MIN_DELAY_MS || st.target_ms > USM__AJB_DEFAULT_MAX_DELAY_MS) abort();
      if (st.buffered > cap) abort();
      if (f.action != USM__AJB_SILENCE && !f.inserted && !f.dropped &&
          st.delay_ms > (int32_t)(USM__AJB_DEFAULT_MAX_DELAY_MS + cfg.frame_ms))
        abort();
    } else {
      seq = (uint16_t)(seq + (int8_t)r[2]);
      /* mostly whole frames, sometimes anything */
      if (r[3] & 0x80u)
        ts += (uint32_t)r[4] << 24 | (uint32_t)r[5] << 16 | (uint32_t)r[3] << 8;
      else
        ts += (uint32_t)((int8_t)(r[3] << 1) / 2) * cfg.frame_ms * 48u;
      if (r[6] == 0xFF) ssrc++;
      size_t len = r[7] % (cfg.max_payload + 8u); /* sometimes 0 or too big */
      usm__ajb_put w;
      usm_err e = usm__audio_jb_insert(jb, ssrc, seq, ts, now - (r[4] & 0x3Fu) * 1000u, payload,
                                       len > sizeof payload ? sizeof payload : len, &w);
      if (e != USM_OK && e != USM_ERR_LIMIT && e != USM_ERR_MALFORMED) abort();
      if (e == USM_OK && w > USM__AJB_PUT_PROBATION) abort();
    }
  }
  usm__audio_jb_destroy(jb);
  return 0;
}
