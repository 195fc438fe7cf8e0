/*
 * Descriptors (lade/manifest.h): annotations, copies, the empty
 * descriptor, media type checks, and the bridge to and from JSON that
 * manifests, indexes and the targets share (json.h): fields lade does not
 * model are kept and written back, in Go's field order.
 */
#include "internal.h"
#include "json.h"
#include "lade/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Maps this small are searched in a line; past it they are indexed. */
#define ANNOTATIONS_LINEAR 8

/* The slot where key is, or the free slot where it would go. */
static size_t slot_for(const lade_annotations *a, const char *key)
{
	size_t mask = a->slot_cap - 1, i = lade_hash_string(key) & mask;
	while (a->slots[i] && strcmp(a->keys[a->slots[i] - 1], key) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Build or grow the index so that it stays at most half full. */
static int index_fit(lade_annotations *a, size_t count)
{
	size_t cap = a->slot_cap ? a->slot_cap : 64, i;
	size_t *old = a->slots;
	if (count <= ANNOTATIONS_LINEAR || (a->slots && count * 2 <= a->slot_cap))
		return 0;
	while (count * 2 > cap)
		cap *= 2;
	if (!(a->slots = calloc(cap, sizeof(*a->slots)))) {
		a->slots = old;
		return lade_error_set_oom();
	}
	free(old);
	a->slot_cap = cap;
	for (i = 0; i < a->count; i++)
		a->slots[slot_for(a, a->keys[i])] = i + 1;
	return 0;
}

/* The entry of key, or -1. */
static long find_key(const lade_annotations *a, const char *key)
{
	size_t i;
	if (a->slots) {
		i = slot_for(a, key);
		return a->slots[i] ? (long)a->slots[i] - 1 : -1;
	}
	for (i = 0; i < a->count; i++)
		if (strcmp(a->keys[i], key) == 0)
			return (long)i;
	return -1;
}

int lade_annotations_set(lade_annotations *a, const char *key, const char *value)
{
	long at = find_key(a, key);
	char *k, *v;
	int err;
	if (!(v = lade_strdup(value)))
		return lade_error_set_oom();
	if (at >= 0) {
		free(a->values[at]);
		a->values[at] = v;
		return 0;
	}
	if (a->count == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		char **keys = realloc(a->keys, cap * sizeof(*keys)), **values;
		if (keys)
			a->keys = keys;
		if (!keys || !(values = realloc(a->values, cap * sizeof(*values)))) {
			free(v);
			return lade_error_set_oom();
		}
		a->values = values;
		a->cap = cap;
	}
	if (!(k = lade_strdup(key)) || (err = index_fit(a, a->count + 1)) < 0) {
		free(k);
		free(v);
		return k ? err : lade_error_set_oom();
	}
	a->keys[a->count] = k;
	a->values[a->count] = v;
	a->count++;
	if (a->slots)
		a->slots[slot_for(a, k)] = a->count;
	return 0;
}

const char *lade_annotations_get(const lade_annotations *a, const char *key)
{
	long at = find_key(a, key);
	return at >= 0 ? a->values[at] : NULL;
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
	free(a->slots);
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
		return lade_error_set_oom();
	for (i = 0; i < count; i++) {
		if (!((*dst)[i] = lade_strdup(src[i]))) {
			strings_free(*dst, i);
			*dst = NULL;
			return lade_error_set_oom();
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

int lade_descriptor_encode(lade_buf *out, const lade_descriptor *d)
{
	cJSON *json = lade__descriptor_to_json(d);
	int err;
	if (!json)
		return lade_error_set_oom();
	err = lade_json_print(out, json);
	cJSON_Delete(json);
	return err;
}

int lade_descriptor_copy(lade_descriptor *dst, const lade_descriptor *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->digest = src->digest;
	dst->size = src->size;
	if ((src->media_type && !(dst->media_type = lade_strdup(src->media_type))) ||
	    (src->artifact_type && !(dst->artifact_type = lade_strdup(src->artifact_type))) ||
	    (src->data && !(dst->data = lade_strdup(src->data))) ||
	    (src->unknown && !(dst->unknown = lade_strdup(src->unknown))) ||
	    annotations_copy(&dst->annotations, &src->annotations) < 0 ||
	    strings_copy(&dst->urls, &dst->url_count, src->urls, src->url_count) < 0)
		goto oom;
	if (src->platform) {
		const lade_platform *sp = src->platform;
		lade_platform *dp;
		if (!(dst->platform = dp = calloc(1, sizeof(*dst->platform))))
			goto oom;
		if ((sp->architecture && !(dp->architecture = lade_strdup(sp->architecture))) ||
		    (sp->os && !(dp->os = lade_strdup(sp->os))) ||
		    (sp->os_version && !(dp->os_version = lade_strdup(sp->os_version))) ||
		    (sp->variant && !(dp->variant = lade_strdup(sp->variant))) ||
		    strings_copy(&dp->os_features, &dp->os_feature_count, sp->os_features, sp->os_feature_count) < 0)
			goto oom;
	}
	return 0;
oom:
	lade_descriptor_dispose(dst);
	return lade_error_set_oom();
}

int lade_descriptor_empty(lade_descriptor *d)
{
	memset(d, 0, sizeof(*d));
	lade_digest_parse(&d->digest, LADE_EMPTY_DIGEST);
	d->size = 2;
	d->media_type = lade_strdup(LADE_MEDIATYPE_EMPTY);
	d->data = lade_strdup("e30=");
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

int lade__json_get_string(char **out, const cJSON *obj, const char *key, int required, const char *what)
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
	if (!(*out = lade_strdup(item->valuestring)))
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
		return lade_error_set_oom();
	cJSON_ArrayForEach (item, list) {
		if (!cJSON_IsString(item)) {
			strings_free(*out, n);
			*out = NULL;
			return lade__error(LADE_EINVALID, "%s: \"%s\" must be an array of strings", what, key);
		}
		if (!((*out)[n] = lade_strdup(item->valuestring))) {
			strings_free(*out, n);
			*out = NULL;
			return lade_error_set_oom();
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
			return lade_error_set_oom();
		}
		cJSON_AddItemToObject(rest, item->string, copy);
	}
	if (!rest)
		return 0;
	lade_buf_init(&text, LADE_MANIFEST_LIMIT);
	if ((err = lade_json_print(&text, rest)) == 0 && !(*out = lade_buf_detach(&text)))
		err = lade_error_set_oom();
	lade_buf_dispose(&text);
	cJSON_Delete(rest);
	return err;
}

int lade__annotations_from_json(lade_annotations *out, const cJSON *obj, const char *what)
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
	if ((err = lade__json_get_string(&d.media_type, obj, "mediaType", 1, what)) < 0 ||
	    (err = lade_mediatype_validate(d.media_type, "mediaType")) < 0 ||
	    (err = lade__json_get_string(&digest, obj, "digest", 1, what)) < 0)
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
	if (size->valuedouble < 0 || size->valuedouble > LADE__JSON_MAX_EXACT_SIZE ||
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
	if ((err = lade__json_get_string(&d.artifact_type, obj, "artifactType", 0, what)) < 0 ||
	    (d.artifact_type && (err = lade_mediatype_validate(d.artifact_type, "artifactType")) < 0) ||
	    (err = lade__json_get_string(&d.data, obj, "data", 0, what)) < 0 ||
	    (err = get_string_list(&d.urls, &d.url_count, obj, "urls", what)) < 0 ||
	    (err = lade__annotations_from_json(&d.annotations, obj, what)) < 0 ||
	    (err = unknown_fields(&d.unknown, obj, descriptor_fields)) < 0)
		goto fail;
	platform = cJSON_GetObjectItemCaseSensitive(obj, "platform");
	if (platform && !cJSON_IsNull(platform)) {
		if (!cJSON_IsObject(platform)) {
			err = lade__error(LADE_EINVALID, "%s: \"platform\" must be an object", what);
			goto fail;
		}
		if (!(d.platform = calloc(1, sizeof(*d.platform)))) {
			err = lade_error_set_oom();
			goto fail;
		}
		if ((err = lade__json_get_string(&d.platform->architecture, platform, "architecture", 1, what)) < 0 ||
		    (err = lade__json_get_string(&d.platform->os, platform, "os", 1, what)) < 0 ||
		    (err = lade__json_get_string(&d.platform->os_version, platform, "os.version", 0, what)) < 0 ||
		    (err = get_string_list(&d.platform->os_features, &d.platform->os_feature_count, platform,
					   "os.features", what)) < 0 ||
		    (err = lade__json_get_string(&d.platform->variant, platform, "variant", 0, what)) < 0)
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

/* ---- JSON encoding ---- */

static int compare_keys(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

cJSON *lade_annotations_to_json(const lade_annotations *a)
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
		if (!(child = lade_annotations_to_json(&d->annotations)))
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
