#include "internal.h"
#include "kinds.h"
#include "lade/kinds.h"

#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const lade_kind *const all_kinds[] = {
	&lade__kind_file,
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

/* libmagic's MIME type for the first bytes, without parameters. */
static void magic_mime(lade_kind_input *in)
{
	magic_t cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
	const char *mime;
	in->mime[0] = '\0';
	if (!cookie)
		return;
	if (magic_load(cookie, NULL) == 0 && (mime = magic_buffer(cookie, in->head, in->head_len)) != NULL)
		snprintf(in->mime, sizeof(in->mime), "%s", mime);
	magic_close(cookie);
}

int lade_kinds_probe(lade_kind_input *in, const char *path)
{
	struct stat st;
	int fd;
	memset(in, 0, sizeof(*in));
	in->path = path;
	if (stat(path, &st) < 0)
		return lade__error(errno == ENOENT ? LADE_ENOTFOUND : LADE_EIO, "cannot read '%s': %s", path,
				   errno == ENOENT ? "no such file" : strerror(errno));
	in->is_dir = S_ISDIR(st.st_mode);
	in->size = (uint64_t)st.st_size;
	if (in->is_dir || !S_ISREG(st.st_mode))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return lade__error(LADE_EIO, "cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, in->head + in->head_len, sizeof(in->head) - in->head_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return lade__error(LADE_EIO, "cannot read '%s': %s", path, strerror(errno));
		}
		if (n == 0 || (in->head_len += (size_t)n) == sizeof(in->head))
			break;
	}
	close(fd);
	if (in->head_len)
		magic_mime(in);
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
