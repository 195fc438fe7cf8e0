/*
 * internal.h - helpers shared inside liblade, not part of the public API.
 * Names here are lade__<module>_<verb>.
 */
#ifndef LADE_INTERNAL_H
#define LADE_INTERNAL_H

#include "lade/common.h"
#include <stdarg.h>

/* Caps on everything read from outside, by name (STYLE.md rule 6). */
#define LADE_MANIFEST_MAX ((size_t)4 * 1024 * 1024)
#define LADE_ERROR_BODY_MAX ((size_t)64 * 1024)
#define LADE_INDEX_JSON_MAX ((size_t)64 * 1024 * 1024)
#define LADE_SMALL_BLOB_MAX ((size_t)4 * 1024 * 1024)

/* Set the thread's error and return code, so callers can `return lade__error(...)`. */
int lade__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* As lade__error, with the HTTP status and registry code of a registry reply. */
int lade__error_http(int code, long status, const char *registry_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Out of memory: sets the message and returns LADE_ENOMEM. */
int lade__error_oom(void);

/* strdup that sets the error on failure; NULL in gives NULL out without error. */
char *lade__strdup(const char *s);

/* FNV-1a of a NUL-terminated string: the hash of lade's small open-addressing tables. */
size_t lade__hash_string(const char *s);

/* printf into a bounded buffer; LADE_ETOOLARGE (with message) when it does not fit. */
int lade__snprintf(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The last component of a path, trailing slashes ignored ("a/b/" gives "b"), into out. */
int lade__base_name(const char *path, char *out, size_t outlen);

#endif
