#include "internal.h"
#include "fsutil.h"
#include "lade/pack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_FILE_MEDIA_TYPE "application/octet-stream"
#define UNKNOWN_CONFIG_MEDIA_TYPE "application/vnd.unknown.config.v1+json"

int lade_created_from_epoch(const char *epoch, char *out, size_t outlen)
{
	char *end;
	long long seconds;
	time_t t;
	struct tm tm;
	errno = 0;
	seconds = strtoll(epoch, &end, 10);
	if (!*epoch || *end || errno || seconds < 0)
		return lade__error(LADE_EINVALID, "SOURCE_DATE_EPOCH '%s' is not a number of seconds", epoch);
	t = (time_t)seconds;
	if (!gmtime_r(&t, &tm) || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return lade__error(LADE_EINVALID, "SOURCE_DATE_EPOCH '%s' is out of range", epoch);
	return 0;
}

/*
 * The title a file gets: the path as written when it is relative and stays
 * inside ".", cleaned of "./" and doubled slashes; else its base name.
 */
static int default_title(const char *path, char *out, size_t outlen)
{
	char work[PATH_MAX];
	char *save = NULL, *part;
	size_t len = 0;
	int outside = path[0] == '/';
	const char *base;

	if (lade__snprintf(work, sizeof(work), "%s", path) < 0)
		return LADE_ETOOLARGE;
	out[0] = '\0';
	for (part = strtok_r(work, "/", &save); part && !outside; part = strtok_r(NULL, "/", &save)) {
		size_t plen = strlen(part);
		if (strcmp(part, ".") == 0)
			continue;
		if (strcmp(part, "..") == 0) {
			outside = 1;
			break;
		}
		if (len + plen + 2 > outlen)
			return lade__error(LADE_ETOOLARGE, "path '%s' is too long", path);
		if (len)
			out[len++] = '/';
		memcpy(out + len, part, plen + 1);
		len += plen;
	}
	if (!outside && len)
		return 0;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return lade__error(LADE_EINVALID, "cannot name '%s': give a file, or a title", path);
	return lade__snprintf(out, outlen, "%s", base);
}

static int describe_file(lade_descriptor *layer, const lade_push_file *f)
{
	char title[PATH_MAX];
	struct stat st;
	size_t i;
	int err;

	memset(layer, 0, sizeof(*layer));
	if (stat(f->path, &st) < 0)
		return lade__error(errno == ENOENT ? LADE_ENOTFOUND : LADE_EIO, "cannot read '%s': %s", f->path,
				   errno == ENOENT ? "no such file" : strerror(errno));
	if (S_ISDIR(st.st_mode))
		return lade__error(LADE_EUNSUPPORTED, "'%s' is a folder; lade pushes files", f->path);
	if (!S_ISREG(st.st_mode))
		return lade__error(LADE_EINVALID, "'%s' is not a regular file", f->path);
	if ((err = lade_digest_file(&layer->digest, &layer->size, LADE_DIGEST_SHA256, f->path)) < 0)
		return err;
	if (f->media_type) {
		if ((err = lade_mediatype_validate(f->media_type, "media type")) < 0)
			return lade__error(err, "'%s': %s", f->path, lade_error_last()->message);
		if (!(layer->media_type = lade__strdup(f->media_type)))
			return LADE_ENOMEM;
	}
	if (f->kind && f->kind->describe_layer && (err = f->kind->describe_layer(f->kind, f->input, layer)) < 0)
		goto fail;
	if (!layer->media_type && !(layer->media_type = lade__strdup(DEFAULT_FILE_MEDIA_TYPE))) {
		err = LADE_ENOMEM;
		goto fail;
	}
	if (f->title) {
		if ((err = lade__snprintf(title, sizeof(title), "%s", f->title)) < 0)
			goto fail;
	} else if ((err = default_title(f->path, title, sizeof(title))) < 0) {
		goto fail;
	}
	if ((err = lade_annotations_set(&layer->annotations, LADE_ANNOTATION_TITLE, title)) < 0)
		goto fail;
	for (i = 0; f->annotations && i < f->annotations->count; i++)
		if ((err = lade_annotations_set(&layer->annotations, f->annotations->keys[i], f->annotations->values[i])) <
		    0)
			goto fail;
	return 0;
fail:
	lade_descriptor_dispose(layer);
	return err;
}

static int copy_annotations(lade_annotations *dst, const lade_annotations *src)
{
	size_t i;
	int err;
	for (i = 0; src && i < src->count; i++)
		if ((err = lade_annotations_set(dst, src->keys[i], src->values[i])) < 0)
			return err;
	return 0;
}

int lade_push(lade_target *target, const lade_push_options *opts, lade_push_result *result)
{
	lade_manifest m;
	lade_push_result res;
	lade_blob_job *jobs = NULL;
	size_t i, njobs = 0;
	const char *artifact_type = opts->artifact_type;
	int err;

	memset(&m, 0, sizeof(m));
	memset(&res, 0, sizeof(res));
	lade_buf_init(&res.manifest_bytes, LADE_MANIFEST_LIMIT);
	if (opts->version != LADE_PUSH_OPTIONS_VERSION)
		return lade__error(LADE_EINVALID, "push options version %u is not %d", opts->version,
				   LADE_PUSH_OPTIONS_VERSION);
	m.schema_version = 2;
	if (!(jobs = calloc(opts->file_count + 1, sizeof(*jobs)))) {
		err = lade__error_oom();
		goto done;
	}

	/* Describe every input first, so a bad file fails the push before anything is sent. */
	for (i = 0; i < opts->file_count; i++) {
		lade_descriptor layer;
		const char *title;
		size_t j;
		if ((err = describe_file(&layer, &opts->files[i])) < 0)
			goto done;
		title = lade_annotations_get(&layer.annotations, LADE_ANNOTATION_TITLE);
		for (j = 0; j < m.layer_count; j++) {
			if (strcmp(lade_annotations_get(&m.layers[j].annotations, LADE_ANNOTATION_TITLE), title) == 0) {
				lade_descriptor_dispose(&layer);
				err = lade__error(LADE_EINVALID, "two files would be titled '%s'", title);
				goto done;
			}
		}
		err = lade_manifest_add_layer(&m, &layer);
		lade_descriptor_dispose(&layer);
		if (err < 0)
			goto done;
		if (!artifact_type && opts->files[i].kind && opts->files[i].kind->artifact_type)
			artifact_type = opts->files[i].kind->artifact_type(opts->files[i].kind, opts->files[i].input);
	}

	if (opts->config_path) {
		lade_push_file cfg = {opts->config_path, opts->config_media_type ? opts->config_media_type
									       : UNKNOWN_CONFIG_MEDIA_TYPE,
				      "config", NULL, NULL, NULL};
		if ((err = describe_file(&m.config, &cfg)) < 0)
			goto done;
		/* A config is not a file to restore on pull: it carries no title. */
		lade_annotations_dispose(&m.config.annotations);
		if ((err = copy_annotations(&m.config.annotations, opts->config_annotations)) < 0)
			goto done;
	} else {
		if ((err = lade_descriptor_empty(&m.config)) < 0 ||
		    (err = copy_annotations(&m.config.annotations, opts->config_annotations)) < 0)
			goto done;
		if (!artifact_type)
			artifact_type = LADE_ARTIFACT_TYPE_UNKNOWN;
	}
	if (artifact_type && !(m.artifact_type = lade__strdup(artifact_type))) {
		err = LADE_ENOMEM;
		goto done;
	}
	if ((err = copy_annotations(&m.annotations, opts->annotations)) < 0)
		goto done;
	if (opts->created && !lade_annotations_get(&m.annotations, LADE_ANNOTATION_CREATED) &&
	    (err = lade_annotations_set(&m.annotations, LADE_ANNOTATION_CREATED, opts->created)) < 0)
		goto done;
	if (!(m.media_type = lade__strdup(LADE_MEDIATYPE_MANIFEST))) {
		err = LADE_ENOMEM;
		goto done;
	}
	if ((err = lade_manifest_encode(&res.manifest_bytes, &m)) < 0)
		goto done;

	/* Blobs first, several at once; the manifest only once they are all there. */
	for (i = 0; i < m.layer_count; i++) {
		jobs[njobs].desc = &m.layers[i];
		jobs[njobs++].path = opts->files[i].path;
	}
	if (opts->config_path) {
		jobs[njobs].desc = &m.config;
		jobs[njobs++].path = opts->config_path;
	} else if ((err = lade_target_push_bytes(target, &m.config, "{}", 2)) < 0) {
		goto done;
	}
	if (njobs && (err = lade_target_push_files(target, jobs, njobs)) < 0)
		goto done;
	for (i = 0; i < njobs; i++) {
		if (jobs[i].skipped)
			res.blobs_skipped++;
		else
			res.blobs_pushed++;
		res.bytes_pushed += jobs[i].transferred;
	}

	res.manifest.size = res.manifest_bytes.size;
	if ((err = lade_digest_buffer(&res.manifest.digest, LADE_DIGEST_SHA256, res.manifest_bytes.ptr,
				      res.manifest_bytes.size)) < 0)
		goto done;
	if (!(res.manifest.media_type = lade__strdup(LADE_MEDIATYPE_MANIFEST)) ||
	    (m.artifact_type && !(res.manifest.artifact_type = lade__strdup(m.artifact_type)))) {
		err = LADE_ENOMEM;
		goto done;
	}
	/* Tagging stores the manifest; only an untagged push stores it by digest alone. */
	if (!opts->tag_count &&
	    (err = lade_target_push_bytes(target, &res.manifest, res.manifest_bytes.ptr, res.manifest_bytes.size)) < 0)
		goto done;
	for (i = 0; i < opts->tag_count; i++)
		if ((err = lade_target_tag(target, &res.manifest, res.manifest_bytes.ptr, res.manifest_bytes.size,
					   opts->tags[i])) < 0)
			goto done;
	if (!opts->tag_count &&
	    (err = lade_target_tag(target, &res.manifest, res.manifest_bytes.ptr, res.manifest_bytes.size, NULL)) < 0)
		goto done;
done:
	free(jobs);
	lade_manifest_dispose(&m);
	if (err < 0) {
		lade_push_result_dispose(&res);
		return err;
	}
	*result = res;
	return 0;
}

void lade_push_result_dispose(lade_push_result *result)
{
	lade_descriptor_dispose(&result->manifest);
	lade_buf_dispose(&result->manifest_bytes);
	memset(result, 0, sizeof(*result));
}
