/* lade manifest fetch: print or save a manifest's exact bytes. */
#include "common.h"

#include <errno.h>
#include <string.h>

static const char MANIFEST_HELP[] = "Usage: lade manifest fetch [options] <ref>\n"
				    "\n"
				    "Fetch the manifest that ref names (tag, default latest, or digest) and\n"
				    "write its exact bytes to standard output or a file. The bytes are\n"
				    "checked against the digest before they are written.\n"
				    "\n"
				    "Options:\n"
				    "  -o, --output FILE         write to FILE instead of standard output\n"
				    "      --descriptor          print the manifest's descriptor instead\n";

enum { OPT_DESCRIPTOR = 2101 };

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
	    {NULL, 0, NULL, 0},
	};
	target_opts topts;
	opened_target ot;
	lade_descriptor desc;
	lade_buf bytes;
	const char *output = NULL;
	int opt, handled, rc, descriptor = 0;

	target_opts_init(&topts);
	while ((opt = getopt_long(argc, argv, TARGET_SHORT_OPTIONS "o:", long_options, NULL)) != -1) {
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
		} else {
			return usage_error("manifest", "bad arguments");
		}
	}
	if (argc - optind < 1 || strcmp(argv[optind], "fetch") != 0)
		return usage_error("manifest", "manifest takes a subcommand: fetch");
	optind++;
	if (argc - optind != 1)
		return usage_error("manifest", "manifest fetch takes exactly one reference");
	if (target_opts_finish(&topts) < 0)
		return usage_error("manifest", "bad credentials options");
	if (open_target(&ot, argv[optind], &topts, 0) < 0)
		return open_failed(&ot);
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
