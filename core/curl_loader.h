/*
 * curl_loader.h - libcurl, opened with dlopen the first time a registry
 * target is opened. Linked at start, libcurl and what it brings (GnuTLS,
 * Kerberos, LDAP, nghttp2, ...) cost about 6 MiB of resident memory in
 * every run, layout pushes and pulls and libmagic's probing included,
 * which need none of it. registry.c calls the functions by their usual
 * names; the macros below send each to the pointer loaded here.
 *
 * Invariant: call lade__curl_load() (0 on success) before any curl_*.
 */
#ifndef LADE_CURL_LOADER_H
#define LADE_CURL_LOADER_H

/* The type-checking macros of typecheck-gcc.h would wrap the names this file redefines. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#define LADE_CURL_FUNCTIONS(X)                                                                                         \
	X(CURLcode, curl_global_init, (long))                                                                          \
	X(CURL *, curl_easy_init, (void))                                                                              \
	X(void, curl_easy_cleanup, (CURL *))                                                                           \
	X(void, curl_easy_reset, (CURL *))                                                                             \
	X(CURLcode, curl_easy_setopt, (CURL *, CURLoption, ...))                                                       \
	X(CURLcode, curl_easy_getinfo, (CURL *, CURLINFO, ...))                                                        \
	X(CURLcode, curl_easy_perform, (CURL *))                                                                       \
	X(const char *, curl_easy_strerror, (CURLcode))                                                                \
	X(char *, curl_easy_escape, (CURL *, const char *, int))                                                       \
	X(void, curl_free, (void *))                                                                                   \
	X(time_t, curl_getdate, (const char *, const time_t *))                                                        \
	X(struct curl_slist *, curl_slist_append, (struct curl_slist *, const char *))                                 \
	X(void, curl_slist_free_all, (struct curl_slist *))                                                            \
	X(CURLM *, curl_multi_init, (void))                                                                            \
	X(CURLMcode, curl_multi_cleanup, (CURLM *))                                                                    \
	X(CURLMcode, curl_multi_setopt, (CURLM *, CURLMoption, ...))                                                   \
	X(CURLMcode, curl_multi_add_handle, (CURLM *, CURL *))                                                         \
	X(CURLMcode, curl_multi_remove_handle, (CURLM *, CURL *))                                                      \
	X(CURLMcode, curl_multi_perform, (CURLM *, int *))                                                             \
	X(CURLMcode, curl_multi_poll, (CURLM *, struct curl_waitfd[], unsigned int, int, int *))                       \
	X(CURLMsg *, curl_multi_info_read, (CURLM *, int *))                                                           \
	X(CURLcode, curl_easy_pause, (CURL *, int))                                                                    \
	X(curl_version_info_data *, curl_version_info, (CURLversion))

#define LADE_CURL_MEMBER(ret, name, args) ret(*name) args;
struct lade__curl_api {
	LADE_CURL_FUNCTIONS(LADE_CURL_MEMBER)
};
#undef LADE_CURL_MEMBER

extern struct lade__curl_api lade__curl;

/* Open libcurl once (thread-safe). Returns 0, or LADE_EUNSUPPORTED with a message. */
int lade__curl_load(void);

#ifndef LADE_CURL_LOADER_IMPL
/* curl.h defines these three as macros of themselves. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init lade__curl.curl_global_init
#define curl_easy_init lade__curl.curl_easy_init
#define curl_easy_cleanup lade__curl.curl_easy_cleanup
#define curl_easy_reset lade__curl.curl_easy_reset
#define curl_easy_setopt lade__curl.curl_easy_setopt
#define curl_easy_getinfo lade__curl.curl_easy_getinfo
#define curl_easy_perform lade__curl.curl_easy_perform
#define curl_easy_strerror lade__curl.curl_easy_strerror
#define curl_easy_escape lade__curl.curl_easy_escape
#define curl_free lade__curl.curl_free
#define curl_getdate lade__curl.curl_getdate
#define curl_slist_append lade__curl.curl_slist_append
#define curl_slist_free_all lade__curl.curl_slist_free_all
#define curl_multi_init lade__curl.curl_multi_init
#define curl_multi_cleanup lade__curl.curl_multi_cleanup
#define curl_multi_setopt lade__curl.curl_multi_setopt
#define curl_multi_add_handle lade__curl.curl_multi_add_handle
#define curl_multi_remove_handle lade__curl.curl_multi_remove_handle
#define curl_multi_perform lade__curl.curl_multi_perform
#define curl_multi_poll lade__curl.curl_multi_poll
#define curl_multi_info_read lade__curl.curl_multi_info_read
#define curl_easy_pause lade__curl.curl_easy_pause
#define curl_version_info lade__curl.curl_version_info
#endif

#endif
