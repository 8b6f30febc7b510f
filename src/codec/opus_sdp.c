/* RFC 7587 §6.1 Opus fmtp parameters to codec params. */
#include "codec/opus_sdp.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "codec/opus.h"

static const unsigned frame_sizes[] = {10, 20, 40, 60}; /* ms our encoder takes */
#define N_FRAME_SIZES (sizeof frame_sizes / sizeof frame_sizes[0])

void usm__opus_fmtp_init(usm__opus_fmtp *f) {
  if (!f) return;
  memset(f, 0, sizeof *f);
  f->maxplaybackrate = 48000;
  f->sprop_maxcapturerate = 48000;
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* A plain decimal number in [lo, hi], at most 9 digits; 0 if not. */
static int parse_uint(const char *s, size_t n, unsigned lo, unsigned hi, unsigned *out) {
  if (n == 0 || n > 9) return 0;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10u + (unsigned)(s[i] - '0');
  }
  if (v < lo || v > hi) return 0;
  *out = v;
  return 1;
}

typedef enum { P_UINT, P_BOOL } ptype;
typedef struct {
  const char *key;
  ptype type;
  unsigned lo, hi;
  size_t off; /* offsetof the field: unsigned (P_UINT) or int (P_BOOL) */
} pdesc;

static const pdesc params[] = {
    {"minptime", P_UINT, 3, 120, offsetof(usm__opus_fmtp, minptime)},
    {"maxptime", P_UINT, 3, 120, offsetof(usm__opus_fmtp, maxptime)},
    {"ptime", P_UINT, 3, 120, offsetof(usm__opus_fmtp, ptime)},
    {"useinbandfec", P_BOOL, 0, 1, offsetof(usm__opus_fmtp, useinbandfec)},
    {"usedtx", P_BOOL, 0, 1, offsetof(usm__opus_fmtp, usedtx)},
    {"stereo", P_BOOL, 0, 1, offsetof(usm__opus_fmtp, stereo)},
    {"sprop-stereo", P_BOOL, 0, 1, offsetof(usm__opus_fmtp, sprop_stereo)},
    {"cbr", P_BOOL, 0, 1, offsetof(usm__opus_fmtp, cbr)},
    {"maxplaybackrate", P_UINT, 8000, 48000, offsetof(usm__opus_fmtp, maxplaybackrate)},
    {"sprop-maxcapturerate", P_UINT, 8000, 48000, offsetof(usm__opus_fmtp, sprop_maxcapturerate)},
    {"maxaveragebitrate", P_UINT, USM__OPUS_MIN_BITRATE, USM__OPUS_MAX_BITRATE,
     offsetof(usm__opus_fmtp, maxaveragebitrate)},
};

static void parse_item(const char *s, size_t n, usm__opus_fmtp *f) {
  const char *eq = memchr(s, '=', n);
  if (!eq) return; /* not a key=value pair: skipped */
  size_t kn = (size_t)(eq - s);
  const char *v = eq + 1;
  size_t vn = n - kn - 1;
  while (kn && is_space(s[kn - 1])) kn--;
  while (vn && is_space(*v)) v++, vn--;
  for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
    const pdesc *d = &params[i];
    if (strlen(d->key) != kn || strncasecmp(d->key, s, kn) != 0) continue;
    unsigned val;
    if (!parse_uint(v, vn, d->lo, d->hi, &val)) {
      f->ignored++;
      return;
    }
    char *field = (char *)f + d->off;
    if (d->type == P_BOOL) {
      int b = (int)val;
      memcpy(field, &b, sizeof b);
    } else {
      memcpy(field, &val, sizeof val);
    }
    return;
  }
}

usm_err usm__opus_fmtp_parse(const char *fmtp, usm__opus_fmtp *f) {
  if (!f) return USM_ERR_INVALID_ARG;
  usm__opus_fmtp_init(f);
  if (!fmtp) return USM_OK;
  size_t len = strnlen(fmtp, USM__OPUS_FMTP_MAX_LEN + 1);
  if (len > USM__OPUS_FMTP_MAX_LEN) return USM_ERR_LIMIT;
  const char *p = fmtp, *end = fmtp + len;
  while (p < end) {
    while (p < end && is_space(*p)) p++;
    const char *semi = memchr(p, ';', (size_t)(end - p));
    const char *item_end = semi ? semi : end;
    size_t n = (size_t)(item_end - p);
    while (n && is_space(p[n - 1])) n--;
    if (n) parse_item(p, n, f);
    p = semi ? semi + 1 : end;
  }
  return USM_OK;
}

/* The allowed frame size nearest to ms (ties go to the longer one). */
static unsigned nearest_frame(unsigned ms) {
  unsigned best = frame_sizes[0];
  for (size_t i = 1; i < N_FRAME_SIZES; i++) {
    unsigned d_best = best > ms ? best - ms : ms - best;
    unsigned d = frame_sizes[i] > ms ? frame_sizes[i] - ms : ms - frame_sizes[i];
    if (d <= d_best) best = frame_sizes[i];
  }
  return best;
}

void usm__opus_fmtp_to_encoder(const usm__opus_fmtp *r, usm__codec_params *p) {
  if (!r || !p) return;
  p->audio.force_mono = p->audio.channels == 2 && !r->stereo;
  p->audio.fec = r->useinbandfec;
  p->audio.dtx = r->usedtx;
  p->audio.cbr = r->cbr;
  p->audio.max_bandwidth_hz = r->maxplaybackrate >= 48000 ? 0 : r->maxplaybackrate;
  if (r->maxaveragebitrate) {
    if (!p->audio.max_bitrate || p->audio.max_bitrate > r->maxaveragebitrate)
      p->audio.max_bitrate = r->maxaveragebitrate;
    if (p->audio.bitrate > r->maxaveragebitrate) p->audio.bitrate = r->maxaveragebitrate;
  }
  unsigned ms = p->audio.frame_ms;
  if (ms == 0) ms = r->ptime ? nearest_frame(r->ptime) : 20u;
  if (r->minptime) { /* the shortest allowed frame not below minptime */
    unsigned lo = frame_sizes[N_FRAME_SIZES - 1];
    for (size_t i = 0; i < N_FRAME_SIZES; i++)
      if (frame_sizes[i] >= r->minptime) {
        lo = frame_sizes[i];
        break;
      }
    if (ms < lo) ms = lo;
  }
  if (r->maxptime) { /* the longest allowed frame not above maxptime; it wins over minptime */
    unsigned hi = frame_sizes[0];
    for (size_t i = 0; i < N_FRAME_SIZES; i++)
      if (frame_sizes[i] <= r->maxptime) hi = frame_sizes[i];
    if (ms > hi) ms = hi;
  }
  p->audio.frame_ms = ms;
}

void usm__opus_fmtp_to_decoder(const usm__opus_fmtp *r, usm__codec_params *p) {
  if (!r || !p) return;
  p->audio.channels = r->sprop_stereo ? 2u : 1u;
  if (r->ptime) p->audio.frame_ms = nearest_frame(r->ptime);
}
