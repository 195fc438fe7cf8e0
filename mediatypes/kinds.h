/*
 * kinds.h - the kinds mediatypes/ defines, one file each, and helpers they
 * share. Internal to liblade.
 */
#ifndef LADE_MEDIATYPES_KINDS_H
#define LADE_MEDIATYPES_KINDS_H

#include "lade/kind.h"

extern const lade_kind lade__kind_file;
extern const lade_kind lade__kind_tar;
extern const lade_kind lade__kind_dir;
extern const lade_kind lade__kind_helm;
extern const lade_kind lade__kind_wasm;

#define LADE_MEDIATYPE_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define LADE_MEDIATYPE_LAYER_TAR_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define LADE_MEDIATYPE_LAYER_TAR_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"

/* libmagic's bare MIME type for in's first bytes into out ("" when unknown). */
void lade__magic_mime(const lade_kind_input *in, char *out, size_t outlen);

/* RFC 3339 UTC ("2006-01-02T15:04:05Z") of a time in seconds. out needs 32 bytes. */
void lade__format_time(int64_t seconds, char *out, size_t outlen);

/*
 * For the fuzz targets: Chart.yaml text through the checks and conversion
 * a push applies (folder name "fuzz"), and the wasm section walk of the
 * file at path. Each returns 0 or an error with the message set.
 */
int lade__helm_check_chart_yaml(const char *data, size_t len);
/* And a whole chart archive at path, read as a push reads it (nothing kept between calls). */
int lade__helm_check_archive(const char *path);
int lade__wasm_walk(const char *path);

#endif
