/*
 * The tarball kind: tar, tar+gzip and tar+zstd files (libarchive reads the
 * first header to be sure) become OCI image layers of the matching media
 * type, titled like any file. A .tgz that holds a Helm chart is the helm
 * kind's.
 */
#include "lade/sys/util.h"
#include "kinds.h"

#include <string.h>

static int tar_detect(const lade_kind *k, const lade_kind_input *in)
{
	(void)k;
	return in->is_tar ? 50 : 0;
}

static int tar_layer(const lade_kind *k, const lade_kind_input *in, lade_kind_layer *out)
{
	const char *mt = LADE_MEDIATYPE_LAYER_TAR;
	(void)k;
	if (out->desc.media_type)
		return 0;
	if (strcmp(in->compression, "gzip") == 0)
		mt = LADE_MEDIATYPE_LAYER_TAR_GZIP;
	else if (strcmp(in->compression, "zstd") == 0)
		mt = LADE_MEDIATYPE_LAYER_TAR_ZSTD;
	out->desc.media_type = lade_strdup(mt);
	return out->desc.media_type ? 0 : LADE_ENOMEM;
}

const lade_kind lade__kind_tar = {
    .name = "tar",
    .summary = "tar archives, plain, gzip or zstd: one titled layer of the matching type",
    .media_types = LADE_MEDIATYPE_LAYER_TAR ", " LADE_MEDIATYPE_LAYER_TAR_GZIP ", " LADE_MEDIATYPE_LAYER_TAR_ZSTD,
    .detect = tar_detect,
    .layer = tar_layer,
};
