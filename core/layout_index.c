/*
 * The OCI image layout's index.json: the manifests a layout records and
 * their tags. It is read as text and walked one entry at a time; a change
 * (tag, untag, forget) rewrites it under the layout's lock into a
 * temporary file, every untouched entry copied byte for byte.
 */
#include "layout_internal.h"
#include "lade/ref.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int descriptor_from_entry(lade_descriptor *out, const cJSON *entry, const char *root)
{
	char what[PATH_MAX + 32];
	snprintf(what, sizeof(what), "'%s/index.json' entry", root);
	return lade__descriptor_from_json(out, entry, what);
}

/* The entry resolve looks for: the last one that matches, as a descriptor. */
typedef struct resolving {
	const char *reference, *root;
	int by_digest, found;
	lade_descriptor match;
} resolving;

static int resolve_entry(const char *text, size_t len, const cJSON *entry, size_t index, void *payload)
{
	resolving *r = payload;
	const char *name = lade__layout_entry_ref_name(entry);
	lade_descriptor d;
	int err;
	(void)text;
	(void)len;
	(void)index;
	if (r->by_digest ? strcmp(lade__layout_entry_digest(entry), r->reference) != 0
			 : (!name || strcmp(name, r->reference) != 0))
		return 0;
	if ((err = descriptor_from_entry(&d, entry, r->root)) < 0)
		return err;
	if (r->found)
		lade_descriptor_dispose(&r->match);
	r->match = d;
	r->found = 1;
	return 0;
}

int lade__layout_resolve(lade_target *t, const char *reference, lade_descriptor *out)
{
	layout *l = (layout *)t;
	index_text ix;
	resolving r;
	lade_digest digest;
	int by_digest = strchr(reference, ':') != NULL, err;

	if (by_digest && (err = lade_digest_parse(&digest, reference)) < 0)
		return err;
	if ((err = lade__layout_load_index(l, &ix)) < 0)
		return err;
	memset(&r, 0, sizeof(r));
	r.reference = reference;
	r.by_digest = by_digest;
	r.root = l->root;
	if ((err = lade__json_split_each(&ix.sp, "manifests", ix.path, resolve_entry, &r)) < 0)
		goto done;
	if (r.found) {
		*out = r.match;
		lade_annotations_dispose(&out->annotations); /* the ref.name annotation belongs to index.json only */
	} else if (by_digest) {
		/* Not listed in index.json, but a manifest blob can still be addressed by digest. */
		char path[PATH_MAX], media_type[256];
		lade_buf data;
		struct stat st;
		lade_descriptor probe = {0};
		probe.digest = digest;
		if ((err = lade__layout_blob_path(l, &probe, path, sizeof(path))) < 0)
			goto done;
		if (stat(path, &st) < 0) {
			err = lade__error(LADE_ENOTFOUND, "%s not found in layout '%s'", reference, l->root);
			goto done;
		}
		probe.size = (uint64_t)st.st_size;
		if ((err = lade__layout_fetch_bytes(t, &probe, LADE_MANIFEST_LIMIT, &data)) < 0)
			goto done;
		err = lade_manifest_sniff_media_type(data.ptr, data.size, media_type, sizeof(media_type));
		lade_buf_dispose(&data);
		if (err < 0)
			goto done;
		memset(out, 0, sizeof(*out));
		out->digest = digest;
		out->size = probe.size;
		if (!(out->media_type = lade_strdup(media_type[0] ? media_type : LADE_MEDIATYPE_MANIFEST)))
			err = LADE_ENOMEM;
	} else {
		err = lade__error(LADE_ENOTFOUND, "tag '%s' not found in layout '%s'", reference, l->root);
	}
done:
	if (err < 0 && r.found)
		lade_descriptor_dispose(&r.match);
	lade__layout_index_dispose(&ix);
	return err;
}

/* Which entries a change to index.json drops. */
typedef enum { DROP_TAG, DROP_DIGEST, DROP_UNTAGGED_DIGEST } drop_rule;

typedef struct dropping {
	drop_rule rule;
	const char *tag;    /* DROP_TAG: entries naming this tag */
	const char *digest; /* DROP_DIGEST: every entry of this digest; DROP_UNTAGGED_DIGEST: its untagged one */
} dropping;

static int dropped(const dropping *d, const cJSON *entry)
{
	const char *name = lade__layout_entry_ref_name(entry);
	switch (d->rule) {
	case DROP_TAG:
		return name && strcmp(name, d->tag) == 0;
	case DROP_DIGEST:
		return strcmp(lade__layout_entry_digest(entry), d->digest) == 0;
	default:
		return !name && strcmp(lade__layout_entry_digest(entry), d->digest) == 0;
	}
}

/* The new index.json: every entry not dropped, copied as it was, then the added one. */
typedef struct rewriting {
	const dropping *drop;
	lade_buf *out; /* staged text, written a megabyte at a time */
	lade__atomic *w;
	int wrote;   /* entries written so far */
	size_t gone; /* entries dropped */
} rewriting;

#define INDEX_WRITE_CHUNK ((size_t)1 << 20)

/* Write what is staged once it passes a megabyte (or always, with force): the new text never sits whole in memory. */
static int flush_staged(rewriting *rw, int force)
{
	int err;
	if (!force && rw->out->size < INDEX_WRITE_CHUNK)
		return 0;
	if ((err = lade__atomic_write(rw->w, rw->out->ptr, rw->out->size)) < 0)
		return err;
	lade_buf_clear(rw->out);
	return 0;
}

static int keep_entry(const char *text, size_t len, const cJSON *entry, size_t index, void *payload)
{
	rewriting *rw = payload;
	int err;
	(void)index;
	if (dropped(rw->drop, entry)) {
		rw->gone++;
		return 0;
	}
	if ((rw->wrote++ && (err = lade_buf_puts(rw->out, ",")) < 0) || (err = lade_buf_put(rw->out, text, len)) < 0)
		return err;
	return flush_staged(rw, 0);
}

/*
 * Rewrite index.json under the layout's lock: drop what drop says, append
 * add (taken; may be NULL). *gone counts the dropped entries; when it is 0
 * and nothing is added the file is left as it was.
 */
static int rewrite_index(layout *l, const dropping *drop, cJSON *add, size_t *gone)
{
	index_text ix;
	rewriting rw;
	lade__atomic w = {.fd = -1};
	cJSON *manifests, *old, *next;
	lade_buf out;
	int lockfd = -1, loaded = 0, added = add != NULL, err;

	lade_buf_init(&out, LADE_INDEX_JSON_MAX + 4096);
	memset(&rw, 0, sizeof(rw));
	if ((err = lade__layout_lock(l, &lockfd)) < 0)
		goto done;
	if ((err = lade__layout_load_index(l, &ix)) < 0)
		goto done;
	loaded = 1;
	if ((err = lade__atomic_open(&w, ix.path)) < 0)
		goto done;
	rw.drop = drop;
	rw.out = &out;
	rw.w = &w;
	if (ix.sp.manifests && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ix.sp.rest, "manifests")) == 0) {
		/* The text as it was up to the array, the kept entries, the new one, the rest as it was. */
		const char *tail = ix.sp.manifests_end - 1;
		if ((err = lade_buf_put(&out, ix.data.ptr, (size_t)(ix.sp.manifests - ix.data.ptr) + 1)) < 0 ||
		    (err = lade__json_split_each(&ix.sp, "manifests", ix.path, keep_entry, &rw)) < 0 ||
		    (add && rw.wrote && (err = lade_buf_puts(&out, ",")) < 0) ||
		    (add && (err = lade_json_print(&out, add)) < 0) ||
		    (err = lade_buf_put(&out, tail, (size_t)(ix.data.ptr + ix.data.size - tail))) < 0)
			goto done;
	} else {
		/* The text could not be split (unusual spelling): the parsed tree, rewritten whole. */
		manifests = cJSON_GetObjectItemCaseSensitive(ix.sp.rest, "manifests");
		for (old = manifests->child; old; old = next) {
			next = old->next;
			if (dropped(drop, old)) {
				cJSON_Delete(cJSON_DetachItemViaPointer(manifests, old));
				rw.gone++;
			}
		}
		if (add)
			cJSON_AddItemToArray(manifests, add);
		add = NULL;
		if ((err = lade_json_print(&out, ix.sp.rest)) < 0)
			goto done;
	}
	*gone = rw.gone;
	if (!rw.gone && !added) {
		lade__atomic_abort(&w); /* nothing changes */
		goto done;
	}
	if ((err = flush_staged(&rw, 1)) == 0)
		err = lade__atomic_commit(&w, 0644);
done:
	if (err < 0)
		lade__atomic_abort(&w);
	cJSON_Delete(add);
	if (loaded)
		lade__layout_index_dispose(&ix);
	lade_buf_dispose(&out);
	lade__layout_unlock(lockfd);
	return err;
}

int lade__layout_tag(lade_target *t, const lade_descriptor *desc, const void *data, size_t len, const char *tag)
{
	layout *l = (layout *)t;
	dropping drop;
	cJSON *entry;
	lade_descriptor plain;
	size_t gone;
	int found = 0, err;

	if (tag && *tag && (err = lade_ref_validate_tag(tag)) < 0)
		return err;
	if (data && (err = lade__layout_push_bytes(t, desc, data, len)) < 0)
		return err;
	if ((err = lade__layout_exists(t, desc, &found)) < 0)
		return err;
	if (!found)
		return lade__error(LADE_ENOTFOUND, "cannot tag %s: not in layout '%s'", desc->digest.str, l->root);
	/* Only the descriptor's identity goes in; its own annotations describe the manifest elsewhere. */
	memset(&plain, 0, sizeof(plain));
	plain.media_type = desc->media_type;
	plain.digest = desc->digest;
	plain.size = desc->size;
	plain.artifact_type = desc->artifact_type;
	plain.platform = desc->platform;
	if (tag && *tag && (err = lade_annotations_set(&plain.annotations, LADE_ANNOTATION_REF_NAME, tag)) < 0)
		return err;
	entry = lade__descriptor_to_json(&plain);
	lade_annotations_dispose(&plain.annotations);
	if (!entry)
		return lade_error_set_oom();
	/* A tag moves to this manifest; an untagged record replaces the manifest's untagged one. */
	drop.rule = tag && *tag ? DROP_TAG : DROP_UNTAGGED_DIGEST;
	drop.tag = tag;
	drop.digest = desc->digest.str;
	return rewrite_index(l, &drop, entry, &gone);
}

int lade__layout_untag(lade_target *t, const char *tag)
{
	layout *l = (layout *)t;
	dropping drop = {DROP_TAG, tag, NULL};
	size_t gone = 0;
	int err;
	if ((err = lade_ref_validate_tag(tag)) < 0)
		return err;
	if ((err = rewrite_index(l, &drop, NULL, &gone)) < 0)
		return err;
	return gone ? 0 : lade__error(LADE_ENOTFOUND, "tag '%s' not found in layout '%s'", tag, l->root);
}

int lade__layout_forget(layout *l, const lade_descriptor *desc, size_t *gone)
{
	dropping drop = {DROP_DIGEST, NULL, desc->digest.str};
	*gone = 0;
	return rewrite_index(l, &drop, NULL, gone);
}

typedef struct listing {
	lade_tag_cb cb;
	void *payload;
} listing;

static int list_entry(const char *text, size_t len, const cJSON *entry, size_t index, void *payload)
{
	listing *ls = payload;
	const char *name = lade__layout_entry_ref_name(entry);
	(void)text;
	(void)len;
	(void)index;
	return name ? ls->cb(name, ls->payload) : 0;
}

int lade__layout_list_tags(lade_target *t, lade_tag_cb cb, void *payload)
{
	layout *l = (layout *)t;
	index_text ix;
	listing ls = {cb, payload};
	int err;
	if ((err = lade__layout_load_index(l, &ix)) < 0)
		return err;
	err = lade__json_split_each(&ix.sp, "manifests", ix.path, list_entry, &ls);
	lade__layout_index_dispose(&ix);
	return err;
}

/* Referrers in a layout: the manifests index.json records whose subject is the one asked about. */
typedef struct referring {
	layout *l;
	const lade_descriptor *subject;
	const char *artifact_type;
	lade_descriptor_cb cb;
	void *payload;
} referring;

static int referrer_of(const char *text, size_t len, const cJSON *entry, size_t index, void *payload)
{
	referring *rf = payload;
	lade_descriptor d, out;
	lade_descriptor *subject = NULL;
	lade_buf bytes;
	int err;
	(void)text;
	(void)len;
	(void)index;
	if ((err = descriptor_from_entry(&d, entry, rf->l->root)) < 0)
		return err;
	if (strcmp(d.media_type, LADE_MEDIATYPE_INDEX) != 0 && strcmp(d.media_type, LADE_MEDIATYPE_MANIFEST) != 0) {
		lade_descriptor_dispose(&d);
		return 0; /* Docker manifests carry no subject */
	}
	lade_buf_init(&bytes, LADE_MANIFEST_MAX);
	if ((err = lade__layout_fetch_bytes(&rf->l->base, &d, LADE_MANIFEST_MAX, &bytes)) == 0 &&
	    (err = lade__referrer_facts(&d, bytes.ptr, bytes.size, &out, &subject)) == 0) {
		/* As a referrers index lists it: the manifest's type and all its annotations. */
		if (subject && lade_digest_equal(&subject->digest, &rf->subject->digest) &&
		    (!rf->artifact_type || (out.artifact_type && !strcmp(out.artifact_type, rf->artifact_type))))
			err = rf->cb(&out, rf->payload);
		lade_descriptor_dispose(&out);
	} else if (err == LADE_ENOTFOUND) {
		err = 0; /* listed but not stored: nothing to say of it here */
		lade_error_clear();
	}
	if (subject) {
		lade_descriptor_dispose(subject);
		free(subject);
	}
	lade_buf_dispose(&bytes);
	lade_descriptor_dispose(&d);
	return err;
}

int lade__layout_referrers(lade_target *t, const lade_descriptor *subject, const char *artifact_type,
			   lade_descriptor_cb cb, void *payload)
{
	layout *l = (layout *)t;
	index_text ix;
	referring rf = {l, subject, artifact_type && *artifact_type ? artifact_type : NULL, cb, payload};
	int err;
	if ((err = lade__layout_load_index(l, &ix)) < 0)
		return err;
	err = lade__json_split_each(&ix.sp, "manifests", ix.path, referrer_of, &rf);
	lade__layout_index_dispose(&ix);
	return err;
}
