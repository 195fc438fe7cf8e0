/*
 * registry_internal.h - the registry target's parts, shared by its five
 * files: registry_http.c (a request: setup, callbacks, redaction, errors),
 * registry_engine.c (the one engine: the multi handle driven for every
 * request, token fetches included; retries, 401, redirects),
 * registry_auth.c (Basic, tokens, the scope cache),
 * registry_transfer.c (blob uploads and downloads, several at once on the
 * multi handle, and mounts) and registry.c (the target operations).
 * Internal to liblade.
 *
 * Ownership: a request borrows its registry; request_init/dispose pair.
 */
#ifndef LADE_REGISTRY_INTERNAL_H
#define LADE_REGISTRY_INTERNAL_H

#include "internal.h"
#include "fsutil.h"
#include "json.h"
#include "wire.h"
#include "lade/auth.h"
#include "lade/registry.h"
#include "lade/sys/target.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "curl_loader.h"
#include <openssl/evp.h>

#define URL_MAX 4096
#define HEADER_MAX 4096
#define TAGS_PAGE_MAX ((size_t)16 * 1024 * 1024)
#define UPLOAD_BUFFER (512 * 1024)
#define DOWNLOAD_BUFFER (512 * 1024)
/* A pipe job's transfer buffer: with `concurrency` of them on each side of a copy, RSS stays small. */
#define PIPE_BUFFER (128 * 1024)
#define MAX_AUTH_RETRIES 1

#define MANIFEST_ACCEPT                                                                                                \
	"Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "                \
	"application/vnd.docker.distribution.manifest.v2+json, "                                                       \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                                                  \
	"application/vnd.oci.artifact.manifest.v1+json"

typedef struct registry registry;

#define AUTH_CACHE_MAX 16
#define TOKEN_REPLY_MAX ((size_t)64 * 1024)
#define MIN_TOKEN_LIFETIME 60

/* An Authorization header and the scope it was granted for ("*": every scope, as with Basic). */
typedef struct auth_entry {
	char scope[600];
	char header[HEADER_MAX];
	time_t expires; /* 0: does not expire */
} auth_entry;

/* Where a request body comes from. */
typedef struct source {
	int fd;           /* file source, or -1 */
	const char *data; /* memory source */
	size_t len;
	uint64_t offset;   /* where in the file this body starts (a chunk) */
	uint64_t pos;      /* bytes of this body sent */
	uint64_t size;     /* bytes in this body; unknown for a stream */
	int stream;        /* read to end of input, size unknown, not replayable */
	int once;          /* a socket or pipe of known size: read as it comes, never rewound */
	lade_hasher *hash; /* a stream is hashed as it is read */
	const char *path;  /* for messages */
} source;

/* One HTTP exchange and what was captured of the reply. */
typedef struct request {
	registry *reg;
	CURL *easy;
	struct curl_slist *headers;
	char url[URL_MAX];
	long status;
	char location[URL_MAX];
	char content_type_reply[256];
	char docker_digest[LADE_DIGEST_STRLEN];
	char www_authenticate[HEADER_MAX];
	char link[URL_MAX];
	lade_buf body;                /* small replies and error bodies */
	lade__sink *sink;             /* 2xx body of a blob GET streams here */
	lade__checked_stream *stream; /* or here, handed on as it comes (fetch_stream) */
	int callback_error;           /* set when a callback stopped the transfer */
	lade_error saved;             /* the callback's message, restored after curl returns */
	source src;
	int auth_retries;
	const char *scope;        /* the access this request needs, for its Authorization */
	const char *content_type; /* sent with a body, else NULL */
	uint64_t resume_from;     /* > 0: ask for the rest of a blob from this offset */
	int foreign;              /* the URL is on another origin: no credentials, headers or client certificate */
	int body_seen;            /* the current response has started its body */
	long retry_after;         /* seconds from Retry-After, -1 when absent */
	char content_range[128];
	char upload_range[64];     /* the Range header of an upload reply: "0-<last byte>" */
	uint64_t chunk_min;        /* OCI-Chunk-Min-Length, 0 when absent */
	int oci_subject;           /* the reply had OCI-Subject: the registry processed the manifest's subject */
	char filters_applied[128]; /* OCI-Filters-Applied of a referrers reply */
	char send_range[64];       /* Content-Range to send with a PATCH, "" for none */
	long rate_start_ms;        /* --limit-rate on downloads: when the body began, */
	uint64_t rate_bytes;       /* how much of it was taken, */
	long paused_until_ms;      /* and until when the transfer waits (0: not paused) */
	char errbuf[CURL_ERROR_SIZE];
	int done;             /* finished while another request drove the multi handle (lade__reg_drive), */
	CURLcode done_result; /* with this result: the scheduler takes it from here */
	int pipe;             /* a pipe job's request (lade_target_fetch_pipes, push_pipes): its socket never blocks */
	short pipe_wait;      /* paused until the socket has these poll events (POLLIN, POLLOUT); 0 when not */
} request;

struct registry {
	lade_target base;
	CURLM *multi;
	char base_url[512]; /* scheme://host[:port] */
	char host[LADE_REF_REGISTRY_MAX];
	char repository[LADE_REF_REPOSITORY_MAX];
	auth_entry auth[AUTH_CACHE_MAX]; /* Authorization headers by scope, with their expiry */
	size_t auth_count;
	char user_agent[128];
	const char *username;
	const char *password;
	const char *identity_token;
	int credentials_stored; /* may fall back to anonymous when rejected (ORAS #1161) */
	int anonymous;          /* stored credentials were rejected: ask for anonymous tokens */
	unsigned int concurrency;
	lade_auth_cb custom_auth;
	void *custom_auth_payload;
	int insecure;
	const char *ca_file, *cert_file, *key_file;
	struct curl_slist *resolve; /* owned */
	const char *const *headers; /* borrowed custom headers, registry origin only */
	size_t header_count;
	uint64_t limit_rate;
	uint64_t chunk_size;
	unsigned int retries;
	long deadline_ms;     /* monotonic ms by which everything must be done, 0 for none */
	unsigned int timeout; /* the seconds that deadline came from, for messages */
	unsigned int stall;   /* seconds under 1 KiB/s before a transfer is cut */
	lade_debug_cb debug;
	void *debug_payload;
	lade_registry_stats stats;
	int referrers_mode;   /* LADE_REFERRERS_AUTO, _API or _TAG (distribution-spec 1.1 §2.10-2.11) */
	int referrers_api;    /* learnt: 1 the registry has the referrers API, 0 it has not, -1 not known yet */
	int referrers_cached; /* referrers_api came from the cache folder, not from this run */
	char cache_dir[512];  /* "" when nothing is kept between runs */
	lade_digest indexed;  /* the last manifest whose subject's fallback index this target brought up to date */
};

/* Stalled transfers are retried this often in all, whatever the retry count: a server that
   dribbles a byte now and then costs a bounded time, not retries × the stall time. */
#define STALL_RETRIES 1

enum method { M_GET, M_HEAD, M_POST, M_PUT, M_PATCH, M_DELETE };

/* registry_http.c: requests */
int lade__reg_url_for(const registry *r, char *out, size_t outlen, const char *fmt, const char *arg);
void lade__reg_apply_transport(registry *r, CURL *e, int foreign);
int lade__reg_same_origin(const registry *r, const char *url);
int lade__reg_request_init(request *rq, registry *r);
void lade__reg_request_dispose(request *rq);
int lade__reg_request_setup(request *rq, enum method method, const char *url, const char *accept, size_t body_max);
int lade__reg_past_deadline(const registry *r);
/*
 * GET url and the pages its Link headers lead to (bounded, a loop
 * refused), calling page for each 200 reply; a page's non-zero answer
 * stops the walk and is returned. Other statuses are errors.
 */
typedef int (*lade__reg_page_cb)(request *rq, void *payload);
int lade__reg_pages(registry *r, const char *url, const char *accept, size_t page_max, const char *scope,
		    const char *what, lade__reg_page_cb page, void *payload);
/* Referrers (registry_referrers.c): the op, and the fallback index kept up to date after a manifest PUT. */
int lade__reg_referrers(lade_target *t, const lade_descriptor *subject, const char *artifact_type,
			lade_descriptor_cb cb, void *payload);
/* A catalog page's repositories ({"repositories": [...]}) starting with prefix (NULL: all), to cb: for the fuzz target too. */
int lade__catalog_parse(const char *data, size_t len, const char *prefix, lade_tag_cb cb, void *payload);
/* One referrers index document's entries, filtered by artifact_type (NULL: all), to cb: for the fuzz target. */
int lade__referrers_parse(const char *data, size_t size, const char *artifact_type, lade_descriptor_cb cb,
			  void *payload);
/* The subject of a manifest or index (its bytes), copied into *subject (NULL when none); caller frees. */
int lade__reg_subject_of(const lade_descriptor *desc, const void *data, size_t len, lade_descriptor **subject);
int lade__reg_subject_check(registry *r, const lade_descriptor *desc, const void *data, size_t len,
			    lade_descriptor **subject);
/* What lade learnt of the referrers API (1 has it, 0 has not), kept in the cache folder when there is one. */
void lade__reg_referrers_learnt(registry *r, int has_api);
/* Ask the registry again, whatever the cache said. */
void lade__reg_referrers_recheck(registry *r, const lade_descriptor *subject);
/* A manifest with subject was deleted: where the registry has no referrers API, drop it from the fallback index. */
int lade__reg_unindex_referrer(registry *r, const lade_descriptor *subject, const lade_descriptor *desc);
int lade__reg_index_referrer(registry *r, const lade_descriptor *subject, const lade_descriptor *desc, const void *data,
			     size_t len);
long lade__reg_retry_delay(const registry *r, CURLcode cc, long status, long retry_after, int *attempt, int *stalls);
int lade__reg_request_error(const request *rq, CURLcode cc, const char *what);
void lade__reg_unpause_due(request *rq, long now, long *timeout);
CURLcode lade__reg_drive(registry *r, CURL *e, request *rq);
CURLcode lade__reg_perform(request *rq);
int lade__reg_is_redirect(long status);
int lade__reg_follow_redirect(const request *rq, char *out, size_t outlen);
/* Run a request to its end: 401 answered, redirects followed (when follow), retries; body capped at body_max. */
int lade__reg_run(request *rq, enum method method, const char *url, const char *accept, size_t body_max, int follow,
		  const char *scope, const char *what);
void lade__reg_scope_for(const registry *r, char *out, size_t outlen, int push);
const char *lade__reg_endpoint_for(const lade_descriptor *d);
int lade__reg_content_length(request *rq, uint64_t *out);
int lade__reg_resolve_location(const registry *r, const char *location, char *out, size_t outlen, const char *what);
int lade__reg_append_digest(char *url, size_t urllen, const lade_digest *d);

/* registry_auth.c: authorization */
const char *lade__reg_cached_auth(registry *r, const char *scope);
int lade__reg_remember_auth(registry *r, const char *scope, const char *value, time_t expires);
int lade__reg_handle_unauthorized(request *rq);

/* registry_transfer.c: blob transfers */
long lade__reg_now_ms(void);
int lade__reg_run_jobs(registry *r, lade_blob_job *jobs, size_t count, int push, const void *memory, int stream_fd,
		       const int *pipe_fds);
int lade__reg_push_stream(lade_target *t, int fd, const char *name, lade_descriptor *desc);
int lade__reg_fetch_files(lade_target *t, lade_blob_job *jobs, size_t count);
int lade__reg_push_files(lade_target *t, lade_blob_job *jobs, size_t count);
int lade__reg_fetch_pipes(lade_target *t, lade_pipe_job *jobs, size_t count);
int lade__reg_push_pipes(lade_target *t, lade_pipe_job *jobs, size_t count);
/*
 * Before more of a pipe job's download goes out: 0 when its socket took
 * what came before, 1 while some still waits (the transfer pauses), or an
 * error.
 */
int lade__reg_pipe_backlog(request *rq);

/* registry.c: whether t is a registry target */
int lade__reg_is_registry(const lade_target *t);

#endif
