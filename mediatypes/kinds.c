#include "lade/sys/util.h"
#include "archive_loader.h"
#include "kinds.h"
#include "lade/sys/fs.h"
#include "lade/kinds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Most specific first: on equal scores the earlier kind wins. */
static const lade_kind *const all_kinds[] = {
    &lade__kind_helm, &lade__kind_wasm, &lade__kind_dir, &lade__kind_tar, &lade__kind_file,
};

const lade_kind *const *lade_kinds_all(size_t *count)
{
	*count = sizeof(all_kinds) / sizeof(all_kinds[0]);
	return all_kinds;
}

const lade_kind *lade_kinds_find(const char *name)
{
	size_t i;
	for (i = 0; i < sizeof(all_kinds) / sizeof(all_kinds[0]); i++)
		if (strcmp(all_kinds[i]->name, name) == 0)
			return all_kinds[i];
	return NULL;
}

void lade__format_time(int64_t seconds, char *out, size_t outlen)
{
	time_t t = (time_t)seconds;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, outlen, "1970-01-01T00:00:00Z");
}

/*
 * Is it a tar (plain, gzip or zstd)? Only the first headers are read: the
 * first entry that is not a folder is recorded (Helm's loader skips folder
 * entries too, and `tar -czf` writes one first).
 */
static void probe_tar(lade_kind_input *in)
{
	struct archive *a;
	struct archive_entry *entry;
	int i, fd;
	if (lade__archive_load() < 0) {
		lade_error_clear(); /* without libarchive nothing is a tar */
		return;
	}
	if (!(a = archive_read_new()))
		return;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	if ((fd = lade_fs_open_regular(in->path)) < 0) {
		lade_error_clear();
		archive_read_free(a);
		return;
	}
	if (archive_read_open_fd(a, fd, 64 * 1024) == ARCHIVE_OK) {
		for (i = 0; i < 16 && archive_read_next_header(a, &entry) == ARCHIVE_OK; i++) {
			const char *name = archive_entry_pathname(entry);
			in->is_tar = 1;
			if (archive_entry_filetype(entry) != AE_IFDIR) {
				snprintf(in->first_entry, sizeof(in->first_entry), "%s", name ? name : "");
				break;
			}
		}
	}
	archive_read_free(a);
	close(fd);
}

int lade_kinds_probe(lade_kind_input *in, const char *path)
{
	struct stat st;
	int fd;
	memset(in, 0, sizeof(*in));
	in->path = path;
	if (stat(path, &st) < 0)
		return lade_error_set(errno == ENOENT ? LADE_ENOTFOUND : LADE_EIO, "cannot read '%s': %s", path,
				      errno == ENOENT ? "no such file" : strerror(errno));
	in->is_dir = S_ISDIR(st.st_mode);
	in->size = (uint64_t)st.st_size;
	if (in->is_dir || !S_ISREG(st.st_mode))
		return 0;
	if ((fd = lade_fs_open_regular(path)) < 0)
		return fd;
	for (;;) {
		ssize_t n = read(fd, in->head + in->head_len, sizeof(in->head) - in->head_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return lade_error_set(LADE_EIO, "cannot read '%s': %s", path, strerror(errno));
		}
		if (n == 0 || (in->head_len += (size_t)n) == sizeof(in->head))
			break;
	}
	close(fd);
	if (in->head_len >= 2 && in->head[0] == 0x1f && in->head[1] == 0x8b)
		strcpy(in->compression, "gzip");
	else if (in->head_len >= 4 && memcmp(in->head, "\x28\xb5\x2f\xfd", 4) == 0)
		strcpy(in->compression, "zstd");
	/* Only something that looks like a tar is opened as one: libarchive is not asked to guess. */
	if (in->compression[0] || (in->head_len > 262 && memcmp(in->head + 257, "ustar", 5) == 0))
		probe_tar(in);
	return 0;
}

const lade_kind *lade_kinds_detect(const lade_kind_input *in)
{
	const lade_kind *best = &lade__kind_file;
	int best_score = 0;
	size_t i;
	for (i = 0; i < sizeof(all_kinds) / sizeof(all_kinds[0]); i++) {
		int score = all_kinds[i]->detect(all_kinds[i], in);
		if (score > best_score) {
			best = all_kinds[i];
			best_score = score;
		}
	}
	return best;
}

int lade_kinds_push_probe(lade_kind_input *in, const lade_kind **kind, const char *path, const char *media_type,
			  void *payload)
{
	int err;
	(void)payload;
	if ((err = lade_kinds_probe(in, path)) < 0)
		return err;
	if (!*kind)
		*kind = lade_kinds_detect(in);
	if (!media_type && *kind == &lade__kind_file)
		lade_kinds_probe_mime(in);
	return 0;
}

int lade_kinds_push_reference(const lade_kind *kind, const lade_kind_input *in, const char *base, int helm_style,
			      lade_buf *out, lade_buf *tag)
{
	lade_buf name;
	size_t len = strlen(base);
	const char *slash = strrchr(base, '/'), *colon = strrchr(base, ':');
	int err = 0;

	lade_buf_init(&name, 256);
	/* An artifact kind names its repository (Helm: the chart) and its default tag (the version). */
	if (kind && kind->naming && (err = kind->naming(kind, in, &name, tag)) < 0)
		goto done;
	if (!helm_style) {
		err = lade_buf_puts(out, base);
		goto done;
	}
	if (!name.size) {
		err = lade_error_set(LADE_EINVALID, "oci:// references are for Helm charts; '%s' is not one", in->path);
		goto done;
	}
	if (colon && (!slash || colon > slash) && slash) {
		err = lade_error_set(LADE_EINVALID,
				     "with oci:// the tag is the chart's version; leave the tag out of '%s'", base);
		goto done;
	}
	while (len && base[len - 1] == '/')
		len--;
	if ((err = lade_buf_put(out, base, len)) == 0 && (err = lade_buf_puts(out, "/")) == 0)
		err = lade_buf_puts(out, name.ptr);
done:
	lade_buf_dispose(&name);
	return err;
}
