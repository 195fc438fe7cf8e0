#define LADE_CURL_LOADER_IMPL
#include "internal.h"
#include "curl_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

struct lade__curl_api lade__curl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
	/* The soname found at build time first: the unversioned name exists only with the -dev package. */
	static const char *const names[] = {LADE_LIBCURL_SONAME, "libcurl.so.4", "libcurl.so"};
	void *handle = NULL;
	size_t i;
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !handle; i++)
		handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		snprintf(load_error, sizeof(load_error), "cannot load libcurl: %s", dlerror());
		return;
	}
#define LADE_CURL_RESOLVE(ret, name, args)                                                                             \
	if (!load_error[0] && !(*(void **)&lade__curl.name = dlsym(handle, #name)))                                    \
		snprintf(load_error, sizeof(load_error), "libcurl has no %s", #name);
	LADE_CURL_FUNCTIONS(LADE_CURL_RESOLVE)
#undef LADE_CURL_RESOLVE
}

int lade__curl_load(void)
{
	pthread_once(&once, load);
	if (load_error[0])
		return lade__error(LADE_EUNSUPPORTED, "%s (registries need it)", load_error);
	return 0;
}

const char *lade_version_libcurl(void)
{
	if (lade__curl_load() < 0)
		return "not available";
	return lade__curl.curl_version_info(CURLVERSION_NOW)->version;
}
