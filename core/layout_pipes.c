/*
 * The layout's side of a copy through sockets (lade_target_fetch_pipes,
 * push_pipes): a few blobs at once, in order, one poll over
 * their sockets, so a registry's engine on the other end is never left
 * waiting on one blob while the layout could serve another.
 */
#include "layout_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Blobs out of the layout at once; into it, fewer: each sink hashes and writes on two threads of its own. */
#define PIPE_WINDOW 4
#define SINK_WINDOW 2
#define PIPE_CHUNK ((size_t)128 * 1024)

/* Until one of the sockets is ready. */
static int wait_sockets(struct pollfd *fds, size_t n)
{
	if (poll(fds, n, -1) < 0 && errno != EINTR)
		return lade__error(LADE_EIO, "cannot wait for the copy's sockets: %s", strerror(errno));
	return 0;
}

/* A blob on its way out of the layout: its file, checked as read, and what the socket has not taken yet. */
typedef struct outgoing {
	lade_pipe_job *job;
	int file;
	lade__checked_stream checked; /* size and digest, as a layout's fetch_stream checks them */
	int checked_open;
	char *chunk;
	size_t len, off;
} outgoing;

/* The checked stream's reader: the bytes stay in the chunk, for the socket to take when it can. */
static int keep_in_chunk(const void *data, size_t len, void *payload)
{
	(void)data;
	(void)len;
	(void)payload;
	return 0;
}

static int outgoing_open(layout *l, outgoing *o, lade_pipe_job *job)
{
	char path[PATH_MAX];
	int err;
	o->job = job;
	o->len = o->off = 0;
	job->transferred = 0;
	if ((err = lade__layout_blob_path(l, job->desc, path, sizeof(path))) < 0)
		return err;
	if ((o->file = lade_fs_open_regular(path)) < 0)
		return o->file == LADE_ENOTFOUND
			   ? lade__error(LADE_ENOTFOUND, "%s not found in layout '%s'", job->desc->digest.str, l->root)
			   : o->file;
	if ((err = lade__checked_stream_init(&o->checked, job->desc, keep_in_chunk, NULL)) == 0)
		o->checked_open = 1;
	return err;
}

static void outgoing_close(outgoing *o)
{
	if (o->file >= 0)
		close(o->file);
	o->file = -1;
	if (o->checked_open)
		lade__checked_stream_dispose(&o->checked);
	o->checked_open = 0;
	shutdown(o->job->fd, SHUT_WR); /* the reader sees the end */
}

/* The socket can take more: the next chunk read (and checked) when the last is gone. 1 when the blob is all out. */
static int outgoing_step(outgoing *o)
{
	const lade_descriptor *d = o->job->desc;
	ssize_t n;
	int err;
	if (o->off == o->len) {
		do {
			n = read(o->file, o->chunk, PIPE_CHUNK);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return lade__error(LADE_EIO, "cannot read %s: %s", d->digest.str, strerror(errno));
		if (n == 0) /* all of it went: it is the size and digest it says, or the copy fails */
			return (err = lade__checked_stream_finish(&o->checked)) < 0
				   ? lade__error(err, "in layout: %s", lade_error_last()->message)
				   : 1;
		if ((err = lade__checked_stream_feed(&o->checked, o->chunk, (size_t)n)) < 0)
			return err;
		o->len = (size_t)n;
		o->off = 0;
	}
	do {
		n = send(o->job->fd, o->chunk + o->off, o->len - o->off, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return lade__error(LADE_EIO, "the reader of %s stopped: %s", d->digest.str, strerror(errno));
	if (n > 0) {
		o->off += (size_t)n;
		o->job->transferred += (uint64_t)n;
	}
	return 0;
}

int lade__layout_fetch_pipes(lade_target *t, lade_pipe_job *jobs, size_t count)
{
	layout *l = (layout *)t;
	outgoing slots[PIPE_WINDOW];
	struct pollfd fds[PIPE_WINDOW];
	size_t next = 0, i, n;
	int err = 0, step;

	memset(slots, 0, sizeof(slots));
	for (i = 0; i < PIPE_WINDOW; i++) {
		slots[i].file = -1;
		if (!(slots[i].chunk = malloc(PIPE_CHUNK)))
			err = lade_error_set_oom();
	}
	for (;;) {
		for (i = 0; i < PIPE_WINDOW && err == 0 && next < count; i++) {
			if (slots[i].job)
				continue;
			if ((err = outgoing_open(l, &slots[i], &jobs[next++])) < 0) {
				slots[i].job->error = err;
				outgoing_close(&slots[i]);
				slots[i].job = NULL;
			}
		}
		for (i = n = 0; i < PIPE_WINDOW; i++)
			if (slots[i].job)
				fds[n++] = (struct pollfd){.fd = slots[i].job->fd, .events = POLLOUT};
		if (!n || err)
			break;
		if ((err = wait_sockets(fds, n)) < 0)
			break;
		for (i = n = 0; i < PIPE_WINDOW && err == 0; i++) {
			if (!slots[i].job || !fds[n++].revents)
				continue;
			if ((step = outgoing_step(&slots[i])) == 0)
				continue;
			slots[i].job->error = err = step < 0 ? step : 0;
			outgoing_close(&slots[i]);
			slots[i].job = NULL;
		}
	}
	for (i = 0; i < PIPE_WINDOW; i++) {
		if (slots[i].job) {
			slots[i].job->error = err;
			outgoing_close(&slots[i]);
		}
		free(slots[i].chunk);
	}
	for (i = next; i < count; i++)
		shutdown(jobs[i].fd, SHUT_WR);
	return err;
}

/* Into the layout: each socket into a sink (hashed, verified, renamed into blobs/) as its bytes come. */
int lade__layout_push_pipes(lade_target *t, lade_pipe_job *jobs, size_t count)
{
	layout *l = (layout *)t;
	lade__sink sinks[SINK_WINDOW];
	lade_pipe_job *open[SINK_WINDOW] = {NULL};
	struct pollfd fds[SINK_WINDOW];
	char *chunk = malloc(PIPE_CHUNK);
	size_t next = 0, i, n;
	ssize_t got;
	int err = chunk ? 0 : lade_error_set_oom();

	for (;;) {
		for (i = 0; i < SINK_WINDOW && err == 0 && next < count; i++) {
			if (open[i])
				continue;
			jobs[next].transferred = 0;
			if ((err = lade__layout_ingest(l, jobs[next].desc, &sinks[i])) < 0) {
				jobs[next].error = err;
				break;
			}
			open[i] = &jobs[next++];
		}
		for (i = n = 0; i < SINK_WINDOW; i++)
			if (open[i])
				fds[n++] = (struct pollfd){.fd = open[i]->fd, .events = POLLIN};
		if (!n || err)
			break;
		if ((err = wait_sockets(fds, n)) < 0)
			break;
		for (i = n = 0; i < SINK_WINDOW && err == 0; i++) {
			if (!open[i] || !fds[n++].revents)
				continue;
			do {
				got = recv(open[i]->fd, chunk, PIPE_CHUNK, MSG_DONTWAIT);
			} while (got < 0 && errno == EINTR);
			if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				continue;
			if (got < 0) {
				err = lade__error(LADE_EIO, "cannot read %s from the source: %s",
						  open[i]->desc->digest.str, strerror(errno));
			} else if (got > 0) {
				open[i]->transferred += (uint64_t)got;
				err = lade__sink_write(&sinks[i], chunk, (size_t)got);
			} else {
				/* The end: all of it, and what it says it is, or nothing takes the name. */
				if (open[i]->transferred < open[i]->desc->size)
					err = lade__error(LADE_EDIGEST, "%s ended after %llu of its %llu bytes",
							  open[i]->desc->digest.str,
							  (unsigned long long)open[i]->transferred,
							  (unsigned long long)open[i]->desc->size);
				else
					err = lade__sink_commit(&sinks[i]);
				if (err < 0)
					lade__sink_abort(&sinks[i]);
				open[i]->error = err;
				open[i] = NULL;
			}
		}
	}
	for (i = 0; i < SINK_WINDOW; i++) {
		if (!open[i])
			continue;
		open[i]->error = err;
		lade__sink_abort(&sinks[i]);
	}
	/* What was not read is refused: a writer still sending gets an error, not a wait. */
	for (i = 0; i < count; i++)
		shutdown(jobs[i].fd, SHUT_RD);
	free(chunk);
	return err;
}
