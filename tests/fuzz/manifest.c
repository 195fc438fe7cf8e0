/* Fuzz target: manifest decoding, and the encode → decode round trip. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "lade/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lade_manifest m, again;
	lade_buf first, second;
	char media_type[256];
	lade_manifest_sniff_media_type((const char *)data, size, media_type, sizeof(media_type));
	if (lade_manifest_parse(&m, (const char *)data, size) != 0)
		return 0;
	lade_buf_init(&first, LADE_MANIFEST_LIMIT * 2);
	lade_buf_init(&second, LADE_MANIFEST_LIMIT * 2);
	/* Whatever lade accepts it must encode, and its encoding must be a fixed point. */
	if (lade_manifest_encode(&first, &m) != 0 || lade_manifest_parse(&again, first.ptr, first.size) != 0)
		abort();
	if (lade_manifest_encode(&second, &again) != 0 || first.size != second.size ||
	    memcmp(first.ptr, second.ptr, first.size) != 0)
		abort();
	lade_manifest_dispose(&again);
	lade_manifest_dispose(&m);
	lade_buf_dispose(&first);
	lade_buf_dispose(&second);
	return 0;
}
