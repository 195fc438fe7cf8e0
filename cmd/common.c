#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char TARGET_OPTIONS_HELP[] =
	"Target options:\n"
	"      --oci-layout          the reference is an OCI image layout: path[:tag|@digest]\n"
	"      --plain-http          talk HTTP, not HTTPS (automatic for localhost)\n"
	"  -u, --username USER       registry user name (or LADE_USERNAME)\n"
	"  -p, --password PASS       registry password (or LADE_PASSWORD)\n"
	"      --password-stdin      read the password from standard input\n"
	"      --concurrency N       blob transfers at once (default 4)\n"
	"  -h, --help                show this help\n";

void target_opts_init(target_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->plain_http = -1;
	o->concurrency = 4;
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

int target_opts_finish(target_opts *o)
{
	if (o->password_stdin) {
		size_t len;
		if (o->password) {
			fprintf(stderr, "lade: --password and --password-stdin cannot be combined\n");
			return -1;
		}
		if (!fgets(o->password_buf, sizeof(o->password_buf), stdin)) {
			fprintf(stderr, "lade: --password-stdin: nothing on standard input\n");
			return -1;
		}
		len = strlen(o->password_buf);
		while (len && (o->password_buf[len - 1] == '\n' || o->password_buf[len - 1] == '\r'))
			o->password_buf[--len] = '\0';
		o->password = o->password_buf;
	}
	if (!o->username)
		o->username = getenv("LADE_USERNAME");
	if (!o->password)
		o->password = getenv("LADE_PASSWORD");
	if (o->password && !o->username) {
		fprintf(stderr, "lade: a password was given without --username\n");
		return -1;
	}
	return 0;
}

int open_target(opened_target *out, const char *ref, const target_opts *o, int create)
{
	int err;
	memset(out, 0, sizeof(*out));
	if (o->oci_layout) {
		lade_layout_ref lr;
		if ((err = lade_layout_ref_parse(&lr, ref)) < 0) {
			out->bad_reference = 1;
			return err;
		}
		snprintf(out->reference, sizeof(out->reference), "%s", lr.digest[0] ? lr.digest : lr.tag);
		snprintf(out->display, sizeof(out->display), "%s", ref);
		snprintf(out->repository, sizeof(out->repository), "%s", lr.path);
		out->is_layout = 1;
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
		ro.plain_http = o->plain_http;
		ro.username = o->username;
		ro.password = o->password;
		ro.concurrency = o->concurrency;
		return lade_registry_open(&out->target, &r, &ro);
	}
}

int open_failed(const opened_target *ot)
{
	fail();
	return ot->bad_reference ? EXIT_USAGE : EXIT_FAILURE_;
}

int fail(void)
{
	const lade_error *e = lade_error_last();
	fprintf(stderr, "lade: %s\n", e->message[0] ? e->message : lade_error_name(e->code));
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
