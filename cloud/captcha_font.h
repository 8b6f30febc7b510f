/* Internal: the captcha image's font and layout, shared with the tests
 * that read the digits back out of the PNG. */
#ifndef USM_CLOUD_CAPTCHA_FONT_H
#define USM_CLOUD_CAPTCHA_FONT_H

#define CLOUD_CAPTCHA_MAX_DIGITS 12
#define CLOUD_CAPTCHA_GLYPH_W 5 /* font bitmap: 7 rows of 5 bits, bit 4 leftmost */
#define CLOUD_CAPTCHA_GLYPH_H 7
#define CLOUD_CAPTCHA_SCALE 6 /* each font bit becomes a 6x6 block */
#define CLOUD_CAPTCHA_CELL_W 40 /* one digit per cell */
#define CLOUD_CAPTCHA_CELL_H 64
#define CLOUD_CAPTCHA_MARGIN 8 /* border around the row of cells */
#define CLOUD_CAPTCHA_JITTER_X 3 /* max deterministic glyph shift in a cell, px */
#define CLOUD_CAPTCHA_JITTER_Y 5
#define CLOUD_CAPTCHA_INK 30 /* gray level of the digits; background is 255 */

/* The 7 rows of the glyph for '0'..'9', or NULL for any other char. */
const unsigned char *cloud_captcha_glyph(char digit);

#endif
