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
 * The template of a temporary: the printf-formatted prefix, then
 * ".lade-<pid>-XXXXXX" (the one place that writes the name
 * lade__reclaim_temporaries reads). LADE_ETOOLARGE when it does not fit.
 */
int lade__temp_path(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* mkostemp the template (ending in XXXXXX) and lock the new file. Returns the fd or -1 (errno set). */
int lade__temp_create(char *template_path);

/* Remove the abandoned temporaries (files and folders) directly in dir. Best effort, never fails. */
void lade__reclaim_temporaries(const char *dir);

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

/*
 * Open path for reading only when it is a regular file: opened with
 * O_NONBLOCK so a FIFO cannot hold lade forever, checked with fstat, then
 * set back to blocking. A FIFO, device, socket or folder is refused with
 * LADE_EINVALID naming what it is. Returns the descriptor or an error.
 */
int lade__open_regular(const char *path);

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

/* Write all of data to fd, retrying short writes; what names the file in the message. */
int lade__write_all(int fd, const void *data, size_t len, const char *what);

/* Remove a folder and everything in it, not following symlinks. Best effort. */
void lade__remove_tree(const char *path);

/* Remove everything in a folder, the folder itself kept, not following symlinks. Best effort. */
void lade__empty_folder(const char *path);

/*
 * A tree: a folder filled from names an attacker may have written (a
 * folder artifact's tar entries, pulled titles). Every path below the root
 * is walked from the root's file descriptor one component at a time with
 * O_NOFOLLOW, so nothing is ever created, opened or linked through a
 * symlink, whatever the tree holds or another entry made of it. A rel path
 * is relative and clean: no empty, "." or ".." components (see
 * lade__tree_clean).
 */

/*
 * Clean a relative name: "./" and doubled slashes dropped; "..", absolute
 * paths (LADE_EUNSAFE), overlong components and more than 128 levels
 * (LADE_ETOOLARGE) refused with the reason alone as the message.
 */
int lade__tree_clean(const char *name, char *rel, size_t rellen);

/*
 * Open the folder that holds rel's last component, making missing folders
 * with mode when create is set. *dirfd is the caller's to close; *leaf
 * points into rel. A component that is a symlink or a file is refused
 * with LADE_EUNSAFE and a message naming it, to which the caller adds
 * what it was placing; what names the entry in other messages.
 */
int lade__tree_parent(int rootfd, const char *rel, int create, mode_t mode, int *dirfd, const char **leaf,
		      const char *what);

/*
 * Does a symlink in folder dir_rel ("" for the root) whose text is target
 * lead to a place inside the tree? Resolved as the kernel would, through
 * the symlinks the tree holds now (at most 40 of them); a component that
 * does not exist is taken as a folder. 0 when inside, LADE_EUNSAFE (with
 * the message naming what) when it leads out or is absolute.
 */
int lade__tree_link_inside(int rootfd, const char *dir_rel, const char *target, const char *what);

/*
 * Where rel leads in the tree, its symlinks followed (at most 40): out gets
 * the place as a clean rel path with no symlink in it ("" for the root).
 * LADE_EUNSAFE when it leads outside. Absent components count as folders.
 */
int lade__tree_resolve(int rootfd, const char *rel, char *out, size_t outlen, const char *what);

/*
 * Check every symlink in the tree, as it stands now, with
 * lade__tree_link_inside: links made earlier may lead out through links
 * made later, so this runs once the tree is complete. Walks without
 * following links; depth bounded by PATH_MAX.
 */
int lade__tree_check_links(int rootfd);

#endif
