/*
 * JSON as lade reads and writes it (json.h): parsing with the checks cJSON
 * leaves out (a NUL in a string, numbers that are not integer literals,
 * size caps), the split reader that takes a manifest's or index's big
 * arrays one element at a time, and Go's encoding/json output (compact,
 * `<`, `>`, `&`, U+2028/9 and invalid UTF-8 escaped), so what lade writes
 * matches what the Go tools write byte for byte.
 */
#include "internal.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		if (data[i + 1] == 'u' && i + 5 < len && data[i + 2] == '0' && data[i + 3] == '0' &&
		    data[i + 4] == '0' && data[i + 5] == '0')
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
		return lade__error(LADE_EINVALID,
				   "%s has a number that is not an integer (near byte %ld); sizes are whole numbers",
				   what, at);
	if (!out) {
		/* Only the checks cJSON cannot make: the caller parses the text in pieces. */
		if (len > cap)
			return lade__error(LADE_ETOOLARGE, "%s is %zu bytes, over the %zu-byte limit", what, len, cap);
		if ((at = nul_offset(data, len)) >= 0)
			return lade__error(LADE_EINVALID, "%s holds a NUL character (near byte %ld); refusing it", what,
					   at);
		return 0;
	}
	return lade_json_parse(out, data, len, cap, what);
}

int lade_json_parse(cJSON **out, const char *data, size_t len, size_t cap, const char *what)
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

size_t lade_utf8_decode(const unsigned char *s, size_t len, unsigned *rune)
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

int lade_json_string(lade_buf *out, const char *str, size_t len)
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
			case '"':
				replacement = "\\\"";
				break;
			case '\\':
				replacement = "\\\\";
				break;
			case '\b':
				replacement = "\\b";
				break;
			case '\f':
				replacement = "\\f";
				break;
			case '\n':
				replacement = "\\n";
				break;
			case '\r':
				replacement = "\\r";
				break;
			case '\t':
				replacement = "\\t";
				break;
			default:
				snprintf(esc, sizeof(esc), "\\u00%c%c", hex[b >> 4], hex[b & 0xF]);
				replacement = esc;
			}
		} else {
			n = lade_utf8_decode(s + i, len - i, &r);
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
		return lade_json_string(out, json->valuestring, strlen(json->valuestring));
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
			    (object && ((err = lade_json_string(out, item->string, strlen(item->string))) < 0 ||
					(err = lade_buf_puts(out, ":")) < 0)) ||
			    (err = print_go(out, item, depth + 1)) < 0)
				return err;
		}
		return lade_buf_puts(out, object ? "}" : "]");
	}
	return lade_buf_puts(out, "null");
}

int lade_json_print(lade_buf *out, const cJSON *json)
{
	return print_go(out, json, 0);
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
		if ((err = lade_buf_put(&rest, at, (size_t)(cuts[i][0] - at))) < 0 ||
		    (err = lade_buf_puts(&rest, "[]")) < 0)
			goto done;
		at = cuts[i][1];
	}
	if ((err = lade_buf_put(&rest, at, (size_t)(data + len - at))) < 0)
		goto done;
	err = lade_json_parse(&sp->rest, rest.ptr, rest.size, cap, what);
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
		cJSON_ArrayForEach (item, array)
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
