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

# The median of the numbers on standard input.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# col NAME N: the median of column N of NAME.runs (1 seconds, 2 peak KiB).
col() { awk -v c="$2" '{print $c}' "$WORK/$1.runs" | median; }
# ratio A B: A's median time over B's.
ratio() { echo "scale=3; $(col "$1" 1) / $(col "$2" 1)" | bc -l; }
# table NAME...: one line each of median seconds and peak RSS in MiB, under a header.
table() {
  local n
  printf '%-14s %10s %10s\n' tool seconds rss
  for n in "$@"; do
    printf '%-14s %10s %10.1f\n' "$n" "$(col "$n" 1)" "$(echo "$(col "$n" 2) / 1024" | bc -l)"
  done
}
