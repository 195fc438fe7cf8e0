/* lade kinds: the kinds of artifact lade recognises. */
#include "common.h"

#include <string.h>

int cmd_kinds(int argc, char **argv)
{
	const lade_kind *const *kinds;
	size_t count, i;
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf(
		    "Usage: lade kinds\n\nList the kinds of artifact lade recognises, with the media types they write.\n"
		    "'lade push --kind NAME' forces one.\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_error("kinds", "kinds takes no arguments");
	kinds = lade_kinds_all(&count);
	for (i = 0; i < count; i++)
		printf("%-5s %s\n      %s\n", kinds[i]->name, kinds[i]->summary, kinds[i]->media_types);
	return EXIT_OK;
}
