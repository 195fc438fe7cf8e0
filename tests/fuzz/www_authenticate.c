/* Fuzz target: WWW-Authenticate challenges (lade_auth_parse_challenges). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "lade/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lade_challenge challenges[8];
	size_t count = 0, i;
	char *header = malloc(size + 1);
	if (!header)
		return 0;
	memcpy(header, data, size);
	header[size] = '\0';
	if (lade_auth_parse_challenges(header, challenges, 8, &count) == 0) {
		if (count > 8)
			abort();
		/* Every field lade kept is a terminated string inside its buffer. */
		for (i = 0; i < count; i++)
			if (strlen(challenges[i].realm) >= sizeof(challenges[i].realm) ||
			    strlen(challenges[i].service) >= sizeof(challenges[i].service))
				abort();
	}
	free(header);
	return 0;
}
