/*
 * lade/lade.h - everything liblade offers, in one include.
 */
#ifndef LADE_LADE_H
#define LADE_LADE_H

#include "lade/auth.h"
#include "lade/common.h"
#include "lade/digest.h"
#include "lade/kind.h"
#include "lade/kinds.h"
#include "lade/layout.h"
#include "lade/manifest.h"
#include "lade/pack.h"
#include "lade/ref.h"
#include "lade/registry.h"
#include "lade/target.h"
#include "lade/graph.h"
#include "lade/copy.h"

#endif
