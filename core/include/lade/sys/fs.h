/*
 * lade/sys/fs.h - the file helpers lade's kinds use to read inputs and
 * write outputs safely, public for kinds and targets written outside
 * liblade. Each sets the calling thread's error when it fails.
 *
 * A tree: a folder filled from names an attacker may have written (a
 * folder artifact's tar entries, pulled titles). Every path below the root
 * is walked from the root's file descriptor one component at a time with
 * O_NOFOLLOW, so nothing is ever created, opened or linked through a
 * symlink, whatever the tree holds or another entry made of it. A rel path
 * is relative and clean: no empty, "." or ".." components (see
 * lade_fs_tree_clean). This is lade's one path walker: pulls, folder
 * unpacking and layouts all place names through it.
 */
#ifndef LADE_SYS_FS_H
#define LADE_SYS_FS_H

#include "lade/common.h"
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The template of a temporary: the printf-formatted prefix, then
 * ".lade-<pid>-XXXXXX" (the one place that writes the name
 * lade_fs_reclaim_temporaries reads). LADE_ETOOLARGE when it does not fit.
 */
LADE_EXTERN int lade_fs_temp_path(char *out, size_t outlen, const char *fmt, ...) LADE_PRINTF(3, 4);

/* mkostemp the template (ending in XXXXXX) and lock the new file. Returns the fd or -1 (errno set). */
LADE_EXTERN int lade_fs_temp_create(char *template_path);

/* Remove the abandoned temporaries (files and folders) directly in dir. Best effort, never fails. */
LADE_EXTERN void lade_fs_reclaim_temporaries(const char *dir);

/*
 * Open path for reading only when it is a regular file: opened with
 * O_NONBLOCK so a FIFO cannot hold lade forever, checked with fstat, then
 * set back to blocking. A FIFO, device, socket or folder is refused with
 * LADE_EINVALID naming what it is. Returns the descriptor or an error.
 */
LADE_EXTERN int lade_fs_open_regular(const char *path);

/* Write all of data to fd, retrying short writes; what names the file in the message. */
LADE_EXTERN int lade_fs_write_all(int fd, const void *data, size_t len, const char *what);

/* Remove everything in a folder, the folder itself kept, not following symlinks. Best effort. */
LADE_EXTERN void lade_fs_empty_folder(const char *path);

/*
 * Clean a relative name: "./" and doubled slashes dropped; "..", absolute
 * paths (LADE_EUNSAFE), overlong components and more than 128 levels
 * (LADE_ETOOLARGE) refused with the reason alone as the message.
 */
LADE_EXTERN int lade_fs_tree_clean(const char *name, char *rel, size_t rellen);

/*
 * Open the folder that holds rel's last component, making missing folders
 * with mode when create is set. *dirfd is the caller's to close; *leaf
 * points into rel. A component that is a symlink or a file is refused
 * with LADE_EUNSAFE and a message naming it, to which the caller adds
 * what it was placing; what names the entry in other messages.
 */
LADE_EXTERN int lade_fs_tree_parent(int rootfd, const char *rel, int create, mode_t mode, int *dirfd, const char **leaf,
				    const char *what);

/*
 * Does a symlink in folder dir_rel ("" for the root) whose text is target
 * lead to a place inside the tree? Resolved as the kernel would, through
 * the symlinks the tree holds now (at most 40 of them); a component that
 * does not exist is taken as a folder. 0 when inside, LADE_EUNSAFE (with
 * the message naming what) when it leads out or is absolute.
 */
LADE_EXTERN int lade_fs_tree_link_inside(int rootfd, const char *dir_rel, const char *target, const char *what);

/*
 * Where rel leads in the tree, its symlinks followed (at most 40): out gets
 * the place as a clean rel path with no symlink in it ("" for the root).
 * LADE_EUNSAFE when it leads outside. Absent components count as folders.
 */
LADE_EXTERN int lade_fs_tree_resolve(int rootfd, const char *rel, char *out, size_t outlen, const char *what);

/*
 * Check every symlink in the tree, as it stands now, with
 * lade_fs_tree_link_inside: links made earlier may lead out through links
 * made later, so this runs once the tree is complete. Walks without
 * following links; depth bounded by PATH_MAX.
 */
LADE_EXTERN int lade_fs_tree_check_links(int rootfd);

#ifdef __cplusplus
}
#endif

#endif
