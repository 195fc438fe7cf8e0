/* lade push: files become one artifact in a registry or layout. */
#include "common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char PUSH_HELP[] =
    "Usage: lade push [options] <ref>[:tag1,tag2...] <file>[:mediatype]...\n"
    "       ('-' reads one layer from standard input, titled \"stdin\")\n"
    "\n"
    "Push files as the layers of one artifact. Each file is titled with its\n"
    "path (org.opencontainers.image.title); the config is the empty\n"
    "descriptor unless --config is given. The same inputs give the same\n"
    "manifest digest: no time is recorded unless SOURCE_DATE_EPOCH is set.\n"
    "\n"
    "Options:\n"
    "      --artifact-type TYPE  manifest artifactType (default application/vnd.unknown.artifact.v1)\n"
    "  -a, --annotation KEY=VAL  manifest annotation (repeatable)\n"
    "      --annotation-file F   JSON: {\"$manifest\":{..}, \"$config\":{..}, \"<file>\":{..}}\n"
    "      --config F[:TYPE]     use F as the config blob (default type application/vnd.unknown.config.v1+json)\n"
    "      --export-manifest F   also write the pushed manifest to F\n"
    "      --kind NAME           treat every input as this kind (see 'lade kinds')\n"
    "\n"
    "Kinds are recognised: a Helm chart .tgz, a wasm module or component, a\n"
    "tarball and a folder are pushed as their ecosystems expect. For a Helm\n"
    "chart, oci://host/ns appends the chart's name and tags the version, as\n"
    "helm push does; any chart or wasm reference without a tag takes the\n"
    "version ('+' written '_').\n";

static const char ATTACH_HELP[] =
    "Usage: lade attach [options] --artifact-type TYPE <subject> [<file>[:mediatype]...]\n"
    "\n"
    "Attach files to what is already there: push an artifact whose subject is\n"
    "the manifest <subject> names (a tag or a digest), so it is listed among\n"
    "that manifest's referrers (lade discover). The subject's tags and digest\n"
    "do not change. With no files, the artifact is its annotations alone (a\n"
    "signature, an attestation). Where the registry has no referrers API the\n"
    "subject's sha256-<hex> index tag is kept up to date instead.\n"
    "\n"
    "Options:\n"
    "      --artifact-type TYPE  the referrer's artifactType (required)\n"
    "  -a, --annotation KEY=VAL  manifest annotation (repeatable)\n"
    "      --annotation-file F   JSON: {\"$manifest\":{..}, \"$config\":{..}, \"<file>\":{..}}\n"
    "      --config F[:TYPE]     use F as the config blob (default: the empty config)\n"
    "      --export-manifest F   also write the pushed manifest to F\n"
    "      --platform P          the subject is an index: attach to its manifest for P\n";

typedef struct push_state {
	int attach; /* lade attach: files are layers whatever they look like */
	lade_annotations manifest_annotations;
	lade_annotations config_annotations;
	lade_annotations *file_annotations; /* one per file */
	lade_push_file *files;
	lade_kind_input *inputs; /* one: the single file's, probed up front */
	char **mimes;            /* per file: libmagic's answer, asked early, or NULL */
	size_t probed;           /* where the packager's last probe was */
	char **file_args;
	size_t file_count;
	cJSON *annotation_file;
} push_state;

static int add_annotation(lade_annotations *a, const char *kv, const char *what)
{
	const char *eq = strchr(kv, '=');
	char key[512];
	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
		fprintf(stderr, "lade: %s '%s' is not KEY=VALUE\n", what, kv);
		return -1;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	if (lade_annotations_get(a, key)) {
		fprintf(stderr, "lade: annotation '%s' given twice\n", key);
		return -1;
	}
	if (lade_annotations_set(a, key, eq + 1) < 0)
		return fail(), -1;
	return 0;
}

static int load_annotation_map(lade_annotations *out, const cJSON *map, const char *key, const char *file)
{
	const cJSON *item;
	if (!map)
		return 0;
	if (!cJSON_IsObject(map)) {
		fprintf(stderr, "lade: '%s': \"%s\" must be an object of strings\n", file, key);
		return -1;
	}
	cJSON_ArrayForEach (item, map) {
		if (!cJSON_IsString(item)) {
			fprintf(stderr, "lade: '%s': annotation \"%s\" of \"%s\" must be a string\n", file,
				item->string, key);
			return -1;
		}
		if (lade_annotations_set(out, item->string, item->valuestring) < 0)
			return -1;
	}
	return 0;
}

static int read_annotation_file(push_state *st, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data;
	size_t len;
	const size_t cap = 4u << 20;
	if (!f)
		return failf("cannot open annotation file '%s': %s", path, strerror(errno)), -1;
	if (!(data = malloc(cap + 1))) {
		fclose(f);
		return -1;
	}
	len = fread(data, 1, cap + 1, f);
	fclose(f);
	if (len > cap) {
		free(data);
		return failf("annotation file '%s' is over 4 MiB", path), -1;
	}
	data[len] = '\0';
	/* cJSON would cut a string at a NUL, and these strings become titles: refuse them instead. */
	if (memchr(data, '\0', len) || strstr(data, "\\u0000")) {
		free(data);
		return failf("annotation file '%s' holds a NUL character (\\u0000); refusing it", path), -1;
	}
	st->annotation_file = cJSON_ParseWithLength(data, len);
	free(data);
	if (!cJSON_IsObject(st->annotation_file))
		return failf("annotation file '%s' is not a JSON object", path), -1;
	return 0;
}

/* Split "path:type" at the last colon; a trailing colon means no type. */
static void split_file_arg(char *arg, const char **path, const char **type)
{
	char *colon = strrchr(arg, ':');
	*path = arg;
	*type = NULL;
	if (colon) {
		*colon = '\0';
		if (colon[1])
			*type = colon + 1;
	}
}

/*
 * Describe one input and choose its kind (lade_push_options.probe): for a
 * single file now, for many files as the packager reaches each, so only
 * one lade_kind_input exists at a time.
 */
static int probe_file(lade_kind_input *in, const lade_kind **kind, const char *path, const char *media_type,
		      void *payload)
{
	push_state *st = payload;
	const char *early = NULL;
	size_t i;
	/* The packager goes through the files in order: look from where the last one was. */
	for (i = 0; st && !media_type && i < st->file_count; i++) {
		size_t at = (st->probed + i) % st->file_count;
		if (st->files[at].path != path)
			continue;
		st->probed = at + 1;
		early = st->mimes[at];
		break;
	}
	/* What lade_push does for a library user too; libmagic's early answer, when there is one, is not asked again. */
	if (lade_kinds_push_probe(in, kind, path, media_type ? media_type : early, NULL) < 0)
		return lade_error_last()->code;
	/* An attached chart or wasm binary is a file among the referrer's layers, not an artifact of its own. */
	if (st && st->attach && *kind && (*kind)->artifact) {
		*kind = lade_kinds_find("file");
		if (!early && !media_type)
			lade_kinds_probe_mime(in);
	}
	if (early && !media_type)
		snprintf(in->mime, sizeof(in->mime), "%s", early);
	return 0;
}

/* libmagic's answer for file i, asked before libcurl and OpenSSL load, so its database costs no peak memory. */
static int probe_mime_early(push_state *st, size_t i, const char *path, const lade_kind *forced)
{
	const lade_kind *kind = forced;
	if (probe_file(st->inputs, &kind, path, NULL, NULL) < 0)
		return -1;
	if (kind == lade_kinds_find("file") && !(st->mimes[i] = strdup(st->inputs->mime)))
		return -1;
	return 0;
}

static void push_state_dispose(push_state *st)
{
	size_t i;
	lade_annotations_dispose(&st->manifest_annotations);
	lade_annotations_dispose(&st->config_annotations);
	for (i = 0; st->file_annotations && i < st->file_count; i++)
		lade_annotations_dispose(&st->file_annotations[i]);
	free(st->file_annotations);
	free(st->files);
	free(st->inputs);
	for (i = 0; st->mimes && i < st->file_count; i++)
		free(st->mimes[i]);
	free(st->mimes);
	cJSON_Delete(st->annotation_file);
}

/* The subject --subject names: a tag or digest of the repository pushed to, or a whole reference to it. */
static int subject_reference(const opened_target *ot, const char *arg, const target_opts *topts, char *out,
			     size_t outlen)
{
	opened_target probe;
	const char *at = strrchr(arg, '@'), *slash = strrchr(arg, '/'), *colon = strrchr(arg, ':');
	if (!slash) {
		snprintf(out, outlen, "%s", arg);
		return 0;
	}
	(void)at;
	(void)colon;
	/* A whole reference: parsed as the target's, and it must be the same repository. */
	memset(&probe, 0, sizeof(probe));
	if (topts->oci_layout) {
		lade_layout_ref lr;
		if (lade_layout_ref_parse(&lr, arg) < 0)
			return -1;
		if (strcmp(lr.path, ot->repository) != 0)
			goto elsewhere;
		snprintf(out, outlen, "%s", lr.digest[0] ? lr.digest : lr.tag);
	} else {
		lade_ref r;
		char display[sizeof(probe.display)];
		if (lade_ref_parse(&r, arg) < 0)
			return -1;
		snprintf(display, sizeof(display), "%s/%s", r.registry, r.repository);
		if (strcmp(display, ot->display) != 0)
			goto elsewhere;
		snprintf(out, outlen, "%s", r.digest[0] ? r.digest : r.tag);
	}
	return 0;
elsewhere:
	lade_error_set(LADE_EINVALID, "the subject '%s' is not in '%s': a referrer lives in its subject's repository",
		       arg, ot->display);
	return -1;
}

static int push_main(int argc, char **argv, int attach)
{
	static const struct option long_options[] = {
	    TARGET_LONG_OPTIONS,
	    {"artifact-type", required_argument, NULL, OPT_ARTIFACT_TYPE},
	    {"annotation", required_argument, NULL, 'a'},
	    {"annotation-file", required_argument, NULL, OPT_ANNOTATION_FILE},
	    {"config", required_argument, NULL, OPT_CONFIG},
	    {"export-manifest", required_argument, NULL, OPT_EXPORT_MANIFEST},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"subject", required_argument, NULL, OPT_SUBJECT},
	    {"platform", required_argument, NULL, OPT_PLATFORM},
	    {NULL, 0, NULL, 0},
	};
	const char *cmd = attach ? "attach" : "push", *subject_arg = NULL, *platform = NULL;
	lade_descriptor subject;
	int have_subject = 0;
	target_opts topts;
	push_state st;
	lade_push_options popts = LADE_PUSH_OPTIONS_INIT;
	lade_push_result result;
	opened_target ot;
	char *config_arg = NULL, **tags = NULL, created[32], refbuf[2048], size_text[32];
	const char *annotation_file = NULL, *export_manifest = NULL, *epoch;
	const lade_kind *forced_kind = NULL;
	lade_buf implied_tag;
	int opt, ntags, rc = EXIT_FAILURE_, handled, helm_style = 0, k;
	char **stdin_typed = NULL;
	size_t i, stdin_typed_count = 0;

	memset(&st, 0, sizeof(st));
	memset(&ot, 0, sizeof(ot));
	memset(&subject, 0, sizeof(subject));
	st.attach = attach;
	lade_buf_init(&implied_tag, 256);
	target_opts_init(&topts);
	/* "-:TYPE" is standard input with a media type, but getopt would read it
	 * as the option ':'. It passes getopt as ":TYPE" and gets its dash back
	 * afterwards, found by address: getopt only reorders argv's pointers. */
	if (!(stdin_typed = calloc((size_t)argc, sizeof(*stdin_typed))))
		goto done;
	for (k = 1; k < argc && strcmp(argv[k], "--") != 0; k++)
		if (strncmp(argv[k], "-:", 2) == 0)
			stdin_typed[stdin_typed_count++] = ++argv[k];
	while ((opt = getopt_long(argc, argv, TARGET_SHORT_OPTIONS "a:", long_options, NULL)) != -1) {
		for (i = 0; optarg && i < stdin_typed_count; i++)
			if (optarg == stdin_typed[i]) /* an option's value that began with "-:" */
				optarg--;
		if ((handled = target_opts_handle(&topts, opt, optarg)) < 0)
			goto usage;
		if (handled)
			continue;
		switch (opt) {
		case 'h':
			printf("%s\n%s", attach ? ATTACH_HELP : PUSH_HELP, TARGET_OPTIONS_HELP);
			rc = EXIT_OK;
			goto done;
		case OPT_SUBJECT:
			if (attach)
				goto usage;
			subject_arg = optarg;
			break;
		case OPT_PLATFORM:
			platform = optarg;
			break;
		case OPT_ARTIFACT_TYPE:
			popts.artifact_type = optarg;
			break;
		case 'a':
			if (add_annotation(&st.manifest_annotations, optarg, "--annotation") < 0)
				goto usage;
			break;
		case OPT_ANNOTATION_FILE:
			annotation_file = optarg;
			break;
		case OPT_CONFIG:
			config_arg = optarg;
			break;
		case OPT_EXPORT_MANIFEST:
			export_manifest = optarg;
			break;
		case OPT_KIND:
			if (attach)
				goto usage;
			if (!(forced_kind = lade_kinds_find(optarg))) {
				rc = usage_error("push", "unknown kind '%s' (see 'lade kinds')", optarg);
				goto done;
			}
			break;
		default:
			goto usage;
		}
	}
	for (k = optind; k < argc; k++)
		for (i = 0; i < stdin_typed_count; i++)
			if (argv[k] == stdin_typed[i])
				argv[k]--;
	if (argc - optind < 1) {
		rc = usage_error(cmd, attach ? "attach needs a subject" : "push needs a reference");
		goto done;
	}
	if (attach && !popts.artifact_type) {
		rc = usage_error(cmd, "attach needs --artifact-type: what the referrer is (an SBOM, a signature...)");
		goto done;
	}
	if (!attach && platform && !subject_arg) {
		rc = usage_error(cmd, "--platform chooses a subject's manifest: it goes with --subject");
		goto done;
	}
	if (annotation_file && st.manifest_annotations.count) {
		rc = usage_error("push", "--annotation and --annotation-file cannot be combined");
		goto done;
	}
	if (target_opts_finish(&topts) < 0)
		goto usage;
	/* oci://host/ns is Helm's form: the chart's name is appended once the chart is read. */
	if ((rc = copy_reference(cmd, argv[optind], &topts, refbuf, sizeof(refbuf), &helm_style)) != 0)
		goto done;
	rc = EXIT_FAILURE_;
	if (attach && helm_style) {
		rc = usage_error(cmd, "the subject is a reference, not an oci:// chart repository");
		goto done;
	}
	/* attach: the reference is the subject's, and nothing is tagged */
	ntags = attach ? 0 : split_tags(refbuf, &tags);
	for (i = 0; i < (size_t)ntags; i++) {
		if (lade_ref_validate_tag(tags[i]) < 0) {
			failf("invalid reference '%s': %s", argv[optind], lade_error_last()->message);
			rc = EXIT_USAGE;
			goto done;
		}
	}
	if (annotation_file && read_annotation_file(&st, annotation_file) < 0)
		goto done;

	st.file_count = (size_t)(argc - optind - 1);
	st.files = calloc(st.file_count + 1, sizeof(*st.files));
	st.inputs = calloc(1, sizeof(*st.inputs));
	st.mimes = calloc(st.file_count + 1, sizeof(*st.mimes));
	st.file_annotations = calloc(st.file_count + 1, sizeof(*st.file_annotations));
	if (!st.files || !st.inputs || !st.mimes || !st.file_annotations)
		goto done;
	for (i = 0; i < st.file_count; i++) {
		char *arg = argv[optind + 1 + i];
		const char *path, *type;
		const cJSON *map = st.annotation_file ? cJSON_GetObjectItemCaseSensitive(st.annotation_file, arg)
						      : NULL;
		split_file_arg(arg, &path, &type);
		/* ORAS keys the annotation file by the path; the argument as written works too. */
		if (st.annotation_file && !map)
			map = cJSON_GetObjectItemCaseSensitive(st.annotation_file, path);
		if (map && load_annotation_map(&st.file_annotations[i], map, path, annotation_file) < 0)
			goto done;
		if (!*path) {
			rc = usage_error("push", "empty file name in '%s'", argv[optind + 1 + i]);
			goto done;
		}
		st.files[i].path = path;
		st.files[i].media_type = type;
		st.files[i].annotations = &st.file_annotations[i];
		st.files[i].title = lade_annotations_get(&st.file_annotations[i], LADE_ANNOTATION_TITLE);
		st.files[i].kind = forced_kind;
		if (strcmp(path, "-") == 0)
			continue; /* standard input: a plain file of unknown size */
		if (st.file_count > 1) {
			/*
			 * Many files are described one by one as the packager reaches them;
			 * libmagic is asked now, before libcurl and OpenSSL load, and only its
			 * answer is kept.
			 */
			if (!type && probe_mime_early(&st, i, path, forced_kind) < 0) {
				rc = fail();
				goto done;
			}
			continue;
		}
		/* One file may be a chart or wasm binary that names the repository: look at it now. */
		if (probe_file(st.inputs, &st.files[i].kind, path, type, attach ? &st : NULL) < 0) {
			rc = fail();
			goto done;
		}
		st.files[i].input = st.inputs;
	}
	/* Every file asked libmagic what it is: its database goes before libcurl and OpenSSL come. */
	lade_kinds_release_mime();
	popts.probe = probe_file;
	popts.probe_payload = &st;
	if (st.annotation_file &&
	    (load_annotation_map(&st.manifest_annotations,
				 cJSON_GetObjectItemCaseSensitive(st.annotation_file, "$manifest"), "$manifest",
				 annotation_file) < 0 ||
	     load_annotation_map(&st.config_annotations,
				 cJSON_GetObjectItemCaseSensitive(st.annotation_file, "$config"), "$config",
				 annotation_file) < 0))
		goto done;
	if (config_arg) {
		const char *path, *type;
		split_file_arg(config_arg, &path, &type);
		popts.config_path = path;
		popts.config_media_type = type;
	}
	if ((epoch = getenv("SOURCE_DATE_EPOCH")) && *epoch) {
		if (lade_created_from_epoch(epoch, created, sizeof(created)) < 0) {
			rc = fail();
			goto done;
		}
		popts.created = created;
	}
	popts.files = st.files;
	popts.file_count = st.file_count;
	popts.annotations = &st.manifest_annotations;
	popts.config_annotations = &st.config_annotations;
	/* The repository and default tag an artifact kind implies (Helm's naming policy), the library's rule. */
	if (st.file_count == 1 && st.files[0].kind && !attach) {
		lade_buf target_ref;
		lade_buf_init(&target_ref, sizeof(refbuf));
		if (lade_kinds_push_reference(st.files[0].kind, &st.inputs[0], refbuf, helm_style, &target_ref,
					      &implied_tag) < 0) {
			lade_buf_dispose(&target_ref);
			rc = helm_style ? usage_error("push", "%s", lade_error_last()->message) : fail();
			goto done;
		}
		snprintf(refbuf, sizeof(refbuf), "%s", target_ref.ptr);
		lade_buf_dispose(&target_ref);
	} else if (helm_style) {
		rc = usage_error("push", "oci:// references are for Helm charts; '%s' is not one",
				 st.file_count ? st.files[0].path : "(nothing)");
		goto done;
	}
	if (!attach) {
		const char *at = strrchr(refbuf, '@'), *slash = strrchr(refbuf, '/');
		if (at && (!slash || at > slash)) {
			rc = usage_error("push", "push takes tags, not a digest: '%s'", argv[optind]);
			goto done;
		}
	}
	if (open_target(&ot, refbuf, &topts, !attach) < 0) {
		rc = open_failed(&ot);
		goto done;
	}
	if (attach || subject_arg) {
		char subject_ref[sizeof(ot.reference) + 8];
		if (attach)
			snprintf(subject_ref, sizeof(subject_ref), "%s", ot.reference[0] ? ot.reference : "latest");
		else if (subject_reference(&ot, subject_arg, &topts, subject_ref, sizeof(subject_ref)) < 0) {
			rc = usage_error(cmd, "--subject '%s': %s", subject_arg, lade_error_last()->message);
			goto done;
		}
		if (resolve_subject(&ot, subject_ref, platform, &subject) < 0) {
			rc = failf("the subject %s: %s", attach ? argv[optind] : subject_arg,
				   lade_error_last()->message);
			goto done;
		}
		have_subject = 1;
		popts.subject = &subject;
	}
	if (attach) {
		/* a referrer is found through its subject, not by a tag */
	} else if (!ntags && !ot.reference[0] && implied_tag.size) {
		static const char *implied[1];
		implied[0] = implied_tag.ptr;
		popts.tags = implied;
		popts.tag_count = 1;
	} else if (!ntags && !ot.reference[0] && !ot.is_layout) {
		static char latest[] = "latest";
		static char *latest_list[] = {latest};
		popts.tags = (const char *const *)latest_list;
		popts.tag_count = 1;
	} else if (ntags) {
		popts.tags = (const char *const *)tags;
		popts.tag_count = (size_t)ntags;
	} else if (ot.reference[0]) {
		static const char *one[1];
		one[0] = ot.reference;
		popts.tags = one;
		popts.tag_count = 1;
	}
	if (lade_push(ot.target, &popts, &result) < 0) {
		rc = fail();
		goto done;
	}
	if (export_manifest) {
		FILE *f = fopen(export_manifest, "wb");
		if (!f ||
		    fwrite(result.manifest_bytes.ptr, 1, result.manifest_bytes.size, f) != result.manifest_bytes.size ||
		    fclose(f) != 0) {
			rc = failf("cannot write '%s': %s", export_manifest, strerror(errno));
			lade_push_result_dispose(&result);
			goto done;
		}
	}
	if (attach) {
		printf("Attached to %s@%s\n", ot.is_layout ? ot.repository : ot.display, subject.digest.str);
	} else {
		printf("Pushed %s", ot.display);
		for (i = 0; i < popts.tag_count; i++)
			printf("%c%s", i ? ',' : ':', popts.tags[i]);
		printf("\nKind: %s\n", st.file_count == 1 && st.files[0].kind ? st.files[0].kind->name : "files");
		if (have_subject)
			printf("Subject: %s\n", subject.digest.str);
	}
	if (result.manifest.artifact_type)
		printf("ArtifactType: %s\n", result.manifest.artifact_type);
	printf("Blobs: %zu pushed (%s), %zu already present\n", result.blobs_pushed,
	       human_size(result.bytes_pushed, size_text, sizeof(size_text)), result.blobs_skipped);
	printf("Digest: %s\n", result.manifest.digest.str);
	lade_push_result_dispose(&result);
	rc = EXIT_OK;
	goto done;
usage:
	rc = usage_error(cmd, "bad arguments");
done:
	lade_descriptor_dispose(&subject);
	opened_target_dispose(&ot);
	free(tags);
	free(stdin_typed);
	push_state_dispose(&st);
	lade_buf_dispose(&implied_tag);
	return rc;
}

int cmd_push(int argc, char **argv)
{
	return push_main(argc, argv, 0);
}

int cmd_attach(int argc, char **argv)
{
	return push_main(argc, argv, 1);
}
