# tests/bench/lib.sh - shared by the benchmarks. LADE defaults to the normal
# build's binary and is made absolute, because the benchmarks cd into the
# harness's work folder; then the harness (registry, fault server) is loaded.
# Source it.

set -euo pipefail
: "${LADE:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/cmd/lade}"
LADE=$(cd "$(dirname "$LADE")" && pwd)/$(basename "$LADE")
export LADE
source "$(dirname "${BASH_SOURCE[0]}")/../harness/lib.sh"
SIZE_MB=${SIZE_MB:-1024}
