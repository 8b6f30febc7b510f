/* Captcha media served by usm-cloud: after too many wrong meeting
 * passwords the captcha's image and audio URLs return these, so that a
 * person (or a test) can read or hear the code. */
#ifndef USM_CLOUD_CAPTCHA_MEDIA_H
#define USM_CLOUD_CAPTCHA_MEDIA_H

#include <stddef.h>

/* Render the captcha code (ASCII digits '0'-'9', 1..12 chars). 0 and a
 * malloc'd buffer (caller frees), or -1 on bad input / no memory. */
int cloud_captcha_png(const char *code, unsigned char **out, size_t *len);
int cloud_captcha_wav(const char *code, unsigned char **out, size_t *len);

#endif
