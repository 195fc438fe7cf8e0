/*
 * The folder kind: a folder is packed as ORAS packs one (tar+gzip, the tar
 * digest in io.deis.oras.content.digest, io.deis.oras.content.unpack
 * "true", titled with the folder's name) but reproducibly: entries in byte
 * order, times, owners and owner names zeroed, a gzip header without time
 * or name. Symlinks stay links; hard links are stored as files.
 *
 * On pull the tar is unpacked with the rules of formats.md §7.4 through
 * core's tree helpers: every entry inside the folder, nothing made through
 * a symlink, hard links only to files unpacked before, every symlink
 * resolving inside the finished folder, no devices or FIFOs, size and
 * entry count bounded (lade_unpack_options), the tar digest verified.
 */
#include "internal.h"
#include "archive_loader.h"
#include "kinds.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ANNOTATION_CONTENT_DIGEST "io.deis.oras.content.digest"
#define ANNOTATION_UNPACK "io.deis.oras.content.unpack"
#define COPY_CHUNK (256 * 1024)
#define TAR_BLOCK 10240

static int dir_detect(const lade_kind *k, const lade_kind_input *in)
{
	(void)k;
	return in->is_dir ? 100 : 0;
}

/* ---- packing ---- */

typedef struct packer {
	struct archive *tar;  /* writes the tar stream to tar_write */
	struct archive *gzip; /* raw format + gzip filter: compresses what tar_write hands it */
	lade_hasher *tar_hash;
	lade_hasher *gz_hash;
	int fd; /* the temporary .tar.gz */
	const char *out_path;
	int error; /* first failure seen in a callback */
	char *chunk;
	uint64_t entries; /* packed so far */
} packer;

/* Deeper folders are refused (each level costs a stack frame of three paths); so is the unpack. */
#define PACK_DEPTH_MAX 128

static int archive_failure(struct archive *a, const char *what)
{
	return lade__error(LADE_EIO, "%s: %s", what, archive_error_string(a) ? archive_error_string(a) : "libarchive");
}

static la_ssize_t gz_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	packer *p = ctx;
	int err;
	(void)a;
	if ((err = lade_hasher_update(p->gz_hash, buf, len)) < 0 ||
	    (err = lade__write_all(p->fd, buf, len, p->out_path)) < 0) {
		p->error = err;
		return -1;
	}
	return (la_ssize_t)len;
}

static la_ssize_t tar_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	packer *p = ctx;
	(void)a;
	if (lade_hasher_update(p->tar_hash, buf, len) < 0 || archive_write_data(p->gzip, buf, len) < 0) {
		if (!p->error)
			p->error = archive_failure(p->gzip, "cannot compress the folder");
		return -1;
	}
	return (la_ssize_t)len;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a folder, sorted by bytes (as Go's filepath.Walk visits them). */
static int sorted_names(const char *path, char ***out, size_t *count)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	if (!dir)
		return lade__error(LADE_EIO, "cannot read folder '%s': %s", path, strerror(errno));
	while ((e = readdir(dir))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **grown = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*names));
			if (!grown)
				goto oom;
			names = grown;
		}
		if (!(names[n] = strdup(e->d_name)))
			goto oom;
		n++;
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof(*names), compare_names);
	*out = names;
	*count = n;
	return 0;
oom:
	closedir(dir);
	while (n)
		free(names[--n]);
	free(names);
	return lade__error_oom();
}

static void free_names(char **names, size_t count)
{
	while (count)
		free(names[--count]);
	free(names);
}

static int write_file_data(packer *p, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), err = 0;
	ssize_t n;
	if (fd < 0)
		return lade__error(LADE_EIO, "cannot open '%s': %s", path, strerror(errno));
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while ((n = read(fd, p->chunk, COPY_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = lade__error(LADE_EIO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if (archive_write_data(p->tar, p->chunk, (size_t)n) < 0) {
			err = p->error ? p->error : archive_failure(p->tar, "cannot pack the folder");
			break;
		}
	}
	close(fd);
	return err;
}

/* One entry and, for a folder, everything below it. */
static int pack_entry(packer *p, const char *path, const char *name, int depth)
{
	struct archive_entry *entry = archive_entry_new();
	struct stat st;
	char target[PATH_MAX];
	int err = 0;

	if (!entry)
		return lade__error_oom();
	/* The same bounds as an unpack: a folder lade packs, lade (and anyone) can unpack. */
	if (depth > PACK_DEPTH_MAX || ++p->entries > LADE_UNPACK_DEFAULT_MAX_ENTRIES) {
		archive_entry_free(entry);
		return depth > PACK_DEPTH_MAX
			   ? lade__error(LADE_ETOOLARGE, "cannot pack '%s': more than %d folders deep", path,
					 PACK_DEPTH_MAX)
			   : lade__error(LADE_ETOOLARGE, "cannot pack the folder: more than %llu entries",
					 (unsigned long long)LADE_UNPACK_DEFAULT_MAX_ENTRIES);
	}
	if (lstat(path, &st) < 0) {
		err = lade__error(LADE_EIO, "cannot read '%s': %s", path, strerror(errno));
		goto done;
	}
	/* Only what identifies content: no times, no owners, no device numbers. */
	archive_entry_set_pathname(entry, name);
	archive_entry_set_perm(entry, st.st_mode & 07777);
	archive_entry_set_uid(entry, 0);
	archive_entry_set_gid(entry, 0);
	archive_entry_set_mtime(entry, 0, 0);
	if (S_ISREG(st.st_mode)) {
		archive_entry_set_filetype(entry, AE_IFREG);
		archive_entry_set_size(entry, st.st_size);
	} else if (S_ISDIR(st.st_mode)) {
		archive_entry_set_filetype(entry, AE_IFDIR);
	} else if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n < 0) {
			err = lade__error(LADE_EIO, "cannot read link '%s': %s", path, strerror(errno));
			goto done;
		}
		target[n] = '\0';
		archive_entry_set_filetype(entry, AE_IFLNK);
		archive_entry_set_symlink(entry, target);
	} else {
		err = lade__error(LADE_EUNSUPPORTED,
				  "cannot pack '%s': only files, folders and symlinks go in a folder artifact", path);
		goto done;
	}
	if (archive_write_header(p->tar, entry) != ARCHIVE_OK) {
		err = p->error ? p->error : archive_failure(p->tar, "cannot pack the folder");
		goto done;
	}
	if (S_ISREG(st.st_mode) && (err = write_file_data(p, path)) < 0)
		goto done;
	if (S_ISDIR(st.st_mode)) {
		char **names = NULL;
		size_t count = 0, i;
		if ((err = sorted_names(path, &names, &count)) < 0)
			goto done;
		for (i = 0; i < count && err == 0; i++) {
			char child_path[PATH_MAX], child_name[PATH_MAX];
			if ((err = lade__snprintf(child_path, sizeof(child_path), "%s/%s", path, names[i])) == 0 &&
			    (err = lade__snprintf(child_name, sizeof(child_name), "%s%s/", name, names[i])) == 0) {
				/* Only folders keep the trailing slash. */
				struct stat cst;
				if (lstat(child_path, &cst) == 0 && !S_ISDIR(cst.st_mode))
					child_name[strlen(child_name) - 1] = '\0';
				err = pack_entry(p, child_path, child_name, depth + 1);
			}
		}
		free_names(names, count);
	}
done:
	archive_entry_free(entry);
	return err;
}

static int dir_layer(const lade_kind *k, const lade_kind_input *in, lade_kind_layer *out)
{
	const char *title = lade_annotations_get(&out->desc.annotations, LADE_ANNOTATION_TITLE);
	const char *tmp = getenv("TMPDIR");
	struct archive_entry *raw = NULL;
	lade_digest tar_digest;
	char root[PATH_MAX], packed[PATH_MAX];
	lade_error saved;
	packer p;
	int err;

	(void)k;
	memset(&p, 0, sizeof(p));
	p.fd = -1;
	if (!title)
		return lade__error(LADE_EINVALID, "folder '%s' has no title", in->path);
	if ((err = lade__archive_load()) < 0)
		return err;
	if (!out->desc.media_type && !(out->desc.media_type = lade__strdup(LADE_MEDIATYPE_LAYER_TAR_GZIP)))
		return LADE_ENOMEM;
	if ((err = lade__temp_path(packed, sizeof(packed), "%s/folder", tmp ? tmp : "/tmp")) < 0)
		return err;
	/* What a killed push of a folder left in TMPDIR goes first. */
	lade__reclaim_temporaries(tmp ? tmp : "/tmp");
	if ((p.fd = lade__temp_create(packed)) < 0)
		return lade__error(LADE_EIO, "cannot create a temporary file in '%s': %s", tmp ? tmp : "/tmp",
				   strerror(errno));
	if (!(out->path = lade__strdup(packed))) {
		close(p.fd);
		unlink(packed);
		return LADE_ENOMEM;
	}
	out->temporary = 1;
	p.out_path = out->path;
	if (!(p.chunk = malloc(COPY_CHUNK)) || !(p.tar = archive_write_new()) || !(p.gzip = archive_write_new()) ||
	    !(raw = archive_entry_new())) {
		err = lade__error_oom();
		goto done;
	}
	if ((err = lade_hasher_new(&p.tar_hash, LADE_DIGEST_SHA256)) < 0 ||
	    (err = lade_hasher_new(&p.gz_hash, LADE_DIGEST_SHA256)) < 0)
		goto done;
	/* gzip: no time and no name in the header, no padding after the stream. */
	if (archive_write_set_format_raw(p.gzip) != ARCHIVE_OK || archive_write_add_filter_gzip(p.gzip) != ARCHIVE_OK ||
	    archive_write_set_filter_option(p.gzip, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(p.gzip, 0) != ARCHIVE_OK ||
	    archive_write_open2(p.gzip, &p, NULL, gz_write, NULL, NULL) != ARCHIVE_OK) {
		err = p.error ? p.error : archive_failure(p.gzip, "cannot start compressing");
		goto done;
	}
	archive_entry_set_filetype(raw, AE_IFREG);
	archive_entry_set_pathname(raw, "layer.tar");
	if (archive_write_header(p.gzip, raw) != ARCHIVE_OK) {
		err = archive_failure(p.gzip, "cannot start compressing");
		goto done;
	}
	/* pax_restricted: plain ustar headers unless a name or size needs more. */
	if (archive_write_set_format_pax_restricted(p.tar) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(p.tar, TAR_BLOCK) != ARCHIVE_OK ||
	    archive_write_open2(p.tar, &p, NULL, tar_write, NULL, NULL) != ARCHIVE_OK) {
		err = archive_failure(p.tar, "cannot start the tar");
		goto done;
	}
	if ((err = lade__snprintf(root, sizeof(root), "%s/", title)) < 0 ||
	    (err = pack_entry(&p, in->path, root, 0)) < 0)
		goto done;
	if (archive_write_close(p.tar) != ARCHIVE_OK) {
		err = p.error ? p.error : archive_failure(p.tar, "cannot finish the tar");
		goto done;
	}
	if (archive_write_close(p.gzip) != ARCHIVE_OK) {
		err = p.error ? p.error : archive_failure(p.gzip, "cannot finish compressing");
		goto done;
	}
	if ((err = lade_hasher_final(p.tar_hash, &tar_digest)) < 0 ||
	    (err = lade_hasher_final(p.gz_hash, &out->desc.digest)) < 0)
		goto done;
	out->desc.size = lade_hasher_size(p.gz_hash);
	if ((err = lade_annotations_set(&out->desc.annotations, ANNOTATION_CONTENT_DIGEST, tar_digest.str)) < 0 ||
	    (err = lade_annotations_set(&out->desc.annotations, ANNOTATION_UNPACK, "true")) < 0)
		goto done;
	if (close(p.fd) < 0)
		err = lade__error(LADE_EIO, "cannot write '%s': %s", out->path, strerror(errno));
	p.fd = -1;
done:
	if (err < 0)
		saved = *lade_error_last();
	/* Freeing a writer that was not closed flushes it: the file is still open for that, and what
	   the flush says does not replace the reason the packing stopped. */
	archive_entry_free(raw);
	if (p.tar)
		archive_write_free(p.tar);
	if (p.gzip)
		archive_write_free(p.gzip);
	if (p.fd >= 0)
		close(p.fd);
	lade_hasher_free(p.tar_hash);
	lade_hasher_free(p.gz_hash);
	free(p.chunk);
	if (err < 0) {
		memset(&out->desc.digest, 0, sizeof(out->desc.digest));
		*(lade_error *)lade_error_last() = saved;
	}
	return err;
}

/* ---- unpacking ---- */

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
		u->error = lade__error(LADE_EINVALID, "cannot decompress the folder: %s",
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
 * lie inside it. rel gets the clean part after the prefix ("" for the
 * folder itself).
 */
static int entry_path(const unpacker *u, const char *name, char *rel, size_t rellen)
{
	size_t plen = strlen(u->prefix);
	const char *entry = name;
	if (name[0] == '/')
		return lade__error(LADE_EUNSAFE, "refusing entry '%s': absolute path", name);
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	if (strncmp(name, u->prefix, plen) != 0 || (name[plen] != '\0' && name[plen] != '/'))
		return lade__error(LADE_EUNSAFE, "refusing entry '%s': it is outside the folder '%s'", name, u->prefix);
	name += plen;
	while (*name == '/')
		name++;
	if (lade__tree_clean(name, rel, rellen) < 0)
		return lade__error(lade_error_last()->code, "refusing entry '%s': %s", entry,
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
		return lade__error(LADE_EINVALID, "entry '%s': a folder of that name is already there", name);
	if (u->opts->keep_old_files)
		return lade__error(LADE_EEXISTS, "entry '%s' exists; not replacing it (keep_old_files)", name);
	if (unlinkat(dirfd, leaf, 0) < 0)
		return lade__error(LADE_EIO, "cannot replace '%s': %s", name, strerror(errno));
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
		return lade__error(LADE_EIO, "cannot create '%s': %s", name, strerror(errno));
	while ((n = archive_read_data(u->tar, u->chunk, COPY_CHUNK)) != 0) {
		if (n < 0) {
			err = u->error ? u->error : archive_failure(u->tar, "cannot read the folder's tar");
			break;
		}
		u->total += (uint64_t)n;
		if (u->total > u->max_bytes) {
			err = lade__error(LADE_ETOOLARGE, "the folder unpacks to more than %llu bytes (the limit)",
					  (unsigned long long)u->max_bytes);
			break;
		}
		if ((err = lade__write_all(fd, u->chunk, (size_t)n, name)) < 0)
			break;
	}
	if (err == 0 && u->opts->preserve_permissions && fchmod(fd, archive_entry_perm(entry) & 01777) < 0)
		err = lade__error(LADE_EIO, "cannot set the mode of '%s': %s", name, strerror(errno));
	if (err == 0 && archive_entry_mtime(entry) > 0) {
		struct timespec ts[2] = {{archive_entry_mtime(entry), 0}, {archive_entry_mtime(entry), 0}};
		futimens(fd, ts); /* best effort, as ORAS does */
	}
	if (close(fd) < 0 && err == 0)
		err = lade__error(LADE_EIO, "cannot write '%s': %s", name, strerror(errno));
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
		return lade__error(err, "refusing hard link '%s': %s", name, lade_error_last()->message);
	if (!target_rel[0])
		return lade__error(LADE_EUNSAFE, "refusing hard link '%s': its target is the folder itself", name);
	if ((err = lade__tree_parent(u->rootfd, target_rel, 0, 0, &tdirfd, &target_leaf, name)) < 0)
		return err == LADE_ENOTFOUND
			   ? lade__error(LADE_EUNSAFE,
					 "refusing hard link '%s': its target is not a file in the folder", name)
			   : lade__error(err, "refusing hard link '%s': %s", name, lade_error_last()->message);
	if (fstatat(tdirfd, target_leaf, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
		close(tdirfd);
		return lade__error(LADE_EUNSAFE, "refusing hard link '%s': its target is not a file in the folder",
				   name);
	}
	if ((err = clear_leaf(u, dirfd, leaf, name)) == 0 && linkat(tdirfd, target_leaf, dirfd, leaf, 0) < 0)
		err = lade__error(LADE_EIO, "cannot link '%s': %s", name, strerror(errno));
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
		return lade__error(LADE_EINVALID, "an entry of the folder has no name");
	if (++u->entries > u->max_entries)
		return lade__error(LADE_ETOOLARGE, "the folder has more than %llu entries (the limit); refusing",
				   (unsigned long long)u->max_entries);
	if ((err = entry_path(u, name, rel, sizeof(rel))) < 0)
		return err;
	if (!rel[0]) {
		if (type != AE_IFDIR || archive_entry_hardlink(entry))
			return lade__error(LADE_EUNSAFE, "refusing entry '%s': the folder itself must be a folder",
					   name);
		/* dest was made private by mkdtemp: give it the mode a new folder would get. */
		return fchmod(u->rootfd, folder_mode(entry)) < 0
			   ? lade__error(LADE_EIO, "cannot set the mode of '%s': %s", name, strerror(errno))
			   : 0;
	}
	if ((err = lade__tree_parent(u->rootfd, rel, 1, 0755, &dirfd, &leaf, name)) < 0)
		return lade__error(err, "refusing entry '%s': %s", name, lade_error_last()->message);
	/* A hard link comes with no file type of its own in some tars: look at the link first. */
	if (archive_entry_hardlink(entry)) {
		err = extract_hardlink(u, archive_entry_hardlink(entry), dirfd, leaf, name);
		goto done;
	}
	switch (type) {
	case AE_IFDIR:
		if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
			err = lade__error(LADE_EUNSAFE, "refusing entry '%s': a %s of that name is already there", name,
					  S_ISLNK(st.st_mode) ? "symlink" : "file");
		else if (mkdirat(dirfd, leaf, folder_mode(entry)) < 0 && errno != EEXIST)
			err = lade__error(LADE_EIO, "cannot create '%s': %s", name, strerror(errno));
		break;
	case AE_IFREG:
		err = extract_file(u, entry, dirfd, leaf, name);
		break;
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(entry);
		char folder[PATH_MAX];
		if (!target || !*target) {
			err = lade__error(LADE_EINVALID, "link '%s' has no target", name);
			break;
		}
		/* Checked now for a clear message, and again over the finished tree. */
		/* The link's folder: rel up to the slash before leaf ("" at the top). */
		snprintf(folder, sizeof(folder), "%.*s", leaf == rel ? 0 : (int)(leaf - rel - 1), rel);
		if ((err = lade__tree_link_inside(u->rootfd, folder, target, name)) < 0 ||
		    (err = clear_leaf(u, dirfd, leaf, name)) < 0)
			break;
		if (symlinkat(target, dirfd, leaf) < 0)
			err = lade__error(LADE_EIO, "cannot create link '%s': %s", name, strerror(errno));
		u->links++;
		break;
	}
	default:
		err = lade__error(LADE_EUNSAFE,
				  "refusing entry '%s': lade creates files, folders and links only, not %s", name,
				  type == AE_IFCHR || type == AE_IFBLK ? "devices"
				  : type == AE_IFIFO                   ? "FIFOs"
								       : "special files");
	}
done:
	close(dirfd);
	return err;
}

static int dir_unpacks(const lade_kind *k, const lade_descriptor *layer)
{
	const char *unpack = lade_annotations_get(&layer->annotations, ANNOTATION_UNPACK);
	(void)k;
	return unpack && strcmp(unpack, "true") == 0 &&
	       lade_annotations_get(&layer->annotations, LADE_ANNOTATION_TITLE);
}

static int dir_unpack(const lade_kind *k, const lade_descriptor *layer, const char *blob_path, const char *dest,
		      const lade_unpack_options *opts)
{
	const char *title = lade_annotations_get(&layer->annotations, LADE_ANNOTATION_TITLE);
	const char *want = lade_annotations_get(&layer->annotations, ANNOTATION_CONTENT_DIGEST);
	struct archive_entry *entry;
	char prefix[PATH_MAX];
	lade_digest got, expected;
	unpacker u;
	int err = 0, r;

	(void)k;
	memset(&u, 0, sizeof(u));
	u.rootfd = -1;
	u.opts = opts;
	u.max_bytes = opts->max_bytes ? opts->max_bytes : LADE_UNPACK_DEFAULT_MAX_BYTES(layer->size);
	u.max_entries = opts->max_entries ? opts->max_entries : LADE_UNPACK_DEFAULT_MAX_ENTRIES;
	if ((err = lade__archive_load()) < 0)
		return err;
	/* Entries are named after the folder's title, "./" and trailing slashes aside. */
	if ((err = lade__snprintf(prefix, sizeof(prefix), "%s", title)) < 0)
		return err;
	while (strlen(prefix) > 1 && prefix[strlen(prefix) - 1] == '/')
		prefix[strlen(prefix) - 1] = '\0';
	u.prefix = prefix[0] == '.' && prefix[1] == '/' ? prefix + 2 : prefix;
	if (!(u.chunk = malloc(COPY_CHUNK)) || !(u.outer = archive_read_new()) || !(u.tar = archive_read_new())) {
		err = lade__error_oom();
		goto done;
	}
	if ((err = lade_hasher_new(&u.tar_hash, LADE_DIGEST_SHA256)) < 0)
		goto done;
	if ((u.rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		err = lade__error(LADE_EIO, "cannot open '%s': %s", dest, strerror(errno));
		goto done;
	}
	archive_read_support_filter_all(u.outer);
	archive_read_support_format_raw(u.outer);
	archive_read_support_format_tar(u.tar);
	if (archive_read_open_filename(u.outer, blob_path, 256 * 1024) != ARCHIVE_OK ||
	    archive_read_next_header(u.outer, &entry) != ARCHIVE_OK) {
		err = lade__error(LADE_EINVALID, "folder '%s' is not a readable archive: %s", title,
				  archive_error_string(u.outer) ? archive_error_string(u.outer) : "bad data");
		goto done;
	}
	if (archive_read_open(u.tar, &u, NULL, tar_read, NULL) != ARCHIVE_OK) {
		err = u.error ? u.error : lade__error(LADE_EINVALID, "folder '%s' is not a tar archive", title);
		goto done;
	}
	while ((r = archive_read_next_header(u.tar, &entry)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if ((err = extract_entry(&u, entry)) < 0)
			goto done;
	}
	if (r != ARCHIVE_EOF) {
		err = u.error ? u.error : archive_failure(u.tar, "cannot read the folder's tar");
		goto done;
	}
	/* A link made early may lead out through one made later: the finished tree is checked whole. */
	if (u.links && (err = lade__tree_check_links(u.rootfd)) < 0)
		goto done;
	/* Hash what the tar reader left unread (end-of-archive padding) before comparing. */
	while (!u.outer_done) {
		const void *ignored;
		if (tar_read(u.tar, &u, &ignored) < 0) {
			err = u.error ? u.error : LADE_EINVALID;
			goto done;
		}
	}
	if ((err = lade_hasher_final(u.tar_hash, &got)) < 0)
		goto done;
	if (want) {
		/* ORAS checks the tar digest only when the annotation parses; so does lade. */
		if (lade_digest_parse(&expected, want) < 0)
			lade_error_clear();
		else if (!lade_digest_equal(&got, &expected))
			err = lade__error(LADE_EDIGEST, "folder '%s': content digest mismatch: expected %s, got %s",
					  title, expected.str, got.str);
	}
done:
	if (u.rootfd >= 0)
		close(u.rootfd);
	/* A refused folder leaves nothing behind, not even for a moment: no half tree, no link that leads out. */
	if (err < 0)
		lade__empty_folder(dest);
	if (u.tar)
		archive_read_free(u.tar);
	if (u.outer)
		archive_read_free(u.outer);
	lade_hasher_free(u.tar_hash);
	free(u.chunk);
	return err;
}

const lade_kind lade__kind_dir = {
    .name = "dir",
    .summary = "a folder: reproducible tar+gzip, unpacked safely on pull (as ORAS does)",
    .media_types = LADE_MEDIATYPE_LAYER_TAR_GZIP,
    .detect = dir_detect,
    .layer = dir_layer,
    .unpacks = dir_unpacks,
    .unpack = dir_unpack,
};
