/* Mercury event envelopes and Locus change analysis (pure JSON, no I/O):
 * what changed between two viewer-less DTOs, who must hear of it, which
 * eventType a full DTO carries, and the locus.difference delta. */
#ifndef USM_CLOUD_MERCURY_EVENTS_H
#define USM_CLOUD_MERCURY_EVENTS_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Bytes kept free after an envelope's text for ',"sequenceNumber":N}'. */
#define CLOUD_MERC_SEQ_TAIL 48

/*
 * Serializes {"id","data":@p data,"timestamp","trackingId","headers":{}}
 * WITHOUT its closing brace, so the sequenceNumber can be appended when
 * the frame is written (sequence numbers follow the write order). Takes
 * @p data. Returns malloc'd text (NULL: no memory), its length in *len.
 */
char *cloud_merc_envelope(cJSON *data, size_t *len);
/* Appends ',"sequenceNumber":N}' at @p text + @p len (CLOUD_MERC_SEQ_TAIL
 * bytes free); returns the new length. */
size_t cloud_merc_close_envelope(char *text, size_t len, unsigned long long seq);

/* A locus change: the viewer-less DTOs before (NULL: unknown) and after. */
typedef struct cloud_merc_change {
  const cJSON *before;
  const cJSON *after;
} cloud_merc_change;

/* eventType of the full DTO events of @p c (from what changed). */
const char *cloud_merc_event_type(const cloud_merc_change *c);
/* Whether user @p uid hears of @p c: a participant joined or in the lobby
 * after it, or one who left in it. */
int cloud_merc_is_recipient(const cloud_merc_change *c, const char *uid);
/* The locus.difference delta of @p c for viewer @p uid, or NULL when none
 * can be made (no "before", or the sequences are not consecutive). */
cJSON *cloud_merc_delta(const cloud_merc_change *c, const char *uid);

#endif
