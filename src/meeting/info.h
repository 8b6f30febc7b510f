/* Meeting info (wbxappapi, POST {webex-appapi-service}/meetingInfo): the
 * request body for a destination, and what an answer means. Pure. */
#ifndef USM_MEETING_INFO_H
#define USM_MEETING_INFO_H

#include <cjson/cJSON.h>
#include <usm/meeting.h>

/* Bounds on strings taken from an answer. */
#define USM__INFO_STR_MAX 4096
#define USM__INFO_TOKEN_MAX 16384

/* One meeting-info request. NULL members are not sent. */
typedef struct usm__info_query {
  const char *key;      /* "meetingKey", "sipUrl", "meetingUrl" or "userId" */
  const char *value;
  const char *org_id;   /* with userId */
  const char *permission_token; /* refresh of an expiring token */
  const char *password; /* or host key */
  const char *captcha_id;
  const char *captcha_code;
} usm__info_query;

/*
 * The key and value for a classified destination. @p person_email is the
 * address a PERSON_ID resolved to; @p user_id / @p org_id the person a
 * PERSONAL_ROOM given as UUID or "" resolved to. An email PERSONAL_ROOM is
 * asked by sipUrl, the address the cloud maps to that user's personal room.
 * @return USM_OK, or USM_ERR_INVALID_ARG when a needed resolution is missing.
 */
usm_err usm__info_query_for(const usm_destination *d, const char *person_email, const char *user_id,
                            const char *org_id, usm__info_query *q);

/* {"supportHostKey":true,"supportCountryList":true,...}; free with cJSON_free. NULL: out of memory. */
char *usm__info_body(const usm__info_query *q);

typedef enum usm__info_kind {
  USM__INFO_OK,        /* the info */
  USM__INFO_PASSWORD,  /* 403, not a policy code: password required or wrong */
  USM__INFO_CAPTCHA,   /* 423 with a captcha */
  USM__INFO_POLICY,    /* 403 with one of the six policy codes */
  USM__INFO_NOT_FOUND, /* 404 */
  USM__INFO_ERROR      /* anything else; see err */
} usm__info_kind;

/* An answer, classified. Strings point into root (or are NULL). */
typedef struct usm__info_result {
  usm__info_kind kind;
  usm_err err;            /* USM_OK or the usm_err this answer means */
  long code;              /* the body's "code", 0 when absent */
  int password_required;  /* CAPTCHA: 423005/423006 also demand the password */
  const char *message;    /* the body's "message", or NULL */
  /* OK: the info; PASSWORD/POLICY: the partial data.meetingInfo */
  const char *meeting_number, *sip_url, *join_url, *locus_url, *permission_token;
  const char *host_id, *owner, *meeting_id, *title;
  /* CAPTCHA */
  const char *captcha_id, *captcha_image, *captcha_audio, *captcha_refresh;
  cJSON *root;
} usm__info_result;

/*
 * Classify an answer: @p http_status (0: none) with @p err as the HTTP layer
 * mapped it, and the body. A 200 that is not an object naming the meeting
 * (or whose locusUrl is not https), and a 423 without captchaID, are
 * USM__INFO_ERROR with USM_ERR_BAD_RESPONSE.
 */
void usm__info_classify(int http_status, usm_err err, const char *body, size_t len, usm__info_result *out);
void usm__info_result_free(usm__info_result *r);

/* A captcha refresh answer: {captchaID, verificationImageURL, verificationAudioURL}. */
usm_err usm__captcha_parse(const cJSON *root, const char **id, const char **image, const char **audio);

#endif
