/* lade repo tags: list a repository's tags; lade repo ls: list a registry's repositories. */
#include "common.h"

#include <ctype.h>
#include <string.h>

static const char REPO_HELP[] = "Usage: lade repo tags [options] <registry>/<repository>\n"
				"       lade repo ls [options] <registry>[/<namespace>]\n"
				"\n"
				"tags lists the tags of a repository, one a line, following the registry's\n"
				"pagination; with --oci-layout, the tags of a layout folder.\n"
				"ls lists the repositories of a registry (its catalog), or those under a\n"
				"namespace, named from there on, as oras repo ls does.\n"
				"\n"
				"Options:\n"
				"      --last NAME           only names that sort after NAME\n"
				"      --exclude-digest-tags tags: leave out sha256-<hex> tags (referrers indexes)\n";

enum { OPT_LAST = 2201, OPT_EXCLUDE_DIGEST_TAGS };

typedef struct listing {
	const char *last;   /* print only what sorts after this */
	size_t skip_prefix; /* ls under a namespace: its "<namespace>/" is not printed */
	int exclude_digest_tags;
} listing;

/* A referrers index tag as the tag schema names it: sha256-<64 hex>. */
static int is_digest_tag(const char *tag)
{
	size_t i;
	if (strncmp(tag, "sha256-", 7) != 0 || strlen(tag) != 7 + 64)
		return 0;
	for (i = 7; tag[i]; i++)
		if (!isxdigit((unsigned char)tag[i]) || isupper((unsigned char)tag[i]))
			return 0;
	return 1;
}

static int print_name(const char *name, void *payload)
{
	const listing *ls = payload;
	if (ls->last && strcmp(name, ls->last) <= 0)
		return 0;
	if (ls->exclude_digest_tags && is_digest_tag(name))
		return 0;
	return printf("%s\n", name + ls->skip_prefix) < 0 ? -1 : 0;
}

/* repo ls HOST[/namespace]: the catalog, filtered to the namespace. */
static int list_repositories(const char *arg, const target_opts *topts, listing *ls)
{
	opened_target ot;
	char ref[LADE_REF_PATH_MAX + 64], prefix[LADE_REF_PATH_MAX + 2] = "", last[LADE_REF_PATH_MAX + 2];
	const char *slash = strchr(arg, '/');
	int err;
	if (topts->oci_layout)
		return usage_error("repo", "repo ls lists a registry's repositories; a layout has none");
	if (!slash || !slash[1])
		snprintf(ref, sizeof(ref), "%.*s/library", (int)(slash ? slash - arg : (long)strlen(arg)), arg);
	else {
		snprintf(ref, sizeof(ref), "%s", arg);
		snprintf(prefix, sizeof(prefix), "%s/", slash + 1);
	}
	/* The first part is the registry: a repository name alone would be read as Docker Hub's. */
	{
		size_t hostlen = slash ? (size_t)(slash - arg) : strlen(arg);
		if (!memchr(arg, '.', hostlen) && !memchr(arg, ':', hostlen) &&
		    !(hostlen == 9 && !strncmp(arg, "localhost", 9)))
			return usage_error("repo", "'%.*s' does not name a registry host (host.name or host:port)",
					   (int)hostlen, arg);
	}
	if (ls->last && prefix[0]) {
		/* --last names a repository under the namespace, as it is printed */
		snprintf(last, sizeof(last), "%s%s", prefix, ls->last);
		ls->last = last;
	}
	ls->skip_prefix = strlen(prefix);
	if (open_target(&ot, ref, topts, 0) < 0)
		return open_failed(&ot);
	err = lade_registry_catalog(ot.target, prefix, print_name, ls);
	opened_target_dispose(&ot);
	return err < 0 ? fail() : EXIT_OK;
}

int cmd_repo(int argc, char **argv)
{
	static const struct option long_options[] = {
	    TARGET_LONG_OPTIONS,
	    {"last", required_argument, NULL, OPT_LAST},
	    {"exclude-digest-tags", no_argument, NULL, OPT_EXCLUDE_DIGEST_TAGS},
	    {NULL, 0, NULL, 0},
	};
	target_opts topts;
	opened_target ot;
	listing ls = {NULL, 0, 0};
	int opt, handled, err, tags;

	target_opts_init(&topts);
	while ((opt = getopt_long(argc, argv, TARGET_SHORT_OPTIONS "", long_options, NULL)) != -1) {
		if ((handled = target_opts_handle(&topts, opt, optarg)) < 0)
			return usage_error("repo", "bad arguments");
		if (handled)
			continue;
		if (opt == 'h') {
			printf("%s\n%s", REPO_HELP, TARGET_OPTIONS_HELP);
			return EXIT_OK;
		} else if (opt == OPT_LAST) {
			ls.last = optarg;
		} else if (opt == OPT_EXCLUDE_DIGEST_TAGS) {
			ls.exclude_digest_tags = 1;
		} else {
			return usage_error("repo", "bad arguments");
		}
	}
	if (argc - optind < 1 || (strcmp(argv[optind], "tags") != 0 && strcmp(argv[optind], "ls") != 0))
		return usage_error("repo", "repo takes a subcommand: tags or ls");
	tags = !strcmp(argv[optind++], "tags");
	if (argc - optind != 1)
		return usage_error("repo", "repo %s takes exactly one %s", tags ? "tags" : "ls",
				   tags ? "repository" : "registry");
	if (target_opts_finish(&topts) < 0)
		return usage_error("repo", "bad credentials options");
	if (!tags)
		return list_repositories(argv[optind], &topts, &ls);
	if (open_target(&ot, argv[optind], &topts, 0) < 0)
		return open_failed(&ot);
	err = lade_target_list_tags(ot.target, print_name, &ls);
	opened_target_dispose(&ot);
	if (err < 0)
		return fail();
	return EXIT_OK;
}
