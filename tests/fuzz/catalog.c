/* Fuzz target: a registry's catalog page (repo ls), with and without a namespace prefix. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"

static int count(const char *name, void *payload)
{
	if (!name)
		abort();
	(*(size_t *)payload)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t all = 0, some = 0;
	lade__catalog_parse((const char *)data, size, NULL, count, &all);
	lade__catalog_parse((const char *)data, size, "team/", count, &some);
	if (some > all)
		abort();
	return 0;
}
