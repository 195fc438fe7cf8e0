/*
 * The safe extractor: a tar (any compression) unpacked into a new folder
 * with the rules of formats.md §7.4 through core's tree helpers: every
 * entry inside the folder, nothing made through a symlink, hard links only
 * to files unpacked before, every symlink resolving inside the finished
 * folder, no devices or FIFOs, size and entry count bounded
 * (lade_unpack_options). A refused folder is left empty.
 */
#include "lade/sys/util.h"
#include "archive_loader.h"
#include "kinds.h"
#include "lade/sys/fs.h"
#include "tar_folder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (256 * 1024)
#define TAR_BLOCK 10240

/*
 * Every entry is placed through the tree helpers (fsutil.h): parents are
 * walked from the new folder's descriptor without following symlinks, a
 * hard link may only name a regular file already unpacked, and once the
 * tar is read every symlink in the folder is resolved through the others
 * and must stay inside.
 */
typedef struct unpacker {
	struct archive *outer; /* decompresses the blob (any filter, raw format) */
	struct archive *tar;   /* reads the tar that outer yields, through tar_read */
	lade_hasher *tar_hash; /* the uncompressed stream, for io.deis.oras.content.digest */
	char buffer[64 * 1024];
	int outer_done;
	int error;
	int rootfd;         /* the new folder everything goes in */
	const char *prefix; /* entries must be "<prefix>" or "<prefix>/..." */
	const lade_unpack_options *opts;
	uint64_t max_bytes, max_entries;
	uint64_t total;
	uint64_t entries;
	size_t links; /* symlinks made: the final check runs only when there are some */
	char *chunk;
} unpacker;

static la_ssize_t tar_read(struct archive *a, void *ctx, const void **buf)
{
	unpacker *u = ctx;
	la_ssize_t n;
	(void)a;
	if (u->outer_done)
		return 0;
	n = archive_read_data(u->outer, u->buffer, sizeof(u->buffer));
	if (n < 0) {
		u->error = lade_error_set(LADE_EINVALID, "cannot decompress the folder: %s",
					  archive_error_string(u->outer) ? archive_error_string(u->outer) : "bad data");
		return -1;
	}
	if (n == 0)
		u->outer_done = 1;
	if (n > 0 && lade_hasher_update(u->tar_hash, u->buffer, (size_t)n) < 0)
		return -1;
	*buf = u->buffer;
	return n;
}

/*
 * The entry's place below the new folder: it must be the prefix folder or
 * lie inside it ("" takes every relative name). rel gets the clean part after the prefix ("" for the
 * folder itself).
 */
static int entry_path(const unpacker *u, const char *name, char *rel, size_t rellen)
{
	size_t plen = strlen(u->prefix);
	const char *entry = name;
	if (name[0] == '/')
		return lade_error_set(LADE_EUNSAFE, "refusing entry '%s': absolute path", name);
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	/* An empty prefix: the archive is the folder itself (an OCI layout tar), entries at its root. */
	if (plen && (strncmp(name, u->prefix, plen) != 0 || (name[plen] != '\0' && name[plen] != '/')))
		return lade_error_set(LADE_EUNSAFE, "refusing entry '%s': it is outside the folder '%s'", name,
				      u->prefix);
	name += plen;
	while (*name == '/')
		name++;
	if (lade_fs_tree_clean(name, rel, rellen) < 0)
		return lade_error_set(lade_error_last()->code, "refusing entry '%s': %s", entry,
				      lade_error_last()->message);
	return 0;
}

/* Make room for a new entry at leaf: whatever non-folder was there goes (never followed). */
static int clear_leaf(unpacker *u, int dirfd, const char *leaf, const char *name)
{
	struct stat st;
	if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (S_ISDIR(st.st_mode))
		return lade_error_set(LADE_EINVALID, "entry '%s': a folder of that name is already there", name);
	if (u->opts->keep_old_files)
		return lade_error_set(LADE_EEXISTS, "entry '%s' exists; not replacing it (keep_old_files)", name);
	if (unlinkat(dirfd, leaf, 0) < 0)
		return lade_error_set(LADE_EIO, "cannot replace '%s': %s", name, strerror(errno));
	return 0;
}

static int extract_file(unpacker *u, struct archive_entry *entry, int dirfd, const char *leaf, const char *name)
{
	mode_t mode = archive_entry_perm(entry) & 0777;
	int fd, err;
	la_ssize_t n;

	if ((err = clear_leaf(u, dirfd, leaf, name)) < 0)
		return err;
	fd = openat(dirfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode ? mode : 0644);
	if (fd < 0)
		return lade_error_set(LADE_EIO, "cannot create '%s': %s", name, strerror(errno));
	while ((n = archive_read_data(u->tar, u->chunk, COPY_CHUNK)) != 0) {
		if (n < 0) {
			err = u->error ? u->error : lade__archive_failure(u->tar, "cannot read the folder's tar");
			break;
		}
		u->total += (uint64_t)n;
		if (u->total > u->max_bytes) {
			err = lade_error_set(LADE_ETOOLARGE, "the folder unpacks to more than %llu bytes (the limit)",
					     (unsigned long long)u->max_bytes);
			break;
		}
		if ((err = lade_fs_write_all(fd, u->chunk, (size_t)n, name)) < 0)
			break;
	}
	if (err == 0 && u->opts->preserve_permissions && fchmod(fd, archive_entry_perm(entry) & 01777) < 0)
		err = lade_error_set(LADE_EIO, "cannot set the mode of '%s': %s", name, strerror(errno));
	if (err == 0 && archive_entry_mtime(entry) > 0) {
		struct timespec ts[2] = {{archive_entry_mtime(entry), 0}, {archive_entry_mtime(entry), 0}};
		futimens(fd, ts); /* best effort, as ORAS does */
	}
	if (close(fd) < 0 && err == 0)
		err = lade_error_set(LADE_EIO, "cannot write '%s': %s", name, strerror(errno));
	return err;
}

/* A folder's mode as mkdir(2) would apply it, always writable by its owner so its entries can be made. */
static mode_t folder_mode(struct archive_entry *entry)
{
	mode_t mask = umask(0);
	umask(mask);
	return ((archive_entry_perm(entry) & 0777) | 0700) & ~mask;
}

/* A hard link: its target must be a regular file already unpacked, reached without any symlink. */
static int extract_hardlink(unpacker *u, const char *target_name, int dirfd, const char *leaf, const char *name)
{
	char target_rel[PATH_MAX];
	const char *target_leaf;
	struct stat st;
	int tdirfd, err;

	if ((err = entry_path(u, target_name, target_rel, sizeof(target_rel))) < 0)
		return lade_error_set(err, "refusing hard link '%s': %s", name, lade_error_last()->message);
	if (!target_rel[0])
		return lade_error_set(LADE_EUNSAFE, "refusing hard link '%s': its target is the folder itself", name);
	if ((err = lade_fs_tree_parent(u->rootfd, target_rel, 0, 0, &tdirfd, &target_leaf, name)) < 0)
		return err == LADE_ENOTFOUND
			   ? lade_error_set(LADE_EUNSAFE,
					    "refusing hard link '%s': its target is not a file in the folder", name)
			   : lade_error_set(err, "refusing hard link '%s': %s", name, lade_error_last()->message);
	if (fstatat(tdirfd, target_leaf, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
		close(tdirfd);
		return lade_error_set(LADE_EUNSAFE, "refusing hard link '%s': its target is not a file in the folder",
				      name);
	}
	if ((err = clear_leaf(u, dirfd, leaf, name)) == 0 && linkat(tdirfd, target_leaf, dirfd, leaf, 0) < 0)
		err = lade_error_set(LADE_EIO, "cannot link '%s': %s", name, strerror(errno));
	close(tdirfd);
	return err;
}

static int extract_entry(unpacker *u, struct archive_entry *entry)
{
	const char *name = archive_entry_pathname(entry), *leaf;
	char rel[PATH_MAX];
	mode_t type = archive_entry_filetype(entry);
	struct stat st;
	int err, dirfd = -1;

	if (!name)
		return lade_error_set(LADE_EINVALID, "an entry of the folder has no name");
	if (++u->entries > u->max_entries)
		return lade_error_set(LADE_ETOOLARGE, "the folder has more than %llu entries (the limit); refusing",
				      (unsigned long long)u->max_entries);
	if ((err = entry_path(u, name, rel, sizeof(rel))) < 0)
		return err;
	if (!rel[0]) {
		if (type != AE_IFDIR || archive_entry_hardlink(entry))
			return lade_error_set(LADE_EUNSAFE, "refusing entry '%s': the folder itself must be a folder",
					      name);
		/* dest was made private by mkdtemp: give it the mode a new folder would get. */
		return fchmod(u->rootfd, folder_mode(entry)) < 0
			   ? lade_error_set(LADE_EIO, "cannot set the mode of '%s': %s", name, strerror(errno))
			   : 0;
	}
	if ((err = lade_fs_tree_parent(u->rootfd, rel, 1, 0755, &dirfd, &leaf, name)) < 0)
		return lade_error_set(err, "refusing entry '%s': %s", name, lade_error_last()->message);
	/* A hard link comes with no file type of its own in some tars: look at the link first. */
	if (archive_entry_hardlink(entry)) {
		err = extract_hardlink(u, archive_entry_hardlink(entry), dirfd, leaf, name);
		goto done;
	}
	switch (type) {
	case AE_IFDIR:
		if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
			err = lade_error_set(LADE_EUNSAFE, "refusing entry '%s': a %s of that name is already there",
					     name, S_ISLNK(st.st_mode) ? "symlink" : "file");
		else if (mkdirat(dirfd, leaf, folder_mode(entry)) < 0 && errno != EEXIST)
			err = lade_error_set(LADE_EIO, "cannot create '%s': %s", name, strerror(errno));
		break;
	case AE_IFREG:
		err = extract_file(u, entry, dirfd, leaf, name);
		break;
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(entry);
		char folder[PATH_MAX];
		if (!target || !*target) {
			err = lade_error_set(LADE_EINVALID, "link '%s' has no target", name);
			break;
		}
		/* Checked now for a clear message, and again over the finished tree. */
		/* The link's folder: rel up to the slash before leaf ("" at the top). */
		snprintf(folder, sizeof(folder), "%.*s", leaf == rel ? 0 : (int)(leaf - rel - 1), rel);
		if ((err = lade_fs_tree_link_inside(u->rootfd, folder, target, name)) < 0 ||
		    (err = clear_leaf(u, dirfd, leaf, name)) < 0)
			break;
		if (symlinkat(target, dirfd, leaf) < 0)
			err = lade_error_set(LADE_EIO, "cannot create link '%s': %s", name, strerror(errno));
		u->links++;
		break;
	}
	default:
		err = lade_error_set(LADE_EUNSAFE,
				     "refusing entry '%s': lade creates files, folders and links only, not %s", name,
				     type == AE_IFCHR || type == AE_IFBLK ? "devices"
				     : type == AE_IFIFO                   ? "FIFOs"
									  : "special files");
	}
done:
	close(dirfd);
	return err;
}

int lade__tar_extract(const char *blob_path, const char *dest, const char *prefix, const char *title,
		      uint64_t compressed_size, const lade_unpack_options *opts, lade_digest *tar_digest)
{
	struct archive_entry *entry;
	unpacker u;
	int err = 0, r;

	memset(&u, 0, sizeof(u));
	u.rootfd = -1;
	u.opts = opts;
	u.max_bytes = opts->max_bytes ? opts->max_bytes : LADE_UNPACK_DEFAULT_MAX_BYTES(compressed_size);
	u.max_entries = opts->max_entries ? opts->max_entries : LADE_UNPACK_DEFAULT_MAX_ENTRIES;
	if ((err = lade__archive_load()) < 0)
		return err;
	u.prefix = prefix;
	if (!(u.chunk = malloc(COPY_CHUNK)) || !(u.outer = archive_read_new()) || !(u.tar = archive_read_new())) {
		err = lade_error_set_oom();
		goto done;
	}
	if ((err = lade_hasher_new(&u.tar_hash, LADE_DIGEST_SHA256)) < 0)
		goto done;
	if ((u.rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		err = lade_error_set(LADE_EIO, "cannot open '%s': %s", dest, strerror(errno));
		goto done;
	}
	archive_read_support_filter_all(u.outer);
	archive_read_support_format_raw(u.outer);
	archive_read_support_format_tar(u.tar);
	if (archive_read_open_filename(u.outer, blob_path, 256 * 1024) != ARCHIVE_OK ||
	    archive_read_next_header(u.outer, &entry) != ARCHIVE_OK) {
		err = lade_error_set(LADE_EINVALID, "folder '%s' is not a readable archive: %s", title,
				     archive_error_string(u.outer) ? archive_error_string(u.outer) : "bad data");
		goto done;
	}
	if (archive_read_open(u.tar, &u, NULL, tar_read, NULL) != ARCHIVE_OK) {
		err = u.error ? u.error : lade_error_set(LADE_EINVALID, "folder '%s' is not a tar archive", title);
		goto done;
	}
	while ((r = archive_read_next_header(u.tar, &entry)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if ((err = extract_entry(&u, entry)) < 0)
			goto done;
	}
	if (r != ARCHIVE_EOF) {
		err = u.error ? u.error : lade__archive_failure(u.tar, "cannot read the folder's tar");
		goto done;
	}
	/* A link made early may lead out through one made later: the finished tree is checked whole. */
	if (u.links && (err = lade_fs_tree_check_links(u.rootfd)) < 0)
		goto done;
	/* Hash what the tar reader left unread (end-of-archive padding) before comparing. */
	while (!u.outer_done) {
		const void *ignored;
		if (tar_read(u.tar, &u, &ignored) < 0) {
			err = u.error ? u.error : LADE_EINVALID;
			goto done;
		}
	}
	err = lade_hasher_final(u.tar_hash, tar_digest);
done:
	if (u.rootfd >= 0)
		close(u.rootfd);
	/* A refused folder leaves nothing behind, not even for a moment: no half tree, no link that leads out. */
	if (err < 0)
		lade_fs_empty_folder(dest);
	if (u.tar)
		archive_read_free(u.tar);
	if (u.outer)
		archive_read_free(u.outer);
	lade_hasher_free(u.tar_hash);
	free(u.chunk);
	return err;
}
