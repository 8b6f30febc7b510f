/* usm: a command-line front end to libusm, built from the public API only. */
#include <stdio.h>
#include <usm/usm.h>

#include "commands.h"

static const char usage[] = "usm [OPTIONS] destination|meetings|invitees|join|capabilities|version ... (--help for details)";

static const char help[] =
    "usage: usm [OPTIONS] COMMAND [ARGS] [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  destination STRING [--type T]     classify a meeting destination (no network)\n"
    "  meetings create|get|list|update|delete|end ...\n"
    "  invitees add|list|delete ...\n"
    "  join DESTINATION [...]            take part in a meeting; session commands from --script or stdin:\n"
    "                                    password, captcha [refresh], join, admit, host, invite, lock,\n"
    "                                    unlock, roster, state, wait, sleep, leave, end, quit;\n"
    "                                    media: --send-audio, --send-video, --record DIR, --stats, --duration\n"
    "  capabilities                      may the signed-in user create meetings?\n"
    "  version                           print the tool and library versions\n"
    "  (COMMAND --help shows the arguments of a command)\n"
    "\n"
    "options (before or after the command):\n"
    "  --token T        access token (default: $USM_TOKEN)\n"
    "  --api-url URL    REST API base (default: $USM_API_URL, else the discovered 'hydra' service)\n"
    "  --base-url URL   discovery URL (default: $USM_BASE_URL, else " USM_DEFAULT_DISCOVERY_URL ")\n"
    "  --ca-file FILE   PEM bundle to trust (default: $USM_CA_FILE, else the system store)\n"
    "  -H, --header 'Name: value'   extra request header (repeatable)\n"
    "  --timeout MS     per-request timeout\n"
    "  --retries N      retries of 423/429/5xx answers (0..10)\n"
    "  --json           print the server's JSON instead of text\n"
    "  -v, --verbose    log the library's activity to stderr\n"
    "\n"
    "exit status: 0 success, 1 API or library error, 2 usage error\n";

static int cmd_version(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, (const cli_flag[]){{NULL, 0, 0, 0}}, "usm version", 0, 0, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  cli_args_free(&a);
  printf("usm %s (libusm %s)\n", USM_VERSION_STRING, usm_version_string());
  return CLI_EXIT_OK;
}

static const cli_command commands[] = {
  {"destination", cmd_destination},
  {"meetings", cmd_meetings},
  {"invitees", cmd_invitees},
  {"join", cmd_join},
  {"capabilities", cmd_capabilities},
  {"version", cmd_version},
  {NULL, NULL},
};

int main(int argc, char **argv) {
  cli_globals g;
  cli_globals_init(&g);
  int rc = cli_dispatch(argc - 1, argv + 1, commands, usage, help, &g);
  cli_globals_free(&g);
  /* A full disk or closed pipe must not look like success. */
  if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) rc = CLI_EXIT_ERROR;
  return rc;
}
