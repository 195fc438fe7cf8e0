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
 *  - Credentials, custom headers and client certificates go only to the
 *    registry's own origin: redirects are followed by lade itself, and a
 *    request to another host, port or scheme carries none of them; an
 *    upload Location on another origin is refused.
 *  - Failures that may pass (network errors, 408, 429, 5xx) are retried
 *    with exponential backoff and jitter, honouring Retry-After.
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
 * A custom authorization hook, for schemes lade does not speak. Called when
 * the registry answers 401 with a WWW-Authenticate challenge; writes the
 * full Authorization header value into out.
 *   challenge: the WWW-Authenticate value, borrowed for the call
 *   scope:     the access wanted, e.g. "repository:foo/bar:pull,push"
 * Return 0 with out filled, or LADE_EAUTH (with a message) to give up.
 * Without a hook lade answers Basic challenges with the username and
 * password, and Bearer challenges with the token flow: GET the realm with
 * service and scope (Basic credentials when there are some), or the OAuth2
 * refresh_token POST when an identity token is held, falling back to GET.
 * Tokens are kept per scope for the target's life and renewed when they
 * expire or the registry rejects them.
 */
typedef int (*lade_auth_cb)(void *payload, const char *host, const char *challenge, const char *scope, lade_buf *out);

/* One line of a --debug trace, secrets already redacted. */
typedef void (*lade_debug_cb)(void *payload, const char *line);

/* Version 2 added timeout and stall_timeout; a version 1 struct is still accepted. */
#define LADE_REGISTRY_OPTIONS_VERSION 3

/* How referrers are read and kept (distribution-spec 1.1 §2.10-2.11). */
#define LADE_REFERRERS_AUTO 0 /* the referrers API where the registry has it, else the tag schema */
#define LADE_REFERRERS_API 1  /* the API only (ORAS --distribution-spec v1.1-referrers-api) */
#define LADE_REFERRERS_TAG 2  /* the sha256-<hex> tag schema only (v1.1-referrers-tag) */

typedef struct lade_registry_options {
	unsigned int version;     /* LADE_REGISTRY_OPTIONS_VERSION */
	int plain_http;           /* 1 http, 0 https, -1 http only for localhost[:port] (ORAS's rule) */
	const char *username;     /* borrowed for the target's life; NULL for anonymous */
	const char *password;     /* borrowed for the target's life */
	unsigned int concurrency; /* blob transfers at once (4x for a batch of blobs under 64 KiB); 0 means 4 */
	lade_auth_cb auth;        /* NULL: lade's Basic and Bearer token flows */
	void *auth_payload;
	const char *user_agent;     /* NULL: "lade/<version>" */
	const char *identity_token; /* borrowed; an OAuth2 refresh token (docker's identitytoken) */
	const char *registry_token; /* borrowed; a bearer token to send as it is */
	int credentials_stored;     /* credentials came from a config file: when the token service rejects
				       them, try anonymously (a public repository) before failing */
	int insecure;               /* https without certificate checks */
	const char *ca_file;        /* borrowed; PEM CA bundle to trust */
	const char *cert_file;      /* borrowed; PEM client certificate (mTLS), sent to the registry only */
	const char *key_file;       /* borrowed; its key */
	const char *const *resolve; /* borrowed; "host:port:address" entries, as curl --resolve */
	size_t resolve_count;
	const char *const *headers; /* borrowed; "Name: value" lines sent to the registry only */
	size_t header_count;
	uint64_t limit_rate;  /* bytes a second per transfer, 0 for no limit */
	unsigned int retries; /* attempts after the first for network errors, 408, 429, 5xx; 0 means 5 */
	lade_debug_cb debug;  /* a trace of every request and response, secrets redacted; may be NULL */
	void *debug_payload;
	uint64_t chunk_size;        /* > 0: upload in PATCH chunks of this size (at least the registry's
				       OCI-Chunk-Min-Length); 0: one PUT unless the registry asks for chunks */
	unsigned int timeout;       /* seconds for everything the target does, counted from open; every
				       request and retry stops at that deadline. 0: no overall limit */
	unsigned int stall_timeout; /* seconds under 1 KiB/s before a transfer is cut; 0 means 30. A stall
				       is retried once in all, so a server that dribbles bytes costs about
				       two stall times, not one per retry */
	/* version 3 */
	int referrers; /* LADE_REFERRERS_AUTO (0), _API or _TAG */
	/*
	 * A folder where what lade learns of a registry is kept between runs:
	 * whether the host has the referrers API, for a day, so the next
	 * command does not ask again. Borrowed; NULL keeps nothing.
	 */
	const char *cache_dir;
} lade_registry_options;

#define LADE_REGISTRY_OPTIONS_INIT                                                                                     \
	{                                                                                                              \
		.version = LADE_REGISTRY_OPTIONS_VERSION, .plain_http = -1, .concurrency = 4                           \
	}

/*
 * Open the repository that ref names (its tag and digest are ignored).
 * Nothing is sent until the first operation. Caller owns *out, release
 * with lade_target_free. Returns 0, LADE_EINVALID or LADE_ENOMEM.
 */
LADE_EXTERN int lade_registry_open(lade_target **out, const lade_ref *ref, const lade_registry_options *opts);

/*
 * Check that the registry answers and accepts the target's credentials:
 * GET /v2/, answering its challenge. Returns 0, LADE_EAUTH (rejected or
 * missing), LADE_ENET, or another error.
 */
LADE_EXTERN int lade_registry_ping(lade_target *t);

/*
 * Cross-repository mount: ask the registry to link desc's blob from
 * from_repository (same registry) into the target's repository, sending no
 * blob bytes. *mounted = 1 when it did (201); 0 when it answered 202
 * instead (the upload session it opened is cancelled). The token asked for
 * covers pull on from_repository and pull,push on the target.
 */
LADE_EXTERN int lade_registry_mount(lade_target *t, const lade_descriptor *desc, const char *from_repository,
				    int *mounted);

/*
 * The repositories the registry t talks to lists (GET /v2/_catalog, pages
 * followed through Link), cb called for each whose name starts with
 * prefix (NULL: all), in the registry's order. t's own repository does
 * not matter. Token scope registry:catalog:*.
 */
LADE_EXTERN int lade_registry_catalog(lade_target *t, const char *prefix, lade_tag_cb cb, void *payload);

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
