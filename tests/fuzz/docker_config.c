/* Fuzz target: a Docker config.json, read as lade_credentials_get reads it. */
#include "fuzz.h"
#include "scratch.h"

#include "lade/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const registries[] = {"registry.example", "docker.io", "127.0.0.1:5000"};
	const char *path = scratch_file(data, size);
	lade_credentials_options opts = LADE_CREDENTIALS_OPTIONS_INIT;
	size_t i;
	if (!path)
		return 0;
	opts.config_paths = &path;
	opts.config_count = 1;
	for (i = 0; i < sizeof(registries) / sizeof(registries[0]); i++) {
		lade_credential cred;
		if (lade_credentials_get(&opts, registries[i], &cred) == 0)
			lade_credential_dispose(&cred);
	}
	return 0;
}
