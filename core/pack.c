#include "internal.h"
#include "fsutil.h"
#include "lade/pack.h"

#include <errno.h>
#include <stddef.h>
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

	if (lade_snprintf(work, sizeof(work), "%s", path) < 0)
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
	return lade_snprintf(out, outlen, "%s", base);
}

/* A folder is titled with its own name, so the same tree gives the same layer wherever it lies. */
static int folder_title(const char *path, char *out, size_t outlen)
{
	char real[PATH_MAX];
	int err;
	if ((err = lade_base_name(path, out, outlen)) < 0)
		return err;
	if (*out && strcmp(out, ".") != 0 && strcmp(out, "..") != 0 && strcmp(out, "/") != 0)
		return 0;
	/* "." and the like: the folder's real name. */
	if (!realpath(path, real) || lade_base_name(real, out, outlen) < 0 || !*out || !strcmp(out, "/"))
		return lade__error(LADE_EINVALID, "cannot name folder '%s': give a title", path);
	return 0;
}

/* Stat an input: regular files always, folders only for a kind that packs them. */
static int check_input(const lade_push_file *f)
{
	struct stat st;
	if (stat(f->path, &st) < 0)
		return lade__error(errno == ENOENT ? LADE_ENOTFOUND : LADE_EIO, "cannot read '%s': %s", f->path,
				   errno == ENOENT ? "no such file" : strerror(errno));
	if (S_ISDIR(st.st_mode) && !(f->kind && (f->kind->layer || f->kind->artifact) && f->input && f->input->is_dir))
		return lade__error(LADE_EUNSUPPORTED, "'%s' is a folder; push it with the dir kind", f->path);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return lade__error(LADE_EINVALID, "'%s' is not a regular file or folder", f->path);
	return 0;
}

/*
 * Digest and size of a kind layer whose kind left them to the packager.
 * A file the probe read whole (its head is all of it) is hashed from that
 * head, not read again; the upload's own check catches a file that changed.
 */
static int complete_layer(lade_kind_layer *kl, const char *input_path, const lade_kind_input *in)
{
	const char *path = kl->path && kl->path[0] ? kl->path : input_path;
	if (kl->desc.digest.str[0])
		return 0;
	if (in && path == input_path && !in->is_dir && in->size == in->head_len && in->path &&
	    !strcmp(in->path, input_path)) {
		kl->desc.size = in->size;
		return lade_digest_buffer(&kl->desc.digest, LADE_DIGEST_SHA256, in->head, in->head_len);
	}
	return lade_digest_file(&kl->desc.digest, &kl->desc.size, LADE_DIGEST_SHA256, path);
}

static int copy_annotations(lade_annotations *dst, const lade_annotations *src);

/* Standard input ("-") is sent as it is read: its digest and size are known only after. */
static int layer_from_stream(lade_target *target, lade_kind_layer *kl, const lade_push_file *f)
{
	int err;
	memset(kl, 0, sizeof(*kl));
	if (!(kl->desc.media_type = lade_strdup(f->media_type ? f->media_type : DEFAULT_FILE_MEDIA_TYPE)))
		return LADE_ENOMEM;
	if ((err = lade_annotations_set(&kl->desc.annotations, LADE_ANNOTATION_TITLE, f->title ? f->title : "stdin")) <
		0 ||
	    (err = copy_annotations(&kl->desc.annotations, f->annotations)) < 0 ||
	    (err = lade_target_push_stream(target, STDIN_FILENO, "standard input", &kl->desc)) < 0) {
		lade_kind_layer_dispose(kl);
		return err;
	}
	return 0;
}

/* One input of a layer kind (or no kind) becomes one layer. */
static int layer_from_input(lade_kind_layer *kl, const lade_push_file *f)
{
	char title[PATH_MAX];
	size_t i;
	int err;

	memset(kl, 0, sizeof(*kl));
	if ((err = check_input(f)) < 0)
		return err;
	if (f->media_type) {
		if ((err = lade_mediatype_validate(f->media_type, "media type")) < 0)
			return lade__error(err, "'%s': %s", f->path, lade_error_last()->message);
		if (!(kl->desc.media_type = lade_strdup(f->media_type)))
			return LADE_ENOMEM;
	}
	if (f->title)
		err = lade_snprintf(title, sizeof(title), "%s", f->title);
	else if (f->input && f->input->is_dir)
		err = folder_title(f->path, title, sizeof(title));
	else
		err = default_title(f->path, title, sizeof(title));
	/* The title goes in first: a kind may build on it (a folder's tar entries are named after it). */
	if (err < 0 || (err = lade_annotations_set(&kl->desc.annotations, LADE_ANNOTATION_TITLE, title)) < 0)
		goto fail;
	if (f->kind && f->kind->layer && (err = f->kind->layer(f->kind, f->input, kl)) < 0)
		goto fail;
	if (!kl->desc.media_type && !(kl->desc.media_type = lade_strdup(DEFAULT_FILE_MEDIA_TYPE))) {
		err = LADE_ENOMEM;
		goto fail;
	}
	for (i = 0; f->annotations && i < f->annotations->count; i++)
		if ((err = lade_annotations_set(&kl->desc.annotations, f->annotations->keys[i],
						f->annotations->values[i])) < 0)
			goto fail;
	if ((err = complete_layer(kl, f->path, f->input)) < 0)
		goto fail;
	return 0;
fail:
	lade_kind_layer_dispose(kl);
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

static int compare_layer_digests(const void *a, const void *b)
{
	return strcmp(((const lade_kind_layer *)a)->desc.digest.str, ((const lade_kind_layer *)b)->desc.digest.str);
}

/* Layers, config and annotations from the inputs, before anything is sent. */
static int is_stdin(const lade_push_file *f)
{
	return strcmp(f->path, "-") == 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* No two layers may have the same title: sorted, so 20,000 layers cost n log n, not n². */
static int check_titles(const lade_kind_artifact *art)
{
	const char **titles = malloc((art->layer_count ? art->layer_count : 1) * sizeof(*titles));
	size_t i, n = 0;
	int err = 0;
	if (!titles)
		return lade_error_set_oom();
	for (i = 0; i < art->layer_count; i++)
		if ((titles[n] = lade_annotations_get(&art->layers[i].desc.annotations, LADE_ANNOTATION_TITLE)))
			n++;
	if (n > 1)
		qsort(titles, n, sizeof(*titles), compare_strings);
	for (i = 1; i < n && err == 0; i++)
		if (strcmp(titles[i - 1], titles[i]) == 0)
			err = lade__error(LADE_EINVALID, "two inputs would be titled '%s'", titles[i]);
	free(titles);
	return err;
}

/*
 * The file as the kinds see it: as given, or, when it came without an
 * input, described now by the options' probe into the one scratch input.
 */
static int describe(const lade_push_options *opts, size_t i, lade_kind_input *scratch, lade_push_file *out)
{
	const lade_push_file *f = &opts->files[i];
	const lade_kind *kind = f->kind;
	int err;
	*out = *f;
	if (f->input || !opts->probe || is_stdin(f))
		return 0;
	if ((err = opts->probe(scratch, &kind, f->path, f->media_type, opts->probe_payload)) < 0)
		return err;
	out->kind = kind;
	out->input = scratch;
	return 0;
}

static int plan_artifact(lade_target *target, const lade_push_options *opts, lade_kind_artifact *art, int *from_kind,
			 lade_kind_input *scratch)
{
	size_t streams = 0, stream = SIZE_MAX;
	size_t i;
	int err;
	lade_push_file described_once;

	*from_kind = 0;
	for (i = 0; i < opts->file_count; i++) {
		lade_push_file described;
		const lade_push_file *f = &described;
		/* One file may be a whole artifact: look at it now. Many files are looked at one by one below. */
		if (opts->file_count == 1) {
			if ((err = describe(opts, i, scratch, &described)) < 0)
				return err;
			described_once = described;
		} else {
			described = opts->files[i];
		}
		if (!f->kind || !f->kind->artifact)
			continue;
		if (opts->file_count != 1)
			return lade__error(LADE_EINVALID, "'%s' is a %s artifact: push it alone", f->path,
					   f->kind->name);
		if (f->media_type)
			return lade__error(LADE_EINVALID, "'%s' is a %s artifact: its media types are fixed", f->path,
					   f->kind->name);
		if (opts->config_path)
			return lade__error(LADE_EINVALID, "'%s' is a %s artifact: it brings its own config", f->path,
					   f->kind->name);
		if ((err = check_input(f)) < 0 || (err = f->kind->artifact(f->kind, f->input, opts->created, art)) < 0)
			return err;
		*from_kind = 1;
		for (i = 0; i < art->layer_count; i++)
			if ((err = complete_layer(&art->layers[i], f->path, NULL)) < 0)
				return err;
		if (art->sort_layers_by_digest)
			qsort(art->layers, art->layer_count, sizeof(*art->layers), compare_layer_digests);
		return 0;
	}

	for (i = 0; i < opts->file_count; i++)
		if (is_stdin(&opts->files[i]) && ++streams > 1)
			return lade__error(LADE_EINVALID, "standard input ('-') can be pushed once");
	for (i = 0; i < opts->file_count; i++) {
		lade_push_file f;
		lade_kind_layer *kl;
		/* A single file was described above already: the probe reads it once. */
		if (opts->file_count == 1 && !is_stdin(&opts->files[0]))
			f = described_once;
		else if ((err = describe(opts, i, scratch, &f)) < 0)
			return err;
		if (f.kind && f.kind->artifact)
			return lade__error(LADE_EINVALID, "'%s' is a %s artifact: push it alone", f.path, f.kind->name);
		/* A failed layer is left zeroed, which the artifact's dispose skips over. */
		if ((err = lade_kind_artifact_add_layer(art, &kl)) < 0)
			return err;
		if (is_stdin(&f)) {
			/* Standard input is read last, once every other input has proved good. */
			stream = i;
			if ((err = lade_annotations_set(&kl->desc.annotations, LADE_ANNOTATION_TITLE,
							f.title ? f.title : "stdin")) < 0)
				return err;
		} else if ((err = layer_from_input(kl, &f)) < 0) {
			return err;
		}
	}
	if ((err = check_titles(art)) < 0 || stream == SIZE_MAX)
		return err;
	lade_kind_layer_dispose(&art->layers[stream]);
	return layer_from_stream(target, &art->layers[stream], &opts->files[stream]);
}

int lade_push(lade_target *target, const lade_push_options *opts, lade_push_result *result)
{
	static const lade_push_options defaults = LADE_PUSH_OPTIONS_INIT;
	lade_push_options v1;
	lade_manifest m;
	lade_push_result res;
	lade_kind_artifact art;
	lade_kind_input *scratch = NULL;
	lade_blob_job *jobs = NULL;
	struct layer_file {
		char *path;    /* owned; the bytes to push when not the input itself */
		int temporary; /* the kind's own file: removed once pushed */
	} *files = NULL;
	size_t i, njobs = 0, nfiles = 0;
	const char *artifact_type;
	int err, from_kind = 0;

	memset(&m, 0, sizeof(m));
	memset(&res, 0, sizeof(res));
	memset(&art, 0, sizeof(art));
	lade_buf_init(&art.config, LADE_SMALL_BLOB_MAX);
	lade_buf_init(&res.manifest_bytes, LADE_MANIFEST_LIMIT);
	if (opts->version == 1 || opts->version == 2) {
		/* Built against an older version: its fields, the later ones at their defaults. */
		v1 = defaults;
		memcpy(&v1, opts,
		       opts->version == 1 ? offsetof(lade_push_options, probe) : offsetof(lade_push_options, subject));
		v1.version = LADE_PUSH_OPTIONS_VERSION;
		opts = &v1;
	}
	if (opts->version != LADE_PUSH_OPTIONS_VERSION)
		return lade__error(LADE_EINVALID, "push options version %u is not 1 to %d", opts->version,
				   LADE_PUSH_OPTIONS_VERSION);
	m.schema_version = 2;

	/* Describe every input first, so a bad one fails the push before anything is sent. */
	if (opts->probe && !(scratch = malloc(sizeof(*scratch)))) {
		err = lade_error_set_oom();
		goto done;
	}
	if ((err = plan_artifact(target, opts, &art, &from_kind, scratch)) < 0)
		goto done;
	free(scratch);
	scratch = NULL;
	if (!(jobs = calloc(art.layer_count + 1, sizeof(*jobs)))) {
		err = lade_error_set_oom();
		goto done;
	}
	/*
	 * The layers' descriptors move into the manifest and their files into a
	 * small list; the kind's layer array goes. No copy is kept: at 20,000
	 * layers each copy is megabytes.
	 */
	if (art.layer_count && (!(m.layers = calloc(art.layer_count, sizeof(*m.layers))) ||
				!(files = calloc(art.layer_count, sizeof(*files))))) {
		err = lade_error_set_oom();
		goto done;
	}
	for (i = 0; i < art.layer_count; i++) {
		m.layers[i] = art.layers[i].desc;
		files[i].path = art.layers[i].path;
		files[i].temporary = art.layers[i].temporary;
	}
	m.layer_count = nfiles = art.layer_count;
	free(art.layers);
	art.layers = NULL;
	art.layer_count = 0;

	artifact_type = opts->artifact_type ? opts->artifact_type : art.artifact_type;
	if (opts->config_path) {
		lade_push_file cfg = {opts->config_path,
				      opts->config_media_type ? opts->config_media_type : UNKNOWN_CONFIG_MEDIA_TYPE,
				      "config",
				      NULL,
				      NULL,
				      NULL};
		lade_kind_layer kl;
		if ((err = layer_from_input(&kl, &cfg)) < 0)
			goto done;
		err = lade_descriptor_copy(&m.config, &kl.desc);
		lade_kind_layer_dispose(&kl);
		/* A config is not a file to restore on pull: it carries no title. */
		lade_annotations_dispose(&m.config.annotations);
	} else if (art.config_media_type) {
		m.config.media_type = lade_strdup(art.config_media_type);
		m.config.size = art.config.size;
		err = m.config.media_type
			  ? lade_digest_buffer(&m.config.digest, LADE_DIGEST_SHA256, art.config.ptr, art.config.size)
			  : LADE_ENOMEM;
	} else {
		err = lade_descriptor_empty(&m.config);
		if (!artifact_type)
			artifact_type = LADE_ARTIFACT_TYPE_UNKNOWN;
	}
	if (err < 0 || (err = copy_annotations(&m.config.annotations, opts->config_annotations)) < 0)
		goto done;
	if (artifact_type && !(m.artifact_type = lade_strdup(artifact_type))) {
		err = LADE_ENOMEM;
		goto done;
	}
	if ((err = copy_annotations(&m.annotations, &art.annotations)) < 0 ||
	    (err = copy_annotations(&m.annotations, opts->annotations)) < 0)
		goto done;
	if (opts->created && !from_kind && !lade_annotations_get(&m.annotations, LADE_ANNOTATION_CREATED) &&
	    (err = lade_annotations_set(&m.annotations, LADE_ANNOTATION_CREATED, opts->created)) < 0)
		goto done;
	if (opts->subject) {
		if (!lade_mediatype_is_manifest(opts->subject->media_type)) {
			err = lade__error(LADE_EINVALID, "a subject must be a manifest or an index, not %s (%s)",
					  opts->subject->digest.str, opts->subject->media_type);
			goto done;
		}
		/* The subject's identity only: its media type, digest and size, as ORAS writes it. */
		if (!(m.subject = calloc(1, sizeof(*m.subject)))) {
			err = lade_error_set_oom();
			goto done;
		}
		m.subject->digest = opts->subject->digest;
		m.subject->size = opts->subject->size;
		if (!(m.subject->media_type = lade_strdup(opts->subject->media_type))) {
			err = LADE_ENOMEM;
			goto done;
		}
	}
	if (!art.omit_manifest_media_type && !(m.media_type = lade_strdup(LADE_MEDIATYPE_MANIFEST))) {
		err = LADE_ENOMEM;
		goto done;
	}
	if (!m.layer_count) {
		/*
		 * Nothing to carry (a signature made of annotations): one empty
		 * layer, as image-spec's artifact guidance says and ORAS writes.
		 */
		if (!(m.layers = calloc(1, sizeof(*m.layers))) || lade_descriptor_empty(&m.layers[0]) < 0) {
			err = m.layers ? LADE_ENOMEM : lade_error_set_oom();
			goto done;
		}
		m.layer_count = 1;
		if ((err = lade_target_push_bytes(target, &m.layers[0], "{}", 2)) < 0)
			goto done;
	}
	if ((err = lade_manifest_encode(&res.manifest_bytes, &m)) < 0)
		goto done;

	/* Blobs first, several at once; the manifest only once they are all there. */
	for (i = 0; i < nfiles; i++) {
		if (!from_kind && is_stdin(&opts->files[i])) {
			res.blobs_pushed++; /* sent while it was read */
			res.bytes_pushed += m.layers[i].size;
			continue;
		}
		jobs[njobs].desc = &m.layers[i];
		jobs[njobs++].path = files[i].path && files[i].path[0] ? files[i].path
								       : opts->files[from_kind ? 0 : i].path;
	}
	if (opts->config_path) {
		jobs[njobs].desc = &m.config;
		jobs[njobs++].path = opts->config_path;
	} else if ((err = lade_target_push_bytes(target, &m.config, art.config_media_type ? art.config.ptr : "{}",
						 art.config_media_type ? art.config.size : 2)) < 0) {
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
	if (!(res.manifest.media_type = lade_strdup(LADE_MEDIATYPE_MANIFEST)) ||
	    (m.artifact_type && !(res.manifest.artifact_type = lade_strdup(m.artifact_type)))) {
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
	for (i = 0; i < nfiles; i++) {
		if (files[i].temporary && files[i].path && files[i].path[0])
			unlink(files[i].path);
		free(files[i].path);
	}
	free(files);
	free(scratch);
	free(jobs);
	lade_manifest_dispose(&m);
	lade_kind_artifact_dispose(&art);
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
