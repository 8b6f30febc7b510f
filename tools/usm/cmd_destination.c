/* usm destination STRING: classify what a user would type to join. No network. */
#include <stdio.h>

#include "commands.h"
#include "output.h"

enum { F_TYPE = CLI_CMD_FLAG_BASE };

static const cli_flag flags[] = {
  {"type", 't', 1, F_TYPE},
  {NULL, 0, 0, 0},
};

static const char usage[] = "usm destination STRING [--type T] [--json]";

static const struct {
  unsigned bit;
  const char *name;
} flag_names[] = {{USM_DEST_F_PHONE, "phone"}, {USM_DEST_F_EMAIL, "email"}, {USM_DEST_F_UUID, "uuid"}};

/* The names of the set flags, each wrapped in @p quote, separated by @p sep. */
static void print_flags(unsigned set, const char *quote, const char *sep) {
  const char *s = "";
  for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++) {
    if (!(set & flag_names[i].bit)) continue;
    printf("%s%s%s%s", s, quote, flag_names[i].name, quote);
    s = sep;
  }
}

static void print_json(const usm_destination *d) {
  fputs("{\"type\":", stdout);
  cli_json_string(stdout, usm_dest_type_name(d->type));
  fputs(",\"value\":", stdout);
  cli_json_string(stdout, d->value);
  fputs(",\"flags\":[", stdout);
  print_flags(d->flags, "\"", ",");
  fputs("],\"cluster\":", stdout);
  cli_json_string(stdout, d->cluster[0] ? d->cluster : NULL);
  puts("}");
}

static void print_human(const usm_destination *d) {
  printf("%s %s\n", usm_dest_type_name(d->type), d->value);
  if (d->flags) {
    fputs("flags: ", stdout);
    print_flags(d->flags, "", " ");
    putchar('\n');
  }
  if (d->cluster[0]) printf("cluster: %s\n", d->cluster);
}

int cmd_destination(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, flags, usage, 1, 1, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  usm_dest_type hint = USM_DEST_AUTO;
  const char *type = cli_arg(&a, F_TYPE);
  if (type && usm_dest_type_from_name(type, &hint) != USM_OK) {
    rc = cli_usage_error(usage, "unknown destination type '%s'", type);
  } else {
    usm_destination d;
    usm_err e = usm_destination_parse(a.pos[0], hint, &d);
    if (e != USM_OK) {
      cli_print_error(g->json, e, NULL, NULL, 0, 0);
      rc = CLI_EXIT_ERROR;
    } else {
      if (g->json)
        print_json(&d);
      else
        print_human(&d);
      rc = CLI_EXIT_OK;
    }
  }
  cli_args_free(&a);
  return rc;
}
