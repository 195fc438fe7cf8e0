/*
 * goyaml.h - YAML as Helm's Go code reads it, for Chart.yaml: values as
 * go-yaml v2 decodes them into interface{} (goyaml.c), then read into C
 * structs by the rules of sigs.k8s.io/yaml and encoding/json
 * (goyaml_json.c), and the Go formatting those bytes depend on
 * (strconv floats, unicode spaces and printables). Internal to liblade.
 *
 * Ownership: a yv_doc owns every node of a document (aliases share nodes);
 * lade__yv_doc_dispose frees them all. Entry lists and string lists are
 * the caller's, freed with their _free functions.
 */
#ifndef LADE_MEDIATYPES_GOYAML_H
#define LADE_MEDIATYPES_GOYAML_H

#include "lade/common.h"

/* go-yaml's nesting limit; past it a document is refused as it opens. */
#define YAML_DEPTH_MAX 10000
/* Values in one document: real ones hold hundreds; this bounds memory before building. */
#define YAML_NODES_MAX 200000
/* Nodes visited while converting, aliases expanded (go-yaml's "excessive aliasing"). */
#define YAML_EXPANSION_MAX 100000

typedef enum { YV_NULL, YV_BOOL, YV_INT, YV_UINT, YV_FLOAT, YV_STR, YV_SEQ, YV_MAP } yv_type;

typedef struct yv yv;
struct yv {
	yv_type type;
	int boolean;
	int64_t i;
	uint64_t u;
	double f;
	char *s;      /* YV_STR */
	yv **items;   /* YV_SEQ: items; YV_MAP: key, value, key, value... */
	size_t count; /* items used */
	size_t cap;
	size_t line;
};

/* Every node of a document, owned in one list: aliases share nodes, so nothing is freed twice. */
typedef struct yv_doc {
	yv **nodes;
	size_t count, cap;
	yv *root;
	const char *path;
	size_t budget;
} yv_doc;

/*
 * Compose the first document of text into d (d->path names the chart in
 * messages, what the file): nesting counted as it opens, NULs in scalars
 * refused, plain scalars resolved as go-yaml v2 resolves them.
 */
int lade__yv_compose(yv_doc *d, const unsigned char *text, size_t len, const char *what);
void lade__yv_doc_dispose(yv_doc *d);

/* strconv.FormatFloat(x, 'g', -1, 32): a YAML float read into a string field. */
void lade__go_format_float32(double x, char *out, size_t outlen);
/* encoding/json's float64: 'f', or 'e' below 1e-6 and from 1e21. */
void lade__go_format_json_float(double x, char *out, size_t outlen);
/* Helm's sanitizeString, in place: unicode spaces become ' ', what does not print goes. */
void lade__go_sanitize(char *s);
/* strings.TrimSpace(s) == "" */
int lade__go_blank(const char *s);

/* ---- reading values into structs (goyaml_json.c) ---- */

typedef struct lade__yv_ctx {
	yv_doc doc;
	const char *what; /* "Chart.yaml" */
} lade__yv_ctx;

/* A []string field: present = a list was given (a non-nil slice). */
typedef struct lade__go_strings {
	char **items;
	size_t count;
	int present;
} lade__go_strings;

typedef struct lade__yv_entry {
	char *key;
	yv *value;
	size_t order;
} lade__yv_entry;

/* "a string", "a list", ... for messages */
const char *lade__yv_type_name(const yv *v);
/* The refusal Helm makes too: field (line) is a T where Helm expects expected. */
int lade__yv_type_error(lade__yv_ctx *c, const char *field, const yv *v, const char *expected);
/* One more node visited; LADE_ETOOLARGE past YAML_EXPANSION_MAX. */
int lade__yv_spend(lade__yv_ctx *c);
/* A mapping's entries as encoding/json meets them: string keys, sorted, a key given twice once (the later). */
int lade__yv_sorted_entries(lade__yv_ctx *c, const yv *map, lade__yv_entry **out, size_t *count);
void lade__yv_entries_free(lade__yv_entry *e, size_t n);
/* Field setters with json.Unmarshal's rules: null leaves the field alone (a list: made nil). */
int lade__yv_set_string(lade__yv_ctx *c, const char *field, const yv *v, char **dest);
int lade__yv_set_bool(lade__yv_ctx *c, const char *field, const yv *v, int *dest);
int lade__yv_set_strings(lade__yv_ctx *c, const char *field, const yv *v, lade__go_strings *dest);
void lade__go_strings_free(lade__go_strings *l);
/* Go's JSON of a generic value (interface{} after the round trip), appended to out; out NULL: only checked. */
int lade__yv_json(lade__yv_ctx *c, const char *field, const yv *root, lade_buf *out);
/* A key no field takes: ignored, but it must still go through JSON. */
int lade__yv_check_unknown(lade__yv_ctx *c, const char *key, const yv *v);
/* encoding/json's field-name match: case-insensitive. */
int lade__yv_field_is(const char *key, const char *name);
/* Each entry of map, sorted, given to set; set returns 1 for a key no field takes. */
int lade__yv_each_field(lade__yv_ctx *c, const yv *map, int (*set)(lade__yv_ctx *, const char *, const yv *, void *),
			void *target);
/* A []*T field: null entries stay NULL; fill reads a mapping into a new zeroed T of size bytes. */
int lade__yv_set_struct_list(lade__yv_ctx *c, const char *field, const yv *v, void ***items, size_t *count, size_t size,
			     int (*fill)(lade__yv_ctx *, const yv *, void *), void (*release)(void *));

#endif
