/*
 * Chart.yaml as Helm reads it, and the config bytes `helm push` writes.
 *
 * Helm reads Chart.yaml with sigs.k8s.io/yaml: go-yaml v2 decodes the text
 * into generic values (YAML 1.1: `yes` is true, `010` is 8, `1.10` is a
 * float), those become JSON, converted to strings where Helm's Metadata
 * has a string field (a float through 32-bit shortest formatting, so
 * `version: 1.10` is "1.1"), and encoding/json fills the struct (field
 * names matched case-insensitively, later keys in sorted order winning,
 * null leaving a field alone). requirements.yaml is read into the same
 * struct. Metadata.Validate then sanitises strings (non-printing runes
 * dropped, spaces made ' ') and checks the rest; the config is
 * json.Marshal of the struct: field order, omitempty, sorted map keys,
 * `<`, `>`, `&`, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD.
 * Each step here follows the Go code it is named after, so the same
 * Chart.yaml gives the same bytes (formats.md §5.4, §5.7).
 */
#include "internal.h"
#include "helm_meta.h"
#include "json.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "lade/semver.h"

#include "unicode_print.h"

/* go-yaml's nesting limit; past it a document is refused as it opens. */
#define YAML_DEPTH_MAX 10000
/* Values in one Chart.yaml: real ones hold hundreds; this bounds memory before building. */
#define YAML_NODES_MAX 200000
/* Nodes visited while converting, aliases expanded (go-yaml's "excessive aliasing"). */
#define YAML_EXPANSION_MAX 100000

/* ---- a YAML value as go-yaml v2 decodes it into interface{} ---- */

typedef enum { YV_NULL, YV_BOOL, YV_INT, YV_UINT, YV_FLOAT, YV_STR, YV_SEQ, YV_MAP } yv_type;

typedef struct yv yv;
struct yv {
	yv_type type;
	int boolean;
	int64_t i;
	uint64_t u;
	double f;
	char *s;       /* YV_STR */
	yv **items;    /* YV_SEQ: items; YV_MAP: key, value, key, value... */
	size_t count;  /* items used */
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

static void doc_dispose(yv_doc *d)
{
	size_t i;
	for (i = 0; i < d->count; i++) {
		free(d->nodes[i]->s);
		free(d->nodes[i]->items);
		free(d->nodes[i]);
	}
	free(d->nodes);
	memset(d, 0, sizeof(*d));
}

static yv *doc_new(yv_doc *d, yv_type type, size_t line)
{
	yv *v;
	if (d->count == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		yv **grown = realloc(d->nodes, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		d->nodes = grown;
		d->cap = cap;
	}
	if (!(v = calloc(1, sizeof(*v))))
		return NULL;
	v->type = type;
	v->line = line;
	d->nodes[d->count++] = v;
	return v;
}

static int append_item(yv *parent, yv *child)
{
	if (parent->count == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		yv **grown = realloc(parent->items, cap * sizeof(*grown));
		if (!grown)
			return -1;
		parent->items = grown;
		parent->cap = cap;
	}
	parent->items[parent->count++] = child;
	return 0;
}

/* Go's strconv.ParseInt/ParseUint with base 0 (prefixes 0x, 0o, 0b, 0; a sign). */
static int parse_go_int(const char *s, int *negative, uint64_t *magnitude)
{
	int base = 10;
	uint64_t v = 0;
	*negative = 0;
	if (*s == '+' || *s == '-')
		*negative = *s++ == '-';
	if (!*s)
		return -1;
	if (s[0] == '0' && s[1]) {
		if (s[1] == 'x' || s[1] == 'X')
			base = 16, s += 2;
		else if (s[1] == 'o' || s[1] == 'O')
			base = 8, s += 2;
		else if (s[1] == 'b' || s[1] == 'B')
			base = 2, s += 2;
		else
			base = 8, s += 1;
		if (!*s)
			return -1;
	}
	for (; *s; s++) {
		int d;
		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (isalpha((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			return -1;
		if (d >= base || v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*magnitude = v;
	return 0;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int yaml_style_float(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	} else {
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
		if (*s == '.')
			for (s++; isdigit((unsigned char)*s); s++)
				;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/* A plain scalar resolved as go-yaml v2's resolve() does (timestamps stay strings in interface{}). */
static int resolve_plain(yv *v, const char *text)
{
	static const char *const trues[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
	static const char *const falses[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	char *plain, *p;
	const char *q;
	size_t i;
	int negative;
	uint64_t magnitude;

	for (i = 0; i < sizeof(trues) / sizeof(*trues); i++)
		if (!strcmp(text, trues[i]) || !strcmp(text, falses[i])) {
			v->type = YV_BOOL;
			v->boolean = !strcmp(text, trues[i]);
			return 0;
		}
	for (i = 0; i < sizeof(nulls) / sizeof(*nulls); i++)
		if (!strcmp(text, nulls[i])) {
			v->type = YV_NULL;
			return 0;
		}
	if (!strcmp(text, ".nan") || !strcmp(text, ".NaN") || !strcmp(text, ".NAN")) {
		v->type = YV_FLOAT, v->f = NAN;
		return 0;
	}
	q = text + (text[0] == '+' || text[0] == '-');
	if (!strcmp(q, ".inf") || !strcmp(q, ".Inf") || !strcmp(q, ".INF")) {
		v->type = YV_FLOAT, v->f = text[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	if (text[0] == '.') {
		char *end;
		double f = strtod(text, &end);
		/* Go's ParseFloat takes decimal and hex forms; a leading '.' leaves only decimal ones. */
		if (yaml_style_float(text) && *end == '\0') {
			v->type = YV_FLOAT, v->f = f;
			return 0;
		}
	}
	if (!isdigit((unsigned char)text[0]) && text[0] != '+' && text[0] != '-') {
		v->type = YV_STR;
		return 0;
	}
	if (!(plain = malloc(strlen(text) + 1)))
		return -1;
	for (p = plain, q = text; *q; q++)
		if (*q != '_')
			*p++ = *q;
	*p = '\0';
	v->type = YV_STR;
	if (parse_go_int(plain, &negative, &magnitude) == 0) {
		if (!negative && magnitude <= INT64_MAX)
			v->type = YV_INT, v->i = (int64_t)magnitude;
		else if (negative && magnitude <= (uint64_t)INT64_MAX + 1)
			v->type = YV_INT, v->i = magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
		else if (!negative && plain[0] != '+') /* ParseUint takes no sign */
			v->type = YV_UINT, v->u = magnitude;
	}
	if (v->type == YV_STR && yaml_style_float(plain)) {
		v->type = YV_FLOAT;
		v->f = strtod(plain, NULL);
	}
	free(plain);
	return 0;
}

typedef struct anchor {
	char *name;
	yv *node;
} anchor;

/*
 * Compose the first document of text into d, event by event: nesting is
 * counted as it opens and every scalar is checked for a NUL that would cut
 * a name short ("1.0.0\0../../x"), before anything big is built.
 */
static int compose(yv_doc *d, const unsigned char *text, size_t len, const char *what)
{
	yaml_parser_t parser;
	yaml_event_t event;
	yv **stack = NULL;
	anchor *anchors = NULL;
	size_t top = 0, stack_cap = 0, anchor_count = 0, i;
	int err = 0, done = 0;

	if (!yaml_parser_initialize(&parser))
		return lade__error_oom();
	yaml_parser_set_input_string(&parser, text, len);
	while (!done && err == 0) {
		yv *node = NULL;
		const char *anchor_name = NULL;
		if (!yaml_parser_parse(&parser, &event)) {
			err = lade__error(LADE_EINVALID, "chart '%s': %s is not valid YAML (line %zu: %s)", d->path, what,
					  parser.problem_mark.line + 1, parser.problem ? parser.problem : "parse error");
			break;
		}
		switch (event.type) {
		case YAML_DOCUMENT_END_EVENT:
			done = 1; /* go-yaml's Unmarshal reads the first document only */
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_SCALAR_EVENT: {
			const char *value = (const char *)event.data.scalar.value;
			const char *tag = (const char *)event.data.scalar.tag;
			if (memchr(value, '\0', event.data.scalar.length)) {
				err = lade__error(LADE_EINVALID, "chart '%s': %s: a string holds a NUL character (line %zu)",
						  d->path, what, event.start_mark.line + 1);
				break;
			}
			if (!(node = doc_new(d, YV_STR, event.start_mark.line + 1)) || !(node->s = lade__strdup(value))) {
				err = lade__error_oom();
				break;
			}
			if (tag && strcmp(tag, "!") != 0) {
				/* An explicit tag: !!str keeps the text, !!null, !!bool, !!int and !!float resolve it. */
				if (strcmp(tag, "tag:yaml.org,2002:str") != 0 && strcmp(tag, "tag:yaml.org,2002:binary") != 0 &&
				    resolve_plain(node, value) < 0)
					err = lade__error_oom();
			} else if (event.data.scalar.plain_implicit && resolve_plain(node, value) < 0) {
				err = lade__error_oom();
			}
			anchor_name = (const char *)event.data.scalar.anchor;
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (top + 1 > YAML_DEPTH_MAX) {
				err = lade__error(LADE_ETOOLARGE, "chart '%s': %s: nesting too deep (over %d levels, line %zu)",
						  d->path, what, YAML_DEPTH_MAX, event.start_mark.line + 1);
				break;
			}
			if (!(node = doc_new(d, event.type == YAML_SEQUENCE_START_EVENT ? YV_SEQ : YV_MAP,
					     event.start_mark.line + 1))) {
				err = lade__error_oom();
				break;
			}
			anchor_name = (const char *)(event.type == YAML_SEQUENCE_START_EVENT ? event.data.sequence_start.anchor
											    : event.data.mapping_start.anchor);
			break;
		case YAML_ALIAS_EVENT:
			for (i = anchor_count; i > 0; i--)
				if (!strcmp(anchors[i - 1].name, (const char *)event.data.alias.anchor))
					break;
			if (i == 0) {
				err = lade__error(LADE_EINVALID, "chart '%s': %s: unknown anchor '%s' referenced (line %zu)", d->path,
						  what, (const char *)event.data.alias.anchor, event.start_mark.line + 1);
				break;
			}
			node = anchors[i - 1].node;
			break;
		default:
			break;
		}
		if (err == 0 && d->count > YAML_NODES_MAX)
			err = lade__error(LADE_ETOOLARGE, "chart '%s': %s holds over %d values; refusing", d->path, what,
					  YAML_NODES_MAX);
		if (err == 0 && node && anchor_name) {
			anchor *grown = realloc(anchors, (anchor_count + 1) * sizeof(*anchors));
			if (!grown || !(grown[anchor_count].name = lade__strdup(anchor_name))) {
				anchors = grown ? grown : anchors;
				err = lade__error_oom();
			} else {
				anchors = grown;
				grown[anchor_count++].node = node;
			}
		}
		if (err == 0 && node) {
			/* Attach to the open collection, or make it the root. */
			if (top == 0)
				d->root = d->root ? d->root : node;
			else if (append_item(stack[top - 1], node) < 0)
				err = lade__error_oom();
		}
		if (err == 0 && (event.type == YAML_SEQUENCE_START_EVENT || event.type == YAML_MAPPING_START_EVENT)) {
			if (top == stack_cap) {
				size_t cap = stack_cap ? stack_cap * 2 : 16;
				yv **grown = realloc(stack, cap * sizeof(*grown));
				if (!grown)
					err = lade__error_oom();
				else
					stack = grown, stack_cap = cap;
			}
			if (err == 0)
				stack[top++] = node;
		} else if ((event.type == YAML_SEQUENCE_END_EVENT || event.type == YAML_MAPPING_END_EVENT) && top) {
			top--;
		}
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	for (i = 0; i < anchor_count; i++)
		free(anchors[i].name);
	free(anchors);
	free(stack);
	return err;
}

/* ---- Go's number formatting (strconv.FormatFloat with precision -1) ---- */

/* The shortest decimal digits that read back as x (as a float32 when is32), and where the point goes. */
static void shortest_digits(double x, int is32, char *digits, int *nd, int *dp)
{
	char text[64];
	int prec, n = 0, exp10;
	const char *p;
	double value = is32 ? (double)(float)x : x;
	for (prec = 1; prec <= 17; prec++) {
		snprintf(text, sizeof(text), "%.*e", prec - 1, value);
		if (is32 ? strtof(text, NULL) == (float)x : strtod(text, NULL) == x)
			break;
	}
	for (p = text; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			digits[n++] = *p;
	exp10 = atoi(p + 1);
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*nd = n;
	*dp = exp10 + 1;
	if (n == 1 && digits[0] == '0')
		*dp = 1;
}

static void format_e(char *out, size_t outlen, int neg, const char *digits, int nd, int dp)
{
	int exp = dp - 1;
	if (digits[0] == '0')
		exp = 0;
	snprintf(out, outlen, "%s%c%s%.*s%s%c%02d", neg ? "-" : "", digits[0], nd > 1 ? "." : "", nd - 1, digits + 1,
		 "e", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

static void format_f(char *out, size_t outlen, int neg, const char *digits, int nd, int dp)
{
	size_t o = 0;
	int i;
#define PUT(c) do { if (o + 1 < outlen) out[o++] = (c); } while (0)
	if (neg)
		PUT('-');
	if (dp <= 0) {
		PUT('0');
	} else {
		for (i = 0; i < dp; i++)
			PUT(i < nd ? digits[i] : '0');
	}
	if (nd > dp && !(nd == 1 && digits[0] == '0')) {
		PUT('.');
		for (i = dp; i < 0; i++)
			PUT('0');
		for (i = dp < 0 ? 0 : dp; i < nd; i++)
			PUT(digits[i]);
	}
#undef PUT
	out[o] = '\0';
}

/* strconv.FormatFloat(x, 'g', -1, 32): how sigs.k8s.io/yaml turns a YAML float into a string field. */
static void format_float32_g(double x, char *out, size_t outlen)
{
	char digits[32];
	int nd, dp, neg = signbit(x) != 0;
	if (isnan(x)) {
		snprintf(out, outlen, "NaN");
		return;
	}
	if (isinf(x)) {
		snprintf(out, outlen, "%sInf", x < 0 ? "-" : "+");
		return;
	}
	shortest_digits(fabs(x), 1, digits, &nd, &dp);
	if (dp - 1 < -4 || dp - 1 >= 6)
		format_e(out, outlen, neg, digits, nd, dp);
	else
		format_f(out, outlen, neg, digits, nd, dp);
}

/* encoding/json's float64 encoder: 'f', or 'e' (e-07 as e-7) below 1e-6 and from 1e21. */
static void format_json_float(double x, char *out, size_t outlen)
{
	char digits[32];
	int nd, dp, neg = signbit(x) != 0;
	double a = fabs(x);
	shortest_digits(a, 0, digits, &nd, &dp);
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		size_t n;
		format_e(out, outlen, neg, digits, nd, dp);
		n = strlen(out);
		if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') {
			out[n - 2] = out[n - 1];
			out[n - 1] = '\0';
		}
	} else {
		format_f(out, outlen, neg, digits, nd, dp);
	}
}

static int is_go_space(unsigned r)
{
	return r == ' ' || (r >= 0x09 && r <= 0x0D) || r == 0x85 || r == 0xA0 || r == 0x1680 ||
	       (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000;
}

static int is_kept(unsigned r)
{
	size_t lo = 0, hi = sizeof(kept_ranges) / sizeof(*kept_ranges);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r < kept_ranges[mid].lo)
			hi = mid;
		else if (r > kept_ranges[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int lade__go_blank(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = s ? strlen(s) : 0, n;
	unsigned r;
	while (len) {
		n = lade__utf8_decode(p, len, &r);
		if (!n || !is_go_space(r))
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

/* Helm's sanitizeString, in place: spaces become ' ', what does not print goes. */
static void sanitize(char *s)
{
	unsigned char *in = (unsigned char *)s, *out = (unsigned char *)s;
	size_t len, n;
	unsigned r;
	if (!s)
		return;
	len = strlen(s);
	/* An invalid byte becomes U+FFFD (three bytes): rare, so a copy is made only then. */
	for (size_t i = 0; i < len; i += n ? n : 1) {
		n = lade__utf8_decode(in + i, len - i, &r);
		if (!n) {
			char *copy = malloc(len * 3 + 1), *o = copy;
			if (!copy)
				return;
			for (i = 0; i < len; i += n ? n : 1) {
				n = lade__utf8_decode(in + i, len - i, &r);
				if (!n)
					memcpy(o, "\xEF\xBF\xBD", 3), o += 3;
				else
					memcpy(o, in + i, n), o += n;
			}
			*o = '\0';
			/* Sanitising can only shrink the copy back; the result must fit s, so it is cut to len. */
			sanitize(copy);
			snprintf(s, len + 1, "%s", copy);
			free(copy);
			return;
		}
	}
	while (*in) {
		n = lade__utf8_decode(in, strlen((char *)in), &r);
		if (is_go_space(r)) {
			*out++ = ' ';
		} else if (is_kept(r)) {
			memmove(out, in, n);
			out += n;
		}
		in += n;
	}
	*out = '\0';
}

/* ---- from YAML values to Helm's struct, as sigs.k8s.io/yaml and encoding/json do ---- */

typedef struct ctx {
	yv_doc doc;
	const char *what; /* "Chart.yaml" */
} ctx;

static const char *type_name(const yv *v)
{
	switch (v->type) {
	case YV_NULL: return "null";
	case YV_BOOL: return "a boolean";
	case YV_INT: case YV_UINT: case YV_FLOAT: return "a number";
	case YV_STR: return "a string";
	case YV_SEQ: return "a list";
	default: return "a mapping";
	}
}

static int type_error(ctx *c, const char *field, const yv *v, const char *expected)
{
	return lade__error(LADE_EINVALID, "chart '%s': %s: '%s' (line %zu) is %s where Helm expects %s; Helm refuses it too",
			   c->doc.path, c->what, field, v->line, type_name(v), expected);
}

static int spend(ctx *c)
{
	if (c->doc.budget == 0)
		return lade__error(LADE_ETOOLARGE, "chart '%s': %s: too many aliases (expands past %d values)", c->doc.path,
				   c->what, YAML_EXPANSION_MAX);
	c->doc.budget--;
	return 0;
}

/* A map key as sigs.k8s.io/yaml writes it in JSON; malloc'd. */
static int key_string(ctx *c, const yv *k, char **out)
{
	char text[64];
	switch (k->type) {
	case YV_STR:
		*out = lade__strdup(k->s);
		break;
	case YV_INT:
		snprintf(text, sizeof(text), "%lld", (long long)k->i);
		*out = lade__strdup(text);
		break;
	case YV_BOOL:
		*out = lade__strdup(k->boolean ? "true" : "false");
		break;
	case YV_FLOAT:
		format_float32_g(k->f, text, sizeof(text));
		if (!strcmp(text, "+Inf"))
			strcpy(text, ".inf");
		else if (!strcmp(text, "-Inf"))
			strcpy(text, "-.inf");
		else if (!strcmp(text, "NaN"))
			strcpy(text, ".nan");
		*out = lade__strdup(text);
		break;
	default:
		return lade__error(LADE_EINVALID, "chart '%s': %s: a mapping key (line %zu) is %s; Helm refuses it too",
				   c->doc.path, c->what, k->line, type_name(k));
	}
	return *out ? 0 : lade__error_oom();
}

typedef struct entry {
	char *key;
	yv *value;
	size_t order;
} entry;

static int entry_cmp(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	int d = strcmp(x->key, y->key);
	return d ? d : (x->order < y->order ? -1 : 1);
}

static void entries_free(entry *e, size_t n)
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
static int sorted_entries(ctx *c, const yv *map, entry **out, size_t *count)
{
	size_t n = map->count / 2, i, kept = 0;
	entry *e = calloc(n ? n : 1, sizeof(*e));
	int err;
	if (!e)
		return lade__error_oom();
	for (i = 0; i < n; i++) {
		if ((err = spend(c)) < 0 || (err = key_string(c, map->items[2 * i], &e[i].key)) < 0) {
			entries_free(e, i);
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
static int set_string(ctx *c, const char *field, const yv *v, char **dest)
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
		format_float32_g(v->f, text, sizeof(text));
		break;
	default:
		return type_error(c, field, v, "a string");
	}
	if (!(copy = lade__strdup(s)))
		return lade__error_oom();
	free(*dest);
	*dest = copy;
	return 0;
}

static int set_bool(ctx *c, const char *field, const yv *v, int *dest)
{
	if (v->type == YV_NULL)
		return 0;
	if (v->type != YV_BOOL)
		return type_error(c, field, v, "true or false");
	*dest = v->boolean;
	return 0;
}

static void strings_free(lade__helm_strings *l)
{
	while (l->count)
		free(l->items[--l->count]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int set_strings(ctx *c, const char *field, const yv *v, lade__helm_strings *dest)
{
	size_t i;
	int err;
	strings_free(dest);
	if (v->type == YV_NULL)
		return 0;
	if (v->type != YV_SEQ)
		return type_error(c, field, v, "a list of strings");
	if (!(dest->items = calloc(v->count ? v->count : 1, sizeof(char *))))
		return lade__error_oom();
	dest->present = 1;
	for (i = 0; i < v->count; i++) {
		if ((err = spend(c)) < 0 || (err = set_string(c, field, v->items[i], &dest->items[i])) < 0) {
			dest->count = v->count;
			return err;
		}
	}
	dest->count = v->count;
	for (i = 0; i < v->count; i++)
		if (!dest->items[i] && !(dest->items[i] = lade__strdup("")))
			return lade__error_oom();
	return 0;
}

static int emit(lade_buf *out, const char *text)
{
	return out ? lade_buf_puts(out, text) : 0;
}

static int emit_string(lade_buf *out, const char *s)
{
	return out ? lade__go_json_string(out, s, strlen(s)) : 0;
}

static int scalar_json(ctx *c, const char *field, const yv *v, lade_buf *out)
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
			return lade__error(LADE_EINVALID, "chart '%s': %s: '%s' (line %zu) holds %s, which JSON cannot hold",
					   c->doc.path, c->what, field, v->line, isnan(x) ? ".nan" : ".inf");
		format_json_float(x, text, sizeof(text));
		return emit(out, text);
	}
}

/* An open list or mapping in any_json's walk. */
typedef struct frame {
	const yv *v;
	entry *e; /* a mapping's entries, sorted */
	size_t n, i;
} frame;

/*
 * Go's JSON of a generic value after the round trip through interface{}
 * (numbers become float64), appended to out; with out NULL only checked.
 * The walk keeps its own stack: values nest up to go-yaml's 10,000 levels.
 */
static int any_json(ctx *c, const char *field, const yv *root, lade_buf *out)
{
	frame *stack = NULL;
	size_t depth = 0, cap = 0;
	const yv *v = root;
	int err = 0;

	while (v && err == 0) {
		if ((err = spend(c)) < 0)
			break;
		if (v->type == YV_SEQ || v->type == YV_MAP) {
			frame f = {v, NULL, v->count, 0};
			if (depth == cap) {
				size_t grown_cap = cap ? cap * 2 : 16;
				frame *grown = realloc(stack, grown_cap * sizeof(*grown));
				if (!grown) {
					err = lade__error_oom();
					break;
				}
				stack = grown;
				cap = grown_cap;
			}
			if (v->type == YV_MAP && (err = sorted_entries(c, v, &f.e, &f.n)) < 0)
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
				entries_free(f->e, f->n);
			depth--;
		}
	}
	while (depth) {
		depth--;
		if (stack[depth].e)
			entries_free(stack[depth].e, stack[depth].n);
	}
	free(stack);
	return err;
}

/* A key Helm's struct does not have: ignored, but it must still go through JSON (sigs.k8s.io/yaml marshals it all). */
static int check_unknown(ctx *c, const char *key, const yv *v)
{
	return any_json(c, key, v, NULL);
}

static int field_is(const char *key, const char *name)
{
	return strcasecmp(key, name) == 0;
}

static void maintainer_free(lade__helm_maintainer *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->email);
	free(m->url);
	free(m);
}

static void dependency_free(lade__helm_dependency *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->version);
	free(d->repository);
	free(d->condition);
	free(d->alias);
	free(d->import_values);
	strings_free(&d->tags);
	free(d);
}

/*
 * A mapping read into a struct as encoding/json does: each key, in sorted
 * order, given to set; set answers 1 for a key the struct does not have,
 * which must still go through JSON (sigs.k8s.io/yaml marshals it all).
 */
static int each_field(ctx *c, const yv *map, int (*set)(ctx *, const char *, const yv *, void *), void *target)
{
	entry *e;
	size_t n, i;
	int err;
	if ((err = sorted_entries(c, map, &e, &n)) < 0)
		return err;
	for (i = 0; i < n && err == 0; i++)
		if ((err = set(c, e[i].key, e[i].value, target)) == 1)
			err = check_unknown(c, e[i].key, e[i].value);
	entries_free(e, n);
	return err;
}

static int maintainer_field(ctx *c, const char *k, const yv *v, void *target)
{
	lade__helm_maintainer *m = target;
	if (field_is(k, "name"))
		return set_string(c, "maintainers.name", v, &m->name);
	if (field_is(k, "email"))
		return set_string(c, "maintainers.email", v, &m->email);
	if (field_is(k, "url"))
		return set_string(c, "maintainers.url", v, &m->url);
	return 1;
}

static int dependency_field(ctx *c, const char *k, const yv *v, void *target)
{
	lade__helm_dependency *d = target;
	lade_buf json;
	int err;
	if (field_is(k, "name"))
		return set_string(c, "dependencies.name", v, &d->name);
	if (field_is(k, "version"))
		return set_string(c, "dependencies.version", v, &d->version);
	if (field_is(k, "repository"))
		return set_string(c, "dependencies.repository", v, &d->repository);
	if (field_is(k, "condition"))
		return set_string(c, "dependencies.condition", v, &d->condition);
	if (field_is(k, "alias"))
		return set_string(c, "dependencies.alias", v, &d->alias);
	if (field_is(k, "tags"))
		return set_strings(c, "dependencies.tags", v, &d->tags);
	if (field_is(k, "enabled"))
		return set_bool(c, "dependencies.enabled", v, &d->enabled);
	if (!field_is(k, "import-values"))
		return 1;
	/* []interface{}: kept as the JSON Go writes for it */
	free(d->import_values);
	d->import_values = NULL;
	if (v->type == YV_NULL)
		return 0;
	if (v->type != YV_SEQ)
		return type_error(c, "dependencies.import-values", v, "a list");
	if (!v->count)
		return 0;
	lade_buf_init(&json, 1 << 20);
	if ((err = any_json(c, "dependencies.import-values", v, &json)) == 0 && !(d->import_values = lade_buf_detach(&json)))
		err = lade__error_oom();
	lade_buf_dispose(&json);
	return err;
}

/* A list of pointers to structs ([]*Maintainer, []*Dependency): null entries stay NULL. */
static int set_struct_list(ctx *c, const char *field, const yv *v, void ***items, size_t *count, size_t size,
			   int (*fill)(ctx *, const yv *, void *), void (*release)(void *))
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
		return type_error(c, field, v, "a list");
	if (!(*items = calloc(v->count ? v->count : 1, sizeof(void *))))
		return lade__error_oom();
	*count = v->count;
	for (i = 0; i < v->count && err == 0; i++) {
		const yv *item = v->items[i];
		if ((err = spend(c)) < 0 || item->type == YV_NULL)
			continue;
		if (item->type != YV_MAP)
			return type_error(c, field, item, "a mapping");
		if (!((*items)[i] = calloc(1, size)))
			return lade__error_oom();
		err = fill(c, item, (*items)[i]);
	}
	return err;
}

static int fill_maintainer_any(ctx *c, const yv *v, void *m)
{
	return each_field(c, v, maintainer_field, m);
}

static int fill_dependency_any(ctx *c, const yv *v, void *d)
{
	return each_field(c, v, dependency_field, d);
}

static void maintainer_free_any(void *m)
{
	maintainer_free(m);
}

static void dependency_free_any(void *d)
{
	dependency_free(d);
}

static void annotations_free(lade__helm_metadata *md)
{
	size_t i;
	for (i = 0; i < md->annotation_count; i++) {
		free(md->annotation_keys[i]);
		free(md->annotation_values[i]);
	}
	free(md->annotation_keys);
	free(md->annotation_values);
	md->annotation_keys = md->annotation_values = NULL;
	md->annotation_count = 0;
}

/* map[string]string: null makes it nil, a mapping merges into it (values converted to strings, null as ""). */
static int set_annotations(ctx *c, const yv *v, lade__helm_metadata *md)
{
	entry *e;
	size_t n, i, j;
	int err = 0;
	if (v->type == YV_NULL) {
		annotations_free(md);
		return 0;
	}
	if (v->type != YV_MAP)
		return type_error(c, "annotations", v, "a mapping of strings");
	if ((err = sorted_entries(c, v, &e, &n)) < 0)
		return err;
	for (i = 0; i < n && err == 0; i++) {
		char *value = NULL;
		if ((err = set_string(c, "annotations", e[i].value, &value)) < 0)
			break;
		if (!value && !(value = lade__strdup(""))) {
			err = lade__error_oom();
			break;
		}
		for (j = 0; j < md->annotation_count && strcmp(md->annotation_keys[j], e[i].key) < 0; j++)
			;
		if (j < md->annotation_count && !strcmp(md->annotation_keys[j], e[i].key)) {
			free(md->annotation_values[j]);
			md->annotation_values[j] = value;
			continue;
		}
		{
			char **keys = realloc(md->annotation_keys, (md->annotation_count + 1) * sizeof(char *));
			char **values = keys ? realloc(md->annotation_values, (md->annotation_count + 1) * sizeof(char *)) : NULL;
			if (keys)
				md->annotation_keys = keys;
			if (values)
				md->annotation_values = values;
			if (!keys || !values) {
				free(value);
				err = lade__error_oom();
				break;
			}
			memmove(keys + j + 1, keys + j, (md->annotation_count - j) * sizeof(char *));
			memmove(values + j + 1, values + j, (md->annotation_count - j) * sizeof(char *));
			keys[j] = e[i].key;
			values[j] = value;
			e[i].key = NULL;
			md->annotation_count++;
		}
	}
	entries_free(e, n);
	return err;
}

/* Helm's Metadata fields (formats.md §5.4). */
static int metadata_field(ctx *c, const char *k, const yv *v, void *target)
{
	lade__helm_metadata *md = target;
	if (field_is(k, "name"))
		return set_string(c, "name", v, &md->name);
	if (field_is(k, "home"))
		return set_string(c, "home", v, &md->home);
	if (field_is(k, "sources"))
		return set_strings(c, "sources", v, &md->sources);
	if (field_is(k, "version"))
		return set_string(c, "version", v, &md->version);
	if (field_is(k, "description"))
		return set_string(c, "description", v, &md->description);
	if (field_is(k, "keywords"))
		return set_strings(c, "keywords", v, &md->keywords);
	if (field_is(k, "maintainers"))
		return set_struct_list(c, "maintainers", v, (void ***)&md->maintainers, &md->maintainer_count,
				       sizeof(lade__helm_maintainer), fill_maintainer_any, maintainer_free_any);
	if (field_is(k, "icon"))
		return set_string(c, "icon", v, &md->icon);
	if (field_is(k, "apiVersion"))
		return set_string(c, "apiVersion", v, &md->api_version);
	if (field_is(k, "condition"))
		return set_string(c, "condition", v, &md->condition);
	if (field_is(k, "tags"))
		return set_string(c, "tags", v, &md->tags);
	if (field_is(k, "appVersion"))
		return set_string(c, "appVersion", v, &md->app_version);
	if (field_is(k, "deprecated"))
		return set_bool(c, "deprecated", v, &md->deprecated);
	if (field_is(k, "annotations"))
		return set_annotations(c, v, md);
	if (field_is(k, "kubeVersion"))
		return set_string(c, "kubeVersion", v, &md->kube_version);
	if (field_is(k, "dependencies"))
		return set_struct_list(c, "dependencies", v, (void ***)&md->dependencies, &md->dependency_count,
				       sizeof(lade__helm_dependency), fill_dependency_any, dependency_free_any);
	if (field_is(k, "type"))
		return set_string(c, "type", v, &md->type);
	return 1;
}

int lade__helm_metadata_apply(lade__helm_metadata *md, const char *path, const char *what, const char *text,
			      size_t len)
{
	ctx c;
	int err;

	memset(&c, 0, sizeof(c));
	c.doc.path = path;
	c.doc.budget = YAML_EXPANSION_MAX;
	c.what = what;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) { /* Helm's archive loader strips a UTF-8 BOM */
		text += 3;
		len -= 3;
	}
	if ((err = compose(&c.doc, (const unsigned char *)text, len, what)) < 0)
		goto done;
	if (!c.doc.root || c.doc.root->type == YV_NULL)
		goto done; /* an empty document is JSON null: nothing changes */
	if (c.doc.root->type != YV_MAP) {
		err = lade__error(LADE_EINVALID, "chart '%s': %s is %s, not a mapping", path, what, type_name(c.doc.root));
		goto done;
	}
	err = each_field(&c, c.doc.root, metadata_field, md);
done:
	doc_dispose(&c.doc);
	return err;
}

/* ---- Metadata.Validate ---- */

static int empty(const char *s)
{
	return !s || !*s;
}

static int alias_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

int lade__helm_metadata_validate(lade__helm_metadata *md, const char *path)
{
	char *const *fields[] = {&md->name, &md->description, &md->home, &md->icon,
				 &md->condition, &md->tags, &md->app_version, &md->kube_version};
	size_t i, j;
	const char *slash;

	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		sanitize(*fields[i]);
	for (i = 0; i < md->sources.count; i++)
		sanitize(md->sources.items[i]);
	for (i = 0; i < md->keywords.count; i++)
		sanitize(md->keywords.items[i]);
	if (empty(md->api_version))
		return lade__error(LADE_EINVALID, "chart '%s': Chart.yaml has no apiVersion", path);
	if (empty(md->name))
		return lade__error(LADE_EINVALID, "chart '%s': Chart.yaml has no name", path);
	if (!strcmp(md->name, ".") || !strcmp(md->name, ".."))
		return lade__error(LADE_EINVALID, "chart '%s': the chart name '%s' is not allowed", path, md->name);
	/* filepath.Base(name) == name: no '/' at all, or exactly "/" */
	slash = strchr(md->name, '/');
	if (slash && strcmp(md->name, "/") != 0)
		return lade__error(LADE_EINVALID, "chart '%s': the chart name '%s' holds a '/'", path, md->name);
	if (empty(md->version))
		return lade__error(LADE_EINVALID, "chart '%s': Chart.yaml has no version", path);
	if (lade_semver_parse(md->version, 0, NULL) < 0)
		return lade__error(LADE_EINVALID, "chart '%s': version '%s' is not a semantic version (Helm reads 1.2.3, "
						  "1.2, v1.2.3-rc.1+build)",
				   path, md->version);
	if (!empty(md->type) && strcmp(md->type, "application") != 0 && strcmp(md->type, "library") != 0)
		return lade__error(LADE_EINVALID, "chart '%s': type '%s' is neither application nor library", path,
				   md->type);
	for (i = 0; i < md->maintainer_count; i++) {
		lade__helm_maintainer *m = md->maintainers[i];
		if (!m)
			return lade__error(LADE_EINVALID, "chart '%s': maintainers must not contain empty or null entries", path);
		sanitize(m->name);
		sanitize(m->email);
		sanitize(m->url);
	}
	for (i = 0; i < md->dependency_count; i++) {
		lade__helm_dependency *d = md->dependencies[i];
		const char *key;
		if (!d)
			return lade__error(LADE_EINVALID, "chart '%s': dependencies must not contain empty or null entries", path);
		sanitize(d->name);
		sanitize(d->version);
		sanitize(d->repository);
		sanitize(d->condition);
		for (j = 0; j < d->tags.count; j++)
			sanitize(d->tags.items[j]);
		if (!empty(d->alias) && !alias_ok(d->alias))
			return lade__error(LADE_EINVALID, "chart '%s': dependency '%s' has disallowed characters in its alias",
					   path, d->name ? d->name : "");
		key = !empty(d->alias) ? d->alias : (d->name ? d->name : "");
		for (j = 0; j < i; j++) {
			const lade__helm_dependency *o = md->dependencies[j];
			const char *other = !empty(o->alias) ? o->alias : (o->name ? o->name : "");
			if (!strcmp(key, other))
				return lade__error(LADE_EINVALID, "chart '%s': more than one dependency with name or alias '%s'",
						   path, key);
		}
	}
	return 0;
}

/* ---- json.Marshal(Metadata) ---- */

typedef struct writer {
	lade_buf *out;
	int first;
	int err;
} writer;

static void key(writer *w, const char *name)
{
	if (w->err)
		return;
	if ((!w->first && (w->err = lade_buf_puts(w->out, ",")) < 0) || (w->err = lade_buf_puts(w->out, "\"")) < 0 ||
	    (w->err = lade_buf_puts(w->out, name)) < 0 || (w->err = lade_buf_puts(w->out, "\":")) < 0)
		return;
	w->first = 0;
}

static void raw(writer *w, const char *text)
{
	if (!w->err)
		w->err = lade_buf_puts(w->out, text);
}

static void string_value(writer *w, const char *s)
{
	if (!w->err)
		w->err = lade__go_json_string(w->out, s ? s : "", s ? strlen(s) : 0);
}

static void string_field(writer *w, const char *name, const char *s, int omitempty)
{
	if (omitempty && empty(s))
		return;
	key(w, name);
	string_value(w, s);
}

static void strings_field(writer *w, const char *name, const lade__helm_strings *l)
{
	size_t i;
	if (!l->count)
		return;
	key(w, name);
	raw(w, "[");
	for (i = 0; i < l->count; i++) {
		if (i)
			raw(w, ",");
		string_value(w, l->items[i]);
	}
	raw(w, "]");
}

static void maintainer_fields(writer *w, const void *item)
{
	const lade__helm_maintainer *m = item;
	string_field(w, "name", m->name, 1);
	string_field(w, "email", m->email, 1);
	string_field(w, "url", m->url, 1);
}

static void dependency_fields(writer *w, const void *item)
{
	const lade__helm_dependency *d = item;
	/* name and repository have no omitempty in Helm's Dependency */
	string_field(w, "name", d->name, 0);
	string_field(w, "version", d->version, 1);
	string_field(w, "repository", d->repository, 0);
	string_field(w, "condition", d->condition, 1);
	strings_field(w, "tags", &d->tags);
	if (d->enabled) {
		key(w, "enabled");
		raw(w, "true");
	}
	if (d->import_values) {
		key(w, "import-values");
		raw(w, d->import_values);
	}
	string_field(w, "alias", d->alias, 1);
}

/* A []*T field: omitted when empty, a nil entry as null. */
static void object_list(writer *w, const char *name, void *const *items, size_t count,
			void (*fields)(writer *, const void *))
{
	size_t i;
	if (!count)
		return;
	key(w, name);
	raw(w, "[");
	for (i = 0; i < count; i++) {
		writer inner = {w->out, 1, 0};
		if (i)
			raw(w, ",");
		if (!items[i]) {
			raw(w, "null");
			continue;
		}
		raw(w, "{");
		fields(&inner, items[i]);
		w->err = w->err ? w->err : inner.err;
		raw(w, "}");
	}
	raw(w, "]");
}

int lade__helm_metadata_json(const lade__helm_metadata *md, lade_buf *out)
{
	writer w = {out, 1, 0};
	size_t i;

	raw(&w, "{");
	string_field(&w, "name", md->name, 1);
	string_field(&w, "home", md->home, 1);
	strings_field(&w, "sources", &md->sources);
	string_field(&w, "version", md->version, 1);
	string_field(&w, "description", md->description, 1);
	strings_field(&w, "keywords", &md->keywords);
	object_list(&w, "maintainers", (void *const *)md->maintainers, md->maintainer_count, maintainer_fields);
	string_field(&w, "icon", md->icon, 1);
	string_field(&w, "apiVersion", md->api_version, 1);
	string_field(&w, "condition", md->condition, 1);
	string_field(&w, "tags", md->tags, 1);
	string_field(&w, "appVersion", md->app_version, 1);
	if (md->deprecated) {
		key(&w, "deprecated");
		raw(&w, "true");
	}
	if (md->annotation_count) {
		key(&w, "annotations");
		raw(&w, "{");
		for (i = 0; i < md->annotation_count; i++) {
			if (i)
				raw(&w, ",");
			string_value(&w, md->annotation_keys[i]);
			raw(&w, ":");
			string_value(&w, md->annotation_values[i]);
		}
		raw(&w, "}");
	}
	string_field(&w, "kubeVersion", md->kube_version, 1);
	object_list(&w, "dependencies", (void *const *)md->dependencies, md->dependency_count, dependency_fields);
	string_field(&w, "type", md->type, 1);
	raw(&w, "}");
	return w.err;
}

void lade__helm_metadata_dispose(lade__helm_metadata *md)
{
	char **fields[] = {&md->name, &md->home, &md->version, &md->description, &md->icon, &md->api_version,
			   &md->condition, &md->tags, &md->app_version, &md->kube_version, &md->type};
	size_t i;
	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		free(*fields[i]);
	strings_free(&md->sources);
	strings_free(&md->keywords);
	for (i = 0; i < md->maintainer_count; i++)
		maintainer_free(md->maintainers[i]);
	free(md->maintainers);
	for (i = 0; i < md->dependency_count; i++)
		dependency_free(md->dependencies[i]);
	free(md->dependencies);
	annotations_free(md);
	memset(md, 0, sizeof(*md));
}
