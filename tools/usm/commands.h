/* The tool's commands. Each gets the arguments after its name and returns
 * the exit status. */
#ifndef USM_CLI_COMMANDS_H
#define USM_CLI_COMMANDS_H

#include "dispatch.h"

int cmd_destination(int argc, char **argv, cli_globals *g);
int cmd_meetings(int argc, char **argv, cli_globals *g);
int cmd_invitees(int argc, char **argv, cli_globals *g);
int cmd_join(int argc, char **argv, cli_globals *g);
int cmd_capabilities(int argc, char **argv, cli_globals *g);

#endif
