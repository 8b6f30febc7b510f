/* Shared by the meeting flow tests: a client pointed at a scripted peer,
 * recorders for events and completions, canned answers of the local cloud's
 * wire contract, and helpers to check the requests the client sent. */
#ifndef USM_TEST_FLOW_UTIL_H
#define USM_TEST_FLOW_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <usm/usm.h>

#include "check.h"
#include "scripted_server.h"

#define TOKEN "usm-flow-test-token-0123456789"

/* ---- canned answers ("{BASE}" is the scripted server) ---------------------- */

#define CATALOG                                                                                                 \
  "{\"serviceLinks\":{\"hydra\":\"{BASE}/v1\",\"wdm\":\"{BASE}/wdm/api/v1\",\"locus\":\"{BASE}/locus/api/v1\"," \
  "\"webex-appapi-service\":\"{BASE}/wbxappapi/v1\",\"u2c\":\"{BASE}/u2c/api/v1\"},\"hostCatalog\":{\"127.0.0.1\":" \
  "[{\"host\":\"127.0.0.1\",\"ttl\":-1,\"priority\":5,\"id\":\"urn:TEAM:local_a:wdm\"}]}}"
#define DEVICE_URL "{BASE}/wdm/api/v1/devices/dev-1"
#define DEVICE                                                                                                 \
  "{\"url\":\"" DEVICE_URL "\",\"webSocketUrl\":\"wss://127.0.0.1:1/mercury/dev-1\",\"userId\":\"user-uuid-1\"," \
  "\"orgId\":\"org-uuid-1\",\"deviceType\":\"WEB\",\"name\":\"libusm\",\"creationTime\":\"2030-01-01T00:00:00Z\"}"
#define NUMBER "2551234567"
#define SIP NUMBER "@localsite.webex.com"
#define LINK "https://localsite.webex.com/localsite/j.php?MTID=m0123456789abcdef0123456789abcdef"
#define LOCUS_PATH "/locus/api/v1/loci/L1"
#define PARTIAL "\"data\":{\"meetingInfo\":{\"meetingNumber\":\"" NUMBER "\",\"sipUrl\":\"" SIP "\",\"meetingJoinUrl\":\"" LINK "\"}}"
#define PW_REQUIRED "{\"code\":403000,\"message\":\"Password required.\"," PARTIAL "}"
#define PW_WRONG "{\"code\":403004,\"message\":\"Wrong password.\"," PARTIAL "}"
#define CAPTCHA(id)                                                                                             \
  "{\"code\":423005,\"message\":\"Too many wrong passwords. Captcha required.\",\"captchaID\":\"" id "\","      \
  "\"verificationImageURL\":\"{BASE}/captchaservice/v1/captchas/" id "/image\",\"verificationAudioURL\":"        \
  "\"{BASE}/captchaservice/v1/captchas/" id "/audio\",\"refreshURL\":\"{BASE}/captchaservice/v1/captchas/"      \
  "refresh?captchaID=" id "\"}"
/* a permission token valid until 2100 (exp in ms), and one that cannot be decoded */
#define PTOKEN "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDAwMDB9.c2ln"
#define INFO_WITH(token_json, locus_json)                                                                      \
  "{\"meetingNumber\":\"" NUMBER "\",\"sipUrl\":\"" SIP "\",\"meetingJoinUrl\":\"" LINK "\"" locus_json          \
  ",\"hostId\":\"host-uuid\",\"owner\":\"host-uuid\"" token_json ",\"confID\":\"c-1\",\"meetingId\":\"m-1\","  \
  "\"title\":\"Design review\"}"
#define INFO_OK INFO_WITH(",\"permissionToken\":\"" PTOKEN "\"", ",\"locusUrl\":\"{BASE}" LOCUS_PATH "\"")

/* A participant: id, state, moderator flag, device URL, intent JSON, muted. */
#define PART(id, state, mod, dev, intent)                                                                       \
  "{\"id\":\"" id "\",\"url\":\"{BASE}" LOCUS_PATH "/participant/" id "\",\"identity\":\"person-" id "\","      \
  "\"type\":\"USER\",\"state\":\"" state "\",\"person\":{\"id\":\"person-" id "\",\"name\":\"Name " id "\","     \
  "\"email\":\"" id "@example.com\",\"orgId\":\"org\",\"isExternal\":false},\"guest\":false,\"moderator\":" mod \
  ",\"isCreator\":false,\"devices\":[{\"url\":\"" dev "\",\"deviceType\":\"WEB\",\"state\":\"" state "\","      \
  "\"intent\":" intent ",\"keepAliveUrl\":\"{BASE}" LOCUS_PATH "/participant/" id "/keepAlive\","               \
  "\"keepAliveSecs\":2,\"correlationId\":\"x\"}],\"controls\":{\"audio\":{\"muted\":false},\"video\":"         \
  "{\"muted\":false},\"role\":{\"roles\":[{\"type\":\"MODERATOR\",\"hasRole\":" mod "}]}}}"
#define HOST_IN PART("P1", "JOINED", "true", "{BASE}/wdm/api/v1/devices/host", "null")
#define HOST_NOT PART("P1", "JOINED", "false", "{BASE}/wdm/api/v1/devices/host", "null")
#define ME_WAIT PART("P2", "IDLE", "false", DEVICE_URL, "{\"type\":\"WAIT\"}")
#define ME_IN PART("P2", "JOINED", "false", DEVICE_URL, "null")
#define ME_HOST PART("P2", "JOINED", "true", DEVICE_URL, "null")
#define ME_LEFT PART("P2", "LEFT", "false", DEVICE_URL, "null")
#define DTO(seq, locked, state, parts, self)                                                                    \
  "{\"url\":\"{BASE}" LOCUS_PATH "\",\"created\":\"x\",\"info\":{\"sipUri\":\"" SIP "\",\"webExMeetingId\":"     \
  NUMBER ",\"webExSite\":\"localsite.webex.com\",\"isUnifiedSpaceMeeting\":true,\"owner\":\"host-uuid\"},"       \
  "\"host\":{\"id\":\"person-P1\",\"name\":\"Name P1\"},\"fullState\":{\"active\":true,\"count\":1,\"locked\":"  \
  locked ",\"state\":\"" state "\",\"type\":\"MEETING\"},\"controls\":{\"lock\":{\"locked\":" locked "}},"        \
  "\"participants\":[" parts "],\"self\":" self ",\"sequence\":{\"entries\":[" seq "],\"rangeStart\":0,"          \
  "\"rangeEnd\":0},\"syncUrl\":\"{BASE}" LOCUS_PATH "/sync\"}"
#define WRAP(dto) "{\"locus\":" dto ",\"mediaConnections\":[]}"
#define LOCUS_ERR(code, name) "{\"message\":\"" name "\",\"errorCode\":" #code ",\"errors\":[{\"description\":\"" name "\"}],\"trackingId\":\"LT_1\"}"

#define STEP(st, body) {SCRIPT_NORMAL, st, NULL, body, 0}
#define ROUTE(r, st, body) {r, 0, STEP(st, body)}
#define STICKY(r, st, body) {r, 1, STEP(st, body)}
#define R_CATALOG ROUTE("GET /u2c/api/v1/catalog", 200, CATALOG)
#define R_DEVICE ROUTE("POST /wdm/api/v1/devices", 200, DEVICE)
#define R_INFO(st, body) ROUTE("POST /wbxappapi/v1/meetingInfo", st, body)

/* ---- recorders -------------------------------------------------------------- */

typedef struct rec {
  char log[16384];   /* events and completions, in order */
  int dones;
  usm_err err;       /* of the last completion */
  char msg[1024];
  usm_meeting_state state_at_done;
  int destroy_on_event; /* destroy the meeting at the n-th event (1-based) */
  int destroy_client_on_done;
  int destroy_client_on_event; /* destroy the client at the n-th event */
  int events;
  usm_client *client;
} rec;

static inline void rec_add(rec *r, const char *s) {
  size_t l = strlen(r->log);
  snprintf(r->log + l, sizeof r->log - l, "%s ", s);
}

static inline void on_event(usm_meeting *m, const usm_event *ev, void *user) {
  rec *r = user;
  char s[256];
  CHECK_INT(ev->state, usm_meeting_get_state(m));
  /* The scripted peer offers an event channel nobody answers (wss://127.0.0.1:1),
   * so these flows run on Locus polling; its connection events are tested
   * against usm-cloud (tests/e2e_events). */
  if (ev->type == USM_EVENT_CONNECTION) return;
  switch (ev->type) {
    case USM_EVENT_STATE: snprintf(s, sizeof s, "STATE:%s", usm_meeting_state_name(ev->state)); break;
    case USM_EVENT_PASSWORD: {
      usm_captcha k;
      int cap = usm_meeting_captcha(m, &k) == USM_OK;
      static const char *pw[] = {"unknown", "required", "verified", "not_required"};
      snprintf(s, sizeof s, "PASSWORD:%s%s%s", pw[usm_meeting_password_status(m)], cap ? ":captcha=" : "",
               cap ? k.id : "");
      break;
    }
    case USM_EVENT_ROSTER: {
      static const char *ch[] = {"none", "joined", "left", "changed"};
      const usm_participant *p = ev->participant;
      snprintf(s, sizeof s, "ROSTER:%s:%s%s%s%s", ch[ev->change], p->id, p->in_lobby ? ":lobby" : "",
               p->is_host ? ":host" : "", p->is_self ? ":self" : "");
      break;
    }
    case USM_EVENT_HOST: snprintf(s, sizeof s, "HOST:%s", ev->participant ? ev->participant->id : "-"); break;
    case USM_EVENT_LOCK: snprintf(s, sizeof s, "LOCK:%d", ev->locked); break;
    case USM_EVENT_MUTE: snprintf(s, sizeof s, "MUTE:%s", ev->participant->id); break;
    default: snprintf(s, sizeof s, "?"); break;
  }
  rec_add(r, s);
  if (++r->events == r->destroy_on_event) usm_meeting_destroy(m);
  if (r->events == r->destroy_client_on_event) usm_client_destroy(r->client);
}

static inline void on_done(usm_meeting *m, usm_err err, const char *msg, void *user) {
  rec *r = user;
  r->dones++;
  r->err = err;
  snprintf(r->msg, sizeof r->msg, "%s", msg);
  r->state_at_done = usm_meeting_get_state(m);
  CHECK(msg != NULL);
  CHECK((err == USM_OK) == (msg[0] == '\0'));
  char s[128];
  snprintf(s, sizeof s, "DONE:%s", usm_err_name(err));
  rec_add(r, s);
  if (r->destroy_client_on_done) usm_client_destroy(r->client);
}

/* ---- the client ---------------------------------------------------------------- */

static char flow_logs[1 << 16];
static size_t flow_logs_len;
static inline void flow_log(void *user, usm_log_level level, const char *msg) {
  (void)user;
  (void)level;
  int n = snprintf(flow_logs + flow_logs_len, sizeof flow_logs - flow_logs_len, "%s\n", msg);
  if (n > 0 && (size_t)n < sizeof flow_logs - flow_logs_len) flow_logs_len += (size_t)n;
  if (getenv("USM_TEST_LOG")) fprintf(stderr, "log: %s\n", msg);
}

/* A client whose discovery URL is the scripted server; api_url stays unset. */
static inline usm_client *flow_client(scripted_server *s) {
  char disc[96];
  snprintf(disc, sizeof disc, "http://127.0.0.1:%d/u2c/api/v1", scripted_server_port(s));
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = TOKEN;
  o.discovery_url = disc;
  o.max_retries = 1;
  o.log_cb = flow_log;
  o.log_level = USM_LOG_DEBUG;
  usm_client *c = NULL;
  CHECK_INT(usm_client_create(&o, &c), USM_OK);
  return c;
}

/* ---- checking requests ------------------------------------------------------ */

/* @p text with "{BASE}" replaced by the server's base URL (static buffer). */
static inline const char *based(scripted_server *s, const char *text) {
  static char out[2][8192];
  static int which;
  char base[64];
  snprintf(base, sizeof base, "http://127.0.0.1:%d", scripted_server_port(s));
  char *o = out[which ^= 1];
  size_t n = 0;
  for (const char *p = text; *p && n + strlen(base) + 1 < sizeof out[0];) {
    if (strncmp(p, "{BASE}", 6) == 0) {
      n += (size_t)snprintf(o + n, sizeof out[0] - n, "%s", base);
      p += 6;
    } else {
      o[n++] = *p++;
    }
  }
  o[n] = '\0';
  return o;
}

/* The n-th (0-based) request whose "METHOD path" starts with @p prefix, or NULL. */
static inline const script_request *find_req(scripted_server *s, const char *prefix, int nth) {
  char line[1200];
  for (size_t i = 0; i < scripted_server_count(s); i++) {
    const script_request *rq = scripted_server_request(s, i);
    if (!rq) break;
    snprintf(line, sizeof line, "%s %s", rq->method, rq->path);
    if (strncmp(line, prefix, strlen(prefix)) == 0 && nth-- == 0) return rq;
  }
  return NULL;
}

static inline int count_req(scripted_server *s, const char *prefix) {
  int n = 0;
  while (find_req(s, prefix, n)) n++;
  return n;
}

/* "METHOD path" of request @p i, for exact order checks. */
static inline const char *req_line(scripted_server *s, size_t i) {
  static char line[1200];
  const script_request *rq = scripted_server_request(s, i);
  snprintf(line, sizeof line, "%s %s", rq ? rq->method : "-", rq ? rq->path : "-");
  return line;
}

/* The body with its random correlationId replaced by "{CID}" (checked to be a v4 UUID). */
static inline const char *body_cid(const script_request *rq) {
  static char out[8192];
  snprintf(out, sizeof out, "%s", rq ? rq->body : "");
  char *p = strstr(out, "\"correlationId\":\"");
  if (!p) return out;
  p += 17;
  char *end = strchr(p, '"');
  if (!end) return out;
  int uuid = end - p == 36 && p[8] == '-' && p[13] == '-' && p[14] == '4' && p[18] == '-' && p[23] == '-' &&
             strchr("89ab", p[19]);
  CHECK(uuid);
  memmove(p + 5, end, strlen(end) + 1);
  memcpy(p, "{CID}", 5);
  return out;
}

#endif
