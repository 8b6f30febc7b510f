#include "timefmt.h"

#include <stdio.h>
#include <string.h>

int64_t cloud_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cloud_time_format(time_t t, char out[CLOUD_TIME_SIZE]) {
  struct tm tm;
  if (!gmtime_r(&t, &tm) || strftime(out, CLOUD_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(out, CLOUD_TIME_SIZE, "1970-01-01T00:00:00Z");
}

void cloud_time_format_ms(int64_t ms, char out[CLOUD_TIME_SIZE]) {
  if (ms < 0) ms = 0;
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  char base[24];
  if (!gmtime_r(&t, &tm) || strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
    snprintf(base, sizeof base, "1970-01-01T00:00:00");
  snprintf(out, CLOUD_TIME_SIZE, "%.19s.%03uZ", base, (unsigned)(ms % 1000));
}

/* Reads exactly @p n digits at *p; -1 when they are not all digits. */
static int digits(const char **p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    char c = (*p)[i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  *p += n;
  return v;
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int cloud_time_parse(const char *s, time_t *out) {
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (!s || strnlen(s, 64) >= 64) return -1;
  const char *p = s;
  int y = digits(&p, 4);
  if (y < 1970 || *p++ != '-') return -1;
  int mo = digits(&p, 2);
  if (mo < 1 || mo > 12 || *p++ != '-') return -1;
  int d = digits(&p, 2);
  if (d < 1 || d > mdays[mo - 1] + (mo == 2 && is_leap(y))) return -1;
  if (*p != 'T' && *p != 't') return -1;
  p++;
  int h = digits(&p, 2);
  if (h < 0 || h > 23 || *p++ != ':') return -1;
  int mi = digits(&p, 2), sec = 0;
  if (mi < 0 || mi > 59) return -1;
  if (*p == ':') {
    p++;
    sec = digits(&p, 2);
    if (sec < 0 || sec > 60) return -1;
    if (*p == '.') {
      p++;
      int n = 0;
      while (*p >= '0' && *p <= '9' && n < 9) p++, n++;
      if (n == 0) return -1;
    }
  }
  int offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1;
    int oh = digits(&p, 2);
    if (*p == ':') p++;
    int om = digits(&p, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return -1;
    offset = sign * (oh * 3600 + om * 60);
  }
  if (*p) return -1;
  int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  if (t < 0) return -1;
  *out = (time_t)t;
  return 0;
}
