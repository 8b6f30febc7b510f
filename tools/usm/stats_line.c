#include "stats_line.h"

#include <inttypes.h>

/* 950 -> "950k", 1234 -> "1.2M" */
static const char *rate(uint32_t kbps, char *buf, size_t cap) {
  if (kbps < 1000)
    snprintf(buf, cap, "%uk", (unsigned)kbps);
  else
    snprintf(buf, cap, "%.1fM", kbps / 1000.0);
  return buf;
}

static uint32_t rtt_of(const usm_media_stats *s) {
  if (s->video_sent.rtt_ms) return s->video_sent.rtt_ms;
  if (s->audio_sent.rtt_ms) return s->audio_sent.rtt_ms;
  return s->ice_rtt_ms;
}

void cli_stats_line(const usm_media_stats *s, char *buf, size_t cap) {
  char a[5][16];
  const usm_stream_stats *at = &s->audio_sent, *ar = &s->audio_received, *vt = &s->video_sent,
                         *vr = &s->video_received;
  snprintf(buf, cap,
           "t=%" PRIu64 "s audio tx %s rx %s loss %u%% jb %ums | video tx %s %ux%u@%u rx %s %ufps loss %u%% "
           "nack %" PRIu64 " pli %" PRIu64 " | rtt %ums bwe %s",
           s->elapsed_ms / 1000, rate(at->bitrate_kbps, a[0], sizeof a[0]), rate(ar->bitrate_kbps, a[1], sizeof a[1]),
           (unsigned)ar->fraction_lost_pct, (unsigned)ar->jitter_buffer_ms, rate(vt->bitrate_kbps, a[2], sizeof a[2]),
           vt->width, vt->height, (unsigned)vt->fps, rate(vr->bitrate_kbps, a[3], sizeof a[3]), (unsigned)vr->fps,
           (unsigned)vr->fraction_lost_pct, vr->nacks, vr->plis, (unsigned)rtt_of(s),
           rate(s->available_send_kbps, a[4], sizeof a[4]));
}

static void stream_json(FILE *f, const char *name, const usm_stream_stats *t) {
  fprintf(f,
          "\"%s\":{\"codec\":\"%s\",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"lost\":%" PRId64
          ",\"jitterMs\":%u,\"rttMs\":%u,\"nacks\":%" PRIu64 ",\"plis\":%" PRIu64 ",\"firs\":%" PRIu64
          ",\"reports\":%" PRIu64 ",\"kbps\":%u,\"targetKbps\":%u,\"lossPct\":%u,\"frames\":%" PRIu64
          ",\"framesDropped\":%" PRIu64 ",\"keyframes\":%" PRIu64 ",\"retransmitted\":%" PRIu64
          ",\"jitterBufferMs\":%u,\"concealedMs\":%" PRIu64 ",\"fecRecovered\":%" PRIu64
          ",\"width\":%u,\"height\":%u,\"fps\":%u}",
          name, t->codec, t->packets, t->bytes, t->lost, (unsigned)t->jitter_ms, (unsigned)t->rtt_ms, t->nacks,
          t->plis, t->firs, t->reports, (unsigned)t->bitrate_kbps, (unsigned)t->target_bitrate_kbps,
          (unsigned)t->fraction_lost_pct, t->frames, t->frames_dropped, t->keyframes, t->retransmitted,
          (unsigned)t->jitter_buffer_ms, t->concealed_ms, t->fec_recovered, t->width, t->height, (unsigned)t->fps);
}

void cli_stats_json(FILE *f, const char *key, const usm_media_stats *s) {
  fprintf(f, "{\"%s\":{\"elapsedMs\":%" PRIu64 ",\"media\":\"%s\",", key, s->elapsed_ms,
          usm_media_state_name(s->state));
  stream_json(f, "audioSent", &s->audio_sent);
  fputc(',', f);
  stream_json(f, "audioReceived", &s->audio_received);
  fputc(',', f);
  stream_json(f, "videoSent", &s->video_sent);
  fputc(',', f);
  stream_json(f, "videoReceived", &s->video_received);
  fprintf(f, ",\"srtpDropped\":%" PRIu64 ",\"iceRttMs\":%u,\"rttMs\":%u,\"availableSendKbps\":%u}}\n",
          s->srtp_dropped, (unsigned)s->ice_rtt_ms, (unsigned)rtt_of(s), (unsigned)s->available_send_kbps);
}

static unsigned avg_kbps(uint64_t bytes, uint64_t ms) { return ms ? (unsigned)(bytes * 8 / ms) : 0; }

void cli_stats_totals(FILE *f, const usm_media_stats *s) {
  const usm_stream_stats *ar = &s->audio_received, *vr = &s->video_received;
  fprintf(f,
          "media totals after %.1fs: audio tx %ukbit/s rx %ukbit/s, %" PRIu64 " packets lost, %" PRIu64
          " ms concealed | video tx %ukbit/s %" PRIu64 " frames, rx %ukbit/s %" PRIu64 " frames decoded %" PRIu64
          " dropped, %" PRId64 " packets lost, nack %" PRIu64 " pli %" PRIu64 " | rtt %ums, %" PRIu64
          " SRTP packets refused\n",
          s->elapsed_ms / 1000.0, avg_kbps(s->audio_sent.bytes, s->elapsed_ms), avg_kbps(ar->bytes, s->elapsed_ms),
          ar->lost > 0 ? (uint64_t)ar->lost : 0, ar->concealed_ms, avg_kbps(s->video_sent.bytes, s->elapsed_ms),
          s->video_sent.frames, avg_kbps(vr->bytes, s->elapsed_ms), vr->frames, vr->frames_dropped, vr->lost,
          vr->nacks, vr->plis, (unsigned)rtt_of(s), s->srtp_dropped);
}
