/*
 * Referrers on a registry (distribution-spec 1.1 §2.10-2.11, formats.md):
 * read through the referrers API (pages followed by Link, filtered here
 * when the registry did not apply the filter), or through the tag schema
 * (an image index under the tag "<alg>-<hex>") where the registry has no
 * API; and, when a manifest with a subject was PUT and the registry did
 * not process the subject (no OCI-Subject), that index kept up to date:
 * read, append, write, then read again after a pause longer than the
 * exchange took, so that two writers at once both end up in it.
 */
#include "registry_internal.h"

#include <sys/stat.h>
#include <time.h>

/* How long a registry's answer about the referrers API is believed without asking again. */
#define CACHE_SECONDS (24 * 3600)

/* Attempts at bringing the fallback index up to date before giving up. */
#define INDEX_ATTEMPTS 10
/* The pause before a written index is read back: at least this, and four times the exchange. */
#define SETTLE_MIN_MS 150

int lade_referrers_tag(const lade_digest *d, char *out, size_t outlen)
{
	const char *hex = lade_digest_hex(d);
	size_t alg = (size_t)(hex - 1 - d->str), enc = strlen(hex), i;
	/* distribution-spec main: the algorithm cut to 32 characters, the encoded part to 64 */
	if (alg > 32)
		alg = 32;
	if (enc > 64)
		enc = 64;
	if (alg + 1 + enc + 1 > outlen)
		return lade__error(LADE_ETOOLARGE, "no room for the referrers tag of %s", d->str);
	memcpy(out, d->str, alg);
	out[alg] = '-';
	memcpy(out + alg + 1, hex, enc);
	out[alg + 1 + enc] = '\0';
	/* every character a tag may not hold becomes '-' */
	for (i = 0; out[i]; i++)
		if (!isalnum((unsigned char)out[i]) && out[i] != '_' && out[i] != '.' && out[i] != '-')
			out[i] = '-';
	return 0;
}

/* cache_dir/referrers-<host>: "api" or "tag", believed for CACHE_SECONDS after it was written. */
static int cache_path(const registry *r, char *out, size_t outlen)
{
	size_t i, n;
	if (!r->cache_dir[0] || lade_snprintf(out, outlen, "%s/referrers-%s", r->cache_dir, r->host) < 0)
		return -1;
	for (i = strlen(r->cache_dir) + 1, n = strlen(out); i < n; i++)
		if (out[i] == '/' || out[i] == ':')
			out[i] = '_';
	return 0;
}

/* What an earlier run learnt, when the cache folder says it and the answer is under a day old. */
static void cache_read(registry *r)
{
	char path[PATH_MAX], text[8] = "";
	struct stat st;
	FILE *f;
	if (r->referrers_api >= 0 || cache_path(r, path, sizeof(path)) < 0 || lstat(path, &st) < 0 ||
	    !S_ISREG(st.st_mode) || st.st_mtime + CACHE_SECONDS < time(NULL) || !(f = fopen(path, "r")))
		return;
	if (fgets(text, sizeof(text), f)) {
		if (!strncmp(text, "api", 3))
			r->referrers_api = 1;
		else if (!strncmp(text, "tag", 3))
			r->referrers_api = 0;
		r->referrers_cached = r->referrers_api >= 0;
	}
	fclose(f);
}

void lade__reg_referrers_learnt(registry *r, int has_api)
{
	char path[PATH_MAX];
	lade_error kept = *lade_error_last();
	int was = r->referrers_api;
	r->referrers_api = has_api;
	r->referrers_cached = 0;
	/* Best effort: a cache that cannot be written costs a probe next time, nothing more. */
	if (was != has_api && cache_path(r, path, sizeof(path)) == 0 && lade__mkdirs(r->cache_dir, 0700) == 0)
		lade__write_file_atomic(path, has_api ? "api\n" : "tag\n", 4, 0600);
	*(lade_error *)lade_error_last() = kept;
}

/* One referrers index read: its entries filtered and handed on. */
typedef struct referring {
	registry *r;
	const char *artifact_type; /* NULL: all */
	int filtered;              /* the registry applied the artifactType filter */
	int doubt_types;           /* a fallback index: an entry's artifactType may be wrong (GHCR) */
	lade_descriptor_cb cb;
	void *payload;
	const char *what;
} referring;

/* The artifactType a referrer manifest itself declares (else its config's media type), into out. */
static int declared_type(registry *r, const lade_descriptor *d, char *out, size_t outlen)
{
	lade_buf bytes;
	lade_descriptor entry;
	int err;
	out[0] = '\0';
	lade_buf_init(&bytes, LADE_MANIFEST_MAX);
	if ((err = lade_target_fetch_bytes(&r->base, d, LADE_MANIFEST_MAX, &bytes)) == 0 &&
	    (err = lade__referrer_facts(d, bytes.ptr, bytes.size, &entry, NULL)) == 0) {
		snprintf(out, outlen, "%s", entry.artifact_type ? entry.artifact_type : "");
		lade_descriptor_dispose(&entry);
	}
	lade_buf_dispose(&bytes);
	return err;
}

static int referrer_entry(const char *text, size_t len, const cJSON *item, size_t index, void *payload)
{
	referring *rf = payload;
	lade_descriptor d;
	char real[256];
	const char *at;
	int err;
	(void)text;
	(void)len;
	(void)index;
	if ((err = lade__descriptor_from_json(&d, item, rf->what)) < 0)
		return err;
	at = d.artifact_type;
	/* GHCR's fallback indexes may say the empty type for what is a signature: the manifest says better. */
	if (rf->doubt_types && (!at || !strcmp(at, LADE_MEDIATYPE_EMPTY)) && lade_mediatype_is_manifest(d.media_type)) {
		if ((err = declared_type(rf->r, &d, real, sizeof(real))) < 0) {
			lade_descriptor_dispose(&d);
			return err;
		}
		if (real[0]) {
			free(d.artifact_type);
			if (!(d.artifact_type = lade_strdup(real))) {
				lade_descriptor_dispose(&d);
				return LADE_ENOMEM;
			}
			at = d.artifact_type;
		}
	}
	if (!rf->artifact_type || rf->filtered || (at && !strcmp(at, rf->artifact_type)))
		err = rf->cb(&d, rf->payload);
	lade_descriptor_dispose(&d);
	return err;
}

/* The entries of one referrers index document (an API page or the fallback tag's index). */
static int referrers_document(referring *rf, const char *data, size_t size)
{
	lade__json_split sp;
	int err;
	if ((err = lade__json_split_parse(data, size, LADE_MANIFEST_MAX, rf->what, &sp)) < 0)
		return err;
	err = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(sp.rest, "manifests"))
		  ? lade__json_split_each(&sp, "manifests", rf->what, referrer_entry, rf)
		  : lade__error(LADE_EPROTOCOL, "%s: not an image index (no \"manifests\" array)", rf->what);
	cJSON_Delete(sp.rest);
	return err;
}

int lade__referrers_parse(const char *data, size_t size, const char *artifact_type, lade_descriptor_cb cb,
			  void *payload)
{
	referring rf;
	memset(&rf, 0, sizeof(rf));
	rf.artifact_type = artifact_type;
	rf.cb = cb;
	rf.payload = payload;
	rf.what = "referrers index";
	return referrers_document(&rf, data, size);
}

static int referrers_page(request *rq, void *payload)
{
	referring *rf = payload;
	rf->filtered = rf->artifact_type && strstr(rq->filters_applied, "artifactType") != NULL;
	return referrers_document(rf, rq->body.ptr, rq->body.size);
}

static int api_referrers(referring *rf, const lade_descriptor *subject)
{
	registry *r = rf->r;
	char url[URL_MAX], scope[600];
	lade__reg_scope_for(r, scope, sizeof(scope), 0);
	if (lade__reg_url_for(r, url, sizeof(url), "/v2/%s/referrers/%s", subject->digest.str) < 0)
		return lade_error_last()->code;
	if (rf->artifact_type) {
		size_t n = strlen(url);
		char *esc = curl_easy_escape(NULL, rf->artifact_type, 0);
		int err = esc ? lade_snprintf(url + n, sizeof(url) - n, "?artifactType=%s", esc) : LADE_ENOMEM;
		curl_free(esc);
		if (err < 0)
			return err;
	}
	return lade__reg_pages(r, url, "Accept: " LADE_MEDIATYPE_INDEX, LADE_MANIFEST_MAX, scope, rf->what,
			       referrers_page, rf);
}

/*
 * The fallback tag's index into *bytes and *desc (*found 0 when the tag is
 * not there). Anything but an image index there is refused: it is not
 * lade's to overwrite.
 */
static int fallback_index(registry *r, const char *tag, lade_buf *bytes, lade_descriptor *desc, int *found)
{
	char mt[256];
	int err;
	*found = 0;
	lade_buf_clear(bytes);
	if ((err = lade_target_fetch_manifest(&r->base, tag, LADE_MANIFEST_MAX, desc, bytes)) < 0) {
		if (err != LADE_ENOTFOUND)
			return err;
		lade_error_clear();
		return 0;
	}
	*found = 1;
	if ((err = lade_manifest_sniff_media_type(bytes->ptr, bytes->size, mt, sizeof(mt))) < 0 ||
	    strcmp(mt, LADE_MEDIATYPE_INDEX) != 0) {
		lade_descriptor_dispose(desc);
		return lade__error(LADE_EINVALID,
				   "'%s/%s:%s' holds %s, not the image index of referrers that tag is for; "
				   "leaving it as it is",
				   r->host, r->repository, tag, err < 0 || !mt[0] ? "something else" : mt);
	}
	return 0;
}

static int tag_referrers(referring *rf, const lade_descriptor *subject)
{
	char tag[LADE_REF_TAG_MAX + 1];
	lade_descriptor desc;
	lade_buf bytes;
	int found, err;
	if ((err = lade_referrers_tag(&subject->digest, tag, sizeof(tag))) < 0)
		return err;
	lade_buf_init(&bytes, LADE_MANIFEST_MAX);
	if ((err = fallback_index(rf->r, tag, &bytes, &desc, &found)) == 0 && found) {
		rf->doubt_types = 1;
		rf->filtered = 0;
		err = referrers_document(rf, bytes.ptr, bytes.size);
		lade_descriptor_dispose(&desc);
	}
	lade_buf_dispose(&bytes);
	return err;
}

int lade__reg_referrers(lade_target *t, const lade_descriptor *subject, const char *artifact_type,
			lade_descriptor_cb cb, void *payload)
{
	registry *r = (registry *)t;
	char what[300];
	referring rf;
	int err;

	snprintf(what, sizeof(what), "cannot list the referrers of %s in '%s/%s'", subject->digest.str, r->host,
		 r->repository);
	memset(&rf, 0, sizeof(rf));
	rf.r = r;
	rf.artifact_type = artifact_type && *artifact_type ? artifact_type : NULL;
	rf.cb = cb;
	rf.payload = payload;
	rf.what = what;
	if (r->referrers_mode == LADE_REFERRERS_AUTO)
		cache_read(r);
	if (r->referrers_mode == LADE_REFERRERS_TAG || (r->referrers_mode == LADE_REFERRERS_AUTO && !r->referrers_api))
		return tag_referrers(&rf, subject);
	err = api_referrers(&rf, subject);
	/* 404 means no referrers API (a repository that is not there says NAME_UNKNOWN instead). */
	if (err == LADE_ENOTFOUND && strcmp(lade_error_last()->registry_code, "NAME_UNKNOWN") != 0) {
		if (r->referrers_mode == LADE_REFERRERS_API)
			return lade__error(LADE_EUNSUPPORTED, "%s: the registry has no referrers API", what);
		/* Learnt only when not known from this run: an API that answered here once is not forgotten
		   for one odd 404 (a registry that says so for a digest it does not know). */
		if (r->referrers_api != 1 || r->referrers_cached)
			lade__reg_referrers_learnt(r, 0);
		lade_error_clear();
		return tag_referrers(&rf, subject);
	}
	if (err == 0 && r->referrers_mode == LADE_REFERRERS_AUTO && r->referrers_api != 1)
		lade__reg_referrers_learnt(r, 1);
	return err;
}

/*
 * Does the registry have the referrers API? Asked once per target, as
 * oras-go does: GET the subject's referrers; 200 with an index says yes,
 * 404 says no (NAME_UNKNOWN is a real error), anything else stays unknown.
 */
static void probe_api(registry *r, const lade_descriptor *subject)
{
	request rq;
	char url[URL_MAX], scope[600];
	lade_error kept = *lade_error_last();
	lade__reg_scope_for(r, scope, sizeof(scope), 0);
	if (lade__reg_url_for(r, url, sizeof(url), "/v2/%s/referrers/%s", subject->digest.str) == 0 &&
	    lade__reg_request_init(&rq, r) == 0) {
		if (lade__reg_run(&rq, M_GET, url, "Accept: " LADE_MEDIATYPE_INDEX, LADE_MANIFEST_MAX, 0, scope,
				  "referrers API probe") == 0) {
			if (rq.status == 200 && !strcmp(rq.content_type_reply, LADE_MEDIATYPE_INDEX))
				lade__reg_referrers_learnt(r, 1);
			else if (rq.status == 404 && !memmem(rq.body.ptr, rq.body.size, "NAME_UNKNOWN", 12))
				lade__reg_referrers_learnt(r, 0);
		}
		lade__reg_request_dispose(&rq);
	}
	*(lade_error *)lade_error_last() = kept;
}

void lade__reg_referrers_recheck(registry *r, const lade_descriptor *subject)
{
	r->referrers_api = -1;
	r->referrers_cached = 0;
	probe_api(r, subject);
}

int lade__reg_subject_of(const lade_descriptor *desc, const void *data, size_t len, lade_descriptor **subject)
{
	*subject = NULL;
	/* Only OCI manifests and indexes carry a subject; most carry none, and need no parse to say so. */
	if ((strcmp(desc->media_type, LADE_MEDIATYPE_INDEX) != 0 &&
	     strcmp(desc->media_type, LADE_MEDIATYPE_MANIFEST) != 0) ||
	    !memmem(data, len, "\"subject\"", 9))
		return 0;
	return lade__referrer_facts(desc, data, len, NULL, subject);
}

int lade__reg_subject_check(registry *r, const lade_descriptor *desc, const void *data, size_t len,
			    lade_descriptor **subject)
{
	lade_descriptor old;
	lade_buf bytes;
	char tag[LADE_REF_TAG_MAX + 1];
	int there, err;

	if ((err = lade__reg_subject_of(desc, data, len, subject)) < 0 || !*subject ||
	    r->referrers_mode == LADE_REFERRERS_API)
		return err;
	if (r->referrers_mode == LADE_REFERRERS_AUTO && r->referrers_api < 0)
		cache_read(r);
	if (r->referrers_mode == LADE_REFERRERS_AUTO && r->referrers_api < 0)
		probe_api(r, *subject);
	if (r->referrers_api == 1 && r->referrers_mode == LADE_REFERRERS_AUTO)
		return 0; /* the registry keeps the list itself */
	/* Before anything is sent: a fallback tag that holds something else stops the push here. */
	lade_buf_init(&bytes, LADE_MANIFEST_MAX);
	if ((err = lade_referrers_tag(&(*subject)->digest, tag, sizeof(tag))) == 0 &&
	    (err = fallback_index(r, tag, &bytes, &old, &there)) == 0 && there)
		lade_descriptor_dispose(&old);
	lade_buf_dispose(&bytes);
	if (err < 0) {
		lade_descriptor_dispose(*subject);
		free(*subject);
		*subject = NULL;
	}
	return err;
}

static int lists(const lade_index *idx, const lade_digest *d)
{
	size_t i;
	for (i = 0; i < idx->manifest_count; i++)
		if (lade_digest_equal(&idx->manifests[i].digest, d))
			return 1;
	return 0;
}

/* Read the fallback index (an empty one when the tag is not there); *listed when it names d. */
static int read_index(registry *r, const char *tag, lade_index *idx, lade_descriptor *at, int *there,
		      const lade_digest *d, int *listed)
{
	lade_buf bytes;
	int err;
	lade_buf_init(&bytes, LADE_MANIFEST_MAX);
	memset(idx, 0, sizeof(*idx));
	*listed = 0;
	if ((err = fallback_index(r, tag, &bytes, at, there)) == 0) {
		if (*there) {
			if ((err = lade_index_parse(idx, bytes.ptr, bytes.size)) < 0)
				lade_descriptor_dispose(at);
			else
				*listed = lists(idx, d);
		} else {
			idx->schema_version = 2;
			err = (idx->media_type = lade_strdup(LADE_MEDIATYPE_INDEX)) ? 0 : LADE_ENOMEM;
		}
	}
	lade_buf_dispose(&bytes);
	return err;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The superseded index goes where the registry allows it (ORAS leaves it); refused or not, no matter. */
static void remove_superseded(registry *r, const lade_descriptor *old, const char *tag)
{
	lade_descriptor now;
	lade_buf bytes;
	int there;
	lade_error kept = *lade_error_last();
	lade_buf_init(&bytes, LADE_MANIFEST_MAX);
	/* Deleting by digest takes the tags naming it along: only while the tag names another. */
	if (fallback_index(r, tag, &bytes, &now, &there) == 0 && there) {
		if (!lade_digest_equal(&now.digest, &old->digest))
			lade_target_delete(&r->base, old);
		lade_descriptor_dispose(&now);
	}
	lade_buf_dispose(&bytes);
	*(lade_error *)lade_error_last() = kept;
}

/* The index with d added (entry) or taken out (entry NULL), written under tag; *wrote when it was. */
static int write_changed(registry *r, const char *tag, lade_index *idx, const lade_digest *d,
			 const lade_descriptor *entry, lade_buf *out, int *wrote)
{
	lade_descriptor fresh;
	size_t i, kept = 0;
	int err = 0;
	*wrote = 0;
	if (entry) {
		/* Appended as a copy: the index owns its entries. */
		lade_descriptor *grown = realloc(idx->manifests, (idx->manifest_count + 1) * sizeof(*grown));
		if (!grown)
			return lade_error_set_oom();
		idx->manifests = grown;
		if ((err = lade_descriptor_copy(&idx->manifests[idx->manifest_count], entry)) < 0)
			return err;
		idx->manifest_count++;
	} else {
		for (i = 0; i < idx->manifest_count; i++) {
			if (lade_digest_equal(&idx->manifests[i].digest, d))
				lade_descriptor_dispose(&idx->manifests[i]);
			else
				idx->manifests[kept++] = idx->manifests[i];
		}
		idx->manifest_count = kept;
	}
	lade_buf_clear(out);
	memset(&fresh, 0, sizeof(fresh));
	fresh.media_type = LADE_MEDIATYPE_INDEX;
	if ((err = lade_index_encode(out, idx)) == 0 &&
	    (err = lade_digest_buffer(&fresh.digest, LADE_DIGEST_SHA256, out->ptr, out->size)) == 0) {
		fresh.size = out->size;
		err = lade_target_tag(&r->base, &fresh, out->ptr, out->size, tag);
		*wrote = err == 0;
	}
	return err;
}

/*
 * Bring subject's fallback index to list desc (entry set) or not to list it
 * (entry NULL): read, change, write, read back after a pause four times the
 * exchange (a writer that read before this write has written by then), and
 * again when another writer's index replaced this one.
 */
static int keep_index(registry *r, const lade_descriptor *subject, const lade_digest *d, const lade_descriptor *entry)
{
	char tag[LADE_REF_TAG_MAX + 1];
	lade_descriptor old;
	lade_index idx;
	lade_buf out;
	int attempt, there = 0, listed, done = 0, err;
	long started, settle;

	if ((err = lade_referrers_tag(&subject->digest, tag, sizeof(tag))) < 0)
		return err;
	lade_buf_init(&out, LADE_MANIFEST_MAX);
	for (attempt = 0; attempt < INDEX_ATTEMPTS && !done; attempt++) {
		int wrote = 0;
		started = now_ms();
		if ((err = read_index(r, tag, &idx, &old, &there, d, &listed)) < 0)
			break;
		if (listed == !!entry || (!entry && !there))
			done = 1; /* already as wanted */
		else
			err = write_changed(r, tag, &idx, d, entry, &out, &wrote);
		lade_index_dispose(&idx);
		if (wrote) {
			lade_descriptor back;
			lade_index check;
			int back_there;
			settle = 4 * (now_ms() - started);
			if (settle < SETTLE_MIN_MS)
				settle = SETTLE_MIN_MS;
			lade__sleep_ms(settle + rand() % (settle / 2 + 1));
			if ((err = read_index(r, tag, &check, &back, &back_there, d, &listed)) == 0) {
				lade_index_dispose(&check);
				if (back_there)
					lade_descriptor_dispose(&back);
				done = listed == !!entry;
			}
			if (err == 0 && done && there)
				remove_superseded(r, &old, tag);
		}
		if (there)
			lade_descriptor_dispose(&old);
		if (err < 0)
			break;
	}
	if (err == 0 && !done)
		err = lade__error(LADE_EPROTOCOL,
				  "'%s/%s:%s': other writers kept replacing the referrers index; %s is %s after %d "
				  "attempts",
				  r->host, r->repository, tag, d->str, entry ? "pushed but not listed" : "still listed",
				  INDEX_ATTEMPTS);
	lade_buf_dispose(&out);
	return err;
}

int lade__reg_index_referrer(registry *r, const lade_descriptor *subject, const lade_descriptor *desc, const void *data,
			     size_t len)
{
	lade_descriptor entry;
	int err;
	/* What the referrers index lists for it: its type and all its annotations (DIST §2.8 step 5). */
	if ((err = lade__referrer_facts(desc, data, len, &entry, NULL)) < 0)
		return err;
	err = keep_index(r, subject, &desc->digest, &entry);
	lade_descriptor_dispose(&entry);
	return err;
}

int lade__reg_unindex_referrer(registry *r, const lade_descriptor *subject, const lade_descriptor *desc)
{
	if (r->referrers_mode == LADE_REFERRERS_API ||
	    (r->referrers_mode == LADE_REFERRERS_AUTO && (cache_read(r), r->referrers_api == 1)))
		return 0; /* the registry drops it from its list itself */
	return keep_index(r, subject, &desc->digest, NULL);
}
