/* Fuzz target: image index decoding and the encode → decode round trip. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "lade/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lade_index idx, again;
	lade_buf out;
	if (lade_index_parse(&idx, (const char *)data, size) != 0)
		return 0;
	lade_buf_init(&out, LADE_MANIFEST_LIMIT * 2);
	if (lade_index_encode(&out, &idx) != 0 || lade_index_parse(&again, out.ptr, out.size) != 0)
		abort();
	if (again.manifest_count != idx.manifest_count)
		abort();
	lade_index_dispose(&again);
	lade_index_dispose(&idx);
	lade_buf_dispose(&out);
	return 0;
}
