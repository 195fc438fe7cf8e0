/*
 * json.h - JSON as lade reads and writes it (json.c: checked parsing, the
 * split reader, Go-style output) and the cJSON bridge for descriptors
 * (descriptor.c), shared by the targets. Internal; what kinds written
 * outside liblade may use is public in lade/sys/json.h, the one public
 * header that names cJSON.
 */
#ifndef LADE_JSON_H
#define LADE_JSON_H

#include "lade/manifest.h"
#include <cjson/cJSON.h>
#include "lade/sys/json.h"

/* Sizes travel as JSON numbers (doubles): beyond 2^53 they are not exact. */
#define LADE__JSON_MAX_EXACT_SIZE 9007199254740992.0

/* A string field of obj into *out (malloc'd), NULL when absent; required: absence is an error. */
int lade__json_get_string(char **out, const cJSON *obj, const char *key, int required, const char *what);
/* The "annotations" object of obj (string values only). */
int lade__annotations_from_json(lade_annotations *out, const cJSON *obj, const char *what);

/* Decode a descriptor object; what names it in messages ("layers[2]"). */
int lade__descriptor_from_json(lade_descriptor *out, const cJSON *obj, const char *what);

/* Encode a descriptor as a new object (Go key order); NULL on allocation failure. */
cJSON *lade__descriptor_to_json(const lade_descriptor *d);

/* As lade_json_parse, and every number must be an integer literal (manifests, indexes, index.json). */
int lade__json_parse_descriptors(cJSON **out, const char *data, size_t len, size_t cap, const char *what);

/*
 * A manifest, index, index.json or tag list page with its big arrays
 * ("layers", "manifests", "tags") cut out: rest is the document with them emptied (caller
 * deletes), and the arrays' text is read one element at a time with
 * lade__json_split_each, so a 20,000-entry array never exists as one cJSON
 * tree. When the text cannot be split, rest is the whole document and the
 * array pointers are NULL; split_each then walks rest's array. Numbers must
 * be integers and no NUL may appear (lade__json_parse_descriptors).
 */
typedef struct lade__json_split {
	cJSON *rest;
	const char *layers, *layers_end; /* "[...]" in the caller's text, or NULL */
	const char *manifests, *manifests_end;
	const char *tags, *tags_end; /* a registry's tag list page */
} lade__json_split;

int lade__json_split_parse(const char *data, size_t len, size_t cap, const char *what, lade__json_split *sp);

/* Called for each element: its text (NULL when it came from rest), its parse, its index. Non-zero stops. */
typedef int (*lade__json_element_cb)(const char *text, size_t len, const cJSON *item, size_t index, void *payload);

/* Call cb for each element of array key ("layers", "manifests" or "tags"), in order. Returns cb's stop value or an error. */
int lade__json_split_each(const lade__json_split *sp, const char *key, const char *what, lade__json_element_cb cb,
			  void *payload);

/* Print compact JSON into out (appended). */

#endif
