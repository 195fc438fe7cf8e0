/*
 * The generic file kind: any regular file. Its layer keeps its title; its
 * media type is the one the user gave, else libmagic's bare MIME type, else
 * application/octet-stream.
 */
#include "internal.h"
#include "kinds.h"
#include "lade/kinds.h"

#include <magic.h>
#include <malloc.h>
#include <stdio.h>
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

/*
 * libmagic's MIME type for the first bytes, without parameters. Asked only
 * here, when no media type was given: loading its database costs time and
 * several MiB that no other path needs.
 */
void lade_kinds_probe_mime(lade_kind_input *in)
{
	if (!in->is_dir)
		lade__magic_mime(in, in->mime, sizeof(in->mime));
}

void lade__magic_mime(const lade_kind_input *in, char *out, size_t outlen)
{
	magic_t cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
	const char *mime;
	out[0] = '\0';
	if (!cookie)
		return;
	if (in->head_len && magic_load(cookie, NULL) == 0 && (mime = magic_buffer(cookie, in->head, in->head_len)))
		snprintf(out, outlen, "%s", mime);
	magic_close(cookie);
	/* Give libmagic's freed database memory back now, not at exit: it is the biggest thing lade loads. */
	malloc_trim(0);
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
		out->desc.media_type = lade__strdup("application/octet-stream");
	} else {
		out->desc.media_type = lade__strdup(mime);
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
