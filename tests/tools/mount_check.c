/*
 * mount_check - the library's cross-repository mount, for the tests:
 * mount a blob from one repository into another of the same registry and
 * report what went over the wire.
 *   mount_check HOST:PORT FROM_REPO TO_REPO DIGEST SIZE
 * Prints "mounted=<0|1> requests=<n> uploaded=<bytes>".
 */
#include <lade/lade.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	lade_ref ref;
	lade_registry_options opts = LADE_REGISTRY_OPTIONS_INIT;
	lade_registry_stats stats;
	lade_descriptor desc;
	lade_target *t = NULL;
	int mounted = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: mount_check HOST:PORT FROM_REPO TO_REPO DIGEST SIZE\n");
		return 2;
	}
	memset(&ref, 0, sizeof(ref));
	memset(&desc, 0, sizeof(desc));
	snprintf(ref.registry, sizeof(ref.registry), "%s", argv[1]);
	snprintf(ref.repository, sizeof(ref.repository), "%s", argv[3]);
	desc.media_type = "application/octet-stream";
	desc.size = strtoull(argv[5], NULL, 10);
	opts.plain_http = 1;
	opts.username = getenv("LADE_USERNAME");
	opts.password = getenv("LADE_PASSWORD");
	if (lade_digest_parse(&desc.digest, argv[4]) < 0 || lade_registry_open(&t, &ref, &opts) < 0 ||
	    lade_registry_mount(t, &desc, argv[2], &mounted) < 0 || lade_registry_stats_get(t, &stats) < 0) {
		fprintf(stderr, "mount_check: %s\n", lade_error_last()->message);
		lade_target_free(t);
		return 1;
	}
	printf("mounted=%d requests=%llu uploaded=%llu\n", mounted, (unsigned long long)stats.requests,
	       (unsigned long long)stats.bytes_uploaded);
	lade_target_free(t);
	return 0;
}
