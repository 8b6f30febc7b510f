/* Command plumbing: choosing a (sub)command by name and parsing its arguments
 * together with the global options. */
#ifndef USM_CLI_DISPATCH_H
#define USM_CLI_DISPATCH_H

#include "options.h"

/* A command: gets the arguments after its name, returns the exit status. */
typedef int (*cli_command_fn)(int argc, char **argv, cli_globals *g);

typedef struct cli_command {
  const char *name; /* NULL ends a table */
  cli_command_fn run;
} cli_command;

/*
 * Take leading global options, then run the command named by the next
 * argument from @p table. @p usage is the one-line synopsis printed with
 * usage errors, @p help the text for --help.
 */
int cli_dispatch(int argc, char **argv, const cli_command *table, const char *usage, const char *help,
                 cli_globals *g);

/* cli_command_args() result meaning "go on with the command". */
#define CLI_CONTINUE (-1)

/*
 * Parse a command's arguments: its own @p flags plus the global ones (taken
 * into @p g), with between @p min_pos and @p max_pos positional arguments.
 * @return CLI_CONTINUE with @p a filled (free with cli_args_free), or an exit
 * status: 0 after printing the usage for --help, 2 after a usage error.
 */
int cli_command_args(int argc, char **argv, const cli_flag *flags, const char *usage, size_t min_pos,
                     size_t max_pos, cli_globals *g, cli_args *a);

#endif
