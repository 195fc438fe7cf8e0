/*
 * lade/kinds.h - the kinds of artifact lade knows (implemented in
 * mediatypes/), and how an input is matched to one.
 *
 * Invariants: the kind list is static and shared; lade_kinds_probe opens
 * the input only to read its first LADE_KIND_HEAD_MAX bytes and, when they
 * look like a tar, its first headers. libmagic is asked later, by the file
 * kind, only when no media type was given.
 */
#ifndef LADE_KINDS_H
#define LADE_KINDS_H

#include "lade/kind.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every known kind, most specific first. Borrowed, static storage. */
LADE_EXTERN const lade_kind *const *lade_kinds_all(size_t *count);

/* The kind called name, or NULL. */
LADE_EXTERN const lade_kind *lade_kinds_find(const char *name);

/*
 * Look at path (stat, first bytes, tar headers) and fill in. Returns 0,
 * LADE_ENOTFOUND or LADE_EIO.
 */
LADE_EXTERN int lade_kinds_probe(lade_kind_input *in, const char *path);

/*
 * Ask libmagic for in's MIME type (from the bytes probed) and keep it in
 * in->mime. The file kind asks by itself when it has to; a program that
 * calls this first, before anything else big is loaded (libcurl, OpenSSL),
 * keeps its peak memory lower, as libmagic's database costs several MiB
 * while it is open.
 */
LADE_EXTERN void lade_kinds_probe_mime(lade_kind_input *in);

/*
 * lade_kinds_probe_mime keeps libmagic's database loaded from one call to
 * the next (several MiB); this closes it and gives the memory back. Safe
 * to call at any time; the next probe loads it again.
 */
LADE_EXTERN void lade_kinds_release_mime(void);

/*
 * An OCI image layout as one tar archive (what `oras cp --to-oci-layout
 * x.tar` and skopeo's oci-archive write). Unpack: into the new, empty
 * folder dest, as safely as a folder artifact (no entry outside, no link
 * out, bounded size and count). Pack: folder into a plain, reproducible tar
 * at path (sorted, times and owners zeroed), through a temporary file
 * renamed into place; nothing partial ever has the name.
 */
LADE_EXTERN int lade_layout_archive_unpack(const char *tar_path, const char *dest);
LADE_EXTERN int lade_layout_archive_pack(const char *folder, const char *tar_path);

/* The kind that claims in most surely (the generic file kind at worst). */
LADE_EXTERN const lade_kind *lade_kinds_detect(const lade_kind_input *in);

/*
 * What `lade push` does with a file it is given, as a lade_push_probe_cb
 * (set lade_push_options.probe to it, payload unused): probe path into in,
 * choose the kind when *kind is NULL, and ask libmagic for the media type
 * only when none was given and the kind is the generic file kind.
 */
LADE_EXTERN int lade_kinds_push_probe(lade_kind_input *in, const lade_kind **kind, const char *path,
				      const char *media_type, void *payload);

/*
 * The reference `lade push` uses for an artifact kind's input (Helm's
 * naming policy): base is where the user points (a repository, or with
 * helm_style Helm's oci://host/ns form, "oci://" left out); out gets the
 * reference to push to (host/ns/<chart name> with helm_style, else base)
 * and tag the default tag the kind implies (the chart version, '+' as
 * '_'), or "" when it implies none. Refuses helm_style for an input whose
 * kind names no repository, and a tag in base with helm_style (Helm's
 * rules). Returns 0 or LADE_EINVALID.
 */
LADE_EXTERN int lade_kinds_push_reference(const lade_kind *kind, const lade_kind_input *in, const char *base,
					  int helm_style, lade_buf *out, lade_buf *tag);

#ifdef __cplusplus
}
#endif
#endif
