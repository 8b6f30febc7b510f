#include "args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const cli_flag *find_long(const cli_flag *const *tables, const char *name, size_t len) {
  for (; *tables; tables++)
    for (const cli_flag *f = *tables; f->name; f++)
      if (strlen(f->name) == len && strncmp(f->name, name, len) == 0) return f;
  return NULL;
}

static const cli_flag *find_short(const cli_flag *const *tables, char c) {
  for (; *tables; tables++)
    for (const cli_flag *f = *tables; f->name; f++)
      if (f->short_name && f->short_name == c) return f;
  return NULL;
}

int cli_args_parse(int argc, char **argv, const cli_flag *const *tables, int stop_at_pos,
                   cli_args *out, int *consumed, char *why, size_t why_len) {
  memset(out, 0, sizeof *out);
  /* Every argument yields at most one entry, so argc bounds both arrays. */
  size_t cap = argc > 0 ? (size_t)argc : 1;
  out->opts = calloc(cap, sizeof *out->opts);
  out->pos = calloc(cap, sizeof *out->pos);
  if (!out->opts || !out->pos) {
    snprintf(why, why_len, "out of memory");
    cli_args_free(out);
    return -1;
  }
  int i = 0;
  int only_pos = 0;
  for (; i < argc; i++) {
    const char *s = argv[i];
    if (only_pos || s[0] != '-' || s[1] == '\0') {
      if (stop_at_pos) break;
      out->pos[out->n_pos++] = s;
      continue;
    }
    if (strcmp(s, "--") == 0) {
      if (stop_at_pos) {
        i++;
        break;
      }
      only_pos = 1;
      continue;
    }
    const cli_flag *f;
    const char *inline_val = NULL;
    if (s[1] == '-') {
      const char *name = s + 2;
      const char *eq = strchr(name, '=');
      f = find_long(tables, name, eq ? (size_t)(eq - name) : strlen(name));
      if (eq) inline_val = eq + 1;
    } else {
      f = s[2] == '\0' ? find_short(tables, s[1]) : NULL;
    }
    if (!f) {
      snprintf(why, why_len, "unknown option '%s'", s);
      cli_args_free(out);
      return -1;
    }
    const char *val = "";
    if (f->has_value) {
      if (inline_val) {
        val = inline_val;
      } else if (i + 1 < argc) {
        val = argv[++i];
      } else {
        snprintf(why, why_len, "option '%s' needs a value", s);
        cli_args_free(out);
        return -1;
      }
    } else if (inline_val) {
      snprintf(why, why_len, "option '--%s' takes no value", f->name);
      cli_args_free(out);
      return -1;
    }
    out->opts[out->n_opts].id = f->id;
    out->opts[out->n_opts].value = val;
    out->n_opts++;
  }
  if (consumed) *consumed = i;
  return 0;
}

void cli_args_free(cli_args *a) {
  free(a->opts);
  free(a->pos);
  memset(a, 0, sizeof *a);
}

const char *cli_arg(const cli_args *a, int id) {
  const char *v = NULL;
  for (size_t i = 0; i < a->n_opts; i++)
    if (a->opts[i].id == id) v = a->opts[i].value;
  return v;
}

size_t cli_arg_count(const cli_args *a, int id) {
  size_t n = 0;
  for (size_t i = 0; i < a->n_opts; i++)
    if (a->opts[i].id == id) n++;
  return n;
}

const char *cli_arg_nth(const cli_args *a, int id, size_t n) {
  for (size_t i = 0; i < a->n_opts; i++)
    if (a->opts[i].id == id && n-- == 0) return a->opts[i].value;
  return NULL;
}

int cli_parse_long(const char *s, long min, long max, long *out) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < min || v > max) return -1;
  *out = v;
  return 0;
}

int cli_parse_yes_no(const char *s) {
  if (!s) return -1;
  if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcmp(s, "1")) return 1;
  if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcmp(s, "0")) return 0;
  return -1;
}

int cli_usage_error(const char *usage, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("usm: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nusage: %s\n", usage);
  return CLI_EXIT_USAGE;
}
