/*
 * The registry target's blob transfers: each upload or download is a task
 * (HEAD, POST, PUT or PATCH chunks, GET with Range resume) advanced by its
 * replies; the engine runs up to `concurrency` of them at once in slots
 * reused from job to job; and cross-repository mounts.
 */
#include "registry_internal.h"

/* ---- blob tasks: several transfers at once on the multi handle ---- */

enum task_state { T_HEAD, T_POST, T_PUT, T_PATCH, T_STATUS, T_GET };

/*
 * Blobs under SMALL_BLOB bytes are small: a batch of them runs more at
 * once, and once SMALL_MISSES of their HEADs found nothing (and none found
 * anything) the rest are sent without one: on a push to a repository that
 * lacks them a HEAD saves nothing and costs a third of the requests.
 */
#define SMALL_BLOB ((uint64_t)64 * 1024)
#define SMALL_BATCH_FACTOR 4
#define SMALL_MISSES 8

/* What the small blobs' HEADs of one batch found. */
typedef struct head_stats {
	unsigned misses, hits;
} head_stats;

/* Chunks when a registry asks for them or the size is not known: 8 MiB, or its minimum if larger. */
#define DEFAULT_CHUNK ((uint64_t)8 << 20)

typedef struct task {
	request rq; /* first: CURLOPT_PRIVATE points here */
	lade_blob_job *job;
	enum task_state state;
	lade__sink sink;
	int sink_open;
	const void *memory; /* push from memory instead of job->path */
	int fd;             /* the file (or stream) pushed, -1 until opened */
	int stream;         /* pushing a stream of unknown size: digest and size come at the end */
	int borrowed_fd;    /* fd is the caller's stream of known content: read once, never closed here */
	lade_hasher *stream_hash;
	lade_descriptor *stream_desc; /* where a stream's digest and size go (job->desc, writable) */
	int chunked;                  /* PATCH chunks, then an empty PUT */
	uint64_t offset;              /* bytes the registry has of this upload */
	uint64_t chunk_min;           /* the registry's OCI-Chunk-Min-Length */
	const char *mount_from;       /* a repository of the same registry that may have the blob */
	char upload_url[URL_MAX];     /* the upload session, as the last Location gave it */
	char put_url[URL_MAX];
	char get_url[URL_MAX]; /* where the blob GET goes now (after redirects) */
	int redirects;
	int attempt;                  /* retries used */
	int stalls;                   /* of which after a stall */
	long wake_ms;                 /* > 0: waiting to retry until this time (monotonic ms) */
	int busy;                     /* the slot holds a job */
	head_stats *heads;            /* the batch's, shared by its tasks */
	int pipe_fd;                  /* a pipe job's socket (fetch_pipes, push_pipes), -1 for none */
	int pipe_push;                /* 1: read from pipe_fd and uploaded; 0: downloaded into it */
	lade__checked_stream checked; /* a pipe download, hashed on its way into the socket */
	int checked_open;
	char *backlog; /* what the socket did not take yet of the last chunk; kept from job to job */
	size_t backlog_len, backlog_off, backlog_cap;
	int draining; /* the download is done; its backlog waits for the socket */
	/*
	 * A body from the socket not begun: it goes on the wire once the source
	 * has sent something (or ended). libcurl checks the speed of a paused
	 * upload, so one that waited with nothing coming would be cut as stalled.
	 */
	int awaiting;
	char scope[1300];
	char what[300];
} task;

long lade__reg_now_ms(void)
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
	if ((tk->fd = lade_fs_open_regular(tk->job->path)) < 0)
		return tk->fd;
	if (fstat(tk->fd, &st) < 0 || (uint64_t)st.st_size != tk->job->desc->size)
		return lade__error(LADE_EDIGEST, "'%s' changed since it was hashed", tk->job->path);
	posix_fadvise(tk->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

/* As much of data as the socket takes now; *sent says how much. */
static int pipe_send(task *tk, const char *data, size_t len, size_t *sent)
{
	*sent = 0;
	while (len) {
		ssize_t n = send(tk->pipe_fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return lade__error(LADE_EIO, "the reader of %s stopped: %s", tk->job->desc->digest.str,
					   strerror(errno));
		data += n;
		len -= (size_t)n;
		*sent += (size_t)n;
	}
	return 0;
}

/* A chunk of a pipe download, verified so far: into the socket, and what it does not take into the backlog. */
static int pipe_take(const void *data, size_t len, void *payload)
{
	task *tk = payload;
	size_t sent;
	int err;
	if ((err = pipe_send(tk, data, len, &sent)) < 0)
		return err;
	tk->job->transferred += sent;
	if (sent == len)
		return 0;
	if (len - sent > tk->backlog_cap) {
		/* At most one of libcurl's chunks waits here: write_cb pauses the transfer while any does. */
		char *grown = realloc(tk->backlog, len - sent);
		if (!grown)
			return lade_error_set_oom();
		tk->backlog = grown;
		tk->backlog_cap = len - sent;
	}
	memcpy(tk->backlog, (const char *)data + sent, len - sent);
	tk->backlog_off = 0;
	tk->backlog_len = len - sent;
	return 0;
}

int lade__reg_pipe_backlog(request *rq)
{
	task *tk = (task *)rq; /* a pipe request is always a task's, its first member */
	size_t sent;
	int err;
	if (tk->backlog_off == tk->backlog_len)
		return 0;
	if ((err = pipe_send(tk, tk->backlog + tk->backlog_off, tk->backlog_len - tk->backlog_off, &sent)) < 0)
		return err;
	tk->job->transferred += sent;
	tk->backlog_off += sent;
	return tk->backlog_off < tk->backlog_len;
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
		if ((err = lade__reg_url_for(r, url, sizeof(url), "/v2/%s/blobs/%s", d->digest.str)) < 0)
			return err;
		return lade__reg_request_setup(rq, M_HEAD, url, NULL, LADE_ERROR_BODY_MAX);
	case T_POST:
		if (tk->mount_from) {
			/* Cross-repository mount: the registry links the blob, or opens an upload (202). */
			char query[URL_MAX];
			char *from = curl_easy_escape(rq->easy, tk->mount_from, 0);
			err = lade_snprintf(query, sizeof(query), "?mount=%s&from=%s", d->digest.str, from ? from : "");
			curl_free(from);
			if (err < 0 ||
			    (err = lade__reg_url_for(r, url, sizeof(url), "/v2/%s/blobs/uploads/%s", query)) < 0)
				return err;
		} else if ((err = lade__reg_url_for(r, url, sizeof(url), "/v2/%s/blobs/uploads/%s", "")) < 0) {
			return err;
		}
		return lade__reg_request_setup(rq, M_POST, url, NULL, LADE_ERROR_BODY_MAX);
	case T_PUT:
		rq->content_type = "application/octet-stream";
		if (tk->chunked) {
			/* Every byte went in PATCHes: the PUT only closes the session with the digest. */
			rq->src.data = "";
		} else {
			if ((err = open_source(tk)) < 0)
				return err;
			rq->src.fd = tk->fd;
			rq->src.once = tk->borrowed_fd;
			rq->src.data = tk->memory;
			rq->src.len = (size_t)d->size;
			rq->src.size = d->size;
		}
		if ((err = lade_snprintf(tk->put_url, sizeof(tk->put_url), "%s", tk->upload_url)) < 0 ||
		    (err = lade__reg_append_digest(tk->put_url, sizeof(tk->put_url), &d->digest)) < 0)
			return err;
		return lade__reg_request_setup(rq, M_PUT, tk->put_url, NULL, LADE_ERROR_BODY_MAX);
	case T_PATCH:
		rq->content_type = "application/octet-stream";
		rq->src.once = tk->borrowed_fd; /* a socket is read as it comes: chunk after chunk, never rewound */
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
		return lade__reg_request_setup(rq, M_PATCH, tk->upload_url, NULL, LADE_ERROR_BODY_MAX);
	case T_STATUS:
		return lade__reg_request_setup(rq, M_GET, tk->upload_url, NULL, LADE_ERROR_BODY_MAX);
	case T_GET:
		if (tk->pipe_fd >= 0) {
			if (!tk->checked_open) {
				if ((err = lade__checked_stream_init(&tk->checked, d, pipe_take, tk)) < 0)
					return err;
				tk->checked_open = 1;
			}
			rq->stream = &tk->checked;
			/* After a dropped connection, ask for the rest: what went into the socket is gone. */
			rq->resume_from = lade_hasher_size(tk->checked.hasher);
		} else if (!tk->sink_open) {
			/* A partial blob an earlier lade__reg_run left beside the destination is continued, not refetched. */
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
		if (tk->pipe_fd < 0) {
			rq->sink = &tk->sink;
			/* After a dropped connection, ask for the rest; the hash carries on where it was. */
			rq->resume_from = tk->sink.written < d->size ? tk->sink.written : 0;
		}
		if (!tk->get_url[0] && (err = lade__reg_url_for(r, tk->get_url, sizeof(tk->get_url), "/v2/%s/blobs/%s",
								d->digest.str)) < 0)
			return err;
		return lade__reg_request_setup(rq, M_GET, tk->get_url, NULL, LADE_ERROR_BODY_MAX);
	}
	return lade__error(LADE_ERROR, "bad task state");
}

/* Where the next PATCH goes, and (when told) how much the registry has. */
static int take_upload_location(task *tk)
{
	request *rq = &tk->rq;
	if (rq->location[0])
		return lade__reg_resolve_location(rq->reg, rq->location, tk->upload_url, sizeof(tk->upload_url),
						  tk->what);
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
	if (!rq->callback_error && !tk->stream && !(tk->borrowed_fd && (tk->state == T_PUT || tk->state == T_PATCH)) &&
	    (delay = lade__reg_retry_delay(r, cc, rq->status, rq->retry_after, &tk->attempt, &tk->stalls)) >= 0) {
		tk->wake_ms = lade__reg_now_ms() + delay;
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
		return lade__reg_request_error(rq, cc, tk->what);
	if (rq->status == 401 && !rq->foreign) {
		if ((err = lade__reg_handle_unauthorized(rq)) < 0)
			return err;
		if (err == 1 && !((tk->stream || tk->borrowed_fd) && rq->src.pos))
			return 1; /* same step again, now with credentials */
		return lade__reg_request_error(rq, cc, tk->what);
	}
	rq->auth_retries = 0;
	switch (tk->state) {
	case T_HEAD:
		if (tk->heads && tk->job->desc->size < SMALL_BLOB) {
			if (rq->status == 200)
				tk->heads->hits++;
			else if (rq->status == 404)
				tk->heads->misses++;
		}
		if (rq->status == 200) {
			tk->job->skipped = 1;
			return 0;
		}
		if (rq->status != 404)
			return lade__reg_request_error(rq, cc, tk->what);
		tk->state = T_POST;
		return 1;
	case T_POST:
		if (rq->status == 201) { /* mounted from another repository: nothing to send */
			tk->job->skipped = 1;
			return 0;
		}
		if (rq->status != 202)
			return lade__reg_request_error(rq, cc, tk->what);
		if ((err = lade__reg_resolve_location(r, rq->location, tk->upload_url, sizeof(tk->upload_url),
						      tk->what)) < 0)
			return err;
		tk->chunk_min = rq->chunk_min;
		tk->chunked = tk->stream || r->chunk_size || rq->chunk_min;
		tk->offset = 0;
		tk->state = tk->chunked ? T_PATCH : T_PUT;
		return 1;
	case T_PATCH:
		if (rq->status != 202 && rq->status != 204)
			return lade__reg_request_error(rq, cc, tk->what);
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
			return lade__reg_request_error(rq, cc, tk->what);
		if ((err = take_upload_location(tk)) < 0)
			return err;
		lade__upload_range_next(rq->upload_range, tk->job->desc->size, &tk->offset);
		tk->state = T_PATCH;
		return 1;
	case T_PUT:
		if (rq->status != 201 && rq->status != 204)
			return lade__reg_request_error(rq, cc, tk->what);
		tk->job->transferred = tk->job->desc->size;
		return 0;
	case T_GET:
		if (lade__reg_is_redirect(rq->status)) {
			/* Storage on another host gets no credentials or custom headers (lade__reg_request_setup). */
			if (++tk->redirects > 5)
				return lade__error(LADE_EPROTOCOL, "%s: more than 5 redirects", tk->what);
			return (err = lade__reg_follow_redirect(rq, tk->get_url, sizeof(tk->get_url))) < 0 ? err : 1;
		}
		if (rq->status != 200 && rq->status != 206) {
			if (tk->sink_open) {
				tk->sink.keep_partial = 0; /* the blob is gone or refused: nothing to resume */
				lade__sink_abort(&tk->sink);
				tk->sink_open = 0;
			}
			return lade__reg_request_error(rq, cc, tk->what);
		}
		if (tk->pipe_fd >= 0) {
			if ((err = lade__checked_stream_finish(&tk->checked)) < 0)
				return lade__error(err, "%s: %s", tk->what, lade_error_last()->message);
			/* All of it is verified; what the socket has not taken yet goes when it can. */
			tk->draining = tk->backlog_off < tk->backlog_len;
			return tk->draining ? 3 : 0;
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
	if (tk->pipe_fd >= 0)
		/* The job is over: the reader sees the end (early, when it failed); a writer gets an error, not a wait. */
		shutdown(tk->pipe_fd, tk->pipe_push ? SHUT_RD : SHUT_WR);
	tk->pipe_fd = -1;
	if (tk->checked_open)
		lade__checked_stream_dispose(&tk->checked);
	tk->checked_open = 0;
	tk->draining = 0;
	tk->awaiting = 0;
	tk->backlog_off = tk->backlog_len = 0;
	if (tk->sink_open)
		lade__sink_abort(&tk->sink);
	tk->sink_open = 0;
	if (tk->fd >= 0 && !tk->stream && !tk->borrowed_fd)
		close(tk->fd);
	tk->fd = -1;
	tk->rq.src.fd = -1; /* the task's, closed above */
	lade_hasher_free(tk->stream_hash);
	tk->stream_hash = NULL;
}

static void task_dispose(task *tk)
{
	task_release(tk);
	free(tk->backlog);
	tk->backlog = NULL;
	lade__reg_request_dispose(&tk->rq);
}

/*
 * The jobs of one call and the slots that lade__reg_run them: only `concurrency`
 * tasks exist, each reused from job to job with its curl handle, so memory
 * does not grow with the number of jobs (a 20,000-layer pull holds four
 * tasks, not 20,000).
 */
typedef struct engine {
	registry *r;
	task *slots;
	size_t nslots;
	lade_blob_job *jobs;
	size_t count, next; /* jobs; the next one to start */
	int push;
	const void *memory;  /* push from memory instead of the jobs' files */
	int stream_fd;       /* >= 0: the one job is a stream of unknown size read from here */
	const int *pipe_fds; /* or each job's socket (fetch_pipes, push_pipes) */
	head_stats heads;
} engine;

/* Put the next job into a free slot. */
static int slot_start(engine *en, task *tk)
{
	registry *r = en->r;
	lade_blob_job *job = &en->jobs[en->next++];
	CURL *easy = tk->rq.easy;
	lade_buf body = tk->rq.body;
	char *backlog = tk->backlog;
	size_t backlog_cap = tk->backlog_cap;

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
	tk->pipe_fd = -1;
	tk->backlog = backlog;
	tk->backlog_cap = backlog_cap;
	tk->memory = en->memory;
	job->error = 0;
	job->skipped = 0;
	job->transferred = 0;
	tk->heads = &en->heads;
	tk->state = !en->push                                                                             ? T_GET
		    : job->desc->size < SMALL_BLOB && en->heads.misses >= SMALL_MISSES && !en->heads.hits ? T_POST
													  : T_HEAD;
	lade__reg_scope_for(r, tk->scope, sizeof(tk->scope), en->push);
	tk->rq.scope = tk->scope;
	if (en->pipe_fds) {
		/* A socket another target writes or reads in another thread: never waited on (pipe_wait). */
		int flags = fcntl(en->pipe_fds[en->next - 1], F_GETFL);
		tk->pipe_fd = en->pipe_fds[en->next - 1];
		if (flags < 0 || fcntl(tk->pipe_fd, F_SETFL, flags | O_NONBLOCK) < 0)
			return lade__error(LADE_EIO, "cannot set up the socket for %s: %s", job->desc->digest.str,
					   strerror(errno));
		tk->pipe_push = en->push;
		tk->rq.pipe = 1;
		if (en->push) {
			tk->fd = tk->pipe_fd;
			tk->borrowed_fd = 1;
			tk->state = T_POST; /* the caller knows the registry lacks it */
		}
		snprintf(tk->what, sizeof(tk->what), "cannot %s %s %s '%s/%s'", en->push ? "push" : "fetch",
			 job->desc->digest.str, en->push ? "to" : "from", r->host, r->repository);
		return 0;
	}
	if (en->stream_fd >= 0 && job->desc->digest.str[0] && job->desc->size) {
		/* A stream of known content (a copy): POST, then one PUT of the size given, read as it comes;
		   the registry checks the digest, the source's side has hashed it already. */
		tk->fd = en->stream_fd;
		tk->borrowed_fd = 1;
		tk->state = T_POST;
		snprintf(tk->what, sizeof(tk->what), "cannot push %s to '%s/%s'", job->path, r->host, r->repository);
		return 0;
	}
	if (en->stream_fd >= 0) {
		/* A stream: POST, one PATCH hashed as it is read, then the PUT with its digest. */
		tk->fd = en->stream_fd;
		tk->stream = 1;
		tk->stream_desc = (lade_descriptor *)job->desc;
		tk->state = T_POST;
		snprintf(tk->what, sizeof(tk->what), "cannot push %s to '%s/%s'", job->path, r->host, r->repository);
		return lade_hasher_new(&tk->stream_hash, LADE_DIGEST_SHA256);
	}
	/* A push names the file given; a fetch the blob asked for (its file may be a private temporary). */
	snprintf(tk->what, sizeof(tk->what), "cannot %s %s %s '%s/%s'", en->push ? "push" : "fetch",
		 en->push && job->path ? job->path : job->desc->digest.str, en->push ? "to" : "from", r->host,
		 r->repository);
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

/* A busy slot whose transfer ended while a token fetch drove the multi handle, or NULL. */
static task *finished_meanwhile(engine *en)
{
	size_t i;
	for (i = 0; i < en->nslots; i++)
		if (en->slots[i].busy && en->slots[i].rq.done)
			return &en->slots[i];
	return NULL;
}

/*
 * The sockets of pipe jobs that wait (a paused transfer, an upload not
 * begun, or a finished download whose backlog the socket has not taken):
 * into fds, their number returned.
 */
static unsigned pipe_waits(engine *en, struct curl_waitfd *fds)
{
	unsigned n = 0;
	size_t i;
	for (i = 0; i < en->nslots; i++) {
		task *tk = &en->slots[i];
		if (!tk->busy || tk->pipe_fd < 0 || (!tk->rq.pipe_wait && !tk->draining && !tk->awaiting))
			continue;
		fds[n].fd = tk->pipe_fd;
		fds[n].events = tk->draining ? POLLOUT : tk->awaiting ? POLLIN : tk->rq.pipe_wait;
		fds[n].revents = 0;
		n++;
	}
	return n;
}

static void task_finish(engine *en, task *tk, int err, int *first, lade_error *first_message);

/*
 * Sockets that became ready: their transfers go on, an upload begins, and
 * a drained download's job is done. *on_socket counts the tasks that wait
 * on their socket alone (no request on the wire).
 */
static void pipes_ready(engine *en, const struct curl_waitfd *fds, unsigned n, size_t *on_socket, size_t *active,
			int *first, lade_error *first_message)
{
	unsigned k;
	size_t i;
	for (k = 0; k < n; k++) {
		if (!fds[k].revents)
			continue;
		for (i = 0; i < en->nslots && en->slots[i].pipe_fd != fds[k].fd; i++)
			;
		if (i == en->nslots)
			continue;
		if (en->slots[i].draining) {
			int err = *first ? *first : lade__reg_pipe_backlog(&en->slots[i].rq);
			if (err == 1)
				continue;
			(*on_socket)--;
			task_finish(en, &en->slots[i], err, first, first_message);
		} else if (en->slots[i].awaiting) {
			en->slots[i].awaiting = 0;
			(*on_socket)--;
			task_launch(en, &en->slots[i], active, first, first_message);
		} else {
			/* libcurl hands the kept chunk over (or asks for one) again, now that the socket is ready. */
			en->slots[i].rq.pipe_wait = 0;
			curl_easy_pause(en->slots[i].rq.easy, CURLPAUSE_CONT);
		}
	}
}

/* A pipe upload's next request carries a body whose first bytes the source has not sent yet. */
static int body_not_ready(const task *tk)
{
	struct pollfd p;
	int sends_body = tk->state == T_PATCH ||
			 (tk->state == T_PUT && !tk->chunked); /* a chunked upload's PUT is empty */
	if (tk->pipe_fd < 0 || !tk->pipe_push || !sends_body)
		return 0;
	p.fd = tk->pipe_fd;
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) == 0;
}

static int run_tasks(engine *en)
{
	registry *r = en->r;
	size_t active = 0, waiting = 0, on_socket = 0, i;
	struct curl_waitfd *fds = NULL;
	unsigned nfds;
	lade_error first_message;
	int first = 0, running, left, err;
	CURLMsg *msg;

	if (en->pipe_fds && !(fds = calloc(en->nslots, sizeof(*fds))))
		return lade_error_set_oom();

	for (;;) {
		long now = lade__reg_now_ms(), timeout = 1000;
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
		/* Stopping: what waits on its socket alone ends now (its other side ends with it). */
		for (i = 0; i < en->nslots && first && on_socket; i++) {
			task *tk = &en->slots[i];
			if (tk->busy && (tk->awaiting || tk->draining)) {
				on_socket--;
				task_finish(en, tk, first, &first, &first_message);
			}
		}
		if (!active && !waiting && !on_socket) {
			/* Jobs that finished without a request may leave slots free for more. */
			if (!first && en->next < en->count)
				continue;
			break;
		}
		curl_multi_perform(r->multi, &running);
		for (;;) {
			task *tk = NULL;
			CURLcode cc;
			if ((msg = curl_multi_info_read(r->multi, &left))) {
				if (msg->msg != CURLMSG_DONE)
					continue;
				curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&tk);
				cc = msg->data.result;
			} else if ((tk = finished_meanwhile(en))) {
				/* it ended while a token fetch drove the multi handle */
				tk->rq.done = 0;
				cc = tk->rq.done_result;
			} else {
				break;
			}
			curl_multi_remove_handle(r->multi, tk->rq.easy);
			active--;
			err = task_advance(tk, cc);
			if (err == 2 && !first) {
				waiting++;
				continue;
			}
			if (err == 1 && !first && body_not_ready(tk)) {
				tk->awaiting = 1;
				on_socket++;
				continue;
			}
			if (err == 1 && !first) {
				task_launch(en, tk, &active, &first, &first_message);
				continue;
			}
			if (err == 3 && !first) {
				on_socket++;
				continue;
			}
			if (err == 1 || err == 2 || err == 3)
				err = first; /* stopping: another job failed */
			task_finish(en, tk, err, &first, &first_message);
		}
		for (i = 0; i < en->nslots; i++)
			if (en->slots[i].busy && !en->slots[i].wake_ms)
				lade__reg_unpause_due(&en->slots[i].rq, lade__reg_now_ms(), &timeout);
		nfds = fds ? pipe_waits(en, fds) : 0;
		if (active || nfds)
			curl_multi_poll(r->multi, fds, nfds, (int)timeout, NULL);
		else if (waiting)
			lade__sleep_ms(timeout);
		if (nfds)
			pipes_ready(en, fds, nfds, &on_socket, &active, &first, &first_message);
	}
	free(fds);
	if (first)
		*(lade_error *)lade_error_last() = first_message;
	return first;
}

/*
 * How many transfers at once: `concurrency` for big blobs, whose time is
 * bandwidth; more for a batch of small ones, whose time is round trips
 * (SMALL_BATCH_FACTOR times, within the connections the multi handle keeps).
 */
static size_t slots_for(const registry *r, const lade_blob_job *jobs, size_t count)
{
	size_t i, slots = r->concurrency;
	for (i = 0; i < count && jobs[i].desc->size < SMALL_BLOB; i++)
		;
	if (i == count && count > slots)
		slots = r->concurrency * SMALL_BATCH_FACTOR;
	return count < slots ? count : slots;
}

int lade__reg_run_jobs(registry *r, lade_blob_job *jobs, size_t count, int push, const void *memory, int stream_fd,
		       const int *pipe_fds)
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
	en.pipe_fds = pipe_fds;
	en.nslots = slots_for(r, jobs, count);
	if (!en.nslots)
		return 0;
	if (!(en.slots = calloc(en.nslots, sizeof(*en.slots))))
		return lade_error_set_oom();
	for (i = 0; i < en.nslots && err == 0; i++) {
		en.slots[i].fd = -1;
		en.slots[i].pipe_fd = -1;
		err = lade__reg_request_init(&en.slots[i].rq, r);
	}
	if (err == 0)
		err = run_tasks(&en);
	for (i = 0; i < en.nslots; i++)
		task_dispose(&en.slots[i]);
	free(en.slots);
	return err;
}

/* A stream of unknown size: POST, one streaming PATCH hashed on the way, then PUT with its digest. */
int lade__reg_push_stream(lade_target *t, int fd, const char *name, lade_descriptor *desc)
{
	lade_blob_job job = {0};
	job.desc = desc;
	job.path = name;
	return lade__reg_run_jobs((registry *)t, &job, 1, 1, NULL, fd, NULL);
}

int lade__reg_fetch_files(lade_target *t, lade_blob_job *jobs, size_t count)
{
	return lade__reg_run_jobs((registry *)t, jobs, count, 0, NULL, -1, NULL);
}

int lade__reg_push_files(lade_target *t, lade_blob_job *jobs, size_t count)
{
	return lade__reg_run_jobs((registry *)t, jobs, count, 1, NULL, -1, NULL);
}

/* Pipe jobs run as blob jobs with a socket each in place of a file. */
static int run_pipes(lade_target *t, lade_pipe_job *pipes, size_t count, int push)
{
	lade_blob_job *jobs;
	int *fds, err;
	size_t i;
	if (!count)
		return 0;
	jobs = calloc(count, sizeof(*jobs));
	fds = calloc(count, sizeof(*fds));
	if (!jobs || !fds) {
		free(jobs);
		free(fds);
		return lade_error_set_oom();
	}
	for (i = 0; i < count; i++) {
		jobs[i].desc = pipes[i].desc;
		fds[i] = pipes[i].fd;
	}
	err = lade__reg_run_jobs((registry *)t, jobs, count, push, NULL, -1, fds);
	for (i = 0; i < count; i++) {
		pipes[i].error = jobs[i].error;
		pipes[i].transferred = jobs[i].transferred;
	}
	/* Jobs that never started: their readers see the end, their writers an error. */
	for (i = 0; i < count; i++)
		shutdown(pipes[i].fd, push ? SHUT_RD : SHUT_WR);
	free(jobs);
	free(fds);
	return err;
}

int lade__reg_fetch_pipes(lade_target *t, lade_pipe_job *jobs, size_t count)
{
	return run_pipes(t, jobs, count, 0);
}

int lade__reg_push_pipes(lade_target *t, lade_pipe_job *jobs, size_t count)
{
	return run_pipes(t, jobs, count, 1);
}

int lade_registry_mount(lade_target *t, const lade_descriptor *desc, const char *from_repository, int *mounted)
{
	registry *r = (registry *)t;
	lade_blob_job job = {0};
	task *tk;
	int err;
	if (!lade__reg_is_registry(t))
		return lade__error(LADE_EINVALID, "not a registry target");
	if (!(tk = calloc(1, sizeof(*tk))))
		return lade_error_set_oom();
	if ((err = lade__reg_request_init(&tk->rq, r)) < 0) {
		free(tk);
		return err;
	}
	job.desc = desc;
	tk->job = &job;
	tk->fd = -1;
	tk->mount_from = from_repository;
	tk->state = T_POST;
	/* One token for both: pull on the source, pull and push here (formats.md §2.7). */
	snprintf(tk->scope, sizeof(tk->scope), "repository:%s:pull,push repository:%s:pull", r->repository,
		 from_repository);
	tk->rq.scope = tk->scope;
	snprintf(tk->what, sizeof(tk->what), "cannot mount %s from '%s' into '%s/%s'", desc->digest.str,
		 from_repository, r->host, r->repository);
	/* Mount only: with no file to send, a 202 ends the task at its PUT, which is never sent. */
	if ((err = task_prepare(tk)) == 0) {
		CURLcode cc = lade__reg_perform(&tk->rq);
		err = task_advance(tk, cc);
		while (err == 1 && tk->state == T_POST) {
			if ((err = task_prepare(tk)) < 0)
				break;
			err = task_advance(tk, lade__reg_perform(&tk->rq));
		}
		if (err == 1 || err == 2) {
			/* 202: not mounted. Close the session the registry opened. */
			request cancel;
			if (lade__reg_request_init(&cancel, r) == 0) {
				cancel.scope = tk->scope;
				if (lade__reg_request_setup(&cancel, M_DELETE, tk->upload_url, NULL,
							    LADE_ERROR_BODY_MAX) == 0)
					lade__reg_perform(&cancel);
				lade__reg_request_dispose(&cancel);
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
