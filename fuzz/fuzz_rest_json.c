/* Every JSON body parser of the REST client on arbitrary bytes: meeting,
 * invitee, their lists, and the error body. */
#include <stdint.h>
#include <stdlib.h>

#include "rest/json.h"
#include "rest/meeting_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  usm__rest_error_info info;
  usm__rest_error_parse(text, size, &info);
  if (info.message && info.message[0] == '\0') abort(); /* present means non-empty */
  usm__rest_error_info_free(&info);

  cJSON *root = usm__json_parse(text, size);
  if (!root) return 0;
  usm_rest_meeting m;
  if (usm__parse_meeting(root, &m) == USM_OK && (!m.id || !m.id[0])) abort();
  usm_rest_invitee inv;
  if (usm__parse_invitee(root, &inv) == USM_OK && (!inv.id || !inv.email)) abort();
  usm_rest_meeting *ms;
  size_t n;
  if (usm__parse_meeting_items(root, &ms, &n) == USM_OK) {
    for (size_t i = 0; i < n; i++)
      if (!ms[i].id) abort();
    free(ms);
  }
  usm_rest_invitee *is;
  if (usm__parse_invitee_items(root, &is, &n) == USM_OK) {
    for (size_t i = 0; i < n; i++)
      if (!is[i].email) abort();
    free(is);
  }
  cJSON_Delete(root);
  return 0;
}
