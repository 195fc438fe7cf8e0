/* Fuzz target: registry and layout reference parsing. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "lade/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	lade_ref ref;
	lade_layout_ref layout;
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (lade_ref_parse(&ref, text) == 0) {
		char formatted[1200];
		lade_ref again;
		/* What parses must format and parse back to the same thing. */
		if (lade_ref_format(&ref, formatted, sizeof(formatted)) != 0 ||
		    lade_ref_parse(&again, formatted) != 0 || strcmp(again.registry, ref.registry) != 0 ||
		    strcmp(again.repository, ref.repository) != 0 || strcmp(again.tag, ref.tag) != 0 ||
		    strcmp(again.digest, ref.digest) != 0)
			abort();
	}
	lade_layout_ref_parse(&layout, text);
	free(text);
	return 0;
}
