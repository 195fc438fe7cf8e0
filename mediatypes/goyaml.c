/*
 * YAML values as go-yaml v2 decodes them into interface{} (YAML 1.1: `yes`
 * is true, `010` is 8, `1.10` a float, `~` null), composed from libyaml's
 * events with go-yaml's limits; and the Go formatting rules that Helm's
 * bytes depend on: strconv's shortest floats, encoding/json's float
 * format, unicode.IsSpace and IsPrint for sanitizeString.
 */
#include "lade/sys/util.h"
#include "goyaml.h"
#include "lade/sys/json.h"
#include <cjson/cJSON.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "unicode_print.h"

/* ---- a YAML value as go-yaml v2 decodes it into interface{} ---- */

void lade__yv_doc_dispose(yv_doc *d)
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
	static const char *const falses[] = {"n",     "N",     "no",  "No",  "NO", "false",
					     "False", "FALSE", "off", "Off", "OFF"};
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

/*
 * The anchors of a document by name, in an open-addressing table that
 * doubles: an alias finds its node at once however many anchors came
 * before (a linear search made 90,000 aliases of the first anchor a minute).
 * An anchor defined again replaces the earlier one, as in go-yaml.
 */
typedef struct anchor {
	char *name;
	yv *node;
} anchor;

typedef struct anchors {
	anchor *slots;
	size_t count, cap;
} anchors;

static anchor *anchor_slot(const anchors *t, const char *name)
{
	size_t i = lade_hash_string(name) & (t->cap - 1);
	while (t->slots[i].name && strcmp(t->slots[i].name, name) != 0)
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

static yv *anchor_find(const anchors *t, const char *name)
{
	return t->cap ? anchor_slot(t, name)->node : NULL;
}

static int anchor_put(anchors *t, const char *name, yv *node)
{
	anchor *slot;
	if ((t->count + 1) * 2 > t->cap) {
		anchors bigger = {NULL, 0, t->cap ? t->cap * 2 : 64};
		size_t i;
		if (!(bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots))))
			return lade_error_set_oom();
		for (i = 0; i < t->cap; i++)
			if (t->slots[i].name)
				*anchor_slot(&bigger, t->slots[i].name) = t->slots[i];
		bigger.count = t->count;
		free(t->slots);
		*t = bigger;
	}
	slot = anchor_slot(t, name);
	if (!slot->name) {
		if (!(slot->name = lade_strdup(name)))
			return lade_error_set_oom();
		t->count++;
	}
	slot->node = node;
	return 0;
}

static void anchors_free(anchors *t)
{
	size_t i;
	for (i = 0; i < t->cap; i++)
		free(t->slots[i].name);
	free(t->slots);
}

/*
 * Compose the first document of text into d, event by event: nesting is
 * counted as it opens and every scalar is checked for a NUL that would cut
 * a name short ("1.0.0\0../../x"), before anything big is built.
 */
int lade__yv_compose(yv_doc *d, const unsigned char *text, size_t len, const char *what)
{
	yaml_parser_t parser;
	yaml_event_t event;
	yv **stack = NULL;
	anchors named = {NULL, 0, 0};
	size_t top = 0, stack_cap = 0;
	int err = 0, done = 0;

	if (!yaml_parser_initialize(&parser))
		return lade_error_set_oom();
	yaml_parser_set_input_string(&parser, text, len);
	while (!done && err == 0) {
		yv *node = NULL;
		const char *anchor_name = NULL;
		if (!yaml_parser_parse(&parser, &event)) {
			err = lade_error_set(LADE_EINVALID, "chart '%s': %s is not valid YAML (line %zu: %s)", d->path,
					     what, parser.problem_mark.line + 1,
					     parser.problem ? parser.problem : "parse error");
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
				err = lade_error_set(LADE_EINVALID,
						     "chart '%s': %s: a string holds a NUL character (line %zu)",
						     d->path, what, event.start_mark.line + 1);
				break;
			}
			if (!(node = doc_new(d, YV_STR, event.start_mark.line + 1)) ||
			    !(node->s = lade_strdup(value))) {
				err = lade_error_set_oom();
				break;
			}
			if (tag && strcmp(tag, "!") != 0) {
				/* An explicit tag: !!str keeps the text, !!null, !!bool, !!int and !!float resolve it. */
				if (strcmp(tag, "tag:yaml.org,2002:str") != 0 &&
				    strcmp(tag, "tag:yaml.org,2002:binary") != 0 && resolve_plain(node, value) < 0)
					err = lade_error_set_oom();
			} else if (event.data.scalar.plain_implicit && resolve_plain(node, value) < 0) {
				err = lade_error_set_oom();
			}
			anchor_name = (const char *)event.data.scalar.anchor;
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (top + 1 > YAML_DEPTH_MAX) {
				err = lade_error_set(LADE_ETOOLARGE,
						     "chart '%s': %s: nesting too deep (over %d levels, line %zu)",
						     d->path, what, YAML_DEPTH_MAX, event.start_mark.line + 1);
				break;
			}
			if (!(node = doc_new(d, event.type == YAML_SEQUENCE_START_EVENT ? YV_SEQ : YV_MAP,
					     event.start_mark.line + 1))) {
				err = lade_error_set_oom();
				break;
			}
			anchor_name = (const char *)(event.type == YAML_SEQUENCE_START_EVENT
							 ? event.data.sequence_start.anchor
							 : event.data.mapping_start.anchor);
			break;
		case YAML_ALIAS_EVENT:
			if (!(node = anchor_find(&named, (const char *)event.data.alias.anchor))) {
				err = lade_error_set(LADE_EINVALID,
						     "chart '%s': %s: unknown anchor '%s' referenced (line %zu)",
						     d->path, what, (const char *)event.data.alias.anchor,
						     event.start_mark.line + 1);
				break;
			}
			break;
		default:
			break;
		}
		if (err == 0 && d->count > YAML_NODES_MAX)
			err = lade_error_set(LADE_ETOOLARGE, "chart '%s': %s holds over %d values; refusing", d->path,
					     what, YAML_NODES_MAX);
		if (err == 0 && node && anchor_name)
			err = anchor_put(&named, anchor_name, node);
		if (err == 0 && node) {
			/* Attach to the open collection, or make it the root. */
			if (top == 0)
				d->root = d->root ? d->root : node;
			else if (append_item(stack[top - 1], node) < 0)
				err = lade_error_set_oom();
		}
		if (err == 0 && (event.type == YAML_SEQUENCE_START_EVENT || event.type == YAML_MAPPING_START_EVENT)) {
			if (top == stack_cap) {
				size_t cap = stack_cap ? stack_cap * 2 : 16;
				yv **grown = realloc(stack, cap * sizeof(*grown));
				if (!grown)
					err = lade_error_set_oom();
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
	anchors_free(&named);
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
#define PUT(c)                                                                                                         \
	do {                                                                                                           \
		if (o + 1 < outlen)                                                                                    \
			out[o++] = (c);                                                                                \
	} while (0)
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
void lade__go_format_float32(double x, char *out, size_t outlen)
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
void lade__go_format_json_float(double x, char *out, size_t outlen)
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
		n = lade_utf8_decode(p, len, &r);
		if (!n || !is_go_space(r))
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

/* Helm's sanitizeString, in place: spaces become ' ', what does not print goes. */
void lade__go_sanitize(char *s)
{
	unsigned char *in = (unsigned char *)s, *out = (unsigned char *)s;
	size_t len, n;
	unsigned r;
	if (!s)
		return;
	len = strlen(s);
	/* An invalid byte becomes U+FFFD (three bytes): rare, so a copy is made only then. */
	for (size_t i = 0; i < len; i += n ? n : 1) {
		n = lade_utf8_decode(in + i, len - i, &r);
		if (!n) {
			char *copy = malloc(len * 3 + 1), *o = copy;
			if (!copy)
				return;
			for (i = 0; i < len; i += n ? n : 1) {
				n = lade_utf8_decode(in + i, len - i, &r);
				if (!n)
					memcpy(o, "\xEF\xBF\xBD", 3), o += 3;
				else
					memcpy(o, in + i, n), o += n;
			}
			*o = '\0';
			/* Sanitising can only shrink the copy back; the result must fit s, so it is cut to len. */
			lade__go_sanitize(copy);
			snprintf(s, len + 1, "%s", copy);
			free(copy);
			return;
		}
	}
	while (*in) {
		n = lade_utf8_decode(in, strlen((char *)in), &r);
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
