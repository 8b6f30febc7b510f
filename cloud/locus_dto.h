/* The Locus DTO: a session as one participant sees it. */
#ifndef USM_CLOUD_LOCUS_DTO_H
#define USM_CLOUD_LOCUS_DTO_H

#include <cjson/cJSON.h>

#include "app.h"
#include "locus_model.h"

/* "{base}/locus/api/v1/loci/<id>" */
void cloud_locus_url(const cloud_app *app, const cloud_locus *l, char *out, size_t cap);
/* The full DTO; "self" is @p viewer's participant (absent if never joined). */
cJSON *cloud_locus_dto(const cloud_app *app, const cloud_locus *l, const cloud_user *viewer);

#endif
