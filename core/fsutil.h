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
#include "lade/sys/fs.h"

struct lade__sink_pipe;

typedef struct lade__sink {
	int fd;
	char tmp[PATH_MAX];
	char dest[PATH_MAX];
	lade_hasher *hasher;
	uint64_t written;
	const lade_descriptor *desc;  /* borrowed: valid until commit or abort */
	struct lade__sink_pipe *pipe; /* large blobs: one worker thread hashes, another writes */
	int keep_partial;             /* abort keeps what arrived, for the next run to resume */
	int complete;                 /* resumable: another lade put the verified blob at dest meanwhile;
					 nothing to write, nothing to commit */
} lade__sink;

/*
 * Temporaries are named "<name>.lade-<pid>-XXXXXX" and locked (flock) by
 * their creator for as long as it lives, so a later run can tell a dead
 * process's leftovers (pid gone, lock free) from a live one's.
 */
#define LADE_TEMP_MARK ".lade-"

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
 * its content proves wrong, and renamed into place when complete. When
 * another lade holds it, this waits for that one; if it put the verified
 * blob at dest meanwhile, s->complete is set and there is nothing to do.
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

/*
 * A file written whole or not at all: written to a locked temporary beside
 * path, then fsync'd and renamed over path by commit. Abort (or a failed
 * commit) removes the temporary.
 */
typedef struct lade__atomic {
	int fd;
	char tmp[PATH_MAX];
	const char *path; /* borrowed: valid until commit or abort */
} lade__atomic;

int lade__atomic_open(lade__atomic *w, const char *path);
int lade__atomic_write(lade__atomic *w, const void *data, size_t len);
int lade__atomic_commit(lade__atomic *w, mode_t mode);
void lade__atomic_abort(lade__atomic *w);

/* Write data to path atomically (lade__atomic in one call). */
int lade__write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Copy a local file into a sink in bounded chunks. */
int lade__sink_copy_from(lade__sink *s, const char *src, uint64_t *copied);

/* Remove a folder and everything in it, not following symlinks. Best effort. */
void lade__remove_tree(const char *path);

#endif
