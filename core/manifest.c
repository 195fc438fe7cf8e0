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

static void platform_free(lade_platform *p)
{
	if (!p)
		return;
	free(p->architecture);
	free(p->os);
	free(p->variant);
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
	    annotations_copy(&dst->annotations, &src->annotations) < 0)
		goto oom;
	if (src->platform) {
		if (!(dst->platform = calloc(1, sizeof(*dst->platform))))
			goto oom;
		if ((src->platform->architecture &&
		     !(dst->platform->architecture = lade__strdup(src->platform->architecture))) ||
		    (src->platform->os && !(dst->platform->os = lade__strdup(src->platform->os))) ||
		    (src->platform->variant && !(dst->platform->variant = lade__strdup(src->platform->variant))))
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
				return lade__error(LADE_EINVALID, "invalid %s '%s': character '%c' not allowed", what, mt,
						   c);
		}
	}
	return 0;
}

/* ---- JSON decoding ---- */

/*
 * Where a JSON text holds a NUL, raw or escaped as \u0000, or -1. cJSON
 * would cut the string there, so "hel\u0000lo.txt" would name "hel": a
 * string that becomes a name must never lose its tail silently.
 */
static long nul_offset(const char *data, size_t len)
{
	size_t i;
	for (i = 0; i < len; i++) {
		if (data[i] == '\0')
			return (long)i;
		if (data[i] != '\\' || i + 1 >= len)
			continue;
		if (data[i + 1] == 'u' && i + 5 < len && data[i + 2] == '0' && data[i + 3] == '0' && data[i + 4] == '0' &&
		    data[i + 5] == '0')
			return (long)i;
		i++; /* the escaped character, so "\\u0000" is a backslash and text */
	}
	return -1;
}

/*
 * Where a JSON text has a number that is not an integer literal ("1.0e3",
 * "4.0"), or -1. cJSON reads every number as a double, so 4.0 and 4 look
 * alike once parsed; the specs' sizes and schemaVersion are int64
 * literals, and lade reads only those.
 */
static long fraction_offset(const char *data, size_t len)
{
	size_t i;
	int in_string = 0;
	for (i = 0; i < len; i++) {
		char c = data[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"') {
			in_string = 1;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t start = i;
			while (i < len && strchr("0123456789+-.eE", data[i]) && data[i])
				if (data[i] == '.' || data[i] == 'e' || data[i] == 'E')
					return (long)start;
				else
					i++;
			i--;
		}
	}
	return -1;
}

int lade__json_parse_descriptors(cJSON **out, const char *data, size_t len, size_t cap, const char *what)
{
	long at;
	if (len <= cap && (at = fraction_offset(data, len)) >= 0)
		return lade__error(LADE_EINVALID, "%s has a number that is not an integer (near byte %ld); sizes are whole numbers",
				   what, at);
	if (!out) {
		/* Only the checks cJSON cannot make: the caller parses the text in pieces. */
		if (len > cap)
			return lade__error(LADE_ETOOLARGE, "%s is %zu bytes, over the %zu-byte limit", what, len, cap);
		if ((at = nul_offset(data, len)) >= 0)
			return lade__error(LADE_EINVALID, "%s holds a NUL character (near byte %ld); refusing it", what, at);
		return 0;
	}
	return lade__json_parse(out, data, len, cap, what);
}

int lade__json_parse(cJSON **out, const char *data, size_t len, size_t cap, const char *what)
{
	cJSON *json;
	const char *end = NULL;
	long nul;
	if (len > cap)
		return lade__error(LADE_ETOOLARGE, "%s is %zu bytes, over the %zu-byte limit", what, len, cap);
	if ((nul = nul_offset(data, len)) >= 0)
		return lade__error(LADE_EINVALID, "%s holds a NUL character (near byte %ld); refusing it", what, nul);
	json = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (!json) {
		size_t offset = end && end >= data ? (size_t)(end - data) : 0;
		if (!end)
			offset = cJSON_GetErrorPtr() ? (size_t)(cJSON_GetErrorPtr() - data) : 0;
		return lade__error(LADE_EINVALID, "%s is not valid JSON (near byte %zu)", what, offset);
	}
	if (!cJSON_IsObject(json)) {
		cJSON_Delete(json);
		return lade__error(LADE_EINVALID, "%s is not a JSON object", what);
	}
	*out = json;
	return 0;
}

/* ---- UTF-8 as Go decodes it: invalid bytes (overlong, surrogates, past U+10FFFF) one at a time ---- */

size_t lade__utf8_decode(const unsigned char *s, size_t len, unsigned *rune)
{
	unsigned c = s[0], r;
	size_t n, i;
	if (c < 0x80) {
		*rune = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, r = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, r = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, r = c & 0x07;
	else
		goto invalid;
	if (len < n)
		goto invalid;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			goto invalid;
		r = r << 6 | (s[i] & 0x3F);
	}
	if ((n == 3 && (r < 0x800 || (r >= 0xD800 && r <= 0xDFFF))) || (n == 4 && (r < 0x10000 || r > 0x10FFFF)))
		goto invalid;
	*rune = r;
	return n;
invalid:
	*rune = 0xFFFD;
	return 0; /* one invalid byte */
}

int lade__go_json_string(lade_buf *out, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0, n;
	unsigned r;
	int err;
	char esc[8];
	if ((err = lade_buf_put(out, "\"", 1)) < 0)
		return err;
	while (i < len) {
		const char *replacement = NULL;
		size_t width = 1;
		if (s[i] < 0x80) {
			unsigned char b = s[i];
			if (b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&') {
				i++;
				continue;
			}
			switch (b) {
			case '"': replacement = "\\\""; break;
			case '\\': replacement = "\\\\"; break;
			case '\b': replacement = "\\b"; break;
			case '\f': replacement = "\\f"; break;
			case '\n': replacement = "\\n"; break;
			case '\r': replacement = "\\r"; break;
			case '\t': replacement = "\\t"; break;
			default:
				snprintf(esc, sizeof(esc), "\\u00%c%c", hex[b >> 4], hex[b & 0xF]);
				replacement = esc;
			}
		} else {
			n = lade__utf8_decode(s + i, len - i, &r);
			if (!n) {
				replacement = "\\ufffd";
			} else if (r == 0x2028 || r == 0x2029) {
				replacement = r == 0x2028 ? "\\u2028" : "\\u2029";
				width = n;
			} else {
				i += n;
				continue;
			}
		}
		if ((err = lade_buf_put(out, s + start, i - start)) < 0 || (err = lade_buf_puts(out, replacement)) < 0)
			return err;
		i += width;
		start = i;
	}
	if ((err = lade_buf_put(out, s + start, i - start)) < 0)
		return err;
	return lade_buf_put(out, "\"", 1);
}

/* A cJSON tree as Go's json.Marshal writes it: compact, keys in their order, strings escaped as Go does. */
static int print_go(lade_buf *out, const cJSON *json, int depth)
{
	const cJSON *item;
	char number[64];
	int err = 0;
	if (depth > 64)
		return lade__error(LADE_ETOOLARGE, "JSON nested too deep to write");
	if (cJSON_IsString(json))
		return lade__go_json_string(out, json->valuestring, strlen(json->valuestring));
	if (cJSON_IsNumber(json)) {
		double d = json->valuedouble;
		if (d == (double)(int64_t)d && d > -9007199254740992.0 && d < 9007199254740992.0)
			snprintf(number, sizeof(number), "%lld", (long long)(int64_t)d);
		else
			snprintf(number, sizeof(number), "%.17g", d);
		return lade_buf_puts(out, number);
	}
	if (cJSON_IsTrue(json))
		return lade_buf_puts(out, "true");
	if (cJSON_IsFalse(json))
		return lade_buf_puts(out, "false");
	if (cJSON_IsArray(json) || cJSON_IsObject(json)) {
		int object = cJSON_IsObject(json);
		if ((err = lade_buf_puts(out, object ? "{" : "[")) < 0)
			return err;
		for (item = json->child; item; item = item->next) {
			if ((item != json->child && (err = lade_buf_puts(out, ",")) < 0) ||
			    (object && ((err = lade__go_json_string(out, item->string, strlen(item->string))) < 0 ||
					(err = lade_buf_puts(out, ":")) < 0)) ||
			    (err = print_go(out, item, depth + 1)) < 0)
				return err;
		}
		return lade_buf_puts(out, object ? "}" : "]");
	}
	return lade_buf_puts(out, "null");
}

int lade__json_print(lade_buf *out, const cJSON *json)
{
	return print_go(out, json, 0);
}

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

static int annotations_from_json(lade_annotations *out, const cJSON *obj, const char *what)
{
	const cJSON *map = cJSON_GetObjectItemCaseSensitive(obj, "annotations"), *item;
	int err;
	if (!map || cJSON_IsNull(map))
		return 0;
	if (!cJSON_IsObject(map))
		return lade__error(LADE_EINVALID, "%s: \"annotations\" must be an object", what);
	cJSON_ArrayForEach(item, map)
	{
		if (!cJSON_IsString(item))
			return lade__error(LADE_EINVALID, "%s: annotation \"%s\" must be a string", what, item->string);
		if (lade_annotations_get(out, item->string))
			return lade__error(LADE_EINVALID, "%s: annotation \"%s\" appears twice", what, item->string);
		if ((err = lade_annotations_set(out, item->string, item->valuestring)) < 0)
			return err;
	}
	return 0;
}

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
	if ((err = lade_digest_parse(&d.digest, digest)) == LADE_EUNSUPPORTED && strlen(digest) < sizeof(d.digest.str)) {
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
	    (err = annotations_from_json(&d.annotations, obj, what)) < 0)
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


/* ---- manifests and indexes read one descriptor at a time ---- */

/*
 * A manifest with 20,000 layers would be some 16 MiB as one cJSON tree
 * (about 800 bytes a layer). So the big arrays ("layers", "manifests")
 * are cut out of the text, the rest is parsed as usual, and each element
 * is parsed alone and turned into its descriptor before the next: memory
 * is the text plus the descriptors. The scanner only finds extents; cJSON
 * still judges every byte (the rest, and each element whole). Whatever
 * the scanner cannot split is parsed whole, as before.
 */

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Past one JSON value at p (ws skipped before), or NULL when the text ends first or nests over 1000. */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;
	p = skip_space(p, end);
	if (p >= end)
		return NULL;
	if (*p != '{' && *p != '[' && *p != '"') {
		while (p < end && !strchr(",]} \t\r\n", *p))
			p++;
		return p;
	}
	for (; p < end; p++) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
			if (!depth)
				return p + 1;
		} else if (*p == '{' || *p == '[') {
			if (++depth > 1000)
				return NULL;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return NULL;
}

/* Find the first top-level "layers" and "manifests" arrays; 0 when the text could not be split. */
static int find_arrays(const char *data, size_t len, lade__json_split *sp)
{
	const char *p = data, *end = data + len;
	p = skip_space(p, end);
	if (p >= end || *p++ != '{')
		return 0;
	for (;;) {
		const char *key, *key_end, *value, *value_end;
		p = skip_space(p, end);
		if (p < end && *p == '}')
			return 1;
		if (p >= end || *p != '"' || !(key_end = skip_value(p, end)))
			return 0;
		key = p;
		p = skip_space(key_end, end);
		if (p >= end || *p++ != ':')
			return 0;
		value = skip_space(p, end);
		if (!(value_end = skip_value(value, end)))
			return 0;
		if (value < end && *value == '[') {
			if (!sp->layers && key_end - key == 8 && !memcmp(key, "\"layers\"", 8)) {
				sp->layers = value;
				sp->layers_end = value_end;
			} else if (!sp->manifests && key_end - key == 11 && !memcmp(key, "\"manifests\"", 11)) {
				sp->manifests = value;
				sp->manifests_end = value_end;
			} else if (!sp->tags && key_end - key == 6 && !memcmp(key, "\"tags\"", 6)) {
				sp->tags = value;
				sp->tags_end = value_end;
			}
		}
		p = skip_space(value_end, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		return p < end && *p == '}';
	}
}

int lade__json_split_parse(const char *data, size_t len, size_t cap, const char *what, lade__json_split *sp)
{
	lade_buf rest;
	const char *cuts[3][2], *swap[2];
	const char *at = data;
	size_t ncuts = 0, i, j;
	int err;

	memset(sp, 0, sizeof(*sp));
	if (len > cap || !find_arrays(data, len, sp) || (!sp->layers && !sp->manifests && !sp->tags)) {
		sp->layers = sp->manifests = sp->tags = NULL;
		return lade__json_parse_descriptors(&sp->rest, data, len, cap, what);
	}
	/* The whole text is checked once for what cJSON cannot see (NUL, non-integer numbers). */
	if ((err = lade__json_parse_descriptors(NULL, data, len, cap, what)) < 0)
		return err;
	if (sp->layers)
		cuts[ncuts][0] = sp->layers, cuts[ncuts++][1] = sp->layers_end;
	if (sp->manifests)
		cuts[ncuts][0] = sp->manifests, cuts[ncuts++][1] = sp->manifests_end;
	if (sp->tags)
		cuts[ncuts][0] = sp->tags, cuts[ncuts++][1] = sp->tags_end;
	/* In the order they stand in the text. */
	for (i = 1; i < ncuts; i++)
		for (j = i; j > 0 && cuts[j][0] < cuts[j - 1][0]; j--) {
			memcpy(swap, cuts[j], sizeof(swap));
			memcpy(cuts[j], cuts[j - 1], sizeof(swap));
			memcpy(cuts[j - 1], swap, sizeof(swap));
		}
	lade_buf_init(&rest, cap);
	for (i = 0; i < ncuts; i++) {
		if ((err = lade_buf_put(&rest, at, (size_t)(cuts[i][0] - at))) < 0 || (err = lade_buf_puts(&rest, "[]")) < 0)
			goto done;
		at = cuts[i][1];
	}
	if ((err = lade_buf_put(&rest, at, (size_t)(data + len - at))) < 0)
		goto done;
	err = lade__json_parse(&sp->rest, rest.ptr, rest.size, cap, what);
done:
	lade_buf_dispose(&rest);
	return err;
}

int lade__json_split_each(const lade__json_split *sp, const char *key, const char *what, lade__json_element_cb cb,
			  void *payload)
{
	int layers = strcmp(key, "layers") == 0, tags = strcmp(key, "tags") == 0;
	const char *p = layers ? sp->layers : tags ? sp->tags : sp->manifests;
	const char *end = layers ? sp->layers_end : tags ? sp->tags_end : sp->manifests_end;
	const cJSON *array = cJSON_GetObjectItemCaseSensitive(sp->rest, key), *item;
	size_t n = 0;
	int err = 0;

	if (!cJSON_IsArray(array))
		return lade__error(LADE_EINVALID, "%s: \"%s\" must be an array", what, key);
	/* Not cut out (or cJSON saw another key first, spelled with escapes): the parsed array. */
	if (!p || cJSON_GetArraySize(array) != 0) {
		cJSON_ArrayForEach(item, array)
			if ((err = cb(NULL, 0, item, n++, payload)) != 0)
				return err;
		return 0;
	}
	p = skip_space(p + 1, end);
	while (p < end && *p != ']') {
		const char *value_end = skip_value(p, end), *parse_end = NULL;
		cJSON *element;
		if (!value_end)
			return lade__error(LADE_EINVALID, "%s: \"%s\" is not a valid array", what, key);
		element = cJSON_ParseWithLengthOpts(p, (size_t)(value_end - p), &parse_end, 0);
		if (!element || skip_space(parse_end, value_end) != value_end) {
			cJSON_Delete(element);
			return lade__error(LADE_EINVALID, "%s: %s[%zu] is not valid JSON", what, key, n);
		}
		err = cb(p, (size_t)(value_end - p), element, n++, payload);
		cJSON_Delete(element);
		if (err != 0)
			return err;
		p = skip_space(value_end, end);
		if (p < end && *p == ',')
			p = skip_space(p + 1, end);
		else if (p >= end || *p != ']')
			return lade__error(LADE_EINVALID, "%s: \"%s\" is not a valid array", what, key);
	}
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
		err = lade__error(LADE_EINVALID, "manifest: \"mediaType\" is '%s', not an image manifest", m.media_type);
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
		if (!(m.media_type = lade__strdup(LADE_MEDIATYPE_MANIFEST)) || (err = lade_descriptor_empty(&m.config)) < 0) {
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
		err = lade__snprintf(out, outlen, "%s", cJSON_GetObjectItemCaseSensitive(json, "config") ?
							 LADE_MEDIATYPE_MANIFEST : "");
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

cJSON *lade__descriptor_to_json(const lade_descriptor *d)
{
	cJSON *obj = cJSON_CreateObject(), *child;
	if (!obj)
		return NULL;
	if (!cJSON_AddStringToObject(obj, "mediaType", d->media_type) ||
	    !cJSON_AddStringToObject(obj, "digest", d->digest.str) ||
	    !cJSON_AddNumberToObject(obj, "size", (double)d->size))
		goto fail;
	if (d->annotations.count) {
		if (!(child = annotations_to_json(&d->annotations)))
			goto fail;
		cJSON_AddItemToObject(obj, "annotations", child);
	}
	if (d->data && !cJSON_AddStringToObject(obj, "data", d->data))
		goto fail;
	if (d->platform) {
		if (!(child = cJSON_AddObjectToObject(obj, "platform")) ||
		    !cJSON_AddStringToObject(child, "architecture", d->platform->architecture) ||
		    !cJSON_AddStringToObject(child, "os", d->platform->os) ||
		    (d->platform->variant && !cJSON_AddStringToObject(child, "variant", d->platform->variant)))
			goto fail;
	}
	if (d->artifact_type && !cJSON_AddStringToObject(obj, "artifactType", d->artifact_type))
		goto fail;
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
