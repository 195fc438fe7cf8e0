/* lade resolve: the digest a tag points to. */
#include "common.h"

#include <string.h>

static const char RESOLVE_HELP[] = "Usage: lade resolve [options] <ref>\n"
				   "\n"
				   "Print the digest of the manifest that ref's tag (default latest) names.\n"
				   "\n"
				   "Options:\n"
				   "      --full-reference      print registry/repository@digest\n"
				   "      --platform P          an index: the digest of its manifest for P\n";

enum { OPT_FULL = 2001 };

int cmd_resolve(int argc, char **argv)
{
	static const struct option long_options[] = {
	    TARGET_LONG_OPTIONS,
	    {"full-reference", no_argument, NULL, OPT_FULL},
	    {"platform", required_argument, NULL, OPT_PLATFORM},
	    {NULL, 0, NULL, 0},
	};
	target_opts topts;
	opened_target ot;
	lade_descriptor desc;
	const char *platform = NULL;
	int opt, handled, full = 0, err;

	target_opts_init(&topts);
	while ((opt = getopt_long(argc, argv, TARGET_SHORT_OPTIONS "", long_options, NULL)) != -1) {
		if ((handled = target_opts_handle(&topts, opt, optarg)) < 0)
			return usage_error("resolve", "bad arguments");
		if (handled)
			continue;
		if (opt == 'h') {
			printf("%s\n%s", RESOLVE_HELP, TARGET_OPTIONS_HELP);
			return EXIT_OK;
		}
		if (opt == OPT_FULL) {
			full = 1;
			continue;
		}
		if (opt == OPT_PLATFORM) {
			platform = optarg;
			continue;
		}
		return usage_error("resolve", "bad arguments");
	}
	if (argc - optind != 1)
		return usage_error("resolve", "resolve takes exactly one reference");
	if (target_opts_finish(&topts) < 0)
		return usage_error("resolve", "bad credentials options");
	if (open_target(&ot, argv[optind], &topts, 0) < 0)
		return open_failed(&ot);
	/* With a platform, an index's manifest for it (resolve_subject chooses as pull and copy do). */
	err = platform ? resolve_subject(&ot, ot.reference[0] ? ot.reference : "latest", platform, &desc)
		       : lade_target_resolve(ot.target, ot.reference[0] ? ot.reference : "latest", &desc);
	if (err < 0) {
		opened_target_dispose(&ot);
		return fail();
	}
	if (full && !ot.is_layout)
		printf("%s@%s\n", ot.display, desc.digest.str);
	else
		printf("%s\n", desc.digest.str);
	lade_descriptor_dispose(&desc);
	opened_target_dispose(&ot);
	return EXIT_OK;
}
