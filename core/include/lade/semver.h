/*
 * lade/semver.h - semantic versions and version constraints as Helm reads
 * them (Masterminds semver v3: lenient `1.2`, `v1.2.3`; strict
 * MAJOR.MINOR.PATCH; ranges `^1.2`, `~1.2.0`, `>=1.0 <2.0`, `1.2 - 1.4`,
 * `||`), and Helm's choice of a chart version among a repository's tags
 * (formats.md §5.5). Implemented in mediatypes/semver.c.
 *
 * Ownership: a lade_semver is a value (it copies what it needs); a
 * constraint is owned by the caller and freed with
 * lade_semver_constraint_free. A version picker borrows its constraint
 * text only during init.
 */
#ifndef LADE_SEMVER_H
#define LADE_SEMVER_H

#include "lade/common.h"
#include "lade/target.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LADE_SEMVER_MAX 256

typedef struct lade_semver {
	uint64_t major, minor, patch;
	char pre[LADE_SEMVER_MAX];  /* pre-release identifiers, "" if none */
	char meta[LADE_SEMVER_MAX]; /* build metadata, "" if none */
} lade_semver;

/*
 * Parse text as Masterminds' NewVersion (strict == 0: an optional 'v',
 * minor and patch may be left out) or StrictNewVersion (strict != 0:
 * MAJOR.MINOR.PATCH, no leading zeros). out may be NULL to only check.
 * Returns 0 or LADE_EINVALID (the message says why).
 */
LADE_EXTERN int lade_semver_parse(const char *text, int strict, lade_semver *out);

/* <0, 0, >0 as a orders before, with or after b (build metadata ignored). */
LADE_EXTERN int lade_semver_compare(const lade_semver *a, const lade_semver *b);

/* "1.2.3-rc.1+build" */
LADE_EXTERN void lade_semver_format(const lade_semver *v, char *out, size_t outlen);

typedef struct lade_semver_constraint lade_semver_constraint;

/* Parse a constraint as Masterminds' NewConstraint; *out is the caller's to free. */
LADE_EXTERN int lade_semver_constraint_parse(const char *text, lade_semver_constraint **out);

/* Whether v satisfies c (pre-releases only where the constraint names one). */
LADE_EXTERN int lade_semver_constraint_check(const lade_semver_constraint *c, const lade_semver *v);

LADE_EXTERN void lade_semver_constraint_free(lade_semver_constraint *c);

/*
 * Helm's choice among tags, fed one at a time (a repository may hold
 * millions): each tag is read with '_' as '+', only strict versions count;
 * a tag equal to the wanted text wins outright, else the newest that
 * satisfies the constraint ("*", releases only, when none is given).
 */
typedef struct lade_version_picker {
	lade_semver_constraint *constraint;
	char wanted[LADE_SEMVER_MAX];
	int exact; /* a tag equal to wanted was seen */
	int found;
	lade_semver best;
	char best_tag[LADE_SEMVER_MAX];
} lade_version_picker;

/* wanted: a version or constraint, or NULL/"" for the newest release. */
LADE_EXTERN int lade_version_picker_init(lade_version_picker *p, const char *wanted);
LADE_EXTERN void lade_version_picker_add(lade_version_picker *p, const char *tag);
/* The picked tag (as stored, '_' and all) into out; LADE_ENOTFOUND when nothing matched. */
LADE_EXTERN int lade_version_picker_result(const lade_version_picker *p, char *out, size_t outlen);
LADE_EXTERN void lade_version_picker_dispose(lade_version_picker *p);

/*
 * The tag `helm pull --version wanted` takes from t's repository: wanted
 * itself when it is a version ('+' as '_'), else the pick over the listed
 * tags. out gets the tag.
 */
LADE_EXTERN int lade_chart_version_tag(lade_target *t, const char *wanted, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif
