/*
 * lade/manifest.h - OCI descriptors, image manifests and image indexes:
 * decode and validate with a size cap, encode to compact JSON.
 *
 * Invariants:
 *  - Structures here own all their strings; release them with the matching
 *    _dispose. A zeroed structure is valid to dispose.
 *  - Encoding is deterministic: Go's key order, annotations sorted by key,
 *    no whitespace. The bytes encoded are the bytes to digest and send;
 *    never re-encode a manifest after taking its digest.
 *  - Parsing refuses input over LADE_MANIFEST_LIMIT bytes.
 */
#ifndef LADE_MANIFEST_H
#define LADE_MANIFEST_H

#include "lade/common.h"
#include "lade/digest.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LADE_MANIFEST_LIMIT ((size_t)4 * 1024 * 1024)

#define LADE_MEDIATYPE_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define LADE_MEDIATYPE_INDEX "application/vnd.oci.image.index.v1+json"
#define LADE_MEDIATYPE_EMPTY "application/vnd.oci.empty.v1+json"
#define LADE_MEDIATYPE_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define LADE_MEDIATYPE_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
/* The artifact manifest of image-spec 1.1's release candidates, withdrawn; ORAS 1.0 and oras-go v2.0 wrote it. Read only. */
#define LADE_MEDIATYPE_ARTIFACT_MANIFEST "application/vnd.oci.artifact.manifest.v1+json"
#define LADE_ARTIFACT_TYPE_UNKNOWN "application/vnd.unknown.artifact.v1"
#define LADE_EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

#define LADE_ANNOTATION_TITLE "org.opencontainers.image.title"
#define LADE_ANNOTATION_CREATED "org.opencontainers.image.created"
#define LADE_ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"

/*
 * A string map kept in insertion order; encoded sorted by key. Zero it to
 * start; change it only through lade_annotations_set (keys and values may
 * be read directly). Past a few entries a hash index keeps lookups O(1),
 * so a manifest with 200,000 annotations costs a moment, not minutes.
 */
typedef struct lade_annotations {
	char **keys;
	char **values;
	size_t count;
	size_t cap;      /* private: room in keys and values */
	size_t *slots;   /* private: the index, entry + 1 per slot (0: free), or NULL while small */
	size_t slot_cap; /* private: a power of two */
} lade_annotations;

/* Set key to value (copies both), replacing an existing value. */
LADE_EXTERN int lade_annotations_set(lade_annotations *a, const char *key, const char *value);

/* The value for key, or NULL. Borrowed: valid until the map changes. */
LADE_EXTERN const char *lade_annotations_get(const lade_annotations *a, const char *key);

/* Release every entry; the map is empty after. */
LADE_EXTERN void lade_annotations_dispose(lade_annotations *a);

typedef struct lade_platform {
	char *architecture;
	char *os;
	char *os_version;   /* "os.version", NULL when absent */
	char **os_features; /* "os.features" */
	size_t os_feature_count;
	char *variant; /* NULL when absent */
} lade_platform;

/* Release what the platform owns (not p itself). */
LADE_EXTERN void lade_platform_dispose(lade_platform *p);

/*
 * Parse "os/arch[/variant]" (linux/amd64, linux/arm64/v8, windows/amd64)
 * into out, normalised (lade_platform_normalize). Caller disposes out.
 * Returns 0 or LADE_EINVALID.
 */
LADE_EXTERN int lade_platform_parse(lade_platform *out, const char *text);

/* The platform this program runs on (uname), normalised. Caller disposes out. */
LADE_EXTERN int lade_platform_host(lade_platform *out);

/*
 * Bring the usual spellings to OCI's: x86_64 -> amd64, aarch64 -> arm64
 * (variant v8), armhf -> arm v7, armel -> arm v6, i386/i686 -> 386, a
 * missing arm variant -> v7, arm64's -> v8, amd64's v1 -> none, variants
 * as "vN"; os lower case, macos -> darwin. Returns 0 or LADE_ENOMEM.
 */
LADE_EXTERN int lade_platform_normalize(lade_platform *p);

/*
 * Whether have (an index entry's platform) serves want: same os and
 * architecture once normalised, the same variant when want names one,
 * the same os.version when want names one, and every os feature want
 * lists. 1 or 0.
 */
LADE_EXTERN int lade_platform_match(const lade_platform *want, const lade_platform *have);

/* "os/arch[/variant]" into out. */
LADE_EXTERN void lade_platform_format(const lade_platform *p, char *out, size_t outlen);

typedef struct lade_descriptor {
	char *media_type;
	lade_digest digest;
	uint64_t size;
	char *artifact_type; /* NULL when absent */
	lade_annotations annotations;
	char *data;              /* base64 of embedded content, NULL when absent */
	lade_platform *platform; /* NULL when absent */
	char **urls;             /* "urls": where else the content may be fetched */
	size_t url_count;
	char *unknown; /* fields lade does not model, as a compact JSON object in their
					 order (NULL when none): kept, and written back after the others */
} lade_descriptor;

/* Deep copy src into dst (dst is overwritten, not disposed). */
LADE_EXTERN int lade_descriptor_copy(lade_descriptor *dst, const lade_descriptor *src);

/* Release what the descriptor owns. */
LADE_EXTERN void lade_descriptor_dispose(lade_descriptor *d);

/*
 * Append d as JSON, as it appears in a manifest: compact, Go's escaping,
 * annotations sorted, fields lade does not model written back as read
 * (what `lade manifest fetch --descriptor` and `lade blob push` print).
 */
LADE_EXTERN int lade_descriptor_encode(lade_buf *out, const lade_descriptor *d);

/* Fill d as the 2-byte "{}" empty descriptor (with data "e30="). */
LADE_EXTERN int lade_descriptor_empty(lade_descriptor *d);

/* Whether the media type names a manifest or index (OCI or Docker). */
LADE_EXTERN int lade_mediatype_is_manifest(const char *media_type);

/* Check a media type against the OCI grammar. Returns 0 or LADE_EINVALID; what names the field. */
LADE_EXTERN int lade_mediatype_validate(const char *media_type, const char *what);

typedef struct lade_manifest {
	int schema_version;  /* always 2 */
	char *media_type;    /* NULL when absent (then also left out when encoded) */
	char *artifact_type; /* NULL when absent */
	lade_descriptor config;
	lade_descriptor *layers;
	size_t layer_count;
	lade_descriptor *subject; /* NULL when absent */
	lade_annotations annotations;
} lade_manifest;

/*
 * Decode and validate an image manifest (OCI or Docker v2 schema 2).
 * Checks schemaVersion, mediaType, every descriptor's digest, size and
 * media type, and that artifactType is set when config is the empty
 * descriptor. Caller disposes *out on success only.
 * Returns 0, LADE_EINVALID or LADE_ETOOLARGE.
 */
LADE_EXTERN int lade_manifest_parse(lade_manifest *out, const char *data, size_t len);

/* Encode to compact JSON in out (appended). Validates first. */
LADE_EXTERN int lade_manifest_encode(lade_buf *out, const lade_manifest *m);

/* Append a copy of layer to the manifest's layers. */
LADE_EXTERN int lade_manifest_add_layer(lade_manifest *m, const lade_descriptor *layer);

LADE_EXTERN void lade_manifest_dispose(lade_manifest *m);

typedef struct lade_index {
	int schema_version;
	char *media_type;
	char *artifact_type;
	lade_descriptor *manifests;
	size_t manifest_count;
	lade_descriptor *subject;
	lade_annotations annotations;
} lade_index;

/* Decode and validate an image index. Caller disposes *out on success only. */
LADE_EXTERN int lade_index_parse(lade_index *out, const char *data, size_t len);

/* Encode to compact JSON in out (appended). */
LADE_EXTERN int lade_index_encode(lade_buf *out, const lade_index *idx);

/*
 * The first manifest of idx whose platform serves want (lade_platform_match),
 * as ORAS and crane choose; NULL when none does. Borrowed from idx.
 */
LADE_EXTERN const lade_descriptor *lade_index_platform(const lade_index *idx, const lade_platform *want);

/*
 * The same from an index's bytes and a platform's text ("os/arch[/variant]"):
 * a copy of the chosen manifest's descriptor into out (caller disposes).
 * LADE_ENOTFOUND naming the platform when no manifest serves it; a bad
 * platform or index is refused as lade_platform_parse and lade_index_parse
 * refuse them.
 */
LADE_EXTERN int lade_index_choose(const char *data, size_t len, const char *platform, lade_descriptor *out);

LADE_EXTERN void lade_index_dispose(lade_index *idx);

/*
 * The "mediaType" field of a JSON document, to tell manifests from indexes.
 * Writes "" when absent. Returns 0, LADE_EINVALID (not a JSON object) or
 * LADE_ETOOLARGE.
 */
LADE_EXTERN int lade_manifest_sniff_media_type(const char *data, size_t len, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif
