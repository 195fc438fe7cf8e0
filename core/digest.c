#include "internal.h"
#include "fsutil.h"
#include "lade/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

struct lade_hasher {
	EVP_MD_CTX *ctx;
	lade_digest_alg alg;
	uint64_t size;
};

static const struct {
	const char *name;
	size_t hexlen;
} algorithms[] = {
    [LADE_DIGEST_SHA256] = {"sha256", 64},
    [LADE_DIGEST_SHA512] = {"sha512", 128},
};

const char *lade_digest_alg_name(lade_digest_alg alg)
{
	return alg == LADE_DIGEST_SHA256 || alg == LADE_DIGEST_SHA512 ? algorithms[alg].name : "other";
}

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_encoded_char(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '=' || c == '_' || c == '-';
}

int lade_digest_parse(lade_digest *out, const char *str)
{
	const char *colon = strchr(str, ':');
	size_t alglen, i;
	int prev_sep = 1;

	if (!colon || colon == str)
		return lade__error(LADE_EINVALID, "invalid digest '%s': expected '<algorithm>:<hex>'", str);
	alglen = (size_t)(colon - str);
	/* algorithm ::= component (separator component)*, component ::= [a-z0-9]+ */
	for (i = 0; i < alglen; i++) {
		char c = str[i];
		if (is_lower_alnum(c)) {
			prev_sep = 0;
		} else if ((c == '+' || c == '.' || c == '_' || c == '-') && !prev_sep) {
			prev_sep = 1;
		} else {
			return lade__error(LADE_EINVALID, "invalid digest '%s': bad algorithm name", str);
		}
	}
	if (prev_sep)
		return lade__error(LADE_EINVALID, "invalid digest '%s': bad algorithm name", str);
	if (!colon[1])
		return lade__error(LADE_EINVALID, "invalid digest '%s': empty encoded part", str);
	for (i = 1; colon[i]; i++)
		if (!is_encoded_char(colon[i]))
			return lade__error(LADE_EINVALID, "invalid digest '%s': bad character in encoded part", str);

	for (size_t a = 0; a < sizeof(algorithms) / sizeof(algorithms[0]); a++) {
		size_t hexlen = strlen(colon + 1);
		if (strlen(algorithms[a].name) != alglen || strncmp(str, algorithms[a].name, alglen) != 0)
			continue;
		if (hexlen != algorithms[a].hexlen)
			return lade__error(LADE_EINVALID, "invalid digest '%s': %s needs %zu hex digits, got %zu", str,
					   algorithms[a].name, algorithms[a].hexlen, hexlen);
		for (i = 1; colon[i]; i++)
			if (!((colon[i] >= '0' && colon[i] <= '9') || (colon[i] >= 'a' && colon[i] <= 'f')))
				return lade__error(LADE_EINVALID, "invalid digest '%s': %s must be lowercase hex", str,
						   algorithms[a].name);
		out->alg = (lade_digest_alg)a;
		memcpy(out->str, str, alglen + 1 + hexlen + 1);
		return 0;
	}
	return lade__error(LADE_EUNSUPPORTED, "unsupported digest algorithm in '%.*s'", (int)alglen, str);
}

const char *lade_digest_hex(const lade_digest *d)
{
	const char *colon = strchr(d->str, ':');
	return colon ? colon + 1 : d->str;
}

int lade_digest_equal(const lade_digest *a, const lade_digest *b)
{
	return a->alg == b->alg && strcmp(a->str, b->str) == 0;
}

int lade_hasher_new(lade_hasher **out, lade_digest_alg alg)
{
	lade_hasher *h;
	if (alg != LADE_DIGEST_SHA256 && alg != LADE_DIGEST_SHA512)
		return lade__error(LADE_EUNSUPPORTED, "cannot verify content of an unsupported digest algorithm");
	if (!(h = calloc(1, sizeof(*h))))
		return lade_error_set_oom();
	h->alg = alg;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, alg == LADE_DIGEST_SHA512 ? EVP_sha512() : EVP_sha256(), NULL) != 1) {
		lade_hasher_free(h);
		return lade__error(LADE_ERROR, "cannot start %s hashing", algorithms[alg].name);
	}
	*out = h;
	return 0;
}

int lade_hasher_update(lade_hasher *h, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		return lade__error(LADE_ERROR, "hashing failed");
	h->size += len;
	return 0;
}

uint64_t lade_hasher_size(const lade_hasher *h)
{
	return h->size;
}

int lade_hasher_final(lade_hasher *h, lade_digest *out)
{
	static const char hexdigits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t pos;

	if (EVP_DigestFinal_ex(h->ctx, md, &mdlen) != 1)
		return lade__error(LADE_ERROR, "hashing failed");
	out->alg = h->alg;
	pos = (size_t)sprintf(out->str, "%s:", algorithms[h->alg].name);
	for (i = 0; i < mdlen; i++) {
		out->str[pos++] = hexdigits[md[i] >> 4];
		out->str[pos++] = hexdigits[md[i] & 15];
	}
	out->str[pos] = '\0';
	return 0;
}

void lade_hasher_free(lade_hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int lade_digest_buffer(lade_digest *out, lade_digest_alg alg, const void *data, size_t len)
{
	lade_hasher *h = NULL;
	int err;
	if ((err = lade_hasher_new(&h, alg)) < 0)
		return err;
	if ((err = lade_hasher_update(h, data, len)) == 0)
		err = lade_hasher_final(h, out);
	lade_hasher_free(h);
	return err;
}

int lade_digest_file(lade_digest *out, uint64_t *size_out, lade_digest_alg alg, const char *path)
{
	enum { CHUNK = 256 * 1024 }; /* large enough for full-speed reads, small for RSS */
	lade_hasher *h = NULL;
	char *chunk = NULL;
	int fd, err = 0;
	ssize_t n;

	if ((fd = lade_fs_open_regular(path)) < 0)
		return fd;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (!(chunk = malloc(CHUNK))) {
		err = lade_error_set_oom();
		goto done;
	}
	if ((err = lade_hasher_new(&h, alg)) < 0)
		goto done;
	while ((n = read(fd, chunk, CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = lade__error(LADE_EIO, "cannot read '%s': %s", path, strerror(errno));
			goto done;
		}
		if ((err = lade_hasher_update(h, chunk, (size_t)n)) < 0)
			goto done;
	}
	if ((err = lade_hasher_final(h, out)) < 0)
		goto done;
	if (size_out)
		*size_out = lade_hasher_size(h);
done:
	lade_hasher_free(h);
	free(chunk);
	close(fd);
	return err;
}

int lade__checked_stream_init(lade__checked_stream *cs, const lade_descriptor *desc, lade_stream_cb cb, void *payload)
{
	memset(cs, 0, sizeof(*cs));
	cs->desc = desc;
	cs->cb = cb;
	cs->payload = payload;
	if (desc->digest.alg == LADE_DIGEST_OTHER)
		return lade__error(LADE_EUNSUPPORTED, "%s: lade cannot verify this digest algorithm", desc->digest.str);
	return lade_hasher_new(&cs->hasher, desc->digest.alg);
}

int lade__checked_stream_feed(lade__checked_stream *cs, const void *data, size_t len)
{
	int err;
	if (lade_hasher_size(cs->hasher) + len > cs->desc->size)
		return lade__error(LADE_EDIGEST, "%s: more than the %llu bytes its descriptor gives",
				   cs->desc->digest.str, (unsigned long long)cs->desc->size);
	if ((err = lade_hasher_update(cs->hasher, data, len)) < 0)
		return err;
	if ((err = cs->cb(data, len, cs->payload)) != 0)
		cs->stopped = err;
	return err;
}

int lade__checked_stream_finish(lade__checked_stream *cs)
{
	lade_digest got;
	int err;
	if (lade_hasher_size(cs->hasher) != cs->desc->size)
		return lade__error(LADE_EDIGEST, "%s: %llu bytes, expected %llu", cs->desc->digest.str,
				   (unsigned long long)lade_hasher_size(cs->hasher),
				   (unsigned long long)cs->desc->size);
	if ((err = lade_hasher_final(cs->hasher, &got)) < 0)
		return err;
	if (!lade_digest_equal(&got, &cs->desc->digest))
		return lade__error(LADE_EDIGEST, "%s does not match its content (got %s)", cs->desc->digest.str,
				   got.str);
	return 0;
}

void lade__checked_stream_dispose(lade__checked_stream *cs)
{
	lade_hasher_free(cs->hasher);
	cs->hasher = NULL;
}
