/*
 * lade/layout.h - an OCI image layout folder as a target: `oci-layout`,
 * `index.json` and `blobs/<alg>/<hex>`; tags are the
 * `org.opencontainers.image.ref.name` annotations of index.json entries.
 *
 * Invariants:
 *  - index.json is only ever replaced whole (temporary file, fsync,
 *    rename) while holding an exclusive flock on the layout folder, so two
 *    processes that tag the same layout at once both keep their entries.
 *  - Entries and fields lade does not understand are kept as they were.
 *  - Blobs are written through ingest/ and renamed into blobs/ after their
 *    digest and size are checked.
 */
#ifndef LADE_LAYOUT_H
#define LADE_LAYOUT_H

#include "lade/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Open the layout at path. With create, make the folder, `oci-layout` and
 * an empty index.json when missing. Caller owns *out, release with
 * lade_target_free. Returns 0, LADE_ENOTFOUND (not a layout, create off),
 * LADE_EINVALID (a broken oci-layout or index.json) or LADE_EIO.
 */
LADE_EXTERN int lade_layout_open(lade_target **out, const char *path, int create);

#ifdef __cplusplus
}
#endif
#endif
