/* PNG snapshot writer (png_writer.h), on libpng's simplified API. */
#include "png_writer.h"

#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

static uint8_t clip(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

int usmrec_png_write_i420(const char *path, const uint8_t *const plane[3], const int stride[3], unsigned width,
                          unsigned height) {
  if (!path || !plane || !stride || !plane[0] || !plane[1] || !plane[2] || width < 2 || height < 2 ||
      width > 16384 || height > 16384 || (width & 1u) || (height & 1u) || stride[0] < (int)width ||
      stride[1] < (int)(width / 2) || stride[2] < (int)(width / 2)) {
    errno = EINVAL;
    return -1;
  }
  uint8_t *rgb = malloc((size_t)width * height * 3);
  if (!rgb) return -1;
  /* BT.601, limited range (Y 16..235, C 16..240), in 8-bit fixed point. */
  for (unsigned y = 0; y < height; y++) {
    const uint8_t *yr = plane[0] + (size_t)y * (size_t)stride[0];
    const uint8_t *ur = plane[1] + (size_t)(y / 2) * (size_t)stride[1];
    const uint8_t *vr = plane[2] + (size_t)(y / 2) * (size_t)stride[2];
    uint8_t *o = rgb + (size_t)y * width * 3;
    for (unsigned x = 0; x < width; x++) {
      int c = yr[x] - 16, d = ur[x / 2] - 128, e = vr[x / 2] - 128;
      o[3 * x] = clip((298 * c + 409 * e + 128) >> 8);
      o[3 * x + 1] = clip((298 * c - 100 * d - 208 * e + 128) >> 8);
      o[3 * x + 2] = clip((298 * c + 516 * d + 128) >> 8);
    }
  }
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = width;
  img.height = height;
  img.format = PNG_FORMAT_RGB;
  int ok = png_image_write_to_file(&img, path, 0, rgb, (png_int_32)(width * 3), NULL);
  int e = errno;
  png_image_free(&img);
  free(rgb);
  if (!ok) {
    errno = e ? e : EIO;
    return -1;
  }
  return 0;
}
