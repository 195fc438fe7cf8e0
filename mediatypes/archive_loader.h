/*
 * archive_loader.h - libarchive, loaded on first use.
 *
 * Only tarballs, charts and folders need libarchive, and the shared library
 * brings libxml2, ICU and libstdc++ along: about 2.5 MiB of RSS in every
 * run, a sixth of lade's memory budget for moving a 1 GiB file. So it is
 * opened with dlopen when a kind first needs it. Code includes this header
 * instead of <archive.h> and calls libarchive by its usual names; each name
 * is a macro for a pointer in lade__archive, filled by lade__archive_load.
 */
#ifndef LADE_ARCHIVE_LOADER_H
#define LADE_ARCHIVE_LOADER_H

#include <archive.h>
#include <archive_entry.h>

/* Every libarchive function lade calls: return type, name, parameters. */
#define LADE_ARCHIVE_FUNCTIONS(X)                                                                                      \
	X(struct archive *, archive_read_new, (void))                                                                  \
	X(int, archive_read_free, (struct archive *))                                                                  \
	X(int, archive_read_support_filter_all, (struct archive *))                                                    \
	X(int, archive_read_support_filter_gzip, (struct archive *))                                                   \
	X(int, archive_read_support_filter_zstd, (struct archive *))                                                   \
	X(int, archive_read_support_format_raw, (struct archive *))                                                    \
	X(int, archive_read_support_format_tar, (struct archive *))                                                    \
	X(int, archive_read_open_filename, (struct archive *, const char *, size_t))                                   \
	X(int, archive_read_open_fd, (struct archive *, int, size_t))                                                  \
	X(int, archive_read_open,                                                                                      \
	  (struct archive *, void *, archive_open_callback *, archive_read_callback *, archive_close_callback *))      \
	X(int, archive_read_next_header, (struct archive *, struct archive_entry **))                                  \
	X(la_ssize_t, archive_read_data, (struct archive *, void *, size_t))                                           \
	X(struct archive *, archive_write_new, (void))                                                                 \
	X(int, archive_write_free, (struct archive *))                                                                 \
	X(int, archive_write_add_filter_gzip, (struct archive *))                                                      \
	X(int, archive_write_set_filter_option, (struct archive *, const char *, const char *, const char *))          \
	X(int, archive_write_set_format_pax_restricted, (struct archive *))                                            \
	X(int, archive_write_set_format_raw, (struct archive *))                                                       \
	X(int, archive_write_set_bytes_per_block, (struct archive *, int))                                             \
	X(int, archive_write_open2,                                                                                    \
	  (struct archive *, void *, archive_open_callback *, archive_write_callback *, archive_close_callback *,      \
	   archive_free_callback *))                                                                                   \
	X(int, archive_write_header, (struct archive *, struct archive_entry *))                                       \
	X(la_ssize_t, archive_write_data, (struct archive *, const void *, size_t))                                    \
	X(int, archive_write_close, (struct archive *))                                                                \
	X(const char *, archive_error_string, (struct archive *))                                                      \
	X(struct archive_entry *, archive_entry_new, (void))                                                           \
	X(void, archive_entry_free, (struct archive_entry *))                                                          \
	X(const char *, archive_entry_pathname, (struct archive_entry *))                                              \
	X(const char *, archive_entry_hardlink, (struct archive_entry *))                                              \
	X(const char *, archive_entry_symlink, (struct archive_entry *))                                               \
	X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry *))                                               \
	X(__LA_MODE_T, archive_entry_perm, (struct archive_entry *))                                                   \
	X(time_t, archive_entry_mtime, (struct archive_entry *))                                                       \
	X(la_int64_t, archive_entry_size, (struct archive_entry *))                                                    \
	X(void, archive_entry_set_pathname, (struct archive_entry *, const char *))                                    \
	X(void, archive_entry_set_symlink, (struct archive_entry *, const char *))                                     \
	X(void, archive_entry_set_filetype, (struct archive_entry *, unsigned int))                                    \
	X(void, archive_entry_set_perm, (struct archive_entry *, __LA_MODE_T))                                         \
	X(void, archive_entry_set_size, (struct archive_entry *, la_int64_t))                                          \
	X(void, archive_entry_set_uid, (struct archive_entry *, la_int64_t))                                           \
	X(void, archive_entry_set_gid, (struct archive_entry *, la_int64_t))                                           \
	X(void, archive_entry_set_mtime, (struct archive_entry *, time_t, long))

#define LADE_ARCHIVE_MEMBER(ret, name, args) ret(*name) args;
struct lade__archive_api {
	LADE_ARCHIVE_FUNCTIONS(LADE_ARCHIVE_MEMBER)
};
#undef LADE_ARCHIVE_MEMBER

extern struct lade__archive_api lade__archive;

/*
 * Open libarchive once (thread-safe). Returns 0, or LADE_EUNSUPPORTED with
 * a message when it cannot be loaded.
 */
int lade__archive_load(void);

/* LADE_EIO with "what: libarchive's message" set. */
int lade__archive_failure(struct archive *a, const char *what);

#ifndef LADE_ARCHIVE_LOADER_IMPL
/* A name's own expansion is not expanded again, so each macro names the struct member. */
#define archive_read_new lade__archive.archive_read_new
#define archive_read_free lade__archive.archive_read_free
#define archive_read_support_filter_all lade__archive.archive_read_support_filter_all
#define archive_read_support_filter_gzip lade__archive.archive_read_support_filter_gzip
#define archive_read_support_filter_zstd lade__archive.archive_read_support_filter_zstd
#define archive_read_support_format_raw lade__archive.archive_read_support_format_raw
#define archive_read_support_format_tar lade__archive.archive_read_support_format_tar
#define archive_read_open_filename lade__archive.archive_read_open_filename
#define archive_read_open_fd lade__archive.archive_read_open_fd
#define archive_read_open lade__archive.archive_read_open
#define archive_read_next_header lade__archive.archive_read_next_header
#define archive_read_data lade__archive.archive_read_data
#define archive_write_new lade__archive.archive_write_new
#define archive_write_free lade__archive.archive_write_free
#define archive_write_add_filter_gzip lade__archive.archive_write_add_filter_gzip
#define archive_write_set_filter_option lade__archive.archive_write_set_filter_option
#define archive_write_set_format_pax_restricted lade__archive.archive_write_set_format_pax_restricted
#define archive_write_set_format_raw lade__archive.archive_write_set_format_raw
#define archive_write_set_bytes_per_block lade__archive.archive_write_set_bytes_per_block
#define archive_write_open2 lade__archive.archive_write_open2
#define archive_write_header lade__archive.archive_write_header
#define archive_write_data lade__archive.archive_write_data
#define archive_write_close lade__archive.archive_write_close
#define archive_error_string lade__archive.archive_error_string
#define archive_entry_new lade__archive.archive_entry_new
#define archive_entry_free lade__archive.archive_entry_free
#define archive_entry_pathname lade__archive.archive_entry_pathname
#define archive_entry_hardlink lade__archive.archive_entry_hardlink
#define archive_entry_symlink lade__archive.archive_entry_symlink
#define archive_entry_filetype lade__archive.archive_entry_filetype
#define archive_entry_perm lade__archive.archive_entry_perm
#define archive_entry_mtime lade__archive.archive_entry_mtime
#define archive_entry_size lade__archive.archive_entry_size
#define archive_entry_set_pathname lade__archive.archive_entry_set_pathname
#define archive_entry_set_symlink lade__archive.archive_entry_set_symlink
#define archive_entry_set_filetype lade__archive.archive_entry_set_filetype
#define archive_entry_set_perm lade__archive.archive_entry_set_perm
#define archive_entry_set_size lade__archive.archive_entry_set_size
#define archive_entry_set_uid lade__archive.archive_entry_set_uid
#define archive_entry_set_gid lade__archive.archive_entry_set_gid
#define archive_entry_set_mtime lade__archive.archive_entry_set_mtime
#endif

#endif
