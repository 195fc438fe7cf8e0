#include "internal.h"
#include "fsutil.h"
#include "lade/graph.h"
#include "lade/pack.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lade_manifest_fetch(lade_target *target, const char *reference, lade_descriptor *desc, lade_buf *bytes)
{
	return lade_target_fetch_manifest(target, reference, LADE_MANIFEST_LIMIT, desc, bytes);
}

/*
 * Where a title lands: output/title after folding "." and "..". A title
 * that is absolute or climbs above output is unsafe unless allowed; so is
 * one whose folders lead outside through a symlink already in output
 * (resolved through the tree helpers, before any folder is made). The
 * title's folders are created; out gets the path with symlinks resolved.
 * A folder already there is in the way of a file, not of a folder layer.
 */
static int destination(char *out, size_t outlen, const char *output, int rootfd, const char *title, int allow_traversal,
		       int folder)
{
	char work[PATH_MAX], clean[PATH_MAX], parent[PATH_MAX], placed[PATH_MAX];
	char *save = NULL, *part, *slash;
	const char *leaf, *dummy;
	size_t len = 0;
	int depth = 0, dirfd, err;
	struct stat st;

	if (!*title)
		return lade__error(LADE_EUNSAFE, "refusing an empty title");
	if (title[0] == '/') {
		if (!allow_traversal)
			return lade__error(LADE_EUNSAFE, "refusing to write '%s': absolute path", title);
		return lade_snprintf(out, outlen, "%s", title);
	}
	if (lade_snprintf(work, sizeof(work), "%s", title) < 0)
		return LADE_ETOOLARGE;
	clean[0] = '\0';
	for (part = strtok_r(work, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, ".") == 0)
			continue;
		if (strcmp(part, "..") == 0) {
			if (depth == 0) {
				if (!allow_traversal)
					return lade__error(LADE_EUNSAFE,
							   "refusing to write '%s': it leaves the output folder",
							   title);
				/* Allowed to leave: the path as written, folders made as they come. */
				if ((err = lade_snprintf(out, outlen, "%s/%s", output, title)) < 0)
					return err;
				if ((err = lade_snprintf(parent, sizeof(parent), "%s", out)) < 0)
					return err;
				*strrchr(parent, '/') = '\0';
				return lade__mkdirs(parent, 0755);
			}
			slash = strrchr(clean, '/');
			len = slash ? (size_t)(slash - clean) : 0;
			clean[len] = '\0';
			depth--;
			continue;
		}
		depth++;
		if (len + strlen(part) + 2 > sizeof(clean))
			return lade__error(LADE_ETOOLARGE, "title '%s' is too long", title);
		len += (size_t)sprintf(clean + len, "%s%s", len ? "/" : "", part);
	}
	if (!len)
		return lade__error(LADE_EUNSAFE, "refusing to write '%s': it names the output folder itself", title);
	slash = strrchr(clean, '/');
	leaf = slash ? slash + 1 : clean;
	snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - clean) : 0, clean);
	if (allow_traversal) {
		if ((err = lade_snprintf(out, outlen, "%s/%s", output, clean)) < 0)
			return err;
		if (slash && (err = lade_snprintf(work, sizeof(work), "%s/%s", output, parent)) == 0)
			err = lade__mkdirs(work, 0755);
		return err;
	}
	/* Where the folders lead, symlinks in output followed; then make them without following any. */
	if ((err = lade_fs_tree_resolve(rootfd, parent, work, sizeof(work), title)) < 0)
		return err;
	if ((err = lade_snprintf(placed, sizeof(placed), "%s%s%s", work, work[0] ? "/" : "", leaf)) < 0 ||
	    (err = lade_fs_tree_parent(rootfd, placed, 1, 0755, &dirfd, &dummy, title)) < 0)
		return lade__error(err, "refusing to write '%s': %s", title, lade_error_last()->message);
	/* A folder layer replaces the folder of its name whole (unpack_into_place); a file may not. */
	err = !folder && fstatat(dirfd, dummy, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)
		  ? lade__error(LADE_EEXISTS, "cannot write '%s': a folder is in the way", title)
		  : 0;
	close(dirfd);
	return err < 0 ? err : lade_snprintf(out, outlen, "%s/%s", output, placed);
}

static int selected(const lade_pull_options *opts, const lade_descriptor *layer, const char *name)
{
	size_t i;
	int by_name = !opts->file_name_count, by_type = !opts->media_type_count;
	for (i = 0; i < opts->file_name_count && !by_name; i++)
		by_name = name && strcmp(opts->file_names[i], name) == 0;
	for (i = 0; i < opts->media_type_count && !by_type; i++)
		by_type = strcmp(opts->media_types[i], layer->media_type) == 0;
	return by_name && by_type;
}

/* Small JSON configs are fetched so that kinds can name files after them. */
static int fetch_config(lade_target *target, const lade_manifest *m, lade_buf *config)
{
	const char *mt = m->config.media_type;
	size_t len = strlen(mt);
	/* Only small JSON is read, for the kinds; a digest lade cannot verify is left alone. */
	if (strcmp(mt, LADE_MEDIATYPE_EMPTY) == 0 || m->config.size > LADE_SMALL_BLOB_MAX || len < 4 ||
	    strcmp(mt + len - 4, "json") != 0 || m->config.digest.alg == LADE_DIGEST_OTHER)
		return 0;
	return lade_target_fetch_bytes(target, &m->config, LADE_SMALL_BLOB_MAX, config);
}

/* Copy a verified file to fd. */
static int copy_to_fd(const char *path, int fd)
{
	char chunk[65536];
	ssize_t n;
	int in = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	if (in < 0)
		return lade__error(LADE_EIO, "cannot open '%s': %s", path, strerror(errno));
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = lade__error(LADE_EIO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if ((err = lade_fs_write_all(fd, chunk, (size_t)n, "the output")) < 0)
			break;
	}
	close(in);
	return err;
}

/* A new folder only this process uses, under $TMPDIR (or /tmp). */
static int private_tmpdir(char *out, size_t outlen)
{
	const char *base = getenv("TMPDIR");
	int err;
	if ((err = lade_fs_temp_path(out, outlen, "%s/pull", base && *base ? base : "/tmp")) < 0)
		return err;
	if (!mkdtemp(out)) {
		err = lade__error(LADE_EIO, "cannot make a temporary folder: %s", strerror(errno));
		out[0] = '\0';
		return err;
	}
	return 0;
}

int lade_blob_fetch_fd(lade_target *target, const lade_descriptor *desc, int fd)
{
	char dir[PATH_MAX], path[PATH_MAX];
	lade_blob_job job;
	int err;
	if ((err = private_tmpdir(dir, sizeof(dir))) < 0)
		return err;
	memset(&job, 0, sizeof(job));
	job.desc = desc;
	job.path = path;
	if ((err = lade_snprintf(path, sizeof(path), "%s/blob", dir)) == 0 &&
	    (err = lade_target_fetch_files(target, &job, 1)) == 0)
		err = copy_to_fd(path, fd);
	lade__remove_tree(dir);
	return err;
}

/* Unpack a fetched folder layer: into a new temporary folder, then renamed over dest. */
static int unpack_into_place(const lade_kind *kind, const lade_descriptor *layer, const char *blob, const char *dest,
			     const lade_pull_options *opts)
{
	char tmp[PATH_MAX], old[PATH_MAX];
	lade_unpack_options uo = {opts->preserve_permissions, opts->keep_old_files, opts->max_unpack_size,
				  opts->max_unpack_entries};
	struct stat st;
	int err, had_old;
	if ((err = lade_fs_temp_path(tmp, sizeof(tmp), "%s", dest)) < 0 ||
	    /* Not a reclaimable name: if lade dies between the two renames, the old folder is all there is. */
	    (err = lade_snprintf(old, sizeof(old), "%s.lade-old-XXXXXX", dest)) < 0)
		return err;
	if (!mkdtemp(tmp))
		return lade__error(LADE_EIO, "cannot make a folder beside '%s': %s", dest, strerror(errno));
	if ((err = kind->unpack(kind, layer, blob, tmp, &uo)) < 0)
		goto fail;
	had_old = lstat(dest, &st) == 0;
	if (had_old && !S_ISDIR(st.st_mode)) {
		err = lade__error(LADE_EEXISTS, "cannot unpack into '%s': a file is in the way", dest);
		goto fail;
	}
	if (had_old) {
		/* Replace the old folder whole: move it aside, move the new one in, then remove the old. */
		if (!mkdtemp(old) || rmdir(old) < 0 || rename(dest, old) < 0) {
			err = lade__error(LADE_EIO, "cannot move '%s' aside: %s", dest, strerror(errno));
			goto fail;
		}
	}
	if (rename(tmp, dest) < 0) {
		err = lade__error(LADE_EIO, "cannot rename into '%s': %s", dest, strerror(errno));
		if (had_old)
			rename(old, dest);
		goto fail;
	}
	if (had_old)
		lade__remove_tree(old);
	return 0;
fail:
	lade__remove_tree(tmp);
	return err;
}

/* A pull is a visit over the graph walk: an index chooses its platform, the manifest it leads to is pulled. */
typedef struct pull_state {
	lade_target *target;
	const char *reference;
	const lade_pull_options *opts;
	lade_platform want;
	lade_pull_result *res;
} pull_state;

/* An index: follow the one manifest for the platform wanted (the first that serves it, as ORAS and crane do). */
static int choose_platform(pull_state *ps, const lade_walk_node *node)
{
	const lade_descriptor *chosen = lade_index_platform(node->index, &ps->want);
	char wanted[128];
	memset(node->follow, 0, node->child_count);
	if (chosen) {
		node->follow[chosen - node->index->manifests] = 1;
		return 0;
	}
	lade_platform_format(&ps->want, wanted, sizeof(wanted));
	return lade__error(LADE_ENOTFOUND, "'%s' is an image index with no manifest for %s", ps->reference, wanted);
}

/* The manifest reached: its layers are fetched as one batch (in parallel), not visited one by one. */
static int pull_manifest(pull_state *ps, const lade_walk_node *node)
{
	lade_target *target = ps->target;
	const char *reference = ps->reference;
	const lade_pull_options *opts = ps->opts;
	const lade_manifest *m = node->manifest;
	lade_pull_result *res = ps->res;
	const char *output = opts->output_dir ? opts->output_dir : ".";
	char tmpdir[PATH_MAX] = "", reclaimed[PATH_MAX] = "";
	lade_buf config;
	lade_blob_job *jobs = NULL;
	const lade_kind **unpackers = NULL;
	lade_pull_context ctx;
	size_t i, k, njobs = 0, nselected = 0;
	int err, best = 0, rootfd = -1;

	lade_buf_init(&config, LADE_SMALL_BLOB_MAX);
	if (strcmp(node->media_type, LADE_MEDIATYPE_ARTIFACT_MANIFEST) == 0)
		snprintf(
		    res->warning, sizeof(res->warning),
		    "an OCI artifact manifest (withdrawn from image-spec 1.1; ORAS 1.0 wrote it): read as an image manifest");
	if ((err = fetch_config(target, m, &config)) < 0)
		goto done;
	ctx.manifest = m;
	ctx.config = config.size ? config.ptr : NULL;
	ctx.config_len = config.size;
	ctx.repository = opts->repository ? opts->repository : "artifact";

	/* The kind that claims the artifact names its untitled layers and checks it. */
	for (k = 0; k < opts->kind_count; k++) {
		int score = opts->kinds[k]->claim ? opts->kinds[k]->claim(opts->kinds[k], &ctx) : 0;
		if (score > best) {
			best = score;
			res->kind = opts->kinds[k];
		}
	}
	if (res->kind && res->kind->check) {
		/* The kind's word comes first; the manifest's own (an artifact manifest) stays when it has none. */
		char own[sizeof(res->warning)];
		memcpy(own, res->warning, sizeof(own));
		if ((err = res->kind->check(res->kind, &ctx, res->warning, sizeof(res->warning))) < 0)
			goto done;
		if (!res->warning[0])
			memcpy(res->warning, own, sizeof(own));
	}
	/* Read liberally, with a word: what older tools (oras-go v1) write breaks a MUST of image-spec 1.1. */
	if (!res->warning[0] && !m->artifact_type && !strcmp(m->config.media_type, LADE_MEDIATYPE_EMPTY))
		snprintf(
		    res->warning, sizeof(res->warning),
		    "the manifest has an empty config and no artifactType (image-spec 1.1 requires one); read anyway");

	if (opts->output_fd < 0) {
		if ((err = lade__mkdirs(output, 0755)) < 0)
			goto done;
		if ((rootfd = open(output, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			err = lade__error(LADE_EIO, "cannot open '%s': %s", output, strerror(errno));
			goto done;
		}
	}
	if (!(res->layers = calloc(m->layer_count ? m->layer_count : 1, sizeof(*res->layers))) ||
	    !(jobs = calloc(m->layer_count ? m->layer_count : 1, sizeof(*jobs))) ||
	    !(unpackers = calloc(m->layer_count ? m->layer_count : 1, sizeof(*unpackers)))) {
		err = lade_error_set_oom();
		goto done;
	}

	/* Every destination is checked before anything is fetched. */
	for (i = 0; i < m->layer_count; i++) {
		const lade_descriptor *layer = &m->layers[i];
		const char *title = lade_annotations_get(&layer->annotations, LADE_ANNOTATION_TITLE);
		char name[PATH_MAX], dest[PATH_MAX];
		struct stat st;

		if ((err = lade_descriptor_copy(&res->layers[i].desc, layer)) < 0)
			goto done;
		res->layer_count++;
		res->layers[i].skipped = 1;
		if (!title && res->kind && res->kind->name_on_pull) {
			/* No name of its own is a skip; a name the kind cannot make safely fails the pull. */
			int named = res->kind->name_on_pull(res->kind, &ctx, i, name, sizeof(name));
			if (named == 0)
				title = name;
			else if (named != LADE_ENOTFOUND) {
				err = named;
				goto done;
			}
		}
		lade_error_clear();
		if (!title || strcmp(layer->media_type, LADE_MEDIATYPE_EMPTY) == 0 || !selected(opts, layer, title))
			continue;
		nselected++;
		res->layers[i].skipped = 0;
		for (k = 0; k < opts->kind_count && !unpackers[i]; k++)
			if (opts->kinds[k]->unpacks && opts->kinds[k]->unpack &&
			    opts->kinds[k]->unpacks(opts->kinds[k], layer))
				unpackers[i] = opts->kinds[k];
		if (opts->output_fd >= 0) {
			if (unpackers[i]) {
				err = lade__error(LADE_EINVALID, "'%s' is a folder; it cannot go to standard output",
						  title);
				goto done;
			}
			continue; /* fetched once the selection is known to be one layer */
		}
		if ((err = destination(dest, sizeof(dest), output, rootfd, title, opts->allow_path_traversal,
				       unpackers[i] != NULL)) < 0)
			goto done;
		/* Temporaries a killed pull left beside its files go, once for each folder written to. */
		{
			const char *slash = strrchr(dest, '/');
			size_t len = slash ? (size_t)(slash - dest) : 0;
			if (len && len < sizeof(reclaimed) && (strncmp(reclaimed, dest, len) != 0 || reclaimed[len])) {
				memcpy(reclaimed, dest, len);
				reclaimed[len] = '\0';
				lade_fs_reclaim_temporaries(reclaimed);
			}
		}
		if (opts->keep_old_files && lstat(dest, &st) == 0) {
			err = lade__error(LADE_EEXISTS, "'%s' exists; not replacing it (keep_old_files)", dest);
			goto done;
		}
		for (k = 0; k < i; k++) {
			if (res->layers[k].path && strcmp(res->layers[k].path, dest) == 0) {
				err = lade__error(LADE_EINVALID, "two layers would be written to '%s'", dest);
				goto done;
			}
		}
		if (!(res->layers[i].path = lade_strdup(dest))) {
			err = LADE_ENOMEM;
			goto done;
		}
		res->layers[i].unpacked = unpackers[i] != NULL;
	}
	if (!nselected && (opts->file_name_count || opts->media_type_count)) {
		err = lade__error(LADE_ENOTFOUND, "no layer of '%s' matches the selection", reference);
		goto done;
	}
	/* A container image has layers to stack, not files to write: say so rather than skip them all. */
	if (!nselected && m->layer_count &&
	    (!strcmp(m->config.media_type, "application/vnd.oci.image.config.v1+json") ||
	     !strcmp(m->config.media_type, "application/vnd.docker.container.image.v1+json"))) {
		err = lade__error(LADE_EUNSUPPORTED,
				  "'%s' is a container image (%zu layers to stack, none of them a file): there is "
				  "nothing to write as files; copy it into an OCI image layout instead",
				  reference, m->layer_count);
		goto done;
	}
	if (opts->output_fd >= 0) {
		if (nselected != 1) {
			err = lade__error(LADE_EINVALID,
					  "standard output takes exactly one layer; %zu are selected (use --file)",
					  nselected);
			goto done;
		}
		for (i = 0; res->layers[i].skipped; i++)
			;
		if ((err = lade_blob_fetch_fd(target, &res->layers[i].desc, opts->output_fd)) == 0)
			res->bytes_fetched = res->layers[i].desc.size;
		goto done;
	}

	/* Folders are fetched into a private temporary folder first, then unpacked. */
	for (i = 0; i < m->layer_count; i++) {
		if (res->layers[i].skipped)
			continue;
		if (unpackers[i] && !tmpdir[0] && (err = private_tmpdir(tmpdir, sizeof(tmpdir))) < 0)
			goto done;
		jobs[njobs].desc = &res->layers[i].desc;
		if (unpackers[i]) {
			char blob[PATH_MAX];
			char *copy;
			if ((err = lade_snprintf(blob, sizeof(blob), "%s/layer-%zu", tmpdir, i)) < 0)
				goto done;
			if (!(copy = lade_strdup(blob))) {
				err = LADE_ENOMEM;
				goto done;
			}
			jobs[njobs].path = copy;
		} else {
			jobs[njobs].path = res->layers[i].path;
		}
		njobs++;
	}
	if (njobs && (err = lade_target_fetch_files(target, jobs, njobs)) < 0)
		goto done;
	for (i = 0, k = 0; i < m->layer_count; i++) {
		if (res->layers[i].skipped)
			continue;
		res->bytes_fetched += jobs[k].transferred;
		if (unpackers[i])
			err = unpack_into_place(unpackers[i], &res->layers[i].desc, jobs[k].path, res->layers[i].path,
						opts);
		k++;
		if (err < 0)
			goto done;
	}
done:
	if (rootfd >= 0)
		close(rootfd);
	for (i = 0; jobs && i < njobs; i++)
		if (tmpdir[0] && strncmp(jobs[i].path, tmpdir, strlen(tmpdir)) == 0)
			free((char *)jobs[i].path);
	if (tmpdir[0])
		lade__remove_tree(tmpdir);
	free(jobs);
	free(unpackers);
	lade_buf_dispose(&config);
	return err;
}

static int pull_visit(const lade_walk_node *node, void *payload)
{
	pull_state *ps = payload;
	int err;
	if (node->index)
		return choose_platform(ps, node);
	if (!node->manifest)
		return LADE_WALK_SKIP; /* not reached: a manifest's children are not walked */
	if (ps->res->layers)
		return lade__error(LADE_EINVALID, "'%s' leads to more than one manifest", ps->reference);
	err = pull_manifest(ps, node);
	return err < 0 ? err : LADE_WALK_SKIP;
}

int lade_pull(lade_target *target, const char *reference, const lade_pull_options *opts, lade_pull_result *result)
{
	static const lade_pull_options defaults = LADE_PULL_OPTIONS_INIT;
	lade_pull_options older;
	const char *tmpbase = getenv("TMPDIR");
	lade_walk_options walk = LADE_WALK_OPTIONS_INIT;
	lade_pull_result res;
	pull_state ps;
	lade_buf bytes;
	int err;

	if (!opts)
		opts = &defaults;
	if (opts->version < 1 || opts->version > LADE_PULL_OPTIONS_VERSION)
		return lade__error(LADE_EINVALID, "pull options version %u is not 1 to %d", opts->version,
				   LADE_PULL_OPTIONS_VERSION);
	if (opts->version < LADE_PULL_OPTIONS_VERSION) {
		/* Built against an older version: its fields, the later ones at their defaults. */
		older = defaults;
		memcpy(&older, opts,
		       opts->version == 1 ? offsetof(lade_pull_options, max_unpack_size)
					  : offsetof(lade_pull_options, platform));
		older.version = LADE_PULL_OPTIONS_VERSION;
		opts = &older;
	}
	memset(&res, 0, sizeof(res));
	memset(&ps, 0, sizeof(ps));
	ps.target = target;
	ps.reference = reference;
	ps.opts = opts;
	ps.res = &res;
	if ((err = opts->platform ? lade_platform_parse(&ps.want, opts->platform) : lade_platform_host(&ps.want)) < 0)
		return err;
	lade_buf_init(&bytes, LADE_MANIFEST_LIMIT);
	lade_fs_reclaim_temporaries(tmpbase && *tmpbase ? tmpbase : "/tmp");
	/* One request resolves the reference and brings its content; the walk takes it from there. */
	if ((err = lade_manifest_fetch(target, reference, &res.manifest, &bytes)) < 0)
		goto done;
	walk.root_bytes = bytes.ptr;
	walk.root_size = bytes.size;
	err = lade_graph_walk(target, &res.manifest, pull_visit, &ps, &walk);
	if (err == 0 && !res.layers)
		err = lade__error(LADE_EINVALID, "'%s' leads to no manifest", reference);
done:
	lade_buf_dispose(&bytes);
	lade_platform_dispose(&ps.want);
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
