/* Fuzz target: a referrers index as a registry sends it (API page or fallback tag), filtered and handed on. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"

static int count(const lade_descriptor *d, void *payload)
{
	/* every descriptor handed on is whole: a digest that parsed and a media type */
	if (!d->media_type || !d->digest.str[0])
		abort();
	(*(size_t *)payload)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t all = 0, some = 0;
	lade__referrers_parse((const char *)data, size, NULL, count, &all);
	lade__referrers_parse((const char *)data, size, "application/vnd.example.signature", count, &some);
	if (some > all)
		abort();
	return 0;
}
