/*
 * lade/auth.h - registry authentication: WWW-Authenticate challenges, and
 * credentials where `docker login` keeps them (config.json `auths`,
 * `credsStore`, `credHelpers` through docker-credential-<name>).
 *
 * Invariants:
 *  - Nothing here prints a secret; messages name hosts and files only.
 *  - A config file lade writes is replaced atomically, mode 0600, and keeps
 *    every key it did not touch.
 *  - Docker Hub's credentials live under https://index.docker.io/v1/.
 */
#ifndef LADE_AUTH_H
#define LADE_AUTH_H

#include "lade/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One challenge of a WWW-Authenticate header. */
typedef struct lade_challenge {
	char scheme[16]; /* lower case: "basic", "bearer", ... */
	char realm[1024];
	char service[256];
	char scope[1024];
	char error[64]; /* e.g. "insufficient_scope", "invalid_token" */
} lade_challenge;

/*
 * Parse a WWW-Authenticate value: several challenges, several parameters,
 * quoted strings with escapes. Fills up to max challenges; *count gets how
 * many were read. Returns 0 or LADE_EINVALID.
 */
LADE_EXTERN int lade_auth_parse_challenges(const char *header, lade_challenge *out, size_t max, size_t *count);

/* Credentials for one registry; any field may be NULL. */
typedef struct lade_credential {
	char *username;
	char *password;
	char *identity_token; /* a refresh token: OAuth2 grant_type=refresh_token */
	char *registry_token; /* a bearer token sent as it is */
} lade_credential;

/* Release the strings (wiped first). */
LADE_EXTERN void lade_credential_dispose(lade_credential *c);

#define LADE_CREDENTIALS_OPTIONS_VERSION 1

typedef struct lade_credentials_options {
	unsigned int version;            /* LADE_CREDENTIALS_OPTIONS_VERSION */
	const char *const *config_paths; /* config.json files, first wins; NULL: $DOCKER_CONFIG or ~/.docker */
	size_t config_count;
} lade_credentials_options;

#define LADE_CREDENTIALS_OPTIONS_INIT                                                                                  \
	{                                                                                                              \
		.version = LADE_CREDENTIALS_OPTIONS_VERSION                                                            \
	}

/* The key a registry's credentials are kept under. out needs 256 bytes. */
LADE_EXTERN int lade_credentials_key(const char *registry, char *out, size_t outlen);

/*
 * Look up the credentials for registry (host[:port]) as docker does:
 * credHelpers, else credsStore, else auths. Returns 0, LADE_ENOTFOUND (none
 * stored), LADE_EINVALID (a broken config file) or LADE_EAUTH (a helper
 * failed). Caller disposes *out on success.
 */
LADE_EXTERN int lade_credentials_get(const lade_credentials_options *opts, const char *registry, lade_credential *out);

/* Store credentials for registry through its helper, or in the first config file's auths. */
LADE_EXTERN int lade_credentials_store(const lade_credentials_options *opts, const char *registry,
				       const lade_credential *cred);

/* Forget the credentials for registry. LADE_ENOTFOUND when there were none. */
LADE_EXTERN int lade_credentials_erase(const lade_credentials_options *opts, const char *registry);

#ifdef __cplusplus
}
#endif
#endif
