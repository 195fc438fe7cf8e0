/* Fuzz target: the wasm section walker (modules and components). */
#include "fuzz.h"
#include "scratch.h"

#include "kinds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = scratch_file(data, size);
	if (path)
		lade__wasm_walk(path);
	return 0;
}
