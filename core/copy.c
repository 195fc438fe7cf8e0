/*
 * Copy (lade/copy.h): a visit over the graph walk. A manifest's blobs join
 * a queue when the walk reaches it, the manifest when the walk leaves it;
 * an index waits until the queue is sent: its manifests' blobs all at once
 * (skipped, mounted, or through sockets from the source's engine
 * to the destination's), then the manifests in order, then the index, byte
 * for byte. Referrers follow their subject; the tags come last.
 */
#include "internal.h"
#include "lade/copy.h"
#include "lade/graph.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Blobs up to this size are sent before the larger ones of the same queue. */
#define SMALL_BLOB ((uint64_t)4 << 20)
/* A group whose sends failed as a network fails is sent again (its unfinished blobs), this often. */
#define GROUP_RETRIES 2
/* Referrers of referrers, and how many in all: a hostile source cannot make a copy endless. */
#define REFERRER_DEPTH 8
#define REFERRERS_MAX 10000

/*
 * What waits to be written: the manifests the walk has left (in that
 * order) and the blobs they need, collected so that the blobs of many
 * manifests (an index's platforms) move at once. Bounded: past any of
 * these the queue is sent before it takes more.
 */
#define PENDING_BYTES ((size_t)8 << 20)
#define PENDING_MANIFESTS 256
#define PENDING_BLOBS 4096
/* Large blobs through one set of sockets at a time (two descriptors each). */
#define PIPE_GROUP 64

typedef struct pending_manifest {
	lade_descriptor desc; /* media type the document's own */
	char *bytes;
	size_t size;
	int has_subject; /* a referrer: a layout records it, untagged */
} pending_manifest;

typedef struct copying {
	lade_target *src, *dst;
	const lade_copy_options *opts;
	lade_copy_result *res;
	size_t depth; /* of referrers below the root */
	pending_manifest *manifests;
	size_t manifest_count, manifest_cap, manifest_bytes;
	lade_descriptor *blobs; /* unique by digest */
	size_t blob_count, blob_cap;
} copying;

/* One side of a group of large blobs: the source's, run in a thread of its own. */
typedef struct pipe_side {
	lade_target *t;
	lade_pipe_job *jobs;
	size_t count;
	int err;
	lade_error message;
} pipe_side;

static void *fetch_side(void *arg)
{
	pipe_side *side = arg;
	size_t i;
	if ((side->err = lade_target_fetch_pipes(side->t, side->jobs, side->count)) < 0)
		side->message = *lade_error_last();
	/* Whatever the destination still waits for ends here. */
	for (i = 0; i < side->count; i++)
		close(side->jobs[i].fd);
	return NULL;
}

/*
 * One round of blobs, source to destination through sockets, never whole
 * in memory or on disk: the source's engine fetches into them (verified)
 * in a thread while the destination's sends from them, several at once on
 * each. done[i] tells which arrived; *again, whether the failure was only
 * the destination's link or server (worth another round for the rest).
 */
static int pipe_round(copying *c, const lade_descriptor *const *blobs, size_t count, unsigned char *done, int *again)
{
	lade_pipe_job from[PIPE_GROUP], to[PIPE_GROUP];
	pipe_side side;
	pthread_t thread;
	size_t i, made;
	int err;

	*again = 0;
	memset(from, 0, sizeof(from));
	memset(to, 0, sizeof(to));
	for (made = 0; made < count; made++) {
		int fds[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
			break;
		from[made].desc = to[made].desc = blobs[made];
		from[made].fd = fds[1];
		to[made].fd = fds[0];
	}
	if (made < count) {
		err = lade__error(LADE_EIO, "cannot make a socket pair: %s", strerror(errno));
		goto close_all;
	}
	memset(&side, 0, sizeof(side));
	side.t = c->src;
	side.jobs = from;
	side.count = count;
	if ((err = pthread_create(&thread, NULL, fetch_side, &side)) != 0) {
		err = lade__error(LADE_ERROR, "cannot start a thread: %s", strerror(err));
		goto close_all;
	}
	err = lade_target_push_pipes(c->dst, to, count);
	for (i = 0; i < count; i++)
		close(to[i].fd); /* a source still sending gets an error now, not a wait */
	pthread_join(thread, NULL);
	*again = 1;
	for (i = 0; i < count; i++) {
		done[i] = to[i].error == 0 && to[i].transferred == blobs[i]->size;
		if (done[i]) {
			c->res->blobs_copied++;
			c->res->bytes_copied += blobs[i]->size;
		}
		/* A source that failed (not only saw the destination go), or a refusal, is not tried again. */
		if ((from[i].error && from[i].error != LADE_EIO) ||
		    (to[i].error && to[i].error != LADE_ENET && to[i].error != LADE_EPROTOCOL))
			*again = 0;
	}
	/*
	 * The source's word first: it is why a stream ended early (a lie about
	 * a digest, a missing blob), unless it only saw the destination give up.
	 */
	if (side.err < 0 && !(side.err == LADE_EIO && err < 0)) {
		*(lade_error *)lade_error_last() = side.message;
		return side.err;
	}
	return err;
close_all:
	for (i = 0; i < made; i++) {
		close(from[i].fd);
		close(to[i].fd);
	}
	return err;
}

/*
 * A group of blobs; when the destination's link or server failed a round
 * (a PUT whose body went cannot be sent again by the engine: the socket is
 * read once), the blobs that did not arrive go again in a new round.
 */
static int pipe_group(copying *c, const lade_descriptor *const *blobs, size_t count)
{
	const lade_descriptor *left[PIPE_GROUP];
	unsigned char done[PIPE_GROUP];
	size_t n = count, i, k;
	int attempt, err, again;

	memcpy(left, blobs, count * sizeof(*left));
	for (attempt = 0;; attempt++) {
		if ((err = pipe_round(c, left, n, done, &again)) == 0 || !again || attempt == GROUP_RETRIES)
			return err;
		for (i = k = 0; i < n; i++)
			if (!done[i])
				left[k++] = left[i];
		if (!(n = k))
			return 0;
		lade_error_clear();
		lade__sleep_ms(500L << attempt);
	}
}

/* Whether the destination needs d sent: not when it has it, nor when a mount put it there. */
static int needs_sending(copying *c, const lade_descriptor *d, int *needed)
{
	int found = 0, mounted = 0, err;
	*needed = 0;
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
	*needed = 1;
	return 0;
}

/*
 * The queued blobs: skipped, mounted, or sent through sockets, small ones
 * first (they finish early and free their slots for the large).
 */
static int send_blobs(copying *c)
{
	const lade_descriptor **todo;
	size_t count = 0, i, pass;
	int err = 0, needed;

	if (!c->blob_count)
		return 0;
	if (!(todo = malloc(c->blob_count * sizeof(*todo))))
		return lade_error_set_oom();
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < c->blob_count && err == 0; i++)
			if ((c->blobs[i].size > SMALL_BLOB) == pass &&
			    (err = needs_sending(c, &c->blobs[i], &needed)) == 0 && needed)
				todo[count++] = &c->blobs[i];
	for (i = 0; i < count && err == 0; i += PIPE_GROUP)
		err = pipe_group(c, &todo[i], count - i < PIPE_GROUP ? count - i : PIPE_GROUP);
	free(todo);
	return err;
}

/* Write a manifest as read (the digest stays), unless the destination has it. */
static int write_manifest(copying *c, const lade_descriptor *desc, const char *bytes, size_t size, int has_subject)
{
	int found = 0, err;
	if ((err = lade_target_exists(c->dst, desc, &found)) < 0)
		return err;
	if (!found) {
		if ((err = lade_target_push_bytes(c->dst, desc, bytes, size)) < 0)
			return err;
		c->res->manifests++;
	}
	/* A referrer is found through its subject: a layout records it in index.json, untagged. */
	if (has_subject && (err = lade_target_tag(c->dst, desc, NULL, 0, NULL)) < 0 && err != LADE_EUNSUPPORTED)
		return err;
	lade_error_clear();
	return 0;
}

static void clear_pending(copying *c)
{
	size_t i;
	for (i = 0; i < c->manifest_count; i++) {
		lade_descriptor_dispose(&c->manifests[i].desc);
		free(c->manifests[i].bytes);
	}
	for (i = 0; i < c->blob_count; i++)
		lade_descriptor_dispose(&c->blobs[i]);
	c->manifest_count = c->blob_count = 0;
	c->manifest_bytes = 0;
}

/* Everything queued: the blobs, then the manifests in the order the walk left them. */
static int flush(copying *c)
{
	size_t i;
	int err = send_blobs(c);
	for (i = 0; i < c->manifest_count && err == 0; i++)
		err = write_manifest(c, &c->manifests[i].desc, c->manifests[i].bytes, c->manifests[i].size,
				     c->manifests[i].has_subject);
	clear_pending(c);
	return err;
}

/* Append a copy of d to a growing list of descriptors. */
static int append_descriptor(lade_descriptor **items, size_t *count, size_t *cap, const lade_descriptor *d)
{
	if (*count == *cap) {
		size_t grown_cap = *cap ? *cap * 2 : 16;
		lade_descriptor *grown = realloc(*items, grown_cap * sizeof(*grown));
		if (!grown)
			return lade_error_set_oom();
		*items = grown;
		*cap = grown_cap;
	}
	if (lade_descriptor_copy(&(*items)[*count], d) < 0)
		return lade_error_last()->code;
	(*count)++;
	return 0;
}

static int queue_blob(copying *c, const lade_descriptor *d)
{
	size_t i;
	for (i = 0; i < c->blob_count; i++)
		if (lade_digest_equal(&c->blobs[i].digest, &d->digest))
			return 0; /* a config or layer two platforms share goes once */
	return append_descriptor(&c->blobs, &c->blob_count, &c->blob_cap, d);
}

static int copy_visit(const lade_walk_node *node, void *payload)
{
	copying *c = payload;
	size_t i, blobs;
	int err;
	if (!node->manifest)
		return 0; /* an index: the walk goes on to its manifests */
	/* A manifest's blobs join the queue; the walk need not visit them one by one. */
	blobs = 1 + node->manifest->layer_count;
	if ((c->blob_count + blobs > PENDING_BLOBS || c->manifest_count >= PENDING_MANIFESTS) && (err = flush(c)) < 0)
		return err;
	if ((err = queue_blob(c, &node->manifest->config)) < 0)
		return err;
	for (i = 0; i < node->manifest->layer_count; i++)
		if ((err = queue_blob(c, &node->manifest->layers[i])) < 0)
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
	return append_descriptor(&l->items, &l->count, &l->cap, d);
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

static int queue_manifest(copying *c, const lade_descriptor *desc, const char *bytes, size_t size, int has_subject)
{
	pending_manifest *m;
	int err;
	/* Its blobs are queued already: sending the queue first keeps them before it. */
	if ((c->manifest_bytes + size > PENDING_BYTES || c->manifest_count >= PENDING_MANIFESTS) &&
	    (err = flush(c)) < 0)
		return err;
	if (c->manifest_count == c->manifest_cap) {
		size_t cap = c->manifest_cap ? c->manifest_cap * 2 : 8;
		pending_manifest *grown = realloc(c->manifests, cap * sizeof(*grown));
		if (!grown)
			return lade_error_set_oom();
		c->manifests = grown;
		c->manifest_cap = cap;
	}
	m = &c->manifests[c->manifest_count];
	memset(m, 0, sizeof(*m));
	if (!(m->bytes = malloc(size ? size : 1)))
		return lade_error_set_oom();
	memcpy(m->bytes, bytes, size);
	if (lade_descriptor_copy(&m->desc, desc) < 0) {
		free(m->bytes);
		return lade_error_last()->code;
	}
	m->size = size;
	m->has_subject = has_subject;
	c->manifest_count++;
	c->manifest_bytes += size;
	return 0;
}

static int copy_leave(const lade_walk_node *node, void *payload)
{
	copying *c = payload;
	lade_descriptor desc;
	int err;
	const lade_descriptor *subject = node->manifest ? node->manifest->subject
					 : node->index  ? node->index->subject
							: NULL;
	if (!node->bytes)
		return 0;
	/* Written as read: the digest stays. Its media type is the document's own. */
	desc = *node->desc;
	desc.media_type = (char *)node->media_type;
	if (node->index) {
		/* An index once all its manifests are there, and their blobs. */
		if ((err = flush(c)) < 0 ||
		    (err = write_manifest(c, &desc, node->bytes, node->size, subject != NULL)) < 0)
			return err;
	} else if ((err = queue_manifest(c, &desc, node->bytes, node->size, subject != NULL)) < 0) {
		return err;
	}
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
	err = copy_graph(&c, &res.root, bytes.ptr, bytes.size);
	if (err == 0)
		err = flush(&c);
	clear_pending(&c);
	free(c.manifests);
	free(c.blobs);
	if (err < 0)
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
