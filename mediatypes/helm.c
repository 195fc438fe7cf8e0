/*
 * The Helm chart kind: a .tgz whose first entry is <name>/Chart.yaml,
 * pushed as `helm push` does (formats.md §5): config is Chart.yaml's
 * metadata as JSON in Helm's key order, the chart layer is the exact .tgz,
 * a <chart>.tgz.prov beside it becomes the provenance layer, layers sorted
 * by digest and untitled, Helm's manifest annotations, no manifest
 * mediaType and no artifactType. Unlike helm push, `created` comes from
 * SOURCE_DATE_EPOCH or the newest time recorded inside the archive, never
 * from the file's time on disk, so the same .tgz always gives the same
 * manifest. On pull the chart comes back as <name>-<version>.tgz.
 */
#include "internal.h"
#include "archive_loader.h"
#include "kinds.h"
#include "json.h"
#include "fsutil.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define HELM_CONFIG "application/vnd.cncf.helm.config.v1+json"
#define HELM_CHART "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
#define HELM_PROV "application/vnd.cncf.helm.chart.provenance.v1.prov"
#define HELM_LEGACY_CHART "application/tar+gzip"

/* Helm's loader limits (pkg/chart/loader/archive). */
#define MAX_DECOMPRESSED ((uint64_t)100 << 20)
#define MAX_FILE ((uint64_t)5 << 20)

static int helm_detect(const lade_kind *k, const lade_kind_input *in)
{
	const char *slash = strchr(in->first_entry, '/');
	(void)k;
	if (!in->is_tar || strcmp(in->compression, "gzip") != 0 || !slash || slash == in->first_entry)
		return 0;
	return strcmp(slash, "/Chart.yaml") == 0 ? 90 : 0;
}

/* What a scan of the chart archive found. */
typedef struct chart_scan {
	char top[256];        /* the top folder: the chart's name on disk */
	lade_buf chart_yaml;
	int64_t newest;       /* newest modification time recorded inside */
	size_t files;
} chart_scan;

/* Helm's path rules: no absolute paths, no "..", no drive letters; '\' counts as '/'. */
static int check_chart_path(const char *archive, const char *name, char *clean, size_t cleanlen)
{
	size_t i, len = strlen(name);
	if (len >= cleanlen)
		return lade__error(LADE_EINVALID, "chart '%s': entry name too long", archive);
	for (i = 0; i <= len; i++)
		clean[i] = name[i] == '\\' ? '/' : name[i];
	if (clean[0] == '/')
		return lade__error(LADE_EUNSAFE, "chart '%s': entry '%s' has an absolute path", archive, name);
	if (len >= 2 && isalpha((unsigned char)clean[0]) && clean[1] == ':')
		return lade__error(LADE_EUNSAFE, "chart '%s': entry '%s' has a drive letter", archive, name);
	if (strcmp(clean, "..") == 0 || strncmp(clean, "../", 3) == 0 || strstr(clean, "/../") ||
	    (len >= 3 && strcmp(clean + len - 3, "/..") == 0))
		return lade__error(LADE_EUNSAFE, "chart '%s': entry '%s' climbs out with '..'", archive, name);
	return 0;
}

/*
 * Read the chart archive: every entry checked against Helm's rules and
 * limits (whole), or only as far as Chart.yaml (!whole, for naming: the
 * push reads it whole again anyway).
 */
static int scan_chart(const char *path, chart_scan *scan, int whole)
{
	struct archive *a;
	struct archive_entry *entry;
	char clean[PATH_MAX], chunk[65536];
	uint64_t total = 0;
	int r, err = 0, fd = -1;

	memset(scan, 0, sizeof(*scan));
	lade_buf_init(&scan->chart_yaml, MAX_FILE);
	if ((err = lade__archive_load()) < 0)
		return err;
	if (!(a = archive_read_new()))
		return lade__error_oom();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if ((fd = lade__open_regular(path)) < 0) {
		err = fd;
		fd = -1;
		goto done;
	}
	if (archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK) {
		err = lade__error(LADE_EINVALID, "chart '%s' is not a gzip tar archive", path);
		goto done;
	}
	while ((r = archive_read_next_header(a, &entry)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(entry), *slash;
		uint64_t size = 0;
		int is_chart_yaml;
		la_ssize_t n;
		if (!name || (err = check_chart_path(path, name, clean, sizeof(clean))) < 0) {
			if (!name)
				err = lade__error(LADE_EINVALID, "chart '%s': an entry has no name", path);
			goto done;
		}
		if (archive_entry_filetype(entry) == AE_IFDIR)
			continue;
		if (archive_entry_filetype(entry) != AE_IFREG) {
			err = lade__error(LADE_EUNSAFE, "chart '%s': entry '%s' is not a regular file", path, name);
			goto done;
		}
		slash = strchr(clean, '/');
		if (!slash) {
			if (strcmp(clean, "Chart.yaml") == 0)
				err = lade__error(LADE_EINVALID, "chart '%s': Chart.yaml is not in the chart's folder", path);
			else
				err = lade__error(LADE_EINVALID, "chart '%s': entry '%s' is outside the chart's folder", path,
						  name);
			goto done;
		}
		if (!scan->top[0]) {
			if ((size_t)(slash - clean) >= sizeof(scan->top)) {
				err = lade__error(LADE_EINVALID, "chart '%s': folder name too long", path);
				goto done;
			}
			memcpy(scan->top, clean, (size_t)(slash - clean));
		}
		is_chart_yaml = strcmp(slash, "/Chart.yaml") == 0 && strncmp(clean, scan->top, strlen(scan->top)) == 0 &&
				(size_t)(slash - clean) == strlen(scan->top);
		if (archive_entry_mtime(entry) > scan->newest)
			scan->newest = archive_entry_mtime(entry);
		scan->files++;
		/* Count what really comes out, not what headers claim. */
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
			size += (uint64_t)n;
			total += (uint64_t)n;
			if (size > MAX_FILE) {
				err = lade__error(LADE_ETOOLARGE, "chart '%s': '%s' is over Helm's 5 MiB limit for a file", path,
						  name);
				goto done;
			}
			if (total > MAX_DECOMPRESSED) {
				err = lade__error(LADE_ETOOLARGE, "chart '%s' unpacks to over Helm's 100 MiB limit", path);
				goto done;
			}
			if (is_chart_yaml && (err = lade_buf_put(&scan->chart_yaml, chunk, (size_t)n)) < 0)
				goto done;
		}
		if (n < 0) {
			err = lade__error(LADE_EINVALID, "chart '%s' is damaged: %s", path, archive_error_string(a));
			goto done;
		}
		if (is_chart_yaml && !whole)
			goto done;
	}
	if (r != ARCHIVE_EOF) {
		err = lade__error(LADE_EINVALID, "chart '%s' is damaged: %s", path,
				  archive_error_string(a) ? archive_error_string(a) : "bad archive");
		goto done;
	}
	if (!scan->files)
		err = lade__error(LADE_EINVALID, "chart '%s' holds no files", path);
	else if (!scan->chart_yaml.size)
		err = lade__error(LADE_EINVALID, "chart '%s' has no %s/Chart.yaml", path, scan->top);
done:
	archive_read_free(a);
	if (fd >= 0)
		close(fd);
	if (err < 0)
		lade_buf_dispose(&scan->chart_yaml);
	return err;
}

/* ---- Chart.yaml ---- */

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);
		if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

static const char *scalar(yaml_node_t *node)
{
	return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

/*
 * Limits on Chart.yaml as go-yaml (Helm's parser, through sigs.k8s.io/yaml)
 * sets them: nesting deeper than 10,000 is refused, and so is aliasing
 * that expands the document past what its size explains (go-yaml's
 * "excessive aliasing"). lade counts the nodes an expansion produces.
 */
#define YAML_DEPTH_MAX 10000
#define YAML_EXPANSION_MAX 100000

/*
 * Read Chart.yaml as events before building anything: nesting is counted
 * as it opens (so a 100,000-deep document stops at the limit, not after
 * libyaml has built it), and every scalar is checked for a NUL that would
 * cut a name short ("1.0.0\0../../x").
 */
static int check_yaml(const unsigned char *text, size_t len, const char *path)
{
	yaml_parser_t parser;
	yaml_event_t event;
	size_t depth = 0, aliases = 0;
	int err = 0, done = 0;

	if (!yaml_parser_initialize(&parser))
		return lade__error_oom();
	yaml_parser_set_input_string(&parser, text, len);
	while (!done && err == 0) {
		if (!yaml_parser_parse(&parser, &event)) {
			err = lade__error(LADE_EINVALID, "chart '%s': Chart.yaml is not valid YAML (line %zu: %s)", path,
					  parser.problem_mark.line + 1, parser.problem ? parser.problem : "parse error");
			break;
		}
		switch (event.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > YAML_DEPTH_MAX)
				err = lade__error(LADE_ETOOLARGE, "chart '%s': Chart.yaml: nesting too deep (over %d levels, line %zu)",
						  path, YAML_DEPTH_MAX, event.start_mark.line + 1);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (memchr(event.data.scalar.value, '\0', event.data.scalar.length))
				err = lade__error(LADE_EINVALID, "chart '%s': Chart.yaml: a string holds a NUL character (line %zu)",
						  path, event.start_mark.line + 1);
			break;
		case YAML_ALIAS_EVENT:
			aliases++;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	(void)aliases;
	return err;
}

/* A YAML node as JSON: plain scalars that read as booleans, null or numbers keep that type. */
static cJSON *node_to_json(yaml_document_t *doc, yaml_node_t *node, int depth, size_t *budget)
{
	cJSON *out;
	/* Aliases make the document a graph; expanded, it may be exponential (billion laughs). */
	if (*budget == 0)
		return NULL;
	(*budget)--;
	if (!node || depth > 64)
		return cJSON_CreateNull();
	if (node->type == YAML_SCALAR_NODE) {
		const char *v = (const char *)node->data.scalar.value;
		char *end;
		double d;
		if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return cJSON_CreateString(v);
		if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
			return cJSON_CreateTrue();
		if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
			return cJSON_CreateFalse();
		if (!*v || !strcmp(v, "~") || !strcmp(v, "null"))
			return cJSON_CreateNull();
		d = strtod(v, &end);
		if (*end == '\0' && (isdigit((unsigned char)v[0]) || v[0] == '-'))
			return cJSON_CreateNumber(d);
		return cJSON_CreateString(v);
	}
	if (node->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *item;
		out = cJSON_CreateArray();
		for (item = node->data.sequence.items.start; out && item < node->data.sequence.items.top; item++) {
			cJSON *child = node_to_json(doc, yaml_document_get_node(doc, *item), depth + 1, budget);
			if (!child) {
				cJSON_Delete(out);
				return NULL;
			}
			cJSON_AddItemToArray(out, child);
		}
		return out;
	}
	out = cJSON_CreateObject();
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; out && pair < node->data.mapping.pairs.top; pair++) {
		const char *key = scalar(yaml_document_get_node(doc, pair->key));
		cJSON *child;
		if (!key)
			continue;
		if (!(child = node_to_json(doc, yaml_document_get_node(doc, pair->value), depth + 1, budget))) {
			cJSON_Delete(out);
			return NULL;
		}
		cJSON_AddItemToObject(out, key, child);
	}
	return out;
}

/* Add key: the scalar's text, when it is a non-empty string (Go's omitempty). */
static void add_string(cJSON *obj, yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	const char *v = scalar(map_get(doc, map, key));
	if (v && *v)
		cJSON_AddStringToObject(obj, key, v);
}

static void add_string_list(cJSON *obj, yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_t *seq = map_get(doc, map, key);
	yaml_node_item_t *item;
	cJSON *array;
	if (!seq || seq->type != YAML_SEQUENCE_NODE || seq->data.sequence.items.start == seq->data.sequence.items.top)
		return;
	array = cJSON_AddArrayToObject(obj, key);
	for (item = seq->data.sequence.items.start; array && item < seq->data.sequence.items.top; item++) {
		const char *v = scalar(yaml_document_get_node(doc, *item));
		cJSON_AddItemToArray(array, cJSON_CreateString(v ? v : ""));
	}
}

static int is_yaml_true(const char *v)
{
	return v && (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE") || !strcmp(v, "yes"));
}

/* Chart.yaml as Helm's Metadata struct marshals it: its key order, empty fields left out. */
static cJSON *metadata_json(yaml_document_t *doc, yaml_node_t *root, size_t *budget)
{
	cJSON *obj = cJSON_CreateObject(), *list;
	yaml_node_t *node;
	if (!obj)
		return NULL;
	add_string(obj, doc, root, "name");
	add_string(obj, doc, root, "home");
	add_string_list(obj, doc, root, "sources");
	add_string(obj, doc, root, "version");
	add_string(obj, doc, root, "description");
	add_string_list(obj, doc, root, "keywords");
	node = map_get(doc, root, "maintainers");
	if (node && node->type == YAML_SEQUENCE_NODE && node->data.sequence.items.start != node->data.sequence.items.top &&
	    (list = cJSON_AddArrayToObject(obj, "maintainers"))) {
		for (yaml_node_item_t *item = node->data.sequence.items.start; item < node->data.sequence.items.top; item++) {
			yaml_node_t *m = yaml_document_get_node(doc, *item);
			cJSON *entry = cJSON_CreateObject();
			add_string(entry, doc, m, "name");
			add_string(entry, doc, m, "email");
			add_string(entry, doc, m, "url");
			cJSON_AddItemToArray(list, entry);
		}
	}
	add_string(obj, doc, root, "icon");
	add_string(obj, doc, root, "apiVersion");
	add_string(obj, doc, root, "condition");
	add_string(obj, doc, root, "tags");
	add_string(obj, doc, root, "appVersion");
	if (is_yaml_true(scalar(map_get(doc, root, "deprecated"))))
		cJSON_AddTrueToObject(obj, "deprecated");
	node = map_get(doc, root, "annotations");
	if (node && node->type == YAML_MAPPING_NODE && node->data.mapping.pairs.start != node->data.mapping.pairs.top) {
		cJSON *ann = cJSON_AddObjectToObject(obj, "annotations");
		for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; ann && pair < node->data.mapping.pairs.top;
		     pair++) {
			const char *key = scalar(yaml_document_get_node(doc, pair->key));
			const char *value = scalar(yaml_document_get_node(doc, pair->value));
			if (key)
				cJSON_AddStringToObject(ann, key, value ? value : "");
		}
	}
	add_string(obj, doc, root, "kubeVersion");
	node = map_get(doc, root, "dependencies");
	if (node && node->type == YAML_SEQUENCE_NODE && node->data.sequence.items.start != node->data.sequence.items.top &&
	    (list = cJSON_AddArrayToObject(obj, "dependencies"))) {
		for (yaml_node_item_t *item = node->data.sequence.items.start; item < node->data.sequence.items.top; item++) {
			yaml_node_t *d = yaml_document_get_node(doc, *item);
			cJSON *entry = cJSON_CreateObject();
			yaml_node_t *iv;
			const char *v = scalar(map_get(doc, d, "name"));
			/* name and repository have no omitempty in Helm's Dependency. */
			cJSON_AddStringToObject(entry, "name", v ? v : "");
			add_string(entry, doc, d, "version");
			v = scalar(map_get(doc, d, "repository"));
			cJSON_AddStringToObject(entry, "repository", v ? v : "");
			add_string(entry, doc, d, "condition");
			add_string_list(entry, doc, d, "tags");
			if (is_yaml_true(scalar(map_get(doc, d, "enabled"))))
				cJSON_AddTrueToObject(entry, "enabled");
			if ((iv = map_get(doc, d, "import-values")) && iv->type == YAML_SEQUENCE_NODE &&
			    iv->data.sequence.items.start != iv->data.sequence.items.top) {
				cJSON *values = node_to_json(doc, iv, 0, budget);
				if (!values) {
					cJSON_Delete(entry);
					cJSON_Delete(obj);
					return NULL;
				}
				cJSON_AddItemToObject(entry, "import-values", values);
			}
			add_string(entry, doc, d, "alias");
			cJSON_AddItemToArray(list, entry);
		}
	}
	add_string(obj, doc, root, "type");
	return obj;
}

/* SemVer 2.0.0, strictly: MAJOR.MINOR.PATCH[-pre][+build], no leading zeros, no "v". */
static int is_numeric_ok(const char *s, size_t n)
{
	size_t i;
	if (!n || (n > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int identifiers_ok(const char *s, size_t n, int numeric_rule)
{
	size_t start = 0, i;
	if (!n)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			size_t len = i - start, j;
			int all_digits = 1;
			if (!len)
				return 0;
			for (j = start; j < i; j++) {
				if (!isalnum((unsigned char)s[j]) && s[j] != '-')
					return 0;
				all_digits &= isdigit((unsigned char)s[j]) != 0;
			}
			if (numeric_rule && all_digits && len > 1 && s[start] == '0')
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

static int semver_ok(const char *v)
{
	const char *p = v, *dot1, *dot2, *end;
	size_t core;
	end = v + strcspn(v, "-+");
	core = (size_t)(end - v);
	dot1 = memchr(p, '.', core);
	dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1)) : NULL;
	if (!dot1 || !dot2 || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1)))
		return 0;
	if (!is_numeric_ok(v, (size_t)(dot1 - v)) || !is_numeric_ok(dot1 + 1, (size_t)(dot2 - dot1 - 1)) ||
	    !is_numeric_ok(dot2 + 1, (size_t)(end - dot2 - 1)))
		return 0;
	if (*end == '-') {
		const char *plus = strchr(end, '+');
		size_t n = plus ? (size_t)(plus - end - 1) : strlen(end + 1);
		if (!identifiers_ok(end + 1, n, 1))
			return 0;
		end = plus ? plus : end + 1 + n;
	}
	if (*end == '+')
		return identifiers_ok(end + 1, strlen(end + 1), 0);
	return *end == '\0';
}

/* The parsed chart: metadata JSON and the fields lade needs. */
typedef struct chart {
	chart_scan scan;
	cJSON *metadata;
	const char *name;     /* borrowed from metadata */
	const char *version;  /* borrowed from metadata */
} chart;

static void chart_dispose(chart *c)
{
	lade_buf_dispose(&c->scan.chart_yaml);
	cJSON_Delete(c->metadata);
	memset(c, 0, sizeof(*c));
}

static int parse_chart_yaml(const char *path, chart *c);

static int load_chart(const char *path, chart *c, int whole)
{
	int err;

	memset(c, 0, sizeof(*c));
	if ((err = scan_chart(path, &c->scan, whole)) < 0)
		return err;
	return parse_chart_yaml(path, c);
}

int lade__helm_check_chart_yaml(const char *data, size_t len)
{
	chart c;
	int err;
	memset(&c, 0, sizeof(c));
	lade_buf_init(&c.scan.chart_yaml, MAX_FILE);
	strcpy(c.scan.top, "fuzz");
	if ((err = lade_buf_put(&c.scan.chart_yaml, data, len)) < 0) {
		lade_buf_dispose(&c.scan.chart_yaml);
		return err;
	}
	if ((err = parse_chart_yaml("fuzz.tgz", &c)) == 0)
		chart_dispose(&c);
	return err;
}

/* Chart.yaml (in c->scan) into c's metadata, checked as a push checks it; c is disposed on failure. */
static int parse_chart_yaml(const char *path, chart *c)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	const unsigned char *text;
	size_t len, budget = YAML_EXPANSION_MAX;
	const cJSON *item;
	int err;

	text = (const unsigned char *)c->scan.chart_yaml.ptr;
	len = c->scan.chart_yaml.size;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) { /* Helm strips a UTF-8 BOM */
		text += 3;
		len -= 3;
	}
	if ((err = check_yaml(text, len, path)) < 0) {
		chart_dispose(c);
		return err;
	}
	if (!yaml_parser_initialize(&parser)) {
		chart_dispose(c);
		return lade__error_oom();
	}
	yaml_parser_set_input_string(&parser, text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		err = lade__error(LADE_EINVALID, "chart '%s': Chart.yaml is not valid YAML (line %zu: %s)", path,
				  parser.problem_mark.line + 1, parser.problem ? parser.problem : "parse error");
		yaml_parser_delete(&parser);
		chart_dispose(c);
		return err;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		err = lade__error(LADE_EINVALID, "chart '%s': Chart.yaml is not a mapping", path);
		goto done;
	}
	if (!(c->metadata = metadata_json(&doc, root, &budget))) {
		err = budget ? lade__error_oom()
			     : lade__error(LADE_ETOOLARGE, "chart '%s': Chart.yaml: too many aliases (expands past %d nodes)",
					   path, YAML_EXPANSION_MAX);
		goto done;
	}
	item = cJSON_GetObjectItemCaseSensitive(c->metadata, "apiVersion");
	if (!cJSON_IsString(item)) {
		err = lade__error(LADE_EINVALID, "chart '%s': Chart.yaml has no apiVersion", path);
		goto done;
	}
	item = cJSON_GetObjectItemCaseSensitive(c->metadata, "name");
	if (!cJSON_IsString(item)) {
		err = lade__error(LADE_EINVALID, "chart '%s': Chart.yaml has no name", path);
		goto done;
	}
	c->name = item->valuestring;
	if (strcmp(c->name, c->scan.top) != 0 || strchr(c->name, '/') || !strcmp(c->name, ".") || !strcmp(c->name, "..")) {
		err = lade__error(LADE_EINVALID, "chart '%s': name '%s' does not match its folder '%s'", path, c->name,
				  c->scan.top);
		goto done;
	}
	item = cJSON_GetObjectItemCaseSensitive(c->metadata, "version");
	if (!cJSON_IsString(item)) {
		err = lade__error(LADE_EINVALID, "chart '%s': Chart.yaml has no version", path);
		goto done;
	}
	c->version = item->valuestring;
	if (!semver_ok(c->version))
		err = lade__error(LADE_EINVALID,
				  "chart '%s': version '%s' is not SemVer 2 (MAJOR.MINOR.PATCH[-pre][+build], no 'v', "
				  "no leading zeros)",
				  path, c->version);
done:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (err < 0)
		chart_dispose(c);
	return err;
}

/* ---- push ---- */

static int set_if_present(lade_annotations *a, const char *key, const char *value)
{
	const char *start = value;
	size_t len;
	if (!value)
		return 0;
	while (isspace((unsigned char)*start))
		start++;
	len = strlen(start);
	while (len && isspace((unsigned char)start[len - 1]))
		len--;
	if (!len)
		return 0;
	return lade_annotations_set(a, key, value);
}

static int helm_annotations(const chart *c, const char *created, lade_annotations *out)
{
	const cJSON *md = c->metadata, *item, *maintainers, *chart_ann;
	char when[32];
	lade_buf authors;
	int err;

	lade_buf_init(&authors, 64 * 1024);
	item = cJSON_GetObjectItemCaseSensitive(md, "description");
	if ((err = set_if_present(out, "org.opencontainers.image.description", cJSON_GetStringValue(item))) < 0 ||
	    (err = set_if_present(out, LADE_ANNOTATION_TITLE, c->name)) < 0 ||
	    (err = set_if_present(out, "org.opencontainers.image.version", c->version)) < 0 ||
	    (err = set_if_present(out, "org.opencontainers.image.url",
				  cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "home")))) < 0)
		goto done;
	if (!created) {
		lade__format_time(c->scan.newest, when, sizeof(when));
		created = when;
	}
	if ((err = set_if_present(out, LADE_ANNOTATION_CREATED, created)) < 0 ||
	    (err = set_if_present(out, "org.opencontainers.image.source",
				  cJSON_GetStringValue(cJSON_GetArrayItem(
					  cJSON_GetObjectItemCaseSensitive(md, "sources"), 0)))) < 0)
		goto done;
	maintainers = cJSON_GetObjectItemCaseSensitive(md, "maintainers");
	cJSON_ArrayForEach(item, maintainers)
	{
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
		const char *email = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "email"));
		if ((authors.size && (err = lade_buf_puts(&authors, ", ")) < 0) ||
		    (err = lade_buf_puts(&authors, name ? name : "")) < 0)
			goto done;
		if (email && *email &&
		    ((err = lade_buf_puts(&authors, " (")) < 0 || (err = lade_buf_puts(&authors, email)) < 0 ||
		     (err = lade_buf_puts(&authors, ")")) < 0))
			goto done;
	}
	if ((err = set_if_present(out, "org.opencontainers.image.authors", authors.ptr)) < 0)
		goto done;
	/* The chart's own annotations may override anything but title and version. */
	chart_ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");
	cJSON_ArrayForEach(item, chart_ann)
	{
		if (!strcmp(item->string, LADE_ANNOTATION_TITLE) || !strcmp(item->string, "org.opencontainers.image.version"))
			continue;
		if ((err = lade_annotations_set(out, item->string, cJSON_GetStringValue(item) ? item->valuestring : "")) < 0)
			goto done;
	}
done:
	lade_buf_dispose(&authors);
	return err;
}

static int helm_artifact(const lade_kind *k, const lade_kind_input *in, const char *created, lade_kind_artifact *out)
{
	chart c;
	lade_kind_layer *layer;
	char prov[PATH_MAX], *json = NULL;
	struct stat st;
	int err;

	(void)k;
	if ((err = load_chart(in->path, &c, 1)) < 0)
		return err;
	lade_buf_init(&out->config, LADE_MANIFEST_LIMIT);
	out->omit_manifest_media_type = 1;
	out->sort_layers_by_digest = 1;
	if (!(out->config_media_type = lade__strdup(HELM_CONFIG)) || !(json = cJSON_PrintUnformatted(c.metadata))) {
		err = lade__error_oom();
		goto done;
	}
	if ((err = lade_buf_puts(&out->config, json)) < 0 || (err = helm_annotations(&c, created, &out->annotations)) < 0)
		goto done;
	if ((err = lade_kind_artifact_add_layer(out, &layer)) < 0)
		goto done;
	layer->untitled = 1;
	if (!(layer->desc.media_type = lade__strdup(HELM_CHART))) {
		err = LADE_ENOMEM;
		goto done;
	}
	if ((err = lade__snprintf(prov, sizeof(prov), "%s.prov", in->path)) < 0)
		goto done;
	if (stat(prov, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((err = lade_kind_artifact_add_layer(out, &layer)) < 0)
			goto done;
		layer->untitled = 1;
		if (!(layer->desc.media_type = lade__strdup(HELM_PROV)) || !(layer->path = lade__strdup(prov))) {
			err = LADE_ENOMEM;
			goto done;
		}
	}
done:
	cJSON_free(json);
	chart_dispose(&c);
	return err;
}

static int helm_naming(const lade_kind *k, const lade_kind_input *in, lade_buf *name, lade_buf *tag)
{
	chart c;
	const char *v;
	int err;
	(void)k;
	if ((err = load_chart(in->path, &c, 0)) < 0)
		return err;
	if ((err = lade_buf_puts(name, c.name)) == 0) {
		/* OCI tags cannot hold '+': Helm writes it as '_' (formats.md §5.5). */
		for (v = c.version; *v && err == 0; v++)
			err = lade_buf_put(tag, *v == '+' ? "_" : v, 1);
	}
	chart_dispose(&c);
	return err;
}

/* ---- pull ---- */

static int helm_claim(const lade_kind *k, const lade_pull_context *ctx)
{
	(void)k;
	return strcmp(ctx->manifest->config.media_type, HELM_CONFIG) == 0 ? 100 : 0;
}

static int is_chart_layer(const lade_descriptor *d)
{
	return strcmp(d->media_type, HELM_CHART) == 0 || strcmp(d->media_type, HELM_LEGACY_CHART) == 0;
}

static int helm_check(const lade_kind *k, const lade_pull_context *ctx, char *warning, size_t len)
{
	size_t i, charts = 0, provs = 0;
	(void)k;
	warning[0] = '\0';
	for (i = 0; i < ctx->manifest->layer_count; i++) {
		const lade_descriptor *d = &ctx->manifest->layers[i];
		if (is_chart_layer(d))
			charts++;
		else if (strcmp(d->media_type, HELM_PROV) == 0)
			provs++;
		if (strcmp(d->media_type, HELM_LEGACY_CHART) == 0)
			snprintf(warning, len, "chart media type %s is deprecated", HELM_LEGACY_CHART);
	}
	if (charts != 1)
		return lade__error(LADE_EINVALID, "a Helm chart artifact needs exactly one chart layer, it has %zu", charts);
	if (provs > 1)
		return lade__error(LADE_EINVALID, "a Helm chart artifact has %zu provenance layers", provs);
	if (!ctx->config)
		return lade__error(LADE_EINVALID, "a Helm chart artifact needs its config");
	return 0;
}

static int helm_name_on_pull(const lade_kind *k, const lade_pull_context *ctx, size_t i, char *out, size_t outlen)
{
	const lade_descriptor *d = &ctx->manifest->layers[i];
	cJSON *config;
	const char *name, *version;
	int err;
	(void)k;
	if (!ctx->config || (!is_chart_layer(d) && strcmp(d->media_type, HELM_PROV) != 0))
		return LADE_ENOTFOUND;
	if (lade__json_parse(&config, ctx->config, ctx->config_len, LADE_SMALL_BLOB_MAX, "the Helm config") < 0)
		return lade_error_last()->code;
	name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, "name"));
	version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, "version"));
	if (!name || !version || !*name || strchr(name, '/') || strchr(version, '/'))
		err = lade__error(LADE_EINVALID, "the Helm config has no usable name and version");
	else
		err = lade__snprintf(out, outlen, "%s-%s.tgz%s", name, version, is_chart_layer(d) ? "" : ".prov");
	cJSON_Delete(config);
	return err;
}

const lade_kind lade__kind_helm = {
	.name = "helm",
	.summary = "Helm chart archives (.tgz with <name>/Chart.yaml), as helm push makes them",
	.media_types = HELM_CONFIG ", " HELM_CHART ", " HELM_PROV,
	.detect = helm_detect,
	.artifact = helm_artifact,
	.naming = helm_naming,
	.claim = helm_claim,
	.check = helm_check,
	.name_on_pull = helm_name_on_pull,
};
