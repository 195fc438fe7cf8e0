/*
 * The reproducible tar writer: a folder as one tar+gzip stream, the same
 * bytes for the same tree whoever checked it out when: entries in byte
 * order, times, owners and owner names zeroed, a gzip header without time
 * or name; symlinks stay links, hard links are stored as files; 128 levels
 * and a million entries at most. Both streams are hashed as they are made.
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

static la_ssize_t gz_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	packer *p = ctx;
	int err;
	(void)a;
	if ((err = lade_hasher_update(p->gz_hash, buf, len)) < 0 ||
	    (err = lade_fs_write_all(p->fd, buf, len, p->out_path)) < 0) {
		p->error = err;
		return -1;
	}
	return (la_ssize_t)len;
}

static la_ssize_t tar_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	packer *p = ctx;
	(void)a;
	if (!p->gzip) { /* a plain tar: straight to the file */
		int err;
		if ((err = lade_hasher_update(p->tar_hash, buf, len)) < 0 ||
		    (err = lade_fs_write_all(p->fd, buf, len, p->out_path)) < 0) {
			p->error = err;
			return -1;
		}
		return (la_ssize_t)len;
	}
	if (lade_hasher_update(p->tar_hash, buf, len) < 0 || archive_write_data(p->gzip, buf, len) < 0) {
		if (!p->error)
			p->error = lade__archive_failure(p->gzip, "cannot compress the folder");
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
		return lade_error_set(LADE_EIO, "cannot read folder '%s': %s", path, strerror(errno));
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
	return lade_error_set_oom();
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
		return lade_error_set(LADE_EIO, "cannot open '%s': %s", path, strerror(errno));
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while ((n = read(fd, p->chunk, COPY_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = lade_error_set(LADE_EIO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if (archive_write_data(p->tar, p->chunk, (size_t)n) < 0) {
			err = p->error ? p->error : lade__archive_failure(p->tar, "cannot pack the folder");
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
		return lade_error_set_oom();
	/* The same bounds as an unpack: a folder lade packs, lade (and anyone) can unpack. */
	if (depth > PACK_DEPTH_MAX || ++p->entries > LADE_UNPACK_DEFAULT_MAX_ENTRIES) {
		archive_entry_free(entry);
		return depth > PACK_DEPTH_MAX
			   ? lade_error_set(LADE_ETOOLARGE, "cannot pack '%s': more than %d folders deep", path,
					    PACK_DEPTH_MAX)
			   : lade_error_set(LADE_ETOOLARGE, "cannot pack the folder: more than %llu entries",
					    (unsigned long long)LADE_UNPACK_DEFAULT_MAX_ENTRIES);
	}
	if (lstat(path, &st) < 0) {
		err = lade_error_set(LADE_EIO, "cannot read '%s': %s", path, strerror(errno));
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
			err = lade_error_set(LADE_EIO, "cannot read link '%s': %s", path, strerror(errno));
			goto done;
		}
		target[n] = '\0';
		archive_entry_set_filetype(entry, AE_IFLNK);
		archive_entry_set_symlink(entry, target);
	} else {
		err = lade_error_set(LADE_EUNSUPPORTED,
				     "cannot pack '%s': only files, folders and symlinks go in a folder artifact",
				     path);
		goto done;
	}
	if (archive_write_header(p->tar, entry) != ARCHIVE_OK) {
		err = p->error ? p->error : lade__archive_failure(p->tar, "cannot pack the folder");
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
			if ((err = lade_snprintf(child_path, sizeof(child_path), "%s/%s", path, names[i])) == 0 &&
			    (err = lade_snprintf(child_name, sizeof(child_name), "%s%s/", name, names[i])) == 0) {
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

int lade__tar_pack_folder(const char *folder, const char *root, int fd, const char *out_path, lade_digest *tar_digest,
			  lade_digest *gz_digest, uint64_t *gz_size)
{
	struct archive_entry *raw = NULL;
	lade_error saved;
	packer p;
	int err;

	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.out_path = out_path;
	if (!(p.chunk = malloc(COPY_CHUNK)) || !(p.tar = archive_write_new()) ||
	    (gz_digest && !(p.gzip = archive_write_new())) || !(raw = archive_entry_new())) {
		err = lade_error_set_oom();
		goto done;
	}
	if ((err = lade_hasher_new(&p.tar_hash, LADE_DIGEST_SHA256)) < 0 ||
	    (err = lade_hasher_new(&p.gz_hash, LADE_DIGEST_SHA256)) < 0)
		goto done;
	/* gzip: no time and no name in the header, no padding after the stream. A plain tar has none. */
	if (!p.gzip)
		goto tar;
	if (archive_write_set_format_raw(p.gzip) != ARCHIVE_OK || archive_write_add_filter_gzip(p.gzip) != ARCHIVE_OK ||
	    archive_write_set_filter_option(p.gzip, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(p.gzip, 0) != ARCHIVE_OK ||
	    archive_write_open2(p.gzip, &p, NULL, gz_write, NULL, NULL) != ARCHIVE_OK) {
		err = p.error ? p.error : lade__archive_failure(p.gzip, "cannot start compressing");
		goto done;
	}
	archive_entry_set_filetype(raw, AE_IFREG);
	archive_entry_set_pathname(raw, "layer.tar");
	if (archive_write_header(p.gzip, raw) != ARCHIVE_OK) {
		err = lade__archive_failure(p.gzip, "cannot start compressing");
		goto done;
	}
tar:
	/* pax_restricted: plain ustar headers unless a name or size needs more. */
	if (archive_write_set_format_pax_restricted(p.tar) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(p.tar, TAR_BLOCK) != ARCHIVE_OK ||
	    archive_write_open2(p.tar, &p, NULL, tar_write, NULL, NULL) != ARCHIVE_OK) {
		err = lade__archive_failure(p.tar, "cannot start the tar");
		goto done;
	}
	if ((err = pack_entry(&p, folder, root, 0)) < 0)
		goto done;
	if (archive_write_close(p.tar) != ARCHIVE_OK) {
		err = p.error ? p.error : lade__archive_failure(p.tar, "cannot finish the tar");
		goto done;
	}
	if (p.gzip && archive_write_close(p.gzip) != ARCHIVE_OK) {
		err = p.error ? p.error : lade__archive_failure(p.gzip, "cannot finish compressing");
		goto done;
	}
	if ((err = lade_hasher_final(p.tar_hash, tar_digest)) < 0 ||
	    (p.gzip && (err = lade_hasher_final(p.gz_hash, gz_digest)) < 0))
		goto done;
	if (gz_size)
		*gz_size = lade_hasher_size(p.gz_hash);
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
	lade_hasher_free(p.tar_hash);
	lade_hasher_free(p.gz_hash);
	free(p.chunk);
	if (err < 0)
		*(lade_error *)lade_error_last() = saved;
	return err;
}
