/* kinds.h - the kinds mediatypes/ defines, one file each. */
#ifndef LADE_MEDIATYPES_KINDS_H
#define LADE_MEDIATYPES_KINDS_H

#include "lade/kind.h"

extern const lade_kind lade__kind_file;

#endif
