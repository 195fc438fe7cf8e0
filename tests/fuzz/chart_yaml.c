/* Fuzz target: Chart.yaml, through the checks and conversion a Helm push applies. */
#include "fuzz.h"

#include "kinds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lade__helm_check_chart_yaml((const char *)data, size);
	return 0;
}
