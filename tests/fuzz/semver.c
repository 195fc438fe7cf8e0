/*
 * Fuzz target: version constraints and tags as `pull --version` reads them.
 * The first line is the constraint (the user's), the others are tags (the
 * registry's): whatever is picked must be one of the tags, read back as a
 * strict version that meets the constraint or equals the wanted text.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "lade/semver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *next, picked[LADE_SEMVER_MAX];
	lade_version_picker p;
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	next = strchr(text, '\n');
	if (next)
		*next++ = '\0';
	if (lade_version_picker_init(&p, text) == 0) {
		for (line = next; line && *line; line = next) {
			if ((next = strchr(line, '\n')))
				*next++ = '\0';
			lade_version_picker_add(&p, line);
		}
		if (lade_version_picker_result(&p, picked, sizeof(picked)) == 0) {
			lade_semver v;
			char *c;
			for (c = picked; *c; c++)
				if (*c == '_')
					*c = '+';
			if (lade_semver_parse(picked, 1, &v) != 0)
				abort();
			if (strcmp(picked, p.wanted) != 0 && !lade_semver_constraint_check(p.constraint, &v))
				abort();
		}
		lade_version_picker_dispose(&p);
	}
	free(text);
	return 0;
}
