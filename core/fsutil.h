/*
 * fsutil.h - local file helpers shared by the targets and the packager.
 *
 * A sink is the one way content reaches a final name on disk: bytes go to a
 * temporary file (in tmpdir, or beside the destination) while being hashed;
 * commit checks size and digest against the descriptor and renames; abort
 * removes the temporary file. No partial file ever takes the final name.
 */
#ifndef LADE_FSUTIL_H
#define LADE_FSUTIL_H

#include "lade/digest.h"
#include "lade/manifest.h"
#include <limits.h>
#include <sys/types.h>

struct lade__sink_pipe;

typedef struct lade__sink {
	int fd;
	char tmp[PATH_MAX];
	char dest[PATH_MAX];
	lade_hasher *hasher;
	uint64_t written;
	const lade_descriptor *desc; /* borrowed: valid until commit or abort */
	struct lade__sink_pipe *pipe; /* large blobs: one worker thread hashes, another writes */
	int keep_partial;             /* abort keeps what arrived, for the next run to resume */
} lade__sink;

/*
 * Open a temporary file for dest; tmpdir NULL means dest's own folder.
 * For blobs of LADE_SINK_PIPE_MIN bytes or more, hashing and writing run on
 * two worker threads fed through a few bounded chunks, so they overlap with
 * each other and with the caller's reading from the network.
 */
#define LADE_SINK_PIPE_MIN ((uint64_t)4 * 1024 * 1024)
int lade__sink_open(lade__sink *s, const char *dest, const char *tmpdir, const lade_descriptor *desc);

/*
 * As lade__sink_open, but the temporary file has a fixed name beside dest
 * (.<name>.<digest prefix>.lade-partial) and survives an interrupted run:
 * when it is there, its bytes are hashed again and the sink continues after
 * them (s->written tells where). It is locked while in use, removed when
 * its content proves wrong, and renamed into place when complete.
 */
int lade__sink_open_resumable(lade__sink *s, const char *dest, const lade_descriptor *desc);

/* Append bytes; fails with LADE_EDIGEST once more than desc->size arrive. */
int lade__sink_write(lade__sink *s, const void *data, size_t len);

/* Start over: empty the temporary file and the hash (a server ignored a Range request). */
int lade__sink_restart(lade__sink *s);

/* Check size and digest, then rename to dest. Closes the sink either way. */
int lade__sink_commit(lade__sink *s);

/* Remove the temporary file; safe after commit and on a zeroed sink. */
void lade__sink_abort(lade__sink *s);

/* mkdir -p with mode for every missing folder. */
int lade__mkdirs(const char *path, mode_t mode);

/* Read a whole small file under a cap into out. LADE_ENOTFOUND when absent. */
int lade__read_file(lade_buf *out, const char *path, size_t max);

/* Write data to path atomically (temporary file, fsync, rename). */
int lade__write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Copy a local file into a sink in bounded chunks. */
int lade__sink_copy_from(lade__sink *s, const char *src, uint64_t *copied);



/* Write all of data to fd, retrying short writes; what names the file in the message. */
int lade__write_all(int fd, const void *data, size_t len, const char *what);

/* Remove a folder and everything in it, not following symlinks. Best effort. */
void lade__remove_tree(const char *path);

#endif
