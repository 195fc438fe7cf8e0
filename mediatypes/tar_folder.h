/*
 * tar_folder.h - folders as tar streams: the reproducible writer
 * (tar_writer.c) and the safe extractor (tar_extract.c) the folder kind
 * is made of, for the next kinds to reuse (image layers, pulls). Internal
 * to liblade.
 */
#ifndef LADE_MEDIATYPES_TAR_FOLDER_H
#define LADE_MEDIATYPES_TAR_FOLDER_H

#include "lade/kind.h"

/*
 * Write folder as a reproducible tar+gzip to fd (out_path names it in
 * messages), its entries named root + relative path ("title/"); the
 * uncompressed and compressed streams' digests and the compressed size
 * come back. With gz_digest NULL the stream is a plain tar (gz_size may be
 * NULL too). libarchive must be loaded.
 */
int lade__tar_pack_folder(const char *folder, const char *root, int fd, const char *out_path, lade_digest *tar_digest,
			  lade_digest *gz_digest, uint64_t *gz_size);

/*
 * Unpack the tar in blob_path (any compression) into the new, empty
 * folder dest: entries must be prefix or under it; title names the folder
 * in messages; limits from opts (0: the defaults for compressed_size).
 * An empty prefix takes every relative entry (the archive is the folder).
 * tar_digest gets the uncompressed stream's digest. On failure dest is
 * left empty.
 */
int lade__tar_extract(const char *blob_path, const char *dest, const char *prefix, const char *title,
		      uint64_t compressed_size, const lade_unpack_options *opts, lade_digest *tar_digest);

#endif
