/*
 * The Helm chart kind: a gzip tar that Helm's loader reads as a chart
 * (formats.md §5.8: the first path component stripped whatever it is,
 * folders and PAX headers skipped, '\\' separators, a BOM, Helm's size
 * limits), pushed as `helm push` does (§5.2-5.4): config is json.Marshal
 * of Helm's Metadata (helm_meta.c), the chart layer is the exact .tgz, a
 * <chart>.tgz.prov beside it becomes the provenance layer, layers sorted
 * by digest and untitled, Helm's manifest annotations, no manifest
 * mediaType and no artifactType. `created` is SOURCE_DATE_EPOCH, else the
 * .tgz file's modification time in local time, as helm push writes it.
 * On pull the chart comes back as <name>-<version>.tgz.
 */
#include "lade/sys/util.h"
#include "archive_loader.h"
#include "kinds.h"
#include "lade/sys/json.h"
#include <cjson/cJSON.h>
#include "lade/sys/fs.h"
#include "helm_meta.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#define HELM_CONFIG "application/vnd.cncf.helm.config.v1+json"
#define HELM_CHART "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
#define HELM_PROV "application/vnd.cncf.helm.chart.provenance.v1.prov"
#define HELM_LEGACY_CHART "application/tar+gzip"

/* Helm's loader limits (pkg/chart/loader/archive). */
#define MAX_DECOMPRESSED ((uint64_t)100 << 20)
#define MAX_FILE ((uint64_t)5 << 20)
/*
 * Entries a detection looks through for Chart.yaml before it gives up:
 * charts hold hundreds of files, and a big tarball of small files that is
 * no chart should not be decompressed whole just to be recognised.
 */
#define DETECT_ENTRIES_MAX 10000
/* A Helm config on pull: core caps small blobs at 4 MiB; a chart's config is a few KiB. */
#define CONFIG_MAX ((size_t)4 << 20)

typedef enum { NAME_OK, NAME_ABSOLUTE, NAME_OUTSIDE, NAME_PARENT, NAME_DRIVE, NAME_TOP_CHART_YAML } name_verdict;

/* Go's path.Clean of a relative path, in place. */
static void clean_path(char *p)
{
	char *out = p, *in = p;
	size_t depth = 0; /* components written that ".." may remove */
	while (*in) {
		size_t n = strcspn(in, "/");
		if (n == 0 || (n == 1 && in[0] == '.')) {
			/* nothing */
		} else if (n == 2 && in[0] == '.' && in[1] == '.') {
			if (depth) {
				while (out > p && out[-1] != '/')
					out--;
				if (out > p)
					out--;
				depth--;
			} else {
				if (out > p)
					*out++ = '/';
				memmove(out, "..", 2);
				out += 2;
			}
		} else {
			if (out > p)
				*out++ = '/';
			memmove(out, in, n);
			out += n;
			depth++;
		}
		in += n;
		if (*in == '/')
			in++;
	}
	if (out == p)
		*out++ = '.';
	*out = '\0';
}

/*
 * An entry's name as Helm's loader sees it (archive.go): split on '\\' if
 * there is one, else '/'; drop the first part; the rest, '/'-separated and
 * cleaned, is the file's name in the chart.
 */
static name_verdict helm_entry_name(const char *name, char *out, size_t outlen)
{
	char delimiter = strchr(name, '\\') ? '\\' : '/';
	const char *rest = strchr(name, delimiter);
	size_t i, first = rest ? (size_t)(rest - name) : strlen(name);
	if (snprintf(out, outlen, "%s", rest ? rest + 1 : "") >= (int)outlen)
		return NAME_OUTSIDE;
	for (i = 0; out[i]; i++)
		if (out[i] == delimiter)
			out[i] = '/';
	if (out[0] == '/')
		return NAME_ABSOLUTE;
	clean_path(out);
	if (!strcmp(out, "."))
		return NAME_OUTSIDE;
	if (!strncmp(out, "..", 2))
		return NAME_PARENT;
	if (isalpha((unsigned char)out[0]) && out[1] == ':' && out[2] == '/')
		return NAME_DRIVE;
	if (first == strlen("Chart.yaml") && !strncmp(name, "Chart.yaml", first))
		return NAME_TOP_CHART_YAML;
	return NAME_OK;
}

static int name_error(const char *path, const char *name, name_verdict v)
{
	switch (v) {
	case NAME_ABSOLUTE:
		return lade_error_set(LADE_EUNSAFE, "chart '%s': entry '%s' has an absolute path", path, name);
	case NAME_OUTSIDE:
		return lade_error_set(LADE_EINVALID, "chart '%s': entry '%s' is outside the chart's folder", path,
				      name);
	case NAME_PARENT:
		return lade_error_set(LADE_EUNSAFE, "chart '%s': entry '%s' climbs out with '..'", path, name);
	case NAME_DRIVE:
		return lade_error_set(LADE_EUNSAFE, "chart '%s': entry '%s' has a drive letter", path, name);
	default:
		return lade_error_set(LADE_EINVALID, "chart '%s': Chart.yaml is not in the chart's folder", path);
	}
}

static struct archive *open_chart(const char *path, int *fd)
{
	struct archive *a;
	if (lade__archive_load() < 0)
		return NULL;
	if (!(a = archive_read_new())) {
		lade_error_set_oom();
		return NULL;
	}
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if ((*fd = lade_fs_open_regular(path)) < 0) {
		archive_read_free(a);
		return NULL;
	}
	if (archive_read_open_fd(a, *fd, 64 * 1024) != ARCHIVE_OK) {
		lade_error_set(LADE_EINVALID, "chart '%s' is not a gzip tar archive", path);
		archive_read_free(a);
		close(*fd);
		return NULL;
	}
	return a;
}

static int is_skipped(struct archive_entry *entry)
{
	/* Folders are skipped; libarchive consumes PAX headers itself. */
	return archive_entry_filetype(entry) == AE_IFDIR;
}

/* Does the archive hold what Helm's loader takes for Chart.yaml? Headers only, data skipped. */
static int holds_chart_yaml(const char *path)
{
	struct archive *a;
	struct archive_entry *entry;
	char clean[PATH_MAX];
	uint64_t total = 0;
	int fd, found = 0, i;
	if (!(a = open_chart(path, &fd))) {
		lade_error_clear();
		return 0;
	}
	for (i = 0; i < DETECT_ENTRIES_MAX && archive_read_next_header(a, &entry) == ARCHIVE_OK; i++) {
		const char *name = archive_entry_pathname(entry);
		int64_t size = archive_entry_size(entry);
		if (!name || is_skipped(entry))
			continue;
		if (helm_entry_name(name, clean, sizeof(clean)) != NAME_OK)
			break; /* Helm refuses the archive: not a chart */
		if (!strcmp(clean, "Chart.yaml")) {
			found = 1;
			break;
		}
		/* Past Helm's limits it is no chart: stop before decompressing more. */
		if (size > 0 && ((uint64_t)size > MAX_FILE || (total += (uint64_t)size) > MAX_DECOMPRESSED))
			break;
	}
	archive_read_free(a);
	close(fd);
	return found;
}

static int helm_detect(const lade_kind *k, const lade_kind_input *in)
{
	char clean[PATH_MAX];
	(void)k;
	if (in->is_dir || !in->is_tar || strcmp(in->compression, "gzip") != 0)
		return 0;
	if (in->first_entry[0] && helm_entry_name(in->first_entry, clean, sizeof(clean)) == NAME_OK &&
	    !strcmp(clean, "Chart.yaml"))
		return 90;
	return holds_chart_yaml(in->path) ? 90 : 0;
}

/* The chart as Helm's loader reads it. */
typedef struct chart {
	lade__helm_metadata md;
} chart;

static void chart_dispose(chart *c)
{
	lade__helm_metadata_dispose(&c->md);
	memset(c, 0, sizeof(*c));
}

/* The current entry's data, counted against Helm's limits; kept in keep (when given). */
static int read_entry(struct archive *a, const char *path, const char *name, int64_t declared, uint64_t *total,
		      lade_buf *keep)
{
	char chunk[65536];
	uint64_t size = 0;
	la_ssize_t n;
	int err;
	if (declared > 0 && (uint64_t)declared > MAX_DECOMPRESSED - *total)
		return lade_error_set(LADE_ETOOLARGE, "chart '%s' unpacks to over Helm's 100 MiB limit", path);
	if (declared > 0 && (uint64_t)declared > MAX_FILE)
		return lade_error_set(LADE_ETOOLARGE, "chart '%s': '%s' is over Helm's 5 MiB limit for a file", path,
				      name);
	/* Count what really comes out, not what headers claim. */
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		size += (uint64_t)n;
		if (size > MAX_FILE)
			return lade_error_set(LADE_ETOOLARGE, "chart '%s': '%s' is over Helm's 5 MiB limit for a file",
					      path, name);
		if (keep && (err = lade_buf_put(keep, chunk, (size_t)n)) < 0)
			return err;
	}
	if (n < 0)
		return lade_error_set(LADE_EINVALID, "chart '%s' is damaged: %s", path, archive_error_string(a));
	*total += size;
	if (*total >= MAX_DECOMPRESSED)
		return lade_error_set(LADE_ETOOLARGE, "chart '%s' unpacks to over Helm's 100 MiB limit", path);
	return 0;
}

/*
 * Read the chart archive as Helm's LoadArchive does: every entry checked
 * against its rules and limits; the text of each Chart.yaml and
 * requirements.yaml kept, in archive order, as "C<length>\n<text>" and
 * "R<length>\n<text>" records.
 */
static int scan_chart(const char *path, lade_buf *records)
{
	struct archive *a;
	struct archive_entry *entry;
	char clean[PATH_MAX];
	lade_buf text;
	uint64_t total = 0;
	size_t files = 0;
	int r, fd, err = 0, have_chart_yaml = 0;

	lade_buf_init(&text, MAX_FILE);
	if (!(a = open_chart(path, &fd)))
		return lade_error_last()->code ? lade_error_last()->code : LADE_EIO;
	while ((r = archive_read_next_header(a, &entry)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(entry);
		name_verdict verdict;
		int is_chart_yaml, is_requirements;
		char head[32];
		if (!name) {
			err = lade_error_set(LADE_EINVALID, "chart '%s': an entry has no name", path);
			goto done;
		}
		if (is_skipped(entry))
			continue;
		if ((verdict = helm_entry_name(name, clean, sizeof(clean))) != NAME_OK) {
			err = name_error(path, name, verdict);
			goto done;
		}
		files++;
		is_chart_yaml = !strcmp(clean, "Chart.yaml");
		is_requirements = !strcmp(clean, "requirements.yaml");
		lade_buf_clear(&text);
		if ((err = read_entry(a, path, name, archive_entry_size(entry), &total,
				      is_chart_yaml || is_requirements ? &text : NULL)) < 0)
			goto done;
		if (!is_chart_yaml && !is_requirements)
			continue;
		have_chart_yaml |= is_chart_yaml;
		snprintf(head, sizeof(head), "%c%zu\n", is_chart_yaml ? 'C' : 'R', text.size);
		if ((err = lade_buf_puts(records, head)) < 0 ||
		    (err = lade_buf_put(records, text.ptr ? text.ptr : "", text.size)) < 0)
			goto done;
	}
	if (r != ARCHIVE_EOF)
		err = lade_error_set(LADE_EINVALID, "chart '%s' is damaged: %s", path,
				     archive_error_string(a) ? archive_error_string(a) : "bad archive");
	else if (!files)
		err = lade_error_set(LADE_EINVALID, "chart '%s' holds no files", path);
	else if (!have_chart_yaml)
		err = lade_error_set(LADE_EINVALID, "chart '%s' has no Chart.yaml in its folder", path);
done:
	archive_read_free(a);
	close(fd);
	lade_buf_dispose(&text);
	return err;
}

/* Helm's LoadFiles for the metadata: each Chart.yaml (apiVersion v1 by default), then requirements.yaml, then Validate. */
static int build_metadata(const char *path, const lade_buf *records, chart *c)
{
	int pass, err = 0;
	for (pass = 0; pass < 2 && err == 0; pass++) {
		size_t at = 0;
		while (at < records->size && err == 0) {
			char kind = records->ptr[at], *end;
			size_t len = strtoul(records->ptr + at + 1, &end, 10);
			at = (size_t)(end - records->ptr) + 1;
			if (kind == (pass == 0 ? 'C' : 'R')) {
				err = lade__helm_metadata_apply(&c->md, path,
								pass == 0 ? "Chart.yaml" : "requirements.yaml",
								records->ptr + at, len);
				if (err == 0 && pass == 0 && !c->md.api_version &&
				    !(c->md.api_version = lade_strdup("v1")))
					err = lade_error_set_oom(); /* Helm 2 charts */
			}
			at += len;
		}
	}
	return err < 0 ? err : lade__helm_metadata_validate(&c->md, path);
}

/*
 * The chart naming scanned, by its file's identity: a push asks for the
 * chart's name and version, then for the artifact, and the archive (up to
 * 100 MiB unpacked) is read once for both. The artifact takes what naming
 * kept and drops it, so nothing outlives one push: a file rewritten
 * within one timestamp tick at the same size is never mistaken for the
 * old one by a later push. Only small records are kept.
 */
#define CACHE_MAX ((size_t)1 << 20)
static struct {
	pthread_mutex_t lock;
	int valid;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	lade_buf records;
} last = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int same_file(const struct stat *st)
{
	return last.valid && last.dev == st->st_dev && last.ino == st->st_ino && last.size == st->st_size &&
	       last.mtime.tv_sec == st->st_mtim.tv_sec && last.mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Load the chart at path; keep (naming) leaves its records for the artifact, which takes and drops them. */
static int load_chart(const char *path, chart *c, int keep)
{
	lade_buf records;
	struct stat st;
	int err = 0, identified, known = 0;

	memset(c, 0, sizeof(*c));
	lade_buf_init(&records, MAX_DECOMPRESSED);
	if ((identified = stat(path, &st) == 0)) {
		pthread_mutex_lock(&last.lock);
		if ((known = same_file(&st)))
			err = lade_buf_put(&records, last.records.ptr, last.records.size);
		if (!keep)
			last.valid = 0;
		pthread_mutex_unlock(&last.lock);
	}
	if (!known && err == 0 && (err = scan_chart(path, &records)) == 0 && keep && identified &&
	    records.size <= CACHE_MAX) {
		pthread_mutex_lock(&last.lock);
		lade_buf_dispose(&last.records);
		lade_buf_init(&last.records, CACHE_MAX);
		if ((last.valid = lade_buf_put(&last.records, records.ptr, records.size) == 0))
			last.dev = st.st_dev, last.ino = st.st_ino, last.size = st.st_size, last.mtime = st.st_mtim;
		else
			lade_error_clear(); /* not kept is not a failure: the artifact scans again */
		pthread_mutex_unlock(&last.lock);
	}
	if (err == 0)
		err = build_metadata(path, &records, c);
	lade_buf_dispose(&records);
	if (err < 0)
		chart_dispose(c);
	return err;
}

int lade__helm_check_archive(const char *path)
{
	chart c;
	int err = load_chart(path, &c, 0);
	if (err == 0)
		chart_dispose(&c);
	return err;
}

int lade__helm_check_chart_yaml(const char *data, size_t len)
{
	lade__helm_metadata md;
	lade_buf json;
	int err;
	memset(&md, 0, sizeof(md));
	lade_buf_init(&json, LADE_MANIFEST_LIMIT);
	if ((err = lade__helm_metadata_apply(&md, "fuzz.tgz", "Chart.yaml", data, len)) == 0 &&
	    (err = lade__helm_metadata_validate(&md, "fuzz.tgz")) == 0)
		err = lade__helm_metadata_json(&md, &json);
	lade_buf_dispose(&json);
	lade__helm_metadata_dispose(&md);
	return err;
}

/* ---- push ---- */

/* Helm's addToMap: only values that are not blank (strings.TrimSpace). */
static int set_if_present(lade_annotations *a, const char *key, const char *value)
{
	if (!value || lade__go_blank(value))
		return 0;
	return lade_annotations_set(a, key, value);
}

/* Go's time.Format(time.RFC3339) in local time: "2006-01-02T15:04:05+01:00", or "...Z" at offset 0. */
static void format_local_time(time_t t, char *out, size_t outlen)
{
	struct tm tm;
	long offset;
	if (!localtime_r(&t, &tm) || !strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm)) {
		lade__format_time((int64_t)t, out, outlen);
		return;
	}
	offset = tm.tm_gmtoff / 60;
	if (offset == 0)
		snprintf(out + strlen(out), outlen - strlen(out), "Z");
	else
		snprintf(out + strlen(out), outlen - strlen(out), "%c%02ld:%02ld", offset < 0 ? '-' : '+',
			 labs(offset) / 60, labs(offset) % 60);
}

/* generateOCIAnnotations (pkg/registry/chart.go). */
static int helm_annotations(const lade__helm_metadata *md, const char *created, lade_annotations *out)
{
	lade_buf authors;
	size_t i;
	int err;

	lade_buf_init(&authors, 1 << 20);
	if ((err = set_if_present(out, "org.opencontainers.image.description", md->description)) < 0 ||
	    (err = set_if_present(out, LADE_ANNOTATION_TITLE, md->name)) < 0 ||
	    (err = set_if_present(out, "org.opencontainers.image.version", md->version)) < 0 ||
	    (err = set_if_present(out, "org.opencontainers.image.url", md->home)) < 0 ||
	    (err = set_if_present(out, LADE_ANNOTATION_CREATED, created)) < 0)
		goto done;
	if (md->sources.count &&
	    (err = set_if_present(out, "org.opencontainers.image.source", md->sources.items[0])) < 0)
		goto done;
	for (i = 0; i < md->maintainer_count; i++) {
		const lade__helm_maintainer *m = md->maintainers[i];
		if ((m->name && (err = lade_buf_puts(&authors, m->name)) < 0) ||
		    (m->email && *m->email &&
		     ((err = lade_buf_puts(&authors, " (")) < 0 || (err = lade_buf_puts(&authors, m->email)) < 0 ||
		      (err = lade_buf_puts(&authors, ")")) < 0)) ||
		    (i + 1 < md->maintainer_count && (err = lade_buf_puts(&authors, ", ")) < 0))
			goto done;
	}
	if (md->maintainer_count && (err = set_if_present(out, "org.opencontainers.image.authors", authors.ptr)) < 0)
		goto done;
	/* The chart's own annotations may override anything but title and version. */
	for (i = 0; i < md->annotations.count; i++) {
		const char *key = md->annotations.keys[i];
		if (!strcmp(key, LADE_ANNOTATION_TITLE) || !strcmp(key, "org.opencontainers.image.version"))
			continue;
		if ((err = lade_annotations_set(out, key, md->annotations.values[i])) < 0)
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
	char prov[PATH_MAX], when[40];
	struct stat st;
	int err;

	(void)k;
	if ((err = load_chart(in->path, &c, 0)) < 0)
		return err;
	if (!created) {
		/* helm push: the archive file's modification time, in local time. */
		if (stat(in->path, &st) < 0) {
			err = lade_error_set(LADE_EIO, "cannot read '%s'", in->path);
			goto done;
		}
		format_local_time(st.st_mtime, when, sizeof(when));
		created = when;
	}
	lade_buf_init(&out->config, LADE_MANIFEST_LIMIT);
	out->omit_manifest_media_type = 1;
	out->sort_layers_by_digest = 1;
	if (!(out->config_media_type = lade_strdup(HELM_CONFIG))) {
		err = lade_error_set_oom();
		goto done;
	}
	if ((err = lade__helm_metadata_json(&c.md, &out->config)) < 0 ||
	    (err = helm_annotations(&c.md, created, &out->annotations)) < 0)
		goto done;
	if ((err = lade_kind_artifact_add_layer(out, &layer)) < 0)
		goto done;
	layer->untitled = 1;
	if (!(layer->desc.media_type = lade_strdup(HELM_CHART))) {
		err = LADE_ENOMEM;
		goto done;
	}
	if ((err = lade_snprintf(prov, sizeof(prov), "%s.prov", in->path)) < 0)
		goto done;
	if (stat(prov, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((err = lade_kind_artifact_add_layer(out, &layer)) < 0)
			goto done;
		layer->untitled = 1;
		if (!(layer->desc.media_type = lade_strdup(HELM_PROV)) || !(layer->path = lade_strdup(prov))) {
			err = LADE_ENOMEM;
			goto done;
		}
	}
done:
	chart_dispose(&c);
	return err;
}

static int helm_naming(const lade_kind *k, const lade_kind_input *in, lade_buf *name, lade_buf *tag)
{
	chart c;
	const char *v;
	int err;
	(void)k;
	if ((err = load_chart(in->path, &c, 1)) < 0)
		return err;
	if ((err = lade_buf_puts(name, c.md.name)) == 0) {
		/* OCI tags cannot hold '+': Helm writes it as '_' (formats.md §5.5). */
		for (v = c.md.version; *v && err == 0; v++)
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
		return lade_error_set(LADE_EINVALID, "a Helm chart artifact needs exactly one chart layer, it has %zu",
				      charts);
	if (provs > 1)
		return lade_error_set(LADE_EINVALID, "a Helm chart artifact has %zu provenance layers", provs);
	if (!ctx->config)
		return lade_error_set(LADE_EINVALID, "a Helm chart artifact needs its config");
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
	if (lade_json_parse(&config, ctx->config, ctx->config_len, CONFIG_MAX, "the Helm config") < 0)
		return lade_error_last()->code;
	name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, "name"));
	version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, "version"));
	if (!name || !version || !*name || strchr(name, '/') || strchr(version, '/'))
		err = lade_error_set(LADE_EINVALID, "the Helm config has no usable name and version");
	else
		err = lade_snprintf(out, outlen, "%s-%s.tgz%s", name, version, is_chart_layer(d) ? "" : ".prov");
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
