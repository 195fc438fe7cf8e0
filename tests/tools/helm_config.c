/*
 * helm_config: what lade makes of Chart.yaml and of a tag list, for the
 * table-driven comparison with Go (tests/tools/helmref, integration/helm_exact.sh).
 *
 *   helm_config config CHART_YAML [REQUIREMENTS_YAML]   the config bytes, or "error"
 *   helm_config pick 'CONSTRAINT' < tags                 the tag Helm would pull, or "error"
 */
#include "internal.h"
#include "helm_meta.h"

#include "lade/semver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_file(const char *path, lade_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (lade_buf_put(out, chunk, n) < 0)
			break;
	fclose(f);
	return 0;
}

static int config(int argc, char **argv)
{
	lade__helm_metadata md;
	lade_buf chart, req, json;
	int err;
	memset(&md, 0, sizeof(md));
	lade_buf_init(&chart, 8 << 20);
	lade_buf_init(&req, 8 << 20);
	lade_buf_init(&json, 8 << 20);
	if (read_file(argv[2], &chart) < 0 || (argc > 3 && read_file(argv[3], &req) < 0))
		return 2;
	err = lade__helm_metadata_apply(&md, "chart.tgz", "Chart.yaml", chart.ptr ? chart.ptr : "", chart.size);
	if (err == 0 && !md.api_version)
		md.api_version = strdup("v1");
	if (err == 0 && argc > 3)
		err = lade__helm_metadata_apply(&md, "chart.tgz", "requirements.yaml", req.ptr ? req.ptr : "",
						req.size);
	if (err == 0)
		err = lade__helm_metadata_validate(&md, "chart.tgz");
	if (err == 0)
		err = lade__helm_metadata_json(&md, &json);
	if (err == 0)
		printf("%.*s\n", (int)json.size, json.ptr);
	else
		printf("error\n");
	fprintf(stderr, "%s\n", err ? lade_error_last()->message : "");
	lade__helm_metadata_dispose(&md);
	lade_buf_dispose(&chart);
	lade_buf_dispose(&req);
	lade_buf_dispose(&json);
	return 0;
}

static int pick(const char *wanted)
{
	lade_version_picker p;
	char line[1024], tag[LADE_SEMVER_MAX];
	if (lade_version_picker_init(&p, wanted) < 0) {
		printf("error\n");
		return 0;
	}
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		lade_version_picker_add(&p, line);
	}
	if (lade_version_picker_result(&p, tag, sizeof(tag)) < 0)
		printf("error\n");
	else
		printf("%s\n", tag);
	lade_version_picker_dispose(&p);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "config"))
		return config(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "pick"))
		return pick(argv[2]);
	fprintf(stderr, "usage: helm_config config CHART_YAML [REQUIREMENTS] | pick CONSTRAINT < tags\n");
	return 2;
}
