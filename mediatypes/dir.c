/*
 * The folder kind: a folder is packed as ORAS packs one (tar+gzip, the tar
 * digest in io.deis.oras.content.digest, io.deis.oras.content.unpack
 * "true", titled with the folder's name) by the reproducible tar writer
 * (tar_writer.c), and unpacked on pull by the safe extractor
 * (tar_extract.c), the tar digest then checked.
 */
#include "lade/sys/util.h"
#include "archive_loader.h"
#include "kinds.h"
#include "lade/sys/fs.h"
#include "tar_folder.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ANNOTATION_CONTENT_DIGEST "io.deis.oras.content.digest"
#define ANNOTATION_UNPACK "io.deis.oras.content.unpack"

static int dir_detect(const lade_kind *k, const lade_kind_input *in)
{
	(void)k;
	return in->is_dir ? 100 : 0;
}

static int dir_layer(const lade_kind *k, const lade_kind_input *in, lade_kind_layer *out)
{
	const char *title = lade_annotations_get(&out->desc.annotations, LADE_ANNOTATION_TITLE);
	const char *tmp = getenv("TMPDIR");
	lade_digest tar_digest;
	char root[PATH_MAX], packed[PATH_MAX];
	int fd, err;

	(void)k;
	if (!title)
		return lade_error_set(LADE_EINVALID, "folder '%s' has no title", in->path);
	if ((err = lade__archive_load()) < 0)
		return err;
	if (!out->desc.media_type && !(out->desc.media_type = lade_strdup(LADE_MEDIATYPE_LAYER_TAR_GZIP)))
		return LADE_ENOMEM;
	if ((err = lade_fs_temp_path(packed, sizeof(packed), "%s/folder", tmp ? tmp : "/tmp")) < 0 ||
	    (err = lade_snprintf(root, sizeof(root), "%s/", title)) < 0)
		return err;
	/* What a killed push of a folder left in TMPDIR goes first. */
	lade_fs_reclaim_temporaries(tmp ? tmp : "/tmp");
	if ((fd = lade_fs_temp_create(packed)) < 0)
		return lade_error_set(LADE_EIO, "cannot create a temporary file in '%s': %s", tmp ? tmp : "/tmp",
				      strerror(errno));
	if (!(out->path = lade_strdup(packed))) {
		close(fd);
		unlink(packed);
		return LADE_ENOMEM;
	}
	out->temporary = 1;
	err = lade__tar_pack_folder(in->path, root, fd, out->path, &tar_digest, &out->desc.digest, &out->desc.size);
	if (close(fd) < 0 && err == 0)
		err = lade_error_set(LADE_EIO, "cannot write '%s': %s", out->path, strerror(errno));
	if (err == 0 &&
	    ((err = lade_annotations_set(&out->desc.annotations, ANNOTATION_CONTENT_DIGEST, tar_digest.str)) < 0 ||
	     (err = lade_annotations_set(&out->desc.annotations, ANNOTATION_UNPACK, "true")) < 0))
		return err;
	if (err < 0)
		memset(&out->desc.digest, 0, sizeof(out->desc.digest));
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
	char prefix[PATH_MAX];
	lade_digest got, expected;
	int err;

	(void)k;
	/* Entries are named after the folder's title, "./" and trailing slashes aside. */
	if ((err = lade_snprintf(prefix, sizeof(prefix), "%s", title)) < 0)
		return err;
	while (strlen(prefix) > 1 && prefix[strlen(prefix) - 1] == '/')
		prefix[strlen(prefix) - 1] = '\0';
	if ((err = lade__tar_extract(blob_path, dest, prefix[0] == '.' && prefix[1] == '/' ? prefix + 2 : prefix, title,
				     layer->size, opts, &got)) < 0)
		return err;
	/* ORAS checks the tar digest only when the annotation parses; so does lade. */
	if (want) {
		if (lade_digest_parse(&expected, want) < 0) {
			lade_error_clear();
		} else if (!lade_digest_equal(&got, &expected)) {
			lade_fs_empty_folder(dest);
			return lade_error_set(LADE_EDIGEST, "folder '%s': content digest mismatch: expected %s, got %s",
					      title, expected.str, got.str);
		}
	}
	return 0;
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
