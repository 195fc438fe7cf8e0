/*
 * lade/common.h - export macro, error codes, the last-error slot and the
 * bounded byte buffer shared by every module.
 *
 * Invariants:
 *  - Every function that can fail returns int: 0 on success, a negative
 *    lade_error_code on failure. The numbers never change.
 *  - On failure the message is set once, where the failure happened, in a
 *    per-thread slot read with lade_error_last(). Callers pass the code up
 *    unchanged and do not overwrite the message.
 *  - The library never prints and never exits.
 */
#ifndef LADE_COMMON_H
#define LADE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(LADE_BUILDING)
#define LADE_EXTERN __attribute__((visibility("default")))
#else
#define LADE_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes. Numbers are stable: append new codes, never renumber. */
typedef enum lade_error_code {
	LADE_OK = 0,
	LADE_ERROR = -1,        /* failure with no more specific code */
	LADE_ENOTFOUND = -2,    /* manifest, blob, tag, file or repository absent */
	LADE_EEXISTS = -3,      /* refusing to overwrite */
	LADE_EINVALID = -4,     /* malformed input: reference, JSON, flag value */
	LADE_EDIGEST = -5,      /* content does not match its digest or size */
	LADE_ETOOLARGE = -6,    /* over a named size cap */
	LADE_EAUTH = -7,        /* credentials missing or rejected (401) */
	LADE_EDENIED = -8,      /* authenticated but not allowed (403) */
	LADE_ENET = -9,         /* connection, TLS or transfer failure */
	LADE_EPROTOCOL = -10,   /* the server answered outside the protocol */
	LADE_EUNSAFE = -11,     /* a path that would leave its folder */
	LADE_EIO = -12,         /* local file system failure */
	LADE_ENOMEM = -13,      /* allocation failed */
	LADE_EUNSUPPORTED = -14 /* valid but not supported by lade or the server */
} lade_error_code;

/* The last error of the calling thread. */
typedef struct lade_error {
	int code;               /* a lade_error_code */
	long http_status;       /* HTTP status when a registry answered, else 0 */
	char registry_code[64]; /* the registry's own code, e.g. MANIFEST_UNKNOWN, else "" */
	char message[1024];     /* one line, lower case, no full stop */
} lade_error;

/*
 * The calling thread's last error. Borrowed: valid until the next lade call
 * on this thread. Never NULL; code is LADE_OK when nothing failed.
 */
LADE_EXTERN const lade_error *lade_error_last(void);

/* Forget the calling thread's last error. */
LADE_EXTERN void lade_error_clear(void);

#if defined(__GNUC__)
#define LADE_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define LADE_PRINTF(fmt, args)
#endif

/*
 * Set the calling thread's error, for code outside liblade that lade calls
 * back (a kind, a target, a credential hook): `return lade_error_set(...)`
 * honours "return a negative lade_error_code with the message set", as
 * libgit2's git_error_set_str does. code is taken as LADE_ERROR when it
 * is not negative; the printf-style message is cut to fit. Returns code.
 */
LADE_EXTERN int lade_error_set(int code, const char *fmt, ...) LADE_PRINTF(2, 3);

/* Out of memory: sets the message and returns LADE_ENOMEM (libgit2's git_error_set_oom). */
LADE_EXTERN int lade_error_set_oom(void);

/* A short name for an error code, e.g. "ENOTFOUND". Static storage. */
LADE_EXTERN const char *lade_error_name(int code);

/*
 * A growable, NUL-terminated byte buffer with a maximum size fixed at init.
 * Invariants: after lade_buf_init, ptr is never NULL and ptr[size] == 0;
 * size never exceeds max. Appending past max fails with LADE_ETOOLARGE and
 * leaves the buffer unchanged.
 */
typedef struct lade_buf {
	char *ptr;
	size_t size;
	size_t asize; /* allocated bytes */
	size_t max;   /* cap on size */
} lade_buf;

/* Start an empty buffer that may grow to max bytes. Caller disposes. */
LADE_EXTERN void lade_buf_init(lade_buf *buf, size_t max);

/* Append len bytes. Returns 0, LADE_ETOOLARGE or LADE_ENOMEM. */
LADE_EXTERN int lade_buf_put(lade_buf *buf, const void *data, size_t len);

/* Append a NUL-terminated string. */
LADE_EXTERN int lade_buf_puts(lade_buf *buf, const char *str);

/* Empty the buffer, keeping its memory and cap. */
LADE_EXTERN void lade_buf_clear(lade_buf *buf);

/* Hand the bytes to the caller (release with free()); the buffer is empty after. */
LADE_EXTERN char *lade_buf_detach(lade_buf *buf);

/* Release the memory. Accepts a buffer that was never grown. */
LADE_EXTERN void lade_buf_dispose(lade_buf *buf);

/* The library version, e.g. "0.1.0". Static storage. */
LADE_EXTERN const char *lade_version(void);

/* The version of the libcurl lade opens for registries ("7.88.1"), or "not available". Static storage. */
LADE_EXTERN const char *lade_version_libcurl(void);

#ifdef __cplusplus
}
#endif
#endif
