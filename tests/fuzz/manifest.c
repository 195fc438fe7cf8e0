/* Fuzz target: manifest decoding, and the encode → decode round trip. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "lade/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lade_manifest m, again, third;
	lade_buf first, second, last;
	char media_type[256];
	lade_manifest_sniff_media_type((const char *)data, size, media_type, sizeof(media_type));
	if (lade_manifest_parse(&m, (const char *)data, size) != 0)
		return 0;
	lade_buf_init(&first, LADE_MANIFEST_LIMIT * 2);
	lade_buf_init(&second, LADE_MANIFEST_LIMIT * 2);
	lade_buf_init(&last, LADE_MANIFEST_LIMIT * 2);
	/*
	 * Whatever lade accepts it must encode (but what it reads only
	 * liberally), and its encoding must be a
	 * fixed point from the second round: the first may turn invalid UTF-8
	 * into "\ufffd", as Go's encoder does, which reads back as U+FFFD.
	 */
	if (lade_manifest_encode(&first, &m) != 0) {
		/* Read but never written: an empty config without artifactType (what oras-go v1 wrote). */
		if (m.artifact_type || strcmp(m.config.media_type, "application/vnd.oci.empty.v1+json") != 0)
			abort();
		lade_manifest_dispose(&m);
		lade_buf_dispose(&first);
		lade_buf_dispose(&second);
		lade_buf_dispose(&last);
		return 0;
	}
	if (lade_manifest_parse(&again, first.ptr, first.size) != 0)
		abort();
	if (lade_manifest_encode(&second, &again) != 0 || lade_manifest_parse(&third, second.ptr, second.size) != 0)
		abort();
	if (lade_manifest_encode(&last, &third) != 0 || last.size != second.size ||
	    memcmp(last.ptr, second.ptr, last.size) != 0)
		abort();
	lade_manifest_dispose(&third);
	lade_manifest_dispose(&again);
	lade_manifest_dispose(&m);
	lade_buf_dispose(&first);
	lade_buf_dispose(&second);
	lade_buf_dispose(&last);
	return 0;
}
