/* lade pull: an artifact's layers become files (and folders) again. */
#include "common.h"

#include "lade/semver.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char PULL_HELP[] = "Usage: lade pull [options] <ref>\n"
				"\n"
				"Pull an artifact: every layer titled with org.opencontainers.image.title\n"
				"becomes a file under the output folder, folder layers are unpacked, and\n"
				"Helm charts and wasm binaries come back under their ecosystem's name\n"
				"(<name>-<version>.tgz, <repository>.wasm) even without a title. Other\n"
				"layers are reported as skipped. Titles that are absolute, leave the\n"
				"folder with '..' or through a symlink are refused. Files are written\n"
				"whole or not at all.\n"
				"\n"
				"Options:\n"
				"  -o, --output DIR            output folder (default .); '-' writes the one\n"
				"                              selected layer to standard output, verified first\n"
				"      --file NAME             pull only the layer with this name (repeatable)\n"
				"      --media-type TYPE       pull only layers of this media type (repeatable)\n"
				"  -k, --keep-old-files        do not replace existing files\n"
				"  -T, --allow-path-traversal  allow titles outside the output folder\n"
				"      --preserve-permissions  unpacked folders keep their files' exact modes\n"
				"      --max-unpack-size SIZE  a folder may unpack to SIZE (500M, 20G; default\n"
				"                              1 GiB or 20 times its compressed size)\n"
				"      --max-unpack-entries N  a folder may hold N entries (default 1000000)\n"
				"      --version V             the tag to pull, as helm pull --version: a version\n"
				"                              (1.2.3, '+' as '_') or a constraint ('^1.2',\n"
				"                              '~1.2.0', '>=1.0 <2.0') met by the newest tag that\n"
				"                              is a strict semantic version\n"
				"      --platform P            an image index: pull its manifest for P\n"
				"                              (os/arch[/variant]; default this machine's)\n"
				"\n"
				"oci://host/ns/chart is Helm's form: without a tag or --version, the newest\n"
				"release among the repository's version tags is pulled.\n";

static int add_string(const char ***list, size_t *count, const char *value)
{
	const char **grown = realloc(*list, (*count + 1) * sizeof(**list));
	if (!grown)
		return -1;
	grown[(*count)++] = value;
	*list = grown;
	return 0;
}

int cmd_pull(int argc, char **argv)
{
	static const struct option long_options[] = {
	    TARGET_LONG_OPTIONS,
	    {"output", required_argument, NULL, 'o'},
	    {"keep-old-files", no_argument, NULL, 'k'},
	    {"allow-path-traversal", no_argument, NULL, 'T'},
	    {"file", required_argument, NULL, OPT_FILE},
	    {"media-type", required_argument, NULL, OPT_MEDIA_TYPE},
	    {"preserve-permissions", no_argument, NULL, OPT_PRESERVE_PERMISSIONS},
	    {"max-unpack-size", required_argument, NULL, OPT_MAX_UNPACK_SIZE},
	    {"max-unpack-entries", required_argument, NULL, OPT_MAX_UNPACK_ENTRIES},
	    {"version", required_argument, NULL, OPT_VERSION},
	    {"platform", required_argument, NULL, OPT_PLATFORM},
	    {NULL, 0, NULL, 0},
	};
	target_opts topts;
	lade_pull_options popts = LADE_PULL_OPTIONS_INIT;
	lade_pull_result result;
	opened_target ot;
	const char **file_names = NULL, **media_types = NULL;
	char size_text[32], repository[LADE_REF_PATH_MAX], refbuf[2048], picked[LADE_SEMVER_MAX];
	const char *version = NULL, *reference;
	int opt, handled, helm_style = 0, rc = EXIT_FAILURE_;
	size_t i, written = 0;
	FILE *report;

	memset(&ot, 0, sizeof(ot));
	target_opts_init(&topts);
	while ((opt = getopt_long(argc, argv, TARGET_SHORT_OPTIONS "o:kT", long_options, NULL)) != -1) {
		if ((handled = target_opts_handle(&topts, opt, optarg)) < 0) {
			rc = usage_error("pull", "bad arguments");
			goto done;
		}
		if (handled)
			continue;
		switch (opt) {
		case 'h':
			printf("%s\n%s", PULL_HELP, TARGET_OPTIONS_HELP);
			rc = EXIT_OK;
			goto done;
		case 'o':
			if (strcmp(optarg, "-") == 0)
				popts.output_fd = STDOUT_FILENO;
			else
				popts.output_dir = optarg;
			break;
		case 'k':
			popts.keep_old_files = 1;
			break;
		case 'T':
			popts.allow_path_traversal = 1;
			break;
		case OPT_FILE:
			if (add_string(&file_names, &popts.file_name_count, optarg) < 0)
				goto done;
			break;
		case OPT_MEDIA_TYPE:
			if (add_string(&media_types, &popts.media_type_count, optarg) < 0)
				goto done;
			break;
		case OPT_PRESERVE_PERMISSIONS:
			popts.preserve_permissions = 1;
			break;
		case OPT_MAX_UNPACK_SIZE:
			if (parse_bytes(optarg, &popts.max_unpack_size) < 0) {
				rc = usage_error("pull", "--max-unpack-size '%s' is not a size (500M, 20G)", optarg);
				goto done;
			}
			break;
		case OPT_VERSION:
			version = optarg;
			break;
		case OPT_PLATFORM:
			popts.platform = optarg;
			break;
		case OPT_MAX_UNPACK_ENTRIES: {
			char *end;
			unsigned long long n = strtoull(optarg, &end, 10);
			if (!*optarg || *end || n == 0) {
				rc = usage_error("pull", "--max-unpack-entries '%s' is not a positive count", optarg);
				goto done;
			}
			popts.max_unpack_entries = n;
			break;
		}
		default:
			rc = usage_error("pull", "bad arguments");
			goto done;
		}
	}
	popts.file_names = file_names;
	popts.media_types = media_types;
	if (argc - optind != 1) {
		rc = usage_error("pull", "pull takes exactly one reference");
		goto done;
	}
	if (target_opts_finish(&topts) < 0) {
		rc = usage_error("pull", "bad credentials options");
		goto done;
	}
	popts.kinds = lade_kinds_all(&popts.kind_count);
	if ((rc = copy_reference("pull", argv[optind], &topts, refbuf, sizeof(refbuf), &helm_style)) != 0)
		goto done;
	rc = EXIT_FAILURE_;
	if (helm_style) {
		/* Helm writes a version's '+' as '_' in tags (formats.md §5.5). */
		char *colon = strrchr(refbuf, ':'), *c;
		if (colon && !strchr(colon, '/') && !strchr(refbuf, '@'))
			for (c = colon; *c; c++)
				if (*c == '+')
					*c = '_';
	}
	if (open_target(&ot, refbuf, &topts, 0) < 0) {
		rc = open_failed(&ot);
		goto done;
	}
	reference = ot.reference[0] ? ot.reference : NULL;
	if (version) {
		if (reference && strchr(reference, ':')) {
			rc = usage_error("pull", "give a digest or --version, not both");
			goto done;
		}
		if (reference) {
			/* A tag and a version must agree, as in helm pull. */
			char want[LADE_SEMVER_MAX], *c;
			snprintf(want, sizeof(want), "%s", version);
			for (c = want; *c; c++)
				if (*c == '+')
					*c = '_';
			if (strcmp(want, reference) != 0) {
				rc = usage_error("pull", "the reference's tag '%s' is not --version '%s'", reference,
						 version);
				goto done;
			}
		}
	}
	if (version || (helm_style && !reference)) {
		if (lade_chart_version_tag(ot.target, version, picked, sizeof(picked)) < 0) {
			rc = fail();
			goto done;
		}
		reference = picked;
		if (!version || strcmp(version, picked) != 0)
			fprintf(stderr, "Version: %s\n", picked);
	}
	if (!reference)
		reference = "latest";
	/* Kinds name files after the repository: its path, or the layout folder's. */
	snprintf(repository, sizeof(repository), "%s", ot.repository);
	popts.repository = repository;
	if (lade_pull(ot.target, reference, &popts, &result) < 0) {
		const lade_error *e = lade_error_last();
		rc = fail();
		/* The library says which limit; the flags that move it are the CLI's to name. */
		if (e->code == LADE_ETOOLARGE && strstr(e->message, "unpacks to more than"))
			fprintf(stderr, "lade: --max-unpack-size sets a higher limit\n");
		else if (e->code == LADE_ETOOLARGE && strstr(e->message, "entries (the limit)"))
			fprintf(stderr, "lade: --max-unpack-entries sets a higher limit\n");
		goto done;
	}
	/* With -o - standard output carries the content: the report goes to standard error. */
	report = popts.output_fd >= 0 ? stderr : stdout;
	if (result.warning[0])
		fprintf(stderr, "Warning: %s\n", result.warning);
	for (i = 0; i < result.layer_count; i++) {
		const lade_pulled *p = &result.layers[i];
		const char *title = lade_annotations_get(&p->desc.annotations, LADE_ANNOTATION_TITLE);
		if (p->skipped) {
			fprintf(stderr, "Skipped %s %s\n", p->desc.digest.str, p->desc.media_type);
			continue;
		}
		written++;
		fprintf(report, "%s %s (%s)\n", p->unpacked ? "Unpacked" : "Downloaded",
			p->path ? p->path : (title ? title : p->desc.digest.str),
			human_size(p->desc.size, size_text, sizeof(size_text)));
	}
	fprintf(report, "Pulled %s%s%s\n", ot.display, ot.is_layout ? "" : (strchr(reference, ':') ? "@" : ":"),
		ot.is_layout ? "" : reference);
	if (result.kind)
		fprintf(report, "Kind: %s\n", result.kind->name);
	fprintf(report, "Files: %zu written, %zu skipped\n", written, result.layer_count - written);
	fprintf(report, "Digest: %s\n", result.manifest.digest.str);
	lade_pull_result_dispose(&result);
	rc = EXIT_OK;
done:
	free(file_names);
	free(media_types);
	opened_target_dispose(&ot);
	return rc;
}
