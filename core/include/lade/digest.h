/*
 * lade/digest.h - content digests: parse and validate digest strings, and
 * hash streams with OpenSSL EVP without holding the content.
 *
 * Invariants: a lade_digest that a function here filled is valid: its
 * algorithm is sha256 or sha512 and `str` is "<alg>:<lowercase hex>" of the
 * right length, NUL-terminated.
 */
#ifndef LADE_DIGEST_H
#define LADE_DIGEST_H

#include "lade/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lade_digest_alg {
	LADE_DIGEST_SHA256 = 0,
	LADE_DIGEST_SHA512 = 1,
	/*
	 * A well-formed digest of an algorithm lade cannot compute, read from
	 * a descriptor that need not be fetched (read liberally); fetching or
	 * verifying such content fails with LADE_EUNSUPPORTED.
	 */
	LADE_DIGEST_OTHER = 2
} lade_digest_alg;

/* "sha512:" + 128 hex digits + NUL */
#define LADE_DIGEST_STRLEN 136

/* A digest by value. */
typedef struct lade_digest {
	lade_digest_alg alg;
	char str[LADE_DIGEST_STRLEN]; /* "sha256:<64 hex>" or "sha512:<128 hex>" */
} lade_digest;

/*
 * Parse and validate a digest string (OCI image-spec grammar; sha256 and
 * sha512 strictly: lowercase hex of the right length).
 * Returns 0, LADE_EINVALID (malformed) or LADE_EUNSUPPORTED (well-formed,
 * unknown algorithm).
 */
LADE_EXTERN int lade_digest_parse(lade_digest *out, const char *str);

/* The hex part of a valid digest. Borrowed: points into d->str. */
LADE_EXTERN const char *lade_digest_hex(const lade_digest *d);

/* The algorithm's name: "sha256", "sha512" ("other" for LADE_DIGEST_OTHER). Static storage. */
LADE_EXTERN const char *lade_digest_alg_name(lade_digest_alg alg);

/* Two digests name the same content. */
LADE_EXTERN int lade_digest_equal(const lade_digest *a, const lade_digest *b);

/* A streaming hasher. Opaque. */
typedef struct lade_hasher lade_hasher;

/* New hasher; caller owns, release with lade_hasher_free. */
LADE_EXTERN int lade_hasher_new(lade_hasher **out, lade_digest_alg alg);

/* Feed len bytes. */
LADE_EXTERN int lade_hasher_update(lade_hasher *h, const void *data, size_t len);

/* Bytes fed so far. */
LADE_EXTERN uint64_t lade_hasher_size(const lade_hasher *h);

/* Finish: write the digest. The hasher may not be fed after this. */
LADE_EXTERN int lade_hasher_final(lade_hasher *h, lade_digest *out);

/* Release; accepts NULL. */
LADE_EXTERN void lade_hasher_free(lade_hasher *h);

/* Digest of a memory buffer. */
LADE_EXTERN int lade_digest_buffer(lade_digest *out, lade_digest_alg alg, const void *data, size_t len);

/*
 * Digest and size of a file, read in bounded chunks. size_out may be NULL.
 * Returns 0, LADE_ENOTFOUND or LADE_EIO.
 */
LADE_EXTERN int lade_digest_file(lade_digest *out, uint64_t *size_out, lade_digest_alg alg, const char *path);

#ifdef __cplusplus
}
#endif
#endif
