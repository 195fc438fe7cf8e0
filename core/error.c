#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local lade_error last_error;

const lade_error *lade_error_last(void)
{
	return &last_error;
}

void lade_error_clear(void)
{
	memset(&last_error, 0, sizeof(last_error));
}

static int set_error(int code, long status, const char *registry_code, const char *fmt, va_list ap)
{
	/* Format first: callers may wrap the previous message, which lives in the slot. */
	char message[sizeof(last_error.message)];
	vsnprintf(message, sizeof(message), fmt, ap);
	memcpy(last_error.message, message, sizeof(message));
	last_error.code = code;
	last_error.http_status = status;
	snprintf(last_error.registry_code, sizeof(last_error.registry_code), "%s", registry_code ? registry_code : "");
	return code;
}

int lade__error(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_error(code, 0, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int lade_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	int err;
	va_start(ap, fmt);
	err = set_error(code < 0 ? code : LADE_ERROR, 0, NULL, fmt, ap);
	va_end(ap);
	return err;
}

int lade__error_http(int code, long status, const char *registry_code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_error(code, status, registry_code, fmt, ap);
	va_end(ap);
	return code;
}

int lade_error_set_oom(void)
{
	return lade__error(LADE_ENOMEM, "out of memory");
}

size_t lade_hash_string(const char *s)
{
	size_t h = (size_t)1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
	return h;
}

char *lade_strdup(const char *s)
{
	char *copy;
	if (!s)
		return NULL;
	copy = strdup(s);
	if (!copy)
		lade_error_set_oom();
	return copy;
}

int lade_snprintf(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outlen)
		return lade__error(LADE_ETOOLARGE, "text longer than %zu bytes", outlen - 1);
	return 0;
}

const char *lade_error_name(int code)
{
	switch (code) {
	case LADE_OK:
		return "OK";
	case LADE_ERROR:
		return "ERROR";
	case LADE_ENOTFOUND:
		return "ENOTFOUND";
	case LADE_EEXISTS:
		return "EEXISTS";
	case LADE_EINVALID:
		return "EINVALID";
	case LADE_EDIGEST:
		return "EDIGEST";
	case LADE_ETOOLARGE:
		return "ETOOLARGE";
	case LADE_EAUTH:
		return "EAUTH";
	case LADE_EDENIED:
		return "EDENIED";
	case LADE_ENET:
		return "ENET";
	case LADE_EPROTOCOL:
		return "EPROTOCOL";
	case LADE_EUNSAFE:
		return "EUNSAFE";
	case LADE_EIO:
		return "EIO";
	case LADE_ENOMEM:
		return "ENOMEM";
	case LADE_EUNSUPPORTED:
		return "EUNSUPPORTED";
	default:
		return "EUNKNOWN";
	}
}

const char *lade_version(void)
{
	return LADE_VERSION_STRING;
}
