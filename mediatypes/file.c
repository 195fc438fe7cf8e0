/*
 * The generic file kind: any regular file. Its layer keeps its title; its
 * media type is the one the user gave, else libmagic's bare MIME type, else
 * application/octet-stream.
 */
#include "lade/sys/util.h"
#include "kinds.h"
#include "lade/kinds.h"

#include <fcntl.h>
#include <magic.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int file_detect(const lade_kind *k, const lade_kind_input *in)
{
	(void)k;
	return in->is_dir ? 0 : 1;
}

/* libmagic's answers that say nothing more than "some bytes". */
static int is_uninformative(const char *mime)
{
	return !*mime || strcmp(mime, "application/octet-stream") == 0 || strncmp(mime, "inode/", 6) == 0;
}

/*
 * libmagic's MIME type for the first bytes, without parameters. Asked only
 * when no media type was given: its database (8 MiB on Debian) costs time
 * and memory that no other path needs.
 *
 * The cookie is kept between calls, so asking for a thousand files loads
 * the database once, not a thousand times; lade_kinds_release_mime closes
 * it. When libmagic would read only the compiled database (no MAGIC in the
 * environment, no rules in /etc/magic, as on Debian), lade maps that file
 * itself and hands it over with magic_load_buffers: then, every
 * DROP_EVERY answers, the pages the answers touched are dropped (they come
 * back from the page cache when needed), so the resident cost stays at
 * what a few files touch instead of growing to the whole database over
 * many files.
 */
#define DROP_EVERY 32
#define MAGIC_FLAGS (MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR)
#define COMPILED_DB "/usr/share/misc/magic.mgc"
#define LOCAL_RULES "/etc/magic"

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static magic_t kept;
static void *db; /* our mapping of the compiled database, or NULL */
static unsigned long answers;
static size_t db_len;

/* Does /etc/magic hold a rule (anything but comments and blank lines)? */
static int local_rules(void)
{
	FILE *f = fopen(LOCAL_RULES, "re");
	char line[256];
	int found = 0;
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t\r\n");
		found = *p && *p != '#';
	}
	fclose(f);
	return found;
}

static magic_t open_db(void)
{
	magic_t cookie = magic_open(MAGIC_FLAGS);
	struct stat st;
	int fd;
	if (!cookie)
		return NULL;
	if (!getenv("MAGIC") && !local_rules() && (fd = open(COMPILED_DB, O_RDONLY | O_CLOEXEC)) >= 0) {
		void *map = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0
				? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)
				: MAP_FAILED;
		close(fd);
		if (map != MAP_FAILED) {
			size_t len = (size_t)st.st_size;
			if (magic_load_buffers(cookie, &map, &len, 1) == 0) {
				db = map;
				db_len = len;
				return cookie;
			}
			munmap(map, len);
		}
	}
	if (magic_load(cookie, NULL) != 0) {
		magic_close(cookie);
		return NULL;
	}
	return cookie;
}

static void close_db(void)
{
	if (kept)
		magic_close(kept);
	kept = NULL;
	if (db)
		munmap(db, db_len);
	db = NULL;
	/* Give libmagic's freed memory back now, not at exit: it is the biggest thing lade loads. */
	malloc_trim(0);
}

static void ask(const lade_kind_input *in, char *out, size_t outlen)
{
	const char *mime;
	out[0] = '\0';
	if (in->is_dir || !in->head_len)
		return;
	if (!kept)
		kept = open_db();
	if (kept && (mime = magic_buffer(kept, in->head, in->head_len)))
		snprintf(out, outlen, "%s", mime);
	/* Dropping the pages after every answer made each file fault the database in again (half of a
	   1,000-file push's CPU); every DROP_EVERY answers keeps the residency bounded all the same. */
	if (db && ++answers % DROP_EVERY == 0)
		madvise(db, db_len, MADV_DONTNEED);
}

void lade_kinds_probe_mime(lade_kind_input *in)
{
	pthread_mutex_lock(&kept_lock);
	ask(in, in->mime, sizeof(in->mime));
	pthread_mutex_unlock(&kept_lock);
}

void lade_kinds_release_mime(void)
{
	pthread_mutex_lock(&kept_lock);
	close_db();
	pthread_mutex_unlock(&kept_lock);
}

/* One answer, the database closed after unless lade_kinds_probe_mime keeps it. */
void lade__magic_mime(const lade_kind_input *in, char *out, size_t outlen)
{
	int was_open;
	pthread_mutex_lock(&kept_lock);
	was_open = kept != NULL;
	ask(in, out, outlen);
	if (!was_open)
		close_db();
	pthread_mutex_unlock(&kept_lock);
}

static int file_layer(const lade_kind *k, const lade_kind_input *in, lade_kind_layer *out)
{
	char mime[128];
	(void)k;
	if (out->desc.media_type)
		return 0;
	if (in->mime[0])
		snprintf(mime, sizeof(mime), "%s", in->mime);
	else
		lade__magic_mime(in, mime, sizeof(mime));
	if (is_uninformative(mime) || lade_mediatype_validate(mime, "media type") < 0) {
		lade_error_clear();
		out->desc.media_type = lade_strdup("application/octet-stream");
	} else {
		out->desc.media_type = lade_strdup(mime);
	}
	return out->desc.media_type ? 0 : LADE_ENOMEM;
}

const lade_kind lade__kind_file = {
    .name = "file",
    .summary = "any file: a titled layer, media type from libmagic",
    .media_types = "libmagic's MIME type, else application/octet-stream",
    .detect = file_detect,
    .layer = file_layer,
};
