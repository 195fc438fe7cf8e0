#include "internal.h"
#include "fsutil.h"
#include "lade/pack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lade_manifest_fetch(lade_target *target, const char *reference, lade_descriptor *desc, lade_buf *bytes)
{
	lade_descriptor d;
	int err;
	if ((err = lade_target_resolve(target, reference, &d)) < 0)
		return err;
	if ((err = lade_target_fetch_bytes(target, &d, LADE_MANIFEST_LIMIT, bytes)) < 0) {
		lade_descriptor_dispose(&d);
		return err;
	}
	*desc = d;
	return 0;
}

/*
 * Where a title lands: output/title after folding "." and "..". A title
 * that is absolute or climbs above output is unsafe unless allowed.
 */
static int destination(char *out, size_t outlen, const char *output, const char *title, int allow_traversal)
{
	char work[PATH_MAX], clean[PATH_MAX];
	char *save = NULL, *part;
	size_t len = 0;
	int depth = 0;

	if (!*title)
		return lade__error(LADE_EUNSAFE, "refusing an empty title");
	if (title[0] == '/') {
		if (!allow_traversal)
			return lade__error(LADE_EUNSAFE, "refusing to write '%s': absolute path (use -T to allow)", title);
		return lade__snprintf(out, outlen, "%s", title);
	}
	if (lade__snprintf(work, sizeof(work), "%s", title) < 0)
		return LADE_ETOOLARGE;
	clean[0] = '\0';
	for (part = strtok_r(work, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, ".") == 0)
			continue;
		if (strcmp(part, "..") == 0) {
			if (depth == 0 && !allow_traversal)
				return lade__error(LADE_EUNSAFE,
						   "refusing to write '%s': it leaves the output folder (use -T to allow)",
						   title);
			if (depth > 0) {
				char *slash = strrchr(clean, '/');
				len = slash ? (size_t)(slash - clean) : 0;
				clean[len] = '\0';
				depth--;
				continue;
			}
		} else {
			depth++;
		}
		if (len + strlen(part) + 2 > sizeof(clean))
			return lade__error(LADE_ETOOLARGE, "title '%s' is too long", title);
		len += (size_t)sprintf(clean + len, "%s%s", len ? "/" : "", part);
	}
	if (!len)
		return lade__error(LADE_EUNSAFE, "refusing to write '%s': it names the output folder itself", title);
	return lade__snprintf(out, outlen, "%s/%s", output, clean);
}

/* Make dest's parent folders and check that, symlinks resolved, they stay inside output. */
static int prepare_parent(const char *dest, const char *output_real, const char *title, int allow_traversal)
{
	char parent[PATH_MAX], real[PATH_MAX];
	char *slash;
	size_t olen = strlen(output_real);
	int err;
	struct stat st;

	if ((err = lade__snprintf(parent, sizeof(parent), "%s", dest)) < 0)
		return err;
	slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	if (parent[0] && (err = lade__mkdirs(parent, 0755)) < 0)
		return err;
	if (!realpath(parent[0] ? parent : "/", real))
		return lade__error(LADE_EIO, "cannot resolve '%s': %s", parent, strerror(errno));
	if (!allow_traversal &&
	    !(strncmp(real, output_real, olen) == 0 && (real[olen] == '\0' || real[olen] == '/' || olen == 1)))
		return lade__error(LADE_EUNSAFE, "refusing to write '%s': a symlink leads outside the output folder",
				   title);
	if (lstat(dest, &st) == 0 && S_ISDIR(st.st_mode))
		return lade__error(LADE_EEXISTS, "cannot write '%s': a folder is in the way", dest);
	return 0;
}

int lade_pull(lade_target *target, const char *reference, const lade_pull_options *opts, lade_pull_result *result)
{
	static const lade_pull_options defaults = LADE_PULL_OPTIONS_INIT;
	const char *output;
	char output_real[PATH_MAX], media_type[256];
	lade_pull_result res;
	lade_manifest m;
	lade_buf bytes;
	lade_blob_job *jobs = NULL;
	size_t i, k, njobs = 0;
	int err;

	if (!opts)
		opts = &defaults;
	output = opts->output_dir ? opts->output_dir : ".";
	memset(&res, 0, sizeof(res));
	memset(&m, 0, sizeof(m));
	lade_buf_init(&bytes, LADE_MANIFEST_LIMIT);
	if (opts->version != LADE_PULL_OPTIONS_VERSION)
		return lade__error(LADE_EINVALID, "pull options version %u is not %d", opts->version,
				   LADE_PULL_OPTIONS_VERSION);
	if ((err = lade_manifest_fetch(target, reference, &res.manifest, &bytes)) < 0)
		return err;
	if ((err = lade_manifest_sniff_media_type(bytes.ptr, bytes.size, media_type, sizeof(media_type))) < 0)
		goto done;
	if (strcmp(media_type, LADE_MEDIATYPE_INDEX) == 0 || strcmp(media_type, LADE_MEDIATYPE_DOCKER_LIST) == 0) {
		err = lade__error(LADE_EUNSUPPORTED, "'%s' is an image index; pull one of its manifests by digest",
				  reference);
		goto done;
	}
	if ((err = lade_manifest_parse(&m, bytes.ptr, bytes.size)) < 0)
		goto done;
	if ((err = lade__mkdirs(output, 0755)) < 0)
		goto done;
	if (!realpath(output, output_real)) {
		err = lade__error(LADE_EIO, "cannot resolve '%s': %s", output, strerror(errno));
		goto done;
	}
	if (!(res.layers = calloc(m.layer_count ? m.layer_count : 1, sizeof(*res.layers))) ||
	    !(jobs = calloc(m.layer_count ? m.layer_count : 1, sizeof(*jobs)))) {
		err = lade__error_oom();
		goto done;
	}

	/* Every destination is checked before anything is fetched. */
	for (i = 0; i < m.layer_count; i++) {
		const lade_descriptor *layer = &m.layers[i];
		const char *title = lade_annotations_get(&layer->annotations, LADE_ANNOTATION_TITLE);
		char name[PATH_MAX], dest[PATH_MAX];
		struct stat st;

		if ((err = lade_descriptor_copy(&res.layers[i].desc, layer)) < 0)
			goto done;
		res.layer_count++;
		if (!title) {
			for (k = 0; k < opts->kind_count; k++) {
				const lade_kind *kind = opts->kinds[k];
				if (kind->name_on_pull && kind->name_on_pull(kind, &m, layer, name, sizeof(name)) == 0) {
					title = name;
					break;
				}
			}
			lade_error_clear();
		}
		if (!title || strcmp(layer->media_type, LADE_MEDIATYPE_EMPTY) == 0) {
			res.layers[i].skipped = 1;
			continue;
		}
		if ((err = destination(dest, sizeof(dest), output, title, opts->allow_path_traversal)) < 0 ||
		    (err = prepare_parent(dest, output_real, title, opts->allow_path_traversal)) < 0)
			goto done;
		if (opts->keep_old_files && lstat(dest, &st) == 0) {
			err = lade__error(LADE_EEXISTS, "'%s' exists; not replacing it (--keep-old-files)", dest);
			goto done;
		}
		for (k = 0; k < i; k++) {
			if (res.layers[k].path && strcmp(res.layers[k].path, dest) == 0) {
				err = lade__error(LADE_EINVALID, "two layers would be written to '%s'", dest);
				goto done;
			}
		}
		if (!(res.layers[i].path = lade__strdup(dest))) {
			err = LADE_ENOMEM;
			goto done;
		}
		jobs[njobs].desc = &res.layers[i].desc;
		jobs[njobs++].path = res.layers[i].path;
	}
	if (njobs && (err = lade_target_fetch_files(target, jobs, njobs)) < 0)
		goto done;
	for (i = 0; i < njobs; i++)
		res.bytes_fetched += jobs[i].transferred;
done:
	free(jobs);
	lade_manifest_dispose(&m);
	lade_buf_dispose(&bytes);
	if (err < 0) {
		lade_pull_result_dispose(&res);
		return err;
	}
	*result = res;
	return 0;
}

void lade_pull_result_dispose(lade_pull_result *result)
{
	size_t i;
	lade_descriptor_dispose(&result->manifest);
	for (i = 0; i < result->layer_count; i++) {
		lade_descriptor_dispose(&result->layers[i].desc);
		free(result->layers[i].path);
	}
	free(result->layers);
	memset(result, 0, sizeof(*result));
}
