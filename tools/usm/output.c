#include "output.h"

#include <string.h>

#define KEY_WIDTH 16

void cli_json_string(FILE *f, const char *s) {
  if (!s) {
    fputs("null", f);
    return;
  }
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': fputs("\\\"", f); break;
      case '\\': fputs("\\\\", f); break;
      case '\n': fputs("\\n", f); break;
      case '\r': fputs("\\r", f); break;
      case '\t': fputs("\\t", f); break;
      default:
        if (*p < 0x20)
          fprintf(f, "\\u%04x", *p);
        else
          fputc(*p, f);
    }
  }
  fputc('"', f);
}

/* Server text on a terminal: control bytes would let a response rewrite the screen. */
static void put_text(FILE *f, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

static void kv(const char *key, const char *value) {
  if (!value) return;
  printf("%-*s ", KEY_WIDTH, key);
  put_text(stdout, value);
  putchar('\n');
}

static const char *yes_no(int flag) { return flag == 1 ? "yes" : flag == 0 ? "no" : NULL; }

void cli_print_body(const char *body) {
  if (!body) body = "null";
  size_t n = strlen(body);
  fputs(body, stdout);
  if (n == 0 || body[n - 1] != '\n') putchar('\n');
}

void cli_print_ok_json(void) { puts("{\"ok\":true}"); }

void cli_print_meeting(const usm_rest_meeting *m) {
  kv("id:", m->id);
  kv("meetingNumber:", m->meeting_number);
  kv("title:", m->title);
  kv("meetingType:", m->meeting_type);
  kv("state:", m->state);
  kv("start:", m->start);
  kv("end:", m->end);
  kv("timezone:", m->timezone);
  kv("hostEmail:", m->host_email);
  kv("webLink:", m->web_link);
  kv("sipAddress:", m->sip_address);
  kv("password:", m->password);
  kv("agenda:", m->agenda);
  kv("roomId:", m->room_id);
  kv("meetingSeriesId:", m->meeting_series_id);
}

void cli_print_invitee(const usm_rest_invitee *inv) {
  kv("id:", inv->id);
  kv("email:", inv->email);
  kv("displayName:", inv->display_name);
  kv("meetingId:", inv->meeting_id);
  kv("coHost:", yes_no(inv->co_host));
  kv("panelist:", yes_no(inv->panelist));
}

static void cell(const char *s, int width) {
  if (!s || !*s) s = "-";
  put_text(stdout, s);
  for (int n = (int)strlen(s); n < width; n++) putchar(' ');
  putchar(' ');
}

void cli_print_meeting_row(const usm_rest_meeting *m) {
  cell(m->id, 53); /* a series id plus "_I_" and 18 digits */
  cell(m->meeting_number, 12);
  cell(m->state, 10);
  cell(m->start, 25);
  put_text(stdout, m->title ? m->title : "");
  putchar('\n');
}

void cli_print_invitee_row(const usm_rest_invitee *inv) {
  cell(inv->id, 44);
  cell(inv->email, 32);
  cell(inv->display_name, 24);
  fputs(inv->co_host == 1 ? "cohost " : "", stdout);
  fputs(inv->panelist == 1 ? "panelist" : "", stdout);
  putchar('\n');
}

void cli_print_error(int json, usm_err err, const char *message, const char *tracking, int http,
                     unsigned retries) {
  if (!message || !*message) message = usm_strerror(err);
  fflush(stdout); /* keep stdout and stderr in order on a terminal */
  fprintf(stderr, "error %d (%s): ", (int)err, usm_err_name(err));
  put_text(stderr, message);
  if (tracking) {
    fputs(" [trackingId ", stderr);
    put_text(stderr, tracking);
    fputc(']', stderr);
  }
  if (http) fprintf(stderr, " [http %d]", http);
  if (retries) fprintf(stderr, " [retries %u]", retries);
  fputc('\n', stderr);
  if (!json) return;
  printf("{\"error\":{\"code\":%d,\"name\":", (int)err);
  cli_json_string(stdout, usm_err_name(err));
  fputs(",\"message\":", stdout);
  cli_json_string(stdout, message);
  if (tracking) {
    fputs(",\"trackingId\":", stdout);
    cli_json_string(stdout, tracking);
  }
  if (http) printf(",\"httpStatus\":%d", http);
  if (retries) printf(",\"retries\":%u", retries);
  puts("}}");
}
