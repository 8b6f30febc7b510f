#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

const cli_flag cli_global_flags[] = {
  {"token", 0, 1, OPT_TOKEN},
  {"api-url", 0, 1, OPT_API_URL},
  {"base-url", 0, 1, OPT_BASE_URL},
  {"ca-file", 0, 1, OPT_CA_FILE},
  {"header", 'H', 1, OPT_HEADER},
  {"timeout", 0, 1, OPT_TIMEOUT},
  {"retries", 0, 1, OPT_RETRIES},
  {"verbose", 'v', 0, OPT_VERBOSE},
  {"json", 0, 0, OPT_JSON},
  {"help", 'h', 0, OPT_HELP},
  {NULL, 0, 0, 0},
};

/* The library refuses more; checking here turns it into a usage error. */
#define MAX_RETRIES 10
#define MAX_TIMEOUT_MS (24L * 3600 * 1000)

void cli_globals_init(cli_globals *g) {
  memset(g, 0, sizeof *g);
  g->retries = -1;
}

void cli_globals_free(cli_globals *g) {
  free(g->headers);
  g->headers = NULL;
  g->n_headers = 0;
}

int cli_globals_apply(cli_globals *g, const cli_args *a, const char *usage) {
  size_t add = cli_arg_count(a, OPT_HEADER);
  if (add) {
    const char **h = realloc(g->headers, (g->n_headers + add + 1) * sizeof *h);
    if (!h) return cli_usage_error(usage, "out of memory");
    g->headers = h;
    for (size_t i = 0; i < add; i++) {
      const char *v = cli_arg_nth(a, OPT_HEADER, i);
      /* Catch typos here; the library also refuses CR/LF (no header injection). */
      if (!strchr(v, ':') || v[0] == ':') return cli_usage_error(usage, "header '%s' is not 'Name: value'", v);
      g->headers[g->n_headers++] = v;
      g->headers[g->n_headers] = NULL;
    }
  }
  const char *v;
  if ((v = cli_arg(a, OPT_TOKEN))) g->token = v;
  if ((v = cli_arg(a, OPT_API_URL))) g->api_url = v;
  if ((v = cli_arg(a, OPT_BASE_URL))) g->base_url = v;
  if ((v = cli_arg(a, OPT_CA_FILE))) g->ca_file = v;
  if ((v = cli_arg(a, OPT_TIMEOUT)) && cli_parse_long(v, 1, MAX_TIMEOUT_MS, &g->timeout_ms) != 0)
    return cli_usage_error(usage, "--timeout needs milliseconds between 1 and %ld", MAX_TIMEOUT_MS);
  if ((v = cli_arg(a, OPT_RETRIES)) && cli_parse_long(v, 0, MAX_RETRIES, &g->retries) != 0)
    return cli_usage_error(usage, "--retries needs a number between 0 and %d", MAX_RETRIES);
  if (cli_arg(a, OPT_VERBOSE)) g->verbose = 1;
  if (cli_arg(a, OPT_JSON)) g->json = 1;
  if (cli_arg(a, OPT_HELP)) g->help = 1;
  return 0;
}

static const char *flag_or_env(const char *flag, const char *env) {
  if (flag) return flag;
  const char *e = getenv(env);
  return e && *e ? e : NULL;
}

static void log_to_stderr(void *user, usm_log_level level, const char *msg) {
  (void)user;
  static const char *const names[] = {"error", "warn", "info", "debug"};
  fprintf(stderr, "usm: [%s] %s\n", (unsigned)level < 4 ? names[level] : "?", msg);
}

int cli_client_open(const cli_globals *g, usm_client **out) {
  *out = NULL;
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = flag_or_env(g->token, "USM_TOKEN");
  if (!o.access_token) {
    fputs("usm: no access token: pass --token or set USM_TOKEN\n", stderr);
    return CLI_EXIT_USAGE;
  }
  o.api_url = flag_or_env(g->api_url, "USM_API_URL");
  o.discovery_url = flag_or_env(g->base_url, "USM_BASE_URL");
  o.ca_file = flag_or_env(g->ca_file, "USM_CA_FILE");
  o.extra_headers = g->n_headers ? g->headers : NULL;
  if (g->timeout_ms > 0) {
    o.request_timeout_ms = g->timeout_ms;
    if (o.connect_timeout_ms > g->timeout_ms) o.connect_timeout_ms = g->timeout_ms;
  }
  if (g->retries >= 0) o.max_retries = (unsigned)g->retries;
  if (g->verbose) {
    o.log_cb = log_to_stderr;
    o.log_level = USM_LOG_DEBUG;
  }
  usm_err e = usm_client_create(&o, out);
  if (e != USM_OK) {
    char why[512];
    snprintf(why, sizeof why, "cannot create the client: %s (check the token, URLs and headers)",
             usm_strerror(e));
    cli_print_error(g->json, e, why, NULL, 0, 0);
    return CLI_EXIT_ERROR;
  }
  return CLI_EXIT_OK;
}
