/*
 * common.h - what every lade subcommand shares: exit codes, the options
 * that pick and reach a target, and error printing. The CLI only parses and
 * prints; the work is done by liblade's public API.
 */
#ifndef LADE_CMD_COMMON_H
#define LADE_CMD_COMMON_H

#include <getopt.h>
#include <stdio.h>

#include "lade/lade.h"

/* Exit statuses (docs/exit-codes.md). */
enum { EXIT_OK = 0, EXIT_FAILURE_ = 1, EXIT_USAGE = 2 };

/* Options shared by commands that reach a target. */
typedef struct target_opts {
	int oci_layout; /* the reference is an OCI layout path */
	int plain_http; /* 1: http; -1: ORAS's localhost rule */
	const char *username;
	const char *password;
	const char *identity_token;
	int password_stdin;
	int identity_token_stdin;
	unsigned int concurrency;
	const char *config_paths[8]; /* --registry-config, repeatable */
	size_t config_count;
	int insecure;
	const char *ca_file, *cert_file, *key_file;
	const char *resolve[16];
	size_t resolve_count;
	const char *headers[16];
	size_t header_count;
	uint64_t limit_rate;
	uint64_t chunk_size;
	unsigned int timeout;       /* --timeout: seconds for the whole command, 0 for none */
	unsigned int stall_timeout; /* --stall-timeout */
	int debug;
	int referrers; /* --distribution-spec: LADE_REFERRERS_AUTO, _API or _TAG */
	char password_buf[4096];
} target_opts;

/* Long options every target command accepts; values above 1000 are ours. */
enum {
	OPT_PLAIN_HTTP = 1001,
	OPT_OCI_LAYOUT,
	OPT_PASSWORD_STDIN,
	OPT_CONCURRENCY,
	OPT_ARTIFACT_TYPE,
	OPT_ANNOTATION_FILE,
	OPT_CONFIG,
	OPT_EXPORT_MANIFEST,
	OPT_KIND,
	OPT_FILE,
	OPT_MEDIA_TYPE,
	OPT_PRESERVE_PERMISSIONS,
	OPT_REGISTRY_CONFIG,
	OPT_IDENTITY_TOKEN,
	OPT_IDENTITY_TOKEN_STDIN,
	OPT_INSECURE,
	OPT_CA_FILE,
	OPT_CERT_FILE,
	OPT_KEY_FILE,
	OPT_RESOLVE,
	OPT_LIMIT_RATE,
	OPT_DEBUG,
	OPT_CHUNK_SIZE,
	OPT_MAX_UNPACK_SIZE,
	OPT_MAX_UNPACK_ENTRIES,
	OPT_VERSION,
	OPT_PLATFORM,
	OPT_TIMEOUT,
	OPT_STALL_TIMEOUT,
	OPT_DISTRIBUTION_SPEC,
	OPT_SUBJECT,
	OPT_DEPTH,
	OPT_FORMAT,
	OPT_HELP
};

#define TARGET_LONG_OPTIONS                                                                                            \
	{"plain-http", no_argument, NULL, OPT_PLAIN_HTTP}, {"oci-layout", no_argument, NULL, OPT_OCI_LAYOUT},          \
	    {"username", required_argument, NULL, 'u'}, {"password", required_argument, NULL, 'p'},                    \
	    {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},                                                 \
	    {"concurrency", required_argument, NULL, OPT_CONCURRENCY}, {"help", no_argument, NULL, 'h'},               \
	    {"registry-config", required_argument, NULL, OPT_REGISTRY_CONFIG},                                         \
	    {"identity-token", required_argument, NULL, OPT_IDENTITY_TOKEN},                                           \
	    {"identity-token-stdin", no_argument, NULL, OPT_IDENTITY_TOKEN_STDIN},                                     \
	    {"insecure", no_argument, NULL, OPT_INSECURE}, {"ca-file", required_argument, NULL, OPT_CA_FILE},          \
	    {"cert-file", required_argument, NULL, OPT_CERT_FILE},                                                     \
	    {"key-file", required_argument, NULL, OPT_KEY_FILE}, {"resolve", required_argument, NULL, OPT_RESOLVE},    \
	    {"header", required_argument, NULL, 'H'}, {"limit-rate", required_argument, NULL, OPT_LIMIT_RATE},         \
	    {"debug", no_argument, NULL, OPT_DEBUG}, {"chunk-size", required_argument, NULL, OPT_CHUNK_SIZE},          \
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},                                                         \
	    {"distribution-spec", required_argument, NULL, OPT_DISTRIBUTION_SPEC},                                     \
	{                                                                                                              \
		"stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT                                            \
	}

/* The help text of target options, for the commands' --help. */
extern const char TARGET_OPTIONS_HELP[];

void target_opts_init(target_opts *o);

/* Handle a shared option; 1 if it was one, 0 if not, -1 on a bad value (message printed). */
int target_opts_handle(target_opts *o, int opt, const char *arg);

/* The getopt short options every target command takes, to prefix its own. */
#define TARGET_SHORT_OPTIONS "u:p:H:h"

/* Fill registry options from the target options (credentials excepted). */
void target_opts_registry(const target_opts *o, lade_registry_options *ro);

/* Read --password-stdin and the LADE_USERNAME / LADE_PASSWORD fallbacks. -1 on failure (printed). */
int target_opts_finish(target_opts *o);

/* An opened target and the tag or digest the reference named ("" if none). */
typedef struct opened_target {
	lade_target *target;
	char reference[LADE_DIGEST_STRLEN + LADE_REF_TAG_MAX];
	char display[LADE_REF_PATH_MAX + 256];
	char repository[LADE_REF_PATH_MAX]; /* the repository path, or the layout folder */
	int is_layout;
	int bad_reference;      /* open failed because the reference is malformed */
	lade_credential stored; /* credentials found in a config file, owned */
	char cache_dir[4096];   /* where the registry target keeps what it learns between runs */
	char archive[4096];     /* an OCI layout tar (".tar"): the archive, unpacked into archive_dir */
	char archive_dir[4096];
} opened_target;

/*
 * The descriptor reference (tag or digest) names in ot, for a referrer's
 * subject; with platform, an index's manifest for it. Caller disposes out.
 */
int resolve_subject(opened_target *ot, const char *reference, const char *platform, lade_descriptor *out);

/* An image index or a Docker manifest list. */
int is_index(const lade_descriptor *d);

/*
 * Parse ref and open the layout or registry it names. create: make a
 * missing layout. A layout path ending in ".tar" is an OCI layout archive:
 * it is unpacked into a private folder (or started empty when create and
 * missing) and opened there; finish_target writes it back.
 */
int open_target(opened_target *out, const char *ref, const target_opts *o, int create);

/* After a command wrote into ot: an archive is packed back into its .tar (atomically). 0, or 1 after saying why. */
int finish_target(opened_target *ot);

/* Release the target and what open_target kept for it. */
void opened_target_dispose(opened_target *ot);

/* Read a line from the terminal without echo (or from stdin when it is no terminal). -1 on failure. */
int read_secret(const char *prompt, char *out, size_t outlen, int echo);

/* Print why open_target failed; 2 for a malformed reference, else 1. */
int open_failed(const opened_target *ot);

/* "ref:t1,t2" -> "ref" plus the tag list (malloc'd, pointing into ref); returns the count of tags. */
int split_tags(char *ref, char ***tags_out);

/* On a terminal, ask whether what (a manifest, a blob) may be deleted; 1 yes. Not a terminal: yes. */
int confirmed(const char *what);

/* Print "lade: <message>" for the last library error and return 1. */
int fail(void);

/* Print a descriptor as one JSON line (lade_descriptor_encode). 0, or the error with its message set. */
int print_descriptor(const lade_descriptor *d);

/* Print "lade: <message>" to stderr and return EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Copy the reference argument into out without Helm's "oci://" (setting
 * *helm_style). Returns 0, or the exit code after saying what is wrong
 * (oci:// with --oci-layout, too long).
 */
int copy_reference(const char *cmd, const char *arg, const target_opts *o, char *out, size_t outlen, int *helm_style);

/* Print a one-line error and return 1. */
int failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "500K", "2M", "1G" or plain bytes; -1 when it is not a positive size. */
int parse_bytes(const char *arg, uint64_t *out);

/* Human size: "1.0 MiB". */
const char *human_size(uint64_t bytes, char *buf, size_t len);

int cmd_push(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_discover(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_resolve(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
int cmd_blob(int argc, char **argv);
int cmd_repo(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_kinds(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);

#endif
