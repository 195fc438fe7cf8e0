/*
 * Manifests and indexes (lade/manifest.h): read one descriptor at a time
 * from their big arrays, checked, and written as Go's encoding/json
 * writes the image-spec structs.
 */
#include "internal.h"
#include "json.h"
#include "lade/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_schema(const cJSON *json, const char *what)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, "schemaVersion");
	if (!v || !cJSON_IsNumber(v))
		return lade__error(LADE_EINVALID, "%s: missing \"schemaVersion\"", what);
	if (v->valuedouble != 2)
		return lade__error(LADE_EINVALID, "%s: \"schemaVersion\" must be 2, not %g", what, v->valuedouble);
	return 0;
}

/* Descriptors gathered one element at a time, in a list that doubles. */
typedef struct gather {
	lade_descriptor *list;
	size_t count;
	const char *what, *key;
} gather;

static int gather_one(const char *text, size_t len, const cJSON *item, size_t index, void *payload)
{
	gather *g = payload;
	size_t n = g->count;
	char where[96];
	int err;
	(void)text;
	(void)len;
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		lade_descriptor *grown = realloc(g->list, (n ? n * 2 : 4) * sizeof(*grown));
		if (!grown)
			return lade_error_set_oom();
		g->list = grown;
	}
	snprintf(where, sizeof(where), "%s %s[%zu]", g->what, g->key, index);
	if ((err = lade__descriptor_from_json(&g->list[n], item, where)) < 0)
		return err;
	g->count++;
	return 0;
}

/* The descriptors of array key: from its cut-out text one element at a time, or from the parsed document. */
static int split_descriptors(const lade__json_split *sp, const char *key, lade_descriptor **out, size_t *count,
			     const char *what)
{
	gather g = {NULL, 0, what, key};
	int err = lade__json_split_each(sp, key, what, gather_one, &g);
	if (err < 0) {
		while (g.count)
			lade_descriptor_dispose(&g.list[--g.count]);
		free(g.list);
		return err;
	}
	/* Give back the doubling's slack: at 20,000 descriptors it is megabytes. */
	if (g.count && (g.count & (g.count - 1))) {
		lade_descriptor *fitted = realloc(g.list, g.count * sizeof(*g.list));
		if (fitted)
			g.list = fitted;
	}
	*out = g.list;
	*count = g.count;
	return 0;
}

int lade_manifest_parse(lade_manifest *out, const char *data, size_t len)
{
	lade_manifest m;
	lade__json_split sp;
	cJSON *json = NULL;
	const cJSON *item;
	int err = 0, artifact;

	memset(&m, 0, sizeof(m));
	if ((err = lade__json_split_parse(data, len, LADE_MANIFEST_LIMIT, "manifest", &sp)) < 0)
		return err;
	json = sp.rest;
	if ((err = lade__json_get_string(&m.media_type, json, "mediaType", 0, "manifest")) < 0)
		goto done;
	artifact = m.media_type && strcmp(m.media_type, LADE_MEDIATYPE_ARTIFACT_MANIFEST) == 0;
	if ((!artifact && (err = check_schema(json, "manifest")) < 0))
		goto done;
	m.schema_version = 2;
	if (m.media_type && !artifact && strcmp(m.media_type, LADE_MEDIATYPE_MANIFEST) != 0 &&
	    strcmp(m.media_type, LADE_MEDIATYPE_DOCKER_MANIFEST) != 0) {
		err = lade__error(LADE_EINVALID, "manifest: \"mediaType\" is '%s', not an image manifest",
				  m.media_type);
		goto done;
	}
	if ((err = lade__json_get_string(&m.artifact_type, json, "artifactType", 0, "manifest")) < 0 ||
	    (m.artifact_type && (err = lade_mediatype_validate(m.artifact_type, "artifactType")) < 0))
		goto done;
	if (artifact) {
		/*
		 * The withdrawn artifact manifest: "blobs" and no config. Read as
		 * the image manifest that replaced it (the empty config, blobs as
		 * layers); lade never writes one.
		 */
		free(m.media_type);
		if (!(m.media_type = lade_strdup(LADE_MEDIATYPE_MANIFEST)) ||
		    (err = lade_descriptor_empty(&m.config)) < 0) {
			err = err < 0 ? err : lade_error_set_oom();
			goto done;
		}
		if (cJSON_GetObjectItemCaseSensitive(json, "blobs") &&
		    (err = split_descriptors(&sp, "blobs", &m.layers, &m.layer_count, "artifact manifest")) < 0)
			goto done;
	} else {
		item = cJSON_GetObjectItemCaseSensitive(json, "config");
		if (!item) {
			err = lade__error(LADE_EINVALID, "manifest: missing \"config\"");
			goto done;
		}
		if ((err = lade__descriptor_from_json(&m.config, item, "manifest config")) < 0 ||
		    (err = split_descriptors(&sp, "layers", &m.layers, &m.layer_count, "manifest")) < 0)
			goto done;
	}
	/*
	 * An empty config without artifactType breaks a MUST of image-spec 1.1,
	 * but oras-go v1 and other tools write exactly that: it is read (pull
	 * warns); lade never writes it (lade_manifest_encode refuses).
	 */
	item = cJSON_GetObjectItemCaseSensitive(json, "subject");
	if (item && !cJSON_IsNull(item)) {
		if (!(m.subject = calloc(1, sizeof(*m.subject)))) {
			err = lade_error_set_oom();
			goto done;
		}
		if ((err = lade__descriptor_from_json(m.subject, item, "manifest subject")) < 0)
			goto done;
	}
	err = lade__annotations_from_json(&m.annotations, json, "manifest");
done:
	cJSON_Delete(json);
	if (err < 0)
		lade_manifest_dispose(&m);
	else
		*out = m;
	return err;
}

int lade_index_parse(lade_index *out, const char *data, size_t len)
{
	lade_index idx;
	lade__json_split sp;
	cJSON *json = NULL;
	const cJSON *item;
	int err;

	memset(&idx, 0, sizeof(idx));
	if ((err = lade__json_split_parse(data, len, LADE_MANIFEST_LIMIT, "index", &sp)) < 0)
		return err;
	json = sp.rest;
	idx.schema_version = 2;
	if ((err = check_schema(json, "index")) < 0 ||
	    (err = lade__json_get_string(&idx.media_type, json, "mediaType", 0, "index")) < 0 ||
	    (err = lade__json_get_string(&idx.artifact_type, json, "artifactType", 0, "index")) < 0 ||
	    (err = split_descriptors(&sp, "manifests", &idx.manifests, &idx.manifest_count, "index")) < 0)
		goto done;
	if (idx.media_type && strcmp(idx.media_type, LADE_MEDIATYPE_INDEX) != 0 &&
	    strcmp(idx.media_type, LADE_MEDIATYPE_DOCKER_LIST) != 0) {
		err = lade__error(LADE_EINVALID, "index: \"mediaType\" is '%s', not an image index", idx.media_type);
		goto done;
	}
	item = cJSON_GetObjectItemCaseSensitive(json, "subject");
	if (item && !cJSON_IsNull(item)) {
		if (!(idx.subject = calloc(1, sizeof(*idx.subject)))) {
			err = lade_error_set_oom();
			goto done;
		}
		if ((err = lade__descriptor_from_json(idx.subject, item, "index subject")) < 0)
			goto done;
	}
	err = lade__annotations_from_json(&idx.annotations, json, "index");
done:
	cJSON_Delete(json);
	if (err < 0)
		lade_index_dispose(&idx);
	else
		*out = idx;
	return err;
}

int lade_manifest_sniff_media_type(const char *data, size_t len, char *out, size_t outlen)
{
	cJSON *json = NULL;
	const cJSON *mt;
	lade__json_split sp;
	int err;
	if ((err = lade__json_split_parse(data, len, LADE_MANIFEST_LIMIT, "manifest", &sp)) < 0)
		return err;
	json = sp.rest;
	mt = cJSON_GetObjectItemCaseSensitive(json, "mediaType");
	if (cJSON_IsString(mt))
		err = lade_snprintf(out, outlen, "%s", mt->valuestring);
	else if (cJSON_GetObjectItemCaseSensitive(json, "manifests"))
		err = lade_snprintf(out, outlen, "%s", LADE_MEDIATYPE_INDEX);
	else
		err = lade_snprintf(out, outlen, "%s",
				    cJSON_GetObjectItemCaseSensitive(json, "config") ? LADE_MEDIATYPE_MANIFEST : "");
	cJSON_Delete(json);
	return err;
}

static int validate_descriptor(const lade_descriptor *d, const char *what)
{
	int err;
	if ((err = lade_mediatype_validate(d->media_type, what)) < 0)
		return err;
	if (d->artifact_type && (err = lade_mediatype_validate(d->artifact_type, "artifactType")) < 0)
		return err;
	if ((double)d->size > LADE__JSON_MAX_EXACT_SIZE)
		return lade__error(LADE_EINVALID, "%s: size %llu is too large", what, (unsigned long long)d->size);
	return 0;
}

int lade_manifest_encode(lade_buf *out, const lade_manifest *m)
{
	cJSON *json = cJSON_CreateObject(), *child;
	size_t i;
	int err;

	if (!json)
		return lade_error_set_oom();
	if ((err = validate_descriptor(&m->config, "config mediaType")) < 0)
		goto done;
	if (m->artifact_type && (err = lade_mediatype_validate(m->artifact_type, "artifact type")) < 0)
		goto done;
	if (strcmp(m->config.media_type, LADE_MEDIATYPE_EMPTY) == 0 && !m->artifact_type) {
		err = lade__error(LADE_EINVALID, "an artifact type is required when the config is empty");
		goto done;
	}
	err = LADE_ENOMEM;
	if (!cJSON_AddNumberToObject(json, "schemaVersion", 2) ||
	    /* Absent stays absent: some tools (helm push) write no mediaType, and the bytes must match theirs. */
	    (m->media_type && !cJSON_AddStringToObject(json, "mediaType", m->media_type)) ||
	    (m->artifact_type && !cJSON_AddStringToObject(json, "artifactType", m->artifact_type)) ||
	    !(child = lade__descriptor_to_json(&m->config)))
		goto oom;
	cJSON_AddItemToObject(json, "config", child);
	/*
	 * The head up to "config", then the layers one at a time, then what
	 * follows them: the same bytes as one tree printed whole, without the
	 * whole tree (a 20,000-layer manifest would be some 16 MiB of it).
	 */
	if ((err = lade_json_print(out, json)) < 0)
		goto done;
	out->size--; /* the head's closing brace: the object goes on */
	if ((err = lade_buf_puts(out, ",\"layers\":[")) < 0)
		goto done;
	for (i = 0; i < m->layer_count; i++) {
		if ((err = validate_descriptor(&m->layers[i], "layer mediaType")) < 0)
			goto done;
		if (!(child = lade__descriptor_to_json(&m->layers[i])))
			goto oom;
		if ((err = i ? lade_buf_puts(out, ",") : 0) == 0)
			err = lade_json_print(out, child);
		cJSON_Delete(child);
		if (err < 0)
			goto done;
	}
	if ((err = lade_buf_puts(out, "]")) < 0)
		goto done;
	cJSON_Delete(json);
	if (!(json = cJSON_CreateObject()))
		goto oom;
	if (m->subject) {
		if (!(child = lade__descriptor_to_json(m->subject)))
			goto oom;
		cJSON_AddItemToObject(json, "subject", child);
	}
	if (m->annotations.count) {
		if (!(child = lade_annotations_to_json(&m->annotations)))
			goto oom;
		cJSON_AddItemToObject(json, "annotations", child);
	}
	/* What follows the layers, printed as an object whose opening brace becomes the comma. */
	if (json->child) {
		size_t at = out->size;
		if ((err = lade_json_print(out, json)) < 0)
			goto done;
		out->ptr[at] = ',';
	} else {
		err = lade_buf_puts(out, "}");
	}
	goto done;
oom:
	err = lade_error_set_oom();
done:
	cJSON_Delete(json);
	return err;
}

int lade_manifest_add_layer(lade_manifest *m, const lade_descriptor *layer)
{
	lade_descriptor *grown = realloc(m->layers, (m->layer_count + 1) * sizeof(*grown));
	int err;
	if (!grown)
		return lade_error_set_oom();
	m->layers = grown;
	if ((err = lade_descriptor_copy(&m->layers[m->layer_count], layer)) < 0)
		return err;
	m->layer_count++;
	return 0;
}

void lade_manifest_dispose(lade_manifest *m)
{
	size_t i;
	free(m->media_type);
	free(m->artifact_type);
	lade_descriptor_dispose(&m->config);
	for (i = 0; i < m->layer_count; i++)
		lade_descriptor_dispose(&m->layers[i]);
	free(m->layers);
	if (m->subject) {
		lade_descriptor_dispose(m->subject);
		free(m->subject);
	}
	lade_annotations_dispose(&m->annotations);
	memset(m, 0, sizeof(*m));
}

int lade_index_encode(lade_buf *out, const lade_index *idx)
{
	cJSON *json = cJSON_CreateObject(), *child, *list;
	size_t i;
	int err;
	if (!json)
		return lade_error_set_oom();
	if (!cJSON_AddNumberToObject(json, "schemaVersion", 2) ||
	    !cJSON_AddStringToObject(json, "mediaType", idx->media_type ? idx->media_type : LADE_MEDIATYPE_INDEX) ||
	    (idx->artifact_type && !cJSON_AddStringToObject(json, "artifactType", idx->artifact_type)) ||
	    !(list = cJSON_AddArrayToObject(json, "manifests")))
		goto oom;
	for (i = 0; i < idx->manifest_count; i++) {
		if (!(child = lade__descriptor_to_json(&idx->manifests[i])))
			goto oom;
		cJSON_AddItemToArray(list, child);
	}
	if (idx->subject) {
		if (!(child = lade__descriptor_to_json(idx->subject)))
			goto oom;
		cJSON_AddItemToObject(json, "subject", child);
	}
	if (idx->annotations.count) {
		if (!(child = lade_annotations_to_json(&idx->annotations)))
			goto oom;
		cJSON_AddItemToObject(json, "annotations", child);
	}
	err = lade_json_print(out, json);
	cJSON_Delete(json);
	return err;
oom:
	cJSON_Delete(json);
	return lade_error_set_oom();
}

void lade_index_dispose(lade_index *idx)
{
	size_t i;
	free(idx->media_type);
	free(idx->artifact_type);
	for (i = 0; i < idx->manifest_count; i++)
		lade_descriptor_dispose(&idx->manifests[i]);
	free(idx->manifests);
	if (idx->subject) {
		lade_descriptor_dispose(idx->subject);
		free(idx->subject);
	}
	lade_annotations_dispose(&idx->annotations);
	memset(idx, 0, sizeof(*idx));
}

int lade__referrer_facts(const lade_descriptor *desc, const char *data, size_t len, lade_descriptor *entry,
			 lade_descriptor **subject)
{
	lade_manifest m;
	lade_index idx;
	const lade_annotations *ann;
	const lade_descriptor *found;
	const char *at;
	size_t i;
	int is_index = !strcmp(desc->media_type, LADE_MEDIATYPE_INDEX), err;

	if (entry)
		memset(entry, 0, sizeof(*entry));
	if (subject)
		*subject = NULL;
	if ((err = is_index ? lade_index_parse(&idx, data, len) : lade_manifest_parse(&m, data, len)) < 0)
		return err;
	/* DIST: the manifest's artifactType, else its config's media type; an index's own, if any */
	at = is_index ? idx.artifact_type : m.artifact_type ? m.artifact_type : m.config.media_type;
	ann = is_index ? &idx.annotations : &m.annotations;
	found = is_index ? idx.subject : m.subject;
	if (entry) {
		entry->size = desc->size;
		entry->digest = desc->digest;
		if (!(entry->media_type = lade_strdup(desc->media_type)) ||
		    (at && !(entry->artifact_type = lade_strdup(at))))
			err = LADE_ENOMEM;
		for (i = 0; err == 0 && i < ann->count; i++)
			err = lade_annotations_set(&entry->annotations, ann->keys[i], ann->values[i]);
	}
	if (err == 0 && subject && found) {
		if (!(*subject = calloc(1, sizeof(**subject))))
			err = lade_error_set_oom();
		else if ((err = lade_descriptor_copy(*subject, found)) < 0) {
			free(*subject);
			*subject = NULL;
		}
	}
	if (is_index)
		lade_index_dispose(&idx);
	else
		lade_manifest_dispose(&m);
	if (err < 0 && entry)
		lade_descriptor_dispose(entry);
	return err;
}
