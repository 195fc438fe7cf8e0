#include "common.h"
#include "lade/sys/fs.h"

#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

const char TARGET_OPTIONS_HELP[] =
    "Target options:\n"
    "      --oci-layout          the reference is an OCI image layout: path[:tag|@digest]\n"
    "      --plain-http          talk HTTP, not HTTPS (automatic for localhost)\n"
    "  -u, --username USER       registry user name (or LADE_USERNAME)\n"
    "  -p, --password PASS       registry password (or LADE_PASSWORD)\n"
    "      --password-stdin      read the password from standard input\n"
    "      --identity-token TOK  an OAuth2 refresh token instead of a password\n"
    "      --identity-token-stdin  read the identity token from standard input\n"
    "      --registry-config F   Docker config.json to read credentials from (repeatable;\n"
    "                            default $DOCKER_CONFIG/config.json or ~/.docker/config.json)\n"
    "      --concurrency N       blob transfers at once (default 4)\n"
    "      --insecure            https without checking the certificate\n"
    "      --ca-file F           trust the CA certificates in F (PEM)\n"
    "      --cert-file F         client certificate (PEM), sent to the registry only\n"
    "      --key-file F          its private key\n"
    "      --resolve H:P:ADDR    connect to ADDR for host H port P (repeatable)\n"
    "  -H, --header 'N: V'       an extra header for the registry (repeatable)\n"
    "      --limit-rate BYTES    per transfer, e.g. 500K or 2M a second\n"
    "      --chunk-size BYTES    upload in PATCH chunks of this size (e.g. 16M)\n"
    "      --timeout SECONDS     give up when the whole command takes longer\n"
    "      --stall-timeout SECONDS  cut a transfer under 1 KiB/s for this long (30)\n"
    "      --distribution-spec S referrers through the API only (v1.1-referrers-api) or the\n"
    "                            sha256-<hex> tag schema only (v1.1-referrers-tag); default: detect\n"
    "      --debug               trace every request and response (secrets redacted)\n"
    "  -h, --help                show this help\n";

static void print_debug(void *payload, const char *line)
{
	(void)payload;
	fprintf(stderr, "lade: debug: %s\n", line);
}

void target_opts_registry(const target_opts *o, lade_registry_options *ro)
{
	ro->plain_http = o->plain_http;
	ro->concurrency = o->concurrency;
	ro->insecure = o->insecure;
	ro->ca_file = o->ca_file;
	ro->cert_file = o->cert_file;
	ro->key_file = o->key_file;
	ro->resolve = o->resolve;
	ro->resolve_count = o->resolve_count;
	ro->headers = o->headers;
	ro->header_count = o->header_count;
	ro->limit_rate = o->limit_rate;
	ro->chunk_size = o->chunk_size;
	ro->timeout = o->timeout;
	ro->stall_timeout = o->stall_timeout;
	ro->referrers = o->referrers;
	if (o->debug)
		ro->debug = print_debug;
}

void target_opts_init(target_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->plain_http = -1;
	o->concurrency = 4;
}

/* "500K", "2M", "1G" or plain bytes. */
int parse_bytes(const char *arg, uint64_t *out)
{
	double v;
	char *unit;
	errno = 0;
	v = strtod(arg, &unit);
	if (errno || v <= 0 || (*unit && (!strchr("kKmMgG", *unit) || unit[1])))
		return -1;
	if (*unit == 'k' || *unit == 'K')
		v *= 1024;
	else if (*unit == 'm' || *unit == 'M')
		v *= 1024 * 1024;
	else if (*unit == 'g' || *unit == 'G')
		v *= 1024.0 * 1024 * 1024;
	*out = (uint64_t)v;
	return 0;
}

int target_opts_handle(target_opts *o, int opt, const char *arg)
{
	char *end;
	long n;
	switch (opt) {
	case OPT_PLAIN_HTTP:
		o->plain_http = 1;
		return 1;
	case OPT_OCI_LAYOUT:
		o->oci_layout = 1;
		return 1;
	case 'u':
		o->username = arg;
		return 1;
	case 'p':
		o->password = arg;
		return 1;
	case OPT_PASSWORD_STDIN:
		o->password_stdin = 1;
		return 1;
	case OPT_IDENTITY_TOKEN:
		o->identity_token = arg;
		return 1;
	case OPT_IDENTITY_TOKEN_STDIN:
		o->identity_token_stdin = 1;
		return 1;
	case OPT_INSECURE:
		o->insecure = 1;
		return 1;
	case OPT_CA_FILE:
		o->ca_file = arg;
		return 1;
	case OPT_CERT_FILE:
		o->cert_file = arg;
		return 1;
	case OPT_KEY_FILE:
		o->key_file = arg;
		return 1;
	case OPT_RESOLVE:
	case 'H':
		if (opt == 'H' && !strchr(arg, ':')) {
			fprintf(stderr, "lade: --header takes 'Name: value', not '%s'\n", arg);
			return -1;
		}
		if ((opt == 'H' ? o->header_count : o->resolve_count) == 16) {
			fprintf(stderr, "lade: too many --%s options\n", opt == 'H' ? "header" : "resolve");
			return -1;
		}
		if (opt == 'H')
			o->headers[o->header_count++] = arg;
		else
			o->resolve[o->resolve_count++] = arg;
		return 1;
	case OPT_LIMIT_RATE:
	case OPT_CHUNK_SIZE: {
		uint64_t bytes;
		if (parse_bytes(arg, &bytes) < 0) {
			fprintf(stderr, "lade: --%s takes a size like 500K or 2M, not '%s'\n",
				opt == OPT_LIMIT_RATE ? "limit-rate" : "chunk-size", arg);
			return -1;
		}
		*(opt == OPT_LIMIT_RATE ? &o->limit_rate : &o->chunk_size) = bytes;
		return 1;
	}
	case OPT_DISTRIBUTION_SPEC:
		/* ORAS's names for the two ways referrers are kept (distribution-spec 1.1) */
		if (!strcmp(arg, "v1.1-referrers-api"))
			o->referrers = LADE_REFERRERS_API;
		else if (!strcmp(arg, "v1.1-referrers-tag"))
			o->referrers = LADE_REFERRERS_TAG;
		else {
			fprintf(stderr,
				"lade: --distribution-spec takes v1.1-referrers-api or v1.1-referrers-tag, not '%s'\n",
				arg);
			return -1;
		}
		return 1;
	case OPT_TIMEOUT:
	case OPT_STALL_TIMEOUT: {
		unsigned long seconds;
		errno = 0;
		seconds = strtoul(arg, &end, 10);
		if (errno || !*arg || *end || seconds == 0 || seconds > 1000000) {
			fprintf(stderr, "lade: --%s takes a number of seconds, not '%s'\n",
				opt == OPT_TIMEOUT ? "timeout" : "stall-timeout", arg);
			return -1;
		}
		*(opt == OPT_TIMEOUT ? &o->timeout : &o->stall_timeout) = (unsigned int)seconds;
		return 1;
	}
	case OPT_DEBUG:
		o->debug = 1;
		return 1;
	case OPT_REGISTRY_CONFIG:
		if (o->config_count == sizeof(o->config_paths) / sizeof(o->config_paths[0])) {
			fprintf(stderr, "lade: too many --registry-config files\n");
			return -1;
		}
		o->config_paths[o->config_count++] = arg;
		return 1;
	case OPT_CONCURRENCY:
		errno = 0;
		n = strtol(arg, &end, 10);
		if (*end || errno || n < 1 || n > 64) {
			fprintf(stderr, "lade: --concurrency takes a number from 1 to 64, not '%s'\n", arg);
			return -1;
		}
		o->concurrency = (unsigned int)n;
		return 1;
	default:
		return 0;
	}
}

/* One line of standard input, without its line end. */
static int read_stdin_line(char *buf, size_t len, const char *what)
{
	size_t n;
	if (!fgets(buf, (int)len, stdin)) {
		fprintf(stderr, "lade: %s: nothing on standard input\n", what);
		return -1;
	}
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

int target_opts_finish(target_opts *o)
{
	if (o->password_stdin + o->identity_token_stdin > 1 || (o->password_stdin && o->password) ||
	    (o->identity_token_stdin && o->identity_token)) {
		fprintf(stderr, "lade: give the password (or identity token) one way only\n");
		return -1;
	}
	if (o->password_stdin) {
		if (read_stdin_line(o->password_buf, sizeof(o->password_buf), "--password-stdin") < 0)
			return -1;
		o->password = o->password_buf;
	}
	if (o->identity_token_stdin) {
		if (read_stdin_line(o->password_buf, sizeof(o->password_buf), "--identity-token-stdin") < 0)
			return -1;
		o->identity_token = o->password_buf;
	}
	if (!o->username)
		o->username = getenv("LADE_USERNAME");
	if (!o->password && !o->identity_token)
		o->password = getenv("LADE_PASSWORD");
	if (o->password && !o->username) {
		fprintf(stderr, "lade: a password was given without --username\n");
		return -1;
	}
	return 0;
}

int read_secret(const char *prompt, char *out, size_t outlen, int echo)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	FILE *in = tty, *shown = tty;
	size_t n;
	int restore = 0;
	if (!tty) {
		/* No controlling terminal: standard input, prompting only when it is a terminal itself. */
		if (!isatty(STDIN_FILENO))
			return read_stdin_line(out, outlen, prompt);
		in = stdin;
		shown = stderr;
	}
	/* Echo goes off before the prompt shows, and without flushing input:
	 * whoever answers the prompt at once (a person typing ahead, a script
	 * on a pty) must neither see the secret echoed nor have it discarded. */
	if (!echo && tcgetattr(fileno(in), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fileno(in), TCSANOW, &quiet) == 0;
	}
	fputs(prompt, shown);
	fflush(shown);
	if (!fgets(out, (int)outlen, in))
		out[0] = '\0';
	if (restore) {
		tcsetattr(fileno(in), TCSANOW, &old);
		fputc('\n', shown);
	}
	if (tty)
		fclose(tty);
	n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 0;
}

int copy_reference(const char *cmd, const char *arg, const target_opts *o, char *out, size_t outlen, int *helm_style)
{
	*helm_style = strncmp(arg, "oci://", 6) == 0;
	if (*helm_style && o->oci_layout)
		return usage_error(cmd, "oci:// names a registry, not a layout");
	if (snprintf(out, outlen, "%s", arg + (*helm_style ? 6 : 0)) >= (int)outlen)
		return failf("reference '%.40s...' is too long", arg);
	return 0;
}

/* A layout archive: unpacked into a private folder under TMPDIR, opened there. */
static int open_archive(opened_target *out, const char *path, int create)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	int err, there = stat(path, &st) == 0;
	if (!there && !create)
		return lade_error_set(LADE_ENOTFOUND, "layout archive '%s' not found", path);
	if (there && !S_ISREG(st.st_mode))
		return lade_error_set(LADE_EINVALID, "'%s' is not a file, so not a layout archive", path);
	snprintf(out->archive, sizeof(out->archive), "%s", path);
	if ((err = lade_fs_temp_path(out->archive_dir, sizeof(out->archive_dir), "%s/layout-archive",
				     tmp && *tmp ? tmp : "/tmp")) < 0)
		return err;
	if (!mkdtemp(out->archive_dir)) {
		out->archive_dir[0] = '\0';
		return lade_error_set(LADE_EIO, "cannot make a folder for '%s': %s", path, strerror(errno));
	}
	if (there && (err = lade_layout_archive_unpack(path, out->archive_dir)) < 0)
		return lade_error_set(err, "'%s': %s", path, lade_error_last()->message);
	if ((err = lade_layout_open(&out->target, out->archive_dir, !there)) < 0)
		return lade_error_set(err, "'%s' is not an OCI layout archive: %s", path, lade_error_last()->message);
	return 0;
}

int open_target(opened_target *out, const char *ref, const target_opts *o, int create)
{
	int err;
	memset(out, 0, sizeof(*out));
	if (o->oci_layout) {
		lade_layout_ref lr;
		size_t n;
		if ((err = lade_layout_ref_parse(&lr, ref)) < 0) {
			out->bad_reference = 1;
			return err;
		}
		snprintf(out->reference, sizeof(out->reference), "%s", lr.digest[0] ? lr.digest : lr.tag);
		snprintf(out->display, sizeof(out->display), "%s", ref);
		snprintf(out->repository, sizeof(out->repository), "%s", lr.path);
		out->is_layout = 1;
		n = strlen(lr.path);
		if (n > 4 && !strcmp(lr.path + n - 4, ".tar"))
			return open_archive(out, lr.path, create);
		return lade_layout_open(&out->target, lr.path, create);
	} else {
		lade_ref r;
		lade_registry_options ro = LADE_REGISTRY_OPTIONS_INIT;
		if ((err = lade_ref_parse(&r, ref)) < 0) {
			out->bad_reference = 1;
			return err;
		}
		snprintf(out->reference, sizeof(out->reference), "%s", r.digest[0] ? r.digest : r.tag);
		snprintf(out->display, sizeof(out->display), "%s/%s", r.registry, r.repository);
		snprintf(out->repository, sizeof(out->repository), "%s", r.repository);
		target_opts_registry(o, &ro);
		/* What lade learns of a registry (its referrers API) is kept for the next command. */
		{
			const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
			if (xdg && *xdg)
				snprintf(out->cache_dir, sizeof(out->cache_dir), "%s/lade", xdg);
			else if (home && *home)
				snprintf(out->cache_dir, sizeof(out->cache_dir), "%s/.cache/lade", home);
			ro.cache_dir = out->cache_dir[0] ? out->cache_dir : NULL;
		}
		ro.username = o->username;
		ro.password = o->password;
		ro.identity_token = o->identity_token;
		if (!o->username && !o->identity_token) {
			/* Nothing given: what `docker login` (or `lade login`) stored. */
			lade_credentials_options co = LADE_CREDENTIALS_OPTIONS_INIT;
			co.config_paths = o->config_paths;
			co.config_count = o->config_count;
			if ((err = lade_credentials_get(&co, r.registry, &out->stored)) == 0) {
				ro.username = out->stored.username;
				ro.password = out->stored.password;
				ro.identity_token = out->stored.identity_token;
				ro.registry_token = out->stored.registry_token;
				ro.credentials_stored = 1;
			} else if (err != LADE_ENOTFOUND) {
				return err;
			}
			lade_error_clear();
		}
		if ((err = lade_registry_open(&out->target, &r, &ro)) < 0)
			lade_credential_dispose(&out->stored);
		return err;
	}
}

void opened_target_dispose(opened_target *ot)
{
	lade_target_free(ot->target);
	ot->target = NULL;
	lade_credential_dispose(&ot->stored);
	if (ot->archive_dir[0]) {
		lade_fs_empty_folder(ot->archive_dir);
		rmdir(ot->archive_dir);
		ot->archive_dir[0] = '\0';
	}
}

int finish_target(opened_target *ot)
{
	if (!ot->archive_dir[0])
		return 0;
	if (lade_layout_archive_pack(ot->archive_dir, ot->archive) < 0)
		return failf("cannot write the layout archive '%s': %s", ot->archive, lade_error_last()->message);
	return 0;
}

int open_failed(const opened_target *ot)
{
	fail();
	return ot->bad_reference ? EXIT_USAGE : EXIT_FAILURE_;
}

/* The library says what and where; which flag changes the outcome is the CLI's to say. */
static const char *hint_for(const lade_error *e)
{
	if (e->code == LADE_EUNSAFE && strstr(e->message, "refusing to write"))
		return "-T (--allow-path-traversal) writes outside the output folder";
	if (e->code == LADE_EEXISTS && strstr(e->message, "not replacing it"))
		return "without -k (--keep-old-files) existing files are replaced";
	if (e->code == LADE_EINVALID && strstr(e->message, "leave out the scheme"))
		return "--plain-http talks HTTP to the registry";
	if (e->code == LADE_EUNSUPPORTED && strstr(e->message, "is a container image"))
		return "lade copy <ref> --to-oci-layout DIR:TAG takes the image whole";
	if (e->code == LADE_EAUTH && strstr(e->message, "requires credentials"))
		return "give --username and --password (or --password-stdin), or run lade login first";
	return NULL;
}

int print_descriptor(const lade_descriptor *d)
{
	lade_buf line;
	int err;
	lade_buf_init(&line, 64 * 1024);
	if ((err = lade_descriptor_encode(&line, d)) == 0)
		printf("%s\n", line.ptr);
	lade_buf_dispose(&line);
	return err;
}

int fail(void)
{
	const lade_error *e = lade_error_last();
	const char *hint = hint_for(e);
	fprintf(stderr, "lade: %s\n", e->message[0] ? e->message : lade_error_name(e->code));
	if (hint)
		fprintf(stderr, "lade: %s\n", hint);
	return EXIT_FAILURE_;
}

int failf(const char *fmt, ...)
{
	va_list ap;
	fputs("lade: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE_;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fputs("lade: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'lade %s --help' for usage.\n", cmd);
	return EXIT_USAGE;
}

const char *human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

int is_index(const lade_descriptor *d)
{
	return !strcmp(d->media_type, LADE_MEDIATYPE_INDEX) || !strcmp(d->media_type, LADE_MEDIATYPE_DOCKER_LIST);
}

int resolve_subject(opened_target *ot, const char *reference, const char *platform, lade_descriptor *out)
{
	lade_descriptor chosen;
	lade_buf bytes;
	int err;

	lade_buf_init(&bytes, 4 * 1024 * 1024);
	if ((err = lade_manifest_fetch(ot->target, reference, out, &bytes)) == 0 && platform && is_index(out)) {
		/* --platform: the index's manifest for it is the one meant, as ORAS picks it. */
		if ((err = lade_index_choose(bytes.ptr, bytes.size, platform, &chosen)) < 0) {
			err = lade_error_set(err, "'%s': %s", reference, lade_error_last()->message);
		} else {
			lade_descriptor_dispose(out);
			*out = chosen;
		}
		if (err < 0)
			lade_descriptor_dispose(out);
	}
	lade_buf_dispose(&bytes);
	return err;
}

/* Ask on a terminal, as ORAS does; anything but y or yes keeps the manifest. */
int confirmed(const char *what)
{
	char answer[16];
	if (!isatty(STDIN_FILENO))
		return 1;
	fprintf(stderr, "Are you sure you want to delete %s and all tags naming it? [y/N] ", what);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	return !strcmp(answer, "y\n") || !strcmp(answer, "yes\n") || !strcmp(answer, "Y\n");
}

/* "ref:t1,t2" -> "ref:t1" plus the tag list; returns the count of tags. */
int split_tags(char *ref, char ***tags_out)
{
	char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':'), *save = NULL, *t;
	char **tags = NULL;
	int n = 0;
	*tags_out = NULL;
	if (strchr(ref, '@') || !colon || (slash && colon < slash))
		return 0;
	for (t = strtok_r(colon + 1, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char **grown = realloc(tags, (size_t)(n + 1) * sizeof(*tags));
		if (!grown)
			break;
		tags = grown;
		tags[n++] = t;
	}
	*colon = '\0';
	*tags_out = tags;
	return n;
}
