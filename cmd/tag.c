/* lade tag: more tags for a manifest that is there (no blob moves), or tags removed. */
#include "common.h"

#include <string.h>

static const char TAG_HELP[] = "Usage: lade tag [options] <ref> <tag>...\n"
			       "       lade tag --delete [options] <ref>:<tag>...\n"
			       "\n"
			       "Point each tag at the manifest <ref> names (a tag or a digest), as oras tag\n"
			       "does: the manifest is sent again under each tag, no blob moves. In an OCI\n"
			       "layout the tags are recorded in index.json.\n"
			       "--delete removes the tags named, keeping the manifest: in a layout, and\n"
			       "on registries that allow it (distribution-spec 1.1 DELETE by tag; many,\n"
			       "docker-registry among them, answer that they do not).\n"
			       "\n"
			       "Options:\n"
			       "      --delete              remove the tags instead\n";

enum { OPT_DELETE = 2301 };

/* tag --delete host/repo:t1 host/repo:t2 ...: each reference names the tag to remove. */
static int untag(int argc, char **argv, const target_opts *topts)
{
	int i, rc = EXIT_OK;
	for (i = 0; i < argc; i++) {
		opened_target ot;
		if (open_target(&ot, argv[i], topts, 0) < 0) {
			rc = open_failed(&ot);
			break;
		}
		if (!ot.reference[0] || strchr(ot.reference, ':')) {
			opened_target_dispose(&ot);
			rc = usage_error("tag", "'%s' names no tag to remove", argv[i]);
			break;
		}
		if (lade_target_untag(ot.target, ot.reference) < 0)
			rc = fail();
		else
			printf("Untagged %s\n", ot.reference);
		opened_target_dispose(&ot);
		if (rc != EXIT_OK)
			break;
	}
	return rc;
}

int cmd_tag(int argc, char **argv)
{
	static const struct option long_options[] = {
	    TARGET_LONG_OPTIONS,
	    {"delete", no_argument, NULL, OPT_DELETE},
	    {NULL, 0, NULL, 0},
	};
	target_opts topts;
	opened_target ot;
	lade_descriptor desc;
	lade_buf bytes;
	int opt, handled, i, rc = EXIT_OK, deleting = 0;

	target_opts_init(&topts);
	while ((opt = getopt_long(argc, argv, TARGET_SHORT_OPTIONS, long_options, NULL)) != -1) {
		if ((handled = target_opts_handle(&topts, opt, optarg)) < 0)
			return usage_error("tag", "bad arguments");
		if (handled)
			continue;
		if (opt == 'h') {
			printf("%s\n%s", TAG_HELP, TARGET_OPTIONS_HELP);
			return EXIT_OK;
		} else if (opt == OPT_DELETE) {
			deleting = 1;
		} else {
			return usage_error("tag", "bad arguments");
		}
	}
	if (target_opts_finish(&topts) < 0)
		return usage_error("tag", "bad credentials options");
	if (deleting)
		return argc - optind < 1 ? usage_error("tag", "tag --delete takes the tags to remove")
					 : untag(argc - optind, argv + optind, &topts);
	if (argc - optind < 2)
		return usage_error("tag", "tag takes a reference and at least one tag");
	for (i = optind + 1; i < argc; i++)
		if (lade_ref_validate_tag(argv[i]) < 0)
			return usage_error("tag", "'%s': %s", argv[i], lade_error_last()->message);
	if (open_target(&ot, argv[optind], &topts, 0) < 0)
		return open_failed(&ot);
	lade_buf_init(&bytes, 4 * 1024 * 1024);
	if (lade_manifest_fetch(ot.target, ot.reference[0] ? ot.reference : "latest", &desc, &bytes) < 0) {
		rc = fail();
		goto done;
	}
	/* The bytes as they are: the digest stays. */
	for (i = optind + 1; i < argc && rc == EXIT_OK; i++) {
		if (lade_target_tag(ot.target, &desc, bytes.ptr, bytes.size, argv[i]) < 0)
			rc = fail();
		else
			printf("Tagged %s\n", argv[i]);
	}
	if (rc == EXIT_OK)
		printf("Digest: %s\n", desc.digest.str);
	lade_descriptor_dispose(&desc);
done:
	lade_buf_dispose(&bytes);
	opened_target_dispose(&ot);
	return rc;
}
