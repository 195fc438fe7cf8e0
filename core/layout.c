#include "internal.h"
#include "fsutil.h"
#include "json.h"
#include "lade/layout.h"
#include "lade/sys/target.h"
#include "lade/ref.h"
#include "layout_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char LAYOUT_HEADER[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
static const char EMPTY_INDEX[] = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
				  "\"manifests\":[]}";

static int path_in(const layout *l, char *out, size_t outlen, const char *rel)
{
	return lade_snprintf(out, outlen, "%s/%s", l->root, rel);
}

int lade__layout_blob_path(const layout *l, const lade_descriptor *d, char *out, size_t outlen)
{
	/* blobs/<algorithm>/<encoded>, the algorithm as the digest spells it (known or not) */
	return lade_snprintf(out, outlen, "%s/blobs/%.*s/%s", l->root,
			     (int)(lade_digest_hex(&d->digest) - 1 - d->digest.str), d->digest.str,
			     lade_digest_hex(&d->digest));
}

/* An exclusive lock on the layout folder itself: no extra file in the layout. */
int lade__layout_lock(const layout *l, int *fd_out)
{
	int fd = open(l->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return lade__error(LADE_EIO, "cannot open layout '%s': %s", l->root, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return lade__error(LADE_EIO, "cannot lock layout '%s': %s", l->root, strerror(errno));
	}
	*fd_out = fd;
	return 0;
}

void lade__layout_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

void lade__layout_index_dispose(index_text *ix)
{
	cJSON_Delete(ix->sp.rest);
	lade_buf_dispose(&ix->data);
	memset(ix, 0, sizeof(*ix));
}

int lade__layout_load_index(const layout *l, index_text *ix)
{
	int err;
	memset(ix, 0, sizeof(*ix));
	if ((err = path_in(l, ix->path, sizeof(ix->path), "index.json")) < 0)
		return err;
	if ((err = lade__read_file(&ix->data, ix->path, LADE_INDEX_JSON_MAX)) < 0) {
		if (err == LADE_ETOOLARGE)
			err = lade__error(LADE_ETOOLARGE,
					  "'%s' is over the %zu MiB limit for index.json (about %zu tags)", ix->path,
					  LADE_INDEX_JSON_MAX >> 20, LADE_INDEX_JSON_MAX / 200);
		return err;
	}
	if ((err = lade__json_split_parse(ix->data.ptr, ix->data.size, LADE_INDEX_JSON_MAX, ix->path, &ix->sp)) < 0 ||
	    (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(ix->sp.rest, "manifests")) &&
	     (err = lade__error(LADE_EINVALID, "'%s': \"manifests\" must be an array", ix->path)) < 0)) {
		lade__layout_index_dispose(ix);
		return err;
	}
	return 0;
}

const char *lade__layout_entry_ref_name(const cJSON *entry)
{
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(entry, "annotations");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(ann, LADE_ANNOTATION_REF_NAME);
	return cJSON_IsString(name) ? name->valuestring : NULL;
}

const char *lade__layout_entry_digest(const cJSON *entry)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(entry, "digest");
	return cJSON_IsString(d) ? d->valuestring : "";
}

int lade__layout_exists(lade_target *t, const lade_descriptor *desc, int *found)
{
	layout *l = (layout *)t;
	char path[PATH_MAX];
	struct stat st;
	int err;
	if ((err = lade__layout_blob_path(l, desc, path, sizeof(path))) < 0)
		return err;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return lade__error(LADE_EIO, "cannot stat '%s': %s", path, strerror(errno));
		*found = 0;
		return 0;
	}
	*found = S_ISREG(st.st_mode) && (uint64_t)st.st_size == desc->size;
	return 0;
}

static int layout_blob_size(lade_target *t, const lade_digest *digest, uint64_t *size)
{
	layout *l = (layout *)t;
	lade_descriptor probe = {0};
	char path[PATH_MAX];
	struct stat st;
	int err;
	probe.digest = *digest;
	if ((err = lade__layout_blob_path(l, &probe, path, sizeof(path))) < 0)
		return err;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return lade__error(LADE_ENOTFOUND, "%s not found in layout '%s'", digest->str, l->root);
	*size = (uint64_t)st.st_size;
	return 0;
}

int lade__layout_fetch_bytes(lade_target *t, const lade_descriptor *desc, size_t max, lade_buf *out)
{
	layout *l = (layout *)t;
	char path[PATH_MAX];
	lade_digest got;
	int err;
	if (desc->size > max)
		return lade__error(LADE_ETOOLARGE, "%s is %llu bytes, over the %zu-byte limit", desc->digest.str,
				   (unsigned long long)desc->size, max);
	if ((err = lade__layout_blob_path(l, desc, path, sizeof(path))) < 0)
		return err;
	if ((err = lade__read_file(out, path, max)) < 0) {
		if (err == LADE_ENOTFOUND)
			return lade__error(LADE_ENOTFOUND, "%s not found in layout '%s'", desc->digest.str, l->root);
		return err;
	}
	if (out->size != desc->size) {
		err = lade__error(LADE_EDIGEST, "'%s' is %zu bytes, expected %llu", path, out->size,
				  (unsigned long long)desc->size);
	} else if ((err = lade_digest_buffer(&got, desc->digest.alg, out->ptr, out->size)) == 0 &&
		   !lade_digest_equal(&got, &desc->digest)) {
		err = lade__error(LADE_EDIGEST, "'%s' does not match its digest (got %s)", path, got.str);
	}
	if (err < 0)
		lade_buf_dispose(out);
	return err;
}

static void report(lade_target *t, const lade_blob_job *job, uint64_t done)
{
	if (t->progress)
		t->progress(job, done, t->progress_payload);
}

static int layout_fetch_files(lade_target *t, lade_blob_job *jobs, size_t count)
{
	layout *l = (layout *)t;
	char path[PATH_MAX];
	lade__sink sink;
	size_t i;
	int first = 0, err;

	for (i = 0; i < count; i++) {
		lade_blob_job *job = &jobs[i];
		if ((err = lade__layout_blob_path(l, job->desc, path, sizeof(path))) == 0 &&
		    (err = lade__sink_open(&sink, job->path, NULL, job->desc)) == 0) {
			if ((err = lade__sink_copy_from(&sink, path, &job->transferred)) == 0)
				err = lade__sink_commit(&sink);
			else
				lade__sink_abort(&sink);
		}
		if (err == LADE_ENOTFOUND)
			err = lade__error(LADE_ENOTFOUND, "%s not found in layout '%s'", job->desc->digest.str,
					  l->root);
		job->error = err;
		if (err < 0 && !first)
			first = err;
		if (err < 0)
			return first; /* the message belongs to this job; stop here */
		report(t, job, job->transferred);
	}
	return first;
}

int lade__layout_ingest(layout *l, const lade_descriptor *desc, lade__sink *sink)
{
	char path[PATH_MAX], ingest_dir[PATH_MAX], alg_dir[PATH_MAX];
	int err;
	if ((err = lade__layout_blob_path(l, desc, path, sizeof(path))) < 0 ||
	    (err = path_in(l, ingest_dir, sizeof(ingest_dir), "ingest")) < 0 ||
	    (err = lade_snprintf(alg_dir, sizeof(alg_dir), "%s/blobs/%s", l->root,
				 lade_digest_alg_name(desc->digest.alg))) < 0 ||
	    (err = lade__mkdirs(ingest_dir, 0755)) < 0 || (err = lade__mkdirs(alg_dir, 0755)) < 0)
		return err;
	return lade__sink_open(sink, path, ingest_dir, desc);
}

int lade__layout_push_bytes(lade_target *t, const lade_descriptor *desc, const void *data, size_t len)
{
	layout *l = (layout *)t;
	lade__sink sink;
	int found = 0, err;
	if ((err = lade__layout_exists(t, desc, &found)) < 0 || found)
		return err;
	if ((err = lade__layout_ingest(l, desc, &sink)) < 0)
		return err;
	if ((err = lade__sink_write(&sink, data, len)) < 0) {
		lade__sink_abort(&sink);
		return err;
	}
	return lade__sink_commit(&sink);
}

static int layout_push_files(lade_target *t, lade_blob_job *jobs, size_t count)
{
	layout *l = (layout *)t;
	lade__sink sink;
	size_t i;
	int err, found;

	for (i = 0; i < count; i++) {
		lade_blob_job *job = &jobs[i];
		found = 0;
		job->transferred = 0;
		if ((err = lade__layout_exists(t, job->desc, &found)) == 0 && found) {
			job->skipped = 1;
		} else if (err == 0 && (err = lade__layout_ingest(l, job->desc, &sink)) == 0) {
			if ((err = lade__sink_copy_from(&sink, job->path, &job->transferred)) == 0)
				err = lade__sink_commit(&sink);
			else
				lade__sink_abort(&sink);
			if (err == LADE_EDIGEST)
				err = lade__error(LADE_EDIGEST, "'%s' changed while it was pushed: %s", job->path,
						  lade_error_last()->message);
		}
		job->error = err;
		if (err < 0)
			return err;
		report(t, job, job->desc->size);
	}
	return 0;
}

/* A stream into ingest/ while hashing, then renamed to the name its digest gives it. */
static int layout_push_stream(lade_target *t, int fd, const char *name, lade_descriptor *desc)
{
	layout *l = (layout *)t;
	char tmp[PATH_MAX], dest[PATH_MAX], alg_dir[PATH_MAX];
	lade_hasher *h = NULL;
	char *chunk = malloc(256 * 1024);
	int out = -1, err;
	ssize_t n;

	if (!chunk)
		return lade_error_set_oom();
	if ((err = lade_snprintf(tmp, sizeof(tmp), "%s/ingest", l->root)) < 0 || (err = lade__mkdirs(tmp, 0755)) < 0 ||
	    (err = lade_fs_temp_path(tmp, sizeof(tmp), "%s/ingest/stream", l->root)) < 0 ||
	    (err = lade_hasher_new(&h, LADE_DIGEST_SHA256)) < 0)
		goto done;
	if ((out = lade_fs_temp_create(tmp)) < 0) {
		err = lade__error(LADE_EIO, "cannot create a file in '%s/ingest': %s", l->root, strerror(errno));
		tmp[0] = '\0';
		goto done;
	}
	while ((n = read(fd, chunk, 256 * 1024)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = lade__error(LADE_EIO, "cannot read %s: %s", name, strerror(errno));
			goto done;
		}
		if ((err = lade_hasher_update(h, chunk, (size_t)n)) < 0 ||
		    (err = lade_fs_write_all(out, chunk, (size_t)n, tmp)) < 0)
			goto done;
	}
	desc->size = lade_hasher_size(h);
	if ((err = lade_hasher_final(h, &desc->digest)) < 0 ||
	    (err = lade__layout_blob_path(l, desc, dest, sizeof(dest))) < 0 ||
	    (err = lade_snprintf(alg_dir, sizeof(alg_dir), "%s/blobs/sha256", l->root)) < 0 ||
	    (err = lade__mkdirs(alg_dir, 0755)) < 0)
		goto done;
	if (fchmod(out, 0644) < 0 || close(out) < 0) {
		out = -1;
		err = lade__error(LADE_EIO, "cannot write '%s': %s", tmp, strerror(errno));
		goto done;
	}
	out = -1;
	if (rename(tmp, dest) < 0) {
		err = lade__error(LADE_EIO, "cannot rename into '%s': %s", dest, strerror(errno));
		goto done;
	}
	tmp[0] = '\0';
done:
	if (out >= 0)
		close(out);
	if (tmp[0])
		unlink(tmp);
	lade_hasher_free(h);
	free(chunk);
	return err;
}

#define STREAM_CHUNK ((size_t)128 * 1024)

static int layout_fetch_stream(lade_target *t, const lade_descriptor *desc, lade_stream_cb cb, void *payload)
{
	layout *l = (layout *)t;
	lade__checked_stream cs;
	char path[PATH_MAX];
	unsigned char *chunk = NULL;
	ssize_t n;
	int fd = -1, err;

	if ((err = lade__checked_stream_init(&cs, desc, cb, payload)) < 0)
		goto done;
	if ((err = lade__layout_blob_path(l, desc, path, sizeof(path))) < 0)
		goto done;
	if ((fd = lade_fs_open_regular(path)) < 0) {
		err = fd == LADE_ENOTFOUND
			  ? lade__error(LADE_ENOTFOUND, "%s not found in layout '%s'", desc->digest.str, l->root)
			  : fd;
		goto done;
	}
	if (!(chunk = malloc(STREAM_CHUNK))) {
		err = lade_error_set_oom();
		goto done;
	}
	while ((n = read(fd, chunk, STREAM_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = lade__error(LADE_EIO, "cannot read '%s': %s", path, strerror(errno));
			goto done;
		}
		if ((err = lade__checked_stream_feed(&cs, chunk, (size_t)n)) != 0)
			goto done;
	}
	err = lade__checked_stream_finish(&cs);
done:
	lade__checked_stream_dispose(&cs);
	free(chunk);
	if (fd >= 0)
		close(fd);
	return err;
}

/*
 * A manifest goes from index.json (its tags with it) and from blobs/; a
 * blob from blobs/ alone. Blobs the manifest named stay: other manifests
 * may share them.
 */
static int layout_delete(lade_target *t, const lade_descriptor *desc)
{
	layout *l = (layout *)t;
	char path[PATH_MAX];
	size_t listed = 0;
	int err, stored;

	if ((err = lade__layout_blob_path(l, desc, path, sizeof(path))) < 0)
		return err;
	if (lade_mediatype_is_manifest(desc->media_type) && (err = lade__layout_forget(l, desc, &listed)) < 0)
		return err;
	stored = unlink(path) == 0;
	if (!stored && errno != ENOENT)
		return lade__error(LADE_EIO, "cannot remove '%s': %s", path, strerror(errno));
	if (!stored && !listed)
		return lade__error(LADE_ENOTFOUND, "%s not found in layout '%s'", desc->digest.str, l->root);
	return 0;
}

static void layout_free(lade_target *t)
{
	free(t);
}

static const lade_target_ops layout_ops = {
    .version = LADE_TARGET_OPS_VERSION,
    .exists = lade__layout_exists,
    .blob_size = layout_blob_size,
    .fetch_bytes = lade__layout_fetch_bytes,
    .fetch_files = layout_fetch_files,
    .push_bytes = lade__layout_push_bytes,
    .push_files = layout_push_files,
    .push_stream = layout_push_stream,
    .resolve = lade__layout_resolve,
    .tag = lade__layout_tag,
    .list_tags = lade__layout_list_tags,
    .free = layout_free,
    .fetch_stream = layout_fetch_stream,
    .fetch_pipes = lade__layout_fetch_pipes,
    .push_pipes = lade__layout_push_pipes,
    .delete_content = layout_delete,
    .untag = lade__layout_untag,
    .referrers = lade__layout_referrers,
};

static int check_own_folders(const layout *l);

/* Create the layout's fixed files under the lock, so two creators cannot race. */
static int create_layout(layout *l)
{
	char path[PATH_MAX];
	struct stat st;
	int lockfd = -1, err;
	if ((err = lade__mkdirs(l->root, 0755)) < 0 || (err = check_own_folders(l)) < 0 ||
	    (err = lade__layout_lock(l, &lockfd)) < 0)
		return err;
	if ((err = path_in(l, path, sizeof(path), "oci-layout")) < 0)
		goto done;
	if (stat(path, &st) < 0 &&
	    (err = lade__write_file_atomic(path, LAYOUT_HEADER, sizeof(LAYOUT_HEADER) - 1, 0644)) < 0)
		goto done;
	if ((err = path_in(l, path, sizeof(path), "index.json")) < 0)
		goto done;
	if (stat(path, &st) < 0 &&
	    (err = lade__write_file_atomic(path, EMPTY_INDEX, sizeof(EMPTY_INDEX) - 1, 0644)) < 0)
		goto done;
	if ((err = path_in(l, path, sizeof(path), "blobs")) < 0)
		goto done;
	err = lade__mkdirs(path, 0755);
done:
	lade__layout_unlock(lockfd);
	return err;
}

/*
 * The layout's own folders must be folders inside it: a blobs/ that is a
 * symlink would have every push write outside the layout, wherever the
 * link points. Refused, whoever made the link.
 */
static int check_own_folders(const layout *l)
{
	static const char *const folders[] = {"blobs", "blobs/sha256", "blobs/sha512", "ingest"};
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int err;
	for (i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
		if ((err = path_in(l, path, sizeof(path), folders[i])) < 0)
			return err;
		if (lstat(path, &st) < 0)
			continue;
		if (!S_ISDIR(st.st_mode))
			return lade__error(LADE_EUNSAFE,
					   "layout '%s': '%s' is %s, not a folder inside the layout; refusing it",
					   l->root, folders[i], S_ISLNK(st.st_mode) ? "a symlink" : "not a folder");
	}
	return 0;
}

static int check_layout(layout *l)
{
	char path[PATH_MAX];
	lade_buf data;
	cJSON *json = NULL;
	const cJSON *version;
	int err;
	if ((err = check_own_folders(l)) < 0)
		return err;
	if ((err = path_in(l, path, sizeof(path), "oci-layout")) < 0)
		return err;
	if ((err = lade__read_file(&data, path, 64 * 1024)) < 0) {
		if (err == LADE_ENOTFOUND)
			return lade__error(LADE_ENOTFOUND, "'%s' is not an OCI image layout (no oci-layout file)",
					   l->root);
		return err;
	}
	err = lade_json_parse(&json, data.ptr, data.size, 64 * 1024, path);
	lade_buf_dispose(&data);
	if (err < 0)
		return err;
	version = cJSON_GetObjectItemCaseSensitive(json, "imageLayoutVersion");
	if (!cJSON_IsString(version))
		err = lade__error(LADE_EINVALID, "'%s': missing \"imageLayoutVersion\"", path);
	else if (strncmp(version->valuestring, "1.", 2) != 0)
		err = lade__error(LADE_EUNSUPPORTED, "'%s': layout version '%s' is not supported", path,
				  version->valuestring);
	cJSON_Delete(json);
	return err;
}

int lade_layout_open(lade_target **out, const char *path, int create)
{
	layout *l = calloc(1, sizeof(*l));
	size_t len;
	int err;
	if (!l)
		return lade_error_set_oom();
	lade_target_init(&l->base, &layout_ops, "oci-layout");
	if ((err = lade_snprintf(l->root, sizeof(l->root), "%s", path)) < 0)
		goto fail;
	len = strlen(l->root);
	while (len > 1 && l->root[len - 1] == '/')
		l->root[--len] = '\0';
	if (create && (err = create_layout(l)) < 0)
		goto fail;
	if ((err = check_layout(l)) < 0)
		goto fail;
	/* What a killed push or tag left (ingest/ files, index.json's temporary) goes now. */
	if (create) {
		char dir[PATH_MAX];
		if (path_in(l, dir, sizeof(dir), "ingest") == 0)
			lade_fs_reclaim_temporaries(dir);
		lade_fs_reclaim_temporaries(l->root);
	}
	*out = &l->base;
	return 0;
fail:
	free(l);
	return err;
}
