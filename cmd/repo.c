/* lade repo tags: list a repository's tags. */
#include "common.h"

#include <string.h>

static const char REPO_HELP[] = "Usage: lade repo tags [options] <registry>/<repository>\n"
				"\n"
				"List the tags of a repository, one a line, following the registry's\n"
				"pagination. With --oci-layout, list the tags of a layout folder.\n";

static int print_tag(const char *tag, void *payload)
{
	(void)payload;
	return printf("%s\n", tag) < 0 ? -1 : 0;
}

int cmd_repo(int argc, char **argv)
{
	static const struct option long_options[] = {
	    TARGET_LONG_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	target_opts topts;
	opened_target ot;
	int opt, handled, err;

	target_opts_init(&topts);
	while ((opt = getopt_long(argc, argv, TARGET_SHORT_OPTIONS "", long_options, NULL)) != -1) {
		if ((handled = target_opts_handle(&topts, opt, optarg)) < 0)
			return usage_error("repo", "bad arguments");
		if (handled)
			continue;
		if (opt == 'h') {
			printf("%s\n%s", REPO_HELP, TARGET_OPTIONS_HELP);
			return EXIT_OK;
		}
		return usage_error("repo", "bad arguments");
	}
	if (argc - optind < 1 || (strcmp(argv[optind], "tags") != 0 && strcmp(argv[optind], "ls") != 0))
		return usage_error("repo", "repo takes a subcommand: tags");
	optind++;
	if (argc - optind != 1)
		return usage_error("repo", "repo tags takes exactly one repository");
	if (target_opts_finish(&topts) < 0)
		return usage_error("repo", "bad credentials options");
	if (open_target(&ot, argv[optind], &topts, 0) < 0)
		return open_failed(&ot);
	err = lade_target_list_tags(ot.target, print_tag, NULL);
	opened_target_dispose(&ot);
	if (err < 0)
		return fail();
	return EXIT_OK;
}
