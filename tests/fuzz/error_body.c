/* Fuzz target: a registry's error body. */
#include "fuzz.h"

#include <ctype.h>
#include <stdlib.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char code[64], msg[512];
	size_t i;
	lade__error_body_parse((const char *)data, size, code, sizeof(code), msg, sizeof(msg));
	/* Nothing that reaches the user's terminal is a control character. */
	for (i = 0; msg[i]; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			abort();
	for (i = 0; code[i]; i++)
		if ((unsigned char)code[i] < 0x20 || code[i] == 0x7f)
			abort();
	return 0;
}
