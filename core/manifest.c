#include "internal.h"
#include "json.h"
#include "lade/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sizes travel as JSON numbers (doubles): beyond 2^53 they are not exact. */
#define MAX_EXACT_SIZE 9007199254740992.0

int lade_annotations_set(lade_annotations *a, const char *key, const char *value)
{
	size_t i;
	char *v, **keys, **values;
	for (i = 0; i < a->count; i++) {
		if (strcmp(a->keys[i], key) == 0) {
			if (!(v = lade__strdup(value)))
				return LADE_ENOMEM;
			free(a->values[i]);
			a->values[i] = v;
			return 0;
		}
	}
	keys = realloc(a->keys, (a->count + 1) * sizeof(*keys));
	if (!keys)
		return lade__error_oom();
	a->keys = keys;
	values = realloc(a->values, (a->count + 1) * sizeof(*values));
	if (!values)
		return lade__error_oom();
	a->values = values;
	a->keys[a->count] = lade__strdup(key);
	a->values[a->count] = lade__strdup(value);
	if (!a->keys[a->count] || !a->values[a->count]) {
		free(a->keys[a->count]);
		free(a->values[a->count]);
		return LADE_ENOMEM;
	}
	a->count++;
	return 0;
}

const char *lade_annotations_get(const lade_annotations *a, const char *key)
{
	size_t i;
	for (i = 0; i < a->count; i++)
		if (strcmp(a->keys[i], key) == 0)
			return a->values[i];
	return NULL;
}

void lade_annotations_dispose(lade_annotations *a)
{
	size_t i;
	for (i = 0; i < a->count; i++) {
		free(a->keys[i]);
		free(a->values[i]);
	}
	free(a->keys);
	free(a->values);
	memset(a, 0, sizeof(*a));
}

static int annotations_copy(lade_annotations *dst, const lade_annotations *src)
{
	size_t i;
	int err;
	memset(dst, 0, sizeof(*dst));
	for (i = 0; i < src->count; i++)
		if ((err = lade_annotations_set(dst, src->keys[i], src->values[i])) < 0)
			return err;
	return 0;
}

static void strings_free(char **items, size_t count)
{
	while (count)
		free(items[--count]);
	free(items);
}

static int strings_copy(char ***dst, size_t *dst_count, char *const *src, size_t count)
{
	size_t i;
	*dst = NULL;
	*dst_count = 0;
	if (!count)
		return 0;
	if (!(*dst = calloc(count, sizeof(char *))))
		return lade__error_oom();
	for (i = 0; i < count; i++) {
		if (!((*dst)[i] = lade__strdup(src[i]))) {
			strings_free(*dst, i);
			*dst = NULL;
			return lade__error_oom();
		}
	}
	*dst_count = count;
	return 0;
}

void lade_platform_dispose(lade_platform *p)
{
	if (!p)
		return;
	free(p->architecture);
	free(p->os);
	free(p->os_version);
	strings_free(p->os_features, p->os_feature_count);
	free(p->variant);
	memset(p, 0, sizeof(*p));
}

static void platform_free(lade_platform *p)
{
	lade_platform_dispose(p);
	free(p);
}

void lade_descriptor_dispose(lade_descriptor *d)
{
	if (!d)
		return;
	free(d->media_type);
	free(d->artifact_type);
	free(d->data);
	lade_annotations_dispose(&d->annotations);
	platform_free(d->platform);
	strings_free(d->urls, d->url_count);
	free(d->unknown);
	memset(d, 0, sizeof(*d));
}

int lade_descriptor_copy(lade_descriptor *dst, const lade_descriptor *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->digest = src->digest;
	dst->size = src->size;
	if ((src->media_type && !(dst->media_type = lade__strdup(src->media_type))) ||
	    (src->artifact_type && !(dst->artifact_type = lade__strdup(src->artifact_type))) ||
	    (src->data && !(dst->data = lade__strdup(src->data))) ||
	    (src->unknown && !(dst->unknown = lade__strdup(src->unknown))) ||
	    annotations_copy(&dst->annotations, &src->annotations) < 0 ||
	    strings_copy(&dst->urls, &dst->url_count, src->urls, src->url_count) < 0)
		goto oom;
	if (src->platform) {
		const lade_platform *sp = src->platform;
		lade_platform *dp;
		if (!(dst->platform = dp = calloc(1, sizeof(*dst->platform))))
			goto oom;
		if ((sp->architecture && !(dp->architecture = lade__strdup(sp->architecture))) ||
		    (sp->os && !(dp->os = lade__strdup(sp->os))) ||
		    (sp->os_version && !(dp->os_version = lade__strdup(sp->os_version))) ||
		    (sp->variant && !(dp->variant = lade__strdup(sp->variant))) ||
		    strings_copy(&dp->os_features, &dp->os_feature_count, sp->os_features, sp->os_feature_count) < 0)
			goto oom;
	}
	return 0;
oom:
	lade_descriptor_dispose(dst);
	return lade__error_oom();
}

int lade_descriptor_empty(lade_descriptor *d)
{
	memset(d, 0, sizeof(*d));
	lade_digest_parse(&d->digest, LADE_EMPTY_DIGEST);
	d->size = 2;
	d->media_type = lade__strdup(LADE_MEDIATYPE_EMPTY);
	d->data = lade__strdup("e30=");
	if (!d->media_type || !d->data) {
		lade_descriptor_dispose(d);
		return LADE_ENOMEM;
	}
	return 0;
}

int lade_mediatype_is_manifest(const char *mt)
{
	return mt && (strcmp(mt, LADE_MEDIATYPE_MANIFEST) == 0 || strcmp(mt, LADE_MEDIATYPE_INDEX) == 0 ||
		      strcmp(mt, LADE_MEDIATYPE_DOCKER_MANIFEST) == 0 || strcmp(mt, LADE_MEDIATYPE_DOCKER_LIST) == 0 ||
		      strcmp(mt, LADE_MEDIATYPE_ARTIFACT_MANIFEST) == 0);
}

static int is_restricted_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("!#$&^_.+-", c);
}

/* ^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$ */
int lade_mediatype_validate(const char *mt, const char *what)
{
	const char *slash = mt ? strchr(mt, '/') : NULL;
	const char *part[2];
	size_t len[2], i, j;
	if (!mt || !slash)
		return lade__error(LADE_EINVALID, "invalid %s '%s': a media type is 'type/subtype'", what,
				   mt ? mt : "");
	part[0] = mt;
	len[0] = (size_t)(slash - mt);
	part[1] = slash + 1;
	len[1] = strlen(slash + 1);
	for (i = 0; i < 2; i++) {
		if (len[i] < 1 || len[i] > 127)
			return lade__error(LADE_EINVALID, "invalid %s '%s': each side of '/' takes 1 to 127 characters",
					   what, mt);
		for (j = 0; j < len[i]; j++) {
			char c = part[i][j];
			int ok = j == 0 ? ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
					: is_restricted_char(c);
			if (!ok)
				return lade__error(LADE_EINVALID, "invalid %s '%s': character '%c' not allowed", what,
						   mt, c);
		}
	}
	return 0;
}

/* ---- descriptors from JSON ---- */

static int get_string(char **out, const cJSON *obj, const char *key, int required, const char *what)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	*out = NULL;
	if (!item || cJSON_IsNull(item)) {
		if (required)
			return lade__error(LADE_EINVALID, "%s: missing \"%s\"", what, key);
		return 0;
	}
	if (!cJSON_IsString(item))
		return lade__error(LADE_EINVALID, "%s: \"%s\" must be a string", what, key);
	if (!(*out = lade__strdup(item->valuestring)))
		return LADE_ENOMEM;
	return 0;
}

/* An optional array of strings. */
static int get_string_list(char ***out, size_t *count, const cJSON *obj, const char *key, const char *what)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, key), *item;
	size_t n = 0;
	*out = NULL;
	*count = 0;
	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return lade__error(LADE_EINVALID, "%s: \"%s\" must be an array of strings", what, key);
	if (!cJSON_GetArraySize(list))
		return 0;
	if (!(*out = calloc((size_t)cJSON_GetArraySize(list), sizeof(char *))))
		return lade__error_oom();
	cJSON_ArrayForEach (item, list) {
		if (!cJSON_IsString(item)) {
			strings_free(*out, n);
			*out = NULL;
			return lade__error(LADE_EINVALID, "%s: \"%s\" must be an array of strings", what, key);
		}
		if (!((*out)[n] = lade__strdup(item->valuestring))) {
			strings_free(*out, n);
			*out = NULL;
			return lade__error_oom();
		}
		n++;
	}
	*count = n;
	return 0;
}

/* The fields of obj not in known, as a compact JSON object, or NULL when there are none. */
static int unknown_fields(char **out, const cJSON *obj, const char *const *known)
{
	const cJSON *item;
	cJSON *rest = NULL;
	lade_buf text;
	int err = 0;
	*out = NULL;
	cJSON_ArrayForEach (item, obj) {
		const char *const *k;
		cJSON *copy;
		for (k = known; *k && strcmp(*k, item->string) != 0; k++)
			;
		if (*k)
			continue;
		if ((!rest && !(rest = cJSON_CreateObject())) || !(copy = cJSON_Duplicate(item, 1))) {
			cJSON_Delete(rest);
			return lade__error_oom();
		}
		cJSON_AddItemToObject(rest, item->string, copy);
	}
	if (!rest)
		return 0;
	lade_buf_init(&text, LADE_MANIFEST_LIMIT);
	if ((err = lade__json_print(&text, rest)) == 0 && !(*out = lade_buf_detach(&text)))
		err = lade__error_oom();
	lade_buf_dispose(&text);
	cJSON_Delete(rest);
	return err;
}

static int annotations_from_json(lade_annotations *out, const cJSON *obj, const char *what)
{
	const cJSON *map = cJSON_GetObjectItemCaseSensitive(obj, "annotations"), *item;
	int err;
	if (!map || cJSON_IsNull(map))
		return 0;
	if (!cJSON_IsObject(map))
		return lade__error(LADE_EINVALID, "%s: \"annotations\" must be an object", what);
	cJSON_ArrayForEach (item, map) {
		if (!cJSON_IsString(item))
			return lade__error(LADE_EINVALID, "%s: annotation \"%s\" must be a string", what, item->string);
		if (lade_annotations_get(out, item->string))
			return lade__error(LADE_EINVALID, "%s: annotation \"%s\" appears twice", what, item->string);
		if ((err = lade_annotations_set(out, item->string, item->valuestring)) < 0)
			return err;
	}
	return 0;
}

/* The descriptor fields lade models; any other is kept in unknown. */
static const char *const descriptor_fields[] = {"mediaType", "digest",   "size",         "urls", "annotations",
						"data",      "platform", "artifactType", NULL};

int lade__descriptor_from_json(lade_descriptor *out, const cJSON *obj, const char *what)
{
	lade_descriptor d;
	const cJSON *size, *platform;
	char *digest = NULL;
	int err;

	memset(&d, 0, sizeof(d));
	if (!cJSON_IsObject(obj))
		return lade__error(LADE_EINVALID, "%s: descriptor must be an object", what);
	if ((err = get_string(&d.media_type, obj, "mediaType", 1, what)) < 0 ||
	    (err = lade_mediatype_validate(d.media_type, "mediaType")) < 0 ||
	    (err = get_string(&digest, obj, "digest", 1, what)) < 0)
		goto fail;
	if ((err = lade_digest_parse(&d.digest, digest)) == LADE_EUNSUPPORTED &&
	    strlen(digest) < sizeof(d.digest.str)) {
		/* Well-formed, of an algorithm lade cannot compute: read, and refused only if it must be fetched. */
		d.digest.alg = LADE_DIGEST_OTHER;
		snprintf(d.digest.str, sizeof(d.digest.str), "%s", digest);
		lade_error_clear();
		err = 0;
	}
	if (err < 0) {
		err = lade__error(err, "%s: %s", what, lade_error_last()->message);
		goto fail;
	}
	size = cJSON_GetObjectItemCaseSensitive(obj, "size");
	if (!size || !cJSON_IsNumber(size)) {
		err = lade__error(LADE_EINVALID, "%s: missing or non-numeric \"size\"", what);
		goto fail;
	}
	if (size->valuedouble < 0 || size->valuedouble > MAX_EXACT_SIZE ||
	    size->valuedouble != (double)(uint64_t)size->valuedouble) {
		err = lade__error(LADE_EINVALID, "%s: \"size\" must be a whole number of bytes, 0 or more", what);
		goto fail;
	}
	d.size = (uint64_t)size->valuedouble;
	if (strcmp(d.media_type, LADE_MEDIATYPE_EMPTY) == 0 &&
	    (d.size != 2 || strcmp(d.digest.str, LADE_EMPTY_DIGEST) != 0)) {
		err = lade__error(LADE_EINVALID, "%s: an %s descriptor must be the 2-byte {} blob (%s)", what,
				  LADE_MEDIATYPE_EMPTY, LADE_EMPTY_DIGEST);
		goto fail;
	}
	if ((err = get_string(&d.artifact_type, obj, "artifactType", 0, what)) < 0 ||
	    (d.artifact_type && (err = lade_mediatype_validate(d.artifact_type, "artifactType")) < 0) ||
	    (err = get_string(&d.data, obj, "data", 0, what)) < 0 ||
	    (err = get_string_list(&d.urls, &d.url_count, obj, "urls", what)) < 0 ||
	    (err = annotations_from_json(&d.annotations, obj, what)) < 0 ||
	    (err = unknown_fields(&d.unknown, obj, descriptor_fields)) < 0)
		goto fail;
	platform = cJSON_GetObjectItemCaseSensitive(obj, "platform");
	if (platform && !cJSON_IsNull(platform)) {
		if (!cJSON_IsObject(platform)) {
			err = lade__error(LADE_EINVALID, "%s: \"platform\" must be an object", what);
			goto fail;
		}
		if (!(d.platform = calloc(1, sizeof(*d.platform)))) {
			err = lade__error_oom();
			goto fail;
		}
		if ((err = get_string(&d.platform->architecture, platform, "architecture", 1, what)) < 0 ||
		    (err = get_string(&d.platform->os, platform, "os", 1, what)) < 0 ||
		    (err = get_string(&d.platform->os_version, platform, "os.version", 0, what)) < 0 ||
		    (err = get_string_list(&d.platform->os_features, &d.platform->os_feature_count, platform,
					   "os.features", what)) < 0 ||
		    (err = get_string(&d.platform->variant, platform, "variant", 0, what)) < 0)
			goto fail;
	}
	free(digest);
	*out = d;
	return 0;
fail:
	free(digest);
	lade_descriptor_dispose(&d);
	return err;
}

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
			return lade__error_oom();
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
	if ((err = get_string(&m.media_type, json, "mediaType", 0, "manifest")) < 0)
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
	if ((err = get_string(&m.artifact_type, json, "artifactType", 0, "manifest")) < 0 ||
	    (m.artifact_type && (err = lade_mediatype_validate(m.artifact_type, "artifactType")) < 0))
		goto done;
	if (artifact) {
		/*
		 * The withdrawn artifact manifest: "blobs" and no config. Read as
		 * the image manifest that replaced it (the empty config, blobs as
		 * layers); lade never writes one.
		 */
		free(m.media_type);
		if (!(m.media_type = lade__strdup(LADE_MEDIATYPE_MANIFEST)) ||
		    (err = lade_descriptor_empty(&m.config)) < 0) {
			err = err < 0 ? err : lade__error_oom();
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
			err = lade__error_oom();
			goto done;
		}
		if ((err = lade__descriptor_from_json(m.subject, item, "manifest subject")) < 0)
			goto done;
	}
	err = annotations_from_json(&m.annotations, json, "manifest");
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
	    (err = get_string(&idx.media_type, json, "mediaType", 0, "index")) < 0 ||
	    (err = get_string(&idx.artifact_type, json, "artifactType", 0, "index")) < 0 ||
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
			err = lade__error_oom();
			goto done;
		}
		if ((err = lade__descriptor_from_json(idx.subject, item, "index subject")) < 0)
			goto done;
	}
	err = annotations_from_json(&idx.annotations, json, "index");
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
		err = lade__snprintf(out, outlen, "%s", mt->valuestring);
	else if (cJSON_GetObjectItemCaseSensitive(json, "manifests"))
		err = lade__snprintf(out, outlen, "%s", LADE_MEDIATYPE_INDEX);
	else
		err = lade__snprintf(out, outlen, "%s",
				     cJSON_GetObjectItemCaseSensitive(json, "config") ? LADE_MEDIATYPE_MANIFEST : "");
	cJSON_Delete(json);
	return err;
}

/* ---- JSON encoding ---- */

static int compare_keys(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

static cJSON *annotations_to_json(const lade_annotations *a)
{
	cJSON *map = cJSON_CreateObject();
	char ***order;
	size_t i;
	if (!map)
		return NULL;
	if (!(order = malloc((a->count ? a->count : 1) * sizeof(*order)))) {
		cJSON_Delete(map);
		return NULL;
	}
	for (i = 0; i < a->count; i++)
		order[i] = &a->keys[i];
	qsort(order, a->count, sizeof(*order), compare_keys);
	for (i = 0; i < a->count; i++) {
		size_t at = (size_t)(order[i] - a->keys);
		if (!cJSON_AddStringToObject(map, a->keys[at], a->values[at])) {
			cJSON_Delete(map);
			map = NULL;
			break;
		}
	}
	free(order);
	return map;
}

static cJSON *add_strings(cJSON *obj, const char *key, char *const *items, size_t count)
{
	cJSON *list = cJSON_AddArrayToObject(obj, key);
	size_t i;
	for (i = 0; list && i < count; i++) {
		cJSON *s = cJSON_CreateString(items[i]);
		if (!s)
			return NULL;
		cJSON_AddItemToArray(list, s);
	}
	return list;
}

cJSON *lade__descriptor_to_json(const lade_descriptor *d)
{
	cJSON *obj = cJSON_CreateObject(), *child;
	if (!obj)
		return NULL;
	if (!cJSON_AddStringToObject(obj, "mediaType", d->media_type) ||
	    !cJSON_AddStringToObject(obj, "digest", d->digest.str) ||
	    !cJSON_AddNumberToObject(obj, "size", (double)d->size) ||
	    (d->url_count && !add_strings(obj, "urls", d->urls, d->url_count)))
		goto fail;
	if (d->annotations.count) {
		if (!(child = annotations_to_json(&d->annotations)))
			goto fail;
		cJSON_AddItemToObject(obj, "annotations", child);
	}
	if (d->data && !cJSON_AddStringToObject(obj, "data", d->data))
		goto fail;
	if (d->platform) {
		/* Go's ocispec.Platform order */
		const lade_platform *p = d->platform;
		if (!(child = cJSON_AddObjectToObject(obj, "platform")) ||
		    !cJSON_AddStringToObject(child, "architecture", p->architecture) ||
		    !cJSON_AddStringToObject(child, "os", p->os) ||
		    (p->os_version && !cJSON_AddStringToObject(child, "os.version", p->os_version)) ||
		    (p->os_feature_count && !add_strings(child, "os.features", p->os_features, p->os_feature_count)) ||
		    (p->variant && !cJSON_AddStringToObject(child, "variant", p->variant)))
			goto fail;
	}
	if (d->artifact_type && !cJSON_AddStringToObject(obj, "artifactType", d->artifact_type))
		goto fail;
	if (d->unknown) {
		/* What lade does not model goes back out after the rest, in its order (a known key is not repeated). */
		cJSON *rest = cJSON_Parse(d->unknown), *item;
		if (!rest)
			goto fail;
		while ((item = rest->child)) {
			cJSON_DetachItemViaPointer(rest, item);
			if (cJSON_GetObjectItemCaseSensitive(obj, item->string))
				cJSON_Delete(item);
			else
				cJSON_AddItemToObject(obj, item->string, item);
		}
		cJSON_Delete(rest);
	}
	return obj;
fail:
	cJSON_Delete(obj);
	return NULL;
}

static int validate_descriptor(const lade_descriptor *d, const char *what)
{
	int err;
	if ((err = lade_mediatype_validate(d->media_type, what)) < 0)
		return err;
	if (d->artifact_type && (err = lade_mediatype_validate(d->artifact_type, "artifactType")) < 0)
		return err;
	if ((double)d->size > MAX_EXACT_SIZE)
		return lade__error(LADE_EINVALID, "%s: size %llu is too large", what, (unsigned long long)d->size);
	return 0;
}

int lade_manifest_encode(lade_buf *out, const lade_manifest *m)
{
	cJSON *json = cJSON_CreateObject(), *child;
	size_t i;
	int err;

	if (!json)
		return lade__error_oom();
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
	if ((err = lade__json_print(out, json)) < 0)
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
			err = lade__json_print(out, child);
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
		if (!(child = annotations_to_json(&m->annotations)))
			goto oom;
		cJSON_AddItemToObject(json, "annotations", child);
	}
	/* What follows the layers, printed as an object whose opening brace becomes the comma. */
	if (json->child) {
		size_t at = out->size;
		if ((err = lade__json_print(out, json)) < 0)
			goto done;
		out->ptr[at] = ',';
	} else {
		err = lade_buf_puts(out, "}");
	}
	goto done;
oom:
	err = lade__error_oom();
done:
	cJSON_Delete(json);
	return err;
}

int lade_manifest_add_layer(lade_manifest *m, const lade_descriptor *layer)
{
	lade_descriptor *grown = realloc(m->layers, (m->layer_count + 1) * sizeof(*grown));
	int err;
	if (!grown)
		return lade__error_oom();
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
		return lade__error_oom();
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
		if (!(child = annotations_to_json(&idx->annotations)))
			goto oom;
		cJSON_AddItemToObject(json, "annotations", child);
	}
	err = lade__json_print(out, json);
	cJSON_Delete(json);
	return err;
oom:
	cJSON_Delete(json);
	return lade__error_oom();
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
