/* Roster changes between two DTOs, the host, and the public view of a
 * participant. Pure. */
#ifndef USM_MEETING_ROSTER_H
#define USM_MEETING_ROSTER_H

#include <usm/meeting.h>

#include "meeting/locus_dto.h"

/* Called once per difference; @p was: the old entry for CHANGED, else
 * NULL. Return 0 to stop. */
typedef int (*usm__roster_fn)(void *ctx, usm_roster_change change, const usm__lpart *p, const usm__lpart *was);

/*
 * Compare rosters by participant id: JOINED and CHANGED in @p cur's order,
 * then LEFT in @p old's order (@p p is then the old entry). Either may be
 * NULL (empty). O(n log n).
 * @return 1 when every difference was reported, 0 when @p fn stopped.
 */
int usm__roster_diff(const usm__locus *old, const usm__locus *cur, usm__roster_fn fn, void *ctx);

/* Whether anything the application sees differs. */
int usm__lpart_differs(const usm__lpart *a, const usm__lpart *b);

/* The first roster entry holding the host (moderator) role, or NULL. */
const usm__lpart *usm__roster_host(const usm__locus *l);

/* The public view; strings point into @p p. */
void usm__lpart_view(const usm__lpart *p, usm_participant *out);

#endif
