/* Table-driven command-line flag parsing shared by every command. */
#ifndef USM_CLI_ARGS_H
#define USM_CLI_ARGS_H

#include <stddef.h>

/* One flag a command accepts: "--name", optionally "-c", with or without a value. */
typedef struct cli_flag {
  const char *name;  /* long name without the dashes; NULL ends a table */
  char short_name;   /* 0: none */
  int has_value;
  int id;            /* unique across the tables parsed together */
} cli_flag;

typedef struct cli_opt {
  int id;
  const char *value; /* points into argv; "" for a switch */
} cli_opt;

/* Flags in command-line order, and the positional arguments. */
typedef struct cli_args {
  cli_opt *opts;
  size_t n_opts;
  const char **pos;
  size_t n_pos;
} cli_args;

/*
 * Parse argv[0..argc) against @p tables (NULL-terminated list of flag tables).
 * "--name value", "--name=value", "-c value" and "--" are understood. With
 * @p stop_at_pos, parsing stops before the first positional argument and
 * *consumed tells how many arguments were used.
 * @return 0, or -1 with a reason in @p why (unknown flag, missing value).
 */
int cli_args_parse(int argc, char **argv, const cli_flag *const *tables, int stop_at_pos,
                   cli_args *out, int *consumed, char *why, size_t why_len);
void cli_args_free(cli_args *a);

/* The last value given for @p id, or NULL when the flag is absent. */
const char *cli_arg(const cli_args *a, int id);
/* How many times @p id was given. */
size_t cli_arg_count(const cli_args *a, int id);
/* The @p n-th value given for @p id (0-based), or NULL. */
const char *cli_arg_nth(const cli_args *a, int id, size_t n);

/* A whole decimal number in [min, max]; 0 on success, -1 otherwise. */
int cli_parse_long(const char *s, long min, long max, long *out);
/* "yes"/"no" (also true/false, 1/0) to 1/0; -1 when neither. */
int cli_parse_yes_no(const char *s);

/* Print "usm: <why>" and the usage line to stderr; returns the usage exit status 2. */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Exit statuses of the tool. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_ERROR = 1, CLI_EXIT_USAGE = 2 };

#endif
