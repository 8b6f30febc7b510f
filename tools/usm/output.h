/* Everything the tool prints: human "key: value" text or JSON, and errors. */
#ifndef USM_CLI_OUTPUT_H
#define USM_CLI_OUTPUT_H

#include <stdio.h>
#include <usm/usm.h>

/* @p s as a JSON string literal, or null for NULL. */
void cli_json_string(FILE *f, const char *s);

/* A server response body verbatim, newline-terminated; "null" when absent. */
void cli_print_body(const char *body);
/* {"ok":true}: --json output of operations without a response body. */
void cli_print_ok_json(void);

/* Aligned "key: value" lines; absent fields are skipped. */
void cli_print_meeting(const usm_rest_meeting *m);
void cli_print_invitee(const usm_rest_invitee *inv);
/* One table line per list item. */
void cli_print_meeting_row(const usm_rest_meeting *m);
void cli_print_invitee_row(const usm_rest_invitee *inv);

/*
 * Report a failure: "error <code> (<NAME>): <message> [trackingId <id>]
 * [http <status>] [retries <n>]" on stderr; with @p json also
 * {"error":{...}} on stdout. An empty @p message becomes usm_strerror().
 * @p http 0 and @p tracking NULL are left out.
 */
void cli_print_error(int json, usm_err err, const char *message, const char *tracking, int http,
                     unsigned retries);

#endif
