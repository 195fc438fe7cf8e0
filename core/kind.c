#include "internal.h"
#include "lade/kind.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void lade_kind_layer_dispose(lade_kind_layer *layer)
{
	if (layer->temporary && layer->path && layer->path[0])
		unlink(layer->path);
	free(layer->path);
	lade_descriptor_dispose(&layer->desc);
	memset(layer, 0, sizeof(*layer));
}

void lade_kind_artifact_dispose(lade_kind_artifact *a)
{
	size_t i;
	free(a->artifact_type);
	free(a->config_media_type);
	lade_buf_dispose(&a->config);
	lade_annotations_dispose(&a->annotations);
	for (i = 0; i < a->layer_count; i++)
		lade_kind_layer_dispose(&a->layers[i]);
	free(a->layers);
	memset(a, 0, sizeof(*a));
}

int lade_kind_artifact_add_layer(lade_kind_artifact *a, lade_kind_layer **out)
{
	size_t n = a->layer_count;
	/* Only add_layer grows the array: it doubles at 4, 8, 16, ... so 20,000 layers are not copied 20,000 times. */
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		lade_kind_layer *grown = realloc(a->layers, (n ? n * 2 : 4) * sizeof(*grown));
		if (!grown)
			return lade_error_set_oom();
		a->layers = grown;
	}
	memset(&a->layers[a->layer_count], 0, sizeof(a->layers[0]));
	*out = &a->layers[a->layer_count++];
	return 0;
}
