/* Uses libusm only through its installed headers and package. */
#include <stdio.h>
#include <string.h>
#include <usm/usm.h>

int main(void) {
  if (usm_version() != USM_VERSION_NUM) return 1;
  usm_destination d;
  if (usm_destination_parse("2551 234 5678", USM_DEST_AUTO, &d) != USM_OK) return 2;
  if (d.type != USM_DEST_MEETING_NUMBER || strcmp(d.value, "25512345678") != 0) return 3;
  usm_client_options o;
  usm_client_options_init(&o);
  o.access_token = "t";
  usm_client *c = NULL;
  if (usm_client_create(&o, &c) != USM_OK) return 4;
  usm_client_destroy(c);
  printf("consumer ok: libusm %s\n", usm_version_string());
  return 0;
}
