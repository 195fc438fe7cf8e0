/*
 * Copy (lade/copy.h): a visit over the graph walk. A manifest's blobs are
 * copied when the walk reaches it (skipped, mounted, or streamed source to
 * destination); the manifest itself, and an index after its manifests, are
 * written when the walk leaves them, byte for byte; referrers follow their
 * subject; the tags come last.
 */
#include "internal.h"
#include "lade/copy.h"
#include "lade/sys/fs.h"
#include "lade/graph.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Blobs up to this size go through memory (fetched whole, verified, sent); larger ones stream. */
#define SMALL_COPY ((size_t)4 << 20)
/* Referrers of referrers, and how many in all: a hostile source cannot make a copy endless. */
#define REFERRER_DEPTH 8
#define REFERRERS_MAX 10000

typedef struct copying {
	lade_target *src, *dst;
	const lade_copy_options *opts;
	lade_copy_result *res;
	size_t depth; /* of referrers below the root */
} copying;

/* The source's side of a streamed blob: a thread that fetches into a socket the destination reads. */
typedef struct feeder {
	lade_target *src;
	const lade_descriptor *desc;
	int fd;
	int err;
	int reader_gone; /* the destination closed its end first: its own error says why */
	lade_error message;
} feeder;

static int feed(const void *data, size_t len, void *payload)
{
	feeder *f = payload;
	const char *p = data;
	while (len) {
		/* MSG_NOSIGNAL: a destination that gave up closes its end; that is an error here, not SIGPIPE. */
		ssize_t n = send(f->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			f->reader_gone = 1;
			return lade__error(LADE_EIO, "the destination stopped reading %s: %s", f->desc->digest.str,
					   strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *feeder_main(void *arg)
{
	feeder *f = arg;
	if ((f->err = lade_target_fetch_stream(f->src, f->desc, feed, f)) < 0)
		f->message = *lade_error_last();
	/* The end of the stream: the destination's read sees it. A failed fetch ends it early. */
	shutdown(f->fd, SHUT_WR);
	close(f->fd);
	return NULL;
}

/* A large blob, source to destination through a socket pair: never whole in memory or on disk. */
static int stream_blob(copying *c, const lade_descriptor *d)
{
	feeder f;
	pthread_t thread;
	lade_descriptor got;
	int fds[2], err;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return lade__error(LADE_EIO, "cannot make a socket pair: %s", strerror(errno));
	memset(&f, 0, sizeof(f));
	f.src = c->src;
	f.desc = d;
	f.fd = fds[1];
	if ((err = pthread_create(&thread, NULL, feeder_main, &f)) != 0) {
		close(fds[0]);
		close(fds[1]);
		return lade__error(LADE_ERROR, "cannot start a thread: %s", strerror(err));
	}
	/* The content is known: a registry takes it in one PUT of that size and checks the digest itself. */
	memset(&got, 0, sizeof(got));
	got.media_type = d->media_type;
	got.digest = d->digest;
	got.size = d->size;
	err = lade_target_push_stream(c->dst, fds[0], d->digest.str, &got);
	close(fds[0]); /* a feeder still sending gets EPIPE now, not a wait */
	pthread_join(thread, NULL);
	if (f.err < 0 && !(f.reader_gone && err < 0)) {
		/* The source's word first: it is why the stream ended (unless the destination gave up first). */
		*(lade_error *)lade_error_last() = f.message;
		return f.err;
	}
	if (err < 0)
		return err;
	if (got.size != d->size || !lade_digest_equal(&got.digest, &d->digest))
		return lade__error(LADE_EDIGEST, "the source's %s is %llu bytes with digest %s", d->digest.str,
				   (unsigned long long)got.size, got.digest.str);
	return 0;
}

/*
 * Small blobs, several at once: fetched by the source's engine into a
 * private folder (verified, in parallel), then sent by the destination's
 * (in parallel), then removed. At most BATCH_BYTES wait on disk at a time.
 */
#define BATCH_BYTES ((uint64_t)64 << 20)

typedef struct batch {
	lade_blob_job *jobs;
	char **paths;
	size_t count, cap;
	uint64_t bytes;
	char dir[4096]; /* "" until the first blob needs it */
} batch;

static int batch_send(copying *c, batch *b)
{
	size_t i;
	int err = 0;
	if (!b->count)
		return 0;
	if ((err = lade_target_fetch_files(c->src, b->jobs, b->count)) == 0)
		err = lade_target_push_files(c->dst, b->jobs, b->count);
	for (i = 0; i < b->count; i++) {
		if (err == 0) {
			if (b->jobs[i].skipped) {
				c->res->blobs_skipped++;
			} else {
				c->res->blobs_copied++;
				c->res->bytes_copied += b->jobs[i].desc->size;
			}
		}
		unlink(b->paths[i]);
		free(b->paths[i]);
	}
	b->count = 0;
	b->bytes = 0;
	return err;
}

static int batch_add(copying *c, batch *b, const lade_descriptor *d)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096 + 32];
	int err;
	if (b->bytes + d->size > BATCH_BYTES && (err = batch_send(c, b)) < 0)
		return err;
	if (!b->dir[0]) {
		if ((err = lade_fs_temp_path(b->dir, sizeof(b->dir), "%s/copy", tmp && *tmp ? tmp : "/tmp")) < 0)
			return err;
		if (!mkdtemp(b->dir)) {
			b->dir[0] = '\0';
			return lade__error(LADE_EIO, "cannot make a temporary folder: %s", strerror(errno));
		}
	}
	if (b->count == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		lade_blob_job *jobs = realloc(b->jobs, cap * sizeof(*jobs));
		char **paths = jobs ? realloc(b->paths, cap * sizeof(*paths)) : NULL;
		if (jobs)
			b->jobs = jobs;
		if (!jobs || !paths)
			return lade_error_set_oom();
		b->paths = paths;
		b->cap = cap;
	}
	if ((err = lade_snprintf(path, sizeof(path), "%s/%zu", b->dir, b->count)) < 0)
		return err;
	if (!(b->paths[b->count] = lade_strdup(path)))
		return LADE_ENOMEM;
	memset(&b->jobs[b->count], 0, sizeof(b->jobs[0]));
	b->jobs[b->count].desc = d;
	b->jobs[b->count].path = b->paths[b->count];
	b->count++;
	b->bytes += d->size;
	return 0;
}

/* A blob the destination lacks, when it cannot be mounted: small ones join the batch, large ones stream now. */
static int copy_blob(copying *c, batch *b, const lade_descriptor *d)
{
	int found = 0, mounted = 0, err;

	if ((err = lade_target_exists(c->dst, d, &found)) < 0)
		return err;
	if (found) {
		c->res->blobs_skipped++;
		return 0;
	}
	/* Within one registry the blob is linked, not sent; a registry that declines gets it sent. */
	if (c->opts->mount_from && lade_target_mount(c->dst, d, c->opts->mount_from, &mounted) == 0 && mounted) {
		c->res->blobs_mounted++;
		return 0;
	}
	lade_error_clear();
	if (d->size <= SMALL_COPY)
		return batch_add(c, b, d);
	if ((err = stream_blob(c, d)) < 0)
		return err;
	c->res->blobs_copied++;
	c->res->bytes_copied += d->size;
	return 0;
}

static int copy_visit(const lade_walk_node *node, void *payload)
{
	copying *c = payload;
	batch b;
	size_t i;
	int err;
	if (!node->manifest)
		return 0; /* an index: the walk goes on to its manifests */
	/* A manifest's blobs, before the manifest is written; the walk need not visit them one by one. */
	memset(&b, 0, sizeof(b));
	err = copy_blob(c, &b, &node->manifest->config);
	for (i = 0; i < node->manifest->layer_count && err == 0; i++)
		err = copy_blob(c, &b, &node->manifest->layers[i]);
	if (err == 0)
		err = batch_send(c, &b);
	for (i = 0; i < b.count; i++) {
		unlink(b.paths[i]);
		free(b.paths[i]);
	}
	if (b.dir[0])
		rmdir(b.dir);
	free(b.jobs);
	free(b.paths);
	if (err < 0)
		return err;
	memset(node->follow, 0, node->child_count);
	return 0;
}

static int copy_graph(copying *c, const lade_descriptor *root, const char *bytes, size_t size);

typedef struct referrer_list {
	lade_descriptor *items;
	size_t count, cap;
} referrer_list;

static int collect(const lade_descriptor *d, void *payload)
{
	referrer_list *l = payload;
	if (l->count == REFERRERS_MAX)
		return lade__error(LADE_ETOOLARGE, "more than %d referrers of one manifest; refusing them",
				   REFERRERS_MAX);
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		lade_descriptor *grown = realloc(l->items, cap * sizeof(*grown));
		if (!grown)
			return lade_error_set_oom();
		l->items = grown;
		l->cap = cap;
	}
	if (lade_descriptor_copy(&l->items[l->count], d) < 0)
		return lade_error_last()->code;
	l->count++;
	return 0;
}

/* The referrers of subject at the source, copied with their own graphs (and theirs, to a bound). */
static int copy_referrers(copying *c, const lade_descriptor *subject)
{
	referrer_list l = {NULL, 0, 0};
	size_t i;
	int err;
	if (c->depth >= REFERRER_DEPTH)
		return 0;
	if ((err = lade_target_referrers(c->src, subject, NULL, collect, &l)) == 0) {
		c->depth++;
		for (i = 0; i < l.count && err == 0; i++) {
			/* A referrer's descriptor carries its artifactType and annotations; its manifest is what counts. */
			lade_descriptor plain;
			memset(&plain, 0, sizeof(plain));
			plain.media_type = l.items[i].media_type;
			plain.digest = l.items[i].digest;
			plain.size = l.items[i].size;
			if ((err = copy_graph(c, &plain, NULL, 0)) == 0)
				c->res->referrers++;
		}
		c->depth--;
	}
	for (i = 0; i < l.count; i++)
		lade_descriptor_dispose(&l.items[i]);
	free(l.items);
	return err;
}

static int copy_leave(const lade_walk_node *node, void *payload)
{
	copying *c = payload;
	lade_descriptor desc;
	int found = 0, err;
	const lade_descriptor *subject = node->manifest ? node->manifest->subject
					 : node->index  ? node->index->subject
							: NULL;
	if (!node->bytes)
		return 0;
	/* Written as read: the digest stays. Its media type is the document's own. */
	desc = *node->desc;
	desc.media_type = (char *)node->media_type;
	if ((err = lade_target_exists(c->dst, &desc, &found)) < 0)
		return err;
	if (!found) {
		if ((err = lade_target_push_bytes(c->dst, &desc, node->bytes, node->size)) < 0)
			return err;
		c->res->manifests++;
	}
	/* A referrer is found through its subject: a layout records it in index.json, untagged. */
	if (subject && (err = lade_target_tag(c->dst, &desc, NULL, 0, NULL)) < 0 && err != LADE_EUNSUPPORTED)
		return err;
	lade_error_clear();
	return c->opts->recursive ? copy_referrers(c, &desc) : 0;
}

static int copy_graph(copying *c, const lade_descriptor *root, const char *bytes, size_t size)
{
	lade_walk_options walk = LADE_WALK_OPTIONS_INIT;
	walk.leave = copy_leave;
	walk.root_bytes = bytes;
	walk.root_size = size;
	return lade_graph_walk(c->src, root, copy_visit, c, &walk);
}

/* With a platform, an index's manifest for it becomes the root (its bytes fetched in place of the index's). */
static int pick_platform(lade_target *src, const char *platform, lade_descriptor *root, lade_buf *bytes)
{
	lade_descriptor chosen;
	int err;
	if (strcmp(root->media_type, LADE_MEDIATYPE_INDEX) != 0 &&
	    strcmp(root->media_type, LADE_MEDIATYPE_DOCKER_LIST) != 0)
		return 0; /* a single manifest: the platform does not choose among anything */
	if ((err = lade_index_choose(bytes->ptr, bytes->size, platform, &chosen)) < 0)
		return lade__error(err, "%s: %s", root->digest.str, lade_error_last()->message);
	lade_descriptor_dispose(root);
	*root = chosen;
	lade_buf_dispose(bytes); /* fetch_bytes hands over a buffer of its own */
	return lade_target_fetch_bytes(src, root, LADE_MANIFEST_LIMIT, bytes);
}

int lade_copy(lade_target *src, lade_target *dst, const char *reference, const lade_copy_options *opts,
	      lade_copy_result *result)
{
	copying c;
	lade_copy_result res;
	lade_buf bytes;
	size_t i;
	int err;

	if (!opts || opts->version < 1 || opts->version > LADE_COPY_OPTIONS_VERSION)
		return lade__error(LADE_EINVALID, "copy options version %u is not 1 to %d", opts ? opts->version : 0,
				   LADE_COPY_OPTIONS_VERSION);
	memset(&res, 0, sizeof(res));
	lade_buf_init(&bytes, LADE_MANIFEST_LIMIT);
	if ((err = lade_target_fetch_manifest(src, reference, LADE_MANIFEST_LIMIT, &res.root, &bytes)) < 0)
		goto done;
	if (opts->platform && (err = pick_platform(src, opts->platform, &res.root, &bytes)) < 0)
		goto done;
	memset(&c, 0, sizeof(c));
	c.src = src;
	c.dst = dst;
	c.opts = opts;
	c.res = &res;
	if ((err = copy_graph(&c, &res.root, bytes.ptr, bytes.size)) < 0)
		goto done;
	/* The tags last: a reader never sees a tag whose content is incomplete. */
	for (i = 0; i < opts->tag_count && err == 0; i++)
		err = lade_target_tag(dst, &res.root, bytes.ptr, bytes.size, opts->tags[i]);
	if (!opts->tag_count && err == 0)
		err = lade_target_tag(dst, &res.root, NULL, 0, NULL); /* a layout lists it, untagged */
done:
	lade_buf_dispose(&bytes);
	if (err < 0) {
		lade_copy_result_dispose(&res);
		return err;
	}
	*result = res;
	return 0;
}

void lade_copy_result_dispose(lade_copy_result *result)
{
	lade_descriptor_dispose(&result->root);
	memset(result, 0, sizeof(*result));
}
