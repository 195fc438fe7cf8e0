/*
 * lade/sys/util.h - small helpers lade's own kinds and targets use, public
 * for kinds and targets written outside liblade (lade/kind.h,
 * lade/sys/target.h) so they can honour the same error model: each sets
 * the calling thread's error (lade_error_last) when it fails.
 */
#ifndef LADE_SYS_UTIL_H
#define LADE_SYS_UTIL_H

#include "lade/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* strdup that sets the error on failure; NULL in gives NULL out without error. */
LADE_EXTERN char *lade_strdup(const char *s);

/* FNV-1a of a NUL-terminated string: the hash of lade's small open-addressing tables. */
LADE_EXTERN size_t lade_hash_string(const char *s);

/* printf into a bounded buffer; LADE_ETOOLARGE (with message) when it does not fit. */
LADE_EXTERN int lade_snprintf(char *out, size_t outlen, const char *fmt, ...) LADE_PRINTF(3, 4);

/* The last component of a path, trailing slashes ignored ("a/b/" gives "b"), into out. */
LADE_EXTERN int lade_base_name(const char *path, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif

#endif
