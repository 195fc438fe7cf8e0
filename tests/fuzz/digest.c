/* Fuzz target: digest string parsing. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "lade/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	lade_digest d;
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (lade_digest_parse(&d, text) == 0 && strcmp(d.str, text) != 0)
		abort();
	free(text);
	return 0;
}
