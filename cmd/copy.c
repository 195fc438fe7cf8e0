/* lade copy (cp): a manifest, an index or an artifact, with what it names, from one place to another. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

static const char COPY_HELP[] = "Usage: lade copy [options] <from> <to>[:tag1,tag2...]\n"
				"       lade cp ...\n"
				"\n"
				"Copy what <from> names (a tag or digest) to <to>: a manifest with its\n"
				"config and layers, an image index with every manifest (or --platform's),\n"
				"with -r the referrers of each too. Between registries, layouts, or one\n"
				"and the other (--from-oci-layout, --to-oci-layout). Manifests arrive byte\n"
				"for byte, children before parents and the tags last; blobs the\n"
				"destination has are skipped, blobs in another repository of the same\n"
				"registry are mounted, the rest stream through, verified on the way.\n"
				"Without tags in <to>, the tag of <from> is used, if it has one.\n"
				"\n"
				"Options:\n"
				"  -r, --recursive           copy the referrers (signatures, SBOMs) too\n"
				"      --platform P          an index: copy only its manifest for os/arch[/variant]\n"
				"      --from-<option>       a target option for <from> only (--from-oci-layout,\n"
				"                            --from-plain-http, --from-username, --from-ca-file...)\n"
				"      --to-<option>         a target option for <to> only (--to-oci-layout...)\n";

/* Every target option also as --from-X and --to-X, told apart by these offsets. */
enum { OPT_RECURSIVE = 2401, OPT_ALL_TAGS, FROM_BASE = 100000, TO_BASE = 200000 };

static const struct option BASE_OPTIONS[] = {TARGET_LONG_OPTIONS};
#define BASE_COUNT (sizeof(BASE_OPTIONS) / sizeof(BASE_OPTIONS[0]))

static char prefixed_names[2 * BASE_COUNT][64];
static struct option all_options[3 * BASE_COUNT + 5];

static const struct option *copy_options(void)
{
	size_t i, n = 0;
	if (all_options[0].name)
		return all_options;
	for (i = 0; i < BASE_COUNT; i++) {
		all_options[n++] = BASE_OPTIONS[i];
		if (BASE_OPTIONS[i].val == 'h')
			continue;
		snprintf(prefixed_names[2 * i], sizeof(prefixed_names[0]), "from-%s", BASE_OPTIONS[i].name);
		snprintf(prefixed_names[2 * i + 1], sizeof(prefixed_names[0]), "to-%s", BASE_OPTIONS[i].name);
		all_options[n] = BASE_OPTIONS[i];
		all_options[n].name = prefixed_names[2 * i];
		all_options[n++].val = BASE_OPTIONS[i].val + FROM_BASE;
		all_options[n] = BASE_OPTIONS[i];
		all_options[n].name = prefixed_names[2 * i + 1];
		all_options[n++].val = BASE_OPTIONS[i].val + TO_BASE;
	}
	all_options[n++] = (struct option){"recursive", no_argument, NULL, 'r'};
	all_options[n++] = (struct option){"platform", required_argument, NULL, OPT_PLATFORM};
	all_options[n++] = (struct option){"all-tags", no_argument, NULL, OPT_ALL_TAGS};
	all_options[n] = (struct option){NULL, 0, NULL, 0};
	return all_options;
}

/* The registry host of an opened registry target ("host:port/repo" -> "host:port"). */
static size_t host_length(const opened_target *ot)
{
	const char *slash = strchr(ot->display, '/');
	return slash ? (size_t)(slash - ot->display) : strlen(ot->display);
}

/* The tags of a repository, gathered (tag lists are bounded by the registry's pages). */
typedef struct tag_list {
	char **tags;
	size_t count, cap;
} tag_list;

static int gather(const char *tag, void *payload)
{
	tag_list *l = payload;
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **grown = realloc(l->tags, cap * sizeof(*grown));
		if (!grown)
			return lade_error_set_oom();
		l->tags = grown;
		l->cap = cap;
	}
	if (!(l->tags[l->count] = strdup(tag)))
		return lade_error_set_oom();
	l->count++;
	return 0;
}

/* --all-tags: each tag of the source repository, copied under the same tag; what is there is skipped. */
static int copy_all_tags(opened_target *src, opened_target *dst, lade_copy_options *copts)
{
	tag_list l = {NULL, 0, 0};
	size_t i, copied = 0;
	int rc = EXIT_OK;
	if (lade_target_list_tags(src->target, gather, &l) < 0)
		rc = fail();
	for (i = 0; i < l.count && rc == EXIT_OK; i++) {
		lade_copy_result result;
		const char *one[1] = {l.tags[i]};
		copts->tags = one;
		copts->tag_count = 1;
		if (lade_copy(src->target, dst->target, l.tags[i], copts, &result) < 0) {
			rc = failf("tag %s: %s", l.tags[i], lade_error_last()->message);
			break;
		}
		printf("Copied %s (%s): %zu manifests, %zu blobs copied, %zu there\n", l.tags[i],
		       result.root.digest.str, result.manifests, result.blobs_copied,
		       result.blobs_skipped + result.blobs_mounted);
		copied++;
		lade_copy_result_dispose(&result);
	}
	if (rc == EXIT_OK)
		printf("Tags: %zu copied\n", copied);
	for (i = 0; i < l.count; i++)
		free(l.tags[i]);
	free(l.tags);
	return rc;
}

int cmd_copy(int argc, char **argv)
{
	target_opts from, to;
	opened_target src, dst;
	lade_copy_options copts = LADE_COPY_OPTIONS_INIT;
	lade_copy_result result;
	char to_ref[2048], **tags = NULL, size_text[32];
	const char *one_tag[1];
	int opt, rc = EXIT_FAILURE_, ntags, handled, all_tags = 0;

	target_opts_init(&from);
	target_opts_init(&to);
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	while ((opt = getopt_long(argc, argv, TARGET_SHORT_OPTIONS "r", copy_options(), NULL)) != -1) {
		if (opt == 'h') {
			printf("%s\n%s", COPY_HELP, TARGET_OPTIONS_HELP);
			return EXIT_OK;
		} else if (opt == 'r') {
			copts.recursive = 1;
			continue;
		} else if (opt == OPT_PLATFORM) {
			copts.platform = optarg;
			continue;
		} else if (opt == OPT_ALL_TAGS) {
			all_tags = 1;
			continue;
		}
		/* A plain target option is for both sides; --from-X and --to-X for one. */
		if (opt >= TO_BASE)
			handled = target_opts_handle(&to, opt - TO_BASE, optarg);
		else if (opt >= FROM_BASE)
			handled = target_opts_handle(&from, opt - FROM_BASE, optarg);
		else if ((handled = target_opts_handle(&from, opt, optarg)) > 0)
			handled = target_opts_handle(&to, opt, optarg);
		if (handled <= 0)
			return usage_error("copy", "bad arguments");
	}
	if (argc - optind != 2)
		return usage_error("copy", "copy takes a source and a destination");
	if (target_opts_finish(&from) < 0 || target_opts_finish(&to) < 0)
		return usage_error("copy", "bad credentials options");
	snprintf(to_ref, sizeof(to_ref), "%s", argv[optind + 1]);
	ntags = split_tags(to_ref, &tags);
	for (int i = 0; i < ntags; i++)
		if (lade_ref_validate_tag(tags[i]) < 0) {
			rc = usage_error("copy", "'%s': %s", tags[i], lade_error_last()->message);
			goto done;
		}
	if (open_target(&src, argv[optind], &from, 0) < 0) {
		rc = open_failed(&src);
		goto done;
	}
	if (open_target(&dst, to_ref, &to, 1) < 0) {
		rc = open_failed(&dst);
		goto done;
	}
	/* Two repositories of one registry: blobs are mounted, not sent. */
	if (!src.is_layout && !dst.is_layout && host_length(&src) == host_length(&dst) &&
	    !strncmp(src.display, dst.display, host_length(&src)) && strcmp(src.repository, dst.repository) != 0)
		copts.mount_from = src.repository;
	if (all_tags) {
		rc = src.reference[0] || ntags || dst.reference[0]
			 ? usage_error("copy", "--all-tags copies repositories: name no tag")
			 : copy_all_tags(&src, &dst, &copts);
		if (rc == EXIT_OK && finish_target(&dst) != 0)
			rc = EXIT_FAILURE_;
		goto done;
	}
	if (!src.reference[0]) {
		rc = usage_error("copy", "'%s' names no tag or digest to copy", argv[optind]);
		goto done;
	}
	if (ntags) {
		copts.tags = (const char *const *)tags;
		copts.tag_count = (size_t)ntags;
	} else if (dst.reference[0] && !strchr(dst.reference, ':')) {
		one_tag[0] = dst.reference;
		copts.tags = one_tag;
		copts.tag_count = 1;
	} else if (!strchr(src.reference, ':') && !copts.platform) {
		one_tag[0] = src.reference; /* ORAS: the source's tag, when the destination names none */
		copts.tags = one_tag;
		copts.tag_count = 1;
	}
	if (lade_copy(src.target, dst.target, src.reference, &copts, &result) < 0) {
		rc = fail();
		goto done;
	}
	if (finish_target(&dst) != 0) {
		lade_copy_result_dispose(&result);
		goto done;
	}
	printf("Copied %s@%s => %s", src.is_layout ? src.repository : src.display, result.root.digest.str,
	       dst.is_layout ? dst.repository : dst.display);
	for (size_t i = 0; i < copts.tag_count; i++)
		printf("%c%s", i ? ',' : ':', copts.tags[i]);
	printf("\nManifests: %zu written\n", result.manifests);
	printf("Blobs: %zu copied (%s), %zu mounted, %zu already there\n", result.blobs_copied,
	       human_size(result.bytes_copied, size_text, sizeof(size_text)), result.blobs_mounted,
	       result.blobs_skipped);
	if (copts.recursive)
		printf("Referrers: %zu\n", result.referrers);
	printf("Digest: %s\n", result.root.digest.str);
	lade_copy_result_dispose(&result);
	rc = EXIT_OK;
done:
	free(tags);
	opened_target_dispose(&src);
	opened_target_dispose(&dst);
	return rc;
}
