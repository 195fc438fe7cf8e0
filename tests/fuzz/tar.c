/*
 * Fuzz target: a folder layer's tar, unpacked for real into a scratch
 * folder by the dir kind: entry naming, link checks, limits. After each
 * run the scratch root must hold only the new folder and an untouched
 * sentinel beside it, and every symlink in the folder must resolve inside
 * it (or nowhere).
 */
#include "fuzz.h"
#include "scratch.h"

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "kinds.h"
#include "lade/kinds.h"

static char root[64], dest[96], sentinel[96], dest_real[PATH_MAX];

/* Every symlink under dir resolves inside dest_real, or not at all. */
static void check_links(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d) {
		perror(dir);
		abort();
	}
	if (depth > 200)
		abort();
	while ((e = readdir(d))) {
		char path[PATH_MAX], real[PATH_MAX];
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) || lstat(path, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode) && realpath(path, real) &&
		    (strncmp(real, dest_real, strlen(dest_real)) != 0 ||
		     (real[strlen(dest_real)] != '/' && real[strlen(dest_real)] != '\0'))) {
			fprintf(stderr, "link '%s' leads to '%s', outside '%s'\n", path, real, dest_real);
			abort(); /* a link that leads out of the folder */
		}
		if (S_ISDIR(st.st_mode))
			check_links(path, depth + 1);
	}
	closedir(d);
}

static void remove_root(void)
{
	lade__remove_tree(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lade_descriptor layer;
	lade_unpack_options opts = {0, 0, 1 << 20, 1000};
	const char *blob = scratch_file(data, size);
	DIR *d;
	struct dirent *e;
	size_t entries = 0;

	if (!blob)
		return 0;
	if (!root[0]) {
		snprintf(root, sizeof(root), "/tmp/lade-fuzz-tree-XXXXXX");
		if (!mkdtemp(root))
			abort();
		snprintf(dest, sizeof(dest), "%s/d", root);
		snprintf(sentinel, sizeof(sentinel), "%s/sentinel", root);
		if (mkdir(sentinel, 0755) < 0)
			abort();
		atexit(remove_root);
	}
	if (mkdir(dest, 0700) < 0 || !realpath(dest, dest_real))
		abort();
	memset(&layer, 0, sizeof(layer));
	layer.size = size;
	lade_annotations_set(&layer.annotations, LADE_ANNOTATION_TITLE, "d");
	lade_annotations_set(&layer.annotations, "io.deis.oras.content.unpack", "true");
	lade__kind_dir.unpack(&lade__kind_dir, &layer, blob, dest, &opts);
	lade_error_clear();
	lade_annotations_dispose(&layer.annotations);
	/* The same bytes as an OCI layout archive: entries at the archive's root, the same bounds. */
	lade__remove_tree(dest);
	if (mkdir(dest, 0700) < 0)
		abort();
	lade_layout_archive_unpack(blob, dest);
	lade_error_clear();

	check_links(dest, 0);
	if (!(d = opendir(root)))
		abort();
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "d") &&
		    strcmp(e->d_name, "sentinel"))
			abort(); /* something landed beside the folder */
	closedir(d);
	if (!(d = opendir(sentinel)))
		abort();
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			entries++;
	closedir(d);
	if (entries)
		abort();
	lade__remove_tree(dest);
	return 0;
}
