/*
 * Chart.yaml as Helm reads it, and the config bytes `helm push` writes.
 *
 * Helm reads Chart.yaml with sigs.k8s.io/yaml: go-yaml v2 decodes the text
 * into generic values (YAML 1.1: `yes` is true, `010` is 8, `1.10` is a
 * float), those become JSON, converted to strings where Helm's Metadata
 * has a string field (a float through 32-bit shortest formatting, so
 * `version: 1.10` is "1.1"), and encoding/json fills the struct (field
 * names matched case-insensitively, later keys in sorted order winning,
 * null leaving a field alone). requirements.yaml is read into the same
 * struct. Metadata.Validate then sanitises strings (non-printing runes
 * dropped, spaces made ' ') and checks the rest; the config is
 * json.Marshal of the struct: field order, omitempty, sorted map keys,
 * `<`, `>`, `&`, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD.
 * Each step follows the Go code it is named after, so the same Chart.yaml
 * gives the same bytes (formats.md §5.4, §5.7). The YAML and encoding/json
 * rules are goyaml.c's and goyaml_json.c's; Helm's struct, Validate and
 * Marshal are here.
 */
#include "lade/sys/util.h"
#include "helm_meta.h"
#include "goyaml.h"
#include "lade/sys/json.h"
#include <cjson/cJSON.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lade/semver.h"

static void maintainer_free(lade__helm_maintainer *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->email);
	free(m->url);
	free(m);
}

static void dependency_free(lade__helm_dependency *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->version);
	free(d->repository);
	free(d->condition);
	free(d->alias);
	free(d->import_values);
	lade__go_strings_free(&d->tags);
	free(d);
}

static int maintainer_field(lade__yv_ctx *c, const char *k, const yv *v, void *target)
{
	lade__helm_maintainer *m = target;
	if (lade__yv_field_is(k, "name"))
		return lade__yv_set_string(c, "maintainers.name", v, &m->name);
	if (lade__yv_field_is(k, "email"))
		return lade__yv_set_string(c, "maintainers.email", v, &m->email);
	if (lade__yv_field_is(k, "url"))
		return lade__yv_set_string(c, "maintainers.url", v, &m->url);
	return 1;
}

static int dependency_field(lade__yv_ctx *c, const char *k, const yv *v, void *target)
{
	lade__helm_dependency *d = target;
	lade_buf json;
	int err;
	if (lade__yv_field_is(k, "name"))
		return lade__yv_set_string(c, "dependencies.name", v, &d->name);
	if (lade__yv_field_is(k, "version"))
		return lade__yv_set_string(c, "dependencies.version", v, &d->version);
	if (lade__yv_field_is(k, "repository"))
		return lade__yv_set_string(c, "dependencies.repository", v, &d->repository);
	if (lade__yv_field_is(k, "condition"))
		return lade__yv_set_string(c, "dependencies.condition", v, &d->condition);
	if (lade__yv_field_is(k, "alias"))
		return lade__yv_set_string(c, "dependencies.alias", v, &d->alias);
	if (lade__yv_field_is(k, "tags"))
		return lade__yv_set_strings(c, "dependencies.tags", v, &d->tags);
	if (lade__yv_field_is(k, "enabled"))
		return lade__yv_set_bool(c, "dependencies.enabled", v, &d->enabled);
	if (!lade__yv_field_is(k, "import-values"))
		return 1;
	/* []interface{}: kept as the JSON Go writes for it */
	free(d->import_values);
	d->import_values = NULL;
	if (v->type == YV_NULL)
		return 0;
	if (v->type != YV_SEQ)
		return lade__yv_type_error(c, "dependencies.import-values", v, "a list");
	if (!v->count)
		return 0;
	lade_buf_init(&json, 1 << 20);
	if ((err = lade__yv_json(c, "dependencies.import-values", v, &json)) == 0 &&
	    !(d->import_values = lade_buf_detach(&json)))
		err = lade_error_set_oom();
	lade_buf_dispose(&json);
	return err;
}

static int fill_maintainer_any(lade__yv_ctx *c, const yv *v, void *m)
{
	return lade__yv_each_field(c, v, maintainer_field, m);
}

static int fill_dependency_any(lade__yv_ctx *c, const yv *v, void *d)
{
	return lade__yv_each_field(c, v, dependency_field, d);
}

static void maintainer_free_any(void *m)
{
	maintainer_free(m);
}

static void dependency_free_any(void *d)
{
	dependency_free(d);
}

static int set_annotations(lade__yv_ctx *c, const yv *v, lade__helm_metadata *md)
{
	lade__yv_entry *e;
	size_t n, i;
	int err = 0;
	if (v->type == YV_NULL) {
		lade_annotations_dispose(&md->annotations);
		return 0;
	}
	if (v->type != YV_MAP)
		return lade__yv_type_error(c, "annotations", v, "a mapping of strings");
	if ((err = lade__yv_sorted_entries(c, v, &e, &n)) < 0)
		return err;
	for (i = 0; i < n && err == 0; i++) {
		char *value = NULL;
		if ((err = lade__yv_set_string(c, "annotations", e[i].value, &value)) == 0)
			err = lade_annotations_set(&md->annotations, e[i].key, value ? value : "");
		free(value);
	}
	lade__yv_entries_free(e, n);
	return err;
}

/* Helm's Metadata fields (formats.md §5.4). */
static int metadata_field(lade__yv_ctx *c, const char *k, const yv *v, void *target)
{
	lade__helm_metadata *md = target;
	if (lade__yv_field_is(k, "name"))
		return lade__yv_set_string(c, "name", v, &md->name);
	if (lade__yv_field_is(k, "home"))
		return lade__yv_set_string(c, "home", v, &md->home);
	if (lade__yv_field_is(k, "sources"))
		return lade__yv_set_strings(c, "sources", v, &md->sources);
	if (lade__yv_field_is(k, "version"))
		return lade__yv_set_string(c, "version", v, &md->version);
	if (lade__yv_field_is(k, "description"))
		return lade__yv_set_string(c, "description", v, &md->description);
	if (lade__yv_field_is(k, "keywords"))
		return lade__yv_set_strings(c, "keywords", v, &md->keywords);
	if (lade__yv_field_is(k, "maintainers"))
		return lade__yv_set_struct_list(c, "maintainers", v, (void ***)&md->maintainers, &md->maintainer_count,
						sizeof(lade__helm_maintainer), fill_maintainer_any,
						maintainer_free_any);
	if (lade__yv_field_is(k, "icon"))
		return lade__yv_set_string(c, "icon", v, &md->icon);
	if (lade__yv_field_is(k, "apiVersion"))
		return lade__yv_set_string(c, "apiVersion", v, &md->api_version);
	if (lade__yv_field_is(k, "condition"))
		return lade__yv_set_string(c, "condition", v, &md->condition);
	if (lade__yv_field_is(k, "tags"))
		return lade__yv_set_string(c, "tags", v, &md->tags);
	if (lade__yv_field_is(k, "appVersion"))
		return lade__yv_set_string(c, "appVersion", v, &md->app_version);
	if (lade__yv_field_is(k, "deprecated"))
		return lade__yv_set_bool(c, "deprecated", v, &md->deprecated);
	if (lade__yv_field_is(k, "annotations"))
		return set_annotations(c, v, md);
	if (lade__yv_field_is(k, "kubeVersion"))
		return lade__yv_set_string(c, "kubeVersion", v, &md->kube_version);
	if (lade__yv_field_is(k, "dependencies"))
		return lade__yv_set_struct_list(c, "dependencies", v, (void ***)&md->dependencies,
						&md->dependency_count, sizeof(lade__helm_dependency),
						fill_dependency_any, dependency_free_any);
	if (lade__yv_field_is(k, "type"))
		return lade__yv_set_string(c, "type", v, &md->type);
	return 1;
}

int lade__helm_metadata_apply(lade__helm_metadata *md, const char *path, const char *what, const char *text, size_t len)
{
	lade__yv_ctx c;
	int err;

	memset(&c, 0, sizeof(c));
	c.doc.path = path;
	c.doc.budget = YAML_EXPANSION_MAX;
	c.what = what;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) { /* Helm's archive loader strips a UTF-8 BOM */
		text += 3;
		len -= 3;
	}
	if ((err = lade__yv_compose(&c.doc, (const unsigned char *)text, len, what)) < 0)
		goto done;
	if (!c.doc.root || c.doc.root->type == YV_NULL)
		goto done; /* an empty document is JSON null: nothing changes */
	if (c.doc.root->type != YV_MAP) {
		err = lade_error_set(LADE_EINVALID, "chart '%s': %s is %s, not a mapping", path, what,
				     lade__yv_type_name(c.doc.root));
		goto done;
	}
	err = lade__yv_each_field(&c, c.doc.root, metadata_field, md);
done:
	lade__yv_doc_dispose(&c.doc);
	return err;
}

/* ---- Metadata.Validate ---- */

static int empty(const char *s)
{
	return !s || !*s;
}

static int alias_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

int lade__helm_metadata_validate(lade__helm_metadata *md, const char *path)
{
	char *const *fields[] = {&md->name,      &md->description, &md->home,        &md->icon,
				 &md->condition, &md->tags,        &md->app_version, &md->kube_version};
	lade_annotations seen; /* dependency names and aliases met so far, as a set */
	size_t i, j;
	const char *slash;
	int err = 0;

	memset(&seen, 0, sizeof(seen));
	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		lade__go_sanitize(*fields[i]);
	for (i = 0; i < md->sources.count; i++)
		lade__go_sanitize(md->sources.items[i]);
	for (i = 0; i < md->keywords.count; i++)
		lade__go_sanitize(md->keywords.items[i]);
	if (empty(md->api_version))
		return lade_error_set(LADE_EINVALID, "chart '%s': Chart.yaml has no apiVersion", path);
	if (empty(md->name))
		return lade_error_set(LADE_EINVALID, "chart '%s': Chart.yaml has no name", path);
	if (!strcmp(md->name, ".") || !strcmp(md->name, ".."))
		return lade_error_set(LADE_EINVALID, "chart '%s': the chart name '%s' is not allowed", path, md->name);
	/* filepath.Base(name) == name: no '/' at all, or exactly "/" */
	slash = strchr(md->name, '/');
	if (slash && strcmp(md->name, "/") != 0)
		return lade_error_set(LADE_EINVALID, "chart '%s': the chart name '%s' holds a '/'", path, md->name);
	if (empty(md->version))
		return lade_error_set(LADE_EINVALID, "chart '%s': Chart.yaml has no version", path);
	if (lade_semver_parse(md->version, 0, NULL) < 0)
		return lade_error_set(LADE_EINVALID,
				      "chart '%s': version '%s' is not a semantic version (Helm reads 1.2.3, "
				      "1.2, v1.2.3-rc.1+build)",
				      path, md->version);
	if (!empty(md->type) && strcmp(md->type, "application") != 0 && strcmp(md->type, "library") != 0)
		return lade_error_set(LADE_EINVALID, "chart '%s': type '%s' is neither application nor library", path,
				      md->type);
	for (i = 0; i < md->maintainer_count; i++) {
		lade__helm_maintainer *m = md->maintainers[i];
		if (!m)
			return lade_error_set(LADE_EINVALID,
					      "chart '%s': maintainers must not contain empty or null entries", path);
		lade__go_sanitize(m->name);
		lade__go_sanitize(m->email);
		lade__go_sanitize(m->url);
	}
	for (i = 0; i < md->dependency_count && err == 0; i++) {
		lade__helm_dependency *d = md->dependencies[i];
		const char *key;
		if (!d) {
			err = lade_error_set(LADE_EINVALID,
					     "chart '%s': dependencies must not contain empty or null entries", path);
			break;
		}
		lade__go_sanitize(d->name);
		lade__go_sanitize(d->version);
		lade__go_sanitize(d->repository);
		lade__go_sanitize(d->condition);
		for (j = 0; j < d->tags.count; j++)
			lade__go_sanitize(d->tags.items[j]);
		if (!empty(d->alias) && !alias_ok(d->alias)) {
			err = lade_error_set(LADE_EINVALID,
					     "chart '%s': dependency '%s' has disallowed characters in its alias", path,
					     d->name ? d->name : "");
			break;
		}
		/* Each name or alias once; the indexed map keeps this linear for tens of thousands. */
		key = !empty(d->alias) ? d->alias : (d->name ? d->name : "");
		if (lade_annotations_get(&seen, key))
			err = lade_error_set(LADE_EINVALID,
					     "chart '%s': more than one dependency with name or alias '%s'", path, key);
		else
			err = lade_annotations_set(&seen, key, "");
	}
	lade_annotations_dispose(&seen);
	return err;
}

/* ---- json.Marshal(Metadata) ---- */

typedef struct writer {
	lade_buf *out;
	int first;
	int err;
} writer;

static void key(writer *w, const char *name)
{
	if (w->err)
		return;
	if ((!w->first && (w->err = lade_buf_puts(w->out, ",")) < 0) || (w->err = lade_buf_puts(w->out, "\"")) < 0 ||
	    (w->err = lade_buf_puts(w->out, name)) < 0 || (w->err = lade_buf_puts(w->out, "\":")) < 0)
		return;
	w->first = 0;
}

static void raw(writer *w, const char *text)
{
	if (!w->err)
		w->err = lade_buf_puts(w->out, text);
}

static void string_value(writer *w, const char *s)
{
	if (!w->err)
		w->err = lade_json_string(w->out, s ? s : "", s ? strlen(s) : 0);
}

static void string_field(writer *w, const char *name, const char *s, int omitempty)
{
	if (omitempty && empty(s))
		return;
	key(w, name);
	string_value(w, s);
}

static void strings_field(writer *w, const char *name, const lade__go_strings *l)
{
	size_t i;
	if (!l->count)
		return;
	key(w, name);
	raw(w, "[");
	for (i = 0; i < l->count; i++) {
		if (i)
			raw(w, ",");
		string_value(w, l->items[i]);
	}
	raw(w, "]");
}

static void maintainer_fields(writer *w, const void *item)
{
	const lade__helm_maintainer *m = item;
	string_field(w, "name", m->name, 1);
	string_field(w, "email", m->email, 1);
	string_field(w, "url", m->url, 1);
}

static void dependency_fields(writer *w, const void *item)
{
	const lade__helm_dependency *d = item;
	/* name and repository have no omitempty in Helm's Dependency */
	string_field(w, "name", d->name, 0);
	string_field(w, "version", d->version, 1);
	string_field(w, "repository", d->repository, 0);
	string_field(w, "condition", d->condition, 1);
	strings_field(w, "tags", &d->tags);
	if (d->enabled) {
		key(w, "enabled");
		raw(w, "true");
	}
	if (d->import_values) {
		key(w, "import-values");
		raw(w, d->import_values);
	}
	string_field(w, "alias", d->alias, 1);
}

/* A []*T field: omitted when empty, a nil lade__yv_entry as null. */
static void object_list(writer *w, const char *name, void *const *items, size_t count,
			void (*fields)(writer *, const void *))
{
	size_t i;
	if (!count)
		return;
	key(w, name);
	raw(w, "[");
	for (i = 0; i < count; i++) {
		writer inner = {w->out, 1, 0};
		if (i)
			raw(w, ",");
		if (!items[i]) {
			raw(w, "null");
			continue;
		}
		raw(w, "{");
		fields(&inner, items[i]);
		w->err = w->err ? w->err : inner.err;
		raw(w, "}");
	}
	raw(w, "]");
}

int lade__helm_metadata_json(const lade__helm_metadata *md, lade_buf *out)
{
	writer w = {out, 1, 0};

	raw(&w, "{");
	string_field(&w, "name", md->name, 1);
	string_field(&w, "home", md->home, 1);
	strings_field(&w, "sources", &md->sources);
	string_field(&w, "version", md->version, 1);
	string_field(&w, "description", md->description, 1);
	strings_field(&w, "keywords", &md->keywords);
	object_list(&w, "maintainers", (void *const *)md->maintainers, md->maintainer_count, maintainer_fields);
	string_field(&w, "icon", md->icon, 1);
	string_field(&w, "apiVersion", md->api_version, 1);
	string_field(&w, "condition", md->condition, 1);
	string_field(&w, "tags", md->tags, 1);
	string_field(&w, "appVersion", md->app_version, 1);
	if (md->deprecated) {
		key(&w, "deprecated");
		raw(&w, "true");
	}
	if (md->annotations.count) {
		/* core's encoder of annotations: keys sorted, Go's escaping */
		cJSON *map = lade_annotations_to_json(&md->annotations);
		key(&w, "annotations");
		if (!map && !w.err)
			w.err = lade_error_set_oom();
		if (map && !w.err)
			w.err = lade_json_print(out, map);
		cJSON_Delete(map);
	}
	string_field(&w, "kubeVersion", md->kube_version, 1);
	object_list(&w, "dependencies", (void *const *)md->dependencies, md->dependency_count, dependency_fields);
	string_field(&w, "type", md->type, 1);
	raw(&w, "}");
	return w.err;
}

void lade__helm_metadata_dispose(lade__helm_metadata *md)
{
	char **fields[] = {&md->name,      &md->home, &md->version,     &md->description,  &md->icon, &md->api_version,
			   &md->condition, &md->tags, &md->app_version, &md->kube_version, &md->type};
	size_t i;
	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		free(*fields[i]);
	lade__go_strings_free(&md->sources);
	lade__go_strings_free(&md->keywords);
	for (i = 0; i < md->maintainer_count; i++)
		maintainer_free(md->maintainers[i]);
	free(md->maintainers);
	for (i = 0; i < md->dependency_count; i++)
		dependency_free(md->dependencies[i]);
	free(md->dependencies);
	lade_annotations_dispose(&md->annotations);
	memset(md, 0, sizeof(*md));
}
