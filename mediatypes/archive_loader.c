#define LADE_ARCHIVE_LOADER_IMPL
#include "lade/sys/util.h"
#include "archive_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct lade__archive_api lade__archive;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
	/* The soname first: the unversioned name exists only with the -dev package. */
	static const char *const names[] = {LADE_LIBARCHIVE_SONAME, "libarchive.so.13", "libarchive.so"};
	void *handle = NULL;
	size_t i;
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !handle; i++)
		handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		snprintf(load_error, sizeof(load_error), "cannot load libarchive: %s", dlerror());
		return;
	}
#define LADE_ARCHIVE_RESOLVE(ret, name, args)                                                                          \
	if (!load_error[0] && !(*(void **)&lade__archive.name = dlsym(handle, #name)))                                 \
		snprintf(load_error, sizeof(load_error), "libarchive has no %s", #name);
	LADE_ARCHIVE_FUNCTIONS(LADE_ARCHIVE_RESOLVE)
#undef LADE_ARCHIVE_RESOLVE
}

int lade__archive_load(void)
{
	pthread_once(&once, load);
	if (load_error[0])
		return lade_error_set(LADE_EUNSUPPORTED, "%s (tarballs, charts and folders need it)", load_error);
	return 0;
}

int lade__archive_failure(struct archive *a, const char *what)
{
	/* This file defines the table, so it calls through it by name. */
	const char *message = lade__archive.archive_error_string(a);
	return lade_error_set(LADE_EIO, "%s: %s", what, message ? message : "libarchive");
}
