/* Fuzz target: a registry's tag list page, read one tag at a time as repo tags reads it. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

static int one_tag(const char *text, size_t len, const cJSON *item, size_t index, void *payload)
{
	size_t *count = payload;
	(void)text;
	(void)len;
	(void)index;
	if (cJSON_IsString(item) && !item->valuestring)
		abort();
	(*count)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lade__json_split page;
	size_t count = 0;
	if (lade__json_split_parse((const char *)data, size, 16 * 1024 * 1024, "tag list", &page) < 0)
		return 0;
	if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(page.rest, "tags")))
		lade__json_split_each(&page, "tags", "tag list", one_tag, &count);
	cJSON_Delete(page.rest);
	return 0;
}
