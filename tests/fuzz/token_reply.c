/* Fuzz target: a token service's reply. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char token[4096];
	long lifetime = 0;
	if (lade__token_reply_parse((const char *)data, size, 64 * 1024, token, sizeof(token), 60, &lifetime) == 0 &&
	    (!token[0] || strlen(token) >= sizeof(token)))
		abort();
	if (lifetime < 60 || lifetime >= 1000000000)
		abort();
	return 0;
}
