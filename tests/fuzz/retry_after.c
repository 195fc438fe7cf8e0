/* Fuzz target: Retry-After, as seconds or an HTTP date. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "curl_loader.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int loaded = -1;
	char *value;
	long seconds;
	if (loaded < 0)
		loaded = lade__curl_load() == 0;
	if (!loaded || !(value = malloc(size + 1)))
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';
	seconds = lade__retry_after_parse(value);
	if (seconds < -1)
		abort();
	free(value);
	return 0;
}
