/*
 * The target dispatchers: each calls the target's operation, or says the
 * target lacks it. lade/sys/target.h is the implementers' side.
 */
#include "internal.h"
#include "lade/sys/target.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>

static int unsupported(const lade_target *t, const char *op)
{
	return lade__error(LADE_EUNSUPPORTED, "the %s target cannot %s", t->kind ? t->kind : "custom", op);
}

/* Call ops->name when the target has it, else fail naming the operation. */
#define DISPATCH(t, name, what, ...) ((t)->ops->name ? (t)->ops->name(__VA_ARGS__) : unsupported((t), (what)))
/* The same for operations added in version 2, which a version 1 table does not have at all. */
#define DISPATCH2(t, name, what, ...)                                                                                  \
	((t)->ops->version >= 2 && (t)->ops->name ? (t)->ops->name(__VA_ARGS__) : unsupported((t), (what)))

int lade_target_init(lade_target *t, const lade_target_ops *ops, const char *kind)
{
	if (!t || !ops || !ops->free)
		return lade__error(LADE_EINVALID, "a target needs an ops table with free");
	if (ops->version < 1 || ops->version > LADE_TARGET_OPS_VERSION)
		return lade__error(LADE_EINVALID, "target ops version %u is not 1 to %d", ops->version,
				   LADE_TARGET_OPS_VERSION);
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->kind = kind;
	return 0;
}

const char *lade_target_kind(const lade_target *t)
{
	return t->kind ? t->kind : "custom";
}

int lade_target_exists(lade_target *t, const lade_descriptor *desc, int *found)
{
	return DISPATCH(t, exists, "check what it holds", t, desc, found);
}

int lade_target_blob_size(lade_target *t, const lade_digest *digest, uint64_t *size)
{
	return DISPATCH(t, blob_size, "tell a blob's size", t, digest, size);
}

int lade_target_fetch_bytes(lade_target *t, const lade_descriptor *desc, size_t max, lade_buf *out)
{
	return DISPATCH(t, fetch_bytes, "fetch content", t, desc, max, out);
}

int lade_target_fetch_files(lade_target *t, lade_blob_job *jobs, size_t count)
{
	return DISPATCH(t, fetch_files, "fetch blobs to files", t, jobs, count);
}

int lade_target_push_bytes(lade_target *t, const lade_descriptor *desc, const void *data, size_t len)
{
	return DISPATCH(t, push_bytes, "store content", t, desc, data, len);
}

int lade_target_push_files(lade_target *t, lade_blob_job *jobs, size_t count)
{
	return DISPATCH(t, push_files, "store blobs from files", t, jobs, count);
}

int lade_target_fetch_stream(lade_target *t, const lade_descriptor *desc, lade_stream_cb cb, void *payload)
{
	return DISPATCH2(t, fetch_stream, "stream content", t, desc, cb, payload);
}

int lade_target_mount(lade_target *t, const lade_descriptor *desc, const char *from_repository, int *mounted)
{
	return DISPATCH2(t, mount, "mount a blob from another repository", t, desc, from_repository, mounted);
}

int lade_target_delete(lade_target *t, const lade_descriptor *desc)
{
	return DISPATCH2(t, delete_content, "delete content", t, desc);
}

int lade_target_untag(lade_target *t, const char *tag)
{
	return DISPATCH2(t, untag, "remove a tag", t, tag);
}

int lade_target_referrers(lade_target *t, const lade_descriptor *subject, const char *artifact_type,
			  lade_descriptor_cb cb, void *payload)
{
	return DISPATCH2(t, referrers, "list referrers", t, subject, artifact_type, cb, payload);
}

/* The same for operations added in version 3. */
#define HAS3(t, name) ((t)->ops->version >= 3 && (t)->ops->name)

/* A pipe job's socket for a target that takes one job at a time: plain blocking reads and writes. */
static void blocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0 && (flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

static int send_all(const void *data, size_t len, void *payload)
{
	lade_pipe_job *job = payload;
	const char *p = data;
	while (len) {
		/* MSG_NOSIGNAL: a reader that gave up closed its end; that is an error here, not SIGPIPE. */
		ssize_t n = send(job->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lade__error(LADE_EIO, "the reader of %s stopped: %s", job->desc->digest.str,
					   strerror(errno));
		p += n;
		len -= (size_t)n;
		job->transferred += (uint64_t)n;
	}
	return 0;
}

int lade_target_fetch_pipes(lade_target *t, lade_pipe_job *jobs, size_t count)
{
	size_t i;
	int err = 0;
	if (HAS3(t, fetch_pipes))
		return t->ops->fetch_pipes(t, jobs, count);
	/* One at a time, in order: the reader takes them in that order too, so neither waits for ever. */
	for (i = 0; i < count; i++) {
		blocking(jobs[i].fd);
		jobs[i].transferred = 0;
		if (err == 0)
			err = jobs[i].error = lade_target_fetch_stream(t, jobs[i].desc, send_all, &jobs[i]);
		shutdown(jobs[i].fd, SHUT_WR);
	}
	return err;
}

int lade_target_push_pipes(lade_target *t, lade_pipe_job *jobs, size_t count)
{
	size_t i;
	int err = 0;
	if (HAS3(t, push_pipes))
		return t->ops->push_pipes(t, jobs, count);
	for (i = 0; i < count && err == 0; i++) {
		lade_descriptor got;
		blocking(jobs[i].fd);
		memset(&got, 0, sizeof(got));
		got.media_type = jobs[i].desc->media_type;
		got.digest = jobs[i].desc->digest;
		got.size = jobs[i].desc->size;
		err = lade_target_push_stream(t, jobs[i].fd, jobs[i].desc->digest.str, &got);
		if (err == 0 &&
		    (got.size != jobs[i].desc->size || !lade_digest_equal(&got.digest, &jobs[i].desc->digest)))
			err = lade__error(LADE_EDIGEST, "the source's %s is %llu bytes with digest %s",
					  jobs[i].desc->digest.str, (unsigned long long)got.size, got.digest.str);
		jobs[i].transferred = err == 0 ? got.size : 0;
		jobs[i].error = err;
	}
	/* What was not read is refused: a writer still sending gets an error, not a wait. */
	for (i = 0; i < count; i++)
		shutdown(jobs[i].fd, SHUT_RD);
	return err;
}

int lade_target_push_stream(lade_target *t, int fd, const char *name, lade_descriptor *desc)
{
	return DISPATCH(t, push_stream, "store a stream", t, fd, name, desc);
}

int lade_target_resolve(lade_target *t, const char *reference, lade_descriptor *out)
{
	return DISPATCH(t, resolve, "resolve a reference", t, reference, out);
}

int lade_target_fetch_manifest(lade_target *t, const char *reference, size_t max, lade_descriptor *desc,
			       lade_buf *bytes)
{
	lade_descriptor d;
	int err;
	if (t->ops->fetch_manifest)
		return t->ops->fetch_manifest(t, reference, max, desc, bytes);
	if ((err = lade_target_resolve(t, reference, &d)) < 0)
		return err;
	if ((err = lade_target_fetch_bytes(t, &d, max, bytes)) < 0) {
		lade_descriptor_dispose(&d);
		return err;
	}
	*desc = d;
	return 0;
}

int lade_target_tag(lade_target *t, const lade_descriptor *desc, const void *data, size_t len, const char *tag)
{
	return DISPATCH(t, tag, "tag a manifest", t, desc, data, len, tag);
}

int lade_target_list_tags(lade_target *t, lade_tag_cb cb, void *payload)
{
	return DISPATCH(t, list_tags, "list tags", t, cb, payload);
}

void lade_target_set_progress(lade_target *t, lade_progress_cb cb, void *payload)
{
	t->progress = cb;
	t->progress_payload = payload;
}

void lade_target_free(lade_target *t)
{
	if (t)
		t->ops->free(t);
}
