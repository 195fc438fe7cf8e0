/*
 * json.h - JSON as lade reads and writes it (json.c: checked parsing, the
 * split reader, Go-style output) and the cJSON bridge for descriptors
 * (manifest.c), shared by the targets. Internal: cJSON never appears in a
 * public header.
 */
#ifndef LADE_JSON_H
#define LADE_JSON_H

#include "lade/manifest.h"
#include <cjson/cJSON.h>

/* Sizes travel as JSON numbers (doubles): beyond 2^53 they are not exact. */
#define LADE__JSON_MAX_EXACT_SIZE 9007199254740992.0

/* A string field of obj into *out (malloc'd), NULL when absent; required: absence is an error. */
int lade__json_get_string(char **out, const cJSON *obj, const char *key, int required, const char *what);
/* The "annotations" object of obj (string values only). */
int lade__annotations_from_json(lade_annotations *out, const cJSON *obj, const char *what);
/* Annotations as a JSON object, keys sorted (Go's map order). NULL when out of memory. */
cJSON *lade__annotations_to_json(const lade_annotations *a);

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
/* json as Go's json.Marshal writes it: compact, keys in order, `<`, `>`, `&`, U+2028/9 and invalid UTF-8 escaped. */
int lade__json_print(lade_buf *out, const cJSON *json);

/* Go's JSON encoding of the string s[0..len) (quotes included), appended to out. */
int lade__go_json_string(lade_buf *out, const char *s, size_t len);

/* One UTF-8 rune of s[0..len) as Go decodes it: its length, or 0 for an invalid byte (*rune = U+FFFD). */
size_t lade__utf8_decode(const unsigned char *s, size_t len, unsigned *rune);

#endif
