/*
 * lade/kind.h - the interface through which the packager asks a kind of
 * artifact (plain file, tarball, folder, Helm chart, wasm module, ...) how
 * an input becomes layers, config and annotations, and how an artifact's
 * layers come back as files. core/ defines it; mediatypes/ implements the
 * kinds (lade/kinds.h).
 *
 * Two sorts of kind:
 *  - layer kinds (file, tar, dir) turn each input into one layer and may be
 *    mixed in one artifact: they implement `layer`;
 *  - artifact kinds (helm, wasm) make the whole artifact from one input,
 *    config included: they implement `artifact` (and `naming`).
 *
 * Invariants: a kind is immutable, static storage, and safe to share.
 * name, summary and detect are required; every other callback is optional.
 * Callbacks return 0 or a negative lade_error_code with the message set.
 */
#ifndef LADE_KIND_H
#define LADE_KIND_H

#include "lade/common.h"
#include "lade/manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LADE_KIND_HEAD_MAX 4096
#define LADE_KIND_PATH_MAX 4096

/* What is known of an input before a kind is chosen. */
typedef struct lade_kind_input {
	const char *path; /* borrowed */
	int is_dir;
	uint64_t size;
	char mime[128];        /* libmagic's bare MIME type when asked for (lade_kinds_probe_mime), else "" */
	char compression[16];  /* "gzip", "zstd", "" (none or unknown) */
	int is_tar;            /* a tar archive, possibly compressed */
	char first_entry[256]; /* a tar's first entry name, "" if none */
	unsigned char head[LADE_KIND_HEAD_MAX]; /* the first bytes of a file */
	size_t head_len;
} lade_kind_input;

/* One layer as a kind describes it. */
typedef struct lade_kind_layer {
	lade_descriptor desc; /* media_type and annotations; digest and size when the kind knows them */
	char *path;           /* owned (malloc); the bytes to push; NULL means the input itself */
	int temporary;        /* path is the kind's own file: the packager removes it after the push */
	int untitled;         /* leave out org.opencontainers.image.title */
} lade_kind_layer;

/* Release what a layer owns and remove its temporary file. */
LADE_EXTERN void lade_kind_layer_dispose(lade_kind_layer *layer);

/* A whole artifact as an artifact kind describes it. Zero it before use. */
typedef struct lade_kind_artifact {
	char *artifact_type;          /* NULL: no artifactType */
	int omit_manifest_media_type; /* leave "mediaType" out of the manifest, as helm push does */
	char *config_media_type;      /* NULL: the empty config */
	lade_buf config;              /* the config's exact bytes when config_media_type is set */
	lade_annotations annotations; /* manifest annotations */
	lade_kind_layer *layers;      /* in manifest order, unless sort_layers_by_digest */
	size_t layer_count;
	int sort_layers_by_digest;
} lade_kind_artifact;

/* Release what an artifact description owns (temporary layer files included). */
LADE_EXTERN void lade_kind_artifact_dispose(lade_kind_artifact *artifact);

/* Append a zeroed layer; *out points at it (valid until the next append). */
LADE_EXTERN int lade_kind_artifact_add_layer(lade_kind_artifact *artifact, lade_kind_layer **out);

/* What a kind sees of an artifact being pulled. */
typedef struct lade_pull_context {
	const lade_manifest *manifest; /* borrowed */
	const char *config;            /* the config's bytes when it is small JSON, else NULL */
	size_t config_len;
	const char *repository; /* the repository (or layout folder) name, for default file names */
} lade_pull_context;

/* Options for unpacking a layer into a folder. */
typedef struct lade_unpack_options {
	int preserve_permissions; /* apply the exact modes, setuid bits aside */
	int keep_old_files;       /* refuse to replace existing files */
	uint64_t max_bytes;       /* refuse to unpack more; 0: LADE_UNPACK_DEFAULT_MAX_BYTES(layer size) */
	uint64_t max_entries;     /* refuse more entries; 0: LADE_UNPACK_DEFAULT_MAX_ENTRIES */
} lade_unpack_options;

/*
 * The default limits of an unpack: a folder may grow to 1 GiB, or to 20
 * times its compressed size when that is more (real folders compress 2 to
 * 10 times; a bomb of zeros a thousand times), in at most a million entries.
 */
#define LADE_UNPACK_DEFAULT_MAX_BYTES(compressed)                                                                      \
	((uint64_t)(compressed) > ((uint64_t)1 << 30) / 20 ? (uint64_t)(compressed)*20 : ((uint64_t)1 << 30))
#define LADE_UNPACK_DEFAULT_MAX_ENTRIES ((uint64_t)1000000)

typedef struct lade_kind lade_kind;

struct lade_kind {
	const char *name;        /* "file", "tar", "dir", "helm", "wasm" */
	const char *summary;     /* one line for `lade kinds` */
	const char *media_types; /* the media types it writes, for `lade kinds` */
	/* How sure this kind is that in is its own: 0 (no) to 100 (certain). */
	int (*detect)(const lade_kind *k, const lade_kind_input *in);
	/*
	 * Layer kinds: fill the layer for in. A media type already set (by the
	 * user) is kept. The packager computes digest and size when the kind
	 * leaves them unset.
	 */
	int (*layer)(const lade_kind *k, const lade_kind_input *in, lade_kind_layer *out);
	/* Artifact kinds: describe the whole artifact. created (RFC 3339) may be NULL. */
	int (*artifact)(const lade_kind *k, const lade_kind_input *in, const char *created, lade_kind_artifact *out);
	/*
	 * Artifact kinds: the repository name the artifact implies (Helm: the
	 * chart name) and its default tag (Helm: the version, '+' as '_').
	 */
	int (*naming)(const lade_kind *k, const lade_kind_input *in, lade_buf *name, lade_buf *tag);
	/* Pull: how sure this kind is that the artifact is its own (0 to 100). */
	int (*claim)(const lade_kind *k, const lade_pull_context *ctx);
	/*
	 * Pull, for the kind that claimed the artifact: check it (media types,
	 * layer count) and write a warning (or "") into warning.
	 */
	int (*check)(const lade_kind *k, const lade_pull_context *ctx, char *warning, size_t warning_len);
	/* Pull: the file name of layer i, or LADE_ENOTFOUND when it has none. */
	int (*name_on_pull)(const lade_kind *k, const lade_pull_context *ctx, size_t i, char *out, size_t outlen);
	/* Pull: whether layer is to be unpacked into a folder rather than written as a file. */
	int (*unpacks)(const lade_kind *k, const lade_descriptor *layer);
	/* Pull: unpack the verified blob at blob_path into the new folder dest; on failure dest is left empty. */
	int (*unpack)(const lade_kind *k, const lade_descriptor *layer, const char *blob_path, const char *dest,
		      const lade_unpack_options *opts);
};

#ifdef __cplusplus
}
#endif
#endif
