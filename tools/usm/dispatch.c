#include "dispatch.h"

#include <stdio.h>
#include <string.h>

int cli_dispatch(int argc, char **argv, const cli_command *table, const char *usage, const char *help,
                 cli_globals *g) {
  const cli_flag *const tables[] = {cli_global_flags, NULL};
  cli_args a;
  int used = 0;
  char why[256];
  if (cli_args_parse(argc, argv, tables, 1, &a, &used, why, sizeof why) != 0)
    return cli_usage_error(usage, "%s", why);
  int rc = cli_globals_apply(g, &a, usage);
  cli_args_free(&a);
  if (rc != 0) return rc;
  if (used >= argc) {
    if (!g->help) return cli_usage_error(usage, "missing command");
    fputs(help, stdout);
    return CLI_EXIT_OK;
  }
  for (const cli_command *c = table; c->name; c++)
    if (strcmp(c->name, argv[used]) == 0) return c->run(argc - used - 1, argv + used + 1, g);
  return cli_usage_error(usage, "unknown command '%s'", argv[used]);
}

int cli_command_args(int argc, char **argv, const cli_flag *flags, const char *usage, size_t min_pos,
                     size_t max_pos, cli_globals *g, cli_args *a) {
  const cli_flag *const tables[] = {flags, cli_global_flags, NULL};
  char why[256];
  if (cli_args_parse(argc, argv, tables, 0, a, NULL, why, sizeof why) != 0)
    return cli_usage_error(usage, "%s", why);
  int rc = cli_globals_apply(g, a, usage);
  if (rc == 0 && g->help) {
    printf("usage: %s\n", usage);
    rc = CLI_EXIT_OK;
  } else if (rc == 0 && a->n_pos < min_pos) {
    rc = cli_usage_error(usage, "missing argument");
  } else if (rc == 0 && a->n_pos > max_pos) {
    rc = cli_usage_error(usage, "unexpected argument '%s'", a->pos[max_pos]);
  } else if (rc == 0) {
    return CLI_CONTINUE;
  }
  cli_args_free(a);
  return rc;
}
