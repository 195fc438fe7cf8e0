/* lade pull: an artifact's titled layers become files. */
#include "common.h"

#include <string.h>

static const char PULL_HELP[] =
	"Usage: lade pull [options] <ref>\n"
	"\n"
	"Pull an artifact: every layer titled with org.opencontainers.image.title\n"
	"becomes a file under the output folder; other layers are reported as\n"
	"skipped. Titles that are absolute, leave the folder with '..' or through\n"
	"a symlink are refused. Files are written whole or not at all.\n"
	"\n"
	"Options:\n"
	"  -o, --output DIR            output folder (default .)\n"
	"  -k, --keep-old-files        do not replace existing files\n"
	"  -T, --allow-path-traversal  allow titles outside the output folder\n";

int cmd_pull(int argc, char **argv)
{
	static const struct option long_options[] = {
		TARGET_LONG_OPTIONS,
		{"output", required_argument, NULL, 'o'},
		{"keep-old-files", no_argument, NULL, 'k'},
		{"allow-path-traversal", no_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	target_opts topts;
	lade_pull_options popts = LADE_PULL_OPTIONS_INIT;
	lade_pull_result result;
	opened_target ot;
	char size_text[32];
	int opt, handled, rc = EXIT_FAILURE_;
	size_t i, written = 0;

	memset(&ot, 0, sizeof(ot));
	target_opts_init(&topts);
	while ((opt = getopt_long(argc, argv, "u:p:o:kTh", long_options, NULL)) != -1) {
		if ((handled = target_opts_handle(&topts, opt, optarg)) < 0)
			return usage_error("pull", "bad arguments");
		if (handled)
			continue;
		switch (opt) {
		case 'h':
			printf("%s\n%s", PULL_HELP, TARGET_OPTIONS_HELP);
			return EXIT_OK;
		case 'o':
			popts.output_dir = optarg;
			break;
		case 'k':
			popts.keep_old_files = 1;
			break;
		case 'T':
			popts.allow_path_traversal = 1;
			break;
		default:
			return usage_error("pull", "bad arguments");
		}
	}
	if (argc - optind != 1)
		return usage_error("pull", "pull takes exactly one reference");
	if (target_opts_finish(&topts) < 0)
		return usage_error("pull", "bad credentials options");
	popts.kinds = lade_kinds_all(&popts.kind_count);
	if (open_target(&ot, argv[optind], &topts, 0) < 0)
		return open_failed(&ot);
	if (lade_pull(ot.target, ot.reference[0] ? ot.reference : "latest", &popts, &result) < 0) {
		rc = fail();
		goto done;
	}
	for (i = 0; i < result.layer_count; i++) {
		const lade_pulled *p = &result.layers[i];
		const char *title = lade_annotations_get(&p->desc.annotations, LADE_ANNOTATION_TITLE);
		if (p->skipped) {
			fprintf(stderr, "Skipped %s %s (no title)\n", p->desc.digest.str, p->desc.media_type);
			continue;
		}
		written++;
		printf("Downloaded %s (%s)\n", title ? title : p->path,
		       human_size(p->desc.size, size_text, sizeof(size_text)));
	}
	printf("Pulled %s%s%s\n", ot.display, ot.is_layout ? "" : (strchr(ot.reference, ':') ? "@" : ":"),
	       ot.is_layout ? "" : (ot.reference[0] ? ot.reference : "latest"));
	printf("Files: %zu written, %zu skipped\n", written, result.layer_count - written);
	printf("Digest: %s\n", result.manifest.digest.str);
	lade_pull_result_dispose(&result);
	rc = EXIT_OK;
done:
	lade_target_free(ot.target);
	return rc;
}
