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
#define MAX_AUTH_RETRIES 1

static const char MANIFEST_ACCEPT[] =
	"Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
	"application/vnd.docker.distribution.manifest.v2+json, "
	"application/vnd.docker.distribution.manifest.list.v2+json, "
	"application/vnd.oci.artifact.manifest.v1+json";

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
	int fd;              /* file source, or -1 */
	const char *data;    /* memory source */
	size_t len;
	uint64_t offset;     /* where in the file this body starts (a chunk) */
	uint64_t pos;        /* bytes of this body sent */
	uint64_t size;       /* bytes in this body; unknown for a stream */
	int stream;          /* read to end of input, size unknown, not replayable */
	lade_hasher *hash;   /* a stream is hashed as it is read */
	const char *path;    /* for messages */
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
	lade_buf body;        /* small replies and error bodies */
	lade__sink *sink;     /* 2xx body of a blob GET streams here */
	int callback_error;   /* set when a callback stopped the transfer */
	lade_error saved;     /* the callback's message, restored after curl returns */
	source src;
	int auth_retries;
	const char *scope;    /* the access this request needs, for its Authorization */
	const char *content_type; /* sent with a body, else NULL */
	uint64_t resume_from; /* > 0: ask for the rest of a blob from this offset */
	int foreign;          /* the URL is on another origin: no credentials, headers or client certificate */
	int body_seen;        /* the current response has started its body */
	long retry_after;     /* seconds from Retry-After, -1 when absent */
	char content_range[128];
	char upload_range[64];        /* the Range header of an upload reply: "0-<last byte>" */
	uint64_t chunk_min;           /* OCI-Chunk-Min-Length, 0 when absent */
	char send_range[64];          /* Content-Range to send with a PATCH, "" for none */
	long rate_start_ms;           /* --limit-rate on downloads: when the body began, */
	uint64_t rate_bytes;          /* how much of it was taken, */
	long paused_until_ms;         /* and until when the transfer waits (0: not paused) */
	char errbuf[CURL_ERROR_SIZE];
} request;

struct registry {
	lade_target base;
	CURLM *multi;
	char base_url[512];     /* scheme://host[:port] */
	char host[LADE_REF_REGISTRY_MAX];
	char repository[LADE_REF_REPOSITORY_MAX];
	auth_entry auth[AUTH_CACHE_MAX]; /* Authorization headers by scope, with their expiry */
	size_t auth_count;
	char user_agent[128];
	const char *username;
	const char *password;
	const char *identity_token;
	int credentials_stored;   /* may fall back to anonymous when rejected (ORAS #1161) */
	int anonymous;            /* stored credentials were rejected: ask for anonymous tokens */
	unsigned int concurrency;
	lade_auth_cb custom_auth;
	void *custom_auth_payload;
	int insecure;
	const char *ca_file, *cert_file, *key_file;
	struct curl_slist *resolve;       /* owned */
	const char *const *headers;       /* borrowed custom headers, registry origin only */
	size_t header_count;
	uint64_t limit_rate;
	uint64_t chunk_size;
	unsigned int retries;
	long deadline_ms;         /* monotonic ms by which everything must be done, 0 for none */
	unsigned int timeout;     /* the seconds that deadline came from, for messages */
	unsigned int stall;       /* seconds under 1 KiB/s before a transfer is cut */
	lade_debug_cb debug;
	void *debug_payload;
	lade_registry_stats stats;
};

static const char *cached_auth(registry *r, const char *scope);

static long now_ms(void);
static int retryable(CURLcode cc, long status);
static long backoff_ms(int attempt, long retry_after);

/* Stalled transfers are retried this often in all, whatever the retry count: a server that
   dribbles a byte now and then costs a bounded time, not retries × the stall time. */
#define STALL_RETRIES 1

/* ---- helpers ---- */

static int url_for(const registry *r, char *out, size_t outlen, const char *fmt, const char *arg)
{
	char path[URL_MAX];
	if (lade__snprintf(path, sizeof(path), fmt, r->repository, arg) < 0)
		return LADE_ETOOLARGE;
	return lade__snprintf(out, outlen, "%s%s", r->base_url, path);
}

static void trim_value(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

static size_t header_cb(char *data, size_t size, size_t nitems, void *userdata)
{
	request *rq = userdata;
	size_t len = size * nitems, namelen;
	const char *colon;
	char *dst = NULL;
	size_t dstlen = 0;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or 100-continue): forget the last one's headers. */
		rq->location[0] = rq->content_type_reply[0] = rq->docker_digest[0] = '\0';
		rq->www_authenticate[0] = rq->link[0] = rq->content_range[0] = '\0';
		rq->retry_after = -1;
		rq->body_seen = 0;
		rq->upload_range[0] = '\0';
		rq->chunk_min = 0;
		return len;
	}
	colon = memchr(data, ':', len);
	if (!colon)
		return len;
	namelen = (size_t)(colon - data);
#define HEADER_IS(name) (namelen == sizeof(name) - 1 && strncasecmp(data, name, namelen) == 0)
	if (HEADER_IS("Location")) {
		dst = rq->location;
		dstlen = sizeof(rq->location);
	} else if (HEADER_IS("Content-Type")) {
		dst = rq->content_type_reply;
		dstlen = sizeof(rq->content_type_reply);
	} else if (HEADER_IS("Docker-Content-Digest")) {
		dst = rq->docker_digest;
		dstlen = sizeof(rq->docker_digest);
	} else if (HEADER_IS("WWW-Authenticate")) {
		dst = rq->www_authenticate;
		dstlen = sizeof(rq->www_authenticate);
	} else if (HEADER_IS("Link")) {
		dst = rq->link;
		dstlen = sizeof(rq->link);
	} else if (HEADER_IS("Content-Range")) {
		dst = rq->content_range;
		dstlen = sizeof(rq->content_range);
	} else if (HEADER_IS("Range")) {
		dst = rq->upload_range;
		dstlen = sizeof(rq->upload_range);
	} else if (HEADER_IS("OCI-Chunk-Min-Length")) {
		rq->chunk_min = strtoull(colon + 1, NULL, 10);
	} else if (HEADER_IS("Retry-After")) {
		char value[64];
		snprintf(value, sizeof(value), "%.*s", (int)(len - namelen - 1), colon + 1);
		trim_value(value);
		rq->retry_after = lade__retry_after_parse(value);
	}
#undef HEADER_IS
	if (dst) {
		const char *v = colon + 1;
		size_t vlen = len - namelen - 1;
		while (vlen && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		if (vlen >= dstlen)
			vlen = dstlen - 1;
		memcpy(dst, v, vlen);
		dst[vlen] = '\0';
		trim_value(dst);
		/* Content-Type parameters are ignored (distribution-spec: clients SHOULD ignore them). */
		if (dst == rq->content_type_reply) {
			char *semi = strchr(dst, ';');
			if (semi)
				*semi = '\0';
			trim_value(dst);
		}
	}
	return len;
}

static void stop_with(request *rq, int err)
{
	rq->callback_error = err;
	rq->saved = *lade_error_last();
}

/*
 * Where a 2xx body resumes: a 206 must continue exactly where the partial
 * blob ends; a 200 after a Range request starts over.
 */
static int start_blob_body(request *rq, long status)
{
	uint64_t start = 0;
	if (status == 206) {
		if (lade__content_range_start(rq->content_range, &start) < 0 || start != rq->sink->written)
			return lade__error(LADE_EPROTOCOL, "'%s' resumed at '%s', not at byte %llu", rq->url, rq->content_range,
					   (unsigned long long)rq->sink->written);
		return 0;
	}
	return rq->sink->written ? lade__sink_restart(rq->sink) : 0;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
	request *rq = userdata;
	size_t len = size * nmemb;
	long status = 0;
	int err;

	/*
	 * --limit-rate on downloads: libcurl's own limit lets a fast link deliver
	 * megabytes between two of its checks, so the pace is kept here. Data that
	 * comes early is left with libcurl (PAUSE) and taken when its time comes
	 * (unpause_due).
	 */
	if (rq->reg->limit_rate) {
		long now = now_ms(), due;
		if (!rq->rate_start_ms)
			rq->rate_start_ms = now;
		due = rq->rate_start_ms + (long)(rq->rate_bytes * 1000 / rq->reg->limit_rate);
		if (now < due) {
			rq->paused_until_ms = due;
			return CURL_WRITEFUNC_PAUSE;
		}
		rq->rate_bytes += len;
	}
	curl_easy_getinfo(rq->easy, CURLINFO_RESPONSE_CODE, &status);
	rq->reg->stats.bytes_fetched += len;
	if (rq->sink && (status == 200 || status == 206)) {
		if (!rq->body_seen) {
			rq->body_seen = 1;
			if ((err = start_blob_body(rq, status)) < 0) {
				stop_with(rq, err);
				return 0;
			}
		}
		if ((err = lade__sink_write(rq->sink, data, len)) < 0) {
			stop_with(rq, err);
			return 0;
		}
		return len;
	}
	if ((err = lade_buf_put(&rq->body, data, len)) < 0) {
		stop_with(rq, err);
		return 0;
	}
	return len;
}

/* A trace line through the debug callback, with secrets cut out. */
static void debug_line(registry *r, char direction, const char *line, size_t len)
{
	static const char *const secret_headers[] = {"authorization:", "proxy-authorization:", "cookie:", "set-cookie:"};
	char out[2048];
	size_t i, n;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!len)
		return;
	n = (size_t)snprintf(out, sizeof(out), "%c %.*s", direction, (int)(len < 2000 ? len : 2000), line);
	if (n >= sizeof(out))
		n = sizeof(out) - 1;
	for (i = 0; i < sizeof(secret_headers) / sizeof(secret_headers[0]); i++) {
		size_t hl = strlen(secret_headers[i]);
		if (n > 2 + hl && !strncasecmp(out + 2, secret_headers[i], hl)) {
			snprintf(out + 2 + hl, sizeof(out) - 2 - hl, " <redacted>");
			break;
		}
	}
	/* Signed URLs carry their secret in the query: keep only the parameter names. */
	{
		char *q = strchr(out, '?');
		while (q && *q) {
			char *eq = strchr(q, '='), *amp;
			if (!eq)
				break;
			amp = strpbrk(eq, "& ");
			if (amp == NULL)
				amp = eq + strlen(eq);
			{
				char name[64];
				size_t nl = (size_t)(eq - q - 1);
				snprintf(name, sizeof(name), "%.*s", (int)(nl < sizeof(name) ? nl : sizeof(name) - 1), q + 1);
				for (char *c = name; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				if (strstr(name, "sig") || strstr(name, "token") || strstr(name, "key") || strstr(name, "cred") ||
				    strstr(name, "auth") || strstr(name, "secret") || strstr(name, "pass") ||
				    strstr(name, "security")) {
					size_t tail = strlen(amp);
					memmove(eq + 1 + 10, amp, tail + 1);
					memcpy(eq + 1, "<redacted>", 10);
					amp = eq + 1 + 10;
				}
			}
			q = *amp == '&' ? amp : NULL;
		}
	}
	r->debug(r->debug_payload, out);
}

static int debug_cb(CURL *handle, curl_infotype type, char *data, size_t size, void *userptr)
{
	registry *r = userptr;
	const char *p = data, *end = data + size;
	(void)handle;
	if (type != CURLINFO_TEXT && type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT)
		return 0; /* bodies are not traced: they may hold tokens */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
		debug_line(r, type == CURLINFO_HEADER_OUT ? '>' : type == CURLINFO_HEADER_IN ? '<' : '*', p, n);
		p += n;
	}
	return 0;
}

/* TLS and the other transport options; what may only go to the registry is left out for other origins. */
static void apply_transport(registry *r, CURL *e, int foreign)
{
	if (r->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (r->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
	if (!foreign && r->cert_file) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, r->cert_file);
		if (r->key_file)
			curl_easy_setopt(e, CURLOPT_SSLKEY, r->key_file);
	}
	if (r->resolve)
		curl_easy_setopt(e, CURLOPT_RESOLVE, r->resolve);
	if (r->limit_rate) {
		curl_easy_setopt(e, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)r->limit_rate);
		curl_easy_setopt(e, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)r->limit_rate);
		/* Small reads, so that the pace kept in write_cb is smooth (as the curl tool cuts its buffer). */
		curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)(r->limit_rate / 10 < 1024 ? 1024
							     : r->limit_rate / 10 > DOWNLOAD_BUFFER ? DOWNLOAD_BUFFER
												   : r->limit_rate / 10));
	}
	if (r->debug) {
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
		curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, debug_cb);
		curl_easy_setopt(e, CURLOPT_DEBUGDATA, r);
	}
}

/* Is url on the registry's own origin (scheme, host and port)? */
static int same_origin(const registry *r, const char *url)
{
	size_t n = strlen(r->base_url);
	return !strncmp(url, r->base_url, n) && (url[n] == '/' || url[n] == '?' || url[n] == '\0');
}

static size_t read_cb(char *buffer, size_t size, size_t nitems, void *userdata)
{
	request *rq = userdata;
	size_t want = size * nitems;
	if (rq->src.fd >= 0) {
		ssize_t n;
		if (!rq->src.stream && want > rq->src.size - rq->src.pos)
			want = (size_t)(rq->src.size - rq->src.pos);
		if (!want)
			return 0;
		do {
			n = read(rq->src.fd, buffer, want);
		} while (n < 0 && errno == EINTR);
		if (n < 0) {
			stop_with(rq, lade__error(LADE_EIO, "cannot read '%s': %s", rq->src.path, strerror(errno)));
			return CURL_READFUNC_ABORT;
		}
		if (n == 0 && !rq->src.stream && rq->src.pos < rq->src.size) {
			stop_with(rq, lade__error(LADE_EDIGEST, "'%s' shrank while it was pushed", rq->src.path));
			return CURL_READFUNC_ABORT;
		}
		if (rq->src.hash && n > 0 && lade_hasher_update(rq->src.hash, buffer, (size_t)n) < 0) {
			stop_with(rq, LADE_ERROR);
			return CURL_READFUNC_ABORT;
		}
		rq->src.pos += (uint64_t)n;
		rq->reg->stats.bytes_uploaded += (uint64_t)n;
		return (size_t)n;
	}
	if (want > rq->src.len - rq->src.pos)
		want = rq->src.len - (size_t)rq->src.pos;
	memcpy(buffer, rq->src.data + rq->src.pos, want);
	rq->src.pos += want;
	rq->reg->stats.bytes_uploaded += want;
	return want;
}

static int source_rewind(request *rq)
{
	if (rq->src.stream) {
		if (rq->src.pos)
			return lade__error(LADE_EUNSUPPORTED, "cannot send '%s' again: it is a stream", rq->src.path);
		return 0;
	}
	rq->src.pos = 0;
	if (rq->src.fd >= 0 && lseek(rq->src.fd, (off_t)rq->src.offset, SEEK_SET) < 0)
		return lade__error(LADE_EIO, "cannot rewind '%s': %s", rq->src.path, strerror(errno));
	return 0;
}

static void request_reset(request *rq)
{
	curl_slist_free_all(rq->headers);
	rq->headers = NULL;
	lade_buf_clear(&rq->body);
	rq->status = 0;
	rq->callback_error = 0;
	rq->location[0] = rq->content_type_reply[0] = rq->docker_digest[0] = '\0';
	rq->www_authenticate[0] = rq->link[0] = rq->content_range[0] = '\0';
	rq->errbuf[0] = '\0';
	rq->retry_after = -1;
	rq->body_seen = 0;
	rq->upload_range[0] = '\0';
	rq->chunk_min = 0;
	rq->rate_start_ms = 0;
	rq->rate_bytes = 0;
	rq->paused_until_ms = 0;
}

static int request_init(request *rq, registry *r)
{
	memset(rq, 0, sizeof(*rq));
	rq->reg = r;
	rq->src.fd = -1;
	lade_buf_init(&rq->body, LADE_ERROR_BODY_MAX);
	if (!(rq->easy = curl_easy_init()))
		return lade__error_oom();
	return 0;
}

static void request_dispose(request *rq)
{
	if (rq->easy)
		curl_easy_cleanup(rq->easy);
	curl_slist_free_all(rq->headers);
	lade_buf_dispose(&rq->body);
	if (rq->src.fd >= 0)
		close(rq->src.fd);
	memset(rq, 0, sizeof(*rq));
	rq->src.fd = -1;
}

static int add_header(request *rq, const char *line)
{
	struct curl_slist *l = curl_slist_append(rq->headers, line);
	if (!l)
		return lade__error_oom();
	rq->headers = l;
	return 0;
}

enum method { M_GET, M_HEAD, M_POST, M_PUT, M_PATCH };

/* A transfer buffer for a body of size bytes: 16 KiB (libcurl's default) up to most. */
static size_t buffer_for(uint64_t size, size_t most)
{
	size_t least = 16 * 1024;
	return size <= least ? least : size >= most ? most : (size_t)size;
}

/*
 * Prepare rq for method on url. Bodies come from rq->src (set before) for
 * PUT; body_max caps what a reply may bring into memory.
 */
static int request_setup(request *rq, enum method method, const char *url, const char *accept, size_t body_max)
{
	registry *r = rq->reg;
	CURL *e = rq->easy;
	const char *authorization;
	char line[128];
	size_t i;
	int err;

	request_reset(rq);
	rq->body.max = body_max;
	if ((err = lade__snprintf(rq->url, sizeof(rq->url), "%s", url)) < 0)
		return err;
	rq->foreign = !same_origin(r, url);
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, rq->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, rq);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, r->user_agent);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, rq);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, rq);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, rq->errbuf);
	/* Big buffers only where a big body comes: four slots of 1 MiB each are most of a small-blob push. */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)buffer_for(rq->sink ? rq->sink->desc->size - rq->sink->written : 0,
								 DOWNLOAD_BUFFER));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled transfer fails instead of hanging: under 1 KiB/s for the stall time (30 s unless set). */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)r->stall);
	if (r->deadline_ms) {
		long left = r->deadline_ms - now_ms();
		if (left <= 0)
			return lade__error(LADE_ENET, "gave up: the %u s time limit for the whole operation has passed",
					   r->timeout);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, left);
	}
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* HTTP/1.1: the registry's HTTP/2 path is slower for bulk transfer (registry-notes.md). */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	/* Redirects are followed by lade (follow_redirect), which knows what may cross origins. */
	apply_transport(r, e, rq->foreign);
	if (!rq->foreign) {
		if ((authorization = cached_auth(r, rq->scope)) && (err = add_header(rq, authorization)) < 0)
			return err;
		for (i = 0; i < r->header_count; i++)
			if ((err = add_header(rq, r->headers[i])) < 0)
				return err;
	}
	if (accept && (err = add_header(rq, accept)) < 0)
		return err;
	if (rq->content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", rq->content_type);
		if ((err = add_header(rq, line)) < 0)
			return err;
	}
	if (rq->resume_from) {
		snprintf(line, sizeof(line), "Range: bytes=%llu-", (unsigned long long)rq->resume_from);
		if ((err = add_header(rq, line)) < 0)
			return err;
	}
	if (rq->send_range[0]) {
		snprintf(line, sizeof(line), "Content-Range: %s", rq->send_range);
		if ((err = add_header(rq, line)) < 0)
			return err;
	}
	switch (method) {
	case M_GET:
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		break;
	case M_HEAD:
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		break;
	case M_POST:
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
		/* libcurl would add a form Content-Type, which the registry parses as a form. */
		if (!rq->content_type && (err = add_header(rq, "Content-Type: application/octet-stream")) < 0)
			return err;
		break;
	case M_PUT:
	case M_PATCH:
		if ((err = source_rewind(rq)) < 0)
			return err;
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		if (method == M_PATCH)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PATCH");
		curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(e, CURLOPT_READDATA, rq);
		/* A stream of unknown size goes with chunked transfer encoding. */
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, rq->src.stream ? (curl_off_t)-1 : (curl_off_t)rq->src.size);
		curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE,
				 (long)buffer_for(rq->src.stream ? UPLOAD_BUFFER : rq->src.size, UPLOAD_BUFFER));
		/* No 100-continue round trip: the registry reads the body anyway. */
		if ((err = add_header(rq, "Expect:")) < 0)
			return err;
		break;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, rq->headers);
	r->stats.requests++;
	return 0;
}

static int past_deadline(const registry *r)
{
	return r->deadline_ms && now_ms() >= r->deadline_ms - 10;
}

/*
 * Whether a failed exchange is tried again, and after how long (ms; -1 for
 * no): retryable failures while attempts are left, a stall only
 * STALL_RETRIES times, and never past the deadline.
 */
static long retry_delay(const registry *r, CURLcode cc, long status, long retry_after, int *attempt, int *stalls)
{
	long delay;
	if (!retryable(cc, status) || *attempt >= (int)r->retries)
		return -1;
	if (cc == CURLE_OPERATION_TIMEDOUT && (past_deadline(r) || (*stalls)++ >= STALL_RETRIES))
		return -1;
	delay = backoff_ms((*attempt)++, retry_after);
	if (r->deadline_ms && now_ms() + delay >= r->deadline_ms)
		return -1;
	return delay;
}

/* Turn a finished request that failed (transport or status) into an error. */
static int request_error(const request *rq, CURLcode cc, const char *what)
{
	char code[64], msg[512];
	int err;
	if (rq->callback_error) {
		*(lade_error *)lade_error_last() = rq->saved;
		return rq->callback_error;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT && past_deadline(rq->reg))
		return lade__error(LADE_ENET, "%s: gave up at the %u s time limit for the whole operation", what,
				   rq->reg->timeout);
	if (cc == CURLE_OUT_OF_MEMORY)
		/* libcurl refuses a reply header over 100 KiB with "out of memory": say what it was. */
		return lade__error(LADE_EPROTOCOL, "%s: the registry's reply has a header too large to read (%s)", what,
				   rq->errbuf[0] ? rq->errbuf : "over libcurl's 100 KiB limit");
	if (cc != CURLE_OK)
		return lade__error(LADE_ENET, "%s: %s", what, rq->errbuf[0] ? rq->errbuf : curl_easy_strerror(cc));
	lade__error_body_parse(rq->body.ptr, rq->body.size, code, sizeof(code), msg, sizeof(msg));
	switch (rq->status) {
	case 401: err = LADE_EAUTH; break;
	case 403: err = LADE_EDENIED; break;
	case 404: err = LADE_ENOTFOUND; break;
	case 413: err = LADE_ETOOLARGE; break;
	default: err = rq->status >= 400 && rq->status < 500 ? LADE_EINVALID : LADE_EPROTOCOL; break;
	}
	if (strcmp(code, "DIGEST_INVALID") == 0)
		err = LADE_EDIGEST;
	if (rq->foreign) {
		/* Storage the registry redirected to: name its origin only (its query may hold a signature). */
		const char *host = strstr(rq->url, "://");
		size_t n = host ? strcspn(host + 3, "/?#") + (size_t)(host + 3 - rq->url) : 0;
		return lade__error_http(err, rq->status, code, "%s: the storage it was redirected to (%.*s) answered %ld%s%s",
					what, (int)n, rq->url, rq->status, msg[0] ? ": " : "", msg);
	}
	if (rq->status == 401 && !rq->reg->username && !rq->reg->identity_token)
		return lade__error_http(err, rq->status, code,
					"%s: authentication required (401 %s): give --username and --password, or lade login",
					what, code[0] ? code : "UNAUTHORIZED");
	if (rq->status == 401)
		return lade__error_http(err, rq->status, code, "%s: credentials rejected (401 %s)", what,
					code[0] ? code : "UNAUTHORIZED");
	return lade__error_http(err, rq->status, code, "%s: registry answered %ld%s%s%s%s", what, rq->status,
				code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
}

/* ---- authorization ---- */

/* The Authorization header for scope, if one is known and still fresh. Borrowed. */
static const char *cached_auth(registry *r, const char *scope)
{
	time_t now = time(NULL);
	size_t i;
	for (i = 0; i < r->auth_count; i++) {
		auth_entry *e = &r->auth[i];
		if ((!strcmp(e->scope, "*") || (scope && !strcmp(e->scope, scope))) && (!e->expires || now < e->expires))
			return e->header;
	}
	return NULL;
}

static int remember_auth(registry *r, const char *scope, const char *value, time_t expires)
{
	auth_entry *e = NULL;
	size_t i;
	for (i = 0; i < r->auth_count && !e; i++)
		if (!strcmp(r->auth[i].scope, scope))
			e = &r->auth[i];
	if (!e) {
		if (r->auth_count == AUTH_CACHE_MAX) {
			memmove(&r->auth[0], &r->auth[1], (AUTH_CACHE_MAX - 1) * sizeof(r->auth[0]));
			r->auth_count--;
		}
		e = &r->auth[r->auth_count++];
	}
	OPENSSL_cleanse(e->header, sizeof(e->header));
	snprintf(e->scope, sizeof(e->scope), "%s", scope);
	e->expires = expires;
	return lade__snprintf(e->header, sizeof(e->header), "Authorization: %s", value);
}

static int basic_value(const char *user, const char *pass, char *out, size_t outlen)
{
	char plain[1024];
	unsigned char encoded[1400];
	int n;
	if (lade__snprintf(plain, sizeof(plain), "%s:%s", user, pass ? pass : "") < 0)
		return lade__error(LADE_EINVALID, "credentials are too long");
	n = EVP_EncodeBlock(encoded, (const unsigned char *)plain, (int)strlen(plain));
	OPENSSL_cleanse(plain, sizeof(plain));
	n = lade__snprintf(out, outlen, "Basic %.*s", n, (const char *)encoded);
	OPENSSL_cleanse(encoded, sizeof(encoded));
	return n;
}

static size_t token_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	return lade_buf_put(userdata, data, size * nmemb) < 0 ? 0 : size * nmemb;
}

/* One request to the token realm: GET (scopes as repeated parameters) or an OAuth2 POST form. */
static int token_request(registry *r, const lade_challenge *ch, const char *scope, int use_credentials, int post,
			 lade_buf *reply, long *status)
{
	CURL *e = curl_easy_init();
	struct curl_slist *headers = NULL;
	lade_buf url, form;
	char *esc, header[HEADER_MAX], errbuf[CURL_ERROR_SIZE] = "";
	const char *p;
	CURLcode cc;
	int err = 0;

	lade_buf_init(&url, 8192);
	lade_buf_init(&form, 16384);
	if (!e)
		return lade__error_oom();
#define APPEND_PARAM(buf, sep, name, value)                                                                   \
	do {                                                                                                  \
		esc = curl_easy_escape(e, value, 0);                                                          \
		if (!esc || lade_buf_puts(buf, sep) < 0 || lade_buf_puts(buf, name) < 0 ||                    \
		    lade_buf_puts(buf, "=") < 0 || lade_buf_puts(buf, esc) < 0) {                             \
			curl_free(esc);                                                                       \
			err = lade__error(LADE_ETOOLARGE, "token request too long");                         \
			goto done;                                                                            \
		}                                                                                             \
		curl_free(esc);                                                                               \
	} while (0)
	if ((err = lade_buf_puts(&url, ch->realm)) < 0)
		goto done;
	if (post) {
		/* OAuth2: one space-separated scope field. */
		APPEND_PARAM(&form, "", "grant_type", "refresh_token");
		APPEND_PARAM(&form, "&", "refresh_token", r->identity_token);
		APPEND_PARAM(&form, "&", "service", ch->service);
		APPEND_PARAM(&form, "&", "client_id", "lade");
		if (*scope)
			APPEND_PARAM(&form, "&", "scope", scope);
	} else {
		const char *sep = strchr(ch->realm, '?') ? "&" : "?";
		if (ch->service[0]) {
			APPEND_PARAM(&url, sep, "service", ch->service);
			sep = "&";
		}
		/* GET: one scope parameter per scope. */
		for (p = scope; *p;) {
			char one[600];
			size_t n = strcspn(p, " ");
			if (n && n < sizeof(one)) {
				memcpy(one, p, n);
				one[n] = '\0';
				APPEND_PARAM(&url, sep, "scope", one);
				sep = "&";
			}
			p += n;
			while (*p == ' ')
				p++;
		}
		if (use_credentials) {
			if ((err = basic_value(r->username, r->password, header + 15, sizeof(header) - 15)) < 0)
				goto done;
			memcpy(header, "Authorization: ", 15);
			headers = curl_slist_append(headers, header);
			OPENSSL_cleanse(header, sizeof(header));
		}
	}
#undef APPEND_PARAM
	curl_easy_setopt(e, CURLOPT_URL, url.ptr);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, r->user_agent);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	/* The realm gets lade's TLS settings; the client certificate only when it is the registry's origin. */
	apply_transport(r, e, !same_origin(r, url.ptr));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, token_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, reply);
	if (post) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, form.ptr);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)form.size);
	}
	if (headers)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	r->stats.requests++;
	cc = curl_easy_perform(e);
	if (cc == CURLE_WRITE_ERROR && reply->size + CURL_MAX_WRITE_SIZE >= reply->max) {
		/* token_write refused more: say so, not libcurl's "failure writing output". */
		err = lade__error(LADE_ETOOLARGE, "the token service '%s' sent a reply over the %zu-byte limit", ch->realm,
				  reply->max);
		goto done;
	}
	if (cc != CURLE_OK) {
		err = lade__error(LADE_ENET, "cannot reach the token service '%s': %s", ch->realm,
				  errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
done:
	curl_slist_free_all(headers);
	curl_easy_cleanup(e);
	OPENSSL_cleanse(form.ptr, form.size);
	lade_buf_dispose(&form);
	lade_buf_dispose(&url);
	return err;
}

/* Get a bearer token for scope from the challenge's realm and remember it. */
static int fetch_token(registry *r, const lade_challenge *ch, const char *scope)
{
	lade_buf reply;
	char value[HEADER_MAX];
	long status = 0, lifetime = MIN_TOKEN_LIFETIME;
	int err, with_credentials = r->username && !r->anonymous, post = r->identity_token && !r->anonymous;

	if (strncmp(ch->realm, "https://", 8) != 0 && strncmp(ch->realm, "http://", 7) != 0)
		return lade__error(LADE_EPROTOCOL, "'%s' names a token service '%s' that is not an http(s) URL", r->host,
				   ch->realm);
	/* Credentials never go down from https to http. */
	if ((with_credentials || post) && !strncmp(r->base_url, "https://", 8) && !strncmp(ch->realm, "http://", 7))
		return lade__error(LADE_EUNSAFE, "'%s' sends its token requests to plain http '%s'; refusing to send credentials",
				   r->host, ch->realm);
	lade_buf_init(&reply, TOKEN_REPLY_MAX);
	if ((err = token_request(r, ch, scope, with_credentials, post, &reply, &status)) < 0)
		goto done;
	if (post && (status == 404 || status == 405)) {
		/* A token service without OAuth2: GET, as the distribution spec says. */
		lade_buf_clear(&reply);
		post = 0;
		if ((err = token_request(r, ch, scope, with_credentials, 0, &reply, &status)) < 0)
			goto done;
	}
	if ((status == 401 || status == 403) && (with_credentials || post) && r->credentials_stored) {
		/* Stored credentials rejected: the repository may still be public. */
		lade_buf_clear(&reply);
		r->anonymous = 1;
		with_credentials = post = 0;
		if ((err = token_request(r, ch, scope, 0, 0, &reply, &status)) < 0)
			goto done;
	}
	if (status == 401 || status == 403) {
		err = with_credentials || post
			      ? lade__error_http(LADE_EAUTH, status, "UNAUTHORIZED", "'%s': credentials rejected by the token service",
						 r->host)
			      : lade__error_http(LADE_EAUTH, status, "UNAUTHORIZED",
						 "'%s' requires credentials and none were given", r->host);
		goto done;
	}
	if (status != 200) {
		err = lade__error_http(LADE_EPROTOCOL, status, "", "'%s': the token service answered %ld", r->host, status);
		goto done;
	}
	memcpy(value, "Bearer ", 7);
	if ((err = lade__token_reply_parse(reply.ptr, reply.size, TOKEN_REPLY_MAX, value + 7, sizeof(value) - 7,
					   MIN_TOKEN_LIFETIME, &lifetime)) < 0) {
		err = lade__error(err, "'%s': %s", r->host, lade_error_last()->message);
		goto done;
	}
	/* A little early, so a token does not run out between check and use. */
	err = remember_auth(r, scope, value, time(NULL) + lifetime - lifetime / 10);
done:
	OPENSSL_cleanse(value, sizeof(value));
	OPENSSL_cleanse(reply.ptr, reply.size);
	lade_buf_dispose(&reply);
	return err;
}

/* After a 401: learn how to authorize, then 1 means "send the request again". */
static int handle_unauthorized(request *rq)
{
	registry *r = rq->reg;
	lade_challenge challenges[4];
	const lade_challenge *bearer = NULL, *basic = NULL;
	const char *scope = rq->scope ? rq->scope : "";
	size_t n = 0, i;
	int err;

	if (rq->auth_retries >= MAX_AUTH_RETRIES || !rq->www_authenticate[0])
		return 0;
	rq->auth_retries++;
	if (r->custom_auth) {
		lade_buf value;
		lade_buf_init(&value, HEADER_MAX - 32);
		err = r->custom_auth(r->custom_auth_payload, r->host, rq->www_authenticate, scope, &value);
		if (err == 0)
			err = remember_auth(r, "*", value.ptr, 0);
		OPENSSL_cleanse(value.ptr, value.size);
		lade_buf_dispose(&value);
		return err < 0 ? err : 1;
	}
	if ((err = lade_auth_parse_challenges(rq->www_authenticate, challenges, 4, &n)) < 0)
		return err;
	for (i = 0; i < n; i++) {
		if (!strcmp(challenges[i].scheme, "bearer") && !bearer)
			bearer = &challenges[i];
		else if (!strcmp(challenges[i].scheme, "basic") && !basic)
			basic = &challenges[i];
	}
	if (bearer) {
		if (!bearer->realm[0])
			return lade__error(LADE_EPROTOCOL, "'%s' asks for a bearer token but names no realm", r->host);
		return (err = fetch_token(r, bearer, scope)) < 0 ? err : 1;
	}
	if (basic) {
		char value[HEADER_MAX];
		if (!r->username)
			return lade__error(LADE_EAUTH, "'%s' requires credentials and none were given",
					   r->host);
		if ((err = basic_value(r->username, r->password, value, sizeof(value))) == 0)
			err = remember_auth(r, "*", value, 0);
		OPENSSL_cleanse(value, sizeof(value));
		return err < 0 ? err : 1;
	}
	return lade__error(LADE_EUNSUPPORTED, "'%s' asks for '%.40s' authentication, which lade does not speak", r->host,
			   rq->www_authenticate);
}

/* ---- running requests ---- */

/* A paused download whose time has come goes on; *timeout is cut to the next one due. */
static void unpause_due(request *rq, long now, long *timeout)
{
	if (!rq->paused_until_ms)
		return;
	if (rq->paused_until_ms <= now) {
		rq->paused_until_ms = 0;
		curl_easy_pause(rq->easy, CURLPAUSE_CONT);
	} else if (rq->paused_until_ms - now < *timeout) {
		*timeout = rq->paused_until_ms - now;
	}
}

/* Run one prepared request to completion on the shared multi handle. */
static CURLcode perform(request *rq)
{
	registry *r = rq->reg;
	CURLcode result = CURLE_OK;
	CURLMsg *msg;
	int running = 1, left;
	long connects = 0;

	curl_multi_add_handle(r->multi, rq->easy);
	while (running) {
		long timeout = 1000;
		curl_multi_perform(r->multi, &running);
		while ((msg = curl_multi_info_read(r->multi, &left)))
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == rq->easy)
				result = msg->data.result;
		unpause_due(rq, now_ms(), &timeout);
		if (running)
			curl_multi_poll(r->multi, NULL, 0, (int)timeout, NULL);
	}
	curl_multi_remove_handle(r->multi, rq->easy);
	curl_easy_getinfo(rq->easy, CURLINFO_RESPONSE_CODE, &rq->status);
	curl_easy_getinfo(rq->easy, CURLINFO_NUM_CONNECTS, &connects);
	r->stats.connections += (uint64_t)connects;
	return result;
}

/* Failures that may pass: a dropped or refused connection, 408, 429, 5xx. */
static int retryable(CURLcode cc, long status)
{
	switch (cc) {
	case CURLE_OK:
		return status == 408 || status == 429 || (status >= 500 && status <= 599 && status != 501 && status != 505);
	case CURLE_COULDNT_CONNECT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* Exponential backoff with jitter, or what Retry-After asks (capped at a minute). */
static long backoff_ms(int attempt, long retry_after)
{
	long base;
	if (retry_after >= 0)
		return (retry_after > 60 ? 60 : retry_after) * 1000;
	base = 250L << (attempt < 5 ? attempt : 5);
	if (base > 8000)
		base = 8000;
	return base + (long)((unsigned long)rand() % (unsigned long)(base / 2 + 1));
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* The URL a redirect points to, resolved against the request's URL. */
static int follow_redirect(const request *rq, char *out, size_t outlen)
{
	const char *loc = rq->location, *scheme_end, *path;
	if (!loc[0])
		return lade__error(LADE_EPROTOCOL, "'%s' redirected without a Location", rq->url);
	if (!strncmp(loc, "http://", 7) || !strncmp(loc, "https://", 8))
		return lade__snprintf(out, outlen, "%s", loc);
	if (strstr(loc, "://"))
		return lade__error(LADE_EUNSAFE, "'%s' redirected to '%s', which is not http(s)", rq->url, loc);
	scheme_end = strstr(rq->url, "://");
	path = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
	if (loc[0] == '/' && loc[1] == '/')
		return lade__snprintf(out, outlen, "%.*s%s", (int)(scheme_end - rq->url + 1), rq->url, loc);
	if (loc[0] == '/')
		return lade__snprintf(out, outlen, "%.*s%s", (int)(path ? path - rq->url : (long)strlen(rq->url)), rq->url, loc);
	{
		const char *last = strrchr(rq->url, '/');
		return lade__snprintf(out, outlen, "%.*s/%s", (int)(last - rq->url), rq->url, loc);
	}
}

/*
 * Run a request to completion: retrying what may pass, answering one 401,
 * and (follow) following redirects. Returns 0 or an error; rq->status is set.
 */
static int run(request *rq, enum method method, const char *url, const char *accept, size_t body_max,
	       int follow, const char *scope, const char *what)
{
	registry *r = rq->reg;
	char current[URL_MAX];
	CURLcode cc;
	int err, attempt = 0, stalls = 0, redirects = 0;
	long delay;
	rq->auth_retries = 0;
	rq->scope = scope;
	if ((err = lade__snprintf(current, sizeof(current), "%s", url)) < 0)
		return err;
	for (;;) {
		if ((err = request_setup(rq, method, current, accept, body_max)) < 0)
			return err;
		cc = perform(rq);
		if (rq->callback_error)
			return request_error(rq, cc, what);
		if ((delay = retry_delay(r, cc, rq->status, rq->retry_after, &attempt, &stalls)) >= 0) {
			sleep_ms(delay);
			continue;
		}
		if (cc != CURLE_OK)
			return request_error(rq, cc, what);
		if (rq->status == 401 && !rq->foreign && (err = handle_unauthorized(rq)) != 0) {
			if (err < 0)
				return err;
			continue;
		}
		if (follow && is_redirect(rq->status)) {
			if (++redirects > 5)
				return lade__error(LADE_EPROTOCOL, "%s: more than 5 redirects", what);
			if ((err = follow_redirect(rq, current, sizeof(current))) < 0)
				return err;
			continue;
		}
		return 0;
	}
}

static void scope_for(const registry *r, char *out, size_t outlen, int push)
{
	snprintf(out, outlen, "repository:%s:%s", r->repository, push ? "pull,push" : "pull");
}

static const char *endpoint_for(const lade_descriptor *d)
{
	return lade_mediatype_is_manifest(d->media_type) ? "/v2/%s/manifests/%s" : "/v2/%s/blobs/%s";
}

static int content_length(request *rq, uint64_t *out)
{
	curl_off_t len = -1;
	curl_easy_getinfo(rq->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	if (len < 0)
		return lade__error(LADE_EPROTOCOL, "'%s': reply has no Content-Length", rq->url);
	*out = (uint64_t)len;
	return 0;
}

/* A Location is used verbatim when it stays on the registry's origin. */
static int resolve_location(const registry *r, const char *location, char *out, size_t outlen, const char *what)
{
	size_t baselen = strlen(r->base_url);
	if (!location[0])
		return lade__error(LADE_EPROTOCOL, "%s: registry sent no Location", what);
	if (location[0] == '/' && location[1] != '/')
		return lade__snprintf(out, outlen, "%s%s", r->base_url, location);
	if (strncmp(location, r->base_url, baselen) == 0 && (location[baselen] == '/' || location[baselen] == '?'))
		return lade__snprintf(out, outlen, "%s", location);
	return lade__error(LADE_EUNSAFE, "%s: upload location '%s' is not on %s; refusing to send content there",
			   what, location, r->base_url);
}

static int append_digest(char *url, size_t urllen, const lade_digest *d)
{
	size_t len = strlen(url);
	const char *colon = strchr(d->str, ':');
	return lade__snprintf(url + len, urllen - len, "%sdigest=%.*s%%3A%s", strchr(url, '?') ? "&" : "?",
			      (int)(colon - d->str), d->str, colon + 1);
}

static int reg_exists(lade_target *t, const lade_descriptor *desc, int *found)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], scope[600], what[256];
	int err;
	snprintf(what, sizeof(what), "cannot check %s in '%s/%s'", desc->digest.str, r->host, r->repository);
	scope_for(r, scope, sizeof(scope), 0);
	if ((err = url_for(r, url, sizeof(url), endpoint_for(desc), desc->digest.str)) < 0 ||
	    (err = request_init(&rq, r)) < 0)
		return err;
	err = run(&rq, M_HEAD, url, lade_mediatype_is_manifest(desc->media_type) ? MANIFEST_ACCEPT : NULL,
		  LADE_ERROR_BODY_MAX, 0, scope, what);
	if (err == 0) {
		if (rq.status == 200)
			*found = 1;
		else if (rq.status == 404)
			*found = 0;
		else
			err = request_error(&rq, CURLE_OK, what);
	}
	request_dispose(&rq);
	return err;
}

static int reg_blob_size(lade_target *t, const lade_digest *digest, uint64_t *size)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], scope[600], what[256];
	int err;
	snprintf(what, sizeof(what), "cannot find %s in '%s/%s'", digest->str, r->host, r->repository);
	scope_for(r, scope, sizeof(scope), 0);
	if ((err = url_for(r, url, sizeof(url), "/v2/%s/blobs/%s", digest->str)) < 0 || (err = request_init(&rq, r)) < 0)
		return err;
	if ((err = run(&rq, M_HEAD, url, NULL, LADE_ERROR_BODY_MAX, 1, scope, what)) == 0) {
		if (rq.status == 404)
			err = lade__error_http(LADE_ENOTFOUND, 404, "BLOB_UNKNOWN", "%s: not found", what);
		else if (rq.status != 200)
			err = request_error(&rq, CURLE_OK, what);
		else
			err = content_length(&rq, size);
	}
	request_dispose(&rq);
	return err;
}

static int reg_fetch_bytes(lade_target *t, const lade_descriptor *desc, size_t max, lade_buf *out)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], scope[600], what[256];
	lade_digest got;
	int manifest = lade_mediatype_is_manifest(desc->media_type), err;

	snprintf(what, sizeof(what), "cannot fetch %s from '%s/%s'", desc->digest.str, r->host, r->repository);
	if (desc->size > max)
		return lade__error(LADE_ETOOLARGE, "%s: %llu bytes is over the %zu-byte limit", what,
				   (unsigned long long)desc->size, max);
	scope_for(r, scope, sizeof(scope), 0);
	if ((err = url_for(r, url, sizeof(url), endpoint_for(desc), desc->digest.str)) < 0 ||
	    (err = request_init(&rq, r)) < 0)
		return err;
	if ((err = run(&rq, M_GET, url, manifest ? MANIFEST_ACCEPT : NULL, max, !manifest, scope, what)) < 0)
		goto done;
	if (rq.status != 200) {
		/* The error body was capped at max too; that is fine for a message. */
		err = request_error(&rq, CURLE_OK, what);
		goto done;
	}
	if (rq.body.size != desc->size) {
		err = lade__error(LADE_EDIGEST, "%s: got %zu bytes, expected %llu", what, rq.body.size,
				  (unsigned long long)desc->size);
		goto done;
	}
	if ((err = lade_digest_buffer(&got, desc->digest.alg, rq.body.ptr, rq.body.size)) < 0)
		goto done;
	if (!lade_digest_equal(&got, &desc->digest)) {
		err = lade__error(LADE_EDIGEST, "%s: content does not match its digest (got %s)", what, got.str);
		goto done;
	}
	*out = rq.body;
	lade_buf_init(&rq.body, LADE_ERROR_BODY_MAX);
done:
	request_dispose(&rq);
	return err;
}

/* ---- blob tasks: several transfers at once on the multi handle ---- */

enum task_state { T_HEAD, T_POST, T_PUT, T_PATCH, T_STATUS, T_GET };

/* Chunks when a registry asks for them or the size is not known: 8 MiB, or its minimum if larger. */
#define DEFAULT_CHUNK ((uint64_t)8 << 20)

typedef struct task {
	request rq; /* first: CURLOPT_PRIVATE points here */
	lade_blob_job *job;
	enum task_state state;
	lade__sink sink;
	int sink_open;
	const void *memory;  /* push from memory instead of job->path */
	int fd;              /* the file (or stream) pushed, -1 until opened */
	int stream;          /* pushing a stream of unknown size: digest and size come at the end */
	lade_hasher *stream_hash;
	lade_descriptor *stream_desc; /* where a stream's digest and size go (job->desc, writable) */
	int chunked;         /* PATCH chunks, then an empty PUT */
	uint64_t offset;     /* bytes the registry has of this upload */
	uint64_t chunk_min;  /* the registry's OCI-Chunk-Min-Length */
	const char *mount_from; /* a repository of the same registry that may have the blob */
	char upload_url[URL_MAX]; /* the upload session, as the last Location gave it */
	char put_url[URL_MAX];
	char get_url[URL_MAX];    /* where the blob GET goes now (after redirects) */
	int redirects;
	int attempt;         /* retries used */
	int stalls;          /* of which after a stall */
	long wake_ms;        /* > 0: waiting to retry until this time (monotonic ms) */
	int busy;            /* the slot holds a job */
	char scope[1300];
	char what[300];
} task;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t chunk_length(const task *tk)
{
	uint64_t want = tk->rq.reg->chunk_size ? tk->rq.reg->chunk_size : DEFAULT_CHUNK;
	uint64_t left = tk->job->desc->size - tk->offset;
	if (want < tk->chunk_min)
		want = tk->chunk_min;
	return want < left ? want : left;
}

static int open_source(task *tk)
{
	struct stat st;
	if (tk->fd >= 0 || tk->memory)
		return 0;
	if ((tk->fd = lade__open_regular(tk->job->path)) < 0)
		return tk->fd;
	if (fstat(tk->fd, &st) < 0 || (uint64_t)st.st_size != tk->job->desc->size)
		return lade__error(LADE_EDIGEST, "'%s' changed since it was hashed", tk->job->path);
	posix_fadvise(tk->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

static int task_prepare(task *tk)
{
	registry *r = tk->rq.reg;
	const lade_descriptor *d = tk->job->desc;
	request *rq = &tk->rq;
	char url[URL_MAX];
	int err;

	rq->content_type = NULL;
	rq->resume_from = 0;
	rq->send_range[0] = '\0';
	memset(&rq->src, 0, sizeof(rq->src));
	rq->src.fd = -1;
	rq->src.path = tk->job->path ? tk->job->path : d->digest.str;
	switch (tk->state) {
	case T_HEAD:
		if ((err = url_for(r, url, sizeof(url), "/v2/%s/blobs/%s", d->digest.str)) < 0)
			return err;
		return request_setup(rq, M_HEAD, url, NULL, LADE_ERROR_BODY_MAX);
	case T_POST:
		if (tk->mount_from) {
			/* Cross-repository mount: the registry links the blob, or opens an upload (202). */
			char query[URL_MAX];
			char *from = curl_easy_escape(rq->easy, tk->mount_from, 0);
			err = lade__snprintf(query, sizeof(query), "?mount=%s&from=%s", d->digest.str, from ? from : "");
			curl_free(from);
			if (err < 0 || (err = url_for(r, url, sizeof(url), "/v2/%s/blobs/uploads/%s", query)) < 0)
				return err;
		} else if ((err = url_for(r, url, sizeof(url), "/v2/%s/blobs/uploads/%s", "")) < 0) {
			return err;
		}
		return request_setup(rq, M_POST, url, NULL, LADE_ERROR_BODY_MAX);
	case T_PUT:
		rq->content_type = "application/octet-stream";
		if (tk->chunked) {
			/* Every byte went in PATCHes: the PUT only closes the session with the digest. */
			rq->src.data = "";
		} else {
			if ((err = open_source(tk)) < 0)
				return err;
			rq->src.fd = tk->fd;
			rq->src.data = tk->memory;
			rq->src.len = (size_t)d->size;
			rq->src.size = d->size;
		}
		if ((err = lade__snprintf(tk->put_url, sizeof(tk->put_url), "%s", tk->upload_url)) < 0 ||
		    (err = append_digest(tk->put_url, sizeof(tk->put_url), &d->digest)) < 0)
			return err;
		return request_setup(rq, M_PUT, tk->put_url, NULL, LADE_ERROR_BODY_MAX);
	case T_PATCH:
		rq->content_type = "application/octet-stream";
		if (tk->stream) {
			rq->src.fd = tk->fd;
			rq->src.stream = 1;
			rq->src.hash = tk->stream_hash;
		} else {
			uint64_t len = chunk_length(tk);
			if ((err = open_source(tk)) < 0)
				return err;
			rq->src.fd = tk->fd;
			rq->src.data = tk->memory ? (const char *)tk->memory + tk->offset : NULL;
			rq->src.len = (size_t)len;
			rq->src.offset = tk->offset;
			rq->src.size = len;
			snprintf(rq->send_range, sizeof(rq->send_range), "%llu-%llu", (unsigned long long)tk->offset,
				 (unsigned long long)(tk->offset + len - 1));
		}
		return request_setup(rq, M_PATCH, tk->upload_url, NULL, LADE_ERROR_BODY_MAX);
	case T_STATUS:
		return request_setup(rq, M_GET, tk->upload_url, NULL, LADE_ERROR_BODY_MAX);
	case T_GET:
		if (!tk->sink_open) {
			/* A partial blob an earlier run left beside the destination is continued, not refetched. */
			if ((err = lade__sink_open_resumable(&tk->sink, tk->job->path, d)) < 0)
				return err;
			if (tk->sink.complete) /* another lade fetched it to the same place meanwhile */
				return 1;
			tk->sink_open = 1;
			/* A partial file that is whole (its fetch died before the rename): check it and take it. */
			if (tk->sink.written == d->size) {
				tk->sink_open = 0;
				if (lade__sink_commit(&tk->sink) == 0)
					return 1;
				lade_error_clear(); /* it proved wrong and is gone: fetch it afresh */
				if ((err = lade__sink_open_resumable(&tk->sink, tk->job->path, d)) < 0)
					return err;
				if (tk->sink.complete)
					return 1;
				tk->sink_open = 1;
			}
		}
		rq->sink = &tk->sink;
		/* After a dropped connection, ask for the rest; the hash carries on where it was. */
		rq->resume_from = tk->sink.written < d->size ? tk->sink.written : 0;
		if (!tk->get_url[0] && (err = url_for(r, tk->get_url, sizeof(tk->get_url), "/v2/%s/blobs/%s", d->digest.str)) < 0)
			return err;
		return request_setup(rq, M_GET, tk->get_url, NULL, LADE_ERROR_BODY_MAX);
	}
	return lade__error(LADE_ERROR, "bad task state");
}

/* Where the next PATCH goes, and (when told) how much the registry has. */
static int take_upload_location(task *tk)
{
	request *rq = &tk->rq;
	if (rq->location[0])
		return resolve_location(rq->reg, rq->location, tk->upload_url, sizeof(tk->upload_url), tk->what);
	return 0;
}

/* A step finished: 1 = the next step was set up, 2 = retry later, 0 = the job is done, <0 = failed. */
static int task_advance(task *tk, CURLcode cc)
{
	registry *r = tk->rq.reg;
	request *rq = &tk->rq;
	long connects = 0, delay;
	int err;

	curl_easy_getinfo(rq->easy, CURLINFO_RESPONSE_CODE, &rq->status);
	curl_easy_getinfo(rq->easy, CURLINFO_NUM_CONNECTS, &connects);
	r->stats.connections += (uint64_t)connects;
	if (!rq->callback_error && !tk->stream &&
	    (delay = retry_delay(r, cc, rq->status, rq->retry_after, &tk->attempt, &tk->stalls)) >= 0) {
		tk->wake_ms = now_ms() + delay;
		/* A failed chunk: ask the registry how much it has. A failed PUT: start the upload again. */
		if (tk->state == T_PATCH)
			tk->state = T_STATUS;
		else if (tk->state == T_PUT)
			tk->state = T_POST, tk->offset = 0;
		return 2;
	}
	if (rq->callback_error && tk->sink_open)
		tk->sink.keep_partial = 0; /* content that went wrong is not worth resuming */
	if (cc != CURLE_OK || rq->callback_error)
		return request_error(rq, cc, tk->what);
	if (rq->status == 401 && !rq->foreign) {
		if ((err = handle_unauthorized(rq)) < 0)
			return err;
		if (err == 1 && !(tk->stream && rq->src.pos))
			return 1; /* same step again, now with credentials */
		return request_error(rq, cc, tk->what);
	}
	rq->auth_retries = 0;
	switch (tk->state) {
	case T_HEAD:
		if (rq->status == 200) {
			tk->job->skipped = 1;
			return 0;
		}
		if (rq->status != 404)
			return request_error(rq, cc, tk->what);
		tk->state = T_POST;
		return 1;
	case T_POST:
		if (rq->status == 201) { /* mounted from another repository: nothing to send */
			tk->job->skipped = 1;
			return 0;
		}
		if (rq->status != 202)
			return request_error(rq, cc, tk->what);
		if ((err = resolve_location(r, rq->location, tk->upload_url, sizeof(tk->upload_url), tk->what)) < 0)
			return err;
		tk->chunk_min = rq->chunk_min;
		tk->chunked = tk->stream || r->chunk_size || rq->chunk_min;
		tk->offset = 0;
		tk->state = tk->chunked ? T_PATCH : T_PUT;
		return 1;
	case T_PATCH:
		if (rq->status != 202 && rq->status != 204)
			return request_error(rq, cc, tk->what);
		if ((err = take_upload_location(tk)) < 0)
			return err;
		if (tk->stream) {
			/* The whole stream went in one PATCH: now its digest and size are known. */
			tk->stream_desc->size = lade_hasher_size(tk->stream_hash);
			if ((err = lade_hasher_final(tk->stream_hash, &tk->stream_desc->digest)) < 0)
				return err;
			tk->offset = tk->stream_desc->size;
		} else {
			tk->offset += rq->src.size;
		}
		tk->state = tk->offset < tk->job->desc->size ? T_PATCH : T_PUT;
		return 1;
	case T_STATUS:
		if (rq->status != 204 && rq->status != 200)
			return request_error(rq, cc, tk->what);
		if ((err = take_upload_location(tk)) < 0)
			return err;
		lade__upload_range_next(rq->upload_range, tk->job->desc->size, &tk->offset);
		tk->state = T_PATCH;
		return 1;
	case T_PUT:
		if (rq->status != 201 && rq->status != 204)
			return request_error(rq, cc, tk->what);
		tk->job->transferred = tk->job->desc->size;
		return 0;
	case T_GET:
		if (is_redirect(rq->status)) {
			/* Storage on another host gets no credentials or custom headers (request_setup). */
			if (++tk->redirects > 5)
				return lade__error(LADE_EPROTOCOL, "%s: more than 5 redirects", tk->what);
			return (err = follow_redirect(rq, tk->get_url, sizeof(tk->get_url))) < 0 ? err : 1;
		}
		if (rq->status != 200 && rq->status != 206) {
			tk->sink.keep_partial = 0; /* the blob is gone or refused: nothing to resume */
			lade__sink_abort(&tk->sink);
			tk->sink_open = 0;
			return request_error(rq, cc, tk->what);
		}
		tk->job->transferred = tk->sink.written;
		tk->sink_open = 0;
		if ((err = lade__sink_commit(&tk->sink)) < 0)
			return lade__error(err, "%s: %s", tk->what, lade_error_last()->message);
		return 0;
	}
	return lade__error(LADE_ERROR, "bad task state");
}

/* Release what a task holds for its job (file, partial download, stream hash); keep its connection handle. */
static void task_release(task *tk)
{
	if (tk->sink_open)
		lade__sink_abort(&tk->sink);
	tk->sink_open = 0;
	if (tk->fd >= 0 && !tk->stream)
		close(tk->fd);
	tk->fd = -1;
	tk->rq.src.fd = -1; /* the task's, closed above */
	lade_hasher_free(tk->stream_hash);
	tk->stream_hash = NULL;
}

static void task_dispose(task *tk)
{
	task_release(tk);
	request_dispose(&tk->rq);
}

/*
 * The jobs of one call and the slots that run them: only `concurrency`
 * tasks exist, each reused from job to job with its curl handle, so memory
 * does not grow with the number of jobs (a 20,000-layer pull holds four
 * tasks, not 20,000).
 */
typedef struct engine {
	registry *r;
	task *slots;
	size_t nslots;
	lade_blob_job *jobs;
	size_t count, next;  /* jobs; the next one to start */
	int push;
	const void *memory;  /* push from memory instead of the jobs' files */
	int stream_fd;       /* >= 0: the one job is a stream of unknown size read from here */
} engine;

/* Put the next job into a free slot. */
static int slot_start(engine *en, task *tk)
{
	registry *r = en->r;
	lade_blob_job *job = &en->jobs[en->next++];
	CURL *easy = tk->rq.easy;
	lade_buf body = tk->rq.body;

	task_release(tk);
	curl_slist_free_all(tk->rq.headers); /* the last job's request headers */
	memset(tk, 0, sizeof(*tk));
	/* The request keeps its handle and reply buffer; everything else starts over. */
	tk->rq.reg = r;
	tk->rq.easy = easy;
	tk->rq.body = body;
	tk->rq.src.fd = -1;
	tk->busy = 1;
	tk->job = job;
	tk->fd = -1;
	tk->memory = en->memory;
	job->error = 0;
	job->skipped = 0;
	job->transferred = 0;
	tk->state = en->push ? T_HEAD : T_GET;
	scope_for(r, tk->scope, sizeof(tk->scope), en->push);
	tk->rq.scope = tk->scope;
	if (en->stream_fd >= 0) {
		/* A stream: POST, one PATCH hashed as it is read, then the PUT with its digest. */
		tk->fd = en->stream_fd;
		tk->stream = 1;
		tk->stream_desc = (lade_descriptor *)job->desc;
		tk->state = T_POST;
		snprintf(tk->what, sizeof(tk->what), "cannot push %s to '%s/%s'", job->path, r->host, r->repository);
		return lade_hasher_new(&tk->stream_hash, LADE_DIGEST_SHA256);
	}
	snprintf(tk->what, sizeof(tk->what), "cannot %s %s %s '%s/%s'", en->push ? "push" : "fetch",
		 job->path ? job->path : job->desc->digest.str, en->push ? "to" : "from", r->host, r->repository);
	return 0;
}

/* The job of tk is over (err 0 or an error): record it, report progress, free the slot. */
static void task_finish(engine *en, task *tk, int err, int *first, lade_error *first_message)
{
	registry *r = en->r;
	tk->job->error = err < 0 ? err : 0;
	if (err < 0 && !*first) {
		*first = err;
		*first_message = *lade_error_last();
	}
	if (err == 0 && r->base.progress)
		r->base.progress(tk->job, tk->job->desc->size, r->base.progress_payload);
	tk->busy = 0;
	tk->wake_ms = 0;
	task_release(tk);
}

/*
 * Prepare tk's next step and put it on the wire; or, when the step needs no
 * request (another lade fetched the blob meanwhile), finish the job.
 */
static void task_launch(engine *en, task *tk, size_t *active, int *first, lade_error *first_message)
{
	int err = task_prepare(tk);
	if (err != 0) {
		task_finish(en, tk, err < 0 ? err : 0, first, first_message);
		return;
	}
	curl_multi_add_handle(en->r->multi, tk->rq.easy);
	(*active)++;
}

static int run_tasks(engine *en)
{
	registry *r = en->r;
	size_t active = 0, waiting = 0, i;
	lade_error first_message;
	int first = 0, running, left, err;
	CURLMsg *msg;

	for (;;) {
		long now = now_ms(), timeout = 1000;
		/* Tasks whose retry time has come go back on the wire. */
		for (i = 0; i < en->nslots && waiting; i++) {
			task *tk = &en->slots[i];
			if (!tk->busy || !tk->wake_ms)
				continue;
			if (first) {
				waiting--;
				task_finish(en, tk, first, &first, &first_message);
				continue;
			}
			if (tk->wake_ms > now) {
				if (tk->wake_ms - now < timeout)
					timeout = tk->wake_ms - now;
				continue;
			}
			tk->wake_ms = 0;
			waiting--;
			task_launch(en, tk, &active, &first, &first_message);
		}
		/* Free slots take the next jobs. */
		for (i = 0; i < en->nslots && !first && en->next < en->count; i++) {
			task *tk = &en->slots[i];
			if (tk->busy)
				continue;
			if ((err = slot_start(en, tk)) < 0) {
				task_finish(en, tk, err, &first, &first_message);
				break;
			}
			task_launch(en, tk, &active, &first, &first_message);
		}
		if (!active && !waiting) {
			/* Jobs that finished without a request may leave slots free for more. */
			if (!first && en->next < en->count)
				continue;
			break;
		}
		curl_multi_perform(r->multi, &running);
		while ((msg = curl_multi_info_read(r->multi, &left))) {
			task *tk = NULL;
			CURLcode cc;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&tk);
			cc = msg->data.result;
			curl_multi_remove_handle(r->multi, tk->rq.easy);
			active--;
			err = task_advance(tk, cc);
			if (err == 2 && !first) {
				waiting++;
				continue;
			}
			if (err == 1 && !first) {
				task_launch(en, tk, &active, &first, &first_message);
				continue;
			}
			if (err == 1 || err == 2)
				err = first; /* stopping: another job failed */
			task_finish(en, tk, err, &first, &first_message);
		}
		for (i = 0; i < en->nslots; i++)
			if (en->slots[i].busy && !en->slots[i].wake_ms)
				unpause_due(&en->slots[i].rq, now_ms(), &timeout);
		if (active)
			curl_multi_poll(r->multi, NULL, 0, (int)timeout, NULL);
		else if (waiting)
			sleep_ms(timeout);
	}
	if (first)
		*(lade_error *)lade_error_last() = first_message;
	return first;
}

static int run_jobs(registry *r, lade_blob_job *jobs, size_t count, int push, const void *memory, int stream_fd)
{
	engine en;
	size_t i;
	int err = 0;

	memset(&en, 0, sizeof(en));
	en.r = r;
	en.jobs = jobs;
	en.count = count;
	en.push = push;
	en.memory = memory;
	en.stream_fd = stream_fd;
	en.nslots = count < r->concurrency ? count : r->concurrency;
	if (!en.nslots)
		return 0;
	if (!(en.slots = calloc(en.nslots, sizeof(*en.slots))))
		return lade__error_oom();
	for (i = 0; i < en.nslots && err == 0; i++) {
		en.slots[i].fd = -1;
		err = request_init(&en.slots[i].rq, r);
	}
	if (err == 0)
		err = run_tasks(&en);
	for (i = 0; i < en.nslots; i++)
		task_dispose(&en.slots[i]);
	free(en.slots);
	return err;
}

/* A stream of unknown size: POST, one streaming PATCH hashed on the way, then PUT with its digest. */
static int reg_push_stream(lade_target *t, int fd, const char *name, lade_descriptor *desc)
{
	lade_blob_job job = {0};
	job.desc = desc;
	job.path = name;
	return run_jobs((registry *)t, &job, 1, 1, NULL, fd);
}

static int reg_fetch_files(lade_target *t, lade_blob_job *jobs, size_t count)
{
	return run_jobs((registry *)t, jobs, count, 0, NULL, -1);
}

static int reg_push_files(lade_target *t, lade_blob_job *jobs, size_t count)
{
	return run_jobs((registry *)t, jobs, count, 1, NULL, -1);
}

static int put_manifest(registry *r, const lade_descriptor *desc, const void *data, size_t len, const char *reference)
{
	request rq;
	char url[URL_MAX], scope[600], what[300];
	int err;

	snprintf(what, sizeof(what), "cannot push manifest to '%s/%s:%s'", r->host, r->repository, reference);
	scope_for(r, scope, sizeof(scope), 1);
	if ((err = url_for(r, url, sizeof(url), "/v2/%s/manifests/%s", reference)) < 0 || (err = request_init(&rq, r)) < 0)
		return err;
	rq.src.data = data;
	rq.src.len = len;
	rq.src.size = len;
	/* The Content-Type must be the manifest's own mediaType (the registry checks). */
	rq.content_type = desc->media_type;
	if ((err = run(&rq, M_PUT, url, NULL, LADE_ERROR_BODY_MAX, 0, scope, what)) < 0)
		goto done;
	if (rq.status != 201) {
		err = request_error(&rq, CURLE_OK, what);
		goto done;
	}
	if (rq.docker_digest[0] && strcmp(rq.docker_digest, desc->digest.str) != 0)
		err = lade__error(LADE_EDIGEST, "%s: registry stored it as %s, expected %s", what, rq.docker_digest,
				  desc->digest.str);
done:
	request_dispose(&rq);
	return err;
}

static int reg_push_bytes(lade_target *t, const lade_descriptor *desc, const void *data, size_t len)
{
	registry *r = (registry *)t;
	lade_blob_job job = {0};
	if (len != desc->size)
		return lade__error(LADE_EDIGEST, "content of %s is %zu bytes, expected %llu", desc->digest.str, len,
				   (unsigned long long)desc->size);
	if (lade_mediatype_is_manifest(desc->media_type))
		return put_manifest(r, desc, data, len, desc->digest.str);
	job.desc = desc;
	return run_jobs(r, &job, 1, 1, data, -1);
}

/*
 * One GET for a manifest by tag or digest: the bytes are hashed here (with
 * the digest's own algorithm when one was asked for) and must match it, and
 * the registry's Docker-Content-Digest when it sends one.
 */
static int reg_fetch_manifest(lade_target *t, const char *reference, size_t max, lade_descriptor *desc, lade_buf *bytes)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], scope[600], what[300];
	lade_digest asked, got;
	int err, by_digest = strchr(reference, ':') != NULL;

	snprintf(what, sizeof(what), "cannot fetch manifest '%s/%s%s%s'", r->host, r->repository, by_digest ? "@" : ":",
		 reference);
	if (strchr(reference, '@') || strchr(reference, '/'))
		return lade__error(LADE_EINVALID, "%s: not a tag or digest", what);
	if (by_digest && (err = lade_digest_parse(&asked, reference)) < 0)
		return lade__error(err, "%s: %s", what, lade_error_last()->message);
	scope_for(r, scope, sizeof(scope), 0);
	if ((err = url_for(r, url, sizeof(url), "/v2/%s/manifests/%s", reference)) < 0 ||
	    (err = request_init(&rq, r)) < 0)
		return err;
	if ((err = run(&rq, M_GET, url, MANIFEST_ACCEPT, max, 0, scope, what)) < 0)
		goto done;
	if (rq.status == 404) {
		err = lade__error_http(LADE_ENOTFOUND, 404, "MANIFEST_UNKNOWN", "%s: not found", what);
		goto done;
	}
	if (rq.status != 200) {
		err = request_error(&rq, CURLE_OK, what);
		goto done;
	}
	if ((err = lade_digest_buffer(&got, by_digest ? asked.alg : LADE_DIGEST_SHA256, rq.body.ptr, rq.body.size)) < 0)
		goto done;
	if (by_digest && !lade_digest_equal(&got, &asked)) {
		err = lade__error(LADE_EDIGEST, "%s: content does not match the digest asked for (got %s)", what, got.str);
		goto done;
	}
	if (rq.docker_digest[0] && strncmp(rq.docker_digest, got.str, strlen(lade_digest_alg_name(got.alg))) == 0 &&
	    strcmp(rq.docker_digest, got.str) != 0) {
		err = lade__error(LADE_EDIGEST, "%s: the registry says %s, the content is %s", what, rq.docker_digest,
				  got.str);
		goto done;
	}
	memset(desc, 0, sizeof(*desc));
	desc->digest = got;
	desc->size = rq.body.size;
	if (!(desc->media_type = lade__strdup(rq.content_type_reply[0] ? rq.content_type_reply : LADE_MEDIATYPE_MANIFEST))) {
		err = lade__error_oom();
		goto done;
	}
	/* As fetch_bytes: the body becomes the caller's buffer. */
	*bytes = rq.body;
	lade_buf_init(&rq.body, LADE_ERROR_BODY_MAX);
done:
	request_dispose(&rq);
	return err;
}

static int reg_resolve(lade_target *t, const char *reference, lade_descriptor *out)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], scope[600], what[300];
	uint64_t size = 0;
	int err;

	snprintf(what, sizeof(what), "cannot resolve '%s/%s:%s'", r->host, r->repository, reference);
	if (strchr(reference, '@') || strchr(reference, '/'))
		return lade__error(LADE_EINVALID, "%s: not a tag or digest", what);
	scope_for(r, scope, sizeof(scope), 0);
	if ((err = url_for(r, url, sizeof(url), "/v2/%s/manifests/%s", reference)) < 0 ||
	    (err = request_init(&rq, r)) < 0)
		return err;
	if ((err = run(&rq, M_HEAD, url, MANIFEST_ACCEPT, LADE_ERROR_BODY_MAX, 0, scope, what)) < 0)
		goto done;
	if (rq.status == 404) {
		err = lade__error_http(LADE_ENOTFOUND, 404, "MANIFEST_UNKNOWN", "%s: not found", what);
		goto done;
	}
	if (rq.status != 200 && rq.status != 405 && rq.status != 501) {
		err = request_error(&rq, CURLE_OK, what);
		goto done;
	}
	if (rq.status != 200 || !rq.docker_digest[0]) {
		/* No usable HEAD: GET the manifest and hash it ourselves. */
		lade_digest d;
		if ((err = run(&rq, M_GET, url, MANIFEST_ACCEPT, LADE_MANIFEST_LIMIT, 0, scope, what)) < 0)
			goto done;
		if (rq.status != 200) {
			err = request_error(&rq, CURLE_OK, what);
			goto done;
		}
		if ((err = lade_digest_buffer(&d, LADE_DIGEST_SHA256, rq.body.ptr, rq.body.size)) < 0)
			goto done;
		if (strchr(reference, ':') && strcmp(reference, d.str) != 0) {
			err = lade__error(LADE_EDIGEST, "%s: content does not match the digest asked for (got %s)", what,
					  d.str);
			goto done;
		}
		memcpy(rq.docker_digest, d.str, sizeof(d.str));
		size = rq.body.size;
	} else if ((err = content_length(&rq, &size)) < 0) {
		goto done;
	}
	memset(out, 0, sizeof(*out));
	if ((err = lade_digest_parse(&out->digest, rq.docker_digest)) < 0) {
		err = lade__error(LADE_EPROTOCOL, "%s: bad Docker-Content-Digest '%s'", what, rq.docker_digest);
		goto done;
	}
	if (strchr(reference, ':') && strcmp(reference, out->digest.str) != 0) {
		err = lade__error(LADE_EDIGEST, "%s: registry says its digest is %s", what, out->digest.str);
		goto done;
	}
	out->size = size;
	if (!(out->media_type = lade__strdup(rq.content_type_reply[0] ? rq.content_type_reply : LADE_MEDIATYPE_MANIFEST)))
		err = LADE_ENOMEM;
done:
	request_dispose(&rq);
	return err;
}

static int reg_tag(lade_target *t, const lade_descriptor *desc, const void *data, size_t len, const char *tag)
{
	registry *r = (registry *)t;
	lade_buf fetched;
	int err;
	if (!tag || !*tag)
		return 0; /* a registry keeps untagged manifests by digest already */
	if (data)
		return put_manifest(r, desc, data, len, tag);
	if ((err = reg_fetch_bytes(t, desc, LADE_MANIFEST_LIMIT, &fetched)) < 0)
		return err;
	err = put_manifest(r, desc, fetched.ptr, fetched.size, tag);
	lade_buf_dispose(&fetched);
	return err;
}

/* repo tags: each tag of a page to the caller's callback. */
typedef struct tag_walk {
	lade_tag_cb cb;
	void *payload;
} tag_walk;

static int tag_one(const char *text, size_t len, const cJSON *item, size_t index, void *payload)
{
	tag_walk *w = payload;
	(void)text;
	(void)len;
	(void)index;
	return cJSON_IsString(item) ? w->cb(item->valuestring, w->payload) : 0;
}

static int reg_list_tags(lade_target *t, lade_tag_cb cb, void *payload)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], scope[600], what[300];
	lade_digest *seen = NULL; /* the pages asked for, by the digest of their URL */
	size_t nseen = 0, i;
	int err, pages = 0;

	snprintf(what, sizeof(what), "cannot list tags of '%s/%s'", r->host, r->repository);
	scope_for(r, scope, sizeof(scope), 0);
	if ((err = url_for(r, url, sizeof(url), "/v2/%s/tags/list%s", "")) < 0 || (err = request_init(&rq, r)) < 0)
		return err;
	for (;;) {
		lade__json_split page;
		tag_walk walk = {cb, payload};
		if (++pages > 10000) {
			err = lade__error(LADE_EPROTOCOL, "%s: more than 10000 pages", what);
			break;
		}
		if ((err = run(&rq, M_GET, url, NULL, TAGS_PAGE_MAX, 0, scope, what)) < 0)
			break;
		if (rq.status != 200) {
			err = request_error(&rq, CURLE_OK, what);
			break;
		}
		/* A page of a million short tags would be a tree of a hundred megabytes: one tag at a time. */
		if ((err = lade__json_split_parse(rq.body.ptr, rq.body.size, TAGS_PAGE_MAX, "tag list", &page)) < 0)
			break;
		err = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(page.rest, "tags"))
			      ? lade__json_split_each(&page, "tags", "tag list", tag_one, &walk)
			      : 0; /* no tags: an empty repository */
		cJSON_Delete(page.rest);
		if (err != 0)
			break;
		if ((err = lade__link_next(r->base_url, rq.link, url, sizeof(url))) <= 0) {
			if (err < 0)
				err = lade__error(err, "%s: %s", what, lade_error_last()->message);
			break;
		}
		/* A Link back to a page already read would go round for ever, repeating its tags. */
		if (!(nseen & (nseen + 1))) {
			lade_digest *grown = realloc(seen, (nseen + 1) * 2 * sizeof(*seen));
			if (!grown) {
				err = lade__error_oom();
				break;
			}
			seen = grown;
		}
		if ((err = lade_digest_buffer(&seen[nseen], LADE_DIGEST_SHA256, rq.url, strlen(rq.url))) < 0)
			break;
		nseen++;
		if ((err = lade_digest_buffer(&seen[nseen], LADE_DIGEST_SHA256, url, strlen(url))) < 0)
			break;
		for (i = 0; i < nseen && !lade_digest_equal(&seen[i], &seen[nseen]); i++)
			;
		if (i < nseen) {
			err = lade__error(LADE_EPROTOCOL, "%s: the registry's next page '%s' was already read (a Link loop)",
					  what, url);
			break;
		}
	}
	free(seen);
	request_dispose(&rq);
	return err;
}

static void reg_free(lade_target *t)
{
	registry *r = (registry *)t;
	if (r->multi)
		curl_multi_cleanup(r->multi);
	curl_slist_free_all(r->resolve);
	OPENSSL_cleanse(r->auth, sizeof(r->auth));
	free(r);
}

static const lade_target_ops registry_ops = {
	.version = LADE_TARGET_OPS_VERSION,
	.exists = reg_exists,
	.blob_size = reg_blob_size,
	.push_stream = reg_push_stream,
	.fetch_bytes = reg_fetch_bytes,
	.fetch_files = reg_fetch_files,
	.push_bytes = reg_push_bytes,
	.push_files = reg_push_files,
	.fetch_manifest = reg_fetch_manifest,
	.resolve = reg_resolve,
	.tag = reg_tag,
	.list_tags = reg_list_tags,
	.free = reg_free,
};

static int is_localhost(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "localhost:", 10) == 0;
}

int lade_registry_open(lade_target **out, const lade_ref *ref, const lade_registry_options *opts)
{
	static const lade_registry_options defaults = LADE_REGISTRY_OPTIONS_INIT;
	lade_registry_options v1;
	registry *r;
	int plain, err;

	if (!opts)
		opts = &defaults;
	if (opts->version == 1) {
		/* Built against version 1: its fields, the later ones at their defaults. */
		v1 = defaults;
		memcpy(&v1, opts, offsetof(lade_registry_options, timeout));
		v1.version = LADE_REGISTRY_OPTIONS_VERSION;
		opts = &v1;
	}
	if (opts->version != LADE_REGISTRY_OPTIONS_VERSION)
		return lade__error(LADE_EINVALID, "registry options version %u is not 1 to %d", opts->version,
				   LADE_REGISTRY_OPTIONS_VERSION);
	if ((err = lade__curl_load()) < 0)
		return err;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return lade__error(LADE_ERROR, "cannot initialise libcurl");
	if (!(r = calloc(1, sizeof(*r))))
		return lade__error_oom();
	lade_target_init(&r->base, &registry_ops, "registry");
	plain = opts->plain_http < 0 ? is_localhost(ref->registry) : opts->plain_http;
	if ((err = lade__snprintf(r->base_url, sizeof(r->base_url), "%s://%s", plain ? "http" : "https",
				  lade_ref_api_host(ref))) < 0)
		goto fail;
	snprintf(r->host, sizeof(r->host), "%s", ref->registry);
	snprintf(r->repository, sizeof(r->repository), "%s", ref->repository);
	snprintf(r->user_agent, sizeof(r->user_agent), "%s",
		 opts->user_agent ? opts->user_agent : "lade/" LADE_VERSION_STRING);
	r->username = opts->username && *opts->username ? opts->username : NULL;
	r->password = opts->password;
	r->identity_token = opts->identity_token && *opts->identity_token ? opts->identity_token : NULL;
	r->credentials_stored = opts->credentials_stored;
	r->concurrency = opts->concurrency ? opts->concurrency : 4;
	r->custom_auth = opts->auth;
	r->custom_auth_payload = opts->auth_payload;
	r->insecure = opts->insecure;
	r->ca_file = opts->ca_file;
	r->cert_file = opts->cert_file;
	r->key_file = opts->key_file;
	r->headers = opts->headers;
	r->header_count = opts->header_count;
	r->limit_rate = opts->limit_rate;
	r->chunk_size = opts->chunk_size;
	r->retries = opts->retries ? opts->retries : 5;
	r->stall = opts->stall_timeout ? opts->stall_timeout : 30;
	if ((r->timeout = opts->timeout))
		r->deadline_ms = now_ms() + (long)opts->timeout * 1000;
	r->debug = opts->debug;
	r->debug_payload = opts->debug_payload;
	for (size_t i = 0; i < opts->resolve_count; i++) {
		struct curl_slist *l = curl_slist_append(r->resolve, opts->resolve[i]);
		if (!l) {
			err = lade__error_oom();
			goto fail;
		}
		r->resolve = l;
	}
	if (opts->registry_token && *opts->registry_token) {
		char value[HEADER_MAX];
		if ((err = lade__snprintf(value, sizeof(value), "Bearer %s", opts->registry_token)) < 0 ||
		    (err = remember_auth(r, "*", value, 0)) < 0)
			goto fail;
	}
	if (!(r->multi = curl_multi_init())) {
		err = lade__error_oom();
		goto fail;
	}
	curl_multi_setopt(r->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)r->concurrency);
	*out = &r->base;
	return 0;
fail:
	curl_slist_free_all(r->resolve);
	free(r);
	return err;
}

int lade_registry_ping(lade_target *t)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], what[300];
	int err;
	if (t->ops != &registry_ops)
		return lade__error(LADE_EINVALID, "not a registry target");
	snprintf(what, sizeof(what), "cannot log in to '%s'", r->host);
	if ((err = lade__snprintf(url, sizeof(url), "%s/v2/", r->base_url)) < 0 || (err = request_init(&rq, r)) < 0)
		return err;
	if ((err = run(&rq, M_GET, url, NULL, LADE_ERROR_BODY_MAX, 0, "", what)) == 0 && rq.status != 200)
		err = request_error(&rq, CURLE_OK, what);
	request_dispose(&rq);
	return err;
}

int lade_registry_stats_get(lade_target *t, lade_registry_stats *out)
{
	if (t->ops != &registry_ops)
		return lade__error(LADE_EINVALID, "not a registry target");
	*out = ((registry *)t)->stats;
	return 0;
}

int lade_registry_mount(lade_target *t, const lade_descriptor *desc, const char *from_repository, int *mounted)
{
	registry *r = (registry *)t;
	lade_blob_job job = {0};
	task *tk;
	int err;
	if (t->ops != &registry_ops)
		return lade__error(LADE_EINVALID, "not a registry target");
	if (!(tk = calloc(1, sizeof(*tk))))
		return lade__error_oom();
	if ((err = request_init(&tk->rq, r)) < 0) {
		free(tk);
		return err;
	}
	job.desc = desc;
	tk->job = &job;
	tk->fd = -1;
	tk->mount_from = from_repository;
	tk->state = T_POST;
	/* One token for both: pull on the source, pull and push here (formats.md §2.7). */
	snprintf(tk->scope, sizeof(tk->scope), "repository:%s:pull,push repository:%s:pull", r->repository, from_repository);
	tk->rq.scope = tk->scope;
	snprintf(tk->what, sizeof(tk->what), "cannot mount %s from '%s' into '%s/%s'", desc->digest.str, from_repository,
		 r->host, r->repository);
	/* Mount only: with no file to send, a 202 ends the task at its PUT, which is never sent. */
	if ((err = task_prepare(tk)) == 0) {
		CURLcode cc = perform(&tk->rq);
		err = task_advance(tk, cc);
		while (err == 1 && tk->state == T_POST) {
			if ((err = task_prepare(tk)) < 0)
				break;
			err = task_advance(tk, perform(&tk->rq));
		}
		if (err == 1 || err == 2) {
			/* 202: not mounted. Close the session the registry opened. */
			request cancel;
			if (request_init(&cancel, r) == 0) {
				cancel.scope = tk->scope;
				if (request_setup(&cancel, M_GET, tk->upload_url, NULL, LADE_ERROR_BODY_MAX) == 0) {
					curl_easy_setopt(cancel.easy, CURLOPT_CUSTOMREQUEST, "DELETE");
					perform(&cancel);
				}
				request_dispose(&cancel);
			}
			*mounted = 0;
			err = 0;
		} else if (err == 0) {
			*mounted = 1;
		}
	}
	task_dispose(tk);
	free(tk);
	return err;
}
