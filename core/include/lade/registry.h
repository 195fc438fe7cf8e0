/*
 * lade/registry.h - a repository on an OCI distribution registry as a
 * target, over libcurl.
 *
 * Invariants:
 *  - All requests of one target go through one curl multi handle, so
 *    connections are kept alive and reused, and up to `concurrency` blob
 *    transfers run at once.
 *  - Blobs stream between files and the network; a fetched blob is hashed
 *    as it arrives and only renamed into place when it matches.
 *  - Credentials go only to the registry's own origin: a redirect to
 *    another host or scheme carries no Authorization header, and an upload
 *    Location on another origin is refused.
 *  - Manifests are sent with the Content-Type of their mediaType, and
 *    fetched with the OCI and Docker manifest types in Accept.
 */
#ifndef LADE_REGISTRY_H
#define LADE_REGISTRY_H

#include "lade/ref.h"
#include "lade/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The authorization hook. Called when the registry answers 401 with a
 * WWW-Authenticate challenge; writes the full Authorization header value
 * (e.g. "Basic dXNlcjpwYXNz" or "Bearer <token>") into out.
 *   challenge: the WWW-Authenticate value, borrowed for the call
 *   scope:     the access wanted, e.g. "repository:foo/bar:pull,push"
 * Return 0 with out filled, or LADE_EAUTH (with a message) to give up.
 * The default hook answers Basic challenges with the options' username and
 * password; the Bearer-token flow plugs in here.
 */
typedef int (*lade_auth_cb)(void *payload, const char *host, const char *challenge, const char *scope,
			    lade_buf *out);

#define LADE_REGISTRY_OPTIONS_VERSION 1

typedef struct lade_registry_options {
	unsigned int version;       /* LADE_REGISTRY_OPTIONS_VERSION */
	int plain_http;             /* 1 http, 0 https, -1 http only for localhost[:port] (ORAS's rule) */
	const char *username;       /* borrowed for the target's life; NULL for anonymous */
	const char *password;       /* borrowed for the target's life */
	unsigned int concurrency;   /* blob transfers at once; 0 means 4 */
	lade_auth_cb auth;          /* NULL: the built-in Basic hook */
	void *auth_payload;
	const char *user_agent;     /* NULL: "lade/<version>" */
} lade_registry_options;

#define LADE_REGISTRY_OPTIONS_INIT {LADE_REGISTRY_OPTIONS_VERSION, -1, NULL, NULL, 4, NULL, NULL, NULL}

/*
 * Open the repository that ref names (its tag and digest are ignored).
 * Nothing is sent until the first operation. Caller owns *out, release
 * with lade_target_free. Returns 0, LADE_EINVALID or LADE_ENOMEM.
 */
LADE_EXTERN int lade_registry_open(lade_target **out, const lade_ref *ref, const lade_registry_options *opts);

/* Counters of what a registry target sent and received. */
typedef struct lade_registry_stats {
	uint64_t requests;       /* HTTP requests sent */
	uint64_t bytes_uploaded; /* blob and manifest bytes sent in request bodies */
	uint64_t bytes_fetched;  /* response body bytes received */
	uint64_t connections;    /* new connections opened */
} lade_registry_stats;

/* Read the counters of a registry target. Returns LADE_EINVALID for another kind of target. */
LADE_EXTERN int lade_registry_stats_get(lade_target *t, lade_registry_stats *out);

#ifdef __cplusplus
}
#endif
#endif
