/* A reader of YUV4MPEG2 (.y4m) files as usm_meeting_play() sends them: 4:2:0
 * (C420, C420jpeg, C420paligned, C420mpeg2 or no C tag), even sizes within
 * 16..3840 x 16..2160, frame rate 1..120. The file is untrusted: the header
 * and each frame header are bounded and every number is checked. See
 * docs/media-files.md. */
#ifndef USM_SOURCE_Y4M_READER_H
#define USM_SOURCE_Y4M_READER_H

#include <stddef.h>
#include <stdint.h>
#include <usm/common.h>

typedef struct usm__y4m_reader usm__y4m_reader;

#define USM__Y4M_MIN_SIZE 16u
#define USM__Y4M_MAX_WIDTH 3840u
#define USM__Y4M_MAX_HEIGHT 2160u
#define USM__Y4M_MAX_FPS 120u
/* Longest stream header and frame header line, '\n' included. */
#define USM__Y4M_MAX_HEADER 1024u
#define USM__Y4M_MAX_FRAME_HEADER 256u

/* Opens @p path. USM_ERR_NOT_FOUND when it cannot be opened,
 * USM_ERR_MALFORMED for a broken header, USM_ERR_INVALID_ARG for a
 * well-formed header out of the accepted set, USM_ERR_NO_MEMORY. */
usm_err usm__y4m_open(const char *path, usm__y4m_reader **out);
/* The same; on failure @p why (if not NULL) holds the reason as text. */
usm_err usm__y4m_open_why(const char *path, usm__y4m_reader **out, char *why, size_t why_size);
/* The next frame: 1 with @p plane / @p stride pointing into the reader's
 * buffer (valid until the next read, rewind or close); 0 at the clean end
 * of the file; -1 for a broken frame header or a truncated frame. */
int usm__y4m_read(usm__y4m_reader *r, uint8_t *plane[3], int stride[3]);
/* Back to the first frame. */
usm_err usm__y4m_rewind(usm__y4m_reader *r);
unsigned usm__y4m_width(const usm__y4m_reader *r);
unsigned usm__y4m_height(const usm__y4m_reader *r);
/* The F tag: num/den frames per second. */
void usm__y4m_fps(const usm__y4m_reader *r, unsigned *num, unsigned *den);
void usm__y4m_close(usm__y4m_reader *r); /* NULL is fine */

#endif
