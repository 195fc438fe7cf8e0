/* lade version */
#include "common.h"

#include <openssl/opensslv.h>
#include <string.h>

int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage: lade version\n\nPrint lade's version and the libraries it was built with.\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_error("version", "version takes no arguments");
	printf("lade %s\n", lade_version());
	printf("libcurl %s, %s\n", lade_version_libcurl(), OPENSSL_VERSION_TEXT);
	return EXIT_OK;
}
