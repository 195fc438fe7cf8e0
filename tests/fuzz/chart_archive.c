/*
 * Fuzz target: a chart archive read as a push reads it (Helm's loader
 * rules: the first path component stripped, '\' separators, folder and PAX
 * entries skipped, limits; then Chart.yaml and requirements.yaml). The
 * input is a tar, gzipped here, so mutations reach the tar and the names
 * instead of dying at gzip's checksum.
 */
#include "fuzz.h"
#include "scratch.h"

#include <zlib.h>

#include "kinds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	z_stream z;
	size_t cap = size + size / 100 + 64;
	unsigned char *gz = malloc(cap);
	const char *path;
	if (!gz)
		return 0;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) { /* 16: a gzip header */
		free(gz);
		return 0;
	}
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)size;
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END && (path = scratch_file(gz, z.total_out)))
		lade__helm_check_archive(path);
	deflateEnd(&z);
	free(gz);
	return 0;
}
