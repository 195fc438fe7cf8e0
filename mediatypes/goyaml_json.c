/*
 * YAML values read into C structs as sigs.k8s.io/yaml and encoding/json
 * read them into Go structs: the document becomes JSON (map keys as
 * strings, values converted to strings where the field is a string: a
 * float through 32-bit shortest formatting), then json.Unmarshal fills
 * the fields (names matched case-insensitively, keys in sorted order, the
 * later winning, null leaving a field alone). Unknown keys are ignored
 * but must still be valid JSON (no .nan, no list as a key).
 */
#include "lade/sys/util.h"
#include "goyaml.h"
#include "lade/sys/json.h"
#include <cjson/cJSON.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *lade__yv_type_name(const yv *v)
{
	switch (v->type) {
	case YV_NULL:
		return "null";
	case YV_BOOL:
		return "a boolean";
	case YV_INT:
	case YV_UINT:
	case YV_FLOAT:
		return "a number";
	case YV_STR:
		return "a string";
	case YV_SEQ:
		return "a list";
	default:
		return "a mapping";
	}
}

int lade__yv_type_error(lade__yv_ctx *c, const char *field, const yv *v, const char *expected)
{
	return lade_error_set(LADE_EINVALID,
			      "chart '%s': %s: '%s' (line %zu) is %s where Helm expects %s; Helm refuses it too",
			      c->doc.path, c->what, field, v->line, lade__yv_type_name(v), expected);
}

int lade__yv_spend(lade__yv_ctx *c)
{
	if (c->doc.budget == 0)
		return lade_error_set(LADE_ETOOLARGE, "chart '%s': %s: too many aliases (expands past %d values)",
				      c->doc.path, c->what, YAML_EXPANSION_MAX);
	c->doc.budget--;
	return 0;
}

/* A map key as sigs.k8s.io/yaml writes it in JSON; malloc'd. */
static int key_string(lade__yv_ctx *c, const yv *k, char **out)
{
	char text[64];
	switch (k->type) {
	case YV_STR:
		*out = lade_strdup(k->s);
		break;
	case YV_INT:
		snprintf(text, sizeof(text), "%lld", (long long)k->i);
		*out = lade_strdup(text);
		break;
	case YV_BOOL:
		*out = lade_strdup(k->boolean ? "true" : "false");
		break;
	case YV_FLOAT:
		lade__go_format_float32(k->f, text, sizeof(text));
		if (!strcmp(text, "+Inf"))
			strcpy(text, ".inf");
		else if (!strcmp(text, "-Inf"))
			strcpy(text, "-.inf");
		else if (!strcmp(text, "NaN"))
			strcpy(text, ".nan");
		*out = lade_strdup(text);
		break;
	default:
		return lade_error_set(LADE_EINVALID,
				      "chart '%s': %s: a mapping key (line %zu) is %s; Helm refuses it too",
				      c->doc.path, c->what, k->line, lade__yv_type_name(k));
	}
	return *out ? 0 : lade_error_set_oom();
}

static int entry_cmp(const void *a, const void *b)
{
	const lade__yv_entry *x = a, *y = b;
	int d = strcmp(x->key, y->key);
	return d ? d : (x->order < y->order ? -1 : 1);
}

void lade__yv_entries_free(lade__yv_entry *e, size_t n)
{
	while (n)
		free(e[--n].key);
	free(e);
}

/*
 * A mapping's entries as encoding/json meets them: keys as strings, in
 * sorted order (json.Marshal of a Go map), a key given twice once (the
 * later one, as go-yaml's map assignment keeps).
 */
int lade__yv_sorted_entries(lade__yv_ctx *c, const yv *map, lade__yv_entry **out, size_t *count)
{
	size_t n = map->count / 2, i, kept = 0;
	lade__yv_entry *e = calloc(n ? n : 1, sizeof(*e));
	int err;
	if (!e)
		return lade_error_set_oom();
	for (i = 0; i < n; i++) {
		if ((err = lade__yv_spend(c)) < 0 || (err = key_string(c, map->items[2 * i], &e[i].key)) < 0) {
			lade__yv_entries_free(e, i);
			return err;
		}
		e[i].value = map->items[2 * i + 1];
		e[i].order = i;
	}
	qsort(e, n, sizeof(*e), entry_cmp);
	for (i = 0; i < n; i++) {
		if (i + 1 < n && !strcmp(e[i].key, e[i + 1].key)) {
			free(e[i].key);
			continue;
		}
		e[kept++] = e[i];
	}
	*out = e;
	*count = kept;
	return 0;
}

/* json.Unmarshal into a string field of a value converted for a string target. Null leaves it. */
int lade__yv_set_string(lade__yv_ctx *c, const char *field, const yv *v, char **dest)
{
	char text[64];
	const char *s = text;
	char *copy;
	switch (v->type) {
	case YV_NULL:
		return 0;
	case YV_STR:
		s = v->s;
		break;
	case YV_BOOL:
		s = v->boolean ? "true" : "false";
		break;
	case YV_INT:
		snprintf(text, sizeof(text), "%lld", (long long)v->i);
		break;
	case YV_UINT:
		snprintf(text, sizeof(text), "%llu", (unsigned long long)v->u);
		break;
	case YV_FLOAT:
		lade__go_format_float32(v->f, text, sizeof(text));
		break;
	default:
		return lade__yv_type_error(c, field, v, "a string");
	}
	if (!(copy = lade_strdup(s)))
		return lade_error_set_oom();
	free(*dest);
	*dest = copy;
	return 0;
}

int lade__yv_set_bool(lade__yv_ctx *c, const char *field, const yv *v, int *dest)
{
	if (v->type == YV_NULL)
		return 0;
	if (v->type != YV_BOOL)
		return lade__yv_type_error(c, field, v, "true or false");
	*dest = v->boolean;
	return 0;
}

void lade__go_strings_free(lade__go_strings *l)
{
	while (l->count)
		free(l->items[--l->count]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

int lade__yv_set_strings(lade__yv_ctx *c, const char *field, const yv *v, lade__go_strings *dest)
{
	size_t i;
	int err;
	lade__go_strings_free(dest);
	if (v->type == YV_NULL)
		return 0;
	if (v->type != YV_SEQ)
		return lade__yv_type_error(c, field, v, "a list of strings");
	if (!(dest->items = calloc(v->count ? v->count : 1, sizeof(char *))))
		return lade_error_set_oom();
	dest->present = 1;
	for (i = 0; i < v->count; i++) {
		if ((err = lade__yv_spend(c)) < 0 ||
		    (err = lade__yv_set_string(c, field, v->items[i], &dest->items[i])) < 0) {
			dest->count = v->count;
			return err;
		}
	}
	dest->count = v->count;
	for (i = 0; i < v->count; i++)
		if (!dest->items[i] && !(dest->items[i] = lade_strdup("")))
			return lade_error_set_oom();
	return 0;
}

static int emit(lade_buf *out, const char *text)
{
	return out ? lade_buf_puts(out, text) : 0;
}

static int emit_string(lade_buf *out, const char *s)
{
	return out ? lade_json_string(out, s, strlen(s)) : 0;
}

static int scalar_json(lade__yv_ctx *c, const char *field, const yv *v, lade_buf *out)
{
	char text[64];
	double x;
	switch (v->type) {
	case YV_NULL:
		return emit(out, "null");
	case YV_BOOL:
		return emit(out, v->boolean ? "true" : "false");
	case YV_STR:
		return emit_string(out, v->s);
	default:
		x = v->type == YV_INT ? (double)v->i : v->type == YV_UINT ? (double)v->u : v->f;
		if (isnan(x) || isinf(x))
			return lade_error_set(LADE_EINVALID,
					      "chart '%s': %s: '%s' (line %zu) holds %s, which JSON cannot hold",
					      c->doc.path, c->what, field, v->line, isnan(x) ? ".nan" : ".inf");
		lade__go_format_json_float(x, text, sizeof(text));
		return emit(out, text);
	}
}

/* An open list or mapping in lade__yv_json's walk. */
typedef struct frame {
	const yv *v;
	lade__yv_entry *e; /* a mapping's entries, sorted */
	size_t n, i;
} frame;

/*
 * Go's JSON of a generic value after the round trip through interface{}
 * (numbers become float64), appended to out; with out NULL only checked.
 * The walk keeps its own stack: values nest up to go-yaml's 10,000 levels.
 */
int lade__yv_json(lade__yv_ctx *c, const char *field, const yv *root, lade_buf *out)
{
	frame *stack = NULL;
	size_t depth = 0, cap = 0;
	const yv *v = root;
	int err = 0;

	while (v && err == 0) {
		if ((err = lade__yv_spend(c)) < 0)
			break;
		if (v->type == YV_SEQ || v->type == YV_MAP) {
			frame f = {v, NULL, v->count, 0};
			if (depth == cap) {
				size_t grown_cap = cap ? cap * 2 : 16;
				frame *grown = realloc(stack, grown_cap * sizeof(*grown));
				if (!grown) {
					err = lade_error_set_oom();
					break;
				}
				stack = grown;
				cap = grown_cap;
			}
			if (v->type == YV_MAP && (err = lade__yv_sorted_entries(c, v, &f.e, &f.n)) < 0)
				break;
			stack[depth++] = f;
			if ((err = emit(out, v->type == YV_SEQ ? "[" : "{")) < 0)
				break;
		} else if ((err = scalar_json(c, field, v, out)) < 0) {
			break;
		}
		/* The next value: the following item of the innermost open collection, closing finished ones. */
		v = NULL;
		while (depth && err == 0) {
			frame *f = &stack[depth - 1];
			if (f->i < f->n) {
				if (f->i && (err = emit(out, ",")) < 0)
					break;
				if (f->e) {
					if ((err = emit_string(out, f->e[f->i].key)) < 0 || (err = emit(out, ":")) < 0)
						break;
					v = f->e[f->i].value;
				} else {
					v = f->v->items[f->i];
				}
				f->i++;
				break;
			}
			err = emit(out, f->e ? "}" : "]");
			if (f->e)
				lade__yv_entries_free(f->e, f->n);
			depth--;
		}
	}
	while (depth) {
		depth--;
		if (stack[depth].e)
			lade__yv_entries_free(stack[depth].e, stack[depth].n);
	}
	free(stack);
	return err;
}

/* A key Helm's struct does not have: ignored, but it must still go through JSON (sigs.k8s.io/yaml marshals it all). */
int lade__yv_check_unknown(lade__yv_ctx *c, const char *key, const yv *v)
{
	return lade__yv_json(c, key, v, NULL);
}

int lade__yv_field_is(const char *key, const char *name)
{
	return strcasecmp(key, name) == 0;
}

/*
 * A mapping read into a struct as encoding/json does: each key, in sorted
 * order, given to set; set answers 1 for a key the struct does not have,
 * which must still go through JSON (sigs.k8s.io/yaml marshals it all).
 */
int lade__yv_each_field(lade__yv_ctx *c, const yv *map, int (*set)(lade__yv_ctx *, const char *, const yv *, void *),
			void *target)
{
	lade__yv_entry *e;
	size_t n, i;
	int err;
	if ((err = lade__yv_sorted_entries(c, map, &e, &n)) < 0)
		return err;
	for (i = 0; i < n && err == 0; i++)
		if ((err = set(c, e[i].key, e[i].value, target)) == 1)
			err = lade__yv_check_unknown(c, e[i].key, e[i].value);
	lade__yv_entries_free(e, n);
	return err;
}

/* A list of pointers to structs ([]*Maintainer, []*Dependency): null entries stay NULL. */
int lade__yv_set_struct_list(lade__yv_ctx *c, const char *field, const yv *v, void ***items, size_t *count, size_t size,
			     int (*fill)(lade__yv_ctx *, const yv *, void *), void (*release)(void *))
{
	size_t i;
	int err = 0;
	for (i = 0; i < *count; i++)
		release((*items)[i]);
	free(*items);
	*items = NULL;
	*count = 0;
	if (v->type == YV_NULL)
		return 0;
	if (v->type != YV_SEQ)
		return lade__yv_type_error(c, field, v, "a list");
	if (!(*items = calloc(v->count ? v->count : 1, sizeof(void *))))
		return lade_error_set_oom();
	*count = v->count;
	for (i = 0; i < v->count && err == 0; i++) {
		const yv *item = v->items[i];
		if ((err = lade__yv_spend(c)) < 0 || item->type == YV_NULL)
			continue;
		if (item->type != YV_MAP)
			return lade__yv_type_error(c, field, item, "a mapping");
		if (!((*items)[i] = calloc(1, size)))
			return lade_error_set_oom();
		err = fill(c, item, (*items)[i]);
	}
	return err;
}
