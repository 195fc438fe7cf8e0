/*
 * helm_meta.h - Chart.yaml (and requirements.yaml) read into Helm's
 * Metadata struct as Helm's loader reads them, checked and sanitised as
 * Metadata.Validate does, and written as json.Marshal writes it: the
 * chart's OCI config, byte for byte. Internal to liblade (mediatypes/).
 *
 * Ownership: a lade__helm_metadata owns every string in it; zero it
 * before the first apply and release it with lade__helm_metadata_dispose.
 */
#ifndef LADE_MEDIATYPES_HELM_META_H
#define LADE_MEDIATYPES_HELM_META_H

#include "lade/common.h"
#include "lade/manifest.h"
#include "goyaml.h"

typedef struct lade__helm_maintainer {
	char *name, *email, *url;
} lade__helm_maintainer;

typedef struct lade__helm_dependency {
	char *name, *version, *repository, *condition, *alias;
	lade__go_strings tags;
	int enabled;
	char *import_values; /* Go's JSON of the list, or NULL when empty */
} lade__helm_dependency;

typedef struct lade__helm_metadata {
	char *name, *home, *version, *description, *icon, *api_version, *condition, *tags, *app_version, *kube_version,
	    *type; /* NULL: empty */
	lade__go_strings sources, keywords;
	lade__helm_maintainer **maintainers; /* an entry is NULL where the YAML had null */
	size_t maintainer_count;
	int deprecated;
	lade_annotations annotations;         /* map[string]string; written sorted by key */
	lade__helm_dependency **dependencies; /* an entry is NULL where the YAML had null */
	size_t dependency_count;
} lade__helm_metadata;

/*
 * Read one YAML document (what: "Chart.yaml" or "requirements.yaml") into
 * md as sigs.k8s.io/yaml.Unmarshal does: fields present replace, null
 * leaves them, maps merge. A leading UTF-8 BOM is skipped. path names
 * the chart in messages.
 */
int lade__helm_metadata_apply(lade__helm_metadata *md, const char *path, const char *what, const char *text,
			      size_t len);

/* Helm's Metadata.Validate: sanitise strings, then check name, version, type, maintainers, dependencies. */
int lade__helm_metadata_validate(lade__helm_metadata *md, const char *path);

/* json.Marshal(md) into out (appended). */
int lade__helm_metadata_json(const lade__helm_metadata *md, lade_buf *out);

void lade__helm_metadata_dispose(lade__helm_metadata *md);

#endif
