/*
 * Platforms (lade/manifest.h): parsing "os/arch[/variant]", the host's,
 * normalising the usual spellings to OCI's (as containerd's platforms
 * package does), and matching an index entry against what is wanted.
 */
#include "internal.h"
#include "lade/manifest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

static int replace(char **field, const char *value)
{
	char *copy = NULL;
	if (value && !(copy = lade_strdup(value)))
		return lade_error_set_oom();
	free(*field);
	*field = copy;
	return 0;
}

static int empty(const char *s)
{
	return !s || !*s;
}

int lade_platform_normalize(lade_platform *p)
{
	static const struct {
		const char *from, *arch, *variant; /* variant NULL: keep what was given */
	} arches[] = {
	    {"x86_64", "amd64", NULL}, {"x86-64", "amd64", NULL}, {"aarch64", "arm64", NULL},
	    {"armhf", "arm", "v7"},    {"armel", "arm", "v6"},    {"armv7l", "arm", "v7"},
	    {"armv6l", "arm", "v6"},   {"i386", "386", NULL},     {"i686", "386", NULL},
	};
	char variant[32];
	size_t i;
	int err;
	if (p->os) {
		for (i = 0; p->os[i]; i++)
			p->os[i] = (char)tolower((unsigned char)p->os[i]);
		if (!strcmp(p->os, "macos") && (err = replace(&p->os, "darwin")) < 0)
			return err;
	}
	for (i = 0; p->architecture && i < sizeof(arches) / sizeof(*arches); i++) {
		if (strcasecmp(p->architecture, arches[i].from) != 0)
			continue;
		if ((err = replace(&p->architecture, arches[i].arch)) < 0 ||
		    (arches[i].variant && (err = replace(&p->variant, arches[i].variant)) < 0))
			return err;
		break;
	}
	/* Variants are written "vN"; "8" and "v8" are one. */
	if (!empty(p->variant) && isdigit((unsigned char)p->variant[0])) {
		snprintf(variant, sizeof(variant), "v%s", p->variant);
		if ((err = replace(&p->variant, variant)) < 0)
			return err;
	}
	if (p->architecture && !strcmp(p->architecture, "arm64") && empty(p->variant))
		return replace(&p->variant, "v8");
	if (p->architecture && !strcmp(p->architecture, "arm") && empty(p->variant))
		return replace(&p->variant, "v7");
	if (p->architecture && !strcmp(p->architecture, "amd64") && p->variant && !strcmp(p->variant, "v1"))
		return replace(&p->variant, NULL);
	return 0;
}

int lade_platform_parse(lade_platform *out, const char *text)
{
	char work[256], *arch, *variant;
	int err;
	memset(out, 0, sizeof(*out));
	if (strlen(text) >= sizeof(work))
		return lade__error(LADE_EINVALID, "platform '%.40s...' is too long", text);
	strcpy(work, text);
	if (!(arch = strchr(work, '/')) || arch == work || !arch[1])
		return lade__error(LADE_EINVALID, "platform '%s' is not os/arch[/variant]", text);
	*arch++ = '\0';
	if ((variant = strchr(arch, '/'))) {
		*variant++ = '\0';
		if (!*variant || strchr(variant, '/'))
			return lade__error(LADE_EINVALID, "platform '%s' is not os/arch[/variant]", text);
	}
	if ((err = replace(&out->os, work)) < 0 || (err = replace(&out->architecture, arch)) < 0 ||
	    (variant && (err = replace(&out->variant, variant)) < 0) || (err = lade_platform_normalize(out)) < 0) {
		lade_platform_dispose(out);
		return err;
	}
	return 0;
}

int lade_platform_host(lade_platform *out)
{
	struct utsname u;
	int err;
	memset(out, 0, sizeof(*out));
	if (uname(&u) < 0)
		return lade__error(LADE_ERROR, "cannot tell the host's platform");
	if ((err = replace(&out->os, u.sysname)) < 0 || (err = replace(&out->architecture, u.machine)) < 0 ||
	    (err = lade_platform_normalize(out)) < 0) {
		lade_platform_dispose(out);
		return err;
	}
	return 0;
}

static int same(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

int lade_platform_match(const lade_platform *want, const lade_platform *have)
{
	lade_platform w, h;
	size_t i, j;
	int match = 0;
	memset(&w, 0, sizeof(w));
	memset(&h, 0, sizeof(h));
	/* Compare normalised copies: the callers' platforms stay as written. */
	if (replace(&w.os, want->os) < 0 || replace(&w.architecture, want->architecture) < 0 ||
	    replace(&w.variant, want->variant) < 0 || replace(&h.os, have->os) < 0 ||
	    replace(&h.architecture, have->architecture) < 0 || replace(&h.variant, have->variant) < 0 ||
	    lade_platform_normalize(&w) < 0 || lade_platform_normalize(&h) < 0) {
		lade_error_clear();
		goto done;
	}
	if (!same(w.os, h.os) || !same(w.architecture, h.architecture))
		goto done;
	if (!empty(want->variant) && !same(w.variant, h.variant))
		goto done;
	if (!empty(want->os_version) && !same(want->os_version, have->os_version))
		goto done;
	for (i = 0; i < want->os_feature_count; i++) {
		for (j = 0; j < have->os_feature_count && strcmp(want->os_features[i], have->os_features[j]); j++)
			;
		if (j == have->os_feature_count)
			goto done;
	}
	match = 1;
done:
	lade_platform_dispose(&w);
	lade_platform_dispose(&h);
	return match;
}

void lade_platform_format(const lade_platform *p, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s%s%s", p->os ? p->os : "", p->architecture ? p->architecture : "",
		 empty(p->variant) ? "" : "/", empty(p->variant) ? "" : p->variant);
}

const lade_descriptor *lade_index_platform(const lade_index *idx, const lade_platform *want)
{
	size_t i;
	for (i = 0; i < idx->manifest_count; i++)
		if (idx->manifests[i].platform && lade_platform_match(want, idx->manifests[i].platform) &&
		    lade_mediatype_is_manifest(idx->manifests[i].media_type))
			return &idx->manifests[i];
	return NULL;
}

int lade_index_choose(const char *data, size_t len, const char *platform, lade_descriptor *out)
{
	lade_platform want;
	lade_index idx;
	const lade_descriptor *chosen;
	char wanted[128];
	int err;
	memset(out, 0, sizeof(*out));
	memset(&want, 0, sizeof(want));
	if ((err = lade_platform_parse(&want, platform)) < 0)
		return err;
	if ((err = lade_index_parse(&idx, data, len)) == 0) {
		if ((chosen = lade_index_platform(&idx, &want))) {
			err = lade_descriptor_copy(out, chosen);
		} else {
			lade_platform_format(&want, wanted, sizeof(wanted));
			err = lade__error(LADE_ENOTFOUND, "the image index has no manifest for %s", wanted);
		}
		lade_index_dispose(&idx);
	}
	lade_platform_dispose(&want);
	return err;
}
