/* Global options: where the API is, how to authenticate, how to print.
 * Accepted before or after the command; flags override the environment. */
#ifndef USM_CLI_OPTIONS_H
#define USM_CLI_OPTIONS_H

#include <usm/usm.h>

#include "args.h"

/* Flag ids of the global options; command flag ids start at CLI_CMD_FLAG_BASE. */
enum {
  OPT_TOKEN = 1,
  OPT_API_URL,
  OPT_BASE_URL,
  OPT_CA_FILE,
  OPT_HEADER,
  OPT_TIMEOUT,
  OPT_RETRIES,
  OPT_VERBOSE,
  OPT_JSON,
  OPT_HELP,
  CLI_CMD_FLAG_BASE = 100
};

extern const cli_flag cli_global_flags[];

typedef struct cli_globals {
  const char *token;
  const char *api_url;
  const char *base_url;
  const char *ca_file;
  const char **headers; /* NULL-terminated; strings point into argv */
  size_t n_headers;
  long timeout_ms;      /* 0: library default */
  long retries;         /* -1: library default */
  int verbose;
  int json;
  int help;
} cli_globals;

void cli_globals_init(cli_globals *g);
void cli_globals_free(cli_globals *g);

/*
 * Take the global flags found in @p a into @p g (later ones win; headers add
 * up). @return 0, or the usage exit status after printing why (with @p usage).
 */
int cli_globals_apply(cli_globals *g, const cli_args *a, const char *usage);

/*
 * Create a client from @p g, falling back to USM_TOKEN, USM_API_URL,
 * USM_BASE_URL and USM_CA_FILE. @return an exit status: 0 with *out set,
 * CLI_EXIT_USAGE without a token, CLI_EXIT_ERROR when the library refuses.
 */
int cli_client_open(const cli_globals *g, usm_client **out);

#endif
