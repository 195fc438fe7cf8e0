/*
 * The registry target's HTTP requests: setup (custom headers on the
 * registry's origin only, Range, bodies), the header and body callbacks
 * (where a body goes: a sink, a stream, a buffer; --limit-rate pacing),
 * --debug with secrets redacted, and errors mapped to lade's codes with
 * the registry's own message. registry_engine.c runs them.
 */
#include "registry_internal.h"

/* ---- helpers ---- */

int lade__reg_url_for(const registry *r, char *out, size_t outlen, const char *fmt, const char *arg)
{
	char path[URL_MAX];
	if (lade_snprintf(path, sizeof(path), fmt, r->repository, arg) < 0)
		return LADE_ETOOLARGE;
	return lade_snprintf(out, outlen, "%s%s", r->base_url, path);
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
		rq->filters_applied[0] = '\0';
		rq->oci_subject = 0;
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
	} else if (HEADER_IS("OCI-Subject")) {
		rq->oci_subject = 1;
	} else if (HEADER_IS("OCI-Filters-Applied")) {
		dst = rq->filters_applied;
		dstlen = sizeof(rq->filters_applied);
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
			return lade__error(LADE_EPROTOCOL, "'%s' resumed at '%s', not at byte %llu", rq->url,
					   rq->content_range, (unsigned long long)rq->sink->written);
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
	 * (lade__reg_unpause_due).
	 */
	if (rq->reg->limit_rate) {
		long now = lade__reg_now_ms(), due;
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
	if (rq->stream && (status == 200 || status == 206)) {
		/* Bytes handed on cannot be taken back: a retry must continue where they end (206). */
		uint64_t delivered = lade_hasher_size(rq->stream->hasher), start = 0;
		if (!rq->body_seen) {
			rq->body_seen = 1;
			if (status == 200
				? delivered != 0
				: lade__content_range_start(rq->content_range, &start) < 0 || start != delivered) {
				stop_with(rq,
					  lade__error(LADE_EPROTOCOL,
						      "'%s' broke off after %llu bytes and cannot continue from there",
						      rq->url, (unsigned long long)delivered));
				return 0;
			}
		}
		if (rq->pipe && (err = lade__reg_pipe_backlog(rq)) != 0) {
			if (err < 0) {
				stop_with(rq, err);
				return 0;
			}
			/* The socket is full: libcurl keeps this chunk until the reader has taken what went before. */
			rq->pipe_wait = POLLOUT;
			return CURL_WRITEFUNC_PAUSE;
		}
		if ((err = lade__checked_stream_feed(rq->stream, data, len)) != 0) {
			stop_with(rq,
				  err < 0 ? err : lade__error(LADE_ERROR, "the reader stopped the stream (%d)", err));
			return 0;
		}
		return len;
	}
	if ((err = lade_buf_put(&rq->body, data, len)) < 0) {
		if (err == LADE_ETOOLARGE)
			err = lade__error(LADE_ETOOLARGE, "the reply to '%s' is over the %zu-byte limit for it",
					  rq->url, rq->body.max);
		stop_with(rq, err);
		return 0;
	}
	return len;
}

/* A trace line through the debug callback, with secrets cut out. */
static void debug_line(registry *r, char direction, const char *line, size_t len)
{
	static const char *const secret_headers[] = {"authorization:", "proxy-authorization:", "cookie:",
						     "set-cookie:"};
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
				snprintf(name, sizeof(name), "%.*s", (int)(nl < sizeof(name) ? nl : sizeof(name) - 1),
					 q + 1);
				for (char *c = name; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				if (strstr(name, "sig") || strstr(name, "token") || strstr(name, "key") ||
				    strstr(name, "cred") || strstr(name, "auth") || strstr(name, "secret") ||
				    strstr(name, "pass") || strstr(name, "security")) {
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
void lade__reg_apply_transport(registry *r, CURL *e, int foreign)
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
		curl_easy_setopt(e, CURLOPT_BUFFERSIZE,
				 (long)(r->limit_rate / 10 < 1024              ? 1024
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
int lade__reg_same_origin(const registry *r, const char *url)
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
		if (n < 0 && rq->pipe && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Nothing from the source yet: the engine goes on with the others until some comes. */
			rq->pipe_wait = POLLIN;
			return CURL_READFUNC_PAUSE;
		}
		if (n < 0) {
			stop_with(rq, lade__error(LADE_EIO, "cannot read '%s': %s", rq->src.path, strerror(errno)));
			return CURL_READFUNC_ABORT;
		}
		if (n == 0 && !rq->src.stream && rq->src.pos < rq->src.size) {
			stop_with(rq,
				  rq->src.once
				      ? lade__error(LADE_EDIGEST, "%s ended after %llu of its %llu bytes", rq->src.path,
						    (unsigned long long)rq->src.pos, (unsigned long long)rq->src.size)
				      : lade__error(LADE_EDIGEST, "'%s' shrank while it was pushed", rq->src.path));
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
	if (rq->src.once)
		return 0; /* a fresh request over a stream read once: nothing to rewind, and no retry sends it */
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

int lade__reg_request_init(request *rq, registry *r)
{
	memset(rq, 0, sizeof(*rq));
	rq->reg = r;
	rq->src.fd = -1;
	lade_buf_init(&rq->body, LADE_ERROR_BODY_MAX);
	if (!(rq->easy = curl_easy_init()))
		return lade_error_set_oom();
	return 0;
}

void lade__reg_request_dispose(request *rq)
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
		return lade_error_set_oom();
	rq->headers = l;
	return 0;
}

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
int lade__reg_request_setup(request *rq, enum method method, const char *url, const char *accept, size_t body_max)
{
	registry *r = rq->reg;
	CURL *e = rq->easy;
	const char *authorization;
	char line[128];
	size_t i;
	int err;

	request_reset(rq);
	rq->done = 0;
	rq->body.max = body_max;
	if ((err = lade_snprintf(rq->url, sizeof(rq->url), "%s", url)) < 0)
		return err;
	rq->foreign = !lade__reg_same_origin(r, url);
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
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE,
			 (long)(rq->pipe && rq->stream
				    ? buffer_for(rq->stream->desc->size, PIPE_BUFFER)
				    : buffer_for(rq->sink ? rq->sink->desc->size - rq->sink->written : 0,
						 DOWNLOAD_BUFFER)));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled transfer fails instead of hanging: under 1 KiB/s for the stall time (30 s unless set). */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)r->stall);
	if (r->deadline_ms) {
		long left = r->deadline_ms - lade__reg_now_ms();
		if (left <= 0)
			return lade__error(LADE_ENET, "gave up: the %u s time limit for the whole operation has passed",
					   r->timeout);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, left);
	}
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* HTTP/1.1: the registry's HTTP/2 path is slower for bulk transfer (registry-notes.md). */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	/* Redirects are followed by lade (lade__reg_follow_redirect), which knows what may cross origins. */
	lade__reg_apply_transport(r, e, rq->foreign);
	if (!rq->foreign) {
		if ((authorization = lade__reg_cached_auth(r, rq->scope)) && (err = add_header(rq, authorization)) < 0)
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
	if (rq->stream)
		rq->resume_from = lade_hasher_size(rq->stream->hasher); /* a retry continues the stream */
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
	case M_DELETE:
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
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
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
				 rq->src.stream ? (curl_off_t)-1 : (curl_off_t)rq->src.size);
		curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE,
				 (long)buffer_for(rq->src.stream ? UPLOAD_BUFFER : rq->src.size,
						  rq->pipe ? PIPE_BUFFER : UPLOAD_BUFFER));
		/* No 100-continue round trip: the registry reads the body anyway. */
		if ((err = add_header(rq, "Expect:")) < 0)
			return err;
		break;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, rq->headers);
	r->stats.requests++;
	return 0;
}

int lade__reg_past_deadline(const registry *r)
{
	return r->deadline_ms && lade__reg_now_ms() >= r->deadline_ms - 10;
}

/* Turn a finished request that failed (transport or status) into an error. */
int lade__reg_request_error(const request *rq, CURLcode cc, const char *what)
{
	char code[64], msg[512];
	int err;
	if (rq->callback_error) {
		*(lade_error *)lade_error_last() = rq->saved;
		return rq->callback_error;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT && lade__reg_past_deadline(rq->reg))
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
	case 401:
		err = LADE_EAUTH;
		break;
	case 403:
		err = LADE_EDENIED;
		break;
	case 404:
		err = LADE_ENOTFOUND;
		break;
	case 413:
		err = LADE_ETOOLARGE;
		break;
	default:
		err = rq->status >= 400 && rq->status < 500 ? LADE_EINVALID : LADE_EPROTOCOL;
		break;
	}
	if (strcmp(code, "DIGEST_INVALID") == 0)
		err = LADE_EDIGEST;
	if (rq->foreign) {
		/* Storage the registry redirected to: name its origin only (its query may hold a signature). */
		const char *host = strstr(rq->url, "://");
		size_t n = host ? strcspn(host + 3, "/?#") + (size_t)(host + 3 - rq->url) : 0;
		return lade__error_http(err, rq->status, code,
					"%s: the storage it was redirected to (%.*s) answered %ld%s%s", what, (int)n,
					rq->url, rq->status, msg[0] ? ": " : "", msg);
	}
	if (rq->status == 401 && !rq->reg->username && !rq->reg->identity_token)
		return lade__error_http(
		    err, rq->status, code,
		    "%s: authentication required (401 %s): give --username and --password, or lade login", what,
		    code[0] ? code : "UNAUTHORIZED");
	if (rq->status == 401)
		return lade__error_http(err, rq->status, code, "%s: credentials rejected (401 %s)", what,
					code[0] ? code : "UNAUTHORIZED");
	return lade__error_http(err, rq->status, code, "%s: registry answered %ld%s%s%s%s", what, rq->status,
				code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
}

void lade__reg_scope_for(const registry *r, char *out, size_t outlen, int push)
{
	snprintf(out, outlen, "repository:%s:%s", r->repository, push ? "pull,push" : "pull");
}

const char *lade__reg_endpoint_for(const lade_descriptor *d)
{
	return lade_mediatype_is_manifest(d->media_type) ? "/v2/%s/manifests/%s" : "/v2/%s/blobs/%s";
}

int lade__reg_content_length(request *rq, uint64_t *out)
{
	curl_off_t len = -1;
	curl_easy_getinfo(rq->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	if (len < 0)
		return lade__error(LADE_EPROTOCOL, "'%s': reply has no Content-Length", rq->url);
	*out = (uint64_t)len;
	return 0;
}

/* A Location is used verbatim when it stays on the registry's origin. */
int lade__reg_resolve_location(const registry *r, const char *location, char *out, size_t outlen, const char *what)
{
	size_t baselen = strlen(r->base_url);
	if (!location[0])
		return lade__error(LADE_EPROTOCOL, "%s: registry sent no Location", what);
	if (location[0] == '/' && location[1] != '/')
		return lade_snprintf(out, outlen, "%s%s", r->base_url, location);
	if (strncmp(location, r->base_url, baselen) == 0 && (location[baselen] == '/' || location[baselen] == '?'))
		return lade_snprintf(out, outlen, "%s", location);
	return lade__error(LADE_EUNSAFE, "%s: upload location '%s' is not on %s; refusing to send content there", what,
			   location, r->base_url);
}

int lade__reg_append_digest(char *url, size_t urllen, const lade_digest *d)
{
	size_t len = strlen(url);
	const char *colon = strchr(d->str, ':');
	return lade_snprintf(url + len, urllen - len, "%sdigest=%.*s%%3A%s", strchr(url, '?') ? "&" : "?",
			     (int)(colon - d->str), d->str, colon + 1);
}
