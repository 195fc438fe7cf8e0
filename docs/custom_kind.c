/*
 * custom_kind.c - a kind of artifact of your own: CSV files, recognised by
 * their name and first line, checked (every row has the header's number
 * of fields) and pushed as text/csv with the column count annotated. A
 * bad file is refused with a message set by lade_error_set, which comes
 * out of lade_push like any of lade's own. Build against an installed lade:
 *
 *   cc custom_kind.c $(pkg-config --cflags --libs lade) -o custom_kind
 *   ./custom_kind FILE.csv LAYOUT_DIR
 */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <lade/lade.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t fields(const char *line)
{
	size_t n = 1;
	for (; *line && *line != '\n'; line++)
		n += *line == ',';
	return n;
}

/* 0 (not ours) to 100 (certainly ours): a .csv name and a first line with a comma. */
static int csv_detect(const lade_kind *k, const lade_kind_input *in)
{
	size_t len = strlen(in->path);
	(void)k;
	if (in->is_dir || len < 4 || strcmp(in->path + len - 4, ".csv") != 0)
		return 0;
	return memchr(in->head, ',', in->head_len) ? 80 : 0;
}

/* The layer for one CSV file; errors go through lade_error_set, as lade's own kinds do. */
static int csv_layer(const lade_kind *k, const lade_kind_input *in, lade_kind_layer *out)
{
	char line[4096], count[32];
	size_t columns = 0, row = 0;
	FILE *f = fopen(in->path, "r");
	(void)k;
	if (!f)
		return lade_error_set(LADE_EIO, "cannot open '%s'", in->path);
	while (fgets(line, sizeof(line), f)) {
		size_t n = fields(line);
		row++;
		if (row == 1) {
			columns = n;
		} else if (n != columns) {
			fclose(f);
			return lade_error_set(LADE_EINVALID, "'%s' line %zu has %zu fields, the header %zu", in->path,
					      row, n, columns);
		}
	}
	fclose(f);
	if (!out->desc.media_type && !(out->desc.media_type = strdup("text/csv")))
		return lade_error_set(LADE_ENOMEM, "out of memory");
	snprintf(count, sizeof(count), "%zu", columns);
	return lade_annotations_set(&out->desc.annotations, "com.example.csv.columns", count);
}

static const lade_kind csv_kind = {
    .name = "csv",
    .summary = "comma-separated values, checked row by row",
    .media_types = "text/csv",
    .detect = csv_detect,
    .layer = csv_layer,
};

int main(int argc, char **argv)
{
	lade_kind_input in;
	lade_target *target;
	lade_push_file file = {0};
	lade_push_options push = LADE_PUSH_OPTIONS_INIT;
	lade_push_result pushed;
	lade_manifest m;
	const char *tags[] = {"csv"};
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: custom_kind FILE.csv LAYOUT_DIR\n");
		return 2;
	}
	if (lade_kinds_probe(&in, argv[1]) < 0 || lade_layout_open(&target, argv[2], 1) < 0) {
		fprintf(stderr, "custom_kind: %s\n", lade_error_last()->message);
		return 1;
	}
	file.path = argv[1];
	/* Our kind when it claims the file, else lade's own choice. */
	file.kind = csv_kind.detect(&csv_kind, &in) > 0 ? &csv_kind : lade_kinds_detect(&in);
	file.input = &in;
	push.files = &file;
	push.file_count = 1;
	push.tags = tags;
	push.tag_count = 1;
	if (lade_push(target, &push, &pushed) < 0) {
		fprintf(stderr, "custom_kind: %s (%s)\n", lade_error_last()->message,
			lade_error_name(lade_error_last()->code));
		goto done;
	}
	if (lade_manifest_parse(&m, pushed.manifest_bytes.ptr, pushed.manifest_bytes.size) == 0) {
		const char *columns = lade_annotations_get(&m.layers[0].annotations, "com.example.csv.columns");
		printf("pushed %s as %s (kind %s), %s columns\n", argv[1], m.layers[0].media_type, file.kind->name,
		       columns ? columns : "no");
		lade_manifest_dispose(&m);
	}
	lade_push_result_dispose(&pushed);
	rc = 0;
done:
	lade_target_free(target);
	return rc;
}
