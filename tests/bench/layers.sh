#!/usr/bin/env bash
# Memory against the number of layers: push and pull of artifacts with
# 1,000, 5,000 and 20,000 layers of 1 KiB each, to and from the registry
# and an OCI layout, peak RSS of each (from /usr/bin/time), against the
# bounds issue 7 set: 16 MiB up to 1,000 layers, 32 MiB up to 20,000.
# Memory may grow with the descriptors themselves, never with buffers or
# handles per layer.
#
#   LADE=build/cmd/lade tests/bench/layers.sh
#   COUNTS="1000 5000" LADE=build/cmd/lade tests/bench/layers.sh
#   CHECK=1 ...   exit 1 when a bound is passed
source "$(dirname "$0")/lib.sh"
cd "$WORK"
COUNTS=${COUNTS:-1000 5000 20000}
start_registry plain

bound_for() { [ "$1" -le 1000 ] && echo 16384 || echo 32768; }
rss() { # label count -- command...: runs it, prints a row, remembers a passed bound
  local label=$1 n=$2 kb bound
  shift 3
  /usr/bin/time -f '%M %e' -o "$WORK/time.log" "$@" > "$WORK/run.log" 2>&1 || { cat "$WORK/run.log" >&2; fail "$label $n failed"; }
  read -r kb secs < "$WORK/time.log"
  bound=$(bound_for "$n")
  printf '%-16s %6d layers  %7.1f MiB  (bound %2d MiB)  %6.1f s%s\n' "$label" "$n" "$(echo "$kb/1024" | bc -l)" \
    $((bound / 1024)) "$secs" "$([ "$kb" -le "$bound" ] || echo '  OVER')"
  [ "$kb" -le "$bound" ] || over=1
}

over=0
echo "peak RSS by number of 1 KiB layers ($("$LADE" version | head -1))"
for n in $COUNTS; do
  rm -rf files && mkdir files
  python3 - "$n" <<'PY'
import os, sys
for i in range(int(sys.argv[1])):
    with open(f"files/f{i:05d}", "wb") as f:
        f.write(os.urandom(1024))
PY
  cd files
  rss "push registry" "$n" -- "$LADE" push --plain-http "$REGISTRY/many:n$n" f*
  cd ..
  rm -rf pulled
  rss "pull registry" "$n" -- "$LADE" pull --plain-http "$REGISTRY/many:n$n" -o pulled
  rm -rf layout
  cd files
  rss "push layout" "$n" -- "$LADE" push --oci-layout "$WORK/layout:n$n" f*
  cd ..
  rm -rf pulled
  rss "pull layout" "$n" -- "$LADE" pull --oci-layout "$WORK/layout:n$n" -o pulled
  cmp -s files/f00000 pulled/f00000 || fail "pulled content differs"
done
[ "${CHECK:-0}" = 0 ] || [ "$over" = 0 ] || fail "a bound was passed"
