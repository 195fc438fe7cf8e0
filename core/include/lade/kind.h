/*
 * lade/kind.h - the interface through which the packager asks a kind of
 * artifact (plain file, Helm chart, wasm module, ...) how a path becomes a
 * layer and what name a layer gets back on pull. core/ defines it;
 * mediatypes/ implements the kinds (lade/kinds.h).
 *
 * Invariants: a kind is immutable, static storage, and safe to share.
 * Every callback is optional except name and detect.
 */
#ifndef LADE_KIND_H
#define LADE_KIND_H

#include "lade/common.h"
#include "lade/manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LADE_KIND_HEAD_MAX 4096

/* What is known of an input before a kind is chosen. */
typedef struct lade_kind_input {
	const char *path;                        /* borrowed */
	int is_dir;
	uint64_t size;
	char mime[128];                          /* libmagic's bare MIME type, "" if unknown */
	unsigned char head[LADE_KIND_HEAD_MAX];  /* the first bytes of a file */
	size_t head_len;
} lade_kind_input;

typedef struct lade_kind lade_kind;

struct lade_kind {
	const char *name;    /* "file", "helm", "wasm", "tar", "dir" */
	const char *summary; /* one line for `lade kinds` */
	/* How sure this kind is that in is its own: 0 (no) to 100 (certain). */
	int (*detect)(const lade_kind *k, const lade_kind_input *in);
	/*
	 * Fill the layer's media type (when layer->media_type is NULL) and add
	 * annotations. The digest and size are already set. Returns 0 or an error.
	 */
	int (*describe_layer)(const lade_kind *k, const lade_kind_input *in, lade_descriptor *layer);
	/* The manifest artifactType for this kind, or NULL for the caller's default. */
	const char *(*artifact_type)(const lade_kind *k, const lade_kind_input *in);
	/*
	 * The file name for a layer that has no title, or LADE_ENOTFOUND when
	 * the kind has none. out is a bounded buffer of outlen bytes.
	 */
	int (*name_on_pull)(const lade_kind *k, const lade_manifest *m, const lade_descriptor *layer, char *out,
			    size_t outlen);
};

#ifdef __cplusplus
}
#endif
#endif
