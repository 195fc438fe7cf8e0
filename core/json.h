/*
 * json.h - cJSON bridges for descriptors, shared by manifest.c and the
 * targets. Internal: cJSON never appears in a public header.
 */
#ifndef LADE_JSON_H
#define LADE_JSON_H

#include "lade/manifest.h"
#include <cjson/cJSON.h>

/* Decode a descriptor object; what names it in messages ("layers[2]"). */
int lade__descriptor_from_json(lade_descriptor *out, const cJSON *obj, const char *what);

/* Encode a descriptor as a new object (Go key order); NULL on allocation failure. */
cJSON *lade__descriptor_to_json(const lade_descriptor *d);

/*
 * Parse len bytes of JSON under a cap; the document must be an object, and
 * a NUL (raw or \u0000) anywhere is refused: cJSON would cut the string
 * there. Caller deletes.
 */
int lade__json_parse(cJSON **out, const char *data, size_t len, size_t cap, const char *what);

/* As lade__json_parse, and every number must be an integer literal (manifests, indexes, index.json). */
int lade__json_parse_descriptors(cJSON **out, const char *data, size_t len, size_t cap, const char *what);

/* Print compact JSON into out (appended). */
int lade__json_print(lade_buf *out, const cJSON *json);

#endif
