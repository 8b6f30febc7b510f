/* Pure parts of the join flow: the permission token's expiry, the
 * meeting-info request body for every kind of destination, what each
 * meeting-info answer means, the service catalog and the device answer. */
#include <stdlib.h>
#include <usm/usm.h>

#include "check.h"
#include "meeting/device.h"
#include "meeting/info.h"
#include "meeting/jwt.h"
#include "rest/discovery.h"
#include "rest/json.h"
#include "rest/url.h"

/* base64url without padding, for building tokens. */
static void b64url(const char *in, char *out) {
  static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t n = strlen(in), o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned char)in[i] << 16;
    if (i + 1 < n) v |= (unsigned char)in[i + 1] << 8;
    if (i + 2 < n) v |= (unsigned char)in[i + 2];
    out[o++] = a[v >> 18 & 63];
    out[o++] = a[v >> 12 & 63];
    if (i + 1 < n) out[o++] = a[v >> 6 & 63];
    if (i + 2 < n) out[o++] = a[v & 63];
  }
  out[o] = '\0';
}

static void token(const char *payload, char *out, size_t cap) {
  char mid[512];
  b64url(payload, mid);
  snprintf(out, cap, "eyJhbGciOiJSUzI1NiJ9.%s.c2ln", mid);
}

static void test_jwt(void) {
  char t[600];
  int64_t exp = 0;
  token("{\"exp\":1700000000000,\"iat\":1699999000000}", t, sizeof t);
  CHECK_INT(usm__jwt_exp_ms(t, &exp), 0);
  CHECK_INT(exp, 1700000000000LL);
  /* exp is milliseconds: 31 s left is fine, 30 s is the threshold */
  CHECK_INT(usm__token_needs_refresh(t, 1700000000000LL - 31000), 0);
  CHECK_INT(usm__token_needs_refresh(t, 1700000000000LL - 30000), 1);
  CHECK_INT(usm__token_needs_refresh(t, 1700000000000LL + 5), 1); /* expired */
  /* padding is tolerated */
  char padded[700];
  snprintf(padded, sizeof padded, "%s", t);
  char *dot = strrchr(padded, '.');
  memmove(dot + 2, dot, strlen(dot) + 1);
  dot[0] = '=', dot[1] = '=';
  CHECK_INT(usm__jwt_exp_ms(padded, &exp), 0);
  /* what does not decode never triggers a refresh */
  const char *bad[] = {
    "opaque-token",                      /* no dots */
    "a.b",                               /* two parts */
    "a.b.c.d",                           /* four parts */
    "x.!!!.y",                           /* not base64url */
    "x.e30.y",                           /* {} : no exp */
    "",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_INT(usm__jwt_exp_ms(bad[i], &exp), -1);
    CHECK_INT(usm__token_needs_refresh(bad[i], 0), 0);
  }
  token("{\"exp\":\"1700000000000\"}", t, sizeof t); /* a string, not a number */
  CHECK_INT(usm__jwt_exp_ms(t, &exp), -1);
  token("{\"exp\":-5}", t, sizeof t);
  CHECK_INT(usm__jwt_exp_ms(t, &exp), -1);
  token("[1,2]", t, sizeof t);
  CHECK_INT(usm__jwt_exp_ms(t, &exp), -1);
  CHECK_INT(usm__jwt_exp_ms(NULL, &exp), -1);
  /* bounded: a huge token is not even looked at */
  size_t big = USM__JWT_MAX + 10;
  char *huge = malloc(big + 1);
  memset(huge, 'A', big);
  huge[5] = '.', huge[big - 5] = '.', huge[big] = '\0';
  CHECK_INT(usm__jwt_exp_ms(huge, &exp), -1);
  free(huge);
}

/* Body for a destination string, with the given resolutions. */
static char *body_for(const char *dest, usm_dest_type type, const char *email, const char *user, const char *org) {
  usm_destination d;
  if (usm_destination_parse(dest, type, &d) != USM_OK) return NULL;
  usm__info_query q;
  if (usm__info_query_for(&d, email, user, org, &q) != USM_OK) return NULL;
  return usm__info_body(&q);
}

static void check_body(char *got, const char *want) {
  CHECK_STR(got, want);
  cJSON_free(got);
}

static void test_info_body(void) {
  const char *pre = "{\"supportHostKey\":true,\"supportCountryList\":true,";
  char want[512];
  snprintf(want, sizeof want, "%s\"meetingKey\":\"2551234567\"}", pre);
  check_body(body_for("255 123 4567", USM_DEST_AUTO, NULL, NULL, NULL), want);
  snprintf(want, sizeof want, "%s\"sipUrl\":\"2551234567@localsite.webex.com\"}", pre);
  check_body(body_for("2551234567@localsite.webex.com", USM_DEST_AUTO, NULL, NULL, NULL), want);
  snprintf(want, sizeof want, "%s\"sipUrl\":\"+1 408 555 0100\"}", pre); /* phone: as typed */
  check_body(body_for("+1 408 555 0100", USM_DEST_AUTO, NULL, NULL, NULL), want);
  snprintf(want, sizeof want, "%s\"meetingUrl\":\"https://localsite.webex.com/meet/jane\"}", pre);
  check_body(body_for("https://localsite.webex.com/meet/jane", USM_DEST_AUTO, NULL, NULL, NULL), want);
  /* person id: the person's first email, as a SIP address */
  const char *person = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8wMTgyNGI5Yi1hZGVmLTRiMTAtYjVjMS04YTJmZTJmYjdjMGU";
  snprintf(want, sizeof want, "%s\"sipUrl\":\"jane@example.com\"}", pre);
  check_body(body_for(person, USM_DEST_AUTO, "jane@example.com", NULL, NULL), want);
  CHECK(body_for(person, USM_DEST_AUTO, NULL, NULL, NULL) == NULL); /* not resolved yet */
  /* personal rooms: by email (sipUrl), by id or oneself (userId + orgId) */
  snprintf(want, sizeof want, "%s\"sipUrl\":\"jane@example.com\"}", pre);
  check_body(body_for("jane@example.com", USM_DEST_PERSONAL_ROOM, NULL, NULL, NULL), want);
  snprintf(want, sizeof want, "%s\"userId\":\"u-1\",\"orgId\":\"o-1\"}", pre);
  check_body(body_for("01824b9b-adef-4b10-b5c1-8a2fe2fb7c0e", USM_DEST_PERSONAL_ROOM, NULL, "u-1", "o-1"), want);
  check_body(body_for("", USM_DEST_PERSONAL_ROOM, NULL, "u-1", "o-1"), want);
  CHECK(body_for("", USM_DEST_PERSONAL_ROOM, NULL, NULL, NULL) == NULL);

  /* every optional member, in order */
  usm__info_query q = {.key = "meetingKey", .value = "1", .permission_token = "T", .password = "pw",
                       .captcha_id = "c1", .captcha_code = "123456"};
  char *b = usm__info_body(&q);
  CHECK_STR(b, "{\"supportHostKey\":true,\"supportCountryList\":true,\"permissionToken\":\"T\",\"meetingKey\":\"1\","
               "\"password\":\"pw\",\"captchaID\":\"c1\",\"captchaVerifyCode\":\"123456\"}");
  cJSON_free(b);
  /* JSON escaping of what the user typed */
  q = (usm__info_query){.key = "sipUrl", .value = "a\"b@x.com", .password = "p\\w"};
  b = usm__info_body(&q);
  CHECK_STR(b, "{\"supportHostKey\":true,\"supportCountryList\":true,\"sipUrl\":\"a\\\"b@x.com\",\"password\":\"p\\\\w\"}");
  cJSON_free(b);
}

static usm__info_result classify(int status, const char *body) {
  usm__info_result r;
  usm_err e = status == 200 ? USM_OK
              : status == 403 ? USM_ERR_FORBIDDEN
              : status == 404 ? USM_ERR_NOT_FOUND
              : status == 423 ? USM_ERR_LOCKED
              : status >= 500 ? USM_ERR_SERVER
              : status == 0   ? USM_ERR_NETWORK
                              : USM_ERR_HTTP;
  usm__info_classify(status, e, body, body ? strlen(body) : 0, &r);
  return r;
}

static void test_info_classify(void) {
  usm__info_result r = classify(200, "{\"meetingNumber\":\"2551234567\",\"sipUrl\":\"s@x.com\",\"meetingJoinUrl\":"
                                     "\"https://x/j\",\"locusUrl\":\"https://l/loci/1\",\"hostId\":\"h\",\"owner\":\"o\","
                                     "\"permissionToken\":\"a.b.c\",\"meetingId\":\"m\",\"title\":\"T\"}");
  CHECK_INT(r.kind, USM__INFO_OK);
  CHECK_INT(r.err, USM_OK);
  CHECK_STR(r.meeting_number, "2551234567");
  CHECK_STR(r.locus_url, "https://l/loci/1");
  CHECK_STR(r.permission_token, "a.b.c");
  CHECK_STR(r.title, "T");
  usm__info_result_free(&r);

  /* a 200 that names nothing, is not JSON, or points Locus at plain http */
  const char *bad200[] = {"{}", "[]", "not json", "{\"locusUrl\":\"http://evil.example.com/loci/1\"}"};
  for (size_t i = 0; i < sizeof bad200 / sizeof bad200[0]; i++) {
    r = classify(200, bad200[i]);
    CHECK_INT(r.kind, USM__INFO_ERROR);
    CHECK_INT(r.err, USM_ERR_BAD_RESPONSE);
    usm__info_result_free(&r);
  }

  /* 403: password (403000 missing, 403004 wrong, any other non-policy code) with partial info */
  const long pw_codes[] = {403000, 403004, 403028, 0};
  for (size_t i = 0; i < sizeof pw_codes / sizeof pw_codes[0]; i++) {
    char body[300];
    snprintf(body, sizeof body,
             "{\"code\":%ld,\"message\":\"Password required.\",\"data\":{\"meetingInfo\":{\"meetingNumber\":\"255\","
             "\"sipUrl\":\"255@x.com\",\"meetingJoinUrl\":\"https://x/j\",\"locusUrl\":\"https://l/1\"}}}",
             pw_codes[i]);
    r = classify(403, body);
    CHECK_INT(r.kind, USM__INFO_PASSWORD);
    CHECK_INT(r.err, USM_ERR_PASSWORD_REQUIRED);
    CHECK_INT(r.code, pw_codes[i]);
    CHECK_STR(r.meeting_number, "255");
    CHECK_STR(r.join_url, "https://x/j");
    CHECK(r.locus_url == NULL); /* partial info never joins */
    usm__info_result_free(&r);
  }
  /* 403 policy codes */
  const long policy[] = {403049, 403104, 403103, 403048, 403102, 403101};
  for (size_t i = 0; i < sizeof policy / sizeof policy[0]; i++) {
    char body[100];
    snprintf(body, sizeof body, "{\"code\":%ld,\"message\":\"Not allowed.\"}", policy[i]);
    r = classify(403, body);
    CHECK_INT(r.kind, USM__INFO_POLICY);
    CHECK_INT(r.err, USM_ERR_POLICY);
    CHECK_STR(r.message, "Not allowed.");
    usm__info_result_free(&r);
  }
  /* 423: captcha, with or without the password requirement */
  const struct {
    long code;
    int pw;
  } cap[] = {{423005, 1}, {423006, 1}, {423001, 0}};
  for (size_t i = 0; i < sizeof cap / sizeof cap[0]; i++) {
    char body[400];
    snprintf(body, sizeof body,
             "{\"code\":%ld,\"captchaID\":\"c1\",\"verificationImageURL\":\"https://x/i\",\"verificationAudioURL\":"
             "\"https://x/a\",\"refreshURL\":\"https://x/r?captchaID=c1\"}",
             cap[i].code);
    r = classify(423, body);
    CHECK_INT(r.kind, USM__INFO_CAPTCHA);
    CHECK_INT(r.err, USM_ERR_CAPTCHA_REQUIRED);
    CHECK_INT(r.password_required, cap[i].pw);
    CHECK_STR(r.captcha_id, "c1");
    CHECK_STR(r.captcha_image, "https://x/i");
    CHECK_STR(r.captcha_audio, "https://x/a");
    CHECK_STR(r.captcha_refresh, "https://x/r?captchaID=c1");
    usm__info_result_free(&r);
  }
  r = classify(423, "{\"code\":423005}"); /* no captcha in it */
  CHECK_INT(r.err, USM_ERR_BAD_RESPONSE);
  usm__info_result_free(&r);
  /* 404 whatever the body */
  r = classify(404, "{\"code\":404001,\"message\":\"Meeting not found.\"}");
  CHECK_INT(r.kind, USM__INFO_NOT_FOUND);
  CHECK_INT(r.err, USM_ERR_NO_MEETING_INFO);
  CHECK_INT(r.code, 404001);
  usm__info_result_free(&r);
  r = classify(404, NULL);
  CHECK_INT(r.err, USM_ERR_NO_MEETING_INFO);
  usm__info_result_free(&r);
  /* others keep the HTTP layer's error */
  r = classify(503, "{}");
  CHECK_INT(r.kind, USM__INFO_ERROR);
  CHECK_INT(r.err, USM_ERR_SERVER);
  usm__info_result_free(&r);
  r = classify(0, NULL);
  CHECK_INT(r.err, USM_ERR_NETWORK);
  usm__info_result_free(&r);

  /* captcha refresh answers */
  cJSON *root = usm__json_parse("{\"captchaID\":\"c2\",\"verificationImageURL\":\"i\",\"verificationAudioURL\":\"a\"}", 72);
  const char *id, *img, *aud;
  CHECK_INT(usm__captcha_parse(root, &id, &img, &aud), USM_OK);
  CHECK_STR(id, "c2");
  CHECK_STR(img, "i");
  cJSON_Delete(root);
  root = usm__json_parse("{\"captchaId\":\"c2\"}", 18);
  CHECK_INT(usm__captcha_parse(root, &id, &img, &aud), USM_ERR_BAD_RESPONSE);
  cJSON_Delete(root);
}

static void test_catalog(void) {
  const char *text =
    "{\"serviceLinks\":{\"hydra\":\"https://h.example.com/v1/\",\"wdm\":\"https://w.example.com/wdm/api/v1\","
    "\"locus\":\"http://127.0.0.1:9/locus/api/v1\",\"evil\":\"http://evil.example.com/x\",\"ftp\":\"ftp://x/\","
    "\"num\":5,\"\":\"https://empty.example.com\",\"hydra\":\"https://second.example.com\"},"
    "\"hostCatalog\":{}}";
  cJSON *root = usm__json_parse(text, strlen(text));
  usm__catalog cat;
  CHECK_INT(usm__catalog_parse(root, &cat), USM_OK);
  CHECK_INT(cat.count, 3);
  CHECK_STR(usm__catalog_url(&cat, "hydra"), "https://h.example.com/v1"); /* trailing '/' trimmed, first wins */
  CHECK_STR(usm__catalog_url(&cat, "locus"), "http://127.0.0.1:9/locus/api/v1");
  CHECK(usm__catalog_url(&cat, "evil") == NULL); /* plain http off loopback: refused */
  CHECK(usm__catalog_url(&cat, "ftp") == NULL);
  CHECK(usm__catalog_url(&cat, "webex-appapi-service") == NULL);
  usm__catalog_free(&cat);
  cJSON_Delete(root);
  root = usm__json_parse("{\"services\":[]}", 15);
  CHECK_INT(usm__catalog_parse(root, &cat), USM_ERR_BAD_RESPONSE);
  cJSON_Delete(root);
  /* bounded: at most USM__CATALOG_MAX_SERVICES kept */
  cJSON *big = cJSON_CreateObject(), *links = cJSON_AddObjectToObject(big, "serviceLinks");
  for (int i = 0; i < 400; i++) {
    char k[16];
    snprintf(k, sizeof k, "s%d", i);
    cJSON_AddStringToObject(links, k, "https://x.example.com");
  }
  CHECK_INT(usm__catalog_parse(big, &cat), USM_OK);
  CHECK_INT(cat.count, USM__CATALOG_MAX_SERVICES);
  usm__catalog_free(&cat);
  cJSON_Delete(big);
}

static void test_device(void) {
  char *b = usm__device_body();
  char want[400];
  snprintf(want, sizeof want,
           "{\"name\":\"libusm\",\"deviceType\":\"WEB\",\"model\":\"libusm\",\"localizedModel\":\"libusm\","
           "\"systemName\":\"libusm\",\"systemVersion\":\"%s\",\"capabilities\":{\"sdpSupported\":true,"
           "\"groupCallSupported\":true}}",
           usm_version_string());
  CHECK_STR(b, want);
  cJSON_free(b);
  const char *ok = "{\"url\":\"https://w/devices/1\",\"webSocketUrl\":\"wss://m/1\",\"userId\":\"u\",\"orgId\":\"o\"}";
  cJSON *root = usm__json_parse(ok, strlen(ok));
  usm__device_info d;
  CHECK_INT(usm__device_parse(root, &d), USM_OK);
  CHECK_STR(d.url, "https://w/devices/1");
  CHECK_STR(d.ws_url, "wss://m/1");
  CHECK_STR(d.user_id, "u");
  CHECK_STR(d.org_id, "o");
  usm__device_info_free(&d);
  cJSON_Delete(root);
  const char *bad[] = {"{}", "{\"url\":5}", "{\"url\":\"http://evil.example.com/d\"}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    root = usm__json_parse(bad[i], strlen(bad[i]));
    CHECK_INT(usm__device_parse(root, &d), USM_ERR_BAD_RESPONSE);
    cJSON_Delete(root);
  }
}

static void test_url_host(void) {
  char h[64];
  CHECK_INT(usm__url_host("https://site.webex.com/captchaservice/v1/captchas/refresh?captchaID=1", h, sizeof h), 0);
  CHECK_STR(h, "site.webex.com");
  CHECK_INT(usm__url_host("http://127.0.0.1:8443/x", h, sizeof h), 0);
  CHECK_STR(h, "127.0.0.1:8443");
  CHECK_INT(usm__url_host("not a url", h, sizeof h), -1);
  CHECK_INT(usm__url_host("https://a-very-long-host-name.example.com/", h, 8), -1);
}

int main(void) {
  test_jwt();
  test_info_body();
  test_info_classify();
  test_catalog();
  test_device();
  test_url_host();
  return check_done("test_meeting_parse");
}
