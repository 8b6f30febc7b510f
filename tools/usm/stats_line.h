/* `usm join --stats`: a usm_media_stats as one short line, e.g.
 *   t=12s audio tx 32k rx 31k loss 0% jb 60ms | video tx 600k 640x360@30 rx 590k 30fps
 *   loss 0% nack 3 pli 0 | rtt 2ms bwe 1.2M
 * (one line), as a JSON object with every counter, and the totals at the end. */
#ifndef USM_CLI_STATS_LINE_H
#define USM_CLI_STATS_LINE_H

#include <stddef.h>
#include <stdio.h>
#include <usm/usm.h>

void cli_stats_line(const usm_media_stats *s, char *buf, size_t cap);
/* {"<key>":{...}} and a newline; key "stats" per second, "totals" at the end. */
void cli_stats_json(FILE *f, const char *key, const usm_media_stats *s);
/* "media totals: ..." for the end of a session (human output). */
void cli_stats_totals(FILE *f, const usm_media_stats *s);

#endif
