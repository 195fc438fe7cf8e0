/* lade - store anything in an OCI registry or image layout. */
#include "common.h"

#include <string.h>

static const char MAIN_HELP[] = "Usage: lade <command> [options]\n"
				"\n"
				"Store files in an OCI registry or image layout and get them back.\n"
				"\n"
				"Commands:\n"
				"  push       push files as one artifact\n"
				"  pull       pull an artifact's files\n"
				"  attach     attach files to what is already there (a referrer)\n"
				"  discover   list what refers to a manifest\n"
				"  tag        tag a manifest that is there (or --delete tags)\n"
				"  copy, cp   copy an artifact, image or index (-r: with its referrers)\n"
				"  resolve    print the digest a tag points to\n"
				"  manifest   fetch, push or delete a manifest\n"
				"  blob       fetch, push or delete a blob\n"
				"  repo       list a repository's tags, or a registry's repositories\n"
				"  kinds      list the kinds of artifact lade recognises\n"
				"  login      check and store credentials for a registry\n"
				"  logout     forget them\n"
				"  version    print lade's version\n"
				"\n"
				"Run 'lade <command> --help' for a command's options.\n"
				"Exit status: 0 success, 1 failure, 2 usage error.\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
    {"push", cmd_push},   {"pull", cmd_pull},     {"resolve", cmd_resolve}, {"manifest", cmd_manifest},
    {"blob", cmd_blob},   {"repo", cmd_repo},     {"version", cmd_version}, {"kinds", cmd_kinds},
    {"login", cmd_login}, {"logout", cmd_logout}, {"attach", cmd_attach},   {"discover", cmd_discover},
    {"tag", cmd_tag},     {"copy", cmd_copy},     {"cp", cmd_copy},
};

int main(int argc, char **argv)
{
	size_t i;
	if (argc < 2) {
		fputs(MAIN_HELP, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(MAIN_HELP, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			/* getopt names the program in its messages: make that "lade push". */
			char program[64];
			snprintf(program, sizeof(program), "lade %s", commands[i].name);
			argv[1] = program;
			return commands[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "lade: unknown command '%s'\nRun 'lade --help' for the list of commands.\n", argv[1]);
	return EXIT_USAGE;
}
