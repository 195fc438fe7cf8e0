#include "internal.h"
#include "lade/target.h"

int lade_target_exists(lade_target *t, const lade_descriptor *desc, int *found)
{
	return t->ops->exists(t, desc, found);
}

int lade_target_blob_size(lade_target *t, const lade_digest *digest, uint64_t *size)
{
	return t->ops->blob_size(t, digest, size);
}

int lade_target_fetch_bytes(lade_target *t, const lade_descriptor *desc, size_t max, lade_buf *out)
{
	return t->ops->fetch_bytes(t, desc, max, out);
}

int lade_target_fetch_files(lade_target *t, lade_blob_job *jobs, size_t count)
{
	return t->ops->fetch_files(t, jobs, count);
}

int lade_target_push_bytes(lade_target *t, const lade_descriptor *desc, const void *data, size_t len)
{
	return t->ops->push_bytes(t, desc, data, len);
}

int lade_target_push_files(lade_target *t, lade_blob_job *jobs, size_t count)
{
	return t->ops->push_files(t, jobs, count);
}

int lade_target_push_stream(lade_target *t, int fd, const char *name, lade_descriptor *desc)
{
	return t->ops->push_stream(t, fd, name, desc);
}

int lade_target_resolve(lade_target *t, const char *reference, lade_descriptor *out)
{
	return t->ops->resolve(t, reference, out);
}

int lade_target_tag(lade_target *t, const lade_descriptor *desc, const void *data, size_t len, const char *tag)
{
	return t->ops->tag(t, desc, data, len, tag);
}

int lade_target_list_tags(lade_target *t, lade_tag_cb cb, void *payload)
{
	return t->ops->list_tags(t, cb, payload);
}

void lade_target_set_progress(lade_target *t, lade_progress_cb cb, void *payload)
{
	t->progress = cb;
	t->progress_payload = payload;
}

void lade_target_free(lade_target *t)
{
	if (t)
		t->ops->free(t);
}
