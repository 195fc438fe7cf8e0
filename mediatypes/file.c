/*
 * The generic file kind: any regular file. Its layer keeps its title; its
 * media type is the one the user gave, else libmagic's bare MIME type, else
 * application/octet-stream.
 */
#include "internal.h"
#include "kinds.h"

#include <string.h>

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

static int file_layer(const lade_kind *k, const lade_kind_input *in, lade_kind_layer *out)
{
	(void)k;
	if (out->desc.media_type)
		return 0;
	if (is_uninformative(in->mime) || lade_mediatype_validate(in->mime, "media type") < 0) {
		lade_error_clear();
		out->desc.media_type = lade__strdup("application/octet-stream");
	} else {
		out->desc.media_type = lade__strdup(in->mime);
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
