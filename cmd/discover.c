/* lade discover: what refers to a manifest (signatures, SBOMs, attestations), as a tree or as JSON. */
#include "common.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char DISCOVER_HELP[] =
    "Usage: lade discover [options] <subject>\n"
    "\n"
    "List the referrers of the manifest <subject> names (a tag or a digest):\n"
    "the artifacts attached to it, and theirs in turn, down to --depth. They\n"
    "are read through the registry's referrers API, else the subject's\n"
    "sha256-<hex> index tag, or from an OCI layout's index.json.\n"
    "\n"
    "Options:\n"
    "      --artifact-type TYPE  only referrers of this type (at every level)\n"
    "      --depth N             levels of referrers of referrers (default all, at most 16)\n"
    "      --format tree|json    a tree (default), or JSON: \"manifests\" lists the\n"
    "                            subject's referrers as the referrers index does,\n"
    "                            \"referrers\" the tree, each with its \"reference\"\n"
    "      --platform P          the subject is an index: discover its manifest for P\n";

/* Levels below the subject, and referrers in all: a hostile index cannot make the walk endless. */
#define DEPTH_MAX 16
#define NODES_MAX 10000

/* One level's referrers, collected so the tree knows which is the last. */
typedef struct level {
	lade_descriptor *items;
	size_t count, cap;
} level;

typedef struct discovery {
	opened_target *ot;
	const char *artifact_type;
	size_t depth_max, nodes;
	int json;
	const char *digests[DEPTH_MAX + 1]; /* the path from the subject: a referrer met again is not followed */
} discovery;

static int collect(const lade_descriptor *d, void *payload)
{
	level *lv = payload;
	if (lv->count == lv->cap) {
		size_t cap = lv->cap ? lv->cap * 2 : 8;
		lade_descriptor *grown = realloc(lv->items, cap * sizeof(*grown));
		if (!grown)
			return lade_error_set_oom();
		lv->items = grown;
		lv->cap = cap;
	}
	if (lade_descriptor_copy(&lv->items[lv->count], d) < 0)
		return lade_error_last()->code;
	lv->count++;
	return 0;
}

static void level_dispose(level *lv)
{
	size_t i;
	for (i = 0; i < lv->count; i++)
		lade_descriptor_dispose(&lv->items[i]);
	free(lv->items);
}

/* The annotations worth a look in a tree line: when it was made, and what it is. */
static void print_notes(const lade_descriptor *d)
{
	static const char *const keys[] = {"org.opencontainers.image.created", "org.opencontainers.image.title",
					   "org.opencontainers.image.description"};
	size_t i;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = lade_annotations_get(&d->annotations, keys[i]);
		if (v)
			printf("  %s=%s", keys[i] + strlen("org.opencontainers.image."), v);
	}
}

/* The repository a reference by digest is written in: host/repository, or the layout's folder. */
static const char *where(const opened_target *ot)
{
	return ot->is_layout ? ot->repository : ot->display;
}

static cJSON *descriptor_json(const lade_descriptor *d)
{
	lade_buf text;
	cJSON *json = NULL;
	lade_buf_init(&text, 4 * 1024 * 1024);
	if (lade_descriptor_encode(&text, d) == 0)
		json = cJSON_ParseWithLength(text.ptr, text.size);
	lade_buf_dispose(&text);
	return json;
}

/*
 * The referrers of subject, depth levels down: printed as the tree below
 * prefix, or added to the JSON array out. Returns 0 or an error.
 */
static int discover_level(discovery *ds, const lade_descriptor *subject, size_t depth, const char *prefix, cJSON *out)
{
	level lv = {NULL, 0, 0};
	size_t i, j;
	int err;

	if ((err = lade_target_referrers(ds->ot->target, subject, ds->artifact_type, collect, &lv)) < 0) {
		level_dispose(&lv);
		return err;
	}
	ds->nodes += lv.count;
	if (ds->nodes > NODES_MAX) {
		level_dispose(&lv);
		return lade_error_set(LADE_ETOOLARGE, "more than %d referrers below %s; refusing to list them all",
				      NODES_MAX, subject->digest.str);
	}
	ds->digests[depth] = subject->digest.str;
	for (i = 0; i < lv.count && err == 0; i++) {
		const lade_descriptor *d = &lv.items[i];
		int last = i + 1 == lv.count, seen = 0;
		for (j = 0; j <= depth; j++)
			seen |= !strcmp(ds->digests[j], d->digest.str);
		if (ds->json) {
			char ref[sizeof(ds->ot->display) + LADE_DIGEST_STRLEN + 2];
			cJSON *node = descriptor_json(d), *below = cJSON_CreateArray();
			if (!node || !below) {
				cJSON_Delete(node);
				cJSON_Delete(below);
				err = lade_error_set_oom();
				break;
			}
			snprintf(ref, sizeof(ref), "%s@%s", where(ds->ot), d->digest.str);
			cJSON_AddItemToObject(node, "reference", cJSON_CreateString(ref));
			cJSON_AddItemToObject(node, "referrers", below);
			cJSON_AddItemToArray(out, node);
			if (!seen && depth + 1 < ds->depth_max)
				err = discover_level(ds, d, depth + 1, "", below);
		} else {
			char below[4 * (DEPTH_MAX + 2)];
			printf("%s%s %s  %s", prefix, last ? "└──" : "├──",
			       d->artifact_type ? d->artifact_type : "(no artifactType)", d->digest.str);
			print_notes(d);
			printf("\n");
			snprintf(below, sizeof(below), "%s%s", prefix, last ? "    " : "│   ");
			if (!seen && depth + 1 < ds->depth_max)
				err = discover_level(ds, d, depth + 1, below, NULL);
		}
	}
	level_dispose(&lv);
	return err;
}

int cmd_discover(int argc, char **argv)
{
	static const struct option long_options[] = {
	    TARGET_LONG_OPTIONS,
	    {"artifact-type", required_argument, NULL, OPT_ARTIFACT_TYPE},
	    {"depth", required_argument, NULL, OPT_DEPTH},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"platform", required_argument, NULL, OPT_PLATFORM},
	    {NULL, 0, NULL, 0},
	};
	target_opts topts;
	opened_target ot;
	discovery ds;
	lade_descriptor subject;
	const char *platform = NULL;
	char refbuf[2048];
	int opt, handled, helm_style = 0, rc = EXIT_FAILURE_;

	memset(&ds, 0, sizeof(ds));
	memset(&ot, 0, sizeof(ot));
	memset(&subject, 0, sizeof(subject));
	ds.depth_max = DEPTH_MAX;
	target_opts_init(&topts);
	while ((opt = getopt_long(argc, argv, TARGET_SHORT_OPTIONS, long_options, NULL)) != -1) {
		if ((handled = target_opts_handle(&topts, opt, optarg)) < 0)
			return usage_error("discover", "bad arguments");
		if (handled)
			continue;
		switch (opt) {
		case 'h':
			printf("%s\n%s", DISCOVER_HELP, TARGET_OPTIONS_HELP);
			return EXIT_OK;
		case OPT_ARTIFACT_TYPE:
			ds.artifact_type = optarg;
			break;
		case OPT_DEPTH: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (!*optarg || *end || n < 1 || n > DEPTH_MAX)
				return usage_error("discover", "--depth takes 1 to %d, not '%s'", DEPTH_MAX, optarg);
			ds.depth_max = (size_t)n;
			break;
		}
		case OPT_FORMAT:
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "tree") != 0)
				return usage_error("discover", "--format takes tree or json, not '%s'", optarg);
			ds.json = !strcmp(optarg, "json");
			break;
		case OPT_PLATFORM:
			platform = optarg;
			break;
		default:
			return usage_error("discover", "bad arguments");
		}
	}
	if (argc - optind != 1)
		return usage_error("discover", "discover takes exactly one subject");
	if (target_opts_finish(&topts) < 0)
		return usage_error("discover", "bad credentials options");
	if ((rc = copy_reference("discover", argv[optind], &topts, refbuf, sizeof(refbuf), &helm_style)) != 0)
		return rc;
	if (open_target(&ot, refbuf, &topts, 0) < 0)
		return open_failed(&ot);
	ds.ot = &ot;
	if (resolve_subject(&ot, ot.reference[0] ? ot.reference : "latest", platform, &subject) < 0) {
		/*
		 * A subject deleted since: its referrers may still be there, found by its digest (the
		 * registry's list, or the fallback tag named after the digest).
		 */
		if (lade_error_last()->code != LADE_ENOTFOUND || strncmp(ot.reference, "sha256:", 7) != 0 ||
		    lade_digest_parse(&subject.digest, ot.reference) < 0) {
			rc = failf("the subject %s: %s", argv[optind], lade_error_last()->message);
			goto done;
		}
		fprintf(stderr, "lade: warning: %s is not there any more; listing what still refers to it\n",
			ot.reference);
		if (!(subject.media_type = strdup(LADE_MEDIATYPE_MANIFEST))) {
			rc = fail();
			goto done;
		}
	}
	if (ds.json) {
		cJSON *root = descriptor_json(&subject), *tree = cJSON_CreateArray(), *direct = cJSON_CreateArray();
		char ref[sizeof(ot.display) + LADE_DIGEST_STRLEN + 2], *text = NULL;
		size_t i;
		int err = root && tree && direct ? 0 : lade_error_set_oom();
		if (err == 0) {
			snprintf(ref, sizeof(ref), "%s@%s", where(&ot), subject.digest.str);
			cJSON_AddItemToObject(root, "reference", cJSON_CreateString(ref));
			err = discover_level(&ds, &subject, 0, "", tree);
		}
		/* "manifests": the subject's own referrers as its referrers index lists them (ORAS 1.1's shape) */
		for (i = 0; err == 0 && i < (size_t)cJSON_GetArraySize(tree); i++) {
			cJSON *entry = cJSON_Duplicate(cJSON_GetArrayItem(tree, (int)i), 1);
			cJSON_DeleteItemFromObject(entry, "reference");
			cJSON_DeleteItemFromObject(entry, "referrers");
			cJSON_AddItemToArray(direct, entry);
		}
		if (err == 0) {
			cJSON_AddItemToObject(root, "manifests", direct);
			cJSON_AddItemToObject(root, "referrers", tree);
			direct = tree = NULL;
			if ((text = cJSON_Print(root)))
				printf("%s\n", text);
		}
		free(text);
		cJSON_Delete(root);
		cJSON_Delete(tree);
		cJSON_Delete(direct);
		rc = err < 0 ? fail() : EXIT_OK;
	} else {
		printf("%s@%s\n", where(&ot), subject.digest.str);
		rc = discover_level(&ds, &subject, 0, "", NULL) < 0 ? fail() : EXIT_OK;
	}
done:
	lade_descriptor_dispose(&subject);
	opened_target_dispose(&ot);
	return rc;
}
