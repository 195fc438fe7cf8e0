/* lade blob fetch: one blob by digest, verified before it is handed over. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char BLOB_HELP[] = "Usage: lade blob fetch [options] <ref>@<digest> (-o FILE | -o -)\n"
				"       lade blob push [options] <ref> <file|->\n"
				"       lade blob delete [options] <ref>@<digest>\n"
				"\n"
				"push sends one blob and prints its digest; '-' reads standard input of\n"
				"any size, hashed as it is sent (POST, one streaming PATCH, PUT).\n"
				"\n"
				"Fetch one blob. With -o FILE it streams to a temporary file beside FILE\n"
				"and takes the final name only once size and digest match. With -o - it\n"
				"is verified in a temporary file first, then copied to standard output,\n"
				"so nothing unverified is ever written out.\n"
				"\n"
				"Options:\n"
				"  -o, --output FILE|-       where to write (fetch; required)\n"
				"      --media-type TYPE     the blob's media type in the printed descriptor (push)\n"
				"      --descriptor          print the blob's descriptor instead\n"
				"  -f, --force               delete: do not ask first on a terminal\n";

enum { OPT_DESCRIPTOR = 2201 };

static int blob_push(int argc, char **argv, target_opts *topts, const char *media_type)
{
	opened_target ot;
	lade_descriptor desc;
	lade_blob_job job;
	int rc = EXIT_FAILURE_;
	if (argc != 2)
		return usage_error("blob", "blob push takes a reference and a file (or -)");
	if (target_opts_finish(topts) < 0)
		return usage_error("blob", "bad credentials options");
	if (lade_mediatype_validate(media_type, "media type") < 0)
		return fail();
	if (open_target(&ot, argv[0], topts, 1) < 0)
		return open_failed(&ot);
	memset(&desc, 0, sizeof(desc));
	desc.media_type = (char *)media_type;
	if (strcmp(argv[1], "-") == 0) {
		if (lade_target_push_stream(ot.target, STDIN_FILENO, "standard input", &desc) < 0)
			goto failed;
	} else {
		memset(&job, 0, sizeof(job));
		job.desc = &desc;
		job.path = argv[1];
		if (lade_digest_file(&desc.digest, &desc.size, LADE_DIGEST_SHA256, argv[1]) < 0 ||
		    lade_target_push_files(ot.target, &job, 1) < 0)
			goto failed;
	}
	rc = print_descriptor(&desc) < 0 ? fail() : EXIT_OK;
	goto done;
failed:
	rc = fail();
done:
	opened_target_dispose(&ot);
	return rc;
}

int cmd_blob(int argc, char **argv)
{
	static const struct option long_options[] = {
	    TARGET_LONG_OPTIONS,
	    {"output", required_argument, NULL, 'o'},
	    {"descriptor", no_argument, NULL, OPT_DESCRIPTOR},
	    {"media-type", required_argument, NULL, OPT_MEDIA_TYPE},
	    {"force", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	target_opts topts;
	opened_target ot;
	lade_descriptor desc;
	lade_blob_job job;
	const char *output = NULL, *media_type = "application/octet-stream";
	int opt, handled, rc = EXIT_FAILURE_, descriptor = 0, force = 0, deleting;

	target_opts_init(&topts);
	while ((opt = getopt_long(argc, argv, TARGET_SHORT_OPTIONS "o:f", long_options, NULL)) != -1) {
		if ((handled = target_opts_handle(&topts, opt, optarg)) < 0)
			return usage_error("blob", "bad arguments");
		if (handled)
			continue;
		if (opt == 'h') {
			printf("%s\n%s", BLOB_HELP, TARGET_OPTIONS_HELP);
			return EXIT_OK;
		} else if (opt == 'o') {
			output = optarg;
		} else if (opt == OPT_DESCRIPTOR) {
			descriptor = 1;
		} else if (opt == OPT_MEDIA_TYPE) {
			media_type = optarg;
		} else if (opt == 'f') {
			force = 1;
		} else {
			return usage_error("blob", "bad arguments");
		}
	}
	if (argc - optind < 1 || (strcmp(argv[optind], "fetch") != 0 && strcmp(argv[optind], "push") != 0 &&
				  strcmp(argv[optind], "delete") != 0))
		return usage_error("blob", "blob takes a subcommand: fetch, push or delete");
	if (strcmp(argv[optind], "push") == 0)
		return blob_push(argc - optind - 1, argv + optind + 1, &topts, media_type);
	deleting = !strcmp(argv[optind++], "delete");
	if (argc - optind != 1)
		return usage_error("blob", "blob %s takes exactly one reference", deleting ? "delete" : "fetch");
	if (!deleting && !output && !descriptor)
		return usage_error("blob", "say where the blob goes: -o FILE, or -o - for standard output");
	if (target_opts_finish(&topts) < 0)
		return usage_error("blob", "bad credentials options");
	if (open_target(&ot, argv[optind], &topts, 0) < 0)
		return open_failed(&ot);
	memset(&desc, 0, sizeof(desc));
	if (!strchr(ot.reference, ':')) {
		rc = usage_error("blob", "'%s' names no digest: write <ref>@<digest>", argv[optind]);
		goto done;
	}
	lade_digest_parse(&desc.digest, ot.reference);
	desc.media_type = "application/octet-stream";
	if (lade_target_blob_size(ot.target, &desc.digest, &desc.size) < 0) {
		rc = fail();
		goto done;
	}
	if (descriptor) {
		rc = print_descriptor(&desc) < 0 ? fail() : EXIT_OK;
		goto done;
	}
	if (deleting) {
		char what[LADE_DIGEST_STRLEN + 16];
		snprintf(what, sizeof(what), "the blob %s", desc.digest.str);
		if (!force && !confirmed(what)) {
			fprintf(stderr, "lade: %s kept\n", desc.digest.str);
			goto done;
		}
		if (lade_target_delete(ot.target, &desc) < 0) {
			rc = fail();
			goto done;
		}
		printf("Deleted %s@%s\n", ot.is_layout ? ot.repository : ot.display, desc.digest.str);
		rc = EXIT_OK;
		goto done;
	}
	if (strcmp(output, "-") == 0) {
		/* Verified in a temporary file first, then copied out. */
		rc = lade_blob_fetch_fd(ot.target, &desc, STDOUT_FILENO) < 0 ? fail() : EXIT_OK;
		goto done;
	}
	memset(&job, 0, sizeof(job));
	job.desc = &desc;
	job.path = output;
	rc = lade_target_fetch_files(ot.target, &job, 1) < 0 ? fail() : EXIT_OK;
done:
	opened_target_dispose(&ot);
	return rc;
}
