/* Service discovery as the REST calls see it (api_url unset): one catalog
 * fetch for concurrent callers, failures reported to every waiter and not
 * cached, the page-URL origin rule against the discovered base; and
 * usm_client_capabilities. */
#include "flow_util.h"

typedef struct out {
  int calls;
  usm_err err;
  int http_status;
  char message[512];
  char id[64];
} out;

static void on_meeting(usm_client *c, const usm_rest_status *st, const usm_rest_meeting *m, void *user) {
  (void)c;
  out *o = user;
  o->calls++;
  o->err = st->err;
  o->http_status = st->http_status;
  snprintf(o->message, sizeof o->message, "%s", st->message);
  snprintf(o->id, sizeof o->id, "%s", m ? m->id : "");
}

static void on_list(usm_client *c, const usm_rest_status *st, const usm_rest_meeting_list *l, void *user) {
  (void)c;
  (void)l;
  out *o = user;
  o->calls++;
  o->err = st->err;
  snprintf(o->message, sizeof o->message, "%s", st->message);
}

#define MEETING(id) "{\"id\":\"" id "\",\"title\":\"T\"}"

static void test_rest_via_discovery(void) {
  script_route routes[] = {
    R_CATALOG,
    ROUTE("GET /v1/meetings/a", 200, MEETING("a")),
    ROUTE("GET /v1/meetings/b", 200, MEETING("b")),
    ROUTE("GET /v1/meetings/c", 200, MEETING("c")),
  };
  scripted_server *s = scripted_server_start_routes(routes, 4);
  usm_client *c = flow_client(s);
  out a = {0}, b = {0}, d = {0};
  CHECK_INT(usm_rest_meetings_get(c, "a", NULL, on_meeting, &a), USM_OK);
  CHECK_INT(usm_rest_meetings_get(c, "b", "pw", on_meeting, &b), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_STR(a.id, "a");
  CHECK_STR(b.id, "b");
  CHECK_INT(count_req(s, "GET /u2c/api/v1/catalog?format=hostmap"), 1);
  const script_request *rq = find_req(s, "GET /v1/meetings/b", 0);
  CHECK(rq && strstr(rq->headers, "password: pw\r\n"));
  /* known now: straight to hydra */
  CHECK_INT(usm_rest_meetings_get(c, "c", NULL, on_meeting, &d), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_STR(d.id, "c");
  CHECK_INT(scripted_server_count(s), 4);
  /* a next-page URL must be on the discovered API's origin */
  usm_rest_meeting_list_params lp;
  usm_rest_meeting_list_params_init(&lp);
  lp.page_url = "https://evil.example.com/v1/meetings?cursor=2";
  CHECK_INT(usm_rest_meetings_list(c, &lp, on_list, &d), USM_ERR_INSECURE_URL);
  CHECK(strstr(usm_client_last_error(c), "origin") != NULL);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* before discovery the origin is checked once it is known, and reported to the callback */
  script_route cat[] = {R_CATALOG};
  s = scripted_server_start_routes(cat, 1);
  c = flow_client(s);
  out l = {0};
  CHECK_INT(usm_rest_meetings_list(c, &lp, on_list, &l), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(l.calls, 1);
  CHECK_INT(l.err, USM_ERR_INSECURE_URL);
  CHECK_STR(l.message, "page_url must be an https URL on the API's own origin");
  CHECK_STR(usm_client_last_error(c), "page_url must be an https URL on the API's own origin");
  CHECK_INT(scripted_server_count(s), 1); /* nothing sent to the page URL */
  usm_client_destroy(c);
  scripted_server_stop(s);
}

static void test_discovery_failures(void) {
  script_route routes[] = {
    ROUTE("GET /u2c/api/v1/catalog", 500, "{\"message\":\"u2c down\"}"),
    ROUTE("GET /u2c/api/v1/catalog", 500, "{\"message\":\"u2c down\"}"),
    R_CATALOG,
    ROUTE("GET /v1/meetings/a", 200, MEETING("a")),
  };
  scripted_server *s = scripted_server_start_routes(routes, 4);
  usm_client *c = flow_client(s); /* max_retries 1: two tries */
  out a = {0}, b = {0};
  CHECK_INT(usm_rest_meetings_get(c, "a", NULL, on_meeting, &a), USM_OK);
  CHECK_INT(usm_rest_meetings_get(c, "b", NULL, on_meeting, &b), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(a.calls, 1);
  CHECK_INT(b.calls, 1);
  CHECK_INT(a.err, USM_ERR_SERVER);
  CHECK_INT(b.err, USM_ERR_SERVER);
  CHECK(strstr(a.message, "service discovery failed") && strstr(a.message, "u2c down"));
  CHECK(strstr(usm_client_last_error(c), "service discovery failed") != NULL);
  CHECK_INT(count_req(s, "GET /u2c"), 2);
  /* not cached: the next call tries again */
  a = (out){0};
  CHECK_INT(usm_rest_meetings_get(c, "a", NULL, on_meeting, &a), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_STR(a.id, "a");
  CHECK_INT(count_req(s, "GET /u2c"), 3);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* a catalog without hydra; then the answer is known at once */
  script_route nohydra[] = {ROUTE("GET /u2c/api/v1/catalog", 200, "{\"serviceLinks\":{\"wdm\":\"{BASE}/wdm\"}}")};
  s = scripted_server_start_routes(nohydra, 1);
  c = flow_client(s);
  a = (out){0};
  CHECK_INT(usm_rest_meetings_get(c, "a", NULL, on_meeting, &a), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(a.err, USM_ERR_BAD_RESPONSE);
  CHECK(strstr(a.message, "\"hydra\"") != NULL);
  CHECK_INT(usm_rest_meetings_get(c, "a", NULL, on_meeting, &a), USM_ERR_BAD_RESPONSE);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* not a hostmap; a body beyond the catalog bound */
  script_route junk[] = {ROUTE("GET /u2c/api/v1/catalog", 200, "{\"services\":[]}")};
  s = scripted_server_start_routes(junk, 1);
  c = flow_client(s);
  a = (out){0};
  CHECK_INT(usm_rest_meetings_get(c, "a", NULL, on_meeting, &a), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(a.err, USM_ERR_BAD_RESPONSE);
  CHECK(strstr(a.message, "hostmap") != NULL);
  usm_client_destroy(c);
  scripted_server_stop(s);
  script_route big[] = {{"GET /u2c/api/v1/catalog", 0, {SCRIPT_CHUNKED_BIG, 200, NULL, NULL, (size_t)2 << 20}}};
  s = scripted_server_start_routes(big, 1);
  c = flow_client(s);
  a = (out){0};
  CHECK_INT(usm_rest_meetings_get(c, "a", NULL, on_meeting, &a), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(a.err, USM_ERR_RESPONSE_TOO_LARGE);
  usm_client_destroy(c);
  scripted_server_stop(s);

  /* destroyed while waiting: no callback */
  script_route hang[] = {{"GET /u2c/api/v1/catalog", 0, {SCRIPT_HANG, 0, NULL, NULL, 0}}};
  s = scripted_server_start_routes(hang, 1);
  c = flow_client(s);
  a = (out){0};
  CHECK_INT(usm_rest_meetings_get(c, "a", NULL, on_meeting, &a), USM_OK);
  for (int i = 0; i < 2000 && scripted_server_count(s) < 1; i++) usm_client_process(c);
  usm_client_destroy(c);
  CHECK_INT(a.calls, 0);
  scripted_server_stop(s);
}

static void test_api_url_set(void) {
  /* an explicit api_url: no discovery for REST */
  script_route routes[] = {ROUTE("GET /v1/meetings/a", 200, MEETING("a"))};
  scripted_server *s = scripted_server_start_routes(routes, 1);
  char api[64];
  snprintf(api, sizeof api, "http://127.0.0.1:%d/v1", scripted_server_port(s));
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = TOKEN;
  o.api_url = api;
  o.discovery_url = "https://u2c.invalid/u2c/api/v1";
  usm_client *c = NULL;
  CHECK_INT(usm_client_create(&o, &c), USM_OK);
  out a = {0};
  CHECK_INT(usm_rest_meetings_get(c, "a", NULL, on_meeting, &a), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_STR(a.id, "a");
  CHECK_INT(scripted_server_count(s), 1);
  usm_client_destroy(c);
  scripted_server_stop(s);
}

typedef struct caps_out {
  int calls;
  usm_err err;
  int can_create, is_guest;
  char name[64], email[64], site[64];
} caps_out;

static void on_caps(usm_client *c, usm_err err, const usm_capabilities *caps, void *user) {
  (void)c;
  caps_out *o = user;
  o->calls++;
  o->err = err;
  CHECK((err == USM_OK) == (caps != NULL));
  if (!caps) return;
  o->can_create = caps->can_create_meetings;
  o->is_guest = caps->is_guest;
  snprintf(o->name, sizeof o->name, "%s", caps->display_name ? caps->display_name : "-");
  snprintf(o->email, sizeof o->email, "%s", caps->email ? caps->email : "-");
  snprintf(o->site, sizeof o->site, "%s", caps->site_url ? caps->site_url : "-");
}

static caps_out caps_with(const char *me_status_body, int me_status, int sites_status, const char *sites,
                          int *requests) {
  script_route routes[] = {
    R_CATALOG,
    ROUTE("GET /v1/people/me", me_status, me_status_body),
    ROUTE("GET /v1/meetingPreferences/sites", sites_status, sites),
  };
  scripted_server *s = scripted_server_start_routes(routes, 3);
  usm_client *c = flow_client(s);
  caps_out o = {0};
  CHECK_INT(usm_client_capabilities(c, on_caps, &o), USM_OK);
  CHECK_INT(usm_client_run(c), USM_OK);
  CHECK_INT(o.calls, 1);
  *requests = (int)scripted_server_count(s);
  usm_client_destroy(c);
  scripted_server_stop(s);
  return o;
}

static void test_capabilities(void) {
  const char *person = "{\"id\":\"p\",\"emails\":[\"host@example.com\"],\"displayName\":\"Hana Host\",\"orgId\":\"o\","
                       "\"type\":\"person\",\"licenses\":[\"l1\"]}";
  int n;
  caps_out o = caps_with(person, 200, 200,
                         "{\"sites\":[{\"siteUrl\":\"other.webex.com\",\"default\":false},{\"siteUrl\":"
                         "\"localsite.webex.com\",\"default\":true}]}",
                         &n);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.can_create, 1);
  CHECK_INT(o.is_guest, 0);
  CHECK_STR(o.name, "Hana Host");
  CHECK_STR(o.email, "host@example.com");
  CHECK_STR(o.site, "localsite.webex.com"); /* the default, not the first */
  CHECK_INT(n, 3);
  o = caps_with(person, 200, 200, "{\"sites\":[]}", &n); /* no license */
  CHECK_INT(o.can_create, 0);
  CHECK_STR(o.site, "-");
  o = caps_with(person, 200, 403, "{\"message\":\"no\"}", &n);
  CHECK_INT(o.err, USM_OK);
  CHECK_INT(o.can_create, 0);
  const char *guest = "{\"id\":\"g\",\"emails\":[],\"displayName\":\"Guest Name\",\"type\":\"appuser\"}";
  o = caps_with(guest, 200, 200, "{\"sites\":[{\"siteUrl\":\"x.webex.com\"}]}", &n);
  CHECK_INT(o.is_guest, 1);
  CHECK_INT(o.can_create, 0);
  CHECK_STR(o.email, "-");
  CHECK_INT(n, 2); /* guests are not asked for sites */
  o = caps_with("{\"message\":\"The request requires a valid access token.\"}", 401, 200, "{}", &n);
  CHECK_INT(o.err, USM_ERR_UNAUTHORIZED);
  o = caps_with(person, 200, 500, "{}", &n);
  CHECK_INT(o.err, USM_ERR_SERVER);
  CHECK_INT(usm_client_capabilities(NULL, on_caps, NULL), USM_ERR_INVALID_HANDLE);
}

int main(void) {
  test_rest_via_discovery();
  test_discovery_failures();
  test_api_url_set();
  test_capabilities();
  return check_done("test_discovery");
}
