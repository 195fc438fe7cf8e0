/*
 * lade/pack.h - the packager: push local files as one artifact into a
 * target, and pull an artifact's files back out of one.
 *
 * Invariants:
 *  - Pushes are reproducible: the same files, options and `created` value
 *    give the same manifest bytes and digest; no wall-clock time is added.
 *  - The manifest is encoded once; its digest is over exactly the bytes sent.
 *  - Pull checks every destination path before it fetches anything: titles
 *    that are absolute, climb out with "..", or land through a symlink
 *    outside the output folder are refused unless allow_path_traversal.
 */
#ifndef LADE_PACK_H
#define LADE_PACK_H

#include "lade/kind.h"
#include "lade/manifest.h"
#include "lade/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One input to push: a file, a folder with the dir kind, or "-" for standard input. */
typedef struct lade_push_file {
	const char *path;             /* borrowed; "-": standard input, sent while read (title "stdin") */
	const char *media_type;       /* borrowed; NULL: the kind's, else "application/octet-stream" */
	const char *title;            /* borrowed; NULL: the path, or its base name when absolute or outside "." */
	const lade_kind *kind;        /* borrowed; NULL: a plain file */
	const lade_kind_input *input; /* borrowed; what the kind was chosen from (needed with kind), or
					 NULL to have the options' probe describe the file when its turn comes */
	const lade_annotations *annotations; /* borrowed; extra layer annotations, may be NULL */
} lade_push_file;

/*
 * Describe a file the caller left without an input: fill in (the kind's
 * lade_kinds_probe does) and, when *kind is NULL, choose its kind
 * (lade_kinds_detect). media_type is the user's, or NULL. Return 0 or an
 * error with the message set.
 */
typedef int (*lade_push_probe_cb)(lade_kind_input *in, const lade_kind **kind, const char *path, const char *media_type,
				  void *payload);

/* Version 2 added probe; a version 1 struct is still accepted. */
#define LADE_PUSH_OPTIONS_VERSION 3

typedef struct lade_push_options {
	unsigned int version;        /* LADE_PUSH_OPTIONS_VERSION */
	const lade_push_file *files; /* borrowed; an artifact kind (helm, wasm) takes exactly one */
	size_t file_count;
	const char *artifact_type;                  /* NULL: the kind's; with the empty config and no kind's,
						 application/vnd.unknown.artifact.v1 */
	const char *config_path;                    /* NULL: the kind's config, else the empty config */
	const char *config_media_type;              /* NULL: application/vnd.unknown.config.v1+json */
	const lade_annotations *annotations;        /* manifest annotations, added to the kind's; may be NULL */
	const lade_annotations *config_annotations; /* may be NULL */
	const char *created;                        /* RFC 3339 value for org.opencontainers.image.created, or NULL */
	const char *const *tags;                    /* borrowed; tags to point at the manifest */
	size_t tag_count;
	/*
	 * Optional: called for each file whose input is NULL, just before its
	 * layer is made, with one lade_kind_input reused for every file: a
	 * push of 20,000 files holds one, not 20,000 (4 KiB each).
	 */
	lade_push_probe_cb probe;
	void *probe_payload;
	/* version 3 */
	/*
	 * The manifest this artifact refers to (attach): written as the
	 * manifest's "subject", so the artifact is listed among the subject's
	 * referrers (the target keeps a registry's fallback index where it has
	 * no referrers API). Borrowed; NULL for none.
	 */
	const lade_descriptor *subject;
} lade_push_options;

#define LADE_PUSH_OPTIONS_INIT                                                                                         \
	{                                                                                                              \
		.version = LADE_PUSH_OPTIONS_VERSION                                                                   \
	}

typedef struct lade_push_result {
	lade_descriptor manifest; /* the pushed manifest's descriptor */
	lade_buf manifest_bytes;  /* the exact bytes pushed */
	size_t blobs_pushed;      /* blobs sent */
	size_t blobs_skipped;     /* blobs the target already had */
	uint64_t bytes_pushed;    /* blob bytes sent */
} lade_push_result;

/*
 * Push the files as one artifact. Caller disposes *result with
 * lade_push_result_dispose on success. Returns 0 or an error; on error
 * nothing was tagged.
 */
LADE_EXTERN int lade_push(lade_target *target, const lade_push_options *opts, lade_push_result *result);

LADE_EXTERN void lade_push_result_dispose(lade_push_result *result);

/* Fill out with the RFC 3339 UTC time of epoch seconds (SOURCE_DATE_EPOCH). out needs 32 bytes. */
LADE_EXTERN int lade_created_from_epoch(const char *epoch, char *out, size_t outlen);

/* Version 2 added the unpack limits; a version 1 struct is still accepted. */
#define LADE_PULL_OPTIONS_VERSION 3

typedef struct lade_pull_options {
	unsigned int version;          /* LADE_PULL_OPTIONS_VERSION */
	const char *output_dir;        /* NULL: "." */
	int keep_old_files;            /* refuse to replace existing files */
	int allow_path_traversal;      /* write titles outside output_dir */
	int preserve_permissions;      /* unpacked folders keep their exact modes */
	const lade_kind *const *kinds; /* name untitled layers, check and unpack; may be NULL */
	size_t kind_count;
	const char *const *file_names; /* pull only layers with these names; NULL: all */
	size_t file_name_count;
	const char *const *media_types; /* pull only layers of these media types; NULL: all */
	size_t media_type_count;
	int output_fd;               /* >= 0: write the one selected layer there, verified first */
	const char *repository;      /* name for kinds' default file names; NULL: "artifact" */
	uint64_t max_unpack_size;    /* a folder layer may unpack to this many bytes; 0: the kind's default */
	uint64_t max_unpack_entries; /* and hold this many entries; 0: the kind's default */
	/* version 3 */
	const char *platform; /* an index: pull its manifest for "os/arch[/variant]"; NULL: this host's */
} lade_pull_options;

#define LADE_PULL_OPTIONS_INIT                                                                                         \
	{                                                                                                              \
		.version = LADE_PULL_OPTIONS_VERSION, .output_fd = -1                                                  \
	}

/* A layer of a pulled artifact. */
typedef struct lade_pulled {
	lade_descriptor desc;
	char *path;   /* where it was written (a file, or a folder when unpacked); NULL when skipped */
	int skipped;  /* 1 when it had no name, or was not selected */
	int unpacked; /* 1 when it became a folder */
} lade_pulled;

typedef struct lade_pull_result {
	lade_descriptor manifest;
	lade_pulled *layers;
	size_t layer_count;
	uint64_t bytes_fetched;
	const lade_kind *kind; /* the kind that claimed the artifact, or NULL */
	char warning[256];     /* the kind's warning (e.g. a deprecated media type), or "" */
} lade_pull_result;

/*
 * Pull the artifact that reference (tag or digest) names in target into
 * files; when it names an image index, the index's manifest for the
 * platform (opts->platform, else this host's) is pulled, and the other
 * platforms' manifests are never fetched. result->manifest is the
 * descriptor reference resolved to. Caller disposes *result with
 * lade_pull_result_dispose on success.
 * Returns 0, LADE_EUNSAFE (a title would leave the folder), LADE_EEXISTS
 * (keep_old_files), LADE_ENOTFOUND (nothing matched the selection, or an
 * index has no manifest for the platform), LADE_EINVALID (output_fd with other than one
 * layer selected, or a kind's check failed), or a target error.
 */
LADE_EXTERN int lade_pull(lade_target *target, const char *reference, const lade_pull_options *opts,
			  lade_pull_result *result);

LADE_EXTERN void lade_pull_result_dispose(lade_pull_result *result);

/*
 * Fetch one blob into a private temporary file, check its size and digest,
 * and only then copy it to fd: nothing unverified is ever written there.
 * Returns 0, a target error, or LADE_EIO.
 */
LADE_EXTERN int lade_blob_fetch_fd(lade_target *target, const lade_descriptor *desc, int fd);

/*
 * Resolve reference and fetch its manifest bytes (capped at 4 MiB and
 * verified). Caller disposes desc and bytes.
 */
LADE_EXTERN int lade_manifest_fetch(lade_target *target, const char *reference, lade_descriptor *desc, lade_buf *bytes);

#ifdef __cplusplus
}
#endif
#endif
