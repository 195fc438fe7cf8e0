/*
 * scratch.h - for the fuzz targets whose parser reads a file (docker
 * config, wasm, tar): the input written to one private temporary file,
 * reused from run to run.
 */
#ifndef LADE_FUZZ_SCRATCH_H
#define LADE_FUZZ_SCRATCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char scratch_path[64];

static void scratch_remove(void)
{
	unlink(scratch_path);
}

/* The path of a file that now holds exactly data; NULL when it cannot be written. Removed at exit. */
static inline const char *scratch_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	const char *path = scratch_path;
	if (fd < 0) {
		snprintf(scratch_path, sizeof(scratch_path), "/tmp/lade-fuzz-XXXXXX");
		if ((fd = mkstemp(scratch_path)) < 0)
			return NULL;
		atexit(scratch_remove);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return NULL;
	return path;
}

#endif
