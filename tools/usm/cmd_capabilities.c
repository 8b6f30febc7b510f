/* usm capabilities: what the signed-in user may do (the "meet" button). */
#include <stdio.h>

#include "commands.h"
#include "output.h"
#include "session.h"


static void on_caps(usm_client *client, usm_err err, const usm_capabilities *caps, void *user) {
  (void)client;
  cli_session *s = user;
  if (err != USM_OK || !caps) {
    usm_rest_status st = {.err = err, .message = usm_client_last_error(client)};
    cli_session_fail(s, &st);
    return;
  }
  if (s->json) {
    printf("{\"canCreateMeetings\":%s,\"guest\":%s,\"displayName\":", caps->can_create_meetings ? "true" : "false",
           caps->is_guest ? "true" : "false");
    cli_json_string(stdout, caps->display_name);
    printf(",\"email\":");
    cli_json_string(stdout, caps->email);
    printf(",\"siteUrl\":");
    cli_json_string(stdout, caps->site_url);
    printf("}\n");
  } else {
    printf("can create meetings: %s\nguest: %s\nname: %s\nemail: %s\nsite: %s\n",
           caps->can_create_meetings ? "yes" : "no", caps->is_guest ? "yes" : "no",
           caps->display_name ? caps->display_name : "-", caps->email ? caps->email : "-",
           caps->site_url ? caps->site_url : "-");
  }
  cli_session_succeeded(s);
}

int cmd_capabilities(int argc, char **argv, cli_globals *g) {
  cli_args a;
  int rc = cli_command_args(argc, argv, (const cli_flag[]){{NULL, 0, 0, 0}}, "usm capabilities", 0, 0, g, &a);
  if (rc != CLI_CONTINUE) return rc;
  cli_args_free(&a);
  cli_session s;
  rc = cli_session_open(&s, g);
  if (rc != CLI_EXIT_OK) return rc;
  cli_session_started(&s, usm_client_capabilities(s.client, on_caps, &s));
  return cli_session_finish(&s);
}
