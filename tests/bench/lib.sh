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

# measure NAME CMD... : appends "seconds peak_kib" to NAME.runs
measure() {
  local name=$1
  shift
  # Every tool starts alike: no dirty pages of the last one's to write back,
  # and (as root) no page cache to evict. Without this, run-to-run noise on a
  # small VM is larger than the differences being measured.
  sync
  [ -w /proc/sys/vm/drop_caches ] && echo 3 > /proc/sys/vm/drop_caches
  /usr/bin/time -f '%e %M' -o "$WORK/.time" "$@" > /dev/null 2> "$WORK/.stderr" || {
    echo "$name failed: $(cat "$WORK/.stderr")" >&2
    exit 1
  }
  cat "$WORK/.time" >> "$WORK/$name.runs"
}
