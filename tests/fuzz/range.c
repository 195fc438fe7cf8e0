/* Fuzz target: Content-Range of a resumed download, and the Range of an upload's status. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t start = 0, offset = 0, blob = 1000;
	char *value = malloc(size + 1);
	if (!value)
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';
	lade__content_range_start(value, &start);
	lade__upload_range_next(value, blob, &offset);
	/* An upload never goes on past the blob it sends. */
	if (offset > blob)
		abort();
	free(value);
	return 0;
}
