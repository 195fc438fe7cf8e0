/*
 * The registry target (lade/registry.h): the target operations over the
 * distribution API - existence, sizes, manifests by tag or digest (one
 * request), pushes, tags and their pages - and opening, pinging and
 * counting. The HTTP, auth and transfer parts are registry_http.c,
 * registry_auth.c and registry_transfer.c.
 */
#include "registry_internal.h"

static int reg_exists(lade_target *t, const lade_descriptor *desc, int *found)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], scope[600], what[256];
	int err;
	snprintf(what, sizeof(what), "cannot check %s in '%s/%s'", desc->digest.str, r->host, r->repository);
	lade__reg_scope_for(r, scope, sizeof(scope), 0);
	if ((err = lade__reg_url_for(r, url, sizeof(url), lade__reg_endpoint_for(desc), desc->digest.str)) < 0 ||
	    (err = lade__reg_request_init(&rq, r)) < 0)
		return err;
	err = lade__reg_run(&rq, M_HEAD, url, lade_mediatype_is_manifest(desc->media_type) ? MANIFEST_ACCEPT : NULL,
			    LADE_ERROR_BODY_MAX, 0, scope, what);
	if (err == 0) {
		if (rq.status == 200)
			*found = 1;
		else if (rq.status == 404)
			*found = 0;
		else
			err = lade__reg_request_error(&rq, CURLE_OK, what);
	}
	lade__reg_request_dispose(&rq);
	return err;
}

static int reg_blob_size(lade_target *t, const lade_digest *digest, uint64_t *size)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], scope[600], what[256];
	int err;
	snprintf(what, sizeof(what), "cannot find %s in '%s/%s'", digest->str, r->host, r->repository);
	lade__reg_scope_for(r, scope, sizeof(scope), 0);
	if ((err = lade__reg_url_for(r, url, sizeof(url), "/v2/%s/blobs/%s", digest->str)) < 0 ||
	    (err = lade__reg_request_init(&rq, r)) < 0)
		return err;
	if ((err = lade__reg_run(&rq, M_HEAD, url, NULL, LADE_ERROR_BODY_MAX, 1, scope, what)) == 0) {
		if (rq.status == 404)
			err = lade__error_http(LADE_ENOTFOUND, 404, "BLOB_UNKNOWN", "%s: not found", what);
		else if (rq.status != 200)
			err = lade__reg_request_error(&rq, CURLE_OK, what);
		else
			err = lade__reg_content_length(&rq, size);
	}
	lade__reg_request_dispose(&rq);
	return err;
}

static int reg_fetch_bytes(lade_target *t, const lade_descriptor *desc, size_t max, lade_buf *out)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], scope[600], what[256];
	lade_digest got;
	int manifest = lade_mediatype_is_manifest(desc->media_type), err;

	snprintf(what, sizeof(what), "cannot fetch %s from '%s/%s'", desc->digest.str, r->host, r->repository);
	if (desc->size > max)
		return lade__error(LADE_ETOOLARGE, "%s: %llu bytes is over the %zu-byte limit", what,
				   (unsigned long long)desc->size, max);
	lade__reg_scope_for(r, scope, sizeof(scope), 0);
	if ((err = lade__reg_url_for(r, url, sizeof(url), lade__reg_endpoint_for(desc), desc->digest.str)) < 0 ||
	    (err = lade__reg_request_init(&rq, r)) < 0)
		return err;
	if ((err = lade__reg_run(&rq, M_GET, url, manifest ? MANIFEST_ACCEPT : NULL, max, !manifest, scope, what)) < 0)
		goto done;
	if (rq.status != 200) {
		/* The error body was capped at max too; that is fine for a message. */
		err = lade__reg_request_error(&rq, CURLE_OK, what);
		goto done;
	}
	if (rq.body.size != desc->size) {
		err = lade__error(LADE_EDIGEST, "%s: got %zu bytes, expected %llu", what, rq.body.size,
				  (unsigned long long)desc->size);
		goto done;
	}
	if ((err = lade_digest_buffer(&got, desc->digest.alg, rq.body.ptr, rq.body.size)) < 0)
		goto done;
	if (!lade_digest_equal(&got, &desc->digest)) {
		err = lade__error(LADE_EDIGEST, "%s: content does not match its digest (got %s)", what, got.str);
		goto done;
	}
	*out = rq.body;
	lade_buf_init(&rq.body, LADE_ERROR_BODY_MAX);
done:
	lade__reg_request_dispose(&rq);
	return err;
}

static int reg_fetch_stream(lade_target *t, const lade_descriptor *desc, lade_stream_cb cb, void *payload)
{
	registry *r = (registry *)t;
	lade__checked_stream cs;
	request rq;
	char url[URL_MAX], scope[600], what[256];
	int manifest = lade_mediatype_is_manifest(desc->media_type), err, ready = 0;

	snprintf(what, sizeof(what), "cannot fetch %s from '%s/%s'", desc->digest.str, r->host, r->repository);
	lade__reg_scope_for(r, scope, sizeof(scope), 0);
	if ((err = lade__checked_stream_init(&cs, desc, cb, payload)) < 0 ||
	    (err = lade__reg_url_for(r, url, sizeof(url), lade__reg_endpoint_for(desc), desc->digest.str)) < 0 ||
	    (err = lade__reg_request_init(&rq, r)) < 0)
		goto done;
	ready = 1;
	rq.stream = &cs;
	if ((err = lade__reg_run(&rq, M_GET, url, manifest ? MANIFEST_ACCEPT : NULL, LADE_ERROR_BODY_MAX, !manifest,
				 scope, what)) < 0) {
		if (cs.stopped)
			err = cs.stopped; /* the reader's own answer, as it gave it */
		goto done;
	}
	if (rq.status != 200 && rq.status != 206) {
		err = lade__reg_request_error(&rq, CURLE_OK, what);
		goto done;
	}
	if ((err = lade__checked_stream_finish(&cs)) < 0)
		err = lade__error(err, "%s: %s", what, lade_error_last()->message);
done:
	if (ready)
		lade__reg_request_dispose(&rq);
	lade__checked_stream_dispose(&cs);
	return err;
}

/* DELETE a manifest or blob by digest, or a tag: 202 done, 404 absent, 405 (or 400 for tags) not allowed. */
static int reg_delete_path(registry *r, const char *endpoint, const char *reference, const char *what)
{
	request rq;
	char url[URL_MAX], scope[600];
	int err;
	snprintf(scope, sizeof(scope), "repository:%s:delete", r->repository);
	if ((err = lade__reg_url_for(r, url, sizeof(url), endpoint, reference)) < 0 ||
	    (err = lade__reg_request_init(&rq, r)) < 0)
		return err;
	if ((err = lade__reg_run(&rq, M_DELETE, url, NULL, LADE_ERROR_BODY_MAX, 0, scope, what)) == 0) {
		if (rq.status == 202 || rq.status == 200 || rq.status == 204)
			err = 0;
		else if (rq.status == 404)
			err = lade__error_http(LADE_ENOTFOUND, 404, "", "%s: not found at '%s/%s'", what, r->host,
					       r->repository);
		else if (rq.status == 405 || (rq.status == 400 && !strchr(reference, ':')))
			err = lade__error_http(LADE_EUNSUPPORTED, rq.status, "UNSUPPORTED",
					       "%s: '%s' does not allow deleting this (HTTP %ld)", what, r->host,
					       rq.status);
		else
			err = lade__reg_request_error(&rq, CURLE_OK, what);
	}
	lade__reg_request_dispose(&rq);
	return err;
}

/*
 * A manifest with a subject leaves its subject's fallback index too, once
 * it is deleted (distribution-spec 1.1: the client keeps that index).
 */
static int reg_delete(lade_target *t, const lade_descriptor *desc)
{
	registry *r = (registry *)t;
	char what[256];
	lade_buf bytes;
	lade_descriptor *subject = NULL;
	int err;
	snprintf(what, sizeof(what), "cannot delete %s", desc->digest.str);
	lade_buf_init(&bytes, LADE_MANIFEST_MAX);
	if (lade_mediatype_is_manifest(desc->media_type) && reg_fetch_bytes(t, desc, LADE_MANIFEST_MAX, &bytes) == 0 &&
	    (err = lade__reg_subject_of(desc, bytes.ptr, bytes.size, &subject)) < 0) {
		lade_buf_dispose(&bytes);
		return err;
	}
	lade_buf_dispose(&bytes);
	lade_error_clear(); /* a manifest that cannot be read is for the DELETE to report */
	if ((err = reg_delete_path(r, lade__reg_endpoint_for(desc), desc->digest.str, what)) == 0 && subject)
		err = lade__reg_unindex_referrer(r, subject, desc);
	if (subject) {
		lade_descriptor_dispose(subject);
		free(subject);
	}
	return err;
}

/* Deleting a tag alone: distribution-spec 1.1 lets a registry take DELETE /manifests/<tag>; many refuse it. */
static int reg_untag(lade_target *t, const char *tag)
{
	registry *r = (registry *)t;
	char what[256];
	int err;
	if ((err = lade_ref_validate_tag(tag)) < 0)
		return err;
	snprintf(what, sizeof(what), "cannot remove tag '%s'", tag);
	return reg_delete_path(r, "/v2/%s/manifests/%s", tag, what);
}

static int put_manifest(registry *r, const lade_descriptor *desc, const void *data, size_t len, const char *reference)
{
	request rq;
	char url[URL_MAX], scope[600], what[300];
	lade_descriptor *subject = NULL;
	int err;

	/* A manifest with a subject, the first time this target sends it: the referrers side first. */
	if (!lade_digest_equal(&r->indexed, &desc->digest) &&
	    (err = lade__reg_subject_check(r, desc, data, len, &subject)) < 0)
		return err;

	snprintf(what, sizeof(what), "cannot push manifest to '%s/%s:%s'", r->host, r->repository, reference);
	lade__reg_scope_for(r, scope, sizeof(scope), 1);
	if ((err = lade__reg_url_for(r, url, sizeof(url), "/v2/%s/manifests/%s", reference)) < 0 ||
	    (err = lade__reg_request_init(&rq, r)) < 0)
		return err;
	rq.src.data = data;
	rq.src.len = len;
	rq.src.size = len;
	/* The Content-Type must be the manifest's own mediaType (the registry checks). */
	rq.content_type = desc->media_type;
	if ((err = lade__reg_run(&rq, M_PUT, url, NULL, LADE_ERROR_BODY_MAX, 0, scope, what)) < 0)
		goto done;
	if (rq.status != 201) {
		err = lade__reg_request_error(&rq, CURLE_OK, what);
		goto done;
	}
	if (rq.docker_digest[0] && strcmp(rq.docker_digest, desc->digest.str) != 0) {
		err = lade__error(LADE_EDIGEST, "%s: registry stored it as %s, expected %s", what, rq.docker_digest,
				  desc->digest.str);
		goto done;
	}
	if (subject && rq.oci_subject)
		lade__reg_referrers_learnt(r, 1); /* the registry lists it itself */
	else if (subject && r->referrers_api == 1 && r->referrers_cached)
		lade__reg_referrers_recheck(r, subject); /* a day-old answer that this PUT contradicts */
	if (subject && (r->referrers_mode == LADE_REFERRERS_TAG ||
			(r->referrers_mode == LADE_REFERRERS_AUTO && r->referrers_api != 1))) {
		/* No OCI-Subject: the client keeps the subject's fallback index (DIST "Pushing Manifests with Subject"). */
		if ((err = lade__reg_index_referrer(r, subject, desc, data, len)) < 0)
			goto done;
	}
	if (subject)
		r->indexed = desc->digest;
done:
	if (subject) {
		lade_descriptor_dispose(subject);
		free(subject);
	}
	lade__reg_request_dispose(&rq);
	return err;
}

static int reg_push_bytes(lade_target *t, const lade_descriptor *desc, const void *data, size_t len)
{
	registry *r = (registry *)t;
	lade_blob_job job = {0};
	if (len != desc->size)
		return lade__error(LADE_EDIGEST, "content of %s is %zu bytes, expected %llu", desc->digest.str, len,
				   (unsigned long long)desc->size);
	if (lade_mediatype_is_manifest(desc->media_type))
		return put_manifest(r, desc, data, len, desc->digest.str);
	job.desc = desc;
	return lade__reg_run_jobs(r, &job, 1, 1, data, -1, NULL);
}

/*
 * One GET for a manifest by tag or digest: the bytes are hashed here (with
 * the digest's own algorithm when one was asked for) and must match it, and
 * the registry's Docker-Content-Digest when it sends one.
 */
static int reg_fetch_manifest(lade_target *t, const char *reference, size_t max, lade_descriptor *desc, lade_buf *bytes)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], scope[600], what[300];
	lade_digest asked, got;
	int err, by_digest = strchr(reference, ':') != NULL;

	snprintf(what, sizeof(what), "cannot fetch manifest '%s/%s%s%s'", r->host, r->repository, by_digest ? "@" : ":",
		 reference);
	if (strchr(reference, '@') || strchr(reference, '/'))
		return lade__error(LADE_EINVALID, "%s: not a tag or digest", what);
	if (by_digest && (err = lade_digest_parse(&asked, reference)) < 0)
		return lade__error(err, "%s: %s", what, lade_error_last()->message);
	lade__reg_scope_for(r, scope, sizeof(scope), 0);
	if ((err = lade__reg_url_for(r, url, sizeof(url), "/v2/%s/manifests/%s", reference)) < 0 ||
	    (err = lade__reg_request_init(&rq, r)) < 0)
		return err;
	if ((err = lade__reg_run(&rq, M_GET, url, MANIFEST_ACCEPT, max, 0, scope, what)) < 0)
		goto done;
	if (rq.status == 404) {
		err = lade__error_http(LADE_ENOTFOUND, 404, "MANIFEST_UNKNOWN", "%s: not found", what);
		goto done;
	}
	if (rq.status != 200) {
		err = lade__reg_request_error(&rq, CURLE_OK, what);
		goto done;
	}
	if ((err = lade_digest_buffer(&got, by_digest ? asked.alg : LADE_DIGEST_SHA256, rq.body.ptr, rq.body.size)) < 0)
		goto done;
	if (by_digest && !lade_digest_equal(&got, &asked)) {
		err = lade__error(LADE_EDIGEST, "%s: content does not match the digest asked for (got %s)", what,
				  got.str);
		goto done;
	}
	if (rq.docker_digest[0] && strncmp(rq.docker_digest, got.str, strlen(lade_digest_alg_name(got.alg))) == 0 &&
	    strcmp(rq.docker_digest, got.str) != 0) {
		err = lade__error(LADE_EDIGEST, "%s: the registry says %s, the content is %s", what, rq.docker_digest,
				  got.str);
		goto done;
	}
	memset(desc, 0, sizeof(*desc));
	desc->digest = got;
	desc->size = rq.body.size;
	if (!(desc->media_type = lade_strdup(rq.content_type_reply[0] ? rq.content_type_reply
								      : LADE_MEDIATYPE_MANIFEST))) {
		err = lade_error_set_oom();
		goto done;
	}
	/* As fetch_bytes: the body becomes the caller's buffer. */
	*bytes = rq.body;
	lade_buf_init(&rq.body, LADE_ERROR_BODY_MAX);
done:
	lade__reg_request_dispose(&rq);
	return err;
}

static int reg_resolve(lade_target *t, const char *reference, lade_descriptor *out)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], scope[600], what[300];
	uint64_t size = 0;
	int err;

	snprintf(what, sizeof(what), "cannot resolve '%s/%s:%s'", r->host, r->repository, reference);
	if (strchr(reference, '@') || strchr(reference, '/'))
		return lade__error(LADE_EINVALID, "%s: not a tag or digest", what);
	lade__reg_scope_for(r, scope, sizeof(scope), 0);
	if ((err = lade__reg_url_for(r, url, sizeof(url), "/v2/%s/manifests/%s", reference)) < 0 ||
	    (err = lade__reg_request_init(&rq, r)) < 0)
		return err;
	if ((err = lade__reg_run(&rq, M_HEAD, url, MANIFEST_ACCEPT, LADE_ERROR_BODY_MAX, 0, scope, what)) < 0)
		goto done;
	if (rq.status == 404) {
		err = lade__error_http(LADE_ENOTFOUND, 404, "MANIFEST_UNKNOWN", "%s: not found", what);
		goto done;
	}
	if (rq.status != 200 && rq.status != 405 && rq.status != 501) {
		err = lade__reg_request_error(&rq, CURLE_OK, what);
		goto done;
	}
	if (rq.status != 200 || !rq.docker_digest[0]) {
		/* No usable HEAD: GET the manifest and hash it ourselves. */
		lade_digest d;
		if ((err = lade__reg_run(&rq, M_GET, url, MANIFEST_ACCEPT, LADE_MANIFEST_LIMIT, 0, scope, what)) < 0)
			goto done;
		if (rq.status != 200) {
			err = lade__reg_request_error(&rq, CURLE_OK, what);
			goto done;
		}
		if ((err = lade_digest_buffer(&d, LADE_DIGEST_SHA256, rq.body.ptr, rq.body.size)) < 0)
			goto done;
		if (strchr(reference, ':') && strcmp(reference, d.str) != 0) {
			err = lade__error(LADE_EDIGEST, "%s: content does not match the digest asked for (got %s)",
					  what, d.str);
			goto done;
		}
		memcpy(rq.docker_digest, d.str, sizeof(d.str));
		size = rq.body.size;
	} else if ((err = lade__reg_content_length(&rq, &size)) < 0) {
		goto done;
	}
	memset(out, 0, sizeof(*out));
	if ((err = lade_digest_parse(&out->digest, rq.docker_digest)) < 0) {
		err = lade__error(LADE_EPROTOCOL, "%s: bad Docker-Content-Digest '%s'", what, rq.docker_digest);
		goto done;
	}
	if (strchr(reference, ':') && strcmp(reference, out->digest.str) != 0) {
		err = lade__error(LADE_EDIGEST, "%s: registry says its digest is %s", what, out->digest.str);
		goto done;
	}
	out->size = size;
	if (!(out->media_type = lade_strdup(rq.content_type_reply[0] ? rq.content_type_reply
								     : LADE_MEDIATYPE_MANIFEST)))
		err = LADE_ENOMEM;
done:
	lade__reg_request_dispose(&rq);
	return err;
}

static int reg_tag(lade_target *t, const lade_descriptor *desc, const void *data, size_t len, const char *tag)
{
	registry *r = (registry *)t;
	lade_buf fetched;
	int err;
	if (!tag || !*tag)
		return 0; /* a registry keeps untagged manifests by digest already */
	if (data)
		return put_manifest(r, desc, data, len, tag);
	if ((err = reg_fetch_bytes(t, desc, LADE_MANIFEST_LIMIT, &fetched)) < 0)
		return err;
	err = put_manifest(r, desc, fetched.ptr, fetched.size, tag);
	lade_buf_dispose(&fetched);
	return err;
}

/* repo tags: each tag of a page to the caller's callback. */
typedef struct tag_walk {
	lade_tag_cb cb;
	void *payload;
} tag_walk;

static int tag_one(const char *text, size_t len, const cJSON *item, size_t index, void *payload)
{
	tag_walk *w = payload;
	(void)text;
	(void)len;
	(void)index;
	return cJSON_IsString(item) ? w->cb(item->valuestring, w->payload) : 0;
}

/* A page of the tag list: a million short tags would be a tree of a hundred megabytes, so one tag at a time. */
static int tag_page(request *rq, void *payload)
{
	lade__json_split page;
	int err;
	if ((err = lade__json_split_parse(rq->body.ptr, rq->body.size, TAGS_PAGE_MAX, "tag list", &page)) < 0)
		return err;
	err = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(page.rest, "tags"))
		  ? lade__json_split_each(&page, "tags", "tag list", tag_one, payload)
		  : 0; /* no tags: an empty repository */
	cJSON_Delete(page.rest);
	return err;
}

static int reg_list_tags(lade_target *t, lade_tag_cb cb, void *payload)
{
	registry *r = (registry *)t;
	char url[URL_MAX], scope[600], what[300];
	tag_walk walk = {cb, payload};
	int err;

	snprintf(what, sizeof(what), "cannot list tags of '%s/%s'", r->host, r->repository);
	lade__reg_scope_for(r, scope, sizeof(scope), 0);
	if ((err = lade__reg_url_for(r, url, sizeof(url), "/v2/%s/tags/list%s", "")) < 0)
		return err;
	return lade__reg_pages(r, url, NULL, TAGS_PAGE_MAX, scope, what, tag_page, &walk);
}

/* A page of the catalog: {"repositories": [...]}, capped like a tag list page. */
typedef struct catalog_walk {
	const char *prefix;
	lade_tag_cb cb;
	void *payload;
} catalog_walk;

int lade__catalog_parse(const char *data, size_t len, const char *prefix, lade_tag_cb cb, void *payload)
{
	cJSON *page, *repos, *item;
	int err;
	if ((err = lade_json_parse(&page, data, len, TAGS_PAGE_MAX, "the registry's catalog")) < 0)
		return err;
	repos = cJSON_GetObjectItemCaseSensitive(page, "repositories");
	cJSON_ArrayForEach (item, repos) {
		if (!cJSON_IsString(item))
			continue; /* read liberally: a name that is not a string is no repository */
		if (prefix && strncmp(item->valuestring, prefix, strlen(prefix)) != 0)
			continue;
		if ((err = cb(item->valuestring, payload)) != 0)
			break;
	}
	cJSON_Delete(page);
	return err;
}

static int catalog_page(request *rq, void *payload)
{
	catalog_walk *w = payload;
	return lade__catalog_parse(rq->body.ptr, rq->body.size, w->prefix, w->cb, w->payload);
}

int lade_registry_catalog(lade_target *t, const char *prefix, lade_tag_cb cb, void *payload)
{
	registry *r = (registry *)t;
	char url[URL_MAX], what[300];
	catalog_walk walk = {prefix && *prefix ? prefix : NULL, cb, payload};
	int err;
	if (!lade__reg_is_registry(t))
		return lade__error(LADE_EINVALID, "not a registry target");
	snprintf(what, sizeof(what), "cannot list the repositories of '%s'", r->host);
	if ((err = lade_snprintf(url, sizeof(url), "%s/v2/_catalog", r->base_url)) < 0)
		return err;
	return lade__reg_pages(r, url, NULL, TAGS_PAGE_MAX, "registry:catalog:*", what, catalog_page, &walk);
}

static void reg_free(lade_target *t)
{
	registry *r = (registry *)t;
	if (r->multi)
		curl_multi_cleanup(r->multi);
	curl_slist_free_all(r->resolve);
	OPENSSL_cleanse(r->auth, sizeof(r->auth));
	free(r);
}

static const lade_target_ops registry_ops = {
    .version = LADE_TARGET_OPS_VERSION,
    .exists = reg_exists,
    .blob_size = reg_blob_size,
    .push_stream = lade__reg_push_stream,
    .fetch_bytes = reg_fetch_bytes,
    .fetch_files = lade__reg_fetch_files,
    .push_bytes = reg_push_bytes,
    .push_files = lade__reg_push_files,
    .fetch_manifest = reg_fetch_manifest,
    .resolve = reg_resolve,
    .tag = reg_tag,
    .list_tags = reg_list_tags,
    .free = reg_free,
    .fetch_stream = reg_fetch_stream,
    .mount = lade_registry_mount,
    .delete_content = reg_delete,
    .untag = reg_untag,
    .referrers = lade__reg_referrers,
    .fetch_pipes = lade__reg_fetch_pipes,
    .push_pipes = lade__reg_push_pipes,
};

int lade__reg_is_registry(const lade_target *t)
{
	return t && t->ops == &registry_ops;
}

static int is_localhost(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "localhost:", 10) == 0;
}

int lade_registry_open(lade_target **out, const lade_ref *ref, const lade_registry_options *opts)
{
	static const lade_registry_options defaults = LADE_REGISTRY_OPTIONS_INIT;
	lade_registry_options v1;
	registry *r;
	int plain, err;

	if (!opts)
		opts = &defaults;
	if (opts->version == 1 || opts->version == 2) {
		/* Built against an older version: its fields, the later ones at their defaults. */
		v1 = defaults;
		memcpy(&v1, opts,
		       opts->version == 1 ? offsetof(lade_registry_options, timeout)
					  : offsetof(lade_registry_options, referrers));
		v1.version = LADE_REGISTRY_OPTIONS_VERSION;
		opts = &v1;
	}
	if (opts->version != LADE_REGISTRY_OPTIONS_VERSION)
		return lade__error(LADE_EINVALID, "registry options version %u is not 1 to %d", opts->version,
				   LADE_REGISTRY_OPTIONS_VERSION);
	if ((err = lade__curl_load()) < 0)
		return err;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return lade__error(LADE_ERROR, "cannot initialise libcurl");
	if (!(r = calloc(1, sizeof(*r))))
		return lade_error_set_oom();
	lade_target_init(&r->base, &registry_ops, "registry");
	plain = opts->plain_http < 0 ? is_localhost(ref->registry) : opts->plain_http;
	if ((err = lade_snprintf(r->base_url, sizeof(r->base_url), "%s://%s", plain ? "http" : "https",
				 lade_ref_api_host(ref))) < 0)
		goto fail;
	snprintf(r->host, sizeof(r->host), "%s", ref->registry);
	snprintf(r->repository, sizeof(r->repository), "%s", ref->repository);
	snprintf(r->user_agent, sizeof(r->user_agent), "%s",
		 opts->user_agent ? opts->user_agent : "lade/" LADE_VERSION_STRING);
	r->username = opts->username && *opts->username ? opts->username : NULL;
	r->password = opts->password;
	r->identity_token = opts->identity_token && *opts->identity_token ? opts->identity_token : NULL;
	r->credentials_stored = opts->credentials_stored;
	r->concurrency = opts->concurrency ? opts->concurrency : 4;
	r->custom_auth = opts->auth;
	r->custom_auth_payload = opts->auth_payload;
	r->insecure = opts->insecure;
	r->ca_file = opts->ca_file;
	r->cert_file = opts->cert_file;
	r->key_file = opts->key_file;
	r->headers = opts->headers;
	r->header_count = opts->header_count;
	r->limit_rate = opts->limit_rate;
	r->chunk_size = opts->chunk_size;
	r->retries = opts->retries ? opts->retries : 5;
	r->stall = opts->stall_timeout ? opts->stall_timeout : 30;
	if ((r->timeout = opts->timeout))
		r->deadline_ms = lade__reg_now_ms() + (long)opts->timeout * 1000;
	r->debug = opts->debug;
	r->debug_payload = opts->debug_payload;
	if (opts->referrers < LADE_REFERRERS_AUTO || opts->referrers > LADE_REFERRERS_TAG) {
		err = lade__error(LADE_EINVALID, "registry options: referrers mode %d is not known", opts->referrers);
		goto fail;
	}
	r->referrers_mode = opts->referrers;
	r->referrers_api = -1;
	if (opts->cache_dir && (err = lade_snprintf(r->cache_dir, sizeof(r->cache_dir), "%s", opts->cache_dir)) < 0)
		goto fail;
	for (size_t i = 0; i < opts->resolve_count; i++) {
		struct curl_slist *l = curl_slist_append(r->resolve, opts->resolve[i]);
		if (!l) {
			err = lade_error_set_oom();
			goto fail;
		}
		r->resolve = l;
	}
	if (opts->registry_token && *opts->registry_token) {
		char value[HEADER_MAX];
		if ((err = lade_snprintf(value, sizeof(value), "Bearer %s", opts->registry_token)) < 0 ||
		    (err = lade__reg_remember_auth(r, "*", value, 0)) < 0)
			goto fail;
	}
	if (!(r->multi = curl_multi_init())) {
		err = lade_error_set_oom();
		goto fail;
	}
	/* Small blobs run up to four times `concurrency` at once (registry_transfer.c). */
	curl_multi_setopt(r->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)r->concurrency * 4);
	*out = &r->base;
	return 0;
fail:
	curl_slist_free_all(r->resolve);
	free(r);
	return err;
}

int lade_registry_ping(lade_target *t)
{
	registry *r = (registry *)t;
	request rq;
	char url[URL_MAX], what[300];
	int err;
	if (t->ops != &registry_ops)
		return lade__error(LADE_EINVALID, "not a registry target");
	snprintf(what, sizeof(what), "cannot log in to '%s'", r->host);
	if ((err = lade_snprintf(url, sizeof(url), "%s/v2/", r->base_url)) < 0 ||
	    (err = lade__reg_request_init(&rq, r)) < 0)
		return err;
	if ((err = lade__reg_run(&rq, M_GET, url, NULL, LADE_ERROR_BODY_MAX, 0, "", what)) == 0 && rq.status != 200)
		err = lade__reg_request_error(&rq, CURLE_OK, what);
	lade__reg_request_dispose(&rq);
	return err;
}

int lade_registry_stats_get(lade_target *t, lade_registry_stats *out)
{
	if (t->ops != &registry_ops)
		return lade__error(LADE_EINVALID, "not a registry target");
	*out = ((registry *)t)->stats;
	return 0;
}
