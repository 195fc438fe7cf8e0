/*
 * lade/sys/json.h - JSON as lade reads and writes it, for kinds and targets
 * written outside liblade. Writing follows Go's encoding/json byte for
 * byte (what Helm, ORAS and the registries' Go clients produce), so a
 * config a kind writes has the digest the reference tool's would.
 *
 * These are the only public functions that take cJSON values; a caller
 * includes <cjson/cJSON.h> and links libcjson itself. Every other public
 * header is free of cJSON.
 */
#ifndef LADE_SYS_JSON_H
#define LADE_SYS_JSON_H

#include "lade/manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;

/*
 * Parse len bytes of JSON under a cap; the document must be an object, and
 * a NUL (raw or \u0000) anywhere is refused: cJSON would cut the string
 * there. Caller deletes.
 */
LADE_EXTERN int lade_json_parse(struct cJSON **out, const char *data, size_t len, size_t cap, const char *what);

/* json as Go's json.Marshal writes it: compact, keys in order, `<`, `>`, `&`, U+2028/9 and invalid UTF-8 escaped. */
LADE_EXTERN int lade_json_print(lade_buf *out, const struct cJSON *json);

/* Go's JSON encoding of the string s[0..len) (quotes included), appended to out. */
LADE_EXTERN int lade_json_string(lade_buf *out, const char *s, size_t len);

/* One UTF-8 rune of s[0..len) as Go decodes it: its length, or 0 for an invalid byte (*rune = U+FFFD). */
LADE_EXTERN size_t lade_utf8_decode(const unsigned char *s, size_t len, unsigned *rune);

/* Annotations as a JSON object, keys sorted (Go's map order). NULL when out of memory. */
LADE_EXTERN struct cJSON *lade_annotations_to_json(const lade_annotations *a);

#ifdef __cplusplus
}
#endif

#endif
