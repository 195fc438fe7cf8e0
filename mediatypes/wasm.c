/*
 * The WebAssembly kind: core modules and components, told apart by bytes
 * 6-7 of the header (00 00 module, 01 00 component), pushed in the CNCF
 * wasm OCI layout (formats.md §6) as oci-wasm and wkg write it: config
 * application/vnd.wasm.config.v0+json with oci-wasm's fields in its order
 * (author and target null), architecture "wasm", os wasip1 (modules) or wasip2 (components),
 * layerDigests, `created` (SOURCE_DATE_EPOCH, else the file's time), and for components
 * the names of the top-level imports and exports; one application/wasm
 * layer. The file is walked section by section (sizes checked against the
 * file, so a truncated binary is refused) without being held in memory.
 */
#include "lade/sys/util.h"
#include "kinds.h"
#include "lade/sys/fs.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WASM_CONFIG "application/vnd.wasm.config.v0+json"
#define WASM_LAYER "application/wasm"
#define LEGACY_CONFIG "application/vnd.wasm.config.v1+json"
#define LEGACY_LAYER "application/vnd.wasm.content.layer.v1+wasm"
#define RUNWASI_LAYER "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm"

/*
 * Import and export sections are small: all of them together may hold
 * 16 MiB, and a component may list 10,000 names in its config. Counts are
 * checked against these before anything is built, so a hostile binary
 * with a million imports costs a bounded read, not a gigabyte of JSON.
 */
#define NAME_SECTIONS_MAX ((uint64_t)16 << 20)
#define NAMES_MAX 10000

enum { SECTION_IMPORT = 10, SECTION_EXPORT = 11 };

static int wasm_detect(const lade_kind *k, const lade_kind_input *in)
{
	(void)k;
	return !in->is_dir && in->head_len >= 4 && memcmp(in->head, "\0asm", 4) == 0 ? 95 : 0;
}

/* ---- a bounded reader over one section's bytes ---- */

typedef struct reader {
	const unsigned char *p, *end;
	int bad;
} reader;

static uint64_t read_leb(reader *r, int max_bits)
{
	uint64_t value = 0;
	int shift = 0;
	for (;;) {
		unsigned char byte;
		if (r->p >= r->end || shift >= max_bits) {
			r->bad = 1;
			return 0;
		}
		byte = *r->p++;
		value |= (uint64_t)(byte & 0x7f) << shift;
		shift += 7;
		if (!(byte & 0x80))
			return value;
	}
}

static unsigned char read_byte(reader *r)
{
	if (r->p >= r->end) {
		r->bad = 1;
		return 0;
	}
	return *r->p++;
}

/* A name (len:u32 then UTF-8 bytes) as a new string, or NULL when r is bad. */
static char *read_name(reader *r)
{
	uint64_t len = read_leb(r, 35);
	char *s;
	if (r->bad || len > (uint64_t)(r->end - r->p)) {
		r->bad = 1;
		return NULL;
	}
	if (memchr(r->p, '\0', len)) { /* a NUL would cut the name short in the config */
		r->bad = 1;
		return NULL;
	}
	if (!(s = malloc(len + 1)))
		return NULL;
	memcpy(s, r->p, len);
	s[len] = '\0';
	r->p += len;
	return s;
}

/* Core limits: a flag byte, the minimum, and the maximum when flag bit 0 is set. */
static void skip_limits(reader *r)
{
	unsigned char flags = read_byte(r);
	read_leb(r, 70);
	if (flags & 1)
		read_leb(r, 70);
}

static void skip_name(reader *r)
{
	free(read_name(r));
}

/* importname' / exportname': a prefix byte, the name, and (newer encodings) a version or attributes. */
static char *read_extern_name(reader *r)
{
	unsigned char prefix = read_byte(r);
	char *name = read_name(r);
	if (!name)
		return NULL;
	/* 0x00 and 0x01 both carry just the name (wasm-tools writes 0x01, wasmparser reads either). */
	if (prefix == 0x00 || prefix == 0x01) {
	} else if (prefix == 0x02) {
		uint64_t n = read_leb(r, 35), i;
		for (i = 0; i < n && !r->bad; i++) {
			read_byte(r);
			skip_name(r);
		}
	} else {
		r->bad = 1;
	}
	if (r->bad) {
		free(name);
		return NULL;
	}
	return name;
}

/* externdesc; returns its sort byte (0x01 func, 0x03 type, 0x05 instance, ...). */
static int skip_externdesc(reader *r)
{
	unsigned char sort = read_byte(r);
	switch (sort) {
	case 0x00:
		read_byte(r); /* 0x11: core module */
		read_leb(r, 35);
		break;
	case 0x01:
	case 0x04:
	case 0x05:
		read_leb(r, 35);
		break;
	case 0x02: /* value: a bound, 0x00 valueidx or 0x01 valtype */
		read_byte(r);
		read_leb(r, 35);
		break;
	case 0x03:
		if (read_byte(r) == 0x00)
			read_leb(r, 35);
		break;
	default:
		r->bad = 1;
	}
	return sort;
}

/*
 * A name as the world lists it: "[constructor]r", "[method]r.f" and
 * "[static]r.f" belong to resource r and are not listed on their own
 * (NULL); "[async]f" is the function f.
 */
static const char *world_name(const char *name)
{
	if (name[0] != '[')
		return name;
	if (!strncmp(name, "[async]", 7))
		return name + 7;
	return NULL;
}

/* The names a world lists: what `jco wit` shows as `import x;` / `export x;`, types aside. */
static int names_from_section(int id, const unsigned char *data, uint32_t len, cJSON *list, size_t *names)
{
	reader r = {data, data + len, 0};
	uint64_t count = read_leb(&r, 35), i;
	/* Every entry takes at least three bytes: a count beyond that is a lie. */
	if (r.bad || count > len / 3)
		return -1;
	if (*names + count > NAMES_MAX)
		return -2;
	*names += (size_t)count;
	for (i = 0; i < count && !r.bad; i++) {
		char *name = read_extern_name(&r);
		int sort;
		if (!name)
			break;
		if (id == SECTION_IMPORT) {
			sort = skip_externdesc(&r);
		} else {
			sort = read_byte(&r);
			if (sort == 0x00)
				read_byte(&r); /* core sort */
			read_leb(&r, 35);
			/* An export may carry an explicit type ascription. */
			if (read_byte(&r) == 0x01)
				skip_externdesc(&r);
			sort = sort == 0x00 ? -1 : sort;
		}
		if (!r.bad && sort != 0x03 && sort >= 0 && world_name(name))
			cJSON_AddItemToArray(list, cJSON_CreateString(world_name(name)));
		free(name);
	}
	return r.bad ? -1 : 0;
}

/* What the walk over a binary found. */
typedef struct wasm_info {
	int component;
	int wasi_preview1; /* a module importing from wasi_snapshot_preview1 */
	cJSON *imports;
	cJSON *exports;
} wasm_info;

static int read_exact(int fd, void *buf, size_t len, off_t at)
{
	char *p = buf;
	while (len) {
		ssize_t n = pread(fd, p, len, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		at += n;
	}
	return 0;
}

static int walk_wasm(const char *path, wasm_info *info)
{
	unsigned char header[8];
	struct stat st;
	off_t at = 8, size;
	uint64_t name_bytes = 0;
	size_t names = 0;
	int fd, err = 0;

	memset(info, 0, sizeof(*info));
	if ((fd = lade_fs_open_regular(path)) < 0)
		return fd;
	if (fstat(fd, &st) < 0 || (size = st.st_size) < 8 || read_exact(fd, header, 8, 0) < 0 ||
	    memcmp(header, "\0asm", 4) != 0) {
		err = lade_error_set(LADE_EINVALID, "'%s' is not WebAssembly: it is shorter than the 8-byte header",
				     path);
		goto done;
	}
	if (header[6] == 0 && header[7] == 0) {
		if (header[4] != 1 || header[5] != 0) {
			err = lade_error_set(LADE_EINVALID, "'%s' is not WebAssembly: core module version %u is not 1",
					     path, header[4] | header[5] << 8);
			goto done;
		}
	} else if (header[6] == 1 && header[7] == 0) {
		info->component = 1;
		if (!(info->imports = cJSON_CreateArray()) || !(info->exports = cJSON_CreateArray())) {
			err = lade_error_set_oom();
			goto done;
		}
	} else {
		err = lade_error_set(LADE_EINVALID, "'%s' is not WebAssembly: unknown layer %02x %02x in its header",
				     path, header[6], header[7]);
		goto done;
	}
	while (at < size) {
		unsigned char head[6];
		size_t have = size - at < (off_t)sizeof(head) ? (size_t)(size - at) : sizeof(head);
		reader r = {head, head + have, 0};
		unsigned char id;
		uint64_t len;
		if (read_exact(fd, head, have, at) < 0) {
			err = lade_error_set(LADE_EIO, "cannot read '%s'", path);
			goto done;
		}
		id = read_byte(&r);
		len = read_leb(&r, 35);
		if (r.bad || len > (uint64_t)(size - at - (r.p - head))) {
			err = lade_error_set(
			    LADE_EINVALID,
			    "'%s' is not valid WebAssembly: section at byte %lld runs past the end (truncated?)", path,
			    (long long)at);
			goto done;
		}
		at += r.p - head;
		if ((info->component && (id == SECTION_IMPORT || id == SECTION_EXPORT)) ||
		    (!info->component && id == 2)) {
			unsigned char *data;
			if ((name_bytes += len) > NAME_SECTIONS_MAX) {
				err = lade_error_set(
				    LADE_ETOOLARGE,
				    "'%s': its import and export sections hold over %llu bytes; refusing", path,
				    (unsigned long long)NAME_SECTIONS_MAX);
				goto done;
			}
			if (!(data = malloc(len ? len : 1))) {
				err = lade_error_set_oom();
				goto done;
			}
			if (read_exact(fd, data, len, at) < 0) {
				free(data);
				err = lade_error_set(LADE_EIO, "cannot read '%s'", path);
				goto done;
			}
			if (info->component) {
				err = names_from_section(id, data, (uint32_t)len,
							 id == SECTION_IMPORT ? info->imports : info->exports, &names);
				if (err == -2)
					err = lade_error_set(
					    LADE_ETOOLARGE,
					    "'%s': the component lists over %d imports and exports; refusing", path,
					    NAMES_MAX);
				else if (err < 0)
					err = lade_error_set(LADE_EINVALID,
							     "'%s': cannot read the component's %s section", path,
							     id == SECTION_IMPORT ? "import" : "export");
			} else {
				/* A core import section: does any import come from WASI preview 1? */
				reader ir = {data, data + len, 0};
				uint64_t n = read_leb(&ir, 35), i;
				if (n > len / 3)
					ir.bad = 1;
				for (i = 0; i < n && !ir.bad && !info->wasi_preview1; i++) {
					char *module = read_name(&ir);
					info->wasi_preview1 = module && strcmp(module, "wasi_snapshot_preview1") == 0;
					free(module);
					skip_name(&ir);
					switch (read_byte(&ir)) {
					case 0x00:
						read_leb(&ir, 35);
						break; /* func: type index */
					case 0x01:
						read_byte(&ir);
						skip_limits(&ir);
						break; /* table: reftype, limits */
					case 0x02:
						skip_limits(&ir);
						break; /* memory: limits */
					case 0x03:
						read_byte(&ir);
						read_byte(&ir);
						break; /* global: type, mutability */
					case 0x04:
						read_byte(&ir);
						read_leb(&ir, 35);
						break; /* tag */
					default:
						ir.bad = 1;
					}
				}
			}
			free(data);
			if (err < 0)
				goto done;
		}
		at += (off_t)len;
	}
done:
	close(fd);
	if (err < 0) {
		cJSON_Delete(info->imports);
		cJSON_Delete(info->exports);
		memset(info, 0, sizeof(*info));
	}
	return err;
}

int lade__wasm_walk(const char *path)
{
	wasm_info info;
	int err = walk_wasm(path, &info);
	if (err == 0) {
		cJSON_Delete(info.imports);
		cJSON_Delete(info.exports);
	}
	return err;
}

static int wasm_artifact(const lade_kind *k, const lade_kind_input *in, const char *created, lade_kind_artifact *out)
{
	wasm_info info;
	lade_kind_layer *layer;
	cJSON *config = NULL, *digests, *component;
	char *json = NULL, title[PATH_MAX], when[32];
	int err;

	(void)k;
	if ((err = walk_wasm(in->path, &info)) < 0)
		return err;
	lade_buf_init(&out->config, LADE_MANIFEST_LIMIT);
	if ((err = lade_kind_artifact_add_layer(out, &layer)) < 0 ||
	    (err = lade_base_name(in->path, title, sizeof(title))) < 0)
		goto done;
	if (!(layer->desc.media_type = lade_strdup(WASM_LAYER)) ||
	    (err = lade_annotations_set(&layer->desc.annotations, LADE_ANNOTATION_TITLE, title)) < 0) {
		err = err < 0 ? err : LADE_ENOMEM;
		goto done;
	}
	/* The config lists the layer's digest, so the kind hashes the file itself. */
	if ((err = lade_digest_file(&layer->desc.digest, &layer->desc.size, LADE_DIGEST_SHA256, in->path)) < 0)
		goto done;
	if (!created) {
		/* Readers such as rust oci-wasm require created: the file's modification time, then. */
		struct stat st;
		if (stat(in->path, &st) < 0) {
			err = lade_error_set(LADE_EIO, "cannot read '%s'", in->path);
			goto done;
		}
		lade__format_time((int64_t)st.st_mtime, when, sizeof(when));
	}
	/* oci-wasm's WasmConfig, field for field: its Option fields are written as null. */
	if (!(config = cJSON_CreateObject()) || !cJSON_AddStringToObject(config, "created", created ? created : when) ||
	    !cJSON_AddNullToObject(config, "author") || !cJSON_AddStringToObject(config, "architecture", "wasm") ||
	    !cJSON_AddStringToObject(config, "os", info.component ? "wasip2" : "wasip1") ||
	    !(digests = cJSON_AddArrayToObject(config, "layerDigests"))) {
		err = lade_error_set_oom();
		goto done;
	}
	cJSON_AddItemToArray(digests, cJSON_CreateString(layer->desc.digest.str));
	if (info.component) {
		if (!(component = cJSON_AddObjectToObject(config, "component"))) {
			err = lade_error_set_oom();
			goto done;
		}
		cJSON_AddItemToObject(component, "exports", info.exports);
		cJSON_AddItemToObject(component, "imports", info.imports);
		info.exports = info.imports = NULL;
		if (!cJSON_AddNullToObject(component, "target")) {
			err = lade_error_set_oom();
			goto done;
		}
	} else if (!cJSON_AddNullToObject(config, "component")) {
		err = lade_error_set_oom();
		goto done;
	}
	if (!(json = cJSON_PrintUnformatted(config)) || !(out->config_media_type = lade_strdup(WASM_CONFIG))) {
		err = lade_error_set_oom();
		goto done;
	}
	if ((err = lade_buf_puts(&out->config, json)) < 0)
		goto done;
	if (created && (err = lade_annotations_set(&out->annotations, LADE_ANNOTATION_CREATED, created)) < 0)
		goto done;
done:
	cJSON_free(json);
	cJSON_Delete(config);
	cJSON_Delete(info.imports);
	cJSON_Delete(info.exports);
	return err;
}

/* ---- pull ---- */

static int is_wasm_layer(const lade_descriptor *d)
{
	return !strcmp(d->media_type, WASM_LAYER) || !strcmp(d->media_type, LEGACY_LAYER) ||
	       !strcmp(d->media_type, RUNWASI_LAYER);
}

static int wasm_claim(const lade_kind *k, const lade_pull_context *ctx)
{
	size_t i;
	(void)k;
	if (!strcmp(ctx->manifest->config.media_type, WASM_CONFIG) ||
	    !strcmp(ctx->manifest->config.media_type, LEGACY_CONFIG))
		return 100;
	for (i = 0; i < ctx->manifest->layer_count; i++)
		if (is_wasm_layer(&ctx->manifest->layers[i]))
			return 60;
	return 0;
}

static int wasm_check(const lade_kind *k, const lade_pull_context *ctx, char *warning, size_t len)
{
	size_t i, n = 0;
	(void)k;
	warning[0] = '\0';
	for (i = 0; i < ctx->manifest->layer_count; i++)
		n += is_wasm_layer(&ctx->manifest->layers[i]);
	if (n == 0)
		return lade_error_set(LADE_EINVALID, "the wasm artifact has no wasm layer");
	if (n > 1)
		snprintf(warning, len,
			 "the wasm artifact has %zu wasm layers (the wasm OCI layout has one, its entrypoint first); "
			 "untitled ones are named <name>-2.wasm and on",
			 n);
	else if (!strcmp(ctx->manifest->config.media_type, LEGACY_CONFIG))
		snprintf(warning, len, "wasm-to-oci media types (%s) are the older form", LEGACY_CONFIG);
	return 0;
}

static int wasm_name_on_pull(const lade_kind *k, const lade_pull_context *ctx, size_t i, char *out, size_t outlen)
{
	char base[256];
	int err;
	(void)k;
	size_t j, nth = 1;
	if (!is_wasm_layer(&ctx->manifest->layers[i]))
		return LADE_ENOTFOUND;
	if ((err = lade_base_name(ctx->repository, base, sizeof(base))) < 0)
		return err;
	/* The first wasm layer is the entrypoint, <name>.wasm (wkg's name); any others follow it numbered. */
	for (j = 0; j < i; j++)
		nth += is_wasm_layer(&ctx->manifest->layers[j]);
	if (nth > 1)
		return lade_snprintf(out, outlen, "%s-%zu.wasm", base, nth);
	return lade_snprintf(out, outlen, "%s.wasm", base);
}

const lade_kind lade__kind_wasm = {
    .name = "wasm",
    .summary = "WebAssembly core modules (wasip1) and components (wasip2), CNCF wasm OCI layout",
    .media_types = WASM_CONFIG ", " WASM_LAYER,
    .detect = wasm_detect,
    .artifact = wasm_artifact,
    .claim = wasm_claim,
    .check = wasm_check,
    .name_on_pull = wasm_name_on_pull,
};
