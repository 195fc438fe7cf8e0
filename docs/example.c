/*
 * example.c - push a file with liblade and pull it back, using only the
 * public headers. Build against an installed lade:
 *
 *   cc example.c $(pkg-config --cflags --libs lade) -o example
 *   ./example FILE LAYOUT_DIR OUT_DIR              # through an OCI layout
 *   ./example FILE HOST:PORT/REPO:TAG OUT_DIR http  # through a registry (plain HTTP)
 */
#include <lade/lade.h>

#include <stdio.h>
#include <string.h>

static int report(const char *what)
{
	const lade_error *e = lade_error_last();
	fprintf(stderr, "example: %s: %s (%s)\n", what, e->message, lade_error_name(e->code));
	return 1;
}

int main(int argc, char **argv)
{
	lade_target *target = NULL;
	lade_ref ref; /* the tag below points into it: it must outlive the push */
	lade_push_file file = {0};
	lade_push_options push = LADE_PUSH_OPTIONS_INIT;
	lade_pull_options pull = LADE_PULL_OPTIONS_INIT;
	lade_push_result pushed;
	lade_pull_result pulled;
	const char *tags[] = {"example"};
	const char *reference = "example";
	int rc = 1;

	if (argc < 4) {
		fprintf(stderr, "usage: example FILE (LAYOUT_DIR | HOST:PORT/REPO:TAG) OUT_DIR [http]\n");
		return 2;
	}
	if (argc > 4) {
		lade_registry_options opts = LADE_REGISTRY_OPTIONS_INIT;
		opts.plain_http = strcmp(argv[4], "http") == 0;
		if (lade_ref_parse(&ref, argv[2]) < 0)
			return report("bad reference");
		if (ref.tag[0]) {
			tags[0] = ref.tag;
			reference = ref.tag;
		}
		if (lade_registry_open(&target, &ref, &opts) < 0)
			return report("cannot open registry");
	} else if (lade_layout_open(&target, argv[2], 1) < 0) {
		return report("cannot open layout");
	}

	file.path = argv[1];
	file.media_type = "application/octet-stream";
	push.files = &file;
	push.file_count = 1;
	push.tags = tags;
	push.tag_count = 1;
	if (lade_push(target, &push, &pushed) < 0) {
		report("push failed");
		goto done;
	}
	printf("pushed %s\n", pushed.manifest.digest.str);
	lade_push_result_dispose(&pushed);

	pull.output_dir = argv[3];
	if (lade_pull(target, reference, &pull, &pulled) < 0) {
		report("pull failed");
		goto done;
	}
	printf("pulled %zu file(s) into %s\n", pulled.layer_count, argv[3]);
	lade_pull_result_dispose(&pulled);
	rc = 0;
done:
	lade_target_free(target);
	return rc;
}
