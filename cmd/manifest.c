/* lade manifest fetch: print or save a manifest's exact bytes; lade manifest delete: remove one. */
#include "common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char MANIFEST_HELP[] =
    "Usage: lade manifest fetch [options] <ref>\n"
    "       lade manifest delete [options] <ref>\n"
    "       lade manifest push [options] <ref> <file|->\n"
    "\n"
    "Fetch the manifest that ref names (tag, default latest, or digest) and\n"
    "write its exact bytes to standard output or a file. The bytes are\n"
    "checked against the digest before they are written.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE         write to FILE instead of standard output\n"
    "      --descriptor          print the manifest's descriptor instead\n"
    "      --platform P          an index: fetch its manifest for P instead\n"
    "      --pretty              indent the JSON (the bytes are then not the digest's)\n"
    "\n"
    "delete removes the manifest ref names (by tag or digest) and every tag\n"
    "naming it; a referrer leaves its subject's referrers too. On a terminal\n"
    "it asks first unless --force is given.\n"
    "  -f, --force               delete without asking\n"
    "\n"
    "push sends a manifest or index as it is (its digest unchanged), checked\n"
    "first; ref's tag points at it, or without one it is stored by digest.\n"
    "      --media-type TYPE     its media type (default: its mediaType field)\n";

enum { OPT_DESCRIPTOR = 2101, OPT_PRETTY };

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

/* Read what manifest push sends: a file or standard input, 4 MiB at most (what registries take). */
static int read_manifest(const char *path, lade_buf *out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int err = 0;
	if (!f)
		return failf("cannot open '%s': %s", path, strerror(errno));
	while (err == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (lade_buf_put(out, chunk, n) < 0)
			err = failf("'%s' is over the 4 MiB a manifest may have", path);
	if (err == 0 && ferror(f))
		err = failf("cannot read '%s': %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	return err;
}

/* A manifest push's document must parse as lade reads what it pulls: one a registry would keep. */
static int check_document(const lade_descriptor *desc, const lade_buf *bytes)
{
	if (!strcmp(desc->media_type, LADE_MEDIATYPE_INDEX) || !strcmp(desc->media_type, LADE_MEDIATYPE_DOCKER_LIST)) {
		lade_index idx;
		if (lade_index_parse(&idx, bytes->ptr, bytes->size) < 0)
			return -1;
		lade_index_dispose(&idx);
	} else {
		lade_manifest m;
		if (lade_manifest_parse(&m, bytes->ptr, bytes->size) < 0)
			return -1;
		lade_manifest_dispose(&m);
	}
	return 0;
}

/* lade manifest push: checked, then sent byte for byte under ref's tag, or by digest. */
static int push_manifest(const char *ref, const char *path, const char *media_type, const target_opts *topts)
{
	opened_target ot;
	lade_descriptor desc;
	lade_buf bytes;
	char sniffed[256] = "";
	int rc = EXIT_FAILURE_;

	memset(&desc, 0, sizeof(desc));
	lade_buf_init(&bytes, 4 * 1024 * 1024);
	if (read_manifest(path, &bytes) != 0)
		goto done;
	if (lade_manifest_sniff_media_type(bytes.ptr, bytes.size, sniffed, sizeof(sniffed)) < 0) {
		rc = failf("'%s': %s", path, lade_error_last()->message);
		goto done;
	}
	if (!media_type && !sniffed[0]) {
		rc = usage_error("manifest", "'%s' has no mediaType field: give --media-type", path);
		goto done;
	}
	if (media_type && sniffed[0] && strcmp(media_type, sniffed) != 0) {
		rc = failf("'%s' says its mediaType is %s, not %s", path, sniffed, media_type);
		goto done;
	}
	desc.media_type = (char *)(media_type ? media_type : sniffed);
	if (!lade_mediatype_is_manifest(desc.media_type)) {
		rc = failf("%s is not a manifest or index media type", desc.media_type);
		goto done;
	}
	if (check_document(&desc, &bytes) < 0) {
		rc = failf("'%s' is not a valid %s: %s", path, desc.media_type, lade_error_last()->message);
		goto done;
	}
	desc.size = bytes.size;
	lade_digest_buffer(&desc.digest, LADE_DIGEST_SHA256, bytes.ptr, bytes.size);
	if (open_target(&ot, ref, topts, 1) < 0) {
		rc = open_failed(&ot);
		goto done;
	}
	if (ot.reference[0] && strchr(ot.reference, ':') && strcmp(ot.reference, desc.digest.str) != 0)
		rc = failf("'%s' names %s, but the manifest's digest is %s", ref, ot.reference, desc.digest.str);
	else if (ot.reference[0] && !strchr(ot.reference, ':'))
		rc = lade_target_tag(ot.target, &desc, bytes.ptr, bytes.size, ot.reference) < 0 ? fail() : EXIT_OK;
	else
		rc = lade_target_push_bytes(ot.target, &desc, bytes.ptr, bytes.size) < 0 ||
			     lade_target_tag(ot.target, &desc, NULL, 0, NULL) < 0
			 ? fail()
			 : EXIT_OK;
	if (rc == EXIT_OK) {
		int tagged = ot.reference[0] && !strchr(ot.reference, ':');
		printf("Pushed %s%s%s\nDigest: %s\n", ot.is_layout ? ot.repository : ot.display, tagged ? ":" : "",
		       tagged ? ot.reference : "", desc.digest.str);
	}
	opened_target_dispose(&ot);
done:
	lade_buf_dispose(&bytes);
	return rc;
}

int cmd_manifest(int argc, char **argv)
{
	static const struct option long_options[] = {
	    TARGET_LONG_OPTIONS,
	    {"output", required_argument, NULL, 'o'},
	    {"descriptor", no_argument, NULL, OPT_DESCRIPTOR},
	    {"force", no_argument, NULL, 'f'},
	    {"media-type", required_argument, NULL, OPT_MEDIA_TYPE},
	    {"platform", required_argument, NULL, OPT_PLATFORM},
	    {"pretty", no_argument, NULL, OPT_PRETTY},
	    {NULL, 0, NULL, 0},
	};
	target_opts topts;
	opened_target ot;
	lade_descriptor desc;
	lade_buf bytes;
	const char *output = NULL;
	const char *media_type = NULL, *platform = NULL;
	int opt, handled, rc, descriptor = 0, force = 0, deleting, pushing, pretty = 0;

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
		} else if (opt == OPT_MEDIA_TYPE) {
			media_type = optarg;
		} else if (opt == OPT_PLATFORM) {
			platform = optarg;
		} else if (opt == OPT_PRETTY) {
			pretty = 1;
		} else {
			return usage_error("manifest", "bad arguments");
		}
	}
	if (argc - optind < 1 || (strcmp(argv[optind], "fetch") != 0 && strcmp(argv[optind], "delete") != 0 &&
				  strcmp(argv[optind], "push") != 0))
		return usage_error("manifest", "manifest takes a subcommand: fetch, push or delete");
	deleting = !strcmp(argv[optind], "delete");
	pushing = !strcmp(argv[optind++], "push");
	if (pushing) {
		if (argc - optind != 2)
			return usage_error("manifest", "manifest push takes a reference and a file (or -)");
		if (target_opts_finish(&topts) < 0)
			return usage_error("manifest", "bad credentials options");
		return push_manifest(argv[optind], argv[optind + 1], media_type, &topts);
	}
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
	if (platform && is_index(&desc)) {
		/* The index's manifest for the platform, chosen from the bytes in hand and fetched by digest. */
		lade_descriptor chosen;
		int err = lade_index_choose(bytes.ptr, bytes.size, platform, &chosen);
		lade_buf_dispose(&bytes);
		lade_descriptor_dispose(&desc);
		if (err < 0 || lade_manifest_fetch(ot.target, chosen.digest.str, &desc, &bytes) < 0) {
			if (err == 0)
				lade_descriptor_dispose(&chosen);
			opened_target_dispose(&ot);
			return fail();
		}
		lade_descriptor_dispose(&chosen);
	}
	if (pretty && !descriptor) {
		cJSON *json = cJSON_ParseWithLength(bytes.ptr, bytes.size);
		char *text = json ? cJSON_Print(json) : NULL;
		rc = text ? write_all(output, text, strlen(text)) : failf("the manifest is not JSON");
		if (text && rc == EXIT_OK)
			rc = write_all(output, "\n", 1);
		free(text);
		cJSON_Delete(json);
		lade_buf_dispose(&bytes);
		lade_descriptor_dispose(&desc);
		opened_target_dispose(&ot);
		return rc;
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
