/*
 * lade/ref.h - references: registry references `host[:port]/repo[:tag][@digest]`
 * with Docker Hub defaults, and OCI layout references `path[:tag|@digest]`.
 *
 * Invariants: a lade_ref filled by lade_ref_parse has a registry and a
 * repository that match the distribution-spec grammar, a tag that matches
 * `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}` or is empty, and a digest that
 * lade_digest_parse accepts or is empty. All fields are NUL-terminated.
 */
#ifndef LADE_REF_H
#define LADE_REF_H

#include "lade/common.h"
#include "lade/digest.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LADE_REF_REGISTRY_MAX 256
#define LADE_REF_REPOSITORY_MAX 256
#define LADE_REF_TAG_MAX 129
#define LADE_REF_PATH_MAX 4096

typedef struct lade_ref {
	char registry[LADE_REF_REGISTRY_MAX];     /* "docker.io", "ghcr.io", "127.0.0.1:5000" */
	char repository[LADE_REF_REPOSITORY_MAX]; /* "library/ubuntu" */
	char tag[LADE_REF_TAG_MAX];               /* "" when none was written */
	char digest[LADE_DIGEST_STRLEN];          /* "" when none was written */
} lade_ref;

/*
 * Parse a registry reference. Docker Hub rules apply: a first component
 * without '.', ':' or uppercase that is not "localhost" is a path on
 * docker.io, and a one-component docker.io path gets "library/".
 * A reference with both tag and digest keeps both; the digest wins.
 * Returns 0 or LADE_EINVALID with a message naming the bad part.
 */
LADE_EXTERN int lade_ref_parse(lade_ref *out, const char *str);

/* Validate a tag alone. Returns 0 or LADE_EINVALID. */
LADE_EXTERN int lade_ref_validate_tag(const char *tag);

/* The host to contact: "registry-1.docker.io" for docker.io, else registry. Borrowed. */
LADE_EXTERN const char *lade_ref_api_host(const lade_ref *ref);

/* The tag or digest to ask for: digest if set, else tag, else "latest". Borrowed. */
LADE_EXTERN const char *lade_ref_reference(const lade_ref *ref);

/* Write "registry/repository[:tag][@digest]". Returns 0 or LADE_ETOOLARGE. */
LADE_EXTERN int lade_ref_format(const lade_ref *ref, char *out, size_t outlen);

/* An OCI image layout reference. */
typedef struct lade_layout_ref {
	char path[LADE_REF_PATH_MAX];
	char tag[LADE_REF_TAG_MAX];      /* "" when none */
	char digest[LADE_DIGEST_STRLEN]; /* "" when none */
} lade_layout_ref;

/*
 * Parse `path[:tag|@digest]`. The tag follows the last ':' after the last
 * '/'; `@` starts a digest. Returns 0 or LADE_EINVALID.
 */
LADE_EXTERN int lade_layout_ref_parse(lade_layout_ref *out, const char *str);

#ifdef __cplusplus
}
#endif
#endif
