/* Fuzz target: what a docker-credential-* helper answers to "get". */
#include "fuzz.h"

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lade_credential cred;
	if (lade__helper_reply_parse((const char *)data, size, "fuzz", &cred) == 0)
		lade_credential_dispose(&cred);
	return 0;
}
