/*
 * tree.c - the one place where names an attacker wrote become paths on
 * disk (fsutil.h, "A tree"). Two rules make it safe whatever the names and
 * the order they come in:
 *  - creation walks from the root's descriptor with O_NOFOLLOW, so no
 *    file, folder or hard link is ever made through a symlink;
 *  - a symlink's target is resolved the way the kernel would resolve it,
 *    through the tree's own symlinks, and the whole tree is checked again
 *    once complete, because a link made later can change where an earlier
 *    one leads (`a -> x/../b`, then `x -> .`).
 */
#include "internal.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Linux follows at most 40 links in one lookup; so does the check. */
#define LINK_HOPS_MAX 40
/* Folders deeper than this are refused: no real tree needs them, and the final walk stays small. */
#define TREE_DEPTH_MAX 128

int lade_fs_tree_clean(const char *name, char *rel, size_t rellen)
{
	const char *p = name;
	size_t len = 0, depth = 0;

	if (name[0] == '/')
		return lade__error(LADE_EUNSAFE, "absolute path");
	rel[0] = '\0';
	while (*p) {
		size_t n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || n == 0) {
			p += n + (p[n] == '/');
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return lade__error(LADE_EUNSAFE, "'..' in its path");
		if (n > NAME_MAX)
			return lade__error(LADE_ETOOLARGE, "a component is over %d bytes", NAME_MAX);
		if (++depth > TREE_DEPTH_MAX)
			return lade__error(LADE_ETOOLARGE, "more than %d folders deep", TREE_DEPTH_MAX);
		if (len + n + 2 > rellen)
			return lade__error(LADE_ETOOLARGE, "the path is too long");
		if (len)
			rel[len++] = '/';
		memcpy(rel + len, p, n);
		len += n;
		rel[len] = '\0';
		p += n + (p[n] == '/');
	}
	return 0;
}

/* Why a component could not be opened as a folder, as a message. */
static int not_a_folder(int dirfd, const char *comp, const char *rel, size_t upto, const char *what)
{
	struct stat st;
	const char *kind = "not a folder";
	if (fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0)
		kind = S_ISLNK(st.st_mode)   ? "a symlink, not a folder"
		       : S_ISREG(st.st_mode) ? "a file, not a folder"
					     : kind;
	(void)what;
	return lade__error(LADE_EUNSAFE, "'%.*s' is %s", (int)upto, rel, kind);
}

int lade_fs_tree_parent(int rootfd, const char *rel, int create, mode_t mode, int *dirfd, const char **leaf,
			const char *what)
{
	char comp[NAME_MAX + 1];
	const char *p = rel, *slash;
	int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		return lade__error(LADE_EIO, "cannot open the folder for '%s': %s", what, strerror(errno));
	while ((slash = strchr(p, '/')) != NULL) {
		size_t n = (size_t)(slash - p);
		int next;
		if (n == 0 || n > NAME_MAX) {
			close(fd);
			return lade__error(LADE_EUNSAFE, "'%s' is not a clean path", rel);
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, mode) < 0 && errno != EEXIST) {
				int e = errno;
				close(fd);
				return lade__error(LADE_EIO, "cannot create folder '%.*s' for '%s': %s",
						   (int)(slash - rel), rel, what, strerror(e));
			}
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int e = errno, err;
			if (e == ELOOP || e == ENOTDIR)
				err = not_a_folder(fd, comp, rel, (size_t)(slash - rel), what);
			else
				err = lade__error(e == ENOENT ? LADE_ENOTFOUND : LADE_EIO,
						  "cannot open folder '%.*s' for '%s': %s", (int)(slash - rel), rel,
						  what, strerror(e));
			close(fd);
			return err;
		}
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*dirfd = fd;
	*leaf = p;
	return 0;
}

/*
 * Walk target from cur (a resolved place in the tree, "" for the root,
 * no symlinks in it), replacing every symlink met by what it points to.
 * 0: cur is where target leads; 1: it leaves the tree; 2: too many links.
 */
static int resolve(int rootfd, char *cur, size_t curmax, const char *target, int *hops)
{
	const char *p = target;
	if (target[0] == '/')
		return 1;
	while (*p) {
		size_t n = strcspn(p, "/"), len = strlen(cur);
		struct stat st;
		const char *comp = p;
		p += n + (p[n] == '/');
		if (n == 0 || (n == 1 && comp[0] == '.'))
			continue;
		if (n == 2 && comp[0] == '.' && comp[1] == '.') {
			char *slash;
			if (!len)
				return 1;
			slash = strrchr(cur, '/');
			*(slash ? slash : cur) = '\0';
			continue;
		}
		if (len + n + 2 > curmax)
			return 1; /* longer than any path: treat as leaving */
		if (len)
			cur[len++] = '/';
		memcpy(cur + len, comp, n);
		cur[len + n] = '\0';
		if (fstatat(rootfd, cur, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
			char *link = malloc(PATH_MAX);
			ssize_t got;
			int r;
			if (!link)
				return 1;
			if (++*hops > LINK_HOPS_MAX) {
				free(link);
				return 2;
			}
			got = readlinkat(rootfd, cur, link, PATH_MAX - 1);
			cur[len ? len - 1 : 0] = '\0'; /* the link's folder */
			if (got < 0) {
				free(link);
				return 1;
			}
			link[got] = '\0';
			r = resolve(rootfd, cur, curmax, link, hops);
			free(link);
			if (r)
				return r;
		}
		/* Absent, a folder or a file: the walk goes on by name (absent parts are taken as folders). */
	}
	return 0;
}

int lade_fs_tree_link_inside(int rootfd, const char *dir_rel, const char *target, const char *what)
{
	char cur[PATH_MAX];
	int hops = 0, r;
	if (target[0] == '/')
		return lade__error(LADE_EUNSAFE, "refusing link '%s': its target '%s' is absolute", what, target);
	if (lade_snprintf(cur, sizeof(cur), "%s", dir_rel) < 0)
		return LADE_ETOOLARGE;
	r = resolve(rootfd, cur, sizeof(cur), target, &hops);
	if (r == 1)
		return lade__error(LADE_EUNSAFE, "refusing link '%s': its target '%s' leads outside the folder", what,
				   target);
	if (r == 2)
		return lade__error(LADE_EUNSAFE, "refusing link '%s': its target '%s' goes through more than %d links",
				   what, target, LINK_HOPS_MAX);
	return 0;
}

int lade_fs_tree_resolve(int rootfd, const char *rel, char *out, size_t outlen, const char *what)
{
	int hops = 0, r;
	if (outlen < 1)
		return LADE_ETOOLARGE;
	out[0] = '\0';
	r = resolve(rootfd, out, outlen, rel, &hops);
	if (r == 1)
		return lade__error(LADE_EUNSAFE, "refusing to write '%s': a symlink leads outside the output folder",
				   what);
	if (r == 2)
		return lade__error(LADE_EUNSAFE, "refusing to write '%s': its path goes through more than %d links",
				   what, LINK_HOPS_MAX);
	return 0;
}

static int check_folder(int rootfd, int dirfd, char *rel, size_t len, int depth)
{
	DIR *dir;
	struct dirent *e;
	int fd, err = 0;

	if (depth > TREE_DEPTH_MAX)
		return lade__error(LADE_ETOOLARGE, "'%s' is more than %d folders deep", rel, TREE_DEPTH_MAX);
	/* A new open of the folder, not a dup: a dup would share (and leave at its end) the caller's read position. */
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return lade__error(LADE_EIO, "cannot read folder '%s': %s", len ? rel : ".", strerror(errno));
	}
	while (err == 0 && (e = readdir(dir)) != NULL) {
		size_t n = strlen(e->d_name);
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (len + n + 2 > PATH_MAX) {
			err = lade__error(LADE_ETOOLARGE, "a path under '%s' is too long", rel);
			break;
		}
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t got = readlinkat(dirfd, e->d_name, target, sizeof(target) - 1);
			rel[len] = '\0';
			if (got < 0)
				continue;
			target[got] = '\0';
			sprintf(rel + len, "%s%s", len ? "/" : "", e->d_name);
			{
				char folder[PATH_MAX];
				memcpy(folder, rel, len);
				folder[len] = '\0';
				err = lade_fs_tree_link_inside(rootfd, folder, target, rel);
			}
			rel[len] = '\0';
		} else if (S_ISDIR(st.st_mode)) {
			int child = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			size_t clen;
			if (child < 0)
				continue;
			clen = len + (size_t)sprintf(rel + len, "%s%s", len ? "/" : "", e->d_name);
			err = check_folder(rootfd, child, rel, clen, depth + 1);
			rel[len] = '\0';
			close(child);
		}
	}
	closedir(dir);
	return err;
}

int lade_fs_tree_check_links(int rootfd)
{
	char rel[PATH_MAX] = "";
	return check_folder(rootfd, rootfd, rel, 0, 0);
}
