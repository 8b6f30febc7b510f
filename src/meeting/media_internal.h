/* The meeting's media session (media.c), as the rest of the meeting layer
 * and the codec layer see it. Internal. */
#ifndef USM_MEETING_MEDIA_INTERNAL_H
#define USM_MEETING_MEDIA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <usm/meeting.h>

#include "media/rtp_session.h"
#include "meeting/roap.h"

typedef struct usm__media usm__media;

/* Every received RTP payload of a negotiated kind (valid during the call). */
typedef void (*usm__media_tap)(usm_meeting *m, usm__media_kind kind, uint32_t ssrc, const uint8_t *payload,
                               size_t len, uint32_t timestamp, uint16_t seq, int marker, void *user);

/* Start media after the join when m->media_flags asks for it: ROAP, ICE,
 * DTLS. 0 when the meeting is gone (an event callback destroyed it). */
int usm__media_start(usm_meeting *m);
/* Stop at once (no more callbacks); memory goes on the next loop turn. */
void usm__media_stop(usm_meeting *m);
/* A ROAP message the server pushed over Mercury for this meeting. */
void usm__media_on_roap(usm_meeting *m, const usm__roap_msg *msg);

/* Send one payload as the next RTP packet of @p kind (the codec layer
 * packetizes). USM_ERR_WRONG_STATE unless media is CONNECTED. */
usm_err usm__media_send(usm_meeting *m, usm__media_kind kind, const uint8_t *payload, size_t len, int marker);
void usm__media_set_tap(usm_meeting *m, usm__media_tap tap, void *user);

#endif
