#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Every empty buffer points here, so ptr is never NULL and always terminated. */
static char empty_string[1];

void lade_buf_init(lade_buf *buf, size_t max)
{
	buf->ptr = empty_string;
	buf->size = 0;
	buf->asize = 0;
	buf->max = max;
}

int lade_buf_put(lade_buf *buf, const void *data, size_t len)
{
	if (len > buf->max - buf->size)
		return lade__error(LADE_ETOOLARGE, "content exceeds the %zu-byte limit", buf->max);
	if (buf->size + len + 1 > buf->asize) {
		size_t want = buf->asize ? buf->asize : 256;
		char *grown;
		while (want < buf->size + len + 1)
			want *= 2;
		if (want > buf->max + 1)
			want = buf->max + 1;
		grown = realloc(buf->asize ? buf->ptr : NULL, want);
		if (!grown)
			return lade_error_set_oom();
		if (!buf->asize)
			grown[0] = '\0';
		buf->ptr = grown;
		buf->asize = want;
	}
	if (len)
		memcpy(buf->ptr + buf->size, data, len);
	buf->size += len;
	buf->ptr[buf->size] = '\0';
	return 0;
}

int lade_buf_puts(lade_buf *buf, const char *str)
{
	return lade_buf_put(buf, str, strlen(str));
}

void lade_buf_clear(lade_buf *buf)
{
	buf->size = 0;
	/* The shared empty string is never written: two threads clearing empty buffers would race on it. */
	if (buf->asize)
		buf->ptr[0] = '\0';
}

char *lade_buf_detach(lade_buf *buf)
{
	char *out = buf->asize ? buf->ptr : strdup("");
	lade_buf_init(buf, buf->max);
	return out;
}

void lade_buf_dispose(lade_buf *buf)
{
	if (buf->asize)
		free(buf->ptr);
	lade_buf_init(buf, buf->max);
}
