/* lade manifest fetch: print or save a manifest's exact bytes; lade manifest delete: remove one. */
#include "common.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static const char MANIFEST_HELP[] = "Usage: lade manifest fetch [options] <ref>\n"
				    "       lade manifest delete [options] <ref>\n"
				    "\n"
				    "Fetch the manifest that ref names (tag, default latest, or digest) and\n"
				    "write its exact bytes to standard output or a file. The bytes are\n"
				    "checked against the digest before they are written.\n"
				    "\n"
				    "Options:\n"
				    "  -o, --output FILE         write to FILE instead of standard output\n"
				    "      --descriptor          print the manifest's descriptor instead\n"
				    "\n"
				    "delete removes the manifest ref names (by tag or digest) and every tag\n"
				    "naming it; a referrer leaves its subject's referrers too. On a terminal\n"
				    "it asks first unless --force is given.\n"
				    "  -f, --force               delete without asking\n";

enum { OPT_DESCRIPTOR = 2101 };

/* Ask on a terminal, as ORAS does; anything but y or yes keeps the manifest. */
static int confirmed(const char *what)
{
	char answer[16];
	if (!isatty(STDIN_FILENO))
		return 1;
	fprintf(stderr, "Are you sure you want to delete %s and all tags naming it? [y/N] ", what);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	return !strcmp(answer, "y\n") || !strcmp(answer, "yes\n") || !strcmp(answer, "Y\n");
}

/* lade manifest delete: the manifest by digest (its tags go with it, and a referrer leaves its subject's index). */
static int delete_manifest(opened_target *ot, const char *arg, int force)
{
	lade_descriptor desc;
	lade_buf bytes;
	char what[LADE_DIGEST_STRLEN + 64];
	int rc;
	lade_buf_init(&bytes, 4 * 1024 * 1024);
	if (lade_manifest_fetch(ot->target, ot->reference[0] ? ot->reference : "latest", &desc, &bytes) < 0) {
		lade_buf_dispose(&bytes);
		return failf("cannot delete %s: %s", arg, lade_error_last()->message);
	}
	lade_buf_dispose(&bytes);
	snprintf(what, sizeof(what), "the manifest %s", desc.digest.str);
	if (!force && !confirmed(what)) {
		fprintf(stderr, "lade: %s kept\n", desc.digest.str);
		lade_descriptor_dispose(&desc);
		return EXIT_FAILURE_;
	}
	if (lade_target_delete(ot->target, &desc) < 0) {
		rc = fail();
	} else {
		printf("Deleted %s@%s\n", ot->is_layout ? ot->repository : ot->display, desc.digest.str);
		rc = EXIT_OK;
	}
	lade_descriptor_dispose(&desc);
	return rc;
}

static int write_all(const char *path, const char *data, size_t len)
{
	FILE *f = path && strcmp(path, "-") != 0 ? fopen(path, "wb") : stdout;
	if (!f)
		return failf("cannot open '%s': %s", path, strerror(errno));
	if (fwrite(data, 1, len, f) != len || (f != stdout ? fclose(f) : fflush(f)) != 0)
		return failf("cannot write '%s': %s", path ? path : "standard output", strerror(errno));
	return EXIT_OK;
}

int cmd_manifest(int argc, char **argv)
{
	static const struct option long_options[] = {
	    TARGET_LONG_OPTIONS,
	    {"output", required_argument, NULL, 'o'},
	    {"descriptor", no_argument, NULL, OPT_DESCRIPTOR},
	    {"force", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	target_opts topts;
	opened_target ot;
	lade_descriptor desc;
	lade_buf bytes;
	const char *output = NULL;
	int opt, handled, rc, descriptor = 0, force = 0, deleting;

	target_opts_init(&topts);
	while ((opt = getopt_long(argc, argv, TARGET_SHORT_OPTIONS "o:f", long_options, NULL)) != -1) {
		if ((handled = target_opts_handle(&topts, opt, optarg)) < 0)
			return usage_error("manifest", "bad arguments");
		if (handled)
			continue;
		if (opt == 'h') {
			printf("%s\n%s", MANIFEST_HELP, TARGET_OPTIONS_HELP);
			return EXIT_OK;
		} else if (opt == 'o') {
			output = optarg;
		} else if (opt == OPT_DESCRIPTOR) {
			descriptor = 1;
		} else if (opt == 'f') {
			force = 1;
		} else {
			return usage_error("manifest", "bad arguments");
		}
	}
	if (argc - optind < 1 || (strcmp(argv[optind], "fetch") != 0 && strcmp(argv[optind], "delete") != 0))
		return usage_error("manifest", "manifest takes a subcommand: fetch or delete");
	deleting = !strcmp(argv[optind++], "delete");
	if (argc - optind != 1)
		return usage_error("manifest", "manifest %s takes exactly one reference",
				   deleting ? "delete" : "fetch");
	if (target_opts_finish(&topts) < 0)
		return usage_error("manifest", "bad credentials options");
	if (open_target(&ot, argv[optind], &topts, 0) < 0)
		return open_failed(&ot);
	if (deleting) {
		rc = delete_manifest(&ot, argv[optind], force);
		opened_target_dispose(&ot);
		return rc;
	}
	if (lade_manifest_fetch(ot.target, ot.reference[0] ? ot.reference : "latest", &desc, &bytes) < 0) {
		opened_target_dispose(&ot);
		return fail();
	}
	if (descriptor) {
		lade_buf line;
		lade_buf_init(&line, 64 * 1024);
		rc = lade_descriptor_encode(&line, &desc) < 0 || lade_buf_puts(&line, "\n") < 0
			 ? fail()
			 : write_all(output, line.ptr, line.size);
		lade_buf_dispose(&line);
	} else {
		rc = write_all(output, bytes.ptr, bytes.size);
	}
	lade_buf_dispose(&bytes);
	lade_descriptor_dispose(&desc);
	opened_target_dispose(&ot);
	return rc;
}
