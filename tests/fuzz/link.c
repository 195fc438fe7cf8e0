/* Fuzz target: the Link header of a paginated tag list. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char base[] = "https://registry.example:5000";
	char out[4096];
	char *link = malloc(size + 1);
	if (!link)
		return 0;
	memcpy(link, data, size);
	link[size] = '\0';
	/* A next page is always on the registry's own origin. */
	if (lade__link_next(base, link, out, sizeof(out)) == 1 &&
	    (strncmp(out, base, sizeof(base) - 1) != 0 ||
	     (out[sizeof(base) - 1] != '/' && out[sizeof(base) - 1] != '?')))
		abort();
	free(link);
	return 0;
}
