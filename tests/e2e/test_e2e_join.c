/* The join flow end to end: libusm's public API against a running usm-cloud
 * over TLS, with the cloud's own CA. Each scenario of issue 3 is a function. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dtmf_decode.h"
#include "e2e_world.h"

static e2e_world w;

/* Scheduled meeting, host + invitee + outsider through password and lobby,
 * admit, assign host, invite, leave, end. */
static void happy_path(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  usm_client *alice = e2e_client(&w, E2E_ALICE_TOKEN);
  usm_client *bob = e2e_client(&w, E2E_BOB_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, "alice@example.com", number, sip, password), 0);

  usm_meeting *mh, *ma, *mb;
  CHECK_INT(e2e_meeting(&w, host, number, &mh), USM_OK);
  CHECK_INT(usm_meeting_password_status(mh), USM_PASSWORD_NOT_REQUIRED);
  CHECK_STR(usm_meeting_number(mh), number);
  CHECK_INT(e2e_meeting(&w, alice, sip, &ma), USM_OK); /* invitee: no password */
  CHECK_INT(e2e_meeting(&w, bob, number, &mb), USM_ERR_PASSWORD_REQUIRED);
  CHECK_INT(usm_meeting_get_state(mb), USM_MEETING_LOCKED_OUT);
  e2e_op op = {0};
  /* the official guard: no join while the password is required */
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(mb, NULL, e2e_op_done, &op)), USM_ERR_PASSWORD_REQUIRED);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_set_password(mb, password, NULL, e2e_op_done, &op)), USM_OK);
  CHECK_INT(usm_meeting_password_status(mb), USM_PASSWORD_VERIFIED);
  CHECK_INT(usm_meeting_get_state(mb), USM_MEETING_READY);

  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(mh, NULL, e2e_op_done, &op)), USM_OK);
  CHECK_INT(usm_meeting_get_state(mh), USM_MEETING_JOINED);
  usm_participant self;
  CHECK_INT(usm_meeting_self(mh, &self), USM_OK);
  CHECK(self.is_host && self.in_meeting && self.is_self);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(ma, NULL, e2e_op_done, &op)), USM_OK);
  CHECK_INT(usm_meeting_get_state(ma), USM_MEETING_JOINED);
  usm_join_options jo;
  usm_join_options_init(&jo);
  jo.display_name = "Bobby"; /* an alias names guests only; an account keeps its name */
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(mb, &jo, e2e_op_done, &op)), USM_OK);
  CHECK_INT(usm_meeting_get_state(mb), USM_MEETING_IN_LOBBY);

  char bob_id[128], alice_id[128];
  CHECK(e2e_wait_participant(&w, mh, "Bob Unlicensed", 2, bob_id));
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_admit(mh, bob_id, e2e_op_done, &op)), USM_OK);
  CHECK(e2e_wait_state(&w, mb, USM_MEETING_JOINED));
  CHECK(e2e_wait_participant(&w, mh, "Alice Attendee", 1, alice_id));

  /* non-host actions are refused by the cloud */
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_end(ma, e2e_op_done, &op)), USM_ERR_NOT_HOST);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_lock(mb, 1, e2e_op_done, &op)), USM_ERR_NOT_HOST);

  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_assign_host(mh, alice_id, e2e_op_done, &op)), USM_OK);
  usm_participant me;
  for (int i = 0; i < 300 && !(usm_meeting_self(ma, &me) == USM_OK && me.is_host); i++) e2e_pump(&w, 20);
  CHECK(usm_meeting_self(ma, &me) == USM_OK && me.is_host);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_invite(ma, "carol@example.com", e2e_op_done, &op)), USM_OK);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_invite(ma, "not an email", e2e_op_done, &op)), USM_ERR_INVALID_ARG);
  /* the former host lost the role */
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_lock(mh, 1, e2e_op_done, &op)), USM_ERR_NOT_HOST);

  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_leave(mb, e2e_op_done, &op)), USM_OK);
  CHECK_INT(usm_meeting_get_state(mb), USM_MEETING_LEFT);
  CHECK(e2e_wait_participant(&w, ma, "Bob Unlicensed", -1, NULL)); /* gone from the roster */
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_end(ma, e2e_op_done, &op)), USM_OK);
  CHECK_INT(usm_meeting_get_state(ma), USM_MEETING_ENDED);
  CHECK(e2e_wait_state(&w, mh, USM_MEETING_ENDED));
  usm_meeting_destroy(mh);
  usm_meeting_destroy(ma);
  usm_meeting_destroy(mb);
}

/* Fetch and decode the audio captcha, as a person would listen to it. */
static int solve_captcha(usm_meeting *m, char code[16]) {
  usm_captcha c;
  if (usm_meeting_captcha(m, &c) != USM_OK) return -1;
  unsigned char *wav = NULL, *png = NULL;
  size_t wl = 0, pl = 0;
  int st = cloud_proc_fetch(&w.cloud, c.audio_url, &wav, &wl);
  int st2 = cloud_proc_fetch(&w.cloud, c.image_url, &png, &pl);
  int n = st == 200 ? dtmf_decode_wav(wav, wl, code, 16) : -1;
  CHECK_INT(st2, 200);
  CHECK(pl > 8 && png && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
  free(wav);
  free(png);
  return n;
}

static void password_captcha(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  usm_client *bob = e2e_client(&w, E2E_BOB_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, NULL, number, sip, password), 0);
  usm_meeting *m;
  CHECK_INT(e2e_meeting(&w, bob, sip, &m), USM_ERR_PASSWORD_REQUIRED);
  e2e_op op;
  for (int i = 0; i < 2; i++) {
    op = (e2e_op){0};
    CHECK_INT(e2e_await(&w, &op, usm_meeting_set_password(m, "wrong", NULL, e2e_op_done, &op)),
              USM_ERR_PASSWORD_REQUIRED);
  }
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_set_password(m, "wrong", NULL, e2e_op_done, &op)),
            USM_ERR_CAPTCHA_REQUIRED);
  usm_captcha c1;
  CHECK_INT(usm_meeting_captcha(m, &c1), USM_OK);
  char first_id[128];
  snprintf(first_id, sizeof first_id, "%s", c1.id);
  /* the guards of the official SDK */
  CHECK_INT(usm_meeting_set_password(m, password, NULL, e2e_op_done, &op), USM_ERR_INVALID_ARG);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_refresh_captcha(m, e2e_op_done, &op)), USM_OK);
  usm_captcha c2;
  CHECK_INT(usm_meeting_captcha(m, &c2), USM_OK);
  CHECK(strcmp(c2.id, first_id) != 0);
  char code[16];
  CHECK_INT(solve_captcha(m, code), 6);
  /* right code, wrong password: still locked out, with a new captcha */
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_set_password(m, "wrong", code, e2e_op_done, &op)),
            USM_ERR_CAPTCHA_REQUIRED);
  CHECK_INT(solve_captcha(m, code), 6);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_set_password(m, password, code, e2e_op_done, &op)), USM_OK);
  CHECK_INT(usm_meeting_password_status(m), USM_PASSWORD_VERIFIED);
  CHECK_INT(usm_meeting_captcha(m, &c2), USM_ERR_WRONG_STATE);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(m, NULL, e2e_op_done, &op)), USM_OK);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_IN_LOBBY);
  usm_meeting_destroy(m); /* while in the lobby: no callback after this */
}

static void locked_meeting(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  usm_client *bob = e2e_client(&w, E2E_BOB_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, NULL, number, sip, password), 0);
  usm_meeting *mh, *mb;
  CHECK_INT(e2e_meeting(&w, host, number, &mh), USM_OK);
  e2e_op op = {0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(mh, NULL, e2e_op_done, &op)), USM_OK);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_lock(mh, 1, e2e_op_done, &op)), USM_OK);
  CHECK_INT(e2e_meeting(&w, bob, number, &mb), USM_ERR_PASSWORD_REQUIRED);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_set_password(mb, password, NULL, e2e_op_done, &op)), USM_OK);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(mb, NULL, e2e_op_done, &op)), USM_ERR_MEETING_LOCKED);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_lock(mh, 0, e2e_op_done, &op)), USM_OK);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(mb, NULL, e2e_op_done, &op)), USM_OK);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_end(mh, e2e_op_done, &op)), USM_OK);
  CHECK(e2e_wait_state(&w, mb, USM_MEETING_ENDED));
  usm_meeting_destroy(mh);
  usm_meeting_destroy(mb);
}

typedef struct caps {
  int done;
  usm_err err;
  int can_create, guest;
} caps;

static void on_caps(usm_client *c, usm_err err, const usm_capabilities *cp, void *user) {
  (void)c;
  caps *k = user;
  k->err = err;
  if (cp) {
    k->can_create = cp->can_create_meetings;
    k->guest = cp->is_guest;
  }
  k->done = 1;
}

static void licenses(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  usm_client *bob = e2e_client(&w, E2E_BOB_TOKEN);
  caps k = {0};
  CHECK_INT(usm_client_capabilities(host, on_caps, &k), USM_OK);
  CHECK(e2e_run_until(&w, &k.done, 15000));
  CHECK(k.err == USM_OK && k.can_create == 1 && k.guest == 0);
  k = (caps){0};
  CHECK_INT(usm_client_capabilities(bob, on_caps, &k), USM_OK);
  CHECK(e2e_run_until(&w, &k.done, 15000));
  CHECK(k.err == USM_OK && k.can_create == 0);
  char number[32] = "", sip[256], password[64];
  CHECK(e2e_schedule(&w, bob, NULL, number, sip, password) != 0); /* refused: no license */
}

/* A guest identity minted by a Service App (as an app's backend does). */
static void guest_via_service_app(void) {
  unsigned char *body = NULL;
  size_t len = 0;
  char url[512];
  snprintf(url, sizeof url, "%s/v1/guests/token", w.cloud.url);
  /* the test plays the app's backend: plain HTTPS with the Service App's token */
  int st = cloud_proc_post(&w.cloud, url, E2E_SERVICE_APP_TOKEN,
                           "{\"subject\":\"e2e-guest-1\",\"displayName\":\"Gita Guest\"}", &body, &len);
  CHECK_INT(st, 200);
  char token[1024] = "";
  const char *at = body ? strstr((char *)body, "\"accessToken\":\"") : NULL;
  if (at) sscanf(at + 15, "%1023[^\"]", token);
  free(body);
  CHECK(token[0] != '\0');
  st = cloud_proc_post(&w.cloud, url, E2E_ALICE_TOKEN, "{\"subject\":\"x\",\"displayName\":\"X\"}", NULL, NULL);
  CHECK_INT(st, 403); /* only Service Apps mint guests */

  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  usm_client *guest = e2e_client(&w, token);
  caps k = {0};
  CHECK_INT(usm_client_capabilities(guest, on_caps, &k), USM_OK);
  CHECK(e2e_run_until(&w, &k.done, 15000));
  CHECK(k.err == USM_OK && k.guest == 1 && k.can_create == 0);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, NULL, number, sip, password), 0);
  usm_meeting *mh, *mg;
  CHECK_INT(e2e_meeting(&w, host, number, &mh), USM_OK);
  e2e_op op = {0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(mh, NULL, e2e_op_done, &op)), USM_OK);
  CHECK_INT(e2e_meeting(&w, guest, number, &mg), USM_ERR_PASSWORD_REQUIRED);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_set_password(mg, password, NULL, e2e_op_done, &op)), USM_OK);
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_join(mg, NULL, e2e_op_done, &op)), USM_OK);
  CHECK_INT(usm_meeting_get_state(mg), USM_MEETING_IN_LOBBY);
  char gid[128];
  CHECK(e2e_wait_participant(&w, mh, "Gita Guest", 2, gid));
  op = (e2e_op){0};
  CHECK_INT(e2e_await(&w, &op, usm_meeting_admit(mh, gid, e2e_op_done, &op)), USM_OK);
  CHECK(e2e_wait_state(&w, mg, USM_MEETING_JOINED));
  usm_participant self;
  CHECK(usm_meeting_self(mg, &self) == USM_OK && self.is_guest);
  usm_meeting_destroy(mh);
  usm_meeting_destroy(mg);
}

static void space_ids_refused(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  const char *room = "Y2lzY29zcGFyazovL3VzL1JPT00vYzEwODQ5YzAtNTZlMy0xMWViLWE4Y2ItZTllNzcwN2JjY2I4";
  for (int t = USM_DEST_AUTO; t <= USM_DEST_PERSONAL_ROOM; t++) {
    usm_meeting *m = (usm_meeting *)1;
    CHECK_INT(usm_meetings_create(host, room, (usm_dest_type)t, e2e_op_done, NULL, &m), USM_ERR_SPACE_ID_DEPRECATED);
    CHECK(m == NULL);
  }
  CHECK(strstr(usm_client_last_error(host), "Using the space ID as a destination is no longer supported") ||
        strstr(usm_strerror(USM_ERR_SPACE_ID_DEPRECATED), "Using the space ID"));
}

/* 429 with Retry-After and 503 from the cloud: retried and then answered. */
static void retries(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, NULL, number, sip, password), 0); /* discovery done, device later */
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/faults",
                             "{\"failNext\":{\"count\":1,\"status\":429,\"retryAfter\":1,\"pathPrefix\":\"/wbxappapi\"}}"),
            200);
  usm_meeting *m;
  CHECK_INT(e2e_meeting(&w, host, number, &m), USM_OK);
  usm_meeting_destroy(m);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/faults",
                             "{\"failNext\":{\"count\":2,\"status\":503,\"pathPrefix\":\"/wbxappapi\"}}"),
            200);
  CHECK_INT(e2e_meeting(&w, host, sip, &m), USM_OK);
  usm_meeting_destroy(m);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/faults",
                             "{\"failNext\":{\"count\":9,\"status\":503,\"pathPrefix\":\"/wbxappapi\"}}"),
            200);
  CHECK_INT(e2e_meeting(&w, host, sip, &m), USM_ERR_SERVER);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_FAILED);
  usm_meeting_destroy(m);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/faults", "{}"), 200);
}

/* The cloud dies while a request is in flight: a clear error, no hang. */
static void server_killed(void) {
  usm_client *host = e2e_client(&w, E2E_HOST_TOKEN);
  char number[32], sip[256], password[64];
  CHECK_INT(e2e_schedule(&w, host, NULL, number, sip, password), 0);
  CHECK_INT(cloud_proc_admin(&w.cloud, "/admin/faults", "{\"latencyMs\":5000}"), 200);
  e2e_op op = {0};
  usm_meeting *m;
  CHECK_INT(usm_meetings_create(host, number, USM_DEST_AUTO, e2e_op_done, &op, &m), USM_OK);
  e2e_pump(&w, 300); /* the request is now waiting on the server */
  cloud_proc_kill(&w.cloud);
  CHECK(e2e_run_until(&w, &op.done, 12000));
  CHECK(op.err == USM_ERR_NETWORK || op.err == USM_ERR_TIMEOUT);
  CHECK_INT(usm_meeting_get_state(m), USM_MEETING_FAILED);
  CHECK(strlen(usm_meeting_last_error(m)) > 0);
  usm_meeting_destroy(m);
}

static int run(const char *name, void (*fn)(void), const char *const *args) {
  if (e2e_start(&w, args) != 0) {
    fprintf(stderr, "%s: cannot start usm-cloud\n", name);
    check_failures++;
    return 1;
  }
  int before = check_failures;
  fn();
  e2e_stop(&w);
  printf("%s: %s\n", name, check_failures == before ? "ok" : "FAILED");
  return 0;
}

int main(int argc, char **argv) {
  /* optional: run only the scenario named in argv[1] */
  static const struct {
    const char *name;
    void (*fn)(void);
  } scenarios[] = {
    {"happy_path", happy_path},     {"password_captcha", password_captcha},
    {"locked_meeting", locked_meeting}, {"licenses", licenses},
    {"guest_via_service_app", guest_via_service_app}, {"space_ids_refused", space_ids_refused},
    {"retries", retries},           {"server_killed", server_killed},
  };
  const char *const args[] = {"--captcha-after", "3", NULL};
  for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
    if (argc < 2 || strcmp(argv[1], scenarios[i].name) == 0) run(scenarios[i].name, scenarios[i].fn, args);
  return check_done("test_e2e_join");
}
