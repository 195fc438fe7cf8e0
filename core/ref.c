#include "internal.h"
#include "lade/ref.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define DOCKER_HUB "docker.io"

static int is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int lade_ref_validate_tag(const char *tag)
{
	size_t len = strlen(tag), i;
	if (len == 0)
		return lade__error(LADE_EINVALID, "invalid tag '': empty");
	if (len > 128)
		return lade__error(LADE_EINVALID, "invalid tag '%.20s...': longer than 128 characters", tag);
	for (i = 0; i < len; i++) {
		char c = tag[i];
		int ok = isalnum((unsigned char)c) || c == '_' || (i > 0 && (c == '.' || c == '-'));
		if (!ok)
			return lade__error(LADE_EINVALID, "invalid tag '%s': character '%c' not allowed%s", tag, c,
					   i == 0 ? " at the start" : "");
	}
	return 0;
}

/*
 * Distribution-spec repository grammar:
 * [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
 */
static int validate_repository(const char *full, const char *repo)
{
	const char *p = repo;
	if (!*repo)
		return lade__error(LADE_EINVALID, "invalid reference '%s': missing repository name", full);
	if (strlen(repo) >= LADE_REF_REPOSITORY_MAX)
		return lade__error(LADE_EINVALID, "invalid reference '%s': repository name longer than 255", full);
	while (*p) {
		/* one path component */
		if (!is_alnum_lower(*p))
			goto bad;
		while (*p && *p != '/') {
			if (is_alnum_lower(*p)) {
				p++;
			} else if (*p == '.' || *p == '_' || *p == '-') {
				if (*p == '.') {
					p++;
				} else if (*p == '_') {
					p += p[1] == '_' ? 2 : 1;
				} else {
					while (*p == '-')
						p++;
				}
				if (!is_alnum_lower(*p))
					goto bad;
			} else {
				goto bad;
			}
		}
		if (*p == '/') {
			p++;
			if (!*p)
				goto bad;
		}
	}
	return 0;
bad:
	if (*p >= 'A' && *p <= 'Z')
		return lade__error(LADE_EINVALID, "invalid reference '%s': repository name '%s' must be lowercase",
				   full, repo);
	if ((!*p || *p == '/') && p > repo && strchr("._-", p[-1]))
		return lade__error(LADE_EINVALID,
				   "invalid reference '%s': a path component of '%s' cannot end with '%c'", full, repo,
				   p[-1]);
	if (!*p || *p == '/')
		return lade__error(LADE_EINVALID, "invalid reference '%s': empty path component in '%s'", full, repo);
	return lade__error(LADE_EINVALID,
			   "invalid reference '%s': repository name '%s' has '%c' where it is not allowed", full, repo,
			   *p);
}

static int validate_registry(const char *full, const char *host)
{
	const char *p = host, *port;
	if (!*host)
		return lade__error(LADE_EINVALID, "invalid reference '%s': empty registry host", full);
	if (*p == '[') { /* [IPv6]:port */
		const char *close = strchr(p, ']');
		if (!close || close == p + 1)
			return lade__error(LADE_EINVALID, "invalid reference '%s': bad IPv6 address in '%s'", full,
					   host);
		for (p++; p < close; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':')
				return lade__error(LADE_EINVALID, "invalid reference '%s': bad IPv6 address in '%s'",
						   full, host);
		p = close + 1;
	} else {
		/* domain-component ('.' domain-component)*, component = [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])? */
		while (*p && *p != ':') {
			const char *start = p;
			while (isalnum((unsigned char)*p) || *p == '-')
				p++;
			if (p == start || *start == '-' || p[-1] == '-')
				return lade__error(LADE_EINVALID, "invalid reference '%s': bad registry host '%s'",
						   full, host);
			if (*p == '.') {
				p++;
				if (!*p || *p == ':')
					return lade__error(LADE_EINVALID,
							   "invalid reference '%s': bad registry host '%s'", full,
							   host);
			} else if (*p && *p != ':') {
				return lade__error(LADE_EINVALID, "invalid reference '%s': bad registry host '%s'",
						   full, host);
			}
		}
	}
	if (*p == ':') {
		long value = 0;
		port = p + 1;
		if (!*port)
			return lade__error(LADE_EINVALID, "invalid reference '%s': empty port in '%s'", full, host);
		for (p = port; *p; p++) {
			if (!isdigit((unsigned char)*p) || (value = value * 10 + (*p - '0')) > 65535)
				return lade__error(LADE_EINVALID, "invalid reference '%s': bad port in '%s'", full,
						   host);
		}
	} else if (*p) {
		return lade__error(LADE_EINVALID, "invalid reference '%s': bad registry host '%s'", full, host);
	}
	return 0;
}

/* Docker's rule for whether the first path component names a registry. */
static int looks_like_registry(const char *component, size_t len)
{
	size_t i;
	if (len == 9 && strncmp(component, "localhost", 9) == 0)
		return 1;
	for (i = 0; i < len; i++)
		if (component[i] == '.' || component[i] == ':' || isupper((unsigned char)component[i]))
			return 1;
	return 0;
}

int lade_ref_parse(lade_ref *out, const char *str)
{
	char work[1024];
	char *at, *name, *slash, *colon;
	lade_ref ref;
	int err;

	memset(&ref, 0, sizeof(ref));
	if (!*str)
		return lade__error(LADE_EINVALID, "invalid reference '': empty");
	/* user:password@host/repo: refused, and the message never repeats what came before the '@'. */
	{
		const char *first_slash = strchr(str, '/'), *last_at = NULL, *p;
		for (p = str; *p && (!first_slash || p < first_slash); p++)
			if (*p == '@')
				last_at = p; /* the password itself may hold '@': show only what follows the last */
		if (last_at)
			return lade__error(LADE_EINVALID,
					   "invalid reference '...@%.200s': credentials do not go in a reference",
					   last_at + 1);
	}
	if (strlen(str) >= sizeof(work))
		return lade__error(LADE_EINVALID, "invalid reference '%.40s...': longer than %zu characters", str,
				   sizeof(work) - 1);
	if (strstr(str, "://"))
		return lade__error(LADE_EINVALID, "invalid reference '%s': leave out the scheme", str);
	memcpy(work, str, strlen(str) + 1);

	if ((at = strchr(work, '@')) != NULL) {
		lade_digest d;
		*at = '\0';
		if ((err = lade_digest_parse(&d, at + 1)) < 0)
			return lade__error(err, "invalid reference '%s': %s", str, lade_error_last()->message);
		memcpy(ref.digest, d.str, sizeof(ref.digest));
	}
	name = work;
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon && (!slash || colon > slash)) {
		*colon = '\0';
		if (lade_ref_validate_tag(colon + 1) < 0)
			return lade__error(LADE_EINVALID, "invalid reference '%s': %s", str,
					   lade_error_last()->message);
		snprintf(ref.tag, sizeof(ref.tag), "%s", colon + 1);
	}

	slash = strchr(name, '/');
	if (slash && looks_like_registry(name, (size_t)(slash - name))) {
		*slash = '\0';
		if (strlen(name) >= sizeof(ref.registry))
			return lade__error(LADE_EINVALID, "invalid reference '%s': registry host too long", str);
		strcpy(ref.registry, name);
		name = slash + 1;
		if (strcmp(ref.registry, "index.docker.io") == 0)
			strcpy(ref.registry, DOCKER_HUB);
	} else {
		if (!slash && !ref.tag[0] && !ref.digest[0] && strlen(name) == 64) {
			size_t i;
			for (i = 0; i < 64 && isxdigit((unsigned char)name[i]); i++)
				;
			if (i == 64)
				return lade__error(
				    LADE_EINVALID,
				    "invalid reference '%s': a 64-hex string alone is ambiguous; write '@sha256:%s'",
				    str, name);
		}
		strcpy(ref.registry, DOCKER_HUB);
	}
	if ((err = validate_registry(str, ref.registry)) < 0)
		return err;
	if (strcmp(ref.registry, DOCKER_HUB) == 0 && !strchr(name, '/') && *name) {
		if (lade_snprintf(ref.repository, sizeof(ref.repository), "library/%s", name) < 0)
			return lade__error(LADE_EINVALID, "invalid reference '%s': repository name longer than 255",
					   str);
	} else {
		if (strlen(name) >= sizeof(ref.repository))
			return lade__error(LADE_EINVALID, "invalid reference '%s': repository name longer than 255",
					   str);
		strcpy(ref.repository, name);
	}
	if ((err = validate_repository(str, ref.repository)) < 0)
		return err;
	*out = ref;
	return 0;
}

const char *lade_ref_api_host(const lade_ref *ref)
{
	return strcmp(ref->registry, DOCKER_HUB) == 0 ? "registry-1.docker.io" : ref->registry;
}

const char *lade_ref_reference(const lade_ref *ref)
{
	if (ref->digest[0])
		return ref->digest;
	return ref->tag[0] ? ref->tag : "latest";
}

int lade_ref_format(const lade_ref *ref, char *out, size_t outlen)
{
	return lade_snprintf(out, outlen, "%s/%s%s%s%s%s", ref->registry, ref->repository, ref->tag[0] ? ":" : "",
			     ref->tag, ref->digest[0] ? "@" : "", ref->digest);
}

int lade_layout_ref_parse(lade_layout_ref *out, const char *str)
{
	lade_layout_ref ref;
	const char *at, *slash, *colon, *end;
	int err;

	memset(&ref, 0, sizeof(ref));
	if (!*str)
		return lade__error(LADE_EINVALID, "invalid layout reference '': empty path");
	end = str + strlen(str);
	at = strrchr(str, '@');
	slash = strrchr(str, '/');
	if (at && (!slash || at > slash)) {
		lade_digest d;
		if ((err = lade_digest_parse(&d, at + 1)) < 0)
			return lade__error(err, "invalid layout reference '%s': %s", str, lade_error_last()->message);
		memcpy(ref.digest, d.str, sizeof(ref.digest));
		end = at;
	} else {
		colon = strrchr(str, ':');
		if (colon && (!slash || colon > slash)) {
			char tag[LADE_REF_TAG_MAX];
			if (strlen(colon + 1) >= sizeof(tag) || lade_ref_validate_tag(colon + 1) < 0)
				return lade__error(LADE_EINVALID, "invalid layout reference '%s': bad tag '%s'", str,
						   colon + 1);
			strcpy(tag, colon + 1);
			memcpy(ref.tag, tag, sizeof(tag));
			end = colon;
		}
	}
	if (end == str)
		return lade__error(LADE_EINVALID, "invalid layout reference '%s': empty path", str);
	if ((size_t)(end - str) >= sizeof(ref.path))
		return lade__error(LADE_EINVALID, "invalid layout reference '%.40s...': path too long", str);
	memcpy(ref.path, str, (size_t)(end - str));
	*out = ref;
	return 0;
}
