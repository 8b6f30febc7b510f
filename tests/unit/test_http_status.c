/* Pure helpers of the REST transport: status mapping, retry policy,
 * Retry-After, Link, URL policy and escaping. */
#include <usm/usm.h>

#include "check.h"
#include "core/strbuf.h"
#include "rest/http_status.h"
#include "rest/json.h"
#include "rest/url.h"

static void test_status_mapping(void) {
  static const struct {
    long status;
    usm_err err;
  } t[] = {
    {200, USM_OK}, {204, USM_OK}, {400, USM_ERR_BAD_REQUEST}, {401, USM_ERR_UNAUTHORIZED},
    {403, USM_ERR_FORBIDDEN}, {404, USM_ERR_NOT_FOUND}, {405, USM_ERR_HTTP}, {409, USM_ERR_CONFLICT},
    {410, USM_ERR_GONE}, {415, USM_ERR_HTTP}, {423, USM_ERR_LOCKED}, {428, USM_ERR_HTTP},
    {429, USM_ERR_RATE_LIMITED}, {500, USM_ERR_SERVER}, {502, USM_ERR_SERVER}, {503, USM_ERR_SERVER},
    {504, USM_ERR_SERVER}, {302, USM_ERR_BAD_RESPONSE}, {0, USM_ERR_BAD_RESPONSE},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) CHECK_INT(usm__http_status_err(t[i].status), t[i].err);

  CHECK_INT(usm__curl_err(CURLE_OK), USM_OK);
  CHECK_INT(usm__curl_err(CURLE_OPERATION_TIMEDOUT), USM_ERR_TIMEOUT);
  CHECK_INT(usm__curl_err(CURLE_PEER_FAILED_VERIFICATION), USM_ERR_TLS);
  CHECK_INT(usm__curl_err(CURLE_SSL_CONNECT_ERROR), USM_ERR_TLS);
  CHECK_INT(usm__curl_err(CURLE_COULDNT_CONNECT), USM_ERR_NETWORK);
  CHECK_INT(usm__curl_err(CURLE_COULDNT_RESOLVE_HOST), USM_ERR_NETWORK);
  CHECK_INT(usm__curl_err(CURLE_RECV_ERROR), USM_ERR_NETWORK);
  CHECK_INT(usm__curl_err(CURLE_WRITE_ERROR), USM_ERR_RESPONSE_TOO_LARGE);
  CHECK_INT(usm__curl_err(CURLE_FILESIZE_EXCEEDED), USM_ERR_RESPONSE_TOO_LARGE);
}

static void test_retry_policy(void) {
  CHECK(usm__http_retryable(429, 0));
  CHECK(usm__http_retryable(423, 0));
  CHECK(usm__http_retryable(503, 0));
  CHECK(usm__http_retryable(502, 0));
  CHECK(usm__http_retryable(504, 0));
  CHECK(!usm__http_retryable(500, 0)); /* a POST that failed with 500 may have acted */
  CHECK(usm__http_retryable(500, 1));
  CHECK(!usm__http_retryable(400, 1));
  CHECK(!usm__http_retryable(404, 1));
  CHECK(!usm__http_retryable(401, 1));

  CHECK_INT(usm__backoff_ms(1, 0), 500);
  CHECK_INT(usm__backoff_ms(2, 0), 1000);
  CHECK_INT(usm__backoff_ms(3, 7), 2007);
  CHECK_INT(usm__backoff_ms(10, 0), 8000);
  CHECK_INT(usm__backoff_ms(1000, 0), 8000);
}

static void test_retry_after(void) {
  long long now = 1700000000; /* Tue, 14 Nov 2023 22:13:20 GMT */
#define RA(s) usm__parse_retry_after(s, strlen(s), now)
  CHECK_INT(RA("0"), 0);
  CHECK_INT(RA("5"), 5000);
  CHECK_INT(RA("  120 "), 120000);
  CHECK_INT(RA("Tue, 14 Nov 2023 22:13:30 GMT"), 10000);
  CHECK_INT(RA("Tue, 14 Nov 2023 22:13:00 GMT"), 0); /* in the past: now */
  CHECK_INT(RA(""), -1);
  CHECK_INT(RA("soon"), -1);
  CHECK_INT(RA("-5"), -1);
  CHECK_INT(RA("99999999999999999999"), -1); /* no overflow */
  CHECK_INT(RA("1.5"), -1);
#undef RA
}

static void test_link(void) {
  char out[256];
#define LN(s) usm__parse_link_next(s, strlen(s), out, sizeof out)
  CHECK_INT(LN("<https://webexapis.com/v1/meetings?max=10&cursor=abc>; rel=\"next\""), 1);
  CHECK_STR(out, "https://webexapis.com/v1/meetings?max=10&cursor=abc");
  CHECK_INT(LN("<https://a/prev>; rel=\"prev\", <https://a/next>; rel=\"next\""), 1);
  CHECK_STR(out, "https://a/next");
  CHECK_INT(LN("<https://a/n>;rel=next"), 1);
  CHECK_STR(out, "https://a/n");
  CHECK_INT(LN("<https://a/p>; rel=\"prev\""), 0);
  CHECK_INT(LN("<https://a/x>; rel=\"nextish\""), 0);
  CHECK_INT(LN("string"), 0); /* what an OpenAPI mock sends */
  CHECK_INT(LN("<unterminated; rel=\"next\""), 0);
  CHECK_INT(LN("<>; rel=\"next\""), 0);
  char tiny[8];
  CHECK_INT(usm__parse_link_next("<https://too.long/>; rel=next", 29, tiny, sizeof tiny), 0);
#undef LN
}

static void test_urls(void) {
  CHECK_INT(usm__url_check("https://webexapis.com/v1"), USM_OK);
  CHECK_INT(usm__url_check("http://127.0.0.1:4010"), USM_OK);
  CHECK_INT(usm__url_check("http://127.1.2.3:80/x"), USM_OK);
  CHECK_INT(usm__url_check("http://localhost:8080"), USM_OK);
  CHECK_INT(usm__url_check("http://[::1]:8080/"), USM_OK);
  CHECK_INT(usm__url_check("http://webexapis.com/v1"), USM_ERR_INSECURE_URL);
  CHECK_INT(usm__url_check("http://127.0.0.1.evil.com/"), USM_ERR_INSECURE_URL);
  CHECK_INT(usm__url_check("http://10.0.0.1/"), USM_ERR_INSECURE_URL);
  CHECK_INT(usm__url_check("ftp://127.0.0.1/"), USM_ERR_INSECURE_URL);
  CHECK_INT(usm__url_check("file:///etc/passwd"), USM_ERR_INSECURE_URL);
  CHECK_INT(usm__url_check("not a url"), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__url_check(""), USM_ERR_INVALID_ARG);
  CHECK_INT(usm__url_check(NULL), USM_ERR_INVALID_ARG);

  CHECK(usm__url_same_origin("https://webexapis.com/v1", "https://webexapis.com/v1/meetings?x=1"));
  CHECK(usm__url_same_origin("https://webexapis.com/v1", "https://WEBEXAPIS.com:443/v1"));
  CHECK(!usm__url_same_origin("https://webexapis.com/v1", "https://evil.com/v1"));
  CHECK(!usm__url_same_origin("https://webexapis.com/v1", "http://webexapis.com/v1"));
  CHECK(!usm__url_same_origin("http://127.0.0.1:4010", "http://127.0.0.1:4011/meetings"));

  usm_strbuf b;
  usm__strbuf_init(&b, 0);
  usm__strbuf_printf(&b, "https://h/meetings");
  CHECK_INT(usm__url_add_query(&b, "meetingNumber", "123 456"), 0);
  CHECK_INT(usm__url_add_query(&b, "hostEmail", "a+b@x.com"), 0);
  CHECK_INT(usm__url_add_query(&b, "skip", NULL), 0);
  CHECK_STR(usm__strbuf_str(&b), "https://h/meetings?meetingNumber=123%20456&hostEmail=a%2Bb%40x.com");
  usm__strbuf_reset(&b);
  CHECK_INT(usm__url_append_escaped(&b, "../a/b?c#d_~.-"), 0);
  CHECK_STR(usm__strbuf_str(&b), "..%2Fa%2Fb%3Fc%23d_~.-");
  usm__strbuf_free(&b);

  /* bounded buffer refuses growth past its limit */
  usm__strbuf_init(&b, 8);
  CHECK_INT(usm__strbuf_append(&b, "12345678", 8), 0);
  CHECK_INT(usm__strbuf_append(&b, "9", 1), -1);
  CHECK_STR(usm__strbuf_str(&b), "12345678");
  usm__strbuf_free(&b);
}

static void test_error_body(void) {
  const char *body = "{\"message\":\"The input parameters contain invalid items.\",\"errors\":[{\"description\":"
                     "\"Password must be at least 8 characters.\"},{\"description\":\"Title is too long.\"}],"
                     "\"trackingId\":\"19085D1FCFEE445DA358375500D25E44_1598154356721\"}";
  usm__rest_error_info info;
  usm__rest_error_parse(body, strlen(body), &info);
  CHECK_STR(info.message, "The input parameters contain invalid items. Password must be at least 8 "
                          "characters.; Title is too long.");
  CHECK_STR(info.tracking_id, "19085D1FCFEE445DA358375500D25E44_1598154356721");
  usm__rest_error_info_free(&info);

  const char *only_desc = "{\"errors\":[{\"description\":\"a\"},{\"description\":\"b\"}]}";
  usm__rest_error_parse(only_desc, strlen(only_desc), &info);
  CHECK_STR(info.message, "a; b");
  CHECK(info.tracking_id == NULL);
  usm__rest_error_info_free(&info);

  const char *bad[] = {"", "not json", "[1,2]", "{\"message\":5}", "{\"errors\":\"x\"}", "{\"message\":"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    usm__rest_error_parse(bad[i], strlen(bad[i]), &info);
    CHECK(info.message == NULL && info.tracking_id == NULL);
    usm__rest_error_info_free(&info);
  }
  usm__rest_error_parse(NULL, 0, &info);
  CHECK(info.message == NULL);
}

int main(void) {
  test_status_mapping();
  test_retry_policy();
  test_retry_after();
  test_link();
  test_urls();
  test_error_body();
  return check_done("test_http_status");
}
