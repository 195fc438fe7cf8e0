/*
 * Semantic versions and constraints as Masterminds semver v3 reads them
 * (the library Helm uses), and Helm's pick of a chart version among tags
 * (pkg/registry: Tags, GetTagMatchingVersionOrConstraint). Masterminds
 * defines constraints by regular expressions; the same expressions are
 * used here through POSIX regex, written so that leftmost-longest
 * matching finds what Go's leftmost-first finds.
 */
#include "lade/sys/util.h"

#include "lade/semver.h"

#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int all_in(const char *s, size_t n, int (*ok)(int))
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return 0;
	return 1;
}

static int is_ident_char(int c)
{
	return isalnum(c) || c == '-';
}

static int is_digit_char(int c)
{
	return isdigit(c);
}

/* validatePrerelease / validateMetadata: dot-separated, [0-9A-Za-z-]; numeric pre-release parts without leading zeros. */
static int identifiers_ok(const char *s, int prerelease)
{
	const char *part = s;
	for (;;) {
		size_t n = strcspn(part, ".");
		if (all_in(part, n, is_digit_char)) {
			if (prerelease && n > 1 && part[0] == '0')
				return 0;
		} else if (!all_in(part, n, is_ident_char)) {
			return 0;
		}
		if (!part[n])
			return 1;
		part += n + 1;
	}
}

/* The identifiers grammar of the regex: [0-9A-Za-z-]+(\.[0-9A-Za-z-]+)* */
static size_t match_identifiers(const char *s)
{
	size_t i = 0, run;
	for (;;) {
		run = 0;
		while (is_ident_char((unsigned char)s[i + run]))
			run++;
		if (!run)
			return i ? i - 1 : 0; /* drop a trailing '.' */
		i += run;
		if (s[i] != '.' || !is_ident_char((unsigned char)s[i + 1]))
			return i;
		i++;
	}
}

/* After the '-' or '+' at *p: the identifiers into out (LADE_SEMVER_MAX), *p moved past them; 0 if none. */
static size_t take_identifiers(const char **p, char *out)
{
	size_t n = match_identifiers(*p + 1);
	if (n) {
		memcpy(out, *p + 1, n);
		out[n] = '\0';
		*p += 1 + n;
	}
	return n;
}

static int parse_number(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	if (!n)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int invalid(const char *text, const char *why)
{
	return lade_error_set(LADE_EINVALID, "'%s' is not a semantic version: %s", text, why);
}

int lade_semver_parse(const char *text, int strict, lade_semver *out)
{
	lade_semver v;
	const char *p = text, *num[3] = {NULL, NULL, NULL};
	size_t len[3] = {0, 0, 0};
	int i;

	memset(&v, 0, sizeof(v));
	if (strlen(text) >= LADE_SEMVER_MAX)
		return invalid("", "too long");
	if (!strict && *p == 'v')
		p++;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (*p != '.')
				break;
			p++;
		}
		num[i] = p;
		while (isdigit((unsigned char)*p))
			p++;
		len[i] = (size_t)(p - num[i]);
		if (!len[i])
			return invalid(text, "a number is missing");
	}
	if (strict && i < 3)
		return invalid(text, "it needs MAJOR.MINOR.PATCH");
	for (i = 0; i < 3; i++) {
		if (!num[i])
			continue;
		if (strict && len[i] > 1 && num[i][0] == '0')
			return invalid(text, "a number starts with 0");
		if (parse_number(num[i], len[i], i == 0 ? &v.major : i == 1 ? &v.minor : &v.patch) < 0)
			return invalid(text, "a number is too large");
	}
	if ((*p == '-' && !take_identifiers(&p, v.pre)) || (*p == '+' && !take_identifiers(&p, v.meta)))
		return invalid(text, *p == '-' ? "the pre-release part is empty" : "the build metadata is empty");
	if (*p)
		return invalid(text, "unexpected characters");
	if (v.pre[0] && !identifiers_ok(v.pre, 1))
		return invalid(text, "a numeric pre-release part starts with 0");
	if (out)
		*out = v;
	return 0;
}

static int compare_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* comparePrePart: numbers before words, numbers by value, words by bytes. */
static int compare_part(const char *s, size_t sn, const char *o, size_t on)
{
	uint64_t si, oi;
	int s_num, o_num, d;
	if (sn == on && !memcmp(s, o, sn))
		return 0;
	if (!sn)
		return -1;
	if (!on)
		return 1;
	s_num = parse_number(s, sn, &si) == 0;
	o_num = parse_number(o, on, &oi) == 0;
	if (!s_num && !o_num) {
		d = memcmp(s, o, sn < on ? sn : on);
		if (d == 0)
			d = sn < on ? -1 : 1;
		return d > 0 ? 1 : -1;
	}
	if (!o_num)
		return -1;
	if (!s_num)
		return 1;
	return si > oi ? 1 : -1;
}

static int compare_prerelease(const char *a, const char *b)
{
	for (;;) {
		size_t an = strcspn(a, "."), bn = strcspn(b, ".");
		int d;
		if (!*a && !*b)
			return 0;
		if ((d = compare_part(a, an, b, bn)) != 0)
			return d;
		a += an + (a[an] == '.');
		b += bn + (b[bn] == '.');
	}
}

int lade_semver_compare(const lade_semver *a, const lade_semver *b)
{
	int d;
	if ((d = compare_u64(a->major, b->major)) || (d = compare_u64(a->minor, b->minor)) ||
	    (d = compare_u64(a->patch, b->patch)))
		return d;
	if (!a->pre[0] && !b->pre[0])
		return 0;
	if (!a->pre[0])
		return 1;
	if (!b->pre[0])
		return -1;
	return compare_prerelease(a->pre, b->pre);
}

void lade_semver_format(const lade_semver *v, char *out, size_t outlen)
{
	snprintf(out, outlen, "%llu.%llu.%llu%s%s%s%s", (unsigned long long)v->major, (unsigned long long)v->minor,
		 (unsigned long long)v->patch, v->pre[0] ? "-" : "", v->pre, v->meta[0] ? "+" : "", v->meta);
}

/* ---- constraints ---- */

typedef enum { OP_TILDE_OR_EQUAL, OP_NOT_EQUAL, OP_GT, OP_LT, OP_GE, OP_LE, OP_TILDE, OP_CARET } op_kind;

typedef struct constraint {
	op_kind op;
	lade_semver con;
	int dirty, minor_dirty, patch_dirty;
} constraint;

struct lade_semver_constraint {
	constraint *items;
	size_t *group_end; /* items[group_end[g-1] .. group_end[g]) are ANDed; groups are ORed */
	size_t count, groups;
};

#define WS "[[:space:]]"
#define XNUM "[0-9|xX*]+"
#define IDENTS "[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*"
/* Masterminds' cvRegex (9 groups) */
#define CV "v?(" XNUM ")(\\." XNUM ")?(\\." XNUM ")?(-(" IDENTS "))?(\\+(" IDENTS "))?"
/* Masterminds' ops, longest first; the empty operator is the group left out. */
#define OPS "(!=|>=|=>|<=|=<|~>|=|>|<|~|\\^)?"

typedef struct patterns {
	regex_t one;   /* constraintRegex */
	regex_t range; /* constraintRangeRegex */
	regex_t find;  /* findConstraintRegex */
	regex_t valid; /* validConstraintRegex */
} patterns;

static int compile(patterns *p)
{
	if (regcomp(&p->one, "^" WS "*" OPS WS "*(" CV ")" WS "*$", REG_EXTENDED) != 0)
		return -1;
	if (regcomp(&p->range, WS "*(" CV ")" WS "+-" WS "+(" CV ")" WS "*", REG_EXTENDED) != 0) {
		regfree(&p->one);
		return -1;
	}
	if (regcomp(&p->find, OPS WS "*(" CV ")", REG_EXTENDED) != 0) {
		regfree(&p->one);
		regfree(&p->range);
		return -1;
	}
	if (regcomp(&p->valid, "^(" WS "*" OPS WS "*(" CV ")" WS "*)((" WS "+|," WS "*)" OPS WS "*(" CV ")" WS "*)*$",
		    REG_EXTENDED | REG_NOSUB) != 0) {
		regfree(&p->one);
		regfree(&p->range);
		regfree(&p->find);
		return -1;
	}
	return 0;
}

static size_t group_len(const regmatch_t *m)
{
	return m->rm_so < 0 ? 0 : (size_t)(m->rm_eo - m->rm_so);
}

static int is_x(const char *s, size_t n)
{
	return n == 1 && (*s == 'x' || *s == 'X' || *s == '*');
}

/* parseConstraint: one "op version" into c. */
static int parse_one(patterns *p, const char *text, constraint *c)
{
	regmatch_t m[16];
	char ver[LADE_SEMVER_MAX * 2], op[4] = "";
	const char *g3, *g4, *g5, *g6;
	size_t n3, n4, n5, n6;

	memset(c, 0, sizeof(*c));
	if (regexec(&p->one, text, 16, m, 0) != 0)
		return lade_error_set(LADE_EINVALID, "improper constraint: %s", text);
	if (group_len(&m[1]) < sizeof(op)) {
		memcpy(op, text + (m[1].rm_so < 0 ? 0 : m[1].rm_so), group_len(&m[1]));
		op[group_len(&m[1])] = '\0';
	}
	g3 = text + m[3].rm_so, n3 = group_len(&m[3]);
	g4 = m[4].rm_so < 0 ? "" : text + m[4].rm_so, n4 = group_len(&m[4]);
	g5 = m[5].rm_so < 0 ? "" : text + m[5].rm_so, n5 = group_len(&m[5]);
	g6 = m[6].rm_so < 0 ? "" : text + m[6].rm_so, n6 = group_len(&m[6]);
	if (group_len(&m[2]) >= LADE_SEMVER_MAX)
		return lade_error_set(LADE_EINVALID, "improper constraint: %s (too long)", text);
	if (is_x(g3, n3) || n3 == 0) {
		snprintf(ver, sizeof(ver), "0.0.0%.*s", (int)n6, g6);
		c->dirty = 1;
	} else if (n4 == 0 || is_x(g4 + 1, n4 - 1)) {
		snprintf(ver, sizeof(ver), "%.*s.0.0%.*s", (int)n3, g3, (int)n6, g6);
		c->dirty = c->minor_dirty = 1;
	} else if (n5 == 0 || is_x(g5 + 1, n5 - 1)) {
		snprintf(ver, sizeof(ver), "%.*s%.*s.0%.*s", (int)n3, g3, (int)n4, g4, (int)n6, g6);
		c->dirty = c->patch_dirty = 1;
	} else {
		snprintf(ver, sizeof(ver), "%.*s", (int)group_len(&m[2]), text + m[2].rm_so);
	}
	if (lade_semver_parse(ver, 0, &c->con) < 0)
		return lade_error_set(LADE_EINVALID, "constraint '%s': '%s' is not a version", text, ver);
	if (!*op || !strcmp(op, "="))
		c->op = OP_TILDE_OR_EQUAL;
	else if (!strcmp(op, "!="))
		c->op = OP_NOT_EQUAL;
	else if (!strcmp(op, ">"))
		c->op = OP_GT;
	else if (!strcmp(op, "<"))
		c->op = OP_LT;
	else if (!strcmp(op, ">=") || !strcmp(op, "=>"))
		c->op = OP_GE;
	else if (!strcmp(op, "<=") || !strcmp(op, "=<"))
		c->op = OP_LE;
	else if (!strcmp(op, "~") || !strcmp(op, "~>"))
		c->op = OP_TILDE;
	else
		c->op = OP_CARET;
	return 0;
}

/* rewriteRange: "a - b" becomes ">= a, <= b". out is malloc'd. */
static int rewrite_range(patterns *p, const char *in, char **out)
{
	lade_buf b;
	regmatch_t m[24];
	const char *at = in;
	int err = 0;
	lade_buf_init(&b, 1 << 20);
	while (err == 0 && regexec(&p->range, at, 24, m, at == in ? 0 : REG_NOTBOL) == 0 && m[0].rm_eo > 0) {
		char piece[LADE_SEMVER_MAX * 3];
		snprintf(piece, sizeof(piece), ">= %.*s, <= %.*s", (int)group_len(&m[1]), at + m[1].rm_so,
			 (int)group_len(&m[11]), at + m[11].rm_so);
		if ((err = lade_buf_put(&b, at, (size_t)m[0].rm_so)) == 0)
			err = lade_buf_puts(&b, piece);
		at += m[0].rm_eo;
	}
	if (err == 0)
		err = lade_buf_puts(&b, at);
	if (err == 0 && !(*out = lade_buf_detach(&b)))
		err = lade_error_set_oom();
	lade_buf_dispose(&b);
	return err;
}

/* The grammar is compiled once per process and shared: regexec only reads it. */
static patterns grammar;
static int grammar_ok;
static pthread_once_t grammar_once = PTHREAD_ONCE_INIT;

static void compile_grammar(void)
{
	grammar_ok = compile(&grammar) == 0;
}

int lade_semver_constraint_parse(const char *text, lade_semver_constraint **out)
{
	patterns *p = &grammar;
	lade_semver_constraint *c;
	char *rewritten = NULL, *group;
	int err = 0;

	*out = NULL;
	if (strlen(text) > 4096)
		return lade_error_set(LADE_EINVALID, "constraint '%.40s...' is too long", text);
	pthread_once(&grammar_once, compile_grammar);
	if (!grammar_ok)
		return lade_error_set(LADE_EINVALID, "cannot compile the constraint grammar");
	if (!(c = calloc(1, sizeof(*c))))
		return lade_error_set_oom();
	if ((err = rewrite_range(p, text, &rewritten)) < 0)
		goto done;
	group = rewritten;
	for (;;) {
		char *bar = strstr(group, "||");
		const char *at;
		regmatch_t m[16];
		size_t before = c->count;
		if (bar)
			*bar = '\0';
		if (regexec(&p->valid, group, 0, NULL, 0) != 0) {
			err = lade_error_set(LADE_EINVALID, "improper constraint: %s", group);
			goto done;
		}
		for (at = group; regexec(&p->find, at, 16, m, at == group ? 0 : REG_NOTBOL) == 0 && m[0].rm_eo > 0;
		     at += m[0].rm_eo) {
			char one[LADE_SEMVER_MAX * 2];
			constraint *grown = realloc(c->items, (c->count + 1) * sizeof(*grown));
			if (!grown) {
				err = lade_error_set_oom();
				goto done;
			}
			c->items = grown;
			snprintf(one, sizeof(one), "%.*s", (int)(m[0].rm_eo - m[0].rm_so), at + m[0].rm_so);
			if ((err = parse_one(p, one, &c->items[c->count])) < 0)
				goto done;
			c->count++;
		}
		if (c->count == before) {
			/* Masterminds parses the whole text as one constraint when nothing was found. */
			constraint *grown = realloc(c->items, (c->count + 1) * sizeof(*grown));
			if (!grown) {
				err = lade_error_set_oom();
				goto done;
			}
			c->items = grown;
			if ((err = parse_one(p, group, &c->items[c->count])) < 0)
				goto done;
			c->count++;
		}
		{
			size_t *ends = realloc(c->group_end, (c->groups + 1) * sizeof(*ends));
			if (!ends) {
				err = lade_error_set_oom();
				goto done;
			}
			c->group_end = ends;
			ends[c->groups++] = c->count;
		}
		if (!bar)
			break;
		group = bar + 2;
	}
done:
	free(rewritten);
	if (err < 0)
		lade_semver_constraint_free(c);
	else
		*out = c;
	return err;
}

void lade_semver_constraint_free(lade_semver_constraint *c)
{
	if (!c)
		return;
	free(c->items);
	free(c->group_end);
	free(c);
}

static int check_tilde(const lade_semver *v, const constraint *c)
{
	if (lade_semver_compare(v, &c->con) < 0)
		return 0;
	if (c->con.major == 0 && c->con.minor == 0 && c->con.patch == 0 && !c->minor_dirty && !c->patch_dirty)
		return 1;
	if (v->major != c->con.major)
		return 0;
	if (v->minor != c->con.minor && !c->minor_dirty)
		return 0;
	return 1;
}

static int check_one(const lade_semver *v, const constraint *c)
{
	int release_only = v->pre[0] && !c->con.pre[0];
	switch (c->op) {
	case OP_NOT_EQUAL:
		if (c->dirty) {
			if (release_only)
				return 0;
			if (c->con.major != v->major)
				return 1;
			if (c->con.minor != v->minor && !c->minor_dirty)
				return 1;
			if (c->minor_dirty)
				return 0;
			if (c->con.patch != v->patch && !c->patch_dirty)
				return 1;
			if (c->patch_dirty) {
				if (v->pre[0] || c->con.pre[0])
					return compare_prerelease(v->pre, c->con.pre) != 0;
				return 0;
			}
		}
		return lade_semver_compare(v, &c->con) != 0;
	case OP_GT:
		if (release_only)
			return 0;
		if (!c->dirty)
			return lade_semver_compare(v, &c->con) > 0;
		if (v->major != c->con.major)
			return v->major > c->con.major;
		if (c->minor_dirty)
			return 0;
		if (c->patch_dirty)
			return v->minor > c->con.minor;
		return lade_semver_compare(v, &c->con) > 0;
	case OP_LT:
		return !release_only && lade_semver_compare(v, &c->con) < 0;
	case OP_GE:
		return !release_only && lade_semver_compare(v, &c->con) >= 0;
	case OP_LE:
		if (release_only)
			return 0;
		if (!c->dirty)
			return lade_semver_compare(v, &c->con) <= 0;
		if (v->major > c->con.major)
			return 0;
		if (v->major == c->con.major && v->minor > c->con.minor && !c->minor_dirty)
			return 0;
		return 1;
	case OP_TILDE:
		return !release_only && check_tilde(v, c);
	case OP_TILDE_OR_EQUAL:
		if (release_only)
			return 0;
		if (c->dirty)
			return check_tilde(v, c);
		return lade_semver_compare(v, &c->con) == 0;
	case OP_CARET:
		if (release_only || lade_semver_compare(v, &c->con) < 0)
			return 0;
		if (c->con.major > 0 || c->minor_dirty)
			return v->major == c->con.major;
		if (v->major > 0)
			return 0;
		if (c->con.minor > 0 || c->patch_dirty)
			return v->minor == c->con.minor;
		if (v->minor > 0)
			return 0;
		return c->con.patch == v->patch;
	}
	return 0;
}

int lade_semver_constraint_check(const lade_semver_constraint *c, const lade_semver *v)
{
	size_t g, i, start = 0;
	for (g = 0; g < c->groups; g++) {
		int ok = 1;
		for (i = start; i < c->group_end[g] && ok; i++)
			ok = check_one(v, &c->items[i]);
		if (ok)
			return 1;
		start = c->group_end[g];
	}
	return 0;
}

/* ---- Helm's pick ---- */

int lade_version_picker_init(lade_version_picker *p, const char *wanted)
{
	memset(p, 0, sizeof(*p));
	if (wanted && strlen(wanted) >= sizeof(p->wanted))
		return lade_error_set(LADE_EINVALID, "version '%.40s...' is too long", wanted);
	snprintf(p->wanted, sizeof(p->wanted), "%s", wanted ? wanted : "");
	return lade_semver_constraint_parse(p->wanted[0] ? p->wanted : "*", &p->constraint);
}

void lade_version_picker_add(lade_version_picker *p, const char *tag)
{
	char plus[LADE_SEMVER_MAX], *c;
	lade_semver v;
	if (p->exact || strlen(tag) >= sizeof(plus))
		return;
	snprintf(plus, sizeof(plus), "%s", tag);
	for (c = plus; *c; c++)
		if (*c == '_')
			*c = '+';
	if (lade_semver_parse(plus, 1, &v) < 0) {
		lade_error_clear();
		return;
	}
	if (p->wanted[0] && !strcmp(plus, p->wanted)) {
		p->exact = p->found = 1;
		p->best = v;
		snprintf(p->best_tag, sizeof(p->best_tag), "%s", tag);
		return;
	}
	if (!lade_semver_constraint_check(p->constraint, &v))
		return;
	/*
	 * The newest wins. Versions equal but for build metadata are a tie
	 * that Helm leaves to its sort; the one without metadata is taken,
	 * else the first listed.
	 */
	if (!p->found || lade_semver_compare(&v, &p->best) > 0 ||
	    (lade_semver_compare(&v, &p->best) == 0 && !v.meta[0] && p->best.meta[0])) {
		p->found = 1;
		p->best = v;
		snprintf(p->best_tag, sizeof(p->best_tag), "%s", tag);
	}
}

int lade_version_picker_result(const lade_version_picker *p, char *out, size_t outlen)
{
	if (!p->found)
		return lade_error_set(LADE_ENOTFOUND, "no tag matches version '%s'%s", p->wanted[0] ? p->wanted : "*",
				      p->wanted[0]
					  ? ""
					  : " (the newest release: pre-releases need a constraint that names one)");
	return lade_snprintf(out, outlen, "%s", p->best_tag);
}

void lade_version_picker_dispose(lade_version_picker *p)
{
	lade_semver_constraint_free(p->constraint);
	p->constraint = NULL;
}

static int pick_tag(const char *tag, void *payload)
{
	lade_version_picker_add(payload, tag);
	return 0;
}

int lade_chart_version_tag(lade_target *t, const char *wanted, char *out, size_t outlen)
{
	lade_version_picker p;
	int err;
	if (wanted && *wanted && lade_semver_parse(wanted, 0, NULL) == 0) {
		/* A version is taken as the tag itself, as helm pull does: no listing. */
		char *c;
		if ((err = lade_snprintf(out, outlen, "%s", wanted)) < 0)
			return err;
		for (c = out; *c; c++)
			if (*c == '+')
				*c = '_';
		return 0;
	}
	lade_error_clear();
	if ((err = lade_version_picker_init(&p, wanted)) < 0)
		return err;
	if ((err = lade_target_list_tags(t, pick_tag, &p)) == 0)
		err = lade_version_picker_result(&p, out, outlen);
	lade_version_picker_dispose(&p);
	return err;
}
